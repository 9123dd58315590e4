/* SPDX-License-Identifier: MIT */
/*
 * What TCP carries, when it says so in its first bytes: the first line
 * of an HTTP/1 request or response, the server name of a TLS
 * ClientHello.
 */
#include <stdio.h>
#include <string.h>

#include "decode-internal.h"

static bool starts(const struct knet_pkt *p, const char *s)
{
	size_t n = strlen(s);

	return p->len >= n && !memcmp(p->data, s, n);
}

bool dec_http(struct knet_decoded *d, const struct knet_pkt *p)
{
	static const char *const methods[] = {
		"GET ",	    "POST ",  "PUT ",	  "DELETE ", "HEAD ",
		"OPTIONS ", "PATCH ", "CONNECT ", "HTTP/1.",
	};
	bool found = false;
	size_t i, o = 0;

	for (i = 0; i < sizeof(methods) / sizeof(*methods) && !found; i++)
		found = starts(p, methods[i]);
	if (!found)
		return false;
	for (i = 0; i < p->len && o + 1 < sizeof(d->http); i++) {
		uint8_t c;

		if (knet_pkt_u8(p, i, &c) < 0 || c == '\r' || c == '\n')
			break;
		/* Printable ASCII only: this goes to a terminal. */
		d->http[o++] = c >= 0x20 && c < 0x7f ? (char)c : '.';
	}
	d->http[o] = '\0';
	d->proto = "http";
	dec_put(d, ": HTTP: %s", d->http);
	return true;
}

/* The server_name extension (type 0) of a ClientHello's extensions. */
static void sni(struct knet_decoded *d, const struct knet_pkt *ext)
{
	size_t off = 0;

	while (off + 4 <= ext->len) {
		uint16_t type, len, nlen;
		const uint8_t *name;

		if (knet_pkt_be16(ext, off, &type) < 0 ||
		    knet_pkt_be16(ext, off + 2, &len) < 0)
			return;
		if (type == 0) {
			uint8_t kind;

			if (knet_pkt_u8(ext, off + 6, &kind) < 0 || kind != 0 ||
			    knet_pkt_be16(ext, off + 7, &nlen) < 0 ||
			    knet_pkt_bytes(ext, off + 9, nlen, &name) < 0) {
				dec_trunc(d, "tls");
				return;
			}
			size_t n = nlen < sizeof(d->sni) - 1
					   ? nlen
					   : sizeof(d->sni) - 1;
			for (size_t i = 0; i < n; i++)
				d->sni[i] = name[i] > 0x20 && name[i] < 0x7f
						    ? (char)name[i]
						    : '.';
			d->sni[n] = '\0';
			dec_put(d, ", SNI %s", d->sni);
			return;
		}
		off += 4 + (size_t)len;
	}
}

bool dec_tls(struct knet_decoded *d, const struct knet_pkt *p)
{
	struct knet_pkt hello, ext;
	uint8_t ct, hs, sid_len, comp_len;
	uint16_t cs_len, ext_len;
	size_t off;

	/* A handshake record holding a ClientHello. */
	if (knet_pkt_u8(p, 0, &ct) < 0 || ct != 22 ||
	    knet_pkt_u8(p, 5, &hs) < 0 || hs != 1)
		return false;
	d->proto = "tls";
	dec_put(d, ": TLS ClientHello");
	if (knet_pkt_sub(p, 9, &hello) < 0)
		goto trunc;
	/* version 2, random 32, then session id, ciphers, compression */
	off = 34;
	if (knet_pkt_u8(&hello, off, &sid_len) < 0)
		goto trunc;
	off += 1 + (size_t)sid_len;
	if (knet_pkt_be16(&hello, off, &cs_len) < 0)
		goto trunc;
	off += 2 + (size_t)cs_len;
	if (knet_pkt_u8(&hello, off, &comp_len) < 0)
		goto trunc;
	off += 1 + (size_t)comp_len;
	if (knet_pkt_be16(&hello, off, &ext_len) < 0 ||
	    knet_pkt_sub(&hello, off + 2, &ext) < 0)
		goto trunc;
	if (ext.len > ext_len)
		ext.len = ext_len;
	sni(d, &ext);
	return true;
trunc:
	dec_trunc(d, "tls");
	return true;
}
