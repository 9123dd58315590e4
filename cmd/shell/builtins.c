/* SPDX-License-Identifier: MIT */
/* The shell's own words: use, unuse, status, exit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/api.h"
#include "shell.h"

static int usage(const char *msg)
{
	fprintf(stderr, "knet: %s; try 'knet help shell'\n", msg);
	return KNET_EXIT_USAGE;
}

static const char **slot(struct knet_shell *sh, const char *what)
{
	if (strcmp(what, "context") == 0 || strcmp(what, "ctx") == 0)
		return &sh->use.context;
	if (strcmp(what, "ns") == 0 || strcmp(what, "namespace") == 0)
		return &sh->use.namespace;
	if (strcmp(what, "pod") == 0)
		return &sh->use.pod;
	if (strcmp(what, "node") == 0)
		return &sh->use.node;
	return NULL;
}

static void set(const char **p, const char *v)
{
	free((char *)*p);
	*p = v ? strdup(v) : NULL;
}

static int use(struct knet_shell *sh, int argc, char **argv)
{
	struct knet_error err = {0};
	const char **p;

	if (argc != 3)
		return usage("'use' takes context|ns|pod|node and a name");
	p = slot(sh, argv[1]);
	if (!p)
		return usage("'use' takes context, ns, pod or node");
	/* Names go into paths and selectors: checked as -n and --node are. */
	if (p == &sh->use.namespace &&
	    knet_api_check_namespace(argv[2], &err) < 0) {
		fprintf(stderr, "knet: cannot use namespace '%s': %s\n",
			argv[2], err.reason);
		return KNET_EXIT_USAGE;
	}
	if (p == &sh->use.node && knet_api_check_name(argv[2], &err) < 0) {
		fprintf(stderr, "knet: cannot use node '%s': %s\n", argv[2],
			err.reason);
		return KNET_EXIT_USAGE;
	}
	set(p, argv[2]);
	/* The names Tab offers come from the context in use. */
	if (p == &sh->use.context && sh->interactive) {
		knet_shell_cache_stop();
		knet_shell_cache_start(&sh->use);
	}
	return 0;
}

/* unuse [WHAT]: one default, or all of them. */
static int unuse(struct knet_shell *sh, int argc, char **argv)
{
	const char **p;

	if (argc == 1) {
		set(&sh->use.context, NULL);
		set(&sh->use.namespace, NULL);
		set(&sh->use.pod, NULL);
		set(&sh->use.node, NULL);
		return 0;
	}
	p = argc == 2 ? slot(sh, argv[1]) : NULL;
	if (!p)
		return usage("'unuse' takes nothing, or context, ns, pod or "
			     "node");
	set(p, NULL);
	return 0;
}

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

static int status(struct knet_shell *sh)
{
	struct knet_ctx *c = &sh->ctx;

	printf("context:   %s\n", sh->use.context ? sh->use.context
				  : c->api	  ? knet_api_context(c->api)
						  : "(the kubeconfig's)");
	printf("namespace: %s\n", sh->use.namespace ? sh->use.namespace
				  : c->api	    ? knet_api_namespace(c->api)
						    : "(the context's)");
	printf("pod:       %s\n", or_dash(sh->use.pod));
	printf("node:      %s\n", or_dash(sh->use.node));
	printf("server:    %s\n",
	       c->api ? knet_api_server(c->api) : "(not connected yet)");
	printf("last:      %d\n", sh->last);
	return 0;
}

static int do_exit(struct knet_shell *sh, int argc, char **argv)
{
	char *end;
	long n;

	if (argc > 2)
		return usage("'exit' takes at most one status");
	sh->done = true;
	sh->exit_code = sh->last;
	if (argc == 2) {
		n = strtol(argv[1], &end, 10);
		if (*end || end == argv[1] || n < 0 || n > 255) {
			sh->exit_code = KNET_EXIT_USAGE;
			return usage("'exit' takes a status from 0 to 255");
		}
		sh->exit_code = (int)n;
	}
	return sh->exit_code;
}

bool knet_shell_builtin(struct knet_shell *sh, int argc, char **argv, int *ret)
{
	const char *w = argv[0];

	if (strcmp(w, "use") == 0)
		*ret = use(sh, argc, argv);
	else if (strcmp(w, "unuse") == 0)
		*ret = unuse(sh, argc, argv);
	else if (strcmp(w, "status") == 0 && argc == 1)
		*ret = status(sh);
	else if (strcmp(w, "exit") == 0 || strcmp(w, "quit") == 0)
		*ret = do_exit(sh, argc, argv);
	else
		return false;
	fflush(stdout);
	return true;
}

void knet_shell_prompt(const struct knet_shell *sh, char *buf, size_t len)
{
	const struct knet_ctx *c = &sh->ctx;
	const char *ctx = sh->use.context ? sh->use.context
			  : c->api	  ? knet_api_context(c->api)
					  : "-";
	const char *ns = sh->use.namespace ? sh->use.namespace
			 : c->api	   ? knet_api_namespace(c->api)
					   : "default";

	if (sh->use.pod)
		snprintf(buf, len, "knet %s/%s/%s> ", ctx, ns, sh->use.pod);
	else
		snprintf(buf, len, "knet %s/%s> ", ctx, ns);
}
