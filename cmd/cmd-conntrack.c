/* SPDX-License-Identifier: MIT */
/*
 * knet conntrack [TARGET]: the node's conntrack table in Kubernetes
 * words.  TARGET is nothing (this node), node/NAME (that node, through
 * the transport when it is another), a pod (its traffic in its node's
 * table; --in-pod adds the pod's own) or svc/NAME[:PORT] (entries to the
 * Service, per backend, with the stale ones).  -E follows events,
 * --delete removes what the filters keep, --stats counts.
 *
 * The node pipeline does the order: the dump request (or the event
 * subscription, or the statistics) is sent in the namespace with
 * CAP_NET_ADMIN, then privileges go and the answer is read, named and
 * printed as nobody.  Only --delete keeps the capability: every delete
 * is a request the kernel checks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd.h"
#include "ct-raw.h"
#include "knet/analysis.h"
#include "knet/netlink.h"
#include "knet/node.h"
#include "knet/objects.h"
#include "node-common.h"
#include "node-fanout.h"

/* One entry (a listing, an event, a loss); JSON keys are raw values. */
enum {
	E_TYPE,
	E_NODE,
	E_EVENT,
	E_PROTO,
	E_STATE,
	E_TIMEOUT,
	E_SOURCE,
	E_DEST,
	E_TRANS,
	E_FLAGS,
	E_BACKEND,
	E_STALE,
	E_ORIG,
	E_REPLY,
	E_MARK,
	E_ZONE,
	E_ID,
	E_PACKETS,
	E_BYTES,
	E_TABLE,
	E_FAMILY,
	E_PROTO_NUM,
	E_O_SRC,
	E_O_DST,
	E_O_SPORT,
	E_O_DPORT,
	E_R_SRC,
	E_R_DST,
	E_R_SPORT,
	E_R_DPORT,
	E_ICMP_TYPE,
	E_ICMP_CODE,
	E_ICMP_ID,
	E_STATUS,
	E_STATUS_FLAGS,
	E_NAT,
	E_O_SRC_NAME,
	E_O_DST_NAME,
	E_R_SRC_NAME,
	E_R_DST_NAME,
	E_O_PKTS,
	E_O_BYTES,
	E_R_PKTS,
	E_R_BYTES,
	E_VIA,
	E_STALE_REASON,
	E_OVERRUNS,
	E_ENTRIES,
	NE,
};

#define JS KNET_COL_NOTABLE
#define RW (KNET_COL_WIDE | KNET_COL_RIGHT)

static const struct knet_column entry_cols[] = {
	[E_TYPE] = {"TYPE", "type", KNET_CELL_STR, JS, 0},
	/* a fan-out's: the node whose table it is (shown only then) */
	[E_NODE] = {"NODE", "node", KNET_CELL_STR, 0, 0},
	[E_EVENT] = {"EVENT", "event", KNET_CELL_STR, 0, 7},
	[E_PROTO] = {"PROTO", "proto", KNET_CELL_STR, 0, 5},
	[E_STATE] = {"STATE", "state", KNET_CELL_STR, 0, 11},
	[E_TIMEOUT] = {"TIMEOUT", "timeout", KNET_CELL_INT, KNET_COL_RIGHT, 7},
	/* a pod name with its namespace and a port; a ClusterIP's DNAT */
	[E_SOURCE] = {"SOURCE", "source", KNET_CELL_STR, 0, 28},
	[E_DEST] = {"DESTINATION", "destination", KNET_CELL_STR, 0, 30},
	[E_TRANS] = {"TRANSLATION", "translation", KNET_CELL_STR, 0, 58},
	/* conntrack(8)'s bracketed flags; JSON has every status bit */
	[E_FLAGS] = {"FLAGS", "flags", KNET_CELL_STRLIST, 0, 9},
	[E_BACKEND] = {"BACKEND", "backend", KNET_CELL_STR, 0, 0},
	[E_STALE] = {"STALE", "stale", KNET_CELL_BOOL, 0, 0},
	[E_ORIG] = {"ORIGINAL", "original", KNET_CELL_STR, KNET_COL_WIDE, 0},
	[E_REPLY] = {"REPLY", "reply", KNET_CELL_STR, KNET_COL_WIDE, 0},
	[E_MARK] = {"MARK", "mark", KNET_CELL_INT, RW, 0},
	[E_ZONE] = {"ZONE", "zone", KNET_CELL_INT, RW, 0},
	[E_ID] = {"ID", "id", KNET_CELL_INT, RW, 10},
	[E_PACKETS] = {"PACKETS", "packets", KNET_CELL_INT, RW, 0},
	[E_BYTES] = {"BYTES", "bytes", KNET_CELL_BYTES, RW, 0},
	[E_TABLE] = {"TABLE", "table", KNET_CELL_STR, KNET_COL_WIDE, 0},
	[E_FAMILY] = {"FAMILY", "family", KNET_CELL_STR, JS, 0},
	[E_PROTO_NUM] = {"PROTONUM", "proto_num", KNET_CELL_INT, JS, 0},
	[E_O_SRC] = {"OSRC", "orig_src", KNET_CELL_STR, JS, 0},
	[E_O_DST] = {"ODST", "orig_dst", KNET_CELL_STR, JS, 0},
	[E_O_SPORT] = {"OSPORT", "orig_sport", KNET_CELL_INT, JS, 0},
	[E_O_DPORT] = {"ODPORT", "orig_dport", KNET_CELL_INT, JS, 0},
	[E_R_SRC] = {"RSRC", "reply_src", KNET_CELL_STR, JS, 0},
	[E_R_DST] = {"RDST", "reply_dst", KNET_CELL_STR, JS, 0},
	[E_R_SPORT] = {"RSPORT", "reply_sport", KNET_CELL_INT, JS, 0},
	[E_R_DPORT] = {"RDPORT", "reply_dport", KNET_CELL_INT, JS, 0},
	[E_ICMP_TYPE] = {"ICMPTYPE", "icmp_type", KNET_CELL_INT, JS, 0},
	[E_ICMP_CODE] = {"ICMPCODE", "icmp_code", KNET_CELL_INT, JS, 0},
	[E_ICMP_ID] = {"ICMPID", "icmp_id", KNET_CELL_INT, JS, 0},
	[E_STATUS] = {"STATUS", "status", KNET_CELL_INT, JS, 0},
	[E_STATUS_FLAGS] = {"SFLAGS", "status_flags", KNET_CELL_STRLIST, JS, 0},
	[E_NAT] = {"NAT", "nat", KNET_CELL_STR, JS, 0},
	[E_O_SRC_NAME] = {"OSRCNAME", "orig_src_name", KNET_CELL_STR, JS, 0},
	[E_O_DST_NAME] = {"ODSTNAME", "orig_dst_name", KNET_CELL_STR, JS, 0},
	[E_R_SRC_NAME] = {"RSRCNAME", "reply_src_name", KNET_CELL_STR, JS, 0},
	[E_R_DST_NAME] = {"RDSTNAME", "reply_dst_name", KNET_CELL_STR, JS, 0},
	[E_O_PKTS] = {"OPKTS", "orig_packets", KNET_CELL_INT, JS, 0},
	[E_O_BYTES] = {"OBYTES", "orig_bytes", KNET_CELL_INT, JS, 0},
	[E_R_PKTS] = {"RPKTS", "reply_packets", KNET_CELL_INT, JS, 0},
	[E_R_BYTES] = {"RBYTES", "reply_bytes", KNET_CELL_INT, JS, 0},
	[E_VIA] = {"VIA", "service_via", KNET_CELL_STR, JS, 0},
	[E_STALE_REASON] = {"REASON", "stale_reason", KNET_CELL_STR, JS, 0},
	[E_OVERRUNS] = {"OVERRUNS", "overruns", KNET_CELL_INT, JS, 0},
	/* a resync after an overrun: the entries the table holds now */
	[E_ENTRIES] = {"ENTRIES", "entries", KNET_CELL_INT, JS, 0},
	[NE] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

/* The Service view: one row per backend. */
enum { B_TYPE, B_NODE, B_BACKEND, B_ENDPOINT, B_READY, B_FLOWS, B_STALE, NB };

static const struct knet_column backend_cols[] = {
	[B_TYPE] = {"TYPE", "type", KNET_CELL_STR, JS, 0},
	[B_NODE] = {"NODE", "node", KNET_CELL_STR, 0, 0},
	[B_BACKEND] = {"BACKEND", "backend", KNET_CELL_STR, KNET_COL_NAME, 0},
	[B_ENDPOINT] = {"ENDPOINT", "endpoint", KNET_CELL_STR, 0, 0},
	[B_READY] = {"READY", "ready", KNET_CELL_BOOL, 0, 0},
	[B_FLOWS] = {"FLOWS", "flows", KNET_CELL_INT, KNET_COL_RIGHT, 0},
	[B_STALE] = {"STALE", "stale", KNET_CELL_INT, KNET_COL_RIGHT, 0},
	[NB] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

/* --stats: the table, then each CPU (cpu missing: the total). */
enum {
	S_TYPE,
	S_CPU,
	S_COUNT,
	S_MAX,
	S_USED,
	S_FOUND,
	S_INVALID,
	S_INSERT,
	S_INSERT_FAILED,
	S_DROP,
	S_EARLY_DROP,
	S_ERROR,
	S_RESTART,
	S_CLASH,
	S_CHAIN,
	NS,
};

#define R KNET_COL_RIGHT

static const struct knet_column stats_cols[] = {
	[S_TYPE] = {"TYPE", "type", KNET_CELL_STR, JS, 0},
	[S_CPU] = {"CPU", "cpu", KNET_CELL_INT, R, 0},
	[S_COUNT] = {"COUNT", "count", KNET_CELL_INT, R, 0},
	[S_MAX] = {"MAX", "max", KNET_CELL_INT, R, 0},
	[S_USED] = {"USED", "used_percent", KNET_CELL_PERCENT, R, 0},
	[S_FOUND] = {"FOUND", "found", KNET_CELL_INT, RW, 0},
	[S_INVALID] = {"INVALID", "invalid", KNET_CELL_INT, R, 0},
	[S_INSERT] = {"INSERT", "insert", KNET_CELL_INT, R, 0},
	[S_INSERT_FAILED] = {"INSERT_FAILED", "insert_failed", KNET_CELL_INT, R,
			     0},
	[S_DROP] = {"DROP", "drop", KNET_CELL_INT, R, 0},
	[S_EARLY_DROP] = {"EARLY_DROP", "early_drop", KNET_CELL_INT, R, 0},
	[S_ERROR] = {"ERROR", "error", KNET_CELL_INT, RW, 0},
	[S_RESTART] = {"SEARCH_RESTART", "search_restart", KNET_CELL_INT, R, 0},
	[S_CLASH] = {"CLASH_RESOLVE", "clash_resolve", KNET_CELL_INT, RW, 0},
	[S_CHAIN] = {"CHAINTOOLONG", "chaintoolong", KNET_CELL_INT, RW, 0},
	[NS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

/* A fan-out's node that did not answer, in JSON Lines. */
enum { X_TYPE, X_NODE, X_REASON, NX };

static const struct knet_column error_cols[] = {
	[X_TYPE] = {"TYPE", "type", KNET_CELL_STR, 0, 0},
	[X_NODE] = {"NODE", "node", KNET_CELL_STR, 0, 0},
	[X_REASON] = {"REASON", "reason", KNET_CELL_STR, 0, 0},
	[NX] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

/* Filter options: the long name is the key of knet_ct_filter_set(). */
static const char *const filter_keys[] = {
	"proto", "src",	   "dst",  "sport", "dport",
	"state", "status", "zone", "mark",
};

static const struct knet_opt ct_options[] = {
	{"proto", 'p', KNET_OPT_STRING, "PROTO",
	 "only this protocol (tcp, udp, icmp, sctp, ... or a number)", NULL, 0,
	 0, NULL},
	{"src", 0, KNET_OPT_STRING, "ADDR[/LEN]",
	 "original source address or prefix", NULL, 0, 0, NULL},
	{"dst", 0, KNET_OPT_STRING, "ADDR[/LEN]",
	 "original destination address or prefix", NULL, 0, 0, NULL},
	{"sport", 0, KNET_OPT_STRING, "PORT", "original source port", NULL, 0,
	 0, NULL},
	{"dport", 0, KNET_OPT_STRING, "PORT", "original destination port", NULL,
	 0, 0, NULL},
	{"state", 0, KNET_OPT_STRING, "STATE",
	 "TCP state (ESTABLISHED, TIME_WAIT...; SCTP or DCCP with -p)", NULL, 0,
	 0, NULL},
	{"status", 0, KNET_OPT_STRING, "FLAG[,FLAG]",
	 "status flags that must all hold (ASSURED, UNREPLIED...)", NULL, 0, 0,
	 NULL},
	{"nat", 0, KNET_OPT_FLAG, NULL, "only translated entries (DNAT, SNAT)",
	 NULL, 0, 0, NULL},
	{"zone", 0, KNET_OPT_STRING, "ZONE", "conntrack zone", NULL, 0, 0,
	 NULL},
	{"mark", 0, KNET_OPT_STRING, "MARK[/MASK]", "connection mark", NULL, 0,
	 0, NULL},
	{"stale", 0, KNET_OPT_FLAG, NULL,
	 "svc/NAME: only stale entries (not a ready endpoint, unanswered UDP)",
	 NULL, 0, 0, NULL},
	{"in-pod", 0, KNET_OPT_FLAG, NULL,
	 "pod target: also the table of the pod's own network namespace", NULL,
	 0, 0, NULL},
	{"events", 'E', KNET_OPT_FLAG, NULL,
	 "follow NEW, UPDATE and DESTROY events until Ctrl-C", NULL, 0, 0,
	 NULL},
	{"count", 'c', KNET_OPT_INT, "N", "with -E: stop after N events", NULL,
	 1, 1e9, NULL},
	{"buffer-size", 'b', KNET_OPT_INT, "BYTES",
	 "with -E: the receive buffer to start with (doubles on overrun)", NULL,
	 1024, 1 << 30, NULL},
	{"delete", 0, KNET_OPT_FLAG, NULL,
	 "delete the entries the filters keep (asks, or --yes)", NULL, 0, 0,
	 NULL},
	{"yes", 'y', KNET_OPT_FLAG, NULL, "with --delete: do not ask", NULL, 0,
	 0, NULL},
	{"stats", 'S', KNET_OPT_FLAG, NULL,
	 "table statistics: count, max, per-CPU counters", NULL, 0, 0, NULL},
	{"no-names", 0, KNET_OPT_FLAG, NULL,
	 "raw addresses: do not ask the cluster who owns them", NULL, 0, 0,
	 NULL},
	{"ipv4", '4', KNET_OPT_FLAG, NULL, "only IPv4 entries", NULL, 0, 0,
	 NULL},
	{"ipv6", '6', KNET_OPT_FLAG, NULL, "only IPv6 entries", NULL, 0, 0,
	 NULL},
	KNET_NODE_FANOUT_OPTIONS,
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

enum mode { M_LIST, M_EVENTS, M_DELETE, M_STATS };

/* An entry to delete, and the table it is in. */
struct del {
	struct knet_ct_entry e;
	struct knet_ct *ct;
};

/* The flag lists of the last status seen (see status_flags()). */
struct ct_flags {
	uint32_t status;
	bool valid;
	char short_buf[512], all_buf[512];
	const char *short_v[32], *all_v[32];
	int nshort, nall;
};

/* A table read: the node's or the pod's own. */
struct table {
	struct knet_ct *ct;
	const char *name; /* "node", "pod" */
	bool pod_only;	  /* keep only entries of the pod's addresses */
};

struct run {
	const struct knet_args *args;
	enum mode mode;
	struct knet_ct_filter filter;
	bool no_names, in_pod, stale_only, yes, stream;
	bool fanout; /* --all-nodes, --nodes: NODE says whose entry */
	long long count;
	const char *target;
	enum knet_target_kind kind;
	char *node_name;

	struct knet_who_index *idx;
	struct knet_ct_names *names;
	bool name_here; /* a remote run without an API: names are ours */
	struct knet_service *svc;
	struct knet_endpoints_list *eps;
	struct knet_ct_service *cs;
	unsigned char pod_addrs[8][16];
	uint8_t pod_family[8];
	int npod;

	struct table tables[2];
	int ntables;
	const struct table *cur;
	struct knet_ct_events *ev;
	struct knet_ct_stats *stats;

	struct knet_column cols[NE + 1], b_cols[NB + 1];
	struct knet_column st_cols[NS + 1], cpu_cols[NS + 1];
	struct knet_table *entries, *backends, *st, *cpus, *errors;
	unsigned long shown, stale, counters;
	unsigned long ev_new, ev_update, ev_destroy, overruns;
	unsigned long resyncs, resync_entries;
	struct del *del;
	size_t ndel, cap;
	struct ct_flags fl;
};

/* --- what to show --- */

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_DCCP;
}

static const char *name_of(struct run *run, const struct knet_ct_entry *e,
			   const unsigned char *addr)
{
	return run->no_names ? NULL
			     : knet_ct_names_get(run->names, e->family, addr);
}

/*
 * The reply's source: for a DNAT'd entry its backend, named among the
 * endpoints of the Service it was sent to (one address may be an
 * endpoint of several), else as any address.
 */
static const char *backend_of(struct run *run, const struct knet_ct_entry *e)
{
	if (run->no_names || !(knet_ct_nat(e) & KNET_CT_NAT_DNAT) ||
	    !has_ports(e->proto))
		return name_of(run, e, e->reply.src);
	return knet_ct_names_backend(run->names, e->family, e->orig.dst,
				     e->orig.dport, e->reply.src,
				     e->reply.sport);
}

/*
 * End @k (KNET_CT_ORIG_SRC...) of @e: "web/web-abc:8080", or the
 * address and port (@x, formatted once an entry) when nobody owns it.
 */
static const char *endpoint_text(struct run *run, const struct knet_ct_entry *e,
				 const struct knet_ct_ends *x, int k, char *buf,
				 size_t len)
{
	static const int port_of[4] = {0, 1, 0, 1}; /* sport, dport */
	const struct knet_ct_tuple *t = k < 2 ? &e->orig : &e->reply;
	const char *n = k == KNET_CT_REPLY_SRC
				? backend_of(run, e)
				: name_of(run, e, port_of[k] ? t->dst : t->src);

	if (!n)
		return x->end[k];
	if (has_ports(e->proto))
		snprintf(buf, len, "%s:%u", n,
			 port_of[k] ? t->dport : t->sport);
	else
		snprintf(buf, len, "%s", n);
	return buf;
}

/* "198.18.133.244:80 -> web/web-abc:8080 (DNAT)", SNAT, or both. */
static void translation(struct run *run, const struct knet_ct_entry *e,
			const struct knet_ct_ends *x, char *buf, size_t len)
{
	char b[160], d[340] = "";
	unsigned int nat = knet_ct_nat(e);

	buf[0] = '\0';
	if (nat & KNET_CT_NAT_DNAT)
		snprintf(d, sizeof(d), "%s -> %s (DNAT)",
			 x->end[KNET_CT_ORIG_DST],
			 endpoint_text(run, e, x, KNET_CT_REPLY_SRC, b,
				       sizeof(b)));
	if (nat & KNET_CT_NAT_SNAT)
		snprintf(buf, len, "%s%s%s -> %s (SNAT)", d, d[0] ? ", " : "",
			 endpoint_text(run, e, x, KNET_CT_ORIG_SRC, b,
				       sizeof(b)),
			 x->end[KNET_CT_REPLY_DST]);
	else if (d[0])
		snprintf(buf, len, "%s", d);
}

/* "SRC:PORT->DST:PORT" of ends @k and @k + 1; its length.  No printf. */
static size_t tuple_text(const struct knet_ct_ends *x, int k, char *buf,
			 size_t len)
{
	size_t na = (size_t)x->elen[k], nb = (size_t)x->elen[k + 1];

	if (na + nb + 3 > len) {
		buf[0] = '\0';
		return 0;
	}
	memcpy(buf, x->end[k], na);
	memcpy(buf + na, "->", 2);
	memcpy(buf + na + 2, x->end[k + 1], nb + 1);
	return na + nb + 2;
}

/* Status names split on commas, in @buf; @short_only: conntrack(8)'s. */
static int flag_list(uint32_t status, bool short_only, char *buf, size_t len,
		     const char **v)
{
	int n = 0;

	if (knet_ct_format_status(status, buf, len) < 0)
		return 0;
	for (char *s = buf, *next; s && *s && n < 32; s = next) {
		next = strchr(s, ',');
		if (next)
			*next++ = '\0';
		if (!short_only || !strcmp(s, "ASSURED") ||
		    !strcmp(s, "UNREPLIED") || !strcmp(s, "OFFLOAD") ||
		    !strcmp(s, "HW_OFFLOAD"))
			v[n++] = s;
	}
	return n;
}

/* @first: the src, dst, sport, dport columns of the tuple of ends @k. */
static void set_tuple_raw(struct run *run, int first,
			  const struct knet_ct_entry *e,
			  const struct knet_ct_tuple *tp,
			  const struct knet_ct_ends *x, int k)
{
	struct knet_table *t = run->entries;

	if (x->alen[k])
		knet_table_set_strn(t, first, x->addr[k], (size_t)x->alen[k]);
	if (x->alen[k + 1])
		knet_table_set_strn(t, first + 1, x->addr[k + 1],
				    (size_t)x->alen[k + 1]);
	if (has_ports(e->proto)) {
		knet_table_set_int(t, first + 2, tp->sport);
		knet_table_set_int(t, first + 3, tp->dport);
	}
}

/* The owners of a tuple's source and destination, from @first on. */
static void set_tuple_names(struct run *run, int first,
			    const struct knet_ct_entry *e,
			    const struct knet_ct_tuple *tp)
{
	const char *n;

	if (run->no_names)
		return;
	n = tp == &e->reply ? backend_of(run, e) : name_of(run, e, tp->src);
	if (n)
		knet_table_set_str(run->entries, first, n);
	n = name_of(run, e, tp->dst);
	if (n)
		knet_table_set_str(run->entries, first + 1, n);
}

/*
 * Both flag lists of a status: entries share a few statuses, so the
 * last one's lists are kept.
 */
static void status_flags(struct run *run, uint32_t status)
{
	struct ct_flags *f = &run->fl;

	if (f->valid && f->status == status)
		return;
	f->nshort = flag_list(status, true, f->short_buf, sizeof(f->short_buf),
			      f->short_v);
	f->nall = flag_list(status, false, f->all_buf, sizeof(f->all_buf),
			    f->all_v);
	f->status = status;
	f->valid = true;
}

/*
 * One entry's row, its cells set in column order: a JSON stream writes
 * each as it is set (knet_table_add_row_direct()).
 */
static int entry_row(struct run *run, const char *event,
		     const struct knet_ct_entry *e,
		     const struct knet_ct_verdict *v)
{
	struct knet_table *t = run->entries;
	struct knet_ct_ends x;
	char buf[720];
	const char *s;
	size_t n;
	int r;

	r = run->stream ? knet_table_add_row_direct(t) : knet_table_add_row(t);
	if (r < 0)
		return r;
	knet_table_set_str(t, E_TYPE, event ? "event" : "entry");
	if (event)
		knet_table_set_str(t, E_EVENT, event);
	s = knet_ct_proto_name(e->proto);
	if (s)
		knet_table_set_str(t, E_PROTO, s);
	else
		knet_table_set_strf(t, E_PROTO, "%u", e->proto);
	s = e->has & KNET_CT_HAS_STATE ? knet_ct_state_name(e->proto, e->state)
				       : NULL;
	if (s)
		knet_table_set_str(t, E_STATE, s);
	if (e->has & KNET_CT_HAS_TIMEOUT)
		knet_table_set_int(t, E_TIMEOUT, e->timeout);
	knet_ct_format_ends(e, &x);
	knet_table_set_str(
		t, E_SOURCE,
		endpoint_text(run, e, &x, KNET_CT_ORIG_SRC, buf, sizeof(buf)));
	knet_table_set_str(
		t, E_DEST,
		endpoint_text(run, e, &x, KNET_CT_ORIG_DST, buf, sizeof(buf)));
	translation(run, e, &x, buf, sizeof(buf));
	if (buf[0])
		knet_table_set_str(t, E_TRANS, buf);
	status_flags(run, e->status);
	knet_table_set_strlist(t, E_FLAGS, run->fl.short_v, run->fl.nshort);
	if (v && v->backend >= 0) {
		int nb;
		const struct knet_ct_backend *b =
			&knet_ct_service_backends(run->cs, &nb)[v->backend];

		knet_table_set_str(t, E_BACKEND, b->pod ? b->pod : b->ip);
	}
	if (v)
		knet_table_set_bool(t, E_STALE, v->stale != 0);
	n = tuple_text(&x, KNET_CT_ORIG_SRC, buf, sizeof(buf));
	knet_table_set_strn(t, E_ORIG, buf, n);
	n = tuple_text(&x, KNET_CT_REPLY_SRC, buf, sizeof(buf));
	knet_table_set_strn(t, E_REPLY, buf, n);
	knet_table_set_int(t, E_MARK, e->mark);
	knet_table_set_int(t, E_ZONE, e->zone);
	if (e->has & KNET_CT_HAS_ID)
		knet_table_set_int(t, E_ID, e->id);
	if (e->has & KNET_CT_HAS_COUNTERS) {
		knet_table_set_int(
			t, E_PACKETS,
			(long long)(e->orig_packets + e->reply_packets));
		knet_table_set_bytes(
			t, E_BYTES,
			(long long)(e->orig_bytes + e->reply_bytes));
	}
	knet_table_set_str(t, E_TABLE, run->cur ? run->cur->name : "node");
	s = knet_ct_family_name(e->family);
	if (s)
		knet_table_set_str(t, E_FAMILY, s);
	knet_table_set_int(t, E_PROTO_NUM, e->proto);
	set_tuple_raw(run, E_O_SRC, e, &e->orig, &x, KNET_CT_ORIG_SRC);
	set_tuple_raw(run, E_R_SRC, e, &e->reply, &x, KNET_CT_REPLY_SRC);
	if (e->proto == IPPROTO_ICMP || e->proto == IPPROTO_ICMPV6) {
		knet_table_set_int(t, E_ICMP_TYPE, e->orig.icmp_type);
		knet_table_set_int(t, E_ICMP_CODE, e->orig.icmp_code);
		knet_table_set_int(t, E_ICMP_ID, e->orig.icmp_id);
	}
	if (e->has & KNET_CT_HAS_STATUS) {
		knet_table_set_int(t, E_STATUS, e->status);
		knet_table_set_strlist(t, E_STATUS_FLAGS, run->fl.all_v,
				       run->fl.nall);
	}
	s = knet_ct_nat_name(knet_ct_nat(e));
	if (s[0])
		knet_table_set_str(t, E_NAT, s);
	set_tuple_names(run, E_O_SRC_NAME, e, &e->orig);
	set_tuple_names(run, E_R_SRC_NAME, e, &e->reply);
	if (e->has & KNET_CT_HAS_COUNTERS) {
		knet_table_set_int(t, E_O_PKTS, (long long)e->orig_packets);
		knet_table_set_int(t, E_O_BYTES, (long long)e->orig_bytes);
		knet_table_set_int(t, E_R_PKTS, (long long)e->reply_packets);
		knet_table_set_int(t, E_R_BYTES, (long long)e->reply_bytes);
		run->counters++;
	}
	if (v) {
		knet_table_set_str(t, E_VIA, knet_ct_svc_how_name(v->how));
		if (v->stale)
			knet_table_set_str(t, E_STALE_REASON,
					   knet_ct_stale_reason(v->stale));
	}
	return 0;
}

/* Print the row now (JSON Lines, events) or keep it for the table. */
static int emit(struct run *run, struct knet_table *t)
{
	return run->stream ? knet_table_stream_row(t) : 0;
}

static int finish(struct run *run, struct knet_table *t)
{
	if (!t || run->stream || knet_table_nrows(t) == 0)
		return 0;
	return knet_table_render(t);
}

/* --- which entries --- */

static bool of_pod(const struct run *run, const struct knet_ct_entry *e)
{
	const unsigned char *a[4] = {e->orig.src, e->orig.dst, e->reply.src,
				     e->reply.dst};
	size_t len = e->family == AF_INET ? 4 : 16;

	for (int i = 0; i < run->npod; i++)
		for (int k = 0; k < 4; k++)
			if (run->pod_family[i] == e->family &&
			    !memcmp(run->pod_addrs[i], a[k], len))
				return true;
	return false;
}

/*
 * Whether @e is one to show: the pod's, the Service's (classified in
 * @ret_v, with its backend counted), stale when --stale.
 */
static int keep(struct run *run, const struct knet_ct_entry *e,
		struct knet_ct_verdict *ret_v, bool *ret_keep)
{
	int r;

	*ret_keep = false;
	if (run->cur && run->cur->pod_only && !of_pod(run, e))
		return 0;
	if (run->cs) {
		r = knet_ct_service_classify(run->cs, e, ret_v);
		if (r < 0)
			return r;
		if (ret_v->how == KNET_CT_SVC_NONE ||
		    (run->stale_only && !ret_v->stale))
			return 0;
		if (ret_v->stale)
			run->stale++;
	}
	*ret_keep = true;
	return 0;
}

static int on_entry(const struct knet_ct_entry *e, void *ud)
{
	struct knet_node_job *job = ud;
	struct run *run = job->data;
	struct knet_ct_verdict v;
	bool k;
	int r;

	r = keep(run, e, &v, &k);
	if (r < 0 || !k)
		return r;
	if (run->mode == M_DELETE) {
		if (run->ndel == run->cap) {
			size_t cap = run->cap ? run->cap * 2 : 64;
			struct del *nd = realloc(run->del, cap * sizeof(*nd));

			if (!nd)
				return -ENOMEM;
			run->del = nd;
			run->cap = cap;
		}
		run->del[run->ndel].e = *e;
		run->del[run->ndel++].ct = run->cur->ct;
	}
	run->shown++;
	r = entry_row(run, NULL, e, run->cs ? &v : NULL);
	return r < 0 ? r : knet_table_stream_row(run->entries);
}

/* --- setting up --- */

static int tables_new(struct knet_ctx *ctx, struct run *run)
{
	struct knet_output_opts o = knet_ctx_output(ctx, NULL);
	bool events = run->mode == M_EVENTS;
	bool svc = run->kind == KNET_TARGET_SERVICE;

	/* Columns that mean nothing in this mode are left out entirely. */
	memcpy(run->cols, entry_cols, sizeof(run->cols));
	for (int i = 0; i < NE; i++) {
		bool off = (i == E_EVENT && !events) ||
			   ((i == E_OVERRUNS || i == E_ENTRIES) && !events) ||
			   ((i == E_BACKEND || i == E_STALE || i == E_VIA ||
			     i == E_STALE_REASON) &&
			    !svc) ||
			   (i == E_TABLE && !run->in_pod) ||
			   (i == E_TIMEOUT && events) ||
			   (i == E_NODE && !run->fanout);

		if (off)
			run->cols[i].flags |=
				KNET_COL_NOTABLE | KNET_COL_NOJSON;
	}
	memcpy(run->b_cols, backend_cols, sizeof(run->b_cols));
	if (!run->fanout)
		run->b_cols[B_NODE].flags |= KNET_COL_NOTABLE | KNET_COL_NOJSON;
	/* The table's own row has no CPU; a CPU's has no count or max. */
	memcpy(run->st_cols, stats_cols, sizeof(run->st_cols));
	memcpy(run->cpu_cols, stats_cols, sizeof(run->cpu_cols));
	run->st_cols[S_CPU].flags |= KNET_COL_NOTABLE | KNET_COL_NOJSON;
	for (int i = S_COUNT; i <= S_USED; i++)
		run->cpu_cols[i].flags |= KNET_COL_NOTABLE | KNET_COL_NOJSON;
	/*
	 * Entries are streamed in every format: a table may hold 262,144
	 * of them, and a rendered table keeps every cell until the end
	 * (458 MiB for 100,000 entries).  Small, fixed tables (backends,
	 * statistics) are rendered, aligned, unless in JSON.
	 */
	run->stream = events || ctx->g.format == KNET_FMT_JSON;
	if (knet_table_new(run->cols, &o, &run->entries) < 0 ||
	    knet_table_new(run->b_cols, &o, &run->backends) < 0 ||
	    knet_table_new(error_cols, &o, &run->errors) < 0 ||
	    knet_table_new(run->st_cols, &o, &run->st) < 0 ||
	    knet_table_new(run->cpu_cols, &o, &run->cpus) < 0)
		return KNET_EXIT_SYSTEM;
	knet_table_stream_header(run->entries);
	return 0;
}

/* Names, the Service and its endpoints, the pod's addresses. */
static int prepare_names(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;
	struct knet_error err = {0};

	if (!run->no_names && ctx->api &&
	    knet_who_index_new(ctx->api, &run->idx, &err) < 0)
		knet_warn(ctx, "addresses are not named: %s", err.reason);
	/* --no-names looks nothing up: no table for it (12 KiB). */
	if (!run->no_names && knet_ct_names_new(run->idx, &run->names) < 0)
		return -ENOMEM;
	return 0;
}

static int prepare_service(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;
	const struct knet_target *tg = job->tg;
	int r;

	r = knet_service_get(ctx->api, tg->ns, tg->name, &run->svc, &job->err);
	if (r == 0)
		r = knet_endpoints_list(ctx->api, tg->ns, tg->name, NULL,
					&run->eps, &job->err);
	if (r == 0)
		r = knet_ct_service_new(
			run->svc,
			knet_endpoints_list_find(run->eps, tg->ns, tg->name),
			tg->port, &run->cs, &job->err);
	if (r < 0)
		return knet_fail(ctx, &job->err, "read the Service",
				 job->target);
	/* A fallback (EndpointSlice v1 to v1beta1) leaves its reason. */
	knet_error_clear(&job->err);
	return 0;
}

static int prepare_pod(struct knet_node_job *job)
{
	struct run *run = job->data;
	const struct knet_pod *pod = job->src->place->pod;

	for (int i = 0; i < pod->ips.n && run->npod < 8; i++) {
		const char *ip = pod->ips.v[i];
		int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;

		if (inet_pton(fam, ip, run->pod_addrs[run->npod]) == 1)
			run->pod_family[run->npod++] = (uint8_t)fam;
	}
	return 0;
}

/* A table here, in the namespace we are in: opened and asked. */
static int table_open(struct run *run, struct table *t, const char *name,
		      bool pod_only, struct knet_error *err)
{
	int r = knet_ct_new(&t->ct, err);

	t->name = name;
	t->pod_only = pod_only;
	if (r < 0)
		return r;
	run->ntables++;
	if (run->mode == M_STATS)
		return knet_ct_stats_get(t->ct, &run->stats, err);
	if (run->mode == M_LIST || run->mode == M_DELETE)
		return knet_ct_dump_begin(t->ct, &run->filter, err);
	return 0;
}

/*
 * Before entering: the node's own table is the one we are in (a pod
 * target enters the pod's namespace for --in-pod only), and it is
 * asked now, privileged.
 */
static int prepare(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;
	int r;

	r = tables_new(ctx, run);
	if (r)
		return r;
	r = prepare_names(ctx, job);
	if (r)
		return r;
	if (run->kind == KNET_TARGET_SERVICE) {
		r = prepare_service(ctx, job);
		if (r)
			return r;
	}
	if (run->kind == KNET_TARGET_POD)
		prepare_pod(job);
	if (run->mode == M_EVENTS) {
		r = knet_ct_events_open(&run->filter, 0, &run->ev, &job->err);
		if (r == 0 && knet_args_has(run->args, "buffer-size"))
			knet_ct_events_set_rcvbuf(
				run->ev, (int)knet_args_int(run->args,
							    "buffer-size", 0));
		return r;
	}
	return table_open(run, &run->tables[0], "node",
			  run->kind == KNET_TARGET_POD, &job->err);
}

/* In the pod's namespace (pod targets): its own table, for --in-pod. */
static int open_pod(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;

	(void)ctx;
	if (!run->in_pod)
		return 0;
	return table_open(run, &run->tables[1], "pod", false, &job->err);
}

/* --- the work --- */

/* Once, and in every format: a remote run always prints JSON. */
static void counters_note(const struct run *run)
{
	if (run->shown && !run->counters)
		fprintf(stderr,
			"knet: note: no packet or byte counters: accounting "
			"is off in this namespace (net.netfilter."
			"nf_conntrack_acct=0; knet does not change it)\n");
}

static int backend_rows(struct run *run)
{
	int n, r = 0;
	const struct knet_ct_backend *b = knet_ct_service_backends(run->cs, &n);
	struct knet_table *t = run->backends;

	if (run->stream)
		knet_table_stream_header(t);
	for (int i = 0; i < n && r == 0; i++) {
		r = knet_table_add_row(t);
		if (r < 0)
			break;
		knet_table_set_str(t, B_TYPE, "backend");
		if (b[i].pod)
			knet_table_set_str(t, B_BACKEND, b[i].pod);
		else
			knet_table_set_str(t, B_BACKEND, "-");
		if (b[i].port)
			knet_table_set_strf(t, B_ENDPOINT, "%s:%d", b[i].ip,
					    b[i].port);
		else
			knet_table_set_str(t, B_ENDPOINT, b[i].ip);
		knet_table_set_bool(t, B_READY, b[i].ready);
		knet_table_set_tone(t, B_READY,
				    b[i].ready ? KNET_TONE_GOOD
					       : KNET_TONE_BAD);
		knet_table_set_int(t, B_FLOWS, (long long)b[i].flows);
		knet_table_set_int(t, B_STALE, (long long)b[i].stale);
		if (b[i].stale)
			knet_table_set_tone(t, B_STALE, KNET_TONE_BAD);
		r = emit(run, t);
	}
	return r;
}

/* The Service view's end: backends, and how to clear the stale. */
static int service_end(struct knet_node_job *job)
{
	struct run *run = job->data;
	const struct knet_target *tg = job->tg;
	int r;

	if (!run->stream && run->shown)
		printf("\n");
	r = backend_rows(run);
	if (r == 0)
		r = finish(run, run->backends);
	if (r < 0)
		return r;
	if (!run->stale || run->mode == M_DELETE)
		return 0;
	fprintf(stderr,
		"knet: %lu stale entr%s for svc/%s/%s (DNAT to an address "
		"that is no longer a ready endpoint, or UDP never "
		"answered); clear them with: knet conntrack svc/%s%s%s -n "
		"%s --stale --delete --yes\n",
		run->stale, run->stale == 1 ? "y" : "ies", tg->ns, tg->name,
		tg->name, tg->port ? ":" : "", tg->port ? tg->port : "",
		tg->ns);
	return KNET_EXIT_PROBLEM;
}

static int read_tables(struct knet_node_job *job)
{
	struct run *run = job->data;
	int r = 0;

	for (int i = 0; i < run->ntables && r == 0; i++) {
		run->cur = &run->tables[i];
		r = knet_ct_dump_finish(run->tables[i].ct, on_entry, job,
					&job->err);
	}
	return r;
}

static bool confirmed(struct knet_ctx *ctx, struct run *run)
{
	char line[16];

	if (run->yes)
		return true;
	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
		return false;
	(void)ctx;
	fprintf(stderr, "knet: delete these %zu conntrack entr%s? [y/N] ",
		run->ndel, run->ndel == 1 ? "y" : "ies");
	fflush(stderr);
	return fgets(line, sizeof(line), stdin) &&
	       (line[0] == 'y' || line[0] == 'Y');
}

static int run_delete(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;
	unsigned long deleted = 0, gone = 0;
	int r;

	r = read_tables(job);
	if (r < 0)
		return r;
	if (!run->ndel) {
		fprintf(stderr, "knet: no conntrack entries to delete\n");
		return 0;
	}
	if (!confirmed(ctx, run))
		return knet_usage_error(ctx,
					"not deleting %zu entr%s: --delete "
					"needs --yes, or a terminal to confirm",
					run->ndel,
					run->ndel == 1 ? "y" : "ies");
	for (size_t i = 0; i < run->ndel; i++) {
		r = knet_ct_delete(run->del[i].ct, &run->del[i].e, &job->err);
		if (r < 0)
			return r;
		if (r)
			deleted++;
		else
			gone++;
	}
	fprintf(stderr, "knet: deleted %lu conntrack entr%s", deleted,
		deleted == 1 ? "y" : "ies");
	if (gone)
		fprintf(stderr, " (%lu already gone)", gone);
	fprintf(stderr, "\n");
	return 0;
}

static void stats_row(struct knet_table *t, const char *type,
		      const struct knet_ct_cpu_stats *c)
{
	knet_table_set_str(t, S_TYPE, type);
	knet_table_set_int(t, S_FOUND, c->found);
	knet_table_set_int(t, S_INVALID, c->invalid);
	knet_table_set_int(t, S_INSERT, c->insert);
	knet_table_set_int(t, S_INSERT_FAILED, c->insert_failed);
	knet_table_set_int(t, S_DROP, c->drop);
	knet_table_set_int(t, S_EARLY_DROP, c->early_drop);
	knet_table_set_int(t, S_ERROR, c->error);
	knet_table_set_int(t, S_RESTART, c->search_restart);
	knet_table_set_int(t, S_CLASH, c->clash_resolve);
	knet_table_set_int(t, S_CHAIN, c->chaintoolong);
}

/* Full enough to warn: new flows get dropped past max. */
#define NEAR_FULL 90.0

static int run_stats(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;
	const struct knet_ct_stats *s = run->stats;
	double used = s->max ? 100.0 * s->count / s->max : 0;
	int r;

	r = knet_table_add_row(run->st);
	if (r < 0)
		return r;
	stats_row(run->st, "stats", &s->total);
	knet_table_set_int(run->st, S_COUNT, s->count);
	knet_table_set_int(run->st, S_MAX, s->max);
	knet_table_set_percent(run->st, S_USED, used);
	knet_table_set_tone(run->st, S_USED,
			    used >= NEAR_FULL ? KNET_TONE_BAD : KNET_TONE_GOOD);
	r = emit(run, run->st);
	for (int i = 0; i < s->ncpus && r == 0; i++) {
		r = knet_table_add_row(run->cpus);
		if (r < 0)
			break;
		stats_row(run->cpus, "cpu", &s->cpus[i]);
		knet_table_set_int(run->cpus, S_CPU, s->cpus[i].cpu);
		r = emit(run, run->cpus);
	}
	if (r == 0)
		r = finish(run, run->st);
	if (r == 0 && !run->stream)
		printf("\n");
	if (r == 0)
		r = finish(run, run->cpus);
	if (r < 0)
		return r;
	if (s->total.insert_failed || s->total.drop || s->total.early_drop)
		knet_warn(ctx,
			  "the table has been full: %u inserts failed, %u "
			  "packets dropped, %u early drops",
			  s->total.insert_failed, s->total.drop,
			  s->total.early_drop);
	if (used >= NEAR_FULL) {
		knet_warn(ctx,
			  "the table is %.0f%% full (%u of %u): new "
			  "connections are dropped when it is",
			  used, s->count, s->max);
		return KNET_EXIT_PROBLEM;
	}
	return 0;
}

static const char *event_name(enum knet_ct_event_type t)
{
	switch (t) {
	case KNET_CT_EVENT_NEW:
		return "NEW";
	case KNET_CT_EVENT_UPDATE:
		return "UPDATE";
	case KNET_CT_EVENT_DESTROY:
		return "DESTROY";
	default:
		return "LOST";
	}
}

/*
 * A LOST or RESYNC line (JSON only: a table says it on stderr alone);
 * @entries < 0 leaves them out.
 */
static int loss_row(struct knet_ctx *ctx, struct run *run, const char *type,
		    const char *event, long long entries)
{
	struct knet_table *t = run->entries;
	int r;

	if (ctx->g.format != KNET_FMT_JSON)
		return 0;
	r = knet_table_add_row(t);
	if (r < 0)
		return r;
	knet_table_set_str(t, E_TYPE, type);
	knet_table_set_str(t, E_EVENT, event);
	knet_table_set_int(t, E_OVERRUNS, (long long)run->overruns);
	if (entries >= 0)
		knet_table_set_int(t, E_ENTRIES, entries);
	return knet_table_stream_row(t);
}

static int lost_row(struct knet_ctx *ctx, struct run *run,
		    const struct knet_ct_event *ev)
{
	run->overruns = ev->overruns;
	knet_warn(ctx,
		  "events lost: the receive buffer overran (%lu time%s so "
		  "far, now %d bytes); the kernel does not say how many",
		  ev->overruns, ev->overruns == 1 ? "" : "s", ev->rcvbuf);
	return loss_row(ctx, run, "lost", "LOST", -1);
}

/* A resync dump: the entries the filters keep, counted. */
static int resync_entry(const struct knet_ct_entry *e, void *ud)
{
	struct run *run = ud;
	struct knet_ct_verdict v;
	bool k;
	int r = keep(run, e, &v, &k);

	if (r == 0 && k)
		run->resync_entries++;
	return r;
}

/*
 * After an overrun what the events said is incomplete: dump the table
 * again and say what it holds now (the entries the filters keep), then
 * follow the events from there.
 */
static int resync(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;
	struct knet_ct *ct = NULL;
	unsigned long stale = run->stale;
	int r;

	run->resync_entries = 0;
	r = knet_ct_new(&ct, &job->err);
	if (r == 0)
		r = knet_ct_dump_begin(ct, &run->filter, &job->err);
	if (r == 0)
		r = knet_ct_dump_finish(ct, resync_entry, run, &job->err);
	knet_ct_free(ct);
	run->stale = stale; /* a recount is not new stale flows */
	if (r < 0)
		return r;
	run->resyncs++;
	knet_warn(ctx,
		  "resynced after the overrun: %lu entr%s in the table now "
		  "(%lu new, %lu destroy events seen so far)",
		  run->resync_entries, run->resync_entries == 1 ? "y" : "ies",
		  run->ev_new, run->ev_destroy);
	return loss_row(ctx, run, "resync", "RESYNC",
			(long long)run->resync_entries);
}

static int run_events(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;
	struct knet_ct_event ev;
	unsigned long n = 0;
	int r = 0;

	while (!*job->stop && (!run->count || n < (unsigned long)run->count)) {
		struct knet_ct_verdict v;
		bool k;

		/*
		 * What is buffered goes out before waiting: a pipe sees
		 * every event as it comes, a burst costs no write per event.
		 */
		r = knet_ct_events_next(run->ev, 0, &ev, &job->err);
		if (r == 0) {
			r = knet_table_stream_flush(run->entries);
			if (r == 0)
				r = knet_ct_events_next(run->ev, 250, &ev,
							&job->err);
		}
		if (r == -EINTR || r == 0) {
			r = knet_node_check(job);
			if (r < 0)
				return r;
			continue;
		}
		if (r < 0)
			return r;
		if (ev.type == KNET_CT_EVENT_LOST) {
			r = lost_row(ctx, run, &ev);
			if (r == 0 && ev.resync)
				r = resync(ctx, job);
			if (r < 0)
				return r;
			continue;
		}
		r = keep(run, &ev.entry, &v, &k);
		if (r < 0)
			return r;
		if (!k)
			continue;
		n++;
		run->ev_new += ev.type == KNET_CT_EVENT_NEW;
		run->ev_update += ev.type == KNET_CT_EVENT_UPDATE;
		run->ev_destroy += ev.type == KNET_CT_EVENT_DESTROY;
		r = entry_row(run, event_name(ev.type), &ev.entry,
			      run->cs ? &v : NULL);
		if (r == 0)
			r = knet_table_stream_row(run->entries);
		if (r < 0)
			return r;
	}
	fprintf(stderr, "knet: %lu event%s: %lu new, %lu update, %lu destroy; ",
		n, n == 1 ? "" : "s", run->ev_new, run->ev_update,
		run->ev_destroy);
	if (run->overruns)
		fprintf(stderr, "events lost in %lu overrun%s, %lu resync%s\n",
			run->overruns, run->overruns == 1 ? "" : "s",
			run->resyncs, run->resyncs == 1 ? "" : "s");
	else
		fprintf(stderr, "none lost\n");
	return 0;
}

static int run_ct(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;
	int r;

	switch (run->mode) {
	case M_EVENTS:
		return run_events(ctx, job);
	case M_STATS:
		return run_stats(ctx, job);
	case M_DELETE:
		r = run_delete(ctx, job);
		break;
	default:
		r = read_tables(job);
		if (r == 0)
			counters_note(run);
	}
	/* Entries go out in blocks: before the backends, and all of them. */
	if (r == 0 && run->stream)
		r = knet_table_stream_flush(run->entries);
	if (r == 0 && run->cs)
		r = service_end(job);
	return r;
}

/* --- through the transport: the remote knet's JSON Lines --- */

static int remote_begin(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;
	int r = tables_new(ctx, run);

	/* A remote run without an API sends addresses: named here. */
	if (r == 0 && (knet_node_remote_no_api(ctx) || job->fanout_names) &&
	    !run->no_names) {
		run->name_here = true;
		r = prepare_names(ctx, job);
	}
	return r;
}

static void put_str(cJSON *o, const char *key, const char *value)
{
	cJSON *v = value ? cJSON_CreateString(value) : cJSON_CreateNull();

	if (v && !cJSON_ReplaceItemInObject(o, key, v))
		cJSON_Delete(v);
}

/*
 * The remote entry @o as this end would have printed it with names:
 * its tuples rebuilt from the raw fields (orig_src, ..., status), then
 * the same endpoint_text() and translation() as a local run, with the
 * names of this end's who-index.
 */
static int name_remote_entry(struct run *run, cJSON *o)
{
	struct knet_ct_entry e;
	struct knet_ct_ends x;
	char buf[720];

	if (ct_raw_entry(o, &e) < 0)
		return 0; /* left as it came */
	knet_ct_format_ends(&e, &x);
	put_str(o, "source",
		endpoint_text(run, &e, &x, KNET_CT_ORIG_SRC, buf, sizeof(buf)));
	put_str(o, "destination",
		endpoint_text(run, &e, &x, KNET_CT_ORIG_DST, buf, sizeof(buf)));
	translation(run, &e, &x, buf, sizeof(buf));
	put_str(o, "translation", buf[0] ? buf : NULL);
	put_str(o, "orig_src_name", name_of(run, &e, e.orig.src));
	put_str(o, "orig_dst_name", name_of(run, &e, e.orig.dst));
	put_str(o, "reply_src_name", backend_of(run, &e));
	put_str(o, "reply_dst_name", name_of(run, &e, e.reply.dst));
	return 0;
}

static int remote_line(struct knet_ctx *ctx, struct knet_node_job *job,
		       const char *line)
{
	struct run *run = job->data;
	cJSON *o = knet_node_remote_json(line);
	struct knet_table *t = NULL;
	const char *type;
	int r = 0;

	(void)ctx;
	if (!o)
		return 0;
	type = cJSON_GetStringValue(cJSON_GetObjectItem(o, "type"));
	if (!type)
		t = NULL;
	else if (!strcmp(type, "entry") || !strcmp(type, "event") ||
		 ((!strcmp(type, "lost") || !strcmp(type, "resync")) &&
		  ctx->g.format == KNET_FMT_JSON))
		t = run->entries;
	else if (!strcmp(type, "backend"))
		t = run->backends;
	else if (!strcmp(type, "stats"))
		t = run->st;
	else if (!strcmp(type, "cpu"))
		t = run->cpus;
	if (t == run->entries && run->name_here)
		r = name_remote_entry(run, o);
	if (t && r == 0) {
		r = knet_via_row(t, o);
		/* Fan-out: whose table (the backends' NODE is column 1 too). */
		if (r == 0 && job->node_name &&
		    (t == run->entries || t == run->backends))
			r = knet_table_set_str(
				t, t == run->entries ? E_NODE : B_NODE,
				job->node_name);
		if (r == 0)
			r = t == run->entries ? knet_table_stream_row(t)
					      : emit(run, t);
	}
	cJSON_Delete(o);
	return r;
}

static int remote_end(struct knet_ctx *ctx, struct knet_node_job *job,
		      int status)
{
	struct run *run = job->data;
	int r;

	(void)ctx;
	r = 0;
	if (knet_table_nrows(run->st)) {
		r = finish(run, run->st);
		if (!run->stream)
			printf("\n");
	}
	if (r == 0)
		r = finish(run, run->cpus);
	return r < 0 ? KNET_EXIT_SYSTEM : status;
}

/* Fan-out: a node that did not answer is a JSON line too. */
static int remote_failed(struct knet_ctx *ctx, struct knet_node_job *job,
			 const char *node, const char *reason)
{
	struct run *run = job->data;
	int r;

	if (ctx->g.format != KNET_FMT_JSON)
		return 0; /* its line on stderr says it */
	r = knet_table_stream_flush(run->entries);
	return r == 0 ? knet_node_fanout_error_row(run->errors, node, reason)
		      : r;
}

/* --all-nodes, --nodes: what a table of every node can be. */
static int fanout_check(struct knet_ctx *ctx, const struct run *run)
{
	if (run->mode != M_LIST)
		return knet_usage_error(ctx, "--all-nodes and --nodes list "
					     "tables: give no -E, --delete or "
					     "--stats");
	if (run->target && run->kind != KNET_TARGET_SERVICE)
		return knet_usage_error(ctx, "--all-nodes and --nodes read "
					     "each node's own table: give no "
					     "target or svc/NAME");
	return 0;
}

/* --- options --- */

static int read_filter(struct knet_ctx *ctx, const struct knet_args *args,
		       struct knet_ct_filter *f)
{
	struct knet_error err = {0};
	int r = 0;

	for (size_t i = 0; i < sizeof(filter_keys) / sizeof(*filter_keys);
	     i++) {
		const char *v = knet_args_str(args, filter_keys[i], NULL);

		if (v && (r = knet_ct_filter_set(f, filter_keys[i], v, &err)))
			break;
	}
	if (r == 0 && knet_args_has(args, "nat"))
		r = knet_ct_filter_set(f, "nat", NULL, &err);
	if (r == 0 &&
	    (knet_args_has(args, "ipv4") || knet_args_has(args, "ipv6")))
		r = knet_ct_filter_set(
			f, "family",
			knet_args_has(args, "ipv6") ? "ipv6" : "ipv4", &err);
	if (r == 0)
		r = knet_ct_filter_check(f, &err);
	return r < 0 ? knet_usage_error(ctx, "%s", err.reason) : 0;
}

static int read_mode(struct knet_ctx *ctx, const struct knet_args *args,
		     struct run *run)
{
	int modes = knet_args_has(args, "events") +
		    knet_args_has(args, "delete") +
		    knet_args_has(args, "stats");

	if (modes > 1)
		return knet_usage_error(ctx, "give one of -E, --delete and "
					     "--stats");
	run->mode = knet_args_has(args, "events")   ? M_EVENTS
		    : knet_args_has(args, "delete") ? M_DELETE
		    : knet_args_has(args, "stats")  ? M_STATS
						    : M_LIST;
	if (knet_args_has(args, "yes") && run->mode != M_DELETE)
		return knet_usage_error(ctx, "--yes goes with --delete");
	if (knet_args_has(args, "count") && run->mode != M_EVENTS)
		return knet_usage_error(ctx, "--count goes with -E");
	if (knet_args_has(args, "buffer-size") && run->mode != M_EVENTS)
		return knet_usage_error(ctx, "--buffer-size goes with -E");
	if (run->stale_only && run->kind != KNET_TARGET_SERVICE)
		return knet_usage_error(ctx, "--stale needs a Service target "
					     "(svc/NAME)");
	if (run->in_pod && run->kind != KNET_TARGET_POD)
		return knet_usage_error(ctx, "--in-pod needs a pod target");
	if (run->in_pod && run->mode == M_EVENTS)
		return knet_usage_error(ctx, "-E follows one table: give "
					     "--in-pod without -E");
	if (run->mode == M_STATS && run->kind != KNET_TARGET_NODE &&
	    run->target)
		return knet_usage_error(ctx, "--stats is per table: give no "
					     "target or node/NAME");
	if (ctx->g.format == KNET_FMT_NAME)
		return knet_usage_error(ctx, "conntrack entries have no "
					     "names: -o name does not apply");
	return 0;
}

/* Which table a target means, and how the pipeline gets there. */
static int read_target(struct knet_ctx *ctx, struct knet_node_job *job,
		       struct run *run)
{
	struct knet_target *t = NULL;
	struct knet_error err = {0};

	if (!run->target)
		return 0;
	if (knet_target_parse(run->target, knet_ctx_namespace(ctx), &t, &err) <
	    0)
		return knet_fail(ctx, &err, "read the target", run->target);
	run->kind = t->kind;
	switch (t->kind) {
	case KNET_TARGET_NODE:
		run->node_name = strdup(t->name);
		job->on_node = run->node_name;
		break;
	case KNET_TARGET_POD:
		/* The pod's node, found by the pod: here or remote. */
		job->so.from = run->target;
		break;
	case KNET_TARGET_SERVICE:
		job->target = run->target;
		break;
	default:
		knet_target_free(t);
		return knet_usage_error(ctx,
					"'%s': give a pod, svc/NAME or "
					"node/NAME (filter addresses with "
					"--src and --dst)",
					run->target);
	}
	knet_target_free(t);
	return 0;
}

static int conntrack_run(struct knet_ctx *ctx, struct run *run)
{
	const struct knet_args *args = run->args;
	struct knet_node_job job;
	int r;

	knet_node_job_init(&job, ctx, args);
	run->target = args->npos ? args->pos[0] : NULL;
	run->no_names = knet_args_has(args, "no-names");
	run->in_pod = knet_args_has(args, "in-pod");
	run->stale_only = knet_args_has(args, "stale");
	run->yes = knet_args_has(args, "yes");
	run->count = knet_args_int(args, "count", 0);
	run->kind = KNET_TARGET_IP;
	r = read_filter(ctx, args, &run->filter);
	if (r == 0)
		r = read_target(ctx, &job, run);
	if (r == 0)
		r = read_mode(ctx, args, run);
	run->fanout = job.fanout;
	if (r == 0 && run->fanout)
		r = fanout_check(ctx, run);
	if (r)
		goto out;
	job.verb = "read the conntrack table of";
	job.verb_from = job.verb;
	job.find_verb = "find";
	job.api_optional = !run->no_names;
	/*
	 * --delete sends a request per entry, and -E re-dumps the table
	 * after an overrun: the kernel checks CAP_NET_ADMIN on each.
	 */
	job.keep_privileges = run->mode == M_DELETE || run->mode == M_EVENTS;
	job.prepare = prepare;
	job.open = open_pod;
	job.run = run_ct;
	job.remote_begin = remote_begin;
	job.remote_line = remote_line;
	job.remote_end = remote_end;
	job.remote_failed = remote_failed;
	/* A whole table per node: named here, from one index (no API there). */
	job.fanout_names = run->fanout && !run->target;
	job.data = run;
	r = knet_node_run(ctx, &job);
	/* Fan-out: every node's backends, in one table. */
	if (run->fanout && run->backends && !run->stream &&
	    (r == 0 || r == KNET_EXIT_PROBLEM) &&
	    knet_table_nrows(run->backends)) {
		if (knet_table_stream_flush(run->entries) < 0 ||
		    printf("\n") < 0 || finish(run, run->backends) < 0)
			r = KNET_EXIT_SYSTEM;
	}
out:
	for (int i = 0; i < 2; i++)
		knet_ct_free(run->tables[i].ct);
	knet_ct_events_close(run->ev);
	knet_ct_stats_free(run->stats);
	knet_ct_service_free(run->cs);
	knet_endpoints_list_free(run->eps);
	knet_service_free(run->svc);
	knet_ct_names_free(run->names);
	knet_who_index_free(run->idx);
	knet_table_free(run->entries);
	knet_table_free(run->backends);
	knet_table_free(run->st);
	knet_table_free(run->cpus);
	knet_table_free(run->errors);
	free(run->del);
	free(run->node_name);
	knet_node_job_clear(&job);
	return r;
}

/*
 * struct run on the heap: its 6.9 KiB on the stack would all be touched
 * (-fstack-clash-protection probes every page of a frame).
 */
static int exec_conntrack(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct run *run = calloc(1, sizeof(*run));
	int r;

	if (!run) {
		fprintf(stderr, "knet: out of memory\n");
		return KNET_EXIT_SYSTEM;
	}
	run->args = args;
	r = conntrack_run(ctx, run);
	free(run);
	return r;
}

const struct knet_cmd knet_cmd_conntrack = {
	.name = "conntrack",
	.alias = "ct",
	.group = "node",
	.summary = "the node's conntrack table, in Kubernetes names",
	.usage = "[options] [node/NAME | POD | svc/NAME[:PORT]]",
	.min_args = 0,
	.max_args = 1,
	.flags = KNET_CMD_ROOT | KNET_CMD_C_LOCALE,
	.options = ct_options,
	.complete_args = "target",
	.exec = exec_conntrack,
};
