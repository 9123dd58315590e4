/* SPDX-License-Identifier: MIT */
/*
 * SHA-1 (RFC 3174), for the one place knet needs it: the WebSocket
 * handshake's Sec-WebSocket-Accept (RFC 6455, section 4.2.2).  Not for
 * anything that needs a secure hash; libcrypto is not linked for this.
 */
#include <stdint.h>
#include <string.h>

#include "knet/base.h"

static uint32_t rol(uint32_t v, int n)
{
	return (v << n) | (v >> (32 - n));
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void block(struct knet_sha1 *s, const unsigned char *p)
{
	uint32_t w[80], a, b, c, d, e, t;

	for (int i = 0; i < 16; i++)
		w[i] = be32(p + 4 * i);
	for (int i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = s->h[0];
	b = s->h[1];
	c = s->h[2];
	d = s->h[3];
	e = s->h[4];
	for (int i = 0; i < 80; i++) {
		uint32_t f, k;

		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol(b, 30);
		b = a;
		a = t;
	}
	s->h[0] += a;
	s->h[1] += b;
	s->h[2] += c;
	s->h[3] += d;
	s->h[4] += e;
}

void knet_sha1_init(struct knet_sha1 *s)
{
	static const uint32_t h0[5] = {0x67452301, 0xefcdab89, 0x98badcfe,
				       0x10325476, 0xc3d2e1f0};

	memset(s, 0, sizeof(*s));
	memcpy(s->h, h0, sizeof(h0));
}

void knet_sha1_update(struct knet_sha1 *s, const void *data, size_t len)
{
	const unsigned char *p = data;

	s->total += len;
	while (len > 0) {
		size_t n = 64 - s->used;

		if (n > len)
			n = len;
		memcpy(s->buf + s->used, p, n);
		s->used += n;
		p += n;
		len -= n;
		if (s->used == 64) {
			block(s, s->buf);
			s->used = 0;
		}
	}
}

void knet_sha1_final(struct knet_sha1 *s, unsigned char out[KNET_SHA1_LEN])
{
	/* The length in bits, taken before the padding changes total. */
	uint64_t bits = (uint64_t)s->total * 8;
	unsigned char pad[72] = {0x80};
	size_t n = s->used < 56 ? 56 - s->used : 120 - s->used;

	for (int i = 0; i < 8; i++)
		pad[n + i] = (unsigned char)(bits >> (56 - 8 * i));
	knet_sha1_update(s, pad, n + 8);
	for (int i = 0; i < 5; i++) {
		out[4 * i] = (unsigned char)(s->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)s->h[i];
	}
}

void knet_sha1(const void *data, size_t len, unsigned char out[KNET_SHA1_LEN])
{
	struct knet_sha1 s;

	knet_sha1_init(&s);
	knet_sha1_update(&s, data, len);
	knet_sha1_final(&s, out);
}
