/* SPDX-License-Identifier: MIT */
/*
 * The API over protobuf: the "k8s\0" envelope (a runtime.Unknown that
 * names the kind and carries the message) and a reader that turns the
 * fields proto-schema.c lists into the JSON tree the API's JSON would
 * have given, skipping every other field by its wire type.  Written from
 * the protobuf encoding rules and the published field numbers; no
 * generated code.
 *
 * Untrusted input: every length is checked against what is left of the
 * buffer before it is used, varints are at most 10 bytes, groups (wire
 * types 3 and 4, unused by Kubernetes) are refused, and nesting is
 * bounded.  A malformed message gives -EBADMSG and a reason naming the
 * message and field.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "knet/api.h"
#include "proto-internal.h"

#define MAX_DEPTH 32
/* Fields of one message that become arrays: no schema has more. */
#define MAX_FIELDS 16

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

struct rd {
	const unsigned char *p, *end;
	struct knet_error *err;
	int depth;
};

static int bad(struct rd *r, const struct knet_pf_msg *m, uint32_t num,
	       const char *what)
{
	if (m && num)
		return knet_error_set(r->err, -EBADMSG, KNET_EXIT_API,
				      "invalid protobuf: %s field %u: %s",
				      m->name, num, what);
	return knet_error_set(r->err, -EBADMSG, KNET_EXIT_API,
			      "invalid protobuf: %s%s%s", m ? m->name : "",
			      m ? ": " : "", what);
}

static bool varint(struct rd *r, uint64_t *v)
{
	uint64_t x = 0;

	for (int shift = 0; shift < 70 && r->p < r->end; shift += 7) {
		unsigned char b = *r->p++;

		/* The tenth byte may only carry bit 63. */
		if (shift == 63 && b > 1)
			return false;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return true;
		}
	}
	return false; /* truncated, or longer than 10 bytes */
}

/* A length-delimited field: its bytes, within the buffer. */
static bool bytes(struct rd *r, const unsigned char **ret, size_t *len)
{
	uint64_t n;

	if (!varint(r, &n) || n > (uint64_t)(r->end - r->p))
		return false;
	*ret = r->p;
	*len = (size_t)n;
	r->p += n;
	return true;
}

static int skip(struct rd *r, const struct knet_pf_msg *m, uint32_t num,
		unsigned wt)
{
	const unsigned char *b;
	uint64_t v;
	size_t n;

	switch (wt) {
	case WT_VARINT:
		if (!varint(r, &v))
			return bad(r, m, num, "truncated varint");
		return 0;
	case WT_I64:
	case WT_I32:
		n = wt == WT_I64 ? 8 : 4;
		if ((size_t)(r->end - r->p) < n)
			return bad(r, m, num, "truncated fixed-width value");
		r->p += n;
		return 0;
	case WT_LEN:
		if (!bytes(r, &b, &n))
			return bad(r, m, num, "length past the end");
		return 0;
	default:
		return bad(r, m, num, "unsupported wire type");
	}
}

static cJSON *string_n(const unsigned char *s, size_t n)
{
	char buf[256], *tmp = n < sizeof(buf) ? buf : malloc(n + 1);
	cJSON *j;

	if (!tmp)
		return NULL;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	j = cJSON_CreateString(tmp);
	if (tmp != buf)
		free(tmp);
	return j;
}

static int message(struct rd *r, const struct knet_pf_msg *m,
		   const unsigned char *p, size_t len, cJSON *obj);

/* meta.v1.Time {seconds = 1, nanos = 2} as the JSON has it. */
static int time_value(struct rd *r, const struct knet_pf_msg *m, uint32_t num,
		      const unsigned char *p, size_t len, cJSON **ret)
{
	struct rd sub = {p, p + len, r->err, r->depth};
	long long secs = 0;
	struct tm tm;
	char buf[32];
	time_t t;

	*ret = NULL;
	while (sub.p < sub.end) {
		uint64_t key, v;

		if (!varint(&sub, &key))
			return bad(r, m, num, "truncated varint");
		if ((key >> 3) == 1 && (key & 7) == WT_VARINT) {
			if (!varint(&sub, &v))
				return bad(r, m, num, "truncated varint");
			secs = (long long)v;
		} else if ((key >> 3) == 1) {
			return bad(r, m, num, "wrong wire type");
		} else if (skip(&sub, m, num, key & 7) < 0) {
			return -EBADMSG;
		}
	}
	/* The zero time: JSON has null, which the models read as absent. */
	if (!secs)
		return 0;
	t = (time_t)secs;
	if (!gmtime_r(&t, &tm) ||
	    !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return bad(r, m, num, "time out of range");
	*ret = cJSON_CreateString(buf);
	return *ret ? 0 : -ENOMEM;
}

/*
 * util.intstr.IntOrString {type = 1, intVal = 2, strVal = 3}: a number
 * or a string in the JSON, by its type.
 */
static int intstr_value(struct rd *r, const struct knet_pf_msg *m, uint32_t num,
			const unsigned char *p, size_t len, cJSON **ret)
{
	struct rd sub = {p, p + len, r->err, r->depth};
	const unsigned char *s = NULL;
	uint64_t type = 0, ival = 0;
	size_t sl = 0;

	while (sub.p < sub.end) {
		uint64_t key;
		bool ok = true;

		if (!varint(&sub, &key))
			return bad(r, m, num, "truncated varint");
		switch (key) {
		case 1 << 3 | WT_VARINT:
			ok = varint(&sub, &type);
			break;
		case 2 << 3 | WT_VARINT:
			ok = varint(&sub, &ival);
			break;
		case 3 << 3 | WT_LEN:
			ok = bytes(&sub, &s, &sl);
			break;
		default:
			if ((key >> 3) >= 1 && (key >> 3) <= 3)
				return bad(r, m, num, "wrong wire type");
			if (skip(&sub, m, num, key & 7) < 0)
				return -EBADMSG;
		}
		if (!ok)
			return bad(r, m, num, "truncated value");
	}
	*ret = type == 1 ? string_n(s ? s : (const unsigned char *)"", sl)
			 : cJSON_CreateNumber((double)(int32_t)ival);
	return *ret ? 0 : -ENOMEM;
}

/* One map<string,string> entry {key = 1, value = 2} into @obj. */
static int map_entry(struct rd *r, const struct knet_pf_msg *m, uint32_t num,
		     const unsigned char *p, size_t len, cJSON *obj)
{
	struct rd sub = {p, p + len, r->err, r->depth};
	const unsigned char *k = NULL, *v = NULL;
	size_t kl = 0, vl = 0;
	cJSON *val;
	char key[256], *kbuf;

	while (sub.p < sub.end) {
		uint64_t tag;
		const unsigned char *b;
		size_t n;

		if (!varint(&sub, &tag))
			return bad(r, m, num, "truncated varint");
		if ((tag >> 3) == 1 || (tag >> 3) == 2) {
			if ((tag & 7) != WT_LEN)
				return bad(r, m, num, "wrong wire type");
			if (!bytes(&sub, &b, &n))
				return bad(r, m, num, "length past the end");
			if ((tag >> 3) == 1)
				k = b, kl = n;
			else
				v = b, vl = n;
		} else if (skip(&sub, m, num, tag & 7) < 0) {
			return -EBADMSG;
		}
	}
	val = string_n(v ? v : (const unsigned char *)"", vl);
	kbuf = kl < sizeof(key) ? key : malloc(kl + 1);
	if (!val || !kbuf) {
		cJSON_Delete(val);
		if (kbuf && kbuf != key)
			free(kbuf);
		return -ENOMEM;
	}
	if (kl)
		memcpy(kbuf, k, kl);
	kbuf[kl] = '\0';
	cJSON_AddItemToObject(obj, kbuf, val);
	if (kbuf != key)
		free(kbuf);
	return 0;
}

static const struct knet_pf_field *find(const struct knet_pf_msg *m,
					uint32_t num, int *idx)
{
	for (int i = 0; i < m->n; i++)
		if (m->f[i].num == num) {
			*idx = i;
			return &m->f[i];
		}
	return NULL;
}

/* The wire type a field of @kind must have. */
static unsigned wire_type(const struct knet_pf_field *f)
{
	switch (f->kind) {
	case KNET_PF_INT:
	case KNET_PF_BOOL:
		return WT_VARINT;
	default:
		return WT_LEN;
	}
}

/* Add @v under @f's name, or to its array (made on first use). */
static int put(cJSON *obj, cJSON **arrays, int idx,
	       const struct knet_pf_field *f, cJSON *v)
{
	if (!f->repeated) {
		/* A repeated occurrence of a singular field: the last wins. */
		cJSON_DeleteItemFromObjectCaseSensitive(obj, f->json);
		cJSON_AddItemToObjectCS(obj, f->json, v);
		return 0;
	}
	if (!arrays[idx]) {
		arrays[idx] = cJSON_CreateArray();
		if (!arrays[idx])
			return -ENOMEM;
		cJSON_AddItemToObjectCS(obj, f->json, arrays[idx]);
	}
	cJSON_AddItemToArray(arrays[idx], v);
	return 0;
}

static int field(struct rd *r, const struct knet_pf_msg *m,
		 const struct knet_pf_field *f, cJSON *obj, cJSON **arrays,
		 int idx)
{
	const unsigned char *b = NULL;
	uint64_t v = 0;
	size_t n = 0;
	cJSON *val = NULL, *map;
	int ret;

	if (wire_type(f) == WT_VARINT) {
		if (!varint(r, &v))
			return bad(r, m, f->num, "truncated varint");
	} else if (!bytes(r, &b, &n)) {
		return bad(r, m, f->num, "length past the end");
	}
	switch (f->kind) {
	case KNET_PF_STRING:
		/* omitempty: JSON leaves the empty string out (not from a
		 * list, where it keeps its place). */
		if (!n && !f->repeated)
			return 0;
		val = string_n(b, n);
		break;
	case KNET_PF_INT:
		/*
		 * omitempty again: Go's protobuf writes a 0 the JSON leaves
		 * out, and a model may ask whether it is there (an Ingress
		 * backend's port.number or port.name).  int32 and int64
		 * both: two's complement in 64 bits.
		 */
		if (!v)
			return 0;
		val = cJSON_CreateNumber((double)(int64_t)v);
		break;
	case KNET_PF_BOOL:
		val = cJSON_CreateBool(v != 0);
		break;
	case KNET_PF_TIME:
		ret = time_value(r, m, f->num, b, n, &val);
		if (ret < 0 || !val)
			return ret;
		break;
	case KNET_PF_INTSTR:
		ret = intstr_value(r, m, f->num, b, n, &val);
		if (ret < 0)
			return ret;
		break;
	case KNET_PF_MAP:
		map = cJSON_GetObjectItemCaseSensitive(obj, f->json);
		if (!map) {
			map = cJSON_CreateObject();
			if (!map)
				return -ENOMEM;
			cJSON_AddItemToObjectCS(obj, f->json, map);
		}
		return map_entry(r, m, f->num, b, n, map);
	case KNET_PF_MSG:
		/* An embedded struct: its fields go into this object. */
		if (!f->json)
			return message(r, f->msg, b, n, obj);
		val = cJSON_CreateObject();
		if (!val)
			return -ENOMEM;
		ret = message(r, f->msg, b, n, val);
		if (ret < 0) {
			cJSON_Delete(val);
			return ret;
		}
		break;
	default:
		return bad(r, m, f->num, "not in the schema");
	}
	if (!val)
		return -ENOMEM;
	ret = put(obj, arrays, idx, f, val);
	if (ret < 0)
		cJSON_Delete(val);
	return ret;
}

static int message(struct rd *r, const struct knet_pf_msg *m,
		   const unsigned char *p, size_t len, cJSON *obj)
{
	struct rd sub = {p, p + len, r->err, r->depth + 1};
	cJSON *arrays[MAX_FIELDS] = {0};

	if (sub.depth > MAX_DEPTH)
		return bad(r, m, 0, "nested too deep");
	if (m->n > MAX_FIELDS)
		return bad(r, m, 0, "schema too large");
	while (sub.p < sub.end) {
		const struct knet_pf_field *f;
		uint64_t key;
		uint32_t num;
		int idx = 0, ret;

		if (!varint(&sub, &key))
			return bad(r, m, 0, "truncated varint");
		if (key >> 3 == 0 || key >> 3 > UINT32_MAX >> 3)
			return bad(r, m, 0, "invalid field number");
		num = (uint32_t)(key >> 3);
		f = find(m, num, &idx);
		if (!f) {
			ret = skip(&sub, m, num, key & 7);
		} else if ((key & 7) != wire_type(f)) {
			ret = bad(r, m, num, "wrong wire type");
		} else {
			ret = field(&sub, m, f, obj, arrays, idx);
		}
		if (ret < 0)
			return ret;
	}
	return 0;
}

int knet_proto_message(const struct knet_pf_msg *m, const void *p, size_t len,
		       int depth, cJSON *obj, struct knet_error *err)
{
	struct rd r = {p, (const unsigned char *)p + len, err, depth};

	return message(&r, m, r.p, len, obj);
}

/* runtime.Unknown: typeMeta = 1, raw = 2, contentEncoding = 3,
 * contentType = 4. */
static const struct knet_pf_field unknown_f[] = {
	{1, KNET_PF_MSG, false, "typeMeta", &knet_pf_type_meta},
	{3, KNET_PF_STRING, false, "contentEncoding", NULL},
};
static const struct knet_pf_msg unknown = {"Unknown", unknown_f, 2};

/* The raw field (2) of an Unknown, without copying it. */
static int unknown_raw(struct rd *r, const unsigned char **raw, size_t *len)
{
	*raw = NULL;
	*len = 0;
	while (r->p < r->end) {
		uint64_t key;

		if (!varint(r, &key))
			return bad(r, &unknown, 0, "truncated varint");
		if (key >> 3 == 2) {
			if ((key & 7) != WT_LEN)
				return bad(r, &unknown, 2, "wrong wire type");
			if (!bytes(r, raw, len))
				return bad(r, &unknown, 2,
					   "length past the end");
		} else if (skip(r, &unknown, (uint32_t)(key >> 3), key & 7) <
			   0) {
			return -EBADMSG;
		}
	}
	return 0;
}

/*
 * One frame of a watch stream: a meta.v1.WatchEvent {type = 1, object =
 * 2 (a runtime.RawExtension {raw = 1}, whose raw is an envelope)}, with
 * no envelope of its own.
 */
int knet_proto_watch_event(const void *buf, size_t len, cJSON **ret,
			   struct knet_error *err)
{
	static const struct knet_pf_msg ev = {"WatchEvent", NULL, 0};
	static const struct knet_pf_msg ext = {"RawExtension", NULL, 0};
	struct rd r = {buf, (const unsigned char *)buf + len, err, 0};
	const unsigned char *type = NULL, *obj = NULL, *raw = NULL;
	size_t tl = 0, ol = 0, rl = 0;
	cJSON *out = NULL, *o = NULL;
	int rc;

	*ret = NULL;
	while (r.p < r.end) {
		uint64_t key;

		if (!varint(&r, &key))
			return bad(&r, &ev, 0, "truncated varint");
		if (key == (1 << 3 | WT_LEN) || key == (2 << 3 | WT_LEN)) {
			if (!bytes(&r, key >> 3 == 1 ? &type : &obj,
				   key >> 3 == 1 ? &tl : &ol))
				return bad(&r, &ev, (uint32_t)(key >> 3),
					   "length past the end");
		} else if ((key >> 3) == 1 || (key >> 3) == 2) {
			return bad(&r, &ev, (uint32_t)(key >> 3),
				   "wrong wire type");
		} else if (skip(&r, &ev, (uint32_t)(key >> 3), key & 7) < 0) {
			return -EBADMSG;
		}
	}
	/* Not obj + ol without an object: NULL + 0 is undefined. */
	if (obj) {
		r.p = obj;
		r.end = obj + ol;
	}
	while (obj && r.p < r.end) {
		uint64_t key;

		if (!varint(&r, &key))
			return bad(&r, &ext, 0, "truncated varint");
		if (key == (1 << 3 | WT_LEN)) {
			if (!bytes(&r, &raw, &rl))
				return bad(&r, &ext, 1, "length past the end");
		} else if ((key >> 3) == 1) {
			return bad(&r, &ext, 1, "wrong wire type");
		} else if (skip(&r, &ext, (uint32_t)(key >> 3), key & 7) < 0) {
			return -EBADMSG;
		}
	}
	if (!type || !raw)
		return bad(&r, &ev, 0, "no type or no object");
	rc = knet_proto_to_json(raw, rl, &o, err);
	if (rc < 0)
		return rc;
	out = cJSON_CreateObject();
	if (!out || !cJSON_AddItemToObject(out, "type", string_n(type, tl)) ||
	    !knet_json_str(out, "type")) {
		cJSON_Delete(out);
		cJSON_Delete(o);
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	}
	cJSON_AddItemToObject(out, "object", o);
	*ret = out;
	return 0;
}

bool knet_proto_is(const void *buf, size_t len)
{
	return len >= 4 && !memcmp(buf, "k8s\0", 4);
}

int knet_proto_to_json(const void *buf, size_t len, cJSON **ret,
		       struct knet_error *err)
{
	const unsigned char *p = buf, *raw;
	struct rd r = {p + 4, p + len, err, 0};
	const struct knet_pf_msg *m;
	const char *kind, *enc;
	cJSON *env, *tm, *obj = NULL;
	size_t rawlen;
	int ret_code;

	*ret = NULL;
	if (!knet_proto_is(buf, len))
		return knet_error_set(err, -EBADMSG, KNET_EXIT_API,
				      "invalid protobuf: no k8s envelope");
	env = cJSON_CreateObject();
	if (!env)
		goto oom;
	ret_code = message(&r, &unknown, r.p, (size_t)(r.end - r.p), env);
	if (ret_code < 0)
		goto fail;
	r.p = p + 4;
	ret_code = unknown_raw(&r, &raw, &rawlen);
	if (ret_code < 0)
		goto fail;
	tm = cJSON_GetObjectItemCaseSensitive(env, "typeMeta");
	kind = knet_json_str(tm, "kind");
	enc = knet_json_str(env, "contentEncoding");
	if (enc && *enc) {
		ret_code = knet_error_set(err, -EBADMSG, KNET_EXIT_API,
					  "protobuf content encoding '%.32s' "
					  "not supported",
					  enc);
		goto fail;
	}
	m = kind ? knet_pf_kind(kind, knet_json_str(tm, "apiVersion")) : NULL;
	if (!m) {
		ret_code = knet_error_set(err, -EBADMSG, KNET_EXIT_API,
					  "protobuf kind '%.64s' not supported",
					  kind ? kind : "");
		goto fail;
	}
	obj = cJSON_CreateObject();
	if (!obj || !cJSON_AddStringToObject(obj, "kind", kind))
		goto oom;
	if (knet_json_str(tm, "apiVersion") &&
	    !cJSON_AddStringToObject(obj, "apiVersion",
				     knet_json_str(tm, "apiVersion")))
		goto oom;
	ret_code = message(&r, m, raw ? raw : p, rawlen, obj);
	if (ret_code < 0)
		goto fail;
	cJSON_Delete(env);
	*ret = obj;
	return 0;
oom:
	ret_code =
		knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
fail:
	if (ret_code == -ENOMEM)
		knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
	cJSON_Delete(env);
	cJSON_Delete(obj);
	return ret_code;
}
