/* SPDX-License-Identifier: MIT */
/*
 * A BPF expression compiled for one link type and run in user space on
 * packets already captured: the flows screen's `/` filter in tcpdump's
 * grammar, applied to the packets each flow kept.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "knet/capture.h"

struct knet_bpf {
	struct bpf_program prog;
	int linktype;
};

int knet_bpf_new(const char *expr, int linktype, int snaplen,
		 struct knet_bpf **ret, struct knet_error *err)
{
	pcap_t *p = pcap_open_dead(linktype, snaplen > 0 ? snaplen : 65535);
	struct knet_bpf *b = calloc(1, sizeof(*b));
	int r = 0;

	if (!p || !b) {
		r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				   "out of memory");
	} else if (pcap_compile(p, &b->prog, expr, 1, PCAP_NETMASK_UNKNOWN) <
		   0) {
		r = knet_error_set(err, -EINVAL, KNET_EXIT_USAGE, "%s",
				   pcap_geterr(p));
	}
	if (p)
		pcap_close(p);
	if (r < 0) {
		free(b);
		return r;
	}
	b->linktype = linktype;
	*ret = b;
	return 0;
}

bool knet_bpf_match(const struct knet_bpf *b, const uint8_t *data,
		    uint32_t caplen, uint32_t len)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof(h));
	h.caplen = caplen;
	h.len = len;
	return pcap_offline_filter(&b->prog, &h, data) != 0;
}

int knet_bpf_linktype(const struct knet_bpf *b)
{
	return b->linktype;
}

void knet_bpf_free(struct knet_bpf *b)
{
	if (!b)
		return;
	pcap_freecode(&b->prog);
	free(b);
}
