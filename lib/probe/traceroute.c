/* SPDX-License-Identifier: MIT */
/*
 * traceroute in waves: the probes of a hop leave together, lowest TTL
 * first, as soon as the hop before it has said time exceeded (or stayed
 * silent for a short lag), with a bounded number in flight, and nothing
 * leaves past the first hop that answered as the destination (or with
 * an unreachable).  A --report round after the first sends every hop up
 * to the destination it found at once.  See traceroute-sched.c.
 *
 * Why not everything at once: routers and the destination rate-limit
 * ICMP errors per source (a burst of 6, then 1 a second), and every
 * probe past the destination spends one of its tokens; with all TTLs in
 * flight the destination's answers to its own hop ran out, in this
 * round or the next, and showed as loss that was not there.
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
#include "traceroute-sched.h"

#define UDP_BASE_PORT 33434
#define MIN_GRACE     0.005 /* s: how long a missing answer may lag */
#define MIN_LAG	      0.02  /* s: a silent hop holds the next one back */
#define LAG_RTTS      4	    /* ...or this many of the longest RTT seen */
#define WINDOW	      16    /* probes in flight, as traceroute -N 16 */

struct tprobe {
	int ttl;
	struct timespec ts;
};

/* One round's probes: what the scheduler sees, and what we keep. */
struct tround {
	struct tprobe *pr;
	struct knet_tsched_probe *sp;
	struct knet_trace_probe *out;
	int cur_ttl; /* of the shared socket, -1 unknown */
};

struct knet_trace {
	struct knet_trace_opts o;
	int family;
	int nttl, n;
	int open; /* hops sent at once: up to a known destination */
	int fd;	  /* UDP or ICMP */
	int *tcp; /* [n] for TCP */
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
	    opts->max_hops > 255 || opts->queries < 1 ||
	    opts->queries > KNET_TRACE_QUERIES_MAX || opts->timeout <= 0 ||
	    opts->size < 0 || opts->size > 1400)
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
	t->open = 1;
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
	return r;
}

/* Probe @i is answered: by a router, the destination or an unreachable. */
static void answer(struct tround *rd, int i, const struct knet_rx *rx,
		   bool reached, const char *note, const struct sockaddr *from)
{
	struct knet_trace_probe *out = &rd->out[i];
	struct knet_tsched_probe *sp = &rd->sp[i];

	/* Not sent this round: a late answer to the one before. */
	if (sp->sent < 0 || sp->answer != KNET_TSCHED_NONE)
		return;
	sp->answer = reached || note[0] ? KNET_TSCHED_END : KNET_TSCHED_PASSED;
	out->rtt_us = knet_ts_diff_us(&rd->pr[i].ts, &rx->ts);
	if (out->rtt_us < 0)
		out->rtt_us = 0;
	out->reached = reached;
	out->note = note;
	if (from)
		knet_addr_str(from, out->from, sizeof(out->from));
}

/* An error-queue message: a router (or the target) about probe @i. */
static void error_answer(struct knet_trace *t, struct tround *rd, int i,
			 const struct knet_rx *rx)
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
	answer(rd, i, rx, reached, note, (const struct sockaddr *)&rx->from);
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

static void drain_shared(struct knet_trace *t, struct tround *rd)
{
	struct knet_rx rx;
	int i, guard;

	for (guard = 0; guard < 4096; guard++) {
		if (knet_probe_recv(t->fd, true, t->buf, sizeof(t->buf), &rx) <
		    0)
			break;
		i = probe_index(t, &rx);
		if (i >= 0)
			error_answer(t, rd, i, &rx);
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
			answer(rd, i, &rx, true, "",
			       (const struct sockaddr *)&t->o.dst);
	}
}

/* Sent and not answered yet. */
static bool waiting(const struct tround *rd, int i)
{
	return rd->sp[i].sent >= 0 && rd->sp[i].answer == KNET_TSCHED_NONE;
}

static void check_tcp(struct knet_trace *t, struct tround *rd, int i,
		      short revents)
{
	struct knet_rx rx;
	int soerr = 0;
	socklen_t l = sizeof(soerr);

	/* Routers first: the error queue says who dropped the SYN. */
	while (knet_probe_recv(t->tcp[i], true, t->buf, sizeof(t->buf), &rx) ==
	       0)
		error_answer(t, rd, i, &rx);
	if (!waiting(rd, i) || !(revents & (POLLOUT | POLLERR | POLLHUP)))
		return;
	getsockopt(t->tcp[i], SOL_SOCKET, SO_ERROR, &soerr, &l);
	if (soerr == 0 || soerr == ECONNREFUSED) {
		knet_ts_now(&rx.ts);
		answer(rd, i, &rx, true, "",
		       (const struct sockaddr *)&t->o.dst);
	}
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

static void poll_round(struct knet_trace *t, struct tround *rd,
		       struct pollfd *pfd, int wait_ms)
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
		pfd[i].fd = waiting(rd, i) ? t->tcp[i] : -1;
		pfd[i].events = POLLOUT;
	}
	if (poll(pfd, (nfds_t)npfd, wait_ms) <= 0)
		return;
	if (t->o.mode != KNET_PROBE_TCP) {
		drain_shared(t, rd);
		return;
	}
	for (int i = 0; i < t->n; i++)
		if (pfd[i].revents && waiting(rd, i))
			check_tcp(t, rd, i, pfd[i].revents);
}

/* Send probe @i at its TTL; a probe that cannot leave is given up. */
static int send_probe(struct knet_trace *t, struct tround *rd, int i,
		      struct knet_error *err)
{
	struct tprobe *p = &rd->pr[i];
	int fd = t->o.mode == KNET_PROBE_TCP ? t->tcp[i] : t->fd;
	int r;

	if (fd != t->fd || p->ttl != rd->cur_ttl) {
		if (knet_probe_set_ttl(fd, t->family, p->ttl) < 0)
			return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
					      "set TTL: %s", strerror(errno));
		rd->cur_ttl = fd == t->fd ? p->ttl : -1;
	}
	r = send_retry(t, p, i);
	rd->sp[i].sent = ts_sec(&p->ts);
	if (r == -ENETUNREACH || r == -EHOSTUNREACH)
		return knet_error_set(err, r, KNET_EXIT_PROBLEM,
				      "no route to the target from here");
	if (r < 0)
		rd->sp[i].answer = KNET_TSCHED_FAILED;
	return 0;
}

/* Send every probe the schedule lets go now. */
static int send_ready(struct knet_trace *t, struct tround *rd,
		      const struct knet_tsched *s, double *ret_wait,
		      struct knet_error *err)
{
	struct timespec now;
	int i, r;

	for (;;) {
		knet_ts_now(&now);
		i = knet_tsched_next(s, rd->sp, ts_sec(&now), ret_wait);
		if (i < 0)
			return 0;
		r = send_probe(t, rd, i, err);
		if (r < 0)
			return r;
	}
}

/* How long a missing answer may lag, from the longest RTT seen. */
static void tune(const struct knet_trace *t, const struct tround *rd,
		 struct knet_tsched *s)
{
	long long max_rtt = 0;

	for (int i = 0; i < t->n; i++)
		if (rd->out[i].rtt_us > max_rtt)
			max_rtt = rd->out[i].rtt_us;
	s->grace = (double)max_rtt * 10 / 1e6;
	if (s->grace < MIN_GRACE)
		s->grace = MIN_GRACE;
	s->lag = (double)max_rtt * LAG_RTTS / 1e6;
	if (s->lag < MIN_LAG)
		s->lag = MIN_LAG;
	if (s->lag > s->timeout)
		s->lag = s->timeout;
}

static int trace_loop(struct knet_trace *t, struct tround *rd,
		      struct pollfd *pfd, volatile sig_atomic_t *stop,
		      struct knet_error *err)
{
	struct knet_tsched s = {
		.nhops = t->nttl,
		.queries = t->o.queries,
		.open = t->open,
		.window = WINDOW,
		.timeout = t->o.timeout,
	};
	struct timespec now;
	double send_wait, wait;
	int r;

	for (;;) {
		tune(t, rd, &s);
		r = send_ready(t, rd, &s, &send_wait, err);
		if (r < 0)
			return r;
		knet_ts_now(&now);
		if (knet_tsched_done(&s, rd->sp, ts_sec(&now), &wait) ||
		    (stop && *stop))
			return 0;
		if (send_wait < wait)
			wait = send_wait;
		poll_round(t, rd, pfd,
			   wait >= 0.1 ? 100 : (int)(wait * 1000) + 1);
	}
}

static int round_alloc(struct knet_trace *t, struct tround *rd,
		       struct knet_trace_result *res)
{
	rd->cur_ttl = -1;
	rd->pr = calloc((size_t)t->n, sizeof(*rd->pr));
	rd->sp = calloc((size_t)t->n, sizeof(*rd->sp));
	res->probes = calloc((size_t)t->n, sizeof(*res->probes));
	rd->out = res->probes;
	if (!rd->pr || !rd->sp || !rd->out)
		return -ENOMEM;
	for (int i = 0; i < t->n; i++) {
		rd->out[i].rtt_us = -1;
		rd->out[i].note = "";
		rd->pr[i].ttl = t->o.first_ttl + i / t->o.queries;
		rd->sp[i].sent = -1;
		rd->sp[i].answer = KNET_TSCHED_NONE;
	}
	return 0;
}

int knet_trace_run(struct knet_trace *t, volatile sig_atomic_t *stop,
		   struct knet_trace_result **ret, struct knet_error *err)
{
	struct knet_trace_result *res = NULL;
	struct tround rd = {0};
	struct pollfd *pfd = NULL;
	int r = 0;

	res = calloc(1, sizeof(*res));
	pfd = calloc((size_t)t->n, sizeof(*pfd));
	if (!res || !pfd || round_alloc(t, &rd, res) < 0) {
		r = oom(err);
		goto out;
	}
	r = trace_loop(t, &rd, pfd, stop, err);
	if (r < 0)
		goto out;
	res->queries = t->o.queries;
	res->first_ttl = t->o.first_ttl;
	res->hops = last_hop(t, res->probes, &res->reached);
	/* Later rounds (--report) send every hop up to it at once. */
	if (res->reached)
		t->open = res->hops;
	t->round++;
	if (t->o.mode == KNET_PROBE_TCP)
		reset_tcp(t);
	*ret = res;
	res = NULL;
out:
	knet_trace_result_free(res);
	free(rd.pr);
	free(rd.sp);
	free(pfd);
	return r;
}
