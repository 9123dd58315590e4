/* SPDX-License-Identifier: MIT */
/*
 * NetworkPolicy over protobuf (lib/api/proto-schema.c), on what the
 * lab's apiserver sent for tests/data/proto/netpol.yaml (the .pb and
 * .json files beside it, fetched by tests/data/proto/fetch): the spec
 * the protobuf reader builds must equal the JSON's spec, field for field,
 * because the policy code reads all of it; the models must agree; a
 * watch stream and a Status read too; endPort (newer than the lab) and
 * malformed input are checked on bytes written here.  The other kinds'
 * answers fetched beside them (the fuzz target proto's seeds) decode
 * into trees their models read.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/api.h"
#include "knet/objects.h"
#include "pb-writer.h"
#include "unit.h"

/* knet_api_proto_for(): which requests ask for protobuf. */
#include "../../lib/api/api-internal.h"

#define DATA "tests/data/proto"

struct buf {
	unsigned char *b;
	size_t n;
};

static struct buf slurp(const char *name)
{
	char path[256];
	struct buf r = {0};
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", DATA, name);
	f = fopen(path, "rb");
	CHECK(f != NULL);
	if (!f)
		return r;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		r.b = malloc((size_t)n);
		if (r.b && fread(r.b, 1, (size_t)n, f) == (size_t)n)
			r.n = (size_t)n;
	}
	fclose(f);
	CHECK(r.n > 0);
	return r;
}

static cJSON *json_file(const char *name)
{
	struct buf b = slurp(name);
	cJSON *j = cJSON_ParseWithLength((const char *)b.b, b.n);

	CHECK(j != NULL);
	free(b.b);
	return j;
}

static cJSON *pb_file(const char *name)
{
	struct buf b = slurp(name);
	struct knet_error err = {0};
	cJSON *j = NULL;

	CHECK(knet_proto_is(b.b, b.n));
	CHECK_INT(knet_proto_to_json(b.b, b.n, &j, &err), 0);
	if (err.reason[0])
		fprintf(stderr, "%s: %s\n", name, err.reason);
	free(b.b);
	return j;
}

/* The item of @list named @name. */
static const cJSON *item(const cJSON *list, const char *name)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, knet_json_get(list, "items"))
	{
		const char *n =
			knet_json_str(knet_json_get(it, "metadata"), "name");

		if (n && !strcmp(n, name))
			return it;
	}
	return NULL;
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool same_selector(const struct knet_selector *a,
			  const struct knet_selector *b)
{
	if (a->n != b->n || !same_str(a->text, b->text))
		return false;
	for (int i = 0; i < a->n; i++) {
		if (a->reqs[i].op != b->reqs[i].op ||
		    !same_str(a->reqs[i].key, b->reqs[i].key) ||
		    a->reqs[i].values.n != b->reqs[i].values.n)
			return false;
		for (int j = 0; j < a->reqs[i].values.n; j++)
			if (!same_str(a->reqs[i].values.v[j],
				      b->reqs[i].values.v[j]))
				return false;
	}
	return true;
}

static bool same_rules(const struct knet_netpol_rule *a,
		       const struct knet_netpol_rule *b, int n)
{
	for (int i = 0; i < n; i++) {
		if (a[i].npeers != b[i].npeers || a[i].nports != b[i].nports)
			return false;
		for (int j = 0; j < a[i].npeers; j++) {
			const struct knet_netpol_peer *p = &a[i].peers[j],
						      *q = &b[i].peers[j];

			if (p->has_pods != q->has_pods ||
			    p->has_namespaces != q->has_namespaces ||
			    !same_str(p->cidr, q->cidr) ||
			    p->except.n != q->except.n ||
			    !same_selector(&p->pods, &q->pods) ||
			    !same_selector(&p->namespaces, &q->namespaces))
				return false;
			for (int k = 0; k < p->except.n; k++)
				if (!same_str(p->except.v[k], q->except.v[k]))
					return false;
		}
		for (int j = 0; j < a[i].nports; j++) {
			const struct knet_netpol_port *p = &a[i].ports[j],
						      *q = &b[i].ports[j];

			if (strcmp(p->protocol, q->protocol) ||
			    p->port != q->port || p->end_port != q->end_port ||
			    !same_str(p->name, q->name))
				return false;
		}
	}
	return true;
}

/* cJSON_Compare(), with two absent values equal. */
static bool same_json(const cJSON *a, const cJSON *b)
{
	return (!a && !b) || cJSON_Compare(a, b, true);
}

/* The same object from both encodings: the same spec and model. */
static void check_same(const cJSON *pb, const cJSON *js)
{
	struct knet_netpol *a = NULL, *b = NULL;
	const cJSON *ma = knet_json_get(pb, "metadata");
	const cJSON *mb = knet_json_get(js, "metadata");

	CHECK(pb && js);
	if (!pb || !js)
		return;
	CHECK(cJSON_Compare(knet_json_get(pb, "spec"),
			    knet_json_get(js, "spec"), true));
	CHECK(same_json(knet_json_get(ma, "labels"),
			knet_json_get(mb, "labels")));
	CHECK_STR(knet_json_str(ma, "namespace"),
		  knet_json_str(mb, "namespace"));
	CHECK_STR(knet_json_str(ma, "uid"), knet_json_str(mb, "uid"));
	CHECK_STR(knet_json_str(ma, "creationTimestamp"),
		  knet_json_str(mb, "creationTimestamp"));
	CHECK_INT(knet_netpol_from_json(pb, &a), 0);
	CHECK_INT(knet_netpol_from_json(js, &b), 0);
	if (a && b) {
		CHECK_STR(a->meta.name, b->meta.name);
		CHECK_STR(a->pod_selector, b->pod_selector);
		CHECK(a->ingress == b->ingress && a->egress == b->egress);
		CHECK_INT(a->n_in, b->n_in);
		CHECK_INT(a->n_out, b->n_out);
		CHECK(same_selector(&a->selector, &b->selector));
		CHECK(a->n_in == b->n_in && same_rules(a->in, b->in, a->n_in));
		CHECK(a->n_out == b->n_out &&
		      same_rules(a->out, b->out, a->n_out));
	}
	knet_netpol_free(a);
	knet_netpol_free(b);
}

static void test_list(void)
{
	cJSON *pb = pb_file("netpol-list.pb");
	cJSON *js = json_file("netpol-list.json");
	const cJSON *it;
	struct knet_netpol *np = NULL;
	int n = 0;

	CHECK_STR(knet_json_str(pb, "kind"), "NetworkPolicyList");
	CHECK_STR(knet_json_str(pb, "apiVersion"), "networking.k8s.io/v1");
	CHECK_INT(cJSON_GetArraySize(knet_json_get(pb, "items")), 4);
	CHECK_INT(cJSON_GetArraySize(knet_json_get(js, "items")), 4);
	/* (fetched one after the other: their versions may differ) */
	CHECK(knet_json_str(knet_json_get(pb, "metadata"), "resourceVersion"));
	cJSON_ArrayForEach(it, knet_json_get(pb, "items"))
	{
		const char *name =
			knet_json_str(knet_json_get(it, "metadata"), "name");

		CHECK(name != NULL);
		check_same(it, item(js, name ? name : ""));
		n++;
	}
	CHECK_INT(n, 4);
	/* A few values as the policy code will read them. */
	CHECK_INT(knet_netpol_from_json(item(pb, "web-in"), &np), 0);
	CHECK(np && np->n_in == 2 && np->in[0].npeers == 4 &&
	      np->in[0].nports == 4);
	if (np && np->n_in == 2 && np->in[0].npeers == 4 &&
	    np->in[0].nports == 4) {
		CHECK_STR(np->pod_selector, "app=web,tier in (front,),!canary");
		CHECK_INT(np->n_in, 2);
		CHECK(np->ingress && !np->egress);
		CHECK_INT(np->in[0].npeers, 4);
		CHECK(np->in[0].peers[0].has_pods &&
		      np->in[0].peers[0].has_namespaces);
		/* namespaceSelector: {} is there, and selects everything */
		CHECK(np->in[0].peers[1].has_namespaces &&
		      !np->in[0].peers[1].has_pods);
		CHECK_INT(np->in[0].peers[1].namespaces.n, 0);
		CHECK_STR(np->in[0].peers[3].cidr, "198.18.0.0/15");
		CHECK_INT(np->in[0].peers[3].except.n, 2);
		CHECK_INT(np->in[0].nports, 4);
		CHECK_STR(np->in[0].ports[0].name, "http");
		CHECK_INT(np->in[0].ports[1].port, 8443);
		CHECK_STR(np->in[0].ports[2].protocol, "UDP");
		CHECK_STR(np->in[0].ports[3].protocol, "SCTP");
		CHECK_INT(np->in[0].ports[3].port, 0);
		/* The rule {} allows all: no peers, no ports. */
		CHECK(np->in[1].npeers == 0 && np->in[1].nports == 0);
		CHECK_INT(np->ingress_rules, 2);
		CHECK_INT(np->egress_rules, -1);
	}
	knet_netpol_free(np);
	np = NULL;
	CHECK_INT(knet_netpol_from_json(item(pb, "db-both"), &np), 0);
	CHECK(np && np->n_out == 2 && np->out[0].npeers == 2 &&
	      np->out[0].peers[1].except.n == 1 && np->out[0].nports == 1);
	if (np && np->n_out == 2 && np->out[0].npeers == 2 &&
	    np->out[0].peers[1].except.n == 1 && np->out[0].nports == 1) {
		CHECK_STR(np->out[0].peers[0].cidr, "198.18.0.0/16");
		CHECK_STR(np->out[0].peers[1].cidr, "fd00::/8");
		CHECK_STR(np->out[0].peers[1].except.v[0], "fd00:1::/32");
		CHECK_STR(np->out[0].ports[0].protocol, "UDP");
		CHECK_INT(np->out[0].ports[0].port, 53);
		CHECK(np->out[1].npeers == 1 && np->out[1].nports == 0);
		CHECK(np->out[1].peers[0].has_namespaces &&
		      !np->out[1].peers[0].has_pods);
	}
	knet_netpol_free(np);
	cJSON_Delete(pb);
	cJSON_Delete(js);
}

static void test_object(void)
{
	cJSON *pb = pb_file("netpol-web-in.pb");
	cJSON *js = json_file("netpol-web-in.json");

	CHECK_STR(knet_json_str(pb, "kind"), "NetworkPolicy");
	check_same(pb, js);
	cJSON_Delete(pb);
	cJSON_Delete(js);
}

/* A watch stream: frames of a 4-byte big-endian length and a WatchEvent. */
static void test_watch(void)
{
	struct buf s = slurp("netpol-watch.pb");
	cJSON *js = json_file("netpol-list.json");
	size_t off = 0;
	int n = 0;

	while (off + 4 <= s.n) {
		uint32_t len = (uint32_t)s.b[off] << 24 |
			       (uint32_t)s.b[off + 1] << 16 |
			       (uint32_t)s.b[off + 2] << 8 | s.b[off + 3];
		struct knet_error err = {0};
		const cJSON *obj;
		cJSON *ev = NULL;

		off += 4;
		CHECK(len <= s.n - off);
		if (len > s.n - off)
			break;
		CHECK_INT(knet_proto_watch_event(s.b + off, len, &ev, &err), 0);
		CHECK_STR(knet_json_str(ev, "type"), "ADDED");
		obj = knet_json_get(ev, "object");
		CHECK_STR(knet_json_str(obj, "kind"), "NetworkPolicy");
		check_same(obj, item(js, knet_json_str(
						 knet_json_get(obj, "metadata"),
						 "name")));
		cJSON_Delete(ev);
		off += len;
		n++;
	}
	CHECK_INT(off, s.n);
	CHECK_INT(n, 4);
	free(s.b);
	cJSON_Delete(js);
}

static void test_status(void)
{
	cJSON *pb = pb_file("netpol-404.pb");

	CHECK_STR(knet_json_str(pb, "kind"), "Status");
	CHECK_INT(cJSON_GetNumberValue(knet_json_get(pb, "code")), 404);
	CHECK_STR(knet_json_str(pb, "reason"), "NotFound");
	cJSON_Delete(pb);
}

/* The number of @list's items @parse reads, or -1. */
static int parsed(const cJSON *list, int (*parse)(const cJSON *, void **),
		  void (*done)(void *))
{
	const cJSON *it;
	int n = 0;

	cJSON_ArrayForEach(it, knet_json_get(list, "items"))
	{
		void *o = NULL;

		if (parse(it, &o) < 0)
			return -1;
		done(o);
		n++;
	}
	return n;
}

#define MODEL(name, type)                                                      \
	static int parse_##name(const cJSON *j, void **o)                      \
	{                                                                      \
		return knet_##name##_from_json(j, (struct knet_##type **)o);   \
	}                                                                      \
	static void free_##name(void *o)                                       \
	{                                                                      \
		knet_##name##_free(o);                                         \
	}
MODEL(pod, pod)
MODEL(service, service)
MODEL(node, node)
MODEL(namespace, namespace)
MODEL(ingress, ingress)

static void test_kinds(void)
{
	static const struct {
		const char *file, *kind;
		int (*parse)(const cJSON *, void **);
		void (*done)(void *);
		int min;
	} lists[] = {
		{"pods.pb", "PodList", parse_pod, free_pod, 2},
		{"services.pb", "ServiceList", parse_service, free_service, 3},
		{"nodes.pb", "NodeList", parse_node, free_node, 1},
		{"namespaces.pb", "NamespaceList", parse_namespace,
		 free_namespace, 4},
		{"ingresses.pb", "IngressList", parse_ingress, free_ingress, 1},
	};
	struct knet_service_endpoints *se = calloc(1, sizeof(*se));
	struct knet_node *node = NULL;
	const cJSON *it;
	cJSON *j;

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		j = pb_file(lists[i].file);
		CHECK_STR(knet_json_str(j, "kind"), lists[i].kind);
		CHECK(parsed(j, lists[i].parse, lists[i].done) >= lists[i].min);
		/* a continue token, when the lab has more than the limit */
		CHECK(knet_json_get(j, "metadata") != NULL);
		cJSON_Delete(j);
	}
	j = pb_file("node-a.pb");
	CHECK_INT(knet_node_from_json(j, &node), 0);
	CHECK(node && !strcmp(node->meta.name, "node-a"));
	knet_node_free(node);
	cJSON_Delete(j);
	j = pb_file("endpoints.pb");
	CHECK_STR(knet_json_str(j, "kind"), "EndpointsList");
	cJSON_ArrayForEach(it, knet_json_get(j, "items"))
		CHECK_INT(knet_endpoints_add_endpoints(se, it), 0);
	cJSON_Delete(j);
	j = pb_file("endpointslices.pb");
	CHECK_STR(knet_json_str(j, "kind"), "EndpointSliceList");
	CHECK_INT(cJSON_GetArraySize(knet_json_get(j, "items")), 3);
	cJSON_ArrayForEach(it, knet_json_get(j, "items"))
		CHECK_INT(knet_endpoints_add_slice(se, it), 0);
	cJSON_Delete(j);
	knet_service_endpoints_free(se);
}

static void test_pod_watch(void)
{
	struct buf s = slurp("pods-watch.pb");
	size_t off = 0;
	int n = 0;

	while (s.n - off >= 4) {
		size_t len = (size_t)s.b[off] << 24 |
			     (size_t)s.b[off + 1] << 16 |
			     (size_t)s.b[off + 2] << 8 | s.b[off + 3];
		struct knet_error err = {0};
		struct knet_pod *pod = NULL;
		cJSON *ev = NULL;

		off += 4;
		if (len > s.n - off)
			break;
		CHECK_INT(knet_proto_watch_event(s.b + off, len, &ev, &err), 0);
		CHECK_STR(knet_json_str(ev, "type"), "ADDED");
		CHECK_INT(knet_pod_from_json(knet_json_get(ev, "object"), &pod),
			  0);
		CHECK(pod &&
		      same_str(knet_labels_get(&pod->meta.labels, "app"),
			       "web") &&
		      pod->ips.n > 0 && pod->containers > 0);
		knet_pod_free(pod);
		cJSON_Delete(ev);
		off += len;
		n++;
	}
	CHECK_INT(off, s.n);
	CHECK_INT(n, 3);
	free(s.b);
}

/* --- bytes written here --- */

static void envelope(struct pb *out, const struct pb *raw)
{
	pb_envelope(out, "networking.k8s.io/v1", "NetworkPolicy", raw, NULL);
}

/*
 * A policy with a port range (endPort, 1.21+) and a named port, as
 * Go's protobuf writes them: IntOrString {type, intVal, strVal}.
 */
static void build_range(struct pb *np)
{
	struct pb md = {0}, spec = {0}, sel = {0}, rule = {0}, p1 = {0},
		  p2 = {0}, is1 = {0}, is2 = {0}, peer = {0}, blk = {0};

	np->n = 0;
	pb_str(&md, 1, "range");
	pb_str(&md, 3, "ns");
	pb_msg(np, 1, &md);
	pb_msg(&spec, 1, &sel); /* podSelector: {} */
	pb_str(&p1, 1, "TCP");
	pb_int(&is1, 1, 0);
	pb_int(&is1, 2, 8000);
	pb_str(&is1, 3, "");
	pb_msg(&p1, 2, &is1);
	pb_int(&p1, 3, 8100);
	pb_str(&p2, 1, "UDP");
	pb_int(&is2, 1, 1);
	pb_int(&is2, 2, 0);
	pb_str(&is2, 3, "dns");
	pb_msg(&p2, 2, &is2);
	pb_str(&blk, 1, "198.18.0.0/16");
	pb_msg(&peer, 3, &blk);
	pb_msg(&rule, 1, &p1);
	pb_msg(&rule, 1, &p2);
	pb_msg(&rule, 2, &peer);
	pb_msg(&spec, 3, &rule); /* egress */
	pb_str(&spec, 4, "Egress");
	pb_msg(np, 2, &spec);
}

static const char range_json[] =
	"{\"podSelector\":{},\"egress\":[{\"ports\":["
	"{\"protocol\":\"TCP\",\"port\":8000,\"endPort\":8100},"
	"{\"protocol\":\"UDP\",\"port\":\"dns\"}],"
	"\"to\":[{\"ipBlock\":{\"cidr\":\"198.18.0.0/16\"}}]}],"
	"\"policyTypes\":[\"Egress\"]}";

static void test_end_port(void)
{
	struct pb raw, env;
	struct knet_error err = {0};
	struct knet_netpol *np = NULL;
	cJSON *j = NULL, *want = cJSON_Parse(range_json);

	build_range(&raw);
	envelope(&env, &raw);
	CHECK_INT(knet_proto_to_json(env.b, env.n, &j, &err), 0);
	CHECK(cJSON_Compare(knet_json_get(j, "spec"), want, true));
	CHECK_INT(knet_netpol_from_json(j, &np), 0);
	CHECK(np && np->n_out == 1 && np->out[0].nports == 2);
	if (np && np->n_out == 1 && np->out[0].nports == 2) {
		CHECK(np->egress && !np->ingress);
		CHECK_INT(np->out[0].ports[0].port, 8000);
		CHECK_INT(np->out[0].ports[0].end_port, 8100);
		CHECK_STR(np->out[0].ports[1].name, "dns");
		CHECK_INT(np->out[0].ports[1].end_port, 0);
	}
	knet_netpol_free(np);
	cJSON_Delete(j);
	cJSON_Delete(want);
}

/* A policy field of the wrong wire type names its message and field. */
static void test_wrong_type(void)
{
	struct pb raw = {0}, env, spec = {0}, rule = {0}, port = {0};
	struct knet_error err = {0};
	cJSON *j = NULL;

	pb_int(&port, 3, 8100);
	port.b[0] = 3 << 3 | 2; /* endPort as a length */
	pb_msg(&rule, 1, &port);
	pb_msg(&spec, 2, &rule);
	pb_msg(&raw, 2, &spec);
	envelope(&env, &raw);
	CHECK_INT(knet_proto_to_json(env.b, env.n, &j, &err), -EBADMSG);
	CHECK(strstr(err.reason, "NetworkPolicyPort field 3") != NULL);
	CHECK(j == NULL);
}

/*
 * Every truncation and every byte changed (to 0xff and to 0x00) of the
 * lab's object, each a heap copy of exactly its length: refused with a
 * reason, or decoded, and then the model neither crashes nor leaks.
 */
static void test_malformed(void)
{
	struct buf s = slurp("netpol-web-in.pb");
	int refused = 0, whole = 0;

	for (size_t n = 0; n < s.n; n++) {
		for (int v = -1; v < 2; v++) {
			struct knet_error err = {0};
			struct knet_netpol *np = NULL;
			unsigned char *b = malloc(s.n);
			size_t len = v < 0 ? n : s.n;
			cJSON *j = NULL;
			int r;

			memcpy(b, s.b, s.n);
			if (v >= 0)
				b[n] = v ? 0xff : 0;
			r = knet_proto_to_json(b, len, &j, &err);
			if (r == 0) {
				whole++;
				if (knet_netpol_parse(j, &np, &err) == 0)
					knet_netpol_free(np);
			} else if (r == -EBADMSG && err.reason[0]) {
				refused++;
			} else {
				CHECK(!"neither decoded nor refused");
			}
			cJSON_Delete(j);
			free(b);
		}
	}
	CHECK(refused > (int)s.n);
	CHECK(whole > 0);
	free(s.b);
}

/* Lists, gets and watches of networkpolicies read by the model ask for
 * protobuf; raw reads (completion, the shell's cache) and --api-encoding
 * json do not. */
static void test_requests(void)
{
	static struct knet_api api;
	static const char *const yes[] = {
		"/apis/networking.k8s.io/v1/networkpolicies?limit=500",
		"/apis/networking.k8s.io/v1/namespaces/web/networkpolicies",
		"/apis/networking.k8s.io/v1/namespaces/web/networkpolicies/a",
		"/apis/networking.k8s.io/v1/networkpolicies?watch=1&"
		"resourceVersion=5&allowWatchBookmarks=true",
	};

	for (int enc = KNET_API_ENC_AUTO; enc <= KNET_API_ENC_PROTOBUF; enc++) {
		api.encoding = enc;
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			CHECK(knet_api_proto_for(&api, yes[i], true) ==
			      (enc != KNET_API_ENC_JSON));
			CHECK(!knet_api_proto_for(&api, yes[i], false));
		}
	}
	api.encoding = KNET_API_ENC_AUTO;
	CHECK(!knet_api_proto_for(
		&api, "/apis/networking.k8s.io/v1/ingressclasses", true));
	CHECK(!knet_api_proto_for(
		&api, "/apis/example.com/v1/networkpolicies/a/status", true));
}

int main(void)
{
	test_requests();
	test_list();
	test_object();
	test_watch();
	test_status();
	test_end_port();
	test_wrong_type();
	test_malformed();
	test_kinds();
	test_pod_watch();
	return unit_done("proto-netpol");
}
