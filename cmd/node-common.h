/* SPDX-License-Identifier: MIT */
#ifndef KNET_NODE_COMMON_H
#define KNET_NODE_COMMON_H

/*
 * The node pipeline: what every node command (ping, traceroute, exec,
 * netns, and conntrack, capture, flows after them) does around its own
 * work, in this order:
 *
 *   parse the target, set up the API when something needs it, resolve
 *   the source (--from POD, --netns, --pid or the node), and then either
 *
 *   remote: the pod runs on another node: re-run this command there
 *     through the transport (--via, KNET_VIA), feed its JSON Lines to
 *     remote_line(); Ctrl-C is forwarded to it and its summary line is
 *     still read; its own error line reaches the user on stderr, and its
 *     exit status is ours;
 *
 *   local: check the privileges, resolve the target, prepare(), enter
 *     the namespace (the fd pinned when it was found), open(), come back,
 *     pin the API credentials and drop every privilege (uid, gid,
 *     capabilities; -Z USER), then run() and summary() with Ctrl-C
 *     caught, and say so when the namespace vanished meanwhile.
 *
 *   fan-out (--all-nodes, --nodes SELECTOR; node-fanout.c): every
 *     selected node at once, as many remote runs (this node's without a
 *     transport), at most --max-parallel at a time; each node's lines go
 *     to remote_line() with node_name set, then remote_end(), node by
 *     node in the order of their names; a node that failed is a line on
 *     stderr and a remote_failed() call.  Exit status: the nodes' worst
 *     (0 or 1) when every node answered, 1 when some did not, and the
 *     first failure's when none did.
 *
 * Callbacks return an exit status (after printing their own error line)
 * or a negative errno with job->err filled, which the pipeline prints as
 * "knet: cannot <verb> '<target IP or source>': <reason>".
 */

#include <signal.h>
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "knet/node.h"

struct knet_node_job {
	/* --- set by the command --- */
	const char *verb;      /* "ping": "cannot ping '10.0.0.1'" */
	const char *verb_from; /* "ping from": the namespace vanished */
	const char *find_verb; /* "find the source" */
	struct knet_source_opts so;
	const char *target; /* to resolve, NULL: the command has none */
	/*
	 * node/NAME (conntrack): the work is in that node's own namespace,
	 * here when NAME is this node, else through the transport.
	 */
	const char *on_node;
	int family; /* AF_UNSPEC, AF_INET, AF_INET6 */
	/* Use the API when it is there even if nothing needs it (names). */
	bool api_optional;
	/* exec: the work keeps root (it is the user's command to run). */
	bool keep_privileges;
	/* exec: the remote run gets our terminal instead of a pipe. */
	bool remote_tty;
	const char *run_as; /* -Z USER, NULL: nobody */
	/*
	 * Remote: options added to the command line the other node runs
	 * (NULL-terminated, NULL: none), e.g. capture's hidden --stream.
	 * An argument rather than the environment, which ssh drops.
	 */
	const char *const *remote_args;
	/*
	 * Fan-out: remote_end() names the rows of a run without an API
	 * (as through k8s), so every node runs with --no-api.
	 */
	bool fanout_names;
	/* Remote, in tables: "<banner> TARGET from SRC on node N (...)". */
	const char *remote_banner;

	/* After the target resolved, before entering: modes, notes. */
	int (*prepare)(struct knet_ctx *ctx, struct knet_node_job *job);
	/* In the namespace, privileged: open every socket or handle. */
	int (*open)(struct knet_ctx *ctx, struct knet_node_job *job);
	/* Back home, unprivileged (unless keep_privileges): the work. */
	int (*run)(struct knet_ctx *ctx, struct knet_node_job *job);
	/* After run() (also after Ctrl-C): gets run's status, returns ours. */
	int (*summary)(struct knet_ctx *ctx, struct knet_node_job *job,
		       int status);
	/* Remote: once before the run (headers), then every line it prints. */
	int (*remote_begin)(struct knet_ctx *ctx, struct knet_node_job *job);
	int (*remote_line)(struct knet_ctx *ctx, struct knet_node_job *job,
			   const char *line);
	/* Remote: after it ended with @status; returns ours. */
	int (*remote_end)(struct knet_ctx *ctx, struct knet_node_job *job,
			  int status);
	/* Fan-out: @node did not answer (its line on stderr is out). */
	int (*remote_failed)(struct knet_ctx *ctx, struct knet_node_job *job,
			     const char *node, const char *reason);
	void *data; /* the command's */

	/* --- set by knet_node_job_init, from the options --- */
	const struct knet_args *args;
	bool fanout;	  /* --all-nodes or --nodes: on every such node */
	int max_parallel; /* --max-parallel, 0: KNET_FANOUT_PARALLEL */

	/* --- set by the pipeline --- */
	struct knet_ctx *ctx;
	struct knet_source *src;
	struct knet_target *tg;	     /* NULL without a target */
	volatile sig_atomic_t *stop; /* set on SIGINT / SIGTERM */
	struct knet_error err;	     /* for callbacks returning < 0 */
	struct knet_error gone;	     /* knet_node_check() */
	const char *node_name;	     /* fan-out: whose lines these are */
};

/* Nodes a fan-out runs on at once, unless --max-parallel says. */
#define KNET_FANOUT_PARALLEL 8

/*
 * The fan-out's options, in the tables of the commands that have it:
 * which nodes (capture and flows, streams, run them all at once), and
 * how many at a time (the commands that list).
 */
/* clang-format off */
#define KNET_NODE_SELECT_OPTIONS					\
	{"all-nodes", 0, KNET_OPT_FLAG, NULL,				\
	 "run on every node of the cluster at once, merged", NULL, 0,	\
	 0, NULL},							\
	{"nodes", 0, KNET_OPT_STRING, "SELECTOR",			\
	 "run on the nodes with these labels at once, merged", NULL,	\
	 0, 0, NULL}
#define KNET_NODE_FANOUT_OPTIONS					\
	KNET_NODE_SELECT_OPTIONS,					\
	{"max-parallel", 0, KNET_OPT_INT, "N",				\
	 "with --all-nodes or --nodes: nodes at a time (default 8)",	\
	 NULL, 1, 1024, NULL}
/* clang-format on */

/* Whether --all-nodes or --nodes is among @args. */
bool knet_node_fanout_wanted(const struct knet_args *args);
/*
 * The names of the nodes --all-nodes or --nodes SELECTOR of @args select,
 * sorted (NULL-terminated, free with knet_addrs_free(v, n)), and in
 * @ret_self (may be NULL) which of them this host is (--node, else by
 * InternalIP; NULL: none).  Prints the error line and returns its exit
 * status: 2 a bad selector, 3 no node matches, 4 the API.
 */
int knet_node_fanout_select(struct knet_ctx *ctx, const struct knet_args *args,
			    char ***ret_names, int *ret_n, char **ret_self);

/* --from, --netns, --pid, -Z, -4 and -6 of @args into @job. */
void knet_node_job_init(struct knet_node_job *job, struct knet_ctx *ctx,
			const struct knet_args *args);

/* Run @job; returns the exit status. */
int knet_node_run(struct knet_ctx *ctx, struct knet_node_job *job);
/*
 * Pin the API credentials and drop every privilege (uid, gid,
 * capabilities; -Z @run_as, NULL: nobody), as the pipeline does after
 * open(): for a command's own privileged part outside it (knet netns
 * scanning).  Prints the error line; returns 0 or the exit status.
 */
int knet_node_drop(struct knet_ctx *ctx, const char *run_as);
/*
 * The same keeping CAP_KILL, for a command that runs its own remote
 * children (capture of pods on many nodes) and must forward Ctrl-C to
 * their process groups.
 */
int knet_node_drop_keep_kill(struct knet_ctx *ctx, const char *run_as);
/* Free what the pipeline set (source, target). */
void knet_node_job_clear(struct knet_node_job *job);

/*
 * In run(): whether the namespace is still the pod's; -ENOENT when it
 * vanished (a pod deleted under us), which the pipeline then reports as
 * "cannot <verb> from '<source>'" (exit 5) when run() returns it.
 */
int knet_node_check(struct knet_node_job *job);

/*
 * Whether a remote run goes to a knet without an API (the k8s
 * transport; KNET_VIA_NO_API=1): it reports addresses, and the commands
 * that show their owners name them here, from the remote JSON.
 */
bool knet_node_remote_no_api(const struct knet_ctx *ctx);

/*
 * A remote line as JSON; anything else (a banner from ssh?) goes to
 * stderr, escaped, and NULL comes back.
 */
cJSON *knet_node_remote_json(const char *line);

#endif
