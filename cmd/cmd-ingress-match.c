/* SPDX-License-Identifier: MIT */
/*
 * knet ingress match URL [--class C]: which Ingress rule a request for
 * URL hits (lib/analysis/ingress-match.c, the Ingress spec's rules),
 * the rules that lost and why, then the backend Service:port and its
 * ready endpoints.  Ingresses and IngressClasses come from the API
 * (every namespace unless -n is given), manifests (-f) or both
 * (--cluster -f, the files winning), through lib/objects/manifest.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "knet/analysis.h"
#include "knet/api.h"
#include "knet/objects.h"

enum {
	M_EVENT,
	M_URL,
	M_STATUS,
	M_INGRESS,
	M_RULE,
	M_BACKEND,
	M_ENDPOINTS,
	M_TLS,
	M_NOTE,
	NM_COLS,
};

static const struct knet_column match_cols[] = {
	[M_EVENT] = {"EVENT", "event", KNET_CELL_STR, KNET_COL_NOTABLE, 0},
	[M_URL] = {"URL", "url", KNET_CELL_STR, 0, 0},
	[M_STATUS] = {"STATUS", "status", KNET_CELL_STR, 0, 0},
	[M_INGRESS] = {"INGRESS", "ingress", KNET_CELL_STR, 0, 0},
	[M_RULE] = {"RULE", "rule", KNET_CELL_STR, 0, 0},
	[M_BACKEND] = {"BACKEND", "backend", KNET_CELL_STR, 0, 0},
	[M_ENDPOINTS] = {"READY-ENDPOINTS", "ready_endpoints",
			 KNET_CELL_STRLIST, 0, 0},
	[M_TLS] = {"TLS", "tls_secret", KNET_CELL_STR, 0, 0},
	[M_NOTE] = {"NOTE", "note", KNET_CELL_STR, KNET_COL_WIDE, 0},
	[NM_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

enum {
	C_EVENT,
	C_INGRESS,
	C_CLASS,
	C_HOST,
	C_PATH,
	C_TYPE,
	C_BACKEND,
	C_VERDICT,
	C_WHY,
	NC_COLS,
};

static const struct knet_column cand_cols[] = {
	[C_EVENT] = {"EVENT", "event", KNET_CELL_STR, KNET_COL_NOTABLE, 0},
	[C_INGRESS] = {"INGRESS", "ingress", KNET_CELL_STR, 0, 0},
	[C_CLASS] = {"CLASS", "class", KNET_CELL_STR, KNET_COL_WIDE, 0},
	[C_HOST] = {"HOST", "host", KNET_CELL_STR, 0, 0},
	[C_PATH] = {"PATH", "path", KNET_CELL_STR, 0, 0},
	[C_TYPE] = {"TYPE", "path_type", KNET_CELL_STR, 0, 0},
	[C_BACKEND] = {"BACKEND", "backend", KNET_CELL_STR, 0, 0},
	[C_VERDICT] = {"VERDICT", "verdict", KNET_CELL_STR, 0, 0},
	[C_WHY] = {"WHY", "why", KNET_CELL_STR, 0, 0},
	[NC_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

#define MAX_FILES 64

static const struct knet_opt match_options[] = {
	{"class", 0, KNET_OPT_STRING, "CLASS",
	 "only Ingresses of this class (default: the default IngressClass)",
	 NULL, 0, 0, NULL},
	KNET_OPTS_MANIFEST,
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

static const char *backend_text(const struct knet_ingress_path *p, char *buf,
				size_t size)
{
	if (p->service)
		snprintf(buf, size, "svc/%s:%s", p->service,
			 p->port ? p->port : "?");
	else
		snprintf(buf, size, "%s", p->resource ? p->resource : "-");
	return buf;
}

static int candidates(struct knet_ctx *ctx, const struct knet_ingress_match *m)
{
	struct knet_output_opts o = knet_ctx_output(ctx, NULL);
	struct knet_table *t = NULL;
	char b[320];
	int r = knet_table_new(cand_cols, &o, &t);

	for (int i = 0; r == 0 && i < m->n; i++) {
		const struct knet_ingress_candidate *c = &m->c[i];
		const struct knet_ingress_path *p = &c->ing->paths[c->path];

		r = knet_table_add_row(t);
		if (r < 0)
			break;
		knet_table_set_str(t, C_EVENT, "candidate");
		knet_table_set_strf(t, C_INGRESS, "%s/%s",
				    c->ing->meta.namespace, c->ing->meta.name);
		if (c->ing->class_name)
			knet_table_set_str(t, C_CLASS, c->ing->class_name);
		knet_table_set_str(t, C_HOST,
				   p->is_default ? "(default backend)"
				   : p->host	 ? p->host
						 : "*");
		if (!p->is_default) {
			knet_table_set_str(t, C_PATH, p->path ? p->path : "/");
			knet_table_set_str(t, C_TYPE,
					   p->path_type
						   ? p->path_type
						   : "ImplementationSpecific");
		}
		knet_table_set_str(t, C_BACKEND, backend_text(p, b, sizeof(b)));
		knet_table_set_str(t, C_VERDICT,
				   knet_ingress_verdict_name(c->verdict));
		knet_table_set_tone(t, C_VERDICT,
				    c->verdict == KNET_ING_WON ? KNET_TONE_GOOD
							       : KNET_TONE_DIM);
		knet_table_set_str(t, C_WHY, c->why);
		/* JSON Lines as the match line; a table aligned as one */
		if (ctx->g.format == KNET_FMT_JSON)
			r = knet_table_stream_row(t);
	}
	if (r == 0 && ctx->g.format != KNET_FMT_JSON && m->n) {
		printf("\n");
		r = knet_table_render(t);
	}
	knet_table_free(t);
	return r;
}

/*
 * The objects a match reads: Ingresses and IngressClasses (the cluster's
 * with the files laid over them), and where backends are looked up:
 * the files first, then the cluster when there is one.
 */
struct world {
	struct knet_manifest *m;
	struct knet_api *api; /* NULL offline (-f without --cluster) */
};

static const struct knet_service *find_service(const struct knet_manifest *m,
					       const char *ns, const char *name)
{
	for (int i = 0; i < m->services.n; i++) {
		const struct knet_meta *md = &m->services.items[i]->meta;

		if (!strcmp(md->name, name) && md->namespace &&
		    !strcmp(md->namespace, ns))
			return m->services.items[i];
	}
	return NULL;
}

/* The backend's ready endpoints, when it is a Service. */
static int ready_endpoints(struct world *w, const char *ns,
			   const struct knet_ingress_path *p,
			   struct knet_strv *out, const char **ret_note)
{
	const struct knet_service_endpoints *se = NULL;
	const struct knet_service *svc = NULL;
	struct knet_endpoints_list *l = NULL;
	struct knet_service *live = NULL;
	struct knet_error err = {0};
	int r;

	if (p->service) {
		svc = find_service(w->m, ns, p->service);
		se = knet_endpoints_list_find(&w->m->endpoints, ns, p->service);
	}
	/* A Service the files lack comes whole from the cluster. */
	if (p->service && !svc && w->api &&
	    knet_service_get(w->api, ns, p->service, &live, &err) == 0) {
		svc = live;
		se = NULL;
	}
	if (live &&
	    knet_endpoints_list(w->api, ns, p->service, NULL, &l, &err) == 0)
		se = knet_endpoints_list_find(l, ns, p->service);
	r = knet_ingress_backend_ready(p, svc, se, out, ret_note);
	knet_endpoints_list_free(l);
	knet_service_free(live);
	return r;
}

static int verdict(struct knet_ctx *ctx, struct world *w, const char *url,
		   const struct knet_ingress_match *m, bool *ret_problem)
{
	struct knet_output_opts o = knet_ctx_output(ctx, NULL);
	struct knet_table *t = NULL;
	struct knet_strv eps = {0};
	const char *note = NULL;
	char b[320], rule[600];
	int r = knet_table_new(match_cols, &o, &t);

	if (r == 0)
		r = knet_table_add_row(t);
	if (r < 0)
		goto out;
	knet_table_set_str(t, M_EVENT, "match");
	knet_table_set_str(t, M_URL, url);
	if (m->winner >= 0) {
		const struct knet_ingress_candidate *c = &m->c[m->winner];
		const struct knet_ingress_path *p = &c->ing->paths[c->path];

		r = ready_endpoints(w, c->ing->meta.namespace, p, &eps, &note);
		if (r < 0)
			goto out;
		knet_table_set_strf(t, M_INGRESS, "%s/%s",
				    c->ing->meta.namespace, c->ing->meta.name);
		if (p->is_default)
			snprintf(rule, sizeof(rule), "defaultBackend");
		else
			snprintf(rule, sizeof(rule), "%s%s %s",
				 p->host ? p->host : "*",
				 p->path ? p->path : "/",
				 p->path_type ? p->path_type
					      : "ImplementationSpecific");
		knet_table_set_str(t, M_RULE, rule);
		knet_table_set_str(t, M_BACKEND, backend_text(p, b, sizeof(b)));
		knet_table_set_strlist(t, M_ENDPOINTS,
				       (const char *const *)eps.v, eps.n);
	}
	if (m->tls_secret)
		knet_table_set_str(t, M_TLS, m->tls_secret);
	if (m->winner < 0)
		note = "no rule and no default backend: the controller's own "
		       "default (404)";
	else if (m->https_without_tls)
		note = "https, but no Ingress has TLS for this host: the "
		       "controller's default certificate";
	else if (m->c[m->winner].impl_specific &&
		 !m->c[m->winner].ing->paths[m->c[m->winner].path].is_default)
		note = note ? note
			    : "ImplementationSpecific, matched as Prefix "
			      "(controllers may differ)";
	*ret_problem = m->winner < 0 || !eps.n;
	knet_table_set_str(t, M_STATUS, *ret_problem ? "PROBLEM" : "OK");
	knet_table_set_tone(t, M_STATUS,
			    *ret_problem ? KNET_TONE_BAD : KNET_TONE_GOOD);
	if (note)
		knet_table_set_str(t, M_NOTE, note);
	r = knet_table_stream_header(t);
	if (r == 0)
		r = knet_table_stream_row(t);
	if (note && ctx->g.format != KNET_FMT_JSON &&
	    ctx->g.format != KNET_FMT_WIDE)
		printf("note: %s\n", note);
out:
	knet_strv_clear(&eps);
	knet_table_free(t);
	return r;
}

/* The cluster's Ingresses (of -n, else all) and IngressClasses. */
static int load_cluster(struct knet_ctx *ctx, struct knet_manifest *m)
{
	struct knet_ingress_class_list *cl = NULL;
	struct knet_ingress_list *l = NULL;
	struct knet_error err = {0};
	int r = knet_ctx_api_ready(ctx);

	if (r)
		return r;
	/* Hosts are cluster-wide: every namespace unless -n says. */
	if (knet_ingress_list(ctx->api, ctx->g.namespace, NULL, &l, &err) < 0)
		return knet_fail(ctx, &err, "list Ingresses", NULL);
	m->ingresses = *l;
	free(l);
	/* Without them every class counts (said in the candidates). */
	if (knet_ingress_class_list(ctx->api, &cl, &err) < 0) {
		knet_log(ctx, 1, "no IngressClasses: %s", err.reason);
		return 0;
	}
	m->ingress_classes = *cl;
	free(cl);
	return 0;
}

/* The world: the cluster (no -f, or --cluster), then the files over it. */
static int world_load(struct knet_ctx *ctx, const char *const *files,
		      int nfiles, bool cluster, struct world *w)
{
	const char *ns = ctx->g.namespace ? ctx->g.namespace : "default";
	struct knet_error err = {0};
	int r;

	w->m = knet_manifest_new();
	if (!w->m)
		goto oom;
	if (cluster || !nfiles) {
		r = load_cluster(ctx, w->m);
		if (r)
			return r;
		w->api = ctx->api;
		ns = knet_ctx_namespace(ctx);
	}
	if (knet_manifest_load_over(w->m, files, nfiles, ns, &err) < 0) {
		/* "FILE: document N: field: problem" as it is */
		fprintf(stderr, "knet: %s\n", err.reason);
		return err.exit ? (int)err.exit : KNET_EXIT_USAGE;
	}
	return 0;
oom:
	knet_error_set(&err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
	return knet_fail(ctx, &err, "load", "manifests");
}

static int exec_match(struct knet_ctx *ctx, const struct knet_args *args)
{
	const char *url = args->pos[0],
		   *cls = knet_args_str(args, "class", NULL);
	const char *files[MAX_FILES + 1];
	const struct knet_ingress **ings = NULL;
	struct knet_ingress_match *m = NULL;
	bool cluster = knet_args_has(args, "cluster");
	struct knet_error err = {0};
	struct world w = {0};
	struct knet_url u;
	bool problem = false;
	int nfiles, n = 0, r;

	nfiles = knet_args_strv(args, "filename", files, MAX_FILES + 1);
	if (nfiles < 0)
		return knet_usage_error(ctx, "at most %d -f", MAX_FILES);
	if (cluster && !nfiles)
		return knet_usage_error(ctx, "--cluster goes with -f");
	if (knet_url_parse(url, &u, &err) < 0)
		return knet_usage_error(ctx, "'%s' is %s", url, err.reason);
	r = world_load(ctx, files, nfiles, cluster, &w);
	if (r)
		goto out;
	r = KNET_EXIT_SYSTEM;
	ings = calloc((size_t)w.m->ingresses.n + 1, sizeof(*ings));
	if (!ings)
		goto out;
	/* -n keeps to one namespace, in the files as in the cluster */
	for (int i = 0; i < w.m->ingresses.n; i++)
		if (!ctx->g.namespace ||
		    !strcmp(w.m->ingresses.items[i]->meta.namespace,
			    ctx->g.namespace))
			ings[n++] = w.m->ingresses.items[i];
	if (knet_ingress_match(
		    ings, n, cls,
		    knet_ingress_class_default(&w.m->ingress_classes), &u, &m,
		    &err) < 0 ||
	    verdict(ctx, &w, url, m, &problem) < 0 || candidates(ctx, m) < 0)
		goto out;
	r = problem ? KNET_EXIT_PROBLEM : KNET_EXIT_OK;
out:
	knet_ingress_match_free(m);
	free(ings);
	knet_manifest_free(w.m);
	return r;
}

const struct knet_cmd knet_cmd_ingress_match = {
	.name = "ingress match",
	.alias = NULL,
	.group = "analysis",
	.summary = "which Ingress rule a request for URL hits, and why the "
		   "others lose",
	.usage = "[options] URL [--class CLASS] [-f FILE|DIR|-]... [--cluster]",
	.min_args = 1,
	.max_args = 1,
	.flags = KNET_CMD_STREAM,
	.options = match_options,
	.complete_args = NULL,
	.exec = exec_match,
};
