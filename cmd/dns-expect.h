/* SPDX-License-Identifier: MIT */
#ifndef KNET_DNS_EXPECT_H
#define KNET_DNS_EXPECT_H

/*
 * What the API says a name should resolve to (knet dns): the Service's
 * ClusterIP, a headless Service's ready endpoints, a pod's address.
 * The meaning of the name is lib/analysis's (knet_dns_intent_of); this
 * only asks the API.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "knet/analysis.h"

struct dns_expect {
	bool known;		/* the API has a say about this name */
	bool exists;		/* ... and the object is there */
	struct knet_strv addrs; /* the addresses of the asked family */
	char what[512];		/* "svc web/web ClusterIP 198.18.133.100" */
};

/* @api may be NULL: then nothing is known. */
void dns_expect(struct knet_api *api, const struct knet_dns_intent *in,
		uint16_t type, struct dns_expect *ret);
void dns_expect_clear(struct dns_expect *ex);

/*
 * When nameserver @ip is a Service's ClusterIP: "it is svc NS/NAME, which
 * has no ready endpoints" into @buf ("" when the API knows nothing).
 */
void dns_server_owner(struct knet_api *api, const char *ip, char *buf,
		      size_t size);

#endif
