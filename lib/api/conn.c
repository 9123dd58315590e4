/* SPDX-License-Identifier: MIT */
/*
 * One transfer channel: a libcurl easy handle whose callbacks put the
 * body in one growing buffer (which cJSON then parses in place) or hand
 * it to a streaming sink, and pick the few headers knet acts on.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api-internal.h"
#include "knet/output.h"

/* Longer than any wait knet does; keeps the milliseconds in range. */
#define RETRY_AFTER_MAX 86400
/* Content-Length beyond this sizes nothing up front. */
/*
 * Pre-size the receive buffer from Content-Length up to this much only:
 * the header is the server's word, and a buffer that may hold a secret
 * is wiped in full when it goes, so a lie would cost its whole size in
 * touched memory.  Bigger bodies grow the buffer as they arrive.
 */
#define CONTENT_LENGTH_HINT (16ll << 20)

/*
 * The trimmed value of header @name when @data (one header line of @len
 * bytes, not NUL-terminated) is that header, else NULL.
 */
static const char *header_value(const char *data, size_t len, const char *name,
				size_t *ret_len)
{
	size_t n = strlen(name);
	const char *v, *end = data + len;

	if (len <= n || strncasecmp(data, name, n) || data[n] != ':')
		return NULL;
	v = data + n + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
			   end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*ret_len = (size_t)(end - v);
	return v;
}

/* A decimal header value, clamped to @max; -1 when not all digits. */
static long long header_number(const char *v, size_t len, long long max)
{
	long long n = 0;

	if (!len)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		/* @max is far below LLONG_MAX / 10: no overflow here. */
		if (n <= max)
			n = n * 10 + (v[i] - '0');
	}
	return n > max ? max : n;
}

/* The body may hold a token (a Secret, a TokenReview): wiped growth. */
static int reserve(struct knet_conn *c, size_t want)
{
	return knet_api_wipe_reserve(&c->buf, &c->cap, c->len, want);
}

static void log_warning(struct knet_conn *c, const char *v, size_t len)
{
	char *text, *safe;

	if (!c->api || c->api->verbose < 2 || !len)
		return;
	/* Server text on a terminal: escaped. */
	text = strndup(v, len);
	safe = text ? knet_text_escape(text, false) : NULL;
	if (safe)
		knet_api_log(c->api, 2, "server warning: %s", safe);
	free(safe);
	free(text);
}

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
	struct knet_conn *c = userdata;
	size_t len = size * n, vlen = 0;
	const char *v;

	if ((v = header_value(data, len, "Retry-After", &vlen))) {
		/* Seconds; the HTTP-date form is not used by apiservers. */
		c->retry_after = (long)header_number(v, vlen, RETRY_AFTER_MAX);
	} else if ((v = header_value(data, len, "Content-Length", &vlen))) {
		/* Size the buffer once instead of doubling through it. */
		long long want = header_number(v, vlen, CONTENT_LENGTH_HINT);

		if (!c->sink && want >= 0 && want < CONTENT_LENGTH_HINT)
			reserve(c, (size_t)want + 1);
	} else if ((v = header_value(data, len, "Warning", &vlen))) {
		log_warning(c, v, vlen);
	}
	return len;
}

static int buf_append(struct knet_conn *c, const char *data, size_t len)
{
	if (c->len + len + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 65536;

		while (cap < c->len + len + 1)
			cap *= 2;
		if (reserve(c, cap) < 0)
			return -ENOMEM;
	}
	memcpy(c->buf + c->len, data, len);
	c->len += len;
	c->buf[c->len] = '\0';
	return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
	struct knet_conn *c = userdata;
	size_t len = size * n;

	if (c->sink && !c->status)
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &c->status);
	/* Errors are buffered for the Status, successes streamed. */
	if (c->sink && c->status >= 200 && c->status < 300) {
		c->sink_result = c->sink(data, len, c->sink_userdata);
		return c->sink_result ? 0 : len;
	}
	return buf_append(c, data, len) < 0 ? 0 : len;
}

bool knet_conn_stopped(const struct knet_conn *c)
{
	return c->stop && *c->stop;
}

/*
 * Called about once a second even when nothing arrives, so that a
 * blocking transfer (a quiet watch) notices Ctrl-C.
 */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return knet_conn_stopped(userdata) ? 1 : 0;
}

void knet_conn_bind(struct knet_conn *c)
{
	curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, c);
}

void knet_conn_start(struct knet_conn *c, const char *url,
		     struct curl_slist *hdr)
{
	c->len = 0;
	c->status = 0;
	c->retry_after = -1;
	c->errbuf[0] = '\0';
	c->sink_result = 0;
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdr);
}

void knet_conn_release(struct knet_conn *c)
{
	knet_api_wipe_buf_free(c->buf, c->cap);
	c->buf = NULL;
	c->cap = 0;
	c->len = 0;
}
