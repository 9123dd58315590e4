/* SPDX-License-Identifier: MIT */
/*
 * A bound netlink socket (include/knet/nlmsg.h): open, send to the
 * kernel, receive what the kernel sent.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "knet/nlmsg.h"

struct knet_nl *knet_nl_open(int bus, unsigned int groups)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = groups};
	socklen_t len = sizeof(sa);
	struct knet_nl *nl = malloc(sizeof(*nl));
	int saved;

	if (!nl)
		return NULL;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, bus);
	if (nl->fd < 0)
		goto fail;
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(nl->fd, (struct sockaddr *)&sa, &len) < 0)
		goto fail;
	if (len != sizeof(sa) || sa.nl_family != AF_NETLINK) {
		errno = EINVAL;
		goto fail;
	}
	nl->portid = sa.nl_pid;
	return nl;
fail:
	saved = errno;
	if (nl->fd >= 0)
		close(nl->fd);
	free(nl);
	errno = saved;
	return NULL;
}

void knet_nl_close(struct knet_nl *nl)
{
	if (!nl)
		return;
	close(nl->fd);
	free(nl);
}

ssize_t knet_nl_send(struct knet_nl *nl, const void *buf, size_t len)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};

	return sendto(nl->fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa));
}

ssize_t knet_nl_recv(struct knet_nl *nl, void *buf, size_t len)
{
	for (;;) {
		struct sockaddr_nl sa;
		struct iovec iov = {.iov_base = buf, .iov_len = len};
		struct msghdr msg = {.msg_name = &sa,
				     .msg_namelen = sizeof(sa),
				     .msg_iov = &iov,
				     .msg_iovlen = 1};
		ssize_t n = recvmsg(nl->fd, &msg, 0);

		if (n < 0)
			return n;
		if (msg.msg_flags & MSG_TRUNC) {
			errno = ENOSPC;
			return -1;
		}
		if (msg.msg_namelen == sizeof(sa) && sa.nl_pid == 0)
			return n;
	}
}
