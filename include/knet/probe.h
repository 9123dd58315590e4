/* SPDX-License-Identifier: MIT */
#ifndef KNET_PROBE_H
#define KNET_PROBE_H

/*
 * Probes: ping (ICMP echo, TCP connect, UDP) and traceroute (UDP, ICMP,
 * TCP SYN), IPv4 and IPv6.
 *
 * Each engine is split in two: knet_*_new() opens every socket it will
 * need, in the network namespace the calling thread is in (a pod's), and
 * knet_*_run() does the probing from wherever the thread is afterwards,
 * with no privileges left.  RTTs come from kernel receive timestamps
 * (SO_TIMESTAMPNS) where the kernel gives them.
 */

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "knet/base.h"
#include "knet/decode.h"

/* --- ICMP --- */

/* Internet checksum (RFC 1071) of @len bytes. */
uint16_t knet_icmp_checksum(const void *data, size_t len);

/*
 * Build an echo request of @len bytes (header included, >= 8) in @buf:
 * type 8 (IPv4) or 128 (IPv6), @id, @seq, a recognisable payload and,
 * for IPv4, the checksum (the kernel does it for ICMPv6).
 */
int knet_icmp_echo_build(uint8_t *buf, size_t len, int family, uint16_t id,
			 uint16_t seq);

struct knet_icmp {
	uint8_t type, code;
	uint16_t id, seq; /* echo request/reply */
	uint8_t ttl;	  /* from the IPv4 header, 0 when not seen */
	uint32_t mtu;	  /* frag-needed / packet-too-big, else 0 */
	/* Errors quote the packet that caused them: */
	bool is_error;
	uint8_t inner_proto;	      /* 1 ICMP, 6 TCP, 17 UDP, 58 ICMPv6 */
	uint16_t inner_id, inner_seq; /* quoted echo */
	uint16_t inner_sport, inner_dport; /* quoted UDP/TCP */
	uint8_t inner_dst[16];
};

/*
 * Parse an ICMP or ICMPv6 message.  With @ip_header, @pkt starts with
 * the IPv4 header (raw IPv4 sockets); ICMPv6 sockets never include it.
 */
int knet_icmp_parse(const struct knet_pkt *pkt, int family, bool ip_header,
		    struct knet_icmp *ret);

/* Whether @type/@code mean "destination reached / refused" etc. */
bool knet_icmp_is_echo_reply(int family, uint8_t type);
bool knet_icmp_is_time_exceeded(int family, uint8_t type);
bool knet_icmp_is_port_unreachable(int family, uint8_t type, uint8_t code);
/* traceroute's annotation for an unreachable: "!H", "!N", "!X"..., or "". */
const char *knet_icmp_unreach_note(int family, uint8_t type, uint8_t code);

/* --- statistics --- */

struct knet_rtt_stats {
	int sent;
	int received;
	long long min_us, max_us;
	double sum_us, sum2_us; /* for the average and mdev */
};

void knet_rtt_stats_init(struct knet_rtt_stats *s);
void knet_rtt_stats_add(struct knet_rtt_stats *s, long long rtt_us);
double knet_rtt_stats_avg(const struct knet_rtt_stats *s);
/* ping's mdev: sqrt(E[x^2] - E[x]^2). */
double knet_rtt_stats_mdev(const struct knet_rtt_stats *s);
/* Loss in percent of the probes sent, 0 when none were. */
double knet_rtt_stats_loss(const struct knet_rtt_stats *s);

/* --- traceroute --report: mtr-style statistics per hop --- */

/*
 * Distinct answering addresses kept per hop: as many as one trace can
 * have (-q is at most 10); a --report over many rounds keeps the ones
 * past that too and counts them (naddrs_more), so none goes unsaid.
 */
#define KNET_HOP_ADDRS 10

struct knet_hop_report {
	struct knet_rtt_stats st;
	long long last_us; /* -1 before the first answer */
	char addrs[KNET_HOP_ADDRS][46];
	int naddrs;
	char (*more)[46]; /* distinct addresses past KNET_HOP_ADDRS */
	int nmore;
};

struct knet_trace_report {
	struct knet_hop_report *hops; /* [max_hops] */
	int max_hops;
	int first_ttl;
	int rounds;
	int nhops;    /* rows to show, see knet_trace_report_add */
	bool reached; /* the destination answered in some round */
};

/* What one row of the report says; RTTs -1 when the hop never answered. */
struct knet_hop_summary {
	int ttl;
	int sent, received;
	double loss_percent;
	long long last_us, avg_us, best_us, worst_us;
	long long stdev_us; /* ping's mdev over the hop's answers */
	const char *addrs[KNET_HOP_ADDRS];
	int naddrs;
	int naddrs_more; /* not in addrs: the row says "+N more" */
};

struct knet_trace_result;

int knet_trace_report_new(int max_hops, struct knet_trace_report **ret);
void knet_trace_report_free(struct knet_trace_report *rep);
/*
 * Count one round.  The rows go up to the destination, at the nearest
 * hop it ever answered from; until it has answered, one row past the
 * last hop that did (where the path goes dark).
 */
void knet_trace_report_add(struct knet_trace_report *rep,
			   const struct knet_trace_result *res);
int knet_trace_report_rows(const struct knet_trace_report *rep);
/* Row @h (0-based) of the report; false past the last row. */
bool knet_trace_report_hop(const struct knet_trace_report *rep, int h,
			   struct knet_hop_summary *ret);

/* --- addresses --- */

/*
 * Parse an IPv4 or IPv6 literal (no names: targets are resolved through
 * the API) into @ret with @port.  -EINVAL when it is not one.
 */
int knet_addr_parse(const char *ip, int port, struct sockaddr_storage *ret,
		    socklen_t *ret_len);
/* The numeric form of @sa (no port). */
const char *knet_addr_str(const struct sockaddr *sa, char *buf, size_t len);

/* --- sockets shared by ping and traceroute --- */

enum knet_probe_mode {
	KNET_PROBE_ICMP,
	KNET_PROBE_UDP,
	KNET_PROBE_TCP,
};

/*
 * A probe socket for @family in the current namespace: ICMP (datagram,
 * else raw: *@ret_raw says which), UDP or TCP (non-blocking).  Error
 * queues (IP_RECVERR), receive timestamps and the answer's TTL are on.
 * The reason names CAP_NET_RAW when a raw socket is refused.
 */
int knet_probe_socket(int family, enum knet_probe_mode mode, bool *ret_raw,
		      struct knet_error *err);
int knet_probe_set_ttl(int fd, int family, int ttl);
/*
 * Don't fragment: IP_PMTUDISC_DO / IPV6_PMTUDISC_DO; with @probe the
 * _PROBE variants, which also ignore the path MTU the kernel learnt, so
 * every packet leaves full size and meets the router that is too small.
 */
int knet_probe_set_df(int fd, int family, bool probe);

/* One datagram or error-queue message and what the kernel said of it. */
struct knet_rx {
	size_t len;	    /* bytes in the buffer */
	struct timespec ts; /* kernel receive time (REALTIME) */
	int ttl;	    /* -1 unknown */
	bool is_err;	    /* from the error queue */
	int ee_errno;	    /* errqueue: EHOSTUNREACH, EMSGSIZE... */
	uint8_t ee_origin, ee_type, ee_code;
	uint32_t ee_info;	      /* the MTU for EMSGSIZE */
	struct sockaddr_storage from; /* sender, or errqueue: the offender */
	bool has_from;
	struct sockaddr_storage name; /* errqueue: the original destination */
};

/*
 * recvmsg() without blocking, from the error queue when @errqueue.
 * -EAGAIN when there is nothing.
 */
int knet_probe_recv(int fd, bool errqueue, uint8_t *buf, size_t len,
		    struct knet_rx *ret);

/* --- ping --- */

struct knet_ping_opts {
	enum knet_probe_mode mode;
	struct sockaddr_storage dst; /* port set for UDP and TCP */
	socklen_t dst_len;
	int count;	 /* 0: until stopped */
	double interval; /* seconds between probes */
	int size;	 /* payload bytes (ICMP data, UDP payload) */
	double timeout;	 /* seconds to wait for each answer */
	int ttl;	 /* 0: the system default */
	bool df;	 /* don't fragment: report the path MTU instead */
	/* With df: ignore the learnt path MTU (knet_probe_set_df). */
	bool df_probe;
};

enum knet_ping_status {
	KNET_PING_REPLY,   /* echo reply, UDP answer, TCP connected */
	KNET_PING_REFUSED, /* TCP RST, ICMP port unreachable: host is up */
	KNET_PING_TIMEOUT, /* nothing within the timeout */
	KNET_PING_UNREACH, /* ICMP unreachable from a router */
	KNET_PING_TTL,	   /* time exceeded on the way */
	KNET_PING_TOO_BIG, /* frag needed / packet too big: see mtu */
	KNET_PING_ERROR,   /* local error: see err */
};

/*
 * With --df: the bytes in front of the payload (IP header and the 8 of
 * ICMP or UDP: 28 for IPv4, 48 for IPv6), and so the largest -s that
 * fits a path MTU @mtu (0 when nothing does).
 */
int knet_ping_header_bytes(int family);
int knet_ping_df_max_size(int family, int mtu);

/* "reply", "refused", "timeout", "unreachable", "ttl-exceeded"... */
const char *knet_ping_status_name(enum knet_ping_status s);

struct knet_ping_event {
	enum knet_ping_status status;
	int seq;
	long long rtt_us; /* -1 when there is none */
	int ttl;	  /* of the answer, -1 when unknown */
	int bytes;	  /* of the answer */
	char from[46];	  /* who answered, "" when nobody */
	int mtu;	  /* KNET_PING_TOO_BIG: the path MTU, 0 unknown */
	int icmp_type, icmp_code;
	int err; /* KNET_PING_ERROR: negative errno */
};

struct knet_ping;

/*
 * Open the sockets (in the current network namespace).  ICMP tries an
 * ICMP datagram socket first and falls back to a raw one (when
 * net.ipv4.ping_group_range excludes us); -EPERM then names CAP_NET_RAW.
 */
int knet_ping_new(const struct knet_ping_opts *opts, struct knet_ping **ret,
		  struct knet_error *err);
void knet_ping_free(struct knet_ping *p);
/* "icmp-datagram", "icmp-raw", "udp", "tcp". */
const char *knet_ping_socket_kind(const struct knet_ping *p);

/*
 * Probe until the count is reached or *@stop becomes non-zero, calling
 * @on_event for every answer or timeout, in order of sequence.  A
 * callback returning < 0 stops the run with that code.  @ret_stats may
 * be NULL.
 */
int knet_ping_run(struct knet_ping *p,
		  int (*on_event)(const struct knet_ping_event *ev, void *ud),
		  void *ud, volatile sig_atomic_t *stop,
		  struct knet_rtt_stats *ret_stats, struct knet_error *err);

/* --- traceroute --- */

/* The most probes per hop (traceroute's -q allows 10 too). */
#define KNET_TRACE_QUERIES_MAX 10

struct knet_trace_opts {
	enum knet_probe_mode mode;   /* UDP by default */
	struct sockaddr_storage dst; /* port: UDP base, TCP destination */
	socklen_t dst_len;
	int first_ttl;	/* 1 */
	int max_hops;	/* 30 */
	int queries;	/* probes per hop, 3 */
	double timeout; /* seconds to wait for an answer, 2 */
	int size;	/* probe payload bytes */
};

struct knet_trace_probe {
	long long rtt_us; /* -1: no answer */
	char from[46];
	const char *note; /* "", "!H", "!N", "!P", "!X", "!F" (static) */
	bool reached;	  /* the destination answered */
};

struct knet_trace_result {
	int hops; /* rows in probes: first_ttl..last hop */
	int queries;
	int first_ttl;
	bool reached;			 /* the last hop is the destination */
	struct knet_trace_probe *probes; /* [hop * queries + query] */
};

struct knet_trace;

int knet_trace_new(const struct knet_trace_opts *opts, struct knet_trace **ret,
		   struct knet_error *err);
void knet_trace_free(struct knet_trace *t);

/*
 * One traceroute, in waves: a hop's probes leave together, lowest TTL
 * first, once the hop before it has answered as a router (or stayed
 * silent for a short lag), at most 16 in flight, and none past the
 * first hop that answered as the destination or with an unreachable;
 * stops when the destination hop and everything before it has answered
 * (or timed out).  Call it again for the next round of a --report: it
 * then sends every hop up to the destination found at once.
 */
int knet_trace_run(struct knet_trace *t, volatile sig_atomic_t *stop,
		   struct knet_trace_result **ret, struct knet_error *err);
void knet_trace_result_free(struct knet_trace_result *r);

/* --- DNS queries (knet dns) --- */

/* Why one name's lookup ended, as the search loop sees it. */
enum knet_dns_outcome {
	KNET_DNS_OUT_ANSWER,	  /* NOERROR with answers */
	KNET_DNS_OUT_NODATA,	  /* NOERROR without answers */
	KNET_DNS_OUT_NXDOMAIN,	  /* no such name */
	KNET_DNS_OUT_SERVFAIL,	  /* every server said SERVFAIL */
	KNET_DNS_OUT_REFUSED,	  /* REFUSED, NOTIMP, FORMERR */
	KNET_DNS_OUT_TIMEOUT,	  /* no answer in time */
	KNET_DNS_OUT_CONNREFUSED, /* ICMP port unreachable from all */
};

/* "answer", "nodata", "nxdomain", ...: the JSON word. */
const char *knet_dns_outcome_name(enum knet_dns_outcome o);

struct knet_dns_client;

/*
 * Sockets to each of @servers (IP literals, port 53), opened in the
 * current network namespace: one UDP socket (connected, so an ICMP port
 * unreachable comes back as ECONNREFUSED) and @tcp_spare TCP sockets,
 * connected only when an answer is truncated (connect needs no
 * privilege; the socket keeps the namespace it was made in).
 */
int knet_dns_client_new(const char (*servers)[64], int n, int tcp_spare,
			struct knet_dns_client **ret, struct knet_error *err);
void knet_dns_client_free(struct knet_dns_client *c);

/* One query sent to one server, and what came back. */
struct knet_dns_try {
	int server; /* index in the servers */
	bool tcp;
	long long latency_us; /* send to answer (or to giving up) */
	int error; /* 0 answered; -ETIMEDOUT, -ECONNREFUSED, -EBADMSG... */
	struct knet_dns_msg msg; /* when error == 0 */
};

/*
 * Ask the servers for @name/@type as glibc's res_send does: @attempts
 * rounds over the servers in order, @timeout_ms for each try, the next
 * server on SERVFAIL, REFUSED or NOTIMP, TCP to the same server when
 * the UDP answer is truncated (@use_vc: TCP from the start).  @on_try
 * sees every try as it ends.  The outcome is what the search loop sees.
 * Returns 0, or < 0 when @on_try did (or no memory).
 */
struct knet_dns_ask {
	const char *name;
	uint16_t type;
	int timeout_ms;
	int attempts;
	bool use_vc;
	int first_server; /* rotate: where this query starts */
};

int knet_dns_client_resolve(struct knet_dns_client *c,
			    const struct knet_dns_ask *ask,
			    int (*on_try)(const struct knet_dns_try *t,
					  void *userdata),
			    void *userdata, volatile sig_atomic_t *stop,
			    enum knet_dns_outcome *ret_outcome);

#endif
