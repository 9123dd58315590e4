/* SPDX-License-Identifier: MIT */
#ifndef KNET_NETLINK_H
#define KNET_NETLINK_H

/*
 * The conntrack table over ctnetlink (libmnl): dump, filter, events,
 * delete and statistics, for the namespace a socket was opened in.
 *
 * Namespaces.  knet_ct_new() and knet_ct_events_open() open their
 * netlink sockets in the calling thread's current network namespace;
 * the caller enters a pod's or node's namespace first (knet_netns_enter)
 * and may leave right after.  A socket keeps its namespace alive, so a
 * namespace deleted while a dump runs does not cut the dump short: the
 * dump finishes with the table as it was.
 *
 * Privileges.  nfnetlink checks CAP_NET_ADMIN of the thread that *sends*
 * a request (and of whoever opened the socket), not of the one that
 * reads the answer.  Dumps, deletes and statistics need it when sent:
 * knet_ct_dump_begin() sends, knet_ct_dump_finish() only reads, so a
 * command can send, drop its privileges, then read.  Event sockets need
 * it only to subscribe, in knet_ct_events_open().
 *
 * Errors follow knet/base.h: 0 or a negative errno, with @err filled.
 * -EPERM names CAP_NET_ADMIN (exit 5); a kernel without nf_conntrack or
 * ctnetlink says so (exit 5); a malformed message from the kernel is
 * -EBADMSG (exit 5) and nothing is read past the bytes received; bad
 * filter strings are -EINVAL (exit 2).
 *
 * Memory.  A dump parses each entry into a struct knet_ct_entry on the
 * stack and hands it to a callback: nothing is allocated per entry.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netfilter/nf_conntrack_common.h>

#include "knet/base.h"

/* --- entries --- */

/*
 * One direction of a connection.  Addresses are in network byte order
 * (4 bytes used for IPv4); ports, ICMP id in host order.
 */
struct knet_ct_tuple {
	unsigned char src[16];
	unsigned char dst[16];
	uint16_t sport; /* TCP, UDP, UDP-Lite, SCTP, DCCP; GRE keys */
	uint16_t dport;
	uint16_t icmp_id; /* ICMP and ICMPv6 */
	uint8_t icmp_type;
	uint8_t icmp_code;
};

/* What an entry carries (struct knet_ct_entry.has). */
enum {
	KNET_CT_HAS_STATE = 1 << 0,    /* TCP, SCTP, DCCP */
	KNET_CT_HAS_TIMEOUT = 1 << 1,  /* not in DESTROY events */
	KNET_CT_HAS_COUNTERS = 1 << 2, /* nf_conntrack_acct=1 only */
	KNET_CT_HAS_ID = 1 << 3,
	KNET_CT_HAS_USE = 1 << 4,
	KNET_CT_HAS_STATUS = 1 << 5,
};

struct knet_ct_entry {
	uint8_t family; /* AF_INET, AF_INET6 */
	uint8_t proto;	/* IPPROTO_TCP, ... */
	uint8_t state;	/* TCP_CONNTRACK_*, SCTP_CONNTRACK_*, DCCP's */
	unsigned int has;
	struct knet_ct_tuple orig;  /* as the first packet was */
	struct knet_ct_tuple reply; /* what replies look like */
	uint32_t status;	    /* IPS_* bits */
	uint32_t timeout;	    /* seconds left */
	uint32_t mark;		    /* 0 when the kernel sends none */
	uint16_t zone;		    /* 0: the default zone */
	uint32_t id;
	uint32_t use;
	uint64_t orig_packets, orig_bytes;
	uint64_t reply_packets, reply_bytes;
};

/*
 * Parse one ctnetlink message (a conntrack entry, as dumps and events
 * carry) of @len bytes at @msg, the whole netlink message with its
 * header.  -EBADMSG (exit 5) for anything truncated, a length past the
 * end, a missing tuple or an attribute of the wrong size; attributes of
 * types knet does not know are skipped.
 */
int knet_ct_entry_parse(const void *msg, size_t len,
			struct knet_ct_entry *ret_entry,
			struct knet_error *err);

/* --- what an entry means --- */

enum {
	KNET_CT_NAT_DNAT = 1 << 0, /* original dst != reply src */
	KNET_CT_NAT_SNAT = 1 << 1, /* original src != reply dst */
};

/*
 * Which translations the tuples show (KNET_CT_NAT_*), from the tuples
 * themselves: the status bits only say what NAT was set up, and entries
 * made with conntrack -I have none.
 */
unsigned int knet_ct_nat(const struct knet_ct_entry *e);
/* "DNAT", "SNAT", "DNAT+SNAT", or "" for none; static. */
const char *knet_ct_nat_name(unsigned int nat);

/* Not seen a reply yet (conntrack(8) prints [UNREPLIED]). */
bool knet_ct_unreplied(const struct knet_ct_entry *e);

/* --- names and formatting into caller buffers (no allocation) --- */

/* "tcp", "udp", "icmp", "icmpv6", "sctp", ...; NULL when unknown. */
const char *knet_ct_proto_name(uint8_t proto);
/* "ipv4", "ipv6", NULL. */
const char *knet_ct_family_name(uint8_t family);
/*
 * The state as conntrack(8) prints it ("ESTABLISHED", "TIME_WAIT",
 * "COOKIE_WAIT"); NULL for protocols without states or unknown values.
 */
const char *knet_ct_state_name(uint8_t proto, uint8_t state);
/*
 * Status bits as a comma-separated list of names ("SEEN_REPLY,ASSURED,
 * CONFIRMED"), with "UNREPLIED" when SEEN_REPLY is missing.  Returns
 * the length written, or -ENOSPC (nothing useful) when @len is short.
 */
int knet_ct_format_status(uint32_t status, char *buf, size_t len);
/*
 * One end of a tuple: "198.18.133.244:80", "[fd00::1]:443", or just the
 * address for protocols without ports.  -ENOSPC when @len is short;
 * 64 bytes always suffice (KNET_CT_ENDPOINT_MAX).
 */
#define KNET_CT_ENDPOINT_MAX 64
int knet_ct_format_src(const struct knet_ct_entry *e,
		       const struct knet_ct_tuple *t, char *buf, size_t len);
int knet_ct_format_dst(const struct knet_ct_entry *e,
		       const struct knet_ct_tuple *t, char *buf, size_t len);
/* An address alone ("198.18.0.1", "fd00::1"). */
int knet_ct_format_addr(uint8_t family, const unsigned char *addr, char *buf,
			size_t len);

/*
 * All four ends of an entry at once, each address formatted once:
 * KNET_CT_ORIG_SRC .. KNET_CT_REPLY_DST index addr[] (the address) and
 * end[] (with the port, as knet_ct_format_src/dst); alen[] and elen[]
 * are their lengths.  For a command that prints each several times.
 */
enum {
	KNET_CT_ORIG_SRC,
	KNET_CT_ORIG_DST,
	KNET_CT_REPLY_SRC,
	KNET_CT_REPLY_DST,
};
struct knet_ct_ends {
	char addr[4][KNET_CT_ENDPOINT_MAX];
	char end[4][KNET_CT_ENDPOINT_MAX];
	int alen[4], elen[4];
};
void knet_ct_format_ends(const struct knet_ct_entry *e,
			 struct knet_ct_ends *ret);

/* --- filters --- */

/* Which fields of a filter are set (struct knet_ct_filter.set). */
enum {
	KNET_CT_FILTER_FAMILY = 1 << 0,
	KNET_CT_FILTER_PROTO = 1 << 1,
	KNET_CT_FILTER_SRC = 1 << 2,
	KNET_CT_FILTER_DST = 1 << 3,
	KNET_CT_FILTER_SPORT = 1 << 4,
	KNET_CT_FILTER_DPORT = 1 << 5,
	KNET_CT_FILTER_STATE = 1 << 6,
	KNET_CT_FILTER_STATUS = 1 << 7,
	KNET_CT_FILTER_NAT = 1 << 8,
	KNET_CT_FILTER_ZONE = 1 << 9,
	KNET_CT_FILTER_MARK = 1 << 10,
};

struct knet_ct_prefix {
	unsigned char addr[16]; /* network byte order */
	uint8_t family;
	uint8_t plen; /* 32 or 128 for one address */
};

/*
 * What to keep.  All zero keeps everything; each set field must match
 * (AND), the way conntrack(8) combines its options.  src, dst, sport
 * and dport are of the original tuple, as with conntrack -s/-d.
 */
struct knet_ct_filter {
	unsigned int set; /* KNET_CT_FILTER_* */
	uint8_t family;	  /* AF_INET or AF_INET6 */
	uint8_t proto;
	struct knet_ct_prefix src, dst;
	uint16_t sport, dport;
	const char *state_name; /* static, from knet_ct_filter_set() */
	uint8_t state;		/* resolved by knet_ct_filter_check() */
	uint32_t status_mask;	/* (status & mask) == value */
	uint32_t status_value;
	unsigned int nat; /* KNET_CT_NAT_*: any of them */
	uint16_t zone;
	uint32_t mark, mark_mask;
};

/*
 * Set one field from the string form the command takes, @key naming the
 * option without dashes:
 *   "family"  ipv4 | ipv6
 *   "proto"   tcp | udp | udplite | icmp | icmpv6 | sctp | dccp | gre |
 *             a number 1-255 (-p)
 *   "src", "dst"   an IPv4 or IPv6 address, optionally /PREFIX
 *   "sport", "dport"   1-65535
 *   "state"   a conntrack(8) state name (ESTABLISHED, TIME_WAIT, ...;
 *             case-insensitive), TCP unless -p says SCTP or DCCP
 *   "status"  comma-separated ASSURED, SEEN_REPLY, UNREPLIED, EXPECTED,
 *             FIXED_TIMEOUT, CONFIRMED, DYING, OFFLOAD... (all must hold)
 *   "nat"     NULL or "any" (translated at all), "dnat", "snat"
 *   "zone"    0-65535
 *   "mark"    MARK[/MASK], decimal or 0x hex, 32 bits
 * -EINVAL with a usage reason (exit 2) for a malformed value or key.
 */
int knet_ct_filter_set(struct knet_ct_filter *f, const char *key,
		       const char *value, struct knet_error *err);

/*
 * Whether the fields agree with each other (ports need a protocol with
 * ports, a state one with states, src/dst/family one family) and resolve
 * the state name for the protocol.  Dumps, events and deletes call it
 * too; -EINVAL (exit 2) with the reason.
 */
int knet_ct_filter_check(struct knet_ct_filter *f, struct knet_error *err);

/* Whether @e passes @f (in user space; @f checked). */
bool knet_ct_filter_match(const struct knet_ct_filter *f,
			  const struct knet_ct_entry *e);

/* --- the table --- */

struct knet_ct;

/*
 * Open ctnetlink in the current network namespace and ask it for its
 * statistics once, so that a missing nf_conntrack / ctnetlink or a
 * missing CAP_NET_ADMIN is reported here (exit 5), not mid-command.
 */
int knet_ct_new(struct knet_ct **ret, struct knet_error *err);
void knet_ct_free(struct knet_ct *ct);

/*
 * Dump the table (IPv4 and IPv6, or the filter's family) and call @fn
 * for every entry @filter (NULL: all) keeps.  The filter runs in the
 * kernel where the kernel can (below) and always again in user space,
 * so the result does not depend on the kernel.  The receive buffer is
 * 64 KiB: the kernel fills each dump batch up to what recvmsg() asked
 * for (at most 32 KiB), so fewer, larger batches.
 *
 * @fn returns 0 to go on, > 0 to stop (the rest of the dump is read and
 * dropped, and the dump returns 0), < 0 to fail with that errno (@fn
 * fills @err itself).
 */
int knet_ct_dump(struct knet_ct *ct, const struct knet_ct_filter *filter,
		 int (*fn)(const struct knet_ct_entry *e, void *userdata),
		 void *userdata, struct knet_error *err);

/*
 * The same in two steps: send the request (needs CAP_NET_ADMIN), then
 * read it (needs nothing).  If the kernel refuses a kernel-side filter
 * at this point, finish re-sends without it, which again needs the
 * capability; a refusal of the plain request is an error.  @filter is
 * copied.  One dump at a time per struct knet_ct (-EBUSY).
 */
int knet_ct_dump_begin(struct knet_ct *ct, const struct knet_ct_filter *filter,
		       struct knet_error *err);
int knet_ct_dump_finish(struct knet_ct *ct,
			int (*fn)(const struct knet_ct_entry *e,
				  void *userdata),
			void *userdata, struct knet_error *err);

/*
 * Kernel-side filters, detected per socket.  CTA_MARK/CTA_MARK_MASK have
 * been honoured by dumps for a long time and are always sent; the tuple
 * filter (CTA_FILTER, Linux 5.8), CTA_STATUS/CTA_STATUS_MASK and CTA_ZONE
 * as dump filters came later.  Each is sent while believed to work and
 * dropped for good on this socket when the kernel refuses the request
 * (EINVAL, EOPNOTSUPP) or returns an entry it should have filtered out
 * (older kernels ignore attributes they do not know).  IPv6 addresses
 * and address prefixes are matched in user space only: the kernel
 * compares whole addresses, and some 5.x kernels compared IPv6 ones
 * inverted, which would lose entries where verification cannot see it.
 */
enum {
	KNET_CT_KERNEL_MARK = 1 << 0,
	KNET_CT_KERNEL_TUPLE = 1 << 1,
	KNET_CT_KERNEL_STATUS = 1 << 2,
	KNET_CT_KERNEL_ZONE = 1 << 3,
	KNET_CT_KERNEL_ALL = (1 << 4) - 1,
};
/* Which kernel filters this socket still believes in. */
unsigned int knet_ct_kernel_filters(const struct knet_ct *ct);
/*
 * Restrict them to @mask (0: filter only in user space), for tests and
 * for comparing both ways; bits already dropped stay dropped.
 */
void knet_ct_set_kernel_filters(struct knet_ct *ct, unsigned int mask);

/*
 * Delete @e (IPCTNL_MSG_CT_DELETE by its original tuple and zone, and
 * its id so that a new connection that reuses the tuple survives).
 * Returns 1 when deleted, 0 when it was already gone (ENOENT), or a
 * negative errno.  Allowed from a dump callback: deletes go through a
 * second socket.
 */
int knet_ct_delete(struct knet_ct *ct, const struct knet_ct_entry *e,
		   struct knet_error *err);

/*
 * Delete every entry @filter keeps (dump, then delete each one as it
 * comes); @ret_count says how many were deleted by us, entries that
 * vanished meanwhile not counted.  A NULL filter deletes everything.
 */
int knet_ct_delete_matching(struct knet_ct *ct,
			    const struct knet_ct_filter *filter,
			    unsigned long *ret_count, struct knet_error *err);

/* --- statistics --- */

struct knet_ct_cpu_stats {
	unsigned int cpu;
	uint32_t found, invalid, insert, insert_failed, drop, early_drop;
	uint32_t error, search_restart, clash_resolve, chaintoolong;
};

struct knet_ct_stats {
	uint32_t count;			/* entries in this namespace's table */
	uint32_t max;			/* nf_conntrack_max (global) */
	struct knet_ct_cpu_stats total; /* summed (total.cpu is 0) */
	struct knet_ct_cpu_stats *cpus; /* cpu set to the CPU number */
	int ncpus;
};

/*
 * IPCTNL_MSG_CT_GET_STATS (count, max) and IPCTNL_MSG_CT_GET_STATS_CPU
 * (per-CPU counters; counters a kernel does not have stay 0).
 */
int knet_ct_stats_get(struct knet_ct *ct, struct knet_ct_stats **ret,
		      struct knet_error *err);
void knet_ct_stats_free(struct knet_ct_stats *s);

/* --- events --- */

/*
 * Live events of the current namespace's table: NEW, UPDATE and DESTROY
 * (KNET_CT_EVENT_* in @types, 0 for all three), filtered in user space
 * with @filter (NULL: all; copied).
 *
 * Loss.  Netlink multicast drops messages when the receive buffer is
 * full, and the next read fails with ENOBUFS: the kernel says that some
 * were lost, never how many.  The socket asks for a large buffer
 * (SO_RCVBUFFORCE when permitted, else SO_RCVBUF up to rmem_max) and
 * leaves NETLINK_NO_ENOBUFS off, so that every overrun is seen.  On each
 * ENOBUFS knet_ct_events_next() doubles the buffer (up to a cap) and
 * returns a KNET_CT_EVENT_LOST event carrying the number of overruns
 * seen so far; what the caller had is now stale, and it should re-dump
 * the table to resync.  Events are never lost silently.
 *
 * NETLINK_BROADCAST_ERROR is set: the kernel then learns when delivery
 * to this socket failed, and (with nf_conntrack_events enabled) keeps a
 * DESTROY event it could not deliver on the dying list and retries it,
 * so DESTROY events survive an overrun; NEW and UPDATE may not.
 */
enum knet_ct_event_type {
	KNET_CT_EVENT_NEW = 1 << 0,
	KNET_CT_EVENT_UPDATE = 1 << 1,
	KNET_CT_EVENT_DESTROY = 1 << 2,
	KNET_CT_EVENT_LOST = 1 << 3, /* never filtered out */
};

struct knet_ct_event {
	enum knet_ct_event_type type;
	struct knet_ct_entry entry; /* NEW, UPDATE, DESTROY */
	unsigned long overruns;	    /* LOST: ENOBUFS seen since open */
	bool resync;		    /* LOST: re-dump to catch up */
	int rcvbuf;		    /* LOST: receive buffer size now */
};

struct knet_ct_events;

int knet_ct_events_open(const struct knet_ct_filter *filter, unsigned int types,
			struct knet_ct_events **ret, struct knet_error *err);
/*
 * The receive buffer to start with (bytes; 0: the default, 8 MiB): a
 * small one overruns sooner (conntrack -E's --buffer-size).  Returns
 * the size the kernel took.  Each overrun doubles it from there.
 */
int knet_ct_events_set_rcvbuf(struct knet_ct_events *ev, int bytes);
/* The socket, to poll(2) with other descriptors. */
int knet_ct_events_fd(const struct knet_ct_events *ev);
/*
 * The next event that passes the filter, waiting up to @timeout_ms (-1:
 * forever, 0: not at all).  1 with @ret_event filled, 0 on timeout, or a
 * negative errno (-EINTR when a signal came: the caller decides).
 */
int knet_ct_events_next(struct knet_ct_events *ev, int timeout_ms,
			struct knet_ct_event *ret_event,
			struct knet_error *err);
void knet_ct_events_close(struct knet_ct_events *ev);

#endif
