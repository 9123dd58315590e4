/* SPDX-License-Identifier: MIT */
/*
 * Collections: paths, query strings, and listing page by page with
 * limit/continue, each page read item by item as it arrives
 * (list-stream.c) so that memory stays bounded by one item.
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
#include "knet/output.h"

#define DEFAULT_LIMIT 500

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? of at most 63 bytes. */
bool knet_api_dns_label(const char *s, size_t n)
{
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
			return false;
	return true;
}

/* Labels joined by '.', at most 253 bytes. */
static bool dns1123_subdomain(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return false;
	for (const char *p = s;;) {
		size_t l = strcspn(p, ".");

		if (!knet_api_dns_label(p, l))
			return false;
		if (!p[l])
			return true;
		p += l + 1;
	}
}

static int invalid(struct knet_error *err, const char *what, const char *value,
		   const char *rule)
{
	/* The value came from outside: escaped for the terminal. */
	char *safe = knet_text_escape(value, false);
	int r = knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
			       "invalid %s '%s': must be %s", what,
			       safe ? safe : "?", rule);

	free(safe);
	return r;
}

int knet_api_check_namespace(const char *ns, struct knet_error *err)
{
	if (knet_api_dns_label(ns, strlen(ns)))
		return 0;
	return invalid(err, "namespace", ns,
		       "a DNS-1123 label (at most 63 lowercase letters, "
		       "digits and '-', starting and ending with a letter or "
		       "digit)");
}

int knet_api_check_name(const char *name, struct knet_error *err)
{
	if (dns1123_subdomain(name))
		return 0;
	return invalid(err, "name", name,
		       "a DNS-1123 subdomain (at most 253 lowercase letters, "
		       "digits, '-' and '.', each part starting and ending "
		       "with a letter or digit)");
}

int knet_api_path(char *buf, size_t len, const char *group_version,
		  const char *ns, const char *resource, const char *name,
		  struct knet_error *err)
{
	bool core = !strchr(group_version, '/');
	int n;

	/* Checked here, where paths are made: "a/../.." or "x?watch=1"
	 * would change what the request means. */
	if ((ns && knet_api_check_namespace(ns, err) < 0) ||
	    (name && knet_api_check_name(name, err) < 0))
		return -EINVAL;
	n = snprintf(buf, len, "/%s/%s%s%s/%s%s%s", core ? "api" : "apis",
		     group_version, ns ? "/namespaces/" : "", ns ? ns : "",
		     resource, name ? "/" : "", name ? name : "");
	if (n < 0 || (size_t)n >= len)
		return knet_error_set(err, -ENAMETOOLONG, KNET_EXIT_USAGE,
				      "path too long");
	return n;
}

static bool unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

static int url_room(struct knet_url *u, size_t more)
{
	size_t cap = u->cap ? u->cap : 256;
	char *ns;

	if (u->len + more + 1 <= u->cap)
		return 0;
	while (cap < u->len + more + 1)
		cap *= 2;
	ns = realloc(u->s, cap);
	if (!ns)
		return -ENOMEM;
	u->s = ns;
	u->cap = cap;
	return 0;
}

int knet_url_set(struct knet_url *u, const char *path)
{
	size_t n = strlen(path);

	u->len = 0;
	if (url_room(u, n) < 0)
		return -ENOMEM;
	memcpy(u->s, path, n + 1);
	u->len = n;
	return 0;
}

int knet_url_add(struct knet_url *u, const char *key, const char *value)
{
	size_t kl = strlen(key), vl = strlen(value);
	char sep;

	/* Each byte of the value takes at most three ("%2F"). */
	if (url_room(u, 2 + kl + 3 * vl) < 0)
		return -ENOMEM;
	sep = memchr(u->s, '?', u->len) ? '&' : '?';
	u->s[u->len++] = sep;
	memcpy(u->s + u->len, key, kl);
	u->len += kl;
	u->s[u->len++] = '=';
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (unreserved(*p)) {
			u->s[u->len++] = (char)*p;
		} else {
			static const char hex[] = "0123456789ABCDEF";

			u->s[u->len++] = '%';
			u->s[u->len++] = hex[*p >> 4];
			u->s[u->len++] = hex[*p & 15];
		}
	}
	u->s[u->len] = '\0';
	return 0;
}

int knet_url_add_selectors(struct knet_url *u,
			   const struct knet_list_opts *opts)
{
	int r = 0;

	if (opts && opts->label_selector && *opts->label_selector)
		r = knet_url_add(u, "labelSelector", opts->label_selector);
	if (!r && opts && opts->field_selector && *opts->field_selector)
		r = knet_url_add(u, "fieldSelector", opts->field_selector);
	return r;
}

void knet_url_free(struct knet_url *u)
{
	free(u->s);
	u->s = NULL;
	u->len = u->cap = 0;
}

static int page_path(struct knet_url *u, const char *path,
		     const struct knet_list_opts *opts, const char *cont)
{
	char limit[16];
	int r;

	snprintf(limit, sizeof(limit), "%d",
		 opts && opts->limit > 0 ? opts->limit : DEFAULT_LIMIT);
	r = knet_url_set(u, path);
	if (!r)
		r = knet_url_add(u, "limit", limit);
	if (!r)
		r = knet_url_add_selectors(u, opts);
	if (!r && cont && *cont)
		r = knet_url_add(u, "continue", cont);
	return r;
}

/* strdup of @s into *@dst (freed first); -ENOMEM, never a silent NULL. */
static int replace_str(char **dst, const char *s)
{
	char *n = NULL;

	if (s && !(n = strdup(s)))
		return -ENOMEM;
	free(*dst);
	*dst = n;
	return 0;
}

static int page_sink(const char *data, size_t len, void *userdata)
{
	return knet_list_stream_feed(userdata, data, len);
}

/*
 * One page, its items to the stream's callback as they arrive: memory
 * holds one item, not the page.
 */
static int get_page(struct knet_api *api, const char *path, bool model,
		    struct knet_list_stream *s, struct knet_error *err)
{
	const struct knet_error *why;
	int r;

	knet_list_stream_reset(s);
	api->want_proto = knet_api_proto_for(api, path, model);
	api->sink_encoding = knet_list_stream_encoding;
	r = knet_api_do(api, "GET", path, NULL, NULL, NULL, page_sink, s, false,
			err);
	api->want_proto = false;
	api->sink_encoding = NULL;
	if (!r)
		r = knet_list_stream_end(s);
	why = knet_list_stream_error(s);
	if (why && why->code == -ENOMEM)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	if (why)
		return knet_error_set(err, -EBADMSG, KNET_EXIT_API,
				      "GET %s: the server sent %s", path,
				      why->reason);
	return r;
}

int knet_api_list(struct knet_api *api, const char *path,
		  const struct knet_list_opts *opts, knet_api_item_fn each,
		  void *userdata, char **ret_resource_version,
		  struct knet_error *err)
{
	char *cont = NULL, *rv = NULL;
	bool restarted = false;
	struct knet_url url = {0};
	struct knet_list_stream *s;
	int r;

	s = knet_list_stream_new(each, userdata);
	if (!s)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	for (;;) {
		const char *next, *v;

		r = page_path(&url, path, opts, cont);
		if (r < 0)
			goto oom;
		r = get_page(api, url.s, opts && opts->model, s, err);
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
		if (r)
			goto cleanup;
		v = knet_list_stream_resource_version(s);
		next = knet_list_stream_continue(s);
		/*
		 * A token lost to a failed copy would end the list after this
		 * page as if it were the last: fail instead.
		 */
		if ((v && replace_str(&rv, v) < 0) ||
		    replace_str(&cont, next && *next ? next : NULL) < 0)
			goto oom;
		if (!cont)
			break;
	}
	if (ret_resource_version) {
		*ret_resource_version = rv;
		rv = NULL;
	}
	r = 0;
	goto cleanup;
oom:
	r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
cleanup:
	free(cont);
	free(rv);
	knet_url_free(&url);
	knet_list_stream_free(s);
	return r;
}
