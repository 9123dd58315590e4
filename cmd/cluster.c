/* SPDX-License-Identifier: MIT */
/* The scaffolding of the cluster listing commands (see cluster.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cluster.h"

int knet_cluster_begin(struct knet_cluster_cmd *c, struct knet_ctx *ctx,
		       const struct knet_args *args, const char *kind,
		       const char *plural, const struct knet_column *cols,
		       int ns_col)
{
	int n = 0;

	memset(c, 0, sizeof(*c));
	c->ctx = ctx;
	c->plural = plural;
	c->o = knet_ctx_output(ctx, kind);
	c->lo.label_selector = ctx->g.selector;
	if (ns_col >= 0 && !ctx->g.all_namespaces)
		c->ns = knet_ctx_namespace(ctx);
	if (ns_col >= 0 && !c->ns && args->npos > 0)
		return knet_usage_error(ctx, "names need a namespace, not -A");
	while (n < KNET_CLUSTER_MAX_COLS - 1 && cols[n].header)
		n++;
	memcpy(c->cols, cols, (size_t)n * sizeof(*cols));
	if (ns_col >= 0 && c->ns)
		c->cols[ns_col].flags |= KNET_COL_NOTABLE;
	if (knet_table_new(c->cols, &c->o, &c->t) < 0) {
		knet_cluster_oom(c);
		return c->status;
	}
	return 0;
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
	knet_error_set(&c->err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
	knet_cluster_fail(c, "list", c->plural);
}

int knet_cluster_end(struct knet_cluster_cmd *c)
{
	bool quiet =
		c->o.format == KNET_FMT_JSON || c->o.format == KNET_FMT_NAME;

	if (c->t && knet_table_nrows(c->t) == 0 && !quiet) {
		if (!c->status)
			fprintf(stderr, "knet: no %s found%s%s\n", c->plural,
				c->ns ? " in namespace " : "",
				c->ns ? c->ns : "");
	} else if (c->t && (!c->status || knet_table_nrows(c->t) > 0)) {
		if (knet_table_render(c->t) < 0 && !c->status)
			c->status = KNET_EXIT_SYSTEM;
	}
	knet_table_free(c->t);
	c->t = NULL;
	return c->status;
}
