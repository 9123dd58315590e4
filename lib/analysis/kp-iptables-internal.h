/* SPDX-License-Identifier: MIT */
/*
 * The parsed iptables-save tables, shared by the parser (kp-iptables.c)
 * and the follow of a Service's jumps (kp-follow.c).
 */
#ifndef KNET_KP_IPTABLES_INTERNAL_H
#define KNET_KP_IPTABLES_INTERNAL_H

#include "knet/analysis.h"

struct rule {
	const char *chain;
	const char *dst;   /* -d, without "/32" */
	const char *src;   /* -s */
	bool src_not;	   /* ! -s */
	const char *proto; /* -p */
	int dport;	   /* --dport, 0 none */
	const char *jump;  /* -j */
	const char *to;	   /* --to-destination */
	double prob;	   /* --probability, 1 when none */
	bool dst_local;	   /* -m addrtype --dst-type LOCAL */
	bool src_local;	   /* --src-type LOCAL */
	int seq;	   /* its place in the text */
	int chain_id;	   /* 0.. in sorted order: the follow's memo key */
};

/* Rules sorted by chain, in text order within each: a chain is a range. */
struct table {
	struct rule *r;
	int n;
	int nchains;
};

struct knet_ipt {
	struct table nat, filter;
	char *text; /* the tokens, NUL-separated, that rules point into */
	bool has_services;
};

/* The rules of @chain: [*ret_first, *ret_first + n). */
int kp_chain_rules(const struct table *t, const char *chain,
		   const struct rule **ret_first);

#endif
