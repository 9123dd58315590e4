/* SPDX-License-Identifier: MIT */
#ifndef KNET_DECODE_INTERNAL_H
#define KNET_DECODE_INTERNAL_H

/*
 * What the protocol files of lib/decode share: the line being built and
 * the hand-over from one layer to the next.  Each decoder reads only
 * through the knet_pkt accessors and appends to d->text.
 */

#include "knet/decode.h"

/* Tunnels inside tunnels: deep enough for real nesting, not for a loop. */
#define DEC_MAX_DEPTH 4

void dec_put(struct knet_decoded *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* " [|proto]" once, and remember which layer was cut short. */
void dec_trunc(struct knet_decoded *d, const char *proto);
/* An address (and port >= 0) with its name: "10.0.0.1.80 (pod a/b)". */
void dec_addr(struct knet_decoded *d, int family, const uint8_t *addr,
	      int port);

/* "SRC > DST" with ports (or -1) and names. */
void dec_pair(struct knet_decoded *d, int family, const uint8_t *src,
	      const uint8_t *dst, int sport, int dport);
void dec_ether(struct knet_decoded *d, const struct knet_pkt *p);
/* The payload of an Ethernet type (IPv4, IPv6, ARP, VLAN). */
void dec_ethertype(struct knet_decoded *d, uint16_t type,
		   const struct knet_pkt *p);
void dec_arp(struct knet_decoded *d, const struct knet_pkt *p);
void dec_ipv4(struct knet_decoded *d, const struct knet_pkt *p);
void dec_ipv6(struct knet_decoded *d, const struct knet_pkt *p);
/* The transport of an IP packet; @src/@dst are the raw addresses. */
void dec_ip_payload(struct knet_decoded *d, int family, uint8_t proto,
		    const uint8_t *src, const uint8_t *dst,
		    const struct knet_pkt *p);
void dec_icmp(struct knet_decoded *d, const struct knet_pkt *p);
void dec_icmp6(struct knet_decoded *d, const struct knet_pkt *p);
void dec_tcp(struct knet_decoded *d, const struct knet_pkt *p);
void dec_udp(struct knet_decoded *d, const struct knet_pkt *p);
void dec_dns(struct knet_decoded *d, const struct knet_pkt *p);
/*
 * The name at @*off of DNS message @m into @out (dotted, "." for the
 * root, unsafe bytes as \DDD); @*off moves past it.  -1 when malformed.
 */
int dec_dns_name(const struct knet_pkt *m, size_t *off, char *out, size_t size);
void dec_vxlan(struct knet_decoded *d, const struct knet_pkt *p);
void dec_geneve(struct knet_decoded *d, const struct knet_pkt *p);
/* Application data on TCP: an HTTP/1 first line or a TLS ClientHello. */
bool dec_http(struct knet_decoded *d, const struct knet_pkt *p);
bool dec_tls(struct knet_decoded *d, const struct knet_pkt *p);

#endif
