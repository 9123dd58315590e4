/* SPDX-License-Identifier: MIT */
/*
 * A BPF filter string, as -f/--filter and the flows screen pass it to
 * libpcap's compiler (lib/capture), for each link type; compile only,
 * and match the compiled program against one packet.
 *
 * pcap-filter(7) looks host and network names up.  A fuzzer must not
 * send DNS queries, so name lookups fail here, at once: these
 * definitions are exported (-rdynamic) and libpcap, loaded by lib/lazy,
 * binds to them before libc's.
 */
#include <netdb.h>

#include "knet/base.h"
#include "knet/capture.h"
#include "knet/decode.h"

#include "fuzz.h"

int getaddrinfo(const char *node, const char *service,
		const struct addrinfo *hints, struct addrinfo **res);
int getaddrinfo(const char *node, const char *service,
		const struct addrinfo *hints, struct addrinfo **res)
{
	(void)node, (void)service, (void)hints;
	*res = NULL;
	return EAI_NONAME;
}

struct hostent *gethostbyname(const char *name);
struct hostent *gethostbyname(const char *name)
{
	(void)name;
	h_errno = HOST_NOT_FOUND;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int links[] = {KNET_LINK_ETHERNET, KNET_LINK_RAW,
				    KNET_LINK_LINUX_SLL, KNET_LINK_LINUX_SLL2};
	static const uint8_t pkt[] = {
		2,  2,	  2,	2,    2,    2,	  4,  4, 4,    4,  4,
		4,  8,	  0,	0x45, 0,    0,	  40, 0, 1,    0,  0,
		64, 6,	  0,	0,    198,  18,	  1,  4, 198,  18, 1,
		2,  0x9c, 0x40, 0,    80,   0,	  0,  3, 0xe8, 0,  0,
		0,  0,	  0x50, 0x02, 0xfa, 0xf0, 0,  0, 0,    0,
	};
	struct knet_bpf *b = NULL;
	struct knet_error err = {0};
	char *expr;

	if (size < 1)
		return 0;
	expr = fuzz_str(data + 1, size - 1);
	if (!expr)
		return 0;
	if (knet_bpf_new(expr, links[data[0] & 3], 262144, &b, &err) == 0) {
		knet_bpf_match(b, pkt, sizeof(pkt), sizeof(pkt));
		knet_bpf_linktype(b);
		knet_bpf_free(b);
	}
	free(expr);
	return 0;
}
