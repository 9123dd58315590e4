/* SPDX-License-Identifier: MIT */
/*
 * Where probes leave from: the node itself, a pod (--from), or a
 * namespace named outright (--netns PATH, --pid PID).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "knet/objects.h"
#include "knet/api.h"
#include "knet/node.h"

void knet_source_free(struct knet_source *s)
{
	if (!s)
		return;
	knet_pod_place_free(s->place);
	knet_netns_info_clear(&s->ns);
	free(s->label);
	free(s->self_node);
	free(s->remote_node);
	free(s);
}

static int split_pod(const char *from, const char *default_ns, char **ret_ns,
		     const char **ret_name)
{
	const char *slash = strchr(from, '/');

	if (!strncmp(from, "pod/", 4)) {
		from += 4;
		slash = strchr(from, '/');
	}
	*ret_ns = slash ? strndup(from, (size_t)(slash - from))
			: strdup(default_ns ? default_ns : "default");
	*ret_name = slash ? slash + 1 : from;
	return *ret_ns ? 0 : -ENOMEM;
}

/*
 * The caller's fact instead of the API: it must be about the pod asked
 * for (the caller resolved this very command line).
 */
static int from_fact(const struct knet_source_opts *o, const char *ns,
		     const char *name, struct knet_source *s,
		     struct knet_error *err)
{
	struct knet_pod *pod = NULL;
	int r = knet_fact_pod_decode(o->fact, &pod, err);

	if (r < 0)
		return r;
	if (strcmp(pod->meta.namespace, ns) || strcmp(pod->meta.name, name)) {
		knet_pod_free(pod);
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "the caller's pod fact is about another "
				      "pod");
	}
	return knet_pod_place(pod, o->netns || o->pid ? NULL : s->self_node,
			      &s->place, err);
}

static int from_pod(struct knet_api *api, const struct knet_source_opts *o,
		    struct knet_source *s, struct knet_error *err)
{
	const char *name;
	char *ns = NULL;
	int r;

	if (!api && !o->fact)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "--from needs the cluster API");
	r = split_pod(o->from, o->default_ns, &ns, &name);
	if (r < 0)
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "out of memory");
	r = knet_node_self(api, o->node, &s->self_node, err);
	/* With an explicit namespace the node does not matter. */
	if (r < 0 && !o->netns && !o->pid)
		goto out;
	if (o->fact)
		r = from_fact(o, ns, name, s, err);
	else
		r = knet_pod_locate(api, ns, name,
				    o->netns || o->pid ? NULL : s->self_node,
				    &s->place, err);
	if (r < 0)
		goto out;
	if (asprintf(&s->label, "pod %s/%s", ns, name) < 0)
		s->label = NULL;
	if (!s->place->local) {
		s->remote_node = strdup(s->place->node);
	} else if (!o->netns && !o->pid) {
		s->ns = s->place->ns;
		memset(&s->place->ns, 0, sizeof(s->place->ns));
		s->has_ns = !s->ns.self;
	}
out:
	free(ns);
	return r;
}

int knet_source_resolve(struct knet_api *api, const struct knet_source_opts *o,
			struct knet_source **ret, struct knet_error *err)
{
	struct knet_source *s = calloc(1, sizeof(*s));
	int r = 0;

	if (!s)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	if (o->netns && o->pid) {
		r = knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				   "give --netns or --pid, not both");
		goto fail;
	}
	if (o->from) {
		r = from_pod(api, o, s, err);
		if (r < 0)
			goto fail;
	}
	if (o->netns) {
		r = knet_netns_from_path(o->netns, &s->ns, err);
		if (r < 0)
			goto fail;
		s->has_ns = true;
		if (!s->label && asprintf(&s->label, "netns %s", o->netns) < 0)
			s->label = NULL;
	} else if (o->pid) {
		r = knet_netns_from_pid((pid_t)o->pid, &s->ns, err);
		if (r < 0)
			goto fail;
		s->has_ns = true;
		if (!s->label && asprintf(&s->label, "pid %lld", o->pid) < 0)
			s->label = NULL;
	}
	if (!s->label && !s->self_node && api)
		(void)knet_node_self(api, o->node, &s->self_node, NULL);
	if (!s->label) {
		const char *n = s->self_node ? s->self_node : o->node;

		if (asprintf(&s->label, "node %s", n ? n : "(this host)") < 0)
			s->label = NULL;
	}
	if (!s->label) {
		r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				   "out of memory");
		goto fail;
	}
	/* What gets entered is the namespace found now, by its fd. */
	if (s->has_ns) {
		r = knet_netns_pin(&s->ns, err);
		if (r < 0)
			goto fail;
	}
	*ret = s;
	return 0;
fail:
	knet_source_free(s);
	return r;
}

int knet_source_enter(const struct knet_source *s,
		      struct knet_netns_saved *ret_saved,
		      struct knet_error *err)
{
	int r;

	if (!s->has_ns) {
		/* Nothing to enter: knet_netns_leave() will do nothing. */
		ret_saved->fd = -1;
		return 0;
	}
	/* Never re-open by path: enter the pinned one, if still named. */
	r = knet_netns_verify(&s->ns, err);
	if (r < 0)
		return r;
	return knet_netns_enter(s->ns.fd, ret_saved, err);
}

/* The caller asked for a run without an API: its options go too. */
static bool wants_no_api(const char *const *extra)
{
	for (; extra && *extra; extra++)
		if (!strcmp(*extra, "--no-api"))
			return true;
	return false;
}

/* This process's command line again, through @tmpl (NULL: none). */
static int self_again(const char *tmpl, const char *node,
		      const char *const *extra, char ***ret_argv,
		      struct knet_error *err)
{
	char **self_argv = NULL, *exe = NULL, **taken = NULL;
	int self_argc = 0, argc = 0, ntaken = 0, r;
	/* The relay runs here: the options the remote run loses are its. */
	bool relay = tmpl && !strcmp(tmpl, KNET_VIA_K8S);

	r = knet_self_exe(&exe, err);
	if (r == 0)
		r = knet_self_cmdline(&self_argv, &self_argc, err);
	if (r == 0 && wants_no_api(extra)) {
		r = knet_via_take_api(self_argv, relay ? &taken : NULL, err);
		ntaken = r > 0 ? r : 0;
		r = r < 0 ? r : 0;
		for (self_argc = 0; self_argv[self_argc]; self_argc++)
			;
	}
	if (r == 0)
		r = knet_via_command_extra(tmpl, node, exe, self_argc,
					   self_argv, extra, ret_argv, &argc,
					   err);
	if (r == 0 && ntaken) {
		/* [exe, API options..., __k8s-exec, NODE, --, ...] */
		char **v = realloc(*ret_argv,
				   (argc + ntaken + 1) * sizeof(**ret_argv));

		if (!v) {
			knet_addrs_free(*ret_argv, argc);
			r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					   "out of memory");
		} else {
			memmove(v + 1 + ntaken, v + 1, argc * sizeof(*v));
			memcpy(v + 1, taken, ntaken * sizeof(*v));
			ntaken = 0; /* the words are v's now */
			*ret_argv = v;
		}
	}
	knet_addrs_free(taken, ntaken);
	knet_addrs_free(self_argv, self_argc);
	free(exe);
	return r;
}

int knet_via_rerun_command(const char *tmpl, const char *node,
			   const char *const *extra, char ***ret_argv,
			   struct knet_error *err)
{
	if (!tmpl || !*tmpl)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "the pod runs on node %s, not here, and "
				      "no node transport is set: give --via "
				      "TEMPLATE or KNET_VIA (e.g. 'ssh "
				      "{node}')",
				      node);
	return self_again(tmpl, node, extra, ret_argv, err);
}

int knet_via_self_command(const char *node, const char *const *extra,
			  char ***ret_argv, struct knet_error *err)
{
	return self_again(NULL, node, extra, ret_argv, err);
}

int knet_via_rerun_extra(const char *tmpl, const char *node,
			 const char *const *extra,
			 int (*line)(const char *line, void *userdata),
			 int (*started)(void *userdata, struct knet_error *err),
			 void *userdata, volatile sig_atomic_t *stop,
			 int *ret_status, struct knet_error *err)
{
	char **argv = NULL;
	int r;

	r = knet_via_rerun_command(tmpl, node, extra, &argv, err);
	if (r < 0)
		return r;
	if (line)
		r = knet_via_run(argv, line, started, userdata, stop,
				 ret_status, err);
	else
		r = knet_via_exec(argv, stop, ret_status, err);
	if (r == 0 && line && *ret_status == 127)
		r = knet_error_set(err, -ENOENT, KNET_EXIT_SYSTEM,
				   "cannot run the node transport '%s'", tmpl);
	for (int i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
	return r;
}

int knet_via_rerun(const char *tmpl, const char *node,
		   int (*line)(const char *line, void *userdata),
		   int (*started)(void *userdata, struct knet_error *err),
		   void *userdata, volatile sig_atomic_t *stop, int *ret_status,
		   struct knet_error *err)
{
	return knet_via_rerun_extra(tmpl, node, NULL, line, started, userdata,
				    stop, ret_status, err);
}

struct knet_api *knet_node_api_optional(const char *kubeconfig,
					const char *context,
					const char *request_timeout,
					struct knet_error *err)
{
	struct knet_api_config cfg = {
		.kubeconfig = kubeconfig,
		.context = context,
		.request_timeout = request_timeout,
	};
	struct knet_api *api = NULL;

	if (knet_api_new(&cfg, &api, err) < 0)
		return NULL;
	return api;
}
