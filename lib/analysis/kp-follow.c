/* SPDX-License-Identifier: MIT */
/*
 * A Service's path through kube-proxy's iptables rules: its entry rule
 * in KUBE-SERVICES (ClusterIP:port) or KUBE-NODEPORTS (nodePort), then
 * the jumps it makes (KUBE-SVC-*, KUBE-XLB-*, KUBE-FW-*, KUBE-SEP-*)
 * down to the DNAT targets, each backend's share from the statistic
 * rules' probabilities.  Jumps, not comments: kube-proxy stops writing
 * comments above 1,000 endpoints.
 *
 * What a chain gives does not depend on the share that reaches it: the
 * DNAT rules it leads to, each with the part of that share, and the
 * marks on the way.  So each (chain, depth) is followed once and kept.
 * A walk that followed every path again was exponential: a chain that
 * jumps to itself 40 times is 40^8 paths within the depth limit (found
 * by fuzz-iptables).  A DNAT reached by two paths is one backend with
 * the two parts added: where that packet share goes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kp-iptables-internal.h"

#define MAX_DEPTH 8
/*
 * Backend parts one follow may add up.  kube-proxy's own tables add one
 * per endpoint (per path: SVC, XLB), so this is a Service of a million
 * endpoints; only a table made to fan out reaches it.
 */
#define MAX_WORK (1 << 22)

/* What following one chain from one depth gives. */
struct reach {
	int *dnat;    /* nat rule indexes, in the order first reached */
	double *part; /* of the share that reaches the chain */
	int n;
	bool done;
	bool masquerade, drop, local_only;
	const char *svc_chain; /* the first KUBE-SVC-* jumped to */
};

struct follow {
	const struct table *nat;
	struct reach *memo; /* [chain_id * MAX_DEPTH + depth - 1] */
	int *slot;	    /* per nat rule: its place in the reach built */
	int *stamp;	    /* per nat rule: which build slot[] is of */
	int builds;
	long work;
	bool truncated;
};

static bool prefix(const char *s, const char *p)
{
	return s && !strncmp(s, p, strlen(p));
}

static bool jumps_on(const char *j)
{
	return prefix(j, "KUBE-SVC-") || prefix(j, "KUBE-SEP-") ||
	       prefix(j, "KUBE-XLB-") || prefix(j, "KUBE-FW-");
}

/*
 * XLB's short-cut of pod traffic to the SVC chain, and its local
 * sources: not what an outside client's packet takes.
 */
static bool not_taken(const char *chain, const struct rule *r)
{
	return prefix(chain, "KUBE-XLB-") &&
	       ((r->src && !r->src_not) || r->src_local);
}

static int add_part(struct follow *f, struct reach *to, int dnat, double part)
{
	int i;

	if (f->stamp[dnat] == f->builds) {
		to->part[f->slot[dnat]] += part;
		return 0;
	}
	if (to->n % 16 == 0) {
		size_t cap = (size_t)to->n + 16;
		int *d = realloc(to->dnat, cap * sizeof(*d));
		double *p;

		if (!d)
			return -ENOMEM;
		to->dnat = d;
		p = realloc(to->part, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		to->part = p;
	}
	i = to->n++;
	to->dnat[i] = dnat;
	to->part[i] = part;
	f->stamp[dnat] = f->builds;
	f->slot[dnat] = i;
	return 0;
}

static const struct reach *reach_of(struct follow *f, const char *chain,
				    int depth, int *rc);

/*
 * Go through @chain's rules as the packet does (@r, @n): what is left of
 * its share after each jump's probability, none after a DNAT.  With
 * @into NULL: follow the chains it jumps to (so that their reach is
 * kept).  With @into: add their reach up into it, with no recursion,
 * which is what lets one slot[] serve every build.
 */
static int pass(struct follow *f, const char *chain, const struct rule *r,
		int n, int depth, struct reach *into)
{
	double left = 1;

	for (int i = 0; i < n && left > 0; i++) {
		const char *j = r[i].jump;
		const struct reach *c;
		double take;
		int rc = 0;

		if (!j)
			continue;
		if (!strcmp(j, "KUBE-MARK-MASQ")) {
			if (into)
				into->masquerade = true;
			continue;
		}
		if (!strcmp(j, "KUBE-MARK-DROP")) {
			if (into)
				into->drop = true;
			continue;
		}
		if (not_taken(chain, &r[i]))
			continue;
		if (!strcmp(j, "DNAT") && r[i].to) {
			if (into)
				rc = add_part(f, into, (int)(r + i - f->nat->r),
					      left);
			if (rc < 0)
				return rc;
			left = 0;
			continue;
		}
		if (!jumps_on(j))
			continue;
		take = left * r[i].prob;
		c = reach_of(f, j, depth + 1, &rc);
		if (rc < 0)
			return rc;
		if (into && c) {
			if (!into->svc_chain)
				into->svc_chain = prefix(j, "KUBE-SVC-")
							  ? j
							  : c->svc_chain;
			into->masquerade |= c->masquerade;
			into->drop |= c->drop;
			into->local_only |= c->local_only;
			f->work += c->n;
			if (f->work > MAX_WORK) {
				f->truncated = true;
				return 0;
			}
			for (int k = 0; k < c->n; k++) {
				rc = add_part(f, into, c->dnat[k],
					      take * c->part[k]);
				if (rc < 0)
					return rc;
			}
		}
		left -= take;
		if (left < 1e-9)
			left = 0;
	}
	return 0;
}

/* @chain's reach from @depth, followed once; NULL past the depth limit. */
static const struct reach *reach_of(struct follow *f, const char *chain,
				    int depth, int *rc)
{
	static const struct reach none, none_xlb = {.local_only = true};
	const struct rule *r;
	int n = kp_chain_rules(f->nat, chain, &r);
	struct reach *m;

	*rc = 0;
	if (depth > MAX_DEPTH)
		return NULL;
	if (!n)
		return prefix(chain, "KUBE-XLB-") ? &none_xlb : &none;
	m = &f->memo[r->chain_id * MAX_DEPTH + depth - 1];
	if (m->done)
		return m;
	/* Marked first: a chain that jumps to itself meets itself only at
	 * a greater depth, another slot; this one is not read unfinished. */
	m->done = true;
	m->local_only = prefix(chain, "KUBE-XLB-");
	*rc = pass(f, chain, r, n, depth, NULL);
	if (*rc < 0 || f->truncated)
		return m;
	f->builds++;
	*rc = pass(f, chain, r, n, depth, m);
	return m;
}

static void follow_free(struct follow *f)
{
	int n = f->nat->nchains * MAX_DEPTH;

	for (int i = 0; f->memo && i < n; i++) {
		free(f->memo[i].dnat);
		free(f->memo[i].part);
	}
	free(f->memo);
	free(f->slot);
	free(f->stamp);
}

static int add_backend(struct knet_kp_path *p, const struct rule *dnat,
		       double share)
{
	struct knet_kp_backend *b, *g;
	const char *to = dnat->to, *colon = strrchr(to, ':');
	size_t len = colon ? (size_t)(colon - to) : strlen(to);

	if (p->nb % 64 == 0) {
		g = realloc(p->b, ((size_t)p->nb + 64) * sizeof(*g));
		if (!g)
			return -ENOMEM;
		p->b = g;
	}
	b = &p->b[p->nb++];
	memset(b, 0, sizeof(*b));
	/* "[fd00::5]:80" or "198.19.1.2:8080" */
	if (*to == '[' && len > 2)
		snprintf(b->ip, sizeof(b->ip), "%.*s", (int)len - 2, to + 1);
	else
		snprintf(b->ip, sizeof(b->ip), "%.*s", (int)len, to);
	b->port = colon ? atoi(colon + 1) : 0;
	b->share = share;
	snprintf(b->chain, sizeof(b->chain), "%s", dnat->chain);
	return 0;
}

/* From the entry's jump target @chain: everything into @p. */
static int follow(const struct knet_ipt *t, const char *chain,
		  struct knet_kp_path *p)
{
	struct follow f = {.nat = &t->nat};
	const struct reach *m;
	size_t n = (size_t)t->nat.n;
	int rc;

	f.memo = calloc((size_t)t->nat.nchains * MAX_DEPTH, sizeof(*f.memo));
	f.slot = calloc(n, sizeof(*f.slot));
	f.stamp = calloc(n, sizeof(*f.stamp));
	if (!f.memo || !f.slot || !f.stamp) {
		rc = -ENOMEM;
		goto out;
	}
	m = reach_of(&f, chain, 1, &rc);
	if (rc < 0 || !m)
		goto out;
	p->truncated = f.truncated;
	p->masquerade |= m->masquerade;
	p->drop |= m->drop;
	p->local_only |= m->local_only;
	if (!p->svc_chain[0] && m->svc_chain)
		snprintf(p->svc_chain, sizeof(p->svc_chain), "%s",
			 m->svc_chain);
	for (int i = 0; i < m->n && rc == 0; i++)
		rc = add_backend(p, &t->nat.r[m->dnat[i]], m->part[i]);
out:
	follow_free(&f);
	return rc;
}

static bool proto_is(const struct rule *r, const char *proto)
{
	return r->proto && !strcasecmp(r->proto, proto);
}

/* The entry rules in @chain for (dst, proto, port): masq and jumps. */
static int entry(const struct knet_ipt *t, const char *chain, const char *dst,
		 const char *proto, int port, struct knet_kp_path *p)
{
	const struct rule *r;
	int n = kp_chain_rules(&t->nat, chain, &r);

	for (int i = 0; i < n; i++) {
		if (r[i].dport != port || !proto_is(&r[i], proto) ||
		    (dst && (!r[i].dst || strcmp(r[i].dst, dst))) || !r[i].jump)
			continue;
		if (!strcmp(r[i].jump, "KUBE-MARK-MASQ")) {
			p->masquerade = true;
			continue;
		}
		p->found = true;
		if (prefix(r[i].jump, "KUBE-SVC-"))
			snprintf(p->svc_chain, sizeof(p->svc_chain), "%s",
				 r[i].jump);
		return follow(t, r[i].jump, p);
	}
	return 0;
}

/* The filter table's "has no endpoints" REJECT for it. */
static bool rejected(const struct knet_ipt *t, const char *chain,
		     const char *dst, const char *proto, int port)
{
	const struct rule *r;
	int n = kp_chain_rules(&t->filter, chain, &r);

	for (int i = 0; i < n; i++)
		if (r[i].jump && !strcmp(r[i].jump, "REJECT") &&
		    r[i].dport == port && proto_is(&r[i], proto) &&
		    (!dst || (r[i].dst && !strcmp(r[i].dst, dst))))
			return true;
	return false;
}

int knet_kp_follow_cluster_ip(const struct knet_ipt *t, const char *ip,
			      const char *proto, int port,
			      struct knet_kp_path *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->reject = rejected(t, "KUBE-SERVICES", ip, proto, port);
	return entry(t, "KUBE-SERVICES", ip, proto, port, ret);
}

int knet_kp_follow_node_port(const struct knet_ipt *t, const char *proto,
			     int node_port, struct knet_kp_path *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->reject =
		rejected(t, "KUBE-EXTERNAL-SERVICES", NULL, proto, node_port);
	return entry(t, "KUBE-NODEPORTS", NULL, proto, node_port, ret);
}

void knet_kp_path_clear(struct knet_kp_path *p)
{
	free(p->b);
	memset(p, 0, sizeof(*p));
}
