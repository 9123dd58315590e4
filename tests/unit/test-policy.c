/* SPDX-License-Identifier: MIT */
/*
 * The NetworkPolicy engine, one case per rule of the spec's semantics:
 * each case lays policies over one set of namespaces and pods, asks
 * FROM -> TO:PORT and checks the verdict and a reason's words.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "knet/objects.h"
#include "knet/policy.h"
#include "unit.h"

/*
 * Namespaces a (env=prod) and b (env=dev, no team label); pods a/web
 * (port http=8080), a/db, a/client, b/client, b/web (http=9090: a named
 * port can differ per pod), a/host (hostNetwork).
 */
static const char world_yaml[] =
	"apiVersion: v1\nkind: Namespace\n"
	"metadata: {name: a, labels: {env: prod, team: x}}\n"
	"---\napiVersion: v1\nkind: Namespace\n"
	"metadata: {name: b, labels: {env: dev}}\n"
	"---\napiVersion: v1\nkind: Pod\n"
	"metadata: {name: web, namespace: a, labels: {app: web, tier: fe}}\n"
	"spec: {containers: [{name: c, ports: [{name: http, containerPort: "
	"8080}, {name: dns, containerPort: 53, protocol: UDP}]}]}\n"
	"status: {podIP: 198.19.1.10}\n"
	"---\napiVersion: v1\nkind: Pod\n"
	"metadata: {name: db, namespace: a, labels: {app: db}}\n"
	"status: {podIP: 198.19.1.11}\n"
	"---\napiVersion: v1\nkind: Pod\n"
	"metadata: {name: client, namespace: a, labels: {app: client}}\n"
	"status: {podIP: 198.19.1.12}\n"
	"---\napiVersion: v1\nkind: Pod\n"
	"metadata: {name: client, namespace: b, labels: {app: client}}\n"
	"status: {podIP: 198.19.2.12}\n"
	"---\napiVersion: v1\nkind: Pod\n"
	"metadata: {name: web, namespace: b, labels: {app: web}}\n"
	"spec: {containers: [{name: c, ports: [{name: http, containerPort: "
	"9090}]}]}\n"
	"status: {podIP: 198.19.2.10}\n"
	"---\napiVersion: v1\nkind: Pod\n"
	"metadata: {name: host, namespace: a, labels: {app: web}}\n"
	"spec: {hostNetwork: true}\n"
	"status: {podIP: 198.18.0.10}\n";

#define NP "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"

struct pcase {
	const char *why; /* the rule of the spec this case shows */
	const char *policies;
	const char *from, *to, *port, *proto;
	int allowed;
	const char *reason; /* a substring of the reasons, or NULL */
};

static const struct pcase cases[] = {
	{"no policy selects either pod: not isolated, all allowed", "",
	 "a/client", "a/web", "8080", "TCP", 1, NULL},
	{"a policy with no ingress rules isolates and denies all ingress",
	 NP "metadata: {name: deny, namespace: a}\n"
	    "spec: {podSelector: {}, policyTypes: [Ingress]}\n",
	 "a/client", "a/web", "8080", "TCP", 0, "no ingress rules"},
	{"an empty ingress list is the same as none: deny all",
	 NP "metadata: {name: deny, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: []}\n",
	 "a/client", "a/web", "8080", "TCP", 0, "denies all ingress"},
	{"ingress [{}]: a rule without from and ports allows everything",
	 NP "metadata: {name: all, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{}]}\n",
	 "b/client", "a/web", "1234", "UDP", 1, "all sources"},
	{"from: [] (empty) matches every source, like an absent from",
	 NP "metadata: {name: all, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{from: [], ports: [{port: "
	    "8080}]}]}\n",
	 "b/client", "a/web", "8080", "TCP", 1, NULL},
	{"ports: [] matches every port, like absent ports",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{ports: []}]}\n",
	 "a/client", "a/web", "4242", "TCP", 1, "all ports"},
	{"podSelector alone selects pods of the policy's namespace",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {matchLabels: {app: web}}, ingress: [{from: "
	    "[{podSelector: {matchLabels: {app: client}}}]}]}\n",
	 "a/client", "a/web", "8080", "TCP", 1, NULL},
	{"podSelector alone never matches a pod of another namespace",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {matchLabels: {app: web}}, ingress: [{from: "
	    "[{podSelector: {matchLabels: {app: client}}}]}]}\n",
	 "b/client", "a/web", "8080", "TCP", 0,
	 "selects pods of namespace a only"},
	{"a podSelector that does not hold says which label differs",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {matchLabels: {app: web}}, ingress: [{from: "
	    "[{podSelector: {matchLabels: {app: client}}}]}]}\n",
	 "a/db", "a/web", "8080", "TCP", 0,
	 "podSelector app=client: pod a/db has app=db"},
	{"namespaceSelector alone selects every pod of those namespaces",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{from: [{namespaceSelector: "
	    "{matchLabels: {env: dev}}}]}]}\n",
	 "b/client", "a/web", "8080", "TCP", 1, NULL},
	{"namespaceSelector miss names the namespace's label",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{from: [{namespaceSelector: "
	    "{matchLabels: {env: prod}}}]}]}\n",
	 "b/client", "a/web", "8080", "TCP", 0,
	 "namespaceSelector env=prod: namespace b has env=dev"},
	{"both selectors in one peer: AND (right namespace, wrong pod)",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{from: [{namespaceSelector: "
	    "{matchLabels: {env: dev}}, podSelector: {matchLabels: {app: "
	    "db}}}]}]}\n",
	 "b/client", "a/web", "8080", "TCP", 0, "pod b/client has app=client"},
	{"separate peers: OR (the second peer matches)",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{from: [{namespaceSelector: "
	    "{matchLabels: {env: prod}}}, {namespaceSelector: {matchLabels: "
	    "{env: dev}}}]}]}\n",
	 "b/client", "a/web", "8080", "TCP", 1, NULL},
	{"an empty podSelector in a peer: every pod of the namespace",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{from: [{podSelector: "
	    "{}}]}]}\n",
	 "a/db", "a/web", "8080", "TCP", 1, NULL},
	{"an empty namespaceSelector: every namespace",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{from: [{namespaceSelector: "
	    "{}}]}]}\n",
	 "b/client", "a/web", "8080", "TCP", 1, NULL},
	{"matchExpressions In",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{from: [{podSelector: "
	    "{matchExpressions: [{key: app, operator: In, values: [db, "
	    "client]}]}}]}]}\n",
	 "a/db", "a/web", "8080", "TCP", 1, NULL},
	{"NotIn holds for a pod without the key",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{from: [{podSelector: "
	    "{matchExpressions: [{key: tier, operator: NotIn, values: "
	    "[be]}]}}]}]}\n",
	 "a/db", "a/web", "8080", "TCP", 1, NULL},
	{"Exists fails for a pod without the key",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{from: [{podSelector: "
	    "{matchExpressions: [{key: tier, operator: Exists}]}}]}]}\n",
	 "a/db", "a/web", "8080", "TCP", 0, "has no label tier"},
	{"DoesNotExist holds for a missing key",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{from: [{podSelector: "
	    "{matchExpressions: [{key: tier, operator: DoesNotExist}]}}]}]}\n",
	 "a/db", "a/web", "8080", "TCP", 1, NULL},
	{"DoesNotExist fails when the key is there",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{from: [{podSelector: "
	    "{matchExpressions: [{key: tier, operator: DoesNotExist}]}}]}]}\n",
	 "a/web", "a/web", "8080", "TCP", 0, "has label tier=fe"},
	{"kubernetes.io/metadata.name names the namespace",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{from: [{namespaceSelector: "
	    "{matchLabels: {kubernetes.io/metadata.name: b}}}]}]}\n",
	 "b/client", "a/web", "8080", "TCP", 1, NULL},
	{"ipBlock allows an address outside the cluster",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: "
	    "203.0.113.0/24}}]}]}\n",
	 "203.0.113.7", "a/web", "8080", "TCP", 1, "ipBlock 203.0.113.0/24"},
	{"ipBlock except removes a part of the cidr",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: "
	    "198.19.0.0/16, except: [198.19.2.0/24]}}]}]}\n",
	 "b/client", "a/web", "8080", "TCP", 0, "ipBlock except 198.19.2.0/24"},
	{"an except never removes what another peer allows",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: "
	    "198.19.0.0/16, except: [198.19.2.0/24]}}, {namespaceSelector: "
	    "{matchLabels: {env: dev}}}]}]}\n",
	 "b/client", "a/web", "8080", "TCP", 1, NULL},
	{"selectors never match an address that is not a pod",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{from: [{namespaceSelector: "
	    "{}}]}]}\n",
	 "203.0.113.7", "a/web", "8080", "TCP", 0, "is not a pod"},
	{"a port's protocol defaults to TCP: UDP to that port is denied",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{ports: [{port: 53}]}]}\n",
	 "a/client", "a/web", "53", "UDP", 0, "port 53/UDP not in [53]"},
	{"the port list is in the reason of a port miss",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{ports: [{port: 80}]}]}\n",
	 "a/client", "a/web", "8080", "TCP", 0, "port 8080 not in [80]"},
	{"a named port resolves on the destination pod (a/web: 8080)",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{ports: [{port: http}]}]}\n",
	 "a/client", "a/web", "8080", "TCP", 1, "http=8080"},
	{"the same name is another number on another pod (b/web: 9090)",
	 NP "metadata: {name: p, namespace: b}\n"
	    "spec: {podSelector: {}, ingress: [{ports: [{port: http}]}]}\n",
	 "a/client", "b/web", "8080", "TCP", 0, "not in [http=9090]"},
	{"a named port resolves with its protocol (dns is UDP 53)",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{ports: [{port: dns, protocol: "
	    "UDP}]}]}\n",
	 "a/client", "a/web", "dns", "UDP", 1, NULL},
	{"endPort is inclusive: 8090 is in 8080-8090",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{ports: [{port: 8080, endPort: "
	    "8090}]}]}\n",
	 "a/client", "a/web", "8090", "TCP", 1, NULL},
	{"endPort is inclusive: 8091 is not",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{ports: [{port: 8080, endPort: "
	    "8090}]}]}\n",
	 "a/client", "a/web", "8091", "TCP", 0, "not in [8080-8090]"},
	{"policyTypes default to Egress too when there are egress rules",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {matchLabels: {app: client}}, egress: [{to: "
	    "[{podSelector: {matchLabels: {app: db}}}]}]}\n",
	 "a/client", "a/web", "8080", "TCP", 0, "pod a/web has app=web"},
	{"policyTypes default: an empty egress list does not isolate egress",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {matchLabels: {app: client}}, egress: []}\n",
	 "a/client", "a/web", "8080", "TCP", 1, NULL},
	{"explicit Egress with no egress rules denies all egress",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, policyTypes: [Egress]}\n",
	 "a/client", "203.0.113.7", "443", "TCP", 0, "denies all egress"},
	{"policies in other namespaces never apply",
	 NP "metadata: {name: deny, namespace: b}\n"
	    "spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n",
	 "a/client", "a/web", "8080", "TCP", 1, NULL},
	{"the union of selecting policies: one allow is enough",
	 NP "metadata: {name: deny, namespace: a}\n"
	    "spec: {podSelector: {}, policyTypes: [Ingress]}\n" NP
	    "metadata: {name: allow, namespace: a}\n"
	    "spec: {podSelector: {matchLabels: {app: web}}, ingress: [{from: "
	    "[{podSelector: {}}]}]}\n",
	 "a/client", "a/web", "8080", "TCP", 1, "a/allow"},
	{"a host-network pod is outside NetworkPolicy",
	 NP "metadata: {name: deny, namespace: a}\n"
	    "spec: {podSelector: {}, policyTypes: [Ingress]}\n",
	 "a/client", "a/host", "8080", "TCP", 1, "host network"},
	{"a host-network peer is matched by no selector",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {matchLabels: {app: db}}, ingress: [{from: "
	    "[{podSelector: {}}]}]}\n",
	 "a/host", "a/db", "5432", "TCP", 0, "uses the host network"},
	{"both halves must allow: egress denied, ingress open",
	 NP "metadata: {name: p, namespace: b}\n"
	    "spec: {podSelector: {}, policyTypes: [Egress], egress: [{ports: "
	    "[{port: 53, protocol: UDP}]}]}\n",
	 "b/client", "a/web", "8080", "TCP", 0, "port 8080 not in [53/UDP]"},
	{"an address pods have is that pod (its labels apply)",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{from: [{podSelector: "
	    "{matchLabels: {app: db}}}]}]}\n",
	 "198.19.1.11", "a/web", "8080", "TCP", 1, NULL},
	{"every port asked: only a rule without ports answers yes",
	 NP "metadata: {name: p, namespace: a}\n"
	    "spec: {podSelector: {}, ingress: [{ports: [{port: 80}]}]}\n",
	 "a/client", "a/web", NULL, "TCP", 0, "every port asked"},
};

/* Every reason and match text of @v, joined, for the substring check. */
static void reasons(const struct knet_policy_verdict *v, char *buf, size_t len)
{
	const struct knet_policy_half *hs[2] = {&v->egress, &v->ingress};
	size_t n = 0;

	buf[0] = '\0';
	for (int k = 0; k < 2; k++) {
		const struct knet_policy_half *h = hs[k];

		for (int i = 0; i < h->ndenied && n < len; i++)
			n += (size_t)snprintf(
				buf + n, len - n, "%s/%s: %s | ",
				h->denied[i].policy->meta.namespace,
				h->denied[i].policy->meta.name,
				h->denied[i].reason);
		for (int i = 0; i < h->nmatched && n < len; i++)
			n += (size_t)snprintf(
				buf + n, len - n, "%s/%s: %s, %s | ",
				h->matched[i].policy->meta.namespace,
				h->matched[i].policy->meta.name,
				h->matched[i].peer_text,
				h->matched[i].port_text);
		if (h->note && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s | ",
					      h->note);
	}
}

static struct knet_policy *build(struct knet_manifest *m)
{
	struct knet_policy_world w = {
		.namespaces = m->namespaces.items,
		.nnamespaces = m->namespaces.n,
		.pods = m->pods.items,
		.npods = m->pods.n,
		.netpols = m->netpols.items,
		.nnetpols = m->netpols.n,
		.services = m->services.items,
		.nservices = m->services.n,
		.nodes = m->nodes.items,
		.nnodes = m->nodes.n,
		.endpoints = m->endpoints.items,
		.nendpoints = m->endpoints.n,
	};
	struct knet_policy *p = NULL;
	struct knet_error err = {0};

	CHECK_INT(knet_policy_new(&w, &p, &err), 0);
	return p;
}

static void run_case(const struct pcase *c)
{
	struct knet_manifest *m = knet_manifest_new();
	struct knet_policy_target from = {0}, to = {0};
	struct knet_policy_verdict v = {0};
	struct knet_error err = {0};
	struct knet_policy *p;
	char *text = NULL, why[4096];
	int r;

	if (asprintf(&text, "%s%s", world_yaml, c->policies) < 0)
		return;
	r = knet_manifest_load_text(m, "case", text, strlen(text), "default",
				    &err);
	if (r < 0)
		fprintf(stderr, "%s: %s\n", c->why, err.reason);
	CHECK_INT(r, 0);
	p = build(m);
	CHECK_INT(knet_policy_resolve(p, c->from, "default", NULL, &from, &err),
		  0);
	CHECK_INT(knet_policy_resolve(p, c->to, "default", c->port, &to, &err),
		  0);
	if (p && from.n && to.n) {
		CHECK_INT(knet_policy_check(p, &from.ends[0], &to.ends[0],
					    c->port, c->proto, &v, &err),
			  0);
		reasons(&v, why, sizeof(why));
		if ((int)v.allowed != c->allowed ||
		    (c->reason && !strstr(why, c->reason)))
			fprintf(stderr, "case '%s': allowed %d, reasons: %s\n",
				c->why, v.allowed, why);
		CHECK_INT(v.allowed, c->allowed);
		if (c->reason)
			CHECK(strstr(why, c->reason) != NULL);
		/* The matrix's fast path agrees with the full verdict. */
		CHECK_INT(knet_policy_allowed(p, &from.ends[0], &to.ends[0],
					      c->port, c->proto),
			  c->allowed);
	}
	knet_policy_verdict_clear(&v);
	knet_policy_target_clear(&from);
	knet_policy_target_clear(&to);
	knet_policy_free(p);
	knet_manifest_free(m);
	free(text);
}

/* Malformed manifests: file, document, field and problem in one line. */
static void test_manifest_errors(void)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{"kind: Pod\napiVersion: v1\nmetadata: {name: a}\n---\n"
		 "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		 "metadata: {name: x}\nspec: {podSelector: {}, ingress: "
		 "[{ports: [{port: 99999}]}]}\n",
		 "f.yaml: document 2: spec.ingress[0].ports[0].port: not in "
		 "1-65535"},
		{"apiVersion: v1\nkind: List\nitems:\n- apiVersion: "
		 "networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata: "
		 "{name: x}\n  spec: {podSelector: {matchExpressions: [{key: "
		 "a, operator: Maybe}]}}\n",
		 "f.yaml: document 1: items[0].spec.podSelector."
		 "matchExpressions[0].operator: not In, NotIn, Exists or "
		 "DoesNotExist"},
		{"apiVersion: v1\nkind: Pod\nmetadata: {}\n",
		 "f.yaml: document 1: metadata.name: missing"},
		{"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\nkind: "
		 "Pod\n",
		 "f.yaml: document 2: apiVersion: missing"},
		{"a: [\n", "f.yaml: document 1: invalid YAML"},
		{"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		 "metadata: {name: x}\nspec: {podSelector: {}, ingress: "
		 "[{from: [{ipBlock: {cidr: 10.0.0.0/8, except: "
		 "[11.0.0.0/8]}}]}]}\n",
		 "spec.ingress[0].from[0].ipBlock.except[0]: not inside the "
		 "cidr"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct knet_manifest *m = knet_manifest_new();
		struct knet_error err = {0};

		CHECK(knet_manifest_load_text(m, "f.yaml", bad[i].text,
					      strlen(bad[i].text), "default",
					      &err) < 0);
		CHECK_INT(err.exit, KNET_EXIT_USAGE);
		if (!strstr(err.reason, bad[i].want))
			fprintf(stderr, "got '%s'\n", err.reason);
		CHECK(strstr(err.reason, bad[i].want) != NULL);
		knet_manifest_free(m);
	}
}

/*
 * Targets: svc/ is each backend with the service port mapped to its
 * targetPort on that pod (a name may be another number per pod),
 * node/ its InternalIP, a CIDR an address range outside the cluster.
 */
static void test_targets(void)
{
	static const char extra[] =
		"---\napiVersion: v1\nkind: Service\n"
		"metadata: {name: web, namespace: a}\n"
		"spec: {selector: {app: web}, ports: [{name: h, port: 80, "
		"targetPort: http}]}\n"
		"---\napiVersion: v1\nkind: Node\nmetadata: {name: node-a}\n"
		"status: {addresses: [{type: InternalIP, address: "
		"198.18.0.10}]}\n" NP "metadata: {name: p, namespace: a}\n"
		"spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: "
		"198.18.0.0/24}}]}]}\n";
	struct knet_manifest *m = knet_manifest_new();
	struct knet_policy_target t = {0}, n = {0}, c = {0};
	struct knet_error err = {0};
	struct knet_policy *p;
	char *text = NULL;

	if (asprintf(&text, "%s%s", world_yaml, extra) < 0)
		return;
	CHECK_INT(knet_manifest_load_text(m, "t", text, strlen(text), "default",
					  &err),
		  0);
	p = build(m);
	/* a/web (http=8080) and a/host (no http port: not an endpoint) */
	CHECK_INT(
		knet_policy_resolve(p, "svc/a/web", "default", "80", &t, &err),
		0);
	CHECK_INT(t.n, 1);
	if (t.n == 1) {
		CHECK_STR(t.ends[0].label, "a/web");
		CHECK_INT(t.ends[0].port, 8080);
	}
	CHECK_STR(t.backends, "selector");
	CHECK_INT(knet_policy_resolve(p, "svc/web", "a", "nope", &c, &err),
		  -EINVAL);
	CHECK_INT(knet_policy_resolve(p, "node/node-a", "a", NULL, &n, &err),
		  0);
	CHECK_INT(n.n, 1);
	if (n.n == 1) {
		struct knet_policy_verdict v = {0};

		CHECK_STR(n.ends[0].label, "node/node-a");
		/* a node is an address: only the ipBlock can let it in */
		CHECK_INT(knet_policy_allowed(p, &n.ends[0], &t.ends[0], NULL,
					      "TCP"),
			  1);
		CHECK_INT(knet_policy_check(p, &n.ends[0], &t.ends[0], NULL,
					    "TCP", &v, &err),
			  0);
		CHECK(!v.egress.applies);
		CHECK_INT(v.ingress.nmatched, 1);
		knet_policy_verdict_clear(&v);
	}
	knet_policy_target_clear(&c);
	/* A CIDR half inside an except-free block matches; one wider not. */
	CHECK_INT(
		knet_policy_resolve(p, "198.18.0.128/25", "a", NULL, &c, &err),
		0);
	if (c.n == 1 && t.n == 1)
		CHECK_INT(knet_policy_allowed(p, &c.ends[0], &t.ends[0], NULL,
					      "TCP"),
			  1);
	knet_policy_target_clear(&c);
	CHECK_INT(knet_policy_resolve(p, "198.18.0.0/23", "a", NULL, &c, &err),
		  0);
	if (c.n == 1 && t.n == 1)
		CHECK_INT(knet_policy_allowed(p, &c.ends[0], &t.ends[0], NULL,
					      "TCP"),
			  0);
	CHECK_INT(knet_policy_resolve(p, "a/nope", "a", NULL, &n, &err),
		  -ENOENT);
	CHECK_INT(err.exit, KNET_EXIT_NOT_FOUND);
	knet_policy_target_clear(&t);
	knet_policy_target_clear(&n);
	knet_policy_target_clear(&c);
	knet_policy_free(p);
	knet_manifest_free(m);
	free(text);
}

/*
 * With an EndpointSlice, a Service's backends are its ready endpoints
 * (what kube-proxy DNATs to), not every pod its selector picks.
 */
static void test_slice_backends(void)
{
	static const char extra[] =
		"---\napiVersion: v1\nkind: Service\n"
		"metadata: {name: web, namespace: a}\n"
		"spec: {selector: {app: web}, ports: [{name: h, port: 80, "
		"targetPort: http}]}\n"
		"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		"metadata: {name: web-1, namespace: a, labels: "
		"{kubernetes.io/service-name: web}}\n"
		"ports: [{name: h, port: 8080, protocol: TCP}]\n"
		"endpoints:\n"
		"- addresses: [198.19.1.10]\n"
		"  conditions: {ready: true}\n"
		"  targetRef: {kind: Pod, namespace: a, name: web}\n"
		"- addresses: [198.19.1.99]\n"
		"  conditions: {ready: false}\n"
		"- addresses: [203.0.113.5]\n";
	struct knet_manifest *m = knet_manifest_new();
	struct knet_policy_target t = {0};
	struct knet_error err = {0};
	struct knet_policy *p;
	char *text = NULL;

	if (asprintf(&text, "%s%s", world_yaml, extra) < 0)
		return;
	CHECK_INT(knet_manifest_load_text(m, "t", text, strlen(text), "default",
					  &err),
		  0);
	CHECK_INT(m->endpoints.n, 1);
	p = build(m);
	CHECK_INT(knet_policy_resolve(p, "svc/a/web", "default", "h", &t, &err),
		  0);
	CHECK_STR(t.backends, "EndpointSlice");
	/* the ready pod, the ready address outside; not the unready one */
	CHECK_INT(t.n, 2);
	if (t.n == 2) {
		CHECK_STR(t.ends[0].label, "a/web");
		CHECK_INT(t.ends[0].port, 8080);
		CHECK_STR(t.ends[1].label, "203.0.113.5");
		CHECK_INT(t.ends[1].pod, -1);
	}
	knet_policy_target_clear(&t);
	knet_policy_free(p);
	knet_manifest_free(m);
	free(text);
}

/* Files win over the cluster for the same kind, namespace and name. */
static void test_merge(void)
{
	static const char base[] =
		"apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: "
		"{v: old}}\n---\napiVersion: v1\nkind: Pod\nmetadata: "
		"{name: b}\n";
	static const char change[] =
		"{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": "
		"{\"name\": \"a\", \"labels\": {\"v\": \"new\"}}}";
	struct knet_manifest *m = knet_manifest_new();
	struct knet_manifest *f = knet_manifest_new();
	struct knet_error err = {0};

	CHECK_INT(knet_manifest_load_text(m, "base", base, strlen(base), "ns",
					  &err),
		  0);
	CHECK_INT(knet_manifest_load_text(f, "change", change, strlen(change),
					  "ns", &err),
		  0);
	CHECK_INT(knet_manifest_merge(m, f, &err), 0);
	CHECK_INT(m->pods.n, 2);
	CHECK_INT(f->pods.n, 0);
	if (m->pods.n == 2) {
		CHECK_STR(m->pods.items[0]->meta.namespace, "ns");
		CHECK_STR(knet_labels_get(&m->pods.items[0]->meta.labels, "v"),
			  "new");
	}
	knet_manifest_free(m);
	knet_manifest_free(f);
}

static void test_split_target(void)
{
	char *t = NULL, *p = NULL, proto[8];

	CHECK_INT(knet_policy_split_target("ns/web:http/udp", &t, &p, proto),
		  0);
	CHECK_STR(t, "ns/web");
	CHECK_STR(p, "http");
	CHECK_STR(proto, "UDP");
	free(t);
	free(p);
	CHECK_INT(knet_policy_split_target("fd00::1", &t, &p, proto), 0);
	CHECK_STR(t, "fd00::1");
	CHECK(p == NULL);
	free(t);
	CHECK_INT(knet_policy_split_target("[fd00::1]:80", &t, &p, proto), 0);
	CHECK_STR(t, "fd00::1");
	CHECK_STR(p, "80");
	free(t);
	free(p);
	CHECK(knet_policy_split_target("web:80/icmp", &t, &p, proto) < 0);
	CHECK(knet_policy_split_target("web:", &t, &p, proto) < 0);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_manifest_errors();
	test_targets();
	test_slice_backends();
	test_merge();
	test_split_target();
	return unit_done("test-policy");
}
