/* SPDX-License-Identifier: MIT */
/* UDP, and what it carries by port: DNS, VXLAN (4789, flannel's 8472), Geneve. */
#include "decode-internal.h"

void dec_udp(struct knet_decoded *d, const struct knet_pkt *p)
{
	struct knet_pkt data;
	uint16_t ulen;
	int sp = d->sport, dp = d->dport;

	d->proto = "udp";
	if (knet_pkt_be16(p, 4, &ulen) < 0 || knet_pkt_sub(p, 8, &data) < 0) {
		dec_put(d, "UDP");
		dec_trunc(d, "udp");
		return;
	}
	if (ulen < 8) {
		dec_put(d, "UDP, bad length %u", ulen);
		return;
	}
	if (data.len > (size_t)ulen - 8)
		data.len = (size_t)ulen - 8;
	if (dp == 4789 || dp == 8472) {
		d->tunnel = dp;
		dec_vxlan(d, &data);
	} else if (dp == 6081) {
		d->tunnel = dp;
		dec_geneve(d, &data);
	} else if (sp == 53 || dp == 53 || sp == 5353 || dp == 5353) {
		dec_dns(d, &data);
	} else {
		dec_put(d, "UDP, length %u", ulen - 8);
	}
}
