/* SPDX-License-Identifier: MIT */
#ifndef KNET_FLOWS_H
#define KNET_FLOWS_H

/*
 * The flow table (lib/flows): what `knet flows` shows, one row per
 * bidirectional 5-tuple, fed with the headers of captured packets
 * (knet_decode_headers) or with conntrack entries.
 *
 * Cost.  A packet costs one hash lookup and one move to the head of the
 * least-recently-seen list: O(1), and nothing is allocated per packet
 * once the table has grown (flows come from chunks that are reused when
 * a flow is evicted).  The table never holds more than its cap; when a
 * new flow would pass it, the flow seen longest ago goes, and that is
 * counted (evictions are shown, never silent).
 *
 * Time.  Packet times are microseconds since the epoch; "now" is given
 * by the caller in milliseconds on the same clock (the wall clock for a
 * live capture, the last packet's time for a file), so the table has no
 * clock of its own and unit tests drive it exactly.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "knet/base.h"
#include "knet/decode.h"
#include "knet/netlink.h"

#define KNET_FLOWS_MAX_DEFAULT 100000
#define KNET_FLOWS_MAX_LIMIT   10000000
/* Packets kept per flow (detail pane, `w`) and the bytes of each. */
#define KNET_FLOW_KEEP	     4
#define KNET_FLOW_KEEP_BYTES 96 /* headers: Ethernet, IPv6, TCP options */
/*
 * Every packet of a flow, for `w`, in a store of the table's own: the
 * headers of each (KNET_FLOW_STORE_BYTES), at most _PER_FLOW per flow
 * (its first ones) and _MIB MiB for the whole table (grown as packets
 * come, never more).  A packet not kept is counted in its flow.
 */
#define KNET_FLOW_STORE_BYTES	 128
#define KNET_FLOW_STORE_PER_FLOW 1000
#define KNET_FLOW_STORE_MIB	 32
/* Seconds of rate history per flow: 10 whole ones and the current. */
#define KNET_FLOW_RATE_SECS 11
/* What counts as "no answer": this long after the request. */
#define KNET_FLOW_ANSWER_MS 1000

/* TCP as seen from here (not the endpoints' own state). */
enum knet_flow_state {
	KNET_FLOW_NONE,	       /* not TCP, or nothing telling yet */
	KNET_FLOW_SYN_SENT,    /* SYN, no SYN-ACK */
	KNET_FLOW_SYN_RECV,    /* SYN-ACK, no ACK back yet */
	KNET_FLOW_ESTABLISHED, /* handshake done, or data both ways */
	KNET_FLOW_FIN_WAIT,    /* FIN from one side */
	KNET_FLOW_CLOSED,      /* FIN from both */
	KNET_FLOW_RESET,       /* RST */
};

/* What the user looks for (knet_flow_flags). */
enum {
	KNET_FLOW_F_NO_SYNACK = 1 << 0,	     /* SYN unanswered > 1 s */
	KNET_FLOW_F_RST = 1 << 1,	     /* reset */
	KNET_FLOW_F_NO_REPLY = 1 << 2,	     /* UDP, nothing back > 1 s */
	KNET_FLOW_F_DNS_UNANSWERED = 1 << 3, /* DNS query, no answer > 1 s */
	KNET_FLOW_F_UNREACHABLE = 1 << 4,    /* ICMP error quoting it */
	KNET_FLOW_F_FRAG_NEEDED = 1 << 5,    /* frag-needed / too big */
	KNET_FLOW_F_RETRANS = 1 << 6,	     /* retransmissions seen */
	KNET_FLOW_F_NAT = 1 << 7,	     /* conntrack: DNAT'd */
};
#define KNET_FLOW_F_PROBLEMS 0x7f /* every flag but NAT */

struct knet_flow_kept {
	long long ts_us;
	uint32_t caplen, len;
	int linktype;
	uint8_t data[KNET_FLOW_KEEP_BYTES];
};

/* What the node's conntrack says about the flow. */
struct knet_flow_ct {
	bool valid;
	bool counters; /* nf_conntrack_acct was on */
	uint8_t state; /* TCP_CONNTRACK_* */
	uint32_t status, timeout, id;
	struct knet_tuple orig, reply;
	uint64_t orig_packets, orig_bytes, reply_packets, reply_bytes;
};

/*
 * One flow.  @t is as the initiator sent it (t.src started it: the SYN
 * sender, or whoever sent the first packet seen); [0] counts what t.src
 * sent, [1] what came back.  Read-only outside lib/flows.
 */
struct knet_flow {
	struct knet_tuple t;
	enum knet_flow_state state;
	unsigned int flags; /* sticky ones; knet_flow_flags() adds timed */
	uint64_t packets[2], bytes[2];
	long long first_ms, last_ms;
	uint32_t retrans, icmp_errors, mtu;
	uint8_t icmp_type, icmp_code; /* the last error quoting it */
	uint32_t dns_pending;	      /* queries without an answer */
	long long dns_query_ms;	      /* when the oldest of them went */
	struct knet_flow_ct ct;
	unsigned int nkept;
	struct knet_flow_kept kept[KNET_FLOW_KEEP];
	/* The store: packets in it, and seen but not kept (a cap). */
	uint32_t nstored, nunstored;

	/* --- lib/flows' own --- */
	uint32_t rate_bytes[KNET_FLOW_RATE_SECS];
	uint32_t rate_pkts[KNET_FLOW_RATE_SECS];
	long long rate_sec;  /* the second rate_*[rate_sec % N] counts */
	uint32_t seq_end[2]; /* the highest sequence end seen, per side */
	uint8_t seq_seen, syn_seen, fin_seen; /* per side bits */
	uint32_t syn_seq[2];
	uint32_t hash, hnext, prev, next; /* chain and LRU, by index */
	uint32_t self;			  /* this flow's index */
	uint32_t store_head, store_tail;  /* its stored packets, by index */
	bool live;
	uint64_t id;  /* creation order, stable */
	uint64_t gen; /* conntrack: the last dump */
};

/* Columns to sort by. */
enum knet_flow_sort {
	KNET_FLOW_SORT_BYTES, /* default: total bytes, biggest first */
	KNET_FLOW_SORT_PACKETS,
	KNET_FLOW_SORT_RATE1,
	KNET_FLOW_SORT_RATE10,
	KNET_FLOW_SORT_SRC,
	KNET_FLOW_SORT_DST,
	KNET_FLOW_SORT_PROTO,
	KNET_FLOW_SORT_STATE,
	KNET_FLOW_SORT_FLAGS,
	KNET_FLOW_SORT_AGE,
	KNET_FLOW_SORT_LAST,
	KNET_FLOW_NSORT,
};

struct knet_flows_stats {
	unsigned long long packets, bytes; /* every packet fed */
	unsigned long long other;	   /* not IP, or cut short */
	unsigned long long created, evicted;
	size_t count, max;
	/* The packet store: held now, its limits, refused (any cap). */
	size_t stored, store_bytes, store_max_bytes, store_per_flow;
	unsigned long long unstored;
};

struct knet_flows;

/* A table of at most @max flows (1..KNET_FLOWS_MAX_LIMIT). */
int knet_flows_new(size_t max, struct knet_flows **ret, struct knet_error *err);
void knet_flows_free(struct knet_flows *t);

/*
 * One captured packet: its headers (knet_decode_headers), and the packet
 * itself (@data, @caplen, on-wire @len at @ts_us) to keep while the flow
 * has fewer than KNET_FLOW_KEEP.  ICMP errors go to the flow they quote.
 * Returns the flow, never NULL.
 */
const struct knet_flow *knet_flows_packet(struct knet_flows *t,
					  const struct knet_headers *h,
					  long long ts_us, int linktype,
					  const uint8_t *data, uint32_t caplen);
/*
 * The packet store's caps: @per_flow packets per flow (0: no store),
 * @max_bytes for the table.  Lowering them frees nothing already kept.
 */
void knet_flows_set_store(struct knet_flows *t, size_t per_flow,
			  size_t max_bytes);
/* One stored packet (its data valid until the table is fed again). */
struct knet_flow_packet {
	long long ts_us;
	uint32_t caplen, len;
	int linktype;
	const uint8_t *data;
};
/*
 * The packets of @f kept so far, oldest first, to @fn (non-zero stops
 * and is returned).  A flow of another knet's snapshot has none: its
 * KNET_FLOW_KEEP first ones are in f->kept.
 */
int knet_flows_stored(const struct knet_flows *t, const struct knet_flow *f,
		      int (*fn)(const struct knet_flow_packet *p, void *ud),
		      void *ud);

/* A packet that is not IP, or cut short: counted, no flow. */
void knet_flows_other(struct knet_flows *t, uint32_t len);

/* What a conntrack entry is to the table. */
enum knet_flows_ct {
	/* --source conntrack: a flow of its own, keyed by its original
	 * tuple, with the kernel's counters as the flow's. */
	KNET_FLOWS_CT_SOURCE,
	/* A note on the captured flow of either tuple (the DNAT target
	 * of a ClusterIP flow, the detail pane); none: nothing made. */
	KNET_FLOWS_CT_NOTE,
	/* The same, making the flow when missing, as the original tuple
	 * (the pod started it) or the reversed reply tuple (the pod is
	 * the DNAT target): the event may be read before the packet. */
	KNET_FLOWS_CT_NOTE_ORIG,
	KNET_FLOWS_CT_NOTE_REPLY,
	/* Both (several targets: the client and the backend captured). */
	KNET_FLOWS_CT_NOTE_BOTH,
};

/* A tuple of entry @e as the table keys flows (ICMP: its id, both). */
void knet_flow_tuple_of_ct(const struct knet_ct_entry *e,
			   const struct knet_ct_tuple *ct,
			   struct knet_tuple *ret);
/* A conntrack entry; the flow it went to, or NULL. */
const struct knet_flow *knet_flows_conntrack(struct knet_flows *t,
					     const struct knet_ct_entry *e,
					     long long now_ms,
					     enum knet_flows_ct how);
/*
 * Generations, for tables refilled whole (conntrack dumps, a remote
 * run's snapshots): start one, feed, then sweep the flows not seen in
 * it.
 */
uint64_t knet_flows_generation(struct knet_flows *t);
void knet_flows_sweep(struct knet_flows *t, uint64_t generation);
/*
 * A flow as another knet sent it (its snapshot, through the node
 * transport): the public fields of @in copied into the flow of the same
 * tuple, made when missing, marked with @generation.
 */
const struct knet_flow *knet_flows_mirror(struct knet_flows *t,
					  const struct knet_flow *in,
					  uint64_t generation);

/* Zero every flow's counters, rates and flags (the `r` key). */
void knet_flows_reset_counters(struct knet_flows *t);

void knet_flows_get_stats(const struct knet_flows *t,
			  struct knet_flows_stats *ret);

/* The sticky flags and those that depend on the time (no answer yet). */
unsigned int knet_flow_flags(const struct knet_flow *f, long long now_ms);
/* Bytes (or packets) per second, both ways, over the last @secs (1..10)
 * whole seconds before @now_ms. */
uint64_t knet_flow_rate(const struct knet_flow *f, long long now_ms, int secs,
			bool packets);
/* "SYN_SENT", "ESTABLISHED"...; "-" for NONE. */
const char *knet_flow_state_name(enum knet_flow_state s);
/*
 * The flags as short words joined by commas ("rst,retrans") into @buf;
 * "" for none.  Returns @buf.
 */
char *knet_flow_flags_text(unsigned int flags, char *buf, size_t size);
/* One end "198.19.1.2:80" ("[fd00::1]:80", "10.0.0.1" without ports). */
void knet_flow_endpoint(const struct knet_flow *f, bool dst, char *buf,
			size_t size);
/* The same with @name (NULL: the address) for the address: "web/web-1:80". */
void knet_flow_end_text(const struct knet_flow *f, bool dst, const char *name,
			char *buf, size_t size);
/* "tcp", "udp", "icmp", "icmp6" or the number. */
const char *knet_flow_proto_name(uint8_t proto, char *buf, size_t size);
/* Column names for sort keys ("bytes", "src"...), and back (-1). */
const char *knet_flow_sort_name(enum knet_flow_sort s);
int knet_flow_sort_parse(const char *name);

/*
 * Which flows to show: @keep (NULL: all) decides per flow.  Sorted by
 * @sort (@reverse flips it), ties by creation.  *@ret (malloc'd by the
 * table, reused) holds pointers valid until the next call that feeds or
 * resets the table; @ret_n how many.
 */
int knet_flows_snapshot(struct knet_flows *t, long long now_ms,
			enum knet_flow_sort sort, bool reverse,
			bool (*keep)(const struct knet_flow *f, void *ud),
			void *ud, const struct knet_flow ***ret, size_t *ret_n);

/*
 * The substring filter: @needle in either endpoint, the proto, the
 * state, the flags, or the names @name gives for the flow's addresses
 * (NULL: none), case-insensitive.
 */
typedef const char *(*knet_flow_namer)(void *ud, uint8_t family,
				       const uint8_t *addr);
bool knet_flow_match_text(const struct knet_flow *f, const char *needle,
			  knet_flow_namer name, void *ud);

/*
 * Whether a filter is a BPF expression (it starts with a word of
 * pcap-filter(7): "host", "port", "tcp", "not", "("...) rather than a
 * substring: "web-1" and "client/client" stay substrings, and no host
 * name is ever looked up by accident.
 */
bool knet_flow_filter_is_bpf(const char *text);

#endif
