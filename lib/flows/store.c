/* SPDX-License-Identifier: MIT */
/*
 * What a flow keeps of its packets: its first KNET_FLOW_KEEP in the
 * flow itself (the detail pane, the BPF filter, a remote snapshot), and
 * all of them for `w` in the store: fixed slots of headers in chunks
 * (allocated as packets come, up to the table's byte cap), chained per
 * flow by index from its first to its last, and given back whole (one
 * splice) when the flow goes.  At a cap a packet is counted, not kept:
 * memory stays bounded however many flows or packets are offered.
 */
#include <stdlib.h>
#include <string.h>

#include "flows-internal.h"

#define CHUNK_BYTES (STORE_CHUNK * sizeof(struct flow_pkt))

static struct flow_pkt *pkt_at(const struct flows_store *s, uint32_t i)
{
	return &s->chunks[i / STORE_CHUNK][i % STORE_CHUNK];
}

void knet_flows_set_store(struct knet_flows *t, size_t per_flow,
			  size_t max_bytes)
{
	struct flows_store *s = &t->store;
	size_t max = max_bytes / CHUNK_BYTES;
	struct flow_pkt **n;

	s->per_flow = per_flow > UINT32_MAX ? UINT32_MAX : per_flow;
	s->max_bytes = max_bytes;
	if (max < 1 && max_bytes)
		max = 1;
	/* 32-bit indices: the store never needs more. */
	if (max > UINT32_MAX / STORE_CHUNK)
		max = UINT32_MAX / STORE_CHUNK;
	if (max <= s->maxchunks) {
		s->maxchunks = max > s->nchunks ? max : s->nchunks;
		return;
	}
	n = realloc(s->chunks, max * sizeof(*n));
	if (!n)
		return; /* keeps the old cap */
	memset(n + s->maxchunks, 0, (max - s->maxchunks) * sizeof(*n));
	s->chunks = n;
	s->maxchunks = max;
}

void flows_store_free(struct knet_flows *t)
{
	for (size_t i = 0; i < t->store.nchunks; i++)
		free(t->store.chunks[i]);
	free(t->store.chunks);
	memset(&t->store, 0, sizeof(t->store));
}

/* A free slot, or 0 at the cap (or out of memory). */
static uint32_t take(struct flows_store *s)
{
	uint32_t i;

	if (s->free) {
		i = s->free;
		s->free = pkt_at(s, i)->next;
		return i;
	}
	if (!s->used)
		s->used = 1; /* index 0 is "none" */
	if (s->used / STORE_CHUNK >= s->nchunks) {
		if (s->nchunks >= s->maxchunks)
			return 0;
		s->chunks[s->nchunks] = malloc(CHUNK_BYTES);
		if (!s->chunks[s->nchunks])
			return 0;
		s->nchunks++;
	}
	return (uint32_t)s->used++;
}

/* At most @max of the @caplen bytes at @data; how many. */
static uint32_t copy_head(uint8_t *dst, uint32_t max, const uint8_t *data,
			  uint32_t caplen)
{
	uint32_t n = caplen < max ? caplen : max;

	memcpy(dst, data, n);
	return n;
}

static void keep_first(struct knet_flow *f, long long ts_us, int linktype,
		       const uint8_t *data, uint32_t caplen, uint32_t len)
{
	struct knet_flow_kept *k;

	if (f->nkept >= KNET_FLOW_KEEP)
		return;
	k = &f->kept[f->nkept++];
	k->ts_us = ts_us;
	k->len = len;
	k->linktype = linktype;
	k->caplen = copy_head(k->data, KNET_FLOW_KEEP_BYTES, data, caplen);
}

void flows_keep(struct knet_flows *t, struct knet_flow *f, long long ts_us,
		int linktype, const uint8_t *data, uint32_t caplen,
		uint32_t len)
{
	struct flows_store *s = &t->store;
	struct flow_pkt *p;
	uint32_t i = 0;

	if (!data)
		return;
	keep_first(f, ts_us, linktype, data, caplen, len);
	if (f->nstored < s->per_flow)
		i = take(s);
	if (!i) {
		f->nunstored++;
		s->refused++;
		return;
	}
	p = pkt_at(s, i);
	p->next = 0;
	p->ts_us = ts_us;
	p->len = len;
	p->linktype = linktype;
	p->caplen = copy_head(p->data, KNET_FLOW_STORE_BYTES, data, caplen);
	if (f->store_tail)
		pkt_at(s, f->store_tail)->next = i;
	else
		f->store_head = i;
	f->store_tail = i;
	f->nstored++;
	s->held++;
}

void flows_store_release(struct knet_flows *t, struct knet_flow *f)
{
	struct flows_store *s = &t->store;

	if (f->store_head) {
		pkt_at(s, f->store_tail)->next = s->free;
		s->free = f->store_head;
		s->held -= f->nstored;
	}
	f->store_head = f->store_tail = 0;
	f->nstored = f->nunstored = 0;
}

int knet_flows_stored(const struct knet_flows *t, const struct knet_flow *f,
		      int (*fn)(const struct knet_flow_packet *p, void *ud),
		      void *ud)
{
	const struct flows_store *s = &t->store;

	for (uint32_t i = f->store_head; i;) {
		const struct flow_pkt *p = pkt_at(s, i);
		struct knet_flow_packet out = {
			.ts_us = p->ts_us,
			.caplen = p->caplen,
			.len = p->len,
			.linktype = p->linktype,
			.data = p->data,
		};
		int r = fn(&out, ud);

		if (r)
			return r;
		i = p->next;
	}
	return 0;
}
