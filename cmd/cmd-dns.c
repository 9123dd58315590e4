/* SPDX-License-Identifier: MIT */
/*
 * knet dns NAME [--from POD] [--type T]: what the pod's resolver does,
 * visibly.  Its resolv.conf (read through a process of the pod), the
 * names glibc tries in its order (lib/analysis), each query sent from
 * the pod's network namespace (lib/probe, sockets opened there before
 * the privileges go), every try shown; then the answer libc would use,
 * what the API says it should be, and the findings.
 *
 * A pod on another node is asked by knet run there (the node pipeline's
 * transport); its JSON Lines are drawn here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "dns-expect.h"
#include "knet/analysis.h"
#include "knet/decode.h"
#include "knet/node.h"
#include "knet/probe.h"
#include "node-common.h"

enum {
	CONF_EVENT,
	CONF_SOURCE,
	CONF_FILE,
	CONF_NAMESERVERS,
	CONF_SEARCH,
	CONF_NDOTS,
	CONF_TIMEOUT,
	CONF_ATTEMPTS,
	NCONF_COLS,
};

static const struct knet_column conf_cols[] = {
	[CONF_EVENT] = {"EVENT", "event", KNET_CELL_STR, KNET_COL_NOTABLE, 0},
	[CONF_SOURCE] = {"SOURCE", "source", KNET_CELL_STR, 0, 10},
	[CONF_FILE] = {"FILE", "file", KNET_CELL_STR, KNET_COL_WIDE, 0},
	[CONF_NAMESERVERS] = {"NAMESERVERS", "nameservers", KNET_CELL_STRLIST,
			      0, 13},
	[CONF_SEARCH] = {"SEARCH", "search", KNET_CELL_STRLIST, 0, 0},
	[CONF_NDOTS] = {"NDOTS", "ndots", KNET_CELL_INT, KNET_COL_RIGHT, 5},
	[CONF_TIMEOUT] = {"TIMEOUT", "timeout_s", KNET_CELL_INT, KNET_COL_RIGHT,
			  7},
	[CONF_ATTEMPTS] = {"ATTEMPTS", "attempts", KNET_CELL_INT,
			   KNET_COL_RIGHT, 8},
	[NCONF_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

enum {
	TRY_EVENT,
	TRY_SEQ,
	TRY_NAME,
	TRY_TYPE,
	TRY_SERVER,
	TRY_PROTO,
	TRY_RCODE,
	TRY_ANSWERS,
	TRY_TTL,
	TRY_LATENCY,
	TRY_RECORDS,
	NTRY_COLS,
};

static const struct knet_column try_cols[] = {
	[TRY_EVENT] = {"EVENT", "event", KNET_CELL_STR, KNET_COL_NOTABLE, 0},
	[TRY_SEQ] = {"#", "seq", KNET_CELL_INT, KNET_COL_RIGHT, 2},
	[TRY_NAME] = {"NAME", "name", KNET_CELL_STR, 0, 34},
	[TRY_TYPE] = {"TYPE", "type", KNET_CELL_STR, 0, 4},
	[TRY_SERVER] = {"SERVER", "server", KNET_CELL_STR, 0, 14},
	[TRY_PROTO] = {"PROTO", "proto", KNET_CELL_STR, 0, 5},
	/* "unreachable" is the longest */
	[TRY_RCODE] = {"RCODE", "rcode", KNET_CELL_STR, 0, 11},
	[TRY_ANSWERS] = {"ANSWERS", "answers", KNET_CELL_STRLIST, 0, 15},
	[TRY_TTL] = {"TTL", "ttl", KNET_CELL_INT, KNET_COL_RIGHT, 5},
	[TRY_LATENCY] = {"LATENCY", "latency_us", KNET_CELL_USEC,
			 KNET_COL_RIGHT, 9},
	[TRY_RECORDS] = {"RECORDS", "records", KNET_CELL_JSON, KNET_COL_NOTABLE,
			 0},
	[NTRY_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

enum {
	VER_EVENT,
	VER_NAME,
	VER_TYPE,
	VER_ANSWER,
	VER_RESOLVED_AS,
	VER_EXPECTED,
	VER_API,
	VER_QUERIES,
	VER_STATUS,
	NVER_COLS,
};

static const struct knet_column ver_cols[] = {
	[VER_EVENT] = {"EVENT", "event", KNET_CELL_STR, KNET_COL_NOTABLE, 0},
	[VER_NAME] = {"NAME", "name", KNET_CELL_STR, 0, 0},
	[VER_TYPE] = {"TYPE", "type", KNET_CELL_STR, 0, 4},
	[VER_ANSWER] = {"ANSWER", "answer", KNET_CELL_STRLIST, 0, 0},
	[VER_RESOLVED_AS] = {"RESOLVED-AS", "resolved_as", KNET_CELL_STR, 0, 0},
	[VER_EXPECTED] = {"EXPECTED", "expected", KNET_CELL_STRLIST, 0, 0},
	[VER_API] = {"API", "api", KNET_CELL_STR, KNET_COL_WIDE, 0},
	[VER_QUERIES] = {"QUERIES", "queries", KNET_CELL_INT, KNET_COL_RIGHT,
			 0},
	[VER_STATUS] = {"STATUS", "status", KNET_CELL_STR, 0, 0},
	[NVER_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

enum {
	FIND_EVENT,
	FIND_SEVERITY,
	FIND_CODE,
	FIND_TEXT,
	NFIND_COLS,
};

static const struct knet_column find_cols[] = {
	[FIND_EVENT] = {"EVENT", "event", KNET_CELL_STR, KNET_COL_NOTABLE, 0},
	[FIND_SEVERITY] = {"SEVERITY", "severity", KNET_CELL_STR, 0, 8},
	[FIND_CODE] = {"CODE", "code", KNET_CELL_STR, KNET_COL_WIDE, 12},
	[FIND_TEXT] = {"FINDING", "finding", KNET_CELL_STR, 0, 0},
	[NFIND_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static const struct knet_opt dns_options[] = {
	KNET_NODE_SOURCE_OPTIONS("resolve"),
	KNET_NODE_RUN_AS_OPTION,
	{"type", 't', KNET_OPT_STRING, "TYPE",
	 "record type to ask for (default A)", "A|AAAA|SRV|PTR|CNAME", 0, 0,
	 NULL},
	{"timeout", 'W', KNET_OPT_NUMBER, "SECONDS",
	 "wait this long for each try instead of resolv.conf's timeout", NULL,
	 0.01, 30, NULL},
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

/* What a try did to its server, for the "does not answer" finding. */
struct server_stat {
	int tries, answered, timeouts, unreachable, servfail, refused;
};

/* What the answer means against the API's expectation. */
struct judgement {
	bool wrong_name, mismatch;
	const char *status;
};

struct run {
	const struct knet_args *args;
	const char *name;
	uint16_t type;
	char type_name[16];
	struct knet_resolv_conf conf;
	bool have_conf;
	char *conf_text, *conf_where;
	struct knet_dns_plan *plan;
	struct knet_dns_client *client;
	struct knet_table *conf_t, *tries, *verdict, *findings;
	int seq;
	int cur;      /* the name being tried */
	int *queries; /* per name of the plan */
	int answered; /* the name that answered, -1 */
	struct knet_dns_msg answer;
	enum knet_dns_outcome last;
	struct server_stat servers[KNET_RESOLV_MAXNS];
	int problems;
	bool headers; /* findings header printed */
	/* A remote run without an API: its verdict judged here. */
	bool judge_here, judged;
	struct knet_dns_intent in;
	struct dns_expect ex;
	struct judgement j;
	char *resolved_as;
};

static int tables_new(struct knet_ctx *ctx, struct run *run)
{
	struct knet_output_opts o = knet_ctx_output(ctx, NULL);
	int r = knet_table_new(conf_cols, &o, &run->conf_t);

	if (r == 0)
		r = knet_table_new(try_cols, &o, &run->tries);
	if (r == 0)
		r = knet_table_new(ver_cols, &o, &run->verdict);
	if (r == 0)
		r = knet_table_new(find_cols, &o, &run->findings);
	return r;
}

static int stream(struct knet_ctx *ctx, struct knet_table *t, bool header)
{
	int r = 0;

	if (header && ctx->g.format != KNET_FMT_JSON)
		printf("\n");
	if (header)
		r = knet_table_stream_header(t);
	return r < 0 ? r : knet_table_stream_row(t);
}

static int add_finding(struct knet_ctx *ctx, struct run *run, bool problem,
		       const char *code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int add_finding(struct knet_ctx *ctx, struct run *run, bool problem,
		       const char *code, const char *fmt, ...)
{
	struct knet_table *t = run->findings;
	char text[1024];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	run->problems += problem;
	r = knet_table_add_row(t);
	if (r < 0)
		return r;
	knet_table_set_str(t, FIND_EVENT, "finding");
	knet_table_set_str(t, FIND_SEVERITY, problem ? "problem" : "note");
	knet_table_set_tone(t, FIND_SEVERITY,
			    problem ? KNET_TONE_BAD : KNET_TONE_WARN);
	knet_table_set_str(t, FIND_CODE, code);
	knet_table_set_str(t, FIND_TEXT, text);
	r = stream(ctx, t, !run->headers);
	run->headers = true;
	return r;
}

/* Privileged, before entering: the pod's resolv.conf, the plan. */
static int prepare(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;
	struct knet_table *t;
	double timeout = knet_args_number(run->args, "timeout", 0);
	int r;

	r = knet_netns_resolv_conf(job->src->has_ns ? &job->src->ns : NULL,
				   &run->conf_text, &run->conf_where,
				   &job->err);
	if (r < 0)
		return r;
	r = knet_resolv_conf_parse(run->conf_text, &run->conf, &job->err);
	if (r < 0)
		return r;
	run->have_conf = true;
	r = knet_dns_plan_new(&run->conf, run->name, &run->plan, &job->err);
	if (r < 0)
		return r;
	run->queries = calloc((size_t)run->plan->n + 1, sizeof(int));
	if (!run->queries || tables_new(ctx, run) < 0)
		return -ENOMEM;
	if (run->conf.ignored_ns)
		knet_warn(ctx,
			  "%s has %d nameserver lines past the third, which "
			  "the resolver ignores",
			  run->conf_where, run->conf.ignored_ns);
	t = run->conf_t;
	if (knet_table_add_row(t) < 0)
		return -ENOMEM;
	knet_table_set_str(t, CONF_EVENT, "resolv.conf");
	knet_table_set_str(t, CONF_SOURCE, job->src->label);
	knet_table_set_str(t, CONF_FILE, run->conf_where);
	{
		const char *ns[KNET_RESOLV_MAXNS];

		for (int i = 0; i < run->conf.nns; i++)
			ns[i] = run->conf.nameservers[i];
		knet_table_set_strlist(t, CONF_NAMESERVERS, ns, run->conf.nns);
	}
	knet_table_set_strlist(t, CONF_SEARCH,
			       (const char *const *)run->conf.search.v,
			       run->conf.search.n);
	knet_table_set_int(t, CONF_NDOTS, run->conf.ndots);
	if (timeout > 0)
		knet_table_set_int(t, CONF_TIMEOUT, (long long)(timeout + 0.5));
	else
		knet_table_set_int(t, CONF_TIMEOUT, run->conf.timeout);
	knet_table_set_int(t, CONF_ATTEMPTS, run->conf.attempts);
	return knet_table_stream_header(t) < 0 || knet_table_stream_row(t) < 0
		       ? -EIO
		       : 0;
}

/* In the pod's namespace: one UDP and two TCP sockets per server. */
static int open_sockets(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;

	(void)ctx;
	return knet_dns_client_new((const char(*)[64])run->conf.nameservers,
				   run->conf.nns, 2, &run->client, &job->err);
}

static const char *try_rcode(const struct knet_dns_try *t)
{
	switch (t->error) {
	case 0:
		return t->msg.rcode == 0 && !t->msg.ancount
			       ? "NODATA"
			       : knet_dns_rcode_name(t->msg.rcode);
	case -ETIMEDOUT:
		return "timeout";
	case -ECONNREFUSED:
		return "unreachable";
	case -ENETUNREACH:
	case -EHOSTUNREACH:
		return "no-route";
	case -EINTR:
		return "interrupted";
	default:
		return "error";
	}
}

static void count_try(struct run *run, const struct knet_dns_try *t)
{
	struct server_stat *s = &run->servers[t->server];

	s->tries++;
	if (t->error == -ETIMEDOUT)
		s->timeouts++;
	else if (t->error == -ECONNREFUSED || t->error == -ENETUNREACH ||
		 t->error == -EHOSTUNREACH)
		s->unreachable++;
	else if (!t->error && t->msg.rcode == KNET_DNS_SERVFAIL)
		s->servfail++;
	else if (!t->error && t->msg.rcode == KNET_DNS_REFUSED)
		s->refused++;
	else if (!t->error)
		s->answered++;
}

static cJSON *records_json(const struct knet_dns_msg *m)
{
	cJSON *a = cJSON_CreateArray();
	char tb[16];

	for (int i = 0; a && i < m->nan; i++) {
		cJSON *o = cJSON_CreateObject();

		if (!o)
			break;
		cJSON_AddStringToObject(o, "name", m->an[i].name);
		cJSON_AddStringToObject(
			o, "type",
			knet_dns_type_name(m->an[i].type, tb, sizeof(tb)));
		cJSON_AddNumberToObject(o, "ttl", m->an[i].ttl);
		cJSON_AddStringToObject(o, "data", m->an[i].data);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static int on_try(const struct knet_dns_try *t, int name, void *ud)
{
	struct knet_node_job *job = ud;
	struct run *run = job->data;
	struct knet_table *tb = run->tries;
	const char *answers[KNET_DNS_RR_MAX];
	long long ttl = -1;
	int n = 0, r;

	run->cur = name;
	count_try(run, t);
	run->queries[run->cur]++;
	r = knet_table_add_row(tb);
	if (r < 0)
		return r;
	knet_table_set_str(tb, TRY_EVENT, "try");
	knet_table_set_int(tb, TRY_SEQ, ++run->seq);
	knet_table_set_str(tb, TRY_NAME, run->plan->names[run->cur]);
	knet_table_set_str(tb, TRY_TYPE, run->type_name);
	knet_table_set_str(tb, TRY_SERVER, run->conf.nameservers[t->server]);
	knet_table_set_str(tb, TRY_PROTO, t->tcp ? "tcp" : "udp");
	knet_table_set_str(tb, TRY_RCODE, try_rcode(t));
	knet_table_set_tone(
		tb, TRY_RCODE,
		t->error			      ? KNET_TONE_BAD
		: t->msg.rcode == 0 && t->msg.ancount ? KNET_TONE_GOOD
		: t->msg.rcode == KNET_DNS_NXDOMAIN || t->msg.rcode == 0
			? KNET_TONE_DIM
			: KNET_TONE_BAD);
	if (!t->error) {
		for (int i = 0; i < t->msg.nan; i++) {
			answers[n++] = t->msg.an[i].data;
			if (ttl < 0 || t->msg.an[i].ttl < ttl)
				ttl = t->msg.an[i].ttl;
		}
		knet_table_set_strlist(tb, TRY_ANSWERS, answers, n);
		if (ttl >= 0)
			knet_table_set_int(tb, TRY_TTL, ttl);
		knet_table_set_json(tb, TRY_RECORDS, records_json(&t->msg),
				    NULL);
		if (t->msg.rcode == 0 && t->msg.ancount && !t->msg.tc)
			run->answer = t->msg;
	}
	knet_table_set_usec(tb, TRY_LATENCY, t->latency_us);
	if (run->seq == 1 && job->ctx->g.format != KNET_FMT_JSON)
		printf("\n");
	if (run->seq == 1)
		knet_table_stream_header(tb);
	r = knet_table_stream_row(tb);
	if (r < 0)
		return r;
	knet_table_stream_flush(tb);
	return 0;
}

static int ask(struct knet_node_job *job)
{
	struct run *run = job->data;
	double timeout = knet_args_number(run->args, "timeout", 0);
	struct knet_dns_ask a = {
		.type = run->type,
		.timeout_ms = timeout > 0 ? (int)(timeout * 1000)
					  : run->conf.timeout * 1000,
		.attempts = run->conf.attempts,
		.use_vc = run->conf.use_vc,
	};
	struct knet_dns_lookup lk;
	int r;

	r = knet_dns_lookup(run->client, run->plan, &run->conf, &a, on_try, job,
			    job->stop, 0, &lk);
	run->answered = lk.answered;
	run->last = lk.last;
	return r;
}

static int total_queries(const struct run *run)
{
	int n = 0;

	for (int i = 0; i < run->plan->n; i++)
		n += run->queries[i];
	return n;
}

/* The answer's data of the asked type (a CNAME chain ends there). */
static int answer_data(const struct run *run, const char **out)
{
	int n = 0;

	if (run->answered < 0)
		return 0;
	for (int i = 0; i < run->answer.nan; i++)
		if (run->answer.an[i].type == run->type)
			out[n++] = run->answer.an[i].data;
	return n;
}

static int findings_servers(struct knet_ctx *ctx, struct run *run)
{
	int r = 0;

	for (int i = 0; r == 0 && i < run->conf.nns; i++) {
		const struct server_stat *s = &run->servers[i];
		const char *ip = run->conf.nameservers[i];
		char who[512] = "";

		if (s->tries && !s->answered && !s->servfail && !s->refused) {
			dns_server_owner(ctx->api, ip, who, sizeof(who));
			r = add_finding(
				ctx, run, true, "nameserver-down",
				"nameserver %s did not answer (%d %s: %s)%s%s",
				ip, s->tries, s->tries == 1 ? "try" : "tries",
				s->unreachable ? "unreachable or no route"
					       : "timed out",
				who[0] ? "; " : "", who);
		}
		if (r == 0 && (s->servfail || s->refused))
			r = add_finding(ctx, run, true,
					s->servfail ? "servfail" : "refused",
					"nameserver %s answered %s to %d of %d "
					"queries",
					ip,
					s->servfail ? "SERVFAIL" : "REFUSED",
					s->servfail ? s->servfail : s->refused,
					s->tries);
	}
	return r;
}

static int finding_ndots(struct knet_ctx *ctx, struct run *run)
{
	int wasted =
		knet_dns_wasted_queries(run->plan, run->queries, run->answered);
	const char *fq = run->answered >= 0 ? run->plan->names[run->answered]
					    : run->name;

	if (wasted <= 0)
		return 0;
	return add_finding(
		ctx, run, false, "ndots",
		"ndots:%d amplification: '%s' has %d dot%s, so the search "
		"list came first: %d quer%s before %s (getaddrinfo asks A "
		"and AAAA: twice that); '%s%s' asks once",
		run->conf.ndots, run->name, run->plan->dots,
		run->plan->dots == 1 ? "" : "s", wasted,
		wasted == 1 ? "y" : "ies",
		run->answered >= 0 ? "the answer" : "the name itself", fq,
		fq[strlen(fq) - 1] == '.' ? "" : ".");
}

/* @resolved_as: the name that answered, NULL when none did. */
static void judge(const struct knet_dns_intent *in, const struct dns_expect *ex,
		  const char *resolved_as, const char *const *got, int ngot,
		  struct judgement *j)
{
	j->wrong_name = resolved_as && in->fqdn[0] && ex->known &&
			strcasecmp(in->fqdn, resolved_as);
	j->mismatch = resolved_as && ex->known && ex->exists && ex->addrs.n &&
		      !knet_dns_addrs_equal((char *const *)got, ngot,
					    ex->addrs.v, ex->addrs.n);
	if (j->wrong_name)
		j->status = "WRONG NAME";
	else if (j->mismatch)
		j->status = "MISMATCH";
	else if (!resolved_as)
		j->status = "NOT RESOLVED";
	else if (ex->known && !ex->exists)
		j->status = "NOT IN API";
	else
		j->status = "OK";
}

/* The findings of a judgement that only the API makes. */
static int api_findings(struct knet_ctx *ctx, struct run *run,
			const struct knet_dns_intent *in,
			const struct dns_expect *ex, const char *resolved_as,
			const struct judgement *j)
{
	int r = 0;

	if (j->wrong_name)
		r = add_finding(ctx, run, true, "wrong-name",
				"'%s' resolved as %s through the search list, "
				"but it means %s (%s); write '%s.'",
				run->name, resolved_as, in->fqdn, ex->what,
				in->fqdn);
	if (r == 0 && j->mismatch && !j->wrong_name)
		r = add_finding(ctx, run, true, "mismatch",
				"the answer disagrees with the API: %s",
				ex->what);
	return r;
}

/* The verdict row and what it finds against the API. */
static int verdict(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;
	struct knet_table *t = run->verdict;
	const char *got[KNET_DNS_RR_MAX];
	int ngot = answer_data(run, got), r;
	const char *pod_ns = job->src->place && job->src->place->pod
				     ? job->src->place->pod->meta.namespace
				     : NULL;
	const char *resolved_as =
		run->answered >= 0 ? run->plan->names[run->answered] : NULL;
	struct knet_dns_intent in;
	struct dns_expect ex;
	struct judgement j;

	knet_dns_intent_of(run->name, pod_ns,
			   knet_resolv_cluster_domain(&run->conf), &in);
	dns_expect(ctx->api, &in, run->type, &ex);
	judge(&in, &ex, resolved_as, got, ngot, &j);
	r = knet_table_add_row(t);
	if (r < 0)
		goto out;
	knet_table_set_str(t, VER_EVENT, "verdict");
	knet_table_set_str(t, VER_NAME, run->name);
	knet_table_set_str(t, VER_TYPE, run->type_name);
	knet_table_set_strlist(t, VER_ANSWER, got, ngot);
	if (resolved_as)
		knet_table_set_str(t, VER_RESOLVED_AS, resolved_as);
	if (ex.known && ex.exists)
		knet_table_set_strlist(t, VER_EXPECTED,
				       (const char *const *)ex.addrs.v,
				       ex.addrs.n);
	if (ex.what[0])
		knet_table_set_str(t, VER_API, ex.what);
	knet_table_set_int(t, VER_QUERIES, total_queries(run));
	knet_table_set_str(t, VER_STATUS, j.status);
	knet_table_set_tone(t, VER_STATUS,
			    strcmp(j.status, "OK") ? KNET_TONE_BAD
						   : KNET_TONE_GOOD);
	r = stream(ctx, t, true);
	if (r < 0)
		goto out;
	r = findings_servers(ctx, run);
	if (r == 0)
		r = api_findings(ctx, run, &in, &ex, resolved_as, &j);
	if (r == 0 && run->answered < 0)
		r = add_finding(ctx, run, true, "not-resolved",
				"'%s' did not resolve: the last name tried "
				"ended %s%s%s",
				run->name, knet_dns_outcome_name(run->last),
				ex.what[0] ? "; the API: " : "", ex.what);
	else if (r == 0 && ex.known && !ex.exists)
		r = add_finding(ctx, run, true, "not-in-api",
				"'%s' resolves, but the API has no %s",
				run->name, ex.what);
	if (r == 0)
		r = finding_ndots(ctx, run);
out:
	dns_expect_clear(&ex);
	return r;
}

static int run_dns(struct knet_ctx *ctx, struct knet_node_job *job)
{
	int r = ask(job);

	if (r < 0)
		return r;
	if (*job->stop)
		return KNET_EXIT_PROBLEM;
	r = verdict(ctx, job);
	return r < 0 ? r : 0;
}

static int summary(struct knet_ctx *ctx, struct knet_node_job *job, int status)
{
	struct run *run = job->data;

	(void)ctx;
	if (status)
		return status;
	return run->problems ? KNET_EXIT_PROBLEM : KNET_EXIT_OK;
}

static int remote_begin(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct run *run = job->data;

	/* A remote run without an API answers; the API judges here. */
	run->judge_here = knet_node_remote_no_api(ctx) && ctx->api;
	return tables_new(ctx, run) < 0 ? KNET_EXIT_SYSTEM : 0;
}

/* The remote resolv.conf's search list: the cluster domain, here. */
static int remote_search(struct run *run, const cJSON *o)
{
	const cJSON *e;

	run->have_conf = true; /* cleared at the end */
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, "search"))
	{
		const char *d = cJSON_GetStringValue(e);

		if (d && knet_strv_push(&run->conf.search, d) < 0)
			return -ENOMEM;
	}
	return 0;
}

/*
 * The remote verdict @o, judged here against the API as verdict() does
 * (its own had nothing to compare with): expected, api and status are
 * replaced; the findings only the API makes come after it.
 */
static int judge_remote(struct knet_ctx *ctx, struct knet_node_job *job,
			cJSON *o)
{
	struct run *run = job->data;
	const char *got[KNET_DNS_RR_MAX];
	const char *resolved_as =
		cJSON_GetStringValue(cJSON_GetObjectItem(o, "resolved_as"));
	const char *pod_ns = job->src->place && job->src->place->pod
				     ? job->src->place->pod->meta.namespace
				     : NULL;
	const cJSON *e;
	cJSON *v;
	int ngot = 0;

	cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, "answer"))
	{
		if (cJSON_GetStringValue(e) && ngot < KNET_DNS_RR_MAX)
			got[ngot++] = cJSON_GetStringValue(e);
	}
	knet_dns_intent_of(run->name, pod_ns,
			   knet_resolv_cluster_domain(&run->conf), &run->in);
	dns_expect(ctx->api, &run->in, run->type, &run->ex);
	judge(&run->in, &run->ex, resolved_as, got, ngot, &run->j);
	free(run->resolved_as);
	run->resolved_as = resolved_as ? strdup(resolved_as) : NULL;
	if (run->ex.known && run->ex.exists) {
		v = cJSON_CreateStringArray(
			(const char *const *)run->ex.addrs.v, run->ex.addrs.n);
		if (v && !cJSON_ReplaceItemInObject(o, "expected", v))
			cJSON_Delete(v);
	}
	if (run->ex.what[0]) {
		v = cJSON_CreateString(run->ex.what);
		if (v && !cJSON_ReplaceItemInObject(o, "api", v))
			cJSON_Delete(v);
	}
	v = cJSON_CreateString(run->j.status);
	if (v && !cJSON_ReplaceItemInObject(o, "status", v))
		cJSON_Delete(v);
	run->judged = true;
	return 0;
}

static int remote_api_findings(struct knet_ctx *ctx, struct run *run)
{
	int r;

	if (!run->judged)
		return 0;
	r = api_findings(ctx, run, &run->in, &run->ex, run->resolved_as,
			 &run->j);
	if (r == 0 && run->resolved_as && run->ex.known && !run->ex.exists)
		r = add_finding(ctx, run, true, "not-in-api",
				"'%s' resolves, but the API has no %s",
				run->name, run->ex.what);
	return r;
}

/* A line of the remote knet: its config, tries, verdict and findings. */
static int remote_line(struct knet_ctx *ctx, struct knet_node_job *job,
		       const char *line)
{
	struct run *run = job->data;
	cJSON *o = knet_node_remote_json(line);
	struct knet_table *t = NULL;
	const char *ev;
	bool header = false;
	int r = 0;

	if (!o)
		return 0;
	ev = cJSON_GetStringValue(cJSON_GetObjectItem(o, "event"));
	if (ev && !strcmp(ev, "resolv.conf")) {
		t = run->conf_t;
		header = true;
	} else if (ev && !strcmp(ev, "try")) {
		t = run->tries;
		header = run->seq++ == 0;
	} else if (ev && !strcmp(ev, "verdict")) {
		t = run->verdict;
		header = true;
	} else if (ev && !strcmp(ev, "finding")) {
		t = run->findings;
		header = !run->headers;
		run->headers = true;
	}
	if (run->judge_here && t == run->conf_t)
		r = remote_search(run, o);
	if (t && r == 0 && run->judge_here && t == run->verdict)
		r = judge_remote(ctx, job, o);
	if (t && r == 0) {
		r = knet_via_row(t, o);
		if (r == 0 && t == run->tries) {
			cJSON *rec = cJSON_GetObjectItem(o, "records");

			if (rec)
				knet_table_set_json(t, TRY_RECORDS,
						    cJSON_Duplicate(rec, true),
						    NULL);
		}
		if (r == 0)
			r = t == run->conf_t
				    ? knet_table_stream_header(t) < 0
					      ? -EIO
					      : knet_table_stream_row(t)
				    : stream(ctx, t, header);
	}
	/* The API's findings follow the verdict, as in a local run. */
	if (r == 0 && run->judge_here && t == run->verdict)
		r = remote_api_findings(ctx, run);
	cJSON_Delete(o);
	return r;
}

/* The remote status, and ours when the API found a problem there. */
static int remote_end(struct knet_ctx *ctx, struct knet_node_job *job,
		      int status)
{
	struct run *run = job->data;

	(void)ctx;
	if (status == KNET_EXIT_OK && run->problems)
		return KNET_EXIT_PROBLEM;
	return status;
}

static int exec_dns(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct run run = {.args = args, .name = args->pos[0]};
	const char *type = knet_args_str(args, "type", "A");
	struct knet_node_job job;
	uint8_t probe[300];
	size_t plen;
	int r;

	if (knet_dns_type_parse(type, &run.type) < 0)
		return knet_usage_error(ctx, "unknown record type '%s'", type);
	snprintf(run.type_name, sizeof(run.type_name), "%s",
		 knet_dns_type_name(run.type, run.type_name,
				    sizeof(run.type_name)));
	if (knet_dns_query_build(probe, sizeof(probe), 0, run.name, run.type,
				 &plen) < 0)
		return knet_usage_error(ctx, "'%s' is not a DNS name",
					run.name);
	knet_node_job_init(&job, ctx, args);
	job.verb = "resolve";
	job.verb_from = "resolve from";
	job.find_verb = "find the source";
	job.api_optional = true;
	job.prepare = prepare;
	job.open = open_sockets;
	job.run = run_dns;
	job.summary = summary;
	job.remote_begin = remote_begin;
	job.remote_line = remote_line;
	job.remote_end = remote_end;
	job.data = &run;
	r = knet_node_run(ctx, &job);
	knet_table_free(run.conf_t);
	knet_table_free(run.tries);
	knet_table_free(run.verdict);
	knet_table_free(run.findings);
	dns_expect_clear(&run.ex);
	free(run.resolved_as);
	knet_dns_client_free(run.client);
	knet_dns_plan_free(run.plan);
	free(run.queries);
	if (run.have_conf)
		knet_resolv_conf_clear(&run.conf);
	free(run.conf_text);
	free(run.conf_where);
	knet_node_job_clear(&job);
	return r;
}

const struct knet_cmd knet_cmd_dns = {
	.name = "dns",
	.alias = NULL,
	.group = "analysis",
	.summary = "resolve a name as a pod's resolver does, and check it "
		   "against the API",
	.usage = "[options] NAME [--from POD] [--type A|AAAA|SRV|PTR|CNAME]",
	.min_args = 1,
	.max_args = 1,
	.flags = KNET_CMD_ROOT | KNET_CMD_STREAM,
	.options = dns_options,
	.complete_args = NULL,
	.exec = exec_dns,
};
