/* SPDX-License-Identifier: MIT */
/* A DNS message as knet dns reads an answer (knet_dns_parse). */
#include "knet/decode.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct knet_dns_msg m;
	uint8_t *msg = malloc(size ? size : 1);
	char buf[16];

	if (!msg)
		return 0;
	memcpy(msg, data, size);
	if (knet_dns_parse(msg, size, &m) == 0) {
		if (strnlen(m.qname, sizeof(m.qname)) == sizeof(m.qname) ||
		    m.nan > KNET_DNS_RR_MAX)
			abort();
		knet_dns_type_name(m.qtype, buf, sizeof(buf));
		knet_dns_rcode_name(m.rcode);
		for (int i = 0; i < m.nan; i++)
			knet_dns_type_name(m.an[i].type, buf, sizeof(buf));
	}
	free(msg);
	return 0;
}
