/* SPDX-License-Identifier: MIT */
#ifndef KNET_KUBE_PROXY_H
#define KNET_KUBE_PROXY_H

/*
 * kube-proxy's rules on this node (the namespace we are in), as knet
 * svc trace and knet diagnose read them: `iptables-save -t nat` and
 * `-t filter` parsed by lib/analysis (knet_ipt_parse), and which mode
 * kube-proxy is in.  Runs programs, so it is root's work, done before
 * privileges are dropped.
 */

#include <cjson/cJSON.h>

#include "cmd.h"
#include "knet/analysis.h"

struct kube_proxy_rules {
	/* "iptables" with ipt set; "ipvs", "nftables"; NULL: not read. */
	const char *mode;
	struct knet_ipt *ipt;
	char *nat, *filter;
};

/* Read them; a warning naming @node when iptables-save cannot run. */
void kube_proxy_read(struct knet_ctx *ctx, const char *node,
		     struct kube_proxy_rules *ret);
void kube_proxy_clear(struct kube_proxy_rules *r);

/*
 * For a remote run without an API: the rules as read, one JSON line
 * ({"event":"rules","mode":...,"nat":...,"filter":...}) on stdout, and
 * that line back into @r at the caller, parsed there as
 * kube_proxy_read does (0, or -ENOMEM).
 */
int kube_proxy_send(struct knet_ctx *ctx, const struct kube_proxy_rules *r);
int kube_proxy_take(struct kube_proxy_rules *r, const cJSON *o);

#endif
