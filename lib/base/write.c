/* SPDX-License-Identifier: MIT */
/* knet_write_all(): every byte to an fd, as a pipe may take it in parts. */
#include <errno.h>
#include <unistd.h>

#include "knet/base.h"

int knet_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
