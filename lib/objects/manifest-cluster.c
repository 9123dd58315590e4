/* SPDX-License-Identifier: MIT */
/*
 * The live cluster as a manifest: the same objects the files give, listed
 * from the API in every namespace, so that `--cluster -f` can lay files
 * over it with knet_manifest_merge(); or only what a question about a
 * few namespaces needs (diagnose: FROM's and TO's).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "knet/api.h"
#include "knet/objects.h"

/* Move a list's items into @dst_items (freeing the list shell). */
#define TAKE(dst, list)                                                        \
	do {                                                                   \
		(dst).items = (list)->items;                                   \
		(dst).n = (list)->n;                                           \
		(list)->items = NULL;                                          \
		(list)->n = 0;                                                 \
	} while (0)

int knet_manifest_fetch(struct knet_api *api, struct knet_manifest *m,
			unsigned *ret_missing, struct knet_error *err)
{
	struct knet_namespace_list *nsl = NULL;
	struct knet_pod_list *pl = NULL;
	struct knet_service_list *sl = NULL;
	struct knet_node_list *nl = NULL;
	struct knet_netpol_list *npl = NULL;
	struct knet_endpoints_list *el = NULL;
	struct knet_error soft = {0};
	unsigned missing = 0;
	int r;

	r = knet_pod_list(api, NULL, NULL, &pl, err);
	if (r >= 0)
		r = knet_netpol_list(api, NULL, NULL, &npl, err);
	if (r < 0)
		goto cleanup;
	/* Without these the answer is still mostly right: say, go on. */
	if (knet_namespace_list(api, NULL, &nsl, &soft) < 0)
		missing |= KNET_MANIFEST_NO_NAMESPACES;
	if (knet_service_list(api, NULL, NULL, &sl, &soft) < 0)
		missing |= KNET_MANIFEST_NO_SERVICES;
	if (!(missing & KNET_MANIFEST_NO_SERVICES) &&
	    knet_endpoints_list(api, NULL, NULL, NULL, &el, &soft) < 0)
		missing |= KNET_MANIFEST_NO_SERVICES;
	if (knet_node_list(api, NULL, &nl, &soft) < 0)
		missing |= KNET_MANIFEST_NO_NODES;
	TAKE(m->pods, pl);
	TAKE(m->netpols, npl);
	if (nsl)
		TAKE(m->namespaces, nsl);
	if (sl)
		TAKE(m->services, sl);
	if (nl)
		TAKE(m->nodes, nl);
	if (el)
		TAKE(m->endpoints, el);
	if (ret_missing)
		*ret_missing = missing;
cleanup:
	knet_pod_list_free(pl);
	knet_netpol_list_free(npl);
	knet_namespace_list_free(nsl);
	knet_service_list_free(sl);
	knet_node_list_free(nl);
	knet_endpoints_list_free(el);
	return r;
}

int knet_manifest_fetch_in(struct knet_api *api, struct knet_manifest *m,
			   const char *const *nss, int n, unsigned *ret_missing,
			   struct knet_error *err)
{
	struct knet_namespace_list *nsl = NULL;
	struct knet_error soft = {0};
	unsigned missing = KNET_MANIFEST_NO_NODES;
	int r = 0;

	for (int i = 0; i < n && r >= 0; i++) {
		struct knet_manifest *one;
		struct knet_pod_list *pl = NULL;
		struct knet_netpol_list *npl = NULL;
		struct knet_service_list *sl = NULL;
		struct knet_endpoints_list *el = NULL;
		bool seen = false;

		for (int j = 0; j < i; j++)
			seen |= !strcmp(nss[j], nss[i]);
		if (seen)
			continue;
		one = knet_manifest_new();
		if (!one)
			return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					      "out of memory");
		r = knet_pod_list(api, nss[i], NULL, &pl, err);
		if (r >= 0)
			r = knet_netpol_list(api, nss[i], NULL, &npl, err);
		if (r >= 0 &&
		    (knet_service_list(api, nss[i], NULL, &sl, &soft) < 0 ||
		     knet_endpoints_list(api, nss[i], NULL, NULL, &el, &soft) <
			     0))
			missing |= KNET_MANIFEST_NO_SERVICES;
		if (r >= 0) {
			TAKE(one->pods, pl);
			TAKE(one->netpols, npl);
			if (sl && el) {
				TAKE(one->services, sl);
				TAKE(one->endpoints, el);
			}
			r = knet_manifest_merge(m, one, err);
		}
		knet_pod_list_free(pl);
		knet_netpol_list_free(npl);
		knet_service_list_free(sl);
		knet_endpoints_list_free(el);
		knet_manifest_free(one);
	}
	if (r < 0)
		return r;
	/* Every namespace's labels: namespaceSelectors need them. */
	if (knet_namespace_list(api, NULL, &nsl, &soft) < 0)
		missing |= KNET_MANIFEST_NO_NAMESPACES;
	else
		TAKE(m->namespaces, nsl);
	knet_namespace_list_free(nsl);
	if (ret_missing)
		*ret_missing = missing;
	return 0;
}
