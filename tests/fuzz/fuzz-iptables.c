/* SPDX-License-Identifier: MIT */
/*
 * iptables-save output as knet svc trace reads kube-proxy's rules: the
 * nat table, then the filter table after a "\n%%\n" line.  Paths are
 * followed for a fixed ClusterIP and NodePort and for the first
 * "-d IP/32 ... --dport PORT" the nat text has.
 */
#include <stdio.h>

#include "knet/analysis.h"

#include "fuzz.h"

static void follow_ip(const struct knet_ipt *t, const char *ip,
		      const char *proto, int port)
{
	struct knet_kp_path p;

	memset(&p, 0, sizeof(p));
	if (knet_kp_follow_cluster_ip(t, ip, proto, port, &p) == 0)
		knet_kp_path_clear(&p);
}

static void follow_first(const struct knet_ipt *t, const char *nat)
{
	const char *d = strstr(nat, "-d ");
	const char *dp = d ? strstr(d, "--dport ") : NULL;
	char ip[46];
	int n = 0;

	if (!dp || sscanf(d + 3, "%45[0-9a-f.:]", ip) != 1)
		return;
	n = atoi(dp + 8);
	follow_ip(t, ip, strstr(d, "-p udp") ? "udp" : "tcp", n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct knet_ipt *t = NULL;
	struct knet_error err = {0};
	struct knet_kp_path p;
	char *nat, *filter, *block;

	if (fuzz_split2(data, size, &nat, &filter, &block) < 0)
		return 0;
	if (knet_ipt_parse(nat, *filter ? filter : NULL, &t, &err) == 0) {
		knet_ipt_kube_proxy(t);
		knet_ipt_rules(t);
		follow_ip(t, "198.18.128.10", "tcp", 80);
		follow_ip(t, "198.18.128.10", "udp", 53);
		follow_first(t, nat);
		memset(&p, 0, sizeof(p));
		if (knet_kp_follow_node_port(t, "tcp", 30080, &p) == 0)
			knet_kp_path_clear(&p);
		knet_ipt_free(t);
	}
	free(block);
	return 0;
}
