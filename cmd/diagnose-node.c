/* SPDX-License-Identifier: MIT */
/*
 * knet diagnose, the layers from FROM's namespace and FROM's node, on
 * the node pipeline: prepare() (privileged, in the node's namespace)
 * subscribes to conntrack's events for FROM's address and sends the
 * dump of the entries already there; open() (in FROM's namespace) opens
 * the probe, traceroute and DNS sockets and the capture; run()
 * (unprivileged) looks the name up, probes, and on failure traces the
 * path and reads what the capture and conntrack saw meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diagnose.h"
#include "dns-expect.h"
#include "knet/node.h"

/*
 * Per-layer time budgets (seconds) for the default --timeout of 8 s:
 * scaled with --timeout, each also capped by what is left of it.  The
 * worst case (DNS silent, probes silent, a dark path) stays under it:
 * 2 + 3 x 1 + 8 x 0.5 / waves + 0.3.
 */
#define DNS_TRY_S     1.0
#define DNS_TOTAL_S   2.0
#define PROBE_TRIES   3
#define PROBE_WAIT_S  1.0
#define PROBE_GAP_S   0.05
#define TRACE_HOPS    8
#define TRACE_WAIT_S  0.5
#define CAPTURE_LAG_S 0.3
#define BIG_TRIES     2
#define BIG_WAIT_S    0.5
#define BIG_PACKET    1500 /* a pod's usual MTU: a full-size packet */

static double cap_s(const struct diag *d, double want)
{
	double left = (double)diag_left_us(d) / 1e6;

	want *= d->budget / 8.0;
	return want < left ? want : left;
}

/* --- prepare: conntrack of FROM's node, the pod's resolv.conf --- */

/* FROM's address to TO's (a ClusterIP: the original destination). */
static int ct_filter(const struct diag *d, const struct knet_target *tg,
		     struct knet_ct_filter *f, struct knet_error *err)
{
	int r;

	memset(f, 0, sizeof(*f));
	r = knet_ct_filter_set(f, "src", d->from_ip, err);
	if (r == 0)
		r = knet_ct_filter_set(f, "dst", tg->ip, err);
	return r < 0 ? r : knet_ct_filter_check(f, err);
}

int diag_node_prepare(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct diag *d = job->data;
	struct knet_ct_filter f;
	struct knet_error err = {0};
	char *text = NULL, *where = NULL;

	if (diag_wants(d, KNET_DIAG_CONNTRACK) && d->from_ip[0]) {
		/* Events: the probes' own flows to TO, as they are made;
		 * the dump: the entries there before (a stale one). */
		if (ct_filter(d, job->tg, &f, &err) < 0 ||
		    knet_ct_events_open(
			    &f, KNET_CT_EVENT_NEW | KNET_CT_EVENT_UPDATE,
			    &d->ctev, &err) < 0 ||
		    knet_ct_new(&d->ct, &err) < 0 ||
		    knet_ct_dump_begin(d->ct, &f, &err) < 0) {
			diag_set(d, KNET_DIAG_CONNTRACK, KNET_DIAG_WARN, 0,
				 "not read: %s", err.reason);
			knet_ct_events_close(d->ctev);
			d->ctev = NULL;
			knet_ct_free(d->ct);
			d->ct = NULL;
		}
		if (d->svc && job->tg->kind == KNET_TARGET_SERVICE &&
		    knet_ct_service_new(d->svc,
					knet_endpoints_list_find(
						d->eps, d->svc_ns, d->svc_name),
					d->port, &d->cts, &err) < 0)
			knet_log(ctx, 1, "conntrack: %s", err.reason);
	}
	if (d->dns_name && !d->external && diag_wants(d, KNET_DIAG_DNS) &&
	    knet_netns_resolv_conf(&job->src->ns, &text, &where, &err) == 0 &&
	    knet_resolv_conf_parse(text, &d->conf, &err) == 0) {
		d->have_conf = true;
		if (knet_dns_plan_new(&d->conf, d->dns_name, &d->plan, &err) <
		    0)
			d->have_conf = false;
	}
	if (d->dns_name && !d->external && diag_wants(d, KNET_DIAG_DNS) &&
	    !d->have_conf)
		diag_set(d, KNET_DIAG_DNS, KNET_DIAG_WARN, 0,
			 "resolv.conf not read: %s", err.reason);
	free(text);
	free(where);
	return 0;
}

/* --- open: FROM's namespace --- */

static int open_capture(struct diag *d, const struct knet_target *tg)
{
	struct knet_error err = {0};
	char filter[256];
	struct knet_capture_opts o = {
		.iface = "eth0",
		.snaplen = 256,
		.buffer_kib = 1024,
		.immediate = true,
		.filter = filter,
	};

	snprintf(filter, sizeof(filter), "icmp or host %s%s%s", tg->ip,
		 d->have_conf ? " or port 53" : "", "");
	if (knet_capture_open(&o, &d->cap, &err) < 0) {
		diag_set(d, KNET_DIAG_PACKETS, KNET_DIAG_WARN, 0,
			 "no capture: %s", err.reason);
		return 0;
	}
	d->pkts = calloc(DIAG_MAX_PACKETS, sizeof(*d->pkts));
	return d->pkts ? 0 : -ENOMEM;
}

/*
 * Full-size echoes with DF set, to TO or (a ClusterIP answers no ICMP)
 * a ready endpoint of the Service: frag-needed is the path MTU working,
 * silence where small probes got through is a black hole.
 */
static void open_big(struct diag *d, const struct knet_target *tg)
{
	const struct knet_service_endpoints *se =
		d->svc ? knet_endpoints_list_find(d->eps, d->svc_ns,
						  d->svc_name)
		       : NULL;
	struct knet_error err = {0};

	snprintf(d->big_dst, sizeof(d->big_dst), "%s", tg->ip);
	if (tg->kind == KNET_TARGET_SERVICE) {
		d->big_dst[0] = '\0';
		for (int i = 0; se && i < se->n && !d->big_dst[0]; i++)
			if (se->eps[i].ready && se->eps[i].ip)
				snprintf(d->big_dst, sizeof(d->big_dst), "%s",
					 se->eps[i].ip);
	}
	d->bo.mode = KNET_PROBE_ICMP;
	d->bo.count = BIG_TRIES;
	d->bo.interval = cap_s(d, PROBE_GAP_S);
	d->bo.timeout = cap_s(d, BIG_WAIT_S);
	d->bo.df = true;
	/* A path MTU learnt by an earlier run would hide a black hole. */
	d->bo.df_probe = true;
	d->bo.size = knet_ping_df_max_size(
		strchr(d->big_dst, ':') ? AF_INET6 : AF_INET, BIG_PACKET);
	if (!d->big_dst[0] ||
	    knet_addr_parse(d->big_dst, 0, &d->bo.dst, &d->bo.dst_len) < 0 ||
	    knet_ping_new(&d->bo, &d->big, &err) < 0)
		d->big = NULL;
}

int diag_node_open(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct diag *d = job->data;
	const struct knet_target *tg = job->tg;
	struct knet_ping_mode m;
	int r;

	r = knet_target_ping_mode(tg, 0, 0, &m, &job->err);
	if (r < 0)
		return knet_usage_error(ctx, "%s", job->err.reason);
	d->po.mode = (enum knet_probe_mode)m.mode;
	d->po.count = PROBE_TRIES;
	d->po.interval = cap_s(d, PROBE_GAP_S);
	d->po.size = 56;
	d->po.timeout = cap_s(d, PROBE_WAIT_S);
	r = knet_addr_parse(tg->ip, m.port, &d->po.dst, &d->po.dst_len);
	if (r < 0)
		return knet_usage_error(ctx, "'%s' is not an IP address",
					tg->ip);
	if (diag_wants(d, KNET_DIAG_REACH)) {
		r = knet_ping_new(&d->po, &d->ping, &job->err);
		if (r < 0)
			return r;
	}
	if (diag_wants(d, KNET_DIAG_PATH)) {
		d->tro.mode = d->po.mode == KNET_PROBE_TCP ? KNET_PROBE_TCP
							   : KNET_PROBE_ICMP;
		d->tro.dst = d->po.dst;
		d->tro.dst_len = d->po.dst_len;
		d->tro.first_ttl = 1;
		d->tro.max_hops = TRACE_HOPS;
		d->tro.queries = 1;
		d->tro.timeout = cap_s(d, TRACE_WAIT_S);
		d->tro.size = 0;
		if (knet_trace_new(&d->tro, &d->trace, &job->err) < 0) {
			diag_set(d, KNET_DIAG_PATH, KNET_DIAG_WARN, 0,
				 "no traceroute: %s", job->err.reason);
			knet_error_clear(&job->err);
		}
	}
	if (diag_wants(d, KNET_DIAG_REACH))
		open_big(d, tg);
	/* An external TO's lookup was done already, in prepare. */
	if (d->have_conf && !d->external &&
	    knet_dns_client_new((const char(*)[64])d->conf.nameservers,
				d->conf.nns, 1, &d->dns, &job->err) < 0) {
		diag_set(d, KNET_DIAG_DNS, KNET_DIAG_WARN, 0, "no socket: %s",
			 job->err.reason);
		knet_error_clear(&job->err);
	}
	if (!d->no_capture && diag_wants(d, KNET_DIAG_PACKETS))
		return open_capture(d, tg);
	return 0;
}

/* --- run: unprivileged --- */

struct dns_seen {
	struct diag *d;
	char addrs[8][64];
	int naddrs;
	long long latency_us;
	int server;
};

static int on_try(const struct knet_dns_try *t, int name, void *ud)
{
	struct dns_seen *s = ud;

	(void)name;
	if (t->error || t->msg.rcode || !t->msg.nan)
		return 0;
	s->latency_us = t->latency_us;
	s->server = t->server;
	s->naddrs = 0;
	for (int i = 0; i < t->msg.nan && s->naddrs < 8; i++)
		if (t->msg.an[i].type == KNET_DNS_A ||
		    t->msg.an[i].type == KNET_DNS_AAAA)
			snprintf(s->addrs[s->naddrs++], sizeof(s->addrs[0]),
				 "%s", t->msg.an[i].data);
	return 0;
}

static void layer_dns(struct knet_node_job *job)
{
	struct diag *d = job->data;
	struct dns_seen s = {.d = d};
	struct knet_dns_lookup lk = {0};
	long long t0 = knet_mono_us();
	struct knet_dns_ask a = {
		.type = KNET_DNS_A,
		.timeout_ms = (int)(cap_s(d, DNS_TRY_S) * 1000),
		.attempts = 1,
		.use_vc = d->conf.use_vc,
	};
	bool expected = false;

	if (a.timeout_ms < 100)
		a.timeout_ms = 100;
	if (knet_dns_lookup(
		    d->dns, d->plan, &d->conf, &a, on_try, &s, job->stop,
		    t0 + (long long)(cap_s(d, DNS_TOTAL_S) * 1e6), &lk) < 0) {
		diag_set(d, KNET_DIAG_DNS, KNET_DIAG_WARN, t0, "lookup failed");
		return;
	}
	if (lk.answered < 0) {
		char why[512] = "";

		/* knet dns's word on a nameserver that is a Service (not
		 * in the external lookup's child: the API's connection is
		 * its parent's). */
		if (!d->external)
			dns_server_owner(job->ctx->api, d->conf.nameservers[0],
					 why, sizeof(why));
		diag_set(d, KNET_DIAG_DNS, KNET_DIAG_FAIL, t0,
			 "%s: %s from %s after %d name%s%s%s%s", d->dns_name,
			 knet_dns_outcome_name(lk.last), d->conf.nameservers[0],
			 lk.asked, lk.asked == 1 ? "" : "s",
			 lk.out_of_time ? " (out of time)" : "",
			 why[0] ? ": " : "", why);
		return;
	}
	/* Outside the cluster no API says what the answer should be. */
	expected = d->external && s.naddrs;
	for (int i = 0; !d->external && i < s.naddrs; i++)
		expected |= !strcmp(s.addrs[i], job->tg->ip);
	if (d->external && s.naddrs)
		snprintf(d->ext_ip, sizeof(d->ext_ip), "%s", s.addrs[0]);
	diag_set(d, KNET_DIAG_DNS, expected ? KNET_DIAG_OK : KNET_DIAG_FAIL, t0,
		 "%s -> %s%s (%s from %s in %.2f ms)", d->dns_name,
		 s.naddrs ? s.addrs[0] : "?",
		 expected      ? ""
		 : d->external ? ", no address"
			       : ", not the address the API gives",
		 d->plan->names[lk.answered], d->conf.nameservers[s.server],
		 (double)s.latency_us / 1000);
}

/* The child's end of diag_external_resolve(): never returns. */
static void external_child(struct knet_node_job *job, int fd)
{
	static volatile sig_atomic_t no_stop;
	struct diag *d = job->data;
	const struct knet_diag_result *r = &d->in.r[KNET_DIAG_DNS];
	char line[1024];
	int n;

	if (knet_dns_client_new((const char(*)[64])d->conf.nameservers,
				d->conf.nns, 1, &d->dns, &job->err) < 0 ||
	    knet_privs_drop(job->run_as, &job->err) < 0) {
		diag_set(d, KNET_DIAG_DNS, KNET_DIAG_WARN, 0,
			 "not looked up: %s", job->err.reason);
	} else {
		if (!job->stop)
			job->stop = &no_stop;
		layer_dns(job);
	}
	n = snprintf(line, sizeof(line), "%d\t%lld\t%s\t%s\n", (int)r->status,
		     r->time_us, d->ext_ip, r->evidence);
	if (n > 0 && write(fd, line, (size_t)n) < 0)
		_exit(5);
	_exit(0);
}

/* "STATUS\tTIME\tIP\tEVIDENCE": the child's line, into @d. */
static void external_read(struct diag *d, char *line)
{
	char *f[4] = {line};
	int n = 1;

	for (char *p = line; *p && n < 4; p++)
		if (*p == '\t') {
			*p = '\0';
			f[n++] = p + 1;
		}
	if (n < 4)
		return;
	f[3][strcspn(f[3], "\n")] = '\0';
	d->in.r[KNET_DIAG_DNS].status = (enum knet_diag_status)atoi(f[0]);
	d->in.r[KNET_DIAG_DNS].time_us = atoll(f[1]);
	snprintf(d->in.r[KNET_DIAG_DNS].evidence,
		 sizeof(d->in.r[KNET_DIAG_DNS].evidence), "%s", f[3]);
	d->done[KNET_DIAG_DNS] = true;
	/* Only an address goes on to the probes. */
	if (knet_addr_parse(f[2], 0, &(struct sockaddr_storage){0},
			    &(socklen_t){0}) == 0)
		snprintf(d->ext_ip, sizeof(d->ext_ip), "%s", f[2]);
}

int diag_external_target(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct diag *d = job->data;
	char *probe = NULL;
	int r;

	if (asprintf(&probe, "%s%s%s%s%s%s", strchr(d->ext_ip, ':') ? "[" : "",
		     d->ext_ip, strchr(d->ext_ip, ':') ? "]" : "",
		     d->port ? ":" : "", d->port ? d->port : "",
		     d->port && !strcmp(d->proto, "UDP") ? "/udp" : "") < 0)
		return -ENOMEM;
	r = knet_target_resolve(ctx->api, probe, knet_ctx_namespace(ctx),
				job->family, &job->tg, &job->err);
	free(probe);
	return r;
}

/*
 * TO is a name outside the cluster: looked up as FROM would (its
 * resolv.conf, from its namespace), before the probes are opened, since
 * they need the answer.  The lookup parses what the network sent, so it
 * runs in a child that entered the namespace and dropped every
 * privilege first; it hands back one line on a pipe, of which only an
 * address that parses is used.
 */
int diag_external_resolve(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct diag *d = job->data;
	struct knet_netns_saved saved;
	char *text = NULL, *where = NULL, line[1024];
	size_t len = 0;
	int fds[2], st, r;
	pid_t pid;

	r = knet_netns_resolv_conf(&job->src->ns, &text, &where, &job->err);
	if (r == 0)
		r = knet_resolv_conf_parse(text, &d->conf, &job->err);
	d->have_conf = r == 0;
	if (r == 0)
		r = knet_dns_plan_new(&d->conf, d->dns_name, &d->plan,
				      &job->err);
	free(text);
	free(where);
	if (r < 0) {
		diag_set(d, KNET_DIAG_DNS, KNET_DIAG_FAIL, 0,
			 "%s not looked up: resolv.conf not read: %s",
			 d->dns_name, job->err.reason);
		return 1;
	}
	if (pipe2(fds, O_CLOEXEC) < 0)
		return knet_error_set(&job->err, -errno, KNET_EXIT_SYSTEM,
				      "pipe: %s", strerror(errno));
	r = knet_source_enter(job->src, &saved, &job->err);
	if (r < 0)
		goto out;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		external_child(job, fds[1]);
	}
	knet_netns_leave(&saved);
	close(fds[1]);
	fds[1] = -1;
	if (pid < 0) {
		r = knet_error_set(&job->err, -errno, KNET_EXIT_SYSTEM,
				   "fork: %s", strerror(errno));
		goto out;
	}
	while (len < sizeof(line) - 1) {
		ssize_t n = read(fds[0], line + len, sizeof(line) - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	line[len] = '\0';
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	external_read(d, line);
	if (!d->ext_ip[0]) {
		if (!d->done[KNET_DIAG_DNS])
			diag_set(d, KNET_DIAG_DNS, KNET_DIAG_FAIL, 0,
				 "%s not looked up: the lookup ended early",
				 d->dns_name);
		r = 1;
		goto out;
	}
	knet_log(ctx, 1, "%s: %s from %s's resolver", d->dns_name, d->ext_ip,
		 d->from);
	r = diag_external_target(ctx, job);
out:
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return r;
}

struct reach {
	enum knet_ping_status best;
	char from[46];
	int mtu;
	int icmp_type, icmp_code;
};

/* The most telling outcome: a reply beats a refusal beats silence. */
static int rank(enum knet_ping_status s)
{
	switch (s) {
	case KNET_PING_REPLY:
		return 6;
	case KNET_PING_REFUSED:
		return 5;
	case KNET_PING_TOO_BIG:
		return 4;
	case KNET_PING_UNREACH:
		return 3;
	case KNET_PING_TTL:
		return 2;
	case KNET_PING_ERROR:
		return 1;
	default:
		return 0;
	}
}

static int on_event(const struct knet_ping_event *ev, void *ud)
{
	struct reach *r = ud;

	if (rank(ev->status) > rank(r->best)) {
		r->best = ev->status;
		snprintf(r->from, sizeof(r->from), "%s", ev->from);
		r->mtu = ev->mtu;
		r->icmp_type = ev->icmp_type;
		r->icmp_code = ev->icmp_code;
	}
	return 0;
}

/* The probes' destination port (0 for ICMP: parsed with port 0). */
static int dst_port(const struct diag *d)
{
	if (d->po.dst.ss_family == AF_INET6)
		return ntohs(
			((const struct sockaddr_in6 *)&d->po.dst)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&d->po.dst)->sin_port);
}

static const char *mode_name(const struct diag *d)
{
	return d->po.mode == KNET_PROBE_TCP   ? "tcp"
	       : d->po.mode == KNET_PROBE_UDP ? "udp"
					      : "icmp";
}

static int layer_reach(struct knet_node_job *job)
{
	struct diag *d = job->data;
	struct reach rc = {.best = KNET_PING_TIMEOUT};
	struct knet_rtt_stats st;
	long long t0 = knet_mono_us();
	char dst[80];
	int r;

	if (d->po.mode == KNET_PROBE_ICMP)
		snprintf(dst, sizeof(dst), "icmp %s", job->tg->ip);
	else
		snprintf(dst, sizeof(dst), "%s %s:%d", mode_name(d),
			 job->tg->ip, dst_port(d));
	r = knet_ping_run(d->ping, on_event, &rc, job->stop, &st, &job->err);
	if (r < 0)
		return r;
	d->in.reach = rc.best;
	if (rc.best == KNET_PING_REPLY)
		diag_set(
			d, KNET_DIAG_REACH,
			st.received == st.sent ? KNET_DIAG_OK : KNET_DIAG_WARN,
			t0,
			"%s: %d/%d answered, rtt min/avg/max %.2f/%.2f/%.2f ms",
			dst, st.received, st.sent, (double)st.min_us / 1000,
			knet_rtt_stats_avg(&st) / 1000,
			(double)st.max_us / 1000);
	else if (rc.best == KNET_PING_REFUSED)
		diag_set(d, KNET_DIAG_REACH, KNET_DIAG_FAIL, t0,
			 "%s: refused (%s%s%s): nothing listens there", dst,
			 d->po.mode == KNET_PROBE_TCP ? "RST"
						      : "port unreachable",
			 rc.from[0] ? " from " : "", rc.from);
	else if (rc.best == KNET_PING_TIMEOUT)
		diag_set(d, KNET_DIAG_REACH, KNET_DIAG_FAIL, t0,
			 "%s: no answer to %d tries in %.1f s each", dst,
			 st.sent, d->po.timeout);
	else
		diag_set(d, KNET_DIAG_REACH, KNET_DIAG_FAIL, t0,
			 "%s: %s from %s (icmp type %d code %d)%s", dst,
			 knet_ping_status_name(rc.best),
			 rc.from[0] ? rc.from : "?", rc.icmp_type, rc.icmp_code,
			 rc.mtu ? ", path mtu too small" : "");
	return 0;
}

/* After small probes got through: do full-size packets? */
static int layer_mtu(struct knet_node_job *job)
{
	struct diag *d = job->data;
	struct knet_diag_result *res = &d->in.r[KNET_DIAG_REACH];
	struct reach rc = {.best = KNET_PING_TIMEOUT};
	struct knet_rtt_stats st;
	size_t n = strlen(res->evidence);
	int r;

	r = knet_ping_run(d->big, on_event, &rc, job->stop, &st, &job->err);
	if (r < 0)
		return r;
	if (rc.best == KNET_PING_REPLY)
		snprintf(res->evidence + n, sizeof(res->evidence) - n,
			 "; %d-byte DF echoes to %s answered", BIG_PACKET,
			 d->big_dst);
	else if (rc.best == KNET_PING_TOO_BIG)
		snprintf(res->evidence + n, sizeof(res->evidence) - n,
			 "; path MTU %d to %s (frag-needed from %s)", rc.mtu,
			 d->big_dst, rc.from[0] ? rc.from : "here");
	else if (rc.best == KNET_PING_TIMEOUT) {
		d->in.mtu_black_hole = true;
		d->in.mtu_dst = d->big_dst;
		res->status = KNET_DIAG_FAIL;
		snprintf(res->evidence + n, sizeof(res->evidence) - n,
			 "; but %d-byte DF echoes to %s vanish and no "
			 "frag-needed comes back: an MTU black hole (ICMP "
			 "blocked on the path?)",
			 BIG_PACKET, d->big_dst);
	}
	return 0;
}

static int layer_path(struct knet_node_job *job)
{
	struct diag *d = job->data;
	struct knet_trace_result *res = NULL;
	long long t0 = knet_mono_us();
	const char *last = NULL;
	int last_hop = 0, r;

	r = knet_trace_run(d->trace, job->stop, &res, &job->err);
	if (r < 0) {
		diag_set(d, KNET_DIAG_PATH, KNET_DIAG_WARN, t0, "%s",
			 job->err.reason);
		knet_error_clear(&job->err);
		return 0;
	}
	for (int h = 0; h < res->hops; h++)
		if (res->probes[h * res->queries].rtt_us >= 0) {
			last = res->probes[h * res->queries].from;
			last_hop = res->first_ttl + h;
		}
	if (res->reached)
		diag_set(d, KNET_DIAG_PATH, KNET_DIAG_OK, t0,
			 "%s answers at hop %d", job->tg->ip, last_hop);
	else if (last)
		diag_set(d, KNET_DIAG_PATH, KNET_DIAG_FAIL, t0,
			 "stops after hop %d (%s): nothing answers past it",
			 last_hop, last);
	else
		diag_set(d, KNET_DIAG_PATH, KNET_DIAG_FAIL, t0,
			 "no hop answers, not even the first");
	knet_trace_result_free(res);
	return 0;
}

/* The probes' flows, by source port: made (NEW), answered (SEEN_REPLY). */
struct ct_seen {
	struct diag *d;
	uint16_t sport[16];
	bool replied[16];
	int flows;
	char dnat[64];
};

static void ct_note(struct ct_seen *s, const struct knet_ct_entry *e)
{
	char ip[46];
	int i;

	for (i = 0; i < s->flows && s->sport[i] != e->orig.sport; i++)
		;
	if (i == s->flows) {
		if (s->flows == 16)
			return;
		s->sport[s->flows++] = e->orig.sport;
	}
	s->replied[i] |= !knet_ct_unreplied(e);
	/* DNAT: the reply comes from the backend, not the ClusterIP. */
	if (memcmp(e->reply.src, e->orig.dst, sizeof(e->orig.dst)) &&
	    knet_ct_format_addr(e->family, e->reply.src, ip, sizeof(ip)) >= 0)
		snprintf(s->dnat, sizeof(s->dnat), "%s:%u", ip, e->reply.sport);
}

static int on_entry(const struct knet_ct_entry *e, void *ud)
{
	struct diag *d = ud;
	struct knet_ct_verdict v;

	d->dumped++;
	if (d->cts && knet_ct_service_classify(d->cts, e, &v) == 0 && v.stale &&
	    !d->stale++) {
		char src[64], dst[64], to[46];

		knet_ct_format_src(e, &e->orig, src, sizeof(src));
		knet_ct_format_dst(e, &e->orig, dst, sizeof(dst));
		knet_ct_format_addr(e->family, e->reply.src, to, sizeof(to));
		snprintf(d->stale_text, sizeof(d->stale_text),
			 "%s %s -> %s DNAT'd to %s:%u: %s",
			 knet_ct_proto_name(e->proto), src, dst, to,
			 e->reply.sport, knet_ct_stale_reason(v.stale));
	}
	return 0;
}

static void layer_conntrack(struct knet_node_job *job)
{
	struct diag *d = job->data;
	struct ct_seen s = {.d = d};
	struct knet_ct_event ev;
	int replied = 0;
	long long t0 = knet_mono_us();
	struct knet_error err = {0};

	if (d->ct && knet_ct_dump_finish(d->ct, on_entry, d, &err) < 0) {
		diag_set(d, KNET_DIAG_CONNTRACK, KNET_DIAG_WARN, t0, "dump: %s",
			 err.reason);
		return;
	}
	while (d->ctev && knet_ct_events_next(d->ctev, 0, &ev, &err) == 1)
		if (ev.type != KNET_CT_EVENT_LOST)
			ct_note(&s, &ev.entry);
	for (int i = 0; i < s.flows; i++)
		replied += s.replied[i];
	if (d->stale) {
		diag_set(d, KNET_DIAG_CONNTRACK, KNET_DIAG_FAIL, t0,
			 "node %s: %lu stale entr%s: %s", d->from_node,
			 d->stale, d->stale == 1 ? "y" : "ies", d->stale_text);
		return;
	}
	if (!s.flows)
		diag_set(d, KNET_DIAG_CONNTRACK,
			 d->in.r[KNET_DIAG_REACH].status == KNET_DIAG_FAIL
				 ? KNET_DIAG_WARN
				 : KNET_DIAG_OK,
			 t0,
			 "no entry for the probes on node %s (%lu before): "
			 "dropped before conntrack confirmed them?",
			 d->from_node, d->dumped);
	else
		diag_set(d, KNET_DIAG_CONNTRACK,
			 replied < s.flows ? KNET_DIAG_WARN : KNET_DIAG_OK, t0,
			 "node %s: %d new flow%s, %d replied, %d UNREPLIED%s%s",
			 d->from_node, s.flows, s.flows == 1 ? "" : "s",
			 replied, s.flows - replied,
			 s.dnat[0] ? ", DNAT to " : "", s.dnat);
}

static void layer_packets(struct knet_node_job *job)
{
	struct diag *d = job->data;
	long long t0 = knet_mono_us();
	long long end = t0 + (long long)(cap_s(d, CAPTURE_LAG_S) * 1e6);
	struct knet_error err = {0};
	struct knet_packet p;
	int port = dst_port(d); /* 0: ICMP */
	enum knet_diag_packets k, kd = KNET_DIAG_PKT_NONE;
	int lt = knet_capture_linktype(d->cap);

	while (d->npkts < DIAG_MAX_PACKETS && knet_mono_us() < end &&
	       !*job->stop) {
		int r = knet_capture_next(d->cap, &p, &err);

		if (r < 0)
			break;
		if (r == 0)
			continue;
		knet_decode_packet(lt, p.data, p.caplen, p.len, NULL, NULL,
				   &d->pkts[d->npkts++]);
	}
	k = knet_diag_packets_classify(d->pkts, d->npkts, d->from_ip,
				       job->tg->ip, port);
	if (d->have_conf)
		kd = knet_diag_packets_classify(d->pkts, d->npkts, d->from_ip,
						d->conf.nameservers[0], 53);
	/* The lookup failed: what its packets met says more. */
	if (kd > KNET_DIAG_PKT_ANSWERED &&
	    d->in.r[KNET_DIAG_DNS].status == KNET_DIAG_FAIL)
		k = kd;
	d->in.packets = k;
	diag_set(d, KNET_DIAG_PACKETS,
		 k == KNET_DIAG_PKT_ANSWERED ? KNET_DIAG_OK
		 : k == KNET_DIAG_PKT_NONE   ? KNET_DIAG_WARN
					     : KNET_DIAG_FAIL,
		 t0, "%s (%d packet%s seen on eth0)", knet_diag_packets_name(k),
		 d->npkts, d->npkts == 1 ? "" : "s");
}

int diag_node_run(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct diag *d = job->data;
	bool failed;
	int r;

	(void)ctx;
	if (d->dns && d->plan)
		layer_dns(job);
	if (d->ping) {
		long long t0 = knet_mono_us();

		r = layer_reach(job);
		if (r == 0 && d->big &&
		    d->in.r[KNET_DIAG_REACH].status == KNET_DIAG_OK) {
			r = layer_mtu(job);
			d->in.r[KNET_DIAG_REACH].time_us = knet_mono_us() - t0;
		}
		if (r < 0)
			return r;
	}
	failed = d->in.r[KNET_DIAG_REACH].status == KNET_DIAG_FAIL ||
		 d->in.r[KNET_DIAG_DNS].status == KNET_DIAG_FAIL;
	if (failed && d->trace && diag_left_us(d) > 0 &&
	    d->in.r[KNET_DIAG_REACH].status == KNET_DIAG_FAIL &&
	    d->in.reach != KNET_PING_REFUSED)
		layer_path(job);
	if (d->ct || d->ctev)
		layer_conntrack(job);
	if (failed && d->cap)
		layer_packets(job);
	return 0;
}

void diag_node_free(struct diag *d)
{
	knet_ping_free(d->ping);
	knet_ping_free(d->big);
	knet_trace_free(d->trace);
	knet_ct_events_close(d->ctev);
	knet_ct_free(d->ct);
	knet_capture_free(d->cap);
	knet_dns_client_free(d->dns);
	knet_dns_plan_free(d->plan);
	if (d->have_conf)
		knet_resolv_conf_clear(&d->conf);
	free(d->pkts);
}
