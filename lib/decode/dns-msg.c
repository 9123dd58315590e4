/* SPDX-License-Identifier: MIT */
/*
 * DNS messages for knet dns: the query it sends (what a stub resolver
 * sends: one question, recursion desired) and the answer it reads, with
 * every record's type, TTL and data.  Names are read by the packet
 * decoder's dec_dns_name(), so both follow pointers by the same rule.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "decode-internal.h"

int knet_dns_type_parse(const char *s, uint16_t *ret_type)
{
	static const struct {
		const char *name;
		uint16_t type;
	} types[] = {
		{"A", KNET_DNS_A},	   {"AAAA", KNET_DNS_AAAA},
		{"SRV", KNET_DNS_SRV},	   {"PTR", KNET_DNS_PTR},
		{"CNAME", KNET_DNS_CNAME},
	};

	for (size_t i = 0; s && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcasecmp(s, types[i].name)) {
			*ret_type = types[i].type;
			return 0;
		}
	return -EINVAL;
}

int knet_dns_query_build(uint8_t *buf, size_t size, uint16_t id,
			 const char *name, uint16_t type, size_t *ret_len)
{
	size_t n = strlen(name), o = 12;
	const char *p = name;

	if (n && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return -EINVAL;
	/* header, labels (one length byte each, the root), type, class */
	if (size < 12 + n + 2 + 4)
		return -ENOSPC;
	memset(buf, 0, 12);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[2] = 0x01; /* RD */
	buf[5] = 1;    /* QDCOUNT */
	while (p < name + n) {
		const char *dot = memchr(p, '.', (size_t)(name + n - p));
		size_t l = dot ? (size_t)(dot - p) : (size_t)(name + n - p);

		if (l == 0 || l > 63)
			return -EINVAL;
		buf[o++] = (uint8_t)l;
		memcpy(buf + o, p, l);
		o += l;
		p += l + (dot ? 1 : 0);
		if (dot && p == name + n)
			return -EINVAL; /* "a..": an empty label at the end */
	}
	buf[o++] = 0;
	buf[o++] = (uint8_t)(type >> 8);
	buf[o++] = (uint8_t)type;
	buf[o++] = 0;
	buf[o++] = 1; /* IN */
	*ret_len = o;
	return 0;
}

/* The data of one record as text; types knet does not show stay "". */
static int rr_data(const struct knet_pkt *m, size_t off, uint16_t rdlen,
		   struct knet_dns_rr *rr)
{
	const uint8_t *a;
	char name[256];
	size_t o = off;
	uint16_t prio, weight, port;

	rr->data[0] = '\0';
	switch (rr->type) {
	case KNET_DNS_A:
		if (rdlen != 4 || knet_pkt_bytes(m, off, 4, &a) < 0)
			return -1;
		inet_ntop(AF_INET, a, rr->data, sizeof(rr->data));
		return 0;
	case KNET_DNS_AAAA:
		if (rdlen != 16 || knet_pkt_bytes(m, off, 16, &a) < 0)
			return -1;
		inet_ntop(AF_INET6, a, rr->data, sizeof(rr->data));
		return 0;
	case KNET_DNS_CNAME:
	case KNET_DNS_PTR:
	case 2: /* NS */
		if (dec_dns_name(m, &o, name, sizeof(name)) < 0 ||
		    o > off + rdlen)
			return -1;
		snprintf(rr->data, sizeof(rr->data), "%s", name);
		return 0;
	case KNET_DNS_SRV:
		o = off + 6;
		if (rdlen < 7 || knet_pkt_be16(m, off, &prio) < 0 ||
		    knet_pkt_be16(m, off + 2, &weight) < 0 ||
		    knet_pkt_be16(m, off + 4, &port) < 0 ||
		    dec_dns_name(m, &o, name, sizeof(name)) < 0 ||
		    o > off + rdlen)
			return -1;
		snprintf(rr->data, sizeof(rr->data), "%u %u %u %s", prio,
			 weight, port, name);
		return 0;
	}
	return 0;
}

int knet_dns_parse(const uint8_t *msg, size_t len, struct knet_dns_msg *ret)
{
	const struct knet_pkt m = {msg, len};
	uint16_t id, fl, qd, an, ns, ar;
	size_t off = 12;

	memset(ret, 0, sizeof(*ret));
	if (knet_pkt_be16(&m, 0, &id) < 0 || knet_pkt_be16(&m, 2, &fl) < 0 ||
	    knet_pkt_be16(&m, 4, &qd) < 0 || knet_pkt_be16(&m, 6, &an) < 0 ||
	    knet_pkt_be16(&m, 8, &ns) < 0 || knet_pkt_be16(&m, 10, &ar) < 0)
		return -EBADMSG;
	ret->id = id;
	ret->response = fl & 0x8000;
	ret->aa = fl & 0x0400;
	ret->tc = fl & 0x0200;
	ret->ra = fl & 0x0080;
	ret->rcode = fl & 0x000f;
	ret->qdcount = qd;
	ret->ancount = an;
	ret->nscount = ns;
	ret->arcount = ar;
	for (int i = 0; i < qd; i++) {
		char name[256];
		uint16_t type;

		if (dec_dns_name(&m, &off, name, sizeof(name)) < 0 ||
		    knet_pkt_be16(&m, off, &type) < 0 || off + 4 > len)
			return -EBADMSG;
		if (i == 0) {
			snprintf(ret->qname, sizeof(ret->qname), "%s", name);
			ret->qtype = type;
		}
		off += 4;
	}
	for (int i = 0; i < an; i++) {
		struct knet_dns_rr rr;
		uint16_t rdlen;
		uint32_t ttl;

		if (dec_dns_name(&m, &off, rr.name, sizeof(rr.name)) < 0 ||
		    knet_pkt_be16(&m, off, &rr.type) < 0 ||
		    knet_pkt_be32(&m, off + 4, &ttl) < 0 ||
		    knet_pkt_be16(&m, off + 8, &rdlen) < 0)
			return -EBADMSG;
		off += 10;
		if (off + rdlen > len)
			return -EBADMSG;
		rr.ttl = ttl;
		if (rr_data(&m, off, rdlen, &rr) < 0)
			return -EBADMSG;
		off += rdlen;
		if (ret->nan < KNET_DNS_RR_MAX)
			ret->an[ret->nan++] = rr;
	}
	return 0;
}
