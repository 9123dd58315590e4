/* SPDX-License-Identifier: MIT */
/* IPv4: header length and options, fragments, then the transport. */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "decode-internal.h"

static void set_addrs(struct knet_decoded *d, int family, const uint8_t *src,
		      const uint8_t *dst)
{
	d->family = family;
	if (!inet_ntop(family, src, d->src, sizeof(d->src)))
		d->src[0] = '\0';
	if (!inet_ntop(family, dst, d->dst, sizeof(d->dst)))
		d->dst[0] = '\0';
}

void dec_ipv4(struct knet_decoded *d, const struct knet_pkt *p)
{
	const uint8_t *src, *dst;
	uint16_t total, frag;
	struct knet_pkt payload;
	uint8_t vihl, ttl, proto;
	size_t hlen;

	d->proto = "ip";
	if (knet_pkt_u8(p, 0, &vihl) < 0 || knet_pkt_be16(p, 2, &total) < 0 ||
	    knet_pkt_be16(p, 6, &frag) < 0 || knet_pkt_u8(p, 8, &ttl) < 0 ||
	    knet_pkt_u8(p, 9, &proto) < 0 ||
	    knet_pkt_bytes(p, 12, 4, &src) < 0 ||
	    knet_pkt_bytes(p, 16, 4, &dst) < 0) {
		dec_put(d, "IP");
		dec_trunc(d, "ip");
		return;
	}
	hlen = (size_t)(vihl & 0x0f) * 4;
	if (vihl >> 4 != 4 || hlen < 20 || total < hlen) {
		dec_put(d, "IP bad header (version %u, length %zu, total %u)",
			vihl >> 4, hlen, total);
		return;
	}
	set_addrs(d, AF_INET, src, dst);
	dec_put(d, "IP ");
	payload = *p;
	/* The capture may hold padding past the IP length: cut it off. */
	if (payload.len > total)
		payload.len = total;
	if (knet_pkt_sub(&payload, hlen, &payload) < 0) {
		dec_pair(d, AF_INET, src, dst, -1, -1);
		dec_trunc(d, "ip");
		return;
	}
	/* Later fragments carry no transport header: say so, stop there. */
	if (frag & 0x1fff) {
		dec_pair(d, AF_INET, src, dst, -1, -1);
		dec_put(d, ": fragment proto %u offset %u%s, length %zu", proto,
			(frag & 0x1fff) * 8, frag & 0x2000 ? " +" : "",
			payload.len);
		return;
	}
	dec_ip_payload(d, AF_INET, proto, src, dst, &payload);
	if (frag & 0x2000)
		dec_put(d, " (first fragment)");
	if (hlen > 20)
		dec_put(d, " (options %zu bytes)", hlen - 20);
	(void)ttl;
}

/* Extension headers that chain: hop-by-hop, routing, destination, AH. */
static bool ext_header(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 51;
}

void dec_ipv6(struct knet_decoded *d, const struct knet_pkt *p)
{
	const uint8_t *src, *dst;
	struct knet_pkt payload;
	uint16_t plen;
	uint8_t v, nh;
	int n;

	d->proto = "ip6";
	if (knet_pkt_u8(p, 0, &v) < 0 || knet_pkt_be16(p, 4, &plen) < 0 ||
	    knet_pkt_u8(p, 6, &nh) < 0 || knet_pkt_bytes(p, 8, 16, &src) < 0 ||
	    knet_pkt_bytes(p, 24, 16, &dst) < 0 ||
	    knet_pkt_sub(p, 40, &payload) < 0) {
		dec_put(d, "IP6");
		dec_trunc(d, "ip6");
		return;
	}
	if (v >> 4 != 6) {
		dec_put(d, "IP6 bad version %u", v >> 4);
		return;
	}
	set_addrs(d, AF_INET6, src, dst);
	dec_put(d, "IP6 ");
	if (payload.len > plen)
		payload.len = plen;
	/* A bounded walk: a chain of headers is no reason to loop long. */
	for (n = 0; ext_header(nh) || nh == 44; n++) {
		uint8_t next, hl;
		uint16_t off;
		size_t skip;

		if (n == 8 || knet_pkt_u8(&payload, 0, &next) < 0 ||
		    knet_pkt_u8(&payload, 1, &hl) < 0) {
			dec_pair(d, AF_INET6, src, dst, -1, -1);
			dec_trunc(d, "ip6");
			return;
		}
		if (nh == 44) {
			if (knet_pkt_be16(&payload, 2, &off) < 0) {
				dec_trunc(d, "ip6");
				return;
			}
			if (off >> 3) {
				dec_pair(d, AF_INET6, src, dst, -1, -1);
				dec_put(d, ": fragment offset %u",
					(off >> 3) * 8);
				return;
			}
			skip = 8;
		} else if (nh == 51) {
			skip = ((size_t)hl + 2) * 4;
		} else {
			skip = ((size_t)hl + 1) * 8;
		}
		if (knet_pkt_sub(&payload, skip, &payload) < 0) {
			dec_trunc(d, "ip6");
			return;
		}
		nh = next;
	}
	dec_ip_payload(d, AF_INET6, nh, src, dst, &payload);
	if (n)
		dec_put(d, " (%d extension header%s)", n, n > 1 ? "s" : "");
}

void dec_ip_payload(struct knet_decoded *d, int family, uint8_t proto,
		    const uint8_t *src, const uint8_t *dst,
		    const struct knet_pkt *p)
{
	uint16_t sport = 0, dport = 0;
	bool ports = proto == 6 || proto == 17;

	if (ports && knet_pkt_be16(p, 0, &sport) == 0 &&
	    knet_pkt_be16(p, 2, &dport) == 0) {
		d->sport = sport;
		d->dport = dport;
	} else {
		ports = false;
	}
	dec_pair(d, family, src, dst, ports ? sport : -1, ports ? dport : -1);
	dec_put(d, ": ");
	switch (proto) {
	case 6:
		dec_tcp(d, p);
		break;
	case 17:
		dec_udp(d, p);
		break;
	case 1:
		dec_icmp(d, p);
		break;
	case 58:
		dec_icmp6(d, p);
		break;
	default:
		d->proto = family == AF_INET ? "ip" : "ip6";
		dec_put(d, "proto %u, length %zu", proto, p->len);
	}
}
