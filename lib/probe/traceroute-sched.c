/* SPDX-License-Identifier: MIT */
/*
 * Traceroute probe scheduling: which probe may leave now, and when a
 * round is over (see traceroute-sched.h).
 */
#include "traceroute-sched.h"

#define FOREVER 1e9 /* s: no deadline */

int knet_tsched_end(const struct knet_tsched *s,
		    const struct knet_tsched_probe *p)
{
	for (int i = 0; i < s->nhops * s->queries; i++)
		if (p[i].answer == KNET_TSCHED_END)
			return i / s->queries;
	return -1;
}

/*
 * Whether hop @h may send: the first ones may; a later one once the hop
 * before it said time exceeded or has been silent for the lag.  When
 * not, *@ret_at is when the lag runs out (< 0: the hop before has not
 * left yet).
 */
static bool hop_open(const struct knet_tsched *s,
		     const struct knet_tsched_probe *p, int h, double now,
		     double *ret_at)
{
	const struct knet_tsched_probe *prev = &p[(h - 1) * s->queries];
	double first = -1;

	*ret_at = -1;
	if (h == 0 || h < s->open)
		return true;
	for (int q = 0; q < s->queries; q++) {
		if (prev[q].answer == KNET_TSCHED_PASSED)
			return true;
		if (prev[q].sent >= 0 && (first < 0 || prev[q].sent < first))
			first = prev[q].sent;
	}
	if (first < 0)
		return false;
	*ret_at = first + s->lag;
	return now >= *ret_at;
}

/* In flight: left less than the lag ago and not answered. */
static bool in_flight(const struct knet_tsched *s,
		      const struct knet_tsched_probe *p, double now)
{
	return p->sent >= 0 && p->answer == KNET_TSCHED_NONE &&
	       now - p->sent < s->lag;
}

/* How many are in flight, and when the oldest of them stops being. */
static int count_in_flight(const struct knet_tsched *s,
			   const struct knet_tsched_probe *p, double now,
			   double *ret_at)
{
	int n = 0;

	*ret_at = now + FOREVER;
	for (int i = 0; i < s->nhops * s->queries; i++) {
		if (!in_flight(s, &p[i], now))
			continue;
		n++;
		if (p[i].sent + s->lag < *ret_at)
			*ret_at = p[i].sent + s->lag;
	}
	return n;
}

int knet_tsched_next(const struct knet_tsched *s,
		     const struct knet_tsched_probe *p, double now,
		     double *ret_wait)
{
	int end = knet_tsched_end(s, p);
	double at;

	*ret_wait = FOREVER;
	for (int i = 0; i < s->nhops * s->queries; i++) {
		int h = i / s->queries;

		if (p[i].sent >= 0)
			continue;
		if (end >= 0 && h > end)
			return -1;
		if (!hop_open(s, p, h, now, &at)) {
			if (at >= 0)
				*ret_wait = at - now;
			return -1;
		}
		if (count_in_flight(s, p, now, &at) >= s->window) {
			*ret_wait = at - now;
			return -1;
		}
		return i;
	}
	return -1;
}

bool knet_tsched_done(const struct knet_tsched *s,
		      const struct knet_tsched_probe *p, double now,
		      double *ret_wait)
{
	int end = knet_tsched_end(s, p);
	int n = (end >= 0 ? end + 1 : s->nhops) * s->queries;
	double limit = end >= 0 ? s->grace : s->timeout;
	bool done = true;

	*ret_wait = FOREVER;
	for (int i = 0; i < n; i++) {
		double left;

		if (p[i].answer != KNET_TSCHED_NONE)
			continue;
		if (p[i].sent < 0) {
			done = false; /* still to leave */
			continue;
		}
		left = p[i].sent + limit - now;
		if (left > 0) {
			done = false;
			if (left < *ret_wait)
				*ret_wait = left;
		}
	}
	return done;
}
