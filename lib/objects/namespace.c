/* SPDX-License-Identifier: MIT */
/* The Namespace model: its labels, for namespaceSelectors. */
#include <errno.h>
#include <stdlib.h>

#include "objects-internal.h"
#include "knet/api.h"
#include "knet/objects.h"

void knet_namespace_free(struct knet_namespace *ns)
{
	if (!ns)
		return;
	knet_meta_clear(&ns->meta);
	free(ns);
}

int knet_namespace_from_json(const cJSON *item, struct knet_namespace **ret)
{
	struct knet_namespace *ns = calloc(1, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	if (knet_meta_from_json(item, &ns->meta) < 0) {
		free(ns);
		return -ENOMEM;
	}
	*ret = ns;
	return 0;
}

static int parse_namespace(const cJSON *item, void **ret)
{
	return knet_namespace_from_json(item, (struct knet_namespace **)ret);
}

static void free_namespace(void *p)
{
	knet_namespace_free(p);
}

void knet_namespace_list_free(struct knet_namespace_list *l)
{
	if (l)
		knet_k8s_items_free((void **)l->items, l->n, free_namespace);
	free(l);
}

int knet_namespace_list(struct knet_api *api, const struct knet_list_opts *opts,
			struct knet_namespace_list **ret,
			struct knet_error *err)
{
	struct knet_namespace_list *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	r = knet_k8s_collect(api, "v1", NULL, "namespaces", opts,
			     parse_namespace, (void ***)&l->items, &l->n, NULL,
			     err);
	if (r < 0) {
		knet_namespace_list_free(l);
		return r;
	}
	*ret = l;
	return 0;
}
