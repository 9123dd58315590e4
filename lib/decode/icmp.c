/* SPDX-License-Identifier: MIT */
/*
 * ICMP and ICMPv6: echo, and errors with the tuple of the packet they
 * quote (which flow was refused), the MTU of frag-needed and
 * packet-too-big.
 */
#include <sys/socket.h>

#include "decode-internal.h"

/* "(quoted: UDP 10.0.0.1.5353 > 10.0.0.2.53)" from the quoted header. */
static void quoted(struct knet_decoded *d, int family, const struct knet_pkt *p)
{
	const uint8_t *src, *dst;
	uint16_t sport, dport;
	struct knet_pkt l4;
	uint8_t vihl, proto;
	size_t hlen;

	if (family == AF_INET) {
		if (knet_pkt_u8(p, 0, &vihl) < 0 ||
		    knet_pkt_u8(p, 9, &proto) < 0 ||
		    knet_pkt_bytes(p, 12, 4, &src) < 0 ||
		    knet_pkt_bytes(p, 16, 4, &dst) < 0) {
			dec_trunc(d, "icmp");
			return;
		}
		hlen = (size_t)(vihl & 0x0f) * 4;
	} else {
		if (knet_pkt_u8(p, 6, &proto) < 0 ||
		    knet_pkt_bytes(p, 8, 16, &src) < 0 ||
		    knet_pkt_bytes(p, 24, 16, &dst) < 0) {
			dec_trunc(d, "icmp6");
			return;
		}
		hlen = 40;
	}
	dec_put(d, " (quoted: %s ",
		proto == 6    ? "TCP"
		: proto == 17 ? "UDP"
			      : "proto");
	if ((proto == 6 || proto == 17) && hlen >= 20 &&
	    knet_pkt_sub(p, hlen, &l4) == 0 &&
	    knet_pkt_be16(&l4, 0, &sport) == 0 &&
	    knet_pkt_be16(&l4, 2, &dport) == 0) {
		dec_pair(d, family, src, dst, sport, dport);
	} else {
		dec_pair(d, family, src, dst, -1, -1);
		if (proto != 6 && proto != 17)
			dec_put(d, " %u", proto);
	}
	dec_put(d, ")");
}

/* Echo request or reply: id, seq, length. */
static void echo(struct knet_decoded *d, const struct knet_pkt *p, bool request,
		 const char *proto)
{
	uint16_t id, seq;

	if (knet_pkt_be16(p, 4, &id) < 0 || knet_pkt_be16(p, 6, &seq) < 0) {
		dec_trunc(d, proto);
		return;
	}
	dec_put(d, "echo %s, id %u, seq %u, length %zu",
		request ? "request" : "reply", id, seq, p->len);
}

/* An error's quoted packet, after the 8-byte header. */
static void error_tail(struct knet_decoded *d, const struct knet_pkt *p,
		       int family, const char *proto)
{
	struct knet_pkt q;

	if (knet_pkt_sub(p, 8, &q) < 0 || q.len == 0) {
		dec_trunc(d, proto);
		return;
	}
	quoted(d, family, &q);
}

static const char *unreach4(uint8_t code)
{
	static const char *const names[] = {
		"net unreachable",  "host unreachable", "protocol unreachable",
		"port unreachable", "need to frag",	"source route failed",
	};

	if (code < sizeof(names) / sizeof(*names))
		return names[code];
	return code == 13 ? "administratively prohibited" : "unreachable";
}

void dec_icmp(struct knet_decoded *d, const struct knet_pkt *p)
{
	uint8_t type, code;
	uint16_t mtu;

	d->proto = "icmp";
	dec_put(d, "ICMP ");
	if (knet_pkt_u8(p, 0, &type) < 0 || knet_pkt_u8(p, 1, &code) < 0) {
		dec_trunc(d, "icmp");
		return;
	}
	switch (type) {
	case 0:
	case 8:
		echo(d, p, type == 8, "icmp");
		return;
	case 3:
		dec_put(d, "%s", unreach4(code));
		if (code == 4 && knet_pkt_be16(p, 6, &mtu) == 0)
			dec_put(d, ", mtu %u", mtu);
		break;
	case 11:
		dec_put(d, "time exceeded in-transit");
		break;
	default:
		dec_put(d, "type %u, code %u, length %zu", type, code, p->len);
		return;
	}
	error_tail(d, p, AF_INET, "icmp");
}

static const char *unreach6(uint8_t code)
{
	static const char *const names[] = {
		"no route",	    "administratively prohibited",
		"beyond scope",	    "address unreachable",
		"port unreachable",
	};

	return code < sizeof(names) / sizeof(*names) ? names[code]
						     : "unreachable";
}

static void ndp(struct knet_decoded *d, uint8_t type, const struct knet_pkt *p)
{
	const uint8_t *target;

	dec_put(d, "neighbor %s",
		type == 135 ? "solicitation" : "advertisement");
	if (knet_pkt_bytes(p, 8, 16, &target) < 0) {
		dec_trunc(d, "icmp6");
		return;
	}
	dec_put(d, ", %s ", type == 135 ? "who has" : "tgt is");
	dec_addr(d, AF_INET6, target, -1);
}

void dec_icmp6(struct knet_decoded *d, const struct knet_pkt *p)
{
	uint8_t type, code;
	uint32_t mtu;

	d->proto = "icmp6";
	dec_put(d, "ICMP6, ");
	if (knet_pkt_u8(p, 0, &type) < 0 || knet_pkt_u8(p, 1, &code) < 0) {
		dec_trunc(d, "icmp6");
		return;
	}
	switch (type) {
	case 128:
	case 129:
		echo(d, p, type == 128, "icmp6");
		return;
	case 135:
	case 136:
		ndp(d, type, p);
		return;
	case 1:
		dec_put(d, "destination unreachable, %s", unreach6(code));
		break;
	case 2:
		if (knet_pkt_be32(p, 4, &mtu) < 0) {
			dec_trunc(d, "icmp6");
			return;
		}
		dec_put(d, "packet too big, mtu %u", mtu);
		break;
	case 3:
		dec_put(d, "time exceeded in-transit");
		break;
	default:
		dec_put(d, "type %u, code %u, length %zu", type, code, p->len);
		return;
	}
	error_tail(d, p, AF_INET6, "icmp6");
}
