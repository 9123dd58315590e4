/* SPDX-License-Identifier: MIT */
/*
 * What a program knet starts inherits: stdin, stdout, stderr, nothing
 * else.  libcurl's sockets (the API connection, its socketpair) are not
 * close-on-exec, nor may be what another library opens; a user's
 * command, the node transport or a credential plugin has no business
 * with them.  Called in the child between fork() and exec(), so only
 * async-signal-safe calls: no malloc, no opendir, no stdio.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <linux/close_range.h>

#include "knet/base.h"

/* Without close_range (kernels before 5.11): the fds /proc lists. */
static int walk_proc(int low)
{
	char buf[4096];
	int dfd = open("/proc/self/fd",
		       O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (dfd < 0)
		return -errno;
	while ((n = getdents64(dfd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			const struct dirent64 *d =
				(const struct dirent64 *)(buf + off);
			const char *s = d->d_name;
			long fd = 0;

			off += d->d_reclen;
			if (*s < '0' || *s > '9')
				continue;
			for (; *s >= '0' && *s <= '9'; s++)
				fd = fd * 10 + (*s - '0');
			if (fd >= low && fd != dfd)
				(void)fcntl((int)fd, F_SETFD, FD_CLOEXEC);
		}
	}
	close(dfd);
	return n < 0 ? -errno : 0;
}

void knet_fd_cloexec_from(int low)
{
	struct rlimit rl;

	if (close_range((unsigned)low, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	if (walk_proc(low) == 0)
		return;
	/* No /proc either: every fd the limit allows. */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > (1u << 20))
		rl.rlim_cur = 1u << 20;
	for (int fd = low; fd < (int)rl.rlim_cur; fd++)
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
}
