/* SPDX-License-Identifier: MIT */
/*
 * The caller's facts for a remote run without an API (lib/node/facts.c)
 * and the API options taken off its command line (lib/node/noapi.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "knet/node.h"
#include "knet/objects.h"
#include "unit.h"

static struct knet_pod *pod_of(const char *json)
{
	cJSON *o = cJSON_Parse(json);
	struct knet_pod *p = NULL;

	CHECK(o != NULL);
	CHECK_INT(knet_pod_from_json(o, &p), 0);
	cJSON_Delete(o);
	return p;
}

/* What goes out comes back: placement, both IPs, odd bytes escaped. */
static void test_pod_round_trip(void)
{
	struct knet_pod *p = pod_of(
		"{\"metadata\":{\"namespace\":\"web\",\"name\":\"web-1\","
		"\"uid\":\"0a1b-2c\"},\"spec\":{\"nodeName\":\"node-b\"},"
		"\"status\":{\"phase\":\"Running\",\"hostIP\":\"198.18.0.11\","
		"\"podIPs\":[{\"ip\":\"198.19.2.2\"},{\"ip\":\"fd00::2\"}]}}");
	struct knet_pod *q = NULL;
	struct knet_error err = {0};
	char *f = NULL;

	CHECK_INT(knet_fact_pod_encode(p, &f, &err), 0);
	CHECK_STR(f, "ns=web,name=web-1,uid=0a1b-2c,node=node-b,"
		     "host=198.18.0.11,phase=Running,ip=198.19.2.2,ip=fd00::2");
	CHECK_INT(knet_fact_pod_decode(f, &q, &err), 0);
	CHECK_STR(q->meta.namespace, "web");
	CHECK_STR(q->meta.name, "web-1");
	CHECK_STR(q->meta.uid, "0a1b-2c");
	CHECK_STR(q->node, "node-b");
	CHECK_STR(q->host_ip, "198.18.0.11");
	CHECK_INT(q->ips.n, 2);
	CHECK_STR(q->ips.v[1], "fd00::2");
	CHECK(!q->host_network);
	knet_pod_free(q);
	free(f);
	knet_pod_free(p);
}

/* A target with every field, and a detail a shell would split. */
static void test_target_round_trip(void)
{
	struct knet_target t = {
		.kind = KNET_TARGET_SERVICE,
		.ns = "web",
		.name = "web",
		.ip = "198.18.134.156",
		.port = "http",
		.portnum = 80,
		.cluster_ip = true,
		.via = "clusterIP",
		.detail = "a b,c=d%e's",
		.svc_tcp_port = 80,
	};
	struct knet_target *u = NULL;
	struct knet_error err = {0};
	char *f = NULL;

	CHECK_INT(knet_fact_target_encode(&t, &f, &err), 0);
	CHECK(strspn(f, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"0123456789._:/@+-=,%") == strlen(f));
	CHECK_INT(knet_fact_target_decode(f, &u, &err), 0);
	CHECK_INT(u->kind, KNET_TARGET_SERVICE);
	CHECK_STR(u->ip, "198.18.134.156");
	CHECK_STR(u->port, "http");
	CHECK_INT(u->portnum, 80);
	CHECK(u->cluster_ip && !u->udp);
	CHECK_STR(u->via, "clusterIP");
	CHECK(u->via != NULL && strcmp(u->via, "clusterIP") == 0);
	CHECK_STR(u->detail, "a b,c=d%e's");
	CHECK_INT(u->svc_tcp_port, 80);
	knet_target_free(u);
	free(f);
}

/* Malformed facts are exit 2 with a reason; unknown keys are skipped. */
static void test_malformed(void)
{
	static const char *const bad[] = {
		"ns=web,name=a,node=n,ip=%zz",
		"ns=web,name=a,node=n,ip=%0",
		"ns=web,name=a,node=n,ip=%00",
		"ns=web,name=a,node",
		"=x",
		"ns=web,name=a b,node=n",
		"ns=web,name=a",
		"",
	};
	struct knet_error err = {0};
	struct knet_pod *p = NULL;
	struct knet_target *t = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		memset(&err, 0, sizeof(err));
		CHECK_INT(knet_fact_pod_decode(bad[i], &p, &err), -EINVAL);
		CHECK_INT(err.exit, KNET_EXIT_USAGE);
	}
	CHECK_STR(err.reason, "the caller's pod fact is malformed");
	CHECK_INT(knet_fact_pod_decode("ns=a,name=b,node=c,new=1", &p, &err),
		  0);
	knet_pod_free(p);
	CHECK_INT(knet_fact_target_decode("kind=nope,name=a,ip=1.2.3.4", &t,
					  &err),
		  -EINVAL);
	CHECK_INT(knet_fact_target_decode("kind=ip,name=a,ip=1.2.3.4,num=70000",
					  &t, &err),
		  -EINVAL);
	CHECK_INT(knet_fact_target_decode("kind=ip,name=a", &t, &err), -EINVAL);
}

static char **words(const char *const *v)
{
	int n = 0;
	char **out;

	while (v[n])
		n++;
	out = calloc((size_t)n + 1, sizeof(*out));
	for (int i = 0; i < n; i++)
		out[i] = strdup(v[i]);
	return out;
}

static void free_words(char **v)
{
	for (int i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

/* The API's options go, in both spellings, but not after "--". */
static void test_strip(void)
{
	static const char *const in[] = {
		"/usr/bin/knet",
		"--kubeconfig",
		"/root/k",
		"--context=lab",
		"--token",
		"s3cret",
		"-n",
		"web",
		"--insecure-skip-tls-verify",
		"exec",
		"--request-timeout",
		"5s",
		"web-1",
		"--",
		"sh",
		"--token",
		"x",
		NULL,
	};
	static const char *const want[] = {
		"/usr/bin/knet", "-n", "web", "exec", "web-1", "--", "sh",
		"--token",	 "x",  NULL,
	};
	char **v = words(in);
	int i;

	knet_via_strip_api(v);
	for (i = 0; want[i]; i++)
		CHECK_STR(v[i], want[i]);
	CHECK(v[i] == NULL);
	free_words(v);
}

static void test_gives_no_api(void)
{
	unsetenv("KNET_VIA_NO_API");
	CHECK(knet_via_gives_no_api("k8s"));
	CHECK(knet_via_gives_no_api(" k8s"));
	CHECK(!knet_via_gives_no_api("ssh {node}"));
	CHECK(!knet_via_gives_no_api("k8sx"));
	CHECK(!knet_via_gives_no_api(NULL));
	setenv("KNET_VIA_NO_API", "1", 1);
	CHECK(knet_via_gives_no_api("ssh {node}"));
	setenv("KNET_VIA_NO_API", "0", 1);
	CHECK(!knet_via_gives_no_api("ssh {node}"));
	unsetenv("KNET_VIA_NO_API");
}

int main(void)
{
	test_pod_round_trip();
	test_target_round_trip();
	test_malformed();
	test_strip();
	test_gives_no_api();
	return unit_done("facts");
}
