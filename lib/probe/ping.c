/* SPDX-License-Identifier: MIT */
/*
 * ping: ICMP echo, UDP and TCP connect probes at an interval.
 *
 * The socket is connected to the target, so the kernel hands us only the
 * target's answers; everything a router says about our probes (time
 * exceeded, unreachable, fragmentation needed with the MTU) comes from
 * the error queue.  RTT = kernel receive timestamp - send time, both
 * CLOCK_REALTIME, as iputils does.
 */
#include <errno.h>
#include <math.h>
#include <time.h>

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "knet/probe.h"

#define SLOTS	  4096 /* divides 65536: seq % SLOTS survives the wrap */
#define UDP_MAGIC "knet"

struct slot {
	bool used;
	int seq;
	struct timespec sent;
};

struct knet_ping {
	struct knet_ping_opts o;
	int family;
	int fd;
	bool raw;
	uint16_t id;
	uint8_t *buf;
	size_t buflen;
	struct slot *slots;
	struct knet_rtt_stats st;
	int (*cb)(const struct knet_ping_event *, void *);
	void *ud;
	int cb_ret;
	int pmtu; /* smallest path MTU an ICMP message reported */
};

static const char *const status_names[] = {
	[KNET_PING_REPLY] = "reply",	  [KNET_PING_REFUSED] = "refused",
	[KNET_PING_TIMEOUT] = "timeout",  [KNET_PING_UNREACH] = "unreachable",
	[KNET_PING_TTL] = "ttl-exceeded", [KNET_PING_TOO_BIG] = "too-big",
	[KNET_PING_ERROR] = "error",
};

int knet_ping_header_bytes(int family)
{
	/* 40 or 20 of IP, 8 of ICMP echo or UDP; options never set here */
	return family == AF_INET6 ? 40 + 8 : 20 + 8;
}

int knet_ping_df_max_size(int family, int mtu)
{
	int n = mtu - knet_ping_header_bytes(family);

	return n > 0 ? n : 0;
}

const char *knet_ping_status_name(enum knet_ping_status s)
{
	if ((unsigned)s >= sizeof(status_names) / sizeof(*status_names))
		return "?";
	return status_names[s];
}

const char *knet_ping_socket_kind(const struct knet_ping *p)
{
	switch (p->o.mode) {
	case KNET_PROBE_UDP:
		return "udp";
	case KNET_PROBE_TCP:
		return "tcp";
	default:
		return p->raw ? "icmp-raw" : "icmp-datagram";
	}
}

void knet_ping_free(struct knet_ping *p)
{
	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	free(p->buf);
	free(p->slots);
	free(p);
}

static int connect_error(int r, struct knet_error *err)
{
	if (r == -ENETUNREACH || r == -EHOSTUNREACH)
		return knet_error_set(err, r, KNET_EXIT_PROBLEM,
				      "no route to the target from here%s",
				      r == -ENETUNREACH ? " (network "
							  "unreachable)"
							: "");
	if (r == -EADDRNOTAVAIL)
		return knet_error_set(err, r, KNET_EXIT_PROBLEM,
				      "no source address for the target's "
				      "family here");
	return knet_error_set(err, r, KNET_EXIT_SYSTEM, "connect: %s",
			      strerror(-r));
}

int knet_ping_new(const struct knet_ping_opts *opts, struct knet_ping **ret,
		  struct knet_error *err)
{
	struct knet_ping *p;
	int r;

	if (opts->size < 0 || opts->size > 65507 || opts->interval <= 0 ||
	    opts->timeout <= 0 || opts->count < 0 || opts->ttl < 0 ||
	    opts->ttl > 255)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "invalid ping options");
	p = calloc(1, sizeof(*p));
	if (!p)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	p->o = *opts;
	p->fd = -1;
	p->family = opts->dst.ss_family;
	p->buflen = (size_t)opts->size + 8 + 60 + 512;
	p->buf = calloc(1, p->buflen);
	p->slots = calloc(SLOTS, sizeof(*p->slots));
	if (!p->buf || !p->slots) {
		r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				   "out of memory");
		goto fail;
	}
	if (getrandom(&p->id, sizeof(p->id), 0) != sizeof(p->id))
		p->id = (uint16_t)getpid();
	r = knet_probe_socket(p->family, opts->mode, &p->raw, err);
	if (r < 0)
		goto fail;
	p->fd = r;
	if (opts->ttl > 0 &&
	    knet_probe_set_ttl(p->fd, p->family, opts->ttl) < 0) {
		r = knet_error_set(err, -errno, KNET_EXIT_SYSTEM, "set TTL: %s",
				   strerror(errno));
		goto fail;
	}
	if (opts->df &&
	    knet_probe_set_df(p->fd, p->family, opts->df_probe) < 0) {
		r = knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
				   "set don't-fragment: %s", strerror(errno));
		goto fail;
	}
	/* TCP connects once per probe, in run(). */
	if (opts->mode != KNET_PROBE_TCP &&
	    connect(p->fd, (const struct sockaddr *)&opts->dst, opts->dst_len) <
		    0) {
		r = connect_error(-errno, err);
		goto fail;
	}
	*ret = p;
	return 0;
fail:
	knet_ping_free(p);
	return r;
}

static void emit(struct knet_ping *p, struct knet_ping_event *ev)
{
	if (ev->status == KNET_PING_REPLY || ev->status == KNET_PING_REFUSED)
		knet_rtt_stats_add(&p->st, ev->rtt_us);
	if (p->cb_ret >= 0 && p->cb) {
		int r = p->cb(ev, p->ud);

		if (r < 0)
			p->cb_ret = r;
	}
}

static void event_init(struct knet_ping_event *ev, enum knet_ping_status s,
		       int seq)
{
	memset(ev, 0, sizeof(*ev));
	ev->status = s;
	ev->seq = seq;
	ev->rtt_us = -1;
	ev->ttl = -1;
}

static void got_error(struct knet_ping *p, const struct knet_rx *rx);

/*
 * The path MTU after a local EMSGSIZE: the kernel queues it as a local
 * error (ee_info) on sockets with RECVERR; else what an ICMP message
 * told us earlier; else the socket's idea of it (IP_MTU), which for IPv6
 * can lag behind the route's exception.
 */
static int path_mtu(struct knet_ping *p)
{
	struct knet_rx rx;
	int mtu = 0;
	socklen_t l = sizeof(mtu);

	while (knet_probe_recv(p->fd, true, p->buf, p->buflen, &rx) == 0) {
		if (rx.ee_origin == SO_EE_ORIGIN_LOCAL &&
		    rx.ee_errno == EMSGSIZE && rx.ee_info > 0)
			mtu = (int)rx.ee_info;
		else
			got_error(p, &rx); /* about another probe */
	}
	if (mtu > 0)
		return mtu;
	if (p->pmtu > 0)
		return p->pmtu;
	if (getsockopt(p->fd, p->family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
		       p->family == AF_INET6 ? IPV6_MTU : IP_MTU, &mtu, &l) < 0)
		return 0;
	return mtu;
}

/* A send that failed locally: say why, right away. */
static void send_failed(struct knet_ping *p, int seq, int e)
{
	struct knet_ping_event ev;

	if (e == EMSGSIZE) {
		event_init(&ev, KNET_PING_TOO_BIG, seq);
		ev.mtu = path_mtu(p);
	} else if (e == EHOSTUNREACH || e == ENETUNREACH) {
		event_init(&ev, KNET_PING_UNREACH, seq);
	} else {
		event_init(&ev, KNET_PING_ERROR, seq);
		ev.err = -e;
	}
	emit(p, &ev);
}

static int send_probe(struct knet_ping *p, int seq)
{
	struct slot *s = &p->slots[seq % SLOTS];
	size_t len;
	ssize_t n;

	if (p->o.mode == KNET_PROBE_ICMP) {
		len = (size_t)p->o.size + 8;
		knet_icmp_echo_build(p->buf, len, p->family, p->id,
				     (uint16_t)seq);
	} else {
		len = (size_t)p->o.size < 6 ? 6 : (size_t)p->o.size;
		memset(p->buf, 0, len);
		memcpy(p->buf, UDP_MAGIC, 4);
		p->buf[4] = (uint8_t)(seq >> 8);
		p->buf[5] = (uint8_t)seq;
	}
	s->used = true;
	s->seq = seq;
	knet_ts_now(&s->sent);
	n = send(p->fd, p->buf, len, 0);
	/* A pending error from an earlier probe can surface here once. */
	if (n < 0 && (errno == ECONNREFUSED || errno == EHOSTUNREACH ||
		      errno == ENETUNREACH || errno == EPROTO))
		n = send(p->fd, p->buf, len, 0);
	if (n < 0) {
		int e = errno;

		s->used = false;
		send_failed(p, seq, e);
	}
	return 0;
}

/* The outstanding probe with sequence @seq, or NULL. */
static struct slot *find_slot(struct knet_ping *p, int seq)
{
	struct slot *s = &p->slots[(seq & 0xffff) % SLOTS];

	return s->used && (s->seq & 0xffff) == (seq & 0xffff) ? s : NULL;
}

/* UDP answers need not quote our payload: then the oldest probe. */
static struct slot *oldest_slot(struct knet_ping *p)
{
	struct slot *best = NULL;

	for (int i = 0; i < SLOTS; i++)
		if (p->slots[i].used && (!best || p->slots[i].seq < best->seq))
			best = &p->slots[i];
	return best;
}

static struct slot *match_payload(struct knet_ping *p, const uint8_t *d,
				  size_t len)
{
	if (p->o.mode == KNET_PROBE_ICMP) {
		struct knet_pkt pk = {d, len};
		uint16_t seq;

		if (knet_pkt_be16(&pk, 6, &seq) < 0)
			return NULL;
		return find_slot(p, seq);
	}
	if (len >= 6 && !memcmp(d, UDP_MAGIC, 4))
		return find_slot(p, d[4] << 8 | d[5]);
	return oldest_slot(p);
}

static void got_reply(struct knet_ping *p, const struct knet_rx *rx)
{
	struct knet_ping_event ev;
	struct knet_icmp m;
	struct slot *s;
	struct knet_pkt pk = {p->buf, rx->len};
	int bytes = (int)rx->len;

	if (p->o.mode == KNET_PROBE_ICMP) {
		if (knet_icmp_parse(&pk, p->family,
				    p->raw && p->family == AF_INET, &m) < 0 ||
		    !knet_icmp_is_echo_reply(p->family, m.type))
			return;
		/* Ping sockets rewrite the id; raw ones see everybody's. */
		if (p->raw && m.id != p->id)
			return;
		s = find_slot(p, m.seq);
		if (p->raw && p->family == AF_INET)
			bytes -= (int)((p->buf[0] & 0x0f) * 4);
	} else {
		s = match_payload(p, p->buf, rx->len);
	}
	if (!s)
		return; /* late, duplicate or not ours */
	event_init(&ev, KNET_PING_REPLY, s->seq);
	ev.rtt_us = knet_ts_diff_us(&s->sent, &rx->ts);
	ev.ttl = rx->ttl;
	if (ev.ttl < 0 && p->raw && p->family == AF_INET && rx->len > 8)
		ev.ttl = p->buf[8];
	ev.bytes = bytes;
	knet_addr_str((const struct sockaddr *)&p->o.dst, ev.from,
		      sizeof(ev.from));
	s->used = false;
	emit(p, &ev);
}

static void got_error(struct knet_ping *p, const struct knet_rx *rx)
{
	struct knet_ping_event ev;
	struct slot *s = match_payload(p, p->buf, rx->len);
	enum knet_ping_status st;

	if (!s && rx->ee_origin == SO_EE_ORIGIN_LOCAL)
		s = oldest_slot(p);
	if (!s)
		return;
	if (rx->ee_errno == EMSGSIZE)
		st = KNET_PING_TOO_BIG;
	else if (rx->ee_errno == ECONNREFUSED)
		st = KNET_PING_REFUSED;
	else if ((rx->ee_origin == SO_EE_ORIGIN_ICMP && rx->ee_type == 11) ||
		 (rx->ee_origin == SO_EE_ORIGIN_ICMP6 && rx->ee_type == 3))
		st = KNET_PING_TTL;
	else
		st = KNET_PING_UNREACH;
	event_init(&ev, st, s->seq);
	ev.rtt_us = knet_ts_diff_us(&s->sent, &rx->ts);
	ev.icmp_type = rx->ee_type;
	ev.icmp_code = rx->ee_code;
	if (st == KNET_PING_TOO_BIG) {
		ev.mtu = (int)rx->ee_info;
		if (ev.mtu > 0 && (!p->pmtu || ev.mtu < p->pmtu))
			p->pmtu = ev.mtu;
	}
	if (rx->has_from)
		knet_addr_str((const struct sockaddr *)&rx->from, ev.from,
			      sizeof(ev.from));
	s->used = false;
	emit(p, &ev);
}

static void drain(struct knet_ping *p)
{
	struct knet_rx rx;
	int r, guard;

	for (guard = 0; guard < 1024; guard++) {
		r = knet_probe_recv(p->fd, true, p->buf, p->buflen, &rx);
		if (r == -EAGAIN || r == -EWOULDBLOCK)
			break;
		if (r == 0)
			got_error(p, &rx);
	}
	for (guard = 0; guard < 1024; guard++) {
		r = knet_probe_recv(p->fd, false, p->buf, p->buflen, &rx);
		if (r == -EAGAIN || r == -EWOULDBLOCK)
			break;
		/* Other errors: the pending error, also on the queue. */
		if (r == 0)
			got_reply(p, &rx);
	}
}

static double ts_sec(const struct timespec *t)
{
	return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

static void expire(struct knet_ping *p, double now, bool all)
{
	struct knet_ping_event ev;

	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &p->slots[i];

		if (!s->used || (!all && now - ts_sec(&s->sent) < p->o.timeout))
			continue;
		event_init(&ev, KNET_PING_TIMEOUT, s->seq);
		s->used = false;
		emit(p, &ev);
	}
}

static bool any_outstanding(const struct knet_ping *p, double *ret_oldest)
{
	bool any = false;

	for (int i = 0; i < SLOTS; i++)
		if (p->slots[i].used) {
			double t = ts_sec(&p->slots[i].sent);

			if (!any || t < *ret_oldest)
				*ret_oldest = t;
			any = true;
		}
	return any;
}

/* TCP: one connect per probe, timed until it completes or fails. */
static void tcp_probe(struct knet_ping *p, int seq, volatile sig_atomic_t *stop)
{
	struct knet_ping_event ev;
	struct timespec t0, t1;
	struct sockaddr sa_unspec = {.sa_family = AF_UNSPEC};
	struct pollfd pfd = {.fd = p->fd, .events = POLLOUT};
	int soerr = 0, r;
	socklen_t l = sizeof(soerr);

	knet_ts_now(&t0);
	r = connect(p->fd, (const struct sockaddr *)&p->o.dst, p->o.dst_len);
	if (r < 0 && errno != EINPROGRESS) {
		soerr = errno;
		knet_ts_now(&t1);
	} else if (r < 0) {
		double left = p->o.timeout;

		for (;;) {
			int ms = (int)ceil(left * 1000);

			r = poll(&pfd, 1, ms > 100 ? 100 : ms);
			knet_ts_now(&t1);
			if (r > 0 || (stop && *stop))
				break;
			left = p->o.timeout - ts_sec(&t1) + ts_sec(&t0);
			if (left <= 0)
				break;
		}
		if (r > 0)
			getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &soerr, &l);
		else
			soerr = ETIMEDOUT;
	} else {
		knet_ts_now(&t1);
	}
	if (soerr == 0)
		event_init(&ev, KNET_PING_REPLY, seq);
	else if (soerr == ECONNREFUSED)
		event_init(&ev, KNET_PING_REFUSED, seq);
	else if (soerr == ETIMEDOUT)
		event_init(&ev, KNET_PING_TIMEOUT, seq);
	else if (soerr == EHOSTUNREACH || soerr == ENETUNREACH)
		event_init(&ev, KNET_PING_UNREACH, seq);
	else {
		event_init(&ev, KNET_PING_ERROR, seq);
		ev.err = -soerr;
	}
	if (soerr == 0 || soerr == ECONNREFUSED) {
		ev.rtt_us = knet_ts_diff_us(&t0, &t1);
		knet_addr_str((const struct sockaddr *)&p->o.dst, ev.from,
			      sizeof(ev.from));
	}
	/*
	 * Disconnect (RST) so the same socket, opened in the pod's
	 * namespace, can connect again: we cannot go back to open another.
	 */
	connect(p->fd, &sa_unspec, sizeof(sa_unspec));
	emit(p, &ev);
}

static void sleep_until(double t, volatile sig_atomic_t *stop)
{
	struct timespec now;

	for (;;) {
		double left;

		knet_ts_now(&now);
		left = t - ts_sec(&now);
		if (left <= 0 || (stop && *stop))
			return;
		if (left > 0.1)
			left = 0.1;
		poll(NULL, 0, (int)ceil(left * 1000));
	}
}

static int run_tcp(struct knet_ping *p, volatile sig_atomic_t *stop)
{
	struct timespec now;
	double next;

	knet_ts_now(&now);
	next = ts_sec(&now);
	for (int seq = 0; !(stop && *stop) && p->cb_ret >= 0; seq++) {
		if (p->o.count && seq >= p->o.count)
			break;
		if (seq > 0)
			sleep_until(next, stop);
		if (stop && *stop)
			break;
		next += p->o.interval;
		p->st.sent++;
		tcp_probe(p, seq, stop);
	}
	return 0;
}

static int run_dgram(struct knet_ping *p, volatile sig_atomic_t *stop)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
	struct timespec now;
	double next, oldest = 0, wake;
	int seq = 0;

	knet_ts_now(&now);
	next = ts_sec(&now);
	while (!(stop && *stop) && p->cb_ret >= 0) {
		bool more = !p->o.count || seq < p->o.count;
		bool outstanding;

		knet_ts_now(&now);
		if (more && ts_sec(&now) >= next) {
			p->st.sent++;
			send_probe(p, seq & 0xffff);
			seq++;
			next += p->o.interval;
			more = !p->o.count || seq < p->o.count;
		}
		outstanding = any_outstanding(p, &oldest);
		if (!more && !outstanding)
			break;
		wake = more ? next : oldest + p->o.timeout;
		if (outstanding && oldest + p->o.timeout < wake)
			wake = oldest + p->o.timeout;
		knet_ts_now(&now);
		{
			double left = wake - ts_sec(&now);
			int ms = left <= 0 ? 0 : (int)ceil(left * 1000);

			/* Wake up now and then to notice a stop request. */
			if (poll(&pfd, 1, ms > 200 ? 200 : ms) > 0)
				drain(p);
		}
		knet_ts_now(&now);
		expire(p, ts_sec(&now), false);
	}
	if (stop && *stop)
		drain(p);
	return 0;
}

int knet_ping_run(struct knet_ping *p,
		  int (*on_event)(const struct knet_ping_event *ev, void *ud),
		  void *ud, volatile sig_atomic_t *stop,
		  struct knet_rtt_stats *ret_stats, struct knet_error *err)
{
	knet_rtt_stats_init(&p->st);
	p->cb = on_event;
	p->ud = ud;
	p->cb_ret = 0;
	if (p->o.mode == KNET_PROBE_TCP)
		run_tcp(p, stop);
	else
		run_dgram(p, stop);
	/* Stopped by the user: what is still out is not lost, only late. */
	for (int i = 0; i < SLOTS; i++)
		if (p->slots[i].used) {
			p->slots[i].used = false;
			p->st.sent--;
		}
	if (ret_stats)
		*ret_stats = p->st;
	if (p->cb_ret < 0)
		return knet_error_set(err, p->cb_ret, KNET_EXIT_SYSTEM, "%s",
				      strerror(-p->cb_ret));
	return 0;
}
