/* SPDX-License-Identifier: MIT */
/*
 * Which Ingress rule a request hits, by the Ingress specification
 * (kubernetes.io/docs/concepts/services-networking/ingress, "Examples"
 * of path matching): hosts exact or "*.domain" for exactly one label,
 * paths Exact or Prefix (by path elements, a trailing slash ignored),
 * the longest match first and Exact over Prefix, then defaultBackend.
 * Hosts are tiered as controllers do (nginx builds one server per
 * host): an exact host's rules, else a wildcard's, else those without
 * a host; a request for a host with rules never falls through to
 * another host's paths.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "knet/analysis.h"

const char *knet_ingress_verdict_name(enum knet_ingress_verdict v)
{
	static const char *const names[] = {
		[KNET_ING_WON] = "won",
		[KNET_ING_CLASS] = "class",
		[KNET_ING_HOST] = "host",
		[KNET_ING_HOST_TIER] = "host-tier",
		[KNET_ING_PATH] = "path",
		[KNET_ING_SHORTER] = "shorter",
		[KNET_ING_PREFIX] = "prefix",
		[KNET_ING_ORDER] = "order",
		[KNET_ING_DEFAULT] = "default",
	};

	return v <= KNET_ING_DEFAULT ? names[v] : "?";
}

int knet_url_parse(const char *s, struct knet_url *ret, struct knet_error *err)
{
	const char *p = strstr(s, "://"), *host, *end;
	size_t n;

	memset(ret, 0, sizeof(*ret));
	snprintf(ret->scheme, sizeof(ret->scheme), "http");
	if (p) {
		n = (size_t)(p - s);
		if (n >= sizeof(ret->scheme))
			goto bad;
		memcpy(ret->scheme, s, n);
		ret->scheme[n] = '\0';
		for (char *c = ret->scheme; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if (strcmp(ret->scheme, "http") && strcmp(ret->scheme, "https"))
			goto bad;
		s = p + 3;
	}
	host = s;
	end = host + strcspn(host, "/?#");
	{
		const char *colon = memchr(host, ':', (size_t)(end - host));

		n = (size_t)((colon ? colon : end) - host);
		if (n == 0 || n >= sizeof(ret->host))
			goto bad;
		for (size_t i = 0; i < n; i++)
			ret->host[i] = (char)tolower((unsigned char)host[i]);
		ret->port = colon ? atoi(colon + 1) : 0;
		if (colon && (ret->port <= 0 || ret->port > 65535))
			goto bad;
	}
	if (!ret->port)
		ret->port = strcmp(ret->scheme, "https") ? 80 : 443;
	n = strcspn(end, "?#");
	if (n >= sizeof(ret->path))
		goto bad;
	if (n == 0 || *end != '/')
		snprintf(ret->path, sizeof(ret->path), "/");
	else
		memcpy(ret->path, end, n);
	return 0;
bad:
	return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
			      "not an http(s) URL: want [http[s]://]HOST[:PORT]"
			      "[/PATH]");
}

/* 3 the host itself, 2 a one-label wildcard, 1 no host, 0 no match. */
static int host_tier(const char *rule, const char *host)
{
	const char *dot;

	if (!rule || !*rule)
		return 1;
	if (!strcasecmp(rule, host))
		return 3;
	if (!strncmp(rule, "*.", 2) && (dot = strchr(host, '.')) &&
	    dot != host && !strcasecmp(dot + 1, rule + 2))
		return 2;
	return 0;
}

/* The length of @p without trailing slashes ("/" stays "/"). */
static size_t trimmed(const char *p)
{
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		n--;
	return n;
}

/*
 * Prefix by elements: "/aaa/bbb" matches "/aaa/bbb", "/aaa/bbb/" and
 * "/aaa/bbb/ccc", not "/aaa/bbbxyz"; "/" matches everything.
 */
static bool prefix_match(const char *rule, const char *path)
{
	size_t n = trimmed(rule);

	if (n == 1 && rule[0] == '/')
		return true;
	return !strncmp(rule, path, n) && (path[n] == '\0' || path[n] == '/');
}

static void judge_path(struct knet_ingress_candidate *c, const char *path)
{
	const struct knet_ingress_path *p = &c->ing->paths[c->path];
	const char *type = p->path_type;
	const char *rule = p->path && *p->path ? p->path : "/";

	c->exact = type && !strcmp(type, "Exact");
	c->impl_specific = !type || !strcmp(type, "ImplementationSpecific");
	if (c->exact)
		c->match_len = !strcmp(rule, path) ? (int)strlen(rule) : -1;
	else
		c->match_len =
			prefix_match(rule, path) ? (int)trimmed(rule) : -1;
}

static bool class_ok(const struct knet_ingress *i, const char *cls,
		     const char *default_cls)
{
	const char *mine = i->class_name ? i->class_name : default_cls;

	if (!cls)
		cls = default_cls;
	return !cls || (mine && !strcmp(mine, cls));
}

/* Is @a a better rule for the request than @b? */
static bool better(const struct knet_ingress_candidate *a,
		   const struct knet_ingress_candidate *b)
{
	if (a->match_len != b->match_len)
		return a->match_len > b->match_len;
	return a->exact && !b->exact;
}

static void why(struct knet_ingress_candidate *c, enum knet_ingress_verdict v,
		const struct knet_ingress_candidate *w)
{
	const struct knet_ingress_path *p = &c->ing->paths[c->path];
	const char *wp = w ? w->ing->paths[w->path].path : NULL;

	c->verdict = v;
	switch (v) {
	case KNET_ING_WON:
		snprintf(c->why, sizeof(c->why), "%s%s",
			 p->is_default ? "no rule matched: the default backend"
			 : c->exact    ? "the longest match (Exact)"
				       : "the longest match (Prefix)",
			 c->impl_specific && !p->is_default
				 ? "; ImplementationSpecific treated as "
				   "Prefix"
				 : "");
		break;
	case KNET_ING_CLASS:
		snprintf(c->why, sizeof(c->why),
			 "class %s is not the one asked",
			 c->ing->class_name ? c->ing->class_name : "(none)");
		break;
	case KNET_ING_HOST:
		snprintf(c->why, sizeof(c->why), "host %s does not match",
			 p->host);
		break;
	case KNET_ING_HOST_TIER:
		snprintf(c->why, sizeof(c->why),
			 "a more specific host rule serves this host");
		break;
	case KNET_ING_PATH:
		snprintf(c->why, sizeof(c->why), "%s path %s does not match",
			 c->exact ? "Exact" : "Prefix",
			 p->path ? p->path : "/");
		break;
	case KNET_ING_SHORTER:
		snprintf(c->why, sizeof(c->why),
			 "matches, but %s is a longer match", wp ? wp : "/");
		break;
	case KNET_ING_PREFIX:
		snprintf(c->why, sizeof(c->why),
			 "matches, but Exact %s wins over Prefix at the same "
			 "length",
			 wp ? wp : "/");
		break;
	case KNET_ING_ORDER:
		snprintf(c->why, sizeof(c->why),
			 "the same match as %s/%s, which comes first",
			 w->ing->meta.namespace, w->ing->meta.name);
		break;
	case KNET_ING_DEFAULT:
		snprintf(c->why, sizeof(c->why),
			 "a default backend: used only when no rule matches");
		break;
	}
}

static void tls(struct knet_ingress_match *m, const struct knet_url *u,
		const struct knet_ingress *win)
{
	const struct knet_ingress *best = NULL;
	const char *secret = NULL;
	int tier = 0;

	for (int k = 0; k < m->n; k++) {
		const struct knet_ingress *i = m->c[k].ing;

		if (m->c[k].verdict == KNET_ING_CLASS)
			continue;
		for (int h = 0; h < i->tls_hosts.n; h++) {
			int t = host_tier(i->tls_hosts.v[h], u->host);

			/* a TLS block without hosts is for every host */
			if (t > tier || (t == tier && t && i == win)) {
				tier = t;
				best = i;
				secret = h < i->tls_secrets.n
						 ? i->tls_secrets.v[h]
						 : NULL;
			}
		}
	}
	if (strcmp(u->scheme, "https"))
		return;
	m->tls_ing = best;
	m->tls_secret = secret && *secret ? secret : NULL;
	m->https_without_tls = !best;
}

int knet_ingress_match(const struct knet_ingress *const *ings, int n,
		       const char *cls, const char *default_cls,
		       const struct knet_url *u,
		       struct knet_ingress_match **ret, struct knet_error *err)
{
	struct knet_ingress_match *m = calloc(1, sizeof(*m));
	int total = 0, tier = 0, win = -1, def = -1;

	for (int i = 0; i < n; i++)
		total += ings[i]->npaths;
	if (!m || !(m->c = calloc((size_t)total + 1, sizeof(*m->c)))) {
		free(m);
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	}
	m->cls = cls ? cls : default_cls;
	for (int i = 0; i < n; i++)
		for (int k = 0; k < ings[i]->npaths; k++) {
			struct knet_ingress_candidate *c = &m->c[m->n++];
			const struct knet_ingress_path *p = &ings[i]->paths[k];

			c->ing = ings[i];
			c->path = k;
			c->match_len = -1;
			if (!class_ok(ings[i], cls, default_cls)) {
				why(c, KNET_ING_CLASS, NULL);
				continue;
			}
			if (p->is_default)
				continue;
			c->host_tier = host_tier(p->host, u->host);
			if (c->host_tier > tier)
				tier = c->host_tier;
		}
	/* The best host tier that has rules for this host, then paths. */
	for (int k = 0; k < m->n; k++) {
		struct knet_ingress_candidate *c = &m->c[k];

		if (c->verdict == KNET_ING_CLASS ||
		    c->ing->paths[c->path].is_default)
			continue;
		if (!c->host_tier) {
			why(c, KNET_ING_HOST, NULL);
			continue;
		}
		if (c->host_tier < tier) {
			why(c, KNET_ING_HOST_TIER, NULL);
			continue;
		}
		judge_path(c, u->path);
		if (c->match_len < 0) {
			why(c, KNET_ING_PATH, NULL);
			continue;
		}
		if (win < 0 || better(c, &m->c[win]))
			win = k;
	}
	for (int k = 0; k < m->n; k++) {
		struct knet_ingress_candidate *c = &m->c[k];
		const struct knet_ingress_path *p = &c->ing->paths[c->path];

		if (c->verdict == KNET_ING_CLASS)
			continue;
		if (p->is_default) {
			if (win < 0 && def < 0)
				def = k;
			else
				why(c, KNET_ING_DEFAULT, NULL);
			continue;
		}
		if (win < 0 || k == win || c->match_len < 0 ||
		    c->host_tier < tier)
			continue;
		if (c->match_len < m->c[win].match_len)
			why(c, KNET_ING_SHORTER, &m->c[win]);
		else if (m->c[win].exact && !c->exact)
			why(c, KNET_ING_PREFIX, &m->c[win]);
		else
			why(c, KNET_ING_ORDER, &m->c[win]);
	}
	m->winner = win >= 0 ? win : def;
	if (m->winner >= 0)
		why(&m->c[m->winner], KNET_ING_WON, NULL);
	tls(m, u, m->winner >= 0 ? m->c[m->winner].ing : NULL);
	*ret = m;
	return 0;
}

void knet_ingress_match_free(struct knet_ingress_match *m)
{
	if (!m)
		return;
	free(m->c);
	free(m);
}
