/* SPDX-License-Identifier: MIT */
/*
 * DNS queries from a pod's network namespace, as glibc's res_send sends
 * them: UDP to each nameserver in turn, a few rounds, TCP when the
 * answer is truncated.  The sockets are made in the namespace (by
 * knet_dns_client_new, privileged) and used after the privileges are
 * gone; every answer is parsed by lib/decode's bounds-checked reader.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "knet/probe.h"

#define DNS_PORT 53
#define UDP_MAX	 4096
#define TCP_MAX	 65535

struct server {
	struct sockaddr_storage sa;
	socklen_t salen;
	int udp;
	int udp_err; /* connect's error: no route to it from here */
	int *tcp;    /* spare sockets, -1 once used */
	int ntcp;
};

struct knet_dns_client {
	struct server *s;
	int n;
	uint8_t buf[TCP_MAX + 2];
};

const char *knet_dns_outcome_name(enum knet_dns_outcome o)
{
	switch (o) {
	case KNET_DNS_OUT_ANSWER:
		return "answer";
	case KNET_DNS_OUT_NODATA:
		return "nodata";
	case KNET_DNS_OUT_NXDOMAIN:
		return "nxdomain";
	case KNET_DNS_OUT_SERVFAIL:
		return "servfail";
	case KNET_DNS_OUT_REFUSED:
		return "refused";
	case KNET_DNS_OUT_TIMEOUT:
		return "timeout";
	case KNET_DNS_OUT_CONNREFUSED:
		return "unreachable";
	}
	return "?";
}

void knet_dns_client_free(struct knet_dns_client *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n; i++) {
		if (c->s[i].udp >= 0)
			close(c->s[i].udp);
		for (int j = 0; j < c->s[i].ntcp; j++)
			if (c->s[i].tcp[j] >= 0)
				close(c->s[i].tcp[j]);
		free(c->s[i].tcp);
	}
	free(c->s);
	free(c);
}

static int open_server(struct server *s, const char *ip, int tcp_spare,
		       struct knet_error *err)
{
	char addr[64];
	char *pct;
	int family;

	/* "fe80::1%eth0": the scope is for the kernel, not inet_pton. */
	strncpy(addr, ip, sizeof(addr) - 1);
	addr[sizeof(addr) - 1] = '\0';
	pct = strchr(addr, '%');
	if (pct)
		*pct = '\0';
	if (knet_addr_parse(addr, DNS_PORT, &s->sa, &s->salen) < 0)
		return knet_error_set(err, -EINVAL, KNET_EXIT_PROBLEM,
				      "nameserver '%s' is not an IP address",
				      ip);
	family = s->sa.ss_family;
	s->udp = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->udp < 0)
		return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
				      "UDP socket to %s: %s", ip,
				      strerror(errno));
	/* No route from this namespace: every try says so (a finding,
	 * not a failure of knet). */
	if (connect(s->udp, (struct sockaddr *)&s->sa, s->salen) < 0)
		s->udp_err = -errno;
	s->tcp = calloc((size_t)tcp_spare + 1, sizeof(int));
	if (!s->tcp)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	for (int j = 0; j < tcp_spare; j++) {
		s->tcp[s->ntcp] = socket(
			family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (s->tcp[s->ntcp] < 0)
			return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
					      "TCP socket: %s",
					      strerror(errno));
		s->ntcp++;
	}
	return 0;
}

int knet_dns_client_new(const char (*servers)[64], int n, int tcp_spare,
			struct knet_dns_client **ret, struct knet_error *err)
{
	struct knet_dns_client *c = calloc(1, sizeof(*c));
	int r = 0;

	if (!c || !(c->s = calloc((size_t)n + 1, sizeof(*c->s)))) {
		free(c);
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	}
	for (int i = 0; i < n; i++)
		c->s[i].udp = -1;
	c->n = n;
	for (int i = 0; r == 0 && i < n; i++)
		r = open_server(&c->s[i], servers[i], tcp_spare, err);
	if (r < 0) {
		knet_dns_client_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Wait for @events on @fd until @deadline (us); -ETIMEDOUT, -EINTR. */
static int wait_fd(int fd, short events, long long deadline,
		   volatile sig_atomic_t *stop)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		long long left = deadline - now_us();
		int r;

		if (stop && *stop)
			return -EINTR;
		if (left <= 0)
			return -ETIMEDOUT;
		/* Wake up now and then for Ctrl-C. */
		r = poll(&p, 1, (int)(left > 200000 ? 200 : left / 1000 + 1));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0)
			return 0;
	}
}

/* Is @m the answer to our query? (Id and question: anything else from
 * the server's address is someone else's.) */
static bool ours(const struct knet_dns_msg *m, uint16_t id, const char *name,
		 uint16_t type)
{
	size_t n = strlen(name), q = strlen(m->qname);

	if (!m->response || m->id != id || m->qtype != type)
		return false;
	if (n && name[n - 1] == '.')
		n--;
	if (q && m->qname[q - 1] == '.')
		q--;
	return n == q && !strncasecmp(name, m->qname, n);
}

static int udp_try(struct server *s, const uint8_t *q, size_t qlen, uint16_t id,
		   const struct knet_dns_ask *ask, volatile sig_atomic_t *stop,
		   struct knet_dns_try *t, uint8_t *buf)
{
	long long deadline = now_us() + (long long)ask->timeout_ms * 1000;
	int r;

	if (s->udp_err)
		return s->udp_err;
	while (recv(s->udp, buf, UDP_MAX, 0) >= 0)
		; /* late answers to earlier tries */
	if (send(s->udp, q, qlen, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		r = wait_fd(s->udp, POLLIN, deadline, stop);
		if (r < 0)
			return r;
		n = recv(s->udp, buf, UDP_MAX, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return -errno; /* ECONNREFUSED: ICMP port unreachable */
		if (knet_dns_parse(buf, (size_t)n, &t->msg) == 0 &&
		    ours(&t->msg, id, ask->name, ask->type))
			return 0;
	}
}

static int write_all(int fd, const uint8_t *p, size_t n, long long deadline,
		     volatile sig_atomic_t *stop)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		int r;

		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		r = wait_fd(fd, POLLOUT, deadline, stop);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_all(int fd, uint8_t *p, size_t n, long long deadline,
		    volatile sig_atomic_t *stop)
{
	while (n) {
		ssize_t got = recv(fd, p, n, 0);
		int r;

		if (got == 0)
			return -ECONNRESET;
		if (got < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (got > 0) {
			p += got;
			n -= (size_t)got;
			continue;
		}
		r = wait_fd(fd, POLLIN, deadline, stop);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A spare TCP socket of @s, taken for good (NULL: none left). */
static int take_tcp(struct server *s)
{
	for (int j = 0; j < s->ntcp; j++)
		if (s->tcp[j] >= 0) {
			int fd = s->tcp[j];

			s->tcp[j] = -1;
			return fd;
		}
	return -1;
}

static int tcp_try(struct server *s, const uint8_t *q, size_t qlen, uint16_t id,
		   const struct knet_dns_ask *ask, volatile sig_atomic_t *stop,
		   struct knet_dns_try *t, uint8_t *buf)
{
	long long deadline = now_us() + (long long)ask->timeout_ms * 1000;
	int fd = take_tcp(s), r, soerr = 0;
	socklen_t sl = sizeof(soerr);
	uint8_t len[2] = {(uint8_t)(qlen >> 8), (uint8_t)qlen};
	size_t n;

	if (fd < 0)
		return -EMFILE; /* made in the namespace: no more to be had */
	if (connect(fd, (struct sockaddr *)&s->sa, s->salen) < 0 &&
	    errno != EINPROGRESS) {
		r = -errno;
		goto out;
	}
	r = wait_fd(fd, POLLOUT, deadline, stop);
	if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
	    soerr)
		r = -soerr;
	if (r == 0)
		r = write_all(fd, len, 2, deadline, stop);
	if (r == 0)
		r = write_all(fd, q, qlen, deadline, stop);
	if (r == 0)
		r = read_all(fd, len, 2, deadline, stop);
	n = (size_t)len[0] << 8 | len[1];
	if (r == 0)
		r = read_all(fd, buf, n, deadline, stop);
	if (r == 0 && (knet_dns_parse(buf, n, &t->msg) < 0 ||
		       !ours(&t->msg, id, ask->name, ask->type)))
		r = -EBADMSG;
out:
	close(fd);
	return r;
}

/* One try: the row the user sees. */
static int one_try(struct knet_dns_client *c, int i, bool tcp,
		   const struct knet_dns_ask *ask, volatile sig_atomic_t *stop,
		   struct knet_dns_try *t)
{
	uint8_t q[300];
	size_t qlen;
	uint16_t id;
	long long t0;
	int r;

	memset(t, 0, sizeof(*t));
	t->server = i;
	t->tcp = tcp;
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)now_us();
	r = knet_dns_query_build(q, sizeof(q), id, ask->name, ask->type, &qlen);
	if (r < 0)
		return r;
	t0 = now_us();
	r = tcp ? tcp_try(&c->s[i], q, qlen, id, ask, stop, t, c->buf)
		: udp_try(&c->s[i], q, qlen, id, ask, stop, t, c->buf);
	t->latency_us = now_us() - t0;
	t->error = r;
	return 0;
}

static enum knet_dns_outcome outcome_of(const struct knet_dns_try *t)
{
	if (t->error == -ECONNREFUSED || t->error == -ENETUNREACH ||
	    t->error == -EHOSTUNREACH)
		return KNET_DNS_OUT_CONNREFUSED;
	if (t->error)
		return KNET_DNS_OUT_TIMEOUT;
	switch (t->msg.rcode) {
	case 0:
		return t->msg.ancount ? KNET_DNS_OUT_ANSWER
				      : KNET_DNS_OUT_NODATA;
	case 3:
		return KNET_DNS_OUT_NXDOMAIN;
	case 2:
		return KNET_DNS_OUT_SERVFAIL;
	default:
		return KNET_DNS_OUT_REFUSED;
	}
}

int knet_dns_client_resolve(struct knet_dns_client *c,
			    const struct knet_dns_ask *ask,
			    int (*on_try)(const struct knet_dns_try *t,
					  void *userdata),
			    void *userdata, volatile sig_atomic_t *stop,
			    enum knet_dns_outcome *ret_outcome)
{
	enum knet_dns_outcome last = KNET_DNS_OUT_TIMEOUT;
	bool refused_all = true, any = false;
	struct knet_dns_try t;
	int r;

	for (int a = 0; a < ask->attempts; a++) {
		for (int k = 0; k < c->n; k++) {
			int i = (ask->first_server + k) % c->n;
			enum knet_dns_outcome o;

			if (stop && *stop)
				goto out;
			r = one_try(c, i, ask->use_vc, ask, stop, &t);
			if (r == 0 && !t.error && t.msg.tc && !t.tcp) {
				/* Truncated: the same server over TCP. */
				if ((r = on_try(&t, userdata)) < 0)
					return r;
				r = one_try(c, i, true, ask, stop, &t);
			}
			if (r < 0)
				return r;
			if ((r = on_try(&t, userdata)) < 0)
				return r;
			if (t.error == -EINTR)
				goto out;
			o = outcome_of(&t);
			any = true;
			refused_all &= o == KNET_DNS_OUT_CONNREFUSED;
			if (o == KNET_DNS_OUT_ANSWER ||
			    o == KNET_DNS_OUT_NODATA ||
			    o == KNET_DNS_OUT_NXDOMAIN) {
				*ret_outcome = o;
				return 0;
			}
			if (o != KNET_DNS_OUT_CONNREFUSED)
				last = o;
		}
	}
out:
	/* glibc: ECONNREFUSED only when no server was reached at all. */
	*ret_outcome = any && refused_all ? KNET_DNS_OUT_CONNREFUSED : last;
	return 0;
}
