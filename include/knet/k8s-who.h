/* SPDX-License-Identifier: MIT */
#ifndef KNET_K8S_WHO_H
#define KNET_K8S_WHO_H

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

#include "knet/error.h"
#include "knet/k8s.h"

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
/* Like knet_who(), from the index; -EINVAL for a bad IP, -ENOMEM. */
int knet_who_index_lookup(const struct knet_who_index *idx, const char *ip,
			  struct knet_who **ret);
/*
 * A short name for a traceroute hop: "pod web/web-1", "svc web/web",
 * "node node-a"; NULL when nothing is known.  malloc'd.
 */
char *knet_who_index_label(const struct knet_who_index *idx, const char *ip);

#endif
