/* SPDX-License-Identifier: MIT */
/*
 * The conntrack reader (lib/netlink).
 *
 * Without privileges: the message parser on hand-built netlink buffers
 * (whole, truncated at every length, lengths past the end, missing
 * tuples, wrong sizes), the filter parsers with bad input, the names
 * and formats.
 *
 * As root: a private namespace knet-ct-test-PID (never the root one),
 * filled with conntrack -I, read back and compared with conntrack -L of
 * the same namespace entry for entry; the same filters both ways, with
 * kernel filtering on and off; delete, events, stats, a namespace
 * deleted mid-dump, and EPERM without CAP_NET_ADMIN.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ct-fill.h"
#include "knet/netlink.h"
#include "knet/node.h"
#include "unit.h"

#define CT(t) ((NFNL_SUBSYS_CTNETLINK << 8) | (t))

/* --- hand-built messages --- */

static void put_tuple(struct nlmsghdr *nlh, int type, const char *src,
		      const char *dst, uint16_t sport, uint16_t dport,
		      bool with_ip, bool with_ports)
{
	struct nlattr *t = knet_nla_nest_start(nlh, type), *n;
	uint32_t a;

	if (with_ip) {
		n = knet_nla_nest_start(nlh, CTA_TUPLE_IP);
		inet_pton(AF_INET, src, &a);
		knet_nla_put_u32(nlh, CTA_IP_V4_SRC, a);
		inet_pton(AF_INET, dst, &a);
		knet_nla_put_u32(nlh, CTA_IP_V4_DST, a);
		knet_nla_nest_end(nlh, n);
	}
	n = knet_nla_nest_start(nlh, CTA_TUPLE_PROTO);
	knet_nla_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_TCP);
	if (with_ports) {
		knet_nla_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
		knet_nla_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	}
	knet_nla_nest_end(nlh, n);
	knet_nla_nest_end(nlh, t);
}

enum { M_OK, M_NO_REPLY, M_NO_IP, M_NO_PORTS, M_SHORT_STATUS, M_FAMILY };

/* A DNAT'd TCP entry as the kernel sends it, or broken as @how says. */
static struct nlmsghdr *build(unsigned char *buf, int how)
{
	struct nlmsghdr *nlh = knet_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	struct nlattr *pi, *tcp, *c;

	nlh->nlmsg_type = CT(IPCTNL_MSG_CT_NEW);
	nlh->nlmsg_flags = NLM_F_MULTI;
	g = knet_nlmsg_put_extra(nlh, sizeof(*g));
	g->nfgen_family = how == M_FAMILY ? 7 : AF_INET;
	put_tuple(nlh, CTA_TUPLE_ORIG, "198.18.250.3", "198.18.128.10", 40000,
		  80, how != M_NO_IP, how != M_NO_PORTS);
	if (how != M_NO_REPLY)
		put_tuple(nlh, CTA_TUPLE_REPLY, "198.19.1.9", "198.18.250.3",
			  8080, 40000, true, true);
	if (how == M_SHORT_STATUS)
		knet_nla_put_u16(nlh, CTA_STATUS, 6);
	else
		knet_nla_put_u32(nlh, CTA_STATUS,
				 htonl(IPS_SEEN_REPLY | IPS_ASSURED |
				       IPS_CONFIRMED | IPS_DST_NAT));
	knet_nla_put_u32(nlh, CTA_TIMEOUT, htonl(99));
	knet_nla_put_u32(nlh, CTA_MARK, htonl(7));
	knet_nla_put_u16(nlh, CTA_ZONE, htons(3));
	c = knet_nla_nest_start(nlh, CTA_COUNTERS_ORIG);
	knet_nla_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(5));
	knet_nla_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(500));
	knet_nla_nest_end(nlh, c);
	c = knet_nla_nest_start(nlh, CTA_COUNTERS_REPLY);
	knet_nla_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(4));
	knet_nla_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(4000));
	knet_nla_nest_end(nlh, c);
	pi = knet_nla_nest_start(nlh, CTA_PROTOINFO);
	tcp = knet_nla_nest_start(nlh, CTA_PROTOINFO_TCP);
	knet_nla_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, 3);
	knet_nla_nest_end(nlh, tcp);
	knet_nla_nest_end(nlh, pi);
	/* unknown to knet: skipped */
	knet_nla_put_u32(nlh, CTA_MAX + 5, 1);
	knet_nla_put_u32(nlh, CTA_ID, htonl(12345));
	knet_nla_put_u32(nlh, CTA_USE, htonl(1));
	return nlh;
}

/* Parse @len bytes copied to a buffer of exactly that size (for ASan). */
static int parse_exact(const void *msg, size_t len, struct knet_ct_entry *e)
{
	struct knet_error err = {0};
	void *copy = malloc(len ? len : 1);
	int r;

	memcpy(copy, msg, len);
	r = knet_ct_entry_parse(copy, len, e, &err);
	if (r < 0 && (err.exit != KNET_EXIT_SYSTEM || !err.reason[0]))
		r = -999;
	free(copy);
	return r;
}

static void test_parse(void)
{
	static unsigned char buf[4096];
	struct knet_ct_entry e;
	struct nlmsghdr *nlh = build(buf, M_OK);
	size_t len = nlh->nlmsg_len;
	char s[KNET_CT_ENDPOINT_MAX];
	int bad = 0;

	CHECK_INT(parse_exact(nlh, len, &e), 0);
	CHECK_INT(e.family, AF_INET);
	CHECK_INT(e.proto, IPPROTO_TCP);
	CHECK_STR(knet_ct_state_name(e.proto, e.state), "ESTABLISHED");
	CHECK_INT(e.orig.sport, 40000);
	CHECK_INT(e.reply.sport, 8080);
	CHECK_INT(e.mark, 7);
	CHECK_INT(e.zone, 3);
	CHECK_INT(e.id, 12345);
	CHECK_INT(e.timeout, 99);
	CHECK_INT(e.orig_bytes, 500);
	CHECK_INT(e.reply_packets, 4);
	CHECK(e.has & KNET_CT_HAS_COUNTERS);
	CHECK_INT(knet_ct_nat(&e), KNET_CT_NAT_DNAT);
	CHECK_STR(knet_ct_nat_name(knet_ct_nat(&e)), "DNAT");
	CHECK(!knet_ct_unreplied(&e));
	CHECK(knet_ct_format_dst(&e, &e.orig, s, sizeof(s)) > 0);
	CHECK_STR(s, "198.18.128.10:80");
	CHECK(knet_ct_format_src(&e, &e.reply, s, sizeof(s)) > 0);
	CHECK_STR(s, "198.19.1.9:8080");
	CHECK_INT(knet_ct_format_src(&e, &e.reply, s, 8), -ENOSPC);

	/* Every truncation: nlmsg_len kept (claims more than there is). */
	for (size_t i = 0; i < len; i++)
		if (parse_exact(nlh, i, &e) != -EBADMSG)
			bad++;
	CHECK_INT(bad, 0);
	/* ... and nlmsg_len cut too: whole or rejected, never read past. */
	bad = 0;
	for (size_t i = 0; i < len; i++) {
		int r;

		nlh->nlmsg_len = (uint32_t)i;
		r = parse_exact(nlh, i, &e);
		if (r != 0 && r != -EBADMSG)
			bad++;
	}
	nlh->nlmsg_len = (uint32_t)len;
	CHECK_INT(bad, 0);
	/* The last attribute cut in half (not on a boundary): rejected. */
	nlh->nlmsg_len = (uint32_t)len - 2;
	CHECK_INT(parse_exact(nlh, len - 2, &e), -EBADMSG);
	nlh->nlmsg_len = (uint32_t)len;
	/* An attribute whose length runs past the end. */
	{
		struct nlattr *last = (struct nlattr *)(buf + len - 8);

		CHECK_INT(last->nla_type, CTA_USE);
		last->nla_len = 200;
		CHECK_INT(parse_exact(nlh, len, &e), -EBADMSG);
		last->nla_len = 8;
		CHECK_INT(parse_exact(nlh, len, &e), 0);
		/* ... or below the header size */
		last->nla_len = 2;
		CHECK_INT(parse_exact(nlh, len, &e), -EBADMSG);
		last->nla_len = 8;
	}
	/* A nested attribute (the tuple) claiming more than its parent. */
	{
		struct nlattr *first =
			(struct nlattr *)(buf + NLMSG_HDRLEN +
					  sizeof(struct nfgenmsg));

		CHECK_INT(first->nla_type & NLA_TYPE_MASK, CTA_TUPLE_ORIG);
		first->nla_len = (uint16_t)(first->nla_len + 4);
		CHECK_INT(parse_exact(nlh, len, &e), -EBADMSG);
		first->nla_len = (uint16_t)(first->nla_len - 4);
	}
	nlh = build(buf, M_NO_REPLY);
	CHECK_INT(parse_exact(nlh, nlh->nlmsg_len, &e), -EBADMSG);
	nlh = build(buf, M_NO_IP);
	CHECK_INT(parse_exact(nlh, nlh->nlmsg_len, &e), -EBADMSG);
	nlh = build(buf, M_NO_PORTS);
	CHECK_INT(parse_exact(nlh, nlh->nlmsg_len, &e), -EBADMSG);
	nlh = build(buf, M_SHORT_STATUS);
	CHECK_INT(parse_exact(nlh, nlh->nlmsg_len, &e), -EBADMSG);
	nlh = build(buf, M_FAMILY);
	CHECK_INT(parse_exact(nlh, nlh->nlmsg_len, &e), -EBADMSG);
	/* Wrong message type, and a too-short header. */
	nlh = build(buf, M_OK);
	nlh->nlmsg_type = CT(IPCTNL_MSG_CT_GET_STATS);
	CHECK_INT(parse_exact(nlh, nlh->nlmsg_len, &e), -EBADMSG);
	CHECK_INT(parse_exact(nlh, 3, &e), -EBADMSG);
}

/* --- filter strings --- */

static int fset(struct knet_ct_filter *f, const char *k, const char *v)
{
	struct knet_error err = {0};
	int r = knet_ct_filter_set(f, k, v, &err);

	if (r < 0 &&
	    (r != -EINVAL || err.exit != KNET_EXIT_USAGE || !err.reason[0]))
		return -999;
	return r;
}

static void test_filter_parse(void)
{
	static const char *const bad_ports[] = {
		"",    "0",   "65536", "-1",   "+80",
		" 80", "80 ", "8o",    "0x50", "99999999999999999999",
		NULL};
	static const char *const bad_addrs[] = {"",
						"198.18.0",
						"198.18.0.256",
						"198.18.0.1/33",
						"fd00::1/129",
						"fd00:::1",
						"198.18.0.1/",
						"/24",
						"198.18.0.1/-1",
						"host",
						NULL};
	static const char *const bad_marks[] = {
		"",	 "0x",	     "x10", "0x1/", "/0xff", "0x100000000",
		"1/2/3", "0x11/0x1", "-1",  NULL};
	struct knet_ct_filter f = {0};
	struct knet_error err = {0};

	for (int i = 0; bad_ports[i]; i++)
		CHECK_INT(fset(&f, "dport", bad_ports[i]), -EINVAL);
	CHECK_INT(fset(&f, "dport", NULL), -EINVAL);
	for (int i = 0; bad_addrs[i]; i++)
		CHECK_INT(fset(&f, "src", bad_addrs[i]), -EINVAL);
	for (int i = 0; bad_marks[i]; i++)
		CHECK_INT(fset(&f, "mark", bad_marks[i]), -EINVAL);
	CHECK_INT(fset(&f, "proto", "0"), -EINVAL);
	CHECK_INT(fset(&f, "proto", "256"), -EINVAL);
	CHECK_INT(fset(&f, "proto", "tcpp"), -EINVAL);
	CHECK_INT(fset(&f, "proto", ""), -EINVAL);
	CHECK_INT(fset(&f, "family", "ipv5"), -EINVAL);
	CHECK_INT(fset(&f, "state", "ESTABLISH"), -EINVAL);
	CHECK_INT(fset(&f, "state", ""), -EINVAL);
	CHECK_INT(fset(&f, "status", "ASSURED,,SEEN_REPLY"), -EINVAL);
	CHECK_INT(fset(&f, "status", "ASSURED,"), -EINVAL);
	CHECK_INT(fset(&f, "status", "SEEN_REPLY,UNREPLIED"), -EINVAL);
	CHECK_INT(fset(&f, "status", "UNREPLIED,SEEN_REPLY"), -EINVAL);
	CHECK_INT(fset(&f, "status", "BOGUS"), -EINVAL);
	CHECK_INT(fset(&f, "nat", "xnat"), -EINVAL);
	CHECK_INT(fset(&f, "zone", "65536"), -EINVAL);
	CHECK_INT(fset(&f, "zone", "-0"), -EINVAL);
	CHECK_INT(fset(&f, "colour", "red"), -EINVAL);
	CHECK_INT(f.set, 0);

	CHECK_INT(fset(&f, "proto", "TCP"), 0);
	CHECK_INT(f.proto, IPPROTO_TCP);
	CHECK_INT(fset(&f, "proto", "132"), 0);
	CHECK_INT(f.proto, IPPROTO_SCTP);
	CHECK_INT(fset(&f, "dport", "65535"), 0);
	CHECK_INT(f.dport, 65535);
	CHECK_INT(fset(&f, "src", "198.18.0.0/15"), 0);
	CHECK_INT(f.src.plen, 15);
	CHECK_INT(fset(&f, "mark", "0x10/0xff"), 0);
	CHECK_INT(f.mark, 0x10);
	CHECK_INT(f.mark_mask, 0xff);
	CHECK_INT(fset(&f, "mark", "7"), 0);
	CHECK_INT(f.mark_mask, 0xffffffff);
	CHECK_INT(fset(&f, "status", "unreplied"), 0);
	CHECK_INT(f.status_mask, IPS_SEEN_REPLY);
	CHECK_INT(f.status_value, 0);
	CHECK_INT(fset(&f, "zone", "0"), 0);
	CHECK_INT(fset(&f, "state", "cookie_wait"), 0);
	CHECK_INT(knet_ct_filter_check(&f, &err), 0);
	CHECK_INT(f.state, 2);

	/* Fields that contradict each other (state alone implies TCP). */
	static const char *const conflicts[][4] = {
		{"state", "COOKIE_WAIT", NULL, NULL},
		{"src", "198.18.0.1", "dst", "fd00::1"},
		{"family", "ipv6", "src", "198.18.0.1"},
		{"proto", "icmp", "dport", "53"},
		{"proto", "icmp", "family", "ipv6"},
		{"proto", "udp", "state", "ESTABLISHED"},
	};
	for (size_t i = 0; i < sizeof(conflicts) / sizeof(conflicts[0]); i++) {
		memset(&f, 0, sizeof(f));
		CHECK_INT(fset(&f, conflicts[i][0], conflicts[i][1]), 0);
		if (conflicts[i][2])
			CHECK_INT(fset(&f, conflicts[i][2], conflicts[i][3]),
				  0);
		err.exit = KNET_EXIT_OK;
		CHECK_INT(knet_ct_filter_check(&f, &err), -EINVAL);
		CHECK_INT(err.exit, KNET_EXIT_USAGE);
	}
}

/*
 * Every octet value in every position, against inet_ntop(); and the
 * ends of an entry as knet_ct_format_src/dst write them.
 */
static void test_format_addr(void)
{
	struct knet_ct_entry e = {.family = AF_INET, .proto = IPPROTO_TCP};
	struct knet_ct_ends x;
	char want[INET6_ADDRSTRLEN], got[INET6_ADDRSTRLEN], end[64];
	int bad = 0;

	for (int pos = 0; pos < 4; pos++)
		for (int v = 0; v < 256; v++) {
			unsigned char a[4] = {198, 18, 0, 1};

			a[pos] = (unsigned char)v;
			inet_ntop(AF_INET, a, want, sizeof(want));
			if (knet_ct_format_addr(AF_INET, a, got, sizeof(got)) !=
				    (int)strlen(want) ||
			    strcmp(got, want))
				bad++;
		}
	CHECK_INT(bad, 0);
	memset(e.orig.src, 255, 4);
	e.orig.sport = 65535;
	e.orig.dport = 0;
	e.reply.sport = 9;
	e.reply.dport = 10000;
	knet_ct_format_ends(&e, &x);
	CHECK_STR(x.addr[KNET_CT_ORIG_SRC], "255.255.255.255");
	CHECK_STR(x.end[KNET_CT_ORIG_SRC], "255.255.255.255:65535");
	CHECK_STR(x.end[KNET_CT_ORIG_DST], "0.0.0.0:0");
	CHECK_STR(x.end[KNET_CT_REPLY_SRC], "0.0.0.0:9");
	CHECK_STR(x.end[KNET_CT_REPLY_DST], "0.0.0.0:10000");
	knet_ct_format_src(&e, &e.orig, end, sizeof(end));
	CHECK_STR(end, x.end[KNET_CT_ORIG_SRC]);
	CHECK_INT(x.elen[KNET_CT_ORIG_SRC], (int)strlen(end));
	e.family = AF_INET6;
	memset(e.orig.src, 0, 16);
	e.orig.src[15] = 1;
	knet_ct_format_ends(&e, &x);
	CHECK_STR(x.end[KNET_CT_ORIG_SRC], "[::1]:65535");
	CHECK_INT(knet_ct_format_addr(AF_INET, e.orig.src, got, 8), -ENOSPC);
}

static void test_names(void)
{
	char buf[128];

	CHECK_INT(knet_ct_format_status(IPS_SEEN_REPLY | IPS_ASSURED, buf,
					sizeof(buf)),
		  (int)strlen("SEEN_REPLY,ASSURED"));
	CHECK_STR(buf, "SEEN_REPLY,ASSURED");
	knet_ct_format_status(IPS_CONFIRMED | IPS_DST_NAT_DONE, buf,
			      sizeof(buf));
	CHECK_STR(buf, "UNREPLIED,CONFIRMED,DST_NAT_DONE");
	CHECK_INT(knet_ct_format_status(IPS_CONFIRMED, buf, 10), -ENOSPC);
	knet_ct_format_status(0, buf, sizeof(buf));
	CHECK_STR(buf, "UNREPLIED");
	CHECK_STR(knet_ct_state_name(IPPROTO_TCP, 7), "TIME_WAIT");
	CHECK_STR(knet_ct_state_name(IPPROTO_SCTP, 4), "ESTABLISHED");
	CHECK(knet_ct_state_name(IPPROTO_UDP, 0) == NULL);
	CHECK(knet_ct_state_name(IPPROTO_TCP, 200) == NULL);
	CHECK_STR(knet_ct_proto_name(IPPROTO_ICMPV6), "icmpv6");
	CHECK(knet_ct_proto_name(250) == NULL);
	CHECK_STR(knet_ct_nat_name(KNET_CT_NAT_DNAT | KNET_CT_NAT_SNAT),
		  "DNAT+SNAT");
	CHECK_STR(knet_ct_nat_name(0), "");
	{
		struct knet_ct_entry e = {.family = AF_INET6,
					  .proto = IPPROTO_TCP};

		inet_pton(AF_INET6, "fd00::1", e.orig.src);
		e.orig.sport = 443;
		CHECK(knet_ct_format_src(&e, &e.orig, buf, sizeof(buf)) > 0);
		CHECK_STR(buf, "[fd00::1]:443");
		e.proto = IPPROTO_ICMPV6;
		CHECK(knet_ct_format_src(&e, &e.orig, buf, sizeof(buf)) > 0);
		CHECK_STR(buf, "fd00::1");
	}
}

/* --- against the kernel, in a private namespace --- */

static char ns_name[64];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static void ns_cleanup(void)
{
	if (ns_name[0])
		sh("ip netns del %s 2>/dev/null", ns_name);
	ns_name[0] = '\0';
}

/* Namespaces left by a run that died: their PID is gone. */
static void ns_reap_stale(void)
{
	FILE *p = popen("ip netns list 2>/dev/null", "r");
	char line[256];
	int pid;

	if (!p)
		return;
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "knet-ct-test-%d", &pid) == 1 &&
		    kill(pid, 0) < 0 && errno == ESRCH)
			sh("ip netns del knet-ct-test-%d 2>/dev/null", pid);
	pclose(p);
}

/* Run conntrack(8) in the namespace; its stdout lines into @out. */
static int oracle(const char *args, char lines[][512], int max)
{
	char cmd[512];
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s conntrack %s 2>/dev/null",
		 ns_name, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n < max && fgets(lines[n], 512, p)) {
		lines[n][strcspn(lines[n], "\n")] = '\0';
		n++;
	}
	pclose(p);
	return n;
}

/*
 * conntrack -o extended,id without the fields that tick (timeout) or
 * change behind our back (use): "ipv4 2 tcp 6 ESTABLISHED src=..."
 */
static void canon_oracle(char *line)
{
	char out[512] = "", *save = NULL, *tok;
	int i = 0;

	for (tok = strtok_r(line, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save), i++) {
		if (i == 4 || strncmp(tok, "use=", 4) == 0)
			continue;
		if (out[0])
			strcat(out, " ");
		strcat(out, tok);
	}
	strcpy(line, out);
}

static void tuple_text(const struct knet_ct_entry *e,
		       const struct knet_ct_tuple *t, char *out, size_t len)
{
	char s[64], d[64];

	knet_ct_format_addr(e->family, t->src, s, sizeof(s));
	knet_ct_format_addr(e->family, t->dst, d, sizeof(d));
	if (e->proto == IPPROTO_ICMP || e->proto == IPPROTO_ICMPV6)
		snprintf(out, len, "src=%s dst=%s type=%u code=%u id=%u", s, d,
			 t->icmp_type, t->icmp_code, t->icmp_id);
	else
		snprintf(out, len, "src=%s dst=%s sport=%u dport=%u", s, d,
			 t->sport, t->dport);
}

/* Our entry in the same canonical form. */
static void canon_entry(const struct knet_ct_entry *e, char *out, size_t len)
{
	char o[200], r[200], zone[32] = "";
	const char *state = knet_ct_state_name(e->proto, e->state);

	tuple_text(e, &e->orig, o, sizeof(o));
	tuple_text(e, &e->reply, r, sizeof(r));
	if (e->zone)
		snprintf(zone, sizeof(zone), " zone=%u", e->zone);
	snprintf(out, len, "%s %u %s %u%s%s %s%s %s%s mark=%u%s id=%u",
		 knet_ct_family_name(e->family), e->family,
		 knet_ct_proto_name(e->proto), e->proto,
		 (e->has & KNET_CT_HAS_STATE) && state ? " " : "",
		 (e->has & KNET_CT_HAS_STATE) && state ? state : "", o,
		 knet_ct_unreplied(e) ? " [UNREPLIED]" : "", r,
		 (e->status & IPS_ASSURED) ? " [ASSURED]" : "", e->mark, zone,
		 e->id);
}

#define MAXL 64

struct collect {
	char lines[MAXL][512];
	int n;
	struct knet_ct_entry last;
};

static int collect_cb(const struct knet_ct_entry *e, void *data)
{
	struct collect *c = data;

	if (c->n < MAXL)
		canon_entry(e, c->lines[c->n], sizeof(c->lines[0]));
	c->n++;
	c->last = *e;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Sorted, the two listings must be the same lines. */
static bool same(char a[][512], int na, char b[][512], int nb, const char *what)
{
	qsort(a, (size_t)na, 512, cmp_str);
	qsort(b, (size_t)nb, 512, cmp_str);
	if (na != nb) {
		fprintf(stderr, "%s: %d entries, conntrack(8) %d\n", what, na,
			nb);
		return false;
	}
	for (int i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0) {
			fprintf(stderr,
				"%s:\n  knet:      %s\n  conntrack: %s\n", what,
				a[i], b[i]);
			return false;
		}
	return true;
}

/* knet's dump with filter @kv ("key=value;..."), and conntrack @args. */
static void compare(struct knet_ct *ct, const char *kv, const char *args,
		    int want)
{
	static char want_lines[MAXL][512];
	static struct collect got;
	struct knet_ct_filter f = {0};
	struct knet_error err = {0};
	char spec[256], *save = NULL, *item, cargs[300];
	int n;

	snprintf(spec, sizeof(spec), "%s", kv);
	for (item = strtok_r(spec, ";", &save); item;
	     item = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(item, '=');

		if (eq)
			*eq = '\0';
		CHECK_INT(
			knet_ct_filter_set(&f, item, eq ? eq + 1 : NULL, &err),
			0);
	}
	snprintf(cargs, sizeof(cargs), "-L -o extended,id %s", args);
	n = oracle(cargs, want_lines, MAXL);
	for (int i = 0; i < n; i++)
		canon_oracle(want_lines[i]);
	if (want >= 0 && n != want)
		fprintf(stderr, "conntrack %s: %d entries, expected %d\n",
			cargs, n, want);
	CHECK(want < 0 || n == want);
	got.n = 0;
	CHECK_INT(knet_ct_dump(ct, kv[0] ? &f : NULL, collect_cb, &got, &err),
		  0);
	CHECK(same(got.lines, got.n, want_lines, n, kv));
}

static int fill_conntrack(void)
{
	static const char *const cmds[] = {
		/* plain, marked */
		"-I -p tcp -s 198.18.250.1 -d 198.18.250.2 --sport 1234 "
		"--dport 80 --state ESTABLISHED -t 100 -u SEEN_REPLY,ASSURED "
		"--mark 7 --zone 0",
		/* DNAT-shaped: ClusterIP -> backend */
		"-I -p tcp -s 198.18.250.3 -d 198.18.128.10 --sport 40000 "
		"--dport 80 -r 198.19.1.9 -q 198.18.250.3 --reply-port-src "
		"8080 --reply-port-dst 40000 --state ESTABLISHED -t 100 -u "
		"SEEN_REPLY,ASSURED --mark 0x14",
		/* UDP, unreplied (DNS to a ClusterIP) */
		"-I -p udp -s 198.18.250.1 -d 198.18.128.10 --sport 5353 "
		"--dport 53 -r 198.19.1.53 -q 198.18.250.1 --reply-port-src 53 "
		"--reply-port-dst 5353 -t 100",
		"-I -p icmp -s 198.18.250.1 -d 198.18.250.2 --icmp-type 8 "
		"--icmp-code 0 --icmp-id 77 -t 100",
		"-I -p tcp -s fd00::1 -d fd00::2 --sport 1 --dport 443 "
		"--state SYN_SENT -t 100 --zone 3",
		"-I -p udp -s fd00::1 -d fd00::53 --sport 999 --dport 53 -t "
		"100 "
		"-u SEEN_REPLY",
		"-I -p tcp -s 198.18.250.5 -d 198.18.250.2 --sport 2000 "
		"--dport 80 --state TIME_WAIT -t 100 --zone 3",
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (sh("ip netns exec %s conntrack %s >/dev/null 2>&1", ns_name,
		       cmds[i]) != 0) {
			fprintf(stderr, "conntrack %s: failed\n", cmds[i]);
			return -1;
		}
	return (int)(sizeof(cmds) / sizeof(cmds[0]));
}

static void test_filters(struct knet_ct *ct, const char *mode)
{
	(void)mode;
	compare(ct, "", "", 7);
	compare(ct, "proto=tcp", "-p tcp", 4);
	compare(ct, "proto=tcp;dport=80", "-p tcp --dport 80", 3);
	compare(ct, "proto=udp;sport=5353", "-p udp --sport 5353", 1);
	compare(ct, "src=198.18.250.1", "-s 198.18.250.1", 3);
	compare(ct, "dst=198.18.128.10", "-d 198.18.128.10", 2);
	compare(ct, "family=ipv6", "-f ipv6", 2);
	compare(ct, "family=ipv6;src=fd00::1", "-f ipv6 -s fd00::1", 2);
	compare(ct, "family=ipv6;proto=udp", "-f ipv6 -p udp", 1);
	compare(ct, "mark=7", "--mark 7", 1);
	compare(ct, "mark=0x4/0x4", "--mark 0x4/0x4", 2);
	compare(ct, "zone=3", "--zone 3", 2);
	compare(ct, "zone=0", "--zone 0", 5);
	compare(ct, "status=UNREPLIED", "-u UNREPLIED", 4);
	compare(ct, "status=ASSURED", "-u ASSURED", 2);
	compare(ct, "proto=tcp;state=ESTABLISHED", "-p tcp --state ESTABLISHED",
		2);
	compare(ct, "proto=tcp;state=time_wait;zone=3",
		"-p tcp --state TIME_WAIT --zone 3", 1);
	compare(ct, "proto=tcp;src=198.18.250.0/24;dport=80;status=ASSURED",
		"-p tcp -s 198.18.250.0/24 --dport 80 -u ASSURED", 2);
}

/* NAT in words, from the tuples (conntrack -I sets no NAT bits). */
static void test_nat(struct knet_ct *ct)
{
	struct knet_ct_filter f = {0};
	struct knet_error err = {0};
	struct collect got = {.n = 0};

	knet_ct_filter_set(&f, "nat", NULL, &err);
	CHECK_INT(knet_ct_dump(ct, &f, collect_cb, &got, &err), 0);
	CHECK_INT(got.n, 2);
	memset(&f, 0, sizeof(f));
	knet_ct_filter_set(&f, "nat", "dnat", &err);
	knet_ct_filter_set(&f, "proto", "tcp", &err);
	got.n = 0;
	CHECK_INT(knet_ct_dump(ct, &f, collect_cb, &got, &err), 0);
	CHECK_INT(got.n, 1);
	CHECK_INT(knet_ct_nat(&got.last), KNET_CT_NAT_DNAT);
	CHECK_INT(got.last.reply.sport, 8080);
}

static int stop_cb(const struct knet_ct_entry *e, void *data)
{
	(void)e;
	(*(int *)data)++;
	return 1;
}

static int count_cb(const struct knet_ct_entry *e, void *data)
{
	(void)e;
	(*(long *)data)++;
	return 0;
}

/* conntrack -C: the table's count. */
static long ct_count_oracle(const char *args)
{
	char lines[4][512];
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "-C %s", args);
	if (oracle(cmd, lines, 4) < 1)
		return -1;
	return atol(lines[0]);
}

static void test_stats_delete(struct knet_ct *ct)
{
	struct knet_ct_stats *s = NULL;
	struct knet_ct_filter f = {0};
	struct knet_error err = {0};
	unsigned long deleted = 9;
	int stops = 0;
	long n = 0;

	CHECK_INT(knet_ct_stats_get(ct, &s, &err), 0);
	if (s) {
		CHECK_INT(s->count, ct_count_oracle(""));
		CHECK_INT(s->max, 262144);
		CHECK(s->ncpus >= 1);
		CHECK(s->total.insert >= 7);
	}
	knet_ct_stats_free(s);
	/* A callback that stops: the dump is drained, the socket usable. */
	CHECK_INT(knet_ct_dump(ct, NULL, stop_cb, &stops, &err), 0);
	CHECK_INT(stops, 1);
	/* Delete exactly the UDP entries (2 of 7). */
	knet_ct_filter_set(&f, "proto", "udp", &err);
	CHECK_INT(knet_ct_delete_matching(ct, &f, &deleted, &err), 0);
	CHECK_INT(deleted, 2);
	CHECK_INT(ct_count_oracle(""), 5);
	{
		char l[4][512];

		CHECK_INT(oracle("-L -p udp", l, 4), 0);
	}
	/* Deleting again finds nothing; a gone entry is not an error. */
	CHECK_INT(knet_ct_delete_matching(ct, &f, &deleted, &err), 0);
	CHECK_INT(deleted, 0);
	{
		struct collect got = {.n = 0};
		struct knet_ct_filter g = {0};

		knet_ct_filter_set(&g, "mark", "7", &err);
		CHECK_INT(knet_ct_dump(ct, &g, collect_cb, &got, &err), 0);
		CHECK_INT(got.n, 1);
		CHECK_INT(knet_ct_delete(ct, &got.last, &err), 1);
		CHECK_INT(knet_ct_delete(ct, &got.last, &err), 0);
	}
	CHECK_INT(knet_ct_dump(ct, NULL, count_cb, &n, &err), 0);
	CHECK_INT(n, 4);
	CHECK_INT(ct_count_oracle(""), 4);
}

/*
 * An overrun: a tiny receive buffer and a burst of NEW events.  The loss
 * must come out as a LOST event, with the buffer grown.
 */
static void test_events_lost(int nsfd)
{
	struct knet_netns_saved saved;
	struct knet_ct_events *ev = NULL;
	struct knet_ct_event e;
	struct knet_error err = {0};
	struct knet_nl *nl = NULL;
	int small = 4096, r, lost = 0;

	if (knet_netns_enter(nsfd, &saved, &err) < 0) {
		CHECK(0);
		return;
	}
	r = knet_ct_events_open(NULL, KNET_CT_EVENT_NEW, &ev, &err);
	nl = knet_nl_open(NETLINK_NETFILTER, 0);
	knet_netns_leave(&saved);
	CHECK_INT(r, 0);
	if (r < 0 || !nl)
		goto out;
	setsockopt(knet_ct_events_fd(ev), SOL_SOCKET, SO_RCVBUF, &small,
		   sizeof(small));
	CHECK_INT(ct_fill_tcp(nl, 0xc612fe00, 0xc612fb01, 81, 0, 3000), 3000);
	while ((r = knet_ct_events_next(ev, 2000, &e, &err)) == 1)
		if (e.type == KNET_CT_EVENT_LOST) {
			lost = 1;
			break;
		}
	CHECK_INT(lost, 1);
	CHECK(e.overruns >= 1 && e.resync && e.rcvbuf > small);
out:
	if (nl)
		knet_nl_close(nl);
	knet_ct_events_close(ev);
}

static void test_events(int nsfd)
{
	struct knet_netns_saved saved;
	struct knet_ct_events *ev = NULL;
	struct knet_ct_filter f = {0};
	struct knet_ct_event e;
	struct knet_error err = {0};
	int r, got_new = 0, got_destroy = 0, other = 0;

	knet_ct_filter_set(&f, "dport", "9999", &err);
	if (knet_netns_enter(nsfd, &saved, &err) < 0) {
		CHECK(0);
		return;
	}
	r = knet_ct_events_open(&f, 0, &ev, &err);
	knet_netns_leave(&saved);
	CHECK_INT(r, 0);
	if (r < 0)
		return;
	/* Noise that the filter must drop. */
	sh("ip netns exec %s conntrack -I -p udp -s 198.18.251.1 -d "
	   "198.18.251.2 --sport 1 --dport 2 -t 50 >/dev/null 2>&1",
	   ns_name);
	sh("ip netns exec %s conntrack -I -p udp -s 198.18.251.1 -d "
	   "198.18.251.2 --sport 7777 --dport 9999 -t 50 >/dev/null 2>&1",
	   ns_name);
	sh("ip netns exec %s conntrack -D -p udp -s 198.18.251.1 --dport 9999 "
	   ">/dev/null 2>&1",
	   ns_name);
	while ((r = knet_ct_events_next(ev, 2000, &e, &err)) == 1) {
		if (e.entry.orig.dport != 9999)
			other++;
		else if (e.type == KNET_CT_EVENT_NEW && !got_destroy)
			got_new++;
		else if (e.type == KNET_CT_EVENT_DESTROY && got_new)
			got_destroy++;
		if (got_destroy)
			break;
	}
	CHECK_INT(got_new, 1);
	CHECK_INT(got_destroy, 1);
	CHECK_INT(other, 0);
	CHECK(r >= 0);
	CHECK_INT(knet_ct_events_next(ev, 0, &e, &err), 0);
	knet_ct_events_close(ev);
	test_events_lost(nsfd);
}

/* No CAP_NET_ADMIN: a child that became nobody inside the namespace. */
static void test_eperm(int nsfd)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		struct knet_netns_saved saved;
		struct knet_error err = {0};
		struct knet_ct *ct = NULL;
		int r;

		if (knet_netns_enter(nsfd, &saved, &err) < 0)
			_exit(10);
		if (setgid(65534) || setuid(65534))
			_exit(11);
		r = knet_ct_new(&ct, &err);
		_exit(r == -EPERM && err.exit == KNET_EXIT_SYSTEM &&
				      strstr(err.reason, "CAP_NET_ADMIN")
			      ? 0
			      : 12);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The namespace deleted between request and reading: the dump ends. */
static void test_ns_gone(void)
{
	struct knet_netns_saved saved;
	struct knet_error err = {0};
	struct knet_ct *ct = NULL;
	struct knet_nl *nl;
	char path[128];
	long n = 0;
	int fd = -1;

	snprintf(path, sizeof(path), "/var/run/netns/%s", ns_name);
	if (knet_netns_open(path, &fd, &err) < 0 ||
	    knet_netns_enter(fd, &saved, &err) < 0) {
		CHECK(0);
		return;
	}
	nl = knet_nl_open(NETLINK_NETFILTER, 0);
	if (nl)
		CHECK_INT(ct_fill_tcp(nl, 0xc612fa00, 0xc612fb01, 80, 0, 2000),
			  2000);
	if (nl)
		knet_nl_close(nl);
	CHECK_INT(knet_ct_new(&ct, &err), 0);
	knet_netns_leave(&saved);
	close(fd);
	if (!ct)
		return;
	CHECK_INT(knet_ct_dump_begin(ct, NULL, &err), 0);
	ns_cleanup();
	CHECK_INT(knet_ct_dump_finish(ct, count_cb, &n, &err), 0);
	CHECK(n >= 2000);
	/*
	 * Again and again on the same handle: the reader thread and its
	 * two buffers hand over every batch, each time the same entries.
	 */
	for (int i = 0; i < 20; i++) {
		long again = 0;

		CHECK_INT(knet_ct_dump(ct, NULL, count_cb, &again, &err), 0);
		if (again != n) {
			CHECK_INT(again, n);
			break;
		}
	}
	/*
	 * A child after fork() has the parent's parked reader in its
	 * memory but not the thread: it reads alone, or would hang.
	 */
	{
		pid_t pid = fork();
		int status = 0;

		if (pid == 0) {
			long child = 0;

			alarm(20);
			_exit(knet_ct_dump(ct, NULL, count_cb, &child, &err) ==
						      0 &&
					      child == n
				      ? 0
				      : 1);
		}
		waitpid(pid, &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	knet_ct_free(ct);
}

static void test_kernel(void)
{
	struct knet_netns_saved saved;
	struct knet_error err = {0};
	struct knet_ct *ct = NULL, *ct_user = NULL;
	char path[128];
	int fd = -1, r;

	if (geteuid() != 0 || system("command -v conntrack >/dev/null") != 0 ||
	    access("/proc/sys/net/netfilter/nf_conntrack_max", F_OK) != 0) {
		UNIT_SKIP("test-ctnetlink",
			  "kernel tests need root, conntrack(8), nf_conntrack");
		return;
	}
	ns_reap_stale();
	snprintf(ns_name, sizeof(ns_name), "knet-ct-test-%d", (int)getpid());
	if (sh("ip netns add %s 2>/dev/null", ns_name) != 0) {
		ns_name[0] = '\0';
		UNIT_SKIP("test-ctnetlink", "cannot add a network namespace");
		return;
	}
	atexit(ns_cleanup);
	snprintf(path, sizeof(path), "/var/run/netns/%s", ns_name);
	CHECK_INT(knet_netns_open(path, &fd, &err), 0);
	CHECK_INT(knet_netns_enter(fd, &saved, &err), 0);
	r = knet_ct_new(&ct, &err);
	if (r == 0)
		r = knet_ct_new(&ct_user, &err);
	knet_netns_leave(&saved);
	CHECK_INT(r, 0);
	if (r < 0) {
		fprintf(stderr, "knet_ct_new: %s\n", err.reason);
		goto out;
	}
	/* An empty table dumps as nothing. */
	compare(ct, "", "", 0);
	CHECK_INT(fill_conntrack(), 7);
	knet_ct_set_kernel_filters(ct_user, 0);
	test_filters(ct, "kernel");
	/* Nothing was let through that the kernel should have stopped. */
	CHECK_INT(knet_ct_kernel_filters(ct), KNET_CT_KERNEL_ALL);
	test_filters(ct_user, "user space");
	CHECK_INT(knet_ct_kernel_filters(ct_user), 0);
	test_nat(ct);
	test_stats_delete(ct);
	test_events(fd);
	test_eperm(fd);
	knet_ct_free(ct_user);
	knet_ct_free(ct);
	ct = ct_user = NULL;
	test_ns_gone();
out:
	knet_ct_free(ct_user);
	knet_ct_free(ct);
	if (fd >= 0)
		close(fd);
	ns_cleanup();
}

int main(void)
{
	test_parse();
	test_filter_parse();
	test_names();
	test_format_addr();
	test_kernel();
	return unit_done("test-ctnetlink");
}
