/* SPDX-License-Identifier: MIT */
#ifndef KNET_POLICY_H
#define KNET_POLICY_H

/*
 * The NetworkPolicy engine: would traffic from A reach B, according to
 * the API objects and the semantics of the Kubernetes NetworkPolicy
 * spec, and which policy and rule say so.  Pure: it reads models
 * (lib/objects) and does no I/O, so the live cluster, manifests and the
 * unit tests go through the same code.  It says what the objects mean;
 * whether the CNI enforces them is another matter.
 *
 * A connection has two halves: egress (the policies of FROM's namespace
 * that select FROM) and ingress (those of TO's namespace that select
 * TO).  It is allowed when both halves allow it.  A half whose pod no
 * policy of that direction selects is not isolated and allows all.
 */

#include <stdbool.h>

#include "knet/base.h"
#include "knet/objects.h"

/* What the engine looks at; borrowed, must outlive the index. */
struct knet_policy_world {
	struct knet_namespace *const *namespaces;
	int nnamespaces;
	struct knet_pod *const *pods;
	int npods;
	struct knet_netpol *const *netpols;
	int nnetpols;
	struct knet_service *const *services;
	int nservices;
	struct knet_node *const *nodes;
	int nnodes;
	struct knet_service_endpoints *const *endpoints;
	int nendpoints;
};

struct knet_policy;

/*
 * Index @w once: namespace labels (with kubernetes.io/metadata.name,
 * which API servers since 1.21 set on every namespace), and for each pod
 * the policies that select it in each direction.
 */
int knet_policy_new(const struct knet_policy_world *w, struct knet_policy **ret,
		    struct knet_error *err);
void knet_policy_free(struct knet_policy *p);

/* One end of a connection: a pod, or an address outside pod policy. */
struct knet_policy_end {
	int pod; /* index in the world's pods, -1: an address */
	const struct knet_pod *p;
	struct knet_cidr addr; /* the pod's first IP, the IP or CIDR */
	bool has_addr;
	char label[320]; /* "ns/name", "198.51.100.7", "node/node-a" */
	int port;	 /* svc/ backends: the target port there, 0 none */
};

/* A target resolved: one end, or a Service's backends. */
struct knet_policy_target {
	struct knet_policy_end *ends;
	int n;
	const struct knet_service *service; /* svc/NAME, else NULL */
	const struct knet_service_port *service_port;
	/* "EndpointSlice", "Endpoints" or "selector": where backends came from */
	const char *backends;
};

/*
 * Resolve "NS/NAME", "NAME" (in @default_ns), "svc/NAME" (its backends:
 * the ready endpoints of its EndpointSlices or Endpoints when the world
 * has them, else the pods its selector picks with the service port @port
 * mapped to its targetPort on each), "node/NAME" (its first InternalIP),
 * an IP or a CIDR.  -ENOENT/KNET_EXIT_NOT_FOUND for an unknown pod, Service or
 * node; -EINVAL/KNET_EXIT_USAGE for an unknown service port.
 */
int knet_policy_resolve(const struct knet_policy *p, const char *spec,
			const char *default_ns, const char *port,
			struct knet_policy_target *ret, struct knet_error *err);
void knet_policy_target_clear(struct knet_policy_target *t);

/*
 * Split "TARGET[:PORT[/PROTO]]" into its parts (malloc'd @ret_target,
 * @ret_port NULL when absent) and the protocol ("TCP" default, "UDP",
 * "SCTP").  An IPv6 address takes a port only in brackets.  -EINVAL.
 */
int knet_policy_split_target(const char *s, char **ret_target, char **ret_port,
			     char ret_proto[8]);

/* What allowed a half: a policy's rule, peer and port. */
struct knet_policy_match {
	const struct knet_netpol *policy;
	int rule;
	int peer;	 /* -1: the rule has no peers (every peer) */
	int port;	 /* -1: the rule has no ports (every port) */
	char *peer_text; /* "namespaceSelector team=a", "all peers" */
	char *port_text; /* "80/TCP", "all ports" */
};

/* Why an isolating policy did not allow it: its closest rule. */
struct knet_policy_denial {
	const struct knet_netpol *policy;
	int rule;     /* -1: the policy has no rule for this direction */
	char *reason; /* "port 8080 not in [80]" */
};

struct knet_policy_half {
	bool applies;	  /* false: not a pod, or host network */
	const char *note; /* why it does not apply (static), or NULL */
	bool isolated;
	bool allowed;
	const struct knet_netpol **policies; /* those isolating the pod */
	int npolicies;
	struct knet_policy_match *matched; /* one per allowing policy */
	int nmatched;
	struct knet_policy_denial *denied; /* one per isolating policy */
	int ndenied;
};

struct knet_policy_verdict {
	bool allowed;
	int port; /* the destination port, 0: every port */
	char protocol[8];
	struct knet_policy_half egress, ingress;
};

/*
 * The verdict for @from -> @to on @port (a number or a named port of
 * @to's containers; NULL: the question is every port, which only rules
 * without ports answer) and @protocol.  A named port @to does not have
 * is -ENOENT/KNET_EXIT_NOT_FOUND.
 */
int knet_policy_check(const struct knet_policy *p,
		      const struct knet_policy_end *from,
		      const struct knet_policy_end *to, const char *port,
		      const char *protocol, struct knet_policy_verdict *ret,
		      struct knet_error *err);
void knet_policy_verdict_clear(struct knet_policy_verdict *v);

/*
 * The same verdict without the reasons, for the matrix: 1 allowed, 0
 * denied, -ENOENT when @to has no such named port.
 */
int knet_policy_allowed(const struct knet_policy *p,
			const struct knet_policy_end *from,
			const struct knet_policy_end *to, const char *port,
			const char *protocol);

/* The end for pod @i of the world (for the matrix). */
void knet_policy_pod_end(const struct knet_policy *p, int i,
			 struct knet_policy_end *ret);

/*
 * The pods (indexes in the world's pods, @ret_idx holds npods) that @np
 * selects, and those the peers of its rule @rule (ingress or egress)
 * match now, host-network pods only through ipBlocks; -1 when the rule
 * has no peers (everything matches).  Returns the count.
 */
int knet_policy_selected(const struct knet_policy *p,
			 const struct knet_netpol *np, int *ret_idx);
int knet_policy_rule_pods(const struct knet_policy *p,
			  const struct knet_netpol *np, bool ingress, int rule,
			  int *ret_idx);

/*
 * A label query as `-l` takes it ("app=web,tier!=db,env,!debug") as a
 * selector; -EINVAL.
 */
int knet_policy_parse_query(const char *q, struct knet_selector *ret);
bool knet_selector_matches(const struct knet_selector *s,
			   const struct knet_labels *labels);

#endif
