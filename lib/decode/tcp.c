/* SPDX-License-Identifier: MIT */
/* TCP: flags, seq/ack, window, length and the options people look at. */
#include <string.h>

#include "decode-internal.h"

static void flags(struct knet_decoded *d, uint8_t f)
{
	char *s = d->tcp_flags;

	if (f & 0x02)
		*s++ = 'S';
	if (f & 0x01)
		*s++ = 'F';
	if (f & 0x08)
		*s++ = 'P';
	if (f & 0x04)
		*s++ = 'R';
	if (f & 0x20)
		*s++ = 'U';
	if (f & 0x40)
		*s++ = 'E';
	if (f & 0x80)
		*s++ = 'W';
	if (f & 0x10)
		*s++ = '.';
	if (s == d->tcp_flags)
		*s++ = 'n'; /* tcpdump's "none" */
	*s = '\0';
}

/* MSS, window scale, SACK, timestamps; a bad length ends the walk. */
static void options(struct knet_decoded *d, const struct knet_pkt *o)
{
	const char *sep = "";
	size_t i = 0;

	dec_put(d, ", options [");
	while (i < o->len) {
		uint8_t kind, len;
		uint16_t v16;
		uint32_t a, b;
		uint8_t v8;

		if (knet_pkt_u8(o, i, &kind) < 0)
			break;
		if (kind == 0) {
			dec_put(d, "%seol", sep);
			break;
		}
		if (kind == 1) {
			dec_put(d, "%snop", sep);
			sep = ",";
			i++;
			continue;
		}
		if (knet_pkt_u8(o, i + 1, &len) < 0 || len < 2 ||
		    len > o->len - i) {
			dec_put(d, "%sbad opt", sep);
			break;
		}
		if (kind == 2 && len == 4 && knet_pkt_be16(o, i + 2, &v16) == 0)
			dec_put(d, "%smss %u", sep, v16);
		else if (kind == 3 && len == 3 &&
			 knet_pkt_u8(o, i + 2, &v8) == 0)
			dec_put(d, "%swscale %u", sep, v8);
		else if (kind == 4)
			dec_put(d, "%ssackOK", sep);
		else if (kind == 5)
			dec_put(d, "%ssack %d", sep, (len - 2) / 8);
		else if (kind == 8 && len == 10 &&
			 knet_pkt_be32(o, i + 2, &a) == 0 &&
			 knet_pkt_be32(o, i + 6, &b) == 0)
			dec_put(d, "%sTS val %u ecr %u", sep, a, b);
		else
			dec_put(d, "%sopt-%u:%u", sep, kind, len);
		sep = ",";
		i += len;
	}
	dec_put(d, "]");
}

void dec_tcp(struct knet_decoded *d, const struct knet_pkt *p)
{
	uint32_t seq, ack;
	struct knet_pkt opts, data;
	uint16_t win;
	uint8_t off, f;
	size_t hlen;

	d->proto = "tcp";
	if (knet_pkt_be32(p, 4, &seq) < 0 || knet_pkt_be32(p, 8, &ack) < 0 ||
	    knet_pkt_u8(p, 12, &off) < 0 || knet_pkt_u8(p, 13, &f) < 0 ||
	    knet_pkt_be16(p, 14, &win) < 0) {
		dec_put(d, "TCP");
		dec_trunc(d, "tcp");
		return;
	}
	flags(d, f);
	dec_put(d, "Flags [%s]", d->tcp_flags);
	hlen = (size_t)(off >> 4) * 4;
	if (hlen < 20) {
		dec_put(d, ", bad header length %zu", hlen);
		return;
	}
	if (knet_pkt_sub(p, hlen, &data) < 0) {
		dec_trunc(d, "tcp");
		return;
	}
	dec_put(d, ", seq %u", seq);
	if (f & 0x10)
		dec_put(d, ", ack %u", ack);
	dec_put(d, ", win %u", win);
	opts.data = p->data + 20;
	opts.len = hlen - 20;
	if (opts.len)
		options(d, &opts);
	dec_put(d, ", length %zu", data.len);
	if (data.len && !dec_http(d, &data) && !dec_tls(d, &data) &&
	    (d->sport == 53 || d->dport == 53) && data.len > 2) {
		/* DNS over TCP: a two-byte length first. */
		struct knet_pkt msg;

		if (knet_pkt_sub(&data, 2, &msg) == 0)
			dec_dns(d, &msg);
	}
}
