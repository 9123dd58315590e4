/* SPDX-License-Identifier: MIT */
#ifndef KNET_OBJECTS_INTERNAL_H
#define KNET_OBJECTS_INTERNAL_H

/* Shared by the object-model files (lib/k8s-*.c); not public. */

#include "knet/objects.h"

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
 * Free a model pointer array filled by knet_k8s_collect(): each item
 * with @free_one, then the array.  Accepts NULL.
 */
void knet_k8s_items_free(void **items, int n, void (*free_one)(void *));

#endif
