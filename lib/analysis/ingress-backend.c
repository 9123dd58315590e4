/* SPDX-License-Identifier: MIT */
/*
 * Whether the winning rule's backend can serve: its Service, the port
 * the rule names (a number or a port name), and the ready endpoints of
 * that port, as the controller would pick them from EndpointSlices.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "knet/analysis.h"

int knet_ingress_backend_ready(const struct knet_ingress_path *p,
			       const struct knet_service *svc,
			       const struct knet_service_endpoints *se,
			       struct knet_strv *ret_ready,
			       const char **ret_note)
{
	const struct knet_service_port *sp = NULL;

	*ret_note = NULL;
	if (!p->service)
		return 0; /* a resource backend: nothing to count */
	if (!svc) {
		*ret_note = "the backend Service does not exist";
		return 0;
	}
	sp = p->port ? knet_service_find_port(svc, p->port) : NULL;
	if (p->port && !sp)
		*ret_note = "the backend Service has no such port";
	for (int i = 0; se && i < se->n; i++) {
		const struct knet_endpoint *e = &se->eps[i];
		char ep[96];
		/* a slice's port is named after the Service port it is for */
		bool of_port = !sp || !e->port_name || !sp->name ||
			       !strcmp(e->port_name, sp->name);

		snprintf(ep, sizeof(ep), "%s:%d", e->ip, e->port);
		if (e->ready && of_port && !knet_strv_contains(ret_ready, ep) &&
		    knet_strv_push(ret_ready, ep) < 0)
			return -ENOMEM;
	}
	if (!*ret_note && !ret_ready->n)
		*ret_note = "the backend Service has no ready endpoint";
	return 0;
}
