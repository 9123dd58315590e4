/* SPDX-License-Identifier: MIT */
/*
 * DNS: id, flags, rcode, questions and answers.  Names follow
 * compression pointers, but only backwards and at most a fixed number of
 * times, so a pointer loop ends as "[|dns]" instead of spinning.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>

#include "decode-internal.h"

#define NAME_MAX_JUMPS 16

/*
 * The name at @*off into @out (dotted, "." for the root); @*off moves
 * past it in the message (not past what pointers led to).
 */
int dec_dns_name(const struct knet_pkt *m, size_t *off, char *out, size_t size)
{
	size_t pos = *off, o = 0, end = 0, limit = *off;
	int jumps = 0;

	for (;;) {
		uint8_t len, lo;

		if (knet_pkt_u8(m, pos, &len) < 0)
			return -1;
		if ((len & 0xc0) == 0xc0) {
			if (knet_pkt_u8(m, pos + 1, &lo) < 0)
				return -1;
			if (!jumps)
				end = pos + 2;
			pos = (size_t)(len & 0x3f) << 8 | lo;
			/* Only backwards, and not forever. */
			if (pos >= limit || ++jumps > NAME_MAX_JUMPS)
				return -1;
			limit = pos;
			continue;
		}
		if (len & 0xc0)
			return -1;
		if (len == 0) {
			if (!jumps)
				end = pos + 1;
			break;
		}
		for (size_t i = 1; i <= len; i++) {
			uint8_t c;

			if (knet_pkt_u8(m, pos + i, &c) < 0)
				return -1;
			if (o + 5 >= size)
				return -1;
			/* A name is data from outside: nothing a terminal acts on. */
			if (c <= 0x20 || c >= 0x7f || c == '\\')
				o += (size_t)snprintf(out + o, size - o,
						      "\\%03u", c);
			else
				out[o++] = (char)c;
		}
		if (o + 1 >= size)
			return -1;
		out[o++] = '.';
		pos += (size_t)len + 1;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	*off = end;
	return 0;
}

const char *knet_dns_type_name(uint16_t t, char *buf, size_t size)
{
	switch (t) {
	case 1:
		return "A";
	case 2:
		return "NS";
	case 5:
		return "CNAME";
	case 6:
		return "SOA";
	case 12:
		return "PTR";
	case 15:
		return "MX";
	case 16:
		return "TXT";
	case 28:
		return "AAAA";
	case 33:
		return "SRV";
	case 41:
		return "OPT";
	case 65:
		return "HTTPS";
	}
	snprintf(buf, size, "TYPE%u", t);
	return buf;
}

const char *knet_dns_rcode_name(int rc)
{
	static const char *const names[] = {
		"NoError",  "FormErr", "ServFail",
		"NXDomain", "NotImp",  "Refused",
	};

	return rc >= 0 && rc < 6 ? names[rc] : "rcode";
}

static void keep_name(struct knet_decoded *d, const char *name)
{
	size_t room = sizeof(d->dns_buf) - d->dns_used;
	int n;

	if (d->dns_nnames >= KNET_DECODE_DNS_MAX)
		return;
	n = snprintf(d->dns_buf + d->dns_used, room, "%s", name);
	if (n < 0 || (size_t)n >= room)
		return;
	d->dns_names[d->dns_nnames++] = d->dns_buf + d->dns_used;
	d->dns_used += (size_t)n + 1;
}

/* One answer's data: addresses and names; others by type only. */
static int rdata(struct knet_decoded *d, const struct knet_pkt *m, size_t off,
		 uint16_t type, uint16_t rdlen)
{
	const uint8_t *a;
	char name[256];
	size_t o = off;

	if (type == 1 && rdlen == 4 && knet_pkt_bytes(m, off, 4, &a) == 0) {
		dec_addr(d, AF_INET, a, -1);
	} else if (type == 28 && rdlen == 16 &&
		   knet_pkt_bytes(m, off, 16, &a) == 0) {
		dec_addr(d, AF_INET6, a, -1);
	} else if (type == 5 || type == 12 || type == 2) {
		if (dec_dns_name(m, &o, name, sizeof(name)) < 0)
			return -1;
		dec_put(d, "%s", name);
	}
	return 0;
}

static int records(struct knet_decoded *d, const struct knet_pkt *m,
		   size_t *off, int n, bool question)
{
	char name[256], tb[16];

	for (int i = 0; i < n; i++) {
		uint16_t type, rdlen;

		if (dec_dns_name(m, off, name, sizeof(name)) < 0 ||
		    knet_pkt_be16(m, *off, &type) < 0)
			return -1;
		if (question) {
			*off += 4;
			dec_put(d, " %s? %s",
				knet_dns_type_name(type, tb, sizeof(tb)), name);
			keep_name(d, name);
			continue;
		}
		if (knet_pkt_be16(m, *off + 8, &rdlen) < 0)
			return -1;
		*off += 10;
		if (type != 41) {
			dec_put(d, "%s %s %s ", i ? "," : " answer", name,
				knet_dns_type_name(type, tb, sizeof(tb)));
			keep_name(d, name);
			if (rdata(d, m, *off, type, rdlen) < 0)
				return -1;
		}
		*off += rdlen;
		if (*off > m->len)
			return -1;
	}
	return 0;
}

void dec_dns(struct knet_decoded *d, const struct knet_pkt *m)
{
	uint16_t id, fl, qd, an, ns, ar;
	size_t off = 12;

	d->proto = "dns";
	if (knet_pkt_be16(m, 0, &id) < 0 || knet_pkt_be16(m, 2, &fl) < 0 ||
	    knet_pkt_be16(m, 4, &qd) < 0 || knet_pkt_be16(m, 6, &an) < 0 ||
	    knet_pkt_be16(m, 8, &ns) < 0 || knet_pkt_be16(m, 10, &ar) < 0) {
		dec_put(d, "DNS");
		dec_trunc(d, "dns");
		return;
	}
	d->dns_id = id;
	d->dns_response = fl & 0x8000;
	d->dns_tc = fl & 0x0200;
	if (d->dns_response)
		d->dns_rcode = fl & 0x000f;
	dec_put(d, "DNS %s 0x%04x", d->dns_response ? "response" : "query", id);
	if (d->dns_response)
		dec_put(d, " %s", knet_dns_rcode_name(fl & 0x000f));
	if (d->dns_tc)
		dec_put(d, " TC");
	if (d->dns_response)
		dec_put(d, " %u/%u/%u", an, ns, ar);
	if (records(d, m, &off, qd, true) < 0 ||
	    records(d, m, &off, an, false) < 0)
		dec_trunc(d, "dns");
}
