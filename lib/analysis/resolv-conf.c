/* SPDX-License-Identifier: MIT */
/*
 * resolv.conf as glibc's res_init reads it: up to three nameservers,
 * the last "search" or "domain" line, and the options that change what
 * a lookup sends (ndots, timeout, attempts, rotate, no-tld-query,
 * use-vc), each capped where glibc caps it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "knet/analysis.h"

#define MAX_NDOTS    15 /* RES_MAXNDOTS */
#define MAX_TIMEOUT  30 /* RES_MAXRETRANS */
#define MAX_ATTEMPTS 5	/* RES_MAXRETRY */

/* The keyword @kw starts @line and is followed by a blank. */
static const char *keyword(const char *line, const char *kw)
{
	size_t n = strlen(kw);

	if (strncmp(line, kw, n) || (line[n] != ' ' && line[n] != '\t'))
		return NULL;
	return line + n;
}

static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* The next word of @p into @buf; NULL when there is none. */
static const char *word(const char *p, char *buf, size_t size)
{
	size_t n = 0;

	p = skip_blank(p);
	if (!*p || *p == '\n')
		return NULL;
	while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
		if (n + 1 < size)
			buf[n++] = *p;
		p++;
	}
	buf[n] = '\0';
	return p;
}

static int option_value(const char *w, const char *name, int max, int *ret)
{
	size_t n = strlen(name);
	long v;

	if (strncmp(w, name, n) || w[n] != ':')
		return 0;
	v = strtol(w + n + 1, NULL, 10);
	if (v < 0)
		v = 0;
	*ret = v > max ? max : (int)v;
	return 1;
}

static void options(struct knet_resolv_conf *c, const char *p)
{
	char w[128];

	while ((p = word(p, w, sizeof(w)))) {
		int v;

		if (option_value(w, "ndots", MAX_NDOTS, &v))
			c->ndots = v;
		else if (option_value(w, "timeout", MAX_TIMEOUT, &v))
			c->timeout = v >= 1 ? v : 1;
		else if (option_value(w, "attempts", MAX_ATTEMPTS, &v))
			c->attempts = v >= 1 ? v : 1;
		else if (!strcmp(w, "rotate"))
			c->rotate = true;
		else if (!strcmp(w, "no-tld-query"))
			c->no_tld_query = true;
		else if (!strcmp(w, "use-vc"))
			c->use_vc = true;
	}
}

/* "search a b c" (or "domain a"): replaces the list there was. */
static int search(struct knet_resolv_conf *c, const char *p, bool one)
{
	char w[256];

	knet_strv_clear(&c->search);
	while ((p = word(p, w, sizeof(w)))) {
		if (knet_strv_push(&c->search, w) < 0)
			return -ENOMEM;
		if (one)
			break;
	}
	return 0;
}

static int parse_line(struct knet_resolv_conf *c, const char *line)
{
	const char *rest;
	char w[128];

	if ((rest = keyword(line, "nameserver"))) {
		if (!word(rest, w, sizeof(w)))
			return 0;
		/*
		 * Longer than any address (w holds twice as much): glibc
		 * skips what inet_pton refuses, and it would not fit.
		 */
		if (strlen(w) >= sizeof(c->nameservers[0]))
			return 0;
		if (c->nns < KNET_RESOLV_MAXNS)
			strcpy(c->nameservers[c->nns++], w);
		else
			c->ignored_ns++;
		return 0;
	}
	if ((rest = keyword(line, "search")))
		return search(c, rest, false);
	if ((rest = keyword(line, "domain")))
		return search(c, rest, true);
	if ((rest = keyword(line, "options")))
		options(c, rest);
	return 0;
}

int knet_resolv_conf_parse(const char *text, struct knet_resolv_conf *ret,
			   struct knet_error *err)
{
	struct knet_resolv_conf c = {.ndots = 1, .timeout = 5, .attempts = 2};
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[1024];

		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		if (line[0] != '#' && line[0] != ';' &&
		    parse_line(&c, line) < 0) {
			knet_resolv_conf_clear(&c);
			return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					      "out of memory");
		}
		p = nl ? nl + 1 : NULL;
	}
	if (c.nns == 0) {
		strcpy(c.nameservers[0], "127.0.0.1");
		c.nns = 1;
		c.default_ns = true;
	}
	*ret = c;
	return 0;
}

void knet_resolv_conf_clear(struct knet_resolv_conf *c)
{
	knet_strv_clear(&c->search);
}

const char *knet_resolv_cluster_domain(const struct knet_resolv_conf *c)
{
	for (int i = 0; i < c->search.n; i++)
		if (!strncmp(c->search.v[i], "svc.", 4) && c->search.v[i][4])
			return c->search.v[i] + 4;
	return NULL;
}
