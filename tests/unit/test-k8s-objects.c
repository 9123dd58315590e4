/* SPDX-License-Identifier: MIT */
/*
 * Object models from API JSON: pods (kubectl's STATUS rules), Services,
 * EndpointSlices v1 and v1beta1 and core Endpoints, nodes, network
 * policies and Ingresses v1 and v1beta1, selectors and labels.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "knet/objects.h"
#include "unit.h"

static cJSON *parse(const char *s)
{
	cJSON *j = cJSON_Parse(s);

	CHECK(j != NULL);
	return j;
}

static const char pod_json[] =
	"{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"web\",\"uid\":"
	"\"u1\","
	"\"creationTimestamp\":\"2024-01-02T03:04:05Z\",\"labels\":{\"app\":"
	"\"web\",\"tier\":\"fe\"},\"ownerReferences\":[{\"kind\":"
	"\"ReplicaSet\","
	"\"name\":\"web-abc\",\"controller\":true}]},"
	"\"spec\":{\"nodeName\":\"node-a\",\"containers\":[{\"name\":\"web\","
	"\"ports\":[{\"name\":\"http\",\"containerPort\":8080},"
	"{\"containerPort\":53,\"protocol\":\"UDP\"}]},{\"name\":\"side\"}]},"
	"\"status\":{\"phase\":\"Running\",\"hostIP\":\"198.18.0.10\","
	"\"podIP\":\"198.19.1.3\",\"podIPs\":[{\"ip\":\"198.19.1.3\"},{\"ip\":"
	"\"fd00::3\"}],\"conditions\":[{\"type\":\"Ready\",\"status\":"
	"\"False\"}],\"containerStatuses\":[{\"name\":\"web\",\"ready\":true,"
	"\"restartCount\":2,\"containerID\":\"containerd://abc\",\"state\":"
	"{\"running\":{}}},{\"name\":\"side\",\"ready\":false,\"restartCount\":"
	"1,\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}}}]}}";

static void test_pod(void)
{
	struct knet_pod *p = NULL;
	cJSON *j = parse(pod_json);

	CHECK_INT(knet_pod_from_json(j, &p), 0);
	cJSON_Delete(j);
	if (!p)
		return;
	CHECK_STR(p->meta.name, "web-1");
	CHECK_STR(p->meta.namespace, "web");
	CHECK_INT(p->meta.created, 1704164645);
	CHECK_STR(p->node, "node-a");
	CHECK_STR(p->status, "CrashLoopBackOff");
	CHECK_INT(p->ips.n, 2);
	CHECK_STR(p->ips.v[1], "fd00::3");
	CHECK(!p->ready);
	CHECK_INT(p->containers_ready, 1);
	CHECK_INT(p->containers, 2);
	CHECK_INT(p->restarts, 3);
	CHECK_INT(p->nports, 2);
	CHECK_STR(p->ports[1].protocol, "UDP");
	CHECK(p->ports[1].name == NULL);
	CHECK_STR(p->owner_kind, "ReplicaSet");
	CHECK_STR(p->owner_name, "web-abc");
	CHECK_STR(p->container_ids[0], "containerd://abc");
	CHECK(p->container_ids[1] == NULL);
	CHECK_STR(knet_labels_get(&p->meta.labels, "tier"), "fe");
	knet_pod_free(p);

	/* Init containers, terminating, exit codes, completed. */
	j = parse("{\"metadata\":{\"name\":\"i\"},\"spec\":{\"initContainers\":"
		  "[{},{}],\"containers\":[{}]},\"status\":{\"phase\":"
		  "\"Pending\",\"initContainerStatuses\":[{\"state\":"
		  "{\"terminated\":{\"exitCode\":0}}},{\"state\":{\"running\":"
		  "{}}}]}}");
	CHECK_INT(knet_pod_from_json(j, &p), 0);
	CHECK_STR(p->status, "Init:1/2");
	knet_pod_free(p);
	cJSON_Delete(j);
	j = parse("{\"metadata\":{\"name\":\"t\",\"deletionTimestamp\":"
		  "\"2024-01-01T00:00:00Z\"},\"status\":{\"phase\":"
		  "\"Running\"}}");
	CHECK_INT(knet_pod_from_json(j, &p), 0);
	CHECK_STR(p->status, "Terminating");
	CHECK(p->meta.deleting);
	knet_pod_free(p);
	cJSON_Delete(j);
	j = parse(
		"{\"metadata\":{\"name\":\"x\"},\"spec\":{\"containers\":"
		"[{}]},\"status\":{\"phase\":\"Failed\",\"containerStatuses\":"
		"[{\"state\":{\"terminated\":{\"exitCode\":137,\"signal\":"
		"9}}}]}}");
	CHECK_INT(knet_pod_from_json(j, &p), 0);
	CHECK_STR(p->status, "Signal:9");
	knet_pod_free(p);
	cJSON_Delete(j);
	/* A long reason from the API comes back whole (it was cut at 127). */
	{
		char reason[301], doc[600];

		memset(reason, 'R', 300);
		reason[300] = '\0';
		snprintf(doc, sizeof(doc),
			 "{\"metadata\":{\"name\":\"l\"},\"status\":"
			 "{\"initContainerStatuses\":[{\"state\":{"
			 "\"waiting\":{\"reason\":\"%s\"}}}]}}",
			 reason);
		j = parse(doc);
		CHECK_INT(knet_pod_from_json(j, &p), 0);
		CHECK_INT(strlen(p->status), 305);
		CHECK(!strncmp(p->status, "Init:RRR", 8));
		knet_pod_free(p);
		cJSON_Delete(j);
	}
	j = parse("{\"metadata\":{\"name\":\"e\"},\"status\":{\"phase\":"
		  "\"Failed\",\"reason\":\"Evicted\"}}");
	CHECK_INT(knet_pod_from_json(j, &p), 0);
	CHECK_STR(p->status, "Evicted");
	CHECK_INT(p->ips.n, 0);
	knet_pod_free(p);
	cJSON_Delete(j);
	/* Only a Ready condition (no container statuses): it speaks. */
	j = parse(
		"{\"metadata\":{\"name\":\"r\"},\"spec\":{\"containers\":"
		"[{}]},\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0."
		"1\","
		"\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}");
	CHECK_INT(knet_pod_from_json(j, &p), 0);
	CHECK_INT(p->containers_ready, 1);
	CHECK_STR(p->ips.v[0], "10.0.0.1");
	knet_pod_free(p);
	cJSON_Delete(j);
}

static void test_service(void)
{
	struct knet_service *s = NULL;
	cJSON *j = parse(
		"{\"metadata\":{\"name\":\"web\",\"namespace\":\"web\"},"
		"\"spec\":"
		"{\"type\":\"LoadBalancer\",\"clusterIP\":\"198.18.128.10\","
		"\"clusterIPs\":[\"198.18.128.10\",\"fd00::a\"],"
		"\"externalIPs\":"
		"[\"203.0.113.9\"],\"selector\":{\"app\":\"web\"},\"ports\":[{"
		"\"name\":\"http\",\"port\":80,\"targetPort\":8080,"
		"\"nodePort\":"
		"30080},{\"port\":53,\"protocol\":\"UDP\",\"targetPort\":"
		"\"dns\"},"
		"{\"port\":9}]},\"status\":{\"loadBalancer\":{\"ingress\":[{"
		"\"ip\":"
		"\"203.0.113.10\"},{\"hostname\":\"lb.example\"}]}}}");

	CHECK_INT(knet_service_from_json(j, &s), 0);
	cJSON_Delete(j);
	if (!s)
		return;
	CHECK_STR(s->type, "LoadBalancer");
	CHECK_INT(s->cluster_ips.n, 2);
	CHECK_STR(s->external_ips.v[0], "203.0.113.9");
	CHECK_INT(s->lb_ingress.n, 2);
	CHECK_STR(s->lb_ingress.v[1], "lb.example");
	CHECK(s->has_selector);
	CHECK(!s->headless);
	CHECK_INT(s->nports, 3);
	CHECK_STR(s->ports[0].target_port, "8080");
	CHECK_INT(s->ports[0].node_port, 30080);
	CHECK_STR(s->ports[1].target_port, "dns");
	CHECK_STR(s->ports[1].protocol, "UDP");
	CHECK(s->ports[2].target_port == NULL);
	CHECK(knet_service_find_port(s, "http") == &s->ports[0]);
	CHECK(knet_service_find_port(s, "53") == &s->ports[1]);
	CHECK(knet_service_find_port(s, "81") == NULL);
	knet_service_free(s);

	/* What can name a port at all: a usage error before any lookup. */
	{
		static const char *const good[] = {"80",   "1",	      "65535",
						   "http", "dns-tcp", "a1"};
		static const char *const bad[] = {
			"0",	 "65536", "99999", "000080", "",     "-http",
			"http-", "HTTP",  "a b",   "a/b",    "a\x1b"};
		struct knet_error err = {0};

		for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
			CHECK_INT(knet_service_port_check(good[i], &err), 0);
		for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
			memset(&err, 0, sizeof(err));
			CHECK_INT(knet_service_port_check(bad[i], &err),
				  -EINVAL);
			CHECK_INT(err.exit, KNET_EXIT_USAGE);
		}
		/* The last one's escape character, escaped in the message. */
		CHECK(strstr(err.reason, "bad port 'a") != NULL);
		CHECK(strchr(err.reason, '\x1b') == NULL);
	}

	j = parse("{\"metadata\":{\"name\":\"h\"},\"spec\":{\"clusterIP\":"
		  "\"None\"}}");
	CHECK_INT(knet_service_from_json(j, &s), 0);
	CHECK(s->headless);
	CHECK_STR(s->type, "ClusterIP");
	CHECK(!s->has_selector);
	knet_service_free(s);
	cJSON_Delete(j);
}

static void test_endpoints(void)
{
	struct knet_service_endpoints se = {0};
	cJSON *v1 = parse(
		"{\"metadata\":{\"name\":\"web-x\",\"labels\":{"
		"\"kubernetes.io/service-name\":\"web\"}},\"ports\":[{\"name\":"
		"\"http\",\"port\":8080,\"protocol\":\"TCP\"}],\"endpoints\":[{"
		"\"addresses\":[\"10.0.0.1\"],\"conditions\":{\"ready\":true},"
		"\"nodeName\":\"node-a\",\"targetRef\":{\"kind\":\"Pod\","
		"\"namespace\":\"web\",\"name\":\"web-1\"}},{\"addresses\":["
		"\"10.0.0.2\"],\"conditions\":{\"ready\":false,\"terminating\":"
		"true}}]}");
	cJSON *beta = parse(
		"{\"endpoints\":[{\"addresses\":[\"10.0.0.3\"],\"topology\":{"
		"\"kubernetes.io/hostname\":\"node-b\"}}]}");
	cJSON *core = parse(
		"{\"subsets\":[{\"addresses\":[{\"ip\":\"10.0.0.4\","
		"\"nodeName\":"
		"\"node-c\",\"targetRef\":{\"kind\":\"Pod\",\"name\":\"p4\"}}],"
		"\"notReadyAddresses\":[{\"ip\":\"10.0.0.5\"}],\"ports\":[{"
		"\"port\":80},{\"port\":53,\"protocol\":\"UDP\"}]}]}");

	CHECK_INT(knet_endpoints_add_slice(&se, v1), 0);
	CHECK_INT(se.n, 2);
	CHECK_STR(se.eps[0].ip, "10.0.0.1");
	CHECK_STR(se.eps[0].pod_name, "web-1");
	CHECK_STR(se.eps[0].node, "node-a");
	CHECK_STR(se.eps[0].port_name, "http");
	CHECK_INT(se.eps[0].port, 8080);
	CHECK(se.eps[0].ready);
	CHECK(!se.eps[1].ready);
	CHECK(se.eps[1].terminating);
	CHECK(se.eps[1].pod_name == NULL);
	/* v1beta1: node from topology, ready when unset, no ports. */
	CHECK_INT(knet_endpoints_add_slice(&se, beta), 0);
	CHECK_INT(se.n, 3);
	CHECK_STR(se.eps[2].node, "node-b");
	CHECK(se.eps[2].ready);
	CHECK_INT(se.eps[2].port, 0);
	CHECK_INT(knet_endpoints_add_endpoints(&se, core), 0);
	CHECK_INT(se.n, 7);
	CHECK_STR(se.eps[3].ip, "10.0.0.4");
	CHECK_STR(se.eps[4].protocol, "UDP");
	CHECK_STR(se.eps[5].ip, "10.0.0.5");
	CHECK(!se.eps[5].ready);
	CHECK_STR(se.source, "Endpoints");
	for (int i = 0; i < se.n; i++) {
		free(se.eps[i].ip);
		free(se.eps[i].hostname);
		free(se.eps[i].node);
		free(se.eps[i].pod_ns);
		free(se.eps[i].pod_name);
		free(se.eps[i].port_name);
	}
	free(se.eps);
	cJSON_Delete(v1);
	cJSON_Delete(beta);
	cJSON_Delete(core);
}

static void test_node(void)
{
	struct knet_node *n = NULL;
	cJSON *j = parse(
		"{\"metadata\":{\"name\":\"node-a\",\"labels\":{"
		"\"node-role.kubernetes.io/"
		"worker\":\"\"}},\"spec\":{\"podCIDR\":"
		"\"10.1.0.0/24\",\"podCIDRs\":[\"10.1.0.0/24\",\"fd01::/64\"],"
		"\"unschedulable\":true},\"status\":{\"conditions\":[{\"type\":"
		"\"Ready\",\"status\":\"False\",\"reason\":\"KubeletNotReady\"}"
		"],"
		"\"addresses\":[{\"type\":\"InternalIP\",\"address\":"
		"\"198.18.0.10\"},{\"type\":\"Hostname\",\"address\":\"a\"}],"
		"\"nodeInfo\":{\"kubeletVersion\":\"v1.20.2\"}}}");

	CHECK_INT(knet_node_from_json(j, &n), 0);
	cJSON_Delete(j);
	if (!n)
		return;
	CHECK(!n->ready);
	CHECK_STR(n->ready_reason, "KubeletNotReady");
	CHECK_STR(n->internal_ips.v[0], "198.18.0.10");
	CHECK_INT(n->pod_cidrs.n, 2);
	CHECK_STR(n->hostname, "a");
	CHECK(n->unschedulable);
	CHECK_STR(n->roles.v[0], "worker");
	CHECK_STR(n->kubelet_version, "v1.20.2");
	knet_node_free(n);

	/*
	 * Two Ready conditions (fuzz-objects found the first reason
	 * leaked): the last one counts, and nothing leaks.
	 */
	n = NULL;
	j = parse("{\"metadata\":{\"name\":\"b\"},\"status\":{"
		  "\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\","
		  "\"reason\":\"A\"},{\"type\":\"Ready\",\"status\":"
		  "\"False\",\"reason\":\"B\"},{\"type\":\"Ready\","
		  "\"status\":\"False\"}]}}");
	CHECK_INT(knet_node_from_json(j, &n), 0);
	cJSON_Delete(j);
	if (!n)
		return;
	CHECK(!n->ready);
	CHECK_STR(n->ready_reason, "NotReady");
	knet_node_free(n);
}

static void test_netpol(void)
{
	struct knet_error err = {0};
	struct knet_netpol *p = NULL;
	cJSON *j = parse(
		"{\"metadata\":{\"name\":\"allow\"},\"spec\":{\"podSelector\":{"
		"\"matchLabels\":{\"app\":\"db\"},\"matchExpressions\":[{"
		"\"key\":"
		"\"tier\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]},{"
		"\"key\":"
		"\"x\",\"operator\":\"DoesNotExist\"},{\"key\":\"y\","
		"\"operator\":"
		"\"Exists\"}]},\"ingress\":[{},{}],\"egress\":[]}}");

	CHECK_INT(knet_netpol_from_json(j, &p), 0);
	cJSON_Delete(j);
	if (!p)
		return;
	CHECK_STR(p->pod_selector, "app=db,tier in (a,b),!x,y");
	/*
	 * No policyTypes: Ingress, and Egress only when there is an egress
	 * rule; an empty list is none (the lab's apiserver agrees, see
	 * tests/policy.bats).
	 */
	CHECK(p->ingress);
	CHECK(!p->egress);
	CHECK_INT(p->ingress_rules, 2);
	CHECK_INT(p->egress_rules, -1);
	CHECK(p->spec != NULL);
	knet_netpol_free(p);

	j = parse("{\"metadata\":{\"name\":\"deny\"},\"spec\":{\"podSelector\":"
		  "{},\"policyTypes\":[\"Egress\"]}}");
	CHECK_INT(knet_netpol_from_json(j, &p), 0);
	CHECK_STR(p->pod_selector, "");
	CHECK(!p->ingress);
	CHECK_INT(p->ingress_rules, -1);
	CHECK_INT(p->egress_rules, 0);
	knet_netpol_free(p);
	cJSON_Delete(j);

	/* matchLabels as a list: its items have no keys (was strlen(NULL)). */
	j = parse("{\"matchLabels\":[\"a\",{\"b\":\"c\"}],"
		  "\"matchExpressions\":[{\"key\":\"x\","
		  "\"operator\":\"Exists\"}]}");
	if (j) {
		char *s = knet_selector_format(j);

		CHECK_STR(s, "x");
		free(s);
	}
	cJSON_Delete(j);
	j = parse("{\"metadata\":{\"name\":\"list\"},\"spec\":{"
		  "\"podSelector\":{\"matchLabels\":[{\"app\":\"db\"}]}}}");
	p = NULL;
	CHECK_INT(knet_netpol_parse(j, &p, &err), -EINVAL);
	CHECK_STR(err.reason, "spec.podSelector.matchLabels: not a map");
	CHECK(p == NULL);
	cJSON_Delete(j);
}

static void test_ingress(void)
{
	struct knet_ingress *in = NULL;
	cJSON *j = parse(
		"{\"metadata\":{\"name\":\"web\"},\"spec\":{"
		"\"ingressClassName\":"
		"\"nginx\",\"rules\":[{\"host\":\"shop.example\",\"http\":{"
		"\"paths\":[{\"path\":\"/"
		"\",\"pathType\":\"Prefix\",\"backend\":"
		"{\"service\":{\"name\":\"web\",\"port\":{\"number\":80}}}},{"
		"\"path\":\"/api\",\"backend\":{\"service\":{\"name\":\"api\","
		"\"port\":{\"name\":\"http\"}}}}]}}],\"defaultBackend\":{"
		"\"resource\":{\"kind\":\"Bucket\",\"name\":\"b\"}},\"tls\":[{"
		"\"hosts\":[\"shop.example\"]}]},\"status\":{\"loadBalancer\":{"
		"\"ingress\":[{\"ip\":\"203.0.113.5\"}]}}}");

	CHECK_INT(knet_ingress_from_json(j, &in), 0);
	cJSON_Delete(j);
	if (!in)
		return;
	CHECK_STR(in->class_name, "nginx");
	CHECK_STR(in->hosts.v[0], "shop.example");
	CHECK_STR(in->addresses.v[0], "203.0.113.5");
	CHECK_INT(in->npaths, 3);
	CHECK_STR(in->paths[0].service, "web");
	CHECK_STR(in->paths[0].port, "80");
	CHECK_STR(in->paths[1].port, "http");
	CHECK_STR(in->paths[2].resource, "Bucket/b");
	CHECK(in->paths[2].host == NULL);
	CHECK_STR(in->tls_hosts.v[0], "shop.example");
	knet_ingress_free(in);

	/* v1beta1 with the class annotation. */
	j = parse(
		"{\"metadata\":{\"name\":\"old\",\"annotations\":{"
		"\"kubernetes.io/ingress.class\":\"traefik\"}},\"spec\":{"
		"\"backend\":{\"serviceName\":\"def\",\"servicePort\":8080},"
		"\"rules\":[{\"http\":{\"paths\":[{\"path\":\"/x\",\"backend\":"
		"{\"serviceName\":\"x\",\"servicePort\":\"web\"}}]}}]}}");
	CHECK_INT(knet_ingress_from_json(j, &in), 0);
	CHECK_STR(in->class_name, "traefik");
	CHECK_INT(in->hosts.n, 0);
	CHECK_INT(in->npaths, 2);
	CHECK_STR(in->paths[0].service, "x");
	CHECK_STR(in->paths[0].port, "web");
	CHECK_STR(in->paths[1].service, "def");
	CHECK_STR(in->paths[1].port, "8080");
	knet_ingress_free(in);
	cJSON_Delete(j);
}

static void test_labels(void)
{
	struct knet_labels sel = {0}, l = {0};
	cJSON *a = parse("{\"app\":\"web\"}");
	cJSON *b = parse("{\"app\":\"web\",\"tier\":\"fe\"}");
	char *s;

	CHECK_INT(knet_labels_from_json(a, &sel), 0);
	CHECK_INT(knet_labels_from_json(b, &l), 0);
	CHECK(knet_labels_match(&sel, &l));
	CHECK(!knet_labels_match(&l, &sel));
	s = knet_labels_format(&l);
	CHECK_STR(s, "app=web,tier=fe");
	free(s);
	knet_labels_clear(&sel);
	knet_labels_clear(&l);
	cJSON_Delete(a);
	cJSON_Delete(b);
}

/* --nodes SELECTOR: what the API server would refuse is exit 2 here. */
static void test_selector_text(void)
{
	static const char *const good[] = {
		"kubernetes.io/hostname=node-b",
		"role",
		"!role",
		" a = b , c==d,e!=f",
		"tier in (a, b),x notin (c)",
		"app=",
		"example.com/zone in (a)",
	};
	static const char *const bad[] = {
		"",
		" ",
		"=b",
		"a=b,",
		"a b",
		"a=b c",
		"a in b",
		"a in (b",
		"Example.com/x=y",
		"a/b/c=d",
		"-a=b",
		"a=b-",
		"a="
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xx",
		"a>1",
		"!a=b",
		"a in ()",
	};
	struct knet_error err = {0};

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		CHECK_INT(knet_selector_text_check(good[i], &err), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		memset(&err, 0, sizeof(err));
		CHECK_INT(knet_selector_text_check(bad[i], &err), -EINVAL);
		CHECK_INT(err.exit, KNET_EXIT_USAGE);
		CHECK(strstr(err.reason, "not a label selector") != NULL);
	}
}

int main(void)
{
	test_pod();
	test_service();
	test_endpoints();
	test_node();
	test_netpol();
	test_ingress();
	test_labels();
	test_selector_text();
	return unit_done("test-k8s-objects");
}
