/* SPDX-License-Identifier: MIT */
/*
 * VXLAN and Geneve: the outer header, then the inner Ethernet frame
 * decoded as a packet of its own.  The inner packet's addresses replace
 * the outer ones in the fields (that is the pod traffic).
 */
#include "decode-internal.h"

static void inner(struct knet_decoded *d, const struct knet_pkt *frame,
		  const char *proto)
{
	if (++d->depth > DEC_MAX_DEPTH) {
		dec_trunc(d, proto);
		return;
	}
	dec_put(d, ": ");
	dec_ether(d, frame);
}

void dec_vxlan(struct knet_decoded *d, const struct knet_pkt *p)
{
	struct knet_pkt frame;
	uint32_t vni;
	uint8_t fl;

	if (knet_pkt_u8(p, 0, &fl) < 0 || knet_pkt_be32(p, 4, &vni) < 0 ||
	    knet_pkt_sub(p, 8, &frame) < 0) {
		d->proto = "vxlan";
		dec_put(d, "VXLAN");
		dec_trunc(d, "vxlan");
		return;
	}
	dec_put(d, "VXLAN, flags [%s], vni %u", fl & 0x08 ? "I" : "", vni >> 8);
	inner(d, &frame, "vxlan");
}

void dec_geneve(struct knet_decoded *d, const struct knet_pkt *p)
{
	struct knet_pkt frame;
	uint16_t type;
	uint32_t vni;
	uint8_t vo;

	if (knet_pkt_u8(p, 0, &vo) < 0 || knet_pkt_be16(p, 2, &type) < 0 ||
	    knet_pkt_be32(p, 4, &vni) < 0 ||
	    knet_pkt_sub(p, 8 + (size_t)(vo & 0x3f) * 4, &frame) < 0) {
		d->proto = "geneve";
		dec_put(d, "Geneve");
		dec_trunc(d, "geneve");
		return;
	}
	dec_put(d, "Geneve, vni %u, proto 0x%04x", vni >> 8, type);
	if (type == 0x6558) {
		inner(d, &frame, "geneve");
	} else {
		if (++d->depth > DEC_MAX_DEPTH) {
			dec_trunc(d, "geneve");
			return;
		}
		dec_put(d, ": ");
		dec_ethertype(d, type, &frame);
	}
}
