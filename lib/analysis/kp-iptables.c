/* SPDX-License-Identifier: MIT */
/*
 * kube-proxy's iptables mode, read from `iptables-save -t nat` and
 * `-t filter`: a Service's entry rule in KUBE-SERVICES (ClusterIP:port)
 * or KUBE-NODEPORTS (nodePort), then the jumps it makes (KUBE-SVC-*,
 * KUBE-XLB-*, KUBE-SEP-*) down to the DNAT targets, with each backend's
 * share from the statistic rules' probabilities.  Jumps, not comments:
 * kube-proxy stops writing comments above 1,000 endpoints.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "knet/analysis.h"

#define MAX_DEPTH 8
/*
 * Rules one follow may visit: a chain that jumps N times to a chain that
 * jumps N times... is N^8 walks within MAX_DEPTH (the fuzzer's 20 rules
 * took 250 ms; 40 would take days).  kube-proxy's own tables visit some
 * 3 rules per endpoint, so this is a Service of 80,000 endpoints.
 */
#define MAX_VISITS (1 << 18)

struct rule {
	const char *chain;
	const char *dst;   /* -d, without "/32" */
	const char *src;   /* -s */
	bool src_not;	   /* ! -s */
	const char *proto; /* -p */
	int dport;	   /* --dport, 0 none */
	const char *jump;  /* -j */
	const char *to;	   /* --to-destination */
	double prob;	   /* --probability, 1 when none */
	bool dst_local;	   /* -m addrtype --dst-type LOCAL */
	bool src_local;	   /* --src-type LOCAL */
	int seq;
};

struct table {
	struct rule *r;
	int n;
};

struct knet_ipt {
	struct table nat, filter;
	char *text; /* the tokens, NUL-separated, that rules point into */
	bool has_services;
};

/* Split a line into words in place, honouring "quoted strings". */
static int words(char *s, char **w, int max)
{
	int n = 0;

	while (*s && n < max) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (*s == '"') {
			w[n++] = ++s;
			while (*s && *s != '"')
				s += s[0] == '\\' && s[1] ? 2 : 1;
		} else {
			w[n++] = s;
			while (*s && *s != ' ' && *s != '\t')
				s++;
		}
		if (*s)
			*s++ = '\0';
	}
	return n;
}

static const char *strip_host_mask(char *a)
{
	char *slash = strchr(a, '/');

	if (slash && (!strcmp(slash, "/32") || !strcmp(slash, "/128")))
		*slash = '\0';
	return a;
}

static void parse_rule(struct rule *r, char **w, int n)
{
	bool neg = false;

	memset(r, 0, sizeof(*r));
	r->chain = w[1];
	r->prob = 1;
	for (int i = 2; i < n; i++) {
		const char *a = w[i], *v = i + 1 < n ? w[i + 1] : NULL;

		if (!strcmp(a, "!")) {
			neg = true;
			continue;
		}
		if (v && (!strcmp(a, "-d") || !strcmp(a, "--destination")))
			r->dst = strip_host_mask(w[++i]);
		else if (v && (!strcmp(a, "-s") || !strcmp(a, "--source"))) {
			r->src = w[++i];
			r->src_not = neg;
		} else if (v && (!strcmp(a, "-p") || !strcmp(a, "--protocol")))
			r->proto = w[++i];
		else if (v && !strcmp(a, "--dport"))
			r->dport = atoi(w[++i]);
		else if (v && (!strcmp(a, "-j") || !strcmp(a, "--jump")))
			r->jump = w[++i];
		else if (v && !strcmp(a, "--to-destination"))
			r->to = w[++i];
		else if (v && !strcmp(a, "--probability"))
			r->prob = strtod(w[++i], NULL);
		else if (v && !strcmp(a, "--dst-type"))
			r->dst_local = !strcmp(w[++i], "LOCAL");
		else if (v && !strcmp(a, "--src-type"))
			r->src_local = !strcmp(w[++i], "LOCAL");
		neg = false;
	}
}

static int by_chain(const void *a, const void *b)
{
	const struct rule *x = a, *y = b;
	int c = strcmp(x->chain, y->chain);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static int parse_table(char *text, struct table *t)
{
	size_t cap = 0;

	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n'), *w[64];
		int n;

		if (nl)
			*nl = '\0';
		if (!strncmp(line, "-A ", 3) && (n = words(line, w, 64)) >= 2) {
			if ((size_t)t->n == cap) {
				struct rule *g;

				cap = cap ? cap * 2 : 256;
				g = realloc(t->r, cap * sizeof(*g));
				if (!g)
					return -ENOMEM;
				t->r = g;
			}
			parse_rule(&t->r[t->n], w, n);
			t->r[t->n].seq = t->n;
			t->n++;
		}
		line = nl ? nl + 1 : NULL;
	}
	/* Sorted by chain, in order within each: a chain is a range. */
	if (t->n)
		qsort(t->r, (size_t)t->n, sizeof(*t->r), by_chain);
	return 0;
}

int knet_ipt_parse(const char *nat, const char *filter, struct knet_ipt **ret,
		   struct knet_error *err)
{
	struct knet_ipt *t = calloc(1, sizeof(*t));
	size_t nl = nat ? strlen(nat) : 0, fl = filter ? strlen(filter) : 0;

	if (!t || !(t->text = malloc(nl + fl + 2)))
		goto nomem;
	memcpy(t->text, nat ? nat : "", nl + 1);
	memcpy(t->text + nl + 1, filter ? filter : "", fl + 1);
	if (parse_table(t->text, &t->nat) < 0 ||
	    parse_table(t->text + nl + 1, &t->filter) < 0)
		goto nomem;
	for (int i = 0; i < t->nat.n && !t->has_services; i++)
		t->has_services = !strcmp(t->nat.r[i].chain, "KUBE-SERVICES");
	*ret = t;
	return 0;
nomem:
	knet_ipt_free(t);
	return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
}

void knet_ipt_free(struct knet_ipt *t)
{
	if (!t)
		return;
	free(t->nat.r);
	free(t->filter.r);
	free(t->text);
	free(t);
}

bool knet_ipt_kube_proxy(const struct knet_ipt *t)
{
	return t && t->has_services;
}

int knet_ipt_rules(const struct knet_ipt *t)
{
	return t ? t->nat.n + t->filter.n : 0;
}

/* The rules of @chain: [*ret_first, *ret_first + n). */
static int chain_rules(const struct table *t, const char *chain,
		       const struct rule **ret_first)
{
	int lo = 0, hi = t->n, n = 0;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (strcmp(t->r[mid].chain, chain) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo + n < t->n && !strcmp(t->r[lo + n].chain, chain))
		n++;
	/* An empty table has no array: NULL + 0 is undefined in C. */
	*ret_first = n ? t->r + lo : NULL;
	return n;
}

static int add_backend(struct knet_kp_path *p, const char *to,
		       const char *chain, double share)
{
	struct knet_kp_backend *b, *g;
	const char *colon = strrchr(to, ':');
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
	snprintf(b->chain, sizeof(b->chain), "%s", chain);
	return 0;
}

static bool prefix(const char *s, const char *p)
{
	return s && !strncmp(s, p, strlen(p));
}

/* Follow @chain's jumps, a packet's share @share reaching it. */
static int walk(const struct knet_ipt *t, const char *chain, double share,
		int depth, int *visits, struct knet_kp_path *p)
{
	const struct rule *r;
	int n = chain_rules(&t->nat, chain, &r);
	double left = 1;

	if (depth > MAX_DEPTH)
		return 0;
	if (*visits > MAX_VISITS) {
		p->truncated = true;
		return 0;
	}
	*visits += n;
	if (prefix(chain, "KUBE-XLB-"))
		p->local_only = true;
	for (int i = 0; i < n && left > 0; i++) {
		const char *j = r[i].jump;
		int rc;

		if (!j)
			continue;
		if (!strcmp(j, "KUBE-MARK-MASQ")) {
			p->masquerade = true;
			continue;
		}
		if (!strcmp(j, "KUBE-MARK-DROP")) {
			p->drop = true;
			continue;
		}
		/* XLB: pod traffic short-cut to the SVC chain, and local
		 * sources: not what an outside client's packet takes. */
		if (prefix(chain, "KUBE-XLB-") &&
		    ((r[i].src && !r[i].src_not) || r[i].src_local))
			continue;
		/* SEP: "-s <itself> -j KUBE-MARK-MASQ" is hairpin only. */
		if (!strcmp(j, "DNAT") && r[i].to) {
			rc = add_backend(p, r[i].to, chain, share * left);
			if (rc < 0)
				return rc;
			left = 0;
			continue;
		}
		if (prefix(j, "KUBE-SVC-") || prefix(j, "KUBE-SEP-") ||
		    prefix(j, "KUBE-XLB-") || prefix(j, "KUBE-FW-")) {
			double take = left * r[i].prob;

			if (prefix(j, "KUBE-SVC-") && !p->svc_chain[0])
				snprintf(p->svc_chain, sizeof(p->svc_chain),
					 "%s", j);
			rc = walk(t, j, share * take, depth + 1, visits, p);
			if (rc < 0)
				return rc;
			left -= take;
			if (left < 1e-9)
				left = 0;
		}
	}
	return 0;
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
	int n = chain_rules(&t->nat, chain, &r), visits = 0;

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
		return walk(t, r[i].jump, 1.0, 1, &visits, p);
	}
	return 0;
}

/* The filter table's "has no endpoints" REJECT for it. */
static bool rejected(const struct knet_ipt *t, const char *chain,
		     const char *dst, const char *proto, int port)
{
	const struct rule *r;
	int n = chain_rules(&t->filter, chain, &r);

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
