/* SPDX-License-Identifier: MIT */
#ifndef KNET_NLMSG_H
#define KNET_NLMSG_H

/*
 * Netlink messages and attributes, built and read in a caller's buffer,
 * and a bound netlink socket: the little of the kernel's netlink ABI
 * (linux/netlink.h) that ctnetlink, its events and the rtnetlink
 * address dumps need.  Written here rather than linked (libmnl): one
 * shared library fewer to map, relocate and bind at every start of
 * every command, and the attribute accessors inlined into the parsers.
 *
 * Building: the caller's buffer must hold what is put (the requests are
 * a few hundred bytes in buffers of kilobytes).  Reading: *_ok() before
 * anything of a message or an attribute is touched, and the values are
 * copied out (an attribute is only 4-byte aligned, a u64 in it too).
 */

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

/* --- messages --- */

/* An empty message at @buf: a zeroed header, nlmsg_len the header's. */
static inline struct nlmsghdr *knet_nlmsg_put_header(void *buf)
{
	struct nlmsghdr *nlh = buf;

	memset(nlh, 0, NLMSG_HDRLEN);
	nlh->nlmsg_len = NLMSG_HDRLEN;
	return nlh;
}

static inline void *knet_nlmsg_tail(const struct nlmsghdr *nlh)
{
	return (char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len);
}

/* @size zeroed bytes after what @nlh has (the family header). */
static inline void *knet_nlmsg_put_extra(struct nlmsghdr *nlh, size_t size)
{
	void *p = knet_nlmsg_tail(nlh);

	memset(p, 0, NLMSG_ALIGN(size));
	nlh->nlmsg_len += NLMSG_ALIGN(size);
	return p;
}

static inline void *knet_nlmsg_payload(const struct nlmsghdr *nlh)
{
	return (char *)nlh + NLMSG_HDRLEN;
}

static inline size_t knet_nlmsg_payload_len(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_len - NLMSG_HDRLEN;
}

/* Does a whole message (header and the length it says) fit in @len? */
static inline bool knet_nlmsg_ok(const struct nlmsghdr *nlh, long len)
{
	return len >= (long)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       (long)nlh->nlmsg_len <= len;
}

/* The message after @nlh, @len what is left from it on. */
static inline const struct nlmsghdr *knet_nlmsg_next(const struct nlmsghdr *nlh,
						     int *len)
{
	*len -= (int)NLMSG_ALIGN(nlh->nlmsg_len);
	return (const struct nlmsghdr *)((const char *)nlh +
					 NLMSG_ALIGN(nlh->nlmsg_len));
}

/* An answer to request @seq of socket @portid (0: the kernel's own). */
static inline bool knet_nlmsg_answers(const struct nlmsghdr *nlh, uint32_t seq,
				      uint32_t portid)
{
	return (!nlh->nlmsg_seq || !seq || nlh->nlmsg_seq == seq) &&
	       (!nlh->nlmsg_pid || !portid || nlh->nlmsg_pid == portid);
}

/* --- attributes --- */

static inline uint16_t knet_nla_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline const void *knet_nla_payload(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static inline size_t knet_nla_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

/* Does a whole attribute fit in the @len bytes from @a? */
static inline bool knet_nla_ok(const struct nlattr *a, long len)
{
	return len >= (long)sizeof(*a) && a->nla_len >= sizeof(*a) &&
	       (long)a->nla_len <= len;
}

static inline const struct nlattr *knet_nla_next(const struct nlattr *a)
{
	return (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len));
}

/* Each whole attribute in @len bytes at @payload, into @a (const). */
#define knet_nla_for_each(a, payload, len)                                     \
	for ((a) = (const struct nlattr *)(payload);                           \
	     knet_nla_ok((a), (long)((const char *)(payload) + (len) -         \
				     (const char *)(a)));                      \
	     (a) = knet_nla_next(a))

/* What an attribute holds, for knet_nla_check(). */
enum knet_nla_kind {
	KNET_NLA_ANY = 0, /* not checked */
	KNET_NLA_U8,
	KNET_NLA_U16,
	KNET_NLA_U32,
	KNET_NLA_U64,
	KNET_NLA_NESTED, /* empty, or at least one attribute header */
	KNET_NLA_BINARY, /* exactly @size bytes */
};

/* Does @a's payload have the size @kind says (@size: BINARY's)? */
static inline bool knet_nla_check(const struct nlattr *a,
				  enum knet_nla_kind kind, size_t size)
{
	size_t n = knet_nla_len(a);

	switch (kind) {
	case KNET_NLA_U8:
		return n == 1;
	case KNET_NLA_U16:
		return n == 2;
	case KNET_NLA_U32:
		return n == 4;
	case KNET_NLA_U64:
		return n == 8;
	case KNET_NLA_NESTED:
		return n == 0 || n >= NLA_HDRLEN;
	case KNET_NLA_BINARY:
		return n == size;
	default:
		return true;
	}
}

/* The values, as the kernel put them (network order where it is). */
static inline uint8_t knet_nla_u8(const struct nlattr *a)
{
	return *(const uint8_t *)knet_nla_payload(a);
}

static inline uint16_t knet_nla_u16(const struct nlattr *a)
{
	uint16_t v;

	memcpy(&v, knet_nla_payload(a), sizeof(v));
	return v;
}

static inline uint32_t knet_nla_u32(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, knet_nla_payload(a), sizeof(v));
	return v;
}

static inline uint64_t knet_nla_u64(const struct nlattr *a)
{
	uint64_t v;

	memcpy(&v, knet_nla_payload(a), sizeof(v));
	return v;
}

/* Append attribute @type with @len bytes of @data, padded. */
static inline void knet_nla_put(struct nlmsghdr *nlh, uint16_t type, size_t len,
				const void *data)
{
	struct nlattr *a = knet_nlmsg_tail(nlh);
	size_t pad = NLA_ALIGN(len) - len;

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + NLA_HDRLEN + len, 0, pad);
	nlh->nlmsg_len += (uint32_t)NLA_ALIGN(a->nla_len);
}

static inline void knet_nla_put_u8(struct nlmsghdr *nlh, uint16_t type,
				   uint8_t v)
{
	knet_nla_put(nlh, type, sizeof(v), &v);
}

static inline void knet_nla_put_u16(struct nlmsghdr *nlh, uint16_t type,
				    uint16_t v)
{
	knet_nla_put(nlh, type, sizeof(v), &v);
}

static inline void knet_nla_put_u32(struct nlmsghdr *nlh, uint16_t type,
				    uint32_t v)
{
	knet_nla_put(nlh, type, sizeof(v), &v);
}

static inline void knet_nla_put_u64(struct nlmsghdr *nlh, uint16_t type,
				    uint64_t v)
{
	knet_nla_put(nlh, type, sizeof(v), &v);
}

/* Open nested attribute @type; knet_nla_nest_end() sets its length. */
static inline struct nlattr *knet_nla_nest_start(struct nlmsghdr *nlh,
						 uint16_t type)
{
	struct nlattr *a = knet_nlmsg_tail(nlh);

	a->nla_type = NLA_F_NESTED | type;
	a->nla_len = NLA_HDRLEN;
	nlh->nlmsg_len += NLA_HDRLEN;
	return a;
}

static inline void knet_nla_nest_end(struct nlmsghdr *nlh, struct nlattr *a)
{
	a->nla_len = (uint16_t)((char *)knet_nlmsg_tail(nlh) - (char *)a);
}

/* --- a socket --- */

/* A netlink socket of @bus (NETLINK_NETFILTER...), bound. */
struct knet_nl {
	int fd;
	uint32_t portid; /* the kernel gave it (autobind) */
};

/*
 * Open a @bus socket (close-on-exec) and bind it to multicast @groups
 * with a port the kernel chooses.  NULL with errno set.
 */
struct knet_nl *knet_nl_open(int bus, unsigned int groups);
void knet_nl_close(struct knet_nl *nl);
/* Send @len bytes to the kernel: sendto()'s result, errno set. */
ssize_t knet_nl_send(struct knet_nl *nl, const void *buf, size_t len);
/*
 * The kernel's next datagram into @buf: its length, or -1 with errno set
 * (ENOSPC: it did not fit in @len).  Datagrams another socket sent are
 * dropped: only the kernel speaks for the kernel.
 */
ssize_t knet_nl_recv(struct knet_nl *nl, void *buf, size_t len);

/* --- the answers to a request --- */

struct knet_error;

/*
 * One request's answers, read datagram by datagram: messages for another
 * port or sequence (an earlier request given up) are skipped, NLMSG_DONE
 * ends a dump (with the error a dump that failed half-way puts in it),
 * NLMSG_ERROR ends any other request (its ack, or its error), and @fn
 * sees every other message.  Once @fn fails (< 0) or says stop (> 0),
 * the rest is read and dropped.  The first error is kept in @error,
 * with @kernel set when the kernel sent it; @err gets a reason for the
 * malformed datagrams (EBADMSG) only, the others are the caller's to
 * word.  With @intr_fails, a dump the kernel marks NLM_F_DUMP_INTR (the
 * table changed while it was dumped) fails with -EINTR.
 */
struct knet_nl_run {
	int (*fn)(const struct nlmsghdr *nlh, void *data);
	void *data;
	uint32_t portid, seq;
	bool intr_fails;
	struct knet_error *err;
	int error;   /* the first error, a negative errno */
	bool kernel; /* ... and the kernel sent it */
	bool stop;   /* fn said stop: the rest is dropped */
};

/* One datagram of the answers: true when it ends the request. */
bool knet_nl_run_datagram(struct knet_nl_run *st, const void *buf, int len);
/* Whether a datagram holds the end of request @seq to @portid. */
bool knet_nl_datagram_ends(const void *buf, int len, uint32_t portid,
			   uint32_t seq);
/*
 * Receive into @buf until the request is answered: 0 (the answers'
 * verdict is st->error), or the negative errno of a failed receive
 * (EINTR is retried).
 */
int knet_nl_run(struct knet_nl *nl, void *buf, size_t buflen,
		struct knet_nl_run *st);

#endif
