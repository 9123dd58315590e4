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

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

static void ct_fill_tuple(struct nlmsghdr *nlh, int type, uint32_t src,
			  uint32_t dst, uint16_t sport, uint16_t dport)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type), *n;

	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, htonl(src));
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, htonl(dst));
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_TCP);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, t);
}

/*
 * Insert @n ESTABLISHED entries src (@src + i / 50000):(1024 + i % 50000)
 * -> @dst:@dport with @mark, from the netfilter socket @nl (opened in the
 * namespace to fill).  Returns how many the kernel took, or -errno.
 */
static long ct_fill_tcp(struct mnl_socket *nl, uint32_t src, uint32_t dst,
			uint16_t dport, uint32_t mark, long n)
{
	static unsigned char buf[64 * 1024], rbuf[64 * 1024];
	unsigned int seq = (unsigned int)time(NULL) << 8;
	long done = 0, ok = 0;

	while (done < n) {
		struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, 60000);
		long inbatch = 0;

		for (; done < n && inbatch < 200; done++, inbatch++) {
			struct nlmsghdr *nlh = mnl_nlmsg_put_header(
				mnl_nlmsg_batch_current(b));
			struct nfgenmsg *g;
			struct nlattr *pi, *tcp;
			uint32_t s = src + (uint32_t)(done / 50000);
			uint16_t sp = (uint16_t)(1024 + done % 50000);

			nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) |
					  IPCTNL_MSG_CT_NEW;
			nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE |
					   NLM_F_EXCL | NLM_F_ACK;
			nlh->nlmsg_seq = ++seq;
			g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
			g->nfgen_family = AF_INET;
			g->version = NFNETLINK_V0;
			g->res_id = 0;
			ct_fill_tuple(nlh, CTA_TUPLE_ORIG, s, dst, sp, dport);
			ct_fill_tuple(nlh, CTA_TUPLE_REPLY, dst, s, dport, sp);
			mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(600));
			mnl_attr_put_u32(nlh, CTA_STATUS,
					 htonl(IPS_SEEN_REPLY | IPS_ASSURED |
					       IPS_CONFIRMED));
			if (mark)
				mnl_attr_put_u32(nlh, CTA_MARK, htonl(mark));
			pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
			tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
			mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE,
					TCP_CONNTRACK_ESTABLISHED);
			mnl_attr_nest_end(nlh, tcp);
			mnl_attr_nest_end(nlh, pi);
			if (!mnl_nlmsg_batch_next(b))
				break;
		}
		if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b),
				      mnl_nlmsg_batch_size(b)) < 0)
			return -errno;
		mnl_nlmsg_batch_stop(b);
		/* One ack (or error) per message. */
		for (long acks = 0; acks < inbatch;) {
			ssize_t len =
				mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));
			int left = (int)len;
			const struct nlmsghdr *h = (const void *)rbuf;

			if (len < 0)
				return -errno;
			for (; mnl_nlmsg_ok(h, left);
			     h = mnl_nlmsg_next(h, &left)) {
				const struct nlmsgerr *e =
					mnl_nlmsg_get_payload(h);

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
