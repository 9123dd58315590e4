/* SPDX-License-Identifier: MIT */
/*
 * One captured packet into its flow: counters, rates, TCP as seen,
 * retransmissions, DNS questions left unanswered, ICMP errors tied to
 * the flow they quote; what is kept of it is store.c's.
 */
#include <netinet/in.h>
#include <string.h>

#include "flows-internal.h"

static uint32_t sat32(uint64_t v)
{
	return v > 0xffffffffu ? 0xffffffffu : (uint32_t)v;
}

void flows_rate_add(struct knet_flow *f, long long now_ms, uint64_t bytes,
		    uint64_t packets)
{
	long long sec = now_ms / 1000;
	int slot;

	if (sec > f->rate_sec) {
		/* Clear the seconds nothing came in (at most all of them). */
		long long gap = sec - f->rate_sec;

		for (long long s = 1; s <= gap && s <= KNET_FLOW_RATE_SECS;
		     s++) {
			slot = (int)((f->rate_sec + s) % KNET_FLOW_RATE_SECS);
			f->rate_bytes[slot] = f->rate_pkts[slot] = 0;
		}
		f->rate_sec = sec;
	} else if (sec <= f->rate_sec - KNET_FLOW_RATE_SECS) {
		return; /* older than the history (a reordered file) */
	}
	slot = (int)(sec % KNET_FLOW_RATE_SECS);
	f->rate_bytes[slot] = sat32(f->rate_bytes[slot] + bytes);
	f->rate_pkts[slot] = sat32(f->rate_pkts[slot] + packets);
}

/* a - b in sequence space (RFC 1982 style). */
static int32_t seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

static void tcp(struct knet_flow *f, int d, const struct knet_headers *h)
{
	uint8_t fl = h->tcp_flags;
	uint32_t len =
		h->payload_len + !!(fl & KNET_TCP_SYN) + !!(fl & KNET_TCP_FIN);
	uint32_t end = h->seq + len;
	uint8_t bit = (uint8_t)(1u << d);

	if (fl & KNET_TCP_SYN) {
		if ((f->syn_seen & bit) && h->seq == f->syn_seq[d]) {
			f->retrans++;
			f->flags |= KNET_FLOW_F_RETRANS;
		}
		f->syn_seen |= bit;
		f->syn_seq[d] = h->seq;
	} else if (len && (f->seq_seen & bit) &&
		   seq_diff(end, f->seq_end[d]) <= 0) {
		/* Keep-alives (one byte just below the edge) are not. */
		if (!(h->payload_len <= 1 && end == f->seq_end[d]))
			f->retrans++, f->flags |= KNET_FLOW_F_RETRANS;
	}
	if (!(f->seq_seen & bit) || seq_diff(end, f->seq_end[d]) > 0)
		f->seq_end[d] = end;
	f->seq_seen |= bit;

	if (fl & KNET_TCP_RST) {
		f->state = KNET_FLOW_RESET;
		f->flags |= KNET_FLOW_F_RST;
		return;
	}
	if (f->state == KNET_FLOW_RESET)
		return; /* a reused tuple is a new SYN, below */
	if (fl & KNET_TCP_FIN) {
		f->fin_seen |= bit;
		f->state = f->fin_seen == 3 ? KNET_FLOW_CLOSED
					    : KNET_FLOW_FIN_WAIT;
		return;
	}
	if ((fl & (KNET_TCP_SYN | KNET_TCP_ACK)) == KNET_TCP_SYN) {
		if (f->state == KNET_FLOW_NONE)
			f->state = KNET_FLOW_SYN_SENT;
		return;
	}
	if (fl & KNET_TCP_SYN) { /* SYN-ACK */
		if (f->state <= KNET_FLOW_SYN_SENT)
			f->state = KNET_FLOW_SYN_RECV;
		return;
	}
	if (f->state == KNET_FLOW_SYN_RECV && d == 0)
		f->state = KNET_FLOW_ESTABLISHED;
	/* Picked up mid-stream: both ways seen is established enough. */
	if (f->state == KNET_FLOW_NONE && f->packets[0] && f->packets[1])
		f->state = KNET_FLOW_ESTABLISHED;
}

static void dns(struct knet_flow *f, long long now_ms,
		const struct knet_headers *h)
{
	if (!h->dns_response) {
		if (!f->dns_pending)
			f->dns_query_ms = now_ms;
		f->dns_pending++;
		return;
	}
	if (f->dns_pending)
		f->dns_pending--;
	/* The next unanswered one went no earlier than now: reset. */
	f->dns_query_ms = now_ms;
}

/*
 * Which way a new flow points: the SYN sender started it; a SYN-ACK
 * seen first means its receiver did.
 */
static void initiator(const struct knet_headers *h, struct knet_tuple *ret)
{
	*ret = h->t;
	if (h->t.proto == IPPROTO_TCP &&
	    (h->tcp_flags & (KNET_TCP_SYN | KNET_TCP_ACK)) ==
		    (KNET_TCP_SYN | KNET_TCP_ACK)) {
		memcpy(ret->src, h->t.dst, sizeof(ret->src));
		memcpy(ret->dst, h->t.src, sizeof(ret->dst));
		ret->sport = h->t.dport;
		ret->dport = h->t.sport;
	}
}

static struct knet_flow *lookup(struct knet_flows *t,
				const struct knet_tuple *k, long long now_ms,
				bool create, int *ret_dir)
{
	uint32_t hash = flows_hash(t, k);
	struct knet_flow *f = flows_find(t, k, hash, ret_dir);

	if (f || !create)
		return f;
	f = flows_add(t, k, hash, now_ms);
	*ret_dir = 0;
	return f;
}

/* An ICMP error: to the flow it quotes (made if unknown: it matters). */
static struct knet_flow *icmp_error(struct knet_flows *t,
				    const struct knet_headers *h,
				    long long now_ms)
{
	int d;
	struct knet_flow *f = lookup(t, &h->quoted, now_ms, true, &d);

	if (!f)
		return NULL;
	f->icmp_errors++;
	f->icmp_type = h->icmp_type;
	f->icmp_code = h->icmp_code;
	f->flags |= h->icmp_frag_needed ? KNET_FLOW_F_FRAG_NEEDED
					: KNET_FLOW_F_UNREACHABLE;
	if (h->icmp_frag_needed)
		f->mtu = h->icmp_mtu;
	return f;
}

const struct knet_flow *knet_flows_packet(struct knet_flows *t,
					  const struct knet_headers *h,
					  long long ts_us, int linktype,
					  const uint8_t *data, uint32_t caplen)
{
	long long now_ms = ts_us / 1000;
	struct knet_tuple k;
	struct knet_flow *f;
	int d;

	t->packets++;
	t->bytes += h->wire_len;
	if (h->icmp_error) {
		f = icmp_error(t, h, now_ms);
		if (f) {
			flows_touch(t, f);
			f->last_ms = now_ms;
			flows_keep(t, f, ts_us, linktype, data, caplen,
				   h->wire_len);
		}
		return f;
	}
	f = lookup(t, &h->t, now_ms, false, &d);
	if (!f) {
		initiator(h, &k);
		f = lookup(t, &k, now_ms, true, &d);
		if (!f)
			return NULL;
		d = memcmp(k.src, h->t.src, sizeof(k.src)) ||
		    k.sport != h->t.sport;
	}
	/* A new SYN on a reset or closed tuple starts the flow again. */
	if (h->t.proto == IPPROTO_TCP && d == 0 &&
	    (h->tcp_flags & (KNET_TCP_SYN | KNET_TCP_ACK)) == KNET_TCP_SYN &&
	    (f->state == KNET_FLOW_RESET || f->state == KNET_FLOW_CLOSED)) {
		f->state = KNET_FLOW_NONE;
		f->syn_seen = f->fin_seen = f->seq_seen = 0;
	}
	flows_touch(t, f);
	f->packets[d]++;
	f->bytes[d] += h->wire_len;
	f->last_ms = now_ms;
	flows_rate_add(f, now_ms, h->wire_len, 1);
	if (h->t.proto == IPPROTO_TCP)
		tcp(f, d, h);
	else if (h->dns)
		dns(f, now_ms, h);
	flows_keep(t, f, ts_us, linktype, data, caplen, h->wire_len);
	return f;
}
