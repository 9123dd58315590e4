/* SPDX-License-Identifier: MIT */
#ifndef KNET_DIAGNOSE_H
#define KNET_DIAGNOSE_H

/*
 * knet diagnose, shared by its three files: cmd-diagnose.c (the
 * command, the checklist), diagnose-api.c (the layers that ask the API)
 * and diagnose-node.c (the layers that run from FROM's network
 * namespace and FROM's node, on the node pipeline).  Every layer's
 * logic is lib/'s; these files gather inputs, keep time and fill the
 * checklist.
 */

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "knet/analysis.h"
#include "knet/capture.h"
#include "knet/netlink.h"
#include "knet/policy.h"
#include "kube-proxy.h"
#include "node-common.h"

/* Packets kept from the capture for the classification. */
#define DIAG_MAX_PACKETS 64

struct diag {
	const struct knet_args *args;
	const char *from; /* as given */
	const char *to;	  /* as given */
	char *to_target;  /* TO without the port */
	char *port;	  /* NULL: none */
	char proto[8];	  /* "TCP", "UDP" */
	char *svc_ns;	  /* the Service (given, by DNS or Ingress) */
	char *svc_name;
	char *dns_name; /* TO is a DNS name */
	/* TO is a name outside the cluster: looked up from FROM, probed
	 * at the first address it gave (ext_ip). */
	bool external;
	char ext_ip[64];
	char *probe; /* the pipeline's target */
	char *from_ns;
	char svc_label[320];
	char to_pod[320];	 /* "ns/name" when TO is a pod */
	const char *remote_node; /* set when the checks ran there */
	unsigned layers;	 /* 1 << enum knet_diag_layer */
	double budget;		 /* seconds, total */
	bool no_capture;
	long long t0;
	long long deadline;
	struct knet_diag_in in;
	struct knet_diag_verdict v;
	bool done[KNET_DIAG_NLAYERS]; /* result set (else SKIP) */
	cJSON *extra;		      /* per-layer details for JSON */
	char from_ip[46];
	char from_node[64];

	/* The API's objects (prepare). */
	struct knet_service *svc;
	struct knet_endpoints_list *eps;
	struct knet_ct_service *cts;
	struct kube_proxy_rules kp; /* FROM's node's */

	/* FROM's namespace and node (diagnose-node.c). */
	struct knet_ping_opts po;
	struct knet_ping *ping;
	struct knet_ping_opts bo; /* full-size DF echoes: the path MTU */
	struct knet_ping *big;
	char big_dst[46];
	struct knet_trace_opts tro;
	struct knet_trace *trace;
	struct knet_ct *ct;
	struct knet_ct_events *ctev;
	struct knet_capture *cap;
	struct knet_resolv_conf conf;
	bool have_conf;
	struct knet_dns_plan *plan;
	struct knet_dns_client *dns;
	struct knet_decoded *pkts;
	int npkts;
	unsigned long stale, dumped;
	char stale_text[256]; /* the first stale entry */

	/* Remote: the document the other node's knet sent. */
	cJSON *remote;
	/*
	 * Through a transport without an API: the remote run (--no-api,
	 * node_only) does FROM's namespace and node, and sends kube-proxy's
	 * rules raw; this end (judge_here) does the API layers with them
	 * (kp_given) and the verdict.
	 */
	bool node_only, judge_here, kp_given;
};

/* Whether @l is to run (--layers). */
bool diag_wants(const struct diag *d, enum knet_diag_layer l);
/* Set layer @l's result: status, evidence (printf), time since @t0. */
void diag_set(struct diag *d, enum knet_diag_layer l, enum knet_diag_status st,
	      long long t0, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Microseconds left of the total budget (0 when none is left). */
long long diag_left_us(const struct diag *d);

/* The pipeline's callbacks for the namespace layers (diagnose-node.c). */
int diag_node_prepare(struct knet_ctx *ctx, struct knet_node_job *job);
int diag_node_open(struct knet_ctx *ctx, struct knet_node_job *job);
int diag_node_run(struct knet_ctx *ctx, struct knet_node_job *job);
void diag_node_free(struct diag *d);

/*
 * An external TO, in prepare: the dns layer run from FROM's namespace,
 * then job->tg made of its answer.  1 when it gave none (the dns layer
 * says why), else 0 or < 0 with job->err.
 */
int diag_external_resolve(struct knet_ctx *ctx, struct knet_node_job *job);
/* job->tg of d->ext_ip with TO's port and protocol: 0 or < 0 (job->err). */
int diag_external_target(struct knet_ctx *ctx, struct knet_node_job *job);

/* The API layers (diagnose-api.c), in prepare: resolve, policy, service. */
int diag_api_layers(struct knet_ctx *ctx, struct knet_node_job *job);
/* "NS/NAME" or "NAME" (in @def) into malloc'd parts. */
void diag_split_ns(const char *spec, const char *def, char **ret_ns,
		   char **ret_name);
/* Before the pipeline: what TO names, into the probe's target. */
int diag_interpret_to(struct knet_ctx *ctx, struct diag *d);
/* Before the pipeline: 1 when FROM or a pod TO does not run (said). */
int diag_ends_run(struct knet_ctx *ctx, struct diag *d);

#endif
