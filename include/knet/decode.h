/* SPDX-License-Identifier: MIT */
#ifndef KNET_DECODE_H
#define KNET_DECODE_H

/*
 * Packet decoders (lib/decode), one file per protocol, in the spirit of
 * tcpdump's print-*.c: every byte is read through the bounds-checked
 * knet_pkt accessors below, so a truncated or malformed packet ends its
 * line with a "[|proto]" marker instead of a read past its end.
 *
 * A decode fills a struct knet_decoded: a one-line text summary (what
 * text mode prints) and the fields JSON Lines carry.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- bounds-checked packet reading (tcpdump's GET_U_1 idea) --- */

struct knet_pkt {
	const uint8_t *data;
	size_t len;
};

/* 0 and the value, or -EBADMSG when the packet is too short. */
int knet_pkt_u8(const struct knet_pkt *p, size_t off, uint8_t *ret);
int knet_pkt_be16(const struct knet_pkt *p, size_t off, uint16_t *ret);
int knet_pkt_be32(const struct knet_pkt *p, size_t off, uint32_t *ret);
/* The bytes from @off on, or -EBADMSG when @off is past the end. */
int knet_pkt_sub(const struct knet_pkt *p, size_t off, struct knet_pkt *ret);
/* @n bytes at @off (a pointer into @p), or -EBADMSG. */
int knet_pkt_bytes(const struct knet_pkt *p, size_t off, size_t n,
		   const uint8_t **ret);

/* --- decoding --- */

/* Link types, as pcap's LINKTYPE_* numbers. */
enum {
	KNET_LINK_ETHERNET = 1,
	KNET_LINK_RAW = 101,
	KNET_LINK_LINUX_SLL = 113,
	KNET_LINK_LINUX_SLL2 = 276,
};

/*
 * Names an address for the text line ("pod web/web-1"); NULL when
 * nobody is known.  The string must live until the next call.
 */
typedef const char *(*knet_decode_namer)(void *userdata, const char *ip);

#define KNET_DECODE_TEXT_MAX 1024
#define KNET_DECODE_DNS_MAX  8 /* names kept for JSON */

struct knet_decoded {
	/* The line, without time or interface: "IP a.1 > b.2: TCP ..." */
	char text[KNET_DECODE_TEXT_MAX];
	size_t tlen;
	/* Of the innermost IP packet (the one VXLAN carried, if any): */
	int family; /* AF_INET, AF_INET6, 0 when no IP */
	char src[46], dst[46];
	int sport, dport;   /* -1 when none */
	const char *proto;  /* "tcp", "udp", "icmp", "arp"..., static */
	char tcp_flags[12]; /* "S", "S.", "P.", "F.", "R" */
	int vlan;	    /* -1 when none */
	int tunnel;	    /* 0, or 4789/8472 (VXLAN), 6081 (Geneve) */
	/* DNS: id, rcode, question and answer names (-1 when no DNS). */
	int dns_id, dns_rcode;
	bool dns_response, dns_tc;
	const char *dns_names[KNET_DECODE_DNS_MAX]; /* into dns_buf */
	int dns_nnames;
	char dns_buf[KNET_DECODE_DNS_MAX * 256];
	size_t dns_used;
	char sni[256];	   /* TLS ClientHello server name, "" when none */
	char http[128];	   /* HTTP/1 first line, "" when none */
	const char *trunc; /* the protocol cut short, NULL when whole */
	int depth;	   /* encapsulation depth, bounded */
	knet_decode_namer namer;
	void *namer_data;
};

/*
 * Decode one captured packet: @caplen bytes at @data of a packet of
 * @len bytes on the wire, link type @linktype.  Never fails: what cannot
 * be read is marked in the text.
 */
void knet_decode_packet(int linktype, const uint8_t *data, size_t caplen,
			size_t len, knet_decode_namer namer, void *namer_data,
			struct knet_decoded *ret);

/*
 * A hex dump of @n bytes as tcpdump -x (hex) or -X (hex and ASCII) into
 * @buf (lines start with "\t0x0000:  "); the bytes written, truncated to
 * @size.
 */
size_t knet_decode_hex(const uint8_t *data, size_t n, bool ascii, char *buf,
		       size_t size);

/* --- DNS messages (knet dns): queries out, answers in --- */

enum {
	KNET_DNS_A = 1,
	KNET_DNS_CNAME = 5,
	KNET_DNS_PTR = 12,
	KNET_DNS_AAAA = 28,
	KNET_DNS_SRV = 33,
};

enum {
	KNET_DNS_NOERROR = 0,
	KNET_DNS_FORMERR = 1,
	KNET_DNS_SERVFAIL = 2,
	KNET_DNS_NXDOMAIN = 3,
	KNET_DNS_NOTIMP = 4,
	KNET_DNS_REFUSED = 5,
};

/* "A", "CNAME", "TYPE99" (in @buf when not known). */
const char *knet_dns_type_name(uint16_t type, char *buf, size_t size);
/* "NoError", "NXDomain", ...; "rcode" for codes past Refused. */
const char *knet_dns_rcode_name(int rcode);
/* "A", "aaaa", "SRV", "PTR", "CNAME" (any case); -EINVAL otherwise. */
int knet_dns_type_parse(const char *s, uint16_t *ret_type);

/*
 * A standard query (RD set, class IN) for @name ("a.b", "a.b." alike)
 * of @type into @buf; its length in @ret_len.  -EINVAL for a name that
 * is not a DNS name (empty label, label over 63 bytes, over 253 bytes),
 * -ENOSPC when @buf is too small.
 */
int knet_dns_query_build(uint8_t *buf, size_t size, uint16_t id,
			 const char *name, uint16_t type, size_t *ret_len);

#define KNET_DNS_RR_MAX 16

/* One answer record, its data as text ("198.18.128.10", "10 5 53 x."). */
struct knet_dns_rr {
	char name[256];
	uint16_t type;
	uint32_t ttl;
	char data[300];
};

struct knet_dns_msg {
	uint16_t id;
	bool response, tc, aa, ra;
	int rcode;
	int qdcount, ancount, nscount, arcount;
	char qname[256]; /* the first question, "" when none */
	uint16_t qtype;
	struct knet_dns_rr an[KNET_DNS_RR_MAX]; /* the first answers */
	int nan;
};

/*
 * Parse a whole DNS message (bounds-checked, compression pointers as
 * the packet decoder follows them).  -EBADMSG when it is malformed or
 * cut short; answers past KNET_DNS_RR_MAX are counted, not kept.
 */
int knet_dns_parse(const uint8_t *msg, size_t len, struct knet_dns_msg *ret);

/* --- headers only, for the flow table (no text, no names) --- */

/* TCP flag bits as on the wire. */
enum {
	KNET_TCP_FIN = 0x01,
	KNET_TCP_SYN = 0x02,
	KNET_TCP_RST = 0x04,
	KNET_TCP_PSH = 0x08,
	KNET_TCP_ACK = 0x10,
};

/* The 5-tuple of one direction; addresses in network order. */
struct knet_tuple {
	uint8_t family;	       /* AF_INET, AF_INET6 */
	uint8_t proto;	       /* IPPROTO_* */
	uint16_t sport, dport; /* host order; ICMP echo: the id in both */
	uint8_t src[16], dst[16];
};

struct knet_headers {
	struct knet_tuple t;
	uint32_t wire_len; /* the packet on the wire */
	uint32_t
		payload_len; /* TCP/UDP payload bytes (as the IP length says) */
	uint8_t tcp_flags;   /* KNET_TCP_* */
	uint32_t seq, ack;
	/* ICMP / ICMPv6 */
	uint8_t icmp_type, icmp_code;
	bool icmp_error;       /* unreachable, time exceeded, too big */
	bool icmp_frag_needed; /* v4 frag-needed, v6 packet too big */
	uint32_t icmp_mtu;
	struct knet_tuple quoted; /* what the error quotes (icmp_error) */
	/* DNS on port 53 (UDP): id and whether it is a response. */
	bool dns;
	bool dns_response;
	uint16_t dns_id;
};

/*
 * The headers the flow table needs, from one captured packet: 0, or
 * -ENOENT for a packet that is not IP (ARP...), -EBADMSG when cut short
 * before the ports, -EAGAIN for a fragment after the first (no ports).  Reads only through the knet_pkt accessors; VLAN
 * tags and IPv6 extension headers are skipped (bounded); tunnels are
 * not opened (the outer flow is the one on this interface).
 */
int knet_decode_headers(int linktype, const uint8_t *data, size_t caplen,
			size_t len, struct knet_headers *ret);

#endif
