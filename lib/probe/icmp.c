/* SPDX-License-Identifier: MIT */
/*
 * ICMP and ICMPv6 messages: building echo requests, parsing replies and
 * errors.  Every read goes through the bounds-checked knet_pkt accessors:
 * these bytes come from the network, and an error quotes a packet whose
 * length nobody promised.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "knet/decode.h"
#include "knet/probe.h"

uint16_t knet_icmp_checksum(const void *data, size_t len)
{
	const uint8_t *b = data;
	uint32_t sum = 0;

	for (; len > 1; b += 2, len -= 2)
		sum += (uint32_t)(b[0] << 8 | b[1]);
	if (len)
		sum += (uint32_t)(b[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int knet_icmp_echo_build(uint8_t *buf, size_t len, int family, uint16_t id,
			 uint16_t seq)
{
	uint16_t ck;

	if (len < 8)
		return -EINVAL;
	buf[0] = family == AF_INET6 ? 128 : 8;
	buf[1] = 0;
	buf[2] = buf[3] = 0;
	buf[4] = (uint8_t)(id >> 8);
	buf[5] = (uint8_t)id;
	buf[6] = (uint8_t)(seq >> 8);
	buf[7] = (uint8_t)seq;
	/* iputils' pattern, so captures of both look alike. */
	for (size_t i = 8; i < len; i++)
		buf[i] = (uint8_t)(i - 8);
	if (family != AF_INET6) {
		ck = knet_icmp_checksum(buf, len);
		buf[2] = (uint8_t)(ck >> 8);
		buf[3] = (uint8_t)ck;
	}
	return 0;
}

bool knet_icmp_is_echo_reply(int family, uint8_t type)
{
	return family == AF_INET6 ? type == 129 : type == 0;
}

bool knet_icmp_is_time_exceeded(int family, uint8_t type)
{
	return family == AF_INET6 ? type == 3 : type == 11;
}

bool knet_icmp_is_port_unreachable(int family, uint8_t type, uint8_t code)
{
	return family == AF_INET6 ? type == 1 && code == 4
				  : type == 3 && code == 3;
}

const char *knet_icmp_unreach_note(int family, uint8_t type, uint8_t code)
{
	if (family == AF_INET6) {
		if (type == 2)
			return "!F";
		if (type != 1)
			return "";
		switch (code) {
		case 0:
			return "!N";
		case 1:
			return "!X";
		case 3:
			return "!H";
		case 4:
			return "";
		default:
			return "!U";
		}
	}
	if (type != 3)
		return "";
	switch (code) {
	case 0:
		return "!N";
	case 1:
		return "!H";
	case 2:
		return "!P";
	case 3:
		return "";
	case 4:
		return "!F";
	case 9:
	case 10:
	case 13:
		return "!X";
	default:
		return "!U";
	}
}

static bool is_error_type(int family, uint8_t type)
{
	if (family == AF_INET6)
		return type < 128;
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/* The packet an error quotes: its header, then 8 bytes of its payload. */
static int parse_inner(const struct knet_pkt *q, int family,
		       struct knet_icmp *m)
{
	struct knet_pkt l4;
	uint8_t vihl;
	size_t hlen;

	if (family == AF_INET) {
		if (knet_pkt_u8(q, 0, &vihl) < 0 || (vihl >> 4) != 4)
			return -EBADMSG;
		hlen = (size_t)(vihl & 0x0f) * 4;
		if (hlen < 20 || knet_pkt_u8(q, 9, &m->inner_proto) < 0 ||
		    q->len < 20)
			return -EBADMSG;
		memcpy(m->inner_dst, q->data + 16, 4);
	} else {
		/* Extension headers are not followed: probes carry none. */
		if (q->len < 40 || knet_pkt_u8(q, 6, &m->inner_proto) < 0)
			return -EBADMSG;
		memcpy(m->inner_dst, q->data + 24, 16);
		hlen = 40;
	}
	if (knet_pkt_sub(q, hlen, &l4) < 0)
		return -EBADMSG;
	if (m->inner_proto == IPPROTO_ICMP ||
	    m->inner_proto == IPPROTO_ICMPV6) {
		if (knet_pkt_be16(&l4, 4, &m->inner_id) < 0 ||
		    knet_pkt_be16(&l4, 6, &m->inner_seq) < 0)
			return -EBADMSG;
	} else if (m->inner_proto == IPPROTO_UDP ||
		   m->inner_proto == IPPROTO_TCP) {
		if (knet_pkt_be16(&l4, 0, &m->inner_sport) < 0 ||
		    knet_pkt_be16(&l4, 2, &m->inner_dport) < 0)
			return -EBADMSG;
	}
	return 0;
}

int knet_icmp_parse(const struct knet_pkt *pkt, int family, bool ip_header,
		    struct knet_icmp *ret)
{
	struct knet_icmp m = {0};
	struct knet_pkt icmp = *pkt, quoted;
	uint16_t mtu16;
	uint32_t mtu32;
	uint8_t vihl;
	int r;

	if (ip_header) {
		if (knet_pkt_u8(pkt, 0, &vihl) < 0 || (vihl >> 4) != 4 ||
		    (vihl & 0x0f) < 5)
			return -EBADMSG;
		if (knet_pkt_u8(pkt, 8, &m.ttl) < 0 ||
		    knet_pkt_sub(pkt, (size_t)(vihl & 0x0f) * 4, &icmp) < 0)
			return -EBADMSG;
	}
	if (knet_pkt_u8(&icmp, 0, &m.type) < 0 ||
	    knet_pkt_u8(&icmp, 1, &m.code) < 0 || icmp.len < 8)
		return -EBADMSG;
	if (!is_error_type(family, m.type)) {
		r = knet_pkt_be16(&icmp, 4, &m.id);
		if (r == 0)
			r = knet_pkt_be16(&icmp, 6, &m.seq);
		if (r < 0)
			return r;
		*ret = m;
		return 0;
	}
	m.is_error = true;
	if (family == AF_INET && m.type == 3 && m.code == 4 &&
	    knet_pkt_be16(&icmp, 6, &mtu16) == 0)
		m.mtu = mtu16;
	if (family == AF_INET6 && m.type == 2 &&
	    knet_pkt_be32(&icmp, 4, &mtu32) == 0)
		m.mtu = mtu32;
	if (knet_pkt_sub(&icmp, 8, &quoted) < 0)
		return -EBADMSG;
	r = parse_inner(&quoted, family, &m);
	if (r < 0)
		return r;
	*ret = m;
	return 0;
}
