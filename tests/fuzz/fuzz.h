/* SPDX-License-Identifier: MIT */
#ifndef KNET_FUZZ_H
#define KNET_FUZZ_H

/*
 * Shared by the fuzz targets (tests/fuzz/fuzz-*.c).  Each defines
 * LLVMFuzzerTestOneInput(); libFuzzer drives it (make fuzz), and
 * replay.c feeds it the committed corpus under ASan (make fuzz-replay).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The input as a NUL-terminated string (a NUL inside ends it early, as
 * it would for a C string read from a file); free() it.
 */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/*
 * Split the input at the first "\n%%\n" into two strings: targets that
 * take two texts (nat and filter tables, two kubeconfig files).  @b is
 * "" when there is no separator.  Both point into one malloc'd block
 * returned in @ret_block.
 */
static inline int fuzz_split2(const uint8_t *data, size_t size, char **a,
			      char **b, char **ret_block)
{
	char *s = fuzz_str(data, size);
	char *sep;

	if (!s)
		return -1;
	*ret_block = s;
	*a = s;
	sep = strstr(s, "\n%%\n");
	if (sep) {
		*sep = '\0';
		*b = sep + 4;
	} else {
		*b = s + strlen(s);
	}
	return 0;
}

#ifdef FUZZ_MODELS
/*
 * For the targets whose input becomes API objects (objects: JSON,
 * proto: protobuf): every object found in @doc (itself, its first
 * "items", a watch event's "object") given to every model parser (pod,
 * service, EndpointSlice, Endpoints, node, namespace, NetworkPolicy,
 * Ingress, metadata, labels, selectors), each of which must refuse what
 * is not its kind, never crash.
 */
#include <cjson/cJSON.h>

#include "knet/api.h"
#include "knet/objects.h"

static inline void fuzz_every_parser(const cJSON *o)
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

static inline void fuzz_objects_of(const cJSON *doc)
{
	const cJSON *items, *it, *obj;
	int n = 0;

	fuzz_every_parser(doc);
	items = knet_json_get(doc, "items");
	if (cJSON_IsArray(items)) {
		cJSON_ArrayForEach(it, items)
		{
			/* A list of thousands finds nothing more. */
			if (n++ == 64)
				break;
			fuzz_every_parser(it);
		}
	}
	obj = knet_json_get(doc, "object");
	if (obj)
		fuzz_every_parser(obj);
}
#endif

#endif
