/* SPDX-License-Identifier: MIT */
/*
 * knet who IP: what owns an address in the cluster: a pod, a Service
 * (cluster, external or load-balancer IP), a Service endpoint, a node.
 * Exit 3 when nothing is known, so that scripts can test for it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "knet/objects.h"

enum {
	COL_KIND,
	COL_NS,
	COL_NAME,
	COL_VIA,
	COL_NODE,
	COL_READY,
	NCOLS,
};

static const struct knet_column columns[] = {
	[COL_KIND] = {"KIND", "kind", KNET_CELL_STR, 0, 0},
	[COL_NS] = {"NAMESPACE", "namespace", KNET_CELL_STR, 0, 0},
	[COL_NAME] = {"NAME", "name", KNET_CELL_STR, KNET_COL_NAME, 0},
	[COL_VIA] = {"AS", "as", KNET_CELL_STR, 0, 0},
	[COL_NODE] = {"NODE", "node", KNET_CELL_STR, 0, 0},
	[COL_READY] = {"READY", "ready", KNET_CELL_BOOL, 0, 0},
	[NCOLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static int add_row(struct knet_table *t, const struct knet_who_match *m)
{
	if (knet_table_add_row(t) < 0)
		return -1;
	knet_table_set_str(t, COL_KIND, knet_who_kind_name(m->kind));
	if (m->namespace)
		knet_table_set_str(t, COL_NS, m->namespace);
	knet_table_set_str(t, COL_NAME, m->name);
	/* An endpoint is there because of a pod: name it. */
	if (m->kind == KNET_WHO_ENDPOINT)
		knet_table_set_strf(t, COL_VIA, "endpoint%s%s",
				    m->detail ? " of pod " : "",
				    m->detail ? m->detail : "");
	else if (m->detail)
		knet_table_set_str(t, COL_VIA, m->detail);
	if (m->node)
		knet_table_set_str(t, COL_NODE, m->node);
	if (m->kind != KNET_WHO_SERVICE) {
		knet_table_set_bool(t, COL_READY, m->ready);
		knet_table_set_tone(t, COL_READY,
				    m->ready ? KNET_TONE_GOOD : KNET_TONE_BAD);
	}
	return 0;
}

static int exec_who(struct knet_ctx *ctx, const struct knet_args *args)
{
	const char *ip = args->pos[0];
	struct knet_output_opts o = knet_ctx_output(ctx, "owner");
	struct knet_table *t = NULL;
	struct knet_error err = {0};
	struct knet_who *w = NULL;
	int status = 0;

	if (knet_who(ctx->api, ip, &w, &err) < 0) {
		if (err.exit == KNET_EXIT_USAGE)
			return knet_usage_error(ctx,
						"'%s' is not an IP "
						"address",
						ip);
		return knet_fail(ctx, &err, "look up", ip);
	}
	if (w->n == 0) {
		knet_error_set(&err, -ENOENT, KNET_EXIT_NOT_FOUND,
			       "no pod, service, endpoint or node has this "
			       "address");
		status = knet_fail(ctx, &err, "look up", ip);
		/* JSON readers still get a (empty) document. */
		if (o.format != KNET_FMT_JSON)
			goto cleanup;
	}
	if (knet_table_new(columns, &o, &t) < 0)
		goto oom;
	for (int i = 0; i < w->n; i++)
		if (add_row(t, &w->m[i]) < 0)
			goto oom;
	if (knet_table_render(t) < 0 && !status)
		status = KNET_EXIT_SYSTEM;
	goto cleanup;
oom:
	knet_error_set(&err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
	status = knet_fail(ctx, &err, "look up", ip);
cleanup:
	knet_table_free(t);
	knet_who_free(w);
	return status;
}

const struct knet_cmd knet_cmd_who = {
	.name = "who",
	.alias = NULL,
	.group = "cluster",
	.summary = "tell which pod, service, endpoint or node owns an IP",
	.usage = "[-o table|wide|json] IP",
	.min_args = 1,
	.max_args = 1,
	.flags = KNET_CMD_API,
	.options = NULL,
	.complete_args = NULL,
	.exec = exec_who,
};
