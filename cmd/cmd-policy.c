/* SPDX-License-Identifier: MIT */
/*
 * knet policy check FROM TO[:PORT[/PROTO]] and knet policy matrix: what
 * the NetworkPolicy objects say about a connection, from the live
 * cluster, manifests (-f) or both (--cluster -f).  The engine is
 * lib/policy; this file loads, asks and prints.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "knet/objects.h"
#include "knet/policy.h"

#define MAX_FILES 64
#define MAX_PORTS 16

static const struct knet_opt policy_options[] = {
	KNET_OPTS_MANIFEST,
	{"port", 0, KNET_OPT_STRING, "PORT[/PROTO]",
	 "matrix: the port to judge (repeat; default every port)", NULL, 0, 0,
	 NULL},
	{"diff", 0, KNET_OPT_FLAG, NULL,
	 "matrix: what the -f files change (against the cluster or the "
	 "first -f)",
	 NULL, 0, 0, NULL},
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

/* The objects a run judges, and the engine over them. */
struct world {
	struct knet_manifest *m;
	struct knet_policy *p;
};

static void world_free(struct world *w)
{
	knet_policy_free(w->p);
	knet_manifest_free(w->m);
	memset(w, 0, sizeof(*w));
}

/*
 * Load the world: the cluster (no -f, or --cluster), then the files from
 * @first on (all of them: 0) over it.  Returns 0 or an exit status.
 */
static int world_load(struct knet_ctx *ctx, const char *const *files,
		      int nfiles, bool cluster, struct world *w)
{
	struct knet_policy_world pw = {0};
	struct knet_error err = {0};
	const char *ns = ctx->g.namespace ? ctx->g.namespace : "default";
	long long t0 = knet_mono_us();
	int r;

	w->m = knet_manifest_new();
	if (!w->m)
		goto oom;
	if (cluster || !nfiles) {
		unsigned missing = 0;

		r = knet_ctx_api_ready(ctx);
		if (r)
			return r;
		ns = knet_ctx_namespace(ctx);
		if (knet_manifest_fetch(ctx->api, w->m, &missing, &err) < 0)
			return knet_fail(ctx, &err, "list",
					 "pods and policies");
		if (missing & KNET_MANIFEST_NO_NAMESPACES)
			knet_warn(ctx, "cannot list namespaces: "
				       "namespaceSelectors see only "
				       "kubernetes.io/metadata.name");
		if (missing & KNET_MANIFEST_NO_SERVICES)
			knet_warn(ctx, "cannot list services: svc/ targets "
				       "are unknown");
	}
	if (knet_manifest_load_over(w->m, files, nfiles, ns, &err) < 0) {
		fprintf(stderr, "knet: %s\n", err.reason);
		return err.exit ? (int)err.exit : KNET_EXIT_USAGE;
	}
	pw.namespaces = w->m->namespaces.items;
	pw.nnamespaces = w->m->namespaces.n;
	pw.pods = w->m->pods.items;
	pw.npods = w->m->pods.n;
	pw.netpols = w->m->netpols.items;
	pw.nnetpols = w->m->netpols.n;
	pw.services = w->m->services.items;
	pw.nservices = w->m->services.n;
	pw.nodes = w->m->nodes.items;
	pw.nnodes = w->m->nodes.n;
	pw.endpoints = w->m->endpoints.items;
	pw.nendpoints = w->m->endpoints.n;
	if (knet_policy_new(&pw, &w->p, &err) < 0)
		return knet_fail(ctx, &err, "index", "policies");
	knet_log(ctx, 1,
		 "policy: %d pods, %d policies, %d namespaces loaded and "
		 "indexed in %.1f ms",
		 pw.npods, pw.nnetpols, pw.nnamespaces,
		 (double)(knet_mono_us() - t0) / 1000.0);
	return 0;
oom:
	knet_error_set(&err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
	return knet_fail(ctx, &err, "load", "manifests");
}

static void say_not_enforced(const struct knet_ctx *ctx)
{
	if (ctx->g.format == KNET_FMT_JSON)
		return;
	fprintf(stderr, "knet: note: this is what the NetworkPolicy objects "
			"say; whether traffic is dropped depends on the CNI "
			"(the lab and some CNIs enforce nothing)\n");
}

/* --- check --- */

enum {
	CK_FROM,
	CK_TO,
	CK_PORT,
	CK_VERDICT,
	CK_EGRESS,
	CK_INGRESS,
	CK_REASON,
	CK_ALLOWED,
	CK_EGRESS_JSON,
	CK_INGRESS_JSON,
	CK_VIA,
	CK_NCOLS,
};

static const struct knet_column check_columns[] = {
	[CK_FROM] = {"FROM", "from", KNET_CELL_STR, 0, 0},
	[CK_TO] = {"TO", "to", KNET_CELL_STR, 0, 0},
	[CK_PORT] = {"PORT", "port", KNET_CELL_STR, 0, 0},
	[CK_VERDICT] = {"VERDICT", "verdict", KNET_CELL_STR, KNET_COL_NOJSON,
			0},
	[CK_EGRESS] = {"EGRESS", "egressSummary", KNET_CELL_STR,
		       KNET_COL_NOJSON, 0},
	[CK_INGRESS] = {"INGRESS", "ingressSummary", KNET_CELL_STR,
			KNET_COL_NOJSON, 0},
	[CK_REASON] = {"REASON", "reason", KNET_CELL_STR, 0, 0},
	[CK_ALLOWED] = {"ALLOWED", "allowed", KNET_CELL_BOOL, KNET_COL_NOTABLE,
			0},
	[CK_EGRESS_JSON] = {"EGRESS-DETAIL", "egress", KNET_CELL_JSON,
			    KNET_COL_NOTABLE, 0},
	[CK_INGRESS_JSON] = {"INGRESS-DETAIL", "ingress", KNET_CELL_JSON,
			     KNET_COL_NOTABLE, 0},
	[CK_VIA] = {"VIA", "via", KNET_CELL_STR, KNET_COL_WIDE, 0},
	[CK_NCOLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static char *policy_name(const struct knet_netpol *np)
{
	char *s = NULL;

	if (asprintf(&s, "%s/%s", np->meta.namespace, np->meta.name) < 0)
		return NULL;
	return s;
}

static cJSON *half_json(const struct knet_policy_half *h)
{
	cJSON *o = cJSON_CreateObject(), *a;

	if (!o)
		return NULL;
	cJSON_AddBoolToObject(o, "applies", h->applies);
	if (h->note)
		cJSON_AddStringToObject(o, "note", h->note);
	cJSON_AddBoolToObject(o, "isolated", h->isolated);
	cJSON_AddBoolToObject(o, "allowed", h->allowed);
	a = cJSON_AddArrayToObject(o, "policies");
	for (int i = 0; a && i < h->npolicies; i++) {
		char *n = policy_name(h->policies[i]);

		cJSON_AddItemToArray(a, cJSON_CreateString(n ? n : ""));
		free(n);
	}
	a = cJSON_AddArrayToObject(o, "matched");
	for (int i = 0; a && i < h->nmatched; i++) {
		const struct knet_policy_match *m = &h->matched[i];
		cJSON *e = cJSON_CreateObject();
		char *n = policy_name(m->policy);

		cJSON_AddStringToObject(e, "policy", n ? n : "");
		cJSON_AddNumberToObject(e, "rule", m->rule);
		if (m->peer >= 0)
			cJSON_AddNumberToObject(e, "peer", m->peer);
		else
			cJSON_AddNullToObject(e, "peer");
		cJSON_AddStringToObject(e, "peerText", m->peer_text);
		if (m->port >= 0)
			cJSON_AddNumberToObject(e, "port", m->port);
		else
			cJSON_AddNullToObject(e, "port");
		cJSON_AddStringToObject(e, "portText", m->port_text);
		cJSON_AddItemToArray(a, e);
		free(n);
	}
	a = cJSON_AddArrayToObject(o, "denied_by");
	for (int i = 0; a && i < h->ndenied; i++) {
		const struct knet_policy_denial *d = &h->denied[i];
		cJSON *e = cJSON_CreateObject();
		char *n = policy_name(d->policy);

		cJSON_AddStringToObject(e, "policy", n ? n : "");
		if (d->rule >= 0)
			cJSON_AddNumberToObject(e, "rule", d->rule);
		else
			cJSON_AddNullToObject(e, "rule");
		cJSON_AddStringToObject(e, "reason", d->reason);
		cJSON_AddItemToArray(a, e);
		free(n);
	}
	return o;
}

/* "allowed (not isolated)", "allowed by web/allow-web", "denied". */
static char *half_summary(const struct knet_policy_half *h)
{
	char *s = NULL, *n = NULL;
	int r;

	if (!h->applies)
		return strdup("allowed (no policy applies)");
	if (!h->isolated)
		return strdup("allowed (not isolated)");
	if (h->allowed) {
		n = policy_name(h->matched[0].policy);
		r = asprintf(&s, "allowed by %s rule %d%s", n ? n : "?",
			     h->matched[0].rule,
			     h->nmatched > 1 ? " (and more)" : "");
	} else {
		r = asprintf(&s, "denied (%d polic%s)", h->ndenied,
			     h->ndenied == 1 ? "y" : "ies");
	}
	free(n);
	return r < 0 ? NULL : s;
}

/* The one line that explains the verdict: the denials, else the allows. */
static char *verdict_reason(const struct knet_policy_verdict *v)
{
	const struct knet_policy_half *halves[2] = {&v->egress, &v->ingress};
	const char *dir[2] = {"egress", "ingress"};
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	bool first = true;

	if (!f)
		return NULL;
	for (int k = 0; k < 2; k++) {
		const struct knet_policy_half *h = halves[k];

		for (int i = 0; !v->allowed && i < h->ndenied; i++) {
			char *n = policy_name(h->denied[i].policy);

			fprintf(f, "%s%s %s", first ? "" : "; ", dir[k],
				n ? n : "?");
			if (h->denied[i].rule >= 0)
				fprintf(f, " rule %d", h->denied[i].rule);
			fprintf(f, ": %s", h->denied[i].reason);
			first = false;
			free(n);
		}
		for (int i = 0; v->allowed && i < h->nmatched; i++) {
			const struct knet_policy_match *m = &h->matched[i];
			char *n = policy_name(m->policy);

			fprintf(f, "%s%s %s rule %d: %s, %s", first ? "" : "; ",
				dir[k], n ? n : "?", m->rule, m->peer_text,
				m->port_text);
			first = false;
			free(n);
		}
		if (h->note) {
			fprintf(f, "%s%s: %s", first ? "" : "; ", dir[k],
				h->note);
			first = false;
		}
	}
	if (first)
		fprintf(f, "no policy isolates either pod");
	fclose(f);
	return s;
}

static int check_row(struct knet_table *t, const struct knet_policy_end *from,
		     const struct knet_policy_end *to,
		     const struct knet_policy_verdict *v,
		     const struct knet_policy_target *tt)
{
	char *eg = half_summary(&v->egress), *in = half_summary(&v->ingress);
	char *reason = verdict_reason(v);
	int r = -ENOMEM;

	if (!eg || !in || !reason || knet_table_add_row(t) < 0)
		goto out;
	knet_table_set_str(t, CK_FROM, from->label);
	knet_table_set_str(t, CK_TO, to->label);
	if (v->port)
		knet_table_set_strf(t, CK_PORT, "%d/%s", v->port, v->protocol);
	else
		knet_table_set_strf(t, CK_PORT, "all/%s", v->protocol);
	knet_table_set_str(t, CK_VERDICT, v->allowed ? "allowed" : "denied");
	knet_table_set_tone(t, CK_VERDICT,
			    v->allowed ? KNET_TONE_GOOD : KNET_TONE_BAD);
	knet_table_set_str(t, CK_EGRESS, eg);
	knet_table_set_str(t, CK_INGRESS, in);
	knet_table_set_str(t, CK_REASON, reason);
	knet_table_set_bool(t, CK_ALLOWED, v->allowed);
	knet_table_set_json(t, CK_EGRESS_JSON, half_json(&v->egress), NULL);
	knet_table_set_json(t, CK_INGRESS_JSON, half_json(&v->ingress), NULL);
	if (tt->service)
		knet_table_set_strf(t, CK_VIA,
				    "svc/%s/%s backend from %s (policies "
				    "apply after DNAT)",
				    tt->service->meta.namespace,
				    tt->service->meta.name,
				    tt->backends ? tt->backends : "selector");
	r = 0;
out:
	free(eg);
	free(in);
	free(reason);
	return r;
}

static int resolve(struct knet_ctx *ctx, const struct world *w,
		   const char *spec, const char *port,
		   struct knet_policy_target *ret)
{
	struct knet_error err = {0};
	const char *ns = ctx->g.namespace ? ctx->g.namespace
			 : ctx->api	  ? knet_ctx_namespace(ctx)
					  : "default";

	if (knet_policy_resolve(w->p, spec, ns, port, ret, &err) < 0) {
		if (err.exit == KNET_EXIT_USAGE)
			return knet_usage_error(ctx, "%s", err.reason);
		return knet_fail(ctx, &err, "find", spec);
	}
	return 0;
}

static int run_check(struct knet_ctx *ctx, const struct knet_args *args,
		     struct world *w)
{
	struct knet_policy_target from = {0}, to = {0};
	struct knet_output_opts o = knet_ctx_output(ctx, "PolicyCheck");
	struct knet_table *t = NULL;
	struct knet_error err = {0};
	char *target = NULL, *port = NULL, proto[8];
	bool all = true;
	long long t0;
	int status;

	if (args->npos != 3)
		return knet_usage_error(ctx, "policy check takes FROM and "
					     "TO[:PORT[/PROTO]]");
	if (knet_policy_split_target(args->pos[2], &target, &port, proto) < 0)
		return knet_usage_error(ctx, "'%s' is not TO[:PORT[/PROTO]]",
					args->pos[2]);
	status = resolve(ctx, w, args->pos[1], NULL, &from);
	if (!status)
		status = resolve(ctx, w, target, port, &to);
	if (status)
		goto out;
	if (to.n == 0 || from.n == 0) {
		knet_error_set(&err, -ENOENT, KNET_EXIT_NOT_FOUND,
			       "the service has no backend pods");
		status = knet_fail(ctx, &err, "check",
				   to.n ? args->pos[1] : target);
		goto out;
	}
	if (knet_table_new(check_columns, &o, &t) < 0)
		goto oom;
	t0 = knet_mono_us();
	for (int i = 0; i < from.n; i++)
		for (int j = 0; j < to.n; j++) {
			struct knet_policy_verdict v = {0};

			if (knet_policy_check(w->p, &from.ends[i], &to.ends[j],
					      to.service ? NULL : port, proto,
					      &v, &err) < 0) {
				status = err.exit == KNET_EXIT_USAGE
						 ? knet_usage_error(ctx, "%s",
								    err.reason)
						 : knet_fail(ctx, &err, "check",
							     args->pos[2]);
				goto out;
			}
			all = all && v.allowed;
			if (check_row(t, &from.ends[i], &to.ends[j], &v, &to) <
			    0) {
				knet_policy_verdict_clear(&v);
				goto oom;
			}
			knet_policy_verdict_clear(&v);
		}
	knet_log(ctx, 1, "policy: %d pair(s) judged in %.3f ms", from.n * to.n,
		 (double)(knet_mono_us() - t0) / 1000.0);
	if (knet_table_render(t) < 0)
		goto oom;
	say_not_enforced(ctx);
	status = all ? 0 : KNET_EXIT_PROBLEM;
	goto out;
oom:
	knet_error_set(&err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
	status = knet_fail(ctx, &err, "check", args->pos[2]);
out:
	knet_table_free(t);
	knet_policy_target_clear(&from);
	knet_policy_target_clear(&to);
	free(target);
	free(port);
	return status;
}

/* --- matrix --- */

struct port_q {
	char *port; /* NULL: every port */
	char proto[8];
	char text[32];
};

/* The pods of the matrix: -n (else the context's), -A, -l. */
static int matrix_pods(struct knet_ctx *ctx, const struct world *w, int **ret,
		       int *ret_n)
{
	struct knet_selector sel = {0};
	const char *ns = NULL;
	int *idx, n = 0;

	if (!ctx->g.all_namespaces)
		ns = ctx->g.namespace ? ctx->g.namespace
		     : ctx->api	      ? knet_ctx_namespace(ctx)
				      : "default";
	if (ctx->g.selector &&
	    knet_policy_parse_query(ctx->g.selector, &sel) < 0)
		return knet_usage_error(ctx, "'%s' is not a label selector",
					ctx->g.selector);
	idx = calloc((size_t)w->m->pods.n + 1, sizeof(*idx));
	if (!idx) {
		knet_selector_clear(&sel);
		return KNET_EXIT_SYSTEM;
	}
	for (int i = 0; i < w->m->pods.n; i++) {
		const struct knet_pod *p = w->m->pods.items[i];

		if (ns && (!p->meta.namespace || strcmp(p->meta.namespace, ns)))
			continue;
		if (!knet_selector_matches(&sel, &p->meta.labels))
			continue;
		idx[n++] = i;
	}
	knet_selector_clear(&sel);
	*ret = idx;
	*ret_n = n;
	return 0;
}

static int find_pod_in(const struct world *w, const struct knet_pod *p)
{
	for (int i = 0; i < w->m->pods.n; i++) {
		const struct knet_pod *q = w->m->pods.items[i];

		if (!strcmp(q->meta.name, p->meta.name) &&
		    !strcmp(q->meta.namespace, p->meta.namespace))
			return i;
	}
	return -1;
}

enum { MX_FROM, MX_PORT, MX_ALLOWED, MX_DENIED, MX_CHANGED, MX_NCOLS };

static const struct knet_column matrix_json_columns[] = {
	[MX_FROM] = {"FROM", "from", KNET_CELL_STR, 0, 0},
	[MX_PORT] = {"PORT", "port", KNET_CELL_STR, 0, 0},
	[MX_ALLOWED] = {"ALLOWED", "allowed", KNET_CELL_STRLIST, 0, 0},
	[MX_DENIED] = {"DENIED", "denied", KNET_CELL_STRLIST, 0, 0},
	[MX_CHANGED] = {"CHANGED", "changed", KNET_CELL_JSON, 0, 0},
	[MX_NCOLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

/* One cell: 1 allowed, 0 denied, -1 unknown (no such named port). */
static int cell(const struct world *w, const struct knet_policy_end *ends,
		int from, int to, const struct port_q *q)
{
	int r;

	if (from < 0 || to < 0)
		return -1;
	r = knet_policy_allowed(w->p, &ends[from], &ends[to], q->port,
				q->proto);
	return r < 0 ? -1 : r;
}

/* Every pod's end, made once: the matrix asks N x N times. */
static struct knet_policy_end *all_ends(const struct world *w)
{
	struct knet_policy_end *e;

	if (!w->p)
		return NULL;
	e = calloc((size_t)w->m->pods.n + 1, sizeof(*e));
	for (int i = 0; e && i < w->m->pods.n; i++)
		knet_policy_pod_end(w->p, i, &e[i]);
	return e;
}

static const char *cell_text(int now, int before, bool diff)
{
	if (!diff || now == before)
		return now < 0 ? "?" : now ? "Y" : ".";
	if (now == 1)
		return "+";	     /* newly allowed */
	return now == 0 ? "x" : "?"; /* newly denied */
}

static int run_matrix(struct knet_ctx *ctx, const struct knet_args *args,
		      struct world *w, struct world *base, struct port_q *qs,
		      int nq)
{
	struct knet_output_opts o = knet_ctx_output(ctx, "PolicyMatrix");
	struct knet_column *cols = NULL;
	struct knet_table *t = NULL;
	const char **names = NULL, **yes = NULL, **no = NULL;
	struct knet_policy_end *ends = NULL, *bends = NULL;
	int *pods = NULL, n = 0, status, changes = 0, *bmap = NULL;
	bool json = o.format == KNET_FMT_JSON;
	long long t0;

	(void)args;
	status = matrix_pods(ctx, w, &pods, &n);
	if (status)
		return status;
	names = calloc((size_t)n + 1, sizeof(*names));
	yes = calloc((size_t)n + 1, sizeof(*yes));
	no = calloc((size_t)n + 1, sizeof(*no));
	bmap = calloc((size_t)n + 1, sizeof(*bmap));
	cols = calloc((size_t)n + 4, sizeof(*cols));
	ends = all_ends(w);
	bends = base ? all_ends(base) : NULL;
	if (!names || !yes || !no || !bmap || !cols || !ends ||
	    (base && !bends))
		goto oom;
	for (int i = 0; i < n; i++) {
		struct knet_policy_end e;

		knet_policy_pod_end(w->p, pods[i], &e);
		names[i] = strdup(e.label);
		if (!names[i])
			goto oom;
		bmap[i] = base ? find_pod_in(base, w->m->pods.items[pods[i]])
			       : -1;
	}
	/* The grid: "#", FROM, PORT, then one narrow column per pod. */
	cols[0] = (struct knet_column){"#", "index", KNET_CELL_INT,
				       KNET_COL_RIGHT, 0};
	cols[1] = (struct knet_column){"FROM", "from", KNET_CELL_STR, 0, 0};
	cols[2] = (struct knet_column){"PORT", "port", KNET_CELL_STR, 0, 0};
	for (int i = 0; i < n; i++) {
		char *h = NULL;

		if (asprintf(&h, "%d", i + 1) < 0)
			goto oom;
		cols[3 + i] = (struct knet_column){h, h, KNET_CELL_STR, 0, 0};
	}
	if (knet_table_new(json ? matrix_json_columns : cols, &o, &t) < 0)
		goto oom;
	t0 = knet_mono_us();
	for (int q = 0; q < nq; q++)
		for (int i = 0; i < n; i++) {
			cJSON *changed = cJSON_CreateArray();
			int ny = 0, nn = 0;

			if (!changed || knet_table_add_row(t) < 0) {
				cJSON_Delete(changed);
				goto oom;
			}
			for (int j = 0; j < n; j++) {
				int now =
					cell(w, ends, pods[i], pods[j], &qs[q]);
				int before = base ? cell(base, bends, bmap[i],
							 bmap[j], &qs[q])
						  : now;

				if (now == 1)
					yes[ny++] = names[j];
				else if (now == 0)
					no[nn++] = names[j];
				if (base && now != before) {
					cJSON *c = cJSON_CreateObject();

					changes++;
					cJSON_AddStringToObject(c, "to",
								names[j]);
					cJSON_AddNumberToObject(c, "before",
								before);
					cJSON_AddNumberToObject(c, "after",
								now);
					cJSON_AddItemToArray(changed, c);
				}
				if (!json)
					knet_table_set_str(
						t, 3 + j,
						cell_text(now, before, base));
			}
			if (json) {
				knet_table_set_str(t, MX_FROM, names[i]);
				knet_table_set_str(t, MX_PORT, qs[q].text);
				knet_table_set_strlist(t, MX_ALLOWED, yes, ny);
				knet_table_set_strlist(t, MX_DENIED, no, nn);
				if (base)
					knet_table_set_json(t, MX_CHANGED,
							    changed, NULL);
				else
					cJSON_Delete(changed);
			} else {
				cJSON_Delete(changed);
				knet_table_set_int(t, 0, i + 1);
				knet_table_set_str(t, 1, names[i]);
				knet_table_set_str(t, 2, qs[q].text);
			}
		}
	knet_log(ctx, 1, "policy: %lld pair(s) judged in %.3f ms",
		 (long long)n * n * nq * (base ? 2 : 1),
		 (double)(knet_mono_us() - t0) / 1000.0);
	if (n == 0) {
		knet_warn(ctx, "no pods to judge");
	} else if (knet_table_render(t) < 0) {
		goto oom;
	}
	if (!json)
		fprintf(stderr,
			"knet: Y allowed, . denied, ? no such named port%s; "
			"columns are the rows' pods by #\n",
			base ? ", + newly allowed, x newly denied" : "");
	say_not_enforced(ctx);
	status = base && changes ? KNET_EXIT_PROBLEM : 0;
	goto out;
oom:
	fprintf(stderr, "knet: cannot build the matrix: out of memory\n");
	status = KNET_EXIT_SYSTEM;
out:
	knet_table_free(t);
	for (int i = 0; cols && i < n; i++)
		free((char *)cols[3 + i].header);
	for (int i = 0; names && i < n; i++)
		free((char *)names[i]);
	free(cols);
	free(names);
	free(yes);
	free(no);
	free(bmap);
	free(pods);
	free(ends);
	free(bends);
	return status;
}

static int parse_ports(struct knet_ctx *ctx, const struct knet_args *args,
		       struct port_q *qs, int *ret_n)
{
	const char *v[MAX_PORTS + 1];
	int n = knet_args_strv(args, "port", v, MAX_PORTS + 1);

	if (n < 0)
		return knet_usage_error(ctx, "at most %d --port", MAX_PORTS);
	for (int i = 0; i < n; i++) {
		char *target = NULL, *spec = NULL;

		if (asprintf(&spec, "x:%s", v[i]) < 0)
			return KNET_EXIT_SYSTEM;
		if (knet_policy_split_target(spec, &target, &qs[i].port,
					     qs[i].proto) < 0) {
			free(spec);
			return knet_usage_error(ctx, "'%s' is not PORT[/PROTO]",
						v[i]);
		}
		free(spec);
		free(target);
		snprintf(qs[i].text, sizeof(qs[i].text), "%s/%s", qs[i].port,
			 qs[i].proto);
	}
	if (n == 0) {
		n = 1;
		snprintf(qs[0].proto, sizeof(qs[0].proto), "TCP");
		snprintf(qs[0].text, sizeof(qs[0].text), "all/TCP");
	}
	*ret_n = n;
	return 0;
}

static int exec_policy(struct knet_ctx *ctx, const struct knet_args *args)
{
	const char *files[MAX_FILES + 1];
	const char *what = args->pos[0];
	struct world w = {0}, base = {0};
	struct port_q qs[MAX_PORTS] = {0};
	bool cluster = knet_args_has(args, "cluster");
	bool diff = knet_args_has(args, "diff");
	int nfiles, nq = 0, status;

	nfiles = knet_args_strv(args, "filename", files, MAX_FILES + 1);
	if (nfiles < 0)
		return knet_usage_error(ctx, "at most %d -f", MAX_FILES);
	if (strcmp(what, "check") && strcmp(what, "matrix"))
		return knet_usage_error(ctx, "'%s' is not check or matrix",
					what);
	if (cluster && !nfiles)
		return knet_usage_error(ctx, "--cluster goes with -f");
	if (!strcmp(what, "check")) {
		if (diff || knet_args_has(args, "port"))
			return knet_usage_error(ctx, "--diff and --port are "
						     "for policy matrix");
		status = world_load(ctx, files, nfiles, cluster, &w);
		if (!status)
			status = run_check(ctx, args, &w);
		world_free(&w);
		return status;
	}
	if (args->npos != 1)
		return knet_usage_error(ctx, "policy matrix takes no "
					     "arguments");
	if (diff && (cluster ? nfiles < 1 : nfiles < 2))
		return knet_usage_error(ctx, "--diff needs --cluster -f FILE, "
					     "or -f BASE -f CHANGE");
	status = parse_ports(ctx, args, qs, &nq);
	/* --diff: the base is the cluster alone, or the first -f alone. */
	if (!status && diff)
		status =
			world_load(ctx, files, cluster ? 0 : 1, cluster, &base);
	if (!status)
		status = world_load(ctx, files, nfiles, cluster, &w);
	if (!status)
		status = run_matrix(ctx, args, &w, diff ? &base : NULL, qs, nq);
	world_free(&w);
	world_free(&base);
	for (int i = 0; i < nq; i++)
		free(qs[i].port);
	return status;
}

/* "policy check A B" as a verb: the same run, with its word back. */
static int exec_verb(struct knet_ctx *ctx, const struct knet_args *args,
		     const char *what)
{
	struct knet_args *a = malloc(sizeof(*a));
	int r;

	if (!a)
		return KNET_EXIT_SYSTEM;
	*a = *args;
	if (a->npos >= KNET_ARGS_MAX_POS) {
		free(a);
		return knet_usage_error(ctx, "too many arguments");
	}
	memmove(a->pos + 1, a->pos, (size_t)a->npos * sizeof(*a->pos));
	a->pos[0] = what;
	a->npos++;
	if (a->dashdash >= 0)
		a->dashdash++;
	r = exec_policy(ctx, a);
	free(a);
	return r;
}

static int exec_check(struct knet_ctx *ctx, const struct knet_args *args)
{
	return exec_verb(ctx, args, "check");
}

static int exec_matrix(struct knet_ctx *ctx, const struct knet_args *args)
{
	return exec_verb(ctx, args, "matrix");
}

/*
 * Verbs so that dispatch, help and the completions know the words
 * ("knet policy <Tab>": check, matrix; then targets for check).  One
 * man page, knet-policy(1), documents both.
 */
static const struct knet_cmd knet_cmd_policy_check = {
	.name = "policy check",
	.group = "analysis",
	.summary = "would FROM reach TO[:PORT], and which policy and rule "
		   "decide",
	.usage = "FROM TO[:PORT[/PROTO]] [-f FILE|DIR|-]... [--cluster] "
		 "[-o table|json]",
	.min_args = 2,
	.max_args = 2,
	.options = policy_options,
	.complete_args = "target",
	.exec = exec_check,
	.man = "policy",
};

static const struct knet_cmd knet_cmd_policy_matrix = {
	.name = "policy matrix",
	.group = "analysis",
	.summary = "who reaches whom among the selected pods, per port",
	.usage = "[-n NS | -A] [-l SELECTOR] [--port PORT[/PROTO]]... "
		 "[--diff] [-f FILE|DIR|-]... [--cluster] [-o table|json]",
	.min_args = 0,
	.max_args = 0,
	.options = policy_options,
	.complete_args = NULL,
	.exec = exec_matrix,
	.man = "policy",
};

static const struct knet_cmd *const policy_verbs[] = {
	&knet_cmd_policy_check,
	&knet_cmd_policy_matrix,
	NULL,
};

const struct knet_cmd knet_cmd_policy = {
	.name = "policy",
	.alias = NULL,
	.group = "analysis",
	.summary = "what NetworkPolicies say: would FROM reach TO, and why",
	.usage = "check FROM TO[:PORT[/PROTO]] | matrix [-n NS | -A] "
		 "[-l SELECTOR] [--port PORT[/PROTO]]... [--diff] "
		 "[-f FILE|DIR|-]... [--cluster] [-o table|json]",
	.min_args = 1,
	.max_args = 3,
	.flags = 0,
	.options = policy_options,
	.complete_args = NULL, /* the verbs, then theirs */
	.exec = exec_policy,
	.verbs = policy_verbs,
};
