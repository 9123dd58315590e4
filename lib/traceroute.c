/* SPDX-License-Identifier: MIT */
/*
 * traceroute with every TTL in flight at once.
 *
 * Classic traceroute waits for each hop (or a window of them); here all
 * probes of a round leave back to back, lowest TTL first, and the round
 * ends as soon as the destination hop and every hop before it have
 * answered.  Lowest TTL first matters: routers rate-limit ICMP errors per
 * source (a burst of about 5, then 1 a second), so the probes that reach
 * the destination first must be the ones we want answered.
 *
 * Answers: time exceeded and unreachable come from the error queue
 * (IP_RECVERR) with the router as offender; the probe is recognised by
 * its destination port (UDP), its echo sequence (ICMP) or its socket
 * (TCP, one socket per probe).
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <linux/errqueue.h>

#include "knet/probe.h"

#define UDP_BASE_PORT 33434
#define MIN_GRACE     0.005 /* s: how long a missing answer may lag */

struct tprobe {
	int ttl;
	bool sent, done;
	struct timespec ts;
};

struct knet_trace {
	struct knet_trace_opts o;
	int family;
	int nttl, n;
	int limit; /* probes to send: fewer once the destination is known */
	int fd;	   /* UDP or ICMP */
	int *tcp;  /* [n] for TCP */
	bool raw;
	uint16_t id;
	uint16_t round;
	uint8_t buf[2048];
	uint8_t payload[1500];
};

static int oom(struct knet_error *err)
{
	return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
}

void knet_trace_free(struct knet_trace *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	for (int i = 0; t->tcp && i < t->n; i++)
		if (t->tcp[i] >= 0)
			close(t->tcp[i]);
	free(t->tcp);
	free(t);
}

void knet_trace_result_free(struct knet_trace_result *r)
{
	if (!r)
		return;
	free(r->probes);
	free(r);
}

int knet_trace_new(const struct knet_trace_opts *opts, struct knet_trace **ret,
		   struct knet_error *err)
{
	struct knet_trace *t;
	int r;

	if (opts->first_ttl < 1 || opts->max_hops < opts->first_ttl ||
	    opts->max_hops > 255 || opts->queries < 1 || opts->queries > 10 ||
	    opts->timeout <= 0 || opts->size < 0 || opts->size > 1400)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "invalid traceroute options");
	t = calloc(1, sizeof(*t));
	if (!t)
		return oom(err);
	t->o = *opts;
	t->fd = -1;
	t->family = opts->dst.ss_family;
	t->nttl = opts->max_hops - opts->first_ttl + 1;
	t->n = t->nttl * opts->queries;
	t->limit = t->n;
	if (getrandom(&t->id, sizeof(t->id), 0) != sizeof(t->id))
		t->id = (uint16_t)getpid();
	if (opts->mode == KNET_PROBE_TCP) {
		t->tcp = malloc((size_t)t->n * sizeof(*t->tcp));
		if (!t->tcp) {
			r = oom(err);
			goto fail;
		}
		for (int i = 0; i < t->n; i++)
			t->tcp[i] = -1;
		/* All of them now: later we are outside the namespace. */
		for (int i = 0; i < t->n; i++) {
			r = knet_probe_socket(t->family, KNET_PROBE_TCP, NULL,
					      err);
			if (r < 0)
				goto fail;
			t->tcp[i] = r;
		}
	} else {
		r = knet_probe_socket(t->family, opts->mode, &t->raw, err);
		if (r < 0)
			goto fail;
		t->fd = r;
		if (opts->mode == KNET_PROBE_ICMP &&
		    connect(t->fd, (const struct sockaddr *)&opts->dst,
			    opts->dst_len) < 0) {
			r = -errno;
			knet_error_set(err, r, KNET_EXIT_PROBLEM,
				       "cannot reach the target: %s",
				       strerror(-r));
			goto fail;
		}
	}
	for (size_t i = 0; i < sizeof(t->payload); i++)
		t->payload[i] = (uint8_t)(0x40 + i % 32);
	*ret = t;
	return 0;
fail:
	knet_trace_free(t);
	return r;
}

static double ts_sec(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

static uint16_t probe_seq(const struct knet_trace *t, int i)
{
	return (uint16_t)(t->round * t->n + i);
}

/*
 * An ICMP error about an earlier probe is also left in sk_err, and the
 * next send returns it once: that is not about this probe, so try again.
 */
static bool pending_error(int r)
{
	return r == -EHOSTUNREACH || r == -ENETUNREACH || r == -ECONNREFUSED ||
	       r == -EPROTO || r == -EMSGSIZE;
}

static int send_one(struct knet_trace *t, struct tprobe *p, int i);

static int send_retry(struct knet_trace *t, struct tprobe *p, int i)
{
	int r = send_one(t, p, i);

	if (r < 0 && pending_error(r) && t->o.mode != KNET_PROBE_TCP)
		r = send_one(t, p, i);
	return r;
}

static int send_one(struct knet_trace *t, struct tprobe *p, int i)
{
	struct sockaddr_storage dst = t->o.dst;
	uint16_t port;
	int r = 0;

	knet_ts_now(&p->ts);
	switch (t->o.mode) {
	case KNET_PROBE_UDP:
		port = (uint16_t)(UDP_BASE_PORT + i);
		if (t->family == AF_INET6)
			((struct sockaddr_in6 *)&dst)->sin6_port = htons(port);
		else
			((struct sockaddr_in *)&dst)->sin_port = htons(port);
		if (sendto(t->fd, t->payload, (size_t)t->o.size, 0,
			   (const struct sockaddr *)&dst, t->o.dst_len) < 0)
			r = -errno;
		break;
	case KNET_PROBE_ICMP:
		knet_icmp_echo_build(t->buf, (size_t)t->o.size + 8, t->family,
				     t->id, probe_seq(t, i));
		if (send(t->fd, t->buf, (size_t)t->o.size + 8, 0) < 0)
			r = -errno;
		break;
	case KNET_PROBE_TCP:
		if (connect(t->tcp[i], (const struct sockaddr *)&t->o.dst,
			    t->o.dst_len) < 0 &&
		    errno != EINPROGRESS)
			r = -errno;
		break;
	}
	p->sent = r == 0;
	return r;
}

static void answer(struct knet_trace *t, struct tprobe *pr,
		   struct knet_trace_probe *out, const struct knet_rx *rx,
		   bool reached, const char *note, const struct sockaddr *from)
{
	if (pr->done)
		return;
	pr->done = true;
	out->rtt_us = knet_ts_diff_us(&pr->ts, &rx->ts);
	if (out->rtt_us < 0)
		out->rtt_us = 0;
	out->reached = reached;
	out->note = note;
	if (from)
		knet_addr_str(from, out->from, sizeof(out->from));
	(void)t;
}

/* An error-queue message: a router (or the target) about probe @i. */
static void error_answer(struct knet_trace *t, struct tprobe *pr,
			 struct knet_trace_probe *out, const struct knet_rx *rx)
{
	bool icmp = rx->ee_origin == SO_EE_ORIGIN_ICMP ||
		    rx->ee_origin == SO_EE_ORIGIN_ICMP6;
	const char *note = "";
	bool reached = false;

	if (!icmp || !rx->has_from)
		return; /* a local error: leave it to the timeout */
	if (knet_icmp_is_time_exceeded(t->family, rx->ee_type)) {
		note = "";
	} else if (knet_icmp_is_port_unreachable(t->family, rx->ee_type,
						 rx->ee_code)) {
		reached = true;
	} else {
		note = knet_icmp_unreach_note(t->family, rx->ee_type,
					      rx->ee_code);
		/* Protocol unreachable from the target itself: reached. */
		if (!strcmp(note, "!P")) {
			char a[46], b[46];

			knet_addr_str((const struct sockaddr *)&rx->from, a,
				      sizeof(a));
			knet_addr_str((const struct sockaddr *)&t->o.dst, b,
				      sizeof(b));
			if (!strcmp(a, b)) {
				reached = true;
				note = "";
			}
		}
	}
	answer(t, pr, out, rx, reached, note,
	       (const struct sockaddr *)&rx->from);
}

static int probe_index(const struct knet_trace *t, const struct knet_rx *rx)
{
	if (t->o.mode == KNET_PROBE_UDP) {
		int port;

		if (rx->name.ss_family == AF_INET6)
			port = ntohs(((const struct sockaddr_in6 *)&rx->name)
					     ->sin6_port);
		else
			port = ntohs(((const struct sockaddr_in *)&rx->name)
					     ->sin_port);
		port -= UDP_BASE_PORT;
		return port >= 0 && port < t->n ? port : -1;
	}
	struct knet_pkt pk = {t->buf, rx->len};
	uint16_t seq;

	if (knet_pkt_be16(&pk, 6, &seq) < 0)
		return -1;
	seq = (uint16_t)(seq - probe_seq(t, 0));
	return seq < t->n ? seq : -1;
}

static void drain_shared(struct knet_trace *t, struct tprobe *pr,
			 struct knet_trace_probe *out)
{
	struct knet_rx rx;
	int i, guard;

	for (guard = 0; guard < 4096; guard++) {
		if (knet_probe_recv(t->fd, true, t->buf, sizeof(t->buf), &rx) <
		    0)
			break;
		i = probe_index(t, &rx);
		if (i >= 0)
			error_answer(t, &pr[i], &out[i], &rx);
	}
	for (guard = 0; guard < 4096; guard++) {
		struct knet_icmp m;
		struct knet_pkt pk;
		int r = knet_probe_recv(t->fd, false, t->buf, sizeof(t->buf),
					&rx);

		if (r == -EAGAIN || r == -EWOULDBLOCK)
			break;
		if (r < 0 || t->o.mode != KNET_PROBE_ICMP)
			continue; /* UDP: the pending error, or an answer */
		pk.data = t->buf;
		pk.len = rx.len;
		if (knet_icmp_parse(&pk, t->family,
				    t->raw && t->family == AF_INET, &m) < 0 ||
		    !knet_icmp_is_echo_reply(t->family, m.type) ||
		    (t->raw && m.id != t->id))
			continue;
		i = (uint16_t)(m.seq - probe_seq(t, 0));
		if (i >= 0 && i < t->n)
			answer(t, &pr[i], &out[i], &rx, true, "",
			       (const struct sockaddr *)&t->o.dst);
	}
}

static void check_tcp(struct knet_trace *t, struct tprobe *pr,
		      struct knet_trace_probe *out, int i, short revents)
{
	struct knet_rx rx;
	int soerr = 0;
	socklen_t l = sizeof(soerr);

	/* Routers first: the error queue says who dropped the SYN. */
	while (knet_probe_recv(t->tcp[i], true, t->buf, sizeof(t->buf), &rx) ==
	       0)
		error_answer(t, &pr[i], &out[i], &rx);
	if (pr[i].done || !(revents & (POLLOUT | POLLERR | POLLHUP)))
		return;
	getsockopt(t->tcp[i], SOL_SOCKET, SO_ERROR, &soerr, &l);
	if (soerr == 0 || soerr == ECONNREFUSED) {
		knet_ts_now(&rx.ts);
		answer(t, &pr[i], &out[i], &rx, true, "",
		       (const struct sockaddr *)&t->o.dst);
	}
}

static bool finished(struct knet_trace *t, struct tprobe *pr,
		     struct knet_trace_probe *out, double now, double last_send,
		     double *ret_wait)
{
	int dest = 0; /* ttl index + 1 of the first reaching hop */
	long long max_rtt = 0;
	double grace, wait = last_send + t->o.timeout - now;

	for (int i = 0; i < t->n; i++) {
		if (!pr[i].done)
			continue;
		if (out[i].rtt_us > max_rtt)
			max_rtt = out[i].rtt_us;
		if ((out[i].reached || out[i].note[0]) &&
		    (!dest || i / t->o.queries + 1 < dest))
			dest = i / t->o.queries + 1;
	}
	grace = (double)max_rtt * 10 / 1e6;
	if (grace < MIN_GRACE)
		grace = MIN_GRACE;
	bool all = true;

	for (int i = 0; i < t->n; i++) {
		double left;

		if (pr[i].done || !pr[i].sent)
			continue;
		if (dest && i / t->o.queries + 1 > dest)
			continue; /* past the destination: irrelevant */
		left = ts_sec(&pr[i].ts) + (dest ? grace : t->o.timeout) - now;
		if (left > 0) {
			all = false;
			if (left < wait)
				wait = left;
		}
	}
	*ret_wait = wait;
	return all || wait <= 0;
}

static int last_hop(const struct knet_trace *t,
		    const struct knet_trace_probe *out, bool *ret_reached)
{
	for (int h = 0; h < t->nttl; h++)
		for (int q = 0; q < t->o.queries; q++) {
			const struct knet_trace_probe *p =
				&out[h * t->o.queries + q];

			if (p->rtt_us >= 0 && (p->reached || p->note[0])) {
				*ret_reached = p->reached;
				return h + 1;
			}
		}
	*ret_reached = false;
	return t->nttl;
}

static void reset_tcp(struct knet_trace *t)
{
	struct sockaddr sa = {.sa_family = AF_UNSPEC};
	struct knet_rx rx;

	for (int i = 0; i < t->n; i++) {
		while (knet_probe_recv(t->tcp[i], true, t->buf, sizeof(t->buf),
				       &rx) == 0)
			;
		connect(t->tcp[i], &sa, sizeof(sa));
	}
}

static void poll_round(struct knet_trace *t, struct pollfd *pfd, int wait_ms,
		       struct tprobe *pr, struct knet_trace_probe *out)
{
	int npfd = t->o.mode == KNET_PROBE_TCP ? t->n : 1;

	for (int i = 0; i < npfd; i++) {
		pfd[i].revents = 0;
		if (t->o.mode != KNET_PROBE_TCP) {
			pfd[i].fd = t->fd;
			pfd[i].events = POLLIN;
			continue;
		}
		/* An unconnected TCP socket polls as writable: skip it. */
		pfd[i].fd = pr[i].sent && !pr[i].done ? t->tcp[i] : -1;
		pfd[i].events = POLLOUT;
	}
	if (poll(pfd, (nfds_t)npfd, wait_ms) <= 0)
		return;
	if (t->o.mode != KNET_PROBE_TCP) {
		drain_shared(t, pr, out);
		return;
	}
	for (int i = 0; i < t->n; i++)
		if (pfd[i].revents && !pr[i].done)
			check_tcp(t, pr, out, i, pfd[i].revents);
}

int knet_trace_run(struct knet_trace *t, volatile sig_atomic_t *stop,
		   struct knet_trace_result **ret, struct knet_error *err)
{
	struct knet_trace_result *res = NULL;
	struct tprobe *pr = NULL;
	struct pollfd *pfd = NULL;
	struct timespec now;
	double last_send = 0, wait;
	int r = 0, cur_ttl = -1;

	res = calloc(1, sizeof(*res));
	pr = calloc((size_t)t->n, sizeof(*pr));
	pfd = calloc((size_t)t->n, sizeof(*pfd));
	if (res)
		res->probes = calloc((size_t)t->n, sizeof(*res->probes));
	if (!res || !pr || !pfd || !res->probes) {
		r = oom(err);
		goto out;
	}
	for (int i = 0; i < t->n; i++) {
		res->probes[i].rtt_us = -1;
		res->probes[i].note = "";
		pr[i].ttl = t->o.first_ttl + i / t->o.queries;
	}
	for (int i = 0; i < t->limit; i++) {
		int fd = t->o.mode == KNET_PROBE_TCP ? t->tcp[i] : t->fd;

		if (fd == t->fd && pr[i].ttl == cur_ttl) {
			/* same TTL as the previous probe on this socket */
		} else if (knet_probe_set_ttl(fd, t->family, pr[i].ttl) < 0) {
			r = knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
					   "set TTL: %s", strerror(errno));
			goto out;
		}
		cur_ttl = pr[i].ttl;
		r = send_retry(t, &pr[i], i);
		if (r == -ENETUNREACH || r == -EHOSTUNREACH) {
			r = knet_error_set(err, r, KNET_EXIT_PROBLEM,
					   "no route to the target from here");
			goto out;
		}
		r = 0;
		/* Answers to the first probes may already be here. */
		if (i % 8 == 7)
			poll_round(t, pfd, 0, pr, res->probes);
	}
	knet_ts_now(&now);
	last_send = ts_sec(&now);
	for (;;) {
		int ms;

		knet_ts_now(&now);
		if (finished(t, pr, res->probes, ts_sec(&now), last_send,
			     &wait) ||
		    (stop && *stop))
			break;
		ms = (int)(wait * 1000) + 1;
		poll_round(t, pfd, ms > 100 ? 100 : ms, pr, res->probes);
	}
	res->queries = t->o.queries;
	res->first_ttl = t->o.first_ttl;
	res->hops = last_hop(t, res->probes, &res->reached);
	/*
	 * Later rounds (--report) stop one hop past the destination: every
	 * probe beyond it only spends the target's ICMP rate limit.
	 */
	if (res->reached && res->hops < t->nttl)
		t->limit = (res->hops + 1) * t->o.queries;
	t->round++;
	if (t->o.mode == KNET_PROBE_TCP)
		reset_tcp(t);
	*ret = res;
	res = NULL;
out:
	knet_trace_result_free(res);
	free(pr);
	free(pfd);
	return r;
}
