/* SPDX-License-Identifier: MIT */
/*
 * Kubernetes object JSON as the API sends it: one object, a List
 * ("items"), a watch event ({"type", "object"}) or a Status.  Every
 * object found is given to every parser (fuzz.h: pod, service,
 * EndpointSlice, Endpoints, node, namespace, NetworkPolicy, Ingress,
 * metadata, labels, selectors): each must refuse what is not its kind,
 * never crash.  The whole body also goes to the Status mapper, as an
 * error response would, and is parsed both ways lib/api parses: into its
 * arena (list pages, protobuf too) and by cJSON (objects, watch events).
 */
/* knet_arena_parse(), as list pages are read. */
#include "../../lib/api/api-internal.h"

#define FUZZ_MODELS
#include "fuzz.h"

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
	page = NULL;
	if (arena) {
		knet_arena_reset(arena);
		page = knet_arena_parse(arena, (const char *)data, size);
	}
	/* ...single objects and watch events by cJSON. */
	doc = cJSON_ParseWithLength((const char *)data, size);
	/*
	 * For JSON both trees come from cJSON_ParseWithLength() on the same
	 * bytes (knet_api_parse_body()): the same tree, and the parsers
	 * would take the same path twice.  They get the malloc'd one, where
	 * ASan sees every node and string whole (in the arena a read past
	 * one lands in the next), and the arena's when it is the only one:
	 * protobuf, converted by lib/api.
	 */
	if (doc)
		fuzz_objects_of(doc);
	else if (page)
		fuzz_objects_of(page);
	cJSON_Delete(doc);
	return 0;
}
