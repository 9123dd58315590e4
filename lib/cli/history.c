/* SPDX-License-Identifier: MIT */
/*
 * Where the shell keeps its history and how big it may grow.  History
 * holds what was typed during incidents (names, sometimes a --token), so
 * only its owner may read it, and it is capped so it never grows without
 * bound across years of use.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "knet/cli.h"

static const char *env(const char *(*getenv_fn)(const char *), const char *name)
{
	const char *v = getenv_fn ? getenv_fn(name) : getenv(name);

	return v && *v == '/' ? v : NULL; /* XDG: relative ones are ignored */
}

int knet_history_path(char *buf, size_t len,
		      const char *(*getenv_fn)(const char *name))
{
	const char *state = env(getenv_fn, "XDG_STATE_HOME");
	const char *home = env(getenv_fn, "HOME");
	int n;

	if (state)
		n = snprintf(buf, len, "%s/knet/history", state);
	else if (home)
		n = snprintf(buf, len, "%s/.local/state/knet/history", home);
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int knet_history_prepare(const char *path, struct knet_error *err)
{
	char dir[PATH_MAX];
	size_t len = strlen(path);
	int fd;

	if (len >= sizeof(dir))
		return knet_error_set(err, -ENAMETOOLONG, KNET_EXIT_SYSTEM,
				      "path too long");
	memcpy(dir, path, len + 1);
	/* mkdir -p of the folders, each 0700 when made */
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
					      "%s: %s", dir, strerror(errno));
		*p = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return knet_error_set(err, -errno, KNET_EXIT_SYSTEM, "%s: %s",
				      path, strerror(errno));
	if (fchmod(fd, 0600) < 0) {
		int e = errno;

		close(fd);
		return knet_error_set(err, -e, KNET_EXIT_SYSTEM, "%s: %s", path,
				      strerror(e));
	}
	close(fd);
	return 0;
}

int knet_history_cap(const char *path, int max, struct knet_error *err)
{
	char tmp[PATH_MAX];
	char *data = NULL, *keep;
	size_t len = 0, cap = 0;
	int lines = 0, r = 0, fd;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT
			       ? 0
			       : knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
						"%s: %s", path,
						strerror(errno));
	for (;;) {
		size_t got;

		if (len + 4096 + 1 > cap) {
			char *d = realloc(data, cap ? cap * 2 : 8192);

			if (!d) {
				r = -ENOMEM;
				break;
			}
			data = d;
			cap = cap ? cap * 2 : 8192;
		}
		got = fread(data + len, 1, 4096, f);
		len += got;
		if (got < 4096)
			break;
	}
	fclose(f);
	if (r < 0 || !data) {
		free(data);
		return r < 0 ? knet_error_set(err, r, KNET_EXIT_SYSTEM,
					      "out of memory")
			     : 0;
	}
	data[len] = '\0';
	/* From the end: the start of the max-th last line. */
	keep = data;
	for (size_t i = len; i > 0; i--) {
		if (data[i - 1] != '\n' || i == len)
			continue;
		if (++lines >= max) {
			keep = data + i;
			break;
		}
	}
	if (keep == data) {
		free(data);
		return 0;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		free(data);
		return knet_error_set(err, -ENAMETOOLONG, KNET_EXIT_SYSTEM,
				      "path too long");
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd >= 0) {
		size_t want = len - (size_t)(keep - data);
		bool ok = write(fd, keep, want) == (ssize_t)want;

		if (close(fd) < 0 || !ok)
			fd = -1;
	}
	if (fd < 0 || rename(tmp, path) < 0) {
		r = errno ? -errno : -EIO;
		unlink(tmp);
		free(data);
		return knet_error_set(err, r, KNET_EXIT_SYSTEM, "%s: %s", path,
				      strerror(-r));
	}
	free(data);
	return 0;
}
