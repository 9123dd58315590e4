/* SPDX-License-Identifier: MIT */
/* What `knet flows` does with its packets and entries (see flows-run.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flows-run.h"
#include "knet/base.h"
#include "node-common.h"

/* Packets read between looks at the clock, the keys and conntrack. */
#define BATCH 256

static long long wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void flows_run_init(struct flows_run *run, struct knet_ctx *ctx,
		    const struct knet_args *args)
{
	memset(run, 0, sizeof(*run));
	run->args = args;
	run->copts.iface = knet_args_str(args, "interface", NULL);
	run->copts.buffer_kib = (int)knet_args_int(args, "buffer-size", 0);
	/* Headers only: the table reads no payload. */
	run->copts.snaplen = (int)knet_args_int(args, "snaplen", 256);
	run->max = (size_t)knet_args_int(args, "max-flows",
					 KNET_FLOWS_MAX_DEFAULT);
	run->once = knet_args_number(args, "once", 0);
	run->refresh = knet_args_number(args, "refresh", 1);
	run->watch = knet_args_has(args, "watch");
	run->no_names = knet_args_has(args, "no-names");
	run->grep = knet_args_str(args, "grep", NULL);
	run->linktype = -1;
	run->tui = !run->once && !run->watch && isatty(STDIN_FILENO) &&
		   isatty(STDOUT_FILENO) && ctx->g.format != KNET_FMT_JSON;
}

void flows_run_clear(struct flows_run *run)
{
	knet_ui_flows_close(run->ui);
	run->ui = NULL;
	knet_capture_free(run->cap);
	knet_ct_free(run->ct);
	knet_ct_events_close(run->ev);
	knet_flows_free(run->table);
	knet_ct_names_free(run->names);
	capture_names_free(run->names_watch);
	run->names_watch = NULL;
	knet_who_index_free(run->idx);
	knet_table_free(run->rows);
	knet_table_free(run->snap);
	free(run->bpf);
	run->cap = NULL;
	run->ct = NULL;
	run->ev = NULL;
	run->table = NULL;
	run->names = NULL;
	run->idx = NULL;
	run->rows = run->snap = NULL;
	run->bpf = NULL;
}

static void describe(struct flows_run *run, const struct knet_source *src)
{
	const struct knet_pod *pod = src && src->place ? src->place->pod : NULL;
	const char *iface = run->copts.iface ? run->copts.iface : "eth0";

	if (run->source == FLOWS_FROM_CONNTRACK)
		snprintf(run->label, sizeof(run->label), "%s, conntrack",
			 src ? src->label : "this node");
	else if (pod)
		snprintf(run->label, sizeof(run->label), "pod %s/%s on %s, %s",
			 pod->meta.namespace, pod->meta.name,
			 pod->node ? pod->node : "?", iface);
	else
		snprintf(run->label, sizeof(run->label), "%s, %s",
			 src ? src->label : "this node", iface);
	if (pod)
		flows_run_add_pod(run, pod);
}

void flows_run_add_pod(struct flows_run *run, const struct knet_pod *pod)
{
	for (int i = 0; i < pod->ips.n && run->npod < FLOWS_POD_ADDRS; i++) {
		const char *ip = pod->ips.v[i];
		int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;

		if (inet_pton(fam, ip, run->pod_addrs[run->npod]) == 1)
			run->pod_family[run->npod++] = (uint8_t)fam;
	}
}

int flows_run_prepare(struct knet_ctx *ctx, struct flows_run *run,
		      const struct knet_source *src, bool on_node)
{
	struct knet_error err = {0};
	int r;

	if (on_node && !run->copts.iface)
		run->copts.iface = "any";
	describe(run, src);
	r = knet_flows_new(run->max, &run->table, &err);
	if (r < 0)
		return knet_fail(ctx, &err, "make the flow table", NULL);
	knet_flows_set_store(run->table,
			     (size_t)knet_args_int(run->args, "keep-packets",
						   KNET_FLOW_STORE_PER_FLOW),
			     (size_t)KNET_FLOW_STORE_MIB << 20);
	if (flows_rows_new(ctx, run) < 0)
		return KNET_EXIT_SYSTEM;
	/* The remote run sends addresses; names are made here. */
	if (run->stream || run->no_names || !ctx->api)
		return 0;
	if (knet_who_index_new(ctx->api, &run->idx, &err) < 0 ||
	    knet_ct_names_new(run->idx, &run->names) < 0) {
		knet_warn(ctx, "no names for addresses: %s", err.reason);
		return 0;
	}
	/* A long run outlives the pods it names: capture's pod watch. */
	run->names_watch = capture_names_new(ctx);
	return 0;
}

/* The pods changed: a new index and new names (answers were cached). */
static void refresh_names(struct knet_ctx *ctx, struct flows_run *run)
{
	struct knet_who_index *idx = NULL;
	struct knet_ct_names *names = NULL;
	struct knet_error err = {0};

	if (knet_who_index_new(ctx->api, &idx, &err) < 0 ||
	    knet_ct_names_new(idx, &names) < 0) {
		knet_log(ctx, 1, "names not refreshed: %s", err.reason);
		knet_who_index_free(idx);
		return;
	}
	knet_log(ctx, 2, "flows: names refreshed");
	knet_ct_names_free(run->names);
	knet_who_index_free(run->idx);
	run->idx = idx;
	run->names = names;
}

static bool is_pod_addr(const struct flows_run *run, uint8_t family,
			const unsigned char *a)
{
	for (int i = 0; i < run->npod; i++)
		if (run->pod_family[i] == family &&
		    !memcmp(run->pod_addrs[i], a, family == AF_INET6 ? 16 : 4))
			return true;
	return false;
}

/* A pod target keeps the entries of its addresses; a node all of them. */
static bool entry_wanted(const struct flows_run *run,
			 const struct knet_ct_entry *e)
{
	if (!run->npod)
		return true;
	return is_pod_addr(run, e->family, e->orig.src) ||
	       is_pod_addr(run, e->family, e->orig.dst) ||
	       is_pod_addr(run, e->family, e->reply.src) ||
	       is_pod_addr(run, e->family, e->reply.dst);
}

static int take_entry(const struct knet_ct_entry *e, void *ud)
{
	struct flows_run *run = ud;
	enum knet_flows_ct how = KNET_FLOWS_CT_SOURCE;

	if (!entry_wanted(run, e))
		return 0;
	if (e->has & KNET_CT_HAS_COUNTERS)
		run->counters_seen = true;
	if (run->ct_lines) {
		flows_rows_ct_entry(run, e, run->ev_new);
		return 0;
	}
	if (run->source == FLOWS_FROM_CAPTURE) {
		/* Only a new connection may be ahead of its first packet;
		 * updates of older ones note what was seen. */
		bool client = is_pod_addr(run, e->family, e->orig.src),
		     backend = is_pod_addr(run, e->family, e->reply.src) &&
			       !is_pod_addr(run, e->family, e->orig.dst);

		if (!run->npod || !run->ev_new)
			how = KNET_FLOWS_CT_NOTE;
		else if (client && backend)
			how = KNET_FLOWS_CT_NOTE_BOTH; /* both captured */
		else if (backend)
			how = KNET_FLOWS_CT_NOTE_REPLY; /* DNAT'd to the pod */
		else
			how = KNET_FLOWS_CT_NOTE_ORIG;
	}
	knet_flows_conntrack(run->table, e, wall_ms(), how);
	return 0;
}

int flows_run_open_conntrack(struct knet_ctx *ctx, struct flows_run *run,
			     struct knet_error *err)
{
	int r;

	if (run->source == FLOWS_FROM_CONNTRACK) {
		r = knet_ct_new(&run->ct, err);
		if (r == 0)
			r = knet_ct_dump_begin(run->ct, NULL, err);
		run->dump_sent = r == 0;
		return r;
	}
	/*
	 * Capturing: conntrack only adds what the node made of a flow (the
	 * backend of a ClusterIP), from events as flows start; a dump now
	 * would note flows not seen yet.  Go on without it if need be.
	 */
	r = knet_ct_events_open(NULL, KNET_CT_EVENT_NEW | KNET_CT_EVENT_UPDATE,
				&run->ev, err);
	if (r < 0)
		knet_log(ctx, 1, "no conntrack notes: %s", err->reason);
	knet_error_clear(err);
	return 0;
}

int flows_run_open_capture(struct flows_run *run, struct knet_error *err)
{
	run->copts.filter = run->bpf;
	return knet_capture_open(&run->copts, &run->cap, err);
}

void flows_run_packet(struct flows_run *run, const struct knet_packet *p)
{
	struct knet_headers h;

	run->captured++;
	if (knet_decode_headers(run->linktype, p->data, p->caplen, p->len, &h) <
	    0)
		knet_flows_other(run->table, p->len);
	else
		knet_flows_packet(run->table, &h, p->ts_usec, run->linktype,
				  p->data, p->caplen);
}

int flows_run_ct_line(struct flows_run *run, const cJSON *o)
{
	struct knet_ct_entry e;
	bool is_new;

	if (!run->table || flows_rows_parse_ct_entry(o, &e, &is_new) < 0)
		return 0;
	run->ev_new = is_new;
	take_entry(&e, run);
	run->ev_new = false;
	return 0;
}

void flows_run_events(struct flows_run *run)
{
	struct knet_ct_event ev;

	for (int i = 0; run->ev && i < BATCH; i++) {
		int r = knet_ct_events_next(run->ev, 0, &ev, NULL);

		if (r <= 0)
			return;
		run->ev_new = ev.type == KNET_CT_EVENT_NEW;
		if (ev.type != KNET_CT_EVENT_LOST)
			take_entry(&ev.entry, run);
		run->ev_new = false;
	}
	if (run->ct_lines)
		knet_table_stream_flush(run->rows);
}

static int dump(struct flows_run *run, struct knet_error *err)
{
	uint64_t gen = knet_flows_generation(run->table);
	int r;

	if (!run->dump_sent) {
		r = knet_ct_dump_begin(run->ct, NULL, err);
		if (r < 0)
			return r;
	}
	run->dump_sent = false;
	r = knet_ct_dump_finish(run->ct, take_entry, run, err);
	if (r == 0 && run->source == FLOWS_FROM_CONNTRACK)
		knet_flows_sweep(run->table, gen);
	return r;
}

/* Shown: flows with packets, or a problem (an ICMP error's flow). */
static bool shown(const struct knet_flow *f, void *ud)
{
	const struct flows_run *run = ud;

	if (run->source == FLOWS_FROM_CONNTRACK)
		return true;
	return f->packets[0] + f->packets[1] ||
	       (knet_flow_flags(f, run->now_ms) & KNET_FLOW_F_PROBLEMS);
}

static struct knet_ui_flows_view view_of(struct flows_run *run)
{
	struct knet_ui_flows_view v = {
		.table = run->table,
		.now_ms = run->now_ms,
		.label = run->label,
		.source = run->source == FLOWS_FROM_CONNTRACK ? "conntrack"
							      : "capture",
		.have_drops = run->have_stats,
		.captured = run->captured,
		.dropped = run->st.drop,
		.ifdropped = run->st.ifdrop,
		.counters_off = run->source == FLOWS_FROM_CONNTRACK &&
				!run->counters_seen,
		.refresh = run->refresh,
		.name = flows_name,
		.backend = flows_backend_name,
		.name_ud = run,
		.keep = shown,
		.keep_ud = run,
	};

	return v;
}

/* One snapshot as JSON Lines: --watch, and what a remote run sends. */
static int print_snapshot(struct flows_run *run)
{
	const struct knet_flow **v;
	size_t n;
	int r = knet_flows_snapshot(run->table, run->now_ms,
				    KNET_FLOW_SORT_BYTES, false, shown, run, &v,
				    &n);

	if (r == 0)
		r = flows_rows_snapshot(run, "snapshot", n);
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = flows_rows_add(run, v[i], run->stream);
		if (r == 0)
			r = knet_table_stream_row(run->rows);
	}
	if (r == 0)
		r = flows_rows_snapshot(run, "end", n);
	if (r == 0)
		r = knet_table_stream_flush(run->rows);
	fflush(stdout);
	return ferror(stdout) ? -EPIPE : r;
}

static void counters_note(struct flows_run *run)
{
	struct knet_flows_stats st;

	knet_flows_get_stats(run->table, &st);
	if (run->source != FLOWS_FROM_CONNTRACK || run->counters_seen ||
	    run->counters_warned || !st.count || run->tui || run->stream)
		return;
	run->counters_warned = true;
	fprintf(stderr, "knet: conntrack accounting is off on this node "
			"(nf_conntrack_acct=0): no packet or byte counters\n");
}

/* The 1 Hz work: conntrack, counters, and the screen or the lines. */
int flows_run_tick(struct knet_ctx *ctx, struct flows_run *run,
		   struct knet_error *err)
{
	int r = 0;

	if (capture_names_stale(run->names_watch))
		refresh_names(ctx, run);
	if (run->ct && (run->source == FLOWS_FROM_CONNTRACK || run->dump_sent))
		r = dump(run, err);
	if (r < 0)
		return r;
	run->now_ms = wall_ms();
	if (run->cap && knet_capture_stats(run->cap, &run->st, NULL) == 0)
		run->have_stats = true;
	counters_note(run);
	if (run->ui) {
		struct knet_ui_flows_view v = view_of(run);

		if (!knet_ui_flows_paused(run->ui))
			knet_ui_flows_draw(run->ui, &v);
	} else if (run->watch || run->stream) {
		r = print_snapshot(run);
	}
	return r;
}

int flows_run_keys(struct flows_run *run, int timeout_ms)
{
	struct knet_ui_flows_view v;

	if (!run->ui) {
		if (timeout_ms > 0)
			poll(NULL, 0, timeout_ms);
		return 0;
	}
	run->now_ms = wall_ms();
	v = view_of(run);
	switch (knet_ui_flows_keys(run->ui, &v, timeout_ms)) {
	case KNET_UI_QUIT:
		run->quit = true;
		break;
	case KNET_UI_RESET:
		knet_flows_reset_counters(run->table);
		run->captured = 0;
		knet_ui_flows_draw(run->ui, &v);
		break;
	case KNET_UI_REDRAW:
		knet_ui_flows_draw(run->ui, &v);
		break;
	default:
		break;
	}
	return 0;
}

int flows_run_screen(struct knet_ctx *ctx, struct flows_run *run,
		     struct knet_error *err)
{
	if (!run->tui)
		return 0;
	return knet_ui_flows_open(run->grep, ctx->color_out, &run->ui, err);
}

int flows_run_loop(struct knet_ctx *ctx, struct flows_run *run,
		   volatile sig_atomic_t *stop, struct knet_error *err)
{
	long long now = wall_ms(), step = (long long)(run->refresh * 1000);
	long long next = now + step,
		  end = run->once ? now + run->once * 1000 : 0;
	long long keys_at = now;
	struct knet_packet p;
	int r = flows_run_screen(ctx, run, err);

	if (r < 0)
		return r;
	if (run->cap)
		run->linktype = knet_capture_linktype(run->cap);
	run->now_ms = now;
	if (run->ui)
		r = flows_run_tick(ctx, run, err);
	while (r >= 0 && !(stop && *stop) && !run->quit) {
		for (int i = 0; run->cap && i < BATCH; i++) {
			r = knet_capture_next(run->cap, &p, err);
			if (r <= 0)
				break;
			flows_run_packet(run, &p);
		}
		if (r < 0)
			break;
		flows_run_events(run);
		now = wall_ms();
		if (now - keys_at >= 50 || !run->cap) {
			long long wait = run->cap ? 0 : next - now;

			flows_run_keys(run, wait > 100 ? 100
					    : wait < 0 ? 0
						       : (int)wait);
			keys_at = now = wall_ms();
		}
		if (end && now >= end)
			break;
		if (now >= next) {
			r = flows_run_tick(ctx, run, err);
			next = now - next > step ? now + step : next + step;
		}
	}
	if (run->cap && knet_capture_stats(run->cap, &run->st, NULL) == 0)
		run->have_stats = true;
	if (run->ct && run->source == FLOWS_FROM_CONNTRACK && r >= 0)
		r = dump(run, err);
	run->now_ms = wall_ms();
	flows_run_end_screen(run);
	/* A reader that went away ends --watch; that is no failure. */
	return r == -EPIPE ? 0 : r < 0 ? r : 0;
}

static int print_final(struct knet_ctx *ctx, struct flows_run *run)
{
	const struct knet_flow **v;
	int sort =
		knet_flow_sort_parse(knet_args_str(run->args, "sort", "bytes"));
	size_t n;
	int r;

	(void)ctx;
	r = knet_flows_snapshot(run->table, run->now_ms,
				sort < 0 ? KNET_FLOW_SORT_BYTES
					 : (enum knet_flow_sort)sort,
				false, shown, run, &v, &n);
	for (size_t i = 0; r == 0 && i < n; i++)
		if (!run->grep ||
		    knet_flow_match_text(v[i], run->grep, flows_name, run))
			r = flows_rows_add(run, v[i], false);
	return r < 0 ? r : knet_table_render(run->rows);
}

void flows_run_end_screen(struct flows_run *run)
{
	knet_ui_flows_close(run->ui);
	run->ui = NULL;
}

int flows_run_summary(struct knet_ctx *ctx, struct flows_run *run, int status)
{
	struct knet_flows_stats st;

	if (run->stream)
		return status;
	if (!run->watch && !run->tui && status == 0 &&
	    print_final(ctx, run) < 0)
		status = KNET_EXIT_SYSTEM;
	fflush(stdout);
	knet_flows_get_stats(run->table, &st);
	if (run->source == FLOWS_FROM_CONNTRACK)
		fprintf(stderr, "%zu flows from conntrack%s\n", st.count,
			run->counters_seen ? ""
					   : " (accounting off: no counters)");
	else
		fprintf(stderr,
			"%llu packets captured, %llu dropped by the kernel, "
			"%llu dropped by the interface; %zu flows, %llu "
			"evicted\n",
			run->captured, run->st.drop, run->st.ifdrop, st.count,
			st.evicted);
	return status;
}

/* --- the local end of a remote run --- */

static double num(const cJSON *o, const char *key)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItem(o, key));
}

static void remote_header(struct flows_run *run, const cJSON *o)
{
	run->now_ms = (long long)num(o, "now_us") / 1000;
	run->captured = (unsigned long long)num(o, "captured");
	run->have_stats = cJSON_GetObjectItem(o, "dropped_kernel") != NULL;
	run->st.drop = (unsigned long long)num(o, "dropped_kernel");
	run->st.ifdrop = (unsigned long long)num(o, "dropped_interface");
	run->counters_seen = cJSON_IsTrue(cJSON_GetObjectItem(o, "counters"));
}

static int remote_end_snapshot(struct knet_ctx *ctx, struct flows_run *run)
{
	knet_flows_sweep(run->table, run->gen);
	run->in_snapshot = false;
	counters_note(run);
	if (capture_names_stale(run->names_watch))
		refresh_names(ctx, run);
	if (run->ui) {
		struct knet_ui_flows_view v = view_of(run);

		if (!knet_ui_flows_paused(run->ui))
			knet_ui_flows_draw(run->ui, &v);
		return 0;
	}
	return run->watch ? print_snapshot(run) : 0;
}

int flows_run_remote_line(struct knet_ctx *ctx, struct flows_run *run,
			  const char *line, struct knet_error *err)
{
	cJSON *o = knet_node_remote_json(line);
	const char *ev;
	struct knet_flow f;
	int r = 0;

	if (!run->ui && run->tui) {
		r = flows_run_screen(ctx, run, err);
		if (r < 0)
			return r;
	}
	if (!o)
		return 0;
	ev = cJSON_GetStringValue(cJSON_GetObjectItem(o, "event"));
	if (ev && !strcmp(ev, "snapshot")) {
		remote_header(run, o);
		run->gen = knet_flows_generation(run->table);
		run->in_snapshot = true;
	} else if (ev && !strcmp(ev, "flow") && run->in_snapshot) {
		if (flows_rows_parse(o, &f) == 0)
			knet_flows_mirror(run->table, &f, run->gen);
	} else if (ev && !strcmp(ev, "end") && run->in_snapshot) {
		remote_header(run, o);
		r = remote_end_snapshot(ctx, run);
	}
	cJSON_Delete(o);
	if (r == 0)
		r = flows_run_keys(run, 0);
	if (r == 0 && run->quit)
		r = -ECANCELED;
	return r;
}
