/* SPDX-License-Identifier: MIT */
/*
 * Prefetch: while the caller works through one list page, the next one
 * is fetched on a second handle by a thread, so that the server's time
 * and knet's overlap.  The thread only runs curl: credentials, parsing
 * and logging stay on the caller's thread, and any failure is left to
 * the normal path (retries, re-authentication, error messages).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "api-internal.h"

struct knet_prefetch {
	struct knet_conn c;
	pthread_t thread;
	bool running;
	unsigned creds_gen;
	char *url;
	struct curl_slist *hdr;
	CURLcode rc;
	struct timespec start;
};

static void *prefetch_run(void *arg)
{
	struct knet_prefetch *p = arg;

	p->rc = curl_easy_perform(p->c.curl);
	curl_easy_getinfo(p->c.curl, CURLINFO_RESPONSE_CODE, &p->c.status);
	return NULL;
}

static void prefetch_join(struct knet_prefetch *p)
{
	if (!p || !p->running)
		return;
	pthread_join(p->thread, NULL);
	p->running = false;
	knet_api_free_headers(p->hdr);
	p->hdr = NULL;
	curl_easy_setopt(p->c.curl, CURLOPT_HTTPHEADER, NULL);
}

void knet_api_prefetch_free(struct knet_prefetch *p)
{
	if (!p)
		return;
	prefetch_join(p);
	if (p->c.curl)
		curl_easy_cleanup(p->c.curl);
	knet_conn_release(&p->c);
	free(p->url);
	free(p);
}

int knet_api_prefetch_start(struct knet_api *api, const char *path, bool model)
{
	struct knet_prefetch *p = api->prefetch;

	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return -ENOMEM;
		api->prefetch = p;
	}
	prefetch_join(p);
	/* A new client certificate (exec plugin) needs a new handle. */
	if (p->c.curl && p->creds_gen != api->creds_gen) {
		curl_easy_cleanup(p->c.curl);
		p->c.curl = NULL;
	}
	if (!p->c.curl) {
		p->c.curl = curl_easy_duphandle(api->c.curl);
		if (!p->c.curl)
			return -ENOMEM;
		knet_conn_bind(&p->c);
		p->creds_gen = api->creds_gen;
	}
	free(p->url);
	if (asprintf(&p->url, "%s%s", api->base, path) < 0) {
		p->url = NULL;
		return -ENOMEM;
	}
	api->want_proto = knet_api_proto_for(api, path, model);
	p->hdr = knet_api_build_headers(api, NULL, false);
	api->want_proto = false;
	if (!p->hdr)
		return -ENOMEM;
	knet_conn_start(&p->c, p->url, p->hdr);
	p->c.stop = api->c.stop;
	p->c.sink = NULL;
	curl_easy_setopt(p->c.curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(p->c.curl, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(p->c.curl, CURLOPT_TIMEOUT_MS, api->timeout_ms);
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	if (pthread_create(&p->thread, NULL, prefetch_run, p) != 0) {
		knet_api_free_headers(p->hdr);
		p->hdr = NULL;
		return -EAGAIN;
	}
	p->running = true;
	return 0;
}

void knet_api_prefetch_cancel(struct knet_api *api)
{
	/* curl cannot be interrupted from here: let the transfer end. */
	prefetch_join(api->prefetch);
}

int knet_api_prefetch_finish(struct knet_api *api, struct knet_arena *arena,
			     cJSON **ret_json)
{
	struct knet_prefetch *p = api->prefetch;
	curl_off_t size = 0;
	long version = 0;
	cJSON *j;

	if (!p || !p->running)
		return 0;
	prefetch_join(p);
	curl_easy_getinfo(p->c.curl, CURLINFO_SIZE_DOWNLOAD_T, &size);
	curl_easy_getinfo(p->c.curl, CURLINFO_HTTP_VERSION, &version);
	if (p->rc != CURLE_OK || p->c.status != 200) {
		knet_api_log(api, 2, "GET %s (prefetched) %s %ld; again",
			     p->url, p->rc == CURLE_OK ? "got" : "failed",
			     p->c.status);
		return 0;
	}
	knet_api_log(api, 1, "GET %s %ld in %ld ms, %lld bytes%s, %s", p->url,
		     p->c.status, knet_api_elapsed_ms(&p->start),
		     (long long)size,
		     version == CURL_HTTP_VERSION_2_0 ? " (HTTP/2, prefetched)"
						      : " (prefetched)",
		     knet_api_body_encoding(p->c.buf, p->c.len));
	knet_arena_reset(arena);
	j = knet_arena_parse(arena, p->c.buf, p->c.len);
	if (!j)
		return 0;
	*ret_json = j;
	return 1;
}
