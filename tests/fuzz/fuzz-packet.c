/* SPDX-License-Identifier: MIT */
/*
 * Every packet decoder, from one pcap record: byte 0 picks the link type
 * (Ethernet, raw IP, Linux SLL, SLL2), byte 1 how much longer the packet
 * was on the wire than captured; the rest is the captured bytes.  The
 * text line (as text mode prints it, escaped), the fields JSON Lines
 * carry (printed through lib/output), the hex dump and the flow table's
 * header reader all run on it.
 */
#include <stdio.h>

#include <cjson/cJSON.h>

#include "knet/decode.h"
#include "knet/output.h"

#include "fuzz.h"

static const char *namer(void *userdata, const char *ip)
{
	(void)userdata;
	/* Names some addresses, so the text path with names runs too. */
	return ip[0] && ip[strlen(ip) - 1] == '1' ? "pod web/web-1" : NULL;
}

static void json_path(const struct knet_decoded *d, FILE *out)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *names;

	if (!o)
		return;
	cJSON_AddStringToObject(o, "summary", d->text);
	if (d->family) {
		cJSON_AddStringToObject(o, "src", d->src);
		cJSON_AddStringToObject(o, "dst", d->dst);
	}
	cJSON_AddNumberToObject(o, "sport", d->sport);
	cJSON_AddNumberToObject(o, "dport", d->dport);
	if (d->proto)
		cJSON_AddStringToObject(o, "proto", d->proto);
	cJSON_AddStringToObject(o, "tcp_flags", d->tcp_flags);
	cJSON_AddNumberToObject(o, "vlan", d->vlan);
	cJSON_AddNumberToObject(o, "tunnel", d->tunnel);
	cJSON_AddNumberToObject(o, "dns_id", d->dns_id);
	names = cJSON_AddArrayToObject(o, "dns_names");
	for (int i = 0; names && i < d->dns_nnames; i++)
		cJSON_AddItemToArray(names,
				     cJSON_CreateString(d->dns_names[i]));
	cJSON_AddStringToObject(o, "sni", d->sni);
	cJSON_AddStringToObject(o, "http", d->http);
	if (d->trunc)
		cJSON_AddStringToObject(o, "truncated", d->trunc);
	knet_json_print(out, o);
	cJSON_Delete(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int links[] = {KNET_LINK_ETHERNET, KNET_LINK_RAW,
				    KNET_LINK_LINUX_SLL, KNET_LINK_LINUX_SLL2};
	static FILE *null;
	static struct knet_decoded d;
	struct knet_headers h;
	char hex[4096];
	uint8_t *pkt;
	size_t caplen, len;
	int link;
	char *esc;

	if (size < 2)
		return 0;
	if (!null)
		null = fopen("/dev/null", "w");
	link = links[data[0] & 3];
	caplen = size - 2;
	len = caplen + data[1];
	/* A copy of exactly caplen bytes, so ASan sees a read past it. */
	pkt = malloc(caplen ? caplen : 1);
	if (!pkt)
		return 0;
	memcpy(pkt, data + 2, caplen);

	knet_decode_packet(link, pkt, caplen, len, data[0] & 4 ? namer : NULL,
			   NULL, &d);
	if (d.tlen >= sizeof(d.text) || strlen(d.text) != d.tlen)
		abort();
	esc = knet_text_escape(d.text, false);
	free(esc);
	if (null)
		json_path(&d, null);
	knet_decode_hex(pkt, caplen, data[0] & 8, hex, sizeof(hex));
	knet_decode_headers(link, pkt, caplen, len, &h);
	free(pkt);
	return 0;
}
