/* SPDX-License-Identifier: MIT */
/*
 * Traceroute probe scheduling: hops leave in TTL order as the ones
 * before them answer, nothing leaves past the destination, silent hops
 * hold the next one back for the lag only, the window bounds what is in
 * flight, and a round ends when every hop up to the end has answered or
 * waited long enough.
 */
#include "../../lib/probe/traceroute-sched.h"
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

int main(void)
{
	test_in_order();
	test_silent_hop();
	test_open_window();
	return unit_done("test-traceroute");
}
