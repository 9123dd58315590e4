/* SPDX-License-Identifier: MIT */
/*
 * Ingress matching against the Ingress specification's own examples
 * (the "Examples" table of path types), hosts and wildcards, classes,
 * the default backend and TLS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/analysis.h"
#include "unit.h"

/* An Ingress with one rule for @host (NULL: any) and @paths "T:/p,...". */
static struct knet_ingress *ing(const char *name, const char *cls,
				const char *host, const char *paths,
				const char *extra)
{
	char buf[4096], list[2048] = "";
	size_t o = 0;
	char *copy = strdup(paths), *save = NULL;
	struct knet_ingress *i = NULL;
	cJSON *j;
	int n = 0;

	for (char *t = strtok_r(copy, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(t, ':');

		*colon = '\0';
		o += (size_t)snprintf(list + o, sizeof(list) - o,
				      "%s{\"path\":\"%s\",\"pathType\":\"%s\","
				      "\"backend\":{\"service\":{\"name\":"
				      "\"svc%d\",\"port\":{\"number\":80}}}}",
				      n ? "," : "", colon + 1, t, n);
		n++;
	}
	free(copy);
	snprintf(buf, sizeof(buf),
		 "{\"metadata\":{\"namespace\":\"web\",\"name\":\"%s\"},"
		 "\"spec\":{%s%s%s\"rules\":[{%s%s%s\"http\":{\"paths\":[%s]}}]"
		 "%s}}",
		 name, cls ? "\"ingressClassName\":\"" : "", cls ? cls : "",
		 cls ? "\"," : "", host ? "\"host\":\"" : "", host ? host : "",
		 host ? "\"," : "", list, extra ? extra : "");
	j = cJSON_Parse(buf);
	if (j)
		knet_ingress_from_json(j, &i);
	cJSON_Delete(j);
	return i;
}

/* The winning path of a match of @url over @ings, "" when none. */
static const char *winner(struct knet_ingress **ings, int n, const char *url,
			  const char *cls)
{
	static char out[256];
	struct knet_url u;
	struct knet_error err = {0};
	struct knet_ingress_match *m = NULL;

	out[0] = '\0';
	if (knet_url_parse(url, &u, &err) < 0 ||
	    knet_ingress_match((const struct knet_ingress *const *)ings, n, cls,
			       NULL, &u, &m, &err) < 0)
		return "error";
	if (m->winner >= 0) {
		const struct knet_ingress_candidate *c = &m->c[m->winner];
		const struct knet_ingress_path *p = &c->ing->paths[c->path];

		snprintf(out, sizeof(out), "%s %s %s", c->ing->meta.name,
			 p->is_default	? "default"
			 : p->path_type ? p->path_type
					: "-",
			 p->path ? p->path : "-");
	}
	knet_ingress_match_free(m);
	return out;
}

/* The spec's table: rule paths, request, whether it matches. */
static void test_spec_table(void)
{
	static const struct {
		const char *paths, *request, *want;
	} cases[] = {
		{"Prefix:/", "/anything", "a Prefix /"},
		{"Exact:/foo", "/foo", "a Exact /foo"},
		{"Exact:/foo", "/bar", ""},
		{"Exact:/foo", "/foo/", ""},
		{"Exact:/foo/", "/foo", ""},
		{"Prefix:/foo", "/foo", "a Prefix /foo"},
		{"Prefix:/foo", "/foo/", "a Prefix /foo"},
		{"Prefix:/foo/", "/foo", "a Prefix /foo/"},
		{"Prefix:/foo/", "/foo/", "a Prefix /foo/"},
		{"Prefix:/aaa/bb", "/aaa/bbb", ""},
		{"Prefix:/aaa/bbb", "/aaa/bbb", "a Prefix /aaa/bbb"},
		{"Prefix:/aaa/bbb/", "/aaa/bbb", "a Prefix /aaa/bbb/"},
		{"Prefix:/aaa/bbb", "/aaa/bbb/", "a Prefix /aaa/bbb"},
		{"Prefix:/aaa/bbb", "/aaa/bbb/ccc", "a Prefix /aaa/bbb"},
		{"Prefix:/aaa/bbb", "/aaa/bbbxyz", ""},
		{"Prefix:/,Prefix:/aaa", "/aaa/ccc", "a Prefix /aaa"},
		{"Prefix:/,Prefix:/aaa,Prefix:/aaa/bbb", "/aaa/bbb",
		 "a Prefix /aaa/bbb"},
		{"Prefix:/,Prefix:/aaa,Prefix:/aaa/bbb", "/ccc", "a Prefix /"},
		{"Prefix:/aaa", "/ccc", ""},
		{"Prefix:/foo,Exact:/foo", "/foo", "a Exact /foo"},
		{"Exact:/foo,Prefix:/foo", "/foo", "a Exact /foo"},
		{"ImplementationSpecific:/api", "/api/v1",
		 "a ImplementationSpecific /api"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct knet_ingress *a =
			ing("a", NULL, NULL, cases[i].paths, NULL);
		char url[256];
		const char *got;

		snprintf(url, sizeof(url), "http://x.example%s",
			 cases[i].request);
		got = winner(&a, 1, url, NULL);
		if (strcmp(got, cases[i].want))
			fprintf(stderr, "case %zu: %s %s: got '%s'\n", i,
				cases[i].paths, cases[i].request, got);
		CHECK_STR(got, cases[i].want);
		knet_ingress_free(a);
	}
}

static void test_hosts_classes(void)
{
	struct knet_ingress *v[4];
	struct knet_url u;
	struct knet_error err = {0};
	struct knet_ingress_match *m = NULL;

	v[0] = ing("exact", "nginx", "foo.bar.com", "Prefix:/", NULL);
	v[1] = ing("wild", "nginx", "*.bar.com", "Prefix:/,Prefix:/api",
		   ",\"tls\":[{\"hosts\":[\"*.bar.com\"],"
		   "\"secretName\":\"wild-tls\"}]");
	v[2] = ing("any", "nginx", NULL, "Prefix:/",
		   ",\"defaultBackend\":{\"service\":{\"name\":\"fallback\","
		   "\"port\":{\"number\":80}}}");
	v[3] = ing("other", "traefik", "foo.bar.com", "Exact:/api", NULL);
	/* the exact host beats the wildcard even with a longer path there */
	CHECK_STR(winner(v, 4, "foo.bar.com/api", "nginx"), "exact Prefix /");
	/* no class asked and no default class: every controller's rules */
	CHECK_STR(winner(v, 4, "foo.bar.com/api", NULL), "other Exact /api");
	/* a wildcard is one label: baz.foo.bar.com is not *.bar.com */
	CHECK_STR(winner(v, 4, "x.bar.com/api/v1", NULL), "wild Prefix /api");
	CHECK_STR(winner(v, 4, "baz.foo.bar.com/api", NULL), "any Prefix /");
	CHECK_STR(winner(v, 4, "bar.com/", NULL), "any Prefix /");
	/* the class: traefik only */
	CHECK_STR(winner(v, 4, "foo.bar.com/api", "traefik"),
		  "other Exact /api");
	CHECK_STR(winner(v, 4, "foo.bar.com/x", "traefik"), "");

	/* why the others lost, and TLS */
	CHECK_INT(knet_url_parse("https://x.bar.com/api", &u, &err), 0);
	CHECK_INT(knet_ingress_match((const struct knet_ingress *const *)v, 4,
				     "nginx", NULL, &u, &m, &err),
		  0);
	if (m) {
		int won = 0, shorter = 0, cls = 0, host = 0, tier = 0, def = 0;

		for (int i = 0; i < m->n; i++) {
			won += m->c[i].verdict == KNET_ING_WON;
			shorter += m->c[i].verdict == KNET_ING_SHORTER;
			cls += m->c[i].verdict == KNET_ING_CLASS;
			host += m->c[i].verdict == KNET_ING_HOST;
			tier += m->c[i].verdict == KNET_ING_HOST_TIER;
			def += m->c[i].verdict == KNET_ING_DEFAULT;
		}
		CHECK_INT(won, 1);
		CHECK_INT(shorter, 1);
		CHECK_INT(cls, 1);
		CHECK_INT(host, 1);
		CHECK_INT(tier, 1);
		CHECK_INT(def, 1);
		CHECK_STR(m->tls_secret, "wild-tls");
		CHECK(!m->https_without_tls);
	}
	knet_ingress_match_free(m);
	m = NULL;
	/* https to a host no TLS block names */
	CHECK_INT(knet_url_parse("https://bar.com/", &u, &err), 0);
	CHECK_INT(knet_ingress_match((const struct knet_ingress *const *)v, 3,
				     NULL, NULL, &u, &m, &err),
		  0);
	CHECK(m && m->https_without_tls && m->tls_secret == NULL);
	knet_ingress_match_free(m);
	m = NULL;
	/* nothing matches: the default backend */
	{
		struct knet_ingress *d[2] = {
			ing("d", NULL, "a.example", "Exact:/only",
			    ",\"defaultBackend\":{\"service\":{\"name\":"
			    "\"fallback\",\"port\":{\"number\":80}}}"),
			NULL,
		};

		CHECK_STR(winner(d, 1, "a.example/other", NULL), "d default -");
		knet_ingress_free(d[0]);
	}
	for (int i = 0; i < 4; i++)
		knet_ingress_free(v[i]);
}

static void test_url(void)
{
	struct knet_url u;
	struct knet_error err = {0};

	CHECK_INT(knet_url_parse("Shop.Example", &u, &err), 0);
	CHECK_STR(u.host, "shop.example");
	CHECK_STR(u.path, "/");
	CHECK_INT(u.port, 80);
	CHECK_INT(knet_url_parse("HTTPS://a.b:8443/x/y?q=1#f", &u, &err), 0);
	CHECK_STR(u.scheme, "https");
	CHECK_INT(u.port, 8443);
	CHECK_STR(u.path, "/x/y");
	CHECK_INT(knet_url_parse("ftp://a/", &u, &err), -EINVAL);
	CHECK_INT(knet_url_parse("http://:80/", &u, &err), -EINVAL);
	CHECK_INT(knet_url_parse("http://a:99999/", &u, &err), -EINVAL);
}

/* Load @yaml as a manifest; the error text ("" when it loaded). */
static const char *load(const char *yaml, struct knet_manifest **ret)
{
	static char reason[512];
	struct knet_error err = {0};
	struct knet_manifest *m = knet_manifest_new();

	reason[0] = '\0';
	if (knet_manifest_load_text(m, "t.yaml", yaml, strlen(yaml), "web",
				    &err) < 0)
		snprintf(reason, sizeof(reason), "%s", err.reason);
	*ret = m;
	return reason;
}

#define ING_HEAD                                                               \
	"apiVersion: networking.k8s.io/v1\nkind: Ingress\n"                    \
	"metadata: {name: i}\nspec:\n"

/* Ingresses and IngressClasses in manifests, checked as the API would. */
static void test_manifest(void)
{
	struct knet_manifest *m = NULL;
	const char *r;

	r = load("apiVersion: networking.k8s.io/v1\nkind: IngressClass\n"
		 "metadata:\n  name: c\n  annotations:\n"
		 "    ingressclass.kubernetes.io/is-default-class: \"true\"\n"
		 "spec: {controller: x/y}\n---\n" ING_HEAD
		 "  ingressClassName: c\n"
		 "  rules: [{host: a.test, http: {paths: [{path: /, pathType: "
		 "Prefix, backend: {service: {name: be, port: {number: "
		 "80}}}}]}}]\n",
		 &m);
	CHECK_STR(r, "");
	CHECK_INT(m->ingresses.n, 1);
	CHECK_INT(m->ingress_classes.n, 1);
	CHECK_STR(m->ingresses.items[0]->meta.namespace, "web");
	CHECK(m->ingress_classes.items[0]->meta.namespace == NULL);
	CHECK_STR(knet_ingress_class_default(&m->ingress_classes), "c");
	CHECK_STR(m->ingresses.items[0]->paths[0].port, "80");
	knet_manifest_free(m);

	r = load(ING_HEAD "  rules: [{http: {paths: [{path: /, pathType: "
			  "Regex, backend: {service: {name: be, port: "
			  "{number: 80}}}}]}}]\n",
		 &m);
	CHECK_STR(r, "t.yaml: document 1: spec.rules[0].http.paths[0]."
		     "pathType: not Exact, Prefix or ImplementationSpecific");
	knet_manifest_free(m);
	r = load("kind: Service\napiVersion: v1\nmetadata: {name: "
		 "s}\n---\n" ING_HEAD
		 "  defaultBackend: {service: {name: be, port: {number: "
		 "70000}}}\n",
		 &m);
	CHECK_STR(r, "t.yaml: document 2: spec.defaultBackend.service.port: "
		     "number not in 1-65535");
	knet_manifest_free(m);
	r = load(ING_HEAD "  rules: [{host: 10.0.0.1, http: {paths: [{path: "
			  "/, pathType: Exact, backend: {service: {name: be, "
			  "port: {name: http}}}}]}}]\n",
		 &m);
	CHECK_STR(r, "t.yaml: document 1: spec.rules[0].host: must be a DNS "
		     "name, not an IP address");
	knet_manifest_free(m);
	r = load(ING_HEAD "  tls: []\n", &m);
	CHECK_STR(r, "t.yaml: document 1: spec: needs rules or a "
		     "defaultBackend");
	knet_manifest_free(m);
	r = load(ING_HEAD "  rules: [{host: \"a.*.test\", http: {paths: "
			  "[{path: /, pathType: Exact, backend: {service: "
			  "{name: be, port: {number: 1}}}}]}}]\n",
		 &m);
	CHECK_STR(r, "t.yaml: document 1: spec.rules[0].host: a wildcard is "
		     "only '*.' in front");
	knet_manifest_free(m);
	/* v1beta1: serviceName/servicePort, no pathType needed */
	r = load("apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\n"
		 "metadata: {name: old}\nspec:\n  rules: [{http: {paths: "
		 "[{path: /x, backend: {serviceName: be, servicePort: "
		 "http}}]}}]\n",
		 &m);
	CHECK_STR(r, "");
	CHECK_STR(m->ingresses.items[0]->paths[0].service, "be");
	knet_manifest_free(m);
}

/* The backend's ready endpoints: its port only, once each. */
static void test_backend(void)
{
	struct knet_manifest *m = NULL;
	struct knet_strv ready = {0};
	const char *note = NULL;
	const char *r =
		load("apiVersion: v1\nkind: Service\nmetadata: {name: be}\n"
		     "spec:\n  ports: [{name: http, port: 80}, {name: m, port: "
		     "9}]\n---\napiVersion: discovery.k8s.io/v1\nkind: "
		     "EndpointSlice\nmetadata:\n  name: be-1\n  labels: "
		     "{kubernetes.io/service-name: be}\naddressType: IPv4\n"
		     "ports: [{name: http, port: 8080}]\nendpoints:\n"
		     "- {addresses: [198.19.1.2], conditions: {ready: true}}\n"
		     "- {addresses: [198.19.1.3], conditions: {ready: false}}\n"
		     "---\napiVersion: discovery.k8s.io/v1\nkind: "
		     "EndpointSlice\nmetadata:\n  name: be-2\n  labels: "
		     "{kubernetes.io/service-name: be}\naddressType: IPv4\n"
		     "ports: [{name: m, port: 9090}]\nendpoints:\n"
		     "- {addresses: [198.19.1.2], conditions: {ready: true}}\n",
		     &m);
	struct knet_ingress_path p = {.service = "be", .port = "http"};
	const struct knet_service_endpoints *se;

	CHECK_STR(r, "");
	se = knet_endpoints_list_find(&m->endpoints, "web", "be");
	CHECK(se != NULL);
	CHECK_INT(knet_ingress_backend_ready(&p, m->services.items[0], se,
					     &ready, &note),
		  0);
	CHECK_INT(ready.n, 1);
	CHECK_STR(ready.n ? ready.v[0] : "", "198.19.1.2:8080");
	CHECK(note == NULL);
	knet_strv_clear(&ready);
	p.port = "80";
	knet_ingress_backend_ready(&p, m->services.items[0], se, &ready, &note);
	CHECK_STR(ready.n ? ready.v[0] : "", "198.19.1.2:8080");
	knet_strv_clear(&ready);
	p.port = "81";
	knet_ingress_backend_ready(&p, m->services.items[0], se, &ready, &note);
	CHECK_STR(note ? note : "", "the backend Service has no such port");
	knet_strv_clear(&ready);
	knet_ingress_backend_ready(&p, NULL, NULL, &ready, &note);
	CHECK_STR(note ? note : "", "the backend Service does not exist");
	p.port = "http";
	knet_ingress_backend_ready(&p, m->services.items[0], NULL, &ready,
				   &note);
	CHECK_STR(note ? note : "",
		  "the backend Service has no ready endpoint");
	CHECK_INT(ready.n, 0);
	knet_manifest_free(m);
}

int main(void)
{
	test_spec_table();
	test_hosts_classes();
	test_url();
	test_manifest();
	test_backend();
	return unit_done("ingress-match");
}
