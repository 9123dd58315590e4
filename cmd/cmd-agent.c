/* SPDX-License-Identifier: MIT */
/*
 * knet agent install|status|remove|pod|serve: the agent pods through
 * which knet runs on nodes (lib/agent, knet/agent.h).  The agent
 * namespace is -n (default knet-system), not the context's.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "knet/agent.h"
#include "knet/api.h"

/* clang-format off */
static const struct knet_opt agent_options[] = {
	{"image", 0, KNET_OPT_STRING, "IMG",
	 "the agent image (default " KNET_AGENT_IMAGE ")", NULL, 0, 0, NULL},
	{"dry-run", 0, KNET_OPT_FLAG, NULL,
	 "install: print the objects (a JSON List), apply nothing", NULL, 0,
	 0, NULL},
	{"wait", 0, KNET_OPT_STRING, "DURATION",
	 "pod, remove: how long to wait (default 60s)", NULL, 0, 0, NULL},
	{"ttl", 0, KNET_OPT_STRING, "DURATION",
	 "pod: the lifetime of an ephemeral agent it makes (default 5m)",
	 NULL, 0, 0, NULL},
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};
/* clang-format on */

static struct knet_agent_opts agent_opts(struct knet_ctx *ctx,
					 const struct knet_args *args)
{
	struct knet_agent_opts o = {
		.namespace = ctx->g.namespace ? ctx->g.namespace
					      : KNET_AGENT_NAMESPACE,
		.image = knet_args_str(args, "image", NULL),
	};
	return o;
}

static int oom(struct knet_ctx *ctx)
{
	struct knet_error err = {0};

	knet_error_set(&err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
	return knet_fail(ctx, &err, "run", "agent");
}

static int wait_ms(struct knet_ctx *ctx, const struct knet_args *args,
		   long *ret)
{
	const char *w = knet_args_str(args, "wait", NULL);

	*ret = 60000;
	if (w && (knet_request_timeout_parse(w, ret) < 0 || *ret <= 0))
		return knet_usage_error(ctx,
					"--wait '%s' is not a duration "
					"such as 30s",
					w);
	return 0;
}

/* --- install, remove: one row per object --- */

enum { OC_KIND, OC_NAMESPACE, OC_NAME, OC_RESULT, OC_N };

static const struct knet_column object_columns[] = {
	[OC_KIND] = {"KIND", "kind", KNET_CELL_STR, 0, 0},
	[OC_NAMESPACE] = {"NAMESPACE", "namespace", KNET_CELL_STR, 0, 0},
	[OC_NAME] = {"NAME", "name", KNET_CELL_STR, KNET_COL_NAME, 0},
	[OC_RESULT] = {"RESULT", "result", KNET_CELL_STR, 0, 0},
	[OC_N] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static int object_row(struct knet_table *t, const cJSON *obj,
		      const char *result)
{
	const cJSON *md = knet_json_get(obj, "metadata");

	if (knet_table_add_row(t) < 0)
		return -ENOMEM;
	knet_table_set_str(t, OC_KIND, knet_json_str(obj, "kind") ?: "Pod");
	if (knet_json_str(md, "namespace"))
		knet_table_set_str(t, OC_NAMESPACE,
				   knet_json_str(md, "namespace"));
	knet_table_set_str(t, OC_NAME, knet_json_str(md, "name") ?: "");
	knet_table_set_str(t, OC_RESULT, result);
	knet_table_set_tone(t, OC_RESULT,
			    strcmp(result, "applied") &&
					    strcmp(result, "deleted")
				    ? KNET_TONE_DIM
				    : KNET_TONE_GOOD);
	return 0;
}

static int run_install(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct knet_agent_opts ao = agent_opts(ctx, args);
	struct knet_output_opts o = knet_ctx_output(ctx, "AgentObject");
	struct knet_error err = {0};
	struct knet_table *t = NULL;
	const cJSON *obj;
	cJSON *all;
	int status = 0, owned;

	if (knet_args_has(args, "wait") || knet_args_has(args, "ttl"))
		return knet_usage_error(ctx, "--wait and --ttl are not for "
					     "agent install");
	if (knet_api_check_namespace(ao.namespace, &err) < 0)
		return knet_usage_error(ctx, "%s", err.reason);
	if (knet_agent_namespace_reserved(ao.namespace))
		return knet_usage_error(ctx,
					"the agents need a namespace of "
					"their own, not '%s'",
					ao.namespace);
	if (knet_args_has(args, "dry-run")) {
		/* the manifests of deploy/ are this print (make deploy) */
		all = knet_agent_objects_list(&ao);
		if (!all)
			return oom(ctx);
		status =
			knet_json_print(stdout, all) < 0 ? KNET_EXIT_SYSTEM : 0;
		cJSON_Delete(all);
		return status;
	}
	status = knet_ctx_api_ready(ctx);
	if (status)
		return status;
	owned = knet_agent_namespace_owned(ctx->api, ao.namespace, &err);
	if (owned < 0 && owned != -ENOENT)
		return knet_fail(ctx, &err, "read namespace", ao.namespace);
	all = knet_agent_objects(&ao);
	if (!all || knet_table_new(object_columns, &o, &t) < 0) {
		cJSON_Delete(all);
		return oom(ctx);
	}
	cJSON_ArrayForEach(obj, all)
	{
		/* someone else's namespace: used, not relabelled */
		if (!owned &&
		    !strcmp(knet_json_str(obj, "kind"), "Namespace")) {
			knet_warn(ctx,
				  "namespace '%s' is not knet's: left as "
				  "it is (agent pods need it to allow "
				  "privileged pods)",
				  ao.namespace);
			if (object_row(t, obj, "kept") < 0) {
				status = oom(ctx);
				break;
			}
			continue;
		}
		if (knet_agent_apply(ctx->api, obj, &err) < 0) {
			char what[320];

			snprintf(what, sizeof(what), "%s/%s",
				 knet_json_str(obj, "kind"),
				 knet_json_str(knet_json_get(obj, "metadata"),
					       "name"));
			status = knet_fail(ctx, &err, "apply", what);
			break;
		}
		if (object_row(t, obj, "applied") < 0) {
			status = oom(ctx);
			break;
		}
	}
	if (!status && knet_table_render(t) < 0)
		status = oom(ctx);
	knet_table_free(t);
	cJSON_Delete(all);
	return status;
}

/* The namespace, once deleted, and every agent pod gone, or the time
 * is up: `kubectl get all -n NS` then finds nothing. */
static int wait_gone(struct knet_ctx *ctx, const char *ns, long ms)
{
	long long deadline = knet_mono_ms() + ms;
	char path[300];
	struct knet_error err = {0};

	knet_api_path(path, sizeof(path), "v1", NULL, "namespaces", ns, NULL);
	for (;;) {
		cJSON *doc = NULL;
		int r = knet_api_get_json(ctx->api, path, &doc, &err);

		cJSON_Delete(doc);
		if (r == -ENOENT)
			return 0;
		if (r < 0)
			return knet_fail(ctx, &err, "wait for the removal of",
					 ns);
		if (knet_mono_ms() >= deadline) {
			knet_error_set(&err, -ETIMEDOUT, KNET_EXIT_API,
				       "namespace '%s' is still terminating "
				       "after %.0f s",
				       ns, (double)ms / 1000.0);
			return knet_fail(ctx, &err, "remove", ns);
		}
		nanosleep(&(struct timespec){0, 250000000L}, NULL);
	}
}

static int run_remove(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct knet_agent_opts ao = agent_opts(ctx, args);
	struct knet_output_opts o = knet_ctx_output(ctx, "AgentObject");
	struct knet_error err = {0};
	struct knet_table *t = NULL;
	cJSON *all = NULL, *pods = NULL, *obj;
	bool ns_deleted = false;
	long ms;
	int status, owned;

	if (knet_args_has(args, "image") || knet_args_has(args, "dry-run") ||
	    knet_args_has(args, "ttl"))
		return knet_usage_error(ctx, "--image, --dry-run and --ttl are "
					     "not for agent remove");
	if (knet_api_check_namespace(ao.namespace, &err) < 0)
		return knet_usage_error(ctx, "%s", err.reason);
	status = wait_ms(ctx, args, &ms);
	if (!status)
		status = knet_ctx_api_ready(ctx);
	if (status)
		return status;
	all = knet_agent_objects(&ao);
	if (!all || knet_table_new(object_columns, &o, &t) < 0) {
		cJSON_Delete(all);
		return oom(ctx);
	}
	owned = knet_agent_namespace_owned(ctx->api, ao.namespace, &err);
	if (owned < 0 && owned != -ENOENT) {
		status = knet_fail(ctx, &err, "read namespace", ao.namespace);
		goto out;
	}
	/* the ephemeral agents first: the namespace takes them anyway,
	 * but one in another namespace than ours would be left */
	if (knet_agent_list_pods(ctx->api, ao.namespace, &pods, &err) < 0) {
		status = knet_fail(ctx, &err, "list the agent pods in",
				   ao.namespace);
		goto out;
	}
	cJSON_ArrayForEach(obj, pods)
	{
		if (!knet_agent_pod_is_ephemeral(obj))
			continue;
		/* list items carry no kind; the path needs one */
		if (!knet_json_get(obj, "kind") &&
		    !cJSON_AddStringToObject(obj, "kind", "Pod")) {
			status = oom(ctx);
			goto out;
		}
		status = knet_agent_delete(ctx->api, obj, &err);
		if (status < 0) {
			status = knet_fail(
				ctx, &err, "delete",
				knet_json_str(knet_json_get(obj, "metadat"
								 "a"),
					      "name"));
			goto out;
		}
		object_row(t, obj, status ? "absent" : "deleted");
		status = 0;
	}
	/* in reverse: the DaemonSet before the rights and the namespace */
	for (int i = cJSON_GetArraySize(all) - 1; i >= 0; i--) {
		int r;

		obj = cJSON_GetArrayItem(all, i);
		if (!owned &&
		    !strcmp(knet_json_str(obj, "kind"), "Namespace")) {
			if (object_row(t, obj, "kept") < 0) {
				status = oom(ctx);
				goto out;
			}
			continue;
		}
		r = knet_agent_delete(ctx->api, obj, &err);
		if (r < 0) {
			status = knet_fail(
				ctx, &err, "delete",
				knet_json_str(knet_json_get(obj, "metadat"
								 "a"),
					      "name"));
			goto out;
		}
		if (!strcmp(knet_json_str(obj, "kind"), "Namespace"))
			ns_deleted = r == 0;
		if (object_row(t, obj, r ? "absent" : "deleted") < 0) {
			status = oom(ctx);
			goto out;
		}
	}
	if (ns_deleted)
		status = wait_gone(ctx, ao.namespace, ms);
	if (!status && knet_table_render(t) < 0)
		status = oom(ctx);
out:
	knet_table_free(t);
	cJSON_Delete(all);
	cJSON_Delete(pods);
	return status;
}

/* --- status: per node, its agent pods --- */

enum {
	SC_NODE,
	SC_POD,
	SC_KIND,
	SC_PHASE,
	SC_READY,
	SC_IMAGE,
	SC_AGE,
	SC_EXPIRES,
	SC_N,
};

static const struct knet_column status_columns[] = {
	[SC_NODE] = {"NODE", "node", KNET_CELL_STR, 0, 0},
	[SC_POD] = {"POD", "pod", KNET_CELL_STR, KNET_COL_NAME, 0},
	[SC_KIND] = {"KIND", "kind", KNET_CELL_STR, 0, 0},
	[SC_PHASE] = {"PHASE", "phase", KNET_CELL_STR, 0, 0},
	[SC_READY] = {"READY", "ready", KNET_CELL_BOOL, 0, 0},
	[SC_IMAGE] = {"IMAGE", "image", KNET_CELL_STR, 0, 0},
	[SC_AGE] = {"AGE", "created", KNET_CELL_AGE, 0, 0},
	[SC_EXPIRES] = {"EXPIRES", "expires", KNET_CELL_INT, KNET_COL_WIDE, 0},
	[SC_N] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static long long parse_time(const char *s)
{
	struct tm tm = {0};
	const char *end;

	if (!s)
		return 0;
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return end && !*end ? (long long)timegm(&tm) : 0;
}

static int pod_row(struct knet_table *t, const char *node, const cJSON *pod,
		   time_t now)
{
	const cJSON *md = knet_json_get(pod, "metadata");
	const cJSON *c0 = cJSON_GetArrayItem(
		knet_json_path(pod, "spec", "containers", KNET_JSON_END), 0);
	enum knet_agent_pod_state st = knet_agent_pod_state(pod);
	const char *phase =
		knet_json_str(knet_json_get(pod, "status"), "phase");
	bool eph = knet_agent_pod_is_ephemeral(pod);
	bool ready = st == KNET_AGENT_POD_READY &&
		     !(eph && knet_agent_pod_expired(pod, now));

	if (knet_table_add_row(t) < 0)
		return -ENOMEM;
	knet_table_set_str(t, SC_NODE, node);
	knet_table_set_str(t, SC_POD, knet_json_str(md, "name") ?: "");
	knet_table_set_str(t, SC_KIND, eph ? "ephemeral" : "daemonset");
	knet_table_set_str(t, SC_PHASE,
			   knet_json_path(md, "deletionTimestamp",
					  KNET_JSON_END)
				   ? "Terminating"
				   : phase ?: "Pending");
	knet_table_set_bool(t, SC_READY, ready);
	knet_table_set_tone(t, SC_READY,
			    ready ? KNET_TONE_GOOD : KNET_TONE_BAD);
	if (knet_json_str(c0, "image"))
		knet_table_set_str(t, SC_IMAGE, knet_json_str(c0, "image"));
	if (parse_time(knet_json_str(md, "creationTimestamp")))
		knet_table_set_age(
			t, SC_AGE,
			parse_time(knet_json_str(md, "creationTimestamp")));
	if (eph)
		knet_table_set_int(t, SC_EXPIRES,
				   (long long)knet_agent_pod_expires(pod));
	return ready;
}

static int node_rows(struct knet_table *t, const char *node, const cJSON *pods,
		     time_t now, bool *ret_ready)
{
	const cJSON *p;
	bool any = false;

	*ret_ready = false;
	/* the DaemonSet's first, then the ephemeral ones */
	for (int pass = 0; pass < 2; pass++)
		cJSON_ArrayForEach(p, pods)
		{
			const char *n = knet_json_str(knet_json_get(p, "spec"),
						      "nodeName");
			int r;

			if (!n || strcmp(n, node) ||
			    knet_agent_pod_is_ephemeral(p) != (pass == 1))
				continue;
			r = pod_row(t, node, p, now);
			if (r < 0)
				return r;
			*ret_ready = *ret_ready || r;
			any = true;
		}
	if (any)
		return 0;
	if (knet_table_add_row(t) < 0)
		return -ENOMEM;
	knet_table_set_str(t, SC_NODE, node);
	knet_table_set_bool(t, SC_READY, false);
	knet_table_set_tone(t, SC_READY, KNET_TONE_BAD);
	return 0;
}

static int run_status(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct knet_agent_opts ao = agent_opts(ctx, args);
	struct knet_output_opts o = knet_ctx_output(ctx, "AgentStatus");
	struct knet_error err = {0};
	struct knet_table *t = NULL;
	cJSON *nodes = NULL, *pods = NULL, *ds = NULL;
	const cJSON *n;
	char path[300];
	int status, missing = 0, r;
	time_t now = time(NULL);

	if (args->npos > 1 || knet_args_has(args, "image") ||
	    knet_args_has(args, "dry-run") || knet_args_has(args, "wait") ||
	    knet_args_has(args, "ttl"))
		return knet_usage_error(ctx, "agent status takes no "
					     "arguments but -n and -o");
	if (knet_api_check_namespace(ao.namespace, &err) < 0)
		return knet_usage_error(ctx, "%s", err.reason);
	status = knet_ctx_api_ready(ctx);
	if (status)
		return status;
	r = knet_api_get_json(ctx->api, "/api/v1/nodes", &nodes, &err);
	if (r < 0) {
		status = knet_fail(ctx, &err, "list", "nodes");
		goto out;
	}
	if (knet_agent_list_pods(ctx->api, ao.namespace, &pods, &err) < 0) {
		status = knet_fail(ctx, &err, "list the agent pods in",
				   ao.namespace);
		goto out;
	}
	knet_api_path(path, sizeof(path), "apps/v1", ao.namespace, "daemonsets",
		      KNET_AGENT_NAME, NULL);
	r = knet_api_get_json(ctx->api, path, &ds, &err);
	if (r == -ENOENT)
		knet_warn(ctx,
			  "the DaemonSet %s/%s is not installed: run "
			  "'knet agent install'",
			  ao.namespace, KNET_AGENT_NAME);
	else if (r < 0)
		knet_warn(ctx, "cannot read the DaemonSet %s/%s: %s",
			  ao.namespace, KNET_AGENT_NAME, err.reason);
	knet_error_clear(&err);
	if (knet_table_new(status_columns, &o, &t) < 0) {
		status = oom(ctx);
		goto out;
	}
	cJSON_ArrayForEach(n, knet_json_get(nodes, "items"))
	{
		const char *name =
			knet_json_str(knet_json_get(n, "metadata"), "name");
		bool ready;

		if (!name)
			continue;
		if (node_rows(t, name, pods, now, &ready) < 0) {
			status = oom(ctx);
			goto out;
		}
		missing += !ready;
	}
	if (knet_table_render(t) < 0)
		status = oom(ctx);
	else if (missing)
		status = KNET_EXIT_PROBLEM;
out:
	knet_table_free(t);
	cJSON_Delete(nodes);
	cJSON_Delete(pods);
	cJSON_Delete(ds);
	return status;
}

/* --- pod NODE: the agent a remote run on NODE would use --- */

enum { PC_NODE, PC_NAMESPACE, PC_POD, PC_CONTAINER, PC_EPHEMERAL, PC_N };

static const struct knet_column pod_columns[] = {
	[PC_NODE] = {"NODE", "node", KNET_CELL_STR, 0, 0},
	[PC_NAMESPACE] = {"NAMESPACE", "namespace", KNET_CELL_STR, 0, 0},
	[PC_POD] = {"POD", "pod", KNET_CELL_STR, KNET_COL_NAME, 0},
	[PC_CONTAINER] = {"CONTAINER", "container", KNET_CELL_STR, 0, 0},
	[PC_EPHEMERAL] = {"EPHEMERAL", "ephemeral", KNET_CELL_BOOL, 0, 0},
	[PC_N] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static int run_pod(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct knet_agent_opts ao = agent_opts(ctx, args);
	struct knet_output_opts o = knet_ctx_output(ctx, "pod");
	struct knet_error err = {0};
	struct knet_agent_ref ref;
	struct knet_table *t = NULL;
	const char *node;
	int status;

	if (args->npos != 2)
		return knet_usage_error(ctx, "agent pod takes one NODE");
	if (knet_args_has(args, "dry-run"))
		return knet_usage_error(ctx, "--dry-run is for agent install");
	node = args->pos[1];
	if (knet_api_check_name(node, &err) < 0 ||
	    knet_api_check_namespace(ao.namespace, &err) < 0)
		return knet_usage_error(ctx, "%s", err.reason);
	status = wait_ms(ctx, args, &ao.wait_ms);
	if (!status && knet_args_has(args, "ttl")) {
		const char *ttl = knet_args_str(args, "ttl", NULL);
		long ms = 0;

		if (knet_request_timeout_parse(ttl, &ms) < 0 || ms < 1000)
			return knet_usage_error(ctx,
						"--ttl '%s' is not a "
						"duration of 1s or more",
						ttl);
		ao.ttl_s = ms / 1000;
	}
	if (!status)
		status = knet_ctx_api_ready(ctx);
	if (status)
		return status;
	if (knet_agent_for_node(ctx->api, node, &ao, &ref, &err) < 0)
		return knet_fail(ctx, &err, "get an agent pod on node", node);
	if (knet_table_new(pod_columns, &o, &t) < 0)
		return oom(ctx);
	if (knet_table_add_row(t) < 0) {
		knet_table_free(t);
		return oom(ctx);
	}
	knet_table_set_str(t, PC_NODE, node);
	knet_table_set_str(t, PC_NAMESPACE, ref.ns);
	knet_table_set_str(t, PC_POD, ref.pod);
	knet_table_set_str(t, PC_CONTAINER, ref.container);
	knet_table_set_bool(t, PC_EPHEMERAL, ref.ephemeral);
	status = knet_table_render(t) < 0 ? oom(ctx) : 0;
	knet_table_free(t);
	return status;
}

/*
 * The container's main process, pause-like: knet runs in the pod by
 * exec, this only keeps the container up.  As PID 1 it gets no default
 * signal action, so SIGTERM is waited for explicitly.
 */
static int run_serve(struct knet_ctx *ctx, const struct knet_args *args)
{
	sigset_t set;
	int sig = 0;

	if (args->npos != 1 || args->nvalues)
		return knet_usage_error(ctx, "agent serve takes no arguments");
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fclose(stdin);
	sigwait(&set, &sig);
	return 0;
}

static int exec_agent(struct knet_ctx *ctx, const struct knet_args *args)
{
	static const struct {
		const char *word;
		int (*run)(struct knet_ctx *, const struct knet_args *);
	} verbs[] = {
		{"install", run_install}, {"status", run_status},
		{"remove", run_remove},	  {"pod", run_pod},
		{"serve", run_serve},
	};
	const char *what = args->pos[0];

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(what, verbs[i].word))
			continue;
		if (strcmp(what, "pod") && args->npos > 1)
			return knet_usage_error(ctx,
						"agent %s takes no "
						"arguments",
						what);
		return verbs[i].run(ctx, args);
	}
	return knet_usage_error(ctx,
				"'%s' is not install, status, remove, "
				"pod or serve",
				what);
}

/* "agent pod node-a" as a verb: the same run, with its word back. */
static int exec_verb(struct knet_ctx *ctx, const struct knet_args *args,
		     const char *what)
{
	struct knet_args *a = malloc(sizeof(*a));
	int r;

	if (!a)
		return oom(ctx);
	*a = *args;
	if (a->npos >= KNET_ARGS_MAX_POS) {
		free(a);
		return knet_usage_error(ctx, "too many arguments");
	}
	memmove(a->pos + 1, a->pos, (size_t)a->npos * sizeof(*a->pos));
	a->pos[0] = what;
	a->npos++;
	if (a->dashdash >= 0)
		a->dashdash++;
	r = exec_agent(ctx, a);
	free(a);
	return r;
}

#define VERB(fn, word)                                                         \
	static int fn(struct knet_ctx *ctx, const struct knet_args *args)      \
	{                                                                      \
		return exec_verb(ctx, args, word);                             \
	}
VERB(exec_install, "install")
VERB(exec_status, "status")
VERB(exec_remove, "remove")
VERB(exec_pod, "pod")
VERB(exec_serve, "serve")

/*
 * Verbs so that dispatch, help and the completions know the words; one
 * man page, knet-agent(1), documents them all.
 */
static const struct knet_cmd knet_cmd_agent_install = {
	.name = "agent install",
	.group = "other",
	.summary = "install the agent DaemonSet, its namespace and RBAC",
	.usage = "[--image IMG] [-n NS] [--dry-run]",
	.max_args = 0,
	.options = agent_options,
	.flags = KNET_CMD_OWN_NAMESPACE,
	.exec = exec_install,
	.man = "agent",
};

static const struct knet_cmd knet_cmd_agent_status = {
	.name = "agent status",
	.group = "other",
	.summary = "each node's agent pods: phase, readiness, image, age",
	.usage = "[-n NS] [-o table|wide|json|name]",
	.max_args = 0,
	.options = agent_options,
	.flags = KNET_CMD_OWN_NAMESPACE,
	.exec = exec_status,
	.man = "agent",
};

static const struct knet_cmd knet_cmd_agent_remove = {
	.name = "agent remove",
	.group = "other",
	.summary = "delete what install made, and the ephemeral agents",
	.usage = "[-n NS] [--wait DURATION]",
	.max_args = 0,
	.options = agent_options,
	.flags = KNET_CMD_OWN_NAMESPACE,
	.exec = exec_remove,
	.man = "agent",
};

static const struct knet_cmd knet_cmd_agent_pod = {
	.name = "agent pod",
	.group = "other",
	.summary = "the agent pod of NODE, made (ephemeral) when none runs",
	.usage = "NODE [--image IMG] [-n NS] [--wait DURATION] "
		 "[--ttl DURATION]",
	.min_args = 1,
	.max_args = 1,
	.options = agent_options,
	.complete_args = "node",
	.flags = KNET_CMD_OWN_NAMESPACE,
	.exec = exec_pod,
	.man = "agent",
};

static const struct knet_cmd knet_cmd_agent_serve = {
	.name = "agent serve",
	.group = "other",
	.summary = "internal: the agent container's main process",
	.usage = "",
	.max_args = 0,
	.options = agent_options,
	.flags = KNET_CMD_OWN_NAMESPACE,
	.exec = exec_serve,
	.man = "agent",
};

static const struct knet_cmd *const agent_verbs[] = {
	&knet_cmd_agent_install, &knet_cmd_agent_status, &knet_cmd_agent_remove,
	&knet_cmd_agent_pod,	 &knet_cmd_agent_serve,	 NULL,
};

const struct knet_cmd knet_cmd_agent = {
	.name = "agent",
	.alias = NULL,
	.group = "other",
	.summary = "the agent pods knet runs on nodes through: install, "
		   "status, remove",
	.usage = "install [--image IMG] [-n NS] [--dry-run] | status | remove "
		 "[--wait DURATION] | pod NODE [--wait DURATION] [--ttl "
		 "DURATION] | "
		 "serve",
	.min_args = 1,
	.max_args = 2,
	.flags = KNET_CMD_OWN_NAMESPACE,
	.options = agent_options,
	.complete_args = NULL, /* the verbs, then theirs */
	.exec = exec_agent,
	.verbs = agent_verbs,
};
