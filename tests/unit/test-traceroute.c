/* SPDX-License-Identifier: MIT */
/*
 * Traceroute probe scheduling: hops leave in TTL order as the ones
 * before them answer, nothing leaves past the destination, silent hops
 * hold the next one back for the lag only, the window bounds what is in
 * flight, and a round ends when every hop up to the end has answered or
 * waited long enough.
 */
#include <errno.h>
#include <stdlib.h>

#include "../../lib/probe/traceroute-sched.h"
#include "knet/probe.h"
#include "unit.h"

#define HOPS	5
#define QUERIES 3
#define N	(HOPS * QUERIES)

static struct knet_tsched sched(int open, int window)
{
	struct knet_tsched s = {
		.nhops = HOPS,
		.queries = QUERIES,
		.open = open,
		.window = window,
		.lag = 0.02,
		.timeout = 2,
		.grace = 0.005,
	};

	return s;
}

static void reset(struct knet_tsched_probe *p)
{
	for (int i = 0; i < N; i++) {
		p[i].sent = -1;
		p[i].answer = KNET_TSCHED_NONE;
	}
}

/* Send what may leave at @now; how many did. */
static int send_all(const struct knet_tsched *s, struct knet_tsched_probe *p,
		    double now, double *ret_wait)
{
	int n = 0, i;

	while ((i = knet_tsched_next(s, p, now, ret_wait)) >= 0) {
		CHECK(p[i].sent < 0);
		p[i].sent = now;
		n++;
	}
	return n;
}

static void answer_hop(struct knet_tsched_probe *p, int h,
		       enum knet_tsched_answer a)
{
	for (int q = 0; q < QUERIES; q++)
		p[h * QUERIES + q].answer = a;
}

/* Three hops: gateway, node, destination; no probe past it. */
static void test_in_order(void)
{
	struct knet_tsched s = sched(1, 16);
	struct knet_tsched_probe p[N];
	double wait;

	reset(p);
	CHECK_INT(send_all(&s, p, 10.0, &wait), QUERIES); /* hop 0 only */
	CHECK(wait > 0.019 && wait < 0.021);
	CHECK(!knet_tsched_done(&s, p, 10.0, &wait));
	p[0].answer = KNET_TSCHED_PASSED; /* one answer opens the next */
	CHECK_INT(knet_tsched_next(&s, p, 10.0001, &wait), 3);
	CHECK_INT(send_all(&s, p, 10.0001, &wait), QUERIES);
	answer_hop(p, 1, KNET_TSCHED_PASSED);
	CHECK_INT(send_all(&s, p, 10.0002, &wait), QUERIES);
	p[6].answer = KNET_TSCHED_END; /* the destination, at hop 2 */
	CHECK_INT(knet_tsched_end(&s, p), 2);
	CHECK_INT(send_all(&s, p, 10.0003, &wait), 0);
	CHECK(wait > 1e6);
	for (int i = 3 * QUERIES; i < N; i++)
		CHECK(p[i].sent < 0);
	/* Missing answers up to the destination: the grace, not -w. */
	CHECK(!knet_tsched_done(&s, p, 10.0003, &wait));
	CHECK(wait > 0.004 && wait < 0.005);
	CHECK(knet_tsched_done(&s, p, 10.0060, &wait));
	p[1].answer = p[2].answer = KNET_TSCHED_PASSED;
	p[7].answer = p[8].answer = KNET_TSCHED_END;
	CHECK(knet_tsched_done(&s, p, 10.0003, &wait));
}

/* A silent hop lets the next one go after the lag. */
static void test_silent_hop(void)
{
	struct knet_tsched s = sched(1, 16);
	struct knet_tsched_probe p[N];
	double wait;

	reset(p);
	CHECK_INT(send_all(&s, p, 0, &wait), QUERIES);
	CHECK_INT(send_all(&s, p, 0.019, &wait), 0);
	CHECK(wait > 0 && wait < 0.0011);
	CHECK_INT(send_all(&s, p, 0.020, &wait), QUERIES);
	/* Nothing ever answers: every hop, one lag apart, then -w. */
	for (int h = 2; h < HOPS; h++)
		CHECK_INT(send_all(&s, p, 0.020 * h, &wait), QUERIES);
	CHECK_INT(send_all(&s, p, 1, &wait), 0);
	CHECK(!knet_tsched_done(&s, p, 1.9, &wait));
	CHECK(knet_tsched_done(&s, p, 2.081, &wait));
	/* An unreachable from a router ends the path like the target. */
	reset(p);
	send_all(&s, p, 0, &wait);
	p[1].answer = KNET_TSCHED_END;
	CHECK_INT(send_all(&s, p, 1, &wait), 0);
	CHECK_INT(knet_tsched_end(&s, p), 0);
}

/* A known destination: every hop up to it at once, within the window. */
static void test_open_window(void)
{
	struct knet_tsched s = sched(3, 16);
	struct knet_tsched_probe p[N];
	double wait;

	reset(p);
	CHECK_INT(send_all(&s, p, 0, &wait), 3 * QUERIES);
	s = sched(3, 4);
	reset(p);
	CHECK_INT(send_all(&s, p, 0, &wait), 4);
	CHECK(wait > 0.019 && wait < 0.021);
	p[0].answer = KNET_TSCHED_PASSED;
	CHECK_INT(send_all(&s, p, 0.001, &wait), 1);
	/* Out of flight after the lag, answered or not. */
	CHECK_INT(send_all(&s, p, 0.020, &wait), 3);
	/* A probe that could not leave counts as over. */
	reset(p);
	s = sched(1, 16);
	send_all(&s, p, 0, &wait);
	for (int q = 0; q < QUERIES; q++)
		p[q].answer = KNET_TSCHED_FAILED;
	CHECK_INT(send_all(&s, p, 0.001, &wait), 0);
	CHECK_INT(send_all(&s, p, 0.020, &wait), QUERIES);
}

/* One round of @hops hops, 1 query each: rtts[h] < 0 is silence. */
static void round_of(struct knet_trace_result *res,
		     struct knet_trace_probe *probes, int hops,
		     const long long *rtts, bool reached)
{
	static const char *const from[] = {"198.19.1.1", "198.18.0.11",
					   "198.19.2.5", "198.19.2.6"};

	memset(probes, 0, sizeof(*probes) * (size_t)hops);
	for (int h = 0; h < hops; h++) {
		probes[h].rtt_us = rtts[h];
		if (rtts[h] >= 0)
			snprintf(probes[h].from, sizeof(probes[h].from), "%s",
				 from[h]);
		probes[h].note = "";
	}
	probes[hops - 1].reached = reached;
	res->hops = hops;
	res->queries = 1;
	res->first_ttl = 1;
	res->reached = reached;
	res->probes = probes;
}

/* mtr's columns: loss, last, avg, best, worst, stdev per hop. */
static void test_report(void)
{
	struct knet_trace_report *rep = NULL;
	struct knet_trace_probe probes[4];
	struct knet_trace_result res;
	struct knet_hop_summary hs;
	const long long r1[] = {100, -1, -1, -1};
	const long long r2[] = {300, 1000, 2000, -1};
	const long long r3[] = {200, 3000, 4000};

	CHECK_INT(knet_trace_report_new(0, &rep), -EINVAL);
	CHECK_INT(knet_trace_report_new(30, &rep), 0);
	/* nothing past hop 1 answers: rows up to the first silent hop */
	round_of(&res, probes, 4, r1, false);
	knet_trace_report_add(rep, &res);
	CHECK_INT(knet_trace_report_rows(rep), 2);
	CHECK(knet_trace_report_hop(rep, 1, &hs));
	CHECK_INT(hs.sent, 1);
	CHECK_INT(hs.received, 0);
	CHECK(hs.loss_percent == 100.0);
	CHECK_INT(hs.last_us, -1);
	CHECK_INT(hs.naddrs, 0);
	/* further now, still no destination */
	round_of(&res, probes, 4, r2, false);
	knet_trace_report_add(rep, &res);
	CHECK_INT(knet_trace_report_rows(rep), 4);
	/* the destination at hop 3: rows stop there for good */
	round_of(&res, probes, 3, r3, true);
	knet_trace_report_add(rep, &res);
	CHECK_INT(knet_trace_report_rows(rep), 3);
	CHECK(!knet_trace_report_hop(rep, 3, &hs));
	CHECK(knet_trace_report_hop(rep, 0, &hs));
	CHECK_INT(hs.ttl, 1);
	CHECK_INT(hs.sent, 3);
	CHECK_INT(hs.received, 3);
	CHECK(hs.loss_percent == 0.0);
	CHECK_INT(hs.last_us, 200);
	CHECK_INT(hs.avg_us, 200);
	CHECK_INT(hs.best_us, 100);
	CHECK_INT(hs.worst_us, 300);
	CHECK_INT(hs.stdev_us, 82); /* sqrt(20000/3) = 81.6 */
	CHECK_INT(hs.naddrs, 1);
	CHECK_STR(hs.addrs[0], "198.19.1.1");
	CHECK(knet_trace_report_hop(rep, 1, &hs));
	CHECK_INT(hs.ttl, 2);
	CHECK_INT(hs.sent, 3);
	CHECK_INT(hs.received, 2);
	CHECK(hs.loss_percent > 33.3 && hs.loss_percent < 33.4);
	CHECK_INT(hs.last_us, 3000);
	CHECK_INT(hs.avg_us, 2000);
	CHECK_INT(hs.best_us, 1000);
	CHECK_INT(hs.worst_us, 3000);
	CHECK_INT(hs.stdev_us, 1000);
	knet_trace_report_free(rep);
}

/* ECMP: every distinct answering address is kept or counted. */
static void test_report_many_addrs(void)
{
	struct knet_trace_report *rep = NULL;
	struct knet_trace_probe p = {.rtt_us = 10, .note = ""};
	struct knet_trace_result res = {
		.hops = 1, .queries = 1, .first_ttl = 1, .probes = &p};
	struct knet_hop_summary hs;

	CHECK_INT(knet_trace_report_new(30, &rep), 0);
	/* 25 rounds over 14 addresses, each seen at least once */
	for (int i = 0; i < 25; i++) {
		snprintf(p.from, sizeof(p.from), "198.18.0.%d", 20 + i % 14);
		knet_trace_report_add(rep, &res);
	}
	CHECK(knet_trace_report_hop(rep, 0, &hs));
	CHECK_INT(hs.naddrs, KNET_HOP_ADDRS);
	CHECK_INT(hs.naddrs + hs.naddrs_more, 14);
	CHECK_STR(hs.addrs[9], "198.18.0.29");
	knet_trace_report_free(rep);
}

int main(void)
{
	test_report();
	test_report_many_addrs();
	test_in_order();
	test_silent_hop();
	test_open_window();
	return unit_done("test-traceroute");
}
