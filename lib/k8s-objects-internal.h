/* SPDX-License-Identifier: MIT */
#ifndef KNET_K8S_OBJECTS_INTERNAL_H
#define KNET_K8S_OBJECTS_INTERNAL_H

/* Shared by the object-model files (lib/k8s-*.c); not public. */

#include "knet/k8s-objects.h"

/* Parse one API object into a model (a struct knet_pod ** etc.). */
typedef int (*knet_k8s_parse_fn)(const cJSON *item, void **ret);

/*
 * List @resource of @group_version in @ns (NULL: all) into a growing
 * pointer array (*items, *n), parsing each item with @parse.
 */
int knet_k8s_collect(struct knet_api *api, const char *group_version,
		     const char *ns, const char *resource,
		     const struct knet_list_opts *opts, knet_k8s_parse_fn parse,
		     void ***items, int *n, char **ret_rv,
		     struct knet_error *err);

/* GET one object by name and parse it. */
int knet_k8s_get(struct knet_api *api, const char *group_version,
		 const char *ns, const char *resource, const char *name,
		 knet_k8s_parse_fn parse, void **ret, struct knet_error *err);

/*
 * For a model whose list is { items, n }: parse_<kind>() (the parse_fn
 * of knet_<kind>_from_json), knet_<kind>_list_free(), and a static
 * list_<kind>(api, group_version, ns, opts, ret, err) for the public
 * list function to call.
 */
#define KNET_K8S_LIST_FUNCS(kind, resource, free_fn)                           \
	static int parse_##kind(const cJSON *item, void **ret)                 \
	{                                                                      \
		return knet_##kind##_from_json(item,                           \
					       (struct knet_##kind **)ret);    \
	}                                                                      \
	void knet_##kind##_list_free(struct knet_##kind##_list *l)             \
	{                                                                      \
		if (!l)                                                        \
			return;                                                \
		for (int i = 0; i < l->n; i++)                                 \
			free_fn(l->items[i]);                                  \
		free(l->items);                                                \
		free(l);                                                       \
	}                                                                      \
	static int list_##kind(                                                \
		struct knet_api *api, const char *gv, const char *ns,          \
		const struct knet_list_opts *opts,                             \
		struct knet_##kind##_list **ret, struct knet_error *err)       \
	{                                                                      \
		struct knet_##kind##_list *l = calloc(1, sizeof(*l));          \
		int r;                                                         \
		if (!l)                                                        \
			return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,  \
					      "out of memory");                \
		r = knet_k8s_collect(api, gv, ns, resource, opts,              \
				     parse_##kind, (void ***)&l->items, &l->n, \
				     NULL, err);                               \
		if (r < 0) {                                                   \
			knet_##kind##_list_free(l);                            \
			return r;                                              \
		}                                                              \
		*ret = l;                                                      \
		return 0;                                                      \
	}

#endif
