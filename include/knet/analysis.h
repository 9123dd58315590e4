/* SPDX-License-Identifier: MIT */
#ifndef KNET_ANALYSIS_H
#define KNET_ANALYSIS_H

/*
 * Analyses: pure functions of kernel state (conntrack entries) and API
 * objects (Services, EndpointSlices, pods), so that commands, diagnose
 * and the unit tests share one rule for each question.
 */

#include <stdbool.h>
#include <stdint.h>

#include "knet/base.h"
#include "knet/netlink.h"
#include "knet/objects.h"
#include "knet/probe.h"

/* --- naming the addresses of conntrack entries --- */

/*
 * Names for addresses, from one who index (knet/objects.h) and cached
 * per address, because a table of 100,000 entries holds few distinct
 * addresses and each uncached lookup walks every pod and Service.
 * Labels are one word each, for awk: "web/web-abc" (a pod),
 * "svc/web/web", "node/node-a", "ep/kube-system/kube-dns" (an address
 * of a Service's endpoints that no pod owns).
 */
struct knet_ct_names;

/* @idx is borrowed and must outlive the names; NULL names nothing. */
int knet_ct_names_new(const struct knet_who_index *idx,
		      struct knet_ct_names **ret);
void knet_ct_names_free(struct knet_ct_names *n);
/* The label of @addr (network order), NULL when nobody owns it. */
const char *knet_ct_names_get(struct knet_ct_names *n, uint8_t family,
			      const unsigned char *addr);
/*
 * The label of a DNAT target @addr:@port of a flow sent to
 * @svc_addr:@svc_port, named among that Service's endpoints
 * (knet_who_index_backend_label), else as knet_ct_names_get(@addr).
 * Ports in host order.
 */
const char *knet_ct_names_backend(struct knet_ct_names *n, uint8_t family,
				  const unsigned char *svc_addr,
				  uint16_t svc_port, const unsigned char *addr,
				  uint16_t port);
/* A who label ("pod web/web-1", "svc web/web") as one word; malloc'd. */
char *knet_ct_label_word(const char *who_label);

/* --- a Service's entries: backends and stale flows --- */

/* One backend: a ready or not-ready endpoint, or a stale DNAT target. */
struct knet_ct_backend {
	char ip[46];
	int port;	     /* the target port, 0 when the slice has none */
	char *pod;	     /* "ns/name" when the endpoint names a pod */
	bool endpoint;	     /* listed in the Service's endpoints */
	bool ready;	     /* a ready endpoint */
	unsigned long flows; /* live entries DNAT'd to it */
	unsigned long stale; /* stale entries DNAT'd to it */
};

enum knet_ct_svc_how {
	KNET_CT_SVC_NONE,	   /* not to this Service */
	KNET_CT_SVC_CLUSTER_IP,	   /* ClusterIP:port */
	KNET_CT_SVC_NODE_PORT,	   /* a node address (any):nodePort */
	KNET_CT_SVC_EXTERNAL_IP,   /* spec.externalIPs:port */
	KNET_CT_SVC_LOAD_BALANCER, /* status.loadBalancer ingress:port */
};

/* Why an entry of the Service is stale (KNET_CT_STALE_*), or 0. */
enum {
	/* DNAT'd to an address that is no longer a ready endpoint. */
	KNET_CT_STALE_NOT_READY = 1,
	/* UDP to the ClusterIP never answered: the black hole of a DNS
	 * client that kept its source port across a rollout. */
	KNET_CT_STALE_UNREPLIED_UDP = 2,
};

struct knet_ct_verdict {
	enum knet_ct_svc_how how;
	int stale;   /* KNET_CT_STALE_*, 0: live */
	int backend; /* index in the backends, -1 when not DNAT'd */
};

struct knet_ct_service;

/*
 * The rules for Service @svc with endpoints @se (NULL: none), only port
 * @port ("http", "80"; NULL: every port).  -ENOENT (exit 3) when the
 * Service has no such port.
 */
int knet_ct_service_new(const struct knet_service *svc,
			const struct knet_service_endpoints *se,
			const char *port, struct knet_ct_service **ret,
			struct knet_error *err);
void knet_ct_service_free(struct knet_ct_service *s);

/*
 * What @e is to the Service, counting it in its backend (a DNAT target
 * that is not an endpoint becomes a new backend, stale).  -ENOMEM only.
 */
int knet_ct_service_classify(struct knet_ct_service *s,
			     const struct knet_ct_entry *e,
			     struct knet_ct_verdict *ret);

const struct knet_ct_backend *knet_ct_service_backends(
	const struct knet_ct_service *s, int *ret_n);
/* "clusterIP", "nodePort", "externalIP", "loadBalancer", NULL. */
const char *knet_ct_svc_how_name(enum knet_ct_svc_how how);
/* "DNAT target not a ready endpoint", ...; NULL for 0. */
const char *knet_ct_stale_reason(int stale);

/* --- the pod's resolver (knet dns): glibc's rules, visibly --- */

#define KNET_RESOLV_MAXNS 3 /* glibc's MAXNS: later nameservers ignored */

/* resolv.conf as glibc reads it (res_init.c). */
struct knet_resolv_conf {
	char nameservers[KNET_RESOLV_MAXNS][64];
	int nns;
	int ignored_ns;		 /* nameserver lines past the third */
	struct knet_strv search; /* the last search/domain line wins */
	int ndots;		 /* default 1, at most 15 */
	int timeout;		 /* seconds per try, default 5, at most 30 */
	int attempts;		 /* rounds over the servers, default 2, <= 5 */
	bool rotate;
	bool no_tld_query;
	bool use_vc;	 /* TCP from the start */
	bool default_ns; /* no nameserver line: glibc asks 127.0.0.1 */
};

/*
 * Parse resolv.conf @text (comments with '#' or ';', unknown keywords
 * and options ignored as glibc ignores them).  -ENOMEM only.
 */
int knet_resolv_conf_parse(const char *text, struct knet_resolv_conf *ret,
			   struct knet_error *err);
void knet_resolv_conf_clear(struct knet_resolv_conf *c);
/* The cluster domain: X of a "svc.X" search entry, else NULL. */
const char *knet_resolv_cluster_domain(const struct knet_resolv_conf *c);

enum knet_dns_step {
	KNET_DNS_AS_IS_FIRST, /* enough dots (ndots) or a trailing dot */
	KNET_DNS_SEARCH,      /* name + one search domain */
	KNET_DNS_AS_IS_LAST,  /* the name itself after the search list */
};

/*
 * The names glibc's res_search tries for @name, in its order (see
 * res_query.c): the name as it is first when it has at least ndots dots
 * or ends with a dot (then nothing else), the search list, then the
 * name as it is unless it was tried already, a search entry was the
 * root, or (no-tld-query) it has no dot.
 */
struct knet_dns_plan {
	char **names; /* without a trailing dot */
	enum knet_dns_step *steps;
	int n;
	int dots;
	bool trailing_dot;
};

int knet_dns_plan_new(const struct knet_resolv_conf *c, const char *name,
		      struct knet_dns_plan **ret, struct knet_error *err);
void knet_dns_plan_free(struct knet_dns_plan *p);
/*
 * After names[@i] ended with @o: the index to try next, or -1 when the
 * lookup is over (answered, or given up).  NXDOMAIN, NODATA and
 * SERVFAIL go on down the search list; REFUSED and timeouts leave it for
 * the name as it is; ICMP refusals end the lookup (glibc's ECONNREFUSED).
 */
int knet_dns_plan_next(const struct knet_dns_plan *p, int i,
		       enum knet_dns_outcome o);

/* How a lookup ended. */
struct knet_dns_lookup {
	int answered;		    /* the plan's name that answered, -1 */
	enum knet_dns_outcome last; /* of the last name asked */
	int asked;		    /* names asked */
	bool out_of_time;	    /* @deadline_us passed before the end */
};

/*
 * Look @p's names up as res_search does: each asked of @c's servers
 * with @tmpl's type, timeout, attempts and TCP choice (the rotate option
 * of @conf moves the first server), the next chosen by
 * knet_dns_plan_next().  @on_try sees every try with the index of its
 * name; @deadline_us (knet_mono_us(), 0: none) ends it between names.
 * Returns 0, or < 0 when @on_try did (or no memory).
 */
int knet_dns_lookup(struct knet_dns_client *c, const struct knet_dns_plan *p,
		    const struct knet_resolv_conf *conf,
		    const struct knet_dns_ask *tmpl,
		    int (*on_try)(const struct knet_dns_try *t, int name,
				  void *userdata),
		    void *userdata, volatile sig_atomic_t *stop,
		    long long deadline_us, struct knet_dns_lookup *ret);

/* What a name means in the cluster's DNS schema (the DNS spec). */
enum knet_dns_kind {
	KNET_DNS_NAME_OTHER,	/* not a cluster name */
	KNET_DNS_NAME_SERVICE,	/* svc.ns.svc.DOMAIN */
	KNET_DNS_NAME_ENDPOINT, /* host.svc.ns.svc.DOMAIN (headless) */
	KNET_DNS_NAME_POD,	/* a-b-c-d.ns.pod.DOMAIN */
};

struct knet_dns_intent {
	enum knet_dns_kind kind;
	char ns[64], svc[64], host[64];
	char pod_ip[46];
	char fqdn[256]; /* the name it stands for, "" for OTHER */
	bool relative;	/* given short ("web", "web.web"): search-made */
	int labels;	/* in the name as given */
};

/*
 * What @name asked from a pod in namespace @pod_ns means: "web" the
 * Service web in @pod_ns, "web.web" and "web.web.svc" the Service web
 * in web, "h.web-headless.web" an endpoint of a headless Service,
 * anything under "svc.DOMAIN" or "pod.DOMAIN" by its labels.  The
 * caller checks the API: a three-label name that names no Service is
 * an outside name.
 */
void knet_dns_intent_of(const char *name, const char *pod_ns,
			const char *domain, struct knet_dns_intent *ret);

/* Whether two sets of addresses are equal (binary compare, any order). */
bool knet_dns_addrs_equal(char *const *a, int na, char *const *b, int nb);

/*
 * The amplification ndots causes: how many queries were sent before
 * names[@answered] (or, when nothing answered, before the name as it
 * is) that a fully qualified name ("NAME." or enough dots) would not
 * have sent.  0 when none.
 */
int knet_dns_wasted_queries(const struct knet_dns_plan *p,
			    const int *queries_per_name, int answered);

/* --- kube-proxy's rules, iptables mode (knet svc trace) --- */

struct knet_ipt;

/*
 * Parse `iptables-save -t nat` (@nat) and `-t filter` (@filter, may be
 * NULL) output.  -ENOMEM only: lines that are not rules are skipped.
 */
int knet_ipt_parse(const char *nat, const char *filter, struct knet_ipt **ret,
		   struct knet_error *err);
void knet_ipt_free(struct knet_ipt *t);
/* Whether kube-proxy's iptables mode is there (a KUBE-SERVICES chain). */
bool knet_ipt_kube_proxy(const struct knet_ipt *t);
int knet_ipt_rules(const struct knet_ipt *t);

/* One DNAT target a Service's rules reach, and its share of packets. */
struct knet_kp_backend {
	char ip[46];
	int port;
	double share;	/* 0..1, from the statistic rules */
	char chain[64]; /* the KUBE-SEP-* chain */
};

/* Where a Service's entry rule leads, following jumps. */
struct knet_kp_path {
	bool found;	    /* an entry rule for it */
	char svc_chain[64]; /* its KUBE-SVC-* chain, "" when none */
	struct knet_kp_backend *b;
	int nb;
	bool masquerade; /* a KUBE-MARK-MASQ on the way */
	bool local_only; /* through KUBE-XLB-* (externalTrafficPolicy Local) */
	bool drop;	 /* KUBE-MARK-DROP: "has no local endpoints" */
	bool reject;	 /* the filter table's "has no endpoints" REJECT */
	bool truncated;	 /* too many rules to follow whole: b is a part */
};

/* ClusterIP @ip:@port/@proto ("tcp") from KUBE-SERVICES.  -ENOMEM only. */
int knet_kp_follow_cluster_ip(const struct knet_ipt *t, const char *ip,
			      const char *proto, int port,
			      struct knet_kp_path *ret);
/* A nodePort from KUBE-NODEPORTS (KUBE-EXTERNAL-SERVICES: REJECT). */
int knet_kp_follow_node_port(const struct knet_ipt *t, const char *proto,
			     int node_port, struct knet_kp_path *ret);
void knet_kp_path_clear(struct knet_kp_path *p);

/* --- a Service, layer by layer (knet svc trace) --- */

enum knet_trace_layer {
	KNET_TRACE_SERVICE,
	KNET_TRACE_SELECTOR,
	KNET_TRACE_TARGETPORT,
	KNET_TRACE_ENDPOINTS,
	KNET_TRACE_KUBE_PROXY,
	KNET_TRACE_CONNTRACK,
	KNET_TRACE_NLAYERS,
};

enum knet_trace_status {
	KNET_TRACE_SKIPPED = -1, /* not checked (no rules, no table) */
	KNET_TRACE_OK = 0,
	KNET_TRACE_WARN = 1,
	KNET_TRACE_FAIL = 2,
};

/* "service", "selector", "targetPort", "endpoints", "kube-proxy"... */
const char *knet_trace_layer_name(enum knet_trace_layer l);
/* "ok", "warn", "fail", "skipped". */
const char *knet_trace_status_name(enum knet_trace_status s);

/* What the trace is made from: API objects and the node's state. */
struct knet_svc_trace_in {
	const struct knet_service *svc;
	const char *port;		  /* "http", "80"; NULL: every port */
	const struct knet_pod_list *pods; /* the Service's namespace */
	const struct knet_service_endpoints *se; /* NULL: none */
	const char *node;			 /* where the rules were read */
	/* kube-proxy: "iptables" with @ipt, else what was found instead
	 * ("nftables", "ipvs") or NULL when nothing was read. */
	const char *proxy_mode;
	const struct knet_ipt *ipt;
	const struct knet_ct_service *ct; /* NULL: conntrack not read */
};

struct knet_trace_finding {
	enum knet_trace_layer layer;
	bool problem; /* else a warning */
	char text[512];
};

/* One endpoint (or a DNAT target no endpoint explains) of one port. */
struct knet_trace_endpoint {
	char ip[46];
	int port;
	char port_name[64];
	char pod[128]; /* "ns/name", "" when none */
	char node[64];
	bool endpoint; /* in the Service's endpoints */
	bool ready, serving, terminating;
	bool in_rules; /* a DNAT target of kube-proxy's rules here */
	double share;  /* its share in the rules */
	unsigned long flows, stale;
};

struct knet_svc_trace {
	enum knet_trace_status status[KNET_TRACE_NLAYERS];
	char detail[KNET_TRACE_NLAYERS][512];
	struct knet_trace_finding *findings;
	int nfindings;
	struct knet_trace_endpoint *eps;
	int neps;
	int ready; /* ready endpoints (of the ports traced) */
	char summary[640];
	int first_broken; /* a layer, -1 when none failed */
};

/*
 * The six layers: the Service; its selector against the pods (the
 * closest pods and the label that differs when none match); targetPort
 * against the containers' ports; the endpoints, ready or not and why;
 * kube-proxy's rules against the ready endpoints (missing or stale
 * backends, shares, masquerade, externalTrafficPolicy Local with no
 * local endpoint on @node); conntrack's live and stale flows.  Pure.
 * -ENOENT (exit 3) when the Service has no port @port.
 */
int knet_svc_trace_run(const struct knet_svc_trace_in *in,
		       struct knet_svc_trace **ret, struct knet_error *err);
void knet_svc_trace_free(struct knet_svc_trace *t);

/* --- which Ingress rule a request hits (knet ingress match) --- */

struct knet_url {
	char scheme[8];	 /* "http", "https" */
	char host[256];	 /* lower case, no port */
	int port;	 /* 80 / 443 when not given */
	char path[2048]; /* "/" when empty; no query or fragment */
};

/* "http://shop.example/api?x" (no scheme: http).  -EINVAL, exit 2. */
int knet_url_parse(const char *s, struct knet_url *ret, struct knet_error *err);

enum knet_ingress_verdict {
	KNET_ING_WON,
	KNET_ING_CLASS,	    /* another ingress class */
	KNET_ING_HOST,	    /* the host does not match */
	KNET_ING_HOST_TIER, /* a more specific host rule serves it */
	KNET_ING_PATH,	    /* the path does not match */
	KNET_ING_SHORTER,   /* a longer path matched */
	KNET_ING_PREFIX,    /* an Exact path of the same length won */
	KNET_ING_ORDER,	    /* the same match, an earlier Ingress won */
	KNET_ING_DEFAULT,   /* a default backend not needed: a rule won */
};

/* One rule (host, path, backend) of one Ingress and how it fared. */
struct knet_ingress_candidate {
	const struct knet_ingress *ing;
	int path; /* index in ing->paths */
	enum knet_ingress_verdict verdict;
	int host_tier;	    /* 3 exact, 2 wildcard, 1 any host, 0 no match */
	int match_len;	    /* the matched path's length, -1 no match */
	bool exact;	    /* pathType Exact */
	bool impl_specific; /* ImplementationSpecific (or none): as Prefix */
	char why[256];
};

struct knet_ingress_match {
	struct knet_ingress_candidate *c;
	int n;
	int winner;	 /* index in c, -1: nothing serves the request */
	const char *cls; /* the class matched, NULL: every class */
	/* TLS for https: the Ingress and secret that serve the host. */
	const struct knet_ingress *tls_ing;
	const char *tls_secret;
	bool https_without_tls;
};

/*
 * The Ingress spec's rules for @u over @ings: the class (@cls, else
 * @default_cls for Ingresses without one; NULL and NULL: all), host
 * exact before a one-label wildcard ("*.example.com") before rules
 * without a host, then the longest matching path (Prefix matched
 * element-wise, a trailing slash ignored; Exact over Prefix at the same
 * length; ImplementationSpecific as Prefix), then the defaultBackend.
 * Every rule is a candidate with why it lost.  -ENOMEM only.
 */
int knet_ingress_match(const struct knet_ingress *const *ings, int n,
		       const char *cls, const char *default_cls,
		       const struct knet_url *u,
		       struct knet_ingress_match **ret, struct knet_error *err);
void knet_ingress_match_free(struct knet_ingress_match *m);
/* "won", "class", "host", ... */
const char *knet_ingress_verdict_name(enum knet_ingress_verdict v);
/*
 * The ready endpoints ("IP:PORT", once each) of rule @p's backend:
 * Service @svc (NULL: not found) with endpoints @se (NULL: none), only
 * those of the service port the rule names.  *@ret_note says why the
 * backend cannot serve (no such Service, no such port, no ready
 * endpoint), NULL when it can.  -ENOMEM only.
 */
int knet_ingress_backend_ready(const struct knet_ingress_path *p,
			       const struct knet_service *svc,
			       const struct knet_service_endpoints *se,
			       struct knet_strv *ret_ready,
			       const char **ret_note);

/* --- knet diagnose: which layer explains a failure --- */

/* The layers, in the order diagnose runs them. */
enum knet_diag_layer {
	KNET_DIAG_RESOLVE,   /* FROM and TO exist, Running, Ready, IPs */
	KNET_DIAG_DNS,	     /* the name, resolved as FROM would */
	KNET_DIAG_POLICY,    /* what the NetworkPolicies say */
	KNET_DIAG_SERVICE,   /* svc trace: selector, ports, endpoints */
	KNET_DIAG_REACH,     /* probes from FROM's namespace */
	KNET_DIAG_PATH,	     /* traceroute, on failure */
	KNET_DIAG_CONNTRACK, /* FROM's node's entries for the flow */
	KNET_DIAG_PACKETS,   /* what a capture saw, on failure */
	KNET_DIAG_NLAYERS,
};

enum knet_diag_status {
	KNET_DIAG_SKIP, /* not run: not asked, not needed, no budget */
	KNET_DIAG_OK,
	KNET_DIAG_WARN,
	KNET_DIAG_FAIL,
};

/* "resolve", "dns", ... (the JSON words); -1 / NULL for unknown. */
const char *knet_diag_layer_name(enum knet_diag_layer l);
int knet_diag_layer_parse(const char *name);
/* "OK", "FAIL", "WARN", "SKIP". */
const char *knet_diag_status_name(enum knet_diag_status s);
int knet_diag_status_parse(const char *name);

/* What a capture of the failing flow showed, most telling last. */
enum knet_diag_packets {
	KNET_DIAG_PKT_NONE,	     /* nothing classified */
	KNET_DIAG_PKT_ANSWERED,	     /* the flow was answered */
	KNET_DIAG_PKT_NO_ANSWER,     /* SYN / datagram with no answer */
	KNET_DIAG_PKT_DNS_NO_ANSWER, /* DNS queries with no response */
	KNET_DIAG_PKT_RST,	     /* refused by a RST */
	KNET_DIAG_PKT_UNREACH,	     /* ICMP unreachable */
	KNET_DIAG_PKT_PROHIBITED,    /* ICMP administratively prohibited */
	KNET_DIAG_PKT_FRAG_NEEDED,   /* ICMP fragmentation needed */
};

const char *knet_diag_packets_name(enum knet_diag_packets k);

/*
 * What a capture in FROM's namespace saw of the flow from @src (FROM's
 * IP) to @dst:@dport (0: any port; ICMP probes), from its decoded
 * packets (@d, @n), in order.  An ICMP error (by the decoder's words)
 * and a RST beat an answer; requests without any answer are
 * NO_ANSWER (DNS_NO_ANSWER for port 53).
 */
enum knet_diag_packets knet_diag_packets_classify(const struct knet_decoded *d,
						  int n, const char *src,
						  const char *dst, int dport);

/* One layer's result: what the checklist shows. */
struct knet_diag_result {
	enum knet_diag_status status;
	char evidence[512];
	long long time_us;
};

/* Everything the verdict reads. */
struct knet_diag_in {
	const char *from;   /* as given ("client/client") */
	const char *to;	    /* as given, with the port */
	const char *svc;    /* "ns/name" when TO is (or names) a Service */
	const char *name;   /* the DNS name when TO is one */
	const char *to_pod; /* "ns/name" when TO is a pod */
	struct knet_diag_result r[KNET_DIAG_NLAYERS];
	bool policy_denies;	     /* the policy layer says denied */
	enum knet_ping_status reach; /* the best outcome of the probes */
	/* Small probes answered, full-size DF ones vanished without a
	 * frag-needed: an MTU black hole. */
	bool mtu_black_hole;
	const char *mtu_dst; /* where those went, NULL: TO */
	enum knet_diag_packets packets;
};

struct knet_diag_verdict {
	bool problem; /* exit 1 */
	int layer;    /* the layer that explains it, -1: none */
	char reason[640];
	char next[320]; /* the next command to run, "" when none */
	bool contradiction;
};

/*
 * The first layer that explains what happened: a failed resolve, dns or
 * service layer; a denying policy (and, when the connection succeeded
 * anyway, the contradiction: the CNI does not enforce it); then for a
 * failed reachability an MTU black hole, the refusal itself (svc
 * trace's warning when there is one), a capture that saw an ICMP error
 * or a RST, the path where traceroute stops, what conntrack holds, the
 * capture's silence; a stale conntrack entry even when the probes got
 * through.  Pure, for table-driven tests.
 */
void knet_diag_verdict(const struct knet_diag_in *in,
		       struct knet_diag_verdict *ret);

#endif
