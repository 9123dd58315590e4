/* SPDX-License-Identifier: MIT */
/*
 * knet ingress match URL [--class C]: which Ingress rule a request for
 * URL hits (lib/analysis/ingress-match.c, the Ingress spec's rules),
 * the rules that lost and why, then the backend Service:port and its
 * ready endpoints.  Ingresses and IngressClasses come from the API
 * (every namespace unless -n is given); offline manifests (-f) are not
 * read yet.
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

#define DEFAULT_CLASS_ANNOTATION "ingressclass.kubernetes.io/is-default-class"

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

static const struct knet_opt match_options[] = {
	{"class", 0, KNET_OPT_STRING, "CLASS",
	 "only Ingresses of this class (default: the default IngressClass)",
	 NULL, 0, 0, NULL},
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

/* The IngressClass marked default, malloc'd; NULL when none (or no
 * right to read them: then every class counts, said with -v). */
static char *default_class(struct knet_ctx *ctx)
{
	struct knet_error err = {0};
	cJSON *j = NULL, *it;
	char *name = NULL;

	if (knet_api_get_json(ctx->api,
			      "/apis/networking.k8s.io/v1/"
			      "ingressclasses",
			      &j, &err) < 0) {
		knet_log(ctx, 1, "no IngressClasses: %s", err.reason);
		return NULL;
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items"))
	{
		const cJSON *md = cJSON_GetObjectItem(it, "metadata");
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(
			cJSON_GetObjectItem(md, "annotations"),
			DEFAULT_CLASS_ANNOTATION));
		const char *n =
			cJSON_GetStringValue(cJSON_GetObjectItem(md, "name"));

		if (v && !strcmp(v, "true") && n && !name)
			name = strdup(n);
	}
	cJSON_Delete(j);
	return name;
}

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

/* The backend's ready endpoints, when it is a Service. */
static void ready_endpoints(struct knet_ctx *ctx, const char *ns,
			    const struct knet_ingress_path *p,
			    struct knet_strv *out, const char **ret_note)
{
	struct knet_endpoints_list *l = NULL;
	const struct knet_service_endpoints *se;
	struct knet_service *svc = NULL;
	const struct knet_service_port *sp;
	struct knet_error err = {0};

	*ret_note = NULL;
	if (!p->service)
		return;
	if (knet_service_get(ctx->api, ns, p->service, &svc, &err) < 0) {
		*ret_note = "the backend Service does not exist";
		return;
	}
	sp = p->port ? knet_service_find_port(svc, p->port) : NULL;
	if (p->port && !sp)
		*ret_note = "the backend Service has no such port";
	if (knet_endpoints_list(ctx->api, ns, p->service, NULL, &l, &err) ==
	    0) {
		se = knet_endpoints_list_find(l, ns, p->service);
		for (int i = 0; se && i < se->n; i++) {
			const struct knet_endpoint *e = &se->eps[i];
			char ep[96];
			bool of_port = !sp || !e->port_name || !sp->name ||
				       !strcmp(e->port_name, sp->name);

			snprintf(ep, sizeof(ep), "%s:%d", e->ip, e->port);
			if (e->ready && of_port && !knet_strv_contains(out, ep))
				knet_strv_push(out, ep);
		}
	}
	if (!*ret_note && !out->n)
		*ret_note = "the backend Service has no ready endpoint";
	knet_endpoints_list_free(l);
	knet_service_free(svc);
}

static int verdict(struct knet_ctx *ctx, const char *url,
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

		ready_endpoints(ctx, c->ing->meta.namespace, p, &eps, &note);
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

static int exec_match(struct knet_ctx *ctx, const struct knet_args *args)
{
	const char *url = args->pos[0],
		   *cls = knet_args_str(args, "class", NULL);
	struct knet_ingress_list *l = NULL;
	struct knet_ingress_match *m = NULL;
	struct knet_error err = {0};
	struct knet_url u;
	char *def = NULL;
	bool problem = false;
	int r;

	if (knet_url_parse(url, &u, &err) < 0)
		return knet_usage_error(ctx, "'%s' is %s", url, err.reason);
	/* Hosts are cluster-wide: every namespace unless -n says. */
	r = knet_ingress_list(ctx->api, ctx->g.namespace, NULL, &l, &err);
	if (r < 0)
		return knet_fail(ctx, &err, "list Ingresses", NULL);
	def = default_class(ctx);
	r = knet_ingress_match((const struct knet_ingress *const *)l->items,
			       l->n, cls, def, &u, &m, &err);
	if (r == 0)
		r = verdict(ctx, url, m, &problem);
	if (r == 0)
		r = candidates(ctx, m);
	knet_ingress_match_free(m);
	knet_ingress_list_free(l);
	free(def);
	if (r < 0)
		return KNET_EXIT_SYSTEM;
	return problem ? KNET_EXIT_PROBLEM : KNET_EXIT_OK;
}

const struct knet_cmd knet_cmd_ingress_match = {
	.name = "ingress match",
	.alias = NULL,
	.group = "analysis",
	.summary = "which Ingress rule a request for URL hits, and why the "
		   "others lose",
	.usage = "[options] URL [--class CLASS]",
	.min_args = 1,
	.max_args = 1,
	.flags = KNET_CMD_API | KNET_CMD_STREAM,
	.options = match_options,
	.complete_args = NULL,
	.exec = exec_match,
};
