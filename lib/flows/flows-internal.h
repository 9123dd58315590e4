/* SPDX-License-Identifier: MIT */
#ifndef KNET_FLOWS_INTERNAL_H
#define KNET_FLOWS_INTERNAL_H

/* What the files of lib/flows share: the table and its primitives. */

#include "knet/flows.h"

/* Flows per chunk: the unit the table grows by. */
#define FLOW_CHUNK 1024

/* Stored packets per chunk of the store. */
#define STORE_CHUNK 4096

struct flow_pkt {
	uint32_t next; /* the flow's next one, or the free list's */
	uint32_t caplen, len;
	int32_t linktype;
	long long ts_us;
	uint8_t data[KNET_FLOW_STORE_BYTES];
};

struct flows_store {
	struct flow_pkt **chunks;
	size_t nchunks, maxchunks; /* allocated, at most */
	size_t used;		   /* slots handed out (index 0 unused) */
	uint32_t free;		   /* freed slots, chained through next */
	size_t held, per_flow, max_bytes;
	unsigned long long refused;
};

struct knet_flows {
	size_t max, count;
	size_t nbuckets; /* a power of two */
	uint32_t *buckets;
	struct knet_flow **chunks;
	size_t nchunks, used; /* slots handed out so far (index 0 unused) */
	uint32_t free;	      /* freed slots, chained through hnext */
	uint32_t head, tail;  /* most and least recently seen */
	uint64_t seed;
	unsigned long long packets, bytes, other, created, evicted;
	uint64_t generation;
	const struct knet_flow **snap;
	size_t snap_size;
	struct flows_store store;
};

uint32_t flows_hash(const struct knet_flows *t, const struct knet_tuple *k);
struct knet_flow *flows_at(const struct knet_flows *t, uint32_t i);
/* The flow of either direction of @k, *@ret_dir 0 (as @k) or 1. */
struct knet_flow *flows_find(struct knet_flows *t, const struct knet_tuple *k,
			     uint32_t hash, int *ret_dir);
/* A new flow for @k (evicting the least recently seen at the cap). */
struct knet_flow *flows_add(struct knet_flows *t, const struct knet_tuple *k,
			    uint32_t hash, long long now_ms);
void flows_touch(struct knet_flows *t, struct knet_flow *f);
void flows_remove(struct knet_flows *t, struct knet_flow *f);
/* What @f keeps of a packet (store.c): its first ones, the store;
 * and all of it given back. */
void flows_keep(struct knet_flows *t, struct knet_flow *f, long long ts_us,
		int linktype, const uint8_t *data, uint32_t caplen,
		uint32_t len);
void flows_store_release(struct knet_flows *t, struct knet_flow *f);
void flows_store_free(struct knet_flows *t);
/* Count @bytes at @now_ms in the per-second rate buckets. */
void flows_rate_add(struct knet_flow *f, long long now_ms, uint64_t bytes,
		    uint64_t packets);

#endif
