/* SPDX-License-Identifier: MIT */
#ifndef KNET_CT_FILL_H
#define KNET_CT_FILL_H

/*
 * Filling a (private, test) namespace's conntrack table fast: TCP
 * entries sent as IPCTNL_MSG_CT_NEW in batches, for the unit tests and
 * bench/ctnetlink-dump.  conntrack -I costs a process per entry.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "knet/nlmsg.h"
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

static void ct_fill_tuple(struct nlmsghdr *nlh, int type, uint32_t src,
			  uint32_t dst, uint16_t sport, uint16_t dport)
{
	struct nlattr *t = knet_nla_nest_start(nlh, type), *n;

	n = knet_nla_nest_start(nlh, CTA_TUPLE_IP);
	knet_nla_put_u32(nlh, CTA_IP_V4_SRC, htonl(src));
	knet_nla_put_u32(nlh, CTA_IP_V4_DST, htonl(dst));
	knet_nla_nest_end(nlh, n);
	n = knet_nla_nest_start(nlh, CTA_TUPLE_PROTO);
	knet_nla_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_TCP);
	knet_nla_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	knet_nla_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	knet_nla_nest_end(nlh, n);
	knet_nla_nest_end(nlh, t);
}

/*
 * Insert @n ESTABLISHED entries src (@src + i / 50000):(1024 + i % 50000)
 * -> @dst:@dport with @mark, from the netfilter socket @nl (opened in the
 * namespace to fill).  Returns how many the kernel took, or -errno.
 */
static long ct_fill_tcp(struct knet_nl *nl, uint32_t src, uint32_t dst,
			uint16_t dport, uint32_t mark, long n)
{
	static unsigned char buf[64 * 1024], rbuf[64 * 1024];
	unsigned int seq = (unsigned int)time(NULL) << 8;
	long done = 0, ok = 0;

	while (done < n) {
		size_t used = 0; /* 200 messages of some 200 bytes */
		long inbatch = 0;

		for (; done < n && inbatch < 200; done++, inbatch++) {
			struct nlmsghdr *nlh =
				knet_nlmsg_put_header(buf + used);
			struct nfgenmsg *g;
			struct nlattr *pi, *tcp;
			uint32_t s = src + (uint32_t)(done / 50000);
			uint16_t sp = (uint16_t)(1024 + done % 50000);

			nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) |
					  IPCTNL_MSG_CT_NEW;
			nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE |
					   NLM_F_EXCL | NLM_F_ACK;
			nlh->nlmsg_seq = ++seq;
			g = knet_nlmsg_put_extra(nlh, sizeof(*g));
			g->nfgen_family = AF_INET;
			g->version = NFNETLINK_V0;
			g->res_id = 0;
			ct_fill_tuple(nlh, CTA_TUPLE_ORIG, s, dst, sp, dport);
			ct_fill_tuple(nlh, CTA_TUPLE_REPLY, dst, s, dport, sp);
			knet_nla_put_u32(nlh, CTA_TIMEOUT, htonl(600));
			knet_nla_put_u32(nlh, CTA_STATUS,
					 htonl(IPS_SEEN_REPLY | IPS_ASSURED |
					       IPS_CONFIRMED));
			if (mark)
				knet_nla_put_u32(nlh, CTA_MARK, htonl(mark));
			pi = knet_nla_nest_start(nlh, CTA_PROTOINFO);
			tcp = knet_nla_nest_start(nlh, CTA_PROTOINFO_TCP);
			knet_nla_put_u8(nlh, CTA_PROTOINFO_TCP_STATE,
					TCP_CONNTRACK_ESTABLISHED);
			knet_nla_nest_end(nlh, tcp);
			knet_nla_nest_end(nlh, pi);
			used += NLMSG_ALIGN(nlh->nlmsg_len);
		}
		if (knet_nl_send(nl, buf, used) < 0)
			return -errno;
		/* One ack (or error) per message. */
		for (long acks = 0; acks < inbatch;) {
			ssize_t len = knet_nl_recv(nl, rbuf, sizeof(rbuf));
			int left = (int)len;
			const struct nlmsghdr *h = (const void *)rbuf;

			if (len < 0)
				return -errno;
			for (; knet_nlmsg_ok(h, left);
			     h = knet_nlmsg_next(h, &left)) {
				const struct nlmsgerr *e =
					knet_nlmsg_payload(h);

				if (h->nlmsg_type != NLMSG_ERROR)
					continue;
				acks++;
				if (e->error == 0)
					ok++;
			}
		}
	}
	return ok;
}

#endif
