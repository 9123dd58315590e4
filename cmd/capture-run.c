/* SPDX-License-Identifier: MIT */
/* What `knet capture` does with its packets (see capture-run.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture-run.h"
#include "knet/base.h"

enum {
	COL_EVENT,
	COL_TS,
	COL_IFACE,
	COL_LEN,
	COL_CAPLEN,
	COL_LINKTYPE,
	COL_PROTO,
	COL_SRC,
	COL_SPORT,
	COL_SRC_NAME,
	COL_DST,
	COL_DPORT,
	COL_DST_NAME,
	COL_TCP_FLAGS,
	COL_VLAN,
	COL_TUNNEL,
	COL_DNS_ID,
	COL_DNS_RCODE,
	COL_DNS_TC,
	COL_DNS_NAMES,
	COL_HTTP,
	COL_SNI,
	COL_TRUNC,
	COL_SUMMARY,
	COL_SOURCE,
	COL_FLAGS,
	COL_DATA,
	NPKT_COLS,
};

/* JSON only: text mode prints tcpdump-like lines instead. */
#define J KNET_COL_NOTABLE
static const struct knet_column pkt_cols[] = {
	[COL_EVENT] = {"EVENT", "event", KNET_CELL_STR, J, 0},
	[COL_TS] = {"TS", "ts_us", KNET_CELL_INT, J, 0},
	[COL_IFACE] = {"IFACE", "interface", KNET_CELL_STR, J, 0},
	[COL_LEN] = {"LEN", "len", KNET_CELL_INT, J, 0},
	[COL_CAPLEN] = {"CAPLEN", "caplen", KNET_CELL_INT, J, 0},
	[COL_LINKTYPE] = {"LINKTYPE", "linktype", KNET_CELL_INT, J, 0},
	[COL_PROTO] = {"PROTO", "proto", KNET_CELL_STR, J, 0},
	[COL_SRC] = {"SRC", "src", KNET_CELL_STR, J, 0},
	[COL_SPORT] = {"SPORT", "sport", KNET_CELL_INT, J, 0},
	[COL_SRC_NAME] = {"SRC-NAME", "src_name", KNET_CELL_STR, J, 0},
	[COL_DST] = {"DST", "dst", KNET_CELL_STR, J, 0},
	[COL_DPORT] = {"DPORT", "dport", KNET_CELL_INT, J, 0},
	[COL_DST_NAME] = {"DST-NAME", "dst_name", KNET_CELL_STR, J, 0},
	[COL_TCP_FLAGS] = {"FLAGS", "tcp_flags", KNET_CELL_STR, J, 0},
	[COL_VLAN] = {"VLAN", "vlan", KNET_CELL_INT, J, 0},
	[COL_TUNNEL] = {"TUNNEL", "tunnel_port", KNET_CELL_INT, J, 0},
	[COL_DNS_ID] = {"DNS-ID", "dns_id", KNET_CELL_INT, J, 0},
	[COL_DNS_RCODE] = {"RCODE", "dns_rcode", KNET_CELL_INT, J, 0},
	[COL_DNS_TC] = {"TC", "dns_tc", KNET_CELL_BOOL, J, 0},
	[COL_DNS_NAMES] = {"NAMES", "dns_names", KNET_CELL_STRLIST, J, 0},
	[COL_HTTP] = {"HTTP", "http", KNET_CELL_STR, J, 0},
	[COL_SNI] = {"SNI", "sni", KNET_CELL_STR, J, 0},
	[COL_TRUNC] = {"TRUNCATED", "truncated", KNET_CELL_STR, J, 0},
	[COL_SUMMARY] = {"SUMMARY", "summary", KNET_CELL_STR, J, 0},
	/* the remote run's raw packet: its source, EPB flags, base64 */
	[COL_SOURCE] = {"SOURCE", "source", KNET_CELL_INT, J, 0},
	[COL_FLAGS] = {"FLAGS", "flags", KNET_CELL_INT, J, 0},
	[COL_DATA] = {"DATA", "data", KNET_CELL_STR, J, 0},
	[NPKT_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

enum {
	SUM_EVENT,
	SUM_CAPTURED,
	SUM_WRITTEN,
	SUM_DROP,
	SUM_IFDROP,
	NSUM_COLS,
};

static const struct knet_column sum_cols[] = {
	[SUM_EVENT] = {"EVENT", "event", KNET_CELL_STR, J, 0},
	[SUM_CAPTURED] = {"CAPTURED", "captured", KNET_CELL_INT, J, 0},
	[SUM_WRITTEN] = {"WRITTEN", "written", KNET_CELL_INT, J, 0},
	[SUM_DROP] = {"DROPPED", "dropped_kernel", KNET_CELL_INT, J, 0},
	[SUM_IFDROP] = {"IFDROPPED", "dropped_interface", KNET_CELL_INT, J, 0},
	[NSUM_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

/* A remote run's interfaces ("source") and their counters ("stats"). */
enum {
	SRC_EVENT,
	SRC_ID,
	SRC_IFACE,
	SRC_DESC,
	SRC_LINKTYPE,
	SRC_SNAPLEN,
	SRC_RECV,
	SRC_DROP,
	SRC_IFDROP,
	NSRC_COLS,
};

static const struct knet_column src_cols[] = {
	[SRC_EVENT] = {"EVENT", "event", KNET_CELL_STR, J, 0},
	[SRC_ID] = {"SOURCE", "source", KNET_CELL_INT, J, 0},
	[SRC_IFACE] = {"IFACE", "interface", KNET_CELL_STR, J, 0},
	[SRC_DESC] = {"DESC", "description", KNET_CELL_STR, J, 0},
	[SRC_LINKTYPE] = {"LINKTYPE", "linktype", KNET_CELL_INT, J, 0},
	[SRC_SNAPLEN] = {"SNAPLEN", "snaplen", KNET_CELL_INT, J, 0},
	[SRC_RECV] = {"RECV", "received", KNET_CELL_INT, J, 0},
	[SRC_DROP] = {"DROPPED", "dropped_kernel", KNET_CELL_INT, J, 0},
	[SRC_IFDROP] = {"IFDROPPED", "dropped_interface", KNET_CELL_INT, J, 0},
	[NSRC_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};
#undef J

void capture_run_init(struct capture_run *run, struct knet_ctx *ctx,
		      const struct knet_args *args)
{
	memset(run, 0, sizeof(*run));
	run->args = args;
	run->copts.iface = knet_args_str(args, "interface", NULL);
	run->copts.snaplen = (int)knet_args_int(args, "snaplen", 0);
	run->copts.buffer_kib = (int)knet_args_int(args, "buffer-size", 0);
	run->count = knet_args_int(args, "count", 0);
	run->duration = knet_args_number(args, "duration", 0);
	run->write = knet_args_str(args, "write", NULL);
	run->pcapng = knet_args_has(args, "pcapng");
	run->packet_buffered = knet_args_has(args, "packet-buffered");
	run->hex = knet_args_has(args, "hex");
	run->hex_ascii = knet_args_has(args, "hex-ascii");
	run->fopts.path = run->write;
	run->fopts.format = knet_dump_format_for(run->write, run->pcapng);
	run->fopts.packet_buffered = run->packet_buffered;
	run->fopts.size_mb = knet_args_number(args, "file-size", 0);
	run->fopts.seconds = (int)knet_args_int(args, "rotate-seconds", 0);
	run->fopts.count = (int)knet_args_int(args, "file-count", 0);
	/*
	 * Immediate mode costs a per-frame ring (TPACKET_V2): only for a
	 * person watching text with a small snaplen.
	 */
	run->copts.immediate = !run->write && ctx->g.format != KNET_FMT_JSON &&
			       isatty(STDOUT_FILENO) && run->copts.snaplen &&
			       run->copts.snaplen <= 4096;
	/* A closed pipe is an error from write(), not a silent death. */
	signal(SIGPIPE, SIG_IGN);
}

/* Rotation opens its files as the capture goes, after the drop. */
static bool rotating(const struct capture_run *run)
{
	return run->fopts.size_mb > 0 || run->fopts.seconds > 0;
}

int capture_run_add_iface(struct capture_run *run, const char *name,
			  const char *desc, int linktype, int snaplen)
{
	struct capture_iface *n =
		realloc(run->ifaces, (run->niface + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	run->ifaces = n;
	n = &run->ifaces[run->niface];
	memset(n, 0, sizeof(*n));
	n->name = strdup(name ? name : "");
	n->desc = strdup(desc ? desc : "");
	n->linktype = linktype;
	n->snaplen = snaplen > 0 ? snaplen : KNET_CAPTURE_SNAPLEN;
	n->dump_id = -1;
	if (!n->name || !n->desc) {
		free(n->name);
		free(n->desc);
		return -ENOMEM;
	}
	return run->niface++;
}

/* An IDB for interface @i, once. */
static int describe_iface(struct capture_run *run, int i,
			  struct knet_error *err)
{
	struct capture_iface *x = &run->ifaces[i];
	int id;

	if (x->dump_id >= 0)
		return 0;
	id = knet_dump_files_add_iface(run->files, x->name, x->desc,
				       x->linktype, x->snaplen, err);
	if (id < 0)
		return id;
	x->dump_id = id;
	return 0;
}

/*
 * pcapng describes every target, also one that stayed quiet (its IDB
 * and ISB say it was captured and saw nothing); a pcap file has one
 * header, written with its first packet.
 */
static int describe_all(struct capture_run *run, struct knet_error *err)
{
	int r = 0;

	if (run->fopts.format != KNET_DUMP_PCAPNG)
		return 0;
	for (int i = 0; r == 0 && i < run->niface; i++)
		r = describe_iface(run, i, err);
	return r;
}

/* pcapng: an ISB with the kernel's counters for every interface. */
static void write_stats_blocks(struct capture_run *run)
{
	long long now = (long long)time(NULL) * 1000000;

	if (run->files)
		describe_all(run, NULL);

	for (int i = 0; run->files && i < run->niface; i++)
		if (run->ifaces[i].have_stats && run->ifaces[i].dump_id >= 0)
			knet_dump_files_iface_stats(run->files,
						    run->ifaces[i].dump_id, now,
						    &run->ifaces[i].st, NULL);
}

int capture_run_close(struct capture_run *run, struct knet_error *err)
{
	struct knet_error e = {0};
	int r = 0;

	if (run->files) {
		write_stats_blocks(run);
		/* Count what the final flush put in the file, then close. */
		r = knet_dump_files_flush(run->files, &e);
		run->written = knet_dump_files_written(run->files);
		knet_dump_files_close(run->files, NULL);
	}
	run->files = NULL;
	if (r < 0 && !run->werr.code)
		run->werr = e;
	if (r < 0 && err)
		*err = e;
	return r;
}

void capture_run_clear(struct capture_run *run)
{
	capture_run_close(run, NULL);
	/* Failed before the first read (a bad filter): leave no file. */
	if (run->created && !run->started)
		unlink(run->write);
	knet_capture_free(run->cap);
	run->cap = NULL;
	knet_capture_session_free(run->sess);
	run->sess = NULL;
	capture_names_free(run->watch);
	run->watch = NULL;
	knet_who_index_free(run->idx);
	run->idx = NULL;
	knet_table_free(run->pkts);
	knet_table_free(run->sum);
	knet_table_free(run->srcs);
	run->pkts = run->sum = run->srcs = NULL;
	for (int i = 0; i < CAPTURE_NAME_SLOTS; i++)
		free(run->names[i].label);
	memset(run->names, 0, sizeof(run->names));
	for (int i = 0; i < run->niface; i++) {
		free(run->ifaces[i].name);
		free(run->ifaces[i].desc);
	}
	free(run->ifaces);
	run->ifaces = NULL;
	run->niface = 0;
	free(run->filter);
	run->filter = NULL;
}

void capture_run_describe(const struct knet_capture_opts *copts,
			  const struct knet_source *src, char **ret_name,
			  char **ret_desc)
{
	const struct knet_pod *pod = src && src->place ? src->place->pod : NULL;
	const char *iface = copts->iface ? copts->iface : "eth0";
	int r;

	*ret_name = *ret_desc = NULL;
	if (!pod && src && !strncmp(src->label, "node ", 5)) {
		r = asprintf(ret_name, "node/%s/%s", src->label + 5, iface);
		if (r >= 0)
			r = asprintf(ret_desc, "node %s, interface %s",
				     src->label + 5, iface);
	} else if (!pod) {
		r = asprintf(ret_name, "%s", iface);
		if (r >= 0)
			r = asprintf(ret_desc, "%s %s", src ? src->label : "",
				     iface);
	} else {
		r = asprintf(ret_name, "%s/%s/%s", pod->meta.namespace,
			     pod->meta.name, iface);
		if (r >= 0)
			r = asprintf(ret_desc,
				     "pod %s/%s on node %s, IP %s, interface "
				     "%s",
				     pod->meta.namespace, pod->meta.name,
				     pod->node ? pod->node : "?",
				     pod->ips.n ? pod->ips.v[0] : "?", iface);
	}
	if (r < 0) {
		free(*ret_name);
		*ret_name = *ret_desc = NULL;
	}
}

static int open_files(struct knet_ctx *ctx, struct capture_run *run)
{
	struct knet_error err = {0};

	if (knet_dump_files_new(&run->fopts, &run->files, &err) < 0)
		return knet_fail(ctx, &err, "write", run->write);
	run->created = strcmp(run->write, "-") != 0;
	return 0;
}

int capture_run_outputs(struct knet_ctx *ctx, struct capture_run *run)
{
	struct knet_output_opts o = knet_ctx_output(ctx, NULL);
	struct knet_error err = {0};

	if (knet_table_new(pkt_cols, &o, &run->pkts) < 0 ||
	    knet_table_new(sum_cols, &o, &run->sum) < 0 ||
	    knet_table_new(src_cols, &o, &run->srcs) < 0)
		return KNET_EXIT_SYSTEM;
	if (run->remote_stream)
		return 0;
	/* One table of names at start: no API call per packet. */
	if (!run->write && ctx->api &&
	    knet_who_index_new(ctx->api, &run->idx, &err) < 0)
		knet_warn(ctx, "no names for addresses: %s", err.reason);
	/* A live capture may outlast the pods it names: follow them. */
	if (run->idx && !run->cap)
		run->watch = capture_names_new(ctx);
	return run->write && !rotating(run) ? open_files(ctx, run) : 0;
}

/*
 * The who index answers by scanning; a capture asks about the same few
 * addresses millions of times, so the answers are cached by address.
 */
static const char *namer(void *ud, const char *ip)
{
	struct capture_run *run = ud;
	struct name_slot *slot;
	unsigned h = 5381;

	if (!run->idx)
		return NULL;
	for (const char *c = ip; *c; c++)
		h = h * 33 + (unsigned char)*c;
	slot = &run->names[h % CAPTURE_NAME_SLOTS];
	if (!slot->used || strcmp(slot->ip, ip)) {
		free(slot->label);
		snprintf(slot->ip, sizeof(slot->ip), "%s", ip);
		slot->label = knet_who_index_label(run->idx, ip);
		slot->used = true;
	}
	return slot->label;
}

/* The pods changed: a new index, and the cache of answers emptied. */
static void refresh_names(struct knet_ctx *ctx, struct capture_run *run)
{
	struct knet_who_index *idx = NULL;
	struct knet_error err = {0};

	if (knet_who_index_new(ctx->api, &idx, &err) < 0) {
		knet_log(ctx, 1, "names not refreshed: %s", err.reason);
		return;
	}
	knet_log(ctx, 2, "capture: names refreshed");
	knet_who_index_free(run->idx);
	run->idx = idx;
	for (int i = 0; i < CAPTURE_NAME_SLOTS; i++)
		free(run->names[i].label);
	memset(run->names, 0, sizeof(run->names));
}

static void fmt_time(long long ts_us, char *buf, size_t size)
{
	time_t sec = (time_t)(ts_us / 1000000);
	struct tm tm;

	localtime_r(&sec, &tm);
	snprintf(buf, size, "%02d:%02d:%02d.%06lld", tm.tm_hour, tm.tm_min,
		 tm.tm_sec, ts_us % 1000000);
}

static void set_opt_str(struct knet_table *t, int col, const char *s)
{
	if (s && *s)
		knet_table_set_str(t, col, s);
}

static void set_opt_int(struct knet_table *t, int col, long long v)
{
	if (v >= 0)
		knet_table_set_int(t, col, v);
}

/* One decoded packet as JSON Lines fields. */
static int json_packet(struct capture_run *run, int iface,
		       const struct knet_packet *p,
		       const struct knet_decoded *d)
{
	struct knet_table *t = run->pkts;
	int r = knet_table_add_row(t);

	if (r < 0)
		return r;
	knet_table_set_str(t, COL_EVENT, "packet");
	knet_table_set_int(t, COL_TS, p->ts_usec);
	set_opt_str(t, COL_IFACE, run->ifaces[iface].name);
	knet_table_set_int(t, COL_LEN, p->len);
	knet_table_set_int(t, COL_CAPLEN, p->caplen);
	knet_table_set_str(t, COL_PROTO, d->proto);
	if (d->family) {
		knet_table_set_str(t, COL_SRC, d->src);
		knet_table_set_str(t, COL_DST, d->dst);
		set_opt_str(t, COL_SRC_NAME, namer(run, d->src));
		set_opt_str(t, COL_DST_NAME, namer(run, d->dst));
	}
	set_opt_int(t, COL_SPORT, d->sport);
	set_opt_int(t, COL_DPORT, d->dport);
	set_opt_str(t, COL_TCP_FLAGS, d->tcp_flags);
	set_opt_int(t, COL_VLAN, d->vlan);
	if (d->tunnel)
		knet_table_set_int(t, COL_TUNNEL, d->tunnel);
	if (d->dns_id >= 0) {
		knet_table_set_int(t, COL_DNS_ID, d->dns_id);
		set_opt_int(t, COL_DNS_RCODE, d->dns_rcode);
		knet_table_set_bool(t, COL_DNS_TC, d->dns_tc);
		knet_table_set_strlist(t, COL_DNS_NAMES, d->dns_names,
				       d->dns_nnames);
	}
	set_opt_str(t, COL_HTTP, d->http);
	set_opt_str(t, COL_SNI, d->sni);
	set_opt_str(t, COL_TRUNC, d->trunc);
	knet_table_set_str(t, COL_SUMMARY, d->text);
	return knet_table_stream_row(t);
}

/* The remote run's side: the raw packet, for the caller to handle. */
static int raw_packet(struct capture_run *run, int iface,
		      const struct knet_packet *p, uint32_t flags)
{
	struct knet_table *t = run->pkts;
	char *b64 = knet_base64_encode(p->data, p->caplen);
	int r = b64 ? knet_table_add_row(t) : -ENOMEM;

	if (r == 0) {
		knet_table_set_str(t, COL_EVENT, "raw");
		knet_table_set_int(t, COL_SOURCE, iface);
		knet_table_set_int(t, COL_TS, p->ts_usec);
		knet_table_set_int(t, COL_LEN, p->len);
		knet_table_set_int(t, COL_CAPLEN, p->caplen);
		knet_table_set_int(t, COL_LINKTYPE,
				   run->ifaces[iface].linktype);
		if (flags)
			knet_table_set_int(t, COL_FLAGS, flags);
		knet_table_set_str(t, COL_DATA, b64);
		r = knet_table_stream_row(t);
	}
	free(b64);
	return r;
}

static int text_packet(struct capture_run *run, int iface,
		       const struct knet_packet *p,
		       const struct knet_decoded *d)
{
	char ts[32];

	fmt_time(p->ts_usec, ts, sizeof(ts));
	/* Names and DNS names are escaped by the decoders already. */
	if (run->label_lines) {
		char *safe = knet_text_escape(run->ifaces[iface].name, false);

		printf("%s %s %s\n", ts, safe ? safe : "?", d->text);
		free(safe);
	} else {
		printf("%s %s\n", ts, d->text);
	}
	if (run->hex || run->hex_ascii) {
		size_t size = (size_t)p->caplen * 5 + 256;
		char *buf = malloc(size);

		if (!buf)
			return -ENOMEM;
		knet_decode_hex(p->data, p->caplen, run->hex_ascii, buf, size);
		fputs(buf, stdout);
		free(buf);
	}
	/* stdout gone (| head): stop like a closed file. */
	if (!ferror(stdout))
		return 0;
	run->stdout_gone = true;
	return -EPIPE;
}

/* 1: -G with -W made its files, the capture is over. */
static int write_packet(struct capture_run *run, int iface,
			const struct knet_packet *p, uint32_t flags,
			struct knet_error *err)
{
	struct capture_iface *x = &run->ifaces[iface];

	/* A pcap file has one link type: pods (Ethernet) with a node's
	 * "any" (Linux cooked) need pcapng. */
	if (run->fopts.format == KNET_DUMP_PCAP && x->dump_id < 0) {
		for (int i = 0; i < run->niface; i++)
			if (run->ifaces[i].dump_id >= 0 &&
			    run->ifaces[i].linktype != x->linktype)
				return knet_error_set(
					err, -EINVAL, KNET_EXIT_USAGE,
					"a pcap file holds one link type and "
					"%s has another: use --pcapng",
					x->name);
	}
	if (x->dump_id < 0) {
		int r = describe_all(run, err);

		if (r == 0)
			r = describe_iface(run, iface, err);
		if (r < 0)
			return r;
	}
	return knet_dump_files_packet(run->files, x->dump_id, p, flags, err);
}

/* One packet of interface @iface: 0, 1 (the files are done), < 0. */
static int packet(struct knet_ctx *ctx, struct capture_run *run, int iface,
		  const struct knet_packet *p, uint32_t flags,
		  struct knet_error *err)
{
	struct knet_decoded d;

	if (iface < 0 || iface >= run->niface)
		return 0;
	run->captured++;
	if (run->sink)
		return run->sink(run->sink_data, &run->ifaces[iface], p, flags);
	if (run->remote_stream)
		return raw_packet(run, iface, p, flags);
	if (run->files) {
		int r = write_packet(run, iface, p, flags, err);

		if (r == 1)
			run->captured--; /* not written: not ours */
		if (r < 0 && !run->werr.code)
			run->werr = *err;
		return r;
	}
	if (capture_names_stale(run->watch))
		refresh_names(ctx, run);
	knet_decode_packet(run->ifaces[iface].linktype, p->data, p->caplen,
			   p->len, namer, run, &d);
	if (ctx->g.format == KNET_FMT_JSON)
		return json_packet(run, iface, p, &d);
	return text_packet(run, iface, p, &d);
}

/* Why a loop stopped that is no failure: a reader went away. */
static bool reader_gone(int r)
{
	return r == -EPIPE;
}

/* The kernel's counters of the live handles, into their interfaces. */
static void take_stats(struct capture_run *run)
{
	if (run->cap && run->niface > 0 &&
	    knet_capture_stats(run->cap, &run->ifaces[0].st, NULL) == 0)
		run->ifaces[0].have_stats = !run->sess;
	for (int i = 0; run->sess && i < run->niface; i++) {
		struct knet_capture_source *s =
			knet_capture_session_source(run->sess, i);

		if (s && s->have_stats) {
			run->ifaces[i].st = s->st;
			run->ifaces[i].have_stats = true;
		}
	}
}

static bool total_stats(const struct capture_run *run,
			struct knet_capture_stats *ret);

bool capture_run_live_stats(struct capture_run *run,
			    struct knet_capture_stats *ret)
{
	if (run->sess)
		knet_capture_session_read_stats(run->sess);
	take_stats(run);
	return total_stats(run, ret);
}

/* A remote run says its counters this often while it runs. */
#define STATS_EVERY_MS 1000

/* How long the remote runs get to send their summaries after a stop. */
#define STOP_GRACE_MS 5000

/* The next packet of either kind of run: 1, 0 (none yet), < 0. */
static int next_packet(struct capture_run *run, int *ret_iface,
		       struct knet_packet *p, uint32_t *ret_flags,
		       struct knet_error *err)
{
	int r;

	if (run->sess)
		return knet_capture_session_next(run->sess, ret_iface, p,
						 ret_flags, err);
	r = knet_capture_next(run->cap, p, err);
	*ret_iface = 0;
	if (r == 1)
		*ret_flags = knet_capture_flags(run->cap, p);
	return r;
}

int capture_run_loop(struct knet_ctx *ctx, struct capture_run *run,
		     volatile sig_atomic_t *stop, struct knet_error *err)
{
	double end =
		run->duration > 0 ? knet_mono_ms() / 1e3 + run->duration : 0;
	long long grace = 0, stats_at = knet_mono_ms() + STATS_EVERY_MS;
	bool files_done = false; /* -G with -W made its files */
	unsigned int npoll = 0;
	struct knet_packet p;
	uint32_t flags = 0;
	int iface = 0, r = 0;

	if (run->cap && run->niface == 0 &&
	    capture_run_add_iface(run, knet_capture_iface(run->cap), "",
				  knet_capture_linktype(run->cap),
				  knet_capture_snaplen(run->cap)) < 0)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	if (run->cap)
		run->ifaces[0].linktype = knet_capture_linktype(run->cap);
	if (run->write && !run->files && !run->remote_stream) {
		r = open_files(ctx, run); /* rotating: as the user now */
		if (r)
			return r;
	}
	if (run->remote_stream)
		capture_run_announce(run);
	(void)capture_names_stale(run->watch); /* the watch starts */
	run->started = true;
	for (;;) {
		bool want = files_done || (stop && *stop) ||
			    (run->count &&
			     run->captured >= (unsigned long long)run->count) ||
			    (end && knet_mono_ms() / 1e3 >= end);

		if (want && !grace) {
			/* One handle: done.  A session drains what it read
			 * and what its remote runs still send. */
			if (!run->sess)
				break;
			knet_capture_session_stop(run->sess);
			if (run->on_stop)
				run->on_stop(run->on_stop_data,
					     stop && *stop ? (int)*stop
							   : SIGINT);
			grace = knet_mono_ms() + STOP_GRACE_MS;
		}
		if (grace && knet_mono_ms() > grace)
			break;
		r = next_packet(run, &iface, &p, &flags, err);
		if (run->poll && (r == 0 || ++npoll % 256 == 0)) {
			int pr = run->poll(run->poll_data);

			if (pr < 0) {
				r = pr;
				break;
			}
		}
		/* Lost data is never silent: the drops as the run goes. */
		if (run->remote_stream && knet_mono_ms() >= stats_at) {
			stats_at = knet_mono_ms() + STATS_EVERY_MS;
			if (run->sess)
				knet_capture_session_read_stats(run->sess);
			take_stats(run);
			capture_run_announce_stats(run);
			fflush(stdout);
		}
		/* Nothing for ~100 ms: the sink still looks at its clock. */
		if (r == 0 && run->sink &&
		    run->sink(run->sink_data, NULL, NULL, 0) < 0)
			break;
		if (r == 0)
			continue;
		if (r == -ENODATA) {
			r = 0;
			break;
		}
		if (r < 0)
			break;
		/* -c reached (or the files done): the rest drains unseen. */
		if (files_done ||
		    (run->count &&
		     run->captured >= (unsigned long long)run->count))
			continue;
		r = packet(ctx, run, iface, &p, flags, err);
		if (r == 1) {
			r = 0;
			if (!run->sess)
				break;
			files_done = true;
			continue;
		}
		if (r < 0)
			break;
	}
	take_stats(run);
	if (run->remote_stream)
		capture_run_announce_stats(run);
	capture_run_close(run, NULL);
	/* A write error is reported by the summary, with the counts. */
	if (r < 0 && (run->werr.code || reader_gone(r)))
		r = 0;
	return r;
}

/* One "source" or "stats" line of a remote run about interface @i. */
static int source_line(struct capture_run *run, int i, bool stats)
{
	struct knet_table *t = run->srcs;
	const struct capture_iface *x = &run->ifaces[i];
	int r = knet_table_add_row(t);

	if (r < 0)
		return r;
	knet_table_set_str(t, SRC_EVENT, stats ? "stats" : "source");
	knet_table_set_int(t, SRC_ID, i);
	if (stats) {
		knet_table_set_int(t, SRC_RECV, (long long)x->st.recv);
		knet_table_set_int(t, SRC_DROP, (long long)x->st.drop);
		knet_table_set_int(t, SRC_IFDROP, (long long)x->st.ifdrop);
	} else {
		knet_table_set_str(t, SRC_IFACE, x->name);
		knet_table_set_str(t, SRC_DESC, x->desc);
		knet_table_set_int(t, SRC_LINKTYPE, x->linktype);
		knet_table_set_int(t, SRC_SNAPLEN, x->snaplen);
	}
	return knet_table_stream_row(t);
}

int capture_run_announce(struct capture_run *run)
{
	int r = 0;

	for (int i = 0; r == 0 && i < run->niface; i++)
		r = source_line(run, i, false);
	fflush(stdout);
	return r;
}

int capture_run_announce_stats(struct capture_run *run)
{
	int r = 0;

	for (int i = 0; r == 0 && i < run->niface; i++)
		if (run->ifaces[i].have_stats)
			r = source_line(run, i, true);
	return r;
}

void capture_feed_init(struct capture_feed *feed, const char *node,
		       struct knet_capture_session *sess)
{
	memset(feed, 0, sizeof(*feed));
	feed->node = node;
	feed->sess = sess;
	feed->single = -1;
	for (int i = 0; i < CAPTURE_FEED_MAX; i++)
		feed->map[i] = -1;
}

static long long json_int(const cJSON *o, const char *key, long long def)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsNumber(v) ? (long long)cJSON_GetNumberValue(v) : def;
}

static const char *json_str(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, key));
}

/* The interface a remote run's source id stands for, -1 when unknown. */
static int feed_iface(const struct capture_feed *feed, long long id)
{
	if (id < 0 || id >= CAPTURE_FEED_MAX)
		return -1;
	if (feed->map[id] >= 0)
		return feed->map[id];
	return id == 0 ? feed->single : -1;
}

/* A remote run's interface: ours too (and the session's, same index). */
static int remote_source(struct capture_run *run, struct capture_feed *feed,
			 const cJSON *o, struct knet_error *err)
{
	long long id = json_int(o, "source", -1);
	int lt = (int)json_int(o, "linktype", 1);
	int snap = (int)json_int(o, "snaplen", KNET_CAPTURE_SNAPLEN);
	int i;

	if (id < 0 || id >= CAPTURE_FEED_MAX || feed_iface(feed, id) >= 0)
		return 0;
	i = capture_run_add_iface(run, json_str(o, "interface"),
				  json_str(o, "description"), lt, snap);
	if (i < 0)
		return knet_error_set(err, i, KNET_EXIT_SYSTEM,
				      "out of memory");
	if (feed->sess) {
		int sid = knet_capture_session_add_pushed(
			feed->sess, json_str(o, "interface"),
			json_str(o, "description"), lt, snap, err);

		if (sid < 0)
			return sid;
		if (sid != i)
			return knet_error_set(err, -EPROTO, KNET_EXIT_SYSTEM,
					      "interfaces out of step");
	}
	feed->map[id] = i;
	return 0;
}

static void remote_stats(struct capture_run *run, struct capture_feed *feed,
			 const cJSON *o, bool summary)
{
	int i = feed_iface(feed, json_int(o, "source", summary ? 0 : -1));

	/* An older remote run says it all in its summary. */
	if (i < 0 || (summary && run->ifaces[i].have_stats))
		return;
	run->ifaces[i].st.drop =
		(unsigned long long)json_int(o, "dropped_kernel", 0);
	run->ifaces[i].st.ifdrop =
		(unsigned long long)json_int(o, "dropped_interface", 0);
	run->ifaces[i].st.recv = (unsigned long long)json_int(
		o, summary ? "captured" : "received", 0);
	run->ifaces[i].have_stats = true;
}

int capture_run_remote_json(struct knet_ctx *ctx, struct capture_run *run,
			    struct capture_feed *feed, const cJSON *o,
			    struct knet_error *err)
{
	const char *ev = json_str(o, "event");
	const char *data = json_str(o, "data");
	struct knet_blob b = {0};
	struct knet_packet p;
	int iface, r;

	if (!run->started)
		(void)capture_names_stale(run->watch); /* the watch starts */
	run->started = true;
	if (!ev)
		return 0;
	if (!strcmp(ev, "source"))
		return remote_source(run, feed, o, err);
	if (!strcmp(ev, "stats") || !strcmp(ev, "summary")) {
		remote_stats(run, feed, o, !strcmp(ev, "summary"));
		if (!strcmp(ev, "summary"))
			feed->ended = true;
		return 0;
	}
	if (strcmp(ev, "raw") && strcmp(ev, "packet"))
		return run->on_line ? run->on_line(run->on_line_data, o) : 0;
	iface = feed_iface(feed, json_int(o, "source", 0));
	if (strcmp(ev, "raw") || !data || iface < 0)
		return 0;
	if (knet_base64_decode(data, &b) < 0)
		return knet_error_set(err, -EBADMSG, KNET_EXIT_SYSTEM,
				      "the remote run sent a bad packet");
	p.ts_usec = json_int(o, "ts_us", 0);
	p.len = (uint32_t)json_int(o, "len", (long long)b.len);
	p.caplen = (uint32_t)b.len;
	p.data = b.data;
	run->ifaces[iface].linktype = (int)json_int(o, "linktype", 1);
	if (feed->sess)
		r = knet_capture_session_push(feed->sess, iface, &p,
					      (uint32_t)json_int(o, "flags", 0),
					      err);
	else
		r = packet(ctx, run, iface, &p,
			   (uint32_t)json_int(o, "flags", 0), err);
	knet_blob_clear(&b);
	/* A full disk or a closed reader: stop the remote run, say so later. */
	if (r == 1 || (r < 0 && (run->werr.code || reader_gone(r))))
		r = -ECANCELED;
	return r;
}

/* Totals over the interfaces; false when none has counters. */
static bool total_stats(const struct capture_run *run,
			struct knet_capture_stats *ret)
{
	bool any = false;

	memset(ret, 0, sizeof(*ret));
	for (int i = 0; i < run->niface; i++) {
		if (!run->ifaces[i].have_stats)
			continue;
		any = true;
		ret->recv += run->ifaces[i].st.recv;
		ret->drop += run->ifaces[i].st.drop;
		ret->ifdrop += run->ifaces[i].st.ifdrop;
	}
	return any;
}

int capture_run_summary(struct knet_ctx *ctx, struct capture_run *run,
			int status)
{
	struct knet_table *t = run->sum;
	bool to_stdout = run->remote_stream ||
			 (ctx->g.format == KNET_FMT_JSON &&
			  !(run->write && !strcmp(run->write, "-")));
	struct knet_capture_stats st;
	bool have_stats = total_stats(run, &st);
	int r;

	capture_run_close(run, NULL);
	if (run->sink)
		return status;
	if (to_stdout) {
		r = knet_table_add_row(t);
		if (r == 0) {
			knet_table_set_str(t, SUM_EVENT, "summary");
			knet_table_set_int(t, SUM_CAPTURED,
					   (long long)run->captured);
			if (run->write)
				knet_table_set_int(t, SUM_WRITTEN,
						   (long long)run->written);
			if (have_stats) {
				knet_table_set_int(t, SUM_DROP,
						   (long long)st.drop);
				knet_table_set_int(t, SUM_IFDROP,
						   (long long)st.ifdrop);
			}
			r = knet_table_stream_row(t);
		}
		if (r < 0)
			status = KNET_EXIT_SYSTEM;
	}
	if (run->stdout_gone) {
		/*
		 * The reader went away (| head): what is still buffered has
		 * nobody to go to, and that is the end of the capture, not a
		 * failure of it.
		 */
		int fd = open("/dev/null", O_WRONLY);

		clearerr(stdout);
		if (fd >= 0 && dup2(fd, STDOUT_FILENO) >= 0)
			close(fd);
	}
	if (!run->remote_stream) {
		fflush(stdout);
		fprintf(stderr, "%llu packets captured", run->captured);
		if (run->write)
			fprintf(stderr, ", %llu written", run->written);
		if (have_stats)
			fprintf(stderr,
				", %llu dropped by the kernel, %llu dropped by "
				"the interface",
				st.drop, st.ifdrop);
		fprintf(stderr, "\n");
	}
	/* A reader that went away is the end of the capture, not a fault. */
	if (run->werr.code && run->werr.code != -EPIPE)
		return knet_fail(ctx, &run->werr, "write",
				 !strcmp(run->write, "-") ? "stdout"
							  : run->write);
	return status;
}

int capture_run_offline(struct knet_ctx *ctx, struct capture_run *run,
			const char *path)
{
	struct knet_error err = {0};
	int r;

	if (knet_capture_open_file(path, run->filter, &run->cap, &err) < 0)
		return knet_fail(ctx, &err, "read", path);
	ctx->api = knet_node_api_optional(ctx->g.kubeconfig, ctx->g.context,
					  ctx->g.request_timeout, &err);
	if (!ctx->api)
		knet_log(ctx, 1, "no cluster: %s", err.reason);
	if (capture_run_add_iface(run, path, "",
				  knet_capture_linktype(run->cap),
				  knet_capture_snaplen(run->cap)) < 0)
		return KNET_EXIT_SYSTEM;
	r = capture_run_outputs(ctx, run);
	if (r)
		return r;
	r = capture_run_loop(ctx, run, knet_catch_stop(), &err);
	if (r < 0)
		return knet_fail(ctx, &err, "read", path);
	/* a file has no kernel counters */
	run->ifaces[0].have_stats = false;
	return capture_run_summary(ctx, run, 0);
}
