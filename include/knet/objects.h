/* SPDX-License-Identifier: MIT */
#ifndef KNET_OBJECTS_H
#define KNET_OBJECTS_H

/*
 * Object models: the parts of pods, services, endpoints, nodes, network
 * policies and ingresses that knet uses, copied out of the API objects
 * so that the JSON pages can be freed while listing.
 *
 * Every list function takes @ns (NULL: all namespaces) and list options
 * (selectors; may be NULL), and returns a list owned by the caller.
 */

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "knet/api.h"
#include "knet/base.h"
#include "knet/kubeconfig.h"

/* Labels (or any string map), in API order. */
struct knet_labels {
	struct knet_kv *kv;
	int n;
};

int knet_labels_from_json(const cJSON *obj, struct knet_labels *ret);
void knet_labels_clear(struct knet_labels *l);
const char *knet_labels_get(const struct knet_labels *l, const char *key);
/* {"k":"v",...} (owned by the caller), NULL on ENOMEM. */
cJSON *knet_labels_to_json(const struct knet_labels *l);
/* "k=v,k2=v2", "" when empty; malloc'd. */
char *knet_labels_format(const struct knet_labels *l);
/* Whether every pair of @selector is in @labels (a Service selector). */
bool knet_labels_match(const struct knet_labels *selector,
		       const struct knet_labels *labels);
/*
 * A LabelSelector (matchLabels + matchExpressions) as kubectl writes it:
 * "app=web,tier in (a,b),!x"; "" for the empty selector. malloc'd.
 */
char *knet_selector_format(const cJSON *selector);

/* Common object metadata. */
struct knet_meta {
	char *namespace; /* NULL for cluster-scoped objects */
	char *name;
	char *uid;
	long long created; /* seconds since the epoch, 0 unknown */
	bool deleting;	   /* has a deletionTimestamp */
	struct knet_labels labels;
};

int knet_meta_from_json(const cJSON *obj, struct knet_meta *ret);
void knet_meta_clear(struct knet_meta *m);

/* --- pods --- */

struct knet_container_port {
	char *container;
	char *name; /* NULL when unnamed */
	int port;
	int host_port;	  /* 0 when none */
	char protocol[8]; /* TCP, UDP, SCTP */
};

struct knet_pod {
	struct knet_meta meta;
	char *node;   /* spec.nodeName, NULL when unscheduled */
	char *phase;  /* Pending, Running, Succeeded, Failed, Unknown */
	char *status; /* kubectl's STATUS column (reason, waiting...) */
	char *host_ip;
	struct knet_strv ips; /* status.podIPs (else podIP) */
	bool host_network;
	bool ready; /* the Ready condition */
	int containers_ready;
	int containers;
	int restarts;
	struct knet_container_port *ports;
	int nports;
	char *owner_kind; /* controller owner, NULL when none */
	char *owner_name;
	char *service_account;
	char **container_ids; /* "containerd://abc...", NULL-terminated */
};

struct knet_pod_list {
	struct knet_pod **items;
	int n;
	char *resource_version;
};

int knet_pod_from_json(const cJSON *item, struct knet_pod **ret);
void knet_pod_free(struct knet_pod *p);
/* -ENOENT / KNET_EXIT_NOT_FOUND when there is no such pod. */
int knet_pod_get(struct knet_api *api, const char *ns, const char *name,
		 struct knet_pod **ret, struct knet_error *err);
int knet_pod_list(struct knet_api *api, const char *ns,
		  const struct knet_list_opts *opts, struct knet_pod_list **ret,
		  struct knet_error *err);
void knet_pod_list_free(struct knet_pod_list *l);
/* The pod that has @ip (podIPs), NULL when none. */
const struct knet_pod *knet_pod_list_find_ip(const struct knet_pod_list *l,
					     const char *ip);

/* --- services --- */

struct knet_service_port {
	char *name;
	char protocol[8];
	int port;
	int node_port;	   /* 0 when none */
	char *target_port; /* "8080" or a port name; NULL: same as port */
	char *app_protocol;
};

struct knet_service {
	struct knet_meta meta;
	char *type; /* ClusterIP, NodePort, LoadBalancer, ExternalName */
	struct knet_strv cluster_ips;  /* empty or ["None"] when headless */
	struct knet_strv external_ips; /* spec.externalIPs */
	struct knet_strv lb_ingress;   /* status.loadBalancer ip/hostname */
	char *external_name;
	struct knet_service_port *ports;
	int nports;
	struct knet_labels selector;
	bool has_selector;
	bool headless;
	char *session_affinity;
	char *external_traffic_policy;
};

struct knet_service_list {
	struct knet_service **items;
	int n;
};

int knet_service_from_json(const cJSON *item, struct knet_service **ret);
void knet_service_free(struct knet_service *s);
int knet_service_get(struct knet_api *api, const char *ns, const char *name,
		     struct knet_service **ret, struct knet_error *err);
int knet_service_list(struct knet_api *api, const char *ns,
		      const struct knet_list_opts *opts,
		      struct knet_service_list **ret, struct knet_error *err);
void knet_service_list_free(struct knet_service_list *l);
/* The port of @svc named or numbered @port ("http", "80"), or NULL. */
const struct knet_service_port *knet_service_find_port(
	const struct knet_service *svc, const char *port);
/*
 * Whether @port can name a Service's port at all: a number 1-65535 or
 * a DNS-1123 label (the API's rule for port names).  0, or -EINVAL
 * with a usage error (exit 2) saying so; checked before the API is
 * asked which ports the Service has.
 */
int knet_service_port_check(const char *port, struct knet_error *err);

/* --- endpoints (EndpointSlices, Endpoints as fallback) --- */

struct knet_endpoint {
	char *ip;
	char *hostname;
	char *node;   /* NULL when the API does not say */
	char *pod_ns; /* targetRef when it is a Pod */
	char *pod_name;
	bool ready;
	bool serving;
	bool terminating;
	char *port_name; /* NULL when unnamed */
	int port;	 /* 0: the slice has no ports */
	char protocol[8];
};

struct knet_service_endpoints {
	char *namespace;
	char *service;
	const char *source;	   /* "EndpointSlice" or "Endpoints" (static) */
	struct knet_endpoint *eps; /* one per address and port */
	int n;
};

struct knet_endpoints_list {
	struct knet_service_endpoints **items; /* sorted by ns, name */
	int n;
	const char *source; /* what the API offered */
};

/*
 * Endpoints of @service (NULL: every Service) in @ns (NULL: all).
 * EndpointSlices from discovery.k8s.io/v1, then v1beta1, else the core
 * Endpoints (also when slices are forbidden).  A Service whose slice or
 * Endpoints object lists no address has an entry with n == 0; one with
 * no such object is absent.
 */
int knet_endpoints_list(struct knet_api *api, const char *ns,
			const char *service, const struct knet_list_opts *opts,
			struct knet_endpoints_list **ret,
			struct knet_error *err);
void knet_endpoints_list_free(struct knet_endpoints_list *l);
/* The entry for ns/service, or NULL. */
const struct knet_service_endpoints *knet_endpoints_list_find(
	const struct knet_endpoints_list *l, const char *ns,
	const char *service);
/* Parse one EndpointSlice (v1 or v1beta1) or one Endpoints object. */
int knet_endpoints_add_slice(struct knet_service_endpoints *se,
			     const cJSON *slice);
int knet_endpoints_add_endpoints(struct knet_service_endpoints *se,
				 const cJSON *endpoints);
void knet_service_endpoints_free(struct knet_service_endpoints *se);

/* --- nodes --- */

struct knet_node {
	struct knet_meta meta;
	bool ready;
	char *ready_reason; /* when not ready */
	struct knet_strv internal_ips;
	struct knet_strv external_ips;
	char *hostname;
	struct knet_strv pod_cidrs;
	bool unschedulable;
	char *kubelet_version;
	struct knet_strv roles; /* node-role.kubernetes.io/<role> labels */
};

struct knet_node_list {
	struct knet_node **items;
	int n;
};

int knet_node_from_json(const cJSON *item, struct knet_node **ret);
void knet_node_free(struct knet_node *n);
int knet_node_get(struct knet_api *api, const char *name,
		  struct knet_node **ret, struct knet_error *err);
int knet_node_list(struct knet_api *api, const struct knet_list_opts *opts,
		   struct knet_node_list **ret, struct knet_error *err);
void knet_node_list_free(struct knet_node_list *l);

/* --- label selectors --- */

enum knet_selector_op {
	KNET_SEL_IN, /* matchLabels k: v is In with one value */
	KNET_SEL_NOT_IN,
	KNET_SEL_EXISTS,
	KNET_SEL_DOES_NOT_EXIST,
};

struct knet_selector_req {
	char *key;
	enum knet_selector_op op;
	struct knet_strv values;
};

/* A LabelSelector: every requirement must hold; none selects all. */
struct knet_selector {
	struct knet_selector_req *reqs;
	int n;
	char *text; /* knet_selector_format(): "app=web,!x"; "" when empty */
};

/*
 * Parse a LabelSelector; -EINVAL with "FIELD.matchExpressions[1]
 * .operator: ..." in @err (@field names where it sits) for what the API
 * server would refuse.  NULL @json is the empty selector.
 */
int knet_selector_parse(const cJSON *json, const char *field,
			struct knet_selector *ret, struct knet_error *err);
void knet_selector_clear(struct knet_selector *s);
/*
 * A label selector as typed ("app=web,tier in (a,b),!x"), checked as the
 * API server would parse it: 0, or -EINVAL with a usage error (exit 2)
 * in @err.  An empty one is refused too (it would select everything).
 */
int knet_selector_text_check(const char *sel, struct knet_error *err);

/* --- namespaces --- */

struct knet_namespace {
	struct knet_meta meta;
};

struct knet_namespace_list {
	struct knet_namespace **items;
	int n;
};

int knet_namespace_from_json(const cJSON *item, struct knet_namespace **ret);
void knet_namespace_free(struct knet_namespace *ns);
int knet_namespace_list(struct knet_api *api, const struct knet_list_opts *opts,
			struct knet_namespace_list **ret,
			struct knet_error *err);
void knet_namespace_list_free(struct knet_namespace_list *l);

/* --- network policies --- */

/* One entry of a rule's ports. */
struct knet_netpol_port {
	char protocol[8]; /* TCP (the default), UDP, SCTP */
	int port;	  /* 0: every port of the protocol (or named) */
	int end_port;	  /* 0: none; else port..end_port inclusive */
	char *name;	  /* a named port, resolved per destination pod */
};

/*
 * One peer of a rule's from/to: podSelector and namespaceSelector
 * (both in one peer: AND), or an ipBlock.
 */
struct knet_netpol_peer {
	bool has_pods, has_namespaces;
	struct knet_selector pods;
	struct knet_selector namespaces;
	char *cidr; /* ipBlock.cidr, NULL when not an ipBlock */
	struct knet_strv except;
	struct knet_cidr block;		 /* @cidr, parsed */
	struct knet_cidr *except_blocks; /* @except, parsed */
};

struct knet_netpol_rule {
	struct knet_netpol_peer *peers; /* n == 0: every peer */
	int npeers;
	struct knet_netpol_port *ports; /* n == 0: every port */
	int nports;
};

struct knet_netpol {
	struct knet_meta meta;
	char *pod_selector; /* knet_selector_format(), "" selects all */
	bool ingress;	    /* policyTypes has Ingress */
	bool egress;
	int ingress_rules; /* -1 when the type is absent */
	int egress_rules;
	cJSON *spec; /* the whole spec, for policy analysis */
	/* The spec, parsed (knet_netpol_parse). */
	struct knet_selector selector;
	struct knet_netpol_rule *in; /* ingress rules, n_in of them */
	int n_in;
	struct knet_netpol_rule *out; /* egress rules */
	int n_out;
};

struct knet_netpol_list {
	struct knet_netpol **items;
	int n;
};

int knet_netpol_from_json(const cJSON *item, struct knet_netpol **ret);
/*
 * Like knet_netpol_from_json(), and -EINVAL with "FIELD: problem" in
 * @err ("spec.ingress[0].ports[1].port: not a number or a name") for a
 * spec the API server would refuse (manifests from files).
 */
int knet_netpol_parse(const cJSON *item, struct knet_netpol **ret,
		      struct knet_error *err);
void knet_netpol_free(struct knet_netpol *p);
int knet_netpol_get(struct knet_api *api, const char *ns, const char *name,
		    struct knet_netpol **ret, struct knet_error *err);
int knet_netpol_list(struct knet_api *api, const char *ns,
		     const struct knet_list_opts *opts,
		     struct knet_netpol_list **ret, struct knet_error *err);
void knet_netpol_list_free(struct knet_netpol_list *l);

/* --- ingresses --- */

struct knet_ingress_path {
	char *host; /* NULL: any host */
	char *path; /* NULL: any path */
	char *path_type;
	char *service;	 /* backend Service, NULL for a resource backend */
	char *port;	 /* "80" or a port name */
	char *resource;	 /* "Kind/name" for a resource backend */
	bool is_default; /* spec.defaultBackend (no host, no path) */
};

struct knet_ingress {
	struct knet_meta meta;
	char *class_name; /* spec.ingressClassName or the annotation */
	struct knet_strv hosts;
	struct knet_strv addresses;	 /* status.loadBalancer ip/hostname */
	struct knet_ingress_path *paths; /* the default backend comes last */
	int npaths;
	struct knet_strv tls_hosts;
	/* the secretName of each tls_hosts entry's block, "" when none */
	struct knet_strv tls_secrets;
};

struct knet_ingress_list {
	struct knet_ingress **items;
	int n;
};

/* Either networking.k8s.io/v1 or v1beta1 (serviceName/servicePort). */
int knet_ingress_from_json(const cJSON *item, struct knet_ingress **ret);
void knet_ingress_free(struct knet_ingress *i);
int knet_ingress_get(struct knet_api *api, const char *ns, const char *name,
		     struct knet_ingress **ret, struct knet_error *err);
int knet_ingress_list(struct knet_api *api, const char *ns,
		      const struct knet_list_opts *opts,
		      struct knet_ingress_list **ret, struct knet_error *err);
void knet_ingress_list_free(struct knet_ingress_list *l);
/*
 * Like knet_ingress_from_json(), and -EINVAL with "FIELD: problem" in
 * @err ("spec.rules[0].http.paths[1].pathType: not Exact, Prefix or
 * ImplementationSpecific") for what the API server would refuse.
 */
int knet_ingress_parse(const cJSON *item, struct knet_ingress **ret,
		       struct knet_error *err);

/* --- ingress classes --- */

struct knet_ingress_class {
	struct knet_meta meta;
	char *controller; /* spec.controller, NULL when none */
	/* ingressclass.kubernetes.io/is-default-class: "true" */
	bool is_default;
};

struct knet_ingress_class_list {
	struct knet_ingress_class **items;
	int n;
};

int knet_ingress_class_from_json(const cJSON *item,
				 struct knet_ingress_class **ret);
void knet_ingress_class_free(struct knet_ingress_class *c);
int knet_ingress_class_list(struct knet_api *api,
			    struct knet_ingress_class_list **ret,
			    struct knet_error *err);
void knet_ingress_class_list_free(struct knet_ingress_class_list *l);
/* The name of the first class marked default, or NULL. */
const char *knet_ingress_class_default(const struct knet_ingress_class_list *l);

/* --- who owns an address --- */

/*
 * Who owns an address: a pod (its IP), a Service (cluster IP, external
 * IP or load-balancer IP), a Service endpoint (an address in its
 * EndpointSlices, with the Service named), or a node (internal or
 * external IP).  One address may have several owners: a pod that backs
 * two Services, a host-network pod on a node.
 *
 * For one address, knet_who() asks the API directly.  For many (naming
 * the hops of a traceroute), build a knet_who_index once and look up in
 * it without further requests.
 */

enum knet_who_kind {
	KNET_WHO_POD,
	KNET_WHO_SERVICE,
	KNET_WHO_ENDPOINT,
	KNET_WHO_NODE,
};

struct knet_who_match {
	enum knet_who_kind kind;
	char *namespace; /* NULL for nodes */
	char *name;	 /* pod, Service or node name */
	char *node;	 /* pod: its node; endpoint: its node if known */
	/*
	 * What the address is to it: pod "podIP"/"hostNetwork"; service
	 * "clusterIP", "externalIP", "loadBalancer"; endpoint the pod name
	 * behind it or NULL; node "InternalIP", "ExternalIP".
	 */
	char *detail;
	bool ready; /* pod: Ready condition; endpoint: ready; node: Ready */
};

struct knet_who {
	char *ip;
	struct knet_who_match *m;
	int n;
};

/* The kind as a word: "pod", "service", "endpoint", "node". */
const char *knet_who_kind_name(enum knet_who_kind kind);

/*
 * Everything the API knows about @ip.  *ret has n == 0 when nothing is
 * known (not an error: the command turns it into exit 3).  -EINVAL for
 * a string that is not an IP address.
 */
int knet_who(struct knet_api *api, const char *ip, struct knet_who **ret,
	     struct knet_error *err);
void knet_who_free(struct knet_who *w);

struct knet_who_index;

/* Load pods, Services, endpoints and nodes of all namespaces once. */
int knet_who_index_new(struct knet_api *api, struct knet_who_index **ret,
		       struct knet_error *err);
void knet_who_index_free(struct knet_who_index *idx);
/* The same over objects of a manifest (declared below), borrowed: @m
 * must outlive the index.  -ENOMEM. */
struct knet_manifest;
int knet_who_index_of_manifest(const struct knet_manifest *m,
			       struct knet_who_index **ret);
/* Like knet_who(), from the index; -EINVAL for a bad IP, -ENOMEM. */
int knet_who_index_lookup(const struct knet_who_index *idx, const char *ip,
			  struct knet_who **ret);
/*
 * A short name for a traceroute hop: "pod web/web-1", "svc web/web",
 * "node node-a"; NULL when nothing is known.  malloc'd.
 */
char *knet_who_index_label(const struct knet_who_index *idx, const char *ip);
/*
 * The backend @ip:@port of a flow DNAT'd from @svc_ip:@svc_port (a
 * Service's cluster, external or load-balancer IP), named among THAT
 * Service's endpoints: "pod NS/NAME" when the endpoint names its pod,
 * else "endpoint NS/SVC".  An address may be an endpoint of several
 * Services (the API server's address behind "kubernetes" and a manual
 * DNS endpoint); by IP alone the first would be said.  NULL when no
 * Service of @svc_ip has that endpoint.  malloc'd.
 */
char *knet_who_index_backend_label(const struct knet_who_index *idx,
				   const char *svc_ip, int svc_port,
				   const char *ip, int port);

/* --- manifests (-f FILE|DIR|-) --- */

/*
 * Objects read from files instead of the API: Namespaces, Pods,
 * Services (with their EndpointSlices or Endpoints), Nodes,
 * NetworkPolicies, Ingresses and IngressClasses (other kinds are
 * skipped and counted).  YAML or JSON, several documents per file,
 * `v1 List`s, and directories read recursively (*.yaml, *.yml, *.json, in name order).
 * A malformed document fails the load with "FILE: document N: FIELD:
 * PROBLEM" in the error (usage class: exit 2).
 */
struct knet_manifest {
	struct knet_namespace_list namespaces;
	struct knet_pod_list pods;
	struct knet_service_list services;
	struct knet_node_list nodes;
	struct knet_netpol_list netpols;
	/* EndpointSlices and Endpoints, one entry per Service (merged). */
	struct knet_endpoints_list endpoints;
	int skipped; /* objects of other kinds */
	int ndocs;
	struct knet_ingress_list ingresses;
	struct knet_ingress_class_list ingress_classes;
};

struct knet_manifest *knet_manifest_new(void);
void knet_manifest_free(struct knet_manifest *m);
/*
 * Load @path ("-": stdin) into @m; objects without a namespace go to
 * @default_ns.  An object already in @m with the same kind, namespace
 * and name is replaced (the later file wins).
 */
int knet_manifest_load(struct knet_manifest *m, const char *path,
		       const char *default_ns, struct knet_error *err);
/* The same for text in memory; @name stands for the file in errors. */
int knet_manifest_load_text(struct knet_manifest *m, const char *name,
			    const char *text, size_t len,
			    const char *default_ns, struct knet_error *err);
/*
 * Load each of @paths (@n of them) and lay it over @m with
 * knet_manifest_merge(): a later file wins over an earlier one, and
 * every file over what @m held (the cluster, for --cluster -f).
 */
int knet_manifest_load_over(struct knet_manifest *m, const char *const *paths,
			    int n, const char *default_ns,
			    struct knet_error *err);
/*
 * Move every object of @src into @dst, replacing those with the same
 * kind, namespace and name (--cluster -f: the files win).  @src is left
 * empty.
 */
int knet_manifest_merge(struct knet_manifest *dst, struct knet_manifest *src,
			struct knet_error *err);

/* What knet_manifest_fetch() could not list (403): it went on without. */
enum {
	KNET_MANIFEST_NO_NAMESPACES = 1 << 0,
	KNET_MANIFEST_NO_SERVICES = 1 << 1,
	KNET_MANIFEST_NO_NODES = 1 << 2,
};

/*
 * Fill an empty @m from the API (all namespaces): pods and
 * NetworkPolicies must list; namespaces, Services (and their
 * endpoints) and nodes may fail,
 * which *@ret_missing reports.
 */
int knet_manifest_fetch(struct knet_api *api, struct knet_manifest *m,
			unsigned *ret_missing, struct knet_error *err);
/*
 * The same for the namespaces @nss (@n, repeats ignored) only, with
 * every namespace (their labels) and no nodes: what a verdict between
 * pods of those namespaces reads (policies that select them and the
 * peers they name), without listing a large cluster's every pod.
 */
int knet_manifest_fetch_in(struct knet_api *api, struct knet_manifest *m,
			   const char *const *nss, int n, unsigned *ret_missing,
			   struct knet_error *err);

#endif
