/* SPDX-License-Identifier: MIT */
/*
 * The local end of the node transport: run the remote knet with our
 * terminal (exec) or read its JSON Lines back into a table, so a remote
 * run prints exactly like a local one.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "knet/node.h"

int knet_self_exe(char **ret_path, struct knet_error *err)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	char *s;

	if (n < 0)
		return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
				      "readlink /proc/self/exe: %s",
				      strerror(errno));
	buf[n] = '\0';
	s = strdup(buf);
	if (!s)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	*ret_path = s;
	return 0;
}

int knet_via_exec(char *const *argv, int *ret_status, struct knet_error *err)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, oint, oquit;
	int status, r = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return knet_error_set(err, -errno, KNET_EXIT_SYSTEM, "fork: %s",
				      strerror(errno));
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	/* ^C and ^\ are for the command (our process group), as in a
	 * shell: we stay to pass its exit status on. */
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			r = knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
					   "waitpid: %s", strerror(errno));
			break;
		}
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	if (r == 0)
		*ret_status = WIFEXITED(status) ? WEXITSTATUS(status)
						: 128 + WTERMSIG(status);
	return r;
}

int knet_via_row(struct knet_table *t, const struct knet_column *cols,
		 const enum knet_cell_type *types, const cJSON *obj)
{
	int r = knet_table_add_row(t);

	for (int i = 0; r == 0 && cols[i].header; i++) {
		const cJSON *v = cols[i].json_key
					 ? cJSON_GetObjectItemCaseSensitive(
						   obj, cols[i].json_key)
					 : NULL;

		if (!v || cJSON_IsNull(v) || types[i] == KNET_CELL_NONE)
			continue; /* stays "none", or the caller sets it */
		switch (types[i]) {
		case KNET_CELL_INT:
			r = knet_table_set_int(t, i, (long long)v->valuedouble);
			break;
		case KNET_CELL_USEC:
			r = knet_table_set_usec(t, i,
						(long long)v->valuedouble);
			break;
		case KNET_CELL_BYTES:
			r = knet_table_set_bytes(t, i,
						 (long long)v->valuedouble);
			break;
		case KNET_CELL_PERCENT:
			r = knet_table_set_percent(t, i, v->valuedouble);
			break;
		case KNET_CELL_BOOL:
			r = knet_table_set_bool(t, i, cJSON_IsTrue(v));
			break;
		case KNET_CELL_STRLIST: {
			const char *items[64];
			int n = 0;
			const cJSON *e;

			cJSON_ArrayForEach(e,
					   v) if (n < 64 && cJSON_IsString(e))
				items[n++] = e->valuestring;
			r = knet_table_set_strlist(t, i, items, n);
			break;
		}
		default:
			if (cJSON_IsString(v))
				r = knet_table_set_str(t, i, v->valuestring);
			break;
		}
	}
	return r;
}
