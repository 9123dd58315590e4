/* SPDX-License-Identifier: MIT */
/*
 * Names and text forms of conntrack entries, into caller buffers: the
 * command's table and JSON go through lib/output, which takes strings.
 * Names are conntrack(8)'s, so what engineers know still reads the same.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter/nf_conntrack_sctp.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#include "netlink-internal.h"

static const char *const tcp_states[] = {
	[TCP_CONNTRACK_NONE] = "NONE",
	[TCP_CONNTRACK_SYN_SENT] = "SYN_SENT",
	[TCP_CONNTRACK_SYN_RECV] = "SYN_RECV",
	[TCP_CONNTRACK_ESTABLISHED] = "ESTABLISHED",
	[TCP_CONNTRACK_FIN_WAIT] = "FIN_WAIT",
	[TCP_CONNTRACK_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCP_CONNTRACK_LAST_ACK] = "LAST_ACK",
	[TCP_CONNTRACK_TIME_WAIT] = "TIME_WAIT",
	[TCP_CONNTRACK_CLOSE] = "CLOSE",
	/* conntrack(8) still prints the old name of SYN_SENT2 */
	[TCP_CONNTRACK_SYN_SENT2] = "SYN_SENT2",
};

static const char *const sctp_states[] = {
	[SCTP_CONNTRACK_NONE] = "NONE",
	[SCTP_CONNTRACK_CLOSED] = "CLOSED",
	[SCTP_CONNTRACK_COOKIE_WAIT] = "COOKIE_WAIT",
	[SCTP_CONNTRACK_COOKIE_ECHOED] = "COOKIE_ECHOED",
	[SCTP_CONNTRACK_ESTABLISHED] = "ESTABLISHED",
	[SCTP_CONNTRACK_SHUTDOWN_SENT] = "SHUTDOWN_SENT",
	[SCTP_CONNTRACK_SHUTDOWN_RECD] = "SHUTDOWN_RECD",
	[SCTP_CONNTRACK_SHUTDOWN_ACK_SENT] = "SHUTDOWN_ACK_SENT",
	[SCTP_CONNTRACK_HEARTBEAT_SENT] = "HEARTBEAT_SENT",
	[SCTP_CONNTRACK_HEARTBEAT_ACKED] = "HEARTBEAT_ACKED",
};

/* DCCP's states (include/uapi/linux/netfilter/nf_conntrack_dccp.h). */
static const char *const dccp_states[] = {
	"NONE",	    "REQUEST", "RESPOND",  "PARTOPEN", "OPEN",
	"CLOSEREQ", "CLOSING", "TIMEWAIT", "IGNORE",   "INVALID",
};

const char *const *ct_states(uint8_t proto, size_t *ret_n)
{
	switch (proto) {
	case IPPROTO_TCP:
		*ret_n = sizeof(tcp_states) / sizeof(tcp_states[0]);
		return tcp_states;
	case IPPROTO_SCTP:
		*ret_n = sizeof(sctp_states) / sizeof(sctp_states[0]);
		return sctp_states;
	case IPPROTO_DCCP:
		*ret_n = sizeof(dccp_states) / sizeof(dccp_states[0]);
		return dccp_states;
	}
	*ret_n = 0;
	return NULL;
}

const char *knet_ct_state_name(uint8_t proto, uint8_t state)
{
	size_t n;
	const char *const *t = ct_states(proto, &n);

	return t && state < n ? t[state] : NULL;
}

/* Bit i of the status is IPS_*_BIT i; names as conntrack(8) has them. */
const char *const ct_status_names[CT_STATUS_BITS] = {
	"EXPECTED",	"SEEN_REPLY", "ASSURED",       "CONFIRMED",
	"SRC_NAT",	"DST_NAT",    "SEQ_ADJUST",    "SRC_NAT_DONE",
	"DST_NAT_DONE", "DYING",      "FIXED_TIMEOUT", "TEMPLATE",
	"UNTRACKED",	"HELPER",     "OFFLOAD",       "HW_OFFLOAD",
};

static int append(char *buf, size_t len, size_t *pos, const char *s)
{
	size_t n = strlen(s) + (*pos ? 1 : 0);

	if (*pos + n >= len)
		return -ENOSPC;
	if (*pos)
		buf[(*pos)++] = ',';
	memcpy(buf + *pos, s, strlen(s) + 1);
	*pos += strlen(s);
	return 0;
}

int knet_ct_format_status(uint32_t status, char *buf, size_t len)
{
	size_t pos = 0;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (!(status & IPS_SEEN_REPLY) && append(buf, len, &pos, "UNREPLIED"))
		return -ENOSPC;
	for (int i = 0; i < CT_STATUS_BITS; i++)
		if ((status & (1u << i)) &&
		    append(buf, len, &pos, ct_status_names[i]))
			return -ENOSPC;
	return (int)pos;
}

const char *knet_ct_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_UDPLITE:
		return "udplite";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_DCCP:
		return "dccp";
	case IPPROTO_GRE:
		return "gre";
	}
	return NULL;
}

const char *knet_ct_family_name(uint8_t family)
{
	return family == AF_INET ? "ipv4" : family == AF_INET6 ? "ipv6" : NULL;
}

/* @port in decimal at @o; the end.  By hand: four times an entry. */
static char *put_dec(char *o, uint16_t port)
{
	unsigned v = port;
	int n = v >= 10000 ? 5 : v >= 1000 ? 4 : v >= 100 ? 3 : v >= 10 ? 2 : 1;
	char *end = o + n;

	/* counted first, then written from the last digit: no reversing */
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return o + n;
}

/* "0" to "255", each in four bytes (the NULs pad). */
static const char octets[256][4] = {
	"0",   "1",   "2",   "3",   "4",   "5",	  "6",	 "7",	"8",   "9",
	"10",  "11",  "12",  "13",  "14",  "15",  "16",	 "17",	"18",  "19",
	"20",  "21",  "22",  "23",  "24",  "25",  "26",	 "27",	"28",  "29",
	"30",  "31",  "32",  "33",  "34",  "35",  "36",	 "37",	"38",  "39",
	"40",  "41",  "42",  "43",  "44",  "45",  "46",	 "47",	"48",  "49",
	"50",  "51",  "52",  "53",  "54",  "55",  "56",	 "57",	"58",  "59",
	"60",  "61",  "62",  "63",  "64",  "65",  "66",	 "67",	"68",  "69",
	"70",  "71",  "72",  "73",  "74",  "75",  "76",	 "77",	"78",  "79",
	"80",  "81",  "82",  "83",  "84",  "85",  "86",	 "87",	"88",  "89",
	"90",  "91",  "92",  "93",  "94",  "95",  "96",	 "97",	"98",  "99",
	"100", "101", "102", "103", "104", "105", "106", "107", "108", "109",
	"110", "111", "112", "113", "114", "115", "116", "117", "118", "119",
	"120", "121", "122", "123", "124", "125", "126", "127", "128", "129",
	"130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
	"140", "141", "142", "143", "144", "145", "146", "147", "148", "149",
	"150", "151", "152", "153", "154", "155", "156", "157", "158", "159",
	"160", "161", "162", "163", "164", "165", "166", "167", "168", "169",
	"170", "171", "172", "173", "174", "175", "176", "177", "178", "179",
	"180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
	"190", "191", "192", "193", "194", "195", "196", "197", "198", "199",
	"200", "201", "202", "203", "204", "205", "206", "207", "208", "209",
	"210", "211", "212", "213", "214", "215", "216", "217", "218", "219",
	"220", "221", "222", "223", "224", "225", "226", "227", "228", "229",
	"230", "231", "232", "233", "234", "235", "236", "237", "238", "239",
	"240", "241", "242", "243", "244", "245", "246", "247", "248", "249",
	"250", "251", "252", "253", "254", "255",
};

static int octet_len(unsigned v)
{
	return v >= 100 ? 3 : v >= 10 ? 2 : 1;
}

int knet_ct_format_addr(uint8_t family, const unsigned char *addr, char *buf,
			size_t len)
{
	char *o = buf;

	if ((family != AF_INET && family != AF_INET6) || len > 0x7fffffff)
		return -EAFNOSUPPORT;
	if (family == AF_INET6) {
		/* inet_ntop's compression rules (RFC 5952) are its own */
		if (!inet_ntop(family, addr, buf, (socklen_t)len))
			return -ENOSPC;
		return (int)strlen(buf);
	}
	if (len < INET_ADDRSTRLEN)
		return -ENOSPC;
	/* Each octet's digits and a dot (four bytes copied, the length
	 * added): an IPv4 address is formatted four times an entry. */
	for (int i = 0; i < 4; i++) {
		memcpy(o, octets[addr[i]], 4);
		o += octet_len(addr[i]);
		*o++ = '.';
	}
	o[-1] = '\0';
	return (int)(o - 1 - buf);
}

/* "ADDR", "ADDR:PORT" or "[ADDR6]:PORT" into @buf from the address @a. */
static int end_text(const struct knet_ct_entry *e, const char *a, int alen,
		    uint16_t port, char *buf, size_t len)
{
	bool ports = ct_proto_has_ports(e->proto);
	bool v6 = e->family == AF_INET6;
	char *o = buf;

	/* Brackets, a colon and five digits at most, and the NUL. */
	if ((size_t)alen + (ports ? 9 : 1) > len)
		return -ENOSPC;
	if (ports && v6)
		*o++ = '[';
	memcpy(o, a, (size_t)alen);
	o += alen;
	if (ports && v6)
		*o++ = ']';
	if (ports) {
		*o++ = ':';
		o = put_dec(o, port);
	}
	*o = '\0';
	return (int)(o - buf);
}

static int format_end(const struct knet_ct_entry *e, const unsigned char *addr,
		      uint16_t port, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	int r = knet_ct_format_addr(e->family, addr, a, sizeof(a));

	return r < 0 ? r : end_text(e, a, r, port, buf, len);
}

void knet_ct_format_ends(const struct knet_ct_entry *e,
			 struct knet_ct_ends *ret)
{
	const unsigned char *addr[4] = {e->orig.src, e->orig.dst, e->reply.src,
					e->reply.dst};
	const uint16_t port[4] = {e->orig.sport, e->orig.dport, e->reply.sport,
				  e->reply.dport};
	bool v4_ports = e->family == AF_INET && ct_proto_has_ports(e->proto);

	for (int i = 0; i < 4; i++) {
		int n = knet_ct_format_addr(e->family, addr[i], ret->addr[i],
					    sizeof(ret->addr[i]));
		char *o;

		ret->alen[i] = n < 0 ? 0 : n;
		if (n < 0) {
			ret->addr[i][0] = ret->end[i][0] = '\0';
			ret->elen[i] = 0;
			continue;
		}
		if (!v4_ports) {
			n = end_text(e, ret->addr[i], n, port[i], ret->end[i],
				     sizeof(ret->end[i]));
			ret->elen[i] = n < 0 ? 0 : n;
			if (n < 0)
				ret->end[i][0] = '\0';
			continue;
		}
		/* The common case: 16 bytes copied, a colon and the port. */
		memcpy(ret->end[i], ret->addr[i], 16);
		o = ret->end[i] + n;
		*o++ = ':';
		o = put_dec(o, port[i]);
		*o = '\0';
		ret->elen[i] = (int)(o - ret->end[i]);
	}
}

int knet_ct_format_src(const struct knet_ct_entry *e,
		       const struct knet_ct_tuple *t, char *buf, size_t len)
{
	return format_end(e, t->src, t->sport, buf, len);
}

int knet_ct_format_dst(const struct knet_ct_entry *e,
		       const struct knet_ct_tuple *t, char *buf, size_t len)
{
	return format_end(e, t->dst, t->dport, buf, len);
}

static size_t addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

unsigned int knet_ct_nat(const struct knet_ct_entry *e)
{
	size_t n = addr_len(e->family);
	bool ports = ct_proto_has_ports(e->proto);
	unsigned int nat = 0;

	if (memcmp(e->orig.dst, e->reply.src, n) ||
	    (ports && e->orig.dport != e->reply.sport))
		nat |= KNET_CT_NAT_DNAT;
	if (memcmp(e->orig.src, e->reply.dst, n) ||
	    (ports && e->orig.sport != e->reply.dport) ||
	    (ct_proto_is_icmp(e->proto) && e->orig.icmp_id != e->reply.icmp_id))
		nat |= KNET_CT_NAT_SNAT;
	return nat;
}

const char *knet_ct_nat_name(unsigned int nat)
{
	switch (nat & (KNET_CT_NAT_DNAT | KNET_CT_NAT_SNAT)) {
	case KNET_CT_NAT_DNAT:
		return "DNAT";
	case KNET_CT_NAT_SNAT:
		return "SNAT";
	case KNET_CT_NAT_DNAT | KNET_CT_NAT_SNAT:
		return "DNAT+SNAT";
	}
	return "";
}

bool knet_ct_unreplied(const struct knet_ct_entry *e)
{
	return !(e->status & IPS_SEEN_REPLY);
}
