/* SPDX-License-Identifier: MIT */
/*
 * ctnetlink sockets and the receive loop every request uses (the
 * generic part of it is knet_nl_run(), lib/netlink/nl-socket.c).
 *
 * A struct knet_ct holds two sockets, both opened in the caller's
 * namespace at knet_ct_new(): one for dumps and one for everything
 * else, so that a dump callback can delete the entry it was given
 * (as conntrack -D does) while the dump is still being read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netlink-internal.h"

int ct_socket_open(unsigned int groups, struct knet_nl **ret,
		   struct knet_error *err)
{
	struct knet_nl *nl = knet_nl_open(NETLINK_NETFILTER, groups);
	int r;

	if (!nl) {
		r = -errno;
		if (r == -EPROTONOSUPPORT)
			return knet_error_set(err, r, KNET_EXIT_SYSTEM,
					      "netfilter netlink is not "
					      "available: nfnetlink is not "
					      "loaded");
		if (r == -ENOMEM)
			return knet_error_set(err, r, KNET_EXIT_SYSTEM,
					      "out of memory");
		/* The socket opened and the bind (to groups) failed. */
		if (r == -EPERM || r == -EACCES)
			return ct_error(err, r, "netlink bind");
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "netlink socket: %s", knet_errstr(r));
	}
	*ret = nl;
	return 0;
}

int ct_error(struct knet_error *err, int code, const char *what)
{
	if (code == -EPERM || code == -EACCES)
		return knet_error_set(err, -EPERM, KNET_EXIT_SYSTEM,
				      "%s: permission denied: ctnetlink "
				      "needs CAP_NET_ADMIN in this network "
				      "namespace",
				      what);
	return knet_error_set(err, code, KNET_EXIT_SYSTEM, "%s: %s", what,
			      knet_errstr(code));
}

struct nlmsghdr *ct_msg_start(struct knet_ct *ct, void *buf, uint16_t type,
			      uint16_t flags, uint8_t family)
{
	struct nlmsghdr *nlh = knet_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = CT_MSG(type);
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++ct->seq;
	nfg = knet_nlmsg_put_extra(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

int ct_send(struct knet_nl *nl, const struct nlmsghdr *nlh,
	    struct knet_error *err)
{
	if (knet_nl_send(nl, nlh, nlh->nlmsg_len) < 0)
		return ct_error(err, -errno, "netlink send");
	return 0;
}

int ct_run_recv_error(struct knet_nl_run *st, int r)
{
	/* The request is lost with its socket's state. */
	if (!st->error)
		ct_error(st->err, r, "netlink receive");
	return st->error ? st->error : r;
}

int ct_run(struct knet_nl *nl, unsigned char *buf, size_t buflen,
	   unsigned int seq, int (*fn)(const struct nlmsghdr *nlh, void *data),
	   void *data, bool *ret_kernel, struct knet_error *err)
{
	struct knet_nl_run st = {.fn = fn,
				 .data = data,
				 .err = err,
				 .portid = nl->portid,
				 .seq = seq};
	int r;

	if (ret_kernel)
		*ret_kernel = false;
	r = knet_nl_run(nl, buf, buflen, &st);
	if (r < 0)
		return ct_run_recv_error(&st, r);
	if (ret_kernel)
		*ret_kernel = st.kernel;
	return st.error;
}

static int ct_probe(struct knet_ct *ct, struct knet_error *err)
{
	uint32_t count, max;
	int r;

	r = ct_stats_global(ct, &count, &max, err);
	if (r == -EINVAL || r == -EOPNOTSUPP || r == -ENOENT) {
		/* nfnetlink answers EINVAL for a subsystem nobody loaded. */
		if (access("/proc/sys/net/netfilter/nf_conntrack_max", F_OK))
			return knet_error_set(err, -EOPNOTSUPP,
					      KNET_EXIT_SYSTEM,
					      "conntrack is not available in "
					      "this network namespace: "
					      "nf_conntrack is not loaded");
		return knet_error_set(err, -EOPNOTSUPP, KNET_EXIT_SYSTEM,
				      "conntrack is not available in this "
				      "network namespace: "
				      "nf_conntrack_netlink is not loaded");
	}
	return r;
}

int knet_ct_new(struct knet_ct **ret, struct knet_error *err)
{
	struct knet_ct *ct = calloc(1, sizeof(*ct));
	int r;

	if (!ct)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	ct->dbuf = malloc(CT_DUMP_BUF);
	ct->rbuf = malloc(CT_REQ_BUF);
	if (!ct->dbuf || !ct->rbuf) {
		r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				   "out of memory");
		goto fail;
	}
	ct->seq = (unsigned int)time(NULL) ^ ((unsigned int)getpid() << 16);
	ct->kernel = KNET_CT_KERNEL_ALL;
	r = ct_socket_open(0, &ct->dump, err);
	if (r < 0)
		goto fail;
	r = ct_socket_open(0, &ct->req, err);
	if (r < 0)
		goto fail;
	r = ct_probe(ct, err);
	if (r < 0)
		goto fail;
	*ret = ct;
	return 0;
fail:
	knet_ct_free(ct);
	return r;
}

void knet_ct_free(struct knet_ct *ct)
{
	if (!ct)
		return;
	if (ct->dump)
		knet_nl_close(ct->dump);
	if (ct->req)
		knet_nl_close(ct->req);
	free(ct->dbuf);
	free(ct->dbuf2);
	free(ct->rbuf);
	free(ct);
}

unsigned int knet_ct_kernel_filters(const struct knet_ct *ct)
{
	return ct->kernel;
}

void knet_ct_set_kernel_filters(struct knet_ct *ct, unsigned int mask)
{
	ct->kernel &= mask;
}
