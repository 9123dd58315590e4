/* SPDX-License-Identifier: MIT */
#ifndef KNET_PROTO_INTERNAL_H
#define KNET_PROTO_INTERNAL_H

/*
 * The protobuf reader of lib/api (proto.c) and its schema
 * (proto-schema.c): a message is a table of the fields knet reads, each
 * with its field number, the JSON name it has in the API's JSON, and
 * how to read it.  Fields not in a table are skipped by wire type.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "knet/api.h"

enum knet_pf_kind {
	KNET_PF_STRING, /* string; "" is dropped, as omitempty does */
	KNET_PF_INT,	/* int32/int64 varint -> number; 0 dropped */
	KNET_PF_BOOL,	/* varint -> true/false */
	KNET_PF_MSG,	/* a nested message -> object (json NULL: inline) */
	KNET_PF_TIME,	/* meta.v1.Time -> RFC 3339 string, 0 dropped */
	KNET_PF_MAP,	/* map<string,string> -> object */
	KNET_PF_INTSTR, /* util.intstr.IntOrString -> number or string */
};

struct knet_pf_msg;

struct knet_pf_field {
	uint32_t num;
	uint8_t kind;  /* enum knet_pf_kind */
	bool repeated; /* -> a JSON array */
	const char *json;
	const struct knet_pf_msg *msg; /* KNET_PF_MSG */
};

struct knet_pf_msg {
	const char *name; /* for errors: "PodSpec" */
	const struct knet_pf_field *f;
	int n;
};

/*
 * A top-level kind the reader knows ("PodList", of @api_version such as
 * "discovery.k8s.io/v1", which may be NULL), NULL when not.
 */
const struct knet_pf_msg *knet_pf_kind(const char *kind,
				       const char *api_version);

/* Whether a resource ("pods") has its kinds in the schema. */
bool knet_pf_resource(const char *resource);

/* The envelope's TypeMeta {apiVersion, kind}. */
extern const struct knet_pf_msg knet_pf_type_meta;

/*
 * The @len bytes at @p as message @m, its fields added to @obj (a cJSON
 * object), nested @depth deep already (nesting is bounded).  0, or
 * -EBADMSG / -ENOMEM with @err saying where.  For the streamed list
 * (list-stream.c), which cuts a list into its items itself.
 */
int knet_proto_message(const struct knet_pf_msg *m, const void *p, size_t len,
		       int depth, cJSON *obj, struct knet_error *err);

#endif
