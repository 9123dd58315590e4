/* SPDX-License-Identifier: MIT */
/*
 * Filters: the string forms of the command's options, and the match in
 * user space that every entry goes through whatever the kernel did.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "netlink-internal.h"

static int usage(struct knet_error *err, const char *fmt, const char *value,
		 const char *expected)
{
	return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE, fmt, value,
			      expected);
}

/*
 * A whole unsigned number in @s, no sign, no blanks, at most @max; @base
 * 0 also takes 0x hex.  False for anything else.
 */
static bool parse_uint(const char *s, int base, unsigned long long max,
		       unsigned long long *ret)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || !(s[0] >= '0' && s[0] <= '9'))
		return false;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > max)
		return false;
	*ret = v;
	return true;
}

static const struct {
	const char *name;
	uint8_t proto;
} protos[] = {
	{"tcp", IPPROTO_TCP},	      {"udp", IPPROTO_UDP},
	{"udplite", IPPROTO_UDPLITE}, {"icmp", IPPROTO_ICMP},
	{"icmpv6", IPPROTO_ICMPV6},   {"ipv6-icmp", IPPROTO_ICMPV6},
	{"sctp", IPPROTO_SCTP},	      {"dccp", IPPROTO_DCCP},
	{"gre", IPPROTO_GRE},
};

static int set_proto(struct knet_ct_filter *f, const char *s,
		     struct knet_error *err)
{
	unsigned long long v;

	for (size_t i = 0; s && i < sizeof(protos) / sizeof(protos[0]); i++)
		if (strcasecmp(s, protos[i].name) == 0) {
			f->proto = protos[i].proto;
			return 0;
		}
	if (!parse_uint(s, 10, 255, &v) || v == 0)
		return usage(err, "invalid protocol '%s': expected %s", s,
			     "tcp, udp, udplite, icmp, icmpv6, sctp, dccp, gre "
			     "or a number from 1 to 255");
	f->proto = (uint8_t)v;
	return 0;
}

static int set_family(struct knet_ct_filter *f, const char *s,
		      struct knet_error *err)
{
	if (s && strcasecmp(s, "ipv4") == 0)
		f->family = AF_INET;
	else if (s && strcasecmp(s, "ipv6") == 0)
		f->family = AF_INET6;
	else
		return usage(err, "invalid family '%s': expected %s", s,
			     "ipv4 or ipv6");
	return 0;
}

static int set_prefix(struct knet_ct_prefix *p, const char *s,
		      struct knet_error *err)
{
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned long long plen;
	const char *slash;
	size_t n;

	if (!s)
		return usage(err, "invalid address '%s': expected %s", "",
			     "an IPv4 or IPv6 address");
	slash = strchr(s, '/');
	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= INET6_ADDRSTRLEN)
		goto bad;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(p->addr, 0, sizeof(p->addr));
	if (inet_pton(AF_INET, buf, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, p->addr) == 1)
		p->family = AF_INET6;
	else
		goto bad;
	p->plen = p->family == AF_INET ? 32 : 128;
	if (slash) {
		if (!parse_uint(slash + 1, 10, p->plen, &plen))
			goto bad;
		p->plen = (uint8_t)plen;
	}
	return 0;
bad:
	return usage(err, "invalid address '%s': expected %s", s,
		     "an IPv4 or IPv6 address, optionally with /PREFIX");
}

static int set_port(uint16_t *port, const char *s, struct knet_error *err)
{
	unsigned long long v;

	if (!parse_uint(s, 10, 65535, &v) || v == 0)
		return usage(err, "invalid port '%s': expected %s", s ? s : "",
			     "a number from 1 to 65535");
	*port = (uint16_t)v;
	return 0;
}

/* The canonical spelling of state @s in @proto's table, or NULL. */
static const char *state_in(uint8_t proto, const char *s, int *ret_state)
{
	size_t n;
	const char *const *t = ct_states(proto, &n);

	for (size_t i = 0; t && i < n; i++)
		if (t[i] && strcasecmp(t[i], s) == 0) {
			if (ret_state)
				*ret_state = (int)i;
			return t[i];
		}
	return NULL;
}

static int set_state(struct knet_ct_filter *f, const char *s,
		     struct knet_error *err)
{
	static const uint8_t with_states[] = {IPPROTO_TCP, IPPROTO_SCTP,
					      IPPROTO_DCCP};

	for (size_t i = 0; s && i < sizeof(with_states); i++) {
		const char *name = state_in(with_states[i], s, NULL);

		if (name) {
			f->state_name = name;
			return 0;
		}
	}
	return usage(err, "invalid state '%s': expected %s", s ? s : "",
		     "a conntrack state such as ESTABLISHED, SYN_SENT, "
		     "TIME_WAIT or CLOSE");
}

static int set_status(struct knet_ct_filter *f, const char *s,
		      struct knet_error *err)
{
	uint32_t mask = 0, value = 0, bit;
	const char *p = s, *comma;
	char word[32];
	size_t n;

	if (!s || !*s)
		goto bad;
	for (; p; p = comma ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (n == 0 || n >= sizeof(word))
			goto bad;
		memcpy(word, p, n);
		word[n] = '\0';
		if (strcasecmp(word, "UNREPLIED") == 0) {
			if (value & IPS_SEEN_REPLY)
				goto conflict;
			mask |= IPS_SEEN_REPLY;
			continue;
		}
		bit = 0;
		for (int i = 0; i < CT_STATUS_BITS; i++)
			if (strcasecmp(word, ct_status_names[i]) == 0)
				bit = 1u << i;
		if (!bit)
			goto bad;
		if (bit == IPS_SEEN_REPLY && (mask & ~value & IPS_SEEN_REPLY))
			goto conflict;
		mask |= bit;
		value |= bit;
	}
	f->status_mask = mask;
	f->status_value = value;
	return 0;
conflict:
	return usage(err, "invalid status '%s': %s", s,
		     "SEEN_REPLY and UNREPLIED exclude each other");
bad:
	return usage(err, "invalid status '%s': expected %s", s ? s : "",
		     "a comma-separated list of ASSURED, SEEN_REPLY, "
		     "UNREPLIED, EXPECTED, FIXED_TIMEOUT, CONFIRMED, "
		     "DYING, OFFLOAD...");
}

static int set_nat(struct knet_ct_filter *f, const char *s,
		   struct knet_error *err)
{
	if (!s || strcasecmp(s, "any") == 0)
		f->nat = KNET_CT_NAT_DNAT | KNET_CT_NAT_SNAT;
	else if (strcasecmp(s, "dnat") == 0)
		f->nat = KNET_CT_NAT_DNAT;
	else if (strcasecmp(s, "snat") == 0)
		f->nat = KNET_CT_NAT_SNAT;
	else
		return usage(err, "invalid nat '%s': expected %s", s,
			     "any, dnat or snat");
	return 0;
}

static int set_mark(struct knet_ct_filter *f, const char *s,
		    struct knet_error *err)
{
	unsigned long long mark, mask = 0xffffffffull;
	char buf[32];
	const char *slash = s ? strchr(s, '/') : NULL;
	size_t n;

	if (!s)
		goto bad;
	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(buf))
		goto bad;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!parse_uint(buf, 0, 0xffffffffull, &mark))
		goto bad;
	if (slash && !parse_uint(slash + 1, 0, 0xffffffffull, &mask))
		goto bad;
	if (mark & ~mask)
		return usage(err, "invalid mark '%s': %s", s,
			     "the mark has bits outside the mask, nothing "
			     "would match");
	f->mark = (uint32_t)mark;
	f->mark_mask = (uint32_t)mask;
	return 0;
bad:
	return usage(err, "invalid mark '%s': expected %s", s ? s : "",
		     "MARK or MARK/MASK, each a 32-bit number (0x for hex)");
}

static int set_zone(struct knet_ct_filter *f, const char *s,
		    struct knet_error *err)
{
	unsigned long long v;

	if (!parse_uint(s, 10, 65535, &v))
		return usage(err, "invalid zone '%s': expected %s", s ? s : "",
			     "a number from 0 to 65535");
	f->zone = (uint16_t)v;
	return 0;
}

int knet_ct_filter_set(struct knet_ct_filter *f, const char *key,
		       const char *value, struct knet_error *err)
{
	static const struct {
		const char *key;
		unsigned int bit;
	} keys[] = {
		{"family", KNET_CT_FILTER_FAMILY},
		{"proto", KNET_CT_FILTER_PROTO},
		{"src", KNET_CT_FILTER_SRC},
		{"dst", KNET_CT_FILTER_DST},
		{"sport", KNET_CT_FILTER_SPORT},
		{"dport", KNET_CT_FILTER_DPORT},
		{"state", KNET_CT_FILTER_STATE},
		{"status", KNET_CT_FILTER_STATUS},
		{"nat", KNET_CT_FILTER_NAT},
		{"zone", KNET_CT_FILTER_ZONE},
		{"mark", KNET_CT_FILTER_MARK},
	};
	unsigned int bit = 0;
	int r;

	for (size_t i = 0; key && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i].key) == 0)
			bit = keys[i].bit;
	switch (bit) {
	case KNET_CT_FILTER_FAMILY:
		r = set_family(f, value, err);
		break;
	case KNET_CT_FILTER_PROTO:
		r = set_proto(f, value, err);
		break;
	case KNET_CT_FILTER_SRC:
		r = set_prefix(&f->src, value, err);
		break;
	case KNET_CT_FILTER_DST:
		r = set_prefix(&f->dst, value, err);
		break;
	case KNET_CT_FILTER_SPORT:
		r = set_port(&f->sport, value, err);
		break;
	case KNET_CT_FILTER_DPORT:
		r = set_port(&f->dport, value, err);
		break;
	case KNET_CT_FILTER_STATE:
		r = set_state(f, value, err);
		break;
	case KNET_CT_FILTER_STATUS:
		r = set_status(f, value, err);
		break;
	case KNET_CT_FILTER_NAT:
		r = set_nat(f, value, err);
		break;
	case KNET_CT_FILTER_ZONE:
		r = set_zone(f, value, err);
		break;
	case KNET_CT_FILTER_MARK:
		r = set_mark(f, value, err);
		break;
	default:
		return usage(err, "unknown conntrack filter '%s'%s",
			     key ? key : "", "");
	}
	if (r < 0)
		return r;
	f->set |= bit;
	return 0;
}

static int check_family(struct knet_ct_filter *f,
			const struct knet_ct_prefix *p, unsigned int bit,
			struct knet_error *err)
{
	if (!(f->set & bit))
		return 0;
	if ((f->set & KNET_CT_FILTER_FAMILY) && f->family != p->family)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "conflicting filters: %s and %s "
				      "addresses",
				      knet_ct_family_name(f->family),
				      knet_ct_family_name(p->family));
	/* An address says its family: the kernel can then filter by it. */
	f->family = p->family;
	f->set |= KNET_CT_FILTER_FAMILY;
	return 0;
}

int knet_ct_filter_check(struct knet_ct_filter *f, struct knet_error *err)
{
	const char *pname;
	int state, r;

	r = check_family(f, &f->src, KNET_CT_FILTER_SRC, err);
	if (r == 0)
		r = check_family(f, &f->dst, KNET_CT_FILTER_DST, err);
	if (r < 0)
		return r;
	if ((f->set & KNET_CT_FILTER_PROTO) &&
	    (f->set & KNET_CT_FILTER_FAMILY) &&
	    ((f->proto == IPPROTO_ICMP && f->family == AF_INET6) ||
	     (f->proto == IPPROTO_ICMPV6 && f->family == AF_INET)))
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "conflicting filters: %s with %s",
				      knet_ct_proto_name(f->proto),
				      knet_ct_family_name(f->family));
	if ((f->set & (KNET_CT_FILTER_SPORT | KNET_CT_FILTER_DPORT)) &&
	    (f->set & KNET_CT_FILTER_PROTO) && !ct_proto_has_ports(f->proto))
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "conflicting filters: protocol %u has "
				      "no ports",
				      f->proto);
	if (!(f->set & KNET_CT_FILTER_STATE))
		return 0;
	/* conntrack(8) wants -p with --state; TCP is what people mean. */
	if (!(f->set & KNET_CT_FILTER_PROTO)) {
		f->proto = IPPROTO_TCP;
		f->set |= KNET_CT_FILTER_PROTO;
	}
	pname = knet_ct_proto_name(f->proto);
	if (!f->state_name || !state_in(f->proto, f->state_name, &state))
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "conflicting filters: %s is not a "
				      "state of %s",
				      f->state_name ? f->state_name : "(none)",
				      pname ? pname : "this protocol");
	f->state = (uint8_t)state;
	return 0;
}

static bool prefix_match(const struct knet_ct_prefix *p, uint8_t family,
			 const unsigned char *addr)
{
	unsigned int whole = p->plen / 8, bits = p->plen % 8;
	unsigned char m;

	if (p->family != family)
		return false;
	if (memcmp(p->addr, addr, whole))
		return false;
	if (!bits)
		return true;
	m = (unsigned char)(0xff << (8 - bits));
	return (p->addr[whole] & m) == (addr[whole] & m);
}

/* The filter fields @e fails (KNET_CT_FILTER_*), 0 when it passes. */
unsigned int ct_filter_fails(const struct knet_ct_filter *f,
			     const struct knet_ct_entry *e)
{
	unsigned int set = f->set, fails = 0;
	bool ports = ct_proto_has_ports(e->proto);

	if ((set & KNET_CT_FILTER_FAMILY) && e->family != f->family)
		fails |= KNET_CT_FILTER_FAMILY;
	if ((set & KNET_CT_FILTER_PROTO) && e->proto != f->proto)
		fails |= KNET_CT_FILTER_PROTO;
	if ((set & KNET_CT_FILTER_SRC) &&
	    !prefix_match(&f->src, e->family, e->orig.src))
		fails |= KNET_CT_FILTER_SRC;
	if ((set & KNET_CT_FILTER_DST) &&
	    !prefix_match(&f->dst, e->family, e->orig.dst))
		fails |= KNET_CT_FILTER_DST;
	if ((set & KNET_CT_FILTER_SPORT) &&
	    (!ports || e->orig.sport != f->sport))
		fails |= KNET_CT_FILTER_SPORT;
	if ((set & KNET_CT_FILTER_DPORT) &&
	    (!ports || e->orig.dport != f->dport))
		fails |= KNET_CT_FILTER_DPORT;
	if ((set & KNET_CT_FILTER_STATE) &&
	    (!(e->has & KNET_CT_HAS_STATE) || e->proto != f->proto ||
	     e->state != f->state))
		fails |= KNET_CT_FILTER_STATE;
	if ((set & KNET_CT_FILTER_STATUS) &&
	    (e->status & f->status_mask) != f->status_value)
		fails |= KNET_CT_FILTER_STATUS;
	if ((set & KNET_CT_FILTER_NAT) && !(knet_ct_nat(e) & f->nat))
		fails |= KNET_CT_FILTER_NAT;
	if ((set & KNET_CT_FILTER_ZONE) && e->zone != f->zone)
		fails |= KNET_CT_FILTER_ZONE;
	if ((set & KNET_CT_FILTER_MARK) && (e->mark & f->mark_mask) != f->mark)
		fails |= KNET_CT_FILTER_MARK;
	return fails;
}

bool knet_ct_filter_match(const struct knet_ct_filter *f,
			  const struct knet_ct_entry *e)
{
	return !f || ct_filter_fails(f, e) == 0;
}
