/* SPDX-License-Identifier: MIT */
#ifndef KNET_NETLINK_INTERNAL_H
#define KNET_NETLINK_INTERNAL_H

/*
 * Shared by lib/netlink only: the socket object, the one receive loop
 * every request goes through, and the attribute table parser.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "knet/nlmsg.h"
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "knet/netlink.h"

/*
 * A dump batch is at most SKB_WITH_OVERHEAD(32768) bytes: the kernel
 * fills each from the longest receive length seen, capped there
 * (netlink_recvmsg(), netlink_dump()), so 32 KiB always holds one, and
 * the kernel still fills batches of its largest size.  A datagram that
 * did not fit would be an ENOSPC error, never lost in silence.
 */
#define CT_DUMP_BUF (32 * 1024)
/* Replies to single requests (acks, statistics) are small. */
#define CT_REQ_BUF (16 * 1024)

/* The ctnetlink message types, as nlmsg_type says them. */
#define CT_MSG(t) ((NFNL_SUBSYS_CTNETLINK << 8) | (t))

/* The kernel's tuple filter flags (net/netfilter/nf_internals.h). */
#define CT_FILTER_F_IP_SRC    (1u << 0)
#define CT_FILTER_F_IP_DST    (1u << 1)
#define CT_FILTER_F_PROTO_NUM (1u << 3)
#define CT_FILTER_F_SRC_PORT  (1u << 4)
#define CT_FILTER_F_DST_PORT  (1u << 5)

struct knet_ct {
	struct knet_nl *dump; /* dumps only */
	struct knet_nl *req;  /* everything else, also during a dump */
	unsigned int seq;
	unsigned int kernel; /* KNET_CT_KERNEL_* still believed */
	/* the dump under way (begin .. finish) */
	const struct knet_ct_filter *filter;
	struct knet_ct_filter filter_copy;
	unsigned int sent; /* KNET_CT_KERNEL_* in the request */
	unsigned int dump_seq;
	bool dumping;
	unsigned char *dbuf;  /* CT_DUMP_BUF */
	unsigned char *dbuf2; /* the reader thread's second, on first dump */
	unsigned char *rbuf;  /* CT_REQ_BUF */
};

/* A netfilter netlink socket in the current namespace, bound. */
int ct_socket_open(unsigned int groups, struct knet_nl **ret,
		   struct knet_error *err);

/* The reason for an errno the kernel answered ctnetlink with. */
int ct_error(struct knet_error *err, int code, const char *what);

/*
 * Start a ctnetlink request in @buf: netlink header, nfgenmsg with
 * @family, the next sequence number of @ct.
 */
struct nlmsghdr *ct_msg_start(struct knet_ct *ct, void *buf, uint16_t type,
			      uint16_t flags, uint8_t family);

/* Send @nlh on @nl; -errno with a reason. */
int ct_send(struct knet_nl *nl, const struct nlmsghdr *nlh,
	    struct knet_error *err);

/*
 * Read the answers to request @seq from @nl into @buf until the request
 * is complete: NLMSG_DONE for a dump, NLMSG_ERROR (the ack or the error)
 * otherwise, so requests that are no dump must ask for NLM_F_ACK.  @fn
 * sees every other message; once it fails (< 0) or says stop (> 0), the
 * rest is read and dropped, and its error is returned.  A kernel error
 * is returned as its negative errno with @ret_kernel set and @err left
 * to the caller (who knows what was asked); local errors fill @err.
 */
int ct_run(struct knet_nl *nl, unsigned char *buf, size_t buflen,
	   unsigned int seq, int (*fn)(const struct nlmsghdr *nlh, void *data),
	   void *data, bool *ret_kernel, struct knet_error *err);

/*
 * ct_run() in pieces, for the dump's reader thread (reader.c): the
 * datagrams go through knet_nl_run_datagram() (include/knet/nlmsg.h),
 * and this says what a receive error makes of the request.
 */
int ct_run_recv_error(struct knet_nl_run *st, int r);

/*
 * ct_run() for a dump, with the receiving in a second thread: the
 * kernel fills the next batch (inside recvmsg) while @fn works through
 * the last one.  Same contract as ct_run(); @fn runs in the calling
 * thread.  @bufs are two buffers of @buflen.
 */
int ct_run_dump(struct knet_nl *nl, unsigned char *bufs[2], size_t buflen,
		unsigned int seq,
		int (*fn)(const struct nlmsghdr *nlh, void *data), void *data,
		bool *ret_kernel, struct knet_error *err);

/* The filter fields @e fails (KNET_CT_FILTER_*), 0 when it passes. */
unsigned int ct_filter_fails(const struct knet_ct_filter *f,
			     const struct knet_ct_entry *e);

/*
 * Index the attributes in @len bytes at @payload into @tb[0..@max]
 * (unknown types above @max skipped), checking each known one against
 * @policy (KNET_NLA_*, with a size for KNET_NLA_BINARY in @sizes) and
 * that nothing is left over: -EBADMSG otherwise.
 */
int ct_attrs(const void *payload, size_t len, const struct nlattr **tb, int max,
	     const enum knet_nla_kind *policy, const uint8_t *sizes);

/*
 * Append tuple @t as attribute @type (CTA_TUPLE_ORIG...), with only the
 * parts @flags name (CT_FILTER_F_*; CT_TUPLE_ALL for a whole tuple).
 */
#define CT_TUPLE_ALL 0xffffffffu
void ct_put_tuple(struct nlmsghdr *nlh, uint16_t type, uint8_t family,
		  uint8_t proto, const struct knet_ct_tuple *t,
		  unsigned int flags);

/* Protocols whose tuples carry ports (or GRE keys in their place). */
bool ct_proto_has_ports(uint8_t proto);
/* ICMP or ICMPv6. */
bool ct_proto_is_icmp(uint8_t proto);

/* The state names of @proto, indexed by state; NULL for stateless. */
const char *const *ct_states(uint8_t proto, size_t *ret_n);

/* IPS_* bit i is called ct_status_names[i]. */
#define CT_STATUS_BITS 16
extern const char *const ct_status_names[CT_STATUS_BITS];

/* The global count and max (IPCTNL_MSG_CT_GET_STATS). */
int ct_stats_global(struct knet_ct *ct, uint32_t *ret_count, uint32_t *ret_max,
		    struct knet_error *err);

#endif
