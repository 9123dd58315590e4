/* SPDX-License-Identifier: MIT */
/* What every command shares: error lines, logging, output options. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "cmd.h"

static volatile sig_atomic_t stop_flag;

/* The flag holds the signal, so the node transport can pass it on. */
static void on_stop(int sig)
{
	stop_flag = sig;
}

volatile sig_atomic_t *knet_catch_stop(void)
{
	/* No SA_RESTART: a blocking wait returns at once with EINTR. */
	struct sigaction sa = {.sa_handler = on_stop};

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return &stop_flag;
}

struct knet_output_opts knet_ctx_output(const struct knet_ctx *ctx,
					const char *kind)
{
	struct knet_output_opts o = {
		.format = ctx->g.format,
		.no_headers = ctx->g.no_headers,
		.color = ctx->color_out,
		.out = stdout,
		.kind = kind,
	};

	return o;
}

int knet_fail(const struct knet_ctx *ctx, const struct knet_error *err,
	      const char *verb, const char *subject)
{
	const char *reason =
		err && err->reason[0] ? err->reason : "unknown error";
	int status = err && err->exit ? (int)err->exit : KNET_EXIT_SYSTEM;

	if (subject)
		fprintf(stderr, "knet: cannot %s '%s': %s", verb, subject,
			reason);
	else
		fprintf(stderr, "knet: cannot %s: %s", verb, reason);
	/* usage errors point at the help, on the same line */
	if (status == KNET_EXIT_USAGE && ctx && ctx->cmd)
		fprintf(stderr, "; try 'knet help %s'", ctx->cmd->name);
	fputc('\n', stderr);
	return status;
}

int knet_usage_error(const struct knet_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fputs("knet: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (ctx && ctx->cmd)
		fprintf(stderr, "; try 'knet help %s'\n", ctx->cmd->name);
	else
		fputs("; try 'knet help'\n", stderr);
	return KNET_EXIT_USAGE;
}

void knet_log(const struct knet_ctx *ctx, int level, const char *fmt, ...)
{
	va_list ap;

	if (!ctx || ctx->g.verbose < level)
		return;
	fputs(ctx->color_err ? "\033[2mknet: " : "knet: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(ctx->color_err ? "\033[0m\n" : "\n", stderr);
}

void knet_warn(const struct knet_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	bool c = ctx && ctx->color_err;

	fputs(c ? "\033[33mknet: warning:\033[0m " : "knet: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
