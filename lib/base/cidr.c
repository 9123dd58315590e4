/* SPDX-License-Identifier: MIT */
/*
 * Addresses and prefixes of either family in one shape (IPv4 as the
 * first 4 bytes), for the policy engine's ipBlocks and targets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/base.h"

int knet_cidr_parse(const char *s, struct knet_cidr *ret)
{
	struct knet_cidr c = {0};
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	size_t alen;
	int max;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, c.addr) == 1)
		c.family = 4;
	else if (inet_pton(AF_INET6, buf, c.addr) == 1)
		c.family = 6;
	else
		return -EINVAL;
	max = c.family == 4 ? 32 : 128;
	c.bits = max;
	if (slash) {
		char *end;
		long v;

		if (!slash[1] || slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		v = strtol(slash + 1, &end, 10);
		if (*end || v < 0 || v > max)
			return -EINVAL;
		c.bits = (int)v;
	}
	*ret = c;
	return 0;
}

bool knet_cidr_contains(const struct knet_cidr *outer,
			const struct knet_cidr *inner)
{
	int full, rest;

	if (outer->family != inner->family || inner->bits < outer->bits)
		return false;
	full = outer->bits / 8;
	rest = outer->bits % 8;
	if (memcmp(outer->addr, inner->addr, (size_t)full))
		return false;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));

		if ((outer->addr[full] & mask) != (inner->addr[full] & mask))
			return false;
	}
	return true;
}

bool knet_cidr_overlaps(const struct knet_cidr *a, const struct knet_cidr *b)
{
	return knet_cidr_contains(a, b) || knet_cidr_contains(b, a);
}
