/* SPDX-License-Identifier: MIT */
#ifndef KNET_TRACEROUTE_SCHED_H
#define KNET_TRACEROUTE_SCHED_H

/*
 * When each probe of a traceroute round may leave, and when the round
 * is over: pure functions of what was sent and what came back, shared
 * by lib/traceroute.c and its unit test only.
 *
 * Probes are numbered hop-major (hop * queries + query), hop 0 being
 * the first TTL.  A hop's probes leave together, in TTL order, once
 * the hop before it is known to be a router (it said time exceeded) or
 * has stayed silent for the lag.  Nothing leaves past the first hop
 * that ended the path (the destination, or an unreachable), and no more
 * than the window are in flight.  So the destination sees no probe
 * beyond its own hop: each one would spend a token of its ICMP rate
 * limit (a burst of 6, then 1 a second per source) that the answers to
 * its own hop need, in this round or the next.
 */

#include <stdbool.h>

enum knet_tsched_answer {
	KNET_TSCHED_NONE,   /* nothing yet */
	KNET_TSCHED_PASSED, /* time exceeded: a router, the path goes on */
	KNET_TSCHED_END,    /* the destination, or an unreachable */
	KNET_TSCHED_FAILED, /* could not be sent: nothing will come */
};

struct knet_tsched_probe {
	double sent; /* when it left (s), < 0 not yet */
	enum knet_tsched_answer answer;
};

struct knet_tsched {
	int nhops, queries;
	int open;	/* hops free to leave at once (a known destination) */
	int window;	/* probes in flight at most */
	double lag;	/* s: a hop silent this long lets the next one go */
	double timeout; /* s: how long to wait for an answer */
	double grace;	/* s: the same, once the destination has answered */
};

/* The hop that ended the path (lowest), or -1. */
int knet_tsched_end(const struct knet_tsched *s,
		    const struct knet_tsched_probe *p);

/*
 * The probe that may leave now, or -1 and in *@ret_wait how many seconds
 * until one may without any answer coming (a large value: not before
 * an answer).
 */
int knet_tsched_next(const struct knet_tsched *s,
		     const struct knet_tsched_probe *p, double now,
		     double *ret_wait);

/*
 * Whether the round is over: every probe up to the end of the path has
 * left and has answered or waited long enough.  Else *@ret_wait is how
 * long until that may change without an answer (a large value: not
 * before one, or before more probes leave).
 */
bool knet_tsched_done(const struct knet_tsched *s,
		      const struct knet_tsched_probe *p, double now,
		      double *ret_wait);

#endif
