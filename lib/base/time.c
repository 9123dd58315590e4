/* SPDX-License-Identifier: MIT */
/* Time: RFC 3339 timestamps from the API, and probe clock arithmetic. */
#include <ctype.h>
#include <stdio.h>
#include <time.h>

#include "knet/base.h"

long long knet_time_parse(const char *s)
{
	struct tm tm = {0};
	const char *p;
	long long t;
	int off = 0;

	if (!s)
		return -1;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int hh, mm;

		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
			return -1;
		off = (hh * 60 + mm) * 60 * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	t = (long long)timegm(&tm);
	return t - off;
}

void knet_ts_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

long long knet_ts_diff_us(const struct timespec *a, const struct timespec *b)
{
	long long ns = (long long)(b->tv_sec - a->tv_sec) * 1000000000LL +
		       (b->tv_nsec - a->tv_nsec);

	/* Round to the nearest microsecond, like ping's 3 decimals. */
	return (ns + 500) / 1000;
}
