/* SPDX-License-Identifier: MIT */
#ifndef KNET_CAPTURE_RUN_H
#define KNET_CAPTURE_RUN_H

/*
 * The work of `knet capture` around the node pipeline: where packets go
 * (decoded lines, JSON Lines, pcap/pcapng files, rotated or not, the raw
 * stream of a remote run), the read loop, and the summary.  Live,
 * remote, merged and -r captures all hand their packets to one
 * function, with the interface (a pod's eth0, a node's) they came from.
 */

#include <signal.h>
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "capture-names.h"
#include "cmd.h"
#include "knet/capture.h"
#include "knet/decode.h"
#include "knet/node.h"
#include "knet/objects.h"

#define CAPTURE_NAME_SLOTS 1024

struct name_slot {
	char ip[46];
	char *label; /* NULL: nobody owns it (also cached) */
	bool used;
};

/* One interface packets come from: a pcapng IDB. */
struct capture_iface {
	char *name; /* "ns/pod/eth0" */
	char *desc; /* "pod ns/pod on node N, IP A, interface eth0" */
	int linktype, snaplen;
	int dump_id; /* in the current files, -1 before the first packet */
	struct knet_capture_stats st;
	bool have_stats;
};

/*
 * What a remote run said about its own interfaces: its source ids to
 * ours.  One per remote run.
 */
#define CAPTURE_FEED_MAX 64
struct capture_feed {
	const char *node;
	int map[CAPTURE_FEED_MAX]; /* remote source id -> our iface, -1 */
	int single;		   /* the iface of a run that names none */
	bool ended;		   /* its summary came */
	struct knet_capture_session *sess; /* push there, NULL: direct */
};

struct capture_run {
	const struct knet_args *args;
	struct knet_capture_opts copts;
	char *filter;
	long long count;		   /* 0: no limit */
	double duration;		   /* 0: none */
	const char *write;		   /* -w FILE, NULL: decode */
	struct knet_dump_files_opts fopts; /* -C -G -W */
	bool pcapng, packet_buffered, hex, hex_ascii;
	bool remote_stream;    /* we are the remote run: raw packets out */
	bool created, started; /* the -w file; the first read */
	bool stdout_gone;      /* the reader of our text went away */
	bool label_lines;      /* text: say which pod each line is from */

	struct knet_capture *cap;	   /* one handle or a file, else: */
	struct knet_capture_session *sess; /* many sources, merged */
	/*
	 * Set: every packet goes here instead of to the outputs (flows
	 * builds its table from the same merged targets); returns 0, 1 to
	 * end the capture, or a negative errno.  It is also called with
	 * NULL @iface and @p when nothing came for ~100 ms (a screen looks
	 * at its clock), and the summary is then the sink's.
	 */
	int (*sink)(void *data, const struct capture_iface *iface,
		    const struct knet_packet *p, uint32_t flags);
	void *sink_data;
	/*
	 * Set: called between packets (when idle, and every 256 packets),
	 * e.g. for the remote run of flows to send its node's conntrack
	 * notes; a negative errno ends the capture.
	 */
	int (*poll)(void *data);
	void *poll_data;
	/* Set: a remote run's line of an event capture does not know. */
	int (*on_line)(void *data, const cJSON *o);
	void *on_line_data;
	/* A session's stop: the remote runs are told (signal number). */
	void (*on_stop)(void *data, int sig);
	void *on_stop_data;
	struct knet_dump_files *files;

	struct capture_feed feed; /* a single pod's remote run */
	struct capture_iface *ifaces;
	int niface;

	struct knet_who_index *idx;
	struct capture_names *watch; /* keeps idx current (live text, JSON) */
	struct name_slot names[CAPTURE_NAME_SLOTS]; /* the namer's cache */
	struct knet_table *pkts, *sum, *srcs;

	unsigned long long captured, written;
	struct knet_error werr; /* a failed write (full disk, closed pipe) */
};

void capture_run_init(struct capture_run *run, struct knet_ctx *ctx,
		      const struct knet_args *args);
void capture_run_clear(struct capture_run *run);

/* An interface; returns its index (>= 0) or -ENOMEM. */
int capture_run_add_iface(struct capture_run *run, const char *name,
			  const char *desc, int linktype, int snaplen);
/* The pcapng interface name and description of a pod (or a node). */
void capture_run_describe(const struct knet_capture_opts *copts,
			  const struct knet_source *src, char **ret_name,
			  char **ret_desc);
/* Tables, the who index (when a cluster is there) and the -w file. */
int capture_run_outputs(struct knet_ctx *ctx, struct capture_run *run);

/* Read until -c, --duration, the end of a file or *@stop. */
int capture_run_loop(struct knet_ctx *ctx, struct capture_run *run,
		     volatile sig_atomic_t *stop, struct knet_error *err);
/* One line of a remote run: a source, a packet, stats or its summary. */
int capture_run_remote_json(struct knet_ctx *ctx, struct capture_run *run,
			    struct capture_feed *feed, const cJSON *o,
			    struct knet_error *err);
void capture_feed_init(struct capture_feed *feed, const char *node,
		       struct knet_capture_session *sess);
/*
 * The remote run's side: say which sources it has (one line each), and
 * at the end their kernel counters.
 */
int capture_run_announce(struct capture_run *run);
int capture_run_announce_stats(struct capture_run *run);
/*
 * The kernel's counters so far, summed over the interfaces: the local
 * handles read now, the remote runs' as they last sent them (every
 * second).  False when none has counters yet.
 */
bool capture_run_live_stats(struct capture_run *run,
			    struct knet_capture_stats *ret);
/* Flush and close the file; the write error, if any, is kept. */
int capture_run_close(struct capture_run *run, struct knet_error *err);
/* Counters on stderr (and a summary object in JSON); the exit status. */
int capture_run_summary(struct knet_ctx *ctx, struct capture_run *run,
			int status);
/* -r FILE: the whole command. */
int capture_run_offline(struct knet_ctx *ctx, struct capture_run *run,
			const char *path);

#endif
