/* SPDX-License-Identifier: MIT */
/*
 * Base64 (RFC 4648): encoding for HTTP basic credentials, decoding of
 * the kubeconfig's *-data fields (both alphabets, padding optional).
 * Decoded blobs may hold keys, so they are wiped when cleared.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "knet/base.h"

char *knet_base64_encode(const unsigned char *data, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		unsigned int v = (unsigned int)data[i] << 16;

		if (i + 1 < len)
			v |= (unsigned int)data[i + 1] << 8;
		if (i + 2 < len)
			v |= data[i + 2];
		*o++ = tab[(v >> 18) & 63];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

int knet_base64_decode(const char *in, struct knet_blob *ret_blob)
{
	size_t inlen = strlen(in), len = 0;
	unsigned int acc = 0;
	unsigned char *out;
	int bits = 0, pad = 0;

	out = malloc(inlen / 4 * 3 + 4);
	if (!out)
		return -ENOMEM;
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		int v;

		if (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
			continue;
		if (*p == '=') {
			pad++;
			continue;
		}
		v = b64_value(*p);
		if (v < 0 || pad) {
			free(out);
			return -EINVAL;
		}
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* 6 leftover bits cannot come from whole bytes. */
	if (bits >= 6 || pad > 2) {
		free(out);
		return -EINVAL;
	}
	out[len] = '\0';
	ret_blob->data = out;
	ret_blob->len = len;
	return 0;
}

void knet_blob_clear(struct knet_blob *b)
{
	if (!b)
		return;
	if (b->data)
		explicit_bzero(b->data, b->len);
	free(b->data);
	b->data = NULL;
	b->len = 0;
}
