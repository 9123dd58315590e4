/* SPDX-License-Identifier: MIT */
#ifndef KNET_SVC_TRACE_INTERNAL_H
#define KNET_SVC_TRACE_INTERNAL_H

/* What the layers of knet svc trace share (svc-trace*.c). */

#include "knet/analysis.h"

struct trace_ctx {
	const struct knet_svc_trace_in *in;
	struct knet_svc_trace *t;
	const struct knet_service_port **ports; /* the ones traced */
	int nports;
};

int trace_find(struct trace_ctx *c, enum knet_trace_layer l, bool problem,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void trace_set(struct trace_ctx *c, enum knet_trace_layer l,
	       enum knet_trace_status s, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Whether endpoint @e serves Service port @p (by name). */
bool trace_ep_of_port(const struct knet_endpoint *e,
		      const struct knet_service_port *p, int nports);
/* The endpoint row for ip:port, added when new; NULL on ENOMEM. */
struct knet_trace_endpoint *trace_endpoint(struct trace_ctx *c, const char *ip,
					   int port);

/* @one for each traced port, its details joined with @sep in @all. */
int trace_ports(struct trace_ctx *c,
		int (*one)(struct trace_ctx *c,
			   const struct knet_service_port *sp, char *detail,
			   size_t size),
		const char *sep, char *all, size_t size);

int trace_kube_proxy(struct trace_ctx *c);
void trace_conntrack(struct trace_ctx *c);

#endif
