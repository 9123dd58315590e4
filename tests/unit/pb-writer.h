/* SPDX-License-Identifier: MIT */
#ifndef KNET_PB_WRITER_H
#define KNET_PB_WRITER_H

/*
 * Writing protobuf bytes by hand, for the decoder's unit tests
 * (test-proto.c, test-proto-netpol.c): fields by number and wire type,
 * and the Kubernetes envelope ("k8s\0", runtime.Unknown) around them.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct pb {
	unsigned char b[8192];
	size_t n;
};

static inline void pb_raw(struct pb *p, const void *d, size_t n)
{
	if (p->n + n > sizeof(p->b))
		abort();
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static inline void pb_varint(struct pb *p, uint64_t v)
{
	do {
		unsigned char c = (unsigned char)(v & 0x7f);

		v >>= 7;
		if (v)
			c |= 0x80;
		pb_raw(p, &c, 1);
	} while (v);
}

static inline void pb_tag(struct pb *p, unsigned num, unsigned wt)
{
	pb_varint(p, (uint64_t)num << 3 | wt);
}

static inline void pb_bytes(struct pb *p, unsigned num, const void *d, size_t n)
{
	pb_tag(p, num, 2);
	pb_varint(p, n);
	pb_raw(p, d, n);
}

static inline void pb_str(struct pb *p, unsigned num, const char *s)
{
	pb_bytes(p, num, s, strlen(s));
}

/* String fields: NUM, "value" pairs, up to a 0. */
static inline void pb_strs(struct pb *p, ...)
{
	va_list ap;
	unsigned num;

	va_start(ap, p);
	while ((num = va_arg(ap, unsigned)))
		pb_str(p, num, va_arg(ap, const char *));
	va_end(ap);
}

static inline void pb_msg(struct pb *p, unsigned num, const struct pb *m)
{
	pb_bytes(p, num, m->b, m->n);
}

static inline void pb_int(struct pb *p, unsigned num, uint64_t v)
{
	pb_tag(p, num, 0);
	pb_varint(p, v);
}

/*
 * "k8s\0" and runtime.Unknown {typeMeta {apiVersion, kind}, raw,
 * contentType (left out when NULL)} around the message @raw.
 */
static inline void pb_envelope(struct pb *out, const char *api_version,
			       const char *kind, const struct pb *raw,
			       const char *content_type)
{
	struct pb tm = {0}, u = {0};

	pb_str(&tm, 1, api_version);
	pb_str(&tm, 2, kind);
	pb_msg(&u, 1, &tm);
	pb_msg(&u, 2, raw);
	if (content_type)
		pb_str(&u, 4, content_type);
	out->n = 0;
	pb_raw(out, "k8s\0", 4);
	pb_raw(out, u.b, u.n);
}

#endif
