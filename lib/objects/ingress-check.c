/* SPDX-License-Identifier: MIT */
/*
 * An Ingress from a file is checked as the API server would check it
 * (networking/validation in Kubernetes) before it becomes a model, so
 * that a typo is "spec.rules[0].http.paths[1].pathType: ..." rather
 * than a rule that silently never matches.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "knet/api.h"
#include "knet/objects.h"

static int bad(struct knet_error *err, const char *field, const char *what)
{
	return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE, "%s: %s", field,
			      what);
}

/* @field + @suffix into @buf, cut short: field paths only name things. */
static void join(char *buf, size_t len, const char *field, const char *suffix)
{
	if (snprintf(buf, len, "%s%s", field, suffix) < 0)
		buf[0] = '\0';
}

/* v1: {service: {name, port: {number | name}}} or {resource: {...}}. */
static int check_backend_v1(const cJSON *b, const char *field,
			    struct knet_error *err)
{
	const cJSON *svc = knet_json_get(b, "service");
	const cJSON *port = knet_json_get(svc, "port");
	const cJSON *num = knet_json_get(port, "number");
	const cJSON *name = knet_json_get(port, "name");
	char f[256];

	if (!cJSON_IsObject(b))
		return bad(err, field, "missing or not a map");
	if (svc && knet_json_get(b, "resource"))
		return bad(err, field,
			   "service and resource exclude each other");
	if (!svc) {
		join(f, sizeof(f), field, ".resource");
		if (!cJSON_IsObject(knet_json_get(b, "resource")))
			return bad(err, field, "needs service or resource");
		if (!knet_json_str(knet_json_get(b, "resource"), "kind"))
			return bad(err, f, "kind missing");
		return 0;
	}
	join(f, sizeof(f), field, ".service.name");
	if (!cJSON_IsObject(svc) || !knet_json_str(svc, "name") ||
	    !*knet_json_str(svc, "name"))
		return bad(err, f, "missing");
	join(f, sizeof(f), field, ".service.port");
	if (!cJSON_IsObject(port))
		return bad(err, f, "missing");
	if (num && name)
		return bad(err, f, "number and name exclude each other");
	/* YAML scalars arrive as strings: "80" is the number 80 here */
	if (num && (knet_json_int(port, "number", 0) < 1 ||
		    knet_json_int(port, "number", 0) > 65535))
		return bad(err, f, "number not in 1-65535");
	if (!num && (!cJSON_IsString(name) || !*name->valuestring))
		return bad(err, f, "needs a number or a name");
	return 0;
}

/* v1beta1: {serviceName, servicePort: number | name}. */
static int check_backend_beta(const cJSON *b, const char *field,
			      struct knet_error *err)
{
	const cJSON *port = knet_json_get(b, "servicePort");
	char f[256];

	if (!cJSON_IsObject(b))
		return bad(err, field, "missing or not a map");
	if (knet_json_get(b, "resource"))
		return 0;
	join(f, sizeof(f), field, ".serviceName");
	if (!knet_json_str(b, "serviceName") ||
	    !*knet_json_str(b, "serviceName"))
		return bad(err, f, "missing");
	join(f, sizeof(f), field, ".servicePort");
	if (!(cJSON_IsNumber(port) && port->valuedouble >= 1 &&
	      port->valuedouble <= 65535) &&
	    !(cJSON_IsString(port) && *port->valuestring &&
	      knet_json_int(b, "servicePort", 1) >= 1 &&
	      knet_json_int(b, "servicePort", 1) <= 65535))
		return bad(err, f, "needs a number in 1-65535 or a name");
	return 0;
}

static int check_backend(const cJSON *b, bool v1, const char *field,
			 struct knet_error *err)
{
	return v1 ? check_backend_v1(b, field, err)
		  : check_backend_beta(b, field, err);
}

/* A DNS name, "*." and one allowed in front; never an IP address. */
static int check_host(const char *h, const char *field, struct knet_error *err)
{
	unsigned char buf[16];
	const char *p = h;

	if (!*h)
		return 0;
	if (inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1)
		return bad(err, field, "must be a DNS name, not an IP address");
	if (!strncmp(p, "*.", 2))
		p += 2;
	for (; *p; p++)
		if (!(*p == '-' || *p == '.' || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9')))
			return bad(err, field,
				   *p == '*' ? "a wildcard is only '*.' in "
					       "front"
					     : "not a lower-case DNS name");
	return 0;
}

static int check_path(const cJSON *path, bool v1, const char *field,
		      struct knet_error *err)
{
	const char *type = knet_json_str(path, "pathType");
	const char *p = knet_json_str(path, "path");
	char f[256];

	if (!cJSON_IsObject(path))
		return bad(err, field, "not a map");
	join(f, sizeof(f), field, ".pathType");
	if (!type && v1)
		return bad(err, f,
			   "missing (Exact, Prefix or "
			   "ImplementationSpecific)");
	if (type && strcmp(type, "Exact") && strcmp(type, "Prefix") &&
	    strcmp(type, "ImplementationSpecific"))
		return bad(err, f,
			   "not Exact, Prefix or ImplementationSpecific");
	join(f, sizeof(f), field, ".path");
	if (knet_json_get(path, "path") && !p)
		return bad(err, f, "not a string");
	if ((p && *p && *p != '/') ||
	    ((!p || !*p) && type && strcmp(type, "ImplementationSpecific")))
		return bad(err, f, "must be an absolute path");
	join(f, sizeof(f), field, ".backend");
	return check_backend(knet_json_get(path, "backend"), v1, f, err);
}

static int check_rule(const cJSON *rule, bool v1, const char *field,
		      struct knet_error *err)
{
	const cJSON *paths =
		knet_json_path(rule, "http", "paths", KNET_JSON_END);
	const cJSON *p;
	char f[256];
	int j = 0, r;

	if (!cJSON_IsObject(rule))
		return bad(err, field, "not a map");
	join(f, sizeof(f), field, ".host");
	if (knet_json_get(rule, "host") && !knet_json_str(rule, "host"))
		return bad(err, f, "not a string");
	r = check_host(knet_json_str(rule, "host") ?: "", f, err);
	if (r < 0 || !knet_json_get(rule, "http"))
		return r;
	join(f, sizeof(f), field, ".http.paths");
	if (!cJSON_IsArray(paths) || !cJSON_GetArraySize(paths))
		return bad(err, f, "missing or not a list");
	cJSON_ArrayForEach(p, paths)
	{
		snprintf(f, sizeof(f), "%s.http.paths[%d]", field, j++);
		r = check_path(p, v1, f, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_tls(const cJSON *tls, struct knet_error *err)
{
	const cJSON *t, *h;
	char f[64];
	int i = 0, k;

	if (tls && !cJSON_IsArray(tls))
		return bad(err, "spec.tls", "not a list");
	cJSON_ArrayForEach(t, tls)
	{
		snprintf(f, sizeof(f), "spec.tls[%d]", i);
		if (!cJSON_IsObject(t))
			return bad(err, f, "not a map");
		snprintf(f, sizeof(f), "spec.tls[%d].hosts", i);
		if (knet_json_get(t, "hosts") &&
		    !cJSON_IsArray(knet_json_get(t, "hosts")))
			return bad(err, f, "not a list");
		k = 0;
		cJSON_ArrayForEach(h, knet_json_get(t, "hosts"))
		{
			snprintf(f, sizeof(f), "spec.tls[%d].hosts[%d]", i,
				 k++);
			if (!cJSON_IsString(h))
				return bad(err, f, "not a string");
		}
		snprintf(f, sizeof(f), "spec.tls[%d].secretName", i++);
		if (knet_json_get(t, "secretName") &&
		    !knet_json_str(t, "secretName"))
			return bad(err, f, "not a string");
	}
	return 0;
}

static int check_spec(const cJSON *item, struct knet_error *err)
{
	const char *gv = knet_json_str(item, "apiVersion");
	const cJSON *spec = knet_json_get(item, "spec"), *rule;
	const cJSON *rules = knet_json_get(spec, "rules");
	const cJSON *def = knet_json_get(spec, "defaultBackend");
	bool v1 = !gv || (strcmp(gv, "networking.k8s.io/v1beta1") &&
			  strcmp(gv, "extensions/v1beta1"));
	char f[64];
	int i = 0, r;

	if (!cJSON_IsObject(spec))
		return bad(err, "spec", "missing or not a map");
	if (!v1 && !def)
		def = knet_json_get(spec, "backend");
	if (knet_json_get(spec, "ingressClassName") &&
	    !knet_json_str(spec, "ingressClassName"))
		return bad(err, "spec.ingressClassName", "not a string");
	if (rules && !cJSON_IsArray(rules))
		return bad(err, "spec.rules", "not a list");
	if (!cJSON_GetArraySize(rules) && !def)
		return bad(err, "spec", "needs rules or a defaultBackend");
	if (def) {
		r = check_backend(def, v1,
				  v1 ? "spec.defaultBackend" : "spec.backend",
				  err);
		if (r < 0)
			return r;
	}
	cJSON_ArrayForEach(rule, rules)
	{
		snprintf(f, sizeof(f), "spec.rules[%d]", i++);
		r = check_rule(rule, v1, f, err);
		if (r < 0)
			return r;
	}
	return check_tls(knet_json_get(spec, "tls"), err);
}

int knet_ingress_parse(const cJSON *item, struct knet_ingress **ret,
		       struct knet_error *err)
{
	int r = check_spec(item, err);

	if (r < 0)
		return r;
	r = knet_ingress_from_json(item, ret);
	if (r < 0)
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "out of memory");
	return 0;
}
