/* SPDX-License-Identifier: MIT */
/*
 * knet exec POD -- CMD...: run a command of the node inside a pod's
 * network namespace (only the network one: the file system, users and
 * tools are the node's), like `nsenter --net`.  knet forks; the child
 * enters and execs, the parent waits and exits with the command's
 * status.  A pod on another node is reached through the node transport.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "knet/node.h"

static const struct knet_opt exec_options[] = {
	{"netns", 0, KNET_OPT_STRING, "PATH",
	 "use this network namespace file instead of looking it up", NULL, 0, 0,
	 "file"},
	{"pid", 0, KNET_OPT_INT, "PID",
	 "use the network namespace of this process", NULL, 1, 4194304, NULL},
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

/* In the child: enter, then become the command. Never returns. */
static void child(const struct knet_ctx *ctx, const struct knet_source *src,
		  char *const *argv)
{
	struct knet_error err = {0};
	int fd;

	if (src->has_ns) {
		if (knet_netns_open(src->ns.path, &fd, &err) < 0)
			_exit(knet_fail(ctx, &err,
					"enter the network "
					"namespace of",
					src->label));
		if (setns(fd, CLONE_NEWNET) < 0) {
			knet_error_set(&err, -errno, KNET_EXIT_SYSTEM, "%s",
				       errno == EPERM
					       ? "entering a network namespace "
						 "needs CAP_SYS_ADMIN"
					       : strerror(errno));
			_exit(knet_fail(ctx, &err,
					"enter the network namespace of",
					src->label));
		}
		close(fd);
	}
	execvp(argv[0], argv);
	knet_error_set(&err, -errno, KNET_EXIT_SYSTEM, "%s", strerror(errno));
	knet_fail(ctx, &err, "run", argv[0]);
	/* What a shell says: 127 not found, 126 not executable. */
	_exit(errno == ENOENT ? 127 : 126);
}

static int run_local(struct knet_ctx *ctx, const struct knet_source *src,
		     char *const *argv)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		struct knet_error err = {0};

		knet_error_set(&err, -errno, KNET_EXIT_SYSTEM, "fork: %s",
			       strerror(errno));
		return knet_fail(ctx, &err, "run", argv[0]);
	}
	if (pid == 0)
		child(ctx, src, argv);
	/* ^C goes to the command (same process group), not to us. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return KNET_EXIT_SYSTEM;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static int exec_exec(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct knet_source_opts so = {
		.from = args->pos[0],
		.netns = knet_args_str(args, "netns", NULL),
		.pid = knet_args_int(args, "pid", 0),
		.node = ctx->g.node,
	};
	struct knet_error err = {0};
	struct knet_source *src = NULL;
	char *argv[KNET_ARGS_MAX_POS + 1];
	int argc = 0, status = 0, r;

	/* With --netns or --pid the pod may be left out. */
	if (args->dashdash == 0 && (so.netns || so.pid))
		so.from = NULL;
	else if (args->dashdash != 1)
		return knet_usage_error(ctx, "put '--' between the pod and the "
					     "command: knet exec POD -- CMD");
	for (int i = args->dashdash; i < args->npos; i++)
		argv[argc++] = (char *)args->pos[i];
	argv[argc] = NULL;
	if (so.from) {
		r = knet_ctx_api_setup(ctx);
		if (r)
			return r;
	}
	so.default_ns = knet_ctx_namespace(ctx);
	r = knet_source_resolve(ctx->api, &so, &src, &err);
	if (r < 0)
		return knet_fail(ctx, &err, "find the network namespace of",
				 so.from ? so.from : so.netns);
	if (src->remote_node) {
		knet_log(ctx, 1, "%s runs on node %s", src->label,
			 src->remote_node);
		r = knet_via_rerun(ctx->g.via, src->remote_node, NULL, NULL,
				   &status, &err);
		r = r < 0 ? knet_fail(ctx, &err, "reach node", src->remote_node)
			  : status;
	} else {
		knet_log(ctx, 1, "%s: %s (found by %s)", src->label,
			 src->ns.path, src->ns.how);
		r = run_local(ctx, src, argv);
	}
	knet_source_free(src);
	return r;
}

const struct knet_cmd knet_cmd_exec = {
	.name = "exec",
	.alias = NULL,
	.group = "node",
	.summary = "run a node command inside a pod's network namespace",
	.usage = "[options] POD -- COMMAND [ARG...]",
	.min_args = 1,
	.max_args = -1,
	.flags = KNET_CMD_ROOT,
	.options = exec_options,
	.complete_args = "pod",
	.exec = exec_exec,
};
