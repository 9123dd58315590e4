/* SPDX-License-Identifier: MIT */
/* RTT statistics, as ping and mtr print them, and address helpers. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "knet/probe.h"

void knet_rtt_stats_init(struct knet_rtt_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->min_us = -1;
	s->max_us = -1;
}

void knet_rtt_stats_add(struct knet_rtt_stats *s, long long rtt_us)
{
	if (rtt_us < 0)
		return;
	s->received++;
	if (s->min_us < 0 || rtt_us < s->min_us)
		s->min_us = rtt_us;
	if (rtt_us > s->max_us)
		s->max_us = rtt_us;
	s->sum_us += (double)rtt_us;
	s->sum2_us += (double)rtt_us * (double)rtt_us;
}

double knet_rtt_stats_avg(const struct knet_rtt_stats *s)
{
	return s->received ? s->sum_us / s->received : 0.0;
}

double knet_rtt_stats_mdev(const struct knet_rtt_stats *s)
{
	double avg, var;

	if (!s->received)
		return 0.0;
	avg = s->sum_us / s->received;
	var = s->sum2_us / s->received - avg * avg;
	/* Rounding can make a zero variance slightly negative. */
	return var > 0 ? sqrt(var) : 0.0;
}

double knet_rtt_stats_loss(const struct knet_rtt_stats *s)
{
	if (s->sent <= 0)
		return 0.0;
	return 100.0 * (s->sent - s->received) / s->sent;
}

int knet_addr_parse(const char *ip, int port, struct sockaddr_storage *ret,
		    socklen_t *ret_len)
{
	struct sockaddr_storage ss;

	if (port < 0 || port > 65535)
		return -EINVAL;
	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		if (inet_pton(AF_INET6, ip, &s6->sin6_addr) != 1)
			return -EINVAL;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*ret_len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		if (inet_pton(AF_INET, ip, &s4->sin_addr) != 1)
			return -EINVAL;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*ret_len = sizeof(*s4);
	}
	*ret = ss;
	return 0;
}

const char *knet_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *a;

	if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	else if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)sa)->sin_addr;
	else
		a = NULL;
	if (!a || !inet_ntop(sa->sa_family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}
