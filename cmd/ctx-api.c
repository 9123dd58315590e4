/* SPDX-License-Identifier: MIT */
/* Placeholder until the API client lands (issue 4): replaced by it. */
#include <errno.h>

#include "cmd.h"

int knet_ctx_api_setup(struct knet_ctx *ctx)
{
	struct knet_error err = {0};

	knet_error_set(&err, -ENOSYS, KNET_EXIT_API, "not available yet");
	return knet_fail(ctx, &err, "set up the API client", NULL);
}

void knet_ctx_api_teardown(struct knet_ctx *ctx)
{
	(void)ctx;
}

const char *knet_ctx_namespace(const struct knet_ctx *ctx)
{
	return ctx->g.namespace ? ctx->g.namespace : "default";
}
