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

#include "knet/nlmsg.h"
#include "knet/node.h"

struct addr_acc {
	char **v;
	int n;
};

void knet_addrs_free(char **v, int n)
{
	if (!v)
		return;
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
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

/* One RTM_NEWADDR: its address into @data when it is one we show. */
static int addr_msg(const struct nlmsghdr *nlh, void *data)
{
	struct addr_acc *acc = data;
	const struct nlattr *tb[IFA_MAX + 1] = {0}, *a;
	const struct ifaddrmsg *ifa = knet_nlmsg_payload(nlh);
	size_t plen = knet_nlmsg_payload_len(nlh);
	char buf[INET6_ADDRSTRLEN];
	char **nv;

	if (nlh->nlmsg_type != RTM_NEWADDR || plen < sizeof(*ifa) ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return 0;
	knet_nla_for_each(a, (const char *)ifa + NLMSG_ALIGN(sizeof(*ifa)),
			  plen - NLMSG_ALIGN(sizeof(*ifa)))
	{
		if (knet_nla_type(a) <= IFA_MAX)
			tb[knet_nla_type(a)] = a;
	}
	/* IFA_LOCAL is the address itself on point-to-point links. */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a || knet_nla_len(a) < (ifa->ifa_family == AF_INET ? 4u : 16u))
		return 0;
	if (!addr_wanted(ifa->ifa_family, knet_nla_payload(a)) ||
	    !inet_ntop(ifa->ifa_family, knet_nla_payload(a), buf, sizeof(buf)))
		return 0;
	nv = realloc(acc->v, (size_t)(acc->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	acc->v = nv;
	acc->v[acc->n] = strdup(buf);
	if (!acc->v[acc->n])
		return -ENOMEM;
	acc->n++;
	return 0;
}

static int dump_addrs(struct knet_nl *nl, char ***ret_addrs, int *ret_n,
		      struct knet_error *err)
{
	/* The kernel fills a dump's datagrams to what we read with. */
	unsigned char buf[8192];
	struct addr_acc acc = {0};
	struct knet_nl_run st;
	struct nlmsghdr *nlh;
	struct rtgenmsg *rt;
	uint32_t seq = (uint32_t)time(NULL);
	int r;

	nlh = knet_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rt = knet_nlmsg_put_extra(nlh, sizeof(*rt));
	rt->rtgen_family = AF_UNSPEC;
	if (knet_nl_send(nl, nlh, nlh->nlmsg_len) < 0)
		return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
				      "netlink send: %s", strerror(errno));
	/* A dump the kernel marks interrupted is refused, not half read. */
	st = (struct knet_nl_run){.fn = addr_msg,
				  .data = &acc,
				  .portid = nl->portid,
				  .seq = seq,
				  .intr_fails = true,
				  .err = err};
	r = knet_nl_run(nl, buf, sizeof(buf), &st);
	if (r == 0)
		r = st.error;
	if (r < 0) {
		knet_addrs_free(acc.v, acc.n);
		/* A malformed datagram: knet_nl_run() has said so. */
		if (r == -EBADMSG && !st.kernel)
			return r;
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "netlink address dump: %s", strerror(-r));
	}
	*ret_addrs = acc.v;
	*ret_n = acc.n;
	return 0;
}

static int open_nl(struct knet_nl **ret, struct knet_error *err)
{
	struct knet_nl *nl = knet_nl_open(NETLINK_ROUTE, 0);

	if (!nl)
		return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
				      "netlink socket: %s", strerror(errno));
	*ret = nl;
	return 0;
}

int knet_netns_addrs_self(char ***ret_addrs, int *ret_n, struct knet_error *err)
{
	struct knet_nl *nl = NULL;
	int r;

	r = open_nl(&nl, err);
	if (r < 0)
		return r;
	r = dump_addrs(nl, ret_addrs, ret_n, err);
	knet_nl_close(nl);
	return r;
}

int knet_netns_addrs(int fd, char ***ret_addrs, int *ret_n,
		     struct knet_error *err)
{
	struct knet_netns_saved saved;
	struct knet_nl *nl = NULL;
	int r;

	r = knet_netns_enter(fd, &saved, err);
	if (r < 0)
		return r;
	r = open_nl(&nl, err);
	knet_netns_leave(&saved);
	if (r < 0)
		return r;
	r = dump_addrs(nl, ret_addrs, ret_n, err);
	knet_nl_close(nl);
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
