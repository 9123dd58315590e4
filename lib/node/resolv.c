/* SPDX-License-Identifier: MIT */
/*
 * A pod's /etc/resolv.conf.  It lives in the pod's mount namespace (a
 * bind mount the kubelet or containerd made), so the node's file says
 * nothing: read it through /proc/PID/root of a process of the pod, as
 * the kernel resolves that path in the process's own mount namespace.
 * The process is checked to be in the pod's network namespace before
 * and after the read, so that a PID reused meanwhile cannot hand us
 * another container's file.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "knet/node.h"

#define RESOLV_MAX (64 * 1024)

static bool in_ns(pid_t pid, const struct knet_netns_info *info)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return stat(path, &st) == 0 && st.st_dev == info->dev &&
	       st.st_ino == info->ino;
}

/* A process in the namespace: the one found with it, else any. */
static pid_t find_process(const struct knet_netns_info *info)
{
	struct dirent *e;
	pid_t found = 0;
	DIR *d;

	if (info->pid > 0 && in_ns(info->pid, info))
		return info->pid;
	d = opendir("/proc");
	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		if (in_ns((pid_t)pid, info))
			found = (pid_t)pid;
	}
	closedir(d);
	return found;
}

int knet_netns_resolv_conf(const struct knet_netns_info *info, char **ret_text,
			   char **ret_where, struct knet_error *err)
{
	char path[64], *text = NULL, *where = NULL;
	pid_t pid = 0;
	int r;

	if (!info || info->self) {
		snprintf(path, sizeof(path), "/etc/resolv.conf");
	} else {
		pid = find_process(info);
		if (!pid)
			return knet_error_set(
				err, -ESRCH, KNET_EXIT_SYSTEM,
				"no process runs in %s to read its "
				"/etc/resolv.conf from",
				info->path);
		snprintf(path, sizeof(path), "/proc/%d/root/etc/resolv.conf",
			 (int)pid);
	}
	r = knet_file_read(path, RESOLV_MAX, &text, NULL);
	if (r < 0)
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "cannot read %s: %s", path, strerror(-r));
	if (pid && !in_ns(pid, info)) {
		free(text);
		return knet_error_set(err, -ESTALE, KNET_EXIT_SYSTEM,
				      "process %d left the pod's namespace "
				      "while its resolv.conf was read",
				      (int)pid);
	}
	where = strdup(path);
	if (!where) {
		free(text);
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	}
	*ret_text = text;
	*ret_where = where;
	return 0;
}
