/* SPDX-License-Identifier: MIT */
#ifndef KNET_API_INTERNAL_H
#define KNET_API_INTERNAL_H

/*
 * Shared between the files of the API client (lib/k8s.c, k8s-list.c,
 * k8s-watch.c) only; not part of libknet's interface.
 */

#include <stdbool.h>
#include <stddef.h>

#include "knet/base.h"
#include "knet/api.h"

/*
 * A streaming body consumer: called with each chunk of a 2xx answer.
 * Returns 0 to go on, non-zero to stop the transfer (kept as the
 * result of the request).
 */
typedef int (*knet_api_sink_fn)(const char *data, size_t len, void *userdata);

/*
 * One request with the client's retry and re-authentication rules.
 * Without @sink the body is kept in the client's buffer and parsed into
 * *ret_json (when non-NULL).  With @sink, a 2xx body goes to it instead;
 * @no_timeout lifts --request-timeout (watches).  Returns the sink's
 * non-zero value when it stopped the transfer.
 */
int knet_api_do(struct knet_api *api, const char *method, const char *path,
		const char *body, const char *content_type, cJSON **ret_json,
		knet_api_sink_fn sink, void *sink_userdata, bool no_timeout,
		struct knet_error *err);

/*
 * Append "?k=v" or "&k=v" (v URL-escaped) to @buf of @len; -ENAMETOOLONG
 * when it does not fit.
 */
int knet_api_query_add(char *buf, size_t len, const char *key,
		       const char *value);

/* Add labelSelector and fieldSelector from @opts (may be NULL). */
int knet_api_query_selectors(char *buf, size_t len,
			     const struct knet_list_opts *opts);

/*
 * Arenas for the parse trees of list pages (lib/k8s-arena.c).  A tree
 * from knet_arena_parse() lives until the next reset and must never be
 * given to cJSON_Delete.
 */
struct knet_arena;

struct knet_arena *knet_arena_new(void);
void knet_arena_free(struct knet_arena *a);
void knet_arena_reset(struct knet_arena *a);
cJSON *knet_arena_parse(struct knet_arena *a, const char *text, size_t len);

/*
 * GET a list page and parse it into @arena (reset first).  Same errors
 * as knet_api_get_json().
 */
int knet_api_get_page(struct knet_api *api, const char *path,
		      struct knet_arena *arena, cJSON **ret_json,
		      struct knet_error *err);

/*
 * Fetch @path (a GET) on a second handle in the background, to be
 * collected by knet_api_prefetch_finish(): 1 with the page parsed into
 * @arena (reset first), 0 when the caller must fetch it itself (any
 * failure, which the normal path then reports).  Only one at a time;
 * knet_api_prefetch_cancel() waits for it and drops it.
 */
int knet_api_prefetch_start(struct knet_api *api, const char *path);
int knet_api_prefetch_finish(struct knet_api *api, struct knet_arena *arena,
			     cJSON **ret_json);
void knet_api_prefetch_cancel(struct knet_api *api);

#endif
