/* SPDX-License-Identifier: MIT */
/*
 * Kubernetes protobuf as the API sends it (lib/api/proto.c): an answer
 * that starts with the "k8s\0" envelope (an object, a list, a Status)
 * goes through knet_proto_to_json(), and through the Status mapper as an
 * error response would; anything else is read as a watch stream, frames
 * of a 4-byte big-endian length and a WatchEvent, as watch.c splits
 * them, each through knet_proto_watch_event().  Every tree that comes
 * out is given to every model parser (fuzz.h), as the JSON target does
 * for JSON: the protobuf reader must refuse what is malformed with a
 * reason, and what it accepts must be a tree the models survive.
 */
#include "knet/api.h"

#define FUZZ_MODELS
#include "fuzz.h"

/* A stream of thousands of events finds nothing more. */
#define MAX_FRAMES 64

static void stream(const uint8_t *data, size_t size)
{
	size_t off = 0;

	for (int i = 0; i < MAX_FRAMES && size - off >= 4; i++) {
		size_t n = (size_t)data[off] << 24 |
			   (size_t)data[off + 1] << 16 |
			   (size_t)data[off + 2] << 8 | data[off + 3];
		struct knet_error err = {0};
		cJSON *ev = NULL;

		off += 4;
		/* watch.c waits for the rest; here there is none. */
		if (n > size - off)
			break;
		if (knet_proto_watch_event(data + off, n, &ev, &err) == 0) {
			fuzz_objects_of(ev);
			cJSON_Delete(ev);
		} else if (!err.reason[0]) {
			abort(); /* refused without saying why */
		}
		off += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct knet_error err = {0};
	cJSON *doc = NULL;

	if (!knet_proto_is(data, size)) {
		stream(data, size);
		return 0;
	}
	knet_api_status_error(404, (const char *)data, size, &err);
	memset(&err, 0, sizeof(err));
	if (knet_proto_to_json(data, size, &doc, &err) == 0) {
		fuzz_objects_of(doc);
		cJSON_Delete(doc);
	} else if (!err.reason[0] || doc) {
		abort(); /* refused without saying why, or left a tree */
	}
	return 0;
}
