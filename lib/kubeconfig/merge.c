/* SPDX-License-Identifier: MIT */
/*
 * Reading and merging kubeconfig files the way kubectl's loading rules
 * do: the first file to name a cluster, user or context wins it whole,
 * and current-context comes from the first file that sets one.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/api.h"
#include "knet/kubeconfig.h"

#define KUBECONFIG_MAX_SIZE (16u << 20)

static const char *const named_lists[] = {"clusters", "users", "contexts"};

/*
 * Make a relative path absolute against @dir, in place in the tree.
 * Empty and absolute paths stay as they are.
 */
static int resolve_field(cJSON *obj, const char *key, const char *dir)
{
	const char *v = knet_json_str(obj, key);
	char *abs;
	int r;

	if (!v || !*v || v[0] == '/')
		return 0;
	if (asprintf(&abs, "%s/%s", dir, v) < 0)
		return -ENOMEM;
	r = cJSON_ReplaceItemInObjectCaseSensitive(obj, key,
						   cJSON_CreateString(abs))
		    ? 0
		    : -ENOMEM;
	free(abs);
	return r;
}

static int resolve_paths(cJSON *doc, const char *file)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(file, '/');
	const cJSON *it;
	int r = 0;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == file)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - file), file);

	cJSON_ArrayForEach(it, knet_json_get(doc, "clusters"))
	{
		cJSON *c = (cJSON *)knet_json_get(it, "cluster");

		r = r ?: resolve_field(c, "certificate-authority", dir);
	}
	cJSON_ArrayForEach(it, knet_json_get(doc, "users"))
	{
		cJSON *u = (cJSON *)knet_json_get(it, "user");
		cJSON *ex = (cJSON *)knet_json_get(u, "exec");
		const char *cmd = knet_json_str(ex, "command");

		r = r ?: resolve_field(u, "client-certificate", dir);
		r = r ?: resolve_field(u, "client-key", dir);
		r = r ?: resolve_field(u, "tokenFile", dir);
		/* kubectl resolves a command only when it names a path. */
		if (cmd && strchr(cmd, '/'))
			r = r ?: resolve_field(ex, "command", dir);
	}
	return r;
}

static bool list_has_name(const cJSON *list, const char *name)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, list)
	{
		const char *n = knet_json_str(it, "name");

		if (n && !strcmp(n, name))
			return true;
	}
	return false;
}

/* Move what @from adds into @into; @from is consumed. */
static int merge_into(cJSON *into, cJSON *from)
{
	const char *cc = knet_json_str(from, "current-context");
	const char *have = knet_json_str(into, "current-context");

	if (cc && *cc && !(have && *have)) {
		knet_json_wipe_delete(cJSON_DetachItemFromObjectCaseSensitive(
			into, "current-context"));
		cJSON_AddStringToObject(into, "current-context", cc);
	}
	for (size_t i = 0; i < sizeof(named_lists) / sizeof(*named_lists);
	     i++) {
		cJSON *src =
			cJSON_GetObjectItemCaseSensitive(from, named_lists[i]);
		cJSON *dst =
			cJSON_GetObjectItemCaseSensitive(into, named_lists[i]);

		if (!cJSON_IsArray(src))
			continue;
		if (!cJSON_IsArray(dst)) {
			/* Not a list: dropped, wiped as it may be anything. */
			knet_json_wipe_delete(
				cJSON_DetachItemFromObjectCaseSensitive(
					into, named_lists[i]));
			dst = cJSON_AddArrayToObject(into, named_lists[i]);
			if (!dst)
				return -ENOMEM;
		}
		while (cJSON_GetArraySize(src) > 0) {
			cJSON *item = cJSON_DetachItemFromArray(src, 0);
			const char *name = knet_json_str(item, "name");

			if (!name || list_has_name(dst, name))
				knet_json_wipe_delete(item);
			else
				cJSON_AddItemToArray(dst, item);
		}
	}
	return 0;
}

/* One file's text, @path naming it in errors and for relative paths. */
static int load_text(const char *path, const char *text, size_t len,
		     cJSON **ret_doc, struct knet_error *err)
{
	struct knet_error yerr;
	cJSON *doc = NULL;
	int r;

	knet_error_clear(&yerr);
	r = knet_yaml_parse(text, len, &doc, &yerr);
	if (r < 0) {
		knet_error_set(err, r, KNET_EXIT_API, "%s: %s", path,
			       yerr.reason);
		goto cleanup;
	}
	if (cJSON_IsNull(doc)) {
		/* An empty file is an empty config, as for kubectl. */
		knet_json_wipe_delete(doc);
		doc = cJSON_CreateObject();
	}
	if (!cJSON_IsObject(doc)) {
		r = knet_error_set(err, -EINVAL, KNET_EXIT_API,
				   "%s: not a kubeconfig (expected a mapping "
				   "at the top)",
				   path);
		goto cleanup;
	}
	for (size_t i = 0; i < sizeof(named_lists) / sizeof(*named_lists);
	     i++) {
		const cJSON *l = knet_json_get(doc, named_lists[i]);

		if (l && !cJSON_IsArray(l) && !cJSON_IsNull(l)) {
			r = knet_error_set(err, -EINVAL, KNET_EXIT_API,
					   "%s: '%s' must be a list", path,
					   named_lists[i]);
			goto cleanup;
		}
	}
	r = resolve_paths(doc, path);
	if (r < 0) {
		knet_error_set(err, r, KNET_EXIT_SYSTEM, "out of memory");
		goto cleanup;
	}
	*ret_doc = doc;
	doc = NULL;
cleanup:
	knet_json_wipe_delete(doc);
	return r;
}

static int load_one(const char *path, bool required, cJSON **ret_doc,
		    struct knet_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	r = knet_file_read(path, KUBECONFIG_MAX_SIZE, &text, &len);
	if (r == -ENOENT && !required)
		return -ENOENT;
	if (r < 0)
		return knet_error_set(err, r, KNET_EXIT_API, "%s: %s", path,
				      knet_errstr(r));
	r = load_text(path, text, len, ret_doc, err);
	/* The text holds every token and key of the file. */
	if (text)
		explicit_bzero(text, len);
	free(text);
	return r;
}

/* Merge @doc into *@merged (or make it *@merged); @doc is consumed. */
static int merge_doc(cJSON **merged, cJSON *doc, struct knet_error *err)
{
	int r;

	if (!*merged) {
		*merged = doc;
		return 0;
	}
	r = merge_into(*merged, doc);
	knet_json_wipe_delete(doc);
	if (r < 0)
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "out of memory");
	return 0;
}

/* Files (@texts NULL: read them) or texts named by @paths, merged. */
static int merge_all(const char *const *paths, const char *const *texts, int n,
		     bool required, cJSON **ret_doc, struct knet_error *err)
{
	cJSON *merged = NULL;
	int r = 0;

	for (int i = 0; i < n; i++) {
		cJSON *doc = NULL;

		if (!paths[i] || !*paths[i])
			continue;
		r = texts ? load_text(paths[i], texts[i], strlen(texts[i]),
				      &doc, err)
			  : load_one(paths[i], required, &doc, err);
		if (r == -ENOENT && !required)
			continue;
		if (r < 0)
			goto cleanup;
		r = merge_doc(&merged, doc, err);
		if (r < 0)
			goto cleanup;
	}
	if (!merged)
		return -ENOENT;
	*ret_doc = merged;
	merged = NULL;
	r = 0;
cleanup:
	knet_json_wipe_delete(merged);
	return r;
}

int knet_kubeconfig_merge_files(const char *const *paths, int n, bool required,
				cJSON **ret_doc, struct knet_error *err)
{
	return merge_all(paths, NULL, n, required, ret_doc, err);
}

int knet_kubeconfig_merge_texts(const char *const *paths,
				const char *const *texts, int n,
				cJSON **ret_doc, struct knet_error *err)
{
	return merge_all(paths, texts, n, true, ret_doc, err);
}
