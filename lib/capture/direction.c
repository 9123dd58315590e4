/* SPDX-License-Identifier: MIT */
/*
 * pcapng EPB flags from what the link layer says about a packet: the
 * Linux "cooked" headers carry the kernel's packet type; an Ethernet
 * frame is outbound when it comes from the interface's own address.
 */
#include <string.h>

#include "knet/capture.h"

/* pcap LINKTYPE_ numbers and the kernel's PACKET_* types. */
enum {
	LT_EN10MB = 1,
	LT_LINUX_SLL = 113,
	LT_LINUX_SLL2 = 276,
	PT_HOST = 0,
	PT_BROADCAST = 1,
	PT_MULTICAST = 2,
	PT_OTHERHOST = 3,
	PT_OUTGOING = 4,
};

static uint32_t from_packet_type(unsigned type)
{
	switch (type) {
	case PT_HOST:
		return KNET_EPB_INBOUND | KNET_EPB_UNICAST;
	case PT_BROADCAST:
		return KNET_EPB_INBOUND | KNET_EPB_BROADCAST;
	case PT_MULTICAST:
		return KNET_EPB_INBOUND | KNET_EPB_MULTICAST;
	case PT_OTHERHOST:
		return KNET_EPB_INBOUND | KNET_EPB_PROMISCUOUS;
	case PT_OUTGOING:
		return KNET_EPB_OUTBOUND;
	default:
		return 0;
	}
}

static uint32_t from_ethernet(const uint8_t *data, uint32_t caplen,
			      const uint8_t *own_mac)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	if (caplen < 12 || !own_mac)
		return 0;
	if (!memcmp(data + 6, own_mac, 6))
		return KNET_EPB_OUTBOUND;
	if (!memcmp(data, bcast, 6))
		return KNET_EPB_INBOUND | KNET_EPB_BROADCAST;
	if (data[0] & 1)
		return KNET_EPB_INBOUND | KNET_EPB_MULTICAST;
	if (!memcmp(data, own_mac, 6))
		return KNET_EPB_INBOUND | KNET_EPB_UNICAST;
	return KNET_EPB_INBOUND | KNET_EPB_PROMISCUOUS;
}

uint32_t knet_capture_epb_flags(int linktype, const uint8_t *data,
				uint32_t caplen, const uint8_t *own_mac)
{
	switch (linktype) {
	case LT_LINUX_SLL:
		return caplen >= 2 ? from_packet_type((unsigned)data[0] << 8 |
						      data[1])
				   : 0;
	case LT_LINUX_SLL2:
		return caplen >= 11 ? from_packet_type(data[10]) : 0;
	case LT_EN10MB:
		return from_ethernet(data, caplen, own_mac);
	default:
		return 0;
	}
}
