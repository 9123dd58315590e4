/* SPDX-License-Identifier: MIT */
/* Whole-file reads, bounded (kubeconfigs, tokens, /proc files). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "knet/base.h"

int knet_file_read(const char *path, size_t max, char **ret_data,
		   size_t *ret_len)
{
	size_t len = 0, cap = 4096;
	char *buf = NULL, *nbuf;
	struct stat st;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		goto cleanup;
	}
	if (st.st_size > 0 && (size_t)st.st_size < max)
		cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		r = -ENOMEM;
		goto cleanup;
	}
	for (;;) {
		if (len + 1 >= cap) {
			if (cap >= max) {
				r = -EFBIG;
				goto cleanup;
			}
			/*
			 * Not realloc: the old block would go back to the
			 * heap unwiped, and files read here hold secrets
			 * (kubeconfigs, token files).
			 */
			nbuf = malloc(cap * 2);
			if (!nbuf) {
				r = -ENOMEM;
				goto cleanup;
			}
			memcpy(nbuf, buf, len);
			explicit_bzero(buf, cap);
			free(buf);
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_data = buf;
	if (ret_len)
		*ret_len = len;
	buf = NULL;
	r = 0;
cleanup:
	if (buf)
		explicit_bzero(buf, cap);
	free(buf);
	close(fd);
	return r;
}
