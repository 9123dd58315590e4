/* SPDX-License-Identifier: MIT */
/*
 * lib/analysis: a Service's conntrack entries (which are to it, which
 * backend, which are stale) and address names, on hand-made entries and
 * API objects; no kernel, no cluster.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "knet/analysis.h"
#include "unit.h"

static cJSON *parse(const char *s)
{
	cJSON *j = cJSON_Parse(s);

	if (!j)
		abort();
	return j;
}

/* proto src:sport -> dst:dport, answered by rsrc:rsport (DNAT). */
static struct knet_ct_entry entry(uint8_t proto, const char *src, int sport,
				  const char *dst, int dport, const char *rsrc,
				  int rsport, bool replied)
{
	struct knet_ct_entry e = {.family = AF_INET, .proto = proto};

	inet_pton(AF_INET, src, e.orig.src);
	inet_pton(AF_INET, dst, e.orig.dst);
	e.orig.sport = (uint16_t)sport;
	e.orig.dport = (uint16_t)dport;
	inet_pton(AF_INET, rsrc, e.reply.src);
	inet_pton(AF_INET, src, e.reply.dst);
	e.reply.sport = (uint16_t)rsport;
	e.reply.dport = (uint16_t)sport;
	e.has = KNET_CT_HAS_STATUS;
	e.status = IPS_CONFIRMED | (replied ? IPS_SEEN_REPLY : 0);
	return e;
}

static void test_service(void)
{
	cJSON *js = parse(
		"{\"metadata\":{\"namespace\":\"web\",\"name\":\"web\"},"
		"\"spec\":{\"type\":\"NodePort\",\"clusterIP\":\"10.96.0.10\","
		"\"clusterIPs\":[\"10.96.0.10\"],\"externalIPs\":[\"203.0.113."
		"7\"],\"selector\":{\"app\":\"web\"},\"ports\":[{\"name\":"
		"\"http\",\"port\":80,\"targetPort\":8080,\"nodePort\":30080,"
		"\"protocol\":\"TCP\"},{\"name\":\"dns\",\"port\":53,"
		"\"protocol\":\"UDP\"}]}}");
	cJSON *slice = parse(
		"{\"metadata\":{\"namespace\":\"web\"},\"ports\":[{\"name\":"
		"\"http\",\"port\":8080,\"protocol\":\"TCP\"}],\"endpoints\":[{"
		"\"addresses\":[\"10.0.0.1\"],\"conditions\":{\"ready\":true},"
		"\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"web\","
		"\"name\":"
		"\"web-1\"}},{\"addresses\":[\"10.0.0.2\"],\"conditions\":{"
		"\"ready\":false,\"terminating\":true},\"targetRef\":{\"kind\":"
		"\"Pod\",\"namespace\":\"web\",\"name\":\"web-2\"}}]}");
	struct knet_service_endpoints *se = calloc(1, sizeof(*se));
	struct knet_service *svc = NULL;
	struct knet_ct_service *cs = NULL;
	struct knet_error err = {0};
	struct knet_ct_verdict v;
	struct knet_ct_entry e;
	const struct knet_ct_backend *b;
	int n;

	se->namespace = strdup("web");
	se->service = strdup("web");
	CHECK_INT(knet_service_from_json(js, &svc), 0);
	CHECK_INT(knet_endpoints_add_slice(se, slice), 0);
	CHECK_INT(knet_ct_service_new(svc, se, "nope", &cs, &err), -ENOENT);
	CHECK_INT(err.exit, KNET_EXIT_NOT_FOUND);
	CHECK_INT(knet_ct_service_new(svc, se, NULL, &cs, &err), 0);

	/* ClusterIP:80 to a ready endpoint: live. */
	e = entry(IPPROTO_TCP, "10.0.1.5", 40000, "10.96.0.10", 80, "10.0.0.1",
		  8080, true);
	CHECK_INT(knet_ct_service_classify(cs, &e, &v), 0);
	CHECK_INT(v.how, KNET_CT_SVC_CLUSTER_IP);
	CHECK_INT(v.stale, 0);
	CHECK_INT(v.backend, 0);
	/* ... to the terminating one: stale. */
	e = entry(IPPROTO_TCP, "10.0.1.5", 40001, "10.96.0.10", 80, "10.0.0.2",
		  8080, true);
	CHECK_INT(knet_ct_service_classify(cs, &e, &v), 0);
	CHECK_INT(v.stale, KNET_CT_STALE_NOT_READY);
	CHECK_INT(v.backend, 1);
	/* ... to an address no slice lists (the pod is gone): stale, and a
	 * backend of its own. */
	e = entry(IPPROTO_TCP, "10.0.1.5", 40002, "10.96.0.10", 80, "10.0.0.9",
		  8080, true);
	CHECK_INT(knet_ct_service_classify(cs, &e, &v), 0);
	CHECK_INT(v.stale, KNET_CT_STALE_NOT_READY);
	CHECK_INT(v.backend, 2);
	/* The wrong port, or protocol: not the Service's. */
	e = entry(IPPROTO_TCP, "10.0.1.5", 40003, "10.96.0.10", 81, "10.0.0.1",
		  8080, true);
	CHECK_INT(knet_ct_service_classify(cs, &e, &v), 0);
	CHECK_INT(v.how, KNET_CT_SVC_NONE);
	e = entry(IPPROTO_UDP, "10.0.1.5", 40003, "10.96.0.10", 80, "10.0.0.1",
		  8080, true);
	CHECK_INT(knet_ct_service_classify(cs, &e, &v), 0);
	CHECK_INT(v.how, KNET_CT_SVC_NONE);
	/* NodePort on any address, external IP. */
	e = entry(IPPROTO_TCP, "198.51.100.1", 40004, "192.0.2.10", 30080,
		  "10.0.0.1", 8080, true);
	CHECK_INT(knet_ct_service_classify(cs, &e, &v), 0);
	CHECK_INT(v.how, KNET_CT_SVC_NODE_PORT);
	CHECK_INT(v.stale, 0);
	e = entry(IPPROTO_TCP, "198.51.100.1", 40005, "203.0.113.7", 80,
		  "10.0.0.1", 8080, true);
	CHECK_INT(knet_ct_service_classify(cs, &e, &v), 0);
	CHECK_STR(knet_ct_svc_how_name(v.how), "externalIP");
	/* UDP to the ClusterIP never answered and never DNAT'd: stale. */
	e = entry(IPPROTO_UDP, "10.0.1.5", 5353, "10.96.0.10", 53, "10.96.0.10",
		  53, false);
	CHECK_INT(knet_ct_service_classify(cs, &e, &v), 0);
	CHECK_INT(v.stale, KNET_CT_STALE_UNREPLIED_UDP);
	CHECK_INT(v.backend, -1);
	CHECK(knet_ct_stale_reason(v.stale) != NULL);
	/* ... answered: live. */
	e = entry(IPPROTO_UDP, "10.0.1.5", 5354, "10.96.0.10", 53, "10.96.0.10",
		  53, true);
	CHECK_INT(knet_ct_service_classify(cs, &e, &v), 0);
	CHECK_INT(v.stale, 0);

	b = knet_ct_service_backends(cs, &n);
	CHECK_INT(n, 3);
	CHECK_STR(b[0].pod, "web/web-1");
	CHECK(b[0].ready && b[0].endpoint);
	CHECK_INT((int)b[0].flows, 3);
	CHECK_INT((int)b[1].stale, 1);
	CHECK(!b[1].ready && b[1].endpoint);
	CHECK_STR(b[2].ip, "10.0.0.9");
	CHECK(!b[2].endpoint && b[2].pod == NULL);
	CHECK_INT((int)b[2].stale, 1);
	knet_ct_service_free(cs);

	/* Only port "dns": the http entries are not the Service's. */
	CHECK_INT(knet_ct_service_new(svc, se, "dns", &cs, &err), 0);
	e = entry(IPPROTO_TCP, "10.0.1.5", 40000, "10.96.0.10", 80, "10.0.0.1",
		  8080, true);
	CHECK_INT(knet_ct_service_classify(cs, &e, &v), 0);
	CHECK_INT(v.how, KNET_CT_SVC_NONE);
	knet_ct_service_free(cs);

	knet_service_endpoints_free(se);
	knet_service_free(svc);
	cJSON_Delete(js);
	cJSON_Delete(slice);
}

static void test_names(void)
{
	static const char *const words[][2] = {
		{"pod web/web-1", "web/web-1"},
		{"svc web/web", "svc/web/web"},
		{"node node-a", "node/node-a"},
		{"endpoint kube-system/kube-dns", "ep/kube-system/kube-dns"},
	};
	struct knet_ct_names *n = NULL;
	unsigned char a[16] = {0};
	char *w;

	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++) {
		w = knet_ct_label_word(words[i][0]);
		CHECK_STR(w, words[i][1]);
		free(w);
	}
	CHECK(knet_ct_label_word(NULL) == NULL);
	/* No index: nothing is named, and that is no error. */
	CHECK_INT(knet_ct_names_new(NULL, &n), 0);
	inet_pton(AF_INET, "10.0.0.1", a);
	CHECK(knet_ct_names_get(n, AF_INET, a) == NULL);
	knet_ct_names_free(n);
}

/*
 * 198.18.0.1 is the API server (the endpoint of "kubernetes") and the
 * lab's DNS (a manual endpoint of kube-dns): a flow DNAT'd from
 * kube-dns's ClusterIP is named among kube-dns's endpoints.
 */
static const char backend_yaml[] =
	"apiVersion: v1\nkind: Service\nmetadata: {name: kubernetes, "
	"namespace: default}\nspec: {clusterIP: 198.18.128.1, ports: "
	"[{port: 443, targetPort: 6443}]}\n"
	"---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: kubernetes, "
	"namespace: default}\nsubsets: [{addresses: [{ip: 198.18.0.1}], "
	"ports: [{port: 6443}]}]\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: kube-dns, "
	"namespace: kube-system}\nspec: {clusterIP: 198.18.128.10, ports: "
	"[{name: dns, port: 53, protocol: UDP}]}\n"
	"---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: kube-dns, "
	"namespace: kube-system}\nsubsets: [{addresses: [{ip: 198.18.0.1}], "
	"ports: [{name: dns, port: 53, protocol: UDP}]}]\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: web, "
	"namespace: web}\nspec: {clusterIP: 198.18.128.20, ports: "
	"[{port: 80, targetPort: 8080}]}\n"
	"---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: web, "
	"namespace: web}\nsubsets: [{addresses: [{ip: 198.19.1.5, targetRef: "
	"{kind: Pod, name: web-1, namespace: web}}], ports: [{port: "
	"8080}]}]\n";

static const char *backend_of(struct knet_ct_names *n, const char *svc,
			      int sport, const char *ip, int port)
{
	unsigned char a[16] = {0}, b[16] = {0};

	inet_pton(AF_INET, svc, a);
	inet_pton(AF_INET, ip, b);
	return knet_ct_names_backend(n, AF_INET, a, (uint16_t)sport, b,
				     (uint16_t)port);
}

static void test_backend_names(void)
{
	struct knet_manifest *m = knet_manifest_new();
	struct knet_who_index *idx = NULL;
	struct knet_ct_names *n = NULL;
	struct knet_error err = {0};
	unsigned char a[16] = {0};
	char *l;

	CHECK(m != NULL);
	CHECK_INT(knet_manifest_load_text(m, "backends.yaml", backend_yaml,
					  sizeof(backend_yaml) - 1, "default",
					  &err),
		  0);
	CHECK_INT(knet_who_index_of_manifest(m, &idx), 0);
	/* By IP alone: the first Service that lists it. */
	l = knet_who_index_label(idx, "198.18.0.1");
	CHECK_STR(l, "endpoint default/kubernetes");
	free(l);
	l = knet_who_index_backend_label(idx, "198.18.128.10", 53, "198.18.0.1",
					 53);
	CHECK_STR(l, "endpoint kube-system/kube-dns");
	free(l);
	/* Not an endpoint of that Service (nor port): no answer. */
	CHECK(knet_who_index_backend_label(idx, "198.18.128.10", 53,
					   "198.18.0.1", 6443) == NULL);
	CHECK(knet_who_index_backend_label(idx, "198.18.128.10", 54,
					   "198.18.0.1", 53) == NULL);

	CHECK_INT(knet_ct_names_new(idx, &n), 0);
	CHECK_STR(backend_of(n, "198.18.128.10", 53, "198.18.0.1", 53),
		  "ep/kube-system/kube-dns");
	CHECK_STR(backend_of(n, "198.18.128.1", 443, "198.18.0.1", 6443),
		  "ep/default/kubernetes");
	/* Cached, and the plain name of the address is its own entry. */
	CHECK_STR(backend_of(n, "198.18.128.10", 53, "198.18.0.1", 53),
		  "ep/kube-system/kube-dns");
	inet_pton(AF_INET, "198.18.0.1", a);
	CHECK_STR(knet_ct_names_get(n, AF_INET, a), "ep/default/kubernetes");
	/* The pod behind a Service's endpoint, by its targetRef. */
	CHECK_STR(backend_of(n, "198.18.128.20", 80, "198.19.1.5", 8080),
		  "web/web-1");
	/* An address that Service does not list: the address's owner. */
	CHECK_STR(backend_of(n, "198.18.128.20", 80, "198.18.0.1", 8080),
		  "ep/default/kubernetes");
	CHECK(backend_of(n, "198.18.128.20", 80, "10.9.9.9", 8080) == NULL);
	/* Many keys: the table grows and keeps its answers. */
	for (int i = 0; i < 600; i++)
		backend_of(n, "198.18.128.20", 80, "10.9.9.9", 1000 + i);
	CHECK_STR(backend_of(n, "198.18.128.10", 53, "198.18.0.1", 53),
		  "ep/kube-system/kube-dns");
	knet_ct_names_free(n);
	knet_who_index_free(idx);
	knet_manifest_free(m);
}

int main(void)
{
	test_service();
	test_names();
	test_backend_names();
	return unit_done("test-ct-service");
}
