/* SPDX-License-Identifier: MIT */
/*
 * The bounds-checked packet accessors every decoder (and the probes'
 * ICMP parser) reads through: bytes from the network have no length
 * anybody promised, so each read says whether it fits.
 */
#include <errno.h>

#include "knet/decode.h"

int knet_pkt_u8(const struct knet_pkt *p, size_t off, uint8_t *ret)
{
	if (off >= p->len)
		return -EBADMSG;
	*ret = p->data[off];
	return 0;
}

int knet_pkt_be16(const struct knet_pkt *p, size_t off, uint16_t *ret)
{
	if (off > p->len || p->len - off < 2)
		return -EBADMSG;
	*ret = (uint16_t)(p->data[off] << 8 | p->data[off + 1]);
	return 0;
}

int knet_pkt_be32(const struct knet_pkt *p, size_t off, uint32_t *ret)
{
	if (off > p->len || p->len - off < 4)
		return -EBADMSG;
	*ret = (uint32_t)p->data[off] << 24 | (uint32_t)p->data[off + 1] << 16 |
	       (uint32_t)p->data[off + 2] << 8 | p->data[off + 3];
	return 0;
}

int knet_pkt_sub(const struct knet_pkt *p, size_t off, struct knet_pkt *ret)
{
	if (off > p->len)
		return -EBADMSG;
	ret->data = p->data + off;
	ret->len = p->len - off;
	return 0;
}

int knet_pkt_bytes(const struct knet_pkt *p, size_t off, size_t n,
		   const uint8_t **ret)
{
	if (off > p->len || p->len - off < n)
		return -EBADMSG;
	*ret = p->data + off;
	return 0;
}
