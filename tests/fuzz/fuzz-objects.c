/* SPDX-License-Identifier: MIT */
/*
 * Kubernetes object JSON as the API sends it: one object, a List
 * ("items"), a watch event ({"type", "object"}) or a Status.  Every
 * object found is given to every parser (pod, service, EndpointSlice,
 * Endpoints, node, namespace, NetworkPolicy, Ingress, metadata, labels,
 * selectors): each must refuse what is not its kind, never crash.  The
 * whole body also goes to the Status mapper, as an error response would,
 * and is parsed both ways lib/api parses: into its arena (list pages)
 * and by cJSON (objects, watch events).
 */
#include <cjson/cJSON.h>

#include "knet/api.h"
#include "knet/objects.h"

/* knet_arena_parse(), as list pages are read. */
#include "../../lib/api/api-internal.h"

#include "fuzz.h"

static void every_parser(const cJSON *o)
{
	struct knet_pod *pod = NULL;
	struct knet_service *svc = NULL;
	struct knet_node *node = NULL;
	struct knet_namespace *ns = NULL;
	struct knet_netpol *np = NULL;
	struct knet_ingress *ing = NULL;
	struct knet_service_endpoints *se;
	struct knet_meta meta = {0};
	struct knet_labels labels = {0};
	struct knet_selector sel = {0};
	struct knet_error err = {0};
	char *s;

	if (knet_pod_from_json(o, &pod) == 0)
		knet_pod_free(pod);
	if (knet_service_from_json(o, &svc) == 0) {
		knet_service_find_port(svc, "http");
		knet_service_find_port(svc, "80");
		knet_service_free(svc);
	}
	if (knet_node_from_json(o, &node) == 0)
		knet_node_free(node);
	if (knet_namespace_from_json(o, &ns) == 0)
		knet_namespace_free(ns);
	if (knet_netpol_from_json(o, &np) == 0)
		knet_netpol_free(np);
	np = NULL;
	if (knet_netpol_parse(o, &np, &err) == 0)
		knet_netpol_free(np);
	if (knet_ingress_from_json(o, &ing) == 0)
		knet_ingress_free(ing);
	se = calloc(1, sizeof(*se));
	if (se) {
		knet_endpoints_add_slice(se, o);
		knet_endpoints_add_endpoints(se, o);
		knet_service_endpoints_free(se);
	}
	if (knet_meta_from_json(o, &meta) == 0)
		knet_meta_clear(&meta);
	if (knet_labels_from_json(o, &labels) == 0) {
		s = knet_labels_format(&labels);
		free(s);
		cJSON_Delete(knet_labels_to_json(&labels));
		knet_labels_clear(&labels);
	}
	if (knet_selector_parse(o, "spec.selector", &sel, &err) == 0)
		knet_selector_clear(&sel);
	s = knet_selector_format(o);
	free(s);
}

static void objects_of(const cJSON *doc)
{
	const cJSON *items, *it, *obj;
	int n = 0;

	every_parser(doc);
	items = knet_json_get(doc, "items");
	if (cJSON_IsArray(items)) {
		cJSON_ArrayForEach(it, items)
		{
			/* A list of thousands finds nothing more. */
			if (n++ == 64)
				break;
			every_parser(it);
		}
	}
	obj = knet_json_get(doc, "object");
	if (obj)
		every_parser(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct knet_arena *arena;
	struct knet_error err = {0};
	const cJSON *page;
	cJSON *doc;

	if (size < 1)
		return 0;
	knet_api_status_error(data[0] & 1 ? 403 : 500, (const char *)data, size,
			      &err);
	/* List pages are parsed into lib/api's arena... */
	if (!arena)
		arena = knet_arena_new();
	if (arena) {
		knet_arena_reset(arena);
		page = knet_arena_parse(arena, (const char *)data, size);
		if (page)
			objects_of(page);
	}
	/* ...single objects and watch events by cJSON. */
	doc = cJSON_ParseWithLength((const char *)data, size);
	if (doc) {
		objects_of(doc);
		cJSON_Delete(doc);
	}
	return 0;
}
