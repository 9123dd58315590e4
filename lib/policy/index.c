/* SPDX-License-Identifier: MIT */
/*
 * The engine's index: namespace labels and, per pod, the policies that
 * select it in each direction, computed once so that a matrix of N x N
 * pods costs rule checks only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"

#define NS_NAME_LABEL "kubernetes.io/metadata.name"

const struct policy_ns *policy_ns_find(const struct knet_policy *p,
				       const char *name)
{
	for (int i = 0; name && i < p->nns; i++)
		if (!strcmp(p->ns[i].name, name))
			return &p->ns[i];
	return NULL;
}

/* Add namespace @name (labels from @obj, may be NULL) unless known. */
static int add_ns(struct knet_policy *p, const char *name,
		  const struct knet_namespace *obj)
{
	struct policy_ns *e;
	const struct knet_labels *l = obj ? &obj->meta.labels : NULL;
	int n = l ? l->n : 0;

	if (!name || policy_ns_find(p, name))
		return 0;
	e = &p->ns[p->nns];
	e->name = name;
	e->labels.kv = calloc((size_t)n + 1, sizeof(*e->labels.kv));
	if (!e->labels.kv)
		return -ENOMEM;
	p->nns++;
	for (int i = 0; i < n; i++) {
		if (!strcmp(l->kv[i].key, NS_NAME_LABEL))
			continue;
		e->labels.kv[e->labels.n].key = strdup(l->kv[i].key);
		e->labels.kv[e->labels.n].value = strdup(l->kv[i].value);
		if (!e->labels.kv[e->labels.n].key ||
		    !e->labels.kv[e->labels.n].value) {
			e->labels.n++;
			return -ENOMEM;
		}
		e->labels.n++;
	}
	/* Set by the API server (1.21+) on every namespace, immutable. */
	e->labels.kv[e->labels.n].key = strdup(NS_NAME_LABEL);
	e->labels.kv[e->labels.n].value = strdup(name);
	e->labels.n++;
	if (!e->labels.kv[e->labels.n - 1].key ||
	    !e->labels.kv[e->labels.n - 1].value)
		return -ENOMEM;
	return 0;
}

static int index_pod(struct knet_policy *p, int i)
{
	const struct knet_pod *pod = p->w.pods[i];
	struct policy_pod *pp = &p->pods[i];
	int n = p->w.nnetpols;

	pp->ns = policy_ns_find(p, pod->meta.namespace);
	pp->in = calloc((size_t)n + 1, sizeof(*pp->in));
	pp->out = calloc((size_t)n + 1, sizeof(*pp->out));
	if (!pp->in || !pp->out)
		return -ENOMEM;
	for (int j = 0; j < n; j++) {
		const struct knet_netpol *np = p->w.netpols[j];

		/* Policies in other namespaces never apply. */
		if (!np->meta.namespace || !pod->meta.namespace ||
		    strcmp(np->meta.namespace, pod->meta.namespace))
			continue;
		if (!knet_selector_matches(&np->selector, &pod->meta.labels))
			continue;
		if (np->ingress)
			pp->in[pp->nin++] = np;
		if (np->egress)
			pp->out[pp->nout++] = np;
	}
	return 0;
}

int knet_policy_new(const struct knet_policy_world *w, struct knet_policy **ret,
		    struct knet_error *err)
{
	struct knet_policy *p = calloc(1, sizeof(*p));
	int total;

	if (!p)
		goto oom;
	p->w = *w;
	total = w->nnamespaces + w->npods + w->nnetpols + 1;
	p->ns = calloc((size_t)total, sizeof(*p->ns));
	p->pods = calloc((size_t)w->npods + 1, sizeof(*p->pods));
	if (!p->ns || !p->pods)
		goto oom;
	for (int i = 0; i < w->nnamespaces; i++)
		if (add_ns(p, w->namespaces[i]->meta.name, w->namespaces[i]) <
		    0)
			goto oom;
	/* Namespaces only known from their pods or policies: no labels. */
	for (int i = 0; i < w->npods; i++)
		if (add_ns(p, w->pods[i]->meta.namespace, NULL) < 0)
			goto oom;
	for (int i = 0; i < w->nnetpols; i++)
		if (add_ns(p, w->netpols[i]->meta.namespace, NULL) < 0)
			goto oom;
	for (int i = 0; i < w->npods; i++)
		if (index_pod(p, i) < 0)
			goto oom;
	*ret = p;
	return 0;
oom:
	knet_policy_free(p);
	return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
}

void knet_policy_free(struct knet_policy *p)
{
	if (!p)
		return;
	for (int i = 0; p->ns && i < p->nns; i++)
		knet_labels_clear(&p->ns[i].labels);
	for (int i = 0; p->pods && i < p->w.npods; i++) {
		free(p->pods[i].in);
		free(p->pods[i].out);
	}
	free(p->ns);
	free(p->pods);
	free(p);
}

void knet_policy_pod_end(const struct knet_policy *p, int i,
			 struct knet_policy_end *ret)
{
	const struct knet_pod *pod = p->w.pods[i];

	memset(ret, 0, sizeof(*ret));
	ret->pod = i;
	ret->p = pod;
	ret->has_addr = pod->ips.n > 0 &&
			knet_cidr_parse(pod->ips.v[0], &ret->addr) == 0;
	snprintf(ret->label, sizeof(ret->label), "%s/%s",
		 pod->meta.namespace ? pod->meta.namespace : "",
		 pod->meta.name);
}
