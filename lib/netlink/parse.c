/* SPDX-License-Identifier: MIT */
/*
 * ctnetlink messages to struct knet_ct_entry.
 *
 * The kernel is trusted to mean well, not to be bug-free: every length
 * is checked before anything is read, each attribute knet uses is
 * checked for its exact size (knet_nla_check()), and bytes left over
 * after the last whole attribute make the message malformed (a parser
 * that only walked whole attributes would stop there silently).  Only
 * the attributes knet shows are read; the rest are skipped without a
 * look.
 */
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "netlink-internal.h"

int ct_attrs(const void *payload, size_t len, const struct nlattr **tb, int max,
	     const enum knet_nla_kind *policy, const uint8_t *sizes)
{
	const struct nlattr *attr;
	const char *end = (const char *)payload + len;
	int type;

	memset(tb, 0, (size_t)(max + 1) * sizeof(*tb));
	if (len > 0xffff)
		return -EBADMSG;
	knet_nla_for_each(attr, payload, len)
	{
		type = knet_nla_type(attr);
		if (type > max)
			continue;
		if (!knet_nla_check(
			    attr, policy[type],
			    policy[type] == KNET_NLA_BINARY ? sizes[type] : 0))
			return -EBADMSG;
		tb[type] = attr;
	}
	/*
	 * What is left is not a whole attribute: a truncated one, or one
	 * whose length runs past the end.  (The last attribute's padding
	 * may be missing, which leaves attr past the end: fine.)
	 */
	if ((const char *)attr < end)
		return -EBADMSG;
	return 0;
}

static const enum knet_nla_kind ct_policy[CTA_MAX + 1] = {
	[CTA_TUPLE_ORIG] = KNET_NLA_NESTED,
	[CTA_TUPLE_REPLY] = KNET_NLA_NESTED,
	[CTA_STATUS] = KNET_NLA_U32,
	[CTA_PROTOINFO] = KNET_NLA_NESTED,
	[CTA_TIMEOUT] = KNET_NLA_U32,
	[CTA_MARK] = KNET_NLA_U32,
	[CTA_COUNTERS_ORIG] = KNET_NLA_NESTED,
	[CTA_COUNTERS_REPLY] = KNET_NLA_NESTED,
	[CTA_USE] = KNET_NLA_U32,
	[CTA_ID] = KNET_NLA_U32,
	[CTA_ZONE] = KNET_NLA_U16,
};

static const enum knet_nla_kind tuple_policy[CTA_TUPLE_MAX + 1] = {
	[CTA_TUPLE_IP] = KNET_NLA_NESTED,
	[CTA_TUPLE_PROTO] = KNET_NLA_NESTED,
	[CTA_TUPLE_ZONE] = KNET_NLA_U16,
};

static const enum knet_nla_kind ip_policy[CTA_IP_MAX + 1] = {
	[CTA_IP_V4_SRC] = KNET_NLA_U32,
	[CTA_IP_V4_DST] = KNET_NLA_U32,
	[CTA_IP_V6_SRC] = KNET_NLA_BINARY,
	[CTA_IP_V6_DST] = KNET_NLA_BINARY,
};

static const uint8_t ip_sizes[CTA_IP_MAX + 1] = {
	[CTA_IP_V6_SRC] = 16,
	[CTA_IP_V6_DST] = 16,
};

static const enum knet_nla_kind proto_policy[CTA_PROTO_MAX + 1] = {
	[CTA_PROTO_NUM] = KNET_NLA_U8,
	[CTA_PROTO_SRC_PORT] = KNET_NLA_U16,
	[CTA_PROTO_DST_PORT] = KNET_NLA_U16,
	[CTA_PROTO_ICMP_ID] = KNET_NLA_U16,
	[CTA_PROTO_ICMP_TYPE] = KNET_NLA_U8,
	[CTA_PROTO_ICMP_CODE] = KNET_NLA_U8,
	[CTA_PROTO_ICMPV6_ID] = KNET_NLA_U16,
	[CTA_PROTO_ICMPV6_TYPE] = KNET_NLA_U8,
	[CTA_PROTO_ICMPV6_CODE] = KNET_NLA_U8,
};

static const enum knet_nla_kind pinfo_policy[CTA_PROTOINFO_MAX + 1] = {
	[CTA_PROTOINFO_TCP] = KNET_NLA_NESTED,
	[CTA_PROTOINFO_DCCP] = KNET_NLA_NESTED,
	[CTA_PROTOINFO_SCTP] = KNET_NLA_NESTED,
};

/* TCP, DCCP and SCTP all number their state attribute 1. */
static const enum knet_nla_kind state_policy[CTA_PROTOINFO_TCP_MAX + 1] = {
	[CTA_PROTOINFO_TCP_STATE] = KNET_NLA_U8,
};

static const enum knet_nla_kind counters_policy[CTA_COUNTERS_MAX + 1] = {
	[CTA_COUNTERS_PACKETS] = KNET_NLA_U64,
	[CTA_COUNTERS_BYTES] = KNET_NLA_U64,
};

static int nested(const struct nlattr *a, const struct nlattr **tb, int max,
		  const enum knet_nla_kind *policy, const uint8_t *sizes)
{
	return ct_attrs(knet_nla_payload(a), knet_nla_len(a), tb, max, policy,
			sizes);
}

static int bad(struct knet_error *err, const char *what)
{
	return knet_error_set(err, -EBADMSG, KNET_EXIT_SYSTEM,
			      "malformed conntrack message from the kernel: %s",
			      what);
}

bool ct_proto_has_ports(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
	case IPPROTO_GRE:
		return true;
	}
	return false;
}

bool ct_proto_is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

static int parse_addrs(const struct nlattr *a, uint8_t family,
		       struct knet_ct_tuple *t, struct knet_error *err)
{
	const struct nlattr *tb[CTA_IP_MAX + 1];
	int s = family == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC;
	int d = family == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST;
	size_t n = family == AF_INET ? 4 : 16;

	if (nested(a, tb, CTA_IP_MAX, ip_policy, ip_sizes) < 0)
		return bad(err, "tuple addresses");
	if (!tb[s] || !tb[d])
		return bad(err, "tuple without its addresses");
	memcpy(t->src, knet_nla_payload(tb[s]), n);
	memcpy(t->dst, knet_nla_payload(tb[d]), n);
	return 0;
}

static int parse_proto(const struct nlattr *a, uint8_t family,
		       uint8_t *ret_proto, struct knet_ct_tuple *t,
		       struct knet_error *err)
{
	const struct nlattr *tb[CTA_PROTO_MAX + 1];
	bool v6 = family == AF_INET6;
	int id = v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID;
	int type = v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE;
	int code = v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE;
	uint8_t proto;

	if (nested(a, tb, CTA_PROTO_MAX, proto_policy, NULL) < 0)
		return bad(err, "tuple protocol");
	if (!tb[CTA_PROTO_NUM])
		return bad(err, "tuple without a protocol number");
	proto = knet_nla_u8(tb[CTA_PROTO_NUM]);
	if (ct_proto_has_ports(proto)) {
		/* GRE keys are optional (PPTP only); ports are not. */
		if (proto != IPPROTO_GRE &&
		    (!tb[CTA_PROTO_SRC_PORT] || !tb[CTA_PROTO_DST_PORT]))
			return bad(err, "tuple without its ports");
		if (tb[CTA_PROTO_SRC_PORT])
			t->sport = ntohs(knet_nla_u16(tb[CTA_PROTO_SRC_PORT]));
		if (tb[CTA_PROTO_DST_PORT])
			t->dport = ntohs(knet_nla_u16(tb[CTA_PROTO_DST_PORT]));
	} else if (ct_proto_is_icmp(proto)) {
		if (!tb[id] || !tb[type] || !tb[code])
			return bad(err, "icmp tuple without id, type or code");
		t->icmp_id = ntohs(knet_nla_u16(tb[id]));
		t->icmp_type = knet_nla_u8(tb[type]);
		t->icmp_code = knet_nla_u8(tb[code]);
	}
	*ret_proto = proto;
	return 0;
}

static int parse_tuple(const struct nlattr *a, uint8_t family,
		       uint8_t *ret_proto, struct knet_ct_tuple *t,
		       struct knet_error *err)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1];
	int r;

	if (nested(a, tb, CTA_TUPLE_MAX, tuple_policy, NULL) < 0)
		return bad(err, "tuple");
	if (!tb[CTA_TUPLE_IP] || !tb[CTA_TUPLE_PROTO])
		return bad(err, "tuple without addresses or protocol");
	r = parse_addrs(tb[CTA_TUPLE_IP], family, t, err);
	if (r < 0)
		return r;
	return parse_proto(tb[CTA_TUPLE_PROTO], family, ret_proto, t, err);
}

static int parse_state(const struct nlattr *a, struct knet_ct_entry *e,
		       struct knet_error *err)
{
	const struct nlattr *tb[CTA_PROTOINFO_MAX + 1];
	const struct nlattr *st[CTA_PROTOINFO_TCP_MAX + 1];
	const struct nlattr *p;

	if (nested(a, tb, CTA_PROTOINFO_MAX, pinfo_policy, NULL) < 0)
		return bad(err, "protocol info");
	p = tb[CTA_PROTOINFO_TCP]    ? tb[CTA_PROTOINFO_TCP]
	    : tb[CTA_PROTOINFO_SCTP] ? tb[CTA_PROTOINFO_SCTP]
				     : tb[CTA_PROTOINFO_DCCP];
	if (!p)
		return 0;
	if (nested(p, st, CTA_PROTOINFO_TCP_MAX, state_policy, NULL) < 0)
		return bad(err, "protocol state");
	if (st[CTA_PROTOINFO_TCP_STATE]) {
		e->state = knet_nla_u8(st[CTA_PROTOINFO_TCP_STATE]);
		e->has |= KNET_CT_HAS_STATE;
	}
	return 0;
}

static int parse_counters(const struct nlattr *a, uint64_t *ret_packets,
			  uint64_t *ret_bytes, struct knet_error *err)
{
	const struct nlattr *tb[CTA_COUNTERS_MAX + 1];

	if (nested(a, tb, CTA_COUNTERS_MAX, counters_policy, NULL) < 0)
		return bad(err, "counters");
	if (!tb[CTA_COUNTERS_PACKETS] || !tb[CTA_COUNTERS_BYTES])
		return bad(err, "counters without packets or bytes");
	*ret_packets = be64toh(knet_nla_u64(tb[CTA_COUNTERS_PACKETS]));
	*ret_bytes = be64toh(knet_nla_u64(tb[CTA_COUNTERS_BYTES]));
	return 0;
}

static uint32_t get_be32(const struct nlattr *a)
{
	return ntohl(knet_nla_u32(a));
}

static int parse_attrs(const struct nlattr *const *tb, struct knet_ct_entry *e,
		       struct knet_error *err)
{
	uint8_t reply_proto;
	int r;

	if (!tb[CTA_TUPLE_ORIG] || !tb[CTA_TUPLE_REPLY])
		return bad(err, "entry without both tuples");
	r = parse_tuple(tb[CTA_TUPLE_ORIG], e->family, &e->proto, &e->orig,
			err);
	if (r < 0)
		return r;
	r = parse_tuple(tb[CTA_TUPLE_REPLY], e->family, &reply_proto, &e->reply,
			err);
	if (r < 0)
		return r;
	if (tb[CTA_PROTOINFO]) {
		r = parse_state(tb[CTA_PROTOINFO], e, err);
		if (r < 0)
			return r;
	}
	if (tb[CTA_COUNTERS_ORIG] && tb[CTA_COUNTERS_REPLY]) {
		r = parse_counters(tb[CTA_COUNTERS_ORIG], &e->orig_packets,
				   &e->orig_bytes, err);
		if (r == 0)
			r = parse_counters(tb[CTA_COUNTERS_REPLY],
					   &e->reply_packets, &e->reply_bytes,
					   err);
		if (r < 0)
			return r;
		e->has |= KNET_CT_HAS_COUNTERS;
	}
	if (tb[CTA_STATUS]) {
		e->status = get_be32(tb[CTA_STATUS]);
		e->has |= KNET_CT_HAS_STATUS;
	}
	if (tb[CTA_TIMEOUT]) {
		e->timeout = get_be32(tb[CTA_TIMEOUT]);
		e->has |= KNET_CT_HAS_TIMEOUT;
	}
	if (tb[CTA_ID]) {
		e->id = get_be32(tb[CTA_ID]);
		e->has |= KNET_CT_HAS_ID;
	}
	if (tb[CTA_USE]) {
		e->use = get_be32(tb[CTA_USE]);
		e->has |= KNET_CT_HAS_USE;
	}
	if (tb[CTA_MARK])
		e->mark = get_be32(tb[CTA_MARK]);
	if (tb[CTA_ZONE])
		e->zone = ntohs(knet_nla_u16(tb[CTA_ZONE]));
	return 0;
}

int knet_ct_entry_parse(const void *msg, size_t len,
			struct knet_ct_entry *ret_entry, struct knet_error *err)
{
	const struct nlattr *tb[CTA_MAX + 1];
	const struct nlmsghdr *nlh = msg;
	const struct nfgenmsg *nfg;
	struct knet_ct_entry e;
	size_t plen;
	int r;

	if (len < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) ||
	    nlh->nlmsg_len > len)
		return bad(err, "truncated message");
	if (nlh->nlmsg_type != CT_MSG(IPCTNL_MSG_CT_NEW) &&
	    nlh->nlmsg_type != CT_MSG(IPCTNL_MSG_CT_DELETE))
		return bad(err, "not a conntrack entry");
	plen = knet_nlmsg_payload_len(nlh);
	if (plen < sizeof(*nfg))
		return bad(err, "truncated header");
	nfg = knet_nlmsg_payload(nlh);
	memset(&e, 0, sizeof(e));
	e.family = nfg->nfgen_family;
	if (e.family != AF_INET && e.family != AF_INET6)
		return bad(err, "unknown address family");
	r = ct_attrs((const char *)nfg + sizeof(*nfg), plen - sizeof(*nfg), tb,
		     CTA_MAX, ct_policy, NULL);
	if (r < 0)
		return bad(err, "attribute lengths");
	r = parse_attrs(tb, &e, err);
	if (r < 0)
		return r;
	*ret_entry = e;
	return 0;
}
