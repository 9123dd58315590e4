/* SPDX-License-Identifier: MIT */
/*
 * A label selector as a user types it (`--nodes 'role in (a,b),!x'`),
 * checked before it goes to the API, as the API server parses it: a
 * typo is then a usage error (exit 2) naming what is wrong, not a 400
 * from the server (exit 4) or, worse, a selector that matches nothing.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "knet/objects.h"

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A label name or value: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?. */
static bool name_ok(const char *s, size_t len)
{
	if (len == 0 || len > 63 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

/* A key's prefix: a DNS subdomain, lowercase, at most 253. */
static bool prefix_ok(const char *s, size_t len)
{
	if (len == 0 || len > 253 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(islower((unsigned char)s[i]) ||
		      isdigit((unsigned char)s[i]) || s[i] == '-' ||
		      s[i] == '.'))
			return false;
	return true;
}

static bool key_ok(const char *s, size_t len)
{
	const char *slash = memchr(s, '/', len);

	if (!slash)
		return name_ok(s, len);
	return prefix_ok(s, (size_t)(slash - s)) &&
	       name_ok(slash + 1, len - (size_t)(slash - s) - 1);
}

static bool value_ok(const char *s, size_t len)
{
	return len == 0 || name_ok(s, len);
}

/* The length of a word: up to a blank, an operator or a separator. */
static size_t word_len(const char *p)
{
	return strcspn(p, " \t=!,()<>");
}

static int bad(struct knet_error *err, const char *sel, const char *why)
{
	return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
			      "'%s' is not a label selector: %s", sel, why);
}

/* "(a, b)" of in and notin; @p after the operator.  NULL when bad. */
static const char *value_set(const char *p)
{
	p = skip_blanks(p);
	if (*p++ != '(' || *skip_blanks(p) == ')')
		return NULL; /* no set, or an empty one */
	for (;;) {
		size_t l;

		p = skip_blanks(p);
		l = word_len(p);
		if (!value_ok(p, l))
			return NULL;
		p = skip_blanks(p + l);
		if (*p == ')')
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

/* One requirement at @p; the end of it, or NULL with @err set. */
static const char *requirement(const char *sel, const char *p,
			       struct knet_error *err)
{
	bool negated = false;
	size_t l;

	p = skip_blanks(p);
	if (*p == '!') {
		negated = true;
		p = skip_blanks(p + 1);
	}
	l = word_len(p);
	if (!key_ok(p, l)) {
		bad(err, sel,
		    l ? "a key is [prefix/]name, name at most 63 letters, "
			"digits, '-', '_' or '.'"
		      : "a requirement has no key");
		return NULL;
	}
	p = skip_blanks(p + l);
	if (negated || !*p || *p == ',')
		return p; /* key, !key */
	if (!strncmp(p, "==", 2) || !strncmp(p, "!=", 2) || *p == '=') {
		p += *p == '=' && p[1] != '=' ? 1 : 2;
		p = skip_blanks(p);
		l = word_len(p);
		if (!value_ok(p, l)) {
			bad(err, sel,
			    "a value is at most 63 letters, digits, "
			    "'-', '_' or '.'");
			return NULL;
		}
		return skip_blanks(p + l);
	}
	if (!strncmp(p, "in", 2) || !strncmp(p, "notin", 5)) {
		const char *end = value_set(p + (p[0] == 'i' ? 2 : 5));

		if (!end)
			bad(err, sel, "in and notin take a list '(a,b)'");
		return end ? skip_blanks(end) : NULL;
	}
	bad(err, sel, "expected '=', '==', '!=', 'in' or 'notin' after a key");
	return NULL;
}

int knet_selector_text_check(const char *sel, struct knet_error *err)
{
	const char *p = sel;

	if (!sel || !*skip_blanks(sel))
		return bad(err, sel ? sel : "", "it is empty");
	for (;;) {
		p = requirement(sel, p, err);
		if (!p)
			return -EINVAL;
		if (!*p)
			return 0;
		if (*p++ != ',')
			return bad(err, sel,
				   "requirements are separated by "
				   "','");
	}
}
