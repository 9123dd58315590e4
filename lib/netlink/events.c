/* SPDX-License-Identifier: MIT */
/*
 * Live conntrack events (see knet/netlink.h for what loss means).
 *
 * One datagram may hold several events; they are handed out one per
 * knet_ct_events_next() from the buffer they arrived in.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "netlink-internal.h"

/* What to ask for first, and how far ENOBUFS may grow it. */
#define EV_RCVBUF_START (8 * 1024 * 1024)
#define EV_RCVBUF_MAX	(128 * 1024 * 1024)
#define EV_BUF		(64 * 1024)

struct knet_ct_events {
	struct knet_nl *nl;
	struct knet_ct_filter filter;
	bool filtered;
	unsigned int types;
	unsigned long overruns;
	int rcvbuf; /* what we asked for */
	unsigned char *buf;
	int len, off; /* the datagram being handed out */
};

/*
 * SO_RCVBUFFORCE goes past rmem_max with CAP_NET_ADMIN; without it the
 * kernel caps SO_RCVBUF at rmem_max.  Returns the size the kernel took.
 */
static int set_rcvbuf(struct knet_ct_events *ev, int size)
{
	int fd = ev->nl->fd, got = 0;
	socklen_t len = sizeof(got);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
				 sizeof(size));
	ev->rcvbuf = size;
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0)
		return got;
	return size;
}

int knet_ct_events_open(const struct knet_ct_filter *filter, unsigned int types,
			struct knet_ct_events **ret, struct knet_error *err)
{
	struct knet_ct_events *ev = calloc(1, sizeof(*ev));
	unsigned int groups = 0;
	int on = 1, r;

	if (!ev)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	ev->types = types & (KNET_CT_EVENT_NEW | KNET_CT_EVENT_UPDATE |
			     KNET_CT_EVENT_DESTROY);
	if (!ev->types)
		ev->types = KNET_CT_EVENT_NEW | KNET_CT_EVENT_UPDATE |
			    KNET_CT_EVENT_DESTROY;
	if (filter) {
		ev->filter = *filter;
		r = knet_ct_filter_check(&ev->filter, err);
		if (r < 0)
			goto fail;
		ev->filtered = true;
	}
	if (ev->types & KNET_CT_EVENT_NEW)
		groups |= 1u << (NFNLGRP_CONNTRACK_NEW - 1);
	if (ev->types & KNET_CT_EVENT_UPDATE)
		groups |= 1u << (NFNLGRP_CONNTRACK_UPDATE - 1);
	if (ev->types & KNET_CT_EVENT_DESTROY)
		groups |= 1u << (NFNLGRP_CONNTRACK_DESTROY - 1);
	ev->buf = malloc(EV_BUF);
	if (!ev->buf) {
		r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				   "out of memory");
		goto fail;
	}
	r = ct_socket_open(groups, &ev->nl, err);
	if (r < 0)
		goto fail;
	if (setsockopt(ev->nl->fd, SOL_NETLINK, NETLINK_BROADCAST_ERROR, &on,
		       sizeof(on)) < 0) {
		r = ct_error(err, -errno, "netlink broadcast errors");
		goto fail;
	}
	set_rcvbuf(ev, EV_RCVBUF_START);
	*ret = ev;
	return 0;
fail:
	knet_ct_events_close(ev);
	return r;
}

int knet_ct_events_set_rcvbuf(struct knet_ct_events *ev, int bytes)
{
	return set_rcvbuf(ev, bytes > 0 ? bytes : EV_RCVBUF_START);
}

int knet_ct_events_fd(const struct knet_ct_events *ev)
{
	return ev->nl->fd;
}

static enum knet_ct_event_type event_type(const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_type == CT_MSG(IPCTNL_MSG_CT_DELETE))
		return KNET_CT_EVENT_DESTROY;
	if (nlh->nlmsg_type != CT_MSG(IPCTNL_MSG_CT_NEW))
		return 0;
	/* NEW and UPDATE share a type; NEW is the one that creates. */
	return nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)
		       ? KNET_CT_EVENT_NEW
		       : KNET_CT_EVENT_UPDATE;
}

/* The next wanted event from the buffer: 1, 0 when it is used up. */
static int take(struct knet_ct_events *ev, struct knet_ct_event *ret,
		struct knet_error *err)
{
	const struct nlmsghdr *nlh;
	enum knet_ct_event_type type;
	int r;

	while (ev->off < ev->len) {
		nlh = (const void *)(ev->buf + ev->off);
		if (!knet_nlmsg_ok(nlh, ev->len - ev->off)) {
			ev->off = ev->len;
			return knet_error_set(err, -EBADMSG, KNET_EXIT_SYSTEM,
					      "malformed netlink message from "
					      "the kernel");
		}
		ev->off += (int)NLMSG_ALIGN(nlh->nlmsg_len);
		type = event_type(nlh);
		if (!(type & ev->types))
			continue;
		memset(ret, 0, sizeof(*ret));
		r = knet_ct_entry_parse(nlh, nlh->nlmsg_len, &ret->entry, err);
		if (r < 0)
			return r;
		if (ev->filtered && ct_filter_fails(&ev->filter, &ret->entry))
			continue;
		ret->type = type;
		return 1;
	}
	return 0;
}

/* An overrun: grow the buffer and say so. */
static int lost(struct knet_ct_events *ev, struct knet_ct_event *ret)
{
	int size = ev->rcvbuf;

	ev->overruns++;
	if (size < EV_RCVBUF_MAX)
		size *= 2;
	memset(ret, 0, sizeof(*ret));
	ret->type = KNET_CT_EVENT_LOST;
	ret->overruns = ev->overruns;
	ret->resync = true;
	ret->rcvbuf = set_rcvbuf(ev, size);
	return 1;
}

int knet_ct_events_next(struct knet_ct_events *ev, int timeout_ms,
			struct knet_ct_event *ret_event, struct knet_error *err)
{
	long long deadline = timeout_ms > 0 ? knet_mono_ms() + timeout_ms : 0;
	struct pollfd pfd = {.fd = ev->nl->fd, .events = POLLIN};
	ssize_t n;
	int r, wait;

	for (;;) {
		r = take(ev, ret_event, err);
		if (r != 0)
			return r;
		wait = timeout_ms;
		if (timeout_ms > 0) {
			long long left = deadline - knet_mono_ms();

			wait = left > 0 ? (int)left : 0;
		}
		r = poll(&pfd, 1, wait);
		if (r < 0)
			return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
					      "conntrack events: %s",
					      knet_errstr(-errno));
		if (r == 0)
			return 0;
		n = recv(pfd.fd, ev->buf, EV_BUF, MSG_DONTWAIT);
		if (n < 0) {
			r = -errno;
			if (r == -ENOBUFS)
				return lost(ev, ret_event);
			if (r == -EAGAIN || r == -EINTR)
				continue;
			return ct_error(err, r, "conntrack events");
		}
		ev->len = (int)n;
		ev->off = 0;
	}
}

void knet_ct_events_close(struct knet_ct_events *ev)
{
	if (!ev)
		return;
	if (ev->nl)
		knet_nl_close(ev->nl);
	free(ev->buf);
	free(ev);
}
