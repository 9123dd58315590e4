/* SPDX-License-Identifier: MIT */
/*
 * Watch streams: one JSON event per line, or (protobuf, for the kinds
 * and callers lib/api reads in it) frames of a 4-byte big-endian length
 * and a WatchEvent; resumed from the last
 * resourceVersion seen when the server ends the stream, re-listed when
 * that version is gone (410).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api-internal.h"
#include "knet/api.h"

#define WATCH_LINE_MAX	(64u << 20)
#define WATCH_TIMEOUT_S "300"

struct watch {
	struct knet_api *api;
	int proto; /* -1: not known yet, else whether the stream is */
	char *line;
	size_t len, cap;
	knet_api_event_fn on_event;
	void *userdata;
	char *rv;
	bool gone;
	int events; /* in the current stream */
	struct knet_error *err;
};

static int handle_event(struct watch *w, const char *text, size_t len)
{
	const char *type, *v;
	const cJSON *obj;
	cJSON *ev = NULL;
	int r = 0;

	if (w->proto) {
		struct knet_error why = {0};

		if (knet_proto_watch_event(text, len, &ev, &why) < 0)
			return knet_error_set(w->err, -EBADMSG, KNET_EXIT_API,
					      "the server sent an invalid "
					      "watch event: %s",
					      why.reason);
	} else {
		ev = cJSON_ParseWithLength(text, len);
	}
	if (!ev)
		return knet_error_set(w->err, -EBADMSG, KNET_EXIT_API,
				      "the server sent an invalid watch event");
	type = knet_json_str(ev, "type");
	obj = knet_json_get(ev, "object");
	if (type && !strcmp(type, "ERROR")) {
		long long code = knet_json_int(obj, "code", 0);
		const char *msg = knet_json_str(obj, "message");

		if (code == 410) {
			w->gone = true;
			r = -ESTALE;
		} else {
			r = knet_error_set(w->err, -EIO, KNET_EXIT_API,
					   "watch failed: %s",
					   msg ? msg : "unknown error");
		}
		goto cleanup;
	}
	v = knet_json_str(knet_json_get(obj, "metadata"), "resourceVersion");
	if (v && *v) {
		/* Losing it would resume from an older version: fail. */
		char *nrv = strdup(v);

		if (!nrv) {
			r = knet_error_set(w->err, -ENOMEM, KNET_EXIT_SYSTEM,
					   "out of memory");
			goto cleanup;
		}
		free(w->rv);
		w->rv = nrv;
	}
	w->events++;
	if (type)
		r = w->on_event(type, obj, w->userdata);
cleanup:
	knet_json_wipe_delete(ev);
	return r;
}

static int on_chunk(const char *data, size_t len, void *userdata)
{
	struct watch *w = userdata;
	size_t start = 0;
	char *nl;

	if (w->len + len + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 65536;

		while (cap < w->len + len + 1)
			cap *= 2;
		if (cap > WATCH_LINE_MAX)
			return knet_error_set(w->err, -EFBIG, KNET_EXIT_API,
					      "watch event too large");
		/* Events may carry secrets: the old block is wiped. */
		if (knet_api_wipe_reserve(&w->line, &w->cap, w->len, cap) < 0)
			return knet_error_set(w->err, -ENOMEM, KNET_EXIT_SYSTEM,
					      "out of memory");
	}
	memcpy(w->line + w->len, data, len);
	w->len += len;
	w->line[w->len] = '\0';
	if (w->proto < 0) {
		const char *ct = NULL;

		curl_easy_getinfo(w->api->c.curl, CURLINFO_CONTENT_TYPE, &ct);
		w->proto = ct && !strncmp(ct,
					  "application/vnd.kubernetes."
					  "protobuf",
					  35);
		knet_api_log(w->api, 2, "watch: %s stream",
			     w->proto ? "protobuf" : "json");
	}
	while (w->proto && w->len - start >= 4) {
		const unsigned char *f = (const unsigned char *)w->line + start;
		size_t n = (size_t)f[0] << 24 | (size_t)f[1] << 16 |
			   (size_t)f[2] << 8 | f[3];
		int r;

		if (n > WATCH_LINE_MAX)
			return knet_error_set(w->err, -EFBIG, KNET_EXIT_API,
					      "watch event too large");
		if (w->len - start - 4 < n)
			break;
		r = handle_event(w, w->line + start + 4, n);
		start += 4 + n;
		if (r) {
			w->len = 0;
			return r;
		}
	}
	while (!w->proto &&
	       (nl = memchr(w->line + start, '\n', w->len - start))) {
		size_t n = (size_t)(nl - (w->line + start));
		int r = n ? handle_event(w, w->line + start, n) : 0;

		start += n + 1;
		if (r) {
			w->len = 0;
			return r;
		}
	}
	memmove(w->line, w->line + start, w->len - start);
	w->len -= start;
	return 0;
}

static int watch_path(struct knet_url *u, const char *path,
		      const struct knet_list_opts *opts, const char *rv)
{
	int r = knet_url_set(u, path);

	if (!r)
		r = knet_url_add(u, "watch", "1");
	if (!r)
		r = knet_url_add(u, "resourceVersion", rv);
	if (!r)
		r = knet_url_add(u, "allowWatchBookmarks", "true");
	if (!r)
		r = knet_url_add(u, "timeoutSeconds", WATCH_TIMEOUT_S);
	if (!r)
		r = knet_url_add_selectors(u, opts);
	return r;
}

int knet_api_watch(struct knet_api *api, const char *path,
		   const struct knet_list_opts *opts,
		   const char *resource_version, knet_api_event_fn on_event,
		   knet_api_relist_fn relist, void *userdata,
		   struct knet_error *err)
{
	struct watch w = {
		.api = api,
		.on_event = on_event,
		.userdata = userdata,
		.err = err,
	};
	struct knet_url url = {0};
	int r;

	if (resource_version && *resource_version) {
		w.rv = strdup(resource_version);
	} else {
		r = relist(api, &w.rv, userdata, err);
		if (r < 0)
			goto cleanup;
	}
	for (;;) {
		if (!w.rv) {
			r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					   "out of memory");
			goto cleanup;
		}
		r = watch_path(&url, path, opts, w.rv);
		if (r < 0) {
			r = knet_error_set(err, r, KNET_EXIT_SYSTEM,
					   "out of memory");
			goto cleanup;
		}
		w.len = 0;
		w.gone = false;
		w.events = 0;
		w.proto = -1;
		api->want_proto =
			knet_api_proto_for(api, url.s, opts && opts->model);
		r = knet_api_do(api, "GET", url.s, NULL, NULL, NULL, on_chunk,
				&w, true, err);
		api->want_proto = false;
		if (r == -ESTALE) {
			/* 410 Gone, as a status or an ERROR event. */
			knet_api_log(api, 1,
				     "watch: resourceVersion %s is "
				     "gone, listing again",
				     w.rv);
			free(w.rv);
			w.rv = NULL;
			r = relist(api, &w.rv, userdata, err);
			if (r < 0)
				goto cleanup;
			continue;
		}
		if (r)
			goto cleanup;
		/*
		 * The server ended the watch (timeoutSeconds): resume.  A
		 * stream that ends at once with nothing in it (a proxy that
		 * cuts streams) is retried after a pause, not in a loop.
		 */
		knet_api_log(api, 2, "watch: stream ended, resuming at %s",
			     w.rv);
		if (!w.events)
			sleep(1); /* a signal cuts it short; the next call sees it */
	}
cleanup:
	knet_api_wipe_buf_free(w.line, w.cap);
	free(w.rv);
	knet_url_free(&url);
	return r;
}
