/* SPDX-License-Identifier: MIT */
/*
 * The IngressClass model: its controller and whether it is the default
 * class (the annotation), which decides the Ingresses that name none.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "objects-internal.h"
#include "knet/api.h"
#include "knet/objects.h"

#define DEFAULT_ANNOTATION "ingressclass.kubernetes.io/is-default-class"

void knet_ingress_class_free(struct knet_ingress_class *c)
{
	if (!c)
		return;
	knet_meta_clear(&c->meta);
	free(c->controller);
	free(c);
}

int knet_ingress_class_from_json(const cJSON *item,
				 struct knet_ingress_class **ret)
{
	struct knet_ingress_class *c = calloc(1, sizeof(*c));
	const char *v;

	if (!c)
		return -ENOMEM;
	if (knet_meta_from_json(item, &c->meta) < 0)
		goto oom;
	v = knet_json_str(
		knet_json_path(item, "metadata", "annotations", KNET_JSON_END),
		DEFAULT_ANNOTATION);
	/* The API server and controllers accept "true" only. */
	c->is_default = v && !strcmp(v, "true");
	if (knet_json_str(knet_json_get(item, "spec"), "controller") &&
	    !(c->controller = knet_json_strdup(knet_json_get(item, "spec"),
					       "controller")))
		goto oom;
	*ret = c;
	return 0;
oom:
	knet_ingress_class_free(c);
	return -ENOMEM;
}

static int parse_class(const cJSON *item, void **ret)
{
	return knet_ingress_class_from_json(item,
					    (struct knet_ingress_class **)ret);
}

static void free_class(void *p)
{
	knet_ingress_class_free(p);
}

void knet_ingress_class_list_free(struct knet_ingress_class_list *l)
{
	if (l)
		knet_k8s_items_free((void **)l->items, l->n, free_class);
	free(l);
}

int knet_ingress_class_list(struct knet_api *api,
			    struct knet_ingress_class_list **ret,
			    struct knet_error *err)
{
	struct knet_ingress_class_list *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	r = knet_k8s_collect(api, "networking.k8s.io/v1", NULL,
			     "ingressclasses", NULL, parse_class,
			     (void ***)&l->items, &l->n, NULL, err);
	if (r < 0) {
		knet_ingress_class_list_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

const char *knet_ingress_class_default(const struct knet_ingress_class_list *l)
{
	for (int i = 0; l && i < l->n; i++)
		if (l->items[i]->is_default)
			return l->items[i]->meta.name;
	return NULL;
}
