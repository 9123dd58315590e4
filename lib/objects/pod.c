/* SPDX-License-Identifier: MIT */
/* The pod model, with kubectl's STATUS column worked out the same way. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objects-internal.h"
#include "knet/api.h"
#include "knet/objects.h"

void knet_pod_free(struct knet_pod *p)
{
	if (!p)
		return;
	knet_meta_clear(&p->meta);
	free(p->node);
	free(p->phase);
	free(p->status);
	free(p->host_ip);
	knet_strv_clear(&p->ips);
	for (int i = 0; i < p->nports; i++) {
		free(p->ports[i].container);
		free(p->ports[i].name);
	}
	free(p->ports);
	free(p->owner_kind);
	free(p->owner_name);
	free(p->service_account);
	for (char **c = p->container_ids; c && *c; c++)
		free(*c);
	free(p->container_ids);
	free(p);
}

/*
 * Replace *@buf with the formatted text (reasons come from the API and
 * have no set length: no fixed buffer to cut them).  Out of memory
 * keeps the old text.
 */
static void set_reason(char **buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_reason(char **buf, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) >= 0) {
		free(*buf);
		*buf = s;
	}
	va_end(ap);
}

/* "Signal:9" / "ExitCode:1" when a terminated state gives no reason. */
static void terminated_reason(const cJSON *term, const char *prefix, char **buf)
{
	const char *reason = knet_json_str(term, "reason");
	long long sig = knet_json_int(term, "signal", 0);

	if (reason && *reason)
		set_reason(buf, "%s%s", prefix, reason);
	else if (sig)
		set_reason(buf, "%sSignal:%lld", prefix, sig);
	else
		set_reason(buf, "%sExitCode:%lld", prefix,
			   knet_json_int(term, "exitCode", 0));
}

/* kubectl's printPod(): the reason beats the phase, init first. */
static char *pod_status(const cJSON *obj, const struct knet_pod *p)
{
	const cJSON *status = knet_json_get(obj, "status");
	const cJSON *inits = knet_json_get(status, "initContainerStatuses");
	const cJSON *cs = knet_json_get(status, "containerStatuses");
	int ninit = cJSON_GetArraySize(
		knet_json_path(obj, "spec", "initContainers", KNET_JSON_END));
	const char *r = knet_json_str(status, "reason");
	char *reason = NULL;
	bool initializing = false, running = false;
	const cJSON *c;
	int i = 0;

	set_reason(&reason, "%s",
		   r && *r    ? r
		   : p->phase ? p->phase
			      : "Unknown");
	cJSON_ArrayForEach(c, inits)
	{
		const cJSON *st = knet_json_get(c, "state");
		const cJSON *term = knet_json_get(st, "terminated");
		const cJSON *wait = knet_json_get(st, "waiting");
		const char *wr = knet_json_str(wait, "reason");

		if (term && knet_json_int(term, "exitCode", 0) == 0) {
			i++;
			continue;
		}
		if (term)
			terminated_reason(term, "Init:", &reason);
		else if (wr && *wr && strcmp(wr, "PodInitializing"))
			set_reason(&reason, "Init:%s", wr);
		else
			set_reason(&reason, "Init:%d/%d", i, ninit);
		initializing = true;
		break;
	}
	if (!initializing) {
		int n = cJSON_GetArraySize(cs);

		for (int k = n - 1; k >= 0; k--) {
			const cJSON *st = knet_json_get(
				cJSON_GetArrayItem(cs, k), "state");
			const cJSON *term = knet_json_get(st, "terminated");
			const char *wr = knet_json_str(
				knet_json_get(st, "waiting"), "reason");

			if (wr && *wr)
				set_reason(&reason, "%s", wr);
			else if (term)
				terminated_reason(term, "", &reason);
			else if (knet_json_get(st, "running") &&
				 knet_json_bool(cJSON_GetArrayItem(cs, k),
						"ready", false))
				running = true;
		}
		if (reason && !strcmp(reason, "Completed") && running)
			set_reason(&reason, "%s",
				   p->ready ? "Running" : "NotReady");
	}
	if (p->meta.deleting)
		set_reason(&reason, "%s",
			   !strcmp(knet_json_str(status, "reason") ?: "",
				   "NodeLost")
				   ? "Unknown"
				   : "Terminating");
	return reason;
}

static int parse_ports(const cJSON *spec, struct knet_pod *p)
{
	const cJSON *c, *port;
	int n = 0;

	cJSON_ArrayForEach(c, knet_json_get(spec, "containers")) n +=
		cJSON_GetArraySize(knet_json_get(c, "ports"));
	if (!n)
		return 0;
	p->ports = calloc((size_t)n, sizeof(*p->ports));
	if (!p->ports)
		return -ENOMEM;
	cJSON_ArrayForEach(c, knet_json_get(spec, "containers"))
	{
		cJSON_ArrayForEach(port, knet_json_get(c, "ports"))
		{
			struct knet_container_port *cp = &p->ports[p->nports];
			const char *proto = knet_json_str(port, "protocol");

			p->nports++;
			cp->container = knet_json_strdup(c, "name");
			cp->name = knet_json_strdup(port, "name");
			cp->port = (int)knet_json_int(port, "containerPort", 0);
			cp->host_port = (int)knet_json_int(port, "hostPort", 0);
			snprintf(cp->protocol, sizeof(cp->protocol), "%s",
				 proto ? proto : "TCP");
			if (!cp->container)
				return -ENOMEM;
		}
	}
	return 0;
}

static int parse_status(const cJSON *status, struct knet_pod *p)
{
	const cJSON *it;
	int n, k = 0;

	cJSON_ArrayForEach(it, knet_json_get(status, "podIPs"))
	{
		const char *ip = knet_json_str(it, "ip");

		if (ip && *ip && knet_strv_push(&p->ips, ip) < 0)
			return -ENOMEM;
	}
	if (!p->ips.n && knet_json_str(status, "podIP") &&
	    *knet_json_str(status, "podIP") &&
	    knet_strv_push(&p->ips, knet_json_str(status, "podIP")) < 0)
		return -ENOMEM;
	cJSON_ArrayForEach(it, knet_json_get(status, "conditions"))
	{
		const char *t = knet_json_str(it, "type");

		if (t && !strcmp(t, "Ready"))
			p->ready = !strcmp(knet_json_str(it, "status") ?: "",
					   "True");
	}
	n = cJSON_GetArraySize(knet_json_get(status, "containerStatuses"));
	p->container_ids = calloc((size_t)n + 1, sizeof(char *));
	if (!p->container_ids)
		return -ENOMEM;
	cJSON_ArrayForEach(it, knet_json_get(status, "containerStatuses"))
	{
		const char *id = knet_json_str(it, "containerID");

		p->containers_ready += knet_json_bool(it, "ready", false);
		p->restarts += (int)knet_json_int(it, "restartCount", 0);
		if (id && *id && !(p->container_ids[k++] = strdup(id)))
			return -ENOMEM;
	}
	/*
	 * Without container statuses (a kubelet that only reports the Ready
	 * condition), the condition speaks for every container.
	 */
	if (!n && p->ready)
		p->containers_ready = p->containers;
	return 0;
}

int knet_pod_from_json(const cJSON *item, struct knet_pod **ret)
{
	const cJSON *spec = knet_json_get(item, "spec");
	const cJSON *status = knet_json_get(item, "status");
	const cJSON *owner;
	struct knet_pod *p;

	p = calloc(1, sizeof(*p));
	if (!p || knet_meta_from_json(item, &p->meta) < 0)
		goto oom;
	p->node = knet_json_strdup(spec, "nodeName");
	p->phase = knet_json_strdup(status, "phase");
	p->host_ip = knet_json_strdup(status, "hostIP");
	p->service_account = knet_json_strdup(spec, "serviceAccountName");
	p->host_network = knet_json_bool(spec, "hostNetwork", false);
	p->containers = cJSON_GetArraySize(knet_json_get(spec, "containers"));
	cJSON_ArrayForEach(owner,
			   knet_json_path(item, "metadata", "ownerReferences",
					  KNET_JSON_END))
	{
		if (!knet_json_bool(owner, "controller", false))
			continue;
		p->owner_kind = knet_json_strdup(owner, "kind");
		p->owner_name = knet_json_strdup(owner, "name");
		break;
	}
	if (parse_ports(spec, p) < 0 || parse_status(status, p) < 0)
		goto oom;
	p->status = pod_status(item, p);
	if (!p->status)
		goto oom;
	*ret = p;
	return 0;
oom:
	knet_pod_free(p);
	return -ENOMEM;
}

static int parse_any(const cJSON *item, void **ret)
{
	return knet_pod_from_json(item, (struct knet_pod **)ret);
}

int knet_pod_get(struct knet_api *api, const char *ns, const char *name,
		 struct knet_pod **ret, struct knet_error *err)
{
	return knet_k8s_get(api, "v1", ns, "pods", name, parse_any,
			    (void **)ret, err);
}

int knet_pod_list(struct knet_api *api, const char *ns,
		  const struct knet_list_opts *opts, struct knet_pod_list **ret,
		  struct knet_error *err)
{
	struct knet_pod_list *l;
	int r;

	l = calloc(1, sizeof(*l));
	if (!l)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	r = knet_k8s_collect(api, "v1", ns, "pods", opts, parse_any,
			     (void ***)&l->items, &l->n, &l->resource_version,
			     err);
	if (r < 0) {
		knet_pod_list_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

void knet_pod_list_free(struct knet_pod_list *l)
{
	if (!l)
		return;
	for (int i = 0; i < l->n; i++)
		knet_pod_free(l->items[i]);
	free(l->items);
	free(l->resource_version);
	free(l);
}

const struct knet_pod *knet_pod_list_find_ip(const struct knet_pod_list *l,
					     const char *ip)
{
	for (int i = 0; i < l->n; i++)
		if (knet_strv_contains(&l->items[i]->ips, ip))
			return l->items[i];
	return NULL;
}
