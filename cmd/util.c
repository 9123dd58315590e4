/* SPDX-License-Identifier: MIT */
/* What every command shares: error lines, logging, output options. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

void knet_catch_stop_reset(void)
{
	stop_flag = 0;
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

/*
 * One line on stderr: @prefix, the message, @suffix, a newline.  The
 * message carries text from outside (Status messages from the server,
 * names the user typed, remote lines), so control characters in it are
 * escaped; @prefix and @suffix are knet's own (colours).
 */
static void vline(const char *prefix, const char *suffix, const char *fmt,
		  va_list ap)
{
	char *msg = NULL, *safe = NULL;

	if (vasprintf(&msg, fmt, ap) >= 0)
		safe = knet_text_escape(msg, false);
	fprintf(stderr, "%s%s%s\n", prefix, safe ? safe : "(out of memory)",
		suffix);
	free(safe);
	free(msg);
}

static void line(const char *prefix, const char *suffix, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void line(const char *prefix, const char *suffix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(prefix, suffix, fmt, ap);
	va_end(ap);
}

int knet_fail(const struct knet_ctx *ctx, const struct knet_error *err,
	      const char *verb, const char *subject)
{
	const char *reason =
		err && err->reason[0] ? err->reason : "unknown error";
	int status = err && err->exit ? (int)err->exit : KNET_EXIT_SYSTEM;
	char help[128] = "";

	/* usage errors point at the help, on the same line */
	if (status == KNET_EXIT_USAGE && ctx && ctx->cmd)
		snprintf(help, sizeof(help), "; try 'knet help %s'",
			 ctx->cmd->name);
	if (subject)
		line("knet: ", help, "cannot %s '%s': %s", verb, subject,
		     reason);
	else
		line("knet: ", help, "cannot %s: %s", verb, reason);
	return status;
}

int knet_usage_error(const struct knet_ctx *ctx, const char *fmt, ...)
{
	char help[128] = "; try 'knet help'";
	va_list ap;

	if (ctx && ctx->cmd)
		snprintf(help, sizeof(help), "; try 'knet help %s'",
			 ctx->cmd->name);
	va_start(ap, fmt);
	vline("knet: ", help, fmt, ap);
	va_end(ap);
	return KNET_EXIT_USAGE;
}

void knet_log(const struct knet_ctx *ctx, int level, const char *fmt, ...)
{
	va_list ap;

	if (!ctx || ctx->g.verbose < level)
		return;
	va_start(ap, fmt);
	vline(ctx->color_err ? "\033[2mknet: " : "knet: ",
	      ctx->color_err ? "\033[0m" : "", fmt, ap);
	va_end(ap);
}

void knet_warn(const struct knet_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	bool c = ctx && ctx->color_err;

	va_start(ap, fmt);
	vline(c ? "\033[33mknet: warning:\033[0m " : "knet: warning: ", "", fmt,
	      ap);
	va_end(ap);
}
