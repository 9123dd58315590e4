/* SPDX-License-Identifier: MIT */
/*
 * What every object model shares: string vectors, label maps, object
 * metadata, LabelSelectors in kubectl's notation, and the list walker.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objects-internal.h"
#include "knet/api.h"
#include "knet/objects.h"

int knet_labels_from_json(const cJSON *obj, struct knet_labels *ret)
{
	struct knet_labels l = {0};
	const cJSON *it;
	int n = cJSON_IsObject(obj) ? cJSON_GetArraySize(obj) : 0;

	if (n > 0) {
		l.kv = calloc((size_t)n, sizeof(*l.kv));
		if (!l.kv)
			return -ENOMEM;
	}
	if (n <= 0) {
		*ret = l;
		return 0;
	}
	cJSON_ArrayForEach(it, obj)
	{
		if (!it->string)
			continue;
		l.kv[l.n].key = strdup(it->string);
		l.kv[l.n].value =
			strdup(cJSON_IsString(it) ? it->valuestring : "");
		l.n++;
		if (!l.kv[l.n - 1].key || !l.kv[l.n - 1].value) {
			knet_labels_clear(&l);
			return -ENOMEM;
		}
	}
	*ret = l;
	return 0;
}

void knet_labels_clear(struct knet_labels *l)
{
	if (!l)
		return;
	for (int i = 0; i < l->n; i++) {
		free(l->kv[i].key);
		free(l->kv[i].value);
	}
	free(l->kv);
	l->kv = NULL;
	l->n = 0;
}

const char *knet_labels_get(const struct knet_labels *l, const char *key)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->kv[i].key, key))
			return l->kv[i].value;
	return NULL;
}

cJSON *knet_labels_to_json(const struct knet_labels *l)
{
	cJSON *o = cJSON_CreateObject();

	for (int i = 0; o && i < l->n; i++)
		if (!cJSON_AddStringToObject(o, l->kv[i].key, l->kv[i].value)) {
			cJSON_Delete(o);
			return NULL;
		}
	return o;
}

/* A growing string for the formatters below. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		char *ns;

		while (cap < b->len + n + 1)
			cap *= 2;
		ns = realloc(b->s, cap);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

static char *sb_done(struct sbuf *b)
{
	if (b->oom) {
		free(b->s);
		return NULL;
	}
	return b->s ? b->s : strdup("");
}

char *knet_labels_format(const struct knet_labels *l)
{
	struct sbuf b = {0};

	for (int i = 0; i < l->n; i++) {
		if (i)
			sb_add(&b, ",");
		sb_add(&b, l->kv[i].key);
		sb_add(&b, "=");
		sb_add(&b, l->kv[i].value);
	}
	return sb_done(&b);
}

bool knet_labels_match(const struct knet_labels *selector,
		       const struct knet_labels *labels)
{
	for (int i = 0; i < selector->n; i++) {
		const char *v = knet_labels_get(labels, selector->kv[i].key);

		if (!v || strcmp(v, selector->kv[i].value))
			return false;
	}
	return true;
}

char *knet_selector_format(const cJSON *selector)
{
	const cJSON *labels = knet_json_get(selector, "matchLabels");
	const cJSON *it, *v;
	struct sbuf b = {0};

	/*
	 * Only a map has keys: a list's items have none (NULL), and
	 * knet_selector_parse() refuses it with its field.  Found by the
	 * manifest fuzz target (crash-selector-labels-list).
	 */
	if (!cJSON_IsObject(labels))
		labels = NULL;
	cJSON_ArrayForEach(it, labels)
	{
		if (b.len)
			sb_add(&b, ",");
		sb_add(&b, it->string);
		sb_add(&b, "=");
		sb_add(&b, cJSON_IsString(it) ? it->valuestring : "");
	}
	cJSON_ArrayForEach(it, knet_json_get(selector, "matchExpressions"))
	{
		const char *key = knet_json_str(it, "key") ?: "";
		const char *op = knet_json_str(it, "operator") ?: "";
		bool first = true;

		if (b.len)
			sb_add(&b, ",");
		if (!strcmp(op, "Exists")) {
			sb_add(&b, key);
			continue;
		}
		if (!strcmp(op, "DoesNotExist")) {
			sb_add(&b, "!");
			sb_add(&b, key);
			continue;
		}
		sb_add(&b, key);
		sb_add(&b, !strcmp(op, "NotIn") ? " notin (" : " in (");
		cJSON_ArrayForEach(v, knet_json_get(it, "values"))
		{
			if (!first)
				sb_add(&b, ",");
			first = false;
			sb_add(&b, cJSON_IsString(v) ? v->valuestring : "");
		}
		sb_add(&b, ")");
	}
	return sb_done(&b);
}

int knet_meta_from_json(const cJSON *obj, struct knet_meta *ret)
{
	const cJSON *md = knet_json_get(obj, "metadata");
	struct knet_meta m = {0};
	const char *ts;

	m.namespace = knet_json_strdup(md, "namespace");
	m.name = knet_json_strdup(md, "name");
	m.uid = knet_json_strdup(md, "uid");
	ts = knet_json_str(md, "creationTimestamp");
	m.created = ts ? knet_time_parse(ts) : 0;
	if (m.created < 0)
		m.created = 0;
	m.deleting = knet_json_str(md, "deletionTimestamp") != NULL;
	if (!m.name ||
	    knet_labels_from_json(knet_json_get(md, "labels"), &m.labels) < 0) {
		knet_meta_clear(&m);
		return -ENOMEM;
	}
	*ret = m;
	return 0;
}

void knet_meta_clear(struct knet_meta *m)
{
	if (!m)
		return;
	free(m->namespace);
	free(m->name);
	free(m->uid);
	knet_labels_clear(&m->labels);
	memset(m, 0, sizeof(*m));
}

struct collect {
	void ***items;
	int *n;
	int cap;
	knet_k8s_parse_fn parse;
};

static int collect_one(const cJSON *item, void *userdata)
{
	struct collect *c = userdata;
	void *obj = NULL;
	int r;

	if (*c->n == c->cap) {
		int cap = c->cap ? c->cap * 2 : 64;
		void **nv = realloc(*c->items, (size_t)cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*c->items = nv;
		c->cap = cap;
	}
	r = c->parse(item, &obj);
	if (r < 0)
		return r;
	(*c->items)[(*c->n)++] = obj;
	return 0;
}

int knet_k8s_collect(struct knet_api *api, const char *group_version,
		     const char *ns, const char *resource,
		     const struct knet_list_opts *opts, knet_k8s_parse_fn parse,
		     void ***items, int *n, char **ret_rv,
		     struct knet_error *err)
{
	struct collect c = {.items = items, .n = n, .parse = parse};
	struct knet_list_opts o = {0};
	char path[512];
	int r;

	r = knet_api_path(path, sizeof(path), group_version, ns, resource, NULL,
			  err);
	if (r < 0)
		return r;
	/* Read through @parse only: protobuf may answer. */
	if (opts)
		o = *opts;
	o.model = true;
	r = knet_api_list(api, path, &o, collect_one, &c, ret_rv, err);
	if (r == -ENOMEM)
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "out of memory");
	return r;
}

int knet_k8s_get(struct knet_api *api, const char *group_version,
		 const char *ns, const char *resource, const char *name,
		 knet_k8s_parse_fn parse, void **ret, struct knet_error *err)
{
	char path[512];
	cJSON *doc = NULL;
	int r;

	r = knet_api_path(path, sizeof(path), group_version, ns, resource,
			  name ? name : "", err);
	if (r < 0)
		return r;
	r = knet_api_get_model(api, path, &doc, err);
	if (r < 0)
		return r;
	r = parse(doc, ret);
	cJSON_Delete(doc);
	if (r < 0)
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "out of memory");
	return 0;
}

void knet_k8s_items_free(void **items, int n, void (*free_one)(void *))
{
	for (int i = 0; i < n; i++)
		free_one(items[i]);
	free(items);
}
