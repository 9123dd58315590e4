/* SPDX-License-Identifier: MIT */
/*
 * traceroute --report: mtr's per-hop statistics over rounds.  Each hop
 * keeps its sent and answered counts, the last, best, worst and mean RTT
 * and their deviation, and the distinct addresses that answered for it
 * (more than one: ECMP or a route change).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/probe.h"

int knet_trace_report_new(int max_hops, struct knet_trace_report **ret)
{
	struct knet_trace_report *rep;

	if (max_hops <= 0)
		return -EINVAL;
	rep = calloc(1, sizeof(*rep));
	if (!rep)
		return -ENOMEM;
	rep->hops = calloc((size_t)max_hops, sizeof(*rep->hops));
	if (!rep->hops) {
		free(rep);
		return -ENOMEM;
	}
	rep->max_hops = max_hops;
	for (int h = 0; h < max_hops; h++) {
		knet_rtt_stats_init(&rep->hops[h].st);
		rep->hops[h].last_us = -1;
	}
	*ret = rep;
	return 0;
}

void knet_trace_report_free(struct knet_trace_report *rep)
{
	if (!rep)
		return;
	for (int h = 0; h < rep->max_hops; h++)
		free(rep->hops[h].more);
	free(rep->hops);
	free(rep);
}

static void add_addr(struct knet_hop_report *s, const char *from)
{
	char(*nm)[46];

	for (int k = 0; k < s->naddrs; k++)
		if (!strcmp(s->addrs[k], from))
			return;
	if (s->naddrs < KNET_HOP_ADDRS) {
		snprintf(s->addrs[s->naddrs++], sizeof(s->addrs[0]), "%s",
			 from);
		return;
	}
	for (int k = 0; k < s->nmore; k++)
		if (!strcmp(s->more[k], from))
			return;
	/* Out of memory only loses the count of an ECMP address. */
	nm = realloc(s->more, ((size_t)s->nmore + 1) * sizeof(*nm));
	if (!nm)
		return;
	s->more = nm;
	snprintf(s->more[s->nmore++], sizeof(s->more[0]), "%s", from);
}

void knet_trace_report_add(struct knet_trace_report *rep,
			   const struct knet_trace_result *res)
{
	int hops = res->hops < rep->max_hops ? res->hops : rep->max_hops;

	if (!rep->rounds)
		rep->first_ttl = res->first_ttl;
	rep->rounds++;
	for (int h = 0; h < hops; h++) {
		struct knet_hop_report *s = &rep->hops[h];

		for (int q = 0; q < res->queries; q++) {
			const struct knet_trace_probe *p =
				&res->probes[h * res->queries + q];

			s->st.sent++;
			if (p->rtt_us < 0)
				continue;
			knet_rtt_stats_add(&s->st, p->rtt_us);
			s->last_us = p->rtt_us;
			add_addr(s, p->from);
		}
	}
	/*
	 * Rows go up to the destination, the nearest it was ever seen at;
	 * until it is, one row past the last hop that answered (the first
	 * silent one says where the path goes dark).
	 */
	if (res->reached && (!rep->reached || hops < rep->nhops)) {
		rep->nhops = hops;
		rep->reached = true;
	} else if (!rep->reached) {
		int last = 0;

		for (int h = 0; h < hops; h++)
			if (rep->hops[h].st.received)
				last = h + 1;
		rep->nhops = last < hops ? last + 1 : last;
	}
}

int knet_trace_report_rows(const struct knet_trace_report *rep)
{
	return rep->nhops;
}

bool knet_trace_report_hop(const struct knet_trace_report *rep, int h,
			   struct knet_hop_summary *ret)
{
	const struct knet_hop_report *s;

	if (h < 0 || h >= rep->nhops)
		return false;
	s = &rep->hops[h];
	memset(ret, 0, sizeof(*ret));
	ret->ttl = rep->first_ttl + h;
	ret->sent = s->st.sent;
	ret->received = s->st.received;
	ret->loss_percent = knet_rtt_stats_loss(&s->st);
	ret->naddrs = s->naddrs;
	ret->naddrs_more = s->nmore;
	for (int k = 0; k < s->naddrs; k++)
		ret->addrs[k] = s->addrs[k];
	if (s->st.received) {
		ret->last_us = s->last_us;
		ret->avg_us = knet_llround(knet_rtt_stats_avg(&s->st));
		ret->best_us = s->st.min_us;
		ret->worst_us = s->st.max_us;
		ret->stdev_us = knet_llround(knet_rtt_stats_mdev(&s->st));
	} else {
		ret->last_us = ret->avg_us = ret->best_us = ret->worst_us =
			ret->stdev_us = -1;
	}
	return true;
}
