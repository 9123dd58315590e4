/* SPDX-License-Identifier: MIT */
/*
 * knet __complete KIND (hidden): the words shell completion offers for
 * an argument of that kind, one per line.  The completion scripts throw
 * stderr away: a prompt is no place for an error message, and a cluster
 * that cannot be reached simply completes nothing.
 */
#include <string.h>

#include "cmd.h"
#include "knet/api.h"

/* Completion is interactive: never wait long for the cluster. */
#define COMPLETE_TIMEOUT "3s"
#define COMPLETE_LIMIT	 "?limit=500"

const struct knet_complete_kind knet_complete_kinds[] = {
	{"pod", "/api/v1/namespaces/%s/pods", "/api/v1/pods"},
	{"service", "/api/v1/namespaces/%s/services", "/api/v1/services"},
	{"ingress", "/apis/networking.k8s.io/v1/namespaces/%s/ingresses",
	 "/apis/networking.k8s.io/v1/ingresses"},
	{"netpol", "/apis/networking.k8s.io/v1/namespaces/%s/networkpolicies",
	 "/apis/networking.k8s.io/v1/networkpolicies"},
	{"node", NULL, "/api/v1/nodes"},
	{"namespace", NULL, "/api/v1/namespaces"},
	{NULL, NULL, NULL},
};

const struct knet_complete_kind *knet_complete_kind_find(const char *kind)
{
	for (const struct knet_complete_kind *k = knet_complete_kinds; k->kind;
	     k++)
		if (strcmp(k->kind, kind) == 0)
			return k;
	return NULL;
}

int knet_complete_expand(const char *hint, const char **ret_kinds,
			 const char **ret_prefixes)
{
	/* A target is a pod, svc/NAME or node/NAME (DESIGN.md, targets). */
	if (strcmp(hint, "target") == 0) {
		ret_kinds[0] = "pod";
		ret_prefixes[0] = "";
		ret_kinds[1] = "service";
		ret_prefixes[1] = "svc/";
		ret_kinds[2] = "node";
		ret_prefixes[2] = "node/";
		return 3;
	}
	if (!knet_complete_kind_find(hint))
		return 0;
	ret_kinds[0] = hint;
	ret_prefixes[0] = "";
	return 1;
}

/*
 * Print "<prefix><name>" for each item of the list at @path; with
 * @with_ns, "<prefix><namespace>/<name>" instead.
 */
static void print_names(struct knet_ctx *ctx, const char *path,
			const char *prefix, bool with_ns)
{
	struct knet_error err = {0};
	cJSON *list = NULL, *item;
	char query[512];

	snprintf(query, sizeof(query), "%s" COMPLETE_LIMIT, path);
	if (knet_api_get_json(ctx->api, query, &list, &err) < 0)
		return;
	cJSON_ArrayForEach(item, knet_json_get(list, "items"))
	{
		const cJSON *meta = knet_json_get(item, "metadata");
		const char *name = knet_json_str(meta, "name");
		const char *ns = knet_json_str(meta, "namespace");

		if (!name)
			continue;
		if (with_ns && ns)
			printf("%s%s/%s\n", prefix, ns, name);
		else
			printf("%s%s\n", prefix, name);
	}
	cJSON_Delete(list);
}

static void complete_kind(struct knet_ctx *ctx, const char *kind,
			  const char *prefix)
{
	const struct knet_complete_kind *k = knet_complete_kind_find(kind);
	const char *ns = knet_ctx_namespace(ctx);
	char path[256];

	if (!k->path) {
		print_names(ctx, k->all_path, prefix, false);
		return;
	}
	/* Completion prints nothing rather than ask for a bad path. */
	if (knet_api_check_namespace(ns, NULL) < 0)
		return;
	snprintf(path, sizeof(path), k->path, ns);
	print_names(ctx, path, prefix, false);
	/* pods elsewhere are reached as NS/NAME */
	if (strcmp(kind, "pod") == 0)
		print_names(ctx, k->all_path, prefix, true);
}

static int exec_complete(struct knet_ctx *ctx, const struct knet_args *args)
{
	const char *kind = args->pos[0];
	const char *kinds[3], *prefixes[3];
	const struct knet_cmd *const *c;
	int i, n;

	if (strcmp(kind, "command") == 0) {
		for (c = knet_commands; *c; c++)
			if (!((*c)->flags & KNET_CMD_HIDDEN))
				printf("%s\n", (*c)->name);
		return 0;
	}
	if (strcmp(kind, "shell") == 0) {
		printf("bash\nzsh\nfish\n");
		return 0;
	}
	if (!ctx->g.request_timeout)
		ctx->g.request_timeout = COMPLETE_TIMEOUT;
	if (knet_ctx_api_setup(ctx) != 0)
		return 0;
	n = knet_complete_expand(kind, kinds, prefixes);
	for (i = 0; i < n; i++)
		complete_kind(ctx, kinds[i], prefixes[i]);
	return 0;
}

const struct knet_cmd knet_cmd_complete = {
	.name = "__complete",
	.group = "other",
	.summary = "list completion words of a kind",
	.usage = "KIND",
	.min_args = 1,
	.max_args = 1,
	.flags = KNET_CMD_HIDDEN,
	.exec = exec_complete,
};
