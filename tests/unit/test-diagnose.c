/* SPDX-License-Identifier: MIT */
/*
 * knet diagnose's verdict, case by case: which layer explains each
 * combination of layer results, the contradiction of a denying policy
 * on a connection that succeeded, and the capture's classes.
 */
#include <signal.h>
#include <string.h>

#include "knet/analysis.h"
#include "unit.h"

/* Layer statuses as one letter each, in layer order: O K W F S(kip). */
struct vcase {
	const char *what;
	const char *st; /* 8 letters: O ok, W warn, F fail, - skip */
	bool deny;
	bool mtu;
	enum knet_ping_status reach;
	enum knet_diag_packets pkt;
	const char *layer; /* expected, NULL: no problem */
	bool contradiction;
	const char *next_has;
};

static const struct vcase vcases[] = {
	{"healthy", "O-OOO-O-", false, false, KNET_PING_REPLY, 0, NULL, false,
	 NULL},
	{"healthy with warnings", "OWOWO-W-", false, false, KNET_PING_REPLY, 0,
	 NULL, false, NULL},
	{"FROM missing", "F-------", false, false, 0, 0, "resolve", false,
	 "pods"},
	{"dns first", "OFOOF-OF", false, false, KNET_PING_TIMEOUT,
	 KNET_DIAG_PKT_DNS_NO_ANSWER, "dns", false, "knet dns web.web"},
	{"selector typo", "O-OFF-O-", false, false, KNET_PING_REFUSED, 0,
	 "service", false, "svc trace web"},
	{"policy enforced", "O-FOFFO-", true, false, KNET_PING_TIMEOUT, 0,
	 "policy", false, "policy check"},
	{"policy not enforced", "O-FOO-O-", true, false, KNET_PING_REPLY, 0,
	 "policy", true, "policy check"},
	{"policy beats service", "O-FFF-O-", true, false, KNET_PING_REFUSED, 0,
	 "policy", false, NULL},
	{"nothing listens", "O-OOF-OF", false, false, KNET_PING_REFUSED,
	 KNET_DIAG_PKT_RST, "reachability", false, "svc trace"},
	{"refused, svc trace warned", "O-OWF-OF", false, false,
	 KNET_PING_REFUSED, KNET_DIAG_PKT_RST, "service", false,
	 "svc trace web"},
	{"mtu black hole", "O-OOFOOF", false, true, KNET_PING_REPLY,
	 KNET_DIAG_PKT_NO_ANSWER, "reachability", false, "--df"},
	{"admin prohibited", "O-OOFFOF", false, false, KNET_PING_TIMEOUT,
	 KNET_DIAG_PKT_PROHIBITED, "packets", false, "capture"},
	{"frag needed", "O-OOFOOF", false, false, KNET_PING_TOO_BIG,
	 KNET_DIAG_PKT_FRAG_NEEDED, "packets", false, "capture"},
	{"silent drop: path", "O-OOFFOF", false, false, KNET_PING_TIMEOUT,
	 KNET_DIAG_PKT_NO_ANSWER, "path", false, "traceroute"},
	{"silent drop, no capture", "O-OOFF--", false, false, KNET_PING_TIMEOUT,
	 0, "path", false, "traceroute"},
	{"conntrack explains a timeout", "O-OOFOF-", false, false,
	 KNET_PING_TIMEOUT, 0, "conntrack", false, "conntrack"},
	{"only the silence", "O-OOFOOF", false, false, KNET_PING_TIMEOUT,
	 KNET_DIAG_PKT_NO_ANSWER, "packets", false, "capture"},
	{"nothing else", "O-OOFO--", false, false, KNET_PING_TIMEOUT, 0,
	 "reachability", false, "knet ping"},
	{"stale entry, reached", "O-OOO-F-", false, false, KNET_PING_REPLY, 0,
	 "conntrack", false, "--stale"},
};

static enum knet_diag_status letter(char c)
{
	return c == 'O'	  ? KNET_DIAG_OK
	       : c == 'W' ? KNET_DIAG_WARN
	       : c == 'F' ? KNET_DIAG_FAIL
			  : KNET_DIAG_SKIP;
}

static void test_verdicts(void)
{
	for (size_t i = 0; i < sizeof(vcases) / sizeof(*vcases); i++) {
		const struct vcase *c = &vcases[i];
		struct knet_diag_in in = {
			.from = "client/client",
			.to = "svc/web:80",
			.svc = "web/web",
			.name = "web.web",
			.policy_denies = c->deny,
			.mtu_black_hole = c->mtu,
			.reach = c->reach,
			.packets = c->pkt,
		};
		struct knet_diag_verdict v;

		for (int l = 0; l < KNET_DIAG_NLAYERS; l++) {
			in.r[l].status = letter(c->st[l]);
			strcpy(in.r[l].evidence, knet_diag_layer_name(l));
		}
		knet_diag_verdict(&in, &v);
		if (!c->layer) {
			CHECK(!v.problem);
			CHECK_INT(v.layer, -1);
		} else {
			CHECK(v.problem);
			CHECK_STR(knet_diag_layer_name(v.layer), c->layer);
			if (v.layer < 0 ||
			    strcmp(knet_diag_layer_name(v.layer), c->layer))
				fprintf(stderr, "  case: %s\n", c->what);
		}
		CHECK_INT(v.contradiction, c->contradiction);
		if (c->next_has)
			CHECK(strstr(v.next, c->next_has) != NULL);
	}
}

static void test_refused_pod(void)
{
	struct knet_diag_in in = {
		.from = "dclient",
		.to = "web-1:9000",
		.to_pod = "web/web-1",
		.reach = KNET_PING_REFUSED,
	};
	struct knet_diag_verdict v;

	in.r[KNET_DIAG_REACH].status = KNET_DIAG_FAIL;
	knet_diag_verdict(&in, &v);
	CHECK_STR(knet_diag_layer_name(v.layer), "reachability");
	CHECK_STR(v.next, "knet -n web exec web-1 -- ss -ltnu");
}

static void test_contradiction_text(void)
{
	struct knet_diag_in in = {.from = "a", .to = "b:80"};
	struct knet_diag_verdict v;

	in.policy_denies = true;
	in.r[KNET_DIAG_REACH].status = KNET_DIAG_OK;
	strcpy(in.r[KNET_DIAG_POLICY].evidence, "denied by secure/deny");
	knet_diag_verdict(&in, &v);
	CHECK(strstr(v.reason, "does not enforce NetworkPolicy") != NULL);
	CHECK(strstr(v.reason, "secure/deny") != NULL);
	CHECK_STR(v.next, "knet policy check a b:80");
}

static void pkt(struct knet_decoded *d, const char *proto, const char *src,
		int sport, const char *dst, int dport, const char *flags,
		const char *text)
{
	memset(d, 0, sizeof(*d));
	d->family = 2;
	d->proto = proto;
	strcpy(d->src, src);
	strcpy(d->dst, dst);
	d->sport = sport;
	d->dport = dport;
	strcpy(d->tcp_flags, flags);
	strcpy(d->text, text);
}

static void test_packets(void)
{
	static struct knet_decoded d[4];
	const char *a = "198.19.1.5", *b = "198.18.128.20";

	CHECK_INT(knet_diag_packets_classify(d, 0, a, b, 80),
		  KNET_DIAG_PKT_NONE);
	pkt(&d[0], "tcp", a, 40000, b, 80, "S", "TCP S");
	CHECK_INT(knet_diag_packets_classify(d, 1, a, b, 80),
		  KNET_DIAG_PKT_NO_ANSWER);
	pkt(&d[1], "tcp", b, 80, a, 40000, "R.", "TCP R.");
	CHECK_INT(knet_diag_packets_classify(d, 2, a, b, 80),
		  KNET_DIAG_PKT_RST);
	pkt(&d[1], "tcp", b, 80, a, 40000, "S.", "TCP S.");
	CHECK_INT(knet_diag_packets_classify(d, 2, a, b, 80),
		  KNET_DIAG_PKT_ANSWERED);
	/* Another port's answer is not this flow's. */
	CHECK_INT(knet_diag_packets_classify(d, 2, a, b, 81),
		  KNET_DIAG_PKT_NONE);
	pkt(&d[1], "icmp", "198.19.1.1", -1, a, -1, "",
	    "ICMP host 198.18.128.20 unreachable - administratively "
	    "prohibited (quoted: TCP 198.19.1.5.40000 > 198.18.128.20.80)");
	CHECK_INT(knet_diag_packets_classify(d, 2, a, b, 80),
		  KNET_DIAG_PKT_PROHIBITED);
	pkt(&d[2], "icmp", "198.19.1.1", -1, a, -1, "",
	    "ICMP need to frag, mtu 1400 (quoted: proto 198.19.1.5 > "
	    "198.18.128.20 1)");
	CHECK_INT(knet_diag_packets_classify(d, 3, a, b, 80),
		  KNET_DIAG_PKT_FRAG_NEEDED);
	/* An error about another flow (a probe to a backend) is not ours. */
	pkt(&d[2], "icmp", "198.19.1.1", -1, a, -1, "",
	    "ICMP need to frag, mtu 1400 (quoted: proto 198.19.1.5 > "
	    "198.18.128.200 1)");
	CHECK_INT(knet_diag_packets_classify(d, 3, a, b, 80),
		  KNET_DIAG_PKT_PROHIBITED);
	pkt(&d[0], "icmp", "198.19.1.1", -1, a, -1, "",
	    "ICMP port unreachable (quoted: UDP 198.19.1.5.5353 > "
	    "198.18.128.20.53)");
	CHECK_INT(knet_diag_packets_classify(d, 1, a, b, 53),
		  KNET_DIAG_PKT_UNREACH);
	pkt(&d[0], "udp", a, 5353, b, 53, "", "UDP 53");
	CHECK_INT(knet_diag_packets_classify(d, 1, a, b, 53),
		  KNET_DIAG_PKT_DNS_NO_ANSWER);
	CHECK_STR(knet_diag_packets_name(KNET_DIAG_PKT_DNS_NO_ANSWER),
		  "dns-no-answer");
}

/* The search loop's own exits, without a packet: deadline and stop. */
static void test_lookup_exits(void)
{
	const char servers[1][64] = {"127.0.0.1"};
	struct knet_resolv_conf conf;
	struct knet_dns_plan *plan = NULL;
	struct knet_dns_client *c = NULL;
	struct knet_dns_lookup lk;
	struct knet_dns_ask a = {
		.type = KNET_DNS_A, .timeout_ms = 100, .attempts = 1};
	struct knet_error err = {0};
	volatile sig_atomic_t stop = 0;

	CHECK_INT(knet_resolv_conf_parse("nameserver 127.0.0.1\n"
					 "search a.svc.cluster.local\n",
					 &conf, &err),
		  0);
	CHECK_INT(knet_dns_plan_new(&conf, "web", &plan, &err), 0);
	if (knet_dns_client_new(servers, 1, 0, &c, &err) < 0) {
		UNIT_SKIP("lookup", err.reason);
		knet_dns_plan_free(plan);
		knet_resolv_conf_clear(&conf);
		return;
	}
	/* Past the deadline before the first name: nothing asked. */
	CHECK_INT(
		knet_dns_lookup(c, plan, &conf, &a, NULL, NULL, &stop, 1, &lk),
		0);
	CHECK_INT(lk.asked, 0);
	CHECK(lk.out_of_time);
	CHECK_INT(lk.answered, -1);
	/* Stopped (Ctrl-C): nothing asked either, and not out of time. */
	stop = 1;
	CHECK_INT(
		knet_dns_lookup(c, plan, &conf, &a, NULL, NULL, &stop, 0, &lk),
		0);
	CHECK_INT(lk.asked, 0);
	CHECK(!lk.out_of_time);
	knet_dns_client_free(c);
	knet_dns_plan_free(plan);
	knet_resolv_conf_clear(&conf);
}

static void test_names(void)
{
	for (int l = 0; l < KNET_DIAG_NLAYERS; l++)
		CHECK_INT(knet_diag_layer_parse(knet_diag_layer_name(l)), l);
	CHECK_INT(knet_diag_layer_parse("nope"), -1);
	CHECK(knet_diag_layer_name(KNET_DIAG_NLAYERS) == NULL);
	CHECK_INT(knet_diag_status_parse("WARN"), KNET_DIAG_WARN);
	CHECK_STR(knet_diag_status_name(KNET_DIAG_SKIP), "SKIP");
}

int main(void)
{
	test_verdicts();
	test_contradiction_text();
	test_refused_pod();
	test_packets();
	test_names();
	test_lookup_exits();
	return unit_done("diagnose");
}
