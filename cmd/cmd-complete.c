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

static const struct {
	const char *kind;
	const char *path; /* %s: the namespace, when namespaced */
	bool namespaced;
} api_kinds[] = {
	{"pod", "/api/v1/namespaces/%s/pods", true},
	{"service", "/api/v1/namespaces/%s/services", true},
	{"ingress", "/apis/networking.k8s.io/v1/namespaces/%s/ingresses", true},
	{"netpol", "/apis/networking.k8s.io/v1/namespaces/%s/networkpolicies",
	 true},
	{"node", "/api/v1/nodes", false},
	{"namespace", "/api/v1/namespaces", false},
};

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
	const char *ns = knet_ctx_namespace(ctx);
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(api_kinds) / sizeof(api_kinds[0]); i++) {
		if (strcmp(api_kinds[i].kind, kind) != 0)
			continue;
		if (!api_kinds[i].namespaced) {
			print_names(ctx, api_kinds[i].path, prefix, false);
			return;
		}
		/* Completion prints nothing rather than ask for a bad path. */
		if (knet_api_check_namespace(ns, NULL) < 0)
			return;
		snprintf(path, sizeof(path), api_kinds[i].path, ns);
		print_names(ctx, path, prefix, false);
		/* pods elsewhere are reached as NS/NAME */
		if (strcmp(kind, "pod") == 0)
			print_names(ctx, "/api/v1/pods", prefix, true);
		return;
	}
}

static int exec_complete(struct knet_ctx *ctx, const struct knet_args *args)
{
	const char *kind = args->pos[0];
	const struct knet_cmd *const *c;

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
	if (strcmp(kind, "target") == 0) {
		complete_kind(ctx, "pod", "");
		complete_kind(ctx, "service", "svc/");
		complete_kind(ctx, "node", "node/");
	} else {
		complete_kind(ctx, kind, "");
	}
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
