/* SPDX-License-Identifier: MIT */
/* The one list-or-get path of the cluster listing commands (cluster.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"

int knet_cluster_begin(struct knet_cluster_cmd *c, struct knet_ctx *ctx,
		       const struct knet_args *args,
		       const struct knet_cluster_kind *kind)
{
	int n = 0;

	memset(c, 0, sizeof(*c));
	c->ctx = ctx;
	c->args = args;
	c->kind = kind;
	c->o = knet_ctx_output(ctx, kind->kind);
	c->lo.label_selector = ctx->g.selector;
	if (kind->ns_col >= 0 && !ctx->g.all_namespaces)
		c->ns = knet_ctx_namespace(ctx);
	if (kind->ns_col >= 0 && !c->ns && args->npos > 0)
		return knet_usage_error(ctx, "names need a namespace, not -A");
	while (kind->cols[n].header)
		n++;
	/* A copy, with its terminator, so -A can change what shows. */
	c->cols = calloc((size_t)n + 1, sizeof(*c->cols));
	if (!c->cols) {
		knet_cluster_oom(c);
		return c->status;
	}
	memcpy(c->cols, kind->cols, (size_t)n * sizeof(*c->cols));
	if (kind->ns_col >= 0 && c->ns)
		c->cols[kind->ns_col].flags |= KNET_COL_NOTABLE;
	if (knet_table_new(c->cols, &c->o, &c->t) < 0) {
		knet_cluster_oom(c);
		return knet_cluster_end(c);
	}
	return 0;
}

void knet_cluster_keep(struct knet_cluster_cmd *c, void *obj)
{
	if (c->nobjs == c->cap) {
		int cap = c->cap ? c->cap * 2 : 16;
		void **v = reallocarray(c->objs, (size_t)cap, sizeof(*v));

		if (!v) {
			c->kind->free(obj);
			knet_cluster_oom(c);
			return;
		}
		c->objs = v;
		c->cap = cap;
	}
	c->objs[c->nobjs++] = obj;
}

void knet_cluster_fail(struct knet_cluster_cmd *c, const char *verb,
		       const char *name)
{
	char subject[512];
	int st;

	if (name && c->ns)
		snprintf(subject, sizeof(subject), "%s/%s", c->ns, name);
	else
		snprintf(subject, sizeof(subject), "%s",
			 name	 ? name
			 : c->ns ? c->ns
				 : "");
	st = knet_fail(c->ctx, &c->err, verb, *subject ? subject : NULL);
	/* API trouble outranks a missing name. */
	if (!c->status || st == KNET_EXIT_API)
		c->status = st;
	knet_error_clear(&c->err);
}

void knet_cluster_oom(struct knet_cluster_cmd *c)
{
	char verb[128];

	knet_error_set(&c->err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
	snprintf(verb, sizeof(verb), "list %s", c->kind->plural);
	knet_cluster_fail(c, verb, NULL);
}

/* "no pods found in namespace web", the namespace as the user typed it. */
static void no_objects(const struct knet_cluster_cmd *c)
{
	char *ns = c->ns ? knet_text_escape(c->ns, false) : NULL;

	fprintf(stderr, "knet: no %s found%s%s\n", c->kind->plural,
		ns ? " in namespace " : "", ns ? ns : "");
	free(ns);
}

int knet_cluster_end(struct knet_cluster_cmd *c)
{
	bool quiet =
		c->o.format == KNET_FMT_JSON || c->o.format == KNET_FMT_NAME;
	int r;

	if (c->t && knet_table_nrows(c->t) == 0 && !quiet) {
		if (!c->status)
			no_objects(c);
	} else if (c->t && (!c->status || knet_table_nrows(c->t) > 0)) {
		r = knet_table_render(c->t);
		if (r < 0) {
			knet_error_set(&c->err, r, KNET_EXIT_SYSTEM, "%s",
				       strerror(-r));
			knet_cluster_fail(c, "print", c->kind->plural);
		}
	}
	knet_table_free(c->t);
	c->t = NULL;
	for (int i = 0; i < c->nobjs; i++)
		c->kind->free(c->objs[i]);
	free(c->objs);
	c->objs = NULL;
	c->nobjs = c->cap = 0;
	free(c->cols);
	c->cols = NULL;
	return c->status;
}

/* Every object (or the one name of a kind without get), or each name. */
static void fetch(struct knet_cluster_cmd *c)
{
	const struct knet_cluster_kind *k = c->kind;
	const struct knet_args *args = c->args;
	char verb[128];

	if (args->npos == 0 || !k->get) {
		const char *name = args->npos ? args->pos[0] : NULL;

		snprintf(verb, sizeof(verb), "list %s", k->plural);
		if (k->list(c, name) < 0)
			knet_cluster_fail(c, verb, name);
		return;
	}
	snprintf(verb, sizeof(verb), "get %s", k->noun);
	for (int i = 0; i < args->npos; i++) {
		void *obj = NULL;

		if (k->get(c, args->pos[i], &obj) < 0)
			knet_cluster_fail(c, verb, args->pos[i]);
		else
			knet_cluster_keep(c, obj);
	}
}

int knet_cluster_run(struct knet_ctx *ctx, const struct knet_args *args,
		     const struct knet_cluster_kind *kind)
{
	struct knet_cluster_cmd c;
	void *extra = NULL;
	int r;

	r = knet_cluster_begin(&c, ctx, args, kind);
	if (r)
		return r;
	fetch(&c);
	if (c.nobjs > 0 && kind->extra)
		extra = kind->extra(&c);
	for (int i = 0; i < c.nobjs; i++)
		if (kind->rows(c.t, c.objs[i], extra) < 0) {
			knet_cluster_oom(&c);
			break;
		}
	if (extra)
		kind->free_extra(extra);
	return knet_cluster_end(&c);
}
