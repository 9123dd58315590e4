/* SPDX-License-Identifier: MIT */
/* The NetworkPolicy model: a summary plus the spec for analysis. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objects-internal.h"
#include "knet/api.h"
#include "knet/objects.h"

static void rules_free(struct knet_netpol_rule *rules, int n)
{
	for (int i = 0; rules && i < n; i++) {
		struct knet_netpol_rule *r = &rules[i];

		for (int j = 0; j < r->npeers; j++) {
			knet_selector_clear(&r->peers[j].pods);
			knet_selector_clear(&r->peers[j].namespaces);
			free(r->peers[j].cidr);
			knet_strv_clear(&r->peers[j].except);
			free(r->peers[j].except_blocks);
		}
		for (int j = 0; j < r->nports; j++)
			free(r->ports[j].name);
		free(r->peers);
		free(r->ports);
	}
	free(rules);
}

void knet_netpol_free(struct knet_netpol *p)
{
	if (!p)
		return;
	knet_meta_clear(&p->meta);
	free(p->pod_selector);
	cJSON_Delete(p->spec);
	knet_selector_clear(&p->selector);
	rules_free(p->in, p->n_in);
	rules_free(p->out, p->n_out);
	free(p);
}

static int oom(struct knet_error *err)
{
	return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
}

static int bad(struct knet_error *err, const char *field, const char *what)
{
	return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE, "%s: %s", field,
			      what);
}

/*
 * FIELD + SUFFIX (+ "[IDX]" when @idx >= 0) into @buf, cut short rather
 * than overflowing: field paths only name things in messages.
 */
static void sub(char *buf, size_t len, const char *field, const char *suffix,
		int idx)
{
	int n = idx >= 0 ? snprintf(buf, len, "%s%s[%d]", field, suffix, idx)
			 : snprintf(buf, len, "%s%s", field, suffix);

	if (n < 0 || (size_t)n >= len)
		buf[len - 1] = '\0';
}

/* FIELD.KEY[IDX] (no index when @idx < 0). */
static void sub2(char *buf, size_t len, const char *field, const char *key,
		 int idx)
{
	char dot[64];

	sub(dot, sizeof(dot), ".", key, -1);
	sub(buf, len, field, dot, idx);
}

/* A list field: absent or null is an empty list, anything else refused. */
static int list_size(const cJSON *v, const char *field, struct knet_error *err)
{
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsArray(v))
		return bad(err, field, "not a list");
	return cJSON_GetArraySize(v);
}

/* An IANA service name as the API accepts for a named port. */
static bool port_name_ok(const char *s)
{
	size_t n = strlen(s);
	bool letter = false;

	if (n == 0 || n > 15 || s[0] == '-' || s[n - 1] == '-' ||
	    strstr(s, "--"))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = true;
		else if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
			return false;
	}
	return letter;
}

/* A number, or a YAML scalar made of digits; -1 when it is neither. */
static long long port_number(const cJSON *v)
{
	long long n;
	const char *s;

	if (knet_json_to_ll(v, &n))
		return n;
	if (!cJSON_IsString(v))
		return -1;
	s = v->valuestring;
	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 6)
		return -1;
	return strtoll(s, NULL, 10);
}

static int parse_port(struct knet_netpol_port *pt, const cJSON *j,
		      const char *field, struct knet_error *err)
{
	const cJSON *port = knet_json_get(j, "port");
	const cJSON *end = knet_json_get(j, "endPort");
	const cJSON *proto = knet_json_get(j, "protocol");
	char f[256];
	long long n;

	if (!cJSON_IsObject(j))
		return bad(err, field, "not a map");
	snprintf(pt->protocol, sizeof(pt->protocol), "TCP");
	if (proto && !cJSON_IsNull(proto)) {
		const char *ps =
			cJSON_IsString(proto) ? proto->valuestring : "";

		sub(f, sizeof(f), field, ".protocol", -1);
		if (strcmp(ps, "TCP") && strcmp(ps, "UDP") &&
		    strcmp(ps, "SCTP"))
			return bad(err, f, "not TCP, UDP or SCTP");
		snprintf(pt->protocol, sizeof(pt->protocol), "%s", ps);
	}
	sub(f, sizeof(f), field, ".port", -1);
	if (port && !cJSON_IsNull(port)) {
		n = port_number(port);
		if (n >= 0) {
			if (n < 1 || n > 65535)
				return bad(err, f, "not in 1-65535");
			pt->port = (int)n;
		} else if (cJSON_IsString(port) &&
			   port_name_ok(port->valuestring)) {
			pt->name = strdup(port->valuestring);
			if (!pt->name)
				return oom(err);
		} else {
			return bad(err, f, "not a port number or name");
		}
	}
	if (end && !cJSON_IsNull(end)) {
		sub(f, sizeof(f), field, ".endPort", -1);
		n = port_number(end);
		if (n < 1 || n > 65535)
			return bad(err, f, "not in 1-65535");
		if (!pt->port)
			return bad(err, f, "needs a numeric port");
		if (n < pt->port)
			return bad(err, f, "less than port");
		pt->end_port = (int)n;
	}
	return 0;
}

static int parse_ipblock(struct knet_netpol_peer *pe, const cJSON *b,
			 const char *field, struct knet_error *err)
{
	const char *cidr = knet_json_str(b, "cidr");
	const cJSON *except = knet_json_get(b, "except"), *e;
	struct knet_cidr c, x;
	char f[256];
	int n, i = 0;

	sub(f, sizeof(f), field, ".cidr", -1);
	if (!cidr)
		return bad(err, f, "missing");
	if (knet_cidr_parse(cidr, &c) < 0)
		return bad(err, f, "not a CIDR");
	pe->cidr = strdup(cidr);
	if (!pe->cidr)
		return oom(err);
	pe->block = c;
	sub(f, sizeof(f), field, ".except", -1);
	n = list_size(except, f, err);
	if (n < 0)
		return n;
	pe->except_blocks = calloc((size_t)n + 1, sizeof(*pe->except_blocks));
	if (!pe->except_blocks)
		return oom(err);
	cJSON_ArrayForEach(e, except)
	{
		sub(f, sizeof(f), field, ".except", i++);
		if (!cJSON_IsString(e) ||
		    knet_cidr_parse(e->valuestring, &x) < 0)
			return bad(err, f, "not a CIDR");
		/* The API wants each except strictly inside the cidr. */
		if (!knet_cidr_contains(&c, &x) || x.bits == c.bits)
			return bad(err, f, "not inside the cidr");
		pe->except_blocks[pe->except.n] = x;
		if (knet_strv_push(&pe->except, e->valuestring) < 0)
			return oom(err);
	}
	return 0;
}

static int parse_peer(struct knet_netpol_peer *pe, const cJSON *j,
		      const char *field, struct knet_error *err)
{
	const cJSON *pods = knet_json_get(j, "podSelector");
	const cJSON *nss = knet_json_get(j, "namespaceSelector");
	const cJSON *block = knet_json_get(j, "ipBlock");
	char f[256];
	int r;

	if (!cJSON_IsObject(j))
		return bad(err, field, "not a map");
	pe->has_pods = pods && !cJSON_IsNull(pods);
	pe->has_namespaces = nss && !cJSON_IsNull(nss);
	if (block && !cJSON_IsNull(block)) {
		if (pe->has_pods || pe->has_namespaces)
			return bad(err, field,
				   "ipBlock cannot be combined with a "
				   "selector");
		sub(f, sizeof(f), field, ".ipBlock", -1);
		return parse_ipblock(pe, block, f, err);
	}
	if (!pe->has_pods && !pe->has_namespaces)
		return bad(err, field,
			   "needs podSelector, namespaceSelector or ipBlock");
	sub(f, sizeof(f), field, ".podSelector", -1);
	r = knet_selector_parse(pe->has_pods ? pods : NULL, f, &pe->pods, err);
	if (r < 0)
		return r;
	sub(f, sizeof(f), field, ".namespaceSelector", -1);
	return knet_selector_parse(pe->has_namespaces ? nss : NULL, f,
				   &pe->namespaces, err);
}

static int parse_rule(struct knet_netpol_rule *r, const cJSON *j,
		      const char *field, const char *peers_key,
		      struct knet_error *err)
{
	const cJSON *peers = knet_json_get(j, peers_key);
	const cJSON *ports = knet_json_get(j, "ports"), *it;
	char f[256];
	int n, i, rc;

	if (!cJSON_IsObject(j))
		return bad(err, field, "not a map");
	sub2(f, sizeof(f), field, peers_key, -1);
	n = list_size(peers, f, err);
	if (n < 0)
		return n;
	if (n && !(r->peers = calloc((size_t)n, sizeof(*r->peers))))
		return oom(err);
	i = 0;
	cJSON_ArrayForEach(it, peers)
	{
		sub2(f, sizeof(f), field, peers_key, i);
		r->npeers = i + 1;
		rc = parse_peer(&r->peers[i++], it, f, err);
		if (rc < 0)
			return rc;
	}
	sub(f, sizeof(f), field, ".ports", -1);
	n = list_size(ports, f, err);
	if (n < 0)
		return n;
	if (n && !(r->ports = calloc((size_t)n, sizeof(*r->ports))))
		return oom(err);
	i = 0;
	cJSON_ArrayForEach(it, ports)
	{
		sub(f, sizeof(f), field, ".ports", i);
		r->nports = i + 1;
		rc = parse_port(&r->ports[i++], it, f, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_rules(const cJSON *spec, const char *key,
		       const char *peers_key, struct knet_netpol_rule **ret,
		       int *ret_n, struct knet_error *err)
{
	const cJSON *list = knet_json_get(spec, key), *it;
	char f[64];
	int n, i = 0, r;

	sub2(f, sizeof(f), "spec", key, -1);
	n = list_size(list, f, err);
	if (n <= 0)
		return n;
	*ret = calloc((size_t)n, sizeof(**ret));
	if (!*ret)
		return oom(err);
	cJSON_ArrayForEach(it, list)
	{
		char rf[64];

		sub2(rf, sizeof(rf), "spec", key, i);
		*ret_n = i + 1;
		r = parse_rule(&(*ret)[i++], it, rf, peers_key, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_types(struct knet_netpol *p, const cJSON *spec,
		       struct knet_error *err)
{
	const cJSON *types = knet_json_get(spec, "policyTypes"), *t;
	int n = list_size(types, "spec.policyTypes", err), i = 0;

	if (n < 0)
		return n;
	if (n == 0) {
		/*
		 * The API server's default: Ingress always, Egress when
		 * there is at least one egress rule (an empty list is none).
		 */
		p->ingress = true;
		p->egress = p->n_out > 0;
		return 0;
	}
	cJSON_ArrayForEach(t, types)
	{
		const char *s = cJSON_IsString(t) ? t->valuestring : "";
		char f[64];

		sub(f, sizeof(f), "spec", ".policyTypes", i++);
		if (!strcmp(s, "Ingress"))
			p->ingress = true;
		else if (!strcmp(s, "Egress"))
			p->egress = true;
		else
			return bad(err, f, "not Ingress or Egress");
	}
	return 0;
}

int knet_netpol_parse(const cJSON *item, struct knet_netpol **ret,
		      struct knet_error *err)
{
	const cJSON *spec = knet_json_get(item, "spec");
	struct knet_netpol *p;
	int r;

	if (spec && !cJSON_IsObject(spec))
		return bad(err, "spec", "not a map");
	p = calloc(1, sizeof(*p));
	if (!p)
		return oom(err);
	if (knet_meta_from_json(item, &p->meta) < 0) {
		r = knet_json_str(knet_json_get(item, "metadata"), "name")
			    ? oom(err)
			    : bad(err, "metadata.name", "missing");
		goto fail;
	}
	p->pod_selector =
		knet_selector_format(knet_json_get(spec, "podSelector"));
	p->spec = cJSON_Duplicate(spec ? spec : NULL, true);
	if (!p->pod_selector || (spec && !p->spec)) {
		r = oom(err);
		goto fail;
	}
	r = knet_selector_parse(knet_json_get(spec, "podSelector"),
				"spec.podSelector", &p->selector, err);
	if (r >= 0)
		r = parse_rules(spec, "ingress", "from", &p->in, &p->n_in, err);
	if (r >= 0)
		r = parse_rules(spec, "egress", "to", &p->out, &p->n_out, err);
	if (r >= 0)
		r = parse_types(p, spec, err);
	if (r < 0)
		goto fail;
	p->ingress_rules = p->ingress ? p->n_in : -1;
	p->egress_rules = p->egress ? p->n_out : -1;
	*ret = p;
	return 0;
fail:
	knet_netpol_free(p);
	return r;
}

int knet_netpol_from_json(const cJSON *item, struct knet_netpol **ret)
{
	struct knet_error err = {0};

	return knet_netpol_parse(item, ret, &err);
}

static int parse_netpol(const cJSON *item, void **ret)
{
	return knet_netpol_from_json(item, (struct knet_netpol **)ret);
}

static void free_netpol(void *p)
{
	knet_netpol_free(p);
}

void knet_netpol_list_free(struct knet_netpol_list *l)
{
	if (l)
		knet_k8s_items_free((void **)l->items, l->n, free_netpol);
	free(l);
}

/* List networkpolicies of @gv (a group/version) in @ns, NULL for all. */
static int list_netpol(struct knet_api *api, const char *gv, const char *ns,
		       const struct knet_list_opts *opts,
		       struct knet_netpol_list **ret, struct knet_error *err)
{
	struct knet_netpol_list *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	r = knet_k8s_collect(api, gv, ns, "networkpolicies", opts, parse_netpol,
			     (void ***)&l->items, &l->n, NULL, err);
	if (r < 0) {
		knet_netpol_list_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

int knet_netpol_get(struct knet_api *api, const char *ns, const char *name,
		    struct knet_netpol **ret, struct knet_error *err)
{
	return knet_k8s_get(api, "networking.k8s.io/v1", ns, "networkpolicies",
			    name, parse_netpol, (void **)ret, err);
}

int knet_netpol_list(struct knet_api *api, const char *ns,
		     const struct knet_list_opts *opts,
		     struct knet_netpol_list **ret, struct knet_error *err)
{
	return list_netpol(api, "networking.k8s.io/v1", ns, opts, ret, err);
}
