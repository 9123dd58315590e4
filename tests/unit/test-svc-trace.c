/* SPDX-License-Identifier: MIT */
/*
 * knet svc trace's analysis on recorded objects (tests/data/svc-trace:
 * the lab's web Service, its pods and EndpointSlice, node-a's
 * iptables-save), then each broken layer made by editing them, and a
 * generated Service of 1,000 endpoints, timed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "knet/analysis.h"
#include "knet/base.h"
#include "unit.h"

#define DATA "tests/data/svc-trace"

struct objs {
	struct knet_service *svc;
	struct knet_pod_list pods;
	struct knet_service_endpoints se;
	char *nat, *filter;
	struct knet_ipt *ipt;
};

static char *slurp(const char *name)
{
	char path[256], *text = NULL;

	snprintf(path, sizeof(path), DATA "/%s", name);
	if (knet_file_read(path, 1 << 24, &text, NULL) < 0)
		return NULL;
	return text;
}

static cJSON *json(const char *name)
{
	char *t = slurp(name);
	cJSON *j = t ? cJSON_Parse(t) : NULL;

	free(t);
	return j;
}

static int load(struct objs *o, const char *nat_override)
{
	struct knet_error err = {0};
	cJSON *svc = json("svc-web.json"), *pods = json("pods-web.json"),
	      *slices = json("slices-web.json"), *it;
	int r = -1;

	memset(o, 0, sizeof(*o));
	if (!svc || !pods || !slices ||
	    knet_service_from_json(svc, &o->svc) < 0)
		goto out;
	o->pods.items = calloc(64, sizeof(*o->pods.items));
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(pods, "items"))
	{
		if (o->pods.n < 64 &&
		    knet_pod_from_json(it, &o->pods.items[o->pods.n]) == 0)
			o->pods.n++;
	}
	o->se.namespace = strdup("web");
	o->se.service = strdup("web");
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(slices, "items"))
		knet_endpoints_add_slice(&o->se, it);
	o->nat = nat_override ? strdup(nat_override) : slurp("nat.txt");
	o->filter = slurp("filter.txt");
	if (o->nat && knet_ipt_parse(o->nat, o->filter, &o->ipt, &err) == 0)
		r = 0;
out:
	cJSON_Delete(svc);
	cJSON_Delete(pods);
	cJSON_Delete(slices);
	return r;
}

static void unload(struct objs *o)
{
	knet_service_free(o->svc);
	for (int i = 0; i < o->pods.n; i++)
		knet_pod_free(o->pods.items[i]);
	free(o->pods.items);
	free(o->se.namespace);
	free(o->se.service);
	for (int i = 0; i < o->se.n; i++) {
		free(o->se.eps[i].ip);
		free(o->se.eps[i].hostname);
		free(o->se.eps[i].node);
		free(o->se.eps[i].pod_ns);
		free(o->se.eps[i].pod_name);
		free(o->se.eps[i].port_name);
	}
	free(o->se.eps);
	knet_ipt_free(o->ipt);
	free(o->nat);
	free(o->filter);
}

static struct knet_svc_trace *trace(struct objs *o, const char *mode)
{
	struct knet_svc_trace_in in = {
		.svc = o->svc,
		.pods = &o->pods,
		.se = &o->se,
		.node = "node-a",
		.proxy_mode = mode,
		.ipt = o->ipt,
	};
	struct knet_error err = {0};
	struct knet_svc_trace *t = NULL;

	knet_svc_trace_run(&in, &t, &err);
	return t;
}

static bool has_finding(const struct knet_svc_trace *t, enum knet_trace_layer l,
			const char *text)
{
	for (int i = 0; t && i < t->nfindings; i++)
		if (t->findings[i].layer == l &&
		    strstr(t->findings[i].text, text))
			return true;
	return false;
}

static void test_healthy(void)
{
	struct objs o;
	struct knet_svc_trace *t;
	struct knet_kp_path p;

	if (load(&o, NULL) < 0) {
		UNIT_SKIP("svc-trace", "recorded objects not readable");
		unload(&o);
		return;
	}
	CHECK(knet_ipt_kube_proxy(o.ipt));
	CHECK_INT(knet_kp_follow_cluster_ip(o.ipt, o.svc->cluster_ips.v[0],
					    "tcp", 80, &p),
		  0);
	CHECK(p.found);
	CHECK(p.masquerade);
	CHECK(!p.truncated);
	CHECK_INT(p.nb, 3);
	CHECK(!strncmp(p.svc_chain, "KUBE-SVC-", 9));
	for (int i = 0; i < p.nb; i++) {
		CHECK(p.b[i].share > 0.333 && p.b[i].share < 0.334);
		CHECK_INT(p.b[i].port, 8080);
	}
	knet_kp_path_clear(&p);
	/* the idle Service's "has no endpoints" REJECT */
	CHECK_INT(knet_kp_follow_cluster_ip(o.ipt, "198.18.129.104", "tcp", 80,
					    &p),
		  0);
	CHECK(p.reject && !p.found && p.nb == 0);
	knet_kp_path_clear(&p);
	/* the NodePort Service, by its nodePort */
	CHECK_INT(knet_kp_follow_node_port(o.ipt, "tcp", 30080, &p), 0);
	CHECK(p.found && p.nb == 3 && !p.local_only);
	knet_kp_path_clear(&p);

	t = trace(&o, "iptables");
	CHECK(t != NULL);
	if (t) {
		for (int l = 0; l < KNET_TRACE_CONNTRACK; l++)
			CHECK_INT(t->status[l], KNET_TRACE_OK);
		CHECK_INT(t->status[KNET_TRACE_CONNTRACK], KNET_TRACE_SKIPPED);
		CHECK_INT(t->first_broken, -1);
		CHECK_INT(t->ready, 3);
		CHECK_INT(t->neps, 3);
		CHECK_INT(t->nfindings, 0);
		CHECK_STR(t->summary, "svc/web/web: 3 endpoints ready, "
				      "kube-proxy on node-a in sync, OK");
		for (int i = 0; i < t->neps; i++)
			CHECK(t->eps[i].in_rules && t->eps[i].ready &&
			      t->eps[i].endpoint);
	}
	knet_svc_trace_free(t);

	/* nftables: said, not guessed */
	t = trace(&o, "nftables");
	CHECK(t && t->status[KNET_TRACE_KUBE_PROXY] == KNET_TRACE_SKIPPED);
	CHECK(has_finding(t, KNET_TRACE_KUBE_PROXY, "nftables mode"));
	CHECK(t && t->first_broken == -1);
	knet_svc_trace_free(t);
	unload(&o);
}

static void test_broken(void)
{
	struct objs o;
	struct knet_svc_trace *t;
	struct knet_kv *kv;

	if (load(&o, NULL) < 0) {
		unload(&o);
		return;
	}
	/* an endpoint gone from the API, still in the rules: stale */
	o.se.eps[0].ready = false;
	t = trace(&o, "iptables");
	CHECK(has_finding(t, KNET_TRACE_KUBE_PROXY,
			  "which is not a ready endpoint: kube-proxy on "
			  "node-a is stale or down"));
	CHECK(t && t->first_broken == KNET_TRACE_KUBE_PROXY);
	CHECK(t &&
	      !strncmp(t->summary, "svc/web/web: broken at kube-proxy", 33));
	knet_svc_trace_free(t);
	o.se.eps[0].ready = true;

	/* kube-proxy down on the node: no KUBE-SERVICES at all */
	knet_ipt_free(o.ipt);
	o.ipt = NULL;
	{
		struct knet_error err = {0};

		knet_ipt_parse("*nat\nCOMMIT\n", NULL, &o.ipt, &err);
	}
	t = trace(&o, "iptables");
	CHECK(has_finding(t, KNET_TRACE_KUBE_PROXY, "no KUBE-SERVICES chain"));
	knet_svc_trace_free(t);

	/* the selector: app=web-v2; the closest pod differs in app */
	kv = o.svc->selector.kv;
	free(kv[0].value);
	kv[0].value = strdup("web-v2");
	t = trace(&o, NULL);
	CHECK(t && t->first_broken == KNET_TRACE_SELECTOR);
	CHECK(has_finding(t, KNET_TRACE_SELECTOR, "matches app=web-v2"));
	CHECK(has_finding(t, KNET_TRACE_SELECTOR, "app=web, not web-v2"));
	CHECK(t && t->status[KNET_TRACE_KUBE_PROXY] == KNET_TRACE_SKIPPED);
	knet_svc_trace_free(t);
	free(kv[0].value);
	kv[0].value = strdup("web");

	/* a targetPort name no container has */
	free(o.svc->ports[0].target_port);
	o.svc->ports[0].target_port = strdup("metrics");
	t = trace(&o, NULL);
	CHECK(t && t->first_broken == KNET_TRACE_TARGETPORT);
	CHECK(has_finding(t, KNET_TRACE_TARGETPORT,
			  "targetPort 'metrics' of port 80 is a port name"));
	knet_svc_trace_free(t);
	free(o.svc->ports[0].target_port);
	o.svc->ports[0].target_port = strdup("9999");
	t = trace(&o, NULL);
	CHECK(t && t->status[KNET_TRACE_TARGETPORT] == KNET_TRACE_WARN);
	CHECK(t && t->first_broken == -1);
	knet_svc_trace_free(t);

	/* every endpoint not ready, and the pods say so */
	for (int i = 0; i < o.se.n; i++)
		o.se.eps[i].ready = false;
	for (int i = 0; i < o.pods.n; i++)
		o.pods.items[i]->ready = false;
	t = trace(&o, NULL);
	CHECK(t && t->first_broken == KNET_TRACE_ENDPOINTS);
	CHECK(has_finding(t, KNET_TRACE_ENDPOINTS, "no ready endpoint"));
	CHECK(has_finding(t, KNET_TRACE_ENDPOINTS,
			  "is not ready (Ready "
			  "condition false"));
	knet_svc_trace_free(t);
	unload(&o);
}

/* externalTrafficPolicy Local: KUBE-XLB, no local endpoint on node-a. */
static const char xlb_nat[] =
	"*nat\n"
	":KUBE-SERVICES - [0:0]\n"
	"-A KUBE-SERVICES -d 198.18.133.100/32 -p tcp -m comment --comment "
	"\"web/web:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-A\n"
	"-A KUBE-NODEPORTS -p tcp -m comment --comment \"web/web:http\" -m tcp "
	"--dport 30080 -j KUBE-XLB-A\n"
	"-A KUBE-SVC-A -m statistic --mode random --probability 0.50000000000 "
	"-j KUBE-SEP-1\n"
	"-A KUBE-SVC-A -j KUBE-SEP-2\n"
	"-A KUBE-SEP-1 -s 198.19.2.2/32 -j KUBE-MARK-MASQ\n"
	"-A KUBE-SEP-1 -p tcp -m tcp -j DNAT --to-destination 198.19.2.2:8080\n"
	"-A KUBE-SEP-2 -p tcp -m tcp -j DNAT --to-destination 198.19.3.2:8080\n"
	"-A KUBE-XLB-A -s 198.19.0.0/16 -m comment --comment \"Redirect pods "
	"trying to reach external loadbalancer VIP to clusterIP\" -j "
	"KUBE-SVC-A\n"
	"-A KUBE-XLB-A -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ\n"
	"-A KUBE-XLB-A -m addrtype --src-type LOCAL -j KUBE-SVC-A\n"
	"-A KUBE-XLB-A -m comment --comment \"web/web:http has no local "
	"endpoints\" -j KUBE-MARK-DROP\n"
	"COMMIT\n";

static void test_local(void)
{
	struct knet_error err = {0};
	struct knet_ipt *ipt = NULL;
	struct knet_kp_path p;

	CHECK_INT(knet_ipt_parse(xlb_nat, NULL, &ipt, &err), 0);
	CHECK_INT(knet_kp_follow_node_port(ipt, "tcp", 30080, &p), 0);
	CHECK(p.found && p.local_only && p.drop);
	CHECK_INT(p.nb, 0);
	knet_kp_path_clear(&p);
	CHECK_INT(
		knet_kp_follow_cluster_ip(ipt, "198.18.133.100", "tcp", 80, &p),
		0);
	CHECK_INT(p.nb, 2);
	CHECK(p.nb == 2 && p.b[0].share == 0.5 && p.b[1].share == 0.5);
	CHECK(p.nb == 2 && !strcmp(p.b[1].ip, "198.19.3.2"));
	knet_kp_path_clear(&p);
	knet_ipt_free(ipt);
}

/* 1,000 endpoints: made up as kube-proxy writes them, timed. */
static void test_thousand(void)
{
	size_t cap = 1 << 20, o = 0;
	char *nat = malloc(cap);
	struct knet_service svc = {0};
	struct knet_service_port port = {0};
	struct knet_service_endpoints se = {0};
	struct knet_pod_list pods = {0};
	struct knet_ipt *ipt = NULL;
	struct knet_error err = {0};
	struct knet_svc_trace *t = NULL;
	struct timespec a, b;
	char ip[46], *cip = "198.18.140.1";

	if (!nat)
		return;
	o += (size_t)snprintf(nat + o, cap - o,
			      "*nat\n-A KUBE-SERVICES -d %s/32 -p tcp -m tcp "
			      "--dport 80 -j KUBE-SVC-BIG\n",
			      cip);
	se.eps = calloc(1000, sizeof(*se.eps));
	for (int i = 0; i < 1000 && se.eps; i++) {
		snprintf(ip, sizeof(ip), "198.19.%d.%d", 100 + i / 250,
			 1 + i % 250);
		if (i < 999)
			o += (size_t)snprintf(
				nat + o, cap - o,
				"-A KUBE-SVC-BIG -m statistic --mode random "
				"--probability %.11f -j KUBE-SEP-%04d\n",
				1.0 / (1000 - i), i);
		else
			o += (size_t)snprintf(
				nat + o, cap - o,
				"-A KUBE-SVC-BIG -j KUBE-SEP-%04d\n", i);
		o += (size_t)snprintf(
			nat + o, cap - o,
			"-A KUBE-SEP-%04d -s %s/32 -j "
			"KUBE-MARK-MASQ\n-A KUBE-SEP-%04d -p tcp "
			"-m tcp -j DNAT --to-destination %s:8080\n",
			i, ip, i, ip);
		se.eps[i].ip = strdup(ip);
		se.eps[i].port = 8080;
		se.eps[i].ready = se.eps[i].serving = true;
		strcpy(se.eps[i].protocol, "TCP");
		se.n++;
	}
	snprintf(nat + o, cap - o, "COMMIT\n");
	svc.meta.namespace = "big";
	svc.meta.name = "big";
	svc.type = "ClusterIP";
	knet_strv_push(&svc.cluster_ips, cip);
	strcpy(port.protocol, "TCP");
	port.port = 80;
	port.target_port = "8080";
	svc.ports = &port;
	svc.nports = 1;
	se.source = "Endpoints";

	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_INT(knet_ipt_parse(nat, NULL, &ipt, &err), 0);
	{
		struct knet_svc_trace_in in = {
			.svc = &svc,
			.pods = &pods,
			.se = &se,
			.node = "node-a",
			.proxy_mode = "iptables",
			.ipt = ipt,
		};

		CHECK_INT(knet_svc_trace_run(&in, &t, &err), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK(t && t->ready == 1000 && t->neps == 1000);
	CHECK(t && t->first_broken == -1);
	if (t) {
		double sum = 0;

		for (int i = 0; i < t->neps; i++)
			sum += t->eps[i].share;
		CHECK(sum > 0.999 && sum < 1.001);
		CHECK(t->eps[0].share > 0.00099 && t->eps[0].share < 0.00101);
	}
	printf("svc-trace: 1,000 endpoints: parse + trace %.1f ms "
	       "(sanitizers on)\n",
	       (double)knet_ts_diff_us(&a, &b) / 1000.0);
	knet_svc_trace_free(t);
	knet_ipt_free(ipt);
	knet_strv_clear(&svc.cluster_ips);
	for (int i = 0; i < se.n; i++)
		free(se.eps[i].ip);
	free(se.eps);
	free(nat);
}

/*
 * A chain that jumps to itself 40 times (each jump taking a sliver of
 * the traffic) is 40^8 paths within the depth limit: the follow must
 * take each (chain, depth) once, not every path (found by
 * fuzz-iptables).  The DNAT every path ends at is one backend with all
 * that reaches it: what the jumps past the depth limit take is lost.
 */
static void test_fan_out(void)
{
	char *nat = malloc(64 * 1024);
	struct knet_ipt *t = NULL;
	struct knet_error err = {0};
	struct knet_kp_path p;
	size_t n = 0;

	if (!nat)
		return;
	n += (size_t)sprintf(nat + n, "-A KUBE-SERVICES -d 198.18.0.9/32 "
				      "-p tcp --dport 80 -j KUBE-SVC-LOOP\n");
	for (int i = 0; i < 40; i++)
		n += (size_t)sprintf(nat + n,
				     "-A KUBE-SVC-LOOP -m statistic --mode "
				     "random --probability 0.0001 "
				     "-j KUBE-SVC-LOOP\n");
	sprintf(nat + n, "-A KUBE-SVC-LOOP -p tcp -j DNAT "
			 "--to-destination 198.18.1.1:8080\n");
	CHECK_INT(knet_ipt_parse(nat, NULL, &t, &err), 0);
	memset(&p, 0, sizeof(p));
	CHECK_INT(knet_kp_follow_cluster_ip(t, "198.18.0.9", "tcp", 80, &p), 0);
	CHECK(p.found);
	CHECK(!p.truncated);
	CHECK_STR(p.svc_chain, "KUBE-SVC-LOOP");
	CHECK_INT(p.nb, 1);
	if (p.nb == 1) {
		CHECK_STR(p.b[0].ip, "198.18.1.1");
		CHECK_INT(p.b[0].port, 8080);
		CHECK_STR(p.b[0].chain, "KUBE-SVC-LOOP");
		/* (40 * 0.0001)^8 of it jumps past depth 8 */
		CHECK(p.b[0].share > 0.999999 && p.b[0].share <= 1.0);
	}
	knet_kp_path_clear(&p);
	knet_ipt_free(t);
	free(nat);
}

/*
 * A table made to fan out wide, not deep: 2,100 jumps to a chain that
 * reaches 2,048 DNATs is 4.3 million parts to add, past the follow's
 * budget: it stops and says so.
 */
static void test_too_wide(void)
{
	size_t cap = 1024 * 1024, n = 0;
	char *nat = malloc(cap);
	struct knet_ipt *t = NULL;
	struct knet_error err = {0};
	struct knet_kp_path p;

	if (!nat)
		return;
	n += (size_t)sprintf(nat + n, "-A KUBE-SERVICES -d 198.18.0.9/32 "
				      "-p tcp --dport 80 -j KUBE-SVC-TOP\n");
	for (int i = 0; i < 2100; i++)
		n += (size_t)sprintf(nat + n, "-A KUBE-SVC-TOP -m statistic "
					      "--probability 0.0001 "
					      "-j KUBE-SVC-ALL\n");
	for (int i = 0; i < 2048; i++)
		n += (size_t)sprintf(nat + n,
				     "-A KUBE-SVC-ALL -m statistic "
				     "--probability 0.0001 "
				     "-j KUBE-SEP-%d\n"
				     "-A KUBE-SEP-%d -p tcp -j DNAT "
				     "--to-destination 198.18.%d.%d:80\n",
				     i, i, 4 + i / 250, 1 + i % 250);
	CHECK(n < cap);
	CHECK_INT(knet_ipt_parse(nat, NULL, &t, &err), 0);
	memset(&p, 0, sizeof(p));
	CHECK_INT(knet_kp_follow_cluster_ip(t, "198.18.0.9", "tcp", 80, &p), 0);
	CHECK(p.found);
	CHECK(p.truncated);
	knet_kp_path_clear(&p);
	knet_ipt_free(t);
	free(nat);
}

int main(void)
{
	test_healthy();
	test_broken();
	test_local();
	test_thousand();
	test_fan_out();
	test_too_wide();
	return unit_done("svc-trace");
}
