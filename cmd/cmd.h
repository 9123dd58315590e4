/* SPDX-License-Identifier: MIT */
#ifndef KNET_CMD_H
#define KNET_CMD_H

/*
 * The command table.  Each cmd/cmd-<name>.c defines one const struct
 * knet_cmd; cmd/knet.c lists them, dispatches by exact name or alias,
 * checks argument counts and does the set-up the flags ask for.  The
 * shell, `knet help` and the completions walk the same table.
 */

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "knet/cli.h"
#include "knet/base.h"
#include "knet/kubeconfig.h"
#include "knet/output.h"

/* What a command needs; dispatch (cmd/knet.c) acts on each. */
enum knet_cmd_flags {
	/* The API client is set up before exec(). */
	KNET_CMD_API = 1 << 0,
	/*
	 * Enters network namespaces on this node: the node pipeline
	 * (node-common.h) refuses early, naming CAP_SYS_ADMIN (exit 5),
	 * once it knows the work is local and not through the transport.
	 */
	KNET_CMD_ROOT = 1 << 1,
	/* Needs a terminal on stdin and stdout, else a usage error. */
	KNET_CMD_TTY = 1 << 2,
	/* Prints events, one line or JSON object each, line-buffered;
	 * -o name is a usage error. */
	KNET_CMD_STREAM = 1 << 3,
	/* Not listed in help or completions (internal use). */
	KNET_CMD_HIDDEN = 1 << 4,
	/*
	 * Runs in the C locale: the environment's is not loaded (about
	 * 400 KiB of RSS, a tenth of a small command's).  For commands
	 * whose output is knet's own (lib/output measures UTF-8 itself)
	 * and needs neither readline, ncurses nor translated messages.
	 */
	KNET_CMD_C_LOCALE = 1 << 5,
	/*
	 * -n names something else than the pods' namespace (knet agent:
	 * the agent namespace), so the shell's `use` namespace is not
	 * written into its lines.
	 */
	KNET_CMD_OWN_NAMESPACE = 1 << 6,
};

/*
 * The rows of an options table for the analysis commands that read
 * manifests (lib/objects/manifest.c): -f and --cluster, worded once.
 */
/* clang-format off */
#define KNET_OPTS_MANIFEST \
	{"filename", 'f', KNET_OPT_STRING, "FILE", \
	 "manifests instead of the cluster (file, directory or -; repeat)", \
	 NULL, 0, 0, "file"}, \
	{"cluster", 0, KNET_OPT_FLAG, NULL, \
	 "with -f: the live cluster with the files laid over it", NULL, 0, 0, \
	 NULL}
/* clang-format on */

struct knet_ctx;

struct knet_cmd {
	const char *name;
	const char *alias;   /* NULL when none */
	const char *group;   /* "cluster", "node", "analysis", "other" */
	const char *summary; /* one line, lower case, for the command list */
	const char *usage;   /* after "knet NAME ": "[options] TARGET" */
	int min_args;
	int max_args; /* -1: no limit */
	unsigned flags;
	const struct knet_opt *options; /* NULL or a NULL-terminated table */
	const char *complete_args;	/* what positional args complete to */
	int (*exec)(struct knet_ctx *ctx, const struct knet_args *args);
	/*
	 * Verbs: "knet services trace web" runs the verb whose name is
	 * "services trace" when the word after the command is "trace"
	 * and another word follows ("knet svc trace" alone still lists
	 * the Service called trace).  NULL-terminated, NULL when none.
	 */
	const struct knet_cmd *const *verbs;
	/*
	 * The man page is knet-NAME (spaces as dashes) unless this names
	 * another: "policy" for verbs documented on their command's page.
	 */
	const char *man;
};

/* Global options, as parsed by cmd/knet.c. */
struct knet_globals {
	const char *kubeconfig;
	const char *context;
	const char *namespace;
	bool all_namespaces;
	const char *selector;
	enum knet_format format;
	bool format_set;
	bool no_headers;
	int verbose;
	const char *request_timeout;
	const char *api_encoding; /* --api-encoding, NULL: auto */
	enum knet_color_mode color;
	const char *node;
	const char *via;
	/*
	 * A remote run's hidden options (knet_remote_options): no API
	 * client at all, and what the caller resolved instead.
	 */
	bool no_api;
	const char *src_fact;	 /* --src-fact: the source pod */
	const char *target_fact; /* --target-fact: the target */
	/* kubectl's overrides of the kubeconfig (kubeconfig.h). */
	struct knet_kubeconfig_overrides kube;
	const char *as_groups[32]; /* --as-group..., NULL-terminated */
};

struct knet_api; /* lib/ API client, opaque here */

/*
 * The shell's `use` defaults: dispatch writes them into a line as
 * options (--context, -n, --node, a node command's --from) unless the
 * line gives its own.  NULL fields: none.
 */
struct knet_use {
	const char *kubeconfig;
	const char *context;
	const char *namespace;
	const char *pod;
	const char *node;
};

struct knet_ctx {
	struct knet_globals g;
	const struct knet_cmd *cmd;
	const char *argv0;
	bool color_out;	      /* colour on stdout */
	bool color_err;	      /* colour on stderr */
	struct knet_api *api; /* set up when the command has KNET_CMD_API */
	/* The shell sets these; a single command leaves them zero. */
	const struct knet_use *use; /* defaults for every line */
	bool keep_api; /* keep @api (its connection) for the next */
	char *api_key; /* what @api was made from */
	/*
	 * Commands that change the process for good (drop privileges,
	 * take over signals or the terminal: KNET_CMD_ROOT, KNET_CMD_TTY)
	 * run through this, in a child; it returns their exit status.
	 */
	int (*isolate)(struct knet_ctx *ctx, int argc, char **argv);
};

/*
 * Run one command line, the words after the program name, against
 * @ctx: global options, the command, its options and arguments, set-up,
 * exec.  Returns the exit status; errors are printed.  main() calls it
 * once, the shell once per line.
 */
int knet_dispatch(struct knet_ctx *ctx, int argc, char **argv);
/* Free what dispatch kept in @ctx (the shell's API client). */
void knet_ctx_release(struct knet_ctx *ctx);

/* The NULL-terminated command table, in cmd/knet.c. */
extern const struct knet_cmd *const knet_commands[];
/* The global options table, in cmd/knet.c. */
extern const struct knet_opt knet_global_options[];
/* Global options only a caller gives a remote run: not in help. */
extern const struct knet_opt knet_remote_options[];

/* A command by name or alias, or a verb by "services trace". */
const struct knet_cmd *knet_cmd_find(const char *name);
/* The verb of @c that @word names (the last word of its name), or NULL. */
const struct knet_cmd *knet_cmd_verb(const struct knet_cmd *c,
				     const char *word);

/*
 * The index of the first argument in argv[0..argc) that is no option
 * of @c (or a global one) nor an option's value; @argc when none, or
 * when the words do not parse.
 */
int knet_cmd_first_arg(const struct knet_cmd *c, int argc, char *const *argv);
/*
 * The verb of @c that the first argument in argv[0..argc) names (the
 * words after the command), its index in *@ret_at; NULL when none.
 */
const struct knet_cmd *knet_cmd_verb_at(const struct knet_cmd *c, int argc,
					char *const *argv, int *ret_at);

/* Output options for stdout from the globals (format, headers, colour). */
struct knet_output_opts knet_ctx_output(const struct knet_ctx *ctx,
					const char *kind);

/*
 * Error printing: the one line "knet: cannot <verb> '<subject>':
 * <reason>" on stderr (subject may be NULL), returning the exit status
 * to use.
 */
int knet_fail(const struct knet_ctx *ctx, const struct knet_error *err,
	      const char *verb, const char *subject);
/* "knet: <message>" plus "try 'knet help <cmd>'"; returns 2. */
int knet_usage_error(const struct knet_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* -v logging to stderr when ctx->g.verbose >= level. */
void knet_log(const struct knet_ctx *ctx, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A warning line "knet: warning: ..." on stderr. */
void knet_warn(const struct knet_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Set up the API client from the globals (kubeconfig, context,
 * namespace, request timeout).  Called by dispatch for KNET_CMD_API
 * commands; returns an exit status (0 on success, after printing the
 * error line otherwise).
 */
int knet_ctx_api_setup(struct knet_ctx *ctx);
void knet_ctx_api_teardown(struct knet_ctx *ctx);
/*
 * knet_ctx_api_setup, unless @ctx keeps a client (the shell) made from
 * the same globals: then that one, and its open connection.
 */
int knet_ctx_api_ready(struct knet_ctx *ctx);

/* "knet NAME USAGE" and a newline: the synopsis line, shared with help. */
void knet_help_usage_line(FILE *f, const struct knet_cmd *c);

/*
 * Turn SIGINT and SIGTERM into a flag that probe loops poll, so that
 * Ctrl-C still prints the summary.  Returns the flag, which holds the
 * signal's number once one came (the node transport passes it on).
 */
volatile sig_atomic_t *knet_catch_stop(void);
/* Before each command (the shell runs many): no stop pending. */
void knet_catch_stop_reset(void);

/*
 * The live names completion offers (cmd-complete.c): a kind's list path
 * in one namespace (%s; NULL when not namespaced) and in all of them.
 * `knet __complete` and the shell's cache share it.
 */
struct knet_complete_kind {
	const char *kind; /* "pod", "service", "netpol", "node"... */
	const char *path;
	const char *all_path;
};
extern const struct knet_complete_kind knet_complete_kinds[];
const struct knet_complete_kind *knet_complete_kind_find(const char *kind);
/*
 * The kinds a completion hint (an option's .complete, a command's
 * .complete_args) lists, each with the prefix of its words ("target":
 * pods, svc/NAME, node/NAME): at most 3; 0 for no live kind.
 */
int knet_complete_expand(const char *hint, const char **ret_kinds,
			 const char **ret_prefixes);

/*
 * The hidden first word of a remote run through --via k8s: a thread
 * turns a byte (or EOF) on stdin into SIGTERM, a second byte into an
 * exit with status 137 (stop-on-stdin.c).  -errno.
 */
#define KNET_STOP_ON_STDIN "--stop-on-stdin"
int knet_stop_on_stdin_start(void);

/*
 * The global options of a command line (the words after the program
 * name) into ctx->g, as dispatch would set them; the command is not
 * run.  -EINVAL when the line does not parse.  knet __k8s-exec takes
 * the API options of the line it relays so.
 */
int knet_line_globals(struct knet_ctx *ctx, int argc, char **argv);

/* The namespace a command should use: -n, else the context's. */
const char *knet_ctx_namespace(const struct knet_ctx *ctx);

#endif
