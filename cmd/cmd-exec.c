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
#include "node-common.h"

static const struct knet_opt exec_options[] = {
	{"netns", 0, KNET_OPT_STRING, "PATH",
	 "use this network namespace file instead of looking it up", NULL, 0, 0,
	 "file"},
	{"pid", 0, KNET_OPT_INT, "PID",
	 "use the network namespace of this process", NULL, 1, 4194304, NULL},
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

/* What a shell says when exec fails: 127 not found, 126 not runnable. */
static int exec_status(int e)
{
	return e == ENOENT ? 127 : 126;
}

/* In the child: enter, then become the command. Never returns. */
static void child(const struct knet_ctx *ctx, const struct knet_source *src,
		  char *const *argv)
{
	struct knet_error err = {0};
	int e;

	/* By the fd pinned when the pod was found, never by its path. */
	if (src->has_ns) {
		if (knet_netns_verify(&src->ns, &err) < 0)
			_exit(knet_fail(ctx, &err,
					"enter the network namespace of",
					src->label));
		if (setns(src->ns.fd, CLONE_NEWNET) < 0) {
			e = errno;
			knet_error_set(&err, -e, KNET_EXIT_SYSTEM, "%s",
				       e == EPERM ? "entering a network "
						    "namespace needs "
						    "CAP_SYS_ADMIN"
						  : strerror(e));
			_exit(knet_fail(ctx, &err,
					"enter the network namespace of",
					src->label));
		}
	}
	/* The API connection (libcurl's sockets) is not the command's. */
	knet_fd_cloexec_from(3);
	execvp(argv[0], argv);
	/* Before anything (stdio included) can change errno. */
	e = errno;
	knet_error_set(&err, -e, KNET_EXIT_SYSTEM, "%s", strerror(e));
	knet_fail(ctx, &err, "run", argv[0]);
	_exit(exec_status(e));
}

static int run_local(struct knet_ctx *ctx, struct knet_node_job *job)
{
	char *const *argv = job->data;
	bool forwarded = false;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		knet_error_set(&job->err, -errno, KNET_EXIT_SYSTEM, "fork: %s",
			       strerror(errno));
		return knet_fail(ctx, &job->err, "run", argv[0]);
	}
	if (pid == 0)
		child(ctx, job->src, argv);
	/* ^C goes to the command (same process group), not to us. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			knet_error_set(&job->err, -errno, KNET_EXIT_SYSTEM,
				       "waitpid: %s", strerror(errno));
			return knet_fail(ctx, &job->err, "run", argv[0]);
		}
		/*
		 * A SIGTERM for us (timeout(1), a runbook's supervisor) is
		 * for the command: it is ours to end, and its status ours.
		 */
		if (*job->stop && !forwarded) {
			kill(pid, (int)*job->stop);
			forwarded = true;
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static int exec_exec(struct knet_ctx *ctx, const struct knet_args *args)
{
	char *argv[KNET_ARGS_MAX_POS + 1];
	struct knet_node_job job;
	int argc = 0, r;

	knet_node_job_init(&job, ctx, args);
	job.so.from = args->pos[0];
	/* With --netns or --pid the pod may be left out. */
	if (args->dashdash == 0 && (job.so.netns || job.so.pid))
		job.so.from = NULL;
	else if (args->dashdash != 1)
		return knet_usage_error(ctx, "put '--' between the pod and the "
					     "command: knet exec POD -- CMD");
	for (int i = args->dashdash; i < args->npos; i++)
		argv[argc++] = (char *)args->pos[i];
	argv[argc] = NULL;
	job.verb = "run";
	job.verb_from = "run in";
	job.find_verb = "find the network namespace of";
	/* The user's command runs as root in the pod, as with nsenter. */
	job.keep_privileges = true;
	job.remote_tty = true;
	job.run = run_local;
	job.data = argv;
	r = knet_node_run(ctx, &job);
	knet_node_job_clear(&job);
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
