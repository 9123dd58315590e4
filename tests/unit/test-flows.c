/* SPDX-License-Identifier: MIT */
/*
 * The flow table: packets built byte by byte, decoded with
 * knet_decode_headers, fed in; states, counters, flags, rates, ICMP
 * errors tied to their flow, eviction at the cap, sorting, filtering,
 * conntrack as source and as a note.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "knet/flows.h"
#include "unit.h"

#define CLIENT "198.19.1.2"
#define SERVER "198.19.2.3"

struct pkt {
	uint8_t b[256];
	size_t len;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Ethernet + IPv4 header for @l4len bytes of @proto; returns the L4. */
static uint8_t *ip4(struct pkt *p, const char *src, const char *dst,
		    uint8_t proto, size_t l4len)
{
	uint8_t *ip = p->b + 14;

	memset(p, 0, sizeof(*p));
	put16(p->b + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4len));
	ip[8] = 64;
	ip[9] = proto;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	p->len = 14 + 20 + l4len;
	return ip + 20;
}

static void tcp(struct pkt *p, const char *src, int sport, const char *dst,
		int dport, uint8_t flags, uint32_t seq, size_t payload)
{
	uint8_t *t = ip4(p, src, dst, IPPROTO_TCP, 20 + payload);

	put16(t, (uint16_t)sport);
	put16(t + 2, (uint16_t)dport);
	put32(t + 4, seq);
	t[12] = 5 << 4;
	t[13] = flags;
}

static void udp(struct pkt *p, const char *src, int sport, const char *dst,
		int dport, size_t payload, bool dns_response)
{
	uint8_t *u = ip4(p, src, dst, IPPROTO_UDP, 8 + payload);

	put16(u, (uint16_t)sport);
	put16(u + 2, (uint16_t)dport);
	put16(u + 4, (uint16_t)(8 + payload));
	if (payload >= 4) {
		put16(u + 8, 0x1234);
		put16(u + 10, dns_response ? 0x8180 : 0x0100);
	}
}

/* ICMP unreachable (@code) from @from quoting a TCP/UDP packet. */
static void unreach(struct pkt *p, const char *from, const char *to,
		    uint8_t code, uint16_t mtu, const char *qsrc, int qsport,
		    const char *qdst, int qdport, uint8_t qproto)
{
	uint8_t *ic = ip4(p, from, to, IPPROTO_ICMP, 8 + 28);
	uint8_t *q = ic + 8;

	ic[0] = 3;
	ic[1] = code;
	put16(ic + 6, mtu);
	q[0] = 0x45;
	put16(q + 2, 60);
	q[9] = qproto;
	inet_pton(AF_INET, qsrc, q + 12);
	inet_pton(AF_INET, qdst, q + 16);
	put16(q + 20, (uint16_t)qsport);
	put16(q + 22, (uint16_t)qdport);
}

static const struct knet_flow *feed(struct knet_flows *t, const struct pkt *p,
				    long long ms)
{
	struct knet_headers h;

	if (knet_decode_headers(KNET_LINK_ETHERNET, p->b, p->len, p->len, &h) <
	    0) {
		knet_flows_other(t, (uint32_t)p->len);
		return NULL;
	}
	return knet_flows_packet(t, &h, ms * 1000, KNET_LINK_ETHERNET, p->b,
				 (uint32_t)p->len);
}

static struct knet_flows *table(size_t max)
{
	struct knet_flows *t = NULL;
	struct knet_error err = {0};

	CHECK_INT(knet_flows_new(max, &t, &err), 0);
	return t;
}

static void test_handshake(void)
{
	struct knet_flows *t = table(100);
	const struct knet_flow *f;
	struct knet_flows_stats st;
	struct pkt p;
	char buf[64];

	tcp(&p, CLIENT, 40000, SERVER, 80, KNET_TCP_SYN, 100, 0);
	f = feed(t, &p, 1000);
	CHECK(f != NULL);
	CHECK_INT(f->state, KNET_FLOW_SYN_SENT);
	/* Not yet a problem: a SYN gets a second to be answered. */
	CHECK_INT(knet_flow_flags(f, 1500) & KNET_FLOW_F_NO_SYNACK, 0);
	CHECK(knet_flow_flags(f, 2000) & KNET_FLOW_F_NO_SYNACK);
	tcp(&p, SERVER, 80, CLIENT, 40000, KNET_TCP_SYN | KNET_TCP_ACK, 500, 0);
	CHECK(feed(t, &p, 1001) == f);
	CHECK_INT(f->state, KNET_FLOW_SYN_RECV);
	tcp(&p, CLIENT, 40000, SERVER, 80, KNET_TCP_ACK, 101, 0);
	feed(t, &p, 1002);
	CHECK_INT(f->state, KNET_FLOW_ESTABLISHED);
	tcp(&p, CLIENT, 40000, SERVER, 80, KNET_TCP_ACK | KNET_TCP_PSH, 101,
	    100);
	feed(t, &p, 1003);
	tcp(&p, SERVER, 80, CLIENT, 40000, KNET_TCP_ACK | KNET_TCP_PSH, 501,
	    300);
	feed(t, &p, 1004);
	CHECK_INT(f->packets[0], 3);
	CHECK_INT(f->packets[1], 2);
	CHECK_INT(f->bytes[0], 54 * 2 + 154);
	CHECK_INT(f->bytes[1], 54 + 354);
	CHECK_INT(knet_flow_flags(f, 5000), 0);
	CHECK_INT(f->retrans, 0);
	/* The same data again: a retransmission. */
	feed(t, &p, 1005);
	CHECK_INT(f->retrans, 1);
	CHECK(knet_flow_flags(f, 5000) & KNET_FLOW_F_RETRANS);
	tcp(&p, CLIENT, 40000, SERVER, 80, KNET_TCP_FIN | KNET_TCP_ACK, 201, 0);
	feed(t, &p, 1006);
	CHECK_INT(f->state, KNET_FLOW_FIN_WAIT);
	tcp(&p, SERVER, 80, CLIENT, 40000, KNET_TCP_FIN | KNET_TCP_ACK, 801, 0);
	feed(t, &p, 1007);
	CHECK_INT(f->state, KNET_FLOW_CLOSED);
	CHECK_STR(knet_flow_state_name(f->state), "CLOSED");
	knet_flow_endpoint(f, false, buf, sizeof(buf));
	CHECK_STR(buf, CLIENT ":40000");
	knet_flow_endpoint(f, true, buf, sizeof(buf));
	CHECK_STR(buf, SERVER ":80");
	CHECK_INT(f->nkept, KNET_FLOW_KEEP);
	CHECK_INT(f->kept[0].caplen, 54);
	knet_flows_get_stats(t, &st);
	CHECK_INT(st.count, 1);
	CHECK_INT(st.packets, 8);
	knet_flows_free(t);
}

static void test_syn_retrans_and_rst(void)
{
	struct knet_flows *t = table(100);
	const struct knet_flow *f, *g;
	struct pkt p;
	char buf[128];

	/* A blackholed address: the SYN again and again. */
	tcp(&p, CLIENT, 40001, "198.19.99.99", 80, KNET_TCP_SYN, 7, 0);
	f = feed(t, &p, 0);
	feed(t, &p, 1000);
	feed(t, &p, 3000);
	CHECK_INT(f->packets[0], 3);
	CHECK_INT(f->packets[1], 0);
	CHECK_INT(f->retrans, 2);
	CHECK_STR(knet_flow_flags_text(knet_flow_flags(f, 4000), buf,
				       sizeof(buf)),
		  "no-synack,retrans");
	/* No listener: RST, ACK in answer to the SYN. */
	tcp(&p, CLIENT, 40002, SERVER, 9999, KNET_TCP_SYN, 9, 0);
	g = feed(t, &p, 0);
	tcp(&p, SERVER, 9999, CLIENT, 40002, KNET_TCP_RST | KNET_TCP_ACK, 0, 0);
	CHECK(feed(t, &p, 1) == g);
	CHECK_INT(g->state, KNET_FLOW_RESET);
	CHECK_STR(knet_flow_flags_text(knet_flow_flags(g, 9000), buf,
				       sizeof(buf)),
		  "rst");
	/* The tuple used again: a new SYN starts over. */
	tcp(&p, CLIENT, 40002, SERVER, 9999, KNET_TCP_SYN, 1000, 0);
	feed(t, &p, 20);
	CHECK_INT(g->state, KNET_FLOW_SYN_SENT);
	knet_flows_free(t);
}

static void test_synack_first(void)
{
	struct knet_flows *t = table(10);
	const struct knet_flow *f;
	struct pkt p;
	char buf[64];

	/* Capture started mid-handshake: the SYN-ACK's receiver began. */
	tcp(&p, SERVER, 80, CLIENT, 40003, KNET_TCP_SYN | KNET_TCP_ACK, 1, 0);
	f = feed(t, &p, 0);
	knet_flow_endpoint(f, false, buf, sizeof(buf));
	CHECK_STR(buf, CLIENT ":40003");
	CHECK_INT(f->packets[1], 1);
	CHECK_INT(f->packets[0], 0);
	CHECK_INT(f->state, KNET_FLOW_SYN_RECV);
	knet_flows_free(t);
}

static void test_udp_dns(void)
{
	struct knet_flows *t = table(10);
	const struct knet_flow *f, *g;
	struct pkt p;

	udp(&p, CLIENT, 5353, "198.18.128.10", 53, 30, false);
	f = feed(t, &p, 0);
	CHECK(f != NULL);
	CHECK_INT(f->dns_pending, 1);
	CHECK_INT(knet_flow_flags(f, 500), 0);
	CHECK_INT(knet_flow_flags(f, 1000),
		  KNET_FLOW_F_NO_REPLY | KNET_FLOW_F_DNS_UNANSWERED);
	udp(&p, "198.18.128.10", 53, CLIENT, 5353, 60, true);
	feed(t, &p, 1200);
	CHECK_INT(f->dns_pending, 0);
	CHECK_INT(knet_flow_flags(f, 5000), 0);
	/* Plain UDP without an answer. */
	udp(&p, CLIENT, 6000, SERVER, 7, 2, false);
	g = feed(t, &p, 0);
	CHECK_INT(knet_flow_flags(g, 1000), KNET_FLOW_F_NO_REPLY);
	CHECK_INT(g->dns_pending, 0);
	knet_flows_free(t);
}

static void test_icmp_errors(void)
{
	struct knet_flows *t = table(10);
	const struct knet_flow *f, *g;
	struct knet_flows_stats st;
	struct pkt p;

	udp(&p, CLIENT, 6001, SERVER, 9, 2, false);
	f = feed(t, &p, 0);
	unreach(&p, SERVER, CLIENT, 3, 0, CLIENT, 6001, SERVER, 9, 17);
	CHECK(feed(t, &p, 1) == f);
	CHECK(f->flags & KNET_FLOW_F_UNREACHABLE);
	CHECK_INT(f->icmp_errors, 1);
	CHECK_INT(f->icmp_code, 3);
	/* The error is not a packet of the flow. */
	CHECK_INT(f->packets[1], 0);
	/* Frag-needed from a router, with the MTU. */
	tcp(&p, CLIENT, 40010, SERVER, 80, KNET_TCP_ACK, 1, 1400);
	g = feed(t, &p, 0);
	unreach(&p, "198.19.1.1", CLIENT, 4, 1400, CLIENT, 40010, SERVER, 80,
		6);
	CHECK(feed(t, &p, 2) == g);
	CHECK(g->flags & KNET_FLOW_F_FRAG_NEEDED);
	CHECK_INT(g->mtu, 1400);
	/* An error quoting a flow never seen makes that flow. */
	unreach(&p, SERVER, CLIENT, 1, 0, CLIENT, 1, "198.19.9.9", 2, 17);
	CHECK(feed(t, &p, 3) != NULL);
	knet_flows_get_stats(t, &st);
	CHECK_INT(st.count, 3);
	knet_flows_free(t);
}

static void test_eviction(void)
{
	struct knet_flows *t = table(3);
	const struct knet_flow *a, *f;
	struct knet_flows_stats st;
	struct pkt p;

	tcp(&p, CLIENT, 1, SERVER, 80, KNET_TCP_SYN, 1, 0);
	a = feed(t, &p, 0);
	tcp(&p, CLIENT, 2, SERVER, 80, KNET_TCP_SYN, 1, 0);
	feed(t, &p, 1);
	tcp(&p, CLIENT, 3, SERVER, 80, KNET_TCP_SYN, 1, 0);
	feed(t, &p, 2);
	/* Port 1 seen again: port 2 is now the least recently seen. */
	tcp(&p, CLIENT, 1, SERVER, 80, KNET_TCP_ACK, 2, 0);
	CHECK(feed(t, &p, 3) == a);
	tcp(&p, CLIENT, 4, SERVER, 80, KNET_TCP_SYN, 1, 0);
	f = feed(t, &p, 4);
	knet_flows_get_stats(t, &st);
	CHECK_INT(st.count, 3);
	CHECK_INT(st.evicted, 1);
	CHECK_INT(st.created, 4);
	CHECK_INT(f->t.sport, 4);
	/* Port 2 is gone: it comes back as a new flow, evicting port 3. */
	tcp(&p, CLIENT, 2, SERVER, 80, KNET_TCP_ACK, 5, 0);
	f = feed(t, &p, 5);
	CHECK_INT(f->packets[0], 1);
	knet_flows_get_stats(t, &st);
	CHECK_INT(st.evicted, 2);
	CHECK_INT(a->t.sport, 1); /* still there */
	CHECK_INT(a->packets[0], 2);
	knet_flows_free(t);
}

/* Many flows through a small cap: the table never grows past it. */
static void test_churn(void)
{
	struct knet_flows *t = table(1000);
	struct knet_flows_stats st;
	const struct knet_flow **v;
	size_t n;
	struct pkt p;
	char src[32];

	for (int i = 0; i < 20000; i++) {
		snprintf(src, sizeof(src), "198.18.%d.%d", (i >> 8) & 255,
			 i & 255);
		udp(&p, src, 1000 + i % 7, SERVER, 53, 4, false);
		feed(t, &p, i);
	}
	knet_flows_get_stats(t, &st);
	CHECK_INT(st.count, 1000);
	CHECK_INT(st.evicted, 19000);
	CHECK_INT(st.packets, 20000);
	CHECK_INT(knet_flows_snapshot(t, 30000, KNET_FLOW_SORT_AGE, false, NULL,
				      NULL, &v, &n),
		  0);
	CHECK_INT(n, 1000);
	/* The survivors are the last 1000, oldest first. */
	CHECK_INT(v[0]->first_ms, 19000);
	CHECK_INT(v[999]->first_ms, 19999);
	knet_flows_free(t);
}

static int count_stored(const struct knet_flow_packet *p, void *ud)
{
	long long *last = ud;

	CHECK(p->ts_us > last[1]); /* oldest first */
	CHECK_INT(p->linktype, KNET_LINK_ETHERNET);
	CHECK(p->caplen <= KNET_FLOW_STORE_BYTES);
	last[1] = p->ts_us;
	last[0]++;
	return 0;
}

/* Every packet of a flow is kept, up to the per-flow and table caps. */
static void test_store(void)
{
	struct knet_flows *t = table(4);
	const struct knet_flow *a, *b;
	struct knet_flows_stats st;
	long long got[2] = {0, -1};
	struct pkt p;

	for (int i = 0; i < 50; i++) {
		tcp(&p, CLIENT, 1, SERVER, 80, KNET_TCP_ACK, 1 + i, 10);
		a = feed(t, &p, i);
	}
	CHECK_INT(a->nkept, KNET_FLOW_KEEP);
	CHECK_INT(a->nstored, 50);
	CHECK_INT(a->nunstored, 0);
	CHECK_INT(knet_flows_stored(t, a, count_stored, got), 0);
	CHECK_INT(got[0], 50);
	/* A per-flow cap of 10: the rest is counted, not kept. */
	knet_flows_set_store(t, 10, 1 << 20);
	for (int i = 0; i < 30; i++) {
		tcp(&p, CLIENT, 2, SERVER, 80, KNET_TCP_ACK, 1 + i, 10);
		b = feed(t, &p, 100 + i);
	}
	CHECK_INT(b->nstored, 10);
	CHECK_INT(b->nunstored, 20);
	knet_flows_get_stats(t, &st);
	CHECK_INT(st.stored, 60);
	CHECK_INT(st.unstored, 20);
	CHECK_INT(st.store_per_flow, 10);
	/* Evicted flows give their packets back: the store stays small. */
	for (int i = 0; i < 5000; i++) {
		char src[32];

		snprintf(src, sizeof(src), "198.18.%d.%d", (i >> 8) & 255,
			 i & 255);
		udp(&p, src, 1000, SERVER, 53, 4, false);
		feed(t, &p, 200 + i);
	}
	knet_flows_get_stats(t, &st);
	CHECK_INT(st.count, 4);
	CHECK_INT(st.stored, 4);
	CHECK(st.store_bytes <= (size_t)1 << 20);
	knet_flows_free(t);

	/* A table cap of one chunk: flows past it keep nothing. */
	t = table(100000);
	knet_flows_set_store(t, 3000, 1);
	for (int i = 0; i < 10000; i++) {
		tcp(&p, CLIENT, 3, SERVER, 80, KNET_TCP_ACK, 1 + i, 10);
		a = feed(t, &p, i);
	}
	knet_flows_get_stats(t, &st);
	CHECK_INT(a->nstored, 3000);
	CHECK_INT(a->nunstored, 7000);
	CHECK(st.store_bytes > 0 && st.store_bytes < (size_t)1 << 20);
	for (int i = 0; i < 10000; i++) {
		tcp(&p, CLIENT, 4, SERVER, 80, KNET_TCP_ACK, 1 + i, 10);
		b = feed(t, &p, 20000 + i);
	}
	/* 4095 slots in the one chunk: 1095 were left for the second. */
	CHECK_INT(b->nstored, 1095);
	CHECK_INT(b->nunstored, 10000 - b->nstored);
	knet_flows_free(t);
}

static bool only_tcp(const struct knet_flow *f, void *ud)
{
	(void)ud;
	return f->t.proto == IPPROTO_TCP;
}

static const char *namer(void *ud, uint8_t family, const uint8_t *addr)
{
	char ip[INET6_ADDRSTRLEN];

	(void)ud;
	inet_ntop(family, addr, ip, sizeof(ip));
	return !strcmp(ip, SERVER) ? "web/web-b" : NULL;
}

static void test_sort_filter(void)
{
	struct knet_flows *t = table(10);
	const struct knet_flow **v;
	size_t n;
	struct pkt p;

	tcp(&p, CLIENT, 1, SERVER, 80, KNET_TCP_ACK, 1, 10);
	feed(t, &p, 0);
	tcp(&p, CLIENT, 2, "198.19.3.4", 80, KNET_TCP_ACK, 1, 500);
	feed(t, &p, 100);
	udp(&p, CLIENT, 3, SERVER, 7, 1000, false);
	feed(t, &p, 200);
	knet_flows_snapshot(t, 300, KNET_FLOW_SORT_BYTES, false, NULL, NULL, &v,
			    &n);
	CHECK_INT(n, 3);
	CHECK_INT(v[0]->t.sport, 3);
	CHECK_INT(v[2]->t.sport, 1);
	knet_flows_snapshot(t, 300, KNET_FLOW_SORT_BYTES, true, NULL, NULL, &v,
			    &n);
	CHECK_INT(v[0]->t.sport, 1);
	knet_flows_snapshot(t, 300, KNET_FLOW_SORT_PROTO, false, only_tcp, NULL,
			    &v, &n);
	CHECK_INT(n, 2);
	knet_flows_snapshot(t, 300, KNET_FLOW_SORT_DST, false, NULL, NULL, &v,
			    &n);
	/* 198.19.2.3:7 < 198.19.2.3:80 < 198.19.3.4:80 */
	CHECK_INT(v[0]->t.sport, 3);
	CHECK_INT(v[1]->t.sport, 1);
	CHECK_INT(v[2]->t.sport, 2);
	CHECK(knet_flow_match_text(v[1], "WEB-B", namer, NULL));
	CHECK(knet_flow_match_text(v[1], "198.19.2.3:80", namer, NULL));
	CHECK(!knet_flow_match_text(v[2], "web-b", namer, NULL));
	CHECK(knet_flow_match_text(v[1], "tcp", NULL, NULL));
	CHECK(!knet_flow_match_text(v[0], "tcp", NULL, NULL));
	CHECK(knet_flow_filter_is_bpf("tcp port 80"));
	CHECK(knet_flow_filter_is_bpf("  host 198.19.1.2"));
	CHECK(knet_flow_filter_is_bpf("(udp)"));
	CHECK(knet_flow_filter_is_bpf("not arp"));
	CHECK(!knet_flow_filter_is_bpf("web-b"));
	CHECK(!knet_flow_filter_is_bpf("hostname"));
	CHECK(!knet_flow_filter_is_bpf(":8080"));
	CHECK_INT(knet_flow_sort_parse("rate10"), KNET_FLOW_SORT_RATE10);
	CHECK_INT(knet_flow_sort_parse("nope"), -1);
	CHECK_STR(knet_flow_sort_name(KNET_FLOW_SORT_LAST), "last");
	knet_flows_free(t);
}

static void test_rates(void)
{
	struct knet_flows *t = table(10);
	const struct knet_flow *f = NULL;
	struct pkt p;

	/* 10 packets of 100 bytes each second for 12 seconds. */
	udp(&p, CLIENT, 1, SERVER, 7, 100 - 42, false);
	for (int s = 0; s < 12; s++)
		for (int i = 0; i < 10; i++)
			f = feed(t, &p, s * 1000 + i * 10);
	CHECK_INT(knet_flow_rate(f, 12000, 1, false), 1000);
	CHECK_INT(knet_flow_rate(f, 12000, 1, true), 10);
	CHECK_INT(knet_flow_rate(f, 12000, 10, false), 1000);
	/* Three quiet seconds later. */
	CHECK_INT(knet_flow_rate(f, 15000, 1, false), 0);
	CHECK_INT(knet_flow_rate(f, 15000, 10, false), 700);
	CHECK_INT(knet_flow_rate(f, 60000, 10, false), 0);
	knet_flows_reset_counters(t);
	CHECK_INT(f->packets[0], 0);
	CHECK_INT(knet_flow_rate(f, 12000, 1, false), 0);
	knet_flows_free(t);
}

static void test_conntrack(void)
{
	struct knet_flows *t = table(10);
	struct knet_ct_entry e;
	const struct knet_flow *f, *g;
	uint64_t gen;
	struct pkt p;

	/* The client's flow to the ClusterIP, DNAT'd to a backend. */
	tcp(&p, CLIENT, 40000, "198.18.128.50", 80, KNET_TCP_SYN, 1, 0);
	f = feed(t, &p, 0);
	memset(&e, 0, sizeof(e));
	e.family = AF_INET;
	e.proto = IPPROTO_TCP;
	e.has = KNET_CT_HAS_STATE | KNET_CT_HAS_STATUS;
	e.state = 3; /* ESTABLISHED */
	e.status = IPS_SEEN_REPLY | IPS_CONFIRMED;
	inet_pton(AF_INET, CLIENT, e.orig.src);
	inet_pton(AF_INET, "198.18.128.50", e.orig.dst);
	e.orig.sport = 40000;
	e.orig.dport = 80;
	inet_pton(AF_INET, SERVER, e.reply.src);
	inet_pton(AF_INET, CLIENT, e.reply.dst);
	e.reply.sport = 8080;
	e.reply.dport = 40000;
	CHECK(knet_flows_conntrack(t, &e, 10, KNET_FLOWS_CT_NOTE) == f);
	CHECK(f->ct.valid);
	CHECK(f->flags & KNET_FLOW_F_NAT);
	CHECK_INT(f->ct.reply.sport, 8080);
	/* An entry of no captured flow only annotates: nothing made. */
	e.orig.sport = 1;
	CHECK(knet_flows_conntrack(t, &e, 10, KNET_FLOWS_CT_NOTE) == NULL);
	/* As the source: flows of their own with the kernel's counters. */
	gen = knet_flows_generation(t);
	e.has |= KNET_CT_HAS_COUNTERS;
	e.orig_packets = 5;
	e.orig_bytes = 500;
	e.reply_packets = 4;
	e.reply_bytes = 4000;
	g = knet_flows_conntrack(t, &e, 1000, KNET_FLOWS_CT_SOURCE);
	CHECK(g != NULL && g != f);
	CHECK_INT(g->packets[0], 5);
	CHECK_INT(g->bytes[1], 4000);
	CHECK_INT(g->state, KNET_FLOW_ESTABLISHED);
	knet_flows_sweep(t, gen);
	{
		struct knet_flows_stats st;

		knet_flows_get_stats(t, &st);
		CHECK_INT(st.count, 1); /* the captured flow was not dumped */
	}
	knet_flows_free(t);

	/* The event read before the packet: the flow is made from it. */
	t = table(10);
	e.orig.sport = 40100;
	f = knet_flows_conntrack(t, &e, 10, KNET_FLOWS_CT_NOTE_ORIG);
	CHECK(f != NULL && f->t.sport == 40100 && f->t.dport == 80);
	tcp(&p, CLIENT, 40100, "198.18.128.50", 80, KNET_TCP_SYN, 1, 0);
	CHECK(feed(t, &p, 11) == f);
	CHECK_INT(f->packets[0], 1);
	knet_flows_free(t);
	/* The backend's side: the reply tuple reversed. */
	t = table(10);
	g = knet_flows_conntrack(t, &e, 10, KNET_FLOWS_CT_NOTE_REPLY);
	CHECK(g != NULL);
	CHECK_INT(g->t.sport, 40000);
	CHECK_INT(g->t.dport, 8080);
	knet_flows_free(t);
	/* Client and backend both captured: both flows, both noted. */
	t = table(10);
	f = knet_flows_conntrack(t, &e, 10, KNET_FLOWS_CT_NOTE_BOTH);
	CHECK(f != NULL && f->t.sport == 40100 && f->t.dport == 80);
	tcp(&p, CLIENT, 40000, SERVER, 8080, KNET_TCP_SYN, 1, 0);
	g = feed(t, &p, 11);
	CHECK(g != f && g->ct.valid && (g->flags & KNET_FLOW_F_NAT));
	CHECK_INT(g->ct.orig.dport, 80);
	/* The backend's node saw it only forwarded: its entry (no DNAT)
	 * does not erase where the flow was sent. */
	{
		struct knet_ct_entry fw = e;

		memcpy(fw.orig.dst, e.reply.src, sizeof(fw.orig.dst));
		fw.orig.sport = 40000;
		fw.orig.dport = 8080;
		CHECK(knet_flows_conntrack(t, &fw, 12, KNET_FLOWS_CT_NOTE) ==
		      g);
		CHECK_INT(g->ct.orig.dport, 80);
	}
	knet_flows_free(t);
}

static void test_mirror(void)
{
	struct knet_flows *t = table(10), *m = table(10);
	const struct knet_flow *f, *g, **v;
	struct knet_flows_stats st;
	uint64_t gen;
	size_t n;
	struct pkt p;

	tcp(&p, CLIENT, 1, SERVER, 80, KNET_TCP_SYN, 1, 0);
	f = feed(t, &p, 0);
	tcp(&p, CLIENT, 2, SERVER, 80, KNET_TCP_SYN, 1, 0);
	feed(t, &p, 0);
	gen = knet_flows_generation(m);
	knet_flows_snapshot(t, 10, KNET_FLOW_SORT_AGE, false, NULL, NULL, &v,
			    &n);
	for (size_t i = 0; i < n; i++)
		knet_flows_mirror(m, v[i], gen);
	knet_flows_sweep(m, gen);
	knet_flows_get_stats(m, &st);
	CHECK_INT(st.count, 2);
	/* Next snapshot: only port 1, grown. */
	tcp(&p, SERVER, 80, CLIENT, 1, KNET_TCP_SYN | KNET_TCP_ACK, 9, 0);
	feed(t, &p, 5);
	gen = knet_flows_generation(m);
	g = knet_flows_mirror(m, f, gen);
	knet_flows_sweep(m, gen);
	knet_flows_get_stats(m, &st);
	CHECK_INT(st.count, 1);
	CHECK_INT(g->packets[1], 1);
	CHECK_INT(g->state, KNET_FLOW_SYN_RECV);
	knet_flows_free(t);
	knet_flows_free(m);
}

/* Every prefix of a packet decodes without reading past it (ASan). */
static void test_headers_truncated(void)
{
	struct pkt p;
	struct knet_headers h;

	unreach(&p, SERVER, CLIENT, 4, 1400, CLIENT, 1, SERVER, 2, 6);
	for (size_t n = 0; n <= p.len; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		memcpy(copy, p.b, n);
		(void)knet_decode_headers(KNET_LINK_ETHERNET, copy, n, n, &h);
		free(copy);
	}
	CHECK_INT(
		knet_decode_headers(KNET_LINK_ETHERNET, p.b, p.len, p.len, &h),
		0);
	CHECK(h.icmp_error);
	CHECK(h.icmp_frag_needed);
	CHECK_INT(h.icmp_mtu, 1400);
	CHECK_INT(h.quoted.dport, 2);
	CHECK_INT(knet_decode_headers(KNET_LINK_ETHERNET, p.b, 13, 13, &h),
		  -EBADMSG);
	p.b[12] = 0x08;
	p.b[13] = 0x06; /* ARP */
	CHECK_INT(
		knet_decode_headers(KNET_LINK_ETHERNET, p.b, p.len, p.len, &h),
		-ENOENT);
}

/* Ethernet (+ a VLAN tag) + IPv6 (+ a hop-by-hop header) for @l4len. */
static uint8_t *ip6(struct pkt *p, const char *src, const char *dst,
		    uint8_t proto, size_t l4len, bool vlan, bool hbh)
{
	size_t off = vlan ? 18 : 14, ext = hbh ? 8 : 0;
	uint8_t *ip = p->b + off;

	memset(p, 0, sizeof(*p));
	if (vlan) {
		put16(p->b + 12, 0x8100);
		put16(p->b + 14, 42);
		put16(p->b + 16, 0x86dd);
	} else {
		put16(p->b + 12, 0x86dd);
	}
	ip[0] = 0x60;
	put16(ip + 4, (uint16_t)(l4len + ext));
	ip[6] = hbh ? 0 : proto;
	ip[7] = 64;
	inet_pton(AF_INET6, src, ip + 8);
	inet_pton(AF_INET6, dst, ip + 24);
	if (hbh)
		ip[40] = proto; /* next header; length 0: 8 bytes */
	p->len = off + 40 + ext + l4len;
	return ip + 40 + ext;
}

static void test_ipv6_vlan_fragments(void)
{
	struct knet_flows *t = table(10);
	const struct knet_flow *f, *g;
	struct knet_headers h;
	struct pkt p;
	uint8_t *l4;
	char buf[80];

	l4 = ip6(&p, "fd00::1", "fd00::2", IPPROTO_TCP, 20, true, true);
	put16(l4, 40000);
	put16(l4 + 2, 443);
	l4[12] = 5 << 4;
	l4[13] = KNET_TCP_SYN;
	f = feed(t, &p, 0);
	CHECK(f != NULL);
	knet_flow_endpoint(f, false, buf, sizeof(buf));
	CHECK_STR(buf, "[fd00::1]:40000");
	l4 = ip6(&p, "fd00::2", "fd00::1", IPPROTO_TCP, 20, false, false);
	put16(l4, 443);
	put16(l4 + 2, 40000);
	l4[12] = 5 << 4;
	l4[13] = KNET_TCP_SYN | KNET_TCP_ACK;
	CHECK(feed(t, &p, 1) == f);
	CHECK_INT(f->state, KNET_FLOW_SYN_RECV);
	/* ICMPv6 packet too big quoting the first direction. */
	l4 = ip6(&p, "fd00::9", "fd00::1", IPPROTO_ICMPV6, 8 + 44, false,
		 false);
	l4[0] = 2;
	put32(l4 + 4, 1280);
	l4[8] = 0x60;
	put16(l4 + 12, 20);
	l4[14] = IPPROTO_TCP;
	inet_pton(AF_INET6, "fd00::1", l4 + 16);
	inet_pton(AF_INET6, "fd00::2", l4 + 32);
	put16(l4 + 48, 40000);
	put16(l4 + 50, 443);
	for (size_t n = 0; n <= p.len; n++) { /* every prefix, under ASan */
		uint8_t *copy = malloc(n ? n : 1);

		memcpy(copy, p.b, n);
		(void)knet_decode_headers(KNET_LINK_ETHERNET, copy, n, n, &h);
		free(copy);
	}
	g = feed(t, &p, 2);
	CHECK(g == f);
	CHECK(f->flags & KNET_FLOW_F_FRAG_NEEDED);
	CHECK_INT(f->mtu, 1280);
	/* A later IPv4 fragment has no ports: counted, no flow. */
	udp(&p, CLIENT, 1, SERVER, 2, 8, false);
	put16(p.b + 14 + 6, 185); /* offset 185 * 8 */
	CHECK_INT(
		knet_decode_headers(KNET_LINK_ETHERNET, p.b, p.len, p.len, &h),
		-EAGAIN);
	/* Raw IP (no link header) and Linux cooked v1. */
	udp(&p, CLIENT, 5, SERVER, 6, 4, false);
	CHECK_INT(knet_decode_headers(KNET_LINK_RAW, p.b + 14, p.len - 14,
				      p.len - 14, &h),
		  0);
	CHECK_INT(h.t.sport, 5);
	{
		uint8_t sll[256] = {0};

		memcpy(sll + 16, p.b + 14, p.len - 14);
		put16(sll + 14, 0x0800);
		CHECK_INT(knet_decode_headers(KNET_LINK_LINUX_SLL, sll,
					      p.len + 2, p.len + 2, &h),
			  0);
		CHECK_INT(h.t.dport, 6);
	}
	/* Ethernet padding is not payload: the IP length says. */
	udp(&p, CLIENT, 7, SERVER, 8, 2, false);
	p.len = 60;
	CHECK_INT(
		knet_decode_headers(KNET_LINK_ETHERNET, p.b, p.len, p.len, &h),
		0);
	CHECK_INT(h.payload_len, 2);
	CHECK_INT(h.wire_len, 60);
	knet_flows_free(t);
}

static void test_bad_cap(void)
{
	struct knet_flows *t = NULL;
	struct knet_error err = {0};

	CHECK_INT(knet_flows_new(0, &t, &err), -EINVAL);
	CHECK_INT(err.exit, KNET_EXIT_USAGE);
	CHECK_INT(knet_flows_new(KNET_FLOWS_MAX_LIMIT + 1, &t, &err), -EINVAL);
	CHECK(t == NULL);
}

int main(void)
{
	test_handshake();
	test_syn_retrans_and_rst();
	test_synack_first();
	test_udp_dns();
	test_icmp_errors();
	test_eviction();
	test_churn();
	test_store();
	test_sort_filter();
	test_rates();
	test_conntrack();
	test_mirror();
	test_headers_truncated();
	test_ipv6_vlan_fragments();
	test_bad_cap();
	return unit_done("test-flows");
}
