/* SPDX-License-Identifier: MIT */
/*
 * The verdict of one half (egress of FROM, ingress of TO) and of a
 * connection, with the reasons: for an allowed half the policy, rule,
 * peer and port that allowed it; for a denied one, each isolating
 * policy's closest rule and why it did not match.  The matrix calls the
 * same code without building any text.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"

#define WHY POLICY_WHY

/* The traffic being judged. */
struct flow {
	int port; /* 0: every port */
	const char *proto;
	const struct knet_policy_end *dest; /* for named ports */
};

/* Reasons are cut short rather than overflowing: they are messages. */
static int sayn(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int sayn(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 ? 0 : n;
}

#define say(why, ...) sayn(why, WHY, __VA_ARGS__)

static const char *sel_text(const struct knet_selector *s)
{
	return *s->text ? s->text : "{}";
}

static void peer_text(const struct knet_netpol_peer *pe, char *buf, size_t len)
{
	size_t n;

	if (pe->cidr) {
		n = (size_t)sayn(buf, len, "ipBlock %s", pe->cidr);
		for (int i = 0; i < pe->except.n && n < len; i++)
			n += (size_t)sayn(buf + n, len - n, "%s%s",
					  i ? "," : " except ",
					  pe->except.v[i]);
		return;
	}
	if (pe->has_namespaces && pe->has_pods)
		sayn(buf, len, "namespaceSelector %s and podSelector %s",
		     sel_text(&pe->namespaces), sel_text(&pe->pods));
	else if (pe->has_namespaces)
		sayn(buf, len, "namespaceSelector %s",
		     sel_text(&pe->namespaces));
	else
		sayn(buf, len, "podSelector %s", sel_text(&pe->pods));
}

/*
 * Whether peer @pe of policy @np matches the other end @o.  On a miss,
 * @why says why and *@score says how close it came (1: part of it
 * matched, the namespace or the cidr).
 */
bool policy_peer_match(const struct knet_policy *p,
		       const struct knet_netpol *np,
		       const struct knet_netpol_peer *pe,
		       const struct knet_policy_end *o, char *why, int *score)
{
	char what[WHY], head[WHY];

	/* Only the first byte: the matrix comes here N x N times. */
	what[0] = head[0] = '\0';

	*score = 0;
	if (pe->cidr) {
		if (!o->has_addr || !knet_cidr_contains(&pe->block, &o->addr)) {
			if (why)
				say(why, "ipBlock %s: %s%s%s", pe->cidr,
				    o->label,
				    o->has_addr ? " is not in it"
						: " has no address",
				    "");
			return false;
		}
		for (int i = 0; i < pe->except.n; i++) {
			if (!knet_cidr_overlaps(&pe->except_blocks[i],
						&o->addr))
				continue;
			*score = 1;
			if (why)
				say(why, "ipBlock except %s: %s is in it",
				    pe->except.v[i], o->label);
			return false;
		}
		return true;
	}
	if (why)
		peer_text(pe, head, sizeof(head));
	/* Selectors pick pods; an address outside is only an ipBlock's. */
	if (o->pod < 0 || !o->p) {
		if (why)
			say(why, "%s: %s is not a pod", head, o->label);
		return false;
	}
	if (o->p->host_network) {
		if (why)
			say(why,
			    "%s: pod %s uses the host network (only an "
			    "ipBlock can match it)",
			    head, o->label);
		return false;
	}
	if (pe->has_namespaces) {
		const struct policy_ns *ns = p->pods[o->pod].ns;
		struct knet_labels none = {0};

		if (!policy_selector_why(&pe->namespaces,
					 ns ? &ns->labels : &none,
					 why ? what : NULL, sizeof(what))) {
			if (why)
				say(why,
				    "namespaceSelector %s: namespace %s "
				    "%s",
				    sel_text(&pe->namespaces),
				    o->p->meta.namespace, what);
			return false;
		}
	} else if (strcmp(o->p->meta.namespace, np->meta.namespace)) {
		/* A podSelector alone picks pods of the policy's namespace. */
		if (why)
			say(why,
			    "podSelector %s: selects pods of namespace "
			    "%s only, %s is in %s",
			    sel_text(&pe->pods), np->meta.namespace, o->label,
			    o->p->meta.namespace);
		return false;
	}
	*score = 1;
	if (pe->has_pods &&
	    !policy_selector_why(&pe->pods, &o->p->meta.labels,
				 why ? what : NULL, sizeof(what))) {
		if (why)
			say(why, "podSelector %s: pod %s %s",
			    sel_text(&pe->pods), o->label, what);
		return false;
	}
	return true;
}

/* The number a named port has on the destination pod for @proto. */
static int named_port(const struct knet_policy_end *dest, const char *name,
		      const char *proto)
{
	if (!dest || dest->pod < 0 || !dest->p)
		return 0;
	for (int i = 0; i < dest->p->nports; i++) {
		const struct knet_container_port *cp = &dest->p->ports[i];

		if (cp->name && !strcmp(cp->name, name) &&
		    !strcasecmp(cp->protocol[0] ? cp->protocol : "TCP", proto))
			return cp->port;
	}
	return 0;
}

static bool port_entry_match(const struct knet_netpol_port *pt,
			     const struct flow *f)
{
	if (strcmp(pt->protocol, f->proto))
		return false;
	if (!pt->port && !pt->name)
		return true; /* every port of the protocol */
	if (!f->port)
		return false;
	if (pt->name)
		return named_port(f->dest, pt->name, f->proto) == f->port;
	return f->port >= pt->port &&
	       f->port <= (pt->end_port ? pt->end_port : pt->port);
}

static void port_list(const struct knet_netpol_rule *r, const struct flow *f,
		      char *buf, size_t len)
{
	size_t n = (size_t)sayn(buf, len, "[");

	for (int i = 0; i < r->nports && n < len; i++) {
		const struct knet_netpol_port *pt = &r->ports[i];
		const char *sep = i ? "," : "";
		const char *proto = strcmp(pt->protocol, "TCP") ? "/" : "";
		const char *pname = *proto ? pt->protocol : "";

		if (pt->name) {
			int num = named_port(f->dest, pt->name, pt->protocol);

			if (num)
				n += (size_t)sayn(buf + n, len - n,
						  "%s%s=%d%s%s", sep, pt->name,
						  num, proto, pname);
			else
				n += (size_t)sayn(buf + n, len - n,
						  "%s%s (not a port of "
						  "%s)%s%s",
						  sep, pt->name,
						  f->dest ? f->dest->label
							  : "the peer",
						  proto, pname);
		} else if (pt->end_port) {
			n += (size_t)sayn(buf + n, len - n, "%s%d-%d%s%s", sep,
					  pt->port, pt->end_port, proto, pname);
		} else if (pt->port) {
			n += (size_t)sayn(buf + n, len - n, "%s%d%s%s", sep,
					  pt->port, proto, pname);
		} else {
			n += (size_t)sayn(buf + n, len - n, "%sall %s", sep,
					  pt->protocol);
		}
	}
	if (n < len)
		sayn(buf + n, len - n, "]");
}

/* Whether rule @r's ports admit @f: *@idx the entry (-1: no ports). */
static bool ports_match(const struct knet_netpol_rule *r, const struct flow *f,
			int *idx, char *why)
{
	char list[WHY - 64];

	*idx = -1;
	if (!r->nports)
		return true;
	for (int i = 0; i < r->nports; i++)
		if (port_entry_match(&r->ports[i], f)) {
			*idx = i;
			return true;
		}
	if (!why)
		return false;
	port_list(r, f, list, sizeof(list));
	if (!f->port)
		say(why, "every port asked, the rule allows %s", list);
	else if (strcmp(f->proto, "TCP"))
		say(why, "port %d/%s not in %s", f->port, f->proto, list);
	else
		say(why, "port %d not in %s", f->port, list);
	return false;
}

static char *port_text(const struct knet_netpol_rule *r, int idx,
		       const struct flow *f)
{
	const struct knet_netpol_port *pt;
	char buf[128];

	if (idx < 0)
		return strdup("all ports");
	pt = &r->ports[idx];
	if (pt->name)
		snprintf(buf, sizeof(buf), "%s=%d/%s", pt->name, f->port,
			 pt->protocol);
	else if (pt->end_port)
		snprintf(buf, sizeof(buf), "%d-%d/%s", pt->port, pt->end_port,
			 pt->protocol);
	else if (pt->port)
		snprintf(buf, sizeof(buf), "%d/%s", pt->port, pt->protocol);
	else
		snprintf(buf, sizeof(buf), "all %s ports", pt->protocol);
	return strdup(buf);
}

/* Rule @r against the other end; on a miss, its closeness and reason. */
static bool rule_match(const struct knet_policy *p,
		       const struct knet_netpol *np,
		       const struct knet_netpol_rule *r,
		       const struct knet_policy_end *o, const struct flow *f,
		       int *ret_peer, int *ret_port, char *why, int *score)
{
	char pwhy[WHY] = "", portwhy[WHY] = "";
	int best = -1, s;
	bool peer_ok = r->npeers == 0, port_ok;

	*ret_peer = -1;
	for (int i = 0; i < r->npeers; i++) {
		char w[WHY];

		w[0] = '\0';

		if (policy_peer_match(p, np, &r->peers[i], o, why ? w : NULL,
				      &s)) {
			peer_ok = true;
			*ret_peer = i;
			break;
		}
		if (why && s > best) {
			best = s;
			memcpy(pwhy, w, sizeof(pwhy));
		}
	}
	port_ok = ports_match(r, f, ret_port, why ? portwhy : NULL);
	if (peer_ok && port_ok)
		return true;
	/* Closest: the peer matched (only the port did not), then... */
	*score = (peer_ok ? 4 : best > 0 ? 2 : 0) + (port_ok ? 1 : 0);
	if (!why)
		return false;
	if (!peer_ok && !port_ok)
		say(why, "%s; %s", pwhy, portwhy);
	else
		say(why, "%s", peer_ok ? portwhy : pwhy);
	return false;
}

static int add_match(struct knet_policy_half *h, const struct knet_netpol *np,
		     int rule, int peer, int port, const struct flow *f,
		     bool ingress)
{
	const struct knet_netpol_rule *r =
		ingress ? &np->in[rule] : &np->out[rule];
	struct knet_policy_match *m = &h->matched[h->nmatched++];
	char buf[WHY];

	m->policy = np;
	m->rule = rule;
	m->peer = peer;
	m->port = port;
	if (peer >= 0)
		peer_text(&r->peers[peer], buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "all %s",
			 ingress ? "sources" : "destinations");
	m->peer_text = strdup(buf);
	m->port_text = port_text(r, port, f);
	return m->peer_text && m->port_text ? 0 : -ENOMEM;
}

/*
 * One half: @subj's policies of this direction against @o.  @h NULL:
 * the answer only (1 allowed, 0 denied).
 */
static int eval_half(const struct knet_policy *p,
		     const struct knet_policy_end *subj,
		     const struct knet_policy_end *o, bool ingress,
		     const struct flow *f, struct knet_policy_half *h)
{
	const struct knet_netpol **pols;
	int npols;
	bool allowed = false;

	if (subj->pod < 0 || !subj->p || subj->p->host_network) {
		if (h) {
			h->allowed = true;
			h->note = subj->pod < 0 ? "not a pod: no NetworkPolicy "
						  "applies to it"
						: "uses the host network: "
						  "outside NetworkPolicy";
		}
		return 1;
	}
	pols = ingress ? p->pods[subj->pod].in : p->pods[subj->pod].out;
	npols = ingress ? p->pods[subj->pod].nin : p->pods[subj->pod].nout;
	if (h) {
		h->applies = true;
		h->isolated = npols > 0;
		h->npolicies = npols;
		h->policies = calloc((size_t)npols + 1, sizeof(*h->policies));
		h->matched = calloc((size_t)npols + 1, sizeof(*h->matched));
		h->denied = calloc((size_t)npols + 1, sizeof(*h->denied));
		if (!h->policies || !h->matched || !h->denied)
			return -ENOMEM;
		memcpy(h->policies, pols, (size_t)npols * sizeof(*pols));
	}
	if (!npols) {
		if (h)
			h->allowed = true;
		return 1; /* not isolated */
	}
	for (int i = 0; i < npols; i++) {
		const struct knet_netpol *np = pols[i];
		const struct knet_netpol_rule *rules =
			ingress ? np->in : np->out;
		int nrules = ingress ? np->n_in : np->n_out;
		int best = -1, best_rule = -1, peer, port, score = 0;
		char why[WHY], best_why[WHY];
		bool hit = false;

		why[0] = best_why[0] = '\0';

		for (int j = 0; j < nrules && !hit; j++) {
			if (rule_match(p, np, &rules[j], o, f, &peer, &port,
				       h ? why : NULL, &score)) {
				hit = true;
				if (h && add_match(h, np, j, peer, port, f,
						   ingress) < 0)
					return -ENOMEM;
			} else if (h && score > best) {
				best = score;
				best_rule = j;
				memcpy(best_why, why, sizeof(best_why));
			}
		}
		if (hit) {
			allowed = true;
			if (!h)
				return 1; /* the union: one allow is enough */
			continue;
		}
		if (h) {
			struct knet_policy_denial *d = &h->denied[h->ndenied++];

			d->policy = np;
			d->rule = best_rule;
			if (best_rule < 0)
				snprintf(best_why, sizeof(best_why),
					 "no %s rules: denies all %s",
					 ingress ? "ingress" : "egress",
					 ingress ? "ingress" : "egress");
			d->reason = strdup(best_why);
			if (!d->reason)
				return -ENOMEM;
		}
	}
	if (h) {
		h->allowed = allowed;
		/* Denials only matter when nothing allowed it. */
		if (allowed) {
			for (int i = 0; i < h->ndenied; i++)
				free(h->denied[i].reason);
			h->ndenied = 0;
		}
	}
	return allowed;
}

static void half_clear(struct knet_policy_half *h)
{
	for (int i = 0; i < h->nmatched; i++) {
		free(h->matched[i].peer_text);
		free(h->matched[i].port_text);
	}
	for (int i = 0; i < h->ndenied; i++)
		free(h->denied[i].reason);
	free(h->policies);
	free(h->matched);
	free(h->denied);
	memset(h, 0, sizeof(*h));
}

void knet_policy_verdict_clear(struct knet_policy_verdict *v)
{
	if (!v)
		return;
	half_clear(&v->egress);
	half_clear(&v->ingress);
}

/* The destination port: a number, a named port of @to, 0 for every. */
static int dest_port(const struct knet_policy_end *to, const char *port,
		     const char *proto)
{
	if (to->port > 0)
		return to->port; /* a Service backend's target port */
	if (!port)
		return 0;
	if (*port && strspn(port, "0123456789") == strlen(port)) {
		long v = strtol(port, NULL, 10);

		return v >= 1 && v <= 65535 ? (int)v : -EINVAL;
	}
	return named_port(to, port, proto) ?: -ENOENT;
}

int knet_policy_allowed(const struct knet_policy *p,
			const struct knet_policy_end *from,
			const struct knet_policy_end *to, const char *port,
			const char *protocol)
{
	struct flow f = {.proto = protocol ? protocol : "TCP", .dest = to};

	f.port = dest_port(to, port, f.proto);
	if (f.port < 0)
		return f.port;
	return eval_half(p, from, to, false, &f, NULL) &&
	       eval_half(p, to, from, true, &f, NULL);
}

int knet_policy_check(const struct knet_policy *p,
		      const struct knet_policy_end *from,
		      const struct knet_policy_end *to, const char *port,
		      const char *protocol, struct knet_policy_verdict *ret,
		      struct knet_error *err)
{
	struct knet_policy_verdict v = {0};
	struct flow f = {.proto = protocol ? protocol : "TCP", .dest = to};
	int r;

	f.port = dest_port(to, port, f.proto);
	if (f.port == -ENOENT)
		return knet_error_set(err, -ENOENT, KNET_EXIT_NOT_FOUND,
				      "%s has no container port named %s/%s",
				      to->label, port, f.proto);
	if (f.port < 0)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "'%s' is not a port number or name",
				      port);
	v.port = f.port;
	snprintf(v.protocol, sizeof(v.protocol), "%s", f.proto);
	r = eval_half(p, from, to, false, &f, &v.egress);
	if (r >= 0)
		r = eval_half(p, to, from, true, &f, &v.ingress);
	if (r < 0) {
		knet_policy_verdict_clear(&v);
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "out of memory");
	}
	v.allowed = v.egress.allowed && v.ingress.allowed;
	*ret = v;
	return 0;
}
