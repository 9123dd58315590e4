/* SPDX-License-Identifier: MIT */
/*
 * What a name means in the cluster (the Kubernetes DNS specification:
 * <svc>.<ns>.svc.<domain>, <host>.<svc>.<ns>.svc.<domain> for headless
 * endpoints, <a-b-c-d>.<ns>.pod.<domain>), how its answer compares with
 * the API, and what ndots cost.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "knet/analysis.h"

#define MAX_LABELS 8

/* Split @s (modified) on dots; the number of labels, 0 if too many. */
static int split(char *s, char **labels)
{
	int n = 0;

	for (char *p = s; p;) {
		char *dot = strchr(p, '.');

		if (n == MAX_LABELS)
			return 0;
		labels[n++] = p;
		if (dot)
			*dot++ = '\0';
		p = dot;
	}
	return n;
}

/* Strip the suffix @sfx ("." + word) from @s when it ends so. */
static bool strip(char *s, const char *sfx)
{
	size_t n = strlen(s), m = strlen(sfx);

	if (n <= m + 1 || strcasecmp(s + n - m, sfx) || s[n - m - 1] != '.')
		return false;
	s[n - m - 1] = '\0';
	return true;
}

static bool copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n == 0 || n >= size)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

/* "198-18-0-1" as the address it stands for. */
static bool pod_ip(const char *label, char *out, size_t size)
{
	struct in_addr a;
	char buf[46];

	if (!copy(buf, sizeof(buf), label))
		return false;
	for (char *p = buf; *p; p++)
		if (*p == '-')
			*p = '.';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return false;
	return inet_ntop(AF_INET, &a, out, (socklen_t)size) != NULL;
}

static void service(struct knet_dns_intent *r, char **l, int n)
{
	bool ok = false;

	if (n == 2)
		ok = copy(r->svc, sizeof(r->svc), l[0]) &&
		     copy(r->ns, sizeof(r->ns), l[1]);
	else if (n == 3)
		ok = copy(r->host, sizeof(r->host), l[0]) &&
		     copy(r->svc, sizeof(r->svc), l[1]) &&
		     copy(r->ns, sizeof(r->ns), l[2]);
	if (ok)
		r->kind =
			n == 2 ? KNET_DNS_NAME_SERVICE : KNET_DNS_NAME_ENDPOINT;
}

static void pod(struct knet_dns_intent *r, char **l, int n)
{
	if (n == 2 && pod_ip(l[0], r->pod_ip, sizeof(r->pod_ip)) &&
	    copy(r->ns, sizeof(r->ns), l[1]))
		r->kind = KNET_DNS_NAME_POD;
}

void knet_dns_intent_of(const char *name, const char *pod_ns,
			const char *domain, struct knet_dns_intent *ret)
{
	char buf[256], *l[MAX_LABELS];
	bool under_domain;
	size_t len;
	int n;

	memset(ret, 0, sizeof(*ret));
	if (!domain)
		domain = "cluster.local";
	if (!copy(buf, sizeof(buf), name))
		return;
	len = strlen(buf);
	if (buf[len - 1] == '.')
		buf[len - 1] = '\0';
	ret->labels = 1;
	for (char *p = buf; *p; p++)
		ret->labels += *p == '.';
	for (char *p = buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	under_domain = strip(buf, domain);
	ret->relative = !under_domain;
	if (strip(buf, "svc")) {
		n = split(buf, l);
		service(ret, l, n);
	} else if (strip(buf, "pod")) {
		n = split(buf, l);
		pod(ret, l, n);
	} else if (!under_domain) {
		n = split(buf, l);
		if (n == 1 && pod_ns) {
			ret->kind = copy(ret->svc, sizeof(ret->svc),
					 l[0]) && copy(ret->ns, sizeof(ret->ns),
						       pod_ns)
					    ? KNET_DNS_NAME_SERVICE
					    : KNET_DNS_NAME_OTHER;
		} else {
			service(ret, l, n);
		}
	}
	if (ret->kind == KNET_DNS_NAME_SERVICE)
		snprintf(ret->fqdn, sizeof(ret->fqdn), "%s.%s.svc.%s", ret->svc,
			 ret->ns, domain);
	else if (ret->kind == KNET_DNS_NAME_ENDPOINT)
		snprintf(ret->fqdn, sizeof(ret->fqdn), "%s.%s.%s.svc.%s",
			 ret->host, ret->svc, ret->ns, domain);
	else if (ret->kind == KNET_DNS_NAME_POD) {
		char dashed[46];

		snprintf(dashed, sizeof(dashed), "%s", ret->pod_ip);
		for (char *p = dashed; *p; p++)
			if (*p == '.')
				*p = '-';
		snprintf(ret->fqdn, sizeof(ret->fqdn), "%s.%s.pod.%s", dashed,
			 ret->ns, domain);
	}
}

struct bin {
	int family;
	unsigned char b[16];
};

static bool to_bin(const char *s, struct bin *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (inet_pton(AF_INET, s, ret->b) == 1)
		ret->family = AF_INET;
	else if (inet_pton(AF_INET6, s, ret->b) == 1)
		ret->family = AF_INET6;
	return ret->family != 0;
}

/* Every address of @a is in @b. */
static bool subset(char *const *a, int na, char *const *b, int nb)
{
	for (int i = 0; i < na; i++) {
		struct bin x, y;
		bool found = false;

		if (!to_bin(a[i], &x))
			return false;
		for (int j = 0; j < nb && !found; j++)
			found = to_bin(b[j], &y) && x.family == y.family &&
				!memcmp(x.b, y.b, sizeof(x.b));
		if (!found)
			return false;
	}
	return true;
}

bool knet_dns_addrs_equal(char *const *a, int na, char *const *b, int nb)
{
	return subset(a, na, b, nb) && subset(b, nb, a, na);
}

int knet_dns_wasted_queries(const struct knet_dns_plan *p,
			    const int *queries_per_name, int answered)
{
	int end = answered, wasted = 0;

	if (end < 0) {
		/* Nothing answered: what came before the name as it is. */
		for (int i = 0; i < p->n; i++)
			if (p->steps[i] != KNET_DNS_SEARCH)
				end = i;
		if (end < 0)
			return 0;
	}
	/* A search name that answered was the name meant: only what came
	 * before it was spent. */
	for (int i = 0; i < end && i < p->n; i++)
		wasted += queries_per_name[i];
	return wasted;
}
