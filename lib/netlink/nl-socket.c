/* SPDX-License-Identifier: MIT */
/*
 * A bound netlink socket (include/knet/nlmsg.h): open, send to the
 * kernel, receive what the kernel sent, and read the answers to one
 * request (ctnetlink's requests and dumps, rtnetlink's address dumps).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "knet/base.h"
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

/* The first failure is the one reported; later ones only end the run. */
static void first_error(struct knet_nl_run *st, int code, bool kernel)
{
	if (!st->error) {
		st->error = code;
		st->kernel = kernel;
	}
}

/* A malformed datagram: @n bytes that are no message (@stray), or a
 * message too short for its kind. */
static void malformed(struct knet_nl_run *st, int n, bool stray)
{
	if (!st->error)
		knet_error_set(st->err, -EBADMSG, KNET_EXIT_SYSTEM,
			       "malformed netlink %s from the kernel (%d %s)",
			       stray ? "message" : "error message", n,
			       stray ? "stray bytes" : "bytes");
	first_error(st, -EBADMSG, false);
}

/* One message of the answers: true when it ends the request. */
static bool run_msg(const struct nlmsghdr *nlh, struct knet_nl_run *st)
{
	const struct nlmsgerr *e;
	int r;

	/* Read on to the end all the same: the socket stays in step. */
	if (st->intr_fails && nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		first_error(st, -EINTR, true);
	switch (nlh->nlmsg_type) {
	case NLMSG_NOOP:
	case NLMSG_OVERRUN:
		return false;
	case NLMSG_DONE:
		/* A dump that failed half-way says why in NLMSG_DONE. */
		if (knet_nlmsg_payload_len(nlh) >= sizeof(int)) {
			int code;

			memcpy(&code, knet_nlmsg_payload(nlh), sizeof(code));
			if (code < 0)
				first_error(st, code, true);
		}
		return true;
	case NLMSG_ERROR:
		if (knet_nlmsg_payload_len(nlh) < sizeof(*e)) {
			malformed(st, (int)knet_nlmsg_payload_len(nlh), false);
			return true;
		}
		e = knet_nlmsg_payload(nlh);
		if (e->error < 0)
			first_error(st, e->error, true);
		return true;
	}
	if (st->fn && !st->error && !st->stop) {
		r = st->fn(nlh, st->data);
		if (r < 0)
			first_error(st, r, false);
		else if (r > 0)
			st->stop = true;
	}
	return false;
}

bool knet_nl_run_datagram(struct knet_nl_run *st, const void *buf, int len)
{
	const struct nlmsghdr *nlh;
	int left = len;

	for (nlh = buf; knet_nlmsg_ok(nlh, left);
	     nlh = knet_nlmsg_next(nlh, &left)) {
		/* Answers to an earlier, abandoned request. */
		if (!knet_nlmsg_answers(nlh, st->seq, st->portid))
			continue;
		if (run_msg(nlh, st))
			return true;
	}
	/* Bytes that are no whole message: a malformed datagram. */
	if (left > 0)
		malformed(st, left, true);
	return false;
}

bool knet_nl_datagram_ends(const void *buf, int len, uint32_t portid,
			   uint32_t seq)
{
	const struct nlmsghdr *nlh;
	int left = len;

	for (nlh = buf; knet_nlmsg_ok(nlh, left);
	     nlh = knet_nlmsg_next(nlh, &left))
		if (knet_nlmsg_answers(nlh, seq, portid) &&
		    (nlh->nlmsg_type == NLMSG_DONE ||
		     nlh->nlmsg_type == NLMSG_ERROR))
			return true;
	return false;
}

int knet_nl_run(struct knet_nl *nl, void *buf, size_t buflen,
		struct knet_nl_run *st)
{
	for (;;) {
		ssize_t n = knet_nl_recv(nl, buf, buflen);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (knet_nl_run_datagram(st, buf, (int)n))
			return 0;
	}
}
