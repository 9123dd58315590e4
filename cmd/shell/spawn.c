/* SPDX-License-Identifier: MIT */
/*
 * Node commands drop privileges for good, take SIGINT for their summary
 * and may own the terminal: in the shell they run as a child knet with
 * the same words (the `use` defaults already written in by dispatch),
 * so the shell keeps its root, its signals and its terminal, and the
 * command behaves exactly as `knet ...` would.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shell.h"

int knet_shell_spawn(struct knet_ctx *ctx, int argc, char **argv)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, oint, oquit;
	char **v = calloc((size_t)argc + 2, sizeof(*v));
	int status = 0;
	pid_t pid;

	if (!v)
		return KNET_EXIT_SYSTEM;
	v[0] = (char *)"knet";
	memcpy(v + 1, argv, (size_t)argc * sizeof(*v));
	fflush(stdout);
	fflush(stderr);
	/* Ctrl-C goes to the child (same process group): it prints its
	 * summary and ends; the shell only waits. */
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		/* A runbook on stdin is the shell's: a child reading it
		 * (exec ... -- cat) would eat the lines that follow. */
		if (!isatty(STDIN_FILENO)) {
			int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

			if (fd >= 0)
				dup2(fd, STDIN_FILENO);
		}
		execv("/proc/self/exe", v);
		fprintf(stderr, "knet: cannot run '%s': %s\n", ctx->cmd->name,
			strerror(errno));
		_exit(KNET_EXIT_SYSTEM);
	}
	free(v);
	if (pid < 0) {
		fprintf(stderr, "knet: cannot run '%s': %s\n", ctx->cmd->name,
			strerror(errno));
		status = -1;
	} else {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	if (pid < 0)
		return KNET_EXIT_SYSTEM;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
