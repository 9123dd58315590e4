/* SPDX-License-Identifier: MIT */
/*
 * Label selectors against labels, with the reason for a miss.  NotIn and
 * DoesNotExist hold for a label that is not there, as in the API.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"

static bool req_holds(const struct knet_selector_req *r, const char *v)
{
	switch (r->op) {
	case KNET_SEL_IN:
		return v && knet_strv_contains(&r->values, v);
	case KNET_SEL_NOT_IN:
		return !v || !knet_strv_contains(&r->values, v);
	case KNET_SEL_EXISTS:
		return v != NULL;
	case KNET_SEL_DOES_NOT_EXIST:
		return v == NULL;
	}
	return false;
}

bool policy_selector_why(const struct knet_selector *s,
			 const struct knet_labels *labels, char *why,
			 size_t len)
{
	for (int i = 0; i < s->n; i++) {
		const struct knet_selector_req *r = &s->reqs[i];
		const char *v = knet_labels_get(labels, r->key);

		if (req_holds(r, v))
			continue;
		if (why && v)
			snprintf(why, len, "has %s%s=%s",
				 r->op == KNET_SEL_DOES_NOT_EXIST ? "label "
								  : "",
				 r->key, v);
		else if (why)
			snprintf(why, len, "has no label %s", r->key);
		return false;
	}
	return true;
}

bool knet_selector_matches(const struct knet_selector *s,
			   const struct knet_labels *labels)
{
	return policy_selector_why(s, labels, NULL, 0);
}

/* One term of a -l query into @r. */
static int query_term(const char *t, struct knet_selector_req *r)
{
	const char *op = strstr(t, "!=");
	size_t klen;

	if (*t == '!') {
		r->op = KNET_SEL_DOES_NOT_EXIST;
		r->key = strdup(t + 1);
		return r->key && *r->key ? 0 : -EINVAL;
	}
	if (op) {
		r->op = KNET_SEL_NOT_IN;
		klen = (size_t)(op - t);
		op += 2;
	} else if ((op = strchr(t, '='))) {
		r->op = KNET_SEL_IN;
		klen = (size_t)(op - t);
		op += op[1] == '=' ? 2 : 1;
	} else {
		r->op = KNET_SEL_EXISTS;
		r->key = strdup(t);
		return r->key && *r->key ? 0 : -EINVAL;
	}
	if (!klen)
		return -EINVAL;
	r->key = strndup(t, klen);
	if (!r->key || knet_strv_push(&r->values, op) < 0)
		return -ENOMEM;
	return 0;
}

int knet_policy_parse_query(const char *q, struct knet_selector *ret)
{
	struct knet_selector s = {0};
	char *copy = strdup(q ? q : ""), *save = NULL, *t;
	int n = 1, r = 0;

	if (!copy)
		return -ENOMEM;
	for (const char *c = copy; *c; c++)
		n += *c == ',';
	s.reqs = calloc((size_t)n, sizeof(*s.reqs));
	s.text = strdup(copy);
	if (!s.reqs || !s.text)
		r = -ENOMEM;
	for (t = strtok_r(copy, ",", &save); !r && t;
	     t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		r = query_term(t, &s.reqs[s.n++]);
	}
	free(copy);
	if (r < 0) {
		knet_selector_clear(&s);
		return r;
	}
	*ret = s;
	return 0;
}
