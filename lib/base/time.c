/* SPDX-License-Identifier: MIT */
/* Time: RFC 3339 timestamps from the API, and probe clock arithmetic. */
#include <ctype.h>
#include <time.h>

#include "knet/base.h"

/* Two ASCII digits at @p (never reading past a NUL), else -1. */
static int two_digits(const char *p)
{
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/*
 * The zone of RFC 3339: "Z" or exactly "+HH:MM" / "-HH:MM".  Each byte
 * is checked before the next is read, so a short string stops at its
 * NUL.  Returns the offset east of UTC in seconds and the end in *end,
 * or -1.
 */
static int parse_zone(const char *p, long *ret_off, const char **end)
{
	int hh, mm;

	if (*p == 'Z' || *p == 'z') {
		*ret_off = 0;
		*end = p + 1;
		return 0;
	}
	if (*p != '+' && *p != '-')
		return -1;
	hh = two_digits(p + 1);
	if (hh < 0 || hh > 23 || p[3] != ':')
		return -1;
	mm = two_digits(p + 4);
	if (mm < 0 || mm > 59)
		return -1;
	*ret_off = (hh * 60L + mm) * 60 * (*p == '-' ? -1 : 1);
	*end = p + 6;
	return 0;
}

long long knet_time_parse(const char *s)
{
	struct tm tm = {0};
	const char *p;
	long off = 0;

	if (!s)
		return -1;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.') {
		/* A fraction has at least one digit. */
		if (!isdigit((unsigned char)p[1]))
			return -1;
		for (p++; isdigit((unsigned char)*p); p++)
			;
	}
	if (parse_zone(p, &off, &p) < 0 || *p)
		return -1;
	return (long long)timegm(&tm) - off;
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

long long knet_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

long long knet_mono_ms(void)
{
	return knet_mono_us() / 1000;
}
