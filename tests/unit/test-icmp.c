/* SPDX-License-Identifier: MIT */
/*
 * ICMP building and parsing: echo requests, replies with and without
 * the IPv4 header, errors quoting our probes, and truncated packets that
 * must be refused rather than read past.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "knet/probe.h"
#include "unit.h"

static void test_checksum(void)
{
	/* RFC 1071's example: 0001 f203 f4f5 f6f7 sums to 0xddf2. */
	const uint8_t d[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	uint8_t odd[] = {0x01};

	CHECK_INT(knet_icmp_checksum(d, sizeof(d)), (uint16_t)~0xddf2);
	CHECK_INT(knet_icmp_checksum(odd, 1), (uint16_t)~0x0100);
}

static void test_echo_build(void)
{
	uint8_t buf[64];

	CHECK_INT(knet_icmp_echo_build(buf, 4, AF_INET, 1, 2), -EINVAL);
	CHECK_INT(
		knet_icmp_echo_build(buf, sizeof(buf), AF_INET, 0x1234, 0xabcd),
		0);
	CHECK_INT(buf[0], 8);
	CHECK_INT(buf[4] << 8 | buf[5], 0x1234);
	CHECK_INT(buf[6] << 8 | buf[7], 0xabcd);
	CHECK_INT(buf[8], 0);
	CHECK_INT(buf[63], 55);
	/* A correct checksum sums the whole message to zero. */
	CHECK_INT(knet_icmp_checksum(buf, sizeof(buf)), 0);
	CHECK_INT(knet_icmp_echo_build(buf, 8, AF_INET6, 7, 9), 0);
	CHECK_INT(buf[0], 128);
	CHECK_INT(buf[2] | buf[3], 0); /* the kernel fills it for v6 */
}

static void test_accessors(void)
{
	const uint8_t d[] = {1, 2, 3, 4, 5};
	struct knet_pkt p = {d, sizeof(d)}, sub;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;

	CHECK_INT(knet_pkt_u8(&p, 4, &u8), 0);
	CHECK_INT(u8, 5);
	CHECK_INT(knet_pkt_u8(&p, 5, &u8), -EBADMSG);
	CHECK_INT(knet_pkt_be16(&p, 3, &u16), 0);
	CHECK_INT(u16, 0x0405);
	CHECK_INT(knet_pkt_be16(&p, 4, &u16), -EBADMSG);
	CHECK_INT(knet_pkt_be16(&p, (size_t)-1, &u16), -EBADMSG);
	CHECK_INT(knet_pkt_be32(&p, 1, &u32), 0);
	CHECK_INT(u32, 0x02030405);
	CHECK_INT(knet_pkt_be32(&p, 2, &u32), -EBADMSG);
	CHECK_INT(knet_pkt_sub(&p, 5, &sub), 0);
	CHECK_INT(sub.len, 0);
	CHECK_INT(knet_pkt_sub(&p, 6, &sub), -EBADMSG);
}

/* A 20-byte IPv4 header with @proto, TTL 61, to 198.18.200.34. */
static size_t ip4(uint8_t *b, uint8_t proto)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	b[8] = 61;
	b[9] = proto;
	b[16] = 198;
	b[17] = 18;
	b[18] = 200;
	b[19] = 34;
	return 20;
}

static void test_parse_reply(void)
{
	uint8_t pkt[128];
	struct knet_pkt p;
	struct knet_icmp m;
	size_t n = ip4(pkt, IPPROTO_ICMP);

	knet_icmp_echo_build(pkt + n, 16, AF_INET, 0x4242, 7);
	pkt[n] = 0; /* echo reply */
	p.data = pkt;
	p.len = n + 16;
	CHECK_INT(knet_icmp_parse(&p, AF_INET, true, &m), 0);
	CHECK(knet_icmp_is_echo_reply(AF_INET, m.type));
	CHECK(!m.is_error);
	CHECK_INT(m.id, 0x4242);
	CHECK_INT(m.seq, 7);
	CHECK_INT(m.ttl, 61);
	/* Without the IP header (ping sockets, ICMPv6). */
	p.data = pkt + n;
	p.len = 16;
	CHECK_INT(knet_icmp_parse(&p, AF_INET, false, &m), 0);
	CHECK_INT(m.seq, 7);
	/* Every truncation is refused, never read past. */
	for (size_t len = 0; len < n + 8; len++) {
		p.data = pkt;
		p.len = len;
		CHECK_INT(knet_icmp_parse(&p, AF_INET, true, &m), -EBADMSG);
	}
	/* An IHL below 5 is not an IPv4 header. */
	pkt[0] = 0x44;
	p.len = n + 16;
	CHECK_INT(knet_icmp_parse(&p, AF_INET, true, &m), -EBADMSG);
}

static void test_parse_errors(void)
{
	uint8_t pkt[128];
	struct knet_pkt p = {pkt, 0};
	struct knet_icmp m;
	size_t n;

	/* Fragmentation needed, next-hop MTU 1400, quoting our echo. */
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 3;
	pkt[1] = 4;
	pkt[6] = 1400 >> 8;
	pkt[7] = 1400 & 0xff;
	n = 8 + ip4(pkt + 8, IPPROTO_ICMP);
	knet_icmp_echo_build(pkt + n, 8, AF_INET, 0x1111, 42);
	p.len = n + 8;
	CHECK_INT(knet_icmp_parse(&p, AF_INET, false, &m), 0);
	CHECK(m.is_error);
	CHECK_INT(m.mtu, 1400);
	CHECK_INT(m.inner_proto, IPPROTO_ICMP);
	CHECK_INT(m.inner_id, 0x1111);
	CHECK_INT(m.inner_seq, 42);
	CHECK_INT(m.inner_dst[3], 34);
	CHECK_STR(knet_icmp_unreach_note(AF_INET, 3, 4), "!F");
	/* Quoted header cut short. */
	p.len = n + 3;
	CHECK_INT(knet_icmp_parse(&p, AF_INET, false, &m), -EBADMSG);

	/* Time exceeded quoting a UDP probe to port 33435. */
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 11;
	n = 8 + ip4(pkt + 8, IPPROTO_UDP);
	pkt[n + 2] = 33435 >> 8;
	pkt[n + 3] = 33435 & 0xff;
	p.len = n + 8;
	CHECK_INT(knet_icmp_parse(&p, AF_INET, false, &m), 0);
	CHECK(knet_icmp_is_time_exceeded(AF_INET, m.type));
	CHECK_INT(m.inner_dport, 33435);
	CHECK_INT(m.mtu, 0);

	/* ICMPv6 packet too big: 32-bit MTU, quoting an IPv6 header. */
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 2;
	pkt[6] = 1280 >> 8;
	pkt[7] = 1280 & 0xff;
	pkt[8] = 0x60;
	pkt[8 + 6] = IPPROTO_ICMPV6;
	pkt[8 + 40] = 128;
	pkt[8 + 40 + 7] = 5;
	p.len = 8 + 40 + 8;
	CHECK_INT(knet_icmp_parse(&p, AF_INET6, false, &m), 0);
	CHECK_INT(m.mtu, 1280);
	CHECK_INT(m.inner_seq, 5);
	CHECK(knet_icmp_is_port_unreachable(AF_INET6, 1, 4));
	CHECK(!knet_icmp_is_port_unreachable(AF_INET6, 1, 3));
	CHECK_STR(knet_icmp_unreach_note(AF_INET6, 1, 3), "!H");
	CHECK_STR(knet_icmp_unreach_note(AF_INET, 3, 13), "!X");
	CHECK_STR(knet_icmp_unreach_note(AF_INET, 3, 3), "");
}

int main(void)
{
	test_checksum();
	test_echo_build();
	test_accessors();
	test_parse_reply();
	test_parse_errors();
	return unit_done("test-icmp");
}
