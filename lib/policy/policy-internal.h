/* SPDX-License-Identifier: MIT */
#ifndef KNET_POLICY_INTERNAL_H
#define KNET_POLICY_INTERNAL_H

/* Shared by the files of lib/policy; not public. */

#include <stddef.h>

#include "knet/policy.h"

struct policy_ns {
	const char *name;
	struct knet_labels labels; /* with kubernetes.io/metadata.name */
};

struct policy_pod {
	const struct policy_ns *ns;
	/* Policies of its namespace selecting it, per direction. */
	const struct knet_netpol **in, **out;
	int nin, nout;
};

struct knet_policy {
	struct knet_policy_world w;
	struct policy_ns *ns;
	int nns;
	struct policy_pod *pods;
};

/* The namespace entry called @name, NULL when none (no pod, no object). */
const struct policy_ns *policy_ns_find(const struct knet_policy *p,
				       const char *name);

/*
 * Whether @s selects @labels; when not and @why is set, the first
 * requirement that fails: "has app=db", "has no label app", "has
 * label debug=1".
 */
bool policy_selector_why(const struct knet_selector *s,
			 const struct knet_labels *labels, char *why,
			 size_t len);

/*
 * Whether peer @pe of @np matches the other end @o; on a miss @why (WHY
 * bytes, may be NULL) says why and *@score how close it came.
 */
#define POLICY_WHY 512
bool policy_peer_match(const struct knet_policy *p,
		       const struct knet_netpol *np,
		       const struct knet_netpol_peer *pe,
		       const struct knet_policy_end *o, char *why, int *score);

#endif
