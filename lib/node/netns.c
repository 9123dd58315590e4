/* SPDX-License-Identifier: MIT */
/*
 * Entering and leaving a network namespace on the calling thread.
 *
 * setns(2) changes the namespace of one thread only, which is what we
 * want: the thread goes in, opens its sockets and comes back.  Each move
 * is checked against /proc/thread-self/ns/net, since a thread that
 * silently stayed in a pod's namespace would probe from the wrong place.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "knet/node.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

#define SELF_NS "/proc/thread-self/ns/net"

int knet_netns_self(dev_t *ret_dev, ino_t *ret_ino)
{
	struct stat st;

	if (stat(SELF_NS, &st) < 0)
		return -errno;
	*ret_dev = st.st_dev;
	*ret_ino = st.st_ino;
	return 0;
}

int knet_netns_open(const char *path, int *ret_fd, struct knet_error *err)
{
	struct statfs sfs;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT || r == -ESRCH)
			return knet_error_set(err, -ENOENT, KNET_EXIT_NOT_FOUND,
					      "network namespace %s is gone",
					      path);
		return knet_error_set(err, r, KNET_EXIT_SYSTEM, "open %s: %s",
				      path, strerror(-r));
	}
	/* /proc/N/ns/net opens nsfs; a bind mount of it does too. */
	if (fstatfs(fd, &sfs) < 0 ||
	    (sfs.f_type != NSFS_MAGIC && sfs.f_type != PROC_SUPER_MAGIC)) {
		close(fd);
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "%s is not a network namespace", path);
	}
	*ret_fd = fd;
	return 0;
}

int knet_netns_open_pid(pid_t pid, int *ret_fd, struct knet_error *err)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return knet_netns_open(path, ret_fd, err);
}

int knet_netns_enter(int fd, struct knet_netns_saved *ret_saved,
		     struct knet_error *err)
{
	struct knet_netns_saved saved;
	struct stat target, now;
	int r;

	if (fstat(fd, &target) < 0)
		return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
				      "stat namespace: %s", strerror(errno));
	saved.fd = open(SELF_NS, O_RDONLY | O_CLOEXEC);
	if (saved.fd < 0)
		return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
				      "open %s: %s", SELF_NS, strerror(errno));
	r = knet_netns_self(&saved.dev, &saved.ino);
	if (r < 0) {
		close(saved.fd);
		return knet_error_set(err, r, KNET_EXIT_SYSTEM, "stat %s: %s",
				      SELF_NS, strerror(-r));
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		r = -errno;
		close(saved.fd);
		if (r == -EPERM)
			return knet_error_set(err, r, KNET_EXIT_SYSTEM,
					      "entering a network namespace "
					      "needs CAP_SYS_ADMIN");
		if (r == -EINVAL)
			return knet_error_set(err, r, KNET_EXIT_SYSTEM,
					      "not a network namespace");
		return knet_error_set(err, r, KNET_EXIT_SYSTEM, "setns: %s",
				      strerror(-r));
	}
	if (stat(SELF_NS, &now) < 0 || now.st_ino != target.st_ino ||
	    now.st_dev != target.st_dev) {
		/* We moved somewhere, but not there: go home first. */
		knet_netns_leave(&saved);
		return knet_error_set(err, -EIO, KNET_EXIT_SYSTEM,
				      "setns did not move this thread");
	}
	*ret_saved = saved;
	return 0;
}

/* Which namespace @path names now: -ENOENT when nothing does. */
static int identity_at(const char *path, struct stat *ret)
{
	if (stat(path, ret) == 0)
		return 0;
	return errno == ENOENT || errno == ESRCH ? -ENOENT : -errno;
}

static int not_the_one(const char *path, struct knet_error *err)
{
	return knet_error_set(err, -ESTALE, KNET_EXIT_SYSTEM,
			      "network namespace %s is not the one found "
			      "(replaced since: pod restarted, or its process "
			      "ID reused?); refusing to enter it",
			      path);
}

int knet_netns_pin(struct knet_netns_info *info, struct knet_error *err)
{
	struct stat st;
	int fd, r;

	if (info->pinned)
		return 0;
	r = knet_netns_open(info->path, &fd, err);
	if (r == -ENOENT)
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "network namespace %s is gone",
				      info->path);
	if (r < 0)
		return r;
	if (fstat(fd, &st) < 0 || st.st_dev != info->dev ||
	    st.st_ino != info->ino) {
		close(fd);
		return not_the_one(info->path, err);
	}
	info->fd = fd;
	info->pinned = true;
	return 0;
}

int knet_netns_verify(const struct knet_netns_info *info,
		      struct knet_error *err)
{
	struct stat pinned, now;
	int r;

	if (!info->pinned)
		return knet_error_set(err, -EBADF, KNET_EXIT_SYSTEM,
				      "network namespace %s was not kept open",
				      info->path);
	if (fstat(info->fd, &pinned) < 0)
		return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
				      "stat namespace: %s", strerror(errno));
	r = identity_at(info->path, &now);
	if (r == -ENOENT)
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "network namespace %s is gone",
				      info->path);
	if (r < 0)
		return knet_error_set(err, r, KNET_EXIT_SYSTEM, "stat %s: %s",
				      info->path, strerror(-r));
	if (now.st_dev != pinned.st_dev || now.st_ino != pinned.st_ino)
		return not_the_one(info->path, err);
	return 0;
}

void knet_netns_leave(struct knet_netns_saved *saved)
{
	dev_t dev;
	ino_t ino;

	if (saved->fd < 0)
		return;
	if (setns(saved->fd, CLONE_NEWNET) < 0)
		abort();
	if (knet_netns_self(&dev, &ino) < 0 || dev != saved->dev ||
	    ino != saved->ino)
		abort();
	close(saved->fd);
	saved->fd = -1;
}
