/* SPDX-License-Identifier: MIT */
/*
 * The node pipeline's fan-out (--all-nodes, --nodes SELECTOR): the same
 * command on every selected node at once, merged by the command's own
 * remote callbacks, as one remote run is (see node-common.h).
 *
 * Every node is a child: the others through the node transport, this
 * one (--node, or found by its InternalIP) as knet itself without a
 * transport, so that its answer is JSON like every other node's and
 * one path merges them all.  At most --max-parallel run at once.  While
 * they run this process is still root (the transport needs it, and a
 * member started later needs it too), so their output is only kept,
 * never parsed; once the last has ended it drops every privilege, like
 * a local run, and only then feeds each node's lines, in the order of
 * the node names, to the command.  A node that fails is one line on
 * stderr naming it and its reason, and a remote_failed() call (the
 * JSON "errors"); the other nodes' results stay.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "k8s-remote.h"
#include "node-fanout.h"
#include "knet/agent.h"
#include "knet/api.h"
#include "knet/objects.h"

/* What a node's stderr may hold that is kept to name it in. */
#define ERR_MAX (64 * 1024)
/* A member's reason: an error's words, with the node's and a verb. */
#define REASON_MAX (KNET_ERROR_MAX + 384)

struct member {
	char *node;
	bool local; /* this node: no transport */
	/* Through k8s: a pods/exec stream of this process, not a child. */
	bool k8s;
	struct knet_agent_ref agent;
	struct knet_exec *x;
	bool opening; /* x's upgrade sent, its answer not read yet */
	struct knet_via_child *child;
	int errfd; /* its stderr, a memfd */
	char *out; /* its stdout, lines */
	size_t len, cap;
	char *errtext; /* its stderr, read at its end */
	bool started, done, failed;
	int status;
	char reason[REASON_MAX];
};

struct fanout {
	struct member *m;
	int n;
};

bool knet_node_fanout_wanted(const struct knet_args *args)
{
	return knet_args_has(args, "all-nodes") || knet_args_has(args, "nodes");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Which of @l this host is: --node, else the one whose InternalIP is on
 * our interfaces (knet_node_self's rule, without listing nodes again).
 */
static char *self_of(const struct knet_ctx *ctx, const struct knet_node_list *l)
{
	struct knet_error err = {0};

	if (ctx->g.node)
		return strdup(ctx->g.node);
	for (int i = 0; i < l->n; i++)
		for (int j = 0; j < l->items[i]->internal_ips.n; j++) {
			bool local = false;

			if (knet_node_ip_is_local(
				    l->items[i]->internal_ips.v[j], &local,
				    &err) == 0 &&
			    local)
				return strdup(l->items[i]->meta.name);
		}
	return NULL;
}

int knet_node_fanout_select(struct knet_ctx *ctx, const struct knet_args *args,
			    char ***ret_names, int *ret_n, char **ret_self)
{
	const char *sel = knet_args_str(args, "nodes", NULL);
	struct knet_list_opts lo = {.label_selector = sel, .model = true};
	struct knet_node_list *l = NULL;
	struct knet_error err = {0};
	char **names;
	int r;

	if (knet_args_has(args, "all-nodes") && sel)
		return knet_usage_error(ctx, "give --all-nodes or --nodes, "
					     "not both");
	if (sel && knet_selector_text_check(sel, &err) < 0)
		return knet_usage_error(ctx, "--nodes: %s", err.reason);
	if (!ctx->api) {
		r = knet_ctx_api_setup(ctx);
		if (r)
			return r;
	}
	if (knet_node_list(ctx->api, &lo, &l, &err) < 0)
		return knet_fail(ctx, &err, "list nodes", sel);
	if (l->n == 0) {
		knet_node_list_free(l);
		knet_error_set(&err, -ENOENT, KNET_EXIT_NOT_FOUND,
			       "no node matches");
		return knet_fail(ctx, &err, "find nodes", sel ? sel : "(all)");
	}
	names = calloc((size_t)l->n + 1, sizeof(*names));
	for (int i = 0; names && i < l->n; i++)
		if (!(names[i] = strdup(l->items[i]->meta.name))) {
			knet_addrs_free(names, i);
			names = NULL;
		}
	*ret_n = l->n;
	if (names && ret_self)
		*ret_self = self_of(ctx, l);
	knet_node_list_free(l);
	if (!names)
		return KNET_EXIT_SYSTEM;
	qsort(names, (size_t)*ret_n, sizeof(*names), cmp_str);
	*ret_names = names;
	return 0;
}

/* --- running the members --- */

/* Root still: what it says is kept, not parsed (see the top). */
static int keep_bytes(struct member *m, const char *buf, size_t l)
{
	if (m->len + l + 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 4096;
		char *nb;

		while (cap < m->len + l + 2)
			cap *= 2;
		nb = realloc(m->out, cap);
		if (!nb)
			return -ENOMEM;
		m->out = nb;
		m->cap = cap;
	}
	memcpy(m->out + m->len, buf, l);
	m->len += l;
	m->out[m->len] = '\0';
	return 0;
}

static int keep_line(const char *line, void *ud)
{
	struct member *m = ud;

	return keep_bytes(m, line, strlen(line)) < 0 ? -ENOMEM
						     : keep_bytes(m, "\n", 1);
}

/* A stream's channels: stdout kept, stderr to the memfd. */
static int exec_sink(int channel, const void *buf, size_t len, void *ud)
{
	struct member *m = ud;

	if (channel == 1)
		return keep_bytes(m, buf, len);
	return channel == 2 ? knet_write_all(m->errfd, buf, len) : 0;
}

static void fail_member(struct member *m, const char *reason)
{
	m->failed = true;
	m->done = true;
	snprintf(m->reason, sizeof(m->reason), "%s", reason);
}

/* An exec stream that did not open: the error __k8s-exec would say. */
static void open_failed(struct member *m, int r, struct knet_error *err)
{
	char why[KNET_ERROR_MAX];

	if (r == -EINTR) {
		knet_error_set(err, r, KNET_EXIT_SYSTEM, "not run: stopped");
		return;
	}
	snprintf(why, sizeof(why), "%s", err->reason);
	m->status = err->exit ? (int)err->exit : KNET_EXIT_SYSTEM;
	knet_error_set(err, r, err->exit, "cannot run knet on node '%s': %s",
		       m->node, why);
}

/*
 * The k8s transport's line [SELF, __k8s-exec, NODE, --, SELF, ARGS...]
 * run here as __k8s-exec runs it: a pods/exec stream in the node's
 * agent pod, on this process's API client (its connection, its TLS
 * session: no process, kubeconfig, agent list or full handshake per
 * node).
 */
static int open_exec(struct knet_ctx *ctx, struct knet_node_job *job,
		     struct member *m, char **argv, struct knet_error *err)
{
	char *rv[64];
	int n = 0, dd = 0, r;

	while (argv[dd] && strcmp(argv[dd], "--"))
		dd++;
	for (int i = dd + 1; argv[dd] && argv[i] && n < 63; i++)
		rv[n++] = argv[i];
	rv[n] = NULL;
	if (!n || n == 63)
		return knet_error_set(err, -E2BIG, KNET_EXIT_SYSTEM,
				      "cannot make the remote command line");
	knet_k8s_remote_argv(rv, &n);
	knet_log(ctx, 1, "node %s: agent pod %s/%s", m->node, m->agent.ns,
		 m->agent.pod);
	{
		struct knet_exec_opts o = {
			.ns = m->agent.ns,
			.pod = m->agent.pod,
			.container = m->agent.container[0] ? m->agent.container
							   : NULL,
			.argv = rv,
			.stdin = true, /* the stop channel (--stop-on-stdin) */
		};

		/*
		 * Ctrl-C while connecting ends that one (stop_all the rest).
		 * Only the upgrade is sent here: the answer is read when
		 * it comes (open_done), so the nodes' waits overlap.
		 */
		knet_api_set_stop(ctx->api, job->stop);
		r = knet_exec_open_begin(ctx->api, &o, &m->x, err);
		knet_api_set_stop(ctx->api, NULL);
	}
	if (r == 0)
		m->opening = true;
	else
		open_failed(m, r, err);
	return r;
}

static void start(struct knet_ctx *ctx, struct knet_node_job *job,
		  struct member *m)
{
	struct knet_error err = {0};
	char **argv = NULL;
	int r;

	/* Its agent pod could not be had: failed already. */
	if (m->done)
		return;
	m->started = true;
	knet_log(ctx, 1, "node %s: %s", m->node,
		 m->local ? "this node, no transport" : ctx->g.via);
	const char *extra[34];
	int n = 0;

	/*
	 * A transport whose other end has no API (k8s): the rows come
	 * back unnamed, and each command names them here.  A command
	 * that names them here anyway (fanout_names) runs every node
	 * without one: one pod list here instead of a connection, a node
	 * list and a pod list on each node.
	 */
	for (int i = 0; job->remote_args && job->remote_args[i] && n < 32; i++)
		extra[n++] = job->remote_args[i];
	if (job->fanout_names || (!m->local && knet_node_remote_no_api(ctx)))
		extra[n++] = "--no-api";
	extra[n] = NULL;
	r = m->local ? knet_via_self_command(m->node, extra, &argv, &err)
		     : knet_via_rerun_command(ctx->g.via, m->node, extra, &argv,
					      &err);
	m->errfd = memfd_create("knet-fanout-stderr", MFD_CLOEXEC);
	if (r == 0 && m->errfd < 0)
		r = knet_error_set(&err, -errno, KNET_EXIT_SYSTEM,
				   "memfd_create: %s", strerror(errno));
	if (r == 0 && m->k8s)
		r = open_exec(ctx, job, m, argv, &err);
	else if (r == 0)
		r = knet_via_spawn_err(argv, m->errfd, &m->child, &err);
	for (int i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
	if (r < 0)
		fail_member(m, err.reason);
}

/* Its stderr, whole (up to ERR_MAX): to relay with its name. */
static void read_stderr(struct member *m)
{
	ssize_t got;
	size_t len = 0;

	if (m->errfd < 0 || !(m->errtext = malloc(ERR_MAX + 1)))
		return;
	if (lseek(m->errfd, 0, SEEK_SET) == 0)
		while (len < ERR_MAX && (got = read(m->errfd, m->errtext + len,
						    ERR_MAX - len)) > 0)
			len += (size_t)got;
	m->errtext[len] = '\0';
}

/* Whether it answered: 0, or 1 with an answer (a check that found). */
static void finish(struct knet_ctx *ctx, struct member *m)
{
	struct knet_error err = {0};
	int r = knet_via_child_wait(m->child, &m->status, &err);
	char why[512];

	m->child = NULL;
	m->done = true;
	read_stderr(m);
	if (r < 0)
		fail_member(m, err.reason);
	else if (knet_fanout_failed(m->status, m->len > 0, m->errtext,
				    m->local ? "knet" : ctx->g.via, why,
				    sizeof(why)))
		fail_member(m, why);
}

/* A stream ended (@r 1) or broke (@r < 0): as __k8s-exec exits. */
static void finish_exec(struct knet_ctx *ctx, struct member *m, int r,
			struct knet_error *err)
{
	char why[REASON_MAX];

	m->done = true;
	read_stderr(m);
	if (r < 0) {
		m->status = KNET_EXIT_SYSTEM;
		if (r == -ECONNRESET)
			snprintf(why, sizeof(why),
				 "cannot run knet on node '%s': the exec "
				 "stream to node %s dropped",
				 m->node, m->node);
		else
			snprintf(why, sizeof(why),
				 "cannot run knet on node '%s': %s", m->node,
				 err->reason);
		fail_member(m, why);
	} else {
		if (knet_exec_status(m->x, &m->status) < 0)
			m->status = KNET_EXIT_SYSTEM;
		/* feed() reads whole lines */
		if (m->len && m->out[m->len - 1] != '\n' &&
		    keep_bytes(m, "\n", 1) < 0)
			fail_member(m, "out of memory");
		else if (knet_fanout_failed(m->status, m->len > 0, m->errtext,
					    ctx->g.via, why, sizeof(why)))
			fail_member(m, why);
	}
	knet_exec_free(m->x);
	m->x = NULL;
}

/* What a stream has: 0 more to come, else it has ended. */
static int pump(struct knet_ctx *ctx, struct member *m)
{
	struct knet_error err = {0};
	int r = knet_exec_pump(m->x, exec_sink, m, &err);

	if (r != 0)
		finish_exec(ctx, m, r, &err);
	return r;
}

/* The answer to a stream's upgrade came (or its socket closed). */
static void open_done(struct knet_ctx *ctx, struct knet_node_job *job,
		      struct member *m)
{
	struct knet_error err = {0};
	int r;

	knet_api_set_stop(ctx->api, job->stop);
	r = knet_exec_open_end(m->x, &err);
	knet_api_set_stop(ctx->api, NULL);
	m->opening = false;
	if (r == 0)
		return;
	open_failed(m, r, &err);
	knet_exec_free(m->x);
	m->x = NULL;
	fail_member(m, err.reason);
}

static int running(const struct fanout *f)
{
	int n = 0;

	for (int i = 0; i < f->n; i++)
		n += f->m[i].started && !f->m[i].done;
	return n;
}

/* Ctrl-C: the running ones stop (and answer); no other starts. */
static void stop_all(struct fanout *f, int sig)
{
	for (int i = 0; i < f->n; i++) {
		struct member *m = &f->m[i];

		if (!m->started)
			fail_member(m, "not run: stopped");
		else if (!m->done && m->opening) {
			/* no 101 yet: closing it ends the remote run */
			knet_exec_free(m->x);
			m->x = NULL;
			m->opening = false;
			fail_member(m, "not run: stopped");
		} else if (!m->done && m->child)
			knet_via_child_signal(m->child, sig);
		else if (!m->done && m->x) /* its --stop-on-stdin */
			(void)knet_exec_write(m->x, 0, "\x03", 1, NULL);
	}
}

static int run_members(struct knet_ctx *ctx, struct knet_node_job *job,
		       struct fanout *f, int max)
{
	struct pollfd *p = calloc((size_t)f->n, sizeof(*p));
	int *idx = calloc((size_t)f->n, sizeof(*idx));
	int next = 0, sig = 0;
	bool stopped = false;

	if (!p || !idx) {
		free(p);
		free(idx);
		return -ENOMEM;
	}
	job->stop = knet_catch_stop();
	for (;;) {
		bool ready;
		int np = 0, k;

		if (*job->stop && !stopped) {
			stopped = true;
			sig = (int)*job->stop;
			stop_all(f, sig);
			*job->stop = 0; /* taken: a second one sets it again */
		} else if (*job->stop) {
			/* A second Ctrl-C: whatever still runs is ended. */
			for (int i = 0; i < f->n; i++)
				if (f->m[i].started && !f->m[i].done &&
				    f->m[i].child)
					knet_via_child_kill(f->m[i].child);
				else if (f->m[i].started && !f->m[i].done)
					/* a second byte: it exits at once */
					(void)knet_exec_write(f->m[i].x, 0,
							      "\x03", 1, NULL);
			*job->stop = 0;
		}
		while (!stopped && next < f->n && running(f) < max)
			start(ctx, job, &f->m[next++]);
		ready = false;
		for (int i = 0; i < f->n; i++) {
			if (!f->m[i].started || f->m[i].done)
				continue;
			p[np].fd = f->m[i].x ? knet_exec_fd(f->m[i].x)
					     : knet_via_child_fd(f->m[i].child);
			p[np].events = POLLIN;
			/* bytes a stream has read that poll would not show */
			ready |= f->m[i].x && knet_exec_ready(f->m[i].x);
			idx[np++] = i;
		}
		if (np == 0 && (stopped || next == f->n))
			break;
		if (np == 0)
			continue;
		/* Short: a Ctrl-C is seen soon. */
		k = poll(p, (nfds_t)np, ready ? 0 : 200);
		if (k < 0 || (k == 0 && !ready))
			continue;
		for (k = 0; k < np; k++) {
			struct member *m = &f->m[idx[k]];

			if (m->opening) {
				if (p[k].revents)
					open_done(ctx, job, m);
			} else if (m->x &&
				   (p[k].revents || knet_exec_ready(m->x)))
				(void)pump(ctx, m);
			else if (!m->x && p[k].revents &&
				 knet_via_child_read(m->child, keep_line, m) !=
					 0)
				finish(ctx, m);
		}
	}
	free(p);
	free(idx);
	/* The caller sees the stop it asked for, as in a remote run. */
	if (sig)
		*job->stop = sig;
	return 0;
}

/* --- merging, unprivileged --- */

/*
 * What the nodes said on stderr, each line once with every node that
 * said it ("knet: nodes node-a, node-b: note: ..."): twenty nodes with
 * the same note are one line, not twenty.
 */
struct note {
	char *text;
	char *nodes;
	int n;
};

struct notes {
	struct note *v;
	int n;
};

static int note_add(struct notes *ns, const char *node, const char *text)
{
	struct note *nv;
	char *nodes;

	for (int i = 0; i < ns->n; i++) {
		if (strcmp(ns->v[i].text, text))
			continue;
		if (asprintf(&nodes, "%s, %s", ns->v[i].nodes, node) < 0)
			return -ENOMEM;
		free(ns->v[i].nodes);
		ns->v[i].nodes = nodes;
		ns->v[i].n++;
		return 0;
	}
	nv = realloc(ns->v, (size_t)(ns->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	ns->v = nv;
	nv[ns->n].text = strdup(text);
	nv[ns->n].nodes = strdup(node);
	nv[ns->n].n = 1;
	if (!nv[ns->n].text || !nv[ns->n].nodes) {
		free(nv[ns->n].text);
		free(nv[ns->n].nodes);
		return -ENOMEM;
	}
	ns->n++;
	return 0;
}

static void notes_flush(struct notes *ns)
{
	for (int i = 0; i < ns->n; i++) {
		fprintf(stderr, "knet: node%s %s: %s\n",
			ns->v[i].n > 1 ? "s" : "", ns->v[i].nodes,
			ns->v[i].text);
		free(ns->v[i].text);
		free(ns->v[i].nodes);
	}
	free(ns->v);
	ns->v = NULL;
	ns->n = 0;
}

/*
 * Each line of its stderr, escaped, without its "knet: ".  A failed
 * node's last line is its reason, which its failure line says instead.
 */
static void collect_stderr(const struct member *m, bool but_last,
			   struct notes *ns)
{
	const char *p = m->errtext, *skip = NULL;
	size_t l = 0;

	if (!p)
		return;
	if (but_last)
		skip = knet_fanout_last_line(p, &l);
	while (*p) {
		size_t n = strcspn(p, "\n");
		char *line, *safe;

		/* The reason starts in this line (after its "knet: "). */
		if (l && skip >= p && skip <= p + n)
			break;
		line = strndup(p, n);
		safe = line ? knet_text_escape(line, false) : NULL;
		if (safe && *safe)
			(void)note_add(ns, m->node,
				       !strncmp(safe, "knet: ", 6) ? safe + 6
								   : safe);
		free(safe);
		free(line);
		p += n;
		if (*p)
			p++;
	}
}

/* One node's answer, to the command's callbacks; its status. */
static int feed(struct knet_ctx *ctx, struct knet_node_job *job,
		struct member *m)
{
	char *line = m->out;
	int r = 0;

	job->node_name = m->node;
	while (line && *line && r == 0) {
		char *nl = strchr(line, '\n');

		*nl = '\0';
		r = job->remote_line(ctx, job, line);
		line = nl + 1;
	}
	if (r < 0) {
		fail_member(m, job->err.reason[0] ? job->err.reason
						  : strerror(-r));
		return r;
	}
	/* Without remote_end, its status is the node's (1: it found). */
	r = job->remote_end ? job->remote_end(ctx, job, m->status) : m->status;
	if (r > 1)
		fail_member(m, job->err.reason[0]
				       ? job->err.reason
				       : "its answer could not be read");
	return r;
}

static int merge(struct knet_ctx *ctx, struct knet_node_job *job,
		 struct fanout *f)
{
	struct knet_error err = {0};
	struct notes ns = {0};
	int worst = 0, answered = 0, failed = 0, first_fail = 0, r;

	if (job->remote_begin) {
		r = job->remote_begin(ctx, job);
		if (r)
			return r < 0 ? KNET_EXIT_SYSTEM : r;
	}
	for (int i = 0; i < f->n; i++) {
		struct member *m = &f->m[i];

		if (!m->failed) {
			r = feed(ctx, job, m);
			if (!m->failed && r > worst)
				worst = r;
		}
		collect_stderr(m, m->failed, &ns);
		answered += !m->failed;
	}
	job->node_name = NULL;
	notes_flush(&ns);
	/* Then the nodes that did not answer, each with its reason. */
	for (int i = 0; i < f->n; i++) {
		struct member *m = &f->m[i];

		if (!m->failed)
			continue;
		knet_error_set(&err, -EIO, KNET_EXIT_SYSTEM, "%s", m->reason);
		(void)knet_fail(ctx, &err, "run on node", m->node);
		if (!failed++)
			first_fail = m->status;
		if (job->remote_failed &&
		    job->remote_failed(ctx, job, m->node, m->reason) < 0)
			return KNET_EXIT_SYSTEM;
	}
	return knet_fanout_status(worst, answered, failed, first_fail);
}

/*
 * Through k8s, the agent pods of every node at once (one list); a node
 * without one is failed here, with the words __k8s-exec would say.
 */
static void find_agents(struct knet_ctx *ctx, struct fanout *f)
{
	struct knet_agent_opts o = knet_k8s_agent_opts();
	const char **nodes = calloc((size_t)f->n, sizeof(*nodes));
	struct knet_agent_ref *refs = calloc((size_t)f->n, sizeof(*refs));
	struct knet_error *errs = calloc((size_t)f->n, sizeof(*errs));
	int *rs = calloc((size_t)f->n, sizeof(*rs)), *at = NULL, n = 0;
	char why[REASON_MAX];

	if (nodes && refs && errs && rs)
		at = calloc((size_t)f->n, sizeof(*at));
	for (int i = 0; at && i < f->n; i++) {
		f->m[i].k8s = !f->m[i].local && ctx->g.via &&
			      !strcmp(ctx->g.via, KNET_VIA_K8S);
		if (f->m[i].k8s) {
			at[n] = i;
			nodes[n++] = f->m[i].node;
		}
	}
	if (n)
		knet_agent_for_nodes(ctx->api, nodes, n, &o, refs, rs, errs);
	for (int k = 0; k < n; k++) {
		struct member *m = &f->m[at[k]];

		m->agent = refs[k];
		if (rs[k] == 0)
			continue;
		snprintf(why, sizeof(why),
			 "cannot find the agent pod of node '%s': %s", m->node,
			 errs[k].reason);
		m->started = true;
		m->status = errs[k].exit ? (int)errs[k].exit : KNET_EXIT_SYSTEM;
		fail_member(m, why);
	}
	free(nodes);
	free(refs);
	free(errs);
	free(rs);
	free(at);
}

static void fanout_clear(struct fanout *f)
{
	for (int i = 0; i < f->n; i++) {
		struct member *m = &f->m[i];

		if (m->child)
			(void)knet_via_child_wait(m->child, NULL, NULL);
		knet_exec_free(m->x);
		if (m->errfd >= 0)
			close(m->errfd);
		free(m->node);
		free(m->out);
		free(m->errtext);
	}
	free(f->m);
}

int knet_node_fanout(struct knet_ctx *ctx, struct knet_node_job *job)
{
	struct fanout f = {0};
	char **names = NULL, *self = NULL;
	bool remote = false;
	int n = 0, r;

	if (job->so.from || job->so.netns || job->so.pid)
		return knet_usage_error(ctx, "--all-nodes and --nodes run on "
					     "nodes: give no --from, --netns "
					     "or --pid");
	r = knet_node_fanout_select(ctx, job->args, &names, &n, &self);
	if (r)
		return r;
	/* Not a selected node (a laptop): all through the transport. */
	if (!self)
		knet_log(ctx, 1, "this host is none of the nodes");
	f.m = calloc((size_t)n, sizeof(*f.m));
	if (!f.m) {
		r = KNET_EXIT_SYSTEM;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		f.m[i].node = names[i];
		names[i] = NULL;
		f.m[i].errfd = -1;
		f.m[i].local = self && !strcmp(self, f.m[i].node);
		remote |= !f.m[i].local;
		f.n++;
	}
	if (remote && (!ctx->g.via || !*ctx->g.via)) {
		r = knet_usage_error(ctx, "the other nodes are reached through "
					  "the node transport: give --via "
					  "TEMPLATE or KNET_VIA (e.g. 'ssh "
					  "{node}')");
		goto out;
	}
	find_agents(ctx, &f);
	r = run_members(ctx, job, &f,
			job->max_parallel > 0 ? job->max_parallel
					      : KNET_FANOUT_PARALLEL);
	if (r < 0) {
		r = KNET_EXIT_SYSTEM;
		goto out;
	}
	/* Every member has ended: nothing privileged is left to do. */
	r = knet_node_drop(ctx, job->run_as);
	if (r == 0)
		r = merge(ctx, job, &f);
out:
	fanout_clear(&f);
	knet_addrs_free(names, n);
	free(self);
	return r;
}

int knet_node_fanout_error_row(struct knet_table *t, const char *node,
			       const char *reason)
{
	int r = knet_table_add_row(t);

	if (r == 0)
		r = knet_table_set_str(t, 0, "error");
	if (r == 0)
		r = knet_table_set_str(t, 1, node);
	if (r == 0)
		r = knet_table_set_str(t, 2, reason);
	return r == 0 ? knet_table_stream_row(t) : r;
}
