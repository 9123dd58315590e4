/* SPDX-License-Identifier: MIT */
#ifndef KNET_K8S_INTERNAL_H
#define KNET_K8S_INTERNAL_H

/*
 * Shared between the files of the API client (lib/k8s.c, k8s-list.c,
 * k8s-watch.c) only; not part of libknet's interface.
 */

#include <stdbool.h>
#include <stddef.h>

#include "knet/error.h"
#include "knet/k8s.h"

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

/* -v logging through the configured callback. */
void knet_api_log(const struct knet_api *api, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Append "?k=v" or "&k=v" (v URL-escaped) to @buf of @len; -ENAMETOOLONG
 * when it does not fit.
 */
int knet_api_query_add(char *buf, size_t len, const char *key,
		       const char *value);

/* Add labelSelector and fieldSelector from @opts (may be NULL). */
int knet_api_query_selectors(char *buf, size_t len,
			     const struct knet_list_opts *opts);

#endif
