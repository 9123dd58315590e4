/* SPDX-License-Identifier: MIT */
/*
 * The addresses of a namespace, by RTM_GETADDR over rtnetlink.
 *
 * The netlink socket is opened inside the namespace and used from home:
 * a socket belongs to the namespace it was created in, so the thread
 * spends as little time as possible away.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "knet/node.h"

struct addr_acc {
	char **v;
	int n;
	int err;
};

void knet_addrs_free(char **v, int n)
{
	if (!v)
		return;
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int addr_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFA_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

static bool addr_wanted(int family, const void *a)
{
	if (family == AF_INET) {
		const unsigned char *b = a;

		/* 127/8 and 169.254/16 say nothing about a pod. */
		return b[0] != 127 && !(b[0] == 169 && b[1] == 254);
	}
	const struct in6_addr *in6 = a;

	return !IN6_IS_ADDR_LOOPBACK(in6) && !IN6_IS_ADDR_LINKLOCAL(in6);
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFA_MAX + 1] = {0};
	struct addr_acc *acc = data;
	struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	char buf[INET6_ADDRSTRLEN];
	char **nv;

	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb);
	/* IFA_LOCAL is the address itself on point-to-point links. */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a)
		return MNL_CB_OK;
	if (mnl_attr_get_payload_len(a) <
	    (ifa->ifa_family == AF_INET ? 4u : 16u))
		return MNL_CB_OK;
	if (!addr_wanted(ifa->ifa_family, mnl_attr_get_payload(a)))
		return MNL_CB_OK;
	if (!inet_ntop(ifa->ifa_family, mnl_attr_get_payload(a), buf,
		       sizeof(buf)))
		return MNL_CB_OK;
	nv = realloc(acc->v, (acc->n + 1) * sizeof(*nv));
	if (!nv)
		goto oom;
	acc->v = nv;
	acc->v[acc->n] = strdup(buf);
	if (!acc->v[acc->n])
		goto oom;
	acc->n++;
	return MNL_CB_OK;
oom:
	acc->err = -ENOMEM;
	return MNL_CB_ERROR;
}

static int dump_addrs(struct mnl_socket *nl, char ***ret_addrs, int *ret_n,
		      struct knet_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct addr_acc acc = {0};
	struct nlmsghdr *nlh;
	struct rtgenmsg *rt;
	unsigned int seq = (unsigned int)time(NULL), portid;
	ssize_t len;
	int r;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtgen_family = AF_UNSPEC;
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
				      "netlink send: %s", strerror(errno));
	for (;;) {
		len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (len < 0) {
			r = -errno;
			goto fail;
		}
		r = mnl_cb_run(buf, len, seq, portid, addr_cb, &acc);
		if (r <= MNL_CB_STOP)
			break;
	}
	if (r < 0) {
		r = acc.err ? acc.err : -errno;
		goto fail;
	}
	*ret_addrs = acc.v;
	*ret_n = acc.n;
	return 0;
fail:
	knet_addrs_free(acc.v, acc.n);
	return knet_error_set(err, r, KNET_EXIT_SYSTEM,
			      "netlink address dump: %s", strerror(-r));
}

static int open_nl(struct mnl_socket **ret, struct knet_error *err)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);

	if (!nl)
		return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
				      "netlink socket: %s", strerror(errno));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int r = -errno;

		mnl_socket_close(nl);
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "netlink bind: %s", strerror(-r));
	}
	*ret = nl;
	return 0;
}

int knet_netns_addrs_self(char ***ret_addrs, int *ret_n, struct knet_error *err)
{
	struct mnl_socket *nl;
	int r;

	r = open_nl(&nl, err);
	if (r < 0)
		return r;
	r = dump_addrs(nl, ret_addrs, ret_n, err);
	mnl_socket_close(nl);
	return r;
}

int knet_netns_addrs(int fd, char ***ret_addrs, int *ret_n,
		     struct knet_error *err)
{
	struct knet_netns_saved saved;
	struct mnl_socket *nl;
	int r;

	r = knet_netns_enter(fd, &saved, err);
	if (r < 0)
		return r;
	r = open_nl(&nl, err);
	knet_netns_leave(&saved);
	if (r < 0)
		return r;
	r = dump_addrs(nl, ret_addrs, ret_n, err);
	mnl_socket_close(nl);
	return r;
}

bool knet_addrs_contain(char *const *addrs, int n, const char *ip)
{
	unsigned char want[16], have[16];
	int family = strchr(ip, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(family, ip, want) != 1)
		return false;
	for (int i = 0; i < n; i++)
		if (inet_pton(family, addrs[i], have) == 1 &&
		    memcmp(want, have, family == AF_INET ? 4 : 16) == 0)
			return true;
	return false;
}

int knet_node_ip_is_local(const char *ip, bool *ret_local,
			  struct knet_error *err)
{
	unsigned char buf[16];
	char **addrs;
	int n, r;

	if (inet_pton(strchr(ip, ':') ? AF_INET6 : AF_INET, ip, buf) != 1)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "'%s' is not an IP address", ip);
	r = knet_netns_addrs_self(&addrs, &n, err);
	if (r < 0)
		return r;
	*ret_local = knet_addrs_contain(addrs, n, ip);
	knet_addrs_free(addrs, n);
	return 0;
}
