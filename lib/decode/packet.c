/* SPDX-License-Identifier: MIT */
/* One packet: the line being built, addresses with names, the link layer. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "decode-internal.h"

void dec_put(struct knet_decoded *d, const char *fmt, ...)
{
	size_t room = sizeof(d->text) - d->tlen;
	va_list ap;
	int n;

	if (room <= 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(d->text + d->tlen, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	d->tlen += (size_t)n < room ? (size_t)n : room - 1;
}

void dec_trunc(struct knet_decoded *d, const char *proto)
{
	if (d->trunc)
		return;
	d->trunc = proto;
	dec_put(d, " [|%s]", proto);
}

void dec_addr(struct knet_decoded *d, int family, const uint8_t *addr, int port)
{
	char ip[INET6_ADDRSTRLEN];
	const char *name = NULL;

	if (!inet_ntop(family, addr, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	if (port >= 0)
		dec_put(d, "%s.%d", ip, port);
	else
		dec_put(d, "%s", ip);
	if (d->namer)
		name = d->namer(d->namer_data, ip);
	if (name)
		dec_put(d, " (%s)", name);
}

void dec_pair(struct knet_decoded *d, int family, const uint8_t *src,
	      const uint8_t *dst, int sport, int dport)
{
	dec_addr(d, family, src, sport);
	dec_put(d, " > ");
	dec_addr(d, family, dst, dport);
}

void dec_ether(struct knet_decoded *d, const struct knet_pkt *p)
{
	struct knet_pkt payload;
	uint16_t type;

	if (knet_pkt_be16(p, 12, &type) < 0 ||
	    knet_pkt_sub(p, 14, &payload) < 0) {
		d->proto = "ether";
		dec_trunc(d, "ether");
		return;
	}
	dec_ethertype(d, type, &payload);
}

static void dec_vlan(struct knet_decoded *d, const struct knet_pkt *p)
{
	struct knet_pkt payload;
	uint16_t tci, type;

	if (knet_pkt_be16(p, 0, &tci) < 0 || knet_pkt_be16(p, 2, &type) < 0 ||
	    knet_pkt_sub(p, 4, &payload) < 0) {
		dec_put(d, "vlan");
		dec_trunc(d, "vlan");
		return;
	}
	if (d->vlan < 0)
		d->vlan = tci & 0x0fff;
	dec_put(d, "vlan %u, ", tci & 0x0fff);
	/* Q-in-Q nests; the depth guard ends a packet of only tags. */
	if (++d->depth > DEC_MAX_DEPTH) {
		dec_trunc(d, "vlan");
		return;
	}
	dec_ethertype(d, type, &payload);
}

void dec_ethertype(struct knet_decoded *d, uint16_t type,
		   const struct knet_pkt *p)
{
	switch (type) {
	case 0x0800:
		dec_ipv4(d, p);
		break;
	case 0x86dd:
		dec_ipv6(d, p);
		break;
	case 0x0806:
		dec_arp(d, p);
		break;
	case 0x8100:
	case 0x88a8:
		dec_vlan(d, p);
		break;
	default:
		d->proto = "ether";
		dec_put(d, "ethertype 0x%04x, length %zu", type, p->len);
	}
}

/* Linux cooked headers (-i any): the protocol is at 14 (v1) or 0 (v2). */
static void dec_sll(struct knet_decoded *d, const struct knet_pkt *p, int v2)
{
	struct knet_pkt payload;
	uint16_t type;

	if (knet_pkt_be16(p, v2 ? 0 : 14, &type) < 0 ||
	    knet_pkt_sub(p, v2 ? 20 : 16, &payload) < 0) {
		d->proto = "sll";
		dec_trunc(d, "sll");
		return;
	}
	dec_ethertype(d, type, &payload);
}

void knet_decode_packet(int linktype, const uint8_t *data, size_t caplen,
			size_t len, knet_decode_namer namer, void *namer_data,
			struct knet_decoded *ret)
{
	struct knet_pkt p = {data, caplen};
	uint8_t v;

	memset(ret, 0, sizeof(*ret));
	ret->sport = ret->dport = ret->vlan = -1;
	ret->dns_id = ret->dns_rcode = -1;
	ret->namer = namer;
	ret->namer_data = namer_data;
	ret->proto = "?";
	(void)len;
	switch (linktype) {
	case KNET_LINK_ETHERNET:
		dec_ether(ret, &p);
		break;
	case KNET_LINK_LINUX_SLL:
		dec_sll(ret, &p, 0);
		break;
	case KNET_LINK_LINUX_SLL2:
		dec_sll(ret, &p, 1);
		break;
	case KNET_LINK_RAW:
		if (knet_pkt_u8(&p, 0, &v) < 0)
			dec_trunc(ret, "ip");
		else if (v >> 4 == 6)
			dec_ipv6(ret, &p);
		else
			dec_ipv4(ret, &p);
		break;
	default:
		dec_put(ret, "link type %d, length %zu", linktype, caplen);
	}
}
