/* SPDX-License-Identifier: MIT */
/*
 * Conntrack entries in the flow table: as the source of flows (--source
 * conntrack: the node's view, counters when accounting is on), or as a
 * note on a captured flow (which backend a ClusterIP was DNAT'd to, the
 * entry in the detail pane).
 */
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>
#include <string.h>

#include "flows-internal.h"

void knet_flow_tuple_of_ct(const struct knet_ct_entry *e,
			   const struct knet_ct_tuple *ct,
			   struct knet_tuple *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->family = e->family;
	ret->proto = e->proto;
	memcpy(ret->src, ct->src, sizeof(ret->src));
	memcpy(ret->dst, ct->dst, sizeof(ret->dst));
	if (e->proto == IPPROTO_ICMP || e->proto == IPPROTO_ICMPV6) {
		ret->sport = ret->dport = ct->icmp_id;
	} else {
		ret->sport = ct->sport;
		ret->dport = ct->dport;
	}
}

static void note(struct knet_flow *f, const struct knet_ct_entry *e)
{
	struct knet_flow_ct *c = &f->ct;

	/*
	 * Several nodes' notes on one flow (client and backend captured on
	 * two nodes): the node that DNAT'd it says where it went; the
	 * backend's node only saw it forwarded.  That one does not erase it.
	 */
	if ((f->flags & KNET_FLOW_F_NAT) && c->valid &&
	    !(knet_ct_nat(e) & KNET_CT_NAT_DNAT))
		return;
	c->valid = true;
	c->counters = e->has & KNET_CT_HAS_COUNTERS;
	c->state = e->state;
	c->status = e->status;
	c->timeout = e->timeout;
	c->id = e->id;
	knet_flow_tuple_of_ct(e, &e->orig, &c->orig);
	knet_flow_tuple_of_ct(e, &e->reply, &c->reply);
	c->orig_packets = e->orig_packets;
	c->orig_bytes = e->orig_bytes;
	c->reply_packets = e->reply_packets;
	c->reply_bytes = e->reply_bytes;
	if (knet_ct_nat(e) & KNET_CT_NAT_DNAT)
		f->flags |= KNET_FLOW_F_NAT;
}

static enum knet_flow_state state_of(const struct knet_ct_entry *e)
{
	if (e->proto != IPPROTO_TCP || !(e->has & KNET_CT_HAS_STATE))
		return KNET_FLOW_NONE;
	switch (e->state) {
	case TCP_CONNTRACK_SYN_SENT:
	case TCP_CONNTRACK_SYN_SENT2:
		return KNET_FLOW_SYN_SENT;
	case TCP_CONNTRACK_SYN_RECV:
		return KNET_FLOW_SYN_RECV;
	case TCP_CONNTRACK_ESTABLISHED:
		return KNET_FLOW_ESTABLISHED;
	case TCP_CONNTRACK_FIN_WAIT:
	case TCP_CONNTRACK_CLOSE_WAIT:
	case TCP_CONNTRACK_LAST_ACK:
		return KNET_FLOW_FIN_WAIT;
	case TCP_CONNTRACK_TIME_WAIT:
		return KNET_FLOW_CLOSED;
	case TCP_CONNTRACK_CLOSE:
		/* CLOSE straight from SYN_SENT is the answer RST. */
		return (e->status & IPS_SEEN_REPLY) ? KNET_FLOW_CLOSED
						    : KNET_FLOW_RESET;
	default:
		return KNET_FLOW_NONE;
	}
}

/* The counters are the kernel's, so the rates come from their growth. */
static void source(struct knet_flows *t, struct knet_flow *f,
		   const struct knet_ct_entry *e, long long now_ms)
{
	uint64_t before = f->bytes[0] + f->bytes[1];
	uint64_t pbefore = f->packets[0] + f->packets[1];
	uint64_t after, pafter;

	f->state = state_of(e);
	if (f->state == KNET_FLOW_RESET)
		f->flags |= KNET_FLOW_F_RST;
	f->gen = t->generation;
	if (!(e->has & KNET_CT_HAS_COUNTERS))
		return;
	f->packets[0] = e->orig_packets;
	f->packets[1] = e->reply_packets;
	f->bytes[0] = e->orig_bytes;
	f->bytes[1] = e->reply_bytes;
	after = f->bytes[0] + f->bytes[1];
	pafter = f->packets[0] + f->packets[1];
	if (after != before || pafter != pbefore) {
		f->last_ms = now_ms;
		if (after >= before && pafter >= pbefore)
			flows_rate_add(f, now_ms, after - before,
				       pafter - pbefore);
	}
}

/* The flow of @k, made (seen from @now_ms on) when missing and @make. */
static struct knet_flow *flow_of(struct knet_flows *t,
				 const struct knet_tuple *k, bool make,
				 long long now_ms)
{
	uint32_t hash = flows_hash(t, k);
	int d;
	struct knet_flow *f = flows_find(t, k, hash, &d);

	if (f || !make)
		return f;
	f = flows_add(t, k, hash, now_ms);
	/* Unknown start: the entry was there before we looked. */
	if (f)
		f->rate_sec = now_ms / 1000;
	return f;
}

/*
 * A note on the flows of both tuples: a capture of the client sees the
 * original one, a capture of the backend the reply one (reversed), and
 * a capture of both (several targets) sees both flows.
 */
static struct knet_flow *note_flows(struct knet_flows *t,
				    const struct knet_ct_entry *e,
				    long long now_ms, enum knet_flows_ct how)
{
	struct knet_tuple k, r;
	struct knet_flow *fo, *fr;

	knet_flow_tuple_of_ct(e, &e->orig, &k);
	knet_flow_tuple_of_ct(e, &e->reply, &r);
	fo = flow_of(t, &k, false, now_ms);
	fr = flow_of(t, &r, false, now_ms);
	if (!fo && !fr && how == KNET_FLOWS_CT_NOTE)
		return NULL;
	if (!fo &&
	    (how == KNET_FLOWS_CT_NOTE_ORIG || how == KNET_FLOWS_CT_NOTE_BOTH))
		fo = flow_of(t, &k, true, now_ms);
	if (!fr && (how == KNET_FLOWS_CT_NOTE_REPLY ||
		    how == KNET_FLOWS_CT_NOTE_BOTH)) {
		struct knet_tuple rev = r;

		memcpy(rev.src, r.dst, sizeof(rev.src));
		memcpy(rev.dst, r.src, sizeof(rev.dst));
		rev.sport = r.dport;
		rev.dport = r.sport;
		fr = flow_of(t, &rev, true, now_ms);
	}
	if (fo)
		note(fo, e);
	if (fr && fr != fo)
		note(fr, e);
	return fo ? fo : fr;
}

const struct knet_flow *knet_flows_conntrack(struct knet_flows *t,
					     const struct knet_ct_entry *e,
					     long long now_ms,
					     enum knet_flows_ct how)
{
	struct knet_tuple k;
	struct knet_flow *f;

	if (how != KNET_FLOWS_CT_SOURCE)
		return note_flows(t, e, now_ms, how);
	knet_flow_tuple_of_ct(e, &e->orig, &k);
	f = flow_of(t, &k, true, now_ms);
	if (!f)
		return NULL;
	note(f, e);
	flows_touch(t, f);
	source(t, f, e, now_ms);
	if (e->proto == IPPROTO_UDP && knet_ct_unreplied(e))
		f->dns_query_ms = 0; /* the timed flag applies */
	return f;
}

uint64_t knet_flows_generation(struct knet_flows *t)
{
	return ++t->generation;
}

void knet_flows_sweep(struct knet_flows *t, uint64_t generation)
{
	for (uint32_t i = t->head; i;) {
		struct knet_flow *f = flows_at(t, i);

		i = f->next;
		if (f->gen != generation)
			flows_remove(t, f);
	}
}

const struct knet_flow *knet_flows_mirror(struct knet_flows *t,
					  const struct knet_flow *in,
					  uint64_t generation)
{
	uint32_t hash = flows_hash(t, &in->t);
	struct knet_flow *f;
	uint32_t keep[9];
	uint64_t id;
	int d;

	f = flows_find(t, &in->t, hash, &d);
	if (f && d == 1) {
		/* The other side started it after all: make it again. */
		flows_remove(t, f);
		f = NULL;
	}
	if (!f)
		f = flows_add(t, &in->t, hash, in->first_ms);
	if (!f)
		return NULL;
	keep[0] = f->hash;
	keep[1] = f->hnext;
	keep[2] = f->prev;
	keep[3] = f->next;
	keep[4] = f->self;
	keep[5] = f->store_head;
	keep[6] = f->store_tail;
	keep[7] = f->nstored;
	keep[8] = f->nunstored;
	id = f->id;
	*f = *in;
	f->hash = keep[0];
	f->hnext = keep[1];
	f->prev = keep[2];
	f->next = keep[3];
	f->self = keep[4];
	f->store_head = keep[5];
	f->store_tail = keep[6];
	f->nstored = keep[7];
	f->nunstored = keep[8];
	f->id = id;
	f->live = true;
	f->gen = generation;
	flows_touch(t, f);
	return f;
}
