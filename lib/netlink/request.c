/* SPDX-License-Identifier: MIT */
/*
 * Building tuples into requests: whole ones to delete an entry, partial
 * ones for the kernel's dump filter (CTA_FILTER).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "netlink-internal.h"

static void put_addrs(struct nlmsghdr *nlh, uint8_t family,
		      const struct knet_ct_tuple *t, unsigned int flags)
{
	bool v4 = family == AF_INET;
	size_t n = v4 ? 4 : 16;
	struct nlattr *ip = knet_nla_nest_start(nlh, CTA_TUPLE_IP);

	if (flags & CT_FILTER_F_IP_SRC)
		knet_nla_put(nlh, v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, n,
			     t->src);
	if (flags & CT_FILTER_F_IP_DST)
		knet_nla_put(nlh, v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, n,
			     t->dst);
	knet_nla_nest_end(nlh, ip);
}

static void put_proto(struct nlmsghdr *nlh, uint8_t family, uint8_t proto,
		      const struct knet_ct_tuple *t, unsigned int flags)
{
	bool v6 = family == AF_INET6;
	struct nlattr *pr = knet_nla_nest_start(nlh, CTA_TUPLE_PROTO);

	knet_nla_put_u8(nlh, CTA_PROTO_NUM, proto);
	if (ct_proto_has_ports(proto)) {
		if (flags & CT_FILTER_F_SRC_PORT)
			knet_nla_put_u16(nlh, CTA_PROTO_SRC_PORT,
					 htons(t->sport));
		if (flags & CT_FILTER_F_DST_PORT)
			knet_nla_put_u16(nlh, CTA_PROTO_DST_PORT,
					 htons(t->dport));
	} else if (ct_proto_is_icmp(proto) && flags == CT_TUPLE_ALL) {
		knet_nla_put_u16(nlh,
				 v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID,
				 htons(t->icmp_id));
		knet_nla_put_u8(
			nlh, v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE,
			t->icmp_type);
		knet_nla_put_u8(
			nlh, v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE,
			t->icmp_code);
	}
	knet_nla_nest_end(nlh, pr);
}

void ct_put_tuple(struct nlmsghdr *nlh, uint16_t type, uint8_t family,
		  uint8_t proto, const struct knet_ct_tuple *t,
		  unsigned int flags)
{
	struct nlattr *tuple = knet_nla_nest_start(nlh, type);

	if (flags & (CT_FILTER_F_IP_SRC | CT_FILTER_F_IP_DST))
		put_addrs(nlh, family, t, flags);
	if (flags & CT_FILTER_F_PROTO_NUM)
		put_proto(nlh, family, proto, t, flags);
	knet_nla_nest_end(nlh, tuple);
}
