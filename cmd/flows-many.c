/* SPDX-License-Identifier: MIT */
/*
 * knet flows with many targets (several pods, -l SELECTOR, svc/NAME):
 * the capture session of `knet capture` (capture-targets.c) opens the
 * local pods' handles and runs knet on each other node with --stream,
 * which sends those pods' raw packets; the merged packets go to the
 * flow table through the capture run's sink instead of its outputs.
 * A remote run of this very command is such a raw stream, with two
 * kinds of line more: its kernel counters every second (capture's
 * "stats") and its node's conntrack notes on the targets' flows
 * ("conntrack"), which the local end adds as if read here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture-targets.h"
#include "flows-run.h"

struct many {
	struct knet_ctx *ctx;
	struct flows_run *run;
	struct capture_run *cr;
	long long next, end, keys_at, step;
	int status;
};

static long long wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The end of --once, `q`: the capture loop's own stop, remotes told. */
static void stop_capture(void)
{
	*knet_catch_stop() = SIGINT;
}

static int sink(void *data, const struct capture_iface *iface,
		const struct knet_packet *p, uint32_t flags)
{
	struct many *m = data;
	struct flows_run *run = m->run;
	long long now;

	(void)flags;
	if (p && iface) {
		run->linktype = iface->linktype;
		flows_run_packet(run, p);
		/* The clock, now and then: packets come in bursts. */
		if (run->captured % 256)
			return 0;
	}
	now = wall_ms();
	if (now - m->keys_at >= 50) {
		m->keys_at = now;
		flows_run_events(run);
		flows_run_keys(run, 0);
		if (run->quit)
			stop_capture();
	}
	if (m->end && now >= m->end) {
		m->end = 0;
		stop_capture();
	}
	if (now >= m->next) {
		m->next = now - m->next > m->step ? now + m->step
						  : m->next + m->step;
		/* Drops as the run goes: local handles, remote runs' lines. */
		run->have_stats = capture_run_live_stats(m->cr, &run->st);
		if (flows_run_tick(m->ctx, run, NULL) == -EPIPE)
			stop_capture();
	}
	return 0;
}

/* The remote run: its node's notes out as lines, between packets. */
static int poll_events(void *data)
{
	flows_run_events(data);
	return 0;
}

static int ct_line(void *data, const cJSON *o)
{
	const char *ev = cJSON_GetStringValue(cJSON_GetObjectItem(o, "event"));

	if (ev && !strcmp(ev, "conntrack"))
		return flows_run_ct_line(data, o);
	return 0;
}

/*
 * Conntrack notes on the targets' flows (the backend a ClusterIP was
 * DNAT'd to): this node's events, opened here while privileged, for
 * the targets' addresses.  Without them flows go on unnoted.
 */
static void open_notes(struct knet_ctx *ctx, struct flows_run *run,
		       const struct capture_targets *t)
{
	struct knet_error err = {0};
	bool node = false;

	for (int i = 0; i < t->n; i++) {
		struct knet_pod *pod = NULL;

		if (t->v[i].node) {
			node = true;
			continue;
		}
		if (knet_pod_get(ctx->api, t->v[i].ns, t->v[i].name, &pod,
				 &err) == 0)
			flows_run_add_pod(run, pod);
		knet_pod_free(pod);
		knet_error_clear(&err);
	}
	/* A node's own traffic is any address: every entry is wanted. */
	if (node)
		run->npod = 0;
	flows_run_open_conntrack(ctx, run, &err);
}

int flows_many(struct knet_ctx *ctx, struct flows_run *run,
	       const struct knet_args *args, int ntargets)
{
	struct capture_targets t = {0};
	struct capture_run cr;
	struct knet_error err = {0};
	struct many m = {.ctx = ctx, .run = run, .cr = &cr};
	int r;

	capture_run_init(&cr, ctx, args);
	cr.remote_stream = run->stream;
	cr.copts = run->copts;
	cr.filter = run->bpf ? strdup(run->bpf) : NULL;
	cr.copts.filter = cr.filter;
	r = capture_targets_collect(ctx, args, ntargets, run->stream, &t);
	if (r == 0 && !run->stream) {
		r = flows_run_prepare(ctx, run, NULL, false);
		snprintf(run->label, sizeof(run->label), "%d target%s%s%s", t.n,
			 t.n == 1 ? "" : "s", ctx->g.selector ? ", -l " : "",
			 ctx->g.selector ? ctx->g.selector : "");
		cr.sink = sink;
		cr.sink_data = &m;
	}
	if (r == 0 && run->stream) {
		run->ct_lines = true;
		if (flows_rows_new(ctx, run) < 0)
			r = KNET_EXIT_SYSTEM;
		cr.poll = poll_events;
		cr.poll_data = run;
	} else if (r == 0) {
		cr.on_line = ct_line;
		cr.on_line_data = run;
	}
	if (r == 0)
		open_notes(ctx, run, &t);
	if (r == 0 && cr.sink) {
		/* Its tables only: the names are flows' own, no second
		 * who index or watch for capture's decoder. */
		struct knet_api *api = ctx->api;

		ctx->api = NULL;
		r = capture_run_outputs(ctx, &cr);
		ctx->api = api;
	} else if (r == 0) {
		r = capture_run_outputs(ctx, &cr);
	}
	if (r == 0 && !run->stream) {
		m.step = (long long)(run->refresh * 1000);
		m.keys_at = wall_ms();
		m.next = m.keys_at + m.step;
		m.end = run->once ? m.keys_at + (long long)(run->once * 1000)
				  : 0;
		r = flows_run_screen(ctx, run, &err);
		if (r < 0)
			r = knet_fail(ctx, &err, "draw the flows", NULL);
	}
	if (r == 0)
		r = capture_targets_run(ctx, &cr, &t);
	if (!run->stream) {
		struct knet_capture_stats st = {0};

		for (int i = 0; i < cr.niface; i++) {
			st.drop += cr.ifaces[i].st.drop;
			st.ifdrop += cr.ifaces[i].st.ifdrop;
			run->have_stats |= cr.ifaces[i].have_stats;
		}
		run->st = st;
		flows_run_end_screen(run);
		if (r == 0)
			r = flows_run_summary(ctx, run, 0);
	}
	capture_targets_clear(&t);
	capture_run_clear(&cr);
	return r;
}
