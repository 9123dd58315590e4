/* SPDX-License-Identifier: MIT */
/*
 * The protobuf reader (lib/api/proto.c): a Pod written here by a small
 * encoder gives the same model as the same Pod in JSON, and malformed
 * input (truncated varints, lengths past the end, wrong wire types,
 * groups, deep nesting, every truncation and byte flip of a valid
 * message) is refused with -EBADMSG and a reason, never read past.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/api.h"
#include "knet/objects.h"
#include "pb-writer.h"
#include "unit.h"

static void envelope(struct pb *out, const char *kind, const struct pb *raw)
{
	pb_envelope(out, "v1", kind, raw,
		    "application/vnd.kubernetes.protobuf");
}

static void label(struct pb *md, unsigned num, const char *k, const char *v)
{
	struct pb e = {0};

	pb_str(&e, 1, k);
	pb_str(&e, 2, v);
	pb_msg(md, num, &e);
}

/* A pod with two containers, one restarted, with the fields knet reads
 * and a few it skips (image, annotations, fixed-width values). */
static void build_pod(struct pb *pod)
{
	struct pb md = {0}, ts = {0}, own = {0}, spec = {0}, c1 = {0}, c2 = {0},
		  port = {0}, st = {0}, cs1 = {0}, cs2 = {0}, state = {0},
		  run = {0}, cond = {0}, ip = {0}, term = {0}, last = {0};

	pb_strs(&md, 1, "web-1", 3, "web", 5, "uid-1", 0);
	pb_int(&ts, 1, 1700000000);
	pb_msg(&md, 8, &ts);
	label(&md, 11, "app", "web");
	label(&md, 11, "empty", "");
	label(&md, 12, "note", "skipped");
	pb_strs(&own, 1, "ReplicaSet", 3, "web-abc", 0);
	pb_int(&own, 6, 1);
	pb_msg(&md, 13, &own);

	pb_strs(&c1, 1, "app", 2, "nginx:1", 0); /* image: skipped */
	pb_strs(&port, 1, "http", 0);
	pb_int(&port, 3, 8080);
	pb_str(&port, 4, "TCP");
	pb_msg(&c1, 6, &port);
	pb_str(&c2, 1, "sidecar");
	pb_msg(&spec, 2, &c1);
	pb_msg(&spec, 2, &c2);
	pb_strs(&spec, 8, "default", 10, "node-a", 0);
	pb_tag(&spec, 4, 1); /* fixed64 of an unknown field: skipped */
	pb_raw(&spec, "\1\2\3\4\5\6\7\10", 8);
	pb_tag(&spec, 50, 5); /* fixed32 */
	pb_raw(&spec, "\1\2\3\4", 4);

	pb_str(&st, 1, "Running");
	pb_strs(&cond, 1, "Ready", 2, "True", 0);
	pb_msg(&st, 2, &cond);
	pb_strs(&st, 5, "198.18.0.10", 6, "198.19.1.2", 0);
	pb_str(&ip, 1, "198.19.1.2");
	pb_msg(&st, 12, &ip);
	pb_msg(&run, 1, &ts);
	pb_msg(&state, 2, &run);
	pb_str(&cs1, 1, "app");
	pb_msg(&cs1, 2, &state);
	pb_int(&cs1, 4, 1);
	pb_int(&cs1, 5, 3);
	pb_str(&cs1, 8, "containerd://aaa");
	pb_int(&term, 1, 137);
	pb_str(&term, 3, "OOMKilled");
	pb_msg(&last, 3, &term);
	pb_str(&cs2, 1, "sidecar");
	pb_msg(&cs2, 2, &state);
	pb_msg(&cs2, 3, &last); /* lastState: skipped */
	pb_int(&cs2, 4, 1);
	pb_int(&cs2, 5, 2);
	pb_str(&cs2, 8, "containerd://bbb");
	pb_msg(&st, 8, &cs1);
	pb_msg(&st, 8, &cs2);

	pod->n = 0;
	pb_msg(pod, 1, &md);
	pb_msg(pod, 2, &spec);
	pb_msg(pod, 3, &st);
}

static const char pod_json[] =
	"{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"web\","
	"\"uid\":\"uid-1\",\"creationTimestamp\":\"2023-11-14T22:13:20Z\","
	"\"labels\":{\"app\":\"web\",\"empty\":\"\"},"
	"\"annotations\":{\"note\":\"skipped\"},"
	"\"ownerReferences\":[{\"kind\":\"ReplicaSet\",\"name\":\"web-abc\","
	"\"controller\":true}]},"
	"\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"nginx:1\","
	"\"ports\":[{\"name\":\"http\",\"containerPort\":8080,"
	"\"protocol\":\"TCP\"}]},{\"name\":\"sidecar\"}],"
	"\"serviceAccountName\":\"default\",\"nodeName\":\"node-a\"},"
	"\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":"
	"\"Ready\",\"status\":\"True\"}],\"hostIP\":\"198.18.0.10\","
	"\"podIP\":\"198.19.1.2\",\"podIPs\":[{\"ip\":\"198.19.1.2\"}],"
	"\"containerStatuses\":[{\"name\":\"app\",\"state\":{\"running\":"
	"{\"startedAt\":\"2023-11-14T22:13:20Z\"}},\"ready\":true,"
	"\"restartCount\":3,\"containerID\":\"containerd://aaa\"},"
	"{\"name\":\"sidecar\",\"state\":{\"running\":{}},\"lastState\":"
	"{\"terminated\":{\"exitCode\":137,\"reason\":\"OOMKilled\"}},"
	"\"ready\":true,\"restartCount\":2,\"containerID\":"
	"\"containerd://bbb\"}]}}";

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Every field of the model, compared. */
static void check_same_pod(const struct knet_pod *a, const struct knet_pod *b)
{
	CHECK(same_str(a->meta.namespace, b->meta.namespace));
	CHECK(same_str(a->meta.name, b->meta.name));
	CHECK(same_str(a->meta.uid, b->meta.uid));
	CHECK_INT(a->meta.created, b->meta.created);
	CHECK_INT(a->meta.deleting, b->meta.deleting);
	CHECK_INT(a->meta.labels.n, b->meta.labels.n);
	for (int i = 0; i < a->meta.labels.n && i < b->meta.labels.n; i++) {
		CHECK_STR(a->meta.labels.kv[i].key, b->meta.labels.kv[i].key);
		CHECK_STR(a->meta.labels.kv[i].value,
			  b->meta.labels.kv[i].value);
	}
	CHECK(same_str(a->node, b->node));
	CHECK(same_str(a->phase, b->phase));
	CHECK(same_str(a->status, b->status));
	CHECK(same_str(a->host_ip, b->host_ip));
	CHECK_INT(a->ips.n, b->ips.n);
	for (int i = 0; i < a->ips.n && i < b->ips.n; i++)
		CHECK_STR(a->ips.v[i], b->ips.v[i]);
	CHECK_INT(a->host_network, b->host_network);
	CHECK_INT(a->ready, b->ready);
	CHECK_INT(a->containers_ready, b->containers_ready);
	CHECK_INT(a->containers, b->containers);
	CHECK_INT(a->restarts, b->restarts);
	CHECK_INT(a->nports, b->nports);
	for (int i = 0; i < a->nports && i < b->nports; i++) {
		CHECK(same_str(a->ports[i].container, b->ports[i].container));
		CHECK(same_str(a->ports[i].name, b->ports[i].name));
		CHECK_INT(a->ports[i].port, b->ports[i].port);
		CHECK_INT(a->ports[i].host_port, b->ports[i].host_port);
		CHECK_STR(a->ports[i].protocol, b->ports[i].protocol);
	}
	CHECK(same_str(a->owner_kind, b->owner_kind));
	CHECK(same_str(a->owner_name, b->owner_name));
	CHECK(same_str(a->service_account, b->service_account));
	for (int i = 0;; i++) {
		const char *x = a->container_ids[i], *y = b->container_ids[i];

		CHECK(same_str(x, y));
		if (!x || !y)
			break;
	}
}

static void test_pod(void)
{
	struct pb raw = {0}, env = {0};
	struct knet_pod *pj = NULL, *pp = NULL;
	struct knet_error err = {0};
	cJSON *j = cJSON_Parse(pod_json), *p = NULL;

	build_pod(&raw);
	envelope(&env, "Pod", &raw);
	CHECK(knet_proto_is(env.b, env.n));
	CHECK(!knet_proto_is(pod_json, sizeof(pod_json) - 1));
	CHECK_INT(knet_proto_to_json(env.b, env.n, &p, &err), 0);
	CHECK(j && p);
	if (!j || !p)
		goto out;
	CHECK_STR(knet_json_str(p, "kind"), "Pod");
	CHECK_STR(knet_json_str(p, "apiVersion"), "v1");
	CHECK(!knet_json_path(p, "metadata", "annotations", KNET_JSON_END));
	CHECK(!knet_json_path(p, "spec", "containers", KNET_JSON_END)
		       ->child->next->child->next);
	CHECK_INT(knet_pod_from_json(j, &pj), 0);
	CHECK_INT(knet_pod_from_json(p, &pp), 0);
	if (pj && pp) {
		check_same_pod(pj, pp);
		CHECK_STR(pp->status, "Running");
		CHECK_INT(pp->restarts, 5);
		CHECK_INT(pp->containers_ready, 2);
		CHECK_STR(pp->owner_name, "web-abc");
		CHECK_STR(pp->ports[0].name, "http");
		CHECK_INT(pp->meta.created, 1700000000);
	}
out:
	knet_pod_free(pj);
	knet_pod_free(pp);
	cJSON_Delete(j);
	cJSON_Delete(p);
}

static void test_list(void)
{
	struct pb pod = {0}, lm = {0}, list = {0}, env = {0};
	struct knet_error err = {0};
	cJSON *p = NULL;

	build_pod(&pod);
	pb_str(&lm, 2, "12345");
	pb_str(&lm, 3, "");
	pb_msg(&list, 1, &lm);
	pb_msg(&list, 2, &pod);
	pb_msg(&list, 2, &pod);
	envelope(&env, "PodList", &list);
	CHECK_INT(knet_proto_to_json(env.b, env.n, &p, &err), 0);
	CHECK_INT(cJSON_GetArraySize(knet_json_get(p, "items")), 2);
	CHECK_STR(
		knet_json_str(knet_json_get(p, "metadata"), "resourceVersion"),
		"12345");
	/* An empty continue is left out, as the JSON's omitempty does. */
	CHECK(!knet_json_str(knet_json_get(p, "metadata"), "continue"));
	cJSON_Delete(p);
}

static void test_status(void)
{
	struct pb st = {0}, env = {0};
	struct knet_error err = {0};

	pb_str(&st, 2, "Failure");
	pb_str(&st, 3, "pods \"x\" not found");
	pb_str(&st, 4, "NotFound");
	pb_int(&st, 6, 404);
	envelope(&env, "Status", &st);
	CHECK_INT(knet_api_status_error(404, (const char *)env.b, env.n, &err),
		  -ENOENT);
	CHECK_STR(err.reason, "pods \"x\" not found");
}

/* Decoding @raw as the message of @kind fails with a reason holding
 * @want. */
static void refused(const char *kind, const struct pb *raw, const char *want)
{
	struct pb env = {0};
	struct knet_error err = {0};
	cJSON *p = NULL;

	envelope(&env, kind, raw);
	CHECK_INT(knet_proto_to_json(env.b, env.n, &p, &err), -EBADMSG);
	CHECK(p == NULL);
	if (!strstr(err.reason, want))
		fprintf(stderr, "reason '%s' lacks '%s'\n", err.reason, want);
	CHECK(strstr(err.reason, want) != NULL);
}

/* A Service's IntOrString target ports (a number, a name) and its lists
 * of strings, and core Endpoints with ready and not-ready addresses. */
static void test_service_endpoints(void)
{
	struct pb port1 = {0}, port2 = {0}, tp1 = {0}, tp2 = {0}, spec = {0},
		  svc = {0}, md = {0}, env = {0}, addr = {0}, ref = {0},
		  naddr = {0}, eport = {0}, sub = {0}, eps = {0};
	struct knet_service *s = NULL;
	struct knet_service_endpoints *se = calloc(1, sizeof(*se));
	struct knet_error err = {0};
	cJSON *p = NULL;

	pb_str(&md, 1, "web");
	pb_str(&md, 3, "shop");
	pb_int(&tp1, 2, 8080);
	pb_int(&tp2, 1, 1);
	pb_str(&tp2, 3, "http");
	pb_str(&port1, 1, "a");
	pb_int(&port1, 3, 80);
	pb_msg(&port1, 4, &tp1);
	pb_str(&port2, 1, "b");
	pb_str(&port2, 2, "UDP");
	pb_int(&port2, 3, 53);
	pb_msg(&port2, 4, &tp2);
	pb_int(&port2, 5, 30053);
	pb_msg(&spec, 1, &port1);
	pb_msg(&spec, 1, &port2);
	label(&spec, 2, "app", "web");
	pb_str(&spec, 3, "198.18.128.7");
	pb_str(&spec, 4, "NodePort");
	pb_str(&spec, 5, "198.18.250.1");
	pb_str(&spec, 5, "198.18.250.2");
	pb_str(&spec, 18, "198.18.128.7");
	pb_msg(&svc, 1, &md);
	pb_msg(&svc, 2, &spec);
	envelope(&env, "Service", &svc);
	CHECK_INT(knet_proto_to_json(env.b, env.n, &p, &err), 0);
	CHECK_INT(knet_service_from_json(p, &s), 0);
	if (s) {
		CHECK_INT(s->nports, 2);
		CHECK_STR(s->ports[0].target_port, "8080");
		CHECK_STR(s->ports[1].target_port, "http");
		CHECK_STR(s->ports[1].protocol, "UDP");
		CHECK_INT(s->ports[1].node_port, 30053);
		CHECK_INT(s->external_ips.n, 2);
		CHECK_STR(s->external_ips.v[1], "198.18.250.2");
		CHECK_STR(s->cluster_ips.v[0], "198.18.128.7");
		CHECK_STR(s->type, "NodePort");
		CHECK(s->has_selector);
	}
	knet_service_free(s);
	cJSON_Delete(p);
	p = NULL;

	pb_strs(&ref, 1, "Pod", 2, "shop", 3, "web-1", 0);
	pb_strs(&addr, 1, "198.19.1.2", 0);
	pb_msg(&addr, 2, &ref);
	pb_strs(&addr, 4, "node-a", 0);
	pb_strs(&naddr, 1, "198.19.2.2", 0);
	pb_strs(&eport, 1, "http", 0);
	pb_int(&eport, 2, 8080);
	pb_strs(&eport, 3, "TCP", 0);
	pb_msg(&sub, 1, &addr);
	pb_msg(&sub, 2, &naddr);
	pb_msg(&sub, 3, &eport);
	pb_msg(&eps, 1, &md);
	pb_msg(&eps, 2, &sub);
	envelope(&env, "Endpoints", &eps);
	CHECK_INT(knet_proto_to_json(env.b, env.n, &p, &err), 0);
	CHECK_INT(knet_endpoints_add_endpoints(se, p), 0);
	CHECK_INT(se->n, 2);
	if (se->n == 2) {
		CHECK_STR(se->eps[0].ip, "198.19.1.2");
		CHECK_STR(se->eps[0].pod_name, "web-1");
		CHECK_STR(se->eps[0].node, "node-a");
		CHECK(se->eps[0].ready);
		CHECK_INT(se->eps[0].port, 8080);
		CHECK_STR(se->eps[0].port_name, "http");
		CHECK_STR(se->eps[1].ip, "198.19.2.2");
		CHECK(!se->eps[1].ready);
	}
	knet_service_endpoints_free(se);
	cJSON_Delete(p);
	/* The same kind in another group version is not guessed at. */
	envelope(&env, "EndpointSlice", &eps);
	refused("EndpointSlice", &eps, "protobuf kind 'EndpointSlice'");
}

typedef int (*decode_fn)(const void *buf, size_t len, cJSON **ret,
			 struct knet_error *err);

/*
 * @fn on every truncation of @m, each a heap copy of exactly that many
 * bytes so that a read past it shows under ASan: the number refused with
 * a reason (*@ok, when given, gets the number decoded whole).
 */
static int truncations(const struct pb *m, decode_fn fn, int *ok)
{
	int refused_n = 0, ok_n = 0;

	for (size_t n = 0; n < m->n; n++) {
		struct knet_error err = {0};
		unsigned char *b = malloc(n ? n : 1);
		cJSON *p = NULL;
		int r;

		memcpy(b, m->b, n);
		r = fn(b, n, &p, &err);
		if (r == 0)
			ok_n++;
		else if (r == -EBADMSG && err.reason[0])
			refused_n++;
		else
			CHECK(!"a truncation neither decoded nor refused");
		cJSON_Delete(p);
		free(b);
	}
	if (ok)
		*ok = ok_n;
	return refused_n;
}

/* Watch frames: WatchEvent {type, object: RawExtension {raw: envelope}}. */
static void test_watch_event(void)
{
	struct pb raw = {0}, env = {0}, ext = {0}, ev = {0};
	struct knet_error err = {0};
	cJSON *p = NULL;

	build_pod(&raw);
	envelope(&env, "Pod", &raw);
	pb_bytes(&ext, 1, env.b, env.n);
	pb_str(&ev, 1, "MODIFIED");
	pb_msg(&ev, 2, &ext);
	CHECK_INT(knet_proto_watch_event(ev.b, ev.n, &p, &err), 0);
	CHECK_STR(knet_json_str(p, "type"), "MODIFIED");
	CHECK_STR(knet_json_str(knet_json_path(p, "object", "metadata",
					       KNET_JSON_END),
				"name"),
		  "web-1");
	cJSON_Delete(p);
	p = NULL;
	/* Every truncation: refused with a reason, or whole. */
	CHECK(truncations(&ev, knet_proto_watch_event, NULL) > 0);
	/* No object. */
	ev.n = 0;
	pb_str(&ev, 1, "ADDED");
	CHECK_INT(knet_proto_watch_event(ev.b, ev.n, &p, &err), -EBADMSG);
	CHECK(strstr(err.reason, "WatchEvent: no type or no object") != NULL);
	/* The type as a varint. */
	ev.n = 0;
	pb_int(&ev, 1, 3);
	CHECK_INT(knet_proto_watch_event(ev.b, ev.n, &p, &err), -EBADMSG);
	CHECK(strstr(err.reason, "WatchEvent field 1: wrong wire type") !=
	      NULL);
}

static void test_malformed(void)
{
	/* Top-level fields of a Pod, written out byte by byte. */
	static const struct {
		const char *b;
		size_t n;
		const char *want;
	} cases[] = {
		/* a key byte with its continuation bit */
		{"\x80", 1, "Pod: truncated varint"},
		/* a varint of eleven bytes */
		{"\x90\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 13,
		 "truncated varint"},
		/* a length that would wrap a pointer */
		{"\xea\x04\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12,
		 "Pod field 77: length past the end"},
		/* a message as a fixed32 */
		{"\x15\x61\x62\x63\x64", 5, "Pod field 2: wrong wire type"},
		/* a group (wire type 3) */
		{"\xe3\x03", 2, "unsupported wire type"},
		/* an end of group */
		{"\xe4\x03", 2, "unsupported wire type"},
		/* wire type 6 */
		{"\xe6\x03", 2, "unsupported wire type"},
		/* wire type 7 */
		{"\xe7\x03", 2, "unsupported wire type"},
		/* field number 0 */
		{"\x00\x01", 2, "invalid field number"},
		/* a truncated fixed64 */
		{"\xe9\x03\x61\x62\x63", 5, "truncated fixed-width value"},
	};
	struct pb m = {0}, inner = {0}, env = {0};
	struct knet_error err = {0};
	cJSON *p = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m.n = 0;
		pb_raw(&m, cases[i].b, cases[i].n);
		refused("Pod", &m, cases[i].want);
	}
	/* A length past the end, inside a nested message. */
	m.n = 0;
	pb_tag(&inner, 1, 2);
	pb_varint(&inner, 1000);
	pb_raw(&inner, "abc", 3);
	pb_msg(&m, 1, &inner);
	refused("Pod", &m, "ObjectMeta field 1: length past the end");
	/* The wrong wire type for a known field: a string as a varint. */
	m.n = 0;
	inner.n = 0;
	pb_int(&inner, 1, 5);
	pb_msg(&m, 1, &inner);
	refused("Pod", &m, "ObjectMeta field 1: wrong wire type");
	/* A kind knet has no schema for, and no envelope at all. */
	m.n = 0;
	refused("Secret", &m, "protobuf kind 'Secret' not supported");
	CHECK_INT(knet_proto_to_json("{}", 2, &p, &err), -EBADMSG);
	CHECK_INT(knet_proto_to_json("k8s", 3, &p, &err), -EBADMSG);
	/* A compressed payload is refused, not read as a message. */
	{
		struct pb tm = {0}, u = {0};

		pb_str(&tm, 2, "Pod");
		pb_msg(&u, 1, &tm);
		pb_str(&u, 3, "gzip");
		env.n = 0;
		pb_raw(&env, "k8s\0", 4);
		pb_raw(&env, u.b, u.n);
		CHECK_INT(knet_proto_to_json(env.b, env.n, &p, &err), -EBADMSG);
		CHECK(strstr(err.reason, "content encoding 'gzip'") != NULL);
	}
}

/*
 * Deep nesting in fields knet does not read is skipped as bytes, without
 * recursion: 2,000 levels cost no stack.  In fields it reads, depth is
 * the schema's (a Pod is six deep).
 */
static void test_deep(void)
{
	static struct pb a, b;
	struct pb env = {0};
	struct knet_error err = {0};
	cJSON *p = NULL;
	struct pb *cur = &a, *next = &b;

	a.n = 0;
	for (int i = 0; i < 2000 && cur->n + 8 < sizeof(cur->b) / 2; i++) {
		struct pb *t;

		next->n = 0;
		pb_msg(next, 99, cur);
		t = cur;
		cur = next;
		next = t;
	}
	envelope(&env, "Pod", cur);
	CHECK_INT(knet_proto_to_json(env.b, env.n, &p, &err), 0);
	cJSON_Delete(p);
}

/* Every truncation and every single-byte change of a valid Pod: parsed
 * or refused, never read out of bounds (ASan watches). */
static void test_mutations(void)
{
	struct pb raw = {0}, env = {0};
	unsigned char *copy;
	int ok = 0, bad = 0;

	build_pod(&raw);
	envelope(&env, "Pod", &raw);
	bad = truncations(&env, knet_proto_to_json, &ok);
	CHECK(bad > 0);
	copy = malloc(env.n);
	for (size_t i = 4; i < env.n; i++) {
		for (int v = 0; v < 256; v += 51) {
			struct knet_error err = {0};
			cJSON *p = NULL;
			int r;

			memcpy(copy, env.b, env.n);
			copy[i] = (unsigned char)v;
			r = knet_proto_to_json(copy, env.n, &p, &err);
			CHECK(r == 0 || (r == -EBADMSG && err.reason[0]));
			cJSON_Delete(p);
		}
	}
	free(copy);
	printf("proto: %d truncations parsed, %d refused\n", ok, bad);
}

int main(void)
{
	test_pod();
	test_list();
	test_status();
	test_service_endpoints();
	test_watch_event();
	test_malformed();
	test_deep();
	test_mutations();
	return unit_done("proto");
}
