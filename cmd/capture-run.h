/* SPDX-License-Identifier: MIT */
#ifndef KNET_CAPTURE_RUN_H
#define KNET_CAPTURE_RUN_H

/*
 * The work of `knet capture` around the node pipeline: where packets go
 * (decoded lines, JSON Lines, a pcap/pcapng file, the raw stream of a
 * remote run), the read loop, and the summary.  Live, remote and -r
 * captures all hand their packets to capture_run_packet().
 */

#include <signal.h>
#include <stdbool.h>

#include <cjson/cJSON.h>

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

struct capture_run {
	const struct knet_args *args;
	struct knet_capture_opts copts;
	char *filter;
	long long count;   /* 0: no limit */
	double duration;   /* 0: none */
	const char *write; /* -w FILE, NULL: decode */
	bool pcapng, packet_buffered, hex, hex_ascii;
	bool remote_stream;    /* we are the remote run: raw packets out */
	bool created, started; /* the -w file; the first read */
	bool stdout_gone;      /* the reader of our text went away */

	struct knet_capture *cap;
	struct knet_dump *dump;
	int dump_fd;
	int iface_id; /* in the dump, -1 before the first */
	int linktype;
	char iface_name[256], iface_desc[512];

	struct knet_who_index *idx;
	struct name_slot names[CAPTURE_NAME_SLOTS]; /* the namer's cache */
	struct knet_table *pkts, *sum;

	unsigned long long captured, written;
	struct knet_capture_stats st;
	bool have_stats;
	struct knet_error werr; /* a failed write (full disk, closed pipe) */
};

void capture_run_init(struct capture_run *run, struct knet_ctx *ctx,
		      const struct knet_args *args);
void capture_run_clear(struct capture_run *run);

/* The pcapng interface name and description from the pod found. */
void capture_run_describe(struct capture_run *run,
			  const struct knet_source *src);
/* Tables, the who index (when a cluster is there) and the -w file. */
int capture_run_outputs(struct knet_ctx *ctx, struct capture_run *run);

/* Read until -c, --duration, the end of a file or *@stop. */
int capture_run_loop(struct knet_ctx *ctx, struct capture_run *run,
		     volatile sig_atomic_t *stop, struct knet_error *err);
/* One line of a remote run: a packet or its summary. */
int capture_run_remote_json(struct knet_ctx *ctx, struct capture_run *run,
			    const cJSON *o, struct knet_error *err);
/* Flush and close the file; the write error, if any, is kept. */
int capture_run_close(struct capture_run *run, struct knet_error *err);
/* Counters on stderr (and a summary object in JSON); the exit status. */
int capture_run_summary(struct knet_ctx *ctx, struct capture_run *run,
			int status);
/* -r FILE: the whole command. */
int capture_run_offline(struct knet_ctx *ctx, struct capture_run *run,
			const char *path);

#endif
