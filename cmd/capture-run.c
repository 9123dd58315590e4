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
	/* the remote run's raw packet, base64 */
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
#undef J

void capture_run_init(struct capture_run *run, struct knet_ctx *ctx,
		      const struct knet_args *args)
{
	memset(run, 0, sizeof(*run));
	run->args = args;
	run->dump_fd = -1;
	run->iface_id = -1;
	run->linktype = -1;
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

int capture_run_close(struct capture_run *run, struct knet_error *err)
{
	struct knet_error e = {0};
	int r = 0;

	if (run->dump) {
		/* Count what the final flush put in the file, then close. */
		r = knet_dump_flush(run->dump, &e);
		run->written = knet_dump_written(run->dump);
		knet_dump_close(run->dump, NULL);
	}
	run->dump = NULL;
	if (r < 0 && !run->werr.code)
		run->werr = e;
	if (run->dump_fd > STDOUT_FILENO)
		close(run->dump_fd);
	run->dump_fd = -1;
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
	knet_who_index_free(run->idx);
	run->idx = NULL;
	knet_table_free(run->pkts);
	knet_table_free(run->sum);
	run->pkts = run->sum = NULL;
	for (int i = 0; i < CAPTURE_NAME_SLOTS; i++)
		free(run->names[i].label);
	memset(run->names, 0, sizeof(run->names));
	free(run->filter);
	run->filter = NULL;
}

void capture_run_describe(struct capture_run *run,
			  const struct knet_source *src)
{
	const struct knet_pod *pod = src && src->place ? src->place->pod : NULL;
	const char *iface = run->copts.iface ? run->copts.iface : "eth0";

	if (!pod) {
		snprintf(run->iface_name, sizeof(run->iface_name), "%s", iface);
		snprintf(run->iface_desc, sizeof(run->iface_desc), "%s %s",
			 src ? src->label : "", iface);
		return;
	}
	snprintf(run->iface_name, sizeof(run->iface_name), "%s/%s/%s",
		 pod->meta.namespace, pod->meta.name, iface);
	snprintf(run->iface_desc, sizeof(run->iface_desc),
		 "pod %s/%s on node %s, IP %s, interface %s",
		 pod->meta.namespace, pod->meta.name,
		 pod->node ? pod->node : "?", pod->ips.n ? pod->ips.v[0] : "?",
		 iface);
}

static int open_file(struct knet_ctx *ctx, struct capture_run *run)
{
	struct knet_error err = {0};
	int fd = STDOUT_FILENO;

	if (strcmp(run->write, "-")) {
		fd = open(run->write, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0644);
		if (fd < 0) {
			knet_error_set(&err, -errno, KNET_EXIT_SYSTEM, "%s",
				       knet_errstr(errno));
			return knet_fail(ctx, &err, "write", run->write);
		}
	}
	run->dump_fd = fd;
	run->created = fd != STDOUT_FILENO;
	if (knet_dump_new(fd, knet_dump_format_for(run->write, run->pcapng),
			  run->packet_buffered, &run->dump, &err) < 0)
		return knet_fail(ctx, &err, "write", run->write);
	return 0;
}

int capture_run_outputs(struct knet_ctx *ctx, struct capture_run *run)
{
	struct knet_output_opts o = knet_ctx_output(ctx, NULL);
	struct knet_error err = {0};

	if (knet_table_new(pkt_cols, &o, &run->pkts) < 0 ||
	    knet_table_new(sum_cols, &o, &run->sum) < 0)
		return KNET_EXIT_SYSTEM;
	if (run->remote_stream)
		return 0;
	/* One table of names at start: no API call per packet. */
	if (!run->write && ctx->api &&
	    knet_who_index_new(ctx->api, &run->idx, &err) < 0)
		knet_warn(ctx, "no names for addresses: %s", err.reason);
	return run->write ? open_file(ctx, run) : 0;
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
static int json_packet(struct capture_run *run, const struct knet_packet *p,
		       const struct knet_decoded *d)
{
	struct knet_table *t = run->pkts;
	int r = knet_table_add_row(t);

	if (r < 0)
		return r;
	knet_table_set_str(t, COL_EVENT, "packet");
	knet_table_set_int(t, COL_TS, p->ts_usec);
	set_opt_str(t, COL_IFACE, run->iface_name);
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
static int raw_packet(struct capture_run *run, const struct knet_packet *p)
{
	struct knet_table *t = run->pkts;
	char *b64 = knet_base64_encode(p->data, p->caplen);
	int r = b64 ? knet_table_add_row(t) : -ENOMEM;

	if (r == 0) {
		knet_table_set_str(t, COL_EVENT, "raw");
		knet_table_set_int(t, COL_TS, p->ts_usec);
		knet_table_set_int(t, COL_LEN, p->len);
		knet_table_set_int(t, COL_CAPLEN, p->caplen);
		knet_table_set_int(t, COL_LINKTYPE, run->linktype);
		knet_table_set_str(t, COL_DATA, b64);
		r = knet_table_stream_row(t);
	}
	free(b64);
	return r;
}

static int text_packet(struct knet_ctx *ctx, struct capture_run *run,
		       const struct knet_packet *p,
		       const struct knet_decoded *d)
{
	char ts[32];

	fmt_time(p->ts_usec, ts, sizeof(ts));
	/* Names and DNS names are escaped by the decoders already. */
	printf("%s %s\n", ts, d->text);
	if (run->hex || run->hex_ascii) {
		size_t size = (size_t)p->caplen * 5 + 256;
		char *buf = malloc(size);

		if (!buf)
			return -ENOMEM;
		knet_decode_hex(p->data, p->caplen, run->hex_ascii, buf, size);
		fputs(buf, stdout);
		free(buf);
	}
	(void)ctx;
	/* stdout gone (| head): stop like a closed file. */
	if (!ferror(stdout))
		return 0;
	run->stdout_gone = true;
	return -EPIPE;
}

static int write_packet(struct capture_run *run, const struct knet_packet *p,
			struct knet_error *err)
{
	if (run->iface_id < 0) {
		int id = knet_dump_add_iface(run->dump, run->iface_name,
					     run->iface_desc, run->linktype,
					     run->copts.snaplen
						     ? run->copts.snaplen
						     : KNET_CAPTURE_SNAPLEN,
					     err);
		if (id < 0)
			return id;
		run->iface_id = id;
	}
	return knet_dump_packet(run->dump, run->iface_id, p, 0, err);
}

static int packet(struct knet_ctx *ctx, struct capture_run *run,
		  const struct knet_packet *p, struct knet_error *err)
{
	struct knet_decoded d;

	run->captured++;
	if (run->remote_stream)
		return raw_packet(run, p);
	if (run->dump) {
		int r = write_packet(run, p, err);

		if (r < 0 && !run->werr.code)
			run->werr = *err;
		return r;
	}
	knet_decode_packet(run->linktype, p->data, p->caplen, p->len, namer,
			   run, &d);
	if (ctx->g.format == KNET_FMT_JSON)
		return json_packet(run, p, &d);
	return text_packet(ctx, run, p, &d);
}

/* Why a loop stopped that is no failure: a reader went away. */
static bool reader_gone(int r)
{
	return r == -EPIPE;
}

int capture_run_loop(struct knet_ctx *ctx, struct capture_run *run,
		     volatile sig_atomic_t *stop, struct knet_error *err)
{
	double end =
		run->duration > 0 ? knet_mono_ms() / 1e3 + run->duration : 0;
	struct knet_packet p;
	int r = 0;

	run->linktype = knet_capture_linktype(run->cap);
	run->started = true;
	while (!(stop && *stop)) {
		if (run->count &&
		    run->captured >= (unsigned long long)run->count)
			break;
		if (end && knet_mono_ms() / 1e3 >= end)
			break;
		r = knet_capture_next(run->cap, &p, err);
		if (r == 0)
			continue;
		if (r == -ENODATA) {
			r = 0;
			break;
		}
		if (r < 0)
			break;
		r = packet(ctx, run, &p, err);
		if (r < 0)
			break;
	}
	if (knet_capture_stats(run->cap, &run->st, NULL) == 0)
		run->have_stats = true;
	if (run->dump && run->iface_id >= 0 && run->have_stats)
		knet_dump_iface_stats(run->dump, run->iface_id,
				      (long long)time(NULL) * 1000000, &run->st,
				      NULL);
	capture_run_close(run, NULL);
	/* A write error is reported by the summary, with the counts. */
	if (r < 0 && (run->werr.code || reader_gone(r)))
		r = 0;
	return r;
}

int capture_run_remote_json(struct knet_ctx *ctx, struct capture_run *run,
			    const cJSON *o, struct knet_error *err)
{
	const char *ev = cJSON_GetStringValue(cJSON_GetObjectItem(o, "event"));
	const char *data;
	struct knet_blob b = {0};
	struct knet_packet p;
	int r;

	run->started = true;
	if (ev && !strcmp(ev, "summary")) {
		run->st.drop = (unsigned long long)cJSON_GetNumberValue(
			cJSON_GetObjectItem(o, "dropped_kernel"));
		run->st.ifdrop = (unsigned long long)cJSON_GetNumberValue(
			cJSON_GetObjectItem(o, "dropped_interface"));
		run->st.recv = (unsigned long long)cJSON_GetNumberValue(
			cJSON_GetObjectItem(o, "captured"));
		run->have_stats = true;
		if (run->dump && run->iface_id >= 0)
			knet_dump_iface_stats(run->dump, run->iface_id,
					      (long long)time(NULL) * 1000000,
					      &run->st, NULL);
		return 0;
	}
	data = cJSON_GetStringValue(cJSON_GetObjectItem(o, "data"));
	if (!ev || strcmp(ev, "raw") || !data)
		return 0;
	if (knet_base64_decode(data, &b) < 0)
		return knet_error_set(err, -EBADMSG, KNET_EXIT_SYSTEM,
				      "the remote run sent a bad packet");
	p.ts_usec = (long long)cJSON_GetNumberValue(
		cJSON_GetObjectItem(o, "ts_us"));
	p.len = (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "len"));
	p.caplen = (uint32_t)b.len;
	p.data = b.data;
	run->linktype =
		(int)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "linktype"));
	r = packet(ctx, run, &p, err);
	knet_blob_clear(&b);
	/* A full disk or a closed reader: stop the remote run, say so later. */
	if (r < 0 && (run->werr.code || reader_gone(r)))
		r = -ECANCELED;
	return r;
}

int capture_run_summary(struct knet_ctx *ctx, struct capture_run *run,
			int status)
{
	struct knet_table *t = run->sum;
	bool to_stdout = run->remote_stream ||
			 (ctx->g.format == KNET_FMT_JSON &&
			  !(run->write && !strcmp(run->write, "-")));
	int r;

	capture_run_close(run, NULL);
	if (to_stdout) {
		r = knet_table_add_row(t);
		if (r == 0) {
			knet_table_set_str(t, SUM_EVENT, "summary");
			knet_table_set_int(t, SUM_CAPTURED,
					   (long long)run->captured);
			if (run->write)
				knet_table_set_int(t, SUM_WRITTEN,
						   (long long)run->written);
			if (run->have_stats) {
				knet_table_set_int(t, SUM_DROP,
						   (long long)run->st.drop);
				knet_table_set_int(t, SUM_IFDROP,
						   (long long)run->st.ifdrop);
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
		if (run->have_stats)
			fprintf(stderr,
				", %llu dropped by the kernel, %llu dropped by "
				"the interface",
				run->st.drop, run->st.ifdrop);
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
	snprintf(run->iface_name, sizeof(run->iface_name), "%s", path);
	r = capture_run_outputs(ctx, run);
	if (r)
		return r;
	r = capture_run_loop(ctx, run, knet_catch_stop(), &err);
	if (r < 0)
		return knet_fail(ctx, &err, "read", path);
	run->have_stats = false; /* a file has no kernel counters */
	return capture_run_summary(ctx, run, 0);
}
