/* SPDX-License-Identifier: MIT */
/* Many capture targets merged in time order (see capture-targets.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/capability.h>

#include "capture-targets.h"
#include "knet/api.h"
#include "knet/node.h"
#include "knet/objects.h"
#include "node-common.h"

/* Words that begin or join a pcap filter (pcap-filter(7)). */
static const char *const filter_words[] = {
	"host",	     "net",	  "port",    "portrange", "src",     "dst",
	"ether",     "ip",	  "ip6",     "arp",	  "rarp",    "tcp",
	"udp",	     "icmp",	  "icmp6",   "sctp",	  "vlan",    "mpls",
	"not",	     "and",	  "or",	     "less",	  "greater", "proto",
	"broadcast", "multicast", "inbound", "outbound",  "gateway", "len",
	"geneve",    "pppoed",	  "pppoes",  "igmp",	  "ah",	     "esp",
	"link",	     "ifname",	  "decnet",  "iso",	  "stp",     "llc",
	NULL,
};

static bool filter_word(const char *w)
{
	if (strchr("(!&|[<>=", w[0]) || strchr(w, '['))
		return true;
	for (int i = 0; filter_words[i]; i++)
		if (!strcmp(w, filter_words[i]))
			return true;
	return false;
}

int capture_targets_count(const struct knet_args *args)
{
	int n = 0;

	/* "TARGET... -- FILTER": the user said where the filter starts. */
	if (args->dashdash >= 0)
		return args->dashdash;
	for (; n < args->npos; n++) {
		const char *w = args->pos[n];

		if (n > 0 && filter_word(w))
			break;
		if (n > 0 && !strchr(w, '/') &&
		    strspn(w, "abcdefghijklmnopqrstuvwxyz0123456789-.") !=
			    strlen(w))
			break;
	}
	return n;
}

/* A new zeroed target at the end, or NULL. */
static struct capture_target *append(struct capture_targets *t)
{
	struct capture_target *n = realloc(t->v, (t->n + 1) * sizeof(*n));

	if (!n)
		return NULL;
	t->v = n;
	memset(&n[t->n], 0, sizeof(*n));
	return &n[t->n];
}

static int add_pod(struct capture_targets *t, const char *ns, const char *name)
{
	struct capture_target *n;

	for (int i = 0; i < t->n; i++)
		if (t->v[i].name && !strcmp(t->v[i].ns, ns) &&
		    !strcmp(t->v[i].name, name))
			return 0;
	if (!(n = append(t)))
		return -ENOMEM;
	n->ns = strdup(ns);
	n->name = strdup(name);
	if (!n->ns || !n->name) {
		free(n->ns);
		free(n->name);
		return -ENOMEM;
	}
	t->n++;
	return 0;
}

static int add_node(struct capture_targets *t, const char *node)
{
	struct capture_target *n;

	for (int i = 0; i < t->n; i++)
		if (t->v[i].node && !strcmp(t->v[i].node, node))
			return 0;
	if (!(n = append(t)) || !(n->node = strdup(node)))
		return -ENOMEM;
	t->n++;
	return 0;
}

void capture_targets_clear(struct capture_targets *t)
{
	for (int i = 0; i < t->n; i++) {
		free(t->v[i].ns);
		free(t->v[i].name);
		free(t->v[i].node);
	}
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

int capture_targets_add_fanout(struct knet_ctx *ctx,
			       const struct knet_args *args, bool stream,
			       struct capture_targets *t)
{
	char **names = NULL;
	int n = 0, r;

	if (!knet_node_fanout_wanted(args))
		return 0;
	t->fanout = true;
	if (stream)
		return !ctx->g.node ? knet_usage_error(ctx, "--stream with "
							    "--all-nodes needs "
							    "--node NAME")
		       : add_node(t, ctx->g.node) < 0 ? KNET_EXIT_SYSTEM
						      : 0;
	r = knet_node_fanout_select(ctx, args, &names, &n, NULL);
	for (int i = 0; r == 0 && i < n; i++)
		if (add_node(t, names[i]) < 0)
			r = KNET_EXIT_SYSTEM;
	knet_addrs_free(names, n);
	return r;
}

int capture_targets_collect(struct knet_ctx *ctx, const struct knet_args *args,
			    int n, bool stream, struct capture_targets *ret)
{
	bool own_node =
		ctx->g.no_api && stream && knet_node_fanout_wanted(args) && !n;
	int r = own_node ? 0 : knet_ctx_api_setup(ctx);

	if (r == 0)
		r = capture_targets_resolve(ctx, args->pos, n, ret);
	if (r == 0)
		r = capture_targets_add_fanout(ctx, args, stream, ret);
	return r;
}

/* Pods that can be captured: running, with an address of their own. */
static bool capturable(const struct knet_pod *p)
{
	return p->node && p->ips.n > 0 && !p->host_network &&
	       (!p->phase || !strcmp(p->phase, "Running"));
}

static int add_selector(struct knet_ctx *ctx, struct capture_targets *t)
{
	const char *ns = knet_ctx_namespace(ctx);
	struct knet_list_opts lo = {.label_selector = ctx->g.selector};
	struct knet_pod_list *l = NULL;
	struct knet_error err = {0};
	int before = t->n, r = 0;

	if (knet_pod_list(ctx->api, ctx->g.all_namespaces ? NULL : ns, &lo, &l,
			  &err) < 0)
		return knet_fail(ctx, &err, "list pods matching",
				 ctx->g.selector);
	for (int i = 0; r == 0 && i < l->n; i++)
		if (capturable(l->items[i]))
			r = add_pod(t, l->items[i]->meta.namespace,
				    l->items[i]->meta.name);
	knet_pod_list_free(l);
	if (r < 0)
		return KNET_EXIT_SYSTEM;
	if (t->n > before)
		return 0;
	knet_error_set(&err, -ENOENT, KNET_EXIT_NOT_FOUND,
		       "no running pod matches in namespace %s",
		       ctx->g.all_namespaces ? "(all)" : ns);
	return knet_fail(ctx, &err, "find pods matching", ctx->g.selector);
}

/* svc/NAME: the pods behind its ready endpoints. */
static int add_service(struct knet_ctx *ctx, struct capture_targets *t,
		       const struct knet_target *tg, const char *word)
{
	struct knet_endpoints_list *l = NULL;
	const struct knet_service_endpoints *se;
	struct knet_service *svc = NULL;
	struct knet_error err = {0};
	int before = t->n, r = 0;

	if (knet_service_get(ctx->api, tg->ns, tg->name, &svc, &err) < 0)
		return knet_fail(ctx, &err, "find service", word);
	knet_service_free(svc);
	if (knet_endpoints_list(ctx->api, tg->ns, tg->name, NULL, &l, &err) < 0)
		return knet_fail(ctx, &err, "list the endpoints of", word);
	se = knet_endpoints_list_find(l, tg->ns, tg->name);
	for (int i = 0; r == 0 && se && i < se->n; i++)
		if (se->eps[i].ready && se->eps[i].pod_name)
			r = add_pod(t,
				    se->eps[i].pod_ns ? se->eps[i].pod_ns
						      : tg->ns,
				    se->eps[i].pod_name);
	knet_endpoints_list_free(l);
	if (r < 0)
		return KNET_EXIT_SYSTEM;
	if (t->n > before)
		return 0;
	knet_error_set(&err, -ENOENT, KNET_EXIT_NOT_FOUND,
		       "it has no ready endpoint backed by a pod");
	return knet_fail(ctx, &err, "find the backends of", word);
}

int capture_targets_resolve(struct knet_ctx *ctx, const char *const *words,
			    int n, struct capture_targets *ret)
{
	struct knet_error err = {0};
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	for (int i = 0; r == 0 && i < n; i++) {
		struct knet_target *tg = NULL;

		if (knet_target_parse(words[i], knet_ctx_namespace(ctx), &tg,
				      &err) < 0) {
			r = knet_fail(ctx, &err, "capture", words[i]);
			break;
		}
		switch (tg->kind) {
		case KNET_TARGET_POD:
			r = add_pod(ret, tg->ns, tg->name) < 0
				    ? KNET_EXIT_SYSTEM
				    : 0;
			break;
		case KNET_TARGET_SERVICE:
			r = add_service(ctx, ret, tg, words[i]);
			break;
		case KNET_TARGET_NODE:
			r = add_node(ret, tg->name) < 0 ? KNET_EXIT_SYSTEM : 0;
			break;
		default:
			r = knet_usage_error(ctx,
					     "capture a pod, svc/NAME or "
					     "node/NAME, not an address ('%s')",
					     words[i]);
		}
		knet_target_free(tg);
	}
	if (r == 0 && ctx->g.selector)
		r = add_selector(ctx, ret);
	if (r)
		capture_targets_clear(ret);
	return r;
}

/* --- the run --- */

struct remote {
	struct knet_ctx *ctx;
	struct capture_run *run;
	char *node;
	struct knet_via_child *child;
	struct capture_feed feed;
	struct knet_error err;
};

struct many {
	struct knet_ctx *ctx;
	struct capture_run *run;
	struct knet_source **src; /* per target, NULL when elsewhere */
	int nsrc;
	struct remote *remotes;
	int nremote;
	char *self; /* this node */
};

static int remote_line(const char *line, void *ud)
{
	struct remote *rm = ud;
	cJSON *o = knet_node_remote_json(line);
	int r;

	if (!o)
		return 0;
	r = capture_run_remote_json(rm->ctx, rm->run, &rm->feed, o, &rm->err);
	cJSON_Delete(o);
	return r;
}

/* The session polls the remote run's pipe: read what it sent. */
static int remote_readable(void *ud)
{
	struct remote *rm = ud;
	int r = knet_via_child_read(rm->child, remote_line, rm);

	if (r == 0)
		return 0;
	for (int i = 0; i < CAPTURE_FEED_MAX; i++)
		if (rm->feed.map[i] >= 0)
			knet_capture_session_end(rm->run->sess,
						 rm->feed.map[i]);
	return r;
}

static void stop_remotes(void *ud, int sig)
{
	struct many *m = ud;

	for (int i = 0; i < m->nremote; i++)
		if (m->remotes[i].child)
			knet_via_child_signal(m->remotes[i].child, sig);
}

static struct remote *remote_for(struct many *m, const char *node)
{
	struct remote *n;

	for (int i = 0; i < m->nremote; i++)
		if (!strcmp(m->remotes[i].node, node))
			return &m->remotes[i];
	n = realloc(m->remotes, (m->nremote + 1) * sizeof(*n));
	if (!n)
		return NULL;
	m->remotes = n;
	n = &m->remotes[m->nremote];
	memset(n, 0, sizeof(*n));
	if (!(n->node = strdup(node)))
		return NULL;
	n->ctx = m->ctx;
	n->run = m->run;
	m->nremote++;
	return n;
}

/* Where each target is: a source here, or a node to go through. */
static int locate(struct many *m, const struct capture_targets *t)
{
	struct knet_ctx *ctx = m->ctx;
	struct knet_error err = {0};

	m->src = calloc((size_t)t->n, sizeof(*m->src));
	if (!m->src)
		return KNET_EXIT_SYSTEM;
	m->nsrc = t->n;
	/* A fan-out from a host that is no node: every node is remote. */
	if (knet_node_self(ctx->api, ctx->g.node, &m->self, &err) < 0) {
		if (!t->fanout)
			return knet_fail(ctx, &err, "tell which node this is",
					 NULL);
		knet_log(ctx, 1, "this host is no node (%s)", err.reason);
	}
	for (int i = 0; i < t->n; i++) {
		struct knet_source_opts so = {.node = ctx->g.node,
					      .default_ns =
						      knet_ctx_namespace(ctx)};
		const char *elsewhere = NULL;
		char *from = NULL;

		if (t->v[i].node) {
			struct knet_node *n = NULL;

			/* Without an API (a fan-out member) the node is
			 * the one --node names: there is none to ask. */
			if (ctx->api &&
			    knet_node_get(ctx->api, t->v[i].node, &n, &err) < 0)
				return knet_fail(ctx, &err, "find node",
						 t->v[i].node);
			knet_node_free(n);
			if (!m->self || strcmp(t->v[i].node, m->self))
				elsewhere = t->v[i].node;
		} else if (asprintf(&from, "%s/%s", t->v[i].ns, t->v[i].name) <
			   0) {
			return KNET_EXIT_SYSTEM;
		}
		so.from = from;
		if (!elsewhere &&
		    knet_source_resolve(ctx->api, &so, &m->src[i], &err) < 0) {
			int r = knet_fail(ctx, &err, "find pod", from);

			free(from);
			return r;
		}
		free(from);
		if (!elsewhere && t->v[i].node) {
			free(m->src[i]->label);
			if (asprintf(&m->src[i]->label, "node %s",
				     t->v[i].node) < 0)
				m->src[i]->label = NULL;
		}
		if (!elsewhere && m->src[i]->remote_node)
			elsewhere = m->src[i]->remote_node;
		if (!elsewhere)
			continue;
		/* The remote run captures what is on its node itself. */
		if (!m->run->remote_stream && !remote_for(m, elsewhere))
			return KNET_EXIT_SYSTEM;
		knet_source_free(m->src[i]);
		m->src[i] = NULL;
	}
	return 0;
}

/* Still privileged: every remote run (the transport is root). */
static int spawn_remotes(struct many *m, const struct capture_targets *t)
{
	/*
	 * A fan-out's options are not passed on (a member must not fan out
	 * again): --all-nodes is, after them, and means its own node there.
	 */
	static const char *const extra[] = {"--stream", NULL};
	static const char *const extra_fanout[] = {"--stream", "--all-nodes",
						   NULL};
	/* A whole node needs no API there: only its name (--node). */
	static const char *const extra_fanout_no_api[] = {
		"--stream", "--all-nodes", "--no-api", NULL};
	struct knet_ctx *ctx = m->ctx;
	bool no_api = knet_node_remote_no_api(ctx);

	/*
	 * Each remote run finds its node's targets among all of them
	 * through the API (names, -l, Services): one without an API
	 * cannot, but for whole nodes (the fan-out).  Said here, once,
	 * before anything starts there.
	 */
	if (m->nremote && no_api && !t->fanout) {
		fprintf(stderr,
			"knet: cannot reach the targets on node %s through "
			"this transport: its remote run has no cluster API to "
			"find them; give one pod per run\n",
			m->remotes[0].node);
		return KNET_EXIT_USAGE;
	}
	for (int i = 0; i < m->nremote; i++) {
		struct remote *rm = &m->remotes[i];
		char **argv = NULL;
		int r;

		knet_log(ctx, 1, "capturing on node %s through '%s'", rm->node,
			 ctx->g.via ? ctx->g.via : "");
		r = knet_via_rerun_command(ctx->g.via, rm->node,
					   !t->fanout ? extra
					   : no_api   ? extra_fanout_no_api
						      : extra_fanout,
					   &argv, &rm->err);
		if (r == 0)
			r = knet_via_spawn(argv, &rm->child, &rm->err);
		for (int k = 0; argv && argv[k]; k++)
			free(argv[k]);
		free(argv);
		if (r < 0)
			return knet_fail(ctx, &rm->err, "reach node", rm->node);
		capture_feed_init(&rm->feed, rm->node, m->run->sess);
		if (knet_capture_session_add_fd(
			    m->run->sess, knet_via_child_fd(rm->child),
			    remote_readable, rm, &rm->err) < 0)
			return KNET_EXIT_SYSTEM;
	}
	return 0;
}

/* In each local target's namespace: its handle. */
static int open_local(struct many *m, const struct capture_targets *t)
{
	struct knet_ctx *ctx = m->ctx;
	struct capture_run *run = m->run;

	for (int i = 0; i < m->nsrc; i++) {
		struct knet_source *src = m->src[i];
		struct knet_capture_opts co = run->copts;
		struct knet_netns_saved saved;
		struct knet_capture *c = NULL;
		struct knet_error err = {0};
		char *name = NULL, *desc = NULL;
		int r, id;

		if (!src)
			continue;
		if (src->has_ns && !knet_privs_have(CAP_SYS_ADMIN)) {
			knet_error_set(&err, -EPERM, KNET_EXIT_SYSTEM,
				       "entering a network namespace needs "
				       "CAP_SYS_ADMIN (run knet as root)");
			return knet_fail(ctx, &err,
					 "enter the network namespace of",
					 src->label);
		}
		/* A node's own traffic is on all of its interfaces. */
		if (t->v[i].node && !co.iface)
			co.iface = "any";
		r = knet_source_enter(src, &saved, &err);
		if (r < 0)
			return knet_fail(ctx, &err,
					 "enter the network namespace of",
					 src->label);
		r = knet_capture_open(&co, &c, &err);
		knet_netns_leave(&saved);
		if (r < 0)
			return knet_fail(ctx, &err, "capture in", src->label);
		capture_run_describe(&co, src, &name, &desc);
		id = knet_capture_session_add_handle(run->sess, c, name, desc,
						     &err);
		if (id >= 0 &&
		    capture_run_add_iface(run, name, desc,
					  knet_capture_linktype(c),
					  knet_capture_snaplen(c)) != id)
			id = -ENOMEM;
		free(name);
		free(desc);
		if (id < 0)
			return KNET_EXIT_SYSTEM;
	}
	return 0;
}

/* Every remote run reaped; the first failing status is ours. */
static int reap(struct many *m)
{
	int status = 0;

	for (int i = 0; i < m->nremote; i++) {
		struct remote *rm = &m->remotes[i];
		struct knet_error err = {0};
		int st = 0;

		if (!rm->child)
			continue;
		if (knet_via_child_wait(rm->child, &st, &err) < 0 && !status)
			status = knet_fail(m->ctx, &err, "capture on node",
					   rm->node);
		rm->child = NULL;
		if (st && !status)
			status = st == 127 ? KNET_EXIT_SYSTEM : st;
	}
	return status;
}

static void many_clear(struct many *m)
{
	for (int i = 0; i < m->nsrc; i++)
		knet_source_free(m->src[i]);
	free(m->src);
	(void)reap(m);
	for (int i = 0; i < m->nremote; i++)
		free(m->remotes[i].node);
	free(m->remotes);
	free(m->self);
}

int capture_targets_run(struct knet_ctx *ctx, struct capture_run *run,
			const struct capture_targets *t)
{
	/* On the heap: the run keeps a pointer to it for its stop. */
	struct many *m = calloc(1, sizeof(*m));
	const char *run_as = knet_args_str(run->args, "run-as", NULL);
	struct knet_error err = {0};
	int r, status;

	if (!m || knet_capture_session_new(&run->sess, &err) < 0) {
		free(m);
		return KNET_EXIT_SYSTEM;
	}
	m->ctx = ctx;
	m->run = run;
	run->label_lines = true;
	run->on_stop = stop_remotes;
	run->on_stop_data = m;
	r = locate(m, t);
	if (r == 0)
		r = spawn_remotes(m, t);
	if (r == 0)
		r = open_local(m, t);
	/* A remote stream is late by its own window and the transport. */
	if (r == 0 && m->nremote)
		knet_capture_session_set_window(run->sess,
						4 * KNET_CAPTURE_WINDOW_MS);
	if (r == 0)
		r = m->nremote ? knet_node_drop_keep_kill(ctx, run_as)
			       : knet_node_drop(ctx, run_as);
	if (r == 0) {
		r = capture_run_loop(ctx, run, knet_catch_stop(), &err);
		if (r < 0)
			r = knet_fail(ctx, &err, "capture", NULL);
		status = reap(m);
		if (r == 0)
			r = capture_run_summary(ctx, run, status);
	}
	run->on_stop = NULL;
	run->on_stop_data = NULL;
	many_clear(m);
	free(m);
	return r;
}
