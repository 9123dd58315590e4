/* SPDX-License-Identifier: MIT */
/*
 * knet dns's rules: resolv.conf as glibc reads it, the names its search
 * loop tries and when it stops, the query it sends, the answers it
 * reads (every prefix of a crafted message, from a malloc of that size),
 * what a name means in the cluster and what ndots costs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "knet/analysis.h"
#include "knet/decode.h"
#include "unit.h"

static void test_resolv_conf(void)
{
	struct knet_resolv_conf c;
	struct knet_error err = {0};

	CHECK_INT(knet_resolv_conf_parse(
			  "nameserver 198.18.128.10\n"
			  "search web.svc.cluster.local svc.cluster.local "
			  "cluster.local\n"
			  "options ndots:5\n",
			  &c, &err),
		  0);
	CHECK_INT(c.nns, 1);
	CHECK_STR(c.nameservers[0], "198.18.128.10");
	CHECK_INT(c.search.n, 3);
	CHECK_STR(c.search.v[1], "svc.cluster.local");
	CHECK_INT(c.ndots, 5);
	CHECK_INT(c.timeout, 5);
	CHECK_INT(c.attempts, 2);
	CHECK_STR(knet_resolv_cluster_domain(&c), "cluster.local");
	knet_resolv_conf_clear(&c);

	/* Caps, last search/domain wins, comments, four servers. */
	CHECK_INT(knet_resolv_conf_parse(
			  "# comment\n; another\nsearch a b\n"
			  "domain example.org\n"
			  "nameserver 10.0.0.1\nnameserver 10.0.0.2\n"
			  "nameserver fd00::1\nnameserver 10.0.0.4\n"
			  "options ndots:99 timeout:0 attempts:9 rotate "
			  "no-tld-query use-vc edns0\n"
			  "nameserverx 1.1.1.1\n",
			  &c, &err),
		  0);
	CHECK_INT(c.nns, 3);
	CHECK_INT(c.ignored_ns, 1);
	CHECK_STR(c.nameservers[2], "fd00::1");
	CHECK_INT(c.search.n, 1);
	CHECK_STR(c.search.v[0], "example.org");
	CHECK_INT(c.ndots, 15);
	CHECK_INT(c.timeout, 1);
	CHECK_INT(c.attempts, 5);
	CHECK(c.rotate && c.no_tld_query && c.use_vc);
	CHECK(knet_resolv_cluster_domain(&c) == NULL);
	knet_resolv_conf_clear(&c);

	/*
	 * A nameserver word longer than an address (fuzz-resolv-conf):
	 * skipped, not copied over the fields after nameservers[].
	 */
	CHECK_INT(knet_resolv_conf_parse(
			  "nameserver "
			  "1.1111111111111111111111111111111111111111111111"
			  "11111111111111111111111111111111111111111111111\n"
			  "search a b\nnameserver 10.0.0.1\n",
			  &c, &err),
		  0);
	CHECK_INT(c.nns, 1);
	CHECK_STR(c.nameservers[0], "10.0.0.1");
	CHECK_INT(c.search.n, 2);
	knet_resolv_conf_clear(&c);

	/* Empty: glibc asks the loopback. */
	CHECK_INT(knet_resolv_conf_parse("", &c, &err), 0);
	CHECK(c.default_ns);
	CHECK_STR(c.nameservers[0], "127.0.0.1");
	CHECK_INT(c.ndots, 1);
	knet_resolv_conf_clear(&c);
}

static struct knet_dns_plan *plan(const char *conf, const char *name)
{
	struct knet_resolv_conf c;
	struct knet_error err = {0};
	struct knet_dns_plan *p = NULL;

	if (knet_resolv_conf_parse(conf, &c, &err) == 0)
		knet_dns_plan_new(&c, name, &p, &err);
	knet_resolv_conf_clear(&c);
	return p;
}

#define POD_CONF                                                               \
	"nameserver 198.18.128.10\nsearch client.svc.cluster.local "           \
	"svc.cluster.local cluster.local\noptions ndots:5\n"

static void test_plan(void)
{
	struct knet_dns_plan *p;

	/* Few dots: the search list, then the name itself. */
	p = plan(POD_CONF, "web.web");
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_INT(p->n, 4);
	CHECK_INT(p->dots, 1);
	CHECK_STR(p->names[0], "web.web.client.svc.cluster.local");
	CHECK_STR(p->names[1], "web.web.svc.cluster.local");
	CHECK_STR(p->names[2], "web.web.cluster.local");
	CHECK_STR(p->names[3], "web.web");
	CHECK_INT(p->steps[3], KNET_DNS_AS_IS_LAST);
	CHECK_INT(knet_dns_plan_next(p, 0, KNET_DNS_OUT_NXDOMAIN), 1);
	CHECK_INT(knet_dns_plan_next(p, 0, KNET_DNS_OUT_NODATA), 1);
	CHECK_INT(knet_dns_plan_next(p, 0, KNET_DNS_OUT_SERVFAIL), 1);
	CHECK_INT(knet_dns_plan_next(p, 1, KNET_DNS_OUT_ANSWER), -1);
	/* REFUSED or a timeout: the rest of the list is skipped. */
	CHECK_INT(knet_dns_plan_next(p, 0, KNET_DNS_OUT_REFUSED), 3);
	CHECK_INT(knet_dns_plan_next(p, 0, KNET_DNS_OUT_TIMEOUT), 3);
	CHECK_INT(knet_dns_plan_next(p, 0, KNET_DNS_OUT_CONNREFUSED), -1);
	CHECK_INT(knet_dns_plan_next(p, 2, KNET_DNS_OUT_NXDOMAIN), 3);
	CHECK_INT(knet_dns_plan_next(p, 3, KNET_DNS_OUT_NXDOMAIN), -1);
	{
		int q[4] = {1, 1, 0, 0};

		CHECK_INT(knet_dns_wasted_queries(p, q, 1), 1);
		q[2] = 2;
		q[3] = 1;
		/* nothing answered: all before the name itself */
		CHECK_INT(knet_dns_wasted_queries(p, q, -1), 4);
	}
	knet_dns_plan_free(p);

	/* Enough dots: the name first, then the list. */
	p = plan(POD_CONF, "a.b.c.d.e.f");
	CHECK(p && p->n == 4);
	if (p) {
		CHECK_STR(p->names[0], "a.b.c.d.e.f");
		CHECK_INT(p->steps[0], KNET_DNS_AS_IS_FIRST);
		CHECK_INT(knet_dns_plan_next(p, 0, KNET_DNS_OUT_TIMEOUT), 1);
		CHECK_INT(knet_dns_plan_next(p, 3, KNET_DNS_OUT_NXDOMAIN), -1);
		CHECK_INT(knet_dns_plan_next(p, 1, KNET_DNS_OUT_REFUSED), -1);
	}
	knet_dns_plan_free(p);

	/* A trailing dot: that name only. */
	p = plan(POD_CONF, "web.web.svc.cluster.local.");
	CHECK(p && p->n == 1);
	if (p) {
		CHECK_STR(p->names[0], "web.web.svc.cluster.local");
		CHECK_INT(knet_dns_plan_next(p, 0, KNET_DNS_OUT_NXDOMAIN), -1);
	}
	knet_dns_plan_free(p);

	/* no-tld-query: a single label is never asked alone. */
	p = plan("search a.example\noptions no-tld-query\n", "host");
	CHECK(p && p->n == 1);
	if (p)
		CHECK_STR(p->names[0], "host.a.example");
	knet_dns_plan_free(p);
	p = plan("search a.example\n", "host");
	CHECK(p && p->n == 2);
	knet_dns_plan_free(p);

	/* The root on the list: the name is asked there, not again. */
	p = plan("search . a.example\noptions ndots:2\n", "x.y");
	CHECK(p && p->n == 2);
	if (p) {
		CHECK_STR(p->names[0], "x.y");
		CHECK_STR(p->names[1], "x.y.a.example");
	}
	knet_dns_plan_free(p);

	/* No search list, ndots 1: one try. */
	p = plan("nameserver 10.0.0.1\n", "example.com");
	CHECK(p && p->n == 1 && p->steps[0] == KNET_DNS_AS_IS_FIRST);
	knet_dns_plan_free(p);
	p = plan("nameserver 10.0.0.1\n", "localhost");
	CHECK(p && p->n == 1 && p->steps[0] == KNET_DNS_AS_IS_LAST);
	knet_dns_plan_free(p);
}

/* An answer for web.web.svc.cluster.local: A with a pointer, then SRV. */
static const unsigned char answer[] = {
	0x12, 0x34, 0x85, 0x80, 0, 1, 0, 3, 0, 0, 0, 0,
	/* question at 12 */
	3, 'w', 'e', 'b', 3, 'w', 'e', 'b', 3, 's', 'v', 'c', 7, 'c', 'l', 'u',
	's', 't', 'e', 'r', 5, 'l', 'o', 'c', 'a', 'l', 0, 0, 1, 0, 1,
	/* A, name by pointer to 12 */
	0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 198, 18, 133, 100,
	/* CNAME to web.web... by pointer */
	0xc0, 12, 0, 5, 0, 1, 0, 0, 1, 0, 0, 2, 0xc0, 12,
	/* SRV 10 5 80 target by pointer */
	0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 5, 0, 8, 0, 10, 0, 5, 0, 80, 0xc0, 16};

static void test_messages(void)
{
	struct knet_dns_msg *m = malloc(sizeof(*m));
	unsigned char q[300];
	size_t qlen;
	uint16_t t;

	if (!m)
		return;
	CHECK_INT(knet_dns_query_build(q, sizeof(q), 0x1234,
				       "web.web.svc.cluster.local", 1, &qlen),
		  0);
	CHECK_INT(qlen, 12 + 27 + 4);
	CHECK(memcmp(q + 12, answer + 12, 27 + 4) == 0);
	CHECK(q[0] == 0x12 && q[1] == 0x34 && q[2] == 1 && q[5] == 1);
	/* The trailing dot makes no difference on the wire. */
	CHECK_INT(knet_dns_query_build(q, sizeof(q), 0x1234,
				       "web.web.svc.cluster.local.", 1, &qlen),
		  0);
	CHECK_INT(qlen, 43);
	CHECK_INT(knet_dns_query_build(q, sizeof(q), 1, "a..b", 1, &qlen),
		  -EINVAL);
	CHECK_INT(knet_dns_query_build(q, sizeof(q), 1, "", 1, &qlen), -EINVAL);
	CHECK_INT(knet_dns_query_build(q, sizeof(q), 1, ".", 1, &qlen),
		  -EINVAL);
	CHECK_INT(knet_dns_query_build(q, 20, 1, "web.web", 1, &qlen), -ENOSPC);
	{
		char longl[80];

		memset(longl, 'a', 64);
		longl[64] = '\0';
		CHECK_INT(
			knet_dns_query_build(q, sizeof(q), 1, longl, 1, &qlen),
			-EINVAL);
	}

	CHECK_INT(knet_dns_parse(answer, sizeof(answer), m), 0);
	CHECK_INT(m->id, 0x1234);
	CHECK(m->response && m->aa && m->ra && !m->tc);
	CHECK_INT(m->rcode, 0);
	CHECK_STR(m->qname, "web.web.svc.cluster.local.");
	CHECK_INT(m->qtype, 1);
	CHECK_INT(m->nan, 3);
	CHECK_STR(m->an[0].data, "198.18.133.100");
	CHECK_INT(m->an[0].ttl, 30);
	CHECK_STR(m->an[0].name, "web.web.svc.cluster.local.");
	CHECK_INT(m->an[1].type, KNET_DNS_CNAME);
	CHECK_INT(m->an[1].ttl, 256);
	CHECK_STR(m->an[1].data, "web.web.svc.cluster.local.");
	CHECK_STR(m->an[2].data, "10 5 80 web.svc.cluster.local.");

	/* Every prefix, from a buffer of exactly that size (ASan). */
	for (size_t n = 0; n < sizeof(answer); n++) {
		unsigned char *b = malloc(n ? n : 1);

		if (!b)
			break;
		memcpy(b, answer, n);
		CHECK_INT(knet_dns_parse(b, n, m), -EBADMSG);
		free(b);
	}
	{
		/* A pointer to itself: not followed forever. */
		unsigned char loop[sizeof(answer)];

		memcpy(loop, answer, sizeof(loop));
		loop[43] = 0xc0;
		loop[44] = 43;
		CHECK_INT(knet_dns_parse(loop, sizeof(loop), m), -EBADMSG);
	}
	CHECK_INT(knet_dns_type_parse("aaaa", &t), 0);
	CHECK_INT(t, 28);
	CHECK_INT(knet_dns_type_parse("MX", &t), -EINVAL);
	CHECK_STR(knet_dns_rcode_name(3), "NXDomain");
	free(m);
}

static void test_intent(void)
{
	struct knet_dns_intent in;

	knet_dns_intent_of("web", "client", "cluster.local", &in);
	CHECK_INT(in.kind, KNET_DNS_NAME_SERVICE);
	CHECK_STR(in.fqdn, "web.client.svc.cluster.local");
	CHECK(in.relative && in.labels == 1);
	knet_dns_intent_of("web.web", "client", "cluster.local", &in);
	CHECK_STR(in.fqdn, "web.web.svc.cluster.local");
	knet_dns_intent_of("Web.Web.svc", "client", NULL, &in);
	CHECK_STR(in.fqdn, "web.web.svc.cluster.local");
	knet_dns_intent_of("web.web.svc.cluster.local.", NULL, "cluster.local",
			   &in);
	CHECK_INT(in.kind, KNET_DNS_NAME_SERVICE);
	CHECK(!in.relative);
	knet_dns_intent_of("db.secure", "x", "cluster.local", &in);
	CHECK_STR(in.svc, "db");
	CHECK_STR(in.ns, "secure");
	knet_dns_intent_of("web-0.web-headless.web", "x", "cluster.local", &in);
	CHECK_INT(in.kind, KNET_DNS_NAME_ENDPOINT);
	CHECK_STR(in.host, "web-0");
	CHECK_STR(in.fqdn, "web-0.web-headless.web.svc.cluster.local");
	knet_dns_intent_of("198-19-1-2.web.pod.cluster.local", "x",
			   "cluster.local", &in);
	CHECK_INT(in.kind, KNET_DNS_NAME_POD);
	CHECK_STR(in.pod_ip, "198.19.1.2");
	knet_dns_intent_of("999-19-1-2.web.pod", "x", "cluster.local", &in);
	CHECK_INT(in.kind, KNET_DNS_NAME_OTHER);
	knet_dns_intent_of("a.b.c.d.example.com", "x", "cluster.local", &in);
	CHECK_INT(in.kind, KNET_DNS_NAME_OTHER);
	CHECK_STR(in.fqdn, "");
	knet_dns_intent_of("kubernetes.default.svc.cluster.local", "x",
			   "cluster.local", &in);
	CHECK_STR(in.ns, "default");
}

static void test_addrs(void)
{
	char *a[] = {"198.19.1.2", "198.19.2.2"};
	char *b[] = {"198.19.2.2", "198.19.1.2"};
	char *c[] = {"fd00::5"};
	char *d[] = {"fd00:0::0:5"};

	CHECK(knet_dns_addrs_equal(a, 2, b, 2));
	CHECK(!knet_dns_addrs_equal(a, 2, b, 1));
	CHECK(knet_dns_addrs_equal(c, 1, d, 1));
	CHECK(!knet_dns_addrs_equal(a, 1, c, 1));
	CHECK(knet_dns_addrs_equal(NULL, 0, NULL, 0));
}

int main(void)
{
	test_resolv_conf();
	test_plan();
	test_messages();
	test_intent();
	test_addrs();
	return unit_done("dns");
}
