/* SPDX-License-Identifier: MIT */
/*
 * The flow table: a chained hash by index over flows kept in chunks, and
 * one least-recently-seen list through the same flows.  Indices (not
 * pointers) keep the links 4 bytes each and let a chunk be reused in
 * place; index 0 is "none".  The table grows a chunk at a time up to its
 * cap and then evicts the tail of the list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "flows-internal.h"

static size_t pow2_at_least(size_t n)
{
	size_t p = 1024;

	while (p < n)
		p <<= 1;
	return p;
}

int knet_flows_new(size_t max, struct knet_flows **ret, struct knet_error *err)
{
	struct knet_flows *t;

	if (max < 1 || max > KNET_FLOWS_MAX_LIMIT)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "the flow cap must be 1-%d",
				      KNET_FLOWS_MAX_LIMIT);
	t = calloc(1, sizeof(*t));
	if (!t)
		goto nomem;
	t->max = max;
	t->nbuckets = pow2_at_least(max);
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	t->nchunks = (max + 1 + FLOW_CHUNK - 1) / FLOW_CHUNK;
	t->chunks = calloc(t->nchunks, sizeof(*t->chunks));
	if (!t->buckets || !t->chunks)
		goto nomem;
	/* A secret seed: crafted tuples cannot all land in one chain. */
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) !=
	    sizeof(t->seed))
		t->seed = (uint64_t)(uintptr_t)t ^ 0x9e3779b97f4a7c15ull;
	t->used = 1; /* index 0 is "none" */
	knet_flows_set_store(t, KNET_FLOW_STORE_PER_FLOW,
			     (size_t)KNET_FLOW_STORE_MIB << 20);
	*ret = t;
	return 0;
nomem:
	knet_flows_free(t);
	return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
}

void knet_flows_free(struct knet_flows *t)
{
	if (!t)
		return;
	for (size_t i = 0; t->chunks && i < t->nchunks; i++)
		free(t->chunks[i]);
	free(t->chunks);
	free(t->buckets);
	free(t->snap);
	flows_store_free(t);
	free(t);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 33);
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static size_t addr_len(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* <0, 0, >0: which end of a tuple sorts first (canonical order). */
static int end_cmp(uint8_t family, const uint8_t *a, uint16_t pa,
		   const uint8_t *b, uint16_t pb)
{
	int c = memcmp(a, b, addr_len(family));

	return c ? c : (int)pa - (int)pb;
}

/* The same for both directions of a flow. */
uint32_t flows_hash(const struct knet_flows *t, const struct knet_tuple *k)
{
	const uint8_t *a = k->src, *b = k->dst;
	uint16_t pa = k->sport, pb = k->dport;
	uint64_t h = t->seed;

	if (end_cmp(k->family, a, pa, b, pb) > 0) {
		a = k->dst;
		b = k->src;
		pa = k->dport;
		pb = k->sport;
	}
	h = mix(h, (uint64_t)k->family << 40 | (uint64_t)k->proto << 32 |
			   (uint64_t)pa << 16 | pb);
	h = mix(h, load64(a));
	h = mix(h, load64(a + 8));
	h = mix(h, load64(b));
	h = mix(h, load64(b + 8));
	return (uint32_t)(h ^ (h >> 32));
}

struct knet_flow *flows_at(const struct knet_flows *t, uint32_t i)
{
	return &t->chunks[i / FLOW_CHUNK][i % FLOW_CHUNK];
}

static uint32_t index_of(const struct knet_flows *t, const struct knet_flow *f)
{
	(void)t;
	return f->self;
}

/* -1: not this flow; 0: same direction as @k; 1: reversed. */
static int direction(const struct knet_flow *f, const struct knet_tuple *k)
{
	size_t n = addr_len(k->family);

	if (f->t.family != k->family || f->t.proto != k->proto)
		return -1;
	if (f->t.sport == k->sport && f->t.dport == k->dport &&
	    !memcmp(f->t.src, k->src, n) && !memcmp(f->t.dst, k->dst, n))
		return 0;
	if (f->t.sport == k->dport && f->t.dport == k->sport &&
	    !memcmp(f->t.src, k->dst, n) && !memcmp(f->t.dst, k->src, n))
		return 1;
	return -1;
}

struct knet_flow *flows_find(struct knet_flows *t, const struct knet_tuple *k,
			     uint32_t hash, int *ret_dir)
{
	uint32_t i = t->buckets[hash & (t->nbuckets - 1)];

	while (i) {
		struct knet_flow *f = flows_at(t, i);

		if (f->hash == hash) {
			int d = direction(f, k);

			if (d >= 0) {
				*ret_dir = d;
				return f;
			}
		}
		i = f->hnext;
	}
	return NULL;
}

static void lru_unlink(struct knet_flows *t, struct knet_flow *f)
{
	if (f->prev)
		flows_at(t, f->prev)->next = f->next;
	else
		t->head = f->next;
	if (f->next)
		flows_at(t, f->next)->prev = f->prev;
	else
		t->tail = f->prev;
	f->prev = f->next = 0;
}

static void lru_push(struct knet_flows *t, struct knet_flow *f)
{
	uint32_t i = index_of(t, f);

	f->prev = 0;
	f->next = t->head;
	if (t->head)
		flows_at(t, t->head)->prev = i;
	t->head = i;
	if (!t->tail)
		t->tail = i;
}

void flows_touch(struct knet_flows *t, struct knet_flow *f)
{
	if (t->head == index_of(t, f))
		return;
	lru_unlink(t, f);
	lru_push(t, f);
}

static void hash_unlink(struct knet_flows *t, struct knet_flow *f)
{
	uint32_t *p = &t->buckets[f->hash & (t->nbuckets - 1)];
	uint32_t i = index_of(t, f);

	while (*p && *p != i)
		p = &flows_at(t, *p)->hnext;
	if (*p)
		*p = f->hnext;
	f->hnext = 0;
}

void flows_remove(struct knet_flows *t, struct knet_flow *f)
{
	flows_store_release(t, f);
	hash_unlink(t, f);
	lru_unlink(t, f);
	f->hnext = t->free;
	t->free = index_of(t, f);
	f->live = false;
	t->count--;
}

/* A slot for a new flow: a freed one, a new one, or the evicted tail;
 * 0 when there is no memory for a new chunk and nothing to evict. */
static uint32_t slot(struct knet_flows *t)
{
	uint32_t i;

	if (!t->free && t->count >= t->max && t->tail) {
		flows_remove(t, flows_at(t, t->tail));
		t->evicted++;
	}
	if (t->free) {
		i = t->free;
		t->free = flows_at(t, i)->hnext;
		return i;
	}
	i = (uint32_t)t->used;
	if (!t->chunks[i / FLOW_CHUNK]) {
		t->chunks[i / FLOW_CHUNK] =
			calloc(FLOW_CHUNK, sizeof(struct knet_flow));
		if (!t->chunks[i / FLOW_CHUNK]) {
			if (!t->tail)
				return 0;
			/* No memory: reuse the oldest flow instead. */
			flows_remove(t, flows_at(t, t->tail));
			t->evicted++;
			return slot(t);
		}
	}
	t->used++;
	return i;
}

struct knet_flow *flows_add(struct knet_flows *t, const struct knet_tuple *k,
			    uint32_t hash, long long now_ms)
{
	uint32_t i = slot(t), b = hash & (uint32_t)(t->nbuckets - 1);
	struct knet_flow *f;

	if (!i)
		return NULL;
	f = flows_at(t, i);
	memset(f, 0, sizeof(*f));
	f->self = i;
	f->t = *k;
	f->hash = hash;
	f->first_ms = f->last_ms = now_ms;
	f->id = ++t->created;
	f->live = true;
	f->hnext = t->buckets[b];
	t->buckets[b] = i;
	lru_push(t, f);
	t->count++;
	return f;
}

void knet_flows_other(struct knet_flows *t, uint32_t len)
{
	t->packets++;
	t->bytes += len;
	t->other++;
}

void knet_flows_get_stats(const struct knet_flows *t,
			  struct knet_flows_stats *ret)
{
	ret->packets = t->packets;
	ret->bytes = t->bytes;
	ret->other = t->other;
	ret->created = t->created;
	ret->evicted = t->evicted;
	ret->count = t->count;
	ret->max = t->max;
	ret->stored = t->store.held;
	ret->store_bytes =
		t->store.nchunks * STORE_CHUNK * sizeof(struct flow_pkt);
	ret->store_max_bytes = t->store.max_bytes;
	ret->store_per_flow = t->store.per_flow;
	ret->unstored = t->store.refused;
}

void knet_flows_reset_counters(struct knet_flows *t)
{
	for (uint32_t i = t->head; i;) {
		struct knet_flow *f = flows_at(t, i);

		memset(f->packets, 0, sizeof(f->packets));
		memset(f->bytes, 0, sizeof(f->bytes));
		memset(f->rate_bytes, 0, sizeof(f->rate_bytes));
		memset(f->rate_pkts, 0, sizeof(f->rate_pkts));
		f->flags = 0;
		f->retrans = f->icmp_errors = 0;
		f->dns_pending = 0;
		i = f->next;
	}
	t->packets = t->bytes = t->other = 0;
	t->evicted = 0;
}
