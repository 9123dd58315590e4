/* SPDX-License-Identifier: MIT */
/* The node pipeline (see node-common.h): one path for every node command. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/capability.h>

#include "node-common.h"
#include "node-fanout.h"
#include "knet/api.h"
#include "knet/objects.h"

void knet_node_job_init(struct knet_node_job *job, struct knet_ctx *ctx,
			const struct knet_args *args)
{
	memset(job, 0, sizeof(*job));
	job->ctx = ctx;
	job->family = AF_UNSPEC;
	job->so.from = knet_args_str(args, "from", NULL);
	job->so.netns = knet_args_str(args, "netns", NULL);
	job->so.pid = knet_args_int(args, "pid", 0);
	job->so.node = ctx->g.node;
	job->run_as = knet_args_str(args, "run-as", NULL);
	job->args = args;
	job->fanout = knet_node_fanout_wanted(args);
	job->max_parallel = (int)knet_args_int(args, "max-parallel", 0);
	if (knet_args_has(args, "ipv6"))
		job->family = AF_INET6;
	else if (knet_args_has(args, "ipv4"))
		job->family = AF_INET;
}

void knet_node_job_clear(struct knet_node_job *job)
{
	knet_target_free(job->tg);
	job->tg = NULL;
	knet_source_free(job->src);
	job->src = NULL;
}

/* A callback's failure: its reason, never "unknown error". */
static int job_fail(struct knet_ctx *ctx, struct knet_node_job *job, int r,
		    const char *verb, const char *subject)
{
	if (!job->err.reason[0])
		knet_error_set(&job->err, r, KNET_EXIT_SYSTEM, "%s",
			       strerror(-r));
	return knet_fail(ctx, &job->err, verb, subject);
}

int knet_node_check(struct knet_node_job *job)
{
	if (!job->src || !job->src->has_ns)
		return 0;
	return knet_netns_check(&job->src->ns, &job->gone);
}

bool knet_node_remote_no_api(const struct knet_ctx *ctx)
{
	return knet_via_gives_no_api(ctx->g.via);
}

cJSON *knet_node_remote_json(const char *line)
{
	cJSON *o = cJSON_Parse(line);
	char *safe;

	if (o || !*line)
		return o;
	safe = knet_text_escape(line, false);
	fprintf(stderr, "%s\n", safe ? safe : "?");
	free(safe);
	return NULL;
}

/* Which API the job gets: needed for pods and objects, else optional. */
static int api_setup(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct knet_error err = {0};
	bool need = job->so.from != NULL || job->on_node != NULL;

	/* A remote run without one: the caller's facts stand in. */
	if (ctx->g.no_api)
		return 0;
	if (job->target) {
		struct knet_target *t = NULL;

		/* An IP from the node's own namespace needs no cluster. */
		if (knet_target_parse(job->target, knet_ctx_namespace(ctx), &t,
				      &err) < 0)
			return knet_fail(ctx, &err, job->verb, job->target);
		need |= t->kind != KNET_TARGET_IP;
		knet_target_free(t);
	}
	/* A command may have set it up already (diagnose: TO's meaning). */
	if (need)
		return ctx->api ? 0 : knet_ctx_api_setup(ctx);
	if (job->api_optional) {
		ctx->api = knet_node_api_optional(ctx->g.kubeconfig,
						  ctx->g.context,
						  ctx->g.request_timeout, &err);
		if (!ctx->api)
			knet_log(ctx, 1, "no cluster: %s", err.reason);
	}
	return 0;
}

struct remote_feed {
	struct knet_ctx *ctx;
	struct knet_node_job *job;
	const char *fail_verb; /* set when started() failed */
};

static int feed_line(const char *line, void *ud)
{
	struct remote_feed *f = ud;

	return f->job->remote_line(f->ctx, f->job, line);
}

/*
 * Pin the API credentials (tokens and keys may be root's files: read
 * them while we can), then drop privileges, keeping capability @keep
 * (-1: none); @ret_verb says which of the two failed.
 */
static int pin_and_drop(struct knet_ctx *ctx, const char *run_as, int keep,
			const char **ret_verb, struct knet_error *err)
{
	int r;

	*ret_verb = "read the credentials";
	if (ctx->api) {
		r = knet_api_pin_credentials(ctx->api, err);
		if (r < 0)
			return r;
	}
	*ret_verb = "drop privileges";
	return knet_privs_drop_keep(run_as, keep, err);
}

int knet_node_drop(struct knet_ctx *ctx, const char *run_as)
{
	struct knet_error err = {0};
	const char *verb;

	if (pin_and_drop(ctx, run_as, -1, &verb, &err) < 0)
		return knet_fail(ctx, &err, verb, NULL);
	return 0;
}

int knet_node_drop_keep_kill(struct knet_ctx *ctx, const char *run_as)
{
	struct knet_error err = {0};
	const char *verb;
	const char *user =
		geteuid() == 0 || knet_privs_have(CAP_SETUID) ? run_as : NULL;

	if (pin_and_drop(ctx, user, CAP_KILL, &verb, &err) < 0)
		return knet_fail(ctx, &err, verb, NULL);
	return 0;
}

/*
 * The transport runs (as root: ssh needs root's keys, ip netns exec
 * needs CAP_SYS_ADMIN): what it sends is another node's data, decoded
 * (cJSON) and drawn here, so this end drops its privileges as a local
 * run does, before the first line.  One capability stays: CAP_KILL, to
 * forward Ctrl-C to the transport's process group (and end it on a bad
 * line); without it a nobody cannot signal a root child.  A capability
 * free design (a root relay process taking signal numbers over a pipe)
 * would be one more process in every remote run for what CAP_KILL gives:
 * signals, no file, no socket, no uid.  no_new_privs is on.
 */
static int remote_started(void *ud, struct knet_error *err)
{
	struct remote_feed *f = ud;
	const char *verb;
	/* -Z is also the remote run's; an ordinary user here has no uid
	 * to change to, only capabilities to drop. */
	const char *user = geteuid() == 0 || knet_privs_have(CAP_SETUID)
				   ? f->job->run_as
				   : NULL;
	int r = pin_and_drop(f->ctx, user, CAP_KILL, &verb, err);

	if (r < 0)
		f->fail_verb = verb;
	return r;
}

static int run_remote_with(struct knet_ctx *ctx, struct knet_node_job *job,
			   const char *const *remote_args);

/*
 * The words a remote run without an API gets (see remote_facts): at
 * most the command's own, --no-api, and two facts of two words each.
 */
struct remote_words {
	const char *v[32];
	char *src, *target;
};

static void remote_words_clear(struct remote_words *w)
{
	free(w->src);
	free(w->target);
}

/*
 * The transport's other end has no API (the k8s agent holds no
 * credentials): resolve here what it would have asked, and hand it the
 * answers on its command line: the source pod's placement (it still
 * finds the namespace itself, by UID and IP) and the target.  Names of
 * addresses are not sent: the commands that show them name what the
 * remote run reports, here (see doc/design-notes.md).
 */
static int remote_facts(struct knet_ctx *ctx, struct knet_node_job *job,
			struct remote_words *w)
{
	struct knet_error err = {0};
	int n = 0, r;

	for (int i = 0; job->remote_args && job->remote_args[i]; i++)
		if (n < 26)
			w->v[n++] = job->remote_args[i];
	if (!knet_node_remote_no_api(ctx)) {
		w->v[n] = NULL;
		return 0;
	}
	w->v[n++] = "--no-api";
	if (job->src->place && job->src->place->pod) {
		if (knet_fact_pod_encode(job->src->place->pod, &w->src, &err) <
		    0)
			return knet_fail(ctx, &err, job->find_verb,
					 job->src->label);
		w->v[n++] = "--src-fact";
		w->v[n++] = w->src;
	}
	if (job->target) {
		r = knet_target_resolve(ctx->api, job->target,
					knet_ctx_namespace(ctx), job->family,
					&job->tg, &err);
		if (r == 0)
			r = knet_fact_target_encode(job->tg, &w->target, &err);
		if (r < 0)
			return knet_fail(ctx, &err, "resolve", job->target);
		w->v[n++] = "--target-fact";
		w->v[n++] = w->target;
	}
	w->v[n] = NULL;
	return 0;
}

static int run_remote(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct remote_words words = {0};
	int r = remote_facts(ctx, job, &words);

	if (r == 0)
		r = run_remote_with(ctx, job, words.v);
	remote_words_clear(&words);
	return r;
}

static int run_remote_with(struct knet_ctx *ctx, struct knet_node_job *job,
			   const char *const *remote_args)
{
	const char *node = job->src->remote_node;
	struct remote_feed f = {.ctx = ctx, .job = job};
	struct knet_error err = {0};
	int status = 0, r;

	knet_log(ctx, 1, "%s runs on node %s: going through '%s'",
		 job->src->label, node, ctx->g.via ? ctx->g.via : "");
	if (job->remote_begin) {
		r = job->remote_begin(ctx, job);
		if (r)
			return r < 0 ? job_fail(ctx, job, r, job->verb, node)
				     : r;
	}
	if (job->remote_banner && ctx->g.format != KNET_FMT_JSON)
		printf("%s %s from %s on node %s (through the node "
		       "transport)\n",
		       job->remote_banner, job->target, job->src->label, node);
	if (job->remote_tty) {
		/*
		 * exec: the remote run gets our terminal and we parse
		 * nothing it sends, only wait for its status: we stay as
		 * we are (root, the user's command is run as root).
		 */
		r = knet_via_rerun_extra(ctx->g.via, node, remote_args, NULL,
					 NULL, NULL, NULL, &status, &err);
	} else {
		job->stop = knet_catch_stop();
		r = knet_via_rerun_extra(ctx->g.via, node, remote_args,
					 feed_line, remote_started, &f,
					 job->stop, &status, &err);
	}
	if (r < 0 && f.fail_verb)
		return knet_fail(ctx, &err, f.fail_verb, NULL);
	/* remote_line ended the run on purpose (a screen's `q`). */
	if (r == -ECANCELED && !job->err.reason[0])
		return job->remote_end ? job->remote_end(ctx, job, 0) : 0;
	/* What a callback said beats the transport's generic reason. */
	if (r < 0 && job->err.reason[0])
		return knet_fail(ctx, &job->err, job->verb, node);
	if (r < 0)
		return knet_fail(ctx, &err, "reach node", node);
	/* knet_via_run killed it on a second Ctrl-C: no summary came. */
	if (!job->remote_tty && *job->stop && status == 128 + SIGKILL) {
		knet_error_set(&err, -EINTR, KNET_EXIT_SYSTEM,
			       "the remote run did not stop on Ctrl-C; ended "
			       "it on the second");
		return knet_fail(ctx, &err, job->verb, node);
	}
	return job->remote_end ? job->remote_end(ctx, job, status) : status;
}

/*
 * KNET_CMD_ROOT, checked once the work is known to be local: entering a
 * namespace needs CAP_SYS_ADMIN, said before anything else is done.
 * CAP_NET_RAW is named by the socket that needs it (ICMP may do with a
 * datagram socket).
 */
static int check_privileges(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct knet_error err = {0};

	if (!(ctx->cmd->flags & KNET_CMD_ROOT) || !job->src->has_ns ||
	    knet_privs_have(CAP_SYS_ADMIN))
		return 0;
	knet_error_set(&err, -EPERM, KNET_EXIT_SYSTEM,
		       "entering a network namespace needs CAP_SYS_ADMIN "
		       "(run knet as root)");
	return knet_fail(ctx, &err, "enter the network namespace of",
			 job->src->label);
}

static const char *subject(const struct knet_node_job *job)
{
	return job->tg ? job->tg->ip : job->src->label;
}

/* Enter, open, leave; then nothing privileged is left to do. */
static int open_and_drop(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct knet_netns_saved saved;
	struct knet_error err = {0};
	int r;

	if (job->open) {
		r = knet_source_enter(job->src, &saved, &err);
		if (r < 0)
			return knet_fail(ctx, &err,
					 "enter the network namespace of",
					 job->src->label);
		r = job->open(ctx, job);
		knet_netns_leave(&saved);
		if (r)
			return r < 0 ? job_fail(ctx, job, r, job->verb,
						subject(job))
				     : r;
	}
	if (job->keep_privileges)
		return 0;
	return knet_node_drop(ctx, job->run_as);
}

static int run_local(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct knet_error err = {0};
	int r;

	r = check_privileges(ctx, job);
	if (r)
		return r;
	if (job->target && ctx->g.target_fact)
		r = knet_fact_target_decode(ctx->g.target_fact, &job->tg, &err);
	else if (job->target)
		r = knet_target_resolve(ctx->api, job->target,
					knet_ctx_namespace(ctx), job->family,
					&job->tg, &err);
	if (r < 0)
		return knet_fail(ctx, &err, "resolve", job->target);
	if (job->prepare) {
		r = job->prepare(ctx, job);
		if (r)
			return r < 0 ? job_fail(ctx, job, r, job->verb,
						subject(job))
				     : r;
	}
	r = open_and_drop(ctx, job);
	if (r)
		return r;
	job->stop = knet_catch_stop();
	r = job->run(ctx, job);
	if (r < 0 && job->gone.code)
		return knet_fail(ctx, &job->gone, job->verb_from,
				 job->src->label);
	if (r < 0)
		return job_fail(ctx, job, r, job->verb, subject(job));
	if (job->summary)
		r = job->summary(ctx, job, r);
	/* Gone while we worked: what was shown may be half a story. */
	if (r == 0 && knet_node_check(job) < 0)
		return knet_fail(ctx, &job->gone, job->verb_from,
				 job->src->label);
	return r;
}

/* node/NAME: that node is known, and either this one or remote. */
static int on_node(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct knet_source *src = job->src;
	struct knet_node *n = NULL;
	struct knet_error err = {0};
	char *label;

	/* Without an API the caller found the node and said it is this
	 * one (--node): nothing to ask. */
	if (ctx->g.no_api && !ctx->g.node) {
		knet_error_set(&err, -EINVAL, KNET_EXIT_USAGE,
			       "without the API (--no-api) --node must name "
			       "this node");
		return knet_fail(ctx, &err, "find node", job->on_node);
	}
	if (!ctx->g.no_api &&
	    knet_node_get(ctx->api, job->on_node, &n, &err) < 0)
		return knet_fail(ctx, &err, "find node", job->on_node);
	knet_node_free(n);
	if (!src->self_node &&
	    knet_node_self(ctx->api, ctx->g.node, &src->self_node, &err) < 0)
		return knet_fail(ctx, &err, "tell which node this is", NULL);
	if (asprintf(&label, "node %s", job->on_node) < 0)
		return KNET_EXIT_SYSTEM;
	free(src->label);
	src->label = label;
	if (strcmp(src->self_node, job->on_node) &&
	    !(src->remote_node = strdup(job->on_node)))
		return KNET_EXIT_SYSTEM;
	return 0;
}

int knet_node_run(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct knet_error err = {0};
	int r;

	job->ctx = ctx;
	if (job->fanout)
		return knet_node_fanout(ctx, job);
	if (job->max_parallel)
		return knet_usage_error(ctx, "--max-parallel goes with "
					     "--all-nodes or --nodes");
	r = api_setup(ctx, job);
	if (r)
		return r;
	job->so.default_ns = knet_ctx_namespace(ctx);
	job->so.fact = ctx->g.src_fact;
	r = knet_source_resolve(ctx->api, &job->so, &job->src, &err);
	if (r < 0)
		return knet_fail(ctx, &err, job->find_verb,
				 job->so.from ? job->so.from : job->so.netns);
	if (job->on_node) {
		r = on_node(ctx, job);
		if (r)
			return r;
	}
	if (job->src->remote_node)
		return run_remote(ctx, job);
	knet_log(ctx, 1, "%s: %s (found by %s)", job->src->label,
		 job->src->has_ns ? job->src->ns.path : "this namespace",
		 job->src->has_ns ? job->src->ns.how : "default");
	return run_local(ctx, job);
}
