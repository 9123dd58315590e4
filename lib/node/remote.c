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

#include "knet/api.h"
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

int knet_via_exec(char *const *argv, volatile sig_atomic_t *stop,
		  int *ret_status, struct knet_error *err)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, oint, oquit;
	bool forwarded = false;
	int status, r = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return knet_error_set(err, -errno, KNET_EXIT_SYSTEM, "fork: %s",
				      strerror(errno));
	if (pid == 0) {
		knet_fd_cloexec_from(3);
		execvp(argv[0], argv);
		_exit(127);
	}
	/* ^C and ^\ are for the command (our process group), as in a
	 * shell: we stay to pass its exit status on. */
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			r = knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
					   "waitpid: %s", strerror(errno));
			break;
		}
		/* A SIGTERM for us ends the remote command too. */
		if (stop && *stop && !forwarded) {
			kill(pid, (int)*stop);
			forwarded = true;
		}
	}
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	if (r == 0)
		*ret_status = WIFEXITED(status) ? WEXITSTATUS(status)
						: 128 + WTERMSIG(status);
	return r;
}

/* A remote string list, as many items as it has. */
static int set_strlist(struct knet_table *t, int col, const cJSON *v)
{
	int n = 0, cap = cJSON_GetArraySize(v), r;
	const char **items;
	const cJSON *e;

	items = calloc(cap > 0 ? (size_t)cap : 1, sizeof(*items));
	if (!items)
		return -ENOMEM;
	cJSON_ArrayForEach(e, v)
	{
		if (n < cap && cJSON_IsString(e))
			items[n++] = e->valuestring;
	}
	r = knet_table_set_strlist(t, col, items, n);
	free(items);
	return r;
}

/* Remote microseconds: what is no whole number is a silence (null). */
static int set_usec_list(struct knet_table *t, int col, const cJSON *v)
{
	int n = 0, cap = cJSON_GetArraySize(v), r;
	long long *us;
	const cJSON *e;

	us = calloc(cap > 0 ? (size_t)cap : 1, sizeof(*us));
	if (!us)
		return -ENOMEM;
	cJSON_ArrayForEach(e, v)
	{
		if (n < cap && !knet_json_to_ll(e, &us[n++]))
			us[n - 1] = -1;
	}
	r = knet_table_set_usec_list(t, col, us, n);
	free(us);
	return r;
}

int knet_via_row(struct knet_table *t, const cJSON *obj)
{
	const struct knet_column *cols = knet_table_columns(t);
	int r = knet_table_add_row(t);

	for (int i = 0; r == 0 && cols[i].header; i++) {
		const cJSON *v = cols[i].json_key
					 ? cJSON_GetObjectItemCaseSensitive(
						   obj, cols[i].json_key)
					 : NULL;
		long long n = 0;

		if (!v || cJSON_IsNull(v))
			continue; /* stays missing */
		/* A number out of range stays missing as well. */
		if (cJSON_IsNumber(v) && !knet_json_to_ll(v, &n) &&
		    cols[i].type != KNET_CELL_PERCENT)
			continue;
		switch (cols[i].type) {
		case KNET_CELL_INT:
			if (cJSON_IsNumber(v))
				r = knet_table_set_int(t, i, n);
			break;
		case KNET_CELL_AGE:
			if (cJSON_IsNumber(v))
				r = knet_table_set_age(t, i, n);
			break;
		case KNET_CELL_USEC:
			if (cJSON_IsNumber(v))
				r = knet_table_set_usec(t, i, n);
			break;
		case KNET_CELL_BYTES:
			if (cJSON_IsNumber(v))
				r = knet_table_set_bytes(t, i, n);
			break;
		case KNET_CELL_PERCENT:
			if (cJSON_IsNumber(v))
				r = knet_table_set_percent(t, i,
							   v->valuedouble);
			break;
		case KNET_CELL_BOOL:
			if (cJSON_IsBool(v))
				r = knet_table_set_bool(t, i, cJSON_IsTrue(v));
			break;
		case KNET_CELL_STRLIST:
			if (cJSON_IsArray(v))
				r = set_strlist(t, i, v);
			break;
		case KNET_CELL_STR:
			if (cJSON_IsString(v))
				r = knet_table_set_str(t, i, v->valuestring);
			break;
		case KNET_CELL_USECLIST:
			if (cJSON_IsArray(v))
				r = set_usec_list(t, i, v);
			break;
		case KNET_CELL_JSON: /* the caller knows its table text */
		case KNET_CELL_NONE:
			break;
		}
	}
	return r;
}
