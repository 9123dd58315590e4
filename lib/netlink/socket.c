/* SPDX-License-Identifier: MIT */
/*
 * ctnetlink sockets and the one receive loop every request uses.
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

/* The first failure is the one reported; later ones only end the run. */
static int first_error(int *saved, int code)
{
	if (!*saved)
		*saved = code;
	return *saved;
}

static int run_msg(const struct nlmsghdr *nlh, struct ct_run_state *st)
{
	const struct nlmsgerr *e;
	int r;

	switch (nlh->nlmsg_type) {
	case NLMSG_NOOP:
	case NLMSG_OVERRUN:
		return 0;
	case NLMSG_DONE:
		/* A dump that failed half-way says why in NLMSG_DONE. */
		if (knet_nlmsg_payload_len(nlh) >= sizeof(int)) {
			int code;

			memcpy(&code, knet_nlmsg_payload(nlh), sizeof(code));
			if (code < 0 && !st->error) {
				st->error = code;
				st->kernel = true;
			}
		}
		return 1;
	case NLMSG_ERROR:
		if (knet_nlmsg_payload_len(nlh) < sizeof(*e)) {
			if (!st->error)
				knet_error_set(st->err, -EBADMSG,
					       KNET_EXIT_SYSTEM,
					       "malformed netlink error "
					       "message from the kernel");
			first_error(&st->error, -EBADMSG);
			return 1;
		}
		e = knet_nlmsg_payload(nlh);
		if (e->error < 0 && !st->error) {
			st->error = e->error;
			st->kernel = true;
		}
		return 1;
	}
	if (st->fn && !st->error && !st->stop) {
		r = st->fn(nlh, st->data);
		if (r < 0)
			first_error(&st->error, r);
		else if (r > 0)
			st->stop = true;
	}
	return 0;
}

bool ct_run_datagram(struct ct_run_state *st, const unsigned char *buf, int len)
{
	const struct nlmsghdr *nlh;
	int left = len;

	for (nlh = (const void *)buf; knet_nlmsg_ok(nlh, left);
	     nlh = knet_nlmsg_next(nlh, &left)) {
		/* Answers to an earlier, abandoned request. */
		if (!knet_nlmsg_answers(nlh, st->seq, st->portid))
			continue;
		if (run_msg(nlh, st))
			return true;
	}
	/* Bytes that are no whole message: malformed datagram. */
	if (left > 0 && !st->error) {
		st->error = -EBADMSG;
		knet_error_set(st->err, -EBADMSG, KNET_EXIT_SYSTEM,
			       "malformed netlink message from the kernel "
			       "(%d stray bytes)",
			       left);
	}
	return false;
}

bool ct_datagram_ends(const unsigned char *buf, int len, unsigned int portid,
		      unsigned int seq)
{
	const struct nlmsghdr *nlh;
	int left = len;

	for (nlh = (const void *)buf; knet_nlmsg_ok(nlh, left);
	     nlh = knet_nlmsg_next(nlh, &left))
		if (knet_nlmsg_answers(nlh, seq, portid) &&
		    (nlh->nlmsg_type == NLMSG_DONE ||
		     nlh->nlmsg_type == NLMSG_ERROR))
			return true;
	return false;
}

int ct_run_recv_error(struct ct_run_state *st, int r)
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
	struct ct_run_state st = {.fn = fn,
				  .data = data,
				  .err = err,
				  .portid = nl->portid,
				  .seq = seq};
	bool done = false;
	ssize_t n;

	if (ret_kernel)
		*ret_kernel = false;
	while (!done) {
		n = knet_nl_recv(nl, buf, buflen);
		if (n < 0) {
			int r = -errno;

			if (r == -EINTR)
				continue;
			return ct_run_recv_error(&st, r);
		}
		done = ct_run_datagram(&st, buf, (int)n);
	}
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
