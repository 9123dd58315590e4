/* SPDX-License-Identifier: MIT */
/*
 * One transfer channel: a libcurl easy handle whose callbacks put the
 * body in one growing buffer (which cJSON then parses in place) or hand
 * it to a streaming sink, and pick the few headers knet acts on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api-internal.h"

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
	struct knet_conn *c = userdata;
	size_t len = size * n;

	if (len > 12 && !strncasecmp(data, "Retry-After:", 12)) {
		c->retry_after = strtol(data + 12, NULL, 10);
	} else if (len > 15 && !strncasecmp(data, "Content-Length:", 15)) {
		/* Size the buffer once instead of doubling through it. */
		size_t want = strtoull(data + 15, NULL, 10) + 1;

		if (!c->sink && want > c->cap && want < (1ul << 31)) {
			char *nb = realloc(c->buf, want);

			if (nb) {
				c->buf = nb;
				c->cap = want;
			}
		}
	} else if (len > 8 && !strncasecmp(data, "Warning:", 8) && c->api) {
		knet_api_log(c->api, 2, "server warning:%.*s",
			     (int)(len - 8 - 2), data + 8);
	}
	return len;
}

static int buf_append(struct knet_conn *c, const char *data, size_t len)
{
	if (c->len + len + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 65536;
		char *nb;

		while (cap < c->len + len + 1)
			cap *= 2;
		nb = realloc(c->buf, cap);
		if (!nb)
			return -ENOMEM;
		c->buf = nb;
		c->cap = cap;
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

void knet_conn_bind(struct knet_conn *c)
{
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
	free(c->buf);
	c->buf = NULL;
	c->cap = 0;
	c->len = 0;
}
