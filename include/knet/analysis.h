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

#endif
