/* SPDX-License-Identifier: MIT */
/*
 * Manifests as a stand-in for the API: files, directories and stdin,
 * parsed into the same models the list functions return, so that an
 * analysis runs the same on files as on a live cluster.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "knet/api.h"
#include "knet/kubeconfig.h"
#include "knet/objects.h"

#define MANIFEST_MAX_BYTES (64u << 20)
#define MANIFEST_MAX_DEPTH 16

/* One kind of object the manifest keeps: where its array is, how to free. */
struct kind_slot {
	void ***items;
	int *n;
	struct knet_meta *(*meta)(void *obj);
	void (*free_one)(void *obj);
};

static struct knet_meta *ns_meta(void *o)
{
	return &((struct knet_namespace *)o)->meta;
}
static struct knet_meta *pod_meta(void *o)
{
	return &((struct knet_pod *)o)->meta;
}
static struct knet_meta *svc_meta(void *o)
{
	return &((struct knet_service *)o)->meta;
}
static struct knet_meta *node_meta(void *o)
{
	return &((struct knet_node *)o)->meta;
}
static struct knet_meta *netpol_meta(void *o)
{
	return &((struct knet_netpol *)o)->meta;
}
static struct knet_meta *ing_meta(void *o)
{
	return &((struct knet_ingress *)o)->meta;
}
static struct knet_meta *ingclass_meta(void *o)
{
	return &((struct knet_ingress_class *)o)->meta;
}
static void ns_free(void *o)
{
	knet_namespace_free(o);
}
static void pod_free(void *o)
{
	knet_pod_free(o);
}
static void svc_free(void *o)
{
	knet_service_free(o);
}
static void node_free(void *o)
{
	knet_node_free(o);
}
static void netpol_free(void *o)
{
	knet_netpol_free(o);
}
static void ing_free(void *o)
{
	knet_ingress_free(o);
}
static void ingclass_free(void *o)
{
	knet_ingress_class_free(o);
}

enum { K_NS, K_POD, K_SVC, K_NODE, K_NETPOL, K_ING, K_INGCLASS, NKINDS };

static struct kind_slot slot(struct knet_manifest *m, int k)
{
	switch (k) {
	case K_NS:
		return (struct kind_slot){(void ***)&m->namespaces.items,
					  &m->namespaces.n, ns_meta, ns_free};
	case K_POD:
		return (struct kind_slot){(void ***)&m->pods.items, &m->pods.n,
					  pod_meta, pod_free};
	case K_SVC:
		return (struct kind_slot){(void ***)&m->services.items,
					  &m->services.n, svc_meta, svc_free};
	case K_NODE:
		return (struct kind_slot){(void ***)&m->nodes.items,
					  &m->nodes.n, node_meta, node_free};
	case K_ING:
		return (struct kind_slot){(void ***)&m->ingresses.items,
					  &m->ingresses.n, ing_meta, ing_free};
	case K_INGCLASS:
		return (struct kind_slot){(void ***)&m->ingress_classes.items,
					  &m->ingress_classes.n, ingclass_meta,
					  ingclass_free};
	default:
		return (struct kind_slot){(void ***)&m->netpols.items,
					  &m->netpols.n, netpol_meta,
					  netpol_free};
	}
}

struct knet_manifest *knet_manifest_new(void)
{
	return calloc(1, sizeof(struct knet_manifest));
}

void knet_manifest_free(struct knet_manifest *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->endpoints.n; i++)
		knet_service_endpoints_free(m->endpoints.items[i]);
	free(m->endpoints.items);
	for (int k = 0; k < NKINDS; k++) {
		struct kind_slot s = slot(m, k);

		for (int i = 0; i < *s.n; i++)
			s.free_one((*s.items)[i]);
		free(*s.items);
	}
	free(m);
}

static bool same_name(const struct knet_meta *a, const struct knet_meta *b)
{
	if (strcmp(a->name, b->name))
		return false;
	if (!a->namespace || !b->namespace)
		return a->namespace == b->namespace;
	return !strcmp(a->namespace, b->namespace);
}

/* Add @obj (taken, also on failure) or replace the one of the same name. */
static int put(struct knet_manifest *m, int k, void *obj)
{
	struct kind_slot s = slot(m, k);
	void **items;

	for (int i = 0; i < *s.n; i++)
		if (same_name(s.meta((*s.items)[i]), s.meta(obj))) {
			s.free_one((*s.items)[i]);
			(*s.items)[i] = obj;
			return 0;
		}
	items = realloc(*s.items, (size_t)(*s.n + 1) * sizeof(*items));
	if (!items) {
		s.free_one(obj);
		return -ENOMEM;
	}
	items[(*s.n)++] = obj;
	*s.items = items;
	return 0;
}

/* The endpoints entry of ns/svc in @m, -1 when none. */
static int find_endpoints(const struct knet_manifest *m, const char *ns,
			  const char *svc)
{
	for (int i = 0; i < m->endpoints.n; i++)
		if (!strcmp(m->endpoints.items[i]->namespace, ns) &&
		    !strcmp(m->endpoints.items[i]->service, svc))
			return i;
	return -1;
}

/* Add @se (taken) to @m, or replace the entry of the same Service. */
static int put_endpoints(struct knet_manifest *m,
			 struct knet_service_endpoints *se)
{
	int i = find_endpoints(m, se->namespace, se->service);
	void *items;

	if (i >= 0) {
		knet_service_endpoints_free(m->endpoints.items[i]);
		m->endpoints.items[i] = se;
		return 0;
	}
	items = realloc(m->endpoints.items,
			(size_t)(m->endpoints.n + 1) * sizeof(se));
	if (!items) {
		knet_service_endpoints_free(se);
		return -ENOMEM;
	}
	m->endpoints.items = items;
	m->endpoints.items[m->endpoints.n++] = se;
	return 0;
}

int knet_manifest_merge(struct knet_manifest *dst, struct knet_manifest *src,
			struct knet_error *err)
{
	int r = 0;

	/* A Service's endpoints come whole from one side: the files'. */
	for (int i = 0; i < src->endpoints.n; i++)
		if (put_endpoints(dst, src->endpoints.items[i]) < 0)
			r = -ENOMEM;
	free(src->endpoints.items);
	src->endpoints.items = NULL;
	src->endpoints.n = 0;

	for (int k = 0; k < NKINDS; k++) {
		struct kind_slot s = slot(src, k);

		for (int i = 0; i < *s.n; i++)
			if (put(dst, k, (*s.items)[i]) < 0)
				r = -ENOMEM;
		free(*s.items);
		*s.items = NULL;
		*s.n = 0;
	}
	dst->skipped += src->skipped;
	dst->ndocs += src->ndocs;
	if (r < 0)
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "out of memory");
	return 0;
}

/* Where a document is, for error messages. */
struct where {
	const char *file;
	int doc;
	const char *item; /* "items[3]." inside a List, else "" */
};

static int doc_error(struct knet_error *err, const struct where *w,
		     const char *field, const char *problem)
{
	return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
			      "%s: document %d: %s%s%s%s", w->file, w->doc,
			      w->item, field ? field : "", field ? ": " : "",
			      problem);
}

/* Give objects without a namespace the default one, as kubectl does. */
static int set_namespace(cJSON *obj, const char *default_ns)
{
	cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");

	if (!cJSON_IsObject(md) || knet_json_str(md, "namespace"))
		return 0;
	cJSON_DeleteItemFromObjectCaseSensitive(md, "namespace");
	return cJSON_AddStringToObject(md, "namespace", default_ns) ? 0
								    : -ENOMEM;
}

static int kind_of(const char *kind)
{
	static const char *const names[NKINDS] = {
		[K_NS] = "Namespace",	       [K_POD] = "Pod",
		[K_SVC] = "Service",	       [K_NODE] = "Node",
		[K_NETPOL] = "NetworkPolicy",  [K_ING] = "Ingress",
		[K_INGCLASS] = "IngressClass",
	};

	for (int k = 0; k < NKINDS; k++)
		if (!strcmp(kind, names[k]))
			return k;
	return -1;
}

static int parse_object(int k, cJSON *obj, void **ret, struct knet_error *err)
{
	int r;

	switch (k) {
	case K_NS:
		r = knet_namespace_from_json(obj,
					     (struct knet_namespace **)ret);
		break;
	case K_POD:
		r = knet_pod_from_json(obj, (struct knet_pod **)ret);
		break;
	case K_SVC:
		r = knet_service_from_json(obj, (struct knet_service **)ret);
		break;
	case K_NODE:
		r = knet_node_from_json(obj, (struct knet_node **)ret);
		break;
	case K_ING:
		return knet_ingress_parse(obj, (struct knet_ingress **)ret,
					  err);
	case K_INGCLASS:
		r = knet_ingress_class_from_json(
			obj, (struct knet_ingress_class **)ret);
		break;
	default:
		return knet_netpol_parse(obj, (struct knet_netpol **)ret, err);
	}
	if (r < 0)
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "out of memory");
	return 0;
}

static int add_object(struct knet_manifest *m, cJSON *obj,
		      const struct where *w, const char *default_ns,
		      struct knet_error *err);

/*
 * An EndpointSlice (its Service from the kubernetes.io/service-name
 * label) or an Endpoints object (named after its Service), added to the
 * Service's entry: slices of one Service add up.
 */
static int add_endpoints(struct knet_manifest *m, const cJSON *obj, bool slice,
			 const struct where *w, struct knet_error *err)
{
	const cJSON *md = knet_json_get(obj, "metadata");
	const char *ns = knet_json_str(md, "namespace");
	const char *svc = slice ? knet_json_str(knet_json_get(md, "labels"),
						"kubernetes.io/service-name")
				: knet_json_str(md, "name");
	struct knet_service_endpoints *se;
	int i, r;

	if (!svc) {
		m->skipped++; /* a slice that belongs to no Service */
		return 0;
	}
	if (slice && knet_json_get(obj, "endpoints") &&
	    !cJSON_IsArray(knet_json_get(obj, "endpoints")))
		return doc_error(err, w, "endpoints", "not a list");
	i = find_endpoints(m, ns, svc);
	if (i < 0) {
		se = calloc(1, sizeof(*se));
		if (!se)
			goto oom;
		se->namespace = strdup(ns);
		se->service = strdup(svc);
		if (!se->namespace || !se->service) {
			knet_service_endpoints_free(se);
			goto oom;
		}
		if (put_endpoints(m, se) < 0) /* frees @se */
			goto oom;
		i = m->endpoints.n - 1;
	}
	se = m->endpoints.items[i];
	r = slice ? knet_endpoints_add_slice(se, obj)
		  : knet_endpoints_add_endpoints(se, obj);
	if (r < 0)
		goto oom;
	return 0;
oom:
	return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
}

static int add_list(struct knet_manifest *m, cJSON *list, const struct where *w,
		    const char *default_ns, struct knet_error *err)
{
	cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items"), *it;
	char prefix[32];
	int i = 0, r;

	if (items && !cJSON_IsArray(items) && !cJSON_IsNull(items))
		return doc_error(err, w, "items", "not a list");
	cJSON_ArrayForEach(it, items)
	{
		struct where iw = *w;

		snprintf(prefix, sizeof(prefix), "items[%d].", i++);
		iw.item = prefix;
		if (cJSON_IsObject(it) &&
		    cJSON_IsArray(knet_json_get(it, "items")))
			return doc_error(err, &iw, NULL,
					 "a List inside a List");
		r = add_object(m, it, &iw, default_ns, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_object(struct knet_manifest *m, cJSON *obj,
		      const struct where *w, const char *default_ns,
		      struct knet_error *err)
{
	const char *kind = knet_json_str(obj, "kind");
	const cJSON *md;
	struct knet_error perr = {0};
	void *model = NULL;
	bool eps;
	int k, r;

	if (cJSON_IsNull(obj))
		return 0; /* an empty document */
	if (!cJSON_IsObject(obj))
		return doc_error(err, w, NULL, "not a map");
	if (!kind)
		return doc_error(err, w, "kind", "missing");
	if (!knet_json_str(obj, "apiVersion"))
		return doc_error(err, w, "apiVersion", "missing");
	if (!strcmp(kind, "List") ||
	    (strlen(kind) > 4 && !strcmp(kind + strlen(kind) - 4, "List")))
		return add_list(m, obj, w, default_ns, err);
	k = kind_of(kind);
	eps = !strcmp(kind, "EndpointSlice") || !strcmp(kind, "Endpoints");

	if (k < 0 && !eps) {
		m->skipped++;
		return 0;
	}
	md = knet_json_get(obj, "metadata");
	if (!cJSON_IsObject(md))
		return doc_error(err, w, "metadata", "missing");
	if (!knet_json_str(md, "name") || !*knet_json_str(md, "name"))
		return doc_error(err, w, "metadata.name", "missing");
	if (k != K_NS && k != K_NODE && k != K_INGCLASS &&
	    set_namespace(obj, default_ns) < 0)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	if (eps)
		return add_endpoints(m, obj, !strcmp(kind, "EndpointSlice"), w,
				     err);
	r = parse_object(k, obj, &model, &perr);
	if (r < 0) {
		if (perr.exit == KNET_EXIT_USAGE)
			return doc_error(err, w, NULL, perr.reason);
		return knet_error_set(err, r, KNET_EXIT_SYSTEM, "%s",
				      perr.reason);
	}
	if (put(m, k, model) < 0)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	return 0;
}

/* 1-based line of @at in @text. */
static int line_of(const char *text, const char *at)
{
	int line = 1;

	for (const char *p = text; p && at && p < at; p++)
		if (*p == '\n')
			line++;
	return line;
}

static bool looks_json(const char *text, size_t len)
{
	size_t i = 0;

	while (i < len && strchr(" \t\r\n", text[i]))
		i++;
	return i < len && (text[i] == '{' || text[i] == '[');
}

int knet_manifest_load_text(struct knet_manifest *m, const char *name,
			    const char *text, size_t len,
			    const char *default_ns, struct knet_error *err)
{
	struct where w = {.file = name, .doc = 1, .item = ""};
	cJSON *docs = NULL, *d;
	int r = 0;

	if (looks_json(text, len)) {
		const char *end = NULL;
		cJSON *one = cJSON_ParseWithLengthOpts(text, len, &end, false);

		if (!one)
			return knet_error_set(
				err, -EINVAL, KNET_EXIT_USAGE,
				"%s: document 1: invalid JSON "
				"at line %d",
				name, line_of(text, cJSON_GetErrorPtr()));
		docs = cJSON_CreateArray();
		if (!docs) {
			cJSON_Delete(one);
			return -ENOMEM;
		}
		/* A JSON array of objects is a list of documents too. */
		if (cJSON_IsArray(one)) {
			cJSON_Delete(docs);
			docs = one;
		} else {
			cJSON_AddItemToArray(docs, one);
		}
	} else {
		struct knet_error yerr = {0};
		int failed = 1;

		r = knet_yaml_parse_documents(text, len, &docs, &failed, &yerr);
		if (r < 0)
			return knet_error_set(err, r,
					      r == -ENOMEM ? KNET_EXIT_SYSTEM
							   : KNET_EXIT_USAGE,
					      "%s: document %d: %s", name,
					      failed, yerr.reason);
	}
	cJSON_ArrayForEach(d, docs)
	{
		r = add_object(m, d, &w, default_ns, err);
		if (r < 0)
			break;
		w.doc++;
		m->ndocs++;
	}
	cJSON_Delete(docs);
	return r;
}

static bool manifest_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && !strcmp(name + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(name + n - 4, ".yml")) ||
	       (n > 5 && !strcmp(name + n - 5, ".json"));
}

static int load_path(struct knet_manifest *m, const char *path,
		     const char *default_ns, int depth, bool top,
		     struct knet_error *err);

static int load_dir(struct knet_manifest *m, const char *path,
		    const char *default_ns, int depth, struct knet_error *err)
{
	struct dirent **names = NULL;
	int n, r = 0;

	if (depth > MANIFEST_MAX_DEPTH)
		return knet_error_set(err, -ELOOP, KNET_EXIT_USAGE,
				      "%s: directories nested too deeply",
				      path);
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0)
		return knet_error_set(err, -errno, KNET_EXIT_USAGE, "%s: %s",
				      path, knet_errstr(errno));
	for (int i = 0; i < n; i++) {
		char *child = NULL;

		if (!r && names[i]->d_name[0] != '.') {
			if (asprintf(&child, "%s/%s", path, names[i]->d_name) <
			    0)
				r = knet_error_set(err, -ENOMEM,
						   KNET_EXIT_SYSTEM,
						   "out of memory");
			else
				r = load_path(m, child, default_ns, depth + 1,
					      false, err);
		}
		free(child);
		free(names[i]);
	}
	free(names);
	return r;
}

static int load_path(struct knet_manifest *m, const char *path,
		     const char *default_ns, int depth, bool top,
		     struct knet_error *err)
{
	const char *name = strcmp(path, "-") ? path : "/dev/stdin";
	struct stat st;
	size_t len = 0;
	char *text = NULL;
	int r;

	if (stat(name, &st) < 0)
		return knet_error_set(err, -errno, KNET_EXIT_USAGE, "%s: %s",
				      path, knet_errstr(errno));
	if (S_ISDIR(st.st_mode))
		return load_dir(m, path, default_ns, depth, err);
	/* In a directory, only what kubectl -R would read. */
	if (!top && !manifest_name(path))
		return 0;
	r = knet_file_read(name, MANIFEST_MAX_BYTES, &text, &len);
	if (r < 0)
		return knet_error_set(err, r, KNET_EXIT_USAGE, "%s: %s", path,
				      knet_errstr(r));
	r = knet_manifest_load_text(m, strcmp(path, "-") ? path : "<stdin>",
				    text, len, default_ns, err);
	free(text);
	return r;
}

int knet_manifest_load(struct knet_manifest *m, const char *path,
		       const char *default_ns, struct knet_error *err)
{
	return load_path(m, path, default_ns ? default_ns : "default", 0, true,
			 err);
}

int knet_manifest_load_over(struct knet_manifest *m, const char *const *paths,
			    int n, const char *default_ns,
			    struct knet_error *err)
{
	for (int i = 0; i < n; i++) {
		struct knet_manifest *f = knet_manifest_new();
		int r;

		if (!f)
			return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					      "out of memory");
		r = knet_manifest_load(f, paths[i], default_ns, err);
		if (r >= 0)
			r = knet_manifest_merge(m, f, err);
		knet_manifest_free(f);
		if (r < 0)
			return r;
	}
	return 0;
}
