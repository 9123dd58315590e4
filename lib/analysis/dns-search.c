/* SPDX-License-Identifier: MIT */
/*
 * The order in which glibc's resolver tries names (res_query.c,
 * __res_context_search), so that knet dns sends what the pod's libc
 * sends, in the same order, and stops where it stops.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/analysis.h"

static int add(struct knet_dns_plan *p, const char *name, const char *domain,
	       enum knet_dns_step step)
{
	char buf[512];
	size_t n = strlen(name);

	/* "name" + ".domain"; the root ("" or ".") adds nothing. */
	if (n && name[n - 1] == '.')
		n--;
	if (domain && *domain == '.')
		domain++;
	if (domain && *domain)
		snprintf(buf, sizeof(buf), "%.*s.%s", (int)n, name, domain);
	else
		snprintf(buf, sizeof(buf), "%.*s", (int)n, name);
	n = strlen(buf);
	if (n > 1 && buf[n - 1] == '.')
		buf[n - 1] = '\0';
	p->names[p->n] = strdup(buf);
	if (!p->names[p->n])
		return -ENOMEM;
	p->steps[p->n++] = step;
	return 0;
}

int knet_dns_plan_new(const struct knet_resolv_conf *c, const char *name,
		      struct knet_dns_plan **ret, struct knet_error *err)
{
	struct knet_dns_plan *p = calloc(1, sizeof(*p));
	size_t len = strlen(name);
	bool as_is_first, root_on_list = false;
	int r = 0;

	if (!p)
		goto nomem;
	p->names = calloc((size_t)c->search.n + 2, sizeof(*p->names));
	p->steps = calloc((size_t)c->search.n + 2, sizeof(*p->steps));
	if (!p->names || !p->steps)
		goto nomem;
	for (const char *s = name; *s; s++)
		p->dots += *s == '.';
	p->trailing_dot = len && name[len - 1] == '.';
	as_is_first = p->dots >= c->ndots || p->trailing_dot;
	if (as_is_first)
		r = add(p, name, NULL, KNET_DNS_AS_IS_FIRST);
	if (!p->trailing_dot) {
		for (int i = 0; r == 0 && i < c->search.n; i++) {
			const char *d = c->search.v[i];

			if (!strcmp(d, ".") || !*d)
				root_on_list = true;
			r = add(p, name, d, KNET_DNS_SEARCH);
		}
		if (r == 0 && !as_is_first && !root_on_list &&
		    (p->dots || c->search.n == 0 || !c->no_tld_query))
			r = add(p, name, NULL, KNET_DNS_AS_IS_LAST);
	}
	if (r < 0)
		goto nomem;
	*ret = p;
	return 0;
nomem:
	knet_dns_plan_free(p);
	return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
}

void knet_dns_plan_free(struct knet_dns_plan *p)
{
	if (!p)
		return;
	for (int i = 0; p->names && i < p->n; i++)
		free(p->names[i]);
	free(p->names);
	free(p->steps);
	free(p);
}

/* The last name, the one tried as it is after the search list, or -1. */
static int as_is_last(const struct knet_dns_plan *p)
{
	return p->n && p->steps[p->n - 1] == KNET_DNS_AS_IS_LAST ? p->n - 1
								 : -1;
}

int knet_dns_plan_next(const struct knet_dns_plan *p, int i,
		       enum knet_dns_outcome o)
{
	if (i < 0 || i >= p->n || o == KNET_DNS_OUT_ANSWER)
		return -1;
	switch (p->steps[i]) {
	case KNET_DNS_AS_IS_FIRST:
		/* Any failure goes on to the search list (none after "x."). */
		return i + 1 < p->n ? i + 1 : -1;
	case KNET_DNS_SEARCH:
		if (o == KNET_DNS_OUT_CONNREFUSED)
			return -1;
		if (o == KNET_DNS_OUT_NXDOMAIN || o == KNET_DNS_OUT_NODATA ||
		    o == KNET_DNS_OUT_SERVFAIL)
			return i + 1 < p->n ? i + 1 : -1;
		/* "anything else implies that we're done" with the list */
		return as_is_last(p);
	case KNET_DNS_AS_IS_LAST:
		return -1;
	}
	return -1;
}
