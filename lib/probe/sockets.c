/* SPDX-License-Identifier: MIT */
/*
 * Probe sockets and what the kernel tells about each datagram.
 *
 * ICMP datagram sockets ("ping sockets") need no privilege but are gated
 * by net.ipv4.ping_group_range, which is per namespace and often "1 0"
 * (nobody): then a raw socket, which needs CAP_NET_RAW.  Errors caused by
 * our probes (time exceeded, unreachable, fragmentation needed) arrive on
 * the socket's error queue (IP_RECVERR) with the original destination
 * and the quoted payload, which is how probes are matched to answers.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "knet/probe.h"

#ifndef SO_TIMESTAMPNS
#define SO_TIMESTAMPNS 35
#endif

static int on(int fd, int level, int opt)
{
	int one = 1;

	return setsockopt(fd, level, opt, &one, sizeof(one));
}

static int raw_filter(int fd, int family)
{
	if (family == AF_INET) {
		/* Echo replies only: errors come from the error queue. */
		struct icmp_filter f = {.data = ~(1u << ICMP_ECHOREPLY)};

		return setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f));
	}
	struct icmp6_filter f6;

	memset(&f6, 0xff, sizeof(f6)); /* block all... */
	f6.data[ICMPV6_ECHO_REPLY >> 5] &= ~(1u << (ICMPV6_ECHO_REPLY & 31));
	return setsockopt(fd, IPPROTO_ICMPV6, ICMPV6_FILTER, &f6, sizeof(f6));
}

static int open_icmp(int family, bool *ret_raw, struct knet_error *err)
{
	int proto = family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	int fd, r;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, proto);
	if (fd >= 0) {
		*ret_raw = false;
		return fd;
	}
	fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (fd < 0) {
		r = -errno;
		if (r == -EPERM || r == -EACCES)
			return knet_error_set(err, -EPERM, KNET_EXIT_SYSTEM,
					      "ICMP needs CAP_NET_RAW (raw "
					      "socket refused, and "
					      "net.ipv4.ping_group_range "
					      "does not allow ping sockets)");
		if (r == -EAFNOSUPPORT)
			return knet_error_set(err, r, KNET_EXIT_SYSTEM,
					      "IPv6 is not available here");
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "ICMP socket: %s", strerror(-r));
	}
	if (raw_filter(fd, family) < 0) {
		r = -errno;
		close(fd);
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "ICMP filter: %s", strerror(-r));
	}
	*ret_raw = true;
	return fd;
}

int knet_probe_socket(int family, enum knet_probe_mode mode, bool *ret_raw,
		      struct knet_error *err)
{
	bool raw = false;
	int fd, r;
	bool v6 = family == AF_INET6;

	if (mode == KNET_PROBE_ICMP) {
		fd = open_icmp(family, &raw, err);
		if (fd < 0)
			return fd;
	} else {
		int type = mode == KNET_PROBE_TCP ? SOCK_STREAM : SOCK_DGRAM;

		fd = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			r = -errno;
			if (r == -EAFNOSUPPORT)
				return knet_error_set(err, r, KNET_EXIT_SYSTEM,
						      "IPv6 is not available "
						      "here");
			return knet_error_set(err, r, KNET_EXIT_SYSTEM,
					      "socket: %s", strerror(-r));
		}
	}
	if (on(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
	       v6 ? IPV6_RECVERR : IP_RECVERR) < 0 ||
	    on(fd, SOL_SOCKET, SO_TIMESTAMPNS) < 0 ||
	    on(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
	       v6 ? IPV6_RECVHOPLIMIT : IP_RECVTTL) < 0) {
		r = -errno;
		close(fd);
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "socket options: %s", strerror(-r));
	}
	if (ret_raw)
		*ret_raw = raw;
	return fd;
}

int knet_probe_set_ttl(int fd, int family, int ttl)
{
	if (family == AF_INET6)
		return setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl,
				  sizeof(ttl)) < 0
			       ? -errno
			       : 0;
	return setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0
		       ? -errno
		       : 0;
}

int knet_probe_set_df(int fd, int family, bool probe)
{
	int v;

	if (family == AF_INET6) {
		v = probe ? IPV6_PMTUDISC_PROBE : IPV6_PMTUDISC_DO;
		return setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v,
				  sizeof(v)) < 0
			       ? -errno
			       : 0;
	}
	v = probe ? IP_PMTUDISC_PROBE : IP_PMTUDISC_DO;
	return setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v)) < 0
		       ? -errno
		       : 0;
}

static void take_cmsgs(struct msghdr *msg, struct knet_rx *rx)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c;
	     c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SO_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			memcpy(&rx->ts, CMSG_DATA(c), sizeof(rx->ts));
		} else if ((c->cmsg_level == IPPROTO_IP &&
			    c->cmsg_type == IP_TTL) ||
			   (c->cmsg_level == IPPROTO_IPV6 &&
			    c->cmsg_type == IPV6_HOPLIMIT)) {
			int v = 0;

			if (c->cmsg_len >= CMSG_LEN(sizeof(int)))
				memcpy(&v, CMSG_DATA(c), sizeof(v));
			rx->ttl = v;
		} else if ((c->cmsg_level == IPPROTO_IP &&
			    c->cmsg_type == IP_RECVERR) ||
			   (c->cmsg_level == IPPROTO_IPV6 &&
			    c->cmsg_type == IPV6_RECVERR)) {
			struct sock_extended_err ee;
			const struct sockaddr *off;
			size_t room = c->cmsg_len - CMSG_LEN(0);

			if (room < sizeof(ee))
				continue;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			rx->ee_errno = (int)ee.ee_errno;
			rx->ee_origin = ee.ee_origin;
			rx->ee_type = ee.ee_type;
			rx->ee_code = ee.ee_code;
			rx->ee_info = ee.ee_info;
			/* The offender follows the struct in the cmsg. */
			off = (const struct sockaddr *)(CMSG_DATA(c) +
							sizeof(ee));
			room -= sizeof(ee);
			if (room >= sizeof(struct sockaddr_in) &&
			    off->sa_family == AF_INET) {
				memcpy(&rx->from, off,
				       sizeof(struct sockaddr_in));
				rx->has_from = true;
			} else if (room >= sizeof(struct sockaddr_in6) &&
				   off->sa_family == AF_INET6) {
				memcpy(&rx->from, off,
				       sizeof(struct sockaddr_in6));
				rx->has_from = true;
			}
		}
	}
}

int knet_probe_recv(int fd, bool errqueue, uint8_t *buf, size_t len,
		    struct knet_rx *ret)
{
	char control[512];
	struct sockaddr_storage name;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {
		.msg_name = &name,
		.msg_namelen = sizeof(name),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	struct knet_rx rx;
	ssize_t n;

	memset(&rx, 0, sizeof(rx));
	memset(&name, 0, sizeof(name));
	rx.ttl = -1;
	n = recvmsg(fd, &msg, MSG_DONTWAIT | (errqueue ? MSG_ERRQUEUE : 0));
	if (n < 0)
		return -errno;
	rx.len = (size_t)n;
	take_cmsgs(&msg, &rx);
	if (rx.ts.tv_sec == 0)
		knet_ts_now(&rx.ts); /* no timestamp: the best we have */
	if (errqueue) {
		rx.is_err = true;
		rx.name = name;
	} else if (msg.msg_namelen > 0) {
		rx.from = name;
		rx.has_from = true;
	}
	*ret = rx;
	return 0;
}
