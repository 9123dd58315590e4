/* SPDX-License-Identifier: MIT */
/*
 * The command table: one line per command, in the order `knet help`
 * lists them.  Each command lives in cmd/cmd-<name>.c.
 */
#include <stddef.h>

#include "cmd.h"

extern const struct knet_cmd knet_cmd_pods;
extern const struct knet_cmd knet_cmd_services;
extern const struct knet_cmd knet_cmd_endpoints;
extern const struct knet_cmd knet_cmd_nodes;
extern const struct knet_cmd knet_cmd_netpol;
extern const struct knet_cmd knet_cmd_ingress;
extern const struct knet_cmd knet_cmd_who;
extern const struct knet_cmd knet_cmd_netns;
extern const struct knet_cmd knet_cmd_exec;
extern const struct knet_cmd knet_cmd_diagnose;
extern const struct knet_cmd knet_cmd_ping;
extern const struct knet_cmd knet_cmd_traceroute;
extern const struct knet_cmd knet_cmd_conntrack;
extern const struct knet_cmd knet_cmd_shell;
extern const struct knet_cmd knet_cmd_agent;
extern const struct knet_cmd knet_cmd_capture;
extern const struct knet_cmd knet_cmd_policy;
extern const struct knet_cmd knet_cmd_dns;
extern const struct knet_cmd knet_cmd_flows;
extern const struct knet_cmd knet_cmd_help;
extern const struct knet_cmd knet_cmd_version;
extern const struct knet_cmd knet_cmd_completion;
extern const struct knet_cmd knet_cmd_complete;
extern const struct knet_cmd knet_cmd_k8s_exec;

const struct knet_cmd *const knet_commands[] = {
	/* cluster (API only) */
	&knet_cmd_pods,
	&knet_cmd_services,
	&knet_cmd_endpoints,
	&knet_cmd_nodes,
	&knet_cmd_netpol,
	&knet_cmd_ingress,
	&knet_cmd_who,
	/* node (enters the pod's network namespace) */
	&knet_cmd_netns,
	&knet_cmd_exec,
	&knet_cmd_ping,
	&knet_cmd_traceroute,
	&knet_cmd_conntrack,
	&knet_cmd_capture,
	&knet_cmd_flows,
	/* analysis */
	&knet_cmd_policy,
	&knet_cmd_diagnose,
	&knet_cmd_dns,
	/* other */
	&knet_cmd_shell,
	&knet_cmd_agent,
	&knet_cmd_completion,
	&knet_cmd_version,
	&knet_cmd_help,
	&knet_cmd_complete,
	&knet_cmd_k8s_exec,
	NULL,
};
