/* SPDX-License-Identifier: MIT */
/* The API client of a command that has KNET_CMD_API, from the globals. */
#include <stdio.h>

#include "cmd.h"
#include "knet/api.h"

static void log_line(void *userdata, const char *line)
{
	knet_log(userdata, 1, "%s", line);
}

int knet_ctx_api_setup(struct knet_ctx *ctx)
{
	struct knet_api_config cfg = {
		.kubeconfig = ctx->g.kubeconfig,
		.context = ctx->g.context,
		.overrides = &ctx->g.kube,
		.request_timeout = ctx->g.request_timeout,
		.encoding = ctx->g.api_encoding,
		.verbose = ctx->g.verbose,
		.log = log_line,
		.log_userdata = ctx,
	};
	struct knet_error err = {0};
	int r;

	/* A remote run without credentials: what needs the API says so. */
	if (ctx->g.no_api) {
		/* Not the user's usage error: no "try 'knet help'". */
		fprintf(stderr,
			"knet: cannot run '%s' on node %s: it reads the "
			"cluster API there, and a remote run through this "
			"transport has none (--no-api)\n",
			ctx->cmd ? ctx->cmd->name : "?",
			ctx->g.node ? ctx->g.node : "(this node)");
		return KNET_EXIT_USAGE;
	}
	r = knet_api_new(&cfg, &ctx->api, &err);
	if (r < 0) {
		if (err.exit == KNET_EXIT_USAGE)
			return knet_fail(ctx, &err, "parse options", NULL);
		return knet_fail(ctx, &err, "load kubeconfig", NULL);
	}
	if (ctx->g.namespace)
		knet_api_set_namespace(ctx->api, ctx->g.namespace);
	knet_log(ctx, 2, "context %s, server %s, namespace %s",
		 knet_api_context(ctx->api), knet_api_server(ctx->api),
		 knet_ctx_namespace(ctx));
	return 0;
}

void knet_ctx_api_teardown(struct knet_ctx *ctx)
{
	knet_api_free(ctx->api);
	ctx->api = NULL;
}

const char *knet_ctx_namespace(const struct knet_ctx *ctx)
{
	if (ctx->g.namespace)
		return ctx->g.namespace;
	if (ctx->api)
		return knet_api_namespace(ctx->api);
	return "default";
}
