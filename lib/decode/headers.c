/* SPDX-License-Identifier: MIT */
/*
 * Headers only: the tuple, TCP flags and sequence numbers, ICMP errors
 * with the tuple they quote, and DNS ids, for the flow table.  The text
 * decoders format a line per packet; this is the path that must keep up
 * with a saturated interface, so it formats nothing and reads each field
 * once, through the same bounds-checked accessors.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "decode-internal.h"

/* IPv6 extension headers skipped before the transport: bounded. */
#define MAX_EXT 8

static int l4_ports(const struct knet_pkt *l4, struct knet_tuple *t)
{
	if (knet_pkt_be16(l4, 0, &t->sport) < 0 ||
	    knet_pkt_be16(l4, 2, &t->dport) < 0)
		return -EBADMSG;
	return 0;
}

/*
 * The IP header at @p into @t: addresses, protocol, and the transport
 * in @ret_l4, as long as the IP total length says (not the padding).
 */
static int ip_header(const struct knet_pkt *p, struct knet_tuple *t,
		     struct knet_pkt *ret_l4, bool *ret_fragment)
{
	const uint8_t *a, *b;
	uint8_t v, nh;
	uint16_t total, frag;
	size_t off;

	*ret_fragment = false;
	if (knet_pkt_u8(p, 0, &v) < 0)
		return -EBADMSG;
	if (v >> 4 == 4) {
		off = (size_t)(v & 0x0f) * 4;
		if (off < 20 || knet_pkt_be16(p, 2, &total) < 0 ||
		    knet_pkt_be16(p, 6, &frag) < 0 ||
		    knet_pkt_u8(p, 9, &t->proto) < 0 ||
		    knet_pkt_bytes(p, 12, 4, &a) < 0 ||
		    knet_pkt_bytes(p, 16, 4, &b) < 0)
			return -EBADMSG;
		t->family = AF_INET;
		memcpy(t->src, a, 4);
		memcpy(t->dst, b, 4);
		/* Later fragments carry no ports: the flow of offset 0. */
		*ret_fragment = (frag & 0x1fff) != 0;
	} else if (v >> 4 == 6) {
		if (knet_pkt_be16(p, 4, &total) < 0 ||
		    knet_pkt_u8(p, 6, &nh) < 0 ||
		    knet_pkt_bytes(p, 8, 16, &a) < 0 ||
		    knet_pkt_bytes(p, 24, 16, &b) < 0)
			return -EBADMSG;
		t->family = AF_INET6;
		memcpy(t->src, a, 16);
		memcpy(t->dst, b, 16);
		total = (uint16_t)(total + 40 > 0xffff ? 0xffff : total + 40);
		off = 40;
		for (int i = 0; i < MAX_EXT; i++) {
			uint8_t next, hlen;

			if (nh != 0 && nh != 43 && nh != 60 && nh != 44)
				break;
			if (knet_pkt_u8(p, off, &next) < 0 ||
			    knet_pkt_u8(p, off + 1, &hlen) < 0)
				return -EBADMSG;
			if (nh == 44) {
				uint16_t fo;

				if (knet_pkt_be16(p, off + 2, &fo) < 0)
					return -EBADMSG;
				*ret_fragment = (fo & 0xfff8) != 0;
				off += 8;
			} else {
				off += ((size_t)hlen + 1) * 8;
			}
			nh = next;
		}
		t->proto = nh;
	} else {
		return -ENOENT;
	}
	if (knet_pkt_sub(p, off, ret_l4) < 0)
		return -EBADMSG;
	/* Ethernet pads short frames: the IP length is the truth. */
	if (total >= off && total - off < ret_l4->len)
		ret_l4->len = total - off;
	return 0;
}

static void quoted(const struct knet_pkt *p, struct knet_headers *h)
{
	struct knet_pkt l4;
	bool frag;

	if (ip_header(p, &h->quoted, &l4, &frag) < 0)
		return;
	if (h->quoted.proto == IPPROTO_TCP || h->quoted.proto == IPPROTO_UDP)
		(void)l4_ports(&l4, &h->quoted);
	h->icmp_error = true;
}

static int icmp(const struct knet_pkt *l4, struct knet_headers *h, bool v6)
{
	struct knet_pkt inner;
	uint16_t id, mtu16;
	uint32_t mtu32;

	if (knet_pkt_u8(l4, 0, &h->icmp_type) < 0 ||
	    knet_pkt_u8(l4, 1, &h->icmp_code) < 0)
		return -EBADMSG;
	if ((!v6 && (h->icmp_type == 0 || h->icmp_type == 8)) ||
	    (v6 && (h->icmp_type == 128 || h->icmp_type == 129))) {
		/* Echo: request and reply share the id, one flow. */
		if (knet_pkt_be16(l4, 4, &id) == 0)
			h->t.sport = h->t.dport = id;
		return 0;
	}
	if (v6 ? h->icmp_type > 4 : (h->icmp_type != 3 && h->icmp_type != 11))
		return 0;
	if (!v6 && h->icmp_type == 3 && h->icmp_code == 4 &&
	    knet_pkt_be16(l4, 6, &mtu16) == 0) {
		h->icmp_frag_needed = true;
		h->icmp_mtu = mtu16;
	}
	if (v6 && h->icmp_type == 2 && knet_pkt_be32(l4, 4, &mtu32) == 0) {
		h->icmp_frag_needed = true;
		h->icmp_mtu = mtu32;
	}
	if (knet_pkt_sub(l4, 8, &inner) == 0)
		quoted(&inner, h);
	return 0;
}

static int transport(const struct knet_pkt *l4, struct knet_headers *h)
{
	uint8_t doff, fl;
	uint16_t dflags;

	switch (h->t.proto) {
	case IPPROTO_TCP:
		if (l4_ports(l4, &h->t) < 0 ||
		    knet_pkt_be32(l4, 4, &h->seq) < 0 ||
		    knet_pkt_be32(l4, 8, &h->ack) < 0 ||
		    knet_pkt_u8(l4, 12, &doff) < 0 ||
		    knet_pkt_u8(l4, 13, &fl) < 0)
			return -EBADMSG;
		h->tcp_flags = fl;
		doff = (uint8_t)((doff >> 4) * 4);
		h->payload_len =
			l4->len > doff ? (uint32_t)(l4->len - doff) : 0;
		return 0;
	case IPPROTO_UDP:
		if (l4_ports(l4, &h->t) < 0)
			return -EBADMSG;
		h->payload_len = l4->len > 8 ? (uint32_t)(l4->len - 8) : 0;
		if ((h->t.sport == 53 || h->t.dport == 53) &&
		    knet_pkt_be16(l4, 8, &h->dns_id) == 0 &&
		    knet_pkt_be16(l4, 10, &dflags) == 0) {
			h->dns = true;
			h->dns_response = dflags & 0x8000;
		}
		return 0;
	case IPPROTO_ICMP:
		return icmp(l4, h, false);
	case IPPROTO_ICMPV6:
		return icmp(l4, h, true);
	default:
		return 0;
	}
}

/* The network layer of a link type, VLAN tags skipped. */
static int network(int linktype, const struct knet_pkt *p, struct knet_pkt *ret)
{
	uint16_t type;
	size_t off;

	switch (linktype) {
	case KNET_LINK_RAW:
		return knet_pkt_sub(p, 0, ret);
	case KNET_LINK_LINUX_SLL:
		off = 16;
		if (knet_pkt_be16(p, 14, &type) < 0)
			return -EBADMSG;
		break;
	case KNET_LINK_LINUX_SLL2:
		off = 20;
		if (knet_pkt_be16(p, 0, &type) < 0)
			return -EBADMSG;
		break;
	case KNET_LINK_ETHERNET:
		off = 14;
		if (knet_pkt_be16(p, 12, &type) < 0)
			return -EBADMSG;
		for (int i = 0;
		     i < DEC_MAX_DEPTH && (type == 0x8100 || type == 0x88a8);
		     i++) {
			if (knet_pkt_be16(p, off + 2, &type) < 0)
				return -EBADMSG;
			off += 4;
		}
		break;
	default:
		return -ENOENT;
	}
	if (type != 0x0800 && type != 0x86dd)
		return -ENOENT;
	return knet_pkt_sub(p, off, ret);
}

int knet_decode_headers(int linktype, const uint8_t *data, size_t caplen,
			size_t len, struct knet_headers *ret)
{
	struct knet_pkt p = {data, caplen}, ip, l4;
	bool fragment;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->wire_len = len > 0xffffffffu ? 0xffffffffu : (uint32_t)len;
	r = network(linktype, &p, &ip);
	if (r < 0)
		return r;
	r = ip_header(&ip, &ret->t, &l4, &fragment);
	if (r < 0)
		return r;
	/* Later fragments carry no ports: no flow can be told. */
	if (fragment)
		return -EAGAIN;
	return transport(&l4, ret);
}
