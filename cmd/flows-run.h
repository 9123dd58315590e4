/* SPDX-License-Identifier: MIT */
#ifndef KNET_FLOWS_RUN_H
#define KNET_FLOWS_RUN_H

/*
 * The work of `knet flows` around the node pipeline: where flows come
 * from (captured headers of the pod, the node's conntrack, or a remote
 * knet's snapshots), the read loop with its 1 Hz tick, and where they
 * go (the screen of cmd/ui, a table or JSON after --once, JSON Lines
 * with --watch, snapshots for the local end of a remote run).
 */

#include <signal.h>
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "capture-names.h"
#include "cmd.h"
#include "knet/analysis.h"
#include "knet/capture.h"
#include "knet/flows.h"
#include "knet/netlink.h"
#include "knet/node.h"
#include "knet/objects.h"
#include "ui/ui.h"

#define FLOWS_POD_ADDRS 64

enum flows_source {
	FLOWS_FROM_CAPTURE,
	FLOWS_FROM_CONNTRACK,
};

struct flows_run {
	const struct knet_args *args;
	struct knet_capture_opts copts;
	char *bpf; /* --filter, for the capture */
	enum flows_source source;
	size_t max;
	double once;	/* --once SECONDS, 0: none */
	double refresh; /* seconds between ticks */
	bool watch;	/* JSON Lines snapshots */
	bool tui;	/* the screen (a terminal, no --once/--watch) */
	bool stream;	/* we are the remote run: snapshots out */
	bool remote;	/* we draw a remote run's snapshots */
	bool no_names;
	/* The remote run of several targets: conntrack notes go out as
	 * lines of its raw stream, for the local end's table. */
	bool ct_lines;
	const char *grep; /* --grep: the substring filter to start with */
	char label[256];  /* what is watched: "pod client/client eth0" */

	struct knet_flows *table;
	struct knet_capture *cap;
	int linktype;
	struct knet_ct *ct;	   /* conntrack dumps */
	struct knet_ct_events *ev; /* conntrack notes on captured flows */
	bool dump_sent;		   /* a dump request waits to be read */
	bool ev_new;		   /* the event being read is a NEW one */
	uint8_t pod_addrs[FLOWS_POD_ADDRS][16];
	uint8_t pod_family[FLOWS_POD_ADDRS];
	int npod;

	struct knet_who_index *idx;
	struct knet_ct_names *names;
	struct capture_names *names_watch; /* keeps idx current (capture's) */
	struct knet_table *rows, *snap;
	struct knet_ui_flows *ui;

	/* The header's numbers (a remote run's, when remote). */
	struct knet_capture_stats st;
	bool have_stats;
	unsigned long long captured, evicted, flows;
	bool counters_seen, counters_warned;
	long long now_ms; /* the view's clock */
	uint64_t gen;	  /* remote: the snapshot being read */
	bool in_snapshot;
	bool quit;
};

void flows_run_init(struct flows_run *run, struct knet_ctx *ctx,
		    const struct knet_args *args);
void flows_run_clear(struct flows_run *run);

/* The table, names, outputs; the label from the source found. */
int flows_run_prepare(struct knet_ctx *ctx, struct flows_run *run,
		      const struct knet_source *src, bool on_node);
/* Privileged, in the node's namespace: the conntrack sockets. */
int flows_run_open_conntrack(struct knet_ctx *ctx, struct flows_run *run,
			     struct knet_error *err);
/* In the pod's namespace: the capture handle. */
int flows_run_open_capture(struct flows_run *run, struct knet_error *err);
/* Until --once, a stop or `q`. */
int flows_run_loop(struct knet_ctx *ctx, struct flows_run *run,
		   volatile sig_atomic_t *stop, struct knet_error *err);
/* After the loop: --once's table or document, the counters on stderr. */
int flows_run_summary(struct knet_ctx *ctx, struct flows_run *run, int status);
/* The pieces of the loop, for flows-many.c's sink: one packet, the
 * keys typed, the 1 Hz work (-EPIPE: the reader went away), the screen
 * taken (when there is one) and given back. */
void flows_run_packet(struct flows_run *run, const struct knet_packet *p);
int flows_run_keys(struct flows_run *run, int timeout_ms);
int flows_run_tick(struct knet_ctx *ctx, struct flows_run *run,
		   struct knet_error *err);
int flows_run_screen(struct knet_ctx *ctx, struct flows_run *run,
		     struct knet_error *err);
void flows_run_end_screen(struct flows_run *run);
/* The conntrack events read so far, as notes (or lines, ct_lines). */
void flows_run_events(struct flows_run *run);
/* A target pod: its addresses are the ones conntrack notes are for. */
void flows_run_add_pod(struct flows_run *run, const struct knet_pod *pod);
/* A remote run's "conntrack" line: the note, as if read here. */
int flows_run_ct_line(struct flows_run *run, const cJSON *o);
/* Several targets, -l or svc/NAME (flows-many.c): the exit status. */
int flows_many(struct knet_ctx *ctx, struct flows_run *run,
	       const struct knet_args *args, int ntargets);

/* The local end of a remote run: one of its lines. */
int flows_run_remote_line(struct knet_ctx *ctx, struct flows_run *run,
			  const char *line, struct knet_error *err);

/* --- rows (flows-rows.c) --- */

/* The column tables of flows and of snapshots. */
int flows_rows_new(struct knet_ctx *ctx, struct flows_run *run);
/* A flow as a row of run->rows (with the remote fields when @full). */
int flows_rows_add(struct flows_run *run, const struct knet_flow *f, bool full);
/* The snapshot line that heads each --watch / remote snapshot. */
int flows_rows_snapshot(struct flows_run *run, const char *event, size_t shown);
/* A conntrack entry as a line of the raw stream (ct_lines), and back. */
int flows_rows_ct_entry(struct flows_run *run, const struct knet_ct_entry *e,
			bool is_new);
int flows_rows_parse_ct_entry(const cJSON *o, struct knet_ct_entry *ret,
			      bool *ret_new);
/* A flow from a remote row; 0, or -EBADMSG. */
int flows_rows_parse(const cJSON *o, struct knet_flow *ret);
/* The DNAT target of a flow, among its Service's endpoints (NULL). */
const char *flows_backend_name(void *ud, const struct knet_flow *f);
/* The name of an address (NULL: none known, or --no-names). */
const char *flows_name(void *ud, uint8_t family, const uint8_t *addr);

#endif
