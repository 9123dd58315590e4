/* SPDX-License-Identifier: MIT */
/*
 * knet __k8s-exec NODE -- SELF ARGS... (hidden): the node transport
 * `--via k8s`.  Runs ARGS (SELF becomes "knet", the knet of the agent
 * image) in the agent pod of NODE through pods/exec, relays channel 1 to
 * stdout and 2 to stderr as they come (binary: a pcap stream passes
 * untouched), and exits with the remote status.  SIGINT/SIGTERM become
 * a byte on the remote stdin (the remote --stop-on-stdin stops as on
 * Ctrl-C and prints its summary; a second byte ends it).  -t: a
 * terminal (knet exec -it): stdin relayed, raw mode, SIGWINCH resizes.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"
#include "k8s-remote.h"
#include "knet/agent.h"
#include "knet/api.h"

static volatile sig_atomic_t stops, resized;

static void on_stop(int sig)
{
	(void)sig;
	stops++;
}

static void on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

static int sink(int channel, const void *buf, size_t len, void *ud)
{
	(void)ud;
	return knet_write_all(channel == 1 ? STDOUT_FILENO : STDERR_FILENO, buf,
			      len);
}

/*
 * The API options of the relayed line (--kubeconfig, --context, -v...)
 * where this one gives none: the caller's line is the one the user
 * typed, and the transport template runs us without them.
 */
static void inherit_globals(struct knet_ctx *ctx, int argc, char **argv)
{
	struct knet_ctx line = {.argv0 = ctx->argv0};
	struct knet_globals *g = &ctx->g, *l = &line.g;

	if (knet_line_globals(&line, argc, argv) < 0)
		return;
#define TAKE(f) (g->f = g->f ? g->f : l->f)
	TAKE(kubeconfig);
	TAKE(context);
	TAKE(request_timeout);
	TAKE(api_encoding);
	TAKE(kube.cluster);
	TAKE(kube.user);
	TAKE(kube.server);
	TAKE(kube.token);
	TAKE(kube.ca_file);
	TAKE(kube.tls_server_name);
	TAKE(kube.as);
#undef TAKE
	g->kube.insecure = g->kube.insecure || l->kube.insecure;
	if (!g->as_groups[0])
		memcpy(g->as_groups, l->as_groups, sizeof(g->as_groups));
	g->kube.as_groups = g->as_groups;
	if (l->verbose > g->verbose)
		g->verbose = l->verbose;
}

struct tty_state {
	bool raw;
	struct termios saved;
};

static void tty_raw(struct tty_state *t)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &t->saved) < 0)
		return;
	raw = t->saved;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0)
		t->raw = true;
}

static void tty_restore(struct tty_state *t)
{
	if (t->raw)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &t->saved);
	t->raw = false;
}

static void send_size(struct knet_exec *x)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col)
		knet_exec_resize(x, ws.ws_col, ws.ws_row, NULL);
}

/* The poll loop: 1 with the remote status known, <0 an error. */
static int relay(struct knet_exec *x, bool in, struct knet_error *err)
{
	bool in_user = in; /* stays when stdin reaches its end */
	int sent = 0;

	for (;;) {
		struct pollfd p[2] = {
			{.fd = knet_exec_fd(x), .events = POLLIN},
			{.fd = in ? STDIN_FILENO : -1, .events = POLLIN},
		};
		int r;

		/*
		 * Stdin is the command's: a stop here ends the stream, and
		 * the kubelet ends the command (SIGTERM, then SIGKILL).
		 */
		if (in_user && stops)
			return knet_error_set(err, -EINTR, KNET_EXIT_OK,
					      "stopped");
		/* One byte per signal: a second one ends the remote. */
		while (sent < stops) {
			r = knet_exec_write(x, 0, "\x03", 1, err);
			if (r < 0)
				return r;
			sent++;
		}
		if (resized) {
			resized = 0;
			send_size(x);
		}
		if (!knet_exec_ready(x) && poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
					      "poll: %s", knet_errstr(errno));
		}
		if (knet_exec_ready(x) || p[0].revents) {
			r = knet_exec_pump(x, sink, NULL, err);
			if (r == -EPIPE) /* quiet, as knet.c has it */
				return r;
			if (r != 0)
				return r;
		}
		if (in && p[1].revents) {
			char buf[32768];
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

			if (n < 0 && errno == EINTR)
				continue;
			/* v4 has no half-close: at EOF stdin just ends. */
			if (n <= 0)
				in = false;
			else if ((r = knet_exec_write(x, 0, buf, (size_t)n,
						      err)) < 0)
				return r;
		}
	}
}

/* /dev/null: what the node pipeline gives a transport it reads. */
static bool stdin_is_null(void)
{
	struct stat a, b;

	return fstat(STDIN_FILENO, &a) == 0 && stat("/dev/null", &b) == 0 &&
	       S_ISCHR(a.st_mode) && a.st_rdev == b.st_rdev;
}

static int exec_k8s_exec(struct knet_ctx *ctx, const struct knet_args *args)
{
	const char *node = args->pos[0];
	/*
	 * knet exec hands the transport its terminal or its stdin: then it
	 * is the command's (a terminal in raw mode, Ctrl-C a byte for the
	 * remote terminal), not a stop channel.  The node pipeline's other
	 * runs give /dev/null: then stdin is how a stop gets there.
	 */
	bool tty = knet_args_has(args, "tty") ||
		   (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO));
	bool in = tty || knet_args_has(args, "stdin") || !stdin_is_null();
	struct knet_agent_opts aopts = {0};
	struct knet_agent_ref ref = {0};
	struct knet_exec *x = NULL;
	struct knet_error err = {0};
	struct tty_state ts = {0};
	struct sigaction sa = {.sa_handler = on_stop};
	char **argv = NULL;
	int n = args->npos - 1, r, status = 0;

	if (args->dashdash != 1)
		return knet_usage_error(ctx, "'__k8s-exec' needs NODE -- "
					     "COMMAND...");
	argv = calloc((size_t)n + 1, sizeof(*argv));
	if (!argv)
		return KNET_EXIT_SYSTEM;
	for (int i = 0; i < n; i++)
		argv[i] = (char *)args->pos[i + 1];
	/*
	 * SELF is this binary's path here; there it is the image's knet.
	 * KNET_AGENT_KNET, a test hook, names another program there (a
	 * knet under test, sh for the tests' streams).  The relayed line's
	 * --token is taken for our own requests first.
	 */
	inherit_globals(ctx, n - 1, argv + 1);
	knet_k8s_remote_argv(argv, &n);
	/* A remote stdin that carries the user's bytes stops nothing. */
	if (in && n > 1 && !strcmp(argv[1], KNET_STOP_ON_STDIN)) {
		memmove(argv + 1, argv + 2, (size_t)(n - 1) * sizeof(*argv));
		n--;
	}
	r = knet_ctx_api_setup(ctx);
	if (r)
		goto out;
	aopts = knet_k8s_agent_opts();
	r = knet_agent_for_node(ctx->api, node, &aopts, &ref, &err);
	if (r < 0) {
		r = knet_fail(ctx, &err, "find the agent pod of node", node);
		goto out;
	}
	knet_log(ctx, 1, "node %s: agent pod %s/%s", node, ref.ns, ref.pod);
	/* No SA_RESTART: poll() returns at once to pass the stop on. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	{
		struct knet_exec_opts o = {
			.ns = ref.ns,
			.pod = ref.pod,
			.container = ref.container[0] ? ref.container : NULL,
			.argv = argv,
			.stdin = true,
			.tty = tty,
		};

		/* Ctrl-C while connecting ends it (then 130/143). */
		knet_api_set_stop(ctx->api, &stops);
		r = knet_exec_open(ctx->api, &o, &x, &err);
		knet_api_set_stop(ctx->api, NULL);
	}
	if (r == -EINTR) {
		r = 128 + SIGINT;
		goto out;
	}
	if (r < 0) {
		r = knet_fail(ctx, &err, "run knet on node", node);
		goto out;
	}
	if (tty) {
		struct sigaction w = {.sa_handler = on_winch};

		sigaction(SIGWINCH, &w, NULL);
		tty_raw(&ts);
		send_size(x);
	}
	r = relay(x, in, &err);
	tty_restore(&ts);
	if (r == -EINTR) {
		r = 128 + SIGTERM;
		goto out;
	}
	if (r == -EPIPE) {
		r = KNET_EXIT_SYSTEM;
		goto out;
	}
	if (r == -ECONNRESET) {
		struct knet_error why = {0};

		if (knet_agent_gone(ctx->api, &ref, &why) > 0)
			knet_error_set(&err, r, KNET_EXIT_SYSTEM,
				       "the exec stream to node %s dropped: %s",
				       node, why.reason);
		else
			knet_error_set(&err, r, KNET_EXIT_SYSTEM,
				       "the exec stream to node %s dropped",
				       node);
	}
	if (r < 0) {
		r = knet_fail(ctx, &err, "run knet on node", node);
		goto out;
	}
	r = knet_exec_status(x, &status) == 0 ? status : KNET_EXIT_SYSTEM;
	/* killed there, not stopped by us: its agent pod may be gone (the
	 * kubelet kills the pod's processes, the stream ends with 137) */
	if (r > 128 && !stops && knet_agent_gone(ctx->api, &ref, &err) > 0)
		r = knet_fail(ctx, &err, "run knet on node", node);
out:
	knet_exec_free(x);
	knet_ctx_api_teardown(ctx);
	free(argv);
	return r;
}

static const struct knet_opt k8s_exec_options[] = {
	{"stdin", 'i', KNET_OPT_FLAG, NULL, "relay stdin to the command", NULL,
	 0, 0, NULL},
	{"tty", 't', KNET_OPT_FLAG, NULL,
	 "a terminal: raw mode, stdin relayed, window size followed", NULL, 0,
	 0, NULL},
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

const struct knet_cmd knet_cmd_k8s_exec = {
	.name = "__k8s-exec",
	.group = "other",
	.summary = "run knet in a node's agent pod through pods/exec",
	.usage = "[-i] [-t] NODE -- SELF [ARGS...]",
	.min_args = 2,
	.max_args = -1,
	.flags = KNET_CMD_HIDDEN | KNET_CMD_C_LOCALE,
	.options = k8s_exec_options,
	.exec = exec_k8s_exec,
};
