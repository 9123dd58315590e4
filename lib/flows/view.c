/* SPDX-License-Identifier: MIT */
/*
 * Reading the table: flags that depend on time, rates, words for states
 * and flags, endpoints as text, the substring filter, and a sorted
 * snapshot of the flows a screen or a JSON document shows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flows-internal.h"

unsigned int knet_flow_flags(const struct knet_flow *f, long long now_ms)
{
	unsigned int fl = f->flags;
	bool waited = now_ms - f->first_ms >= KNET_FLOW_ANSWER_MS;

	if (f->state == KNET_FLOW_SYN_SENT && waited)
		fl |= KNET_FLOW_F_NO_SYNACK;
	if (f->t.proto == IPPROTO_UDP && waited) {
		bool replied = f->ct.valid ? (f->ct.status & IPS_SEEN_REPLY)
					   : f->packets[1] > 0;

		if (!replied)
			fl |= KNET_FLOW_F_NO_REPLY;
	}
	if (f->dns_pending && now_ms - f->dns_query_ms >= KNET_FLOW_ANSWER_MS)
		fl |= KNET_FLOW_F_DNS_UNANSWERED;
	return fl;
}

uint64_t knet_flow_rate(const struct knet_flow *f, long long now_ms, int secs,
			bool packets)
{
	long long sec = now_ms / 1000;
	uint64_t sum = 0;

	if (secs < 1)
		secs = 1;
	if (secs > KNET_FLOW_RATE_SECS - 1)
		secs = KNET_FLOW_RATE_SECS - 1;
	/* The whole seconds before this one, as far as they are kept. */
	for (long long s = sec - secs; s < sec; s++) {
		int slot;

		if (s > f->rate_sec || s <= f->rate_sec - KNET_FLOW_RATE_SECS)
			continue;
		slot = (int)(s % KNET_FLOW_RATE_SECS);
		sum += packets ? f->rate_pkts[slot] : f->rate_bytes[slot];
	}
	return sum / (uint64_t)secs;
}

const char *knet_flow_state_name(enum knet_flow_state s)
{
	switch (s) {
	case KNET_FLOW_SYN_SENT:
		return "SYN_SENT";
	case KNET_FLOW_SYN_RECV:
		return "SYN_RECV";
	case KNET_FLOW_ESTABLISHED:
		return "ESTABLISHED";
	case KNET_FLOW_FIN_WAIT:
		return "FIN_WAIT";
	case KNET_FLOW_CLOSED:
		return "CLOSED";
	case KNET_FLOW_RESET:
		return "RESET";
	default:
		return "-";
	}
}

static const char *const flag_words[] = {
	"no-synack", "rst",	    "no-reply", "dns-unanswered",
	"unreach",   "frag-needed", "retrans",	"nat",
};

char *knet_flow_flags_text(unsigned int flags, char *buf, size_t size)
{
	size_t used = 0;

	if (!size)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(flag_words) / sizeof(*flag_words); i++) {
		int n;

		if (!(flags & (1u << i)))
			continue;
		n = snprintf(buf + used, size - used, "%s%s", used ? "," : "",
			     flag_words[i]);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
	return buf;
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP;
}

void knet_flow_endpoint(const struct knet_flow *f, bool dst, char *buf,
			size_t size)
{
	char ip[INET6_ADDRSTRLEN];
	const uint8_t *a = dst ? f->t.dst : f->t.src;

	if (!inet_ntop(f->t.family, a, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	if (!has_ports(f->t.proto))
		snprintf(buf, size, "%s", ip);
	else if (f->t.family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", ip,
			 (unsigned)(dst ? f->t.dport : f->t.sport));
	else
		snprintf(buf, size, "%s:%u", ip,
			 (unsigned)(dst ? f->t.dport : f->t.sport));
}

void knet_flow_end_text(const struct knet_flow *f, bool dst, const char *name,
			char *buf, size_t size)
{
	if (!name)
		knet_flow_endpoint(f, dst, buf, size);
	else if (has_ports(f->t.proto))
		snprintf(buf, size, "%s:%u", name,
			 (unsigned)(dst ? f->t.dport : f->t.sport));
	else
		snprintf(buf, size, "%s", name);
}

const char *knet_flow_proto_name(uint8_t proto, char *buf, size_t size)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmp6";
	case IPPROTO_SCTP:
		return "sctp";
	default:
		snprintf(buf, size, "%u", proto);
		return buf;
	}
}

static const char *const sort_names[KNET_FLOW_NSORT] = {
	[KNET_FLOW_SORT_BYTES] = "bytes", [KNET_FLOW_SORT_PACKETS] = "packets",
	[KNET_FLOW_SORT_RATE1] = "rate",  [KNET_FLOW_SORT_RATE10] = "rate10",
	[KNET_FLOW_SORT_SRC] = "src",	  [KNET_FLOW_SORT_DST] = "dst",
	[KNET_FLOW_SORT_PROTO] = "proto", [KNET_FLOW_SORT_STATE] = "state",
	[KNET_FLOW_SORT_FLAGS] = "flags", [KNET_FLOW_SORT_AGE] = "age",
	[KNET_FLOW_SORT_LAST] = "last",
};

const char *knet_flow_sort_name(enum knet_flow_sort s)
{
	return s < KNET_FLOW_NSORT ? sort_names[s] : "?";
}

int knet_flow_sort_parse(const char *name)
{
	for (int i = 0; i < KNET_FLOW_NSORT; i++)
		if (!strcasecmp(name, sort_names[i]))
			return i;
	return -1;
}

bool knet_flow_filter_is_bpf(const char *text)
{
	static const char *const words[] = {
		"host",	   "net",   "port", "portrange", "src",	  "dst",
		"tcp",	   "udp",   "icmp", "icmp6",	 "ip",	  "ip6",
		"arp",	   "ether", "vlan", "not",	 "proto", "less",
		"greater", "sctp",  "igmp", "gateway",	 NULL,
	};
	size_t n;

	while (*text == ' ')
		text++;
	if (*text == '(' || *text == '!')
		return true;
	n = strcspn(text, " ([");
	for (int i = 0; words[i]; i++)
		if (strlen(words[i]) == n && !strncmp(text, words[i], n))
			return true;
	return false;
}

static bool contains(const char *hay, const char *needle)
{
	return hay && strcasestr(hay, needle);
}

bool knet_flow_match_text(const struct knet_flow *f, const char *needle,
			  knet_flow_namer name, void *ud)
{
	char buf[80], pbuf[8], fl[128];

	if (!needle || !*needle)
		return true;
	for (int end = 0; end < 2; end++) {
		knet_flow_endpoint(f, end, buf, sizeof(buf));
		if (contains(buf, needle))
			return true;
		if (name &&
		    contains(name(ud, f->t.family, end ? f->t.dst : f->t.src),
			     needle))
			return true;
	}
	if (name && f->ct.valid &&
	    contains(name(ud, f->ct.reply.family, f->ct.reply.src), needle))
		return true;
	return contains(knet_flow_proto_name(f->t.proto, pbuf, sizeof(pbuf)),
			needle) ||
	       contains(knet_flow_state_name(f->state), needle) ||
	       contains(knet_flow_flags_text(f->flags, fl, sizeof(fl)), needle);
}

/* --- the sorted snapshot --- */

struct sort_ctx {
	enum knet_flow_sort by;
	long long now;
	int sign;
};

/* qsort has no user pointer in C11: one sort at a time per process. */
static struct sort_ctx sorting;

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_end(const struct knet_flow *a, const struct knet_flow *b,
		   bool dst)
{
	int c = (int)a->t.family - (int)b->t.family;

	if (c)
		return c;
	c = memcmp(dst ? a->t.dst : a->t.src, dst ? b->t.dst : b->t.src, 16);
	if (c)
		return c;
	return dst ? (int)a->t.dport - (int)b->t.dport
		   : (int)a->t.sport - (int)b->t.sport;
}

static int cmp_flows(const void *pa, const void *pb)
{
	const struct knet_flow *a = *(const struct knet_flow *const *)pa;
	const struct knet_flow *b = *(const struct knet_flow *const *)pb;
	long long now = sorting.now;
	int c = 0;

	switch (sorting.by) {
	case KNET_FLOW_SORT_BYTES:
		/* Biggest first reads best: negate for the default. */
		c = -cmp_u64(a->bytes[0] + a->bytes[1],
			     b->bytes[0] + b->bytes[1]);
		break;
	case KNET_FLOW_SORT_PACKETS:
		c = -cmp_u64(a->packets[0] + a->packets[1],
			     b->packets[0] + b->packets[1]);
		break;
	case KNET_FLOW_SORT_RATE1:
		c = -cmp_u64(knet_flow_rate(a, now, 1, false),
			     knet_flow_rate(b, now, 1, false));
		break;
	case KNET_FLOW_SORT_RATE10:
		c = -cmp_u64(knet_flow_rate(a, now, 10, false),
			     knet_flow_rate(b, now, 10, false));
		break;
	case KNET_FLOW_SORT_SRC:
		c = cmp_end(a, b, false);
		break;
	case KNET_FLOW_SORT_DST:
		c = cmp_end(a, b, true);
		break;
	case KNET_FLOW_SORT_PROTO:
		c = (int)a->t.proto - (int)b->t.proto;
		break;
	case KNET_FLOW_SORT_STATE:
		c = (int)a->state - (int)b->state;
		break;
	case KNET_FLOW_SORT_FLAGS:
		/* Most problems first. */
		c = -cmp_u64(__builtin_popcount(knet_flow_flags(a, now) &
						KNET_FLOW_F_PROBLEMS),
			     __builtin_popcount(knet_flow_flags(b, now) &
						KNET_FLOW_F_PROBLEMS));
		break;
	case KNET_FLOW_SORT_AGE: /* oldest first */
		c = a->first_ms < b->first_ms ? -1 : a->first_ms > b->first_ms;
		break;
	case KNET_FLOW_SORT_LAST: /* most recent first */
		c = a->last_ms > b->last_ms ? -1 : a->last_ms < b->last_ms;
		break;
	default:
		break;
	}
	if (!c)
		c = cmp_u64(a->id, b->id);
	return c * sorting.sign;
}

int knet_flows_snapshot(struct knet_flows *t, long long now_ms,
			enum knet_flow_sort sort, bool reverse,
			bool (*keep)(const struct knet_flow *f, void *ud),
			void *ud, const struct knet_flow ***ret, size_t *ret_n)
{
	size_t n = 0;

	if (t->snap_size < t->count + 1) {
		const struct knet_flow **s =
			realloc(t->snap, (t->max + 1) * sizeof(*s));

		if (!s)
			return -ENOMEM;
		t->snap = s;
		t->snap_size = t->max + 1;
	}
	for (uint32_t i = t->head; i;) {
		const struct knet_flow *f = flows_at(t, i);

		if (!keep || keep(f, ud))
			t->snap[n++] = f;
		i = f->next;
	}
	sorting.by = sort;
	sorting.now = now_ms;
	sorting.sign = reverse ? -1 : 1;
	qsort(t->snap, n, sizeof(*t->snap), cmp_flows);
	*ret = t->snap;
	*ret_n = n;
	return 0;
}
