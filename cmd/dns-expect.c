/* SPDX-License-Identifier: MIT */
/* What the API says a name should resolve to (see dns-expect.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dns-expect.h"
#include "knet/decode.h"
#include "knet/objects.h"

static bool of_family(const char *ip, uint16_t type)
{
	unsigned char b[16];

	if (type == KNET_DNS_AAAA)
		return inet_pton(AF_INET6, ip, b) == 1;
	return inet_pton(AF_INET, ip, b) == 1;
}

static bool address_type(uint16_t type)
{
	return type == KNET_DNS_A || type == KNET_DNS_AAAA;
}

/* Ready endpoints of ns/svc (with hostname @host when set). */
static int ready_endpoints(struct knet_api *api, const char *ns,
			   const char *svc, const char *host, uint16_t type,
			   struct knet_strv *out, int *ret_all)
{
	struct knet_endpoints_list *l = NULL;
	const struct knet_service_endpoints *se;
	struct knet_error err = {0};
	int all = 0;

	if (knet_endpoints_list(api, ns, svc, NULL, &l, &err) < 0)
		return -1;
	se = knet_endpoints_list_find(l, ns, svc);
	for (int i = 0; se && i < se->n; i++) {
		const struct knet_endpoint *e = &se->eps[i];

		if (host && (!e->hostname || strcmp(e->hostname, host)))
			continue;
		all++;
		/* one entry per address and port: each address once */
		if (e->ready && of_family(e->ip, type) &&
		    !knet_strv_contains(out, e->ip))
			knet_strv_push(out, e->ip);
	}
	knet_endpoints_list_free(l);
	*ret_all = all;
	return 0;
}

static void service(struct knet_api *api, const struct knet_dns_intent *in,
		    uint16_t type, struct dns_expect *ex)
{
	struct knet_service *svc = NULL;
	struct knet_error err = {0};
	int all = 0;

	if (knet_service_get(api, in->ns, in->svc, &svc, &err) < 0) {
		/* "api.example" with no Service api in namespace example:
		 * an outside name, not a missing Service. */
		/* "api.example" with no Service api in namespace example
		 * may be an outside name; "web" or a name under the
		 * cluster domain is a missing Service. */
		if (err.code == -ENOENT && (!in->relative || in->labels == 1)) {
			ex->known = true;
			snprintf(ex->what, sizeof(ex->what), "svc %s/%s",
				 in->ns, in->svc);
		}
		return;
	}
	ex->known = address_type(type);
	ex->exists = true;
	if (svc->external_name) {
		ex->known = false;
		snprintf(ex->what, sizeof(ex->what),
			 "svc %s/%s is ExternalName %s (a CNAME)", in->ns,
			 in->svc, svc->external_name);
	} else if (svc->headless || in->kind == KNET_DNS_NAME_ENDPOINT) {
		ready_endpoints(api, in->ns, in->svc,
				in->kind == KNET_DNS_NAME_ENDPOINT ? in->host
								   : NULL,
				type, &ex->addrs, &all);
		if (in->kind == KNET_DNS_NAME_ENDPOINT)
			snprintf(ex->what, sizeof(ex->what),
				 "endpoint %s of svc %s/%s: %d ready", in->host,
				 in->ns, in->svc, ex->addrs.n);
		else
			snprintf(ex->what, sizeof(ex->what),
				 "headless svc %s/%s: %d ready endpoint%s",
				 in->ns, in->svc, ex->addrs.n,
				 ex->addrs.n == 1 ? "" : "s");
		if (in->kind == KNET_DNS_NAME_ENDPOINT && !all)
			ex->exists = false;
	} else {
		for (int i = 0; i < svc->cluster_ips.n; i++)
			if (of_family(svc->cluster_ips.v[i], type))
				knet_strv_push(&ex->addrs,
					       svc->cluster_ips.v[i]);
		snprintf(ex->what, sizeof(ex->what), "svc %s/%s ClusterIP %s",
			 in->ns, in->svc,
			 svc->cluster_ips.n ? svc->cluster_ips.v[0] : "none");
	}
	knet_service_free(svc);
}

void dns_expect(struct knet_api *api, const struct knet_dns_intent *in,
		uint16_t type, struct dns_expect *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!api)
		return;
	switch (in->kind) {
	case KNET_DNS_NAME_SERVICE:
	case KNET_DNS_NAME_ENDPOINT:
		service(api, in, type, ret);
		break;
	case KNET_DNS_NAME_POD:
		ret->known = type == KNET_DNS_A;
		ret->exists = true;
		knet_strv_push(&ret->addrs, in->pod_ip);
		snprintf(ret->what, sizeof(ret->what),
			 "pod address %s (the pod.DOMAIN schema)", in->pod_ip);
		break;
	case KNET_DNS_NAME_OTHER:
		break;
	}
}

void dns_expect_clear(struct dns_expect *ex)
{
	knet_strv_clear(&ex->addrs);
}

void dns_server_owner(struct knet_api *api, const char *ip, char *buf,
		      size_t size)
{
	struct knet_error err = {0};
	struct knet_who *w = NULL;

	buf[0] = '\0';
	if (!api || knet_who(api, ip, &w, &err) < 0)
		return;
	for (int i = 0; i < w->n; i++) {
		const struct knet_who_match *m = &w->m[i];
		struct knet_strv ready = {0};
		int all = 0;

		if (m->kind != KNET_WHO_SERVICE)
			continue;
		if (ready_endpoints(api, m->namespace, m->name, NULL,
				    strchr(ip, ':') ? KNET_DNS_AAAA
						    : KNET_DNS_A,
				    &ready, &all) == 0)
			snprintf(buf, size,
				 "it is the %s of svc %s/%s, which has %d "
				 "ready endpoint%s%s",
				 m->detail ? m->detail : "address",
				 m->namespace, m->name, ready.n,
				 ready.n == 1 ? "" : "s",
				 ready.n ? ""
					 : " (kube-proxy rejects what is "
					   "sent to it)");
		knet_strv_clear(&ready);
		break;
	}
	knet_who_free(w);
}
