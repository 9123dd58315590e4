/* SPDX-License-Identifier: MIT */
/* knet help [COMMAND]: the command list, or one command's usage. */
#include <errno.h>
#include <string.h>

#include "cmd.h"

static const struct {
	const char *group;
	const char *title;
} groups[] = {
	{"cluster", "Cluster (Kubernetes API only)"},
	{"node", "Node (enters the pod's network namespace)"},
	{"analysis", "Analysis"},
	{"other", "Other"},
};

/* "-c, --count N" or "    --kubeconfig FILE" */
static void opt_spelling(const struct knet_opt *o, char *buf, size_t len)
{
	const char *meta = o->metavar ? o->metavar : "";
	const char *sep = o->metavar ? " " : "";

	if (o->short_name)
		snprintf(buf, len, "-%c, --%s%s%s", o->short_name, o->name, sep,
			 meta);
	else
		snprintf(buf, len, "    --%s%s%s", o->name, sep, meta);
}

static void print_options(FILE *f, const struct knet_opt *opts)
{
	const struct knet_opt *o;
	char buf[128];

	for (o = opts; o && o->name; o++) {
		opt_spelling(o, buf, sizeof(buf));
		if (strlen(buf) > 24)
			fprintf(f, "  %s\n  %-24s  ", buf, "");
		else
			fprintf(f, "  %-24s  ", buf);
		fputs(o->help ? o->help : "", f);
		if (o->choices)
			fprintf(f, " (%s)", o->choices);
		fputc('\n', f);
	}
}

/* The usage line, exactly as the man page's SYNOPSIS reads. */
void knet_help_usage_line(FILE *f, const struct knet_cmd *c)
{
	fprintf(f, "knet %s%s%s\n", c->name, c->usage && *c->usage ? " " : "",
		c->usage ? c->usage : "");
}

static void general_help(FILE *f)
{
	const struct knet_cmd *const *c;
	size_t g;

	fputs("knet - Kubernetes network troubleshooting from inside the "
	      "pod's network\n\n"
	      "Usage: knet [global options] <command> [options] [args]\n",
	      f);
	for (g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		int shown = 0;

		for (c = knet_commands; *c; c++) {
			char name[48];

			if (strcmp((*c)->group, groups[g].group) != 0 ||
			    (*c)->flags & KNET_CMD_HIDDEN)
				continue;
			if (!shown++)
				fprintf(f, "\n%s:\n", groups[g].title);
			if ((*c)->alias)
				snprintf(name, sizeof(name), "%s, %s",
					 (*c)->name, (*c)->alias);
			else
				snprintf(name, sizeof(name), "%s", (*c)->name);
			fprintf(f, "  %-20s  %s\n", name, (*c)->summary);
		}
	}
	fputs("\nTargets: POD or NS/POD, svc/NAME, node/NAME, or an IP; "
	      "any with :PORT[/udp].\n\nGlobal options:\n",
	      f);
	print_options(f, knet_global_options);
	fputs("\nRun 'knet help <command>' for a command's options; "
	      "'man knet' for exit\nstatus, environment and examples.\n",
	      f);
}

static int exec_help(struct knet_ctx *ctx, const struct knet_args *args)
{
	const struct knet_cmd *c;

	if (args->npos == 0 || !args->pos[0]) {
		general_help(stdout);
		return 0;
	}
	c = knet_cmd_find(args->pos[0]);
	/* "help services trace" (or "help svc trace"): a verb. */
	if (c && args->npos == 2)
		c = knet_cmd_verb(c, args->pos[1]);
	if (!c) {
		struct knet_error err;

		knet_error_set(&err, -ENOENT, KNET_EXIT_USAGE,
			       "no such command");
		ctx->cmd = knet_cmd_find("help");
		return knet_fail(ctx, &err, "show help for", args->pos[0]);
	}
	fputs("Usage: ", stdout);
	knet_help_usage_line(stdout, c);
	fprintf(stdout, "\n%s%s%s.\n", c->summary, c->alias ? "; alias: " : "",
		c->alias ? c->alias : "");
	if (c->options && c->options->name) {
		fputs("\nOptions:\n", stdout);
		print_options(stdout, c->options);
	}
	for (const struct knet_cmd *const *v = c->verbs; v && *v; v++) {
		if (v == c->verbs)
			fputs("\nVerbs:\n", stdout);
		fprintf(stdout, "  knet %s %s\n      %s\n", (*v)->name,
			(*v)->usage, (*v)->summary);
	}
	{
		char page[64];

		/* "services trace" is man knet-services-trace */
		snprintf(page, sizeof(page), "%s", c->man ? c->man : c->name);
		for (char *p = page; *p; p++)
			if (*p == ' ')
				*p = '-';
		fprintf(stdout,
			"\nGlobal options are listed by 'knet help'. "
			"See also: man knet-%s\n",
			page);
	}
	return 0;
}

const struct knet_cmd knet_cmd_help = {
	.name = "help",
	.group = "other",
	.summary = "show the command list or one command's usage",
	.usage = "[COMMAND [VERB]]",
	.min_args = 0,
	.max_args = 2,
	.complete_args = "command",
	.exec = exec_help,
};
