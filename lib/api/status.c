/* SPDX-License-Identifier: MIT */
/*
 * What the API says when it says no (Status objects), and the small
 * parsers of its formats: RFC 3339 times and kubectl's durations.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api-internal.h"
#include "knet/api.h"

static int errno_for_status(long code)
{
	switch (code) {
	case 400:
		return -EINVAL;
	case 401:
		return -EACCES;
	case 403:
		return -EPERM;
	case 404:
		return -ENOENT;
	case 409:
		return -EEXIST;
	case 410:
		return -ESTALE; /* Gone: a watch or continue token expired */
	case 422:
		return -EINVAL;
	case 429:
		return -EAGAIN;
	case 504:
		return -ETIMEDOUT;
	default:
		return -EIO;
	}
}

int knet_api_status_error(long http_code, const char *body, size_t len,
			  struct knet_error *err)
{
	enum knet_exit exit =
		http_code == 404 ? KNET_EXIT_NOT_FOUND : KNET_EXIT_API;
	int code = errno_for_status(http_code);
	const char *msg = NULL;
	cJSON *st = NULL;
	char *clean = NULL;
	int r;

	/* A Status in protobuf when the request asked for it. */
	if (body && len)
		st = knet_api_parse_body(body, len, NULL);
	if (st) {
		msg = knet_json_str(st, "message");
		if (msg && !*msg)
			msg = NULL;
		if (!msg)
			msg = knet_json_str(st, "reason");
	}
	if (msg) {
		/* One line: a multi-line server message is folded. */
		clean = strdup(msg);
		for (char *p = clean; p && *p; p++)
			if (*p == '\n' || *p == '\r' || *p == '\t')
				*p = ' ';
		if (clean) {
			size_t n = strlen(clean);

			while (n > 0 &&
			       (clean[n - 1] == ' ' || clean[n - 1] == '.'))
				clean[--n] = '\0';
		}
	}
	if (msg && !clean) {
		/* Not "HTTP 403" instead of the server's reason: say why. */
		cJSON_Delete(st);
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	}
	if (clean && *clean)
		r = knet_error_set(err, code, exit, "%s", clean);
	else if (http_code == 401)
		r = knet_error_set(err, code, exit, "unauthorized");
	else if (http_code == 403)
		r = knet_error_set(err, code, exit, "forbidden");
	else if (http_code == 404)
		r = knet_error_set(err, code, exit, "not found");
	else
		r = knet_error_set(err, code, exit, "HTTP %ld", http_code);
	free(clean);
	cJSON_Delete(st);
	return r;
}

int knet_request_timeout_parse(const char *s, long *ret_ms)
{
	double total = 0;
	const char *p = s;
	char *end;

	if (!s || !*s)
		return -EINVAL;
	/* A plain number means seconds, as in kubectl. */
	{
		long long n = strtoll(s, &end, 10);

		if (!*end && end != s) {
			if (n < 0 || n > 86400LL * 365)
				return -EINVAL;
			*ret_ms = (long)(n * 1000);
			return 0;
		}
	}
	/* Go's time.ParseDuration: a sequence of <number><unit>. */
	while (*p) {
		double v;

		if (!isdigit((unsigned char)*p) && *p != '.')
			return -EINVAL;
		v = strtod(p, &end);
		if (end == p)
			return -EINVAL;
		p = end;
		if (!strncmp(p, "ms", 2)) {
			total += v;
			p += 2;
		} else if (!strncmp(p, "us", 2) || !strncmp(p, "ns", 2)) {
			total += v / (p[0] == 'u' ? 1000 : 1000000);
			p += 2;
		} else if (*p == 's') {
			total += v * 1000;
			p++;
		} else if (*p == 'm') {
			total += v * 60000;
			p++;
		} else if (*p == 'h') {
			total += v * 3600000;
			p++;
		} else {
			return -EINVAL;
		}
	}
	if (total < 0 || total > 86400.0 * 365 * 1000)
		return -EINVAL;
	/* A positive timeout below a millisecond still times out. */
	*ret_ms = total > 0 && total < 1 ? 1 : (long)total;
	return 0;
}
