/* SPDX-License-Identifier: MIT */
/*
 * Collections: paths, query strings, and listing page by page with
 * limit/continue so that memory stays bounded by one page.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-internal.h"
#include "knet/api.h"

#define PATH_MAX_LEN  4096
#define DEFAULT_LIMIT 500

int knet_api_path(char *buf, size_t len, const char *group_version,
		  const char *ns, const char *resource, const char *name)
{
	bool core = !strchr(group_version, '/');
	int n;

	n = snprintf(buf, len, "/%s/%s%s%s/%s%s%s", core ? "api" : "apis",
		     group_version, ns ? "/namespaces/" : "", ns ? ns : "",
		     resource, name ? "/" : "", name ? name : "");
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return n;
}

static bool unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

int knet_api_query_add(char *buf, size_t len, const char *key,
		       const char *value)
{
	size_t n = strlen(buf);
	int w;

	w = snprintf(buf + n, len - n, "%c%s=", strchr(buf, '?') ? '&' : '?',
		     key);
	if (w < 0 || (size_t)w >= len - n)
		return -ENAMETOOLONG;
	n += (size_t)w;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (n + 4 > len)
			return -ENAMETOOLONG;
		if (unreserved(*p)) {
			buf[n++] = (char)*p;
		} else {
			snprintf(buf + n, 4, "%%%02X", *p);
			n += 3;
		}
	}
	buf[n] = '\0';
	return 0;
}

int knet_api_query_selectors(char *buf, size_t len,
			     const struct knet_list_opts *opts)
{
	int r = 0;

	if (opts && opts->label_selector && *opts->label_selector)
		r = knet_api_query_add(buf, len, "labelSelector",
				       opts->label_selector);
	if (!r && opts && opts->field_selector && *opts->field_selector)
		r = knet_api_query_add(buf, len, "fieldSelector",
				       opts->field_selector);
	return r;
}

static int page_path(char *buf, size_t len, const char *path,
		     const struct knet_list_opts *opts, const char *cont)
{
	char limit[16];
	int r;

	if (snprintf(buf, len, "%s", path) >= (int)len)
		return -ENAMETOOLONG;
	snprintf(limit, sizeof(limit), "%d",
		 opts && opts->limit > 0 ? opts->limit : DEFAULT_LIMIT);
	r = knet_api_query_add(buf, len, "limit", limit);
	if (!r)
		r = knet_api_query_selectors(buf, len, opts);
	if (!r && cont && *cont)
		r = knet_api_query_add(buf, len, "continue", cont);
	return r;
}

int knet_api_list(struct knet_api *api, const char *path,
		  const struct knet_list_opts *opts, knet_api_item_fn each,
		  void *userdata, char **ret_resource_version,
		  struct knet_error *err)
{
	char *cont = NULL, *rv = NULL, *buf;
	bool restarted = false, prefetched = false;
	struct knet_arena *arena;
	cJSON *page = NULL;
	int r;

	buf = malloc(PATH_MAX_LEN);
	arena = knet_arena_new();
	if (!buf || !arena) {
		free(buf);
		knet_arena_free(arena);
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	}
	for (;;) {
		const cJSON *item, *meta;
		const char *next, *v;

		r = page_path(buf, PATH_MAX_LEN, path, opts, cont);
		if (r < 0) {
			r = knet_error_set(err, r, KNET_EXIT_USAGE,
					   "selector too long");
			goto cleanup;
		}
		/* The page fetched while the last one was read, or now. */
		if (!prefetched ||
		    knet_api_prefetch_finish(api, arena, &page) != 1)
			r = knet_api_get_page(api, buf, arena, &page, err);
		prefetched = false;
		if (r == -ESTALE && cont && !restarted) {
			/* The continue token expired: start over, once. */
			knet_api_log(api, 1,
				     "list continue token expired, "
				     "listing again");
			restarted = true;
			free(cont);
			cont = NULL;
			continue;
		}
		if (r < 0)
			goto cleanup;
		meta = knet_json_get(page, "metadata");
		v = knet_json_str(meta, "resourceVersion");
		if (v) {
			free(rv);
			rv = strdup(v);
		}
		next = knet_json_str(meta, "continue");
		free(cont);
		cont = next && *next ? strdup(next) : NULL;
		if (cont && page_path(buf, PATH_MAX_LEN, path, opts, cont) == 0)
			prefetched = knet_api_prefetch_start(api, buf) == 0;
		cJSON_ArrayForEach(item, knet_json_get(page, "items"))
		{
			r = each(item, userdata);
			if (r)
				goto cleanup;
		}
		if (!cont)
			break;
	}
	if (ret_resource_version) {
		*ret_resource_version = rv;
		rv = NULL;
	}
	r = 0;
cleanup:
	if (prefetched)
		knet_api_prefetch_cancel(api);
	free(cont);
	free(rv);
	free(buf);
	knet_arena_free(arena);
	return r;
}
