/* SPDX-License-Identifier: MIT */
/* The libpcap in use at run time, for `knet version`. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "knet/capture.h"

void knet_capture_lib_version(char *buf, size_t len)
{
	static const char prefix[] = "libpcap version ";
	const char *p = pcap_lib_version();

	/* "libpcap version 1.10.3 (with TPACKET_V3)" -> "1.10.3" */
	if (!strncmp(p, prefix, sizeof(prefix) - 1))
		p += sizeof(prefix) - 1;
	snprintf(buf, len, "%.*s", (int)strcspn(p, " "), p);
}
