/* SPDX-License-Identifier: MIT */
/*
 * knet: main, global options and dispatch.  Dispatch matches command
 * names and aliases exactly (no prefixes: scripts must not change meaning
 * when a command is added), checks argument counts and does the set-up
 * the command's flags ask for.
 */
#include <errno.h>
#include <stdio.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "knet/api.h"
#include "knet/node.h"

const struct knet_opt knet_global_options[] = {
	{"kubeconfig", 0, KNET_OPT_STRING, "FILE",
	 "kubeconfig file to use (else $KUBECONFIG, ~/.kube/config)", NULL, 0,
	 0, "file"},
	{"context", 0, KNET_OPT_STRING, "NAME", "kubeconfig context to use",
	 NULL, 0, 0, "context"},
	{"cluster", 0, KNET_OPT_STRING, "NAME",
	 "kubeconfig cluster to use (instead of the context's)", NULL, 0, 0,
	 NULL},
	{"user", 0, KNET_OPT_STRING, "NAME",
	 "kubeconfig user to use (instead of the context's)", NULL, 0, 0, NULL},
	/* -s is --server before the command; a command's own -s wins after. */
	{"server", 's', KNET_OPT_STRING, "URL", "API server address", NULL, 0,
	 0, NULL},
	{"token", 0, KNET_OPT_STRING, "TOKEN",
	 "bearer token for the API server", NULL, 0, 0, NULL},
	{"certificate-authority", 0, KNET_OPT_STRING, "FILE",
	 "CA certificate file to verify the server with", NULL, 0, 0, "file"},
	{"insecure-skip-tls-verify", 0, KNET_OPT_FLAG, NULL,
	 "do not verify the server's certificate (insecure)", NULL, 0, 0, NULL},
	{"tls-server-name", 0, KNET_OPT_STRING, "NAME",
	 "name to verify the server's certificate against", NULL, 0, 0, NULL},
	{"as", 0, KNET_OPT_STRING, "USER",
	 "act as this user or service account (impersonation)", NULL, 0, 0,
	 NULL},
	{"as-group", 0, KNET_OPT_STRING, "GROUP",
	 "act as a member of this group (repeatable; needs --as)", NULL, 0, 0,
	 NULL},
	{"namespace", 'n', KNET_OPT_STRING, "NS",
	 "namespace (default: the context's)", NULL, 0, 0, "namespace"},
	{"all-namespaces", 'A', KNET_OPT_FLAG, NULL, "act on every namespace",
	 NULL, 0, 0, NULL},
	{"selector", 'l', KNET_OPT_STRING, "SELECTOR",
	 "label selector, e.g. app=web", NULL, 0, 0, NULL},
	{"output", 'o', KNET_OPT_STRING, "FORMAT", "output format",
	 "table|wide|json|name", 0, 0, NULL},
	{"no-headers", 0, KNET_OPT_FLAG, NULL, "print tables without headers",
	 NULL, 0, 0, NULL},
	{"verbose", 'v', KNET_OPT_COUNT, NULL,
	 "more detail on stderr (repeat for more)", NULL, 0, 0, NULL},
	{"request-timeout", 0, KNET_OPT_STRING, "DURATION",
	 "API request timeout, e.g. 5s, 1m (0: none)", NULL, 0, 0, NULL},
	{"api-encoding", 0, KNET_OPT_STRING, "ENC",
	 "how the API answers: protobuf where knet can read it, else JSON",
	 "auto|json|protobuf", 0, 0, NULL},
	{"color", 0, KNET_OPT_STRING, "WHEN", "colour output",
	 "auto|always|never", 0, 0, NULL},
	{"node", 0, KNET_OPT_STRING, "NAME",
	 "the node this host is (default: found by address)", NULL, 0, 0,
	 "node"},
	{"via", 0, KNET_OPT_STRING, "TEMPLATE",
	 "how to run knet on another node: k8s (pods/exec, the default) or "
	 "a template, e.g. 'ssh {node}'",
	 NULL, 0, 0, NULL},
	{"help", 'h', KNET_OPT_FLAG, NULL, "show help", NULL, 0, 0, NULL},
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

/*
 * What the node pipeline adds to a remote run's command line when the
 * other end has no API (node-common.c): hidden, like git's plumbing
 * options, and parsed wherever the global options are.
 */
const struct knet_opt knet_remote_options[] = {
	{"no-api", 0, KNET_OPT_FLAG, NULL,
	 "make no API client: names come from the caller", NULL, 0, 0, NULL},
	{"src-fact", 0, KNET_OPT_STRING, "FACT",
	 "the source pod as the caller found it", NULL, 0, 0, NULL},
	{"target-fact", 0, KNET_OPT_STRING, "FACT",
	 "the target as the caller resolved it", NULL, 0, 0, NULL},
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

const struct knet_cmd *knet_cmd_verb(const struct knet_cmd *c, const char *word)
{
	for (const struct knet_cmd *const *v = c->verbs; word && v && *v; v++) {
		const char *sp = strrchr((*v)->name, ' ');

		if (sp && strcmp(sp + 1, word) == 0)
			return *v;
	}
	return NULL;
}

int knet_cmd_first_arg(const struct knet_cmd *c, int argc, char *const *argv)
{
	const struct knet_opt *tables[3] = {knet_global_options, NULL, NULL};
	struct knet_error err = {0};
	struct knet_args *a = malloc(sizeof(*a));
	int next = argc;

	if (!a)
		return argc;
	if (c->options) {
		tables[0] = c->options;
		tables[1] = knet_global_options;
	}
	knet_args_init(a);
	/* an option it does not know: no verb, the real parse says why */
	if (knet_args_parse(tables, argc, argv, true, a, &next, &err) < 0 ||
	    (next < argc && !strcmp(argv[next], "--")))
		next = argc;
	free(a);
	return next;
}

const struct knet_cmd *knet_cmd_verb_at(const struct knet_cmd *c, int argc,
					char *const *argv, int *ret_at)
{
	/* Each verb's own options may come before its name too. */
	for (const struct knet_cmd *const *v = c->verbs; v && *v; v++) {
		int at = knet_cmd_first_arg(*v, argc, argv);

		if (at < argc && knet_cmd_verb(c, argv[at]) == *v) {
			*ret_at = at;
			return *v;
		}
	}
	return NULL;
}

const struct knet_cmd *knet_cmd_find(const char *name)
{
	const struct knet_cmd *const *c;
	const char *sp = strchr(name, ' ');

	for (c = knet_commands; *c; c++) {
		if (strcmp((*c)->name, name) == 0 ||
		    ((*c)->alias && strcmp((*c)->alias, name) == 0))
			return *c;
		/* "services trace": help and man pages name verbs so. */
		if (sp && (*c)->verbs &&
		    strncmp((*c)->name, name, (size_t)(sp - name)) == 0 &&
		    (*c)->name[sp - name] == '\0')
			return knet_cmd_verb(*c, sp + 1);
	}
	return NULL;
}

static int unknown_command(const char *name)
{
	const char *names[128];
	const struct knet_cmd *const *c;
	const char *hint;
	int n = 0;

	for (c = knet_commands; *c && n < 126; c++) {
		if ((*c)->flags & KNET_CMD_HIDDEN)
			continue;
		names[n++] = (*c)->name;
		if ((*c)->alias)
			names[n++] = (*c)->alias;
	}
	hint = knet_suggest(name, names, n);
	if (hint)
		fprintf(stderr,
			"knet: unknown command '%s' (did you mean '%s'?); "
			"try 'knet help'\n",
			name, hint);
	else
		fprintf(stderr, "knet: unknown command '%s'; try 'knet help'\n",
			name);
	return KNET_EXIT_USAGE;
}

/* Fill ctx->g from the parsed options and the environment. */
static int apply_globals(struct knet_ctx *ctx, const struct knet_args *a)
{
	struct knet_globals *g = &ctx->g;
	const char *s;

	g->kubeconfig = knet_args_str(a, "kubeconfig", NULL);
	g->context = knet_args_str(a, "context", NULL);
	g->namespace = knet_args_str(a, "namespace", NULL);
	g->all_namespaces = knet_args_has(a, "all-namespaces");
	g->selector = knet_args_str(a, "selector", NULL);
	g->no_headers = knet_args_has(a, "no-headers");
	g->verbose = knet_args_count(a, "verbose");
	g->request_timeout = knet_args_str(a, "request-timeout", NULL);
	g->api_encoding = knet_args_str(a, "api-encoding", NULL);
	g->node = knet_args_str(a, "node", getenv("KNET_NODE"));
	/* Through the API unless told otherwise (empty: none at all). */
	g->via = knet_args_str(a, "via", getenv("KNET_VIA") ?: KNET_VIA_K8S);
	g->no_api = knet_args_has(a, "no-api");
	g->src_fact = knet_args_str(a, "src-fact", NULL);
	g->target_fact = knet_args_str(a, "target-fact", NULL);
	g->kube.cluster = knet_args_str(a, "cluster", NULL);
	g->kube.user = knet_args_str(a, "user", NULL);
	g->kube.server = knet_args_str(a, "server", NULL);
	g->kube.token = knet_args_str(a, "token", NULL);
	g->kube.ca_file = knet_args_str(a, "certificate-authority", NULL);
	g->kube.insecure = knet_args_has(a, "insecure-skip-tls-verify");
	g->kube.tls_server_name = knet_args_str(a, "tls-server-name", NULL);
	g->kube.as = knet_args_str(a, "as", NULL);
	if (knet_args_strv(
		    a, "as-group", g->as_groups,
		    (int)(sizeof(g->as_groups) / sizeof(*g->as_groups))) < 0)
		return knet_usage_error(ctx, "too many --as-group options");
	g->kube.as_groups = g->as_groups;
	s = knet_args_str(a, "output", NULL);
	g->format = KNET_FMT_TABLE;
	if (s) {
		knet_format_parse(s, &g->format); /* choices checked */
		g->format_set = true;
	}
	g->color = KNET_COLOR_AUTO;
	s = knet_args_str(a, "color", NULL);
	if (s)
		knet_color_parse(s, &g->color);
	if (g->namespace && g->all_namespaces)
		return knet_usage_error(ctx, "-n/--namespace and "
					     "-A/--all-namespaces exclude "
					     "each other");
	if (g->namespace && !*g->namespace)
		return knet_usage_error(ctx, "empty namespace given to -n");
	/* A node name goes into selectors and paths: check it once here. */
	if (g->node && *g->node) {
		struct knet_error err = {0};

		if (knet_api_check_name(g->node, &err) < 0)
			return knet_usage_error(ctx, "--node: %s", err.reason);
	}
	ctx->color_out = knet_color_wanted(g->color, STDOUT_FILENO);
	ctx->color_err = knet_color_wanted(g->color, STDERR_FILENO);
	return 0;
}

static int check_arg_count(struct knet_ctx *ctx, const struct knet_args *a)
{
	const struct knet_cmd *c = ctx->cmd;

	if (a->npos < c->min_args)
		return knet_usage_error(
			ctx, "'%s' needs %s%d argument%s, got %d", c->name,
			c->max_args == c->min_args ? "" : "at least ",
			c->min_args, c->min_args == 1 ? "" : "s", a->npos);
	if (c->max_args >= 0 && a->npos > c->max_args) {
		if (c->max_args == 0)
			return knet_usage_error(ctx,
						"'%s' takes no arguments "
						"(got '%s')",
						c->name, a->pos[0]);
		return knet_usage_error(ctx,
					"'%s' takes at most %d argument%s "
					"(unexpected '%s')",
					c->name, c->max_args,
					c->max_args == 1 ? "" : "s",
					a->pos[c->max_args]);
	}
	return 0;
}

/* "knet X --help" is "knet help X"; @a is the line's, reused. */
static int run_help_for(struct knet_ctx *ctx, struct knet_args *a,
			const char *name)
{
	const struct knet_cmd *help = knet_cmd_find("help");

	knet_args_init(a);
	a->pos[a->npos++] = name;
	ctx->cmd = help;
	return help->exec(ctx, a);
}

/*
 * Globals, the command and its options from argv[0..argc) (the words
 * after the program name).  0 with ctx->cmd set, or NULL when no
 * command was given; -ENOENT when argv[*ret_cmd] names no command;
 * -EINVAL with the reason in @err for a usage error.
 */
static int parse_line(struct knet_ctx *ctx, int argc, char **argv,
		      struct knet_args *args, int *ret_cmd,
		      struct knet_error *err)
{
	const struct knet_opt *tables[4] = {knet_global_options,
					    knet_remote_options, NULL, NULL};
	int next = 0, verb = -1, r;

	ctx->cmd = NULL;
	knet_args_init(args);
	/* Global options may come before the command... */
	r = knet_args_parse(tables, argc, argv, true, args, &next, err);
	if (r < 0)
		return r;
	*ret_cmd = next;
	if (next >= argc)
		return 0;
	ctx->cmd = knet_cmd_find(argv[next]);
	if (!ctx->cmd)
		return -ENOENT;
	/*
	 * "svc trace web", "svc -n web trace web": the verb, the first
	 * word after the command that is no option nor an option's value,
	 * when a word follows it.
	 */
	{
		const struct knet_cmd *v = knet_cmd_verb_at(
			ctx->cmd, argc - next - 1, argv + next + 1, &verb);

		if (v && next + 1 + verb + 1 < argc) {
			ctx->cmd = v;
			verb += next + 1;
		} else {
			verb = -1;
		}
	}
	/* ...and after it, mixed with the command's own, like kubectl. */
	/*
	 * A command's own options come first after its name, so that its
	 * -s (ping's size) wins over the global -s (--server).
	 */
	if (ctx->cmd->options) {
		tables[0] = ctx->cmd->options;
		tables[1] = knet_global_options;
		tables[2] = knet_remote_options;
	}
	if (verb < 0)
		return knet_args_parse(tables, argc - next - 1, argv + next + 1,
				       false, args, NULL, err);
	/* The options before the verb's name are the verb's too. */
	r = knet_args_parse(tables, verb - next - 1, argv + next + 1, false,
			    args, NULL, err);
	*ret_cmd = verb;
	if (r < 0)
		return r;
	return knet_args_parse(tables, argc - verb - 1, argv + verb + 1, false,
			       args, NULL, err);
}

static bool has_option(const struct knet_opt *opts, const char *name)
{
	for (; opts && opts->name; opts++)
		if (strcmp(opts->name, name) == 0)
			return true;
	return false;
}

/*
 * The line with the shell's `use` defaults written out as options
 * (--context, -n, --node before the command, --from after it) where the
 * line does not give its own, so that a child process run with it does
 * the same.  NULL-terminated, malloc'd (the words are borrowed); NULL
 * when nothing is added or the line does not parse (dispatch then
 * reports the error as given).  @scratch holds the parse.
 */
static char **merge_use(struct knet_ctx *ctx, int argc, char **argv,
			struct knet_args *scratch, int *ret_argc)
{
	const struct knet_use *u = ctx->use;
	const struct knet_args *a = scratch;
	struct knet_error err = {0};
	char **v;
	int cmd, n = 0, i;

	if (!u || parse_line(ctx, argc, argv, scratch, &cmd, &err) < 0 ||
	    !ctx->cmd)
		return NULL;
	v = calloc((size_t)argc + 11, sizeof(*v));
	if (!v)
		return NULL;
	if (u->kubeconfig && !knet_args_has(a, "kubeconfig")) {
		v[n++] = "--kubeconfig";
		v[n++] = (char *)u->kubeconfig;
	}
	if (u->context && !knet_args_has(a, "context")) {
		v[n++] = "--context";
		v[n++] = (char *)u->context;
	}
	if (u->namespace && !knet_args_has(a, "namespace") &&
	    !knet_args_has(a, "all-namespaces") &&
	    !(ctx->cmd->flags & KNET_CMD_OWN_NAMESPACE)) {
		v[n++] = "-n";
		v[n++] = (char *)u->namespace;
	}
	if (u->node && !knet_args_has(a, "node")) {
		v[n++] = "--node";
		v[n++] = (char *)u->node;
	}
	for (i = 0; i <= cmd; i++)
		v[n++] = argv[i];
	if (u->pod && has_option(ctx->cmd->options, "from") &&
	    !knet_args_has(a, "from")) {
		v[n++] = "--from";
		v[n++] = (char *)u->pod;
	}
	for (i = cmd + 1; i < argc; i++)
		v[n++] = argv[i];
	*ret_argc = n;
	return v;
}

/*
 * What the API client was made from: a new client is needed only when
 * one of these changes from one shell line to the next.  The namespace
 * is not in it (knet_api_set_namespace switches it).
 */
static char *api_key(const struct knet_globals *g)
{
	const struct knet_kubeconfig_overrides *k = &g->kube;
	char groups[1024] = "";
	char *key = NULL;
	size_t len = 0;

	for (int i = 0; g->as_groups[i]; i++) {
		int w = snprintf(groups + len, sizeof(groups) - len, "%s\x1f",
				 g->as_groups[i]);

		if (w < 0 || (size_t)w >= sizeof(groups) - len)
			break;
		len += (size_t)w;
	}
#define S(x) ((x) ? (x) : "\x1e")
	if (asprintf(&key,
		     "%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%d\x1f"
		     "%s\x1f%s\x1f%s\x1f%s\x1f%d\x1f%s",
		     S(g->kubeconfig), S(g->context), S(k->cluster), S(k->user),
		     S(k->server), S(k->token), S(k->ca_file), k->insecure,
		     S(k->tls_server_name), S(k->as), groups,
		     S(g->request_timeout), g->verbose, S(g->api_encoding)) < 0)
		return NULL;
#undef S
	return key;
}

static void forget_key(struct knet_ctx *ctx)
{
	knet_wipe_free(ctx->api_key); /* it may hold a --token */
	ctx->api_key = NULL;
}

void knet_ctx_release(struct knet_ctx *ctx)
{
	knet_ctx_api_teardown(ctx);
	forget_key(ctx);
}

/* The shell keeps its client (and its connection) while the key holds. */
int knet_ctx_api_ready(struct knet_ctx *ctx)
{
	char *key = ctx->keep_api ? api_key(&ctx->g) : NULL;
	int r;

	if (ctx->api && key && ctx->api_key && strcmp(key, ctx->api_key) == 0) {
		knet_wipe_free(key);
		knet_api_set_namespace(ctx->api, ctx->g.namespace);
		knet_log(ctx, 2, "reusing the API client (%s)",
			 knet_api_server(ctx->api));
		return 0;
	}
	knet_ctx_release(ctx);
	r = knet_ctx_api_setup(ctx);
	if (r == 0)
		ctx->api_key = key;
	else
		knet_wipe_free(key);
	return r;
}

/* Set by the first command that runs in the environment's locale. */
static bool locale_set;

static int run_line(struct knet_ctx *ctx, int argc, char **argv,
		    struct knet_args *a)
{
	struct knet_error err = {0};
	int cmd = 0, r;

	r = parse_line(ctx, argc, argv, a, &cmd, &err);
	if (r == -ENOENT)
		return unknown_command(argv[cmd]);
	if (r < 0)
		return knet_usage_error(ctx, "%s", err.reason);
	if (!ctx->cmd) {
		if (a->nvalues && !knet_args_has(a, "help")) {
			fprintf(stderr, "knet: no command given; "
					"try 'knet help'\n");
			return KNET_EXIT_USAGE;
		}
		return run_help_for(ctx, a, NULL);
	}
	if (knet_args_has(a, "help"))
		return run_help_for(ctx, a, ctx->cmd->name);
	/* The environment's locale, once, unless the command needs none. */
	if (!(ctx->cmd->flags & KNET_CMD_C_LOCALE) && !locale_set) {
		setlocale(LC_ALL, "");
		locale_set = true;
	}
	r = apply_globals(ctx, a);
	if (r)
		return r;
	r = check_arg_count(ctx, a);
	if (r)
		return r;
	if (ctx->cmd->flags & KNET_CMD_TTY &&
	    (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		return knet_usage_error(ctx, "'%s' needs a terminal",
					ctx->cmd->name);
	if (ctx->cmd->flags & KNET_CMD_STREAM) {
		/* Events have no names: a list of them is no list. */
		if (ctx->g.format == KNET_FMT_NAME)
			return knet_usage_error(ctx,
						"'%s' prints events: -o name "
						"does not apply (use table, "
						"wide or json)",
						ctx->cmd->name);
	}
	/* They drop privileges, take signals or the terminal: in a child. */
	if (ctx->isolate && ctx->cmd->flags & (KNET_CMD_ROOT | KNET_CMD_TTY))
		return ctx->isolate(ctx, argc, argv);
	/* One JSON object or row per event, as it happens, also into a
	 * pipe (jq, the node transport). */
	if (ctx->cmd->flags & KNET_CMD_STREAM)
		setvbuf(stdout, NULL, _IOLBF, 0);
	/* KNET_CMD_ROOT: checked by the node pipeline (node-common.c),
	 * once it knows the work is here and not through the transport. */
	if (ctx->cmd->flags & KNET_CMD_API) {
		r = knet_ctx_api_ready(ctx);
		if (r)
			return r;
	}
	r = ctx->cmd->exec(ctx, a);
	if (!ctx->keep_api)
		knet_ctx_release(ctx);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "knet: cannot write output: %s\n",
				strerror(errno));
		clearerr(stdout);
		return r ? r : KNET_EXIT_SYSTEM;
	}
	return r;
}

int knet_line_globals(struct knet_ctx *ctx, int argc, char **argv)
{
	struct knet_error err = {0};
	struct knet_args *a = malloc(sizeof(*a));
	int cmd = 0, r;

	if (!a)
		return -ENOMEM;
	if (argc > 0 && strcmp(argv[0], KNET_STOP_ON_STDIN) == 0) {
		argc--;
		argv++;
	}
	r = parse_line(ctx, argc, argv, a, &cmd, &err);
	if (r == 0)
		r = apply_globals(ctx, a) ? -EINVAL : 0;
	free(a);
	return r;
}

int knet_dispatch(struct knet_ctx *ctx, int argc, char **argv)
{
	/*
	 * On the heap: 8.7 KiB on the stack would all be touched at entry
	 * (-fstack-clash-protection probes every page of a frame), where
	 * the parse writes a few hundred bytes of it.
	 */
	struct knet_args *a = malloc(sizeof(*a));
	char **merged;
	int n = 0, r;

	if (!a) {
		fprintf(stderr, "knet: out of memory\n");
		return KNET_EXIT_SYSTEM;
	}
	merged = merge_use(ctx, argc, argv, a, &n);

	/* Nothing a previous line did may leak into this one. */
	memset(&ctx->g, 0, sizeof(ctx->g));
	ctx->cmd = NULL;
	ctx->color_out = ctx->color_err = false;
	knet_catch_stop_reset();
	r = merged ? run_line(ctx, n, merged, a) : run_line(ctx, argc, argv, a);
	/* -n pointed into this line's words, which die with it. */
	if (ctx->api)
		knet_api_set_namespace(ctx->api, NULL);
	free(merged);
	free(a);
	return r;
}

int main(int argc, char **argv)
{
	struct knet_ctx ctx = {0};

	/* The locale is set per command (KNET_CMD_C_LOCALE), in run_line. */
	ctx.argv0 = argv[0];
	/*
	 * The remote end of --via k8s (stop-on-stdin.c): only as the first
	 * word, where knet_via_command_extra puts it; no table lists it,
	 * so neither help nor the completions show it.
	 */
	if (argc > 1 && strcmp(argv[1], KNET_STOP_ON_STDIN) == 0) {
		if (knet_stop_on_stdin_start() < 0) {
			fprintf(stderr, "knet: cannot watch stdin: %s\n",
				strerror(errno));
			return KNET_EXIT_SYSTEM;
		}
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	return knet_dispatch(&ctx, argc - 1, argv + 1);
}
