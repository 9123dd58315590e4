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

#endif
