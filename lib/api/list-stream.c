/* SPDX-License-Identifier: MIT */
/*
 * A list page read item by item as its bytes arrive, in JSON or in
 * protobuf, so that memory holds one item and never the page (500
 * production pods are 12 MB of JSON, and their tree several times that).
 * A small state machine cuts the body into the list's items and its own
 * fields; each item is then parsed alone, into an arena reset for the
 * next, and handed to the caller.  An item is the tree the whole page
 * would have given for it (the same cJSON, the same protobuf reader), so
 * the models cannot tell the difference.
 *
 * JSON: the skeleton {"key": value, ..., "items": [v, v, ...]} is checked
 * here; a value (member or item) ends where its brackets close, counted
 * outside strings, and cJSON checks the rest.  Protobuf: the envelope
 * (runtime.Unknown) and the list message are read field by field, each
 * length checked against what encloses it; items go to proto.c.
 * Untrusted input: every error ends the page with a reason, and a body
 * that ends in the middle of anything is one.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-internal.h"
#include "proto-internal.h"

enum { ENC_NONE, ENC_MAGIC, ENC_JSON, ENC_PROTO };

/* What the value being kept is. */
enum {
	KEEP_ITEM,     /* an item of the list */
	KEEP_META,     /* the list's metadata */
	KEEP_OTHER,    /* another member of the JSON list: checked, dropped */
	KEEP_TYPEMETA, /* the envelope's kind */
	KEEP_ENCODING, /* the envelope's contentEncoding */
	KEEP_RAW,      /* the list message, seen before its kind */
};

/* JSON: where in the skeleton. */
enum {
	J_START,       /* before the '{' */
	J_KEY_OR_END,  /* after the '{' */
	J_KEY_START,   /* after a ',': a key */
	J_KEY,	       /* in a key */
	J_COLON,       /* after a key */
	J_VALUE,       /* before a member's value */
	J_ITEMS_FIRST, /* after "items": [ */
	J_ITEM,	       /* after a ',' in the items */
	J_AFTER_ITEM,
	J_AFTER_MEMBER,
	J_VALUE_IN, /* in a value that is kept */
	J_DONE,
};

/* Protobuf: what the next bytes are. */
enum {
	P_TAG,	  /* a field's key (varint) */
	P_LEN,	  /* a length-delimited field's length */
	P_VARINT, /* a varint value, skipped */
	P_SKIP,	  /* bytes skipped */
	P_KEEP,	  /* bytes kept in buf */
};

struct knet_list_stream {
	knet_api_item_fn each;
	void *userdata;
	struct knet_arena *arena;
	struct knet_error why;
	bool bad;
	int enc;
	size_t nmagic;
	long items;
	char *rv, *cont;

	/* the value being kept, across chunks (wiped: a Secret's data) */
	char *buf;
	size_t len, cap;
	int keep; /* KEEP_* */

	/* JSON */
	int js;
	int depth;
	bool str, esc, scalar, in_items;
	char key[16];
	size_t keylen;
	bool key_odd; /* longer than key[] or escaped: matches nothing */

	/* protobuf */
	int ps;
	uint64_t acc;
	int shift;
	uint64_t tag;
	uint64_t want; /* bytes left of the field skipped or kept */
	bool in_raw;   /* in the list message (the envelope's raw) */
	uint64_t raw_left;
	bool have_type; /* the envelope's kind was read */
	bool seen_raw;	/* and its list */
	const struct knet_pf_msg *list;
	const struct knet_pf_field *items_f, *field;
	char *raw; /* the list message when it came before its kind */
	size_t raw_len, raw_cap;
};

static int bad(struct knet_list_stream *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(struct knet_list_stream *s, int code, const char *fmt, ...)
{
	va_list ap;

	if (!s->bad) {
		va_start(ap, fmt);
		vsnprintf(s->why.reason, sizeof(s->why.reason), fmt, ap);
		va_end(ap);
		s->why.code = code;
		s->bad = true;
	}
	return code;
}

/* A reason from proto.c, kept as it is. */
static int bad_from(struct knet_list_stream *s, int code,
		    const struct knet_error *e)
{
	if (code == -ENOMEM)
		return bad(s, code, "out of memory");
	return bad(s, code, "%s", e->reason[0] ? e->reason : "invalid data");
}

struct knet_list_stream *knet_list_stream_new(knet_api_item_fn each,
					      void *userdata)
{
	struct knet_list_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->arena = knet_arena_new();
	if (!s->arena) {
		free(s);
		return NULL;
	}
	s->each = each;
	s->userdata = userdata;
	return s;
}

void knet_list_stream_reset(struct knet_list_stream *s)
{
	char *buf = s->buf, *raw = s->raw;
	size_t cap = s->cap, raw_cap = s->raw_cap;
	struct knet_arena *arena = s->arena;
	knet_api_item_fn each = s->each;
	void *userdata = s->userdata;

	/* The buffers and the arena stay for the next page. */
	free(s->rv);
	free(s->cont);
	memset(s, 0, sizeof(*s));
	s->buf = buf;
	s->cap = cap;
	s->raw = raw;
	s->raw_cap = raw_cap;
	s->arena = arena;
	s->each = each;
	s->userdata = userdata;
}

void knet_list_stream_free(struct knet_list_stream *s)
{
	if (!s)
		return;
	knet_api_wipe_buf_free(s->buf, s->cap);
	knet_api_wipe_buf_free(s->raw, s->raw_cap);
	knet_arena_free(s->arena);
	free(s->rv);
	free(s->cont);
	free(s);
}

/* Append to buf, NUL-terminated (cJSON and the reasons read it so). */
static int keep(struct knet_list_stream *s, const void *p, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 16384;

		while (cap < s->len + n + 1)
			cap *= 2;
		if (knet_api_wipe_reserve(&s->buf, &s->cap, s->len, cap) < 0)
			return bad(s, -ENOMEM, "out of memory");
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return 0;
}

/*
 * An item's tree @j, built in the arena with result @r (the reason in
 * @e, or none for JSON), to the caller.
 */
static int item(struct knet_list_stream *s, cJSON *j, int r,
		const struct knet_error *e)
{
	if (!knet_arena_leave(s->arena) || r == -ENOMEM || (!r && !j))
		return bad(s, -ENOMEM, "out of memory");
	if (r < 0 && e)
		return bad_from(s, r, e);
	if (r < 0)
		return bad(s, r, "invalid JSON (item %ld)", s->items + 1);
	s->items++;
	return s->each(j, s->userdata);
}

/* The list's resourceVersion and continue, from its metadata. */
static int meta(struct knet_list_stream *s, const cJSON *m)
{
	const char *rv = knet_json_str(m, "resourceVersion");
	const char *cont = knet_json_str(m, "continue");

	free(s->rv);
	free(s->cont);
	s->rv = rv ? strdup(rv) : NULL;
	s->cont = cont ? strdup(cont) : NULL;
	if ((rv && !s->rv) || (cont && !s->cont))
		return bad(s, -ENOMEM, "out of memory");
	return 0;
}

/* ---- JSON ---- */

static bool ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A whole value is in buf: what it is for. */
static int json_value(struct knet_list_stream *s)
{
	cJSON *j;
	int r;

	s->js = s->keep == KEEP_ITEM ? J_AFTER_ITEM : J_AFTER_MEMBER;
	if (s->keep == KEEP_ITEM) {
		knet_arena_reset(s->arena);
		knet_arena_enter(s->arena);
		j = cJSON_ParseWithLength(s->buf, s->len);
		/* cJSON says no more than NULL: out of memory or invalid. */
		return item(s, j, j ? 0 : -EBADMSG, NULL);
	}
	j = cJSON_ParseWithLength(s->buf, s->len);
	if (!j)
		return bad(s, -EBADMSG, "invalid JSON");
	r = s->keep == KEEP_META ? meta(s, j) : 0;
	cJSON_Delete(j);
	return r;
}

/*
 * In a kept value: to its end or the chunk's.  Returns the bytes used;
 * a value ends where its brackets close, a string at its closing quote,
 * a number or literal before the next delimiter (not used).
 */
static size_t json_scan(struct knet_list_stream *s, const char *p, size_t n,
			bool *done)
{
	size_t i = 0;

	*done = false;
	if (s->scalar) {
		while (i < n && !ws(p[i]) && p[i] != ',' && p[i] != '}' &&
		       p[i] != ']')
			i++;
		*done = i < n;
		return i;
	}
	while (i < n) {
		char c = p[i++];

		if (s->str) {
			if (s->esc) {
				s->esc = false;
				continue;
			}
			/* Most of a pod is strings: to the next quote. */
			while (c != '"' && c != '\\' && i < n)
				c = p[i++];
			if (c == '\\') {
				s->esc = true;
			} else if (c == '"') {
				s->str = false;
				if (!s->depth) {
					*done = true;
					return i;
				}
			}
			continue;
		}
		if (c == '"') {
			s->str = true;
		} else if (c == '{' || c == '[') {
			s->depth++;
		} else if (c == '}' || c == ']') {
			if (--s->depth <= 0) {
				*done = true;
				return i;
			}
		}
	}
	return i;
}

static void json_begin_value(struct knet_list_stream *s, char c, int what)
{
	s->keep = what;
	s->len = 0;
	s->depth = 0;
	s->str = s->esc = false;
	s->scalar = c != '{' && c != '[' && c != '"';
	s->js = J_VALUE_IN;
}

static bool key_is(const struct knet_list_stream *s, const char *k)
{
	return !s->key_odd && s->keylen == strlen(k) &&
	       !memcmp(s->key, k, s->keylen);
}

/* After an item or a member: a ',' leads to @next, @close to @closed. */
static int after_value(struct knet_list_stream *s, char c, char close, int next,
		       int closed)
{
	if (c != ',' && c != close)
		return bad(s, -EBADMSG, "invalid JSON");
	s->js = c == ',' ? next : closed;
	return 0;
}

static int json_feed(struct knet_list_stream *s, const char *p, size_t n)
{
	const char *end = p + n;
	int r;

	while (p < end) {
		char c = *p;

		if (s->js == J_VALUE_IN) {
			bool done;
			size_t used = json_scan(s, p, (size_t)(end - p), &done);

			if (keep(s, p, used) < 0)
				return -ENOMEM;
			p += used;
			if (done && (r = json_value(s)) != 0)
				return r;
			continue;
		}
		p++;
		if (s->js == J_KEY) {
			/* An escaped or long key matches none knet reads. */
			if (s->esc)
				s->esc = false;
			else if (c == '\\')
				s->esc = s->key_odd = true;
			else if (c == '"')
				s->js = J_COLON;
			else if (s->keylen < sizeof(s->key))
				s->key[s->keylen++] = c;
			else
				s->key_odd = true;
			continue;
		}
		if (ws(c))
			continue;
		switch (s->js) {
		case J_START:
			if (c != '{')
				return bad(s, -EBADMSG, "invalid JSON");
			s->js = J_KEY_OR_END;
			break;
		case J_KEY_OR_END:
		case J_KEY_START:
			if (c == '}' && s->js == J_KEY_OR_END) {
				s->js = J_DONE;
				break;
			}
			if (c != '"')
				return bad(s, -EBADMSG, "invalid JSON");
			s->keylen = 0;
			s->key_odd = false;
			s->js = J_KEY;
			break;
		case J_COLON:
			if (c != ':')
				return bad(s, -EBADMSG, "invalid JSON");
			s->js = J_VALUE;
			break;
		case J_VALUE:
			if (c == ',' || c == '}' || c == ']' || c == ':')
				return bad(s, -EBADMSG, "invalid JSON");
			if (c == '[' && key_is(s, "items")) {
				s->js = J_ITEMS_FIRST;
				break;
			}
			json_begin_value(s, c,
					 key_is(s, "metadata") ? KEEP_META
							       : KEEP_OTHER);
			p--; /* the value's first byte is kept */
			break;
		case J_ITEMS_FIRST:
		case J_ITEM:
			if (c == ']' && s->js == J_ITEMS_FIRST) {
				s->js = J_AFTER_MEMBER;
				break;
			}
			if (c == ',' || c == '}' || c == ']' || c == ':')
				return bad(s, -EBADMSG, "invalid JSON");
			json_begin_value(s, c, KEEP_ITEM);
			p--;
			break;
		case J_AFTER_ITEM:
			if (after_value(s, c, ']', J_ITEM, J_AFTER_MEMBER) < 0)
				return -EBADMSG;
			break;
		case J_AFTER_MEMBER:
			if (after_value(s, c, '}', J_KEY_START, J_DONE) < 0)
				return -EBADMSG;
			break;
		default: /* J_DONE: only white space may follow */
			return bad(s, -EBADMSG, "invalid JSON");
		}
	}
	return 0;
}

static int json_end(struct knet_list_stream *s)
{
	if (s->js != J_DONE)
		return bad(s, -EBADMSG, "invalid JSON: the body ends early");
	return 0;
}

/* ---- protobuf ---- */

/* The message whose fields are being read: for reasons. */
static const char *pb_name(const struct knet_list_stream *s)
{
	return s->in_raw ? s->list->name : "Unknown";
}

static unsigned pb_num(const struct knet_list_stream *s)
{
	return (unsigned)(s->tag >> 3);
}

/* The envelope's kind has been read: the list's schema. */
static int pb_type(struct knet_list_stream *s)
{
	struct knet_error e = {0};
	cJSON *tm = cJSON_CreateObject();
	const char *kind;
	int r;

	if (!tm)
		return bad(s, -ENOMEM, "out of memory");
	r = knet_proto_message(&knet_pf_type_meta, s->buf, s->len, 1, tm, &e);
	if (r < 0) {
		cJSON_Delete(tm);
		return bad_from(s, r, &e);
	}
	kind = knet_json_str(tm, "kind");
	s->list = kind ? knet_pf_kind(kind, knet_json_str(tm, "apiVersion"))
		       : NULL;
	if (!s->list) {
		r = bad(s, -EBADMSG, "protobuf kind '%.64s' not supported",
			kind ? kind : "");
		cJSON_Delete(tm);
		return r;
	}
	cJSON_Delete(tm);
	s->have_type = true;
	s->items_f = NULL;
	for (int i = 0; i < s->list->n; i++) {
		const struct knet_pf_field *f = &s->list->f[i];

		if (f->kind == KNET_PF_MSG && f->repeated && f->json &&
		    !strcmp(f->json, "items"))
			s->items_f = f;
	}
	return 0;
}

/* A kept field is whole in buf. */
static int pb_kept(struct knet_list_stream *s)
{
	struct knet_error e = {0};
	cJSON *j;
	char *t;
	size_t tc;
	int r;

	s->ps = P_TAG;
	switch (s->keep) {
	case KEEP_TYPEMETA:
		return pb_type(s);
	case KEEP_ENCODING:
		if (s->len)
			return bad(s, -EBADMSG,
				   "protobuf content encoding '%.32s' not "
				   "supported",
				   s->buf);
		return 0;
	case KEEP_RAW:
		/* Read at the end, once the kind is known. */
		t = s->raw;
		tc = s->raw_cap;
		s->raw = s->buf;
		s->raw_cap = s->cap;
		s->raw_len = s->len;
		s->buf = t;
		s->cap = tc;
		s->len = 0;
		return 0;
	case KEEP_META:
		j = cJSON_CreateObject();
		if (!j)
			return bad(s, -ENOMEM, "out of memory");
		r = knet_proto_message(s->field->msg, s->buf, s->len, 1, j, &e);
		if (!r)
			r = meta(s, j);
		else
			bad_from(s, r, &e);
		cJSON_Delete(j);
		return r;
	default: /* KEEP_ITEM */
		knet_arena_reset(s->arena);
		knet_arena_enter(s->arena);
		j = cJSON_CreateObject();
		r = j ? knet_proto_message(s->items_f->msg, s->buf, s->len, 1,
					   j, &e)
		      : -ENOMEM;
		return item(s, j, r, &e);
	}
}

/* A field's key: what to do with its value. */
static int pb_tag(struct knet_list_stream *s)
{
	unsigned wt = s->tag & 7, num = pb_num(s);
	bool len_field = false;

	if (s->tag >> 3 == 0 || s->tag >> 3 > UINT32_MAX >> 3)
		return bad(s, -EBADMSG,
			   "invalid protobuf: %s: invalid field "
			   "number",
			   pb_name(s));
	if (s->in_raw) {
		s->field = NULL;
		for (int i = 0; i < s->list->n; i++)
			if (s->list->f[i].num == num)
				s->field = &s->list->f[i];
		len_field = s->field && s->field->kind == KNET_PF_MSG;
	} else {
		len_field = num >= 1 && num <= 3;
	}
	if (len_field && wt != 2)
		return bad(s, -EBADMSG,
			   "invalid protobuf: %s field %u: wrong wire type",
			   pb_name(s), num);
	switch (wt) {
	case 0:
		s->ps = P_VARINT;
		return 0;
	case 1:
	case 5:
		s->want = wt == 1 ? 8 : 4;
		if (s->in_raw && s->want > s->raw_left)
			return bad(s, -EBADMSG,
				   "invalid protobuf: %s field %u: truncated "
				   "fixed-width value",
				   pb_name(s), num);
		s->ps = P_SKIP;
		return 0;
	case 2:
		s->ps = P_LEN;
		return 0;
	default:
		return bad(s, -EBADMSG,
			   "invalid protobuf: %s field %u: unsupported wire "
			   "type",
			   pb_name(s), num);
	}
}

/* A length-delimited field's length has been read. */
static int pb_len(struct knet_list_stream *s)
{
	unsigned num = pb_num(s);

	s->want = s->acc;
	if (s->in_raw && s->want > s->raw_left)
		return bad(s, -EBADMSG,
			   "invalid protobuf: %s field %u: length past the end",
			   pb_name(s), num);
	s->ps = P_SKIP;
	s->len = 0;
	if (s->in_raw) {
		if (s->field && s->field == s->items_f)
			s->keep = KEEP_ITEM, s->ps = P_KEEP;
		else if (s->field && s->field->kind == KNET_PF_MSG)
			s->keep = KEEP_META, s->ps = P_KEEP;
	} else if ((num == 1 && s->have_type) || (num == 2 && s->seen_raw)) {
		/*
		 * Protobuf's rule is that the last one counts, but items
		 * read are gone: refused (Go writes each field once).
		 */
		return bad(s, -EBADMSG,
			   "invalid protobuf: Unknown field %u: given twice",
			   num);
	} else if (num == 1) {
		s->keep = KEEP_TYPEMETA, s->ps = P_KEEP;
	} else if (num == 3) {
		s->keep = KEEP_ENCODING, s->ps = P_KEEP;
	} else if (num == 2 && s->items_f) {
		/* The list itself: its fields are read as they come. */
		s->seen_raw = true;
		s->in_raw = s->want > 0;
		s->raw_left = s->want;
		s->ps = P_TAG;
		return 0;
	} else if (num == 2) {
		s->seen_raw = true;
		if (!s->have_type)
			s->keep = KEEP_RAW, s->ps = P_KEEP;
	}
	/* An empty value is whole already. */
	if (!s->want && s->ps == P_KEEP)
		return pb_kept(s);
	if (!s->want)
		s->ps = P_TAG;
	return 0;
}

/* One byte of a varint; 1 when it is whole, 0 for more, <0 if invalid. */
static int pb_varint_byte(struct knet_list_stream *s, unsigned char b)
{
	/* The tenth byte may only carry bit 63. */
	if (s->shift > 63 || (s->shift == 63 && b > 1))
		return -1;
	s->acc |= (uint64_t)(b & 0x7f) << s->shift;
	s->shift += 7;
	if (b & 0x80)
		return 0;
	s->shift = 0;
	return 1;
}

static int pb_truncated(struct knet_list_stream *s)
{
	if (s->ps == P_TAG)
		return bad(s, -EBADMSG,
			   "invalid protobuf: %s: truncated varint",
			   pb_name(s));
	return bad(s, -EBADMSG, "invalid protobuf: %s field %u: %s", pb_name(s),
		   pb_num(s),
		   s->ps == P_LEN      ? "length past the end"
		   : s->ps == P_VARINT ? "truncated varint"
		   : (s->tag & 7) == 2 ? "length past the end"
				       : "truncated fixed-width value");
}

static int pb_feed(struct knet_list_stream *s, const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n;
	int r = 0;

	while (p < end) {
		size_t avail = (size_t)(end - p), take;

		if (s->ps == P_SKIP || s->ps == P_KEEP) {
			take = avail < s->want ? avail : (size_t)s->want;
			if (s->ps == P_KEEP && keep(s, p, take) < 0)
				return -ENOMEM;
			p += take;
			s->want -= take;
			if (s->in_raw)
				s->raw_left -= take;
			if (!s->want && s->ps == P_KEEP)
				r = pb_kept(s);
			else if (!s->want)
				s->ps = P_TAG;
		} else {
			int v;

			if (!s->shift)
				s->acc = 0;
			v = pb_varint_byte(s, *p++);
			if (s->in_raw)
				s->raw_left--;
			if (v < 0)
				return pb_truncated(s);
			if (!v && s->in_raw && !s->raw_left)
				return pb_truncated(s);
			if (v && s->ps == P_TAG) {
				s->tag = s->acc;
				r = pb_tag(s);
			} else if (v && s->ps == P_LEN) {
				r = pb_len(s);
			} else if (v) {
				s->ps = P_TAG;
			}
		}
		if (r)
			return r;
		/* The list's last field read: back in the envelope. */
		if (s->in_raw && !s->raw_left) {
			if (s->ps != P_TAG)
				return pb_truncated(s);
			s->in_raw = false;
		}
	}
	return 0;
}

static int pb_end(struct knet_list_stream *s)
{
	int r;

	if (s->in_raw)
		return bad(s, -EBADMSG,
			   "invalid protobuf: Unknown field 2: length past the "
			   "end");
	if (s->ps != P_TAG || s->shift)
		return pb_truncated(s);
	if (!s->have_type)
		return bad(s, -EBADMSG, "protobuf kind '' not supported");
	if (s->raw_len && s->items_f) {
		/* The list came before its kind: read it now. */
		s->in_raw = true;
		s->raw_left = s->raw_len;
		s->raw_len = 0;
		r = pb_feed(s, (const unsigned char *)s->raw, s->raw_left);
		if (r)
			return r;
	}
	return 0;
}

/* ---- both ---- */

int knet_list_stream_feed(struct knet_list_stream *s, const char *data,
			  size_t len)
{
	if (s->bad)
		return s->why.code;
	/* "k8s\0" is protobuf; JSON never starts with a 'k'. */
	while (len && s->enc < ENC_JSON) {
		if (s->enc == ENC_NONE && *data != 'k') {
			s->enc = ENC_JSON;
			break;
		}
		s->enc = ENC_MAGIC;
		if (*data != "k8s"[s->nmagic])
			return bad(s, -EBADMSG, "invalid JSON");
		data++;
		len--;
		if (++s->nmagic == 4)
			s->enc = ENC_PROTO;
	}
	if (!len)
		return 0;
	if (s->enc == ENC_JSON)
		return json_feed(s, data, len);
	return pb_feed(s, (const unsigned char *)data, len);
}

int knet_list_stream_end(struct knet_list_stream *s)
{
	if (s->bad)
		return s->why.code;
	if (s->enc == ENC_JSON)
		return json_end(s);
	if (s->enc == ENC_PROTO)
		return pb_end(s);
	if (s->enc == ENC_MAGIC)
		return bad(s, -EBADMSG, "invalid protobuf: no k8s envelope");
	return bad(s, -EBADMSG, "invalid JSON: an empty body");
}

const struct knet_error *knet_list_stream_error(
	const struct knet_list_stream *s)
{
	return s->bad ? &s->why : NULL;
}

const char *knet_list_stream_continue(const struct knet_list_stream *s)
{
	return s->cont;
}

const char *knet_list_stream_resource_version(const struct knet_list_stream *s)
{
	return s->rv;
}

long knet_list_stream_items(const struct knet_list_stream *s)
{
	return s->items;
}

const char *knet_list_stream_encoding(const void *stream)
{
	const struct knet_list_stream *s = stream;

	return s->enc == ENC_PROTO ? "protobuf" : "json";
}
