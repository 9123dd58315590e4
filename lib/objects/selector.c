/* SPDX-License-Identifier: MIT */
/*
 * LabelSelectors parsed into requirements (matchLabels become "In" with
 * one value), checked as the API server validates them, so that a
 * manifest with a typo fails with its field instead of matching nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "knet/api.h"
#include "knet/objects.h"

void knet_selector_clear(struct knet_selector *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n; i++) {
		free(s->reqs[i].key);
		knet_strv_clear(&s->reqs[i].values);
	}
	free(s->reqs);
	free(s->text);
	memset(s, 0, sizeof(*s));
}

static int oom(struct knet_error *err)
{
	return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
}

static int parse_op(const char *op, enum knet_selector_op *ret)
{
	static const char *const names[] = {
		[KNET_SEL_IN] = "In",
		[KNET_SEL_NOT_IN] = "NotIn",
		[KNET_SEL_EXISTS] = "Exists",
		[KNET_SEL_DOES_NOT_EXIST] = "DoesNotExist",
	};

	for (int i = 0; op && i < 4; i++)
		if (!strcmp(op, names[i])) {
			*ret = (enum knet_selector_op)i;
			return 0;
		}
	return -EINVAL;
}

static int add_expr(struct knet_selector_req *r, const cJSON *e,
		    const char *field, int idx, struct knet_error *err)
{
	const cJSON *values = knet_json_get(e, "values"), *v;
	const char *key = knet_json_str(e, "key");
	int nvalues = cJSON_GetArraySize(values);

	if (!key || !*key)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "%s.matchExpressions[%d].key: missing",
				      field, idx);
	if (parse_op(knet_json_str(e, "operator"), &r->op) < 0)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "%s.matchExpressions[%d].operator: "
				      "not In, NotIn, Exists or DoesNotExist",
				      field, idx);
	if (values && !cJSON_IsArray(values) && !cJSON_IsNull(values))
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "%s.matchExpressions[%d].values: "
				      "not a list",
				      field, idx);
	if ((r->op == KNET_SEL_IN || r->op == KNET_SEL_NOT_IN) && !nvalues)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "%s.matchExpressions[%d].values: "
				      "must be non-empty for %s",
				      field, idx, knet_json_str(e, "operator"));
	if ((r->op == KNET_SEL_EXISTS || r->op == KNET_SEL_DOES_NOT_EXIST) &&
	    nvalues)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "%s.matchExpressions[%d].values: "
				      "must be empty for %s",
				      field, idx, knet_json_str(e, "operator"));
	r->key = strdup(key);
	if (!r->key)
		return oom(err);
	cJSON_ArrayForEach(v, values)
	{
		if (!cJSON_IsString(v))
			return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
					      "%s.matchExpressions[%d].values: "
					      "not a list of strings",
					      field, idx);
		if (knet_strv_push(&r->values, v->valuestring) < 0)
			return oom(err);
	}
	return 0;
}

int knet_selector_parse(const cJSON *json, const char *field,
			struct knet_selector *ret, struct knet_error *err)
{
	const cJSON *labels = knet_json_get(json, "matchLabels");
	const cJSON *exprs = knet_json_get(json, "matchExpressions"), *it;
	struct knet_selector s = {0};
	int n, i = 0, r;

	if (json && !cJSON_IsObject(json) && !cJSON_IsNull(json))
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "%s: not a label selector", field);
	if (labels && !cJSON_IsObject(labels) && !cJSON_IsNull(labels))
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "%s.matchLabels: not a map", field);
	if (exprs && !cJSON_IsArray(exprs) && !cJSON_IsNull(exprs))
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "%s.matchExpressions: not a list", field);
	n = cJSON_GetArraySize(labels) + cJSON_GetArraySize(exprs);
	if (n > 0) {
		s.reqs = calloc((size_t)n, sizeof(*s.reqs));
		if (!s.reqs)
			return oom(err);
	}
	cJSON_ArrayForEach(it, labels)
	{
		struct knet_selector_req *q = &s.reqs[s.n++];

		if (!cJSON_IsString(it)) {
			r = knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
					   "%s.matchLabels.%s: not a string",
					   field, it->string);
			goto fail;
		}
		q->op = KNET_SEL_IN;
		q->key = strdup(it->string);
		if (!q->key || knet_strv_push(&q->values, it->valuestring) < 0)
			goto nomem;
	}
	cJSON_ArrayForEach(it, exprs)
	{
		r = add_expr(&s.reqs[s.n++], it, field, i++, err);
		if (r < 0)
			goto fail;
	}
	s.text = knet_selector_format(json);
	if (!s.text)
		goto nomem;
	*ret = s;
	return 0;
nomem:
	r = oom(err);
fail:
	knet_selector_clear(&s);
	return r;
}
