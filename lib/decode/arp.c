/* SPDX-License-Identifier: MIT */
/* ARP for IPv4 over Ethernet: who-has and is-at. */
#include <sys/socket.h>

#include "decode-internal.h"

void dec_arp(struct knet_decoded *d, const struct knet_pkt *p)
{
	const uint8_t *sha, *spa, *tpa;
	uint16_t op, ptype;
	uint8_t hlen, plen;

	d->proto = "arp";
	dec_put(d, "ARP, ");
	if (knet_pkt_be16(p, 2, &ptype) < 0 || knet_pkt_u8(p, 4, &hlen) < 0 ||
	    knet_pkt_u8(p, 5, &plen) < 0 || knet_pkt_be16(p, 6, &op) < 0) {
		dec_trunc(d, "arp");
		return;
	}
	if (ptype != 0x0800 || hlen != 6 || plen != 4) {
		dec_put(d, "op %u, hardware length %u, protocol length %u", op,
			hlen, plen);
		return;
	}
	if (knet_pkt_bytes(p, 8, 6, &sha) < 0 ||
	    knet_pkt_bytes(p, 14, 4, &spa) < 0 ||
	    knet_pkt_bytes(p, 24, 4, &tpa) < 0) {
		dec_trunc(d, "arp");
		return;
	}
	if (op == 1) {
		dec_put(d, "Request who-has ");
		dec_addr(d, AF_INET, tpa, -1);
		dec_put(d, " tell ");
		dec_addr(d, AF_INET, spa, -1);
	} else if (op == 2) {
		dec_put(d, "Reply ");
		dec_addr(d, AF_INET, spa, -1);
		dec_put(d, " is-at %02x:%02x:%02x:%02x:%02x:%02x", sha[0],
			sha[1], sha[2], sha[3], sha[4], sha[5]);
	} else {
		dec_put(d, "op %u", op);
	}
}
