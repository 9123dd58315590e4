/* SPDX-License-Identifier: MIT */
/*
 * Table statistics: the count and the limit (IPCTNL_MSG_CT_GET_STATS),
 * and the per-CPU counters (IPCTNL_MSG_CT_GET_STATS_CPU, a dump with one
 * message per CPU, the CPU number in nfgenmsg.res_id).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netlink-internal.h"

static const enum knet_nla_kind global_policy[CTA_STATS_GLOBAL_MAX + 1] = {
	[CTA_STATS_GLOBAL_ENTRIES] = KNET_NLA_U32,
	[CTA_STATS_GLOBAL_MAX_ENTRIES] = KNET_NLA_U32,
};

static const enum knet_nla_kind cpu_policy[CTA_STATS_MAX + 1] = {
	[CTA_STATS_FOUND] = KNET_NLA_U32,
	[CTA_STATS_INVALID] = KNET_NLA_U32,
	[CTA_STATS_INSERT] = KNET_NLA_U32,
	[CTA_STATS_INSERT_FAILED] = KNET_NLA_U32,
	[CTA_STATS_DROP] = KNET_NLA_U32,
	[CTA_STATS_EARLY_DROP] = KNET_NLA_U32,
	[CTA_STATS_ERROR] = KNET_NLA_U32,
	[CTA_STATS_SEARCH_RESTART] = KNET_NLA_U32,
	[CTA_STATS_CLASH_RESOLVE] = KNET_NLA_U32,
	[CTA_STATS_CHAIN_TOOLONG] = KNET_NLA_U32,
};

/* The attributes of a stats message after its nfgenmsg, or -EBADMSG. */
static int stats_attrs(const struct nlmsghdr *nlh, uint16_t type,
		       const struct nlattr **tb, int max,
		       const enum knet_nla_kind *policy, struct knet_error *err)
{
	size_t plen = knet_nlmsg_payload_len(nlh);

	if (nlh->nlmsg_type != CT_MSG(type))
		return 0;
	if (plen < sizeof(struct nfgenmsg) ||
	    ct_attrs((const char *)knet_nlmsg_payload(nlh) +
			     sizeof(struct nfgenmsg),
		     plen - sizeof(struct nfgenmsg), tb, max, policy, NULL) < 0)
		return knet_error_set(err, -EBADMSG, KNET_EXIT_SYSTEM,
				      "malformed conntrack statistics from "
				      "the kernel");
	return 1;
}

static uint32_t u32_of(const struct nlattr *a)
{
	return a ? ntohl(knet_nla_u32(a)) : 0;
}

struct global_state {
	uint32_t count, max;
	bool got;
	struct knet_error *err;
};

static int global_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTA_STATS_GLOBAL_MAX + 1];
	struct global_state *st = data;
	int r;

	r = stats_attrs(nlh, IPCTNL_MSG_CT_GET_STATS, tb, CTA_STATS_GLOBAL_MAX,
			global_policy, st->err);
	if (r <= 0)
		return r;
	st->count = u32_of(tb[CTA_STATS_GLOBAL_ENTRIES]);
	st->max = u32_of(tb[CTA_STATS_GLOBAL_MAX_ENTRIES]);
	st->got = true;
	return 0;
}

/* Send a request with no attributes and run it through @fn. */
static int simple_request(struct knet_ct *ct, uint16_t type, uint16_t flags,
			  int (*fn)(const struct nlmsghdr *nlh, void *data),
			  void *data, const char *what, struct knet_error *err)
{
	unsigned char buf[256];
	struct nlmsghdr *nlh;
	bool kernel;
	int r;

	nlh = ct_msg_start(ct, buf, type, flags, AF_UNSPEC);
	r = ct_send(ct->req, nlh, err);
	if (r < 0)
		return r;
	r = ct_run(ct->req, ct->rbuf, CT_REQ_BUF, nlh->nlmsg_seq, fn, data,
		   &kernel, err);
	if (r < 0 && kernel)
		return ct_error(err, r, what);
	return r;
}

int ct_stats_global(struct knet_ct *ct, uint32_t *ret_count, uint32_t *ret_max,
		    struct knet_error *err)
{
	struct global_state st = {.err = err};
	int r;

	r = simple_request(ct, IPCTNL_MSG_CT_GET_STATS, NLM_F_ACK, global_msg,
			   &st, "conntrack statistics", err);
	if (r < 0)
		return r;
	if (!st.got)
		return knet_error_set(err, -EBADMSG, KNET_EXIT_SYSTEM,
				      "conntrack statistics: no answer from "
				      "the kernel");
	*ret_count = st.count;
	*ret_max = st.max;
	return 0;
}

static void add(struct knet_ct_cpu_stats *sum,
		const struct knet_ct_cpu_stats *c)
{
	sum->found += c->found;
	sum->invalid += c->invalid;
	sum->insert += c->insert;
	sum->insert_failed += c->insert_failed;
	sum->drop += c->drop;
	sum->early_drop += c->early_drop;
	sum->error += c->error;
	sum->search_restart += c->search_restart;
	sum->clash_resolve += c->clash_resolve;
	sum->chaintoolong += c->chaintoolong;
}

struct cpu_state {
	struct knet_ct_stats *s;
	int cap;
	struct knet_error *err;
};

static int cpu_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTA_STATS_MAX + 1];
	const struct nfgenmsg *nfg = knet_nlmsg_payload(nlh);
	struct cpu_state *st = data;
	struct knet_ct_cpu_stats *c;
	int r;

	r = stats_attrs(nlh, IPCTNL_MSG_CT_GET_STATS_CPU, tb, CTA_STATS_MAX,
			cpu_policy, st->err);
	if (r <= 0)
		return r;
	if (st->s->ncpus == st->cap) {
		int cap = st->cap ? st->cap * 2 : 16;
		void *v = realloc(st->s->cpus, (size_t)cap * sizeof(*c));

		if (!v)
			return knet_error_set(st->err, -ENOMEM,
					      KNET_EXIT_SYSTEM,
					      "out of memory");
		st->s->cpus = v;
		st->cap = cap;
	}
	c = &st->s->cpus[st->s->ncpus++];
	memset(c, 0, sizeof(*c));
	c->cpu = ntohs(nfg->res_id);
	c->found = u32_of(tb[CTA_STATS_FOUND]);
	c->invalid = u32_of(tb[CTA_STATS_INVALID]);
	c->insert = u32_of(tb[CTA_STATS_INSERT]);
	c->insert_failed = u32_of(tb[CTA_STATS_INSERT_FAILED]);
	c->drop = u32_of(tb[CTA_STATS_DROP]);
	c->early_drop = u32_of(tb[CTA_STATS_EARLY_DROP]);
	c->error = u32_of(tb[CTA_STATS_ERROR]);
	c->search_restart = u32_of(tb[CTA_STATS_SEARCH_RESTART]);
	c->clash_resolve = u32_of(tb[CTA_STATS_CLASH_RESOLVE]);
	c->chaintoolong = u32_of(tb[CTA_STATS_CHAIN_TOOLONG]);
	add(&st->s->total, c);
	return 0;
}

int knet_ct_stats_get(struct knet_ct *ct, struct knet_ct_stats **ret,
		      struct knet_error *err)
{
	struct knet_ct_stats *s = calloc(1, sizeof(*s));
	struct cpu_state st = {s, 0, err};
	int r;

	if (!s)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	r = ct_stats_global(ct, &s->count, &s->max, err);
	if (r < 0)
		goto fail;
	r = simple_request(ct, IPCTNL_MSG_CT_GET_STATS_CPU, NLM_F_DUMP, cpu_msg,
			   &st, "conntrack per-cpu statistics", err);
	if (r < 0)
		goto fail;
	*ret = s;
	return 0;
fail:
	knet_ct_stats_free(s);
	return r;
}

void knet_ct_stats_free(struct knet_ct_stats *s)
{
	if (!s)
		return;
	free(s->cpus);
	free(s);
}
