/* SPDX-License-Identifier: MIT */
/*
 * kube-proxy's iptables mode, read from `iptables-save -t nat` and
 * `-t filter`: each table's rules, the words that matter to a Service's
 * path, sorted so that a chain is a range (kp-follow.c follows them).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kp-iptables-internal.h"

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
	if (t->n)
		qsort(t->r, (size_t)t->n, sizeof(*t->r), by_chain);
	for (int i = 0; i < t->n; i++) {
		if (i && strcmp(t->r[i].chain, t->r[i - 1].chain))
			t->nchains++;
		t->r[i].chain_id = t->nchains;
	}
	t->nchains += t->n > 0;
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

/* Binary search: the table is sorted by chain name. */
int kp_chain_rules(const struct table *t, const char *chain,
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
