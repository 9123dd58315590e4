/* SPDX-License-Identifier: MIT */
/*
 * include/knet/nlmsg.h and lib/netlink/nl-socket.c: a message built
 * with nested attributes reads back byte for byte as the kernel's
 * layout says; every walk stops at the bytes it has (truncations,
 * lengths past the end, a last message without its padding); the size
 * checks; a socket that hears only the kernel (a datagram another
 * socket sends it is dropped, the kernel's answer comes through); and
 * the answers to a request read by knet_nl_run_datagram() (skipped
 * strays, the ends of dumps and requests, the first error, stop,
 * NLM_F_DUMP_INTR, malformed datagrams) and knet_nl_run() on a real
 * address dump.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "knet/base.h"
#include "knet/nlmsg.h"
#include "unit.h"

static void test_build_and_read(void)
{
	_Alignas(4) unsigned char buf[512];
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	struct nlattr *nest;
	const struct nlattr *a, *tb[8] = {0};
	const unsigned char bytes[3] = {1, 2, 3};
	int n = 0;

	memset(buf, 0xaa, sizeof(buf));
	nlh = knet_nlmsg_put_header(buf);
	CHECK_INT(nlh->nlmsg_len, NLMSG_HDRLEN);
	CHECK_INT(nlh->nlmsg_type, 0);
	g = knet_nlmsg_put_extra(nlh, sizeof(*g));
	CHECK_INT(g->rtgen_family, 0);
	/* one byte of family header, padded to four */
	CHECK_INT(nlh->nlmsg_len, NLMSG_HDRLEN + 4);
	knet_nla_put_u8(nlh, 1, 0x7f);
	knet_nla_put_u16(nlh, 2, 0xbeef);
	nest = knet_nla_nest_start(nlh, 3);
	knet_nla_put_u32(nlh, 1, 0xdeadbeef);
	knet_nla_put_u64(nlh, 2, 0x0102030405060708ull);
	knet_nla_nest_end(nlh, nest);
	knet_nla_put(nlh, 4, sizeof(bytes), bytes);
	/* 8 + 8 + (4 + 8 + 12) + 8 after the 20 of header and family */
	CHECK_INT(nlh->nlmsg_len, NLMSG_HDRLEN + 4 + 8 + 8 + 24 + 8);
	CHECK(nest->nla_type & NLA_F_NESTED);
	CHECK_INT(knet_nla_type(nest), 3);
	CHECK_INT(nest->nla_len, 24);
	/* padding is zero, not what the buffer held */
	CHECK_INT(buf[NLMSG_HDRLEN + 1], 0);
	CHECK_INT(buf[NLMSG_HDRLEN + 4 + 5], 0);
	CHECK_INT(buf[nlh->nlmsg_len - 1], 0);

	knet_nla_for_each(a, (char *)knet_nlmsg_payload(nlh) + 4,
			  knet_nlmsg_payload_len(nlh) - 4)
	{
		if (knet_nla_type(a) < 8)
			tb[knet_nla_type(a)] = a;
		n++;
	}
	CHECK_INT(n, 4);
	CHECK(tb[1] && knet_nla_check(tb[1], KNET_NLA_U8, 0));
	CHECK(tb[1] && knet_nla_u8(tb[1]) == 0x7f);
	CHECK(tb[2] && knet_nla_check(tb[2], KNET_NLA_U16, 0));
	CHECK(tb[2] && knet_nla_u16(tb[2]) == 0xbeef);
	CHECK(tb[3] && knet_nla_check(tb[3], KNET_NLA_NESTED, 0));
	CHECK(tb[4] && knet_nla_check(tb[4], KNET_NLA_BINARY, 3));
	CHECK(tb[4] && !knet_nla_check(tb[4], KNET_NLA_BINARY, 4));
	CHECK(tb[4] && !memcmp(knet_nla_payload(tb[4]), bytes, 3));
	if (tb[3]) {
		const struct nlattr *in[3] = {0};

		n = 0;
		knet_nla_for_each(a, knet_nla_payload(tb[3]),
				  knet_nla_len(tb[3]))
		{
			if (knet_nla_type(a) < 3)
				in[knet_nla_type(a)] = a;
			n++;
		}
		CHECK_INT(n, 2);
		/* the u64 sits 4-byte aligned: read by memcpy */
		CHECK(in[2] && knet_nla_u64(in[2]) == 0x0102030405060708ull);
		CHECK(in[1] && knet_nla_u32(in[1]) == 0xdeadbeef);
		/* the wrong kind is refused by size */
		CHECK(in[1] && !knet_nla_check(in[1], KNET_NLA_U64, 0));
		CHECK(in[1] && !knet_nla_check(in[1], KNET_NLA_U16, 0));
		CHECK(in[2] && !knet_nla_check(in[2], KNET_NLA_U32, 0));
		CHECK(in[1] && knet_nla_check(in[1], KNET_NLA_ANY, 0));
	}
}

/* Every cut of a two-message datagram: only whole messages are seen. */
static void test_walk_bounds(void)
{
	_Alignas(4) unsigned char buf[256];
	struct nlmsghdr *a, *b;
	int total, len;

	memset(buf, 0, sizeof(buf));
	a = knet_nlmsg_put_header(buf);
	knet_nla_put_u8(a, 1, 1); /* 16 + 8 */
	b = knet_nlmsg_put_header(buf + NLMSG_ALIGN(a->nlmsg_len));
	knet_nla_put_u16(b, 1, 2);
	/* the last message's length without its tail padding */
	b->nlmsg_len -= 2;
	total = (int)(NLMSG_ALIGN(a->nlmsg_len) + b->nlmsg_len);
	for (len = 0; len <= total; len++) {
		const struct nlmsghdr *h = (const void *)buf;
		int left = len, seen = 0;

		for (; knet_nlmsg_ok(h, left); h = knet_nlmsg_next(h, &left))
			seen++;
		CHECK_INT(seen, len >= total ? 2 : len >= 24 ? 1 : 0);
	}
	/* a length below the header's own, or past the end */
	a->nlmsg_len = 8;
	CHECK(!knet_nlmsg_ok(a, total));
	a->nlmsg_len = 1000;
	CHECK(!knet_nlmsg_ok(a, total));
	a->nlmsg_len = 24;

	/* attributes: one whose length runs past the bytes given */
	{
		_Alignas(4) unsigned char ab[16] = {0};
		struct nlattr *x = (void *)ab;
		const struct nlattr *y;
		int n = 0;

		x->nla_len = 12;
		x->nla_type = 1;
		knet_nla_for_each(y, ab, 8) n++;
		CHECK_INT(n, 0);
		knet_nla_for_each(y, ab, 12) n++;
		CHECK_INT(n, 1);
		x->nla_len = 2; /* shorter than its own header */
		n = 0;
		knet_nla_for_each(y, ab, 16) n++;
		CHECK_INT(n, 0);
		/* a nested attribute of 1..3 bytes holds no attribute */
		x->nla_len = NLA_HDRLEN + 2;
		CHECK(!knet_nla_check(x, KNET_NLA_NESTED, 0));
		x->nla_len = NLA_HDRLEN;
		CHECK(knet_nla_check(x, KNET_NLA_NESTED, 0));
	}
}

static void test_answers(void)
{
	struct nlmsghdr h = {.nlmsg_seq = 7, .nlmsg_pid = 42};

	CHECK(knet_nlmsg_answers(&h, 7, 42));
	CHECK(!knet_nlmsg_answers(&h, 8, 42));
	CHECK(!knet_nlmsg_answers(&h, 7, 43));
	/* 0 on either side: not checked (the kernel's notifications) */
	CHECK(knet_nlmsg_answers(&h, 0, 0));
	h.nlmsg_seq = 0;
	h.nlmsg_pid = 0;
	CHECK(knet_nlmsg_answers(&h, 7, 42));
}

/* An address dump request, RTM_GETADDR for every family, as @seq. */
static struct nlmsghdr *put_getaddr(void *buf, uint32_t seq)
{
	struct nlmsghdr *nlh = knet_nlmsg_put_header(buf);
	struct rtgenmsg *rt;

	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rt = knet_nlmsg_put_extra(nlh, sizeof(*rt));
	rt->rtgen_family = AF_UNSPEC;
	return nlh;
}

/* A forged datagram from another socket is not read as the kernel's. */
static void test_socket(void)
{
	struct knet_nl *us = knet_nl_open(NETLINK_ROUTE, 0);
	struct knet_nl *other = knet_nl_open(NETLINK_ROUTE, 0);
	_Alignas(4) unsigned char buf[8192];
	struct sockaddr_nl to = {.nl_family = AF_NETLINK};
	struct nlmsghdr *nlh;
	ssize_t n;

	if (!us || !other) {
		UNIT_SKIP("nlmsg", "no rtnetlink socket here");
		knet_nl_close(us);
		knet_nl_close(other);
		return;
	}
	CHECK(us->portid != 0 && us->portid != other->portid);
	nlh = knet_nlmsg_put_header(buf);
	nlh->nlmsg_type = 0x99;
	nlh->nlmsg_seq = 1;
	to.nl_pid = us->portid;
	CHECK(sendto(other->fd, buf, nlh->nlmsg_len, 0, (void *)&to,
		     sizeof(to)) == (ssize_t)nlh->nlmsg_len);
	nlh = put_getaddr(buf, 2);
	CHECK(knet_nl_send(us, buf, nlh->nlmsg_len) == (ssize_t)nlh->nlmsg_len);
	n = knet_nl_recv(us, buf, sizeof(buf));
	CHECK(n >= (ssize_t)NLMSG_HDRLEN);
	if (n >= (ssize_t)NLMSG_HDRLEN) {
		nlh = (void *)buf;
		CHECK(nlh->nlmsg_type != 0x99);
		CHECK_INT(nlh->nlmsg_seq, 2);
	}
	/* a buffer too small for the kernel's datagram: ENOSPC, not a cut */
	nlh = put_getaddr(buf, 3);
	knet_nl_close(us);
	us = knet_nl_open(NETLINK_ROUTE, 0);
	CHECK(us && knet_nl_send(us, buf, nlh->nlmsg_len) > 0);
	errno = 0;
	CHECK(us && knet_nl_recv(us, buf, 8) < 0 && errno == ENOSPC);
	knet_nl_close(us);
	knet_nl_close(other);
	/* a bus the kernel does not have */
	errno = 0;
	CHECK(!knet_nl_open(1000, 0) && errno != 0);
}

/* Append a message of @type to @seq and port 42, with @len payload. */
static struct nlmsghdr *put_msg(unsigned char *buf, size_t *at, uint16_t type,
				uint16_t flags, uint32_t seq,
				const void *payload, size_t len)
{
	struct nlmsghdr *nlh = knet_nlmsg_put_header(buf + *at);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = 42;
	if (len)
		memcpy(knet_nlmsg_put_extra(nlh, len), payload, len);
	*at += NLMSG_ALIGN(nlh->nlmsg_len);
	return nlh;
}

struct seen {
	int n;
	uint16_t types[8];
	int ret; /* what the callback answers */
};

static int count_msg(const struct nlmsghdr *nlh, void *data)
{
	struct seen *s = data;

	if (s->n < 8)
		s->types[s->n] = nlh->nlmsg_type;
	s->n++;
	return s->ret;
}

static void test_run_datagram(void)
{
	_Alignas(4) unsigned char buf[1024];
	struct knet_error err = {0};
	struct seen seen = {0};
	struct knet_nl_run st = {.fn = count_msg,
				 .data = &seen,
				 .portid = 42,
				 .seq = 7,
				 .err = &err};
	struct nlmsgerr e = {.error = 0};
	int code = -ENOBUFS;
	size_t at = 0;

	/* strays of another request skipped, the dump's messages seen, and
	 * the request goes on until NLMSG_DONE */
	put_msg(buf, &at, 0x20, NLM_F_MULTI, 6, NULL, 0);
	put_msg(buf, &at, 0x21, NLM_F_MULTI, 7, NULL, 0);
	put_msg(buf, &at, NLMSG_NOOP, 0, 7, NULL, 0);
	put_msg(buf, &at, 0x22, NLM_F_MULTI, 7, NULL, 0);
	CHECK(!knet_nl_run_datagram(&st, buf, (int)at));
	CHECK_INT(seen.n, 2);
	CHECK_INT(seen.types[0], 0x21);
	CHECK_INT(seen.types[1], 0x22);
	at = 0;
	put_msg(buf, &at, NLMSG_DONE, NLM_F_MULTI, 7, &code, sizeof(code));
	put_msg(buf, &at, 0x23, NLM_F_MULTI, 7, NULL, 0);
	CHECK(knet_nl_run_datagram(&st, buf, (int)at));
	CHECK_INT(seen.n, 2);
	CHECK_INT(st.error, -ENOBUFS);
	CHECK(st.kernel);
	CHECK(knet_nl_datagram_ends(buf, (int)at, 42, 7));
	CHECK(!knet_nl_datagram_ends(buf, (int)at, 42, 8));
	CHECK(!knet_nl_datagram_ends(buf, (int)at, 43, 7));

	/* an ack ends a request without an error; an error is the kernel's */
	st = (struct knet_nl_run){.portid = 42, .seq = 7, .err = &err};
	at = 0;
	put_msg(buf, &at, NLMSG_ERROR, 0, 7, &e, sizeof(e));
	CHECK(knet_nl_run_datagram(&st, buf, (int)at));
	CHECK_INT(st.error, 0);
	e.error = -EPERM;
	at = 0;
	put_msg(buf, &at, NLMSG_ERROR, 0, 7, &e, sizeof(e));
	CHECK(knet_nl_run_datagram(&st, buf, (int)at));
	CHECK_INT(st.error, -EPERM);
	CHECK(st.kernel);

	/* the callback's error is the first, kept; stop drops the rest */
	seen = (struct seen){.ret = -ENOMEM};
	st = (struct knet_nl_run){.fn = count_msg,
				  .data = &seen,
				  .portid = 42,
				  .seq = 7,
				  .err = &err};
	at = 0;
	put_msg(buf, &at, 0x21, NLM_F_MULTI, 7, NULL, 0);
	put_msg(buf, &at, 0x22, NLM_F_MULTI, 7, NULL, 0);
	code = -EIO;
	put_msg(buf, &at, NLMSG_DONE, NLM_F_MULTI, 7, &code, sizeof(code));
	CHECK(knet_nl_run_datagram(&st, buf, (int)at));
	CHECK_INT(seen.n, 1);
	CHECK_INT(st.error, -ENOMEM);
	CHECK(!st.kernel);
	seen = (struct seen){.ret = 1};
	st = (struct knet_nl_run){.fn = count_msg,
				  .data = &seen,
				  .portid = 42,
				  .seq = 7,
				  .err = &err};
	CHECK(knet_nl_run_datagram(&st, buf, (int)at));
	CHECK_INT(seen.n, 1);
	CHECK(st.stop);
	CHECK_INT(st.error, -EIO);

	/* NLM_F_DUMP_INTR: -EINTR when asked, nothing seen after it */
	seen = (struct seen){0};
	st = (struct knet_nl_run){.fn = count_msg,
				  .data = &seen,
				  .portid = 42,
				  .seq = 7,
				  .intr_fails = true,
				  .err = &err};
	at = 0;
	put_msg(buf, &at, 0x21, NLM_F_MULTI, 7, NULL, 0);
	put_msg(buf, &at, 0x22, NLM_F_MULTI | NLM_F_DUMP_INTR, 7, NULL, 0);
	put_msg(buf, &at, 0x23, NLM_F_MULTI, 7, NULL, 0);
	CHECK(!knet_nl_run_datagram(&st, buf, (int)at));
	CHECK_INT(seen.n, 1);
	CHECK_INT(st.error, -EINTR);
	seen = (struct seen){0};
	st.intr_fails = false;
	st.error = 0;
	CHECK(!knet_nl_run_datagram(&st, buf, (int)at));
	CHECK_INT(seen.n, 3);
	CHECK_INT(st.error, 0);

	/* stray bytes, and an error message too short: EBADMSG, said */
	st = (struct knet_nl_run){.portid = 42, .seq = 7, .err = &err};
	at = 0;
	put_msg(buf, &at, 0x21, NLM_F_MULTI, 7, NULL, 0);
	CHECK(!knet_nl_run_datagram(&st, buf, (int)at + 6));
	CHECK_INT(st.error, -EBADMSG);
	CHECK(!st.kernel);
	CHECK(strstr(err.reason, "6 stray bytes") != NULL);
	st = (struct knet_nl_run){.portid = 42, .seq = 7, .err = &err};
	at = 0;
	put_msg(buf, &at, NLMSG_ERROR, 0, 7, &e, 4);
	CHECK(knet_nl_run_datagram(&st, buf, (int)at));
	CHECK_INT(st.error, -EBADMSG);
	CHECK(strstr(err.reason, "malformed netlink error message") != NULL);
}

/* knet_nl_run() reads a real address dump to its end. */
static void test_run_socket(void)
{
	struct knet_nl *nl = knet_nl_open(NETLINK_ROUTE, 0);
	_Alignas(4) unsigned char buf[8192];
	struct seen seen = {0};
	struct knet_nl_run st = {.fn = count_msg, .data = &seen, .seq = 9};
	struct nlmsghdr *nlh;

	if (!nl) {
		UNIT_SKIP("nlmsg", "no rtnetlink socket here");
		return;
	}
	st.portid = nl->portid;
	nlh = put_getaddr(buf, 9);
	CHECK(knet_nl_send(nl, buf, nlh->nlmsg_len) > 0);
	CHECK_INT(knet_nl_run(nl, buf, sizeof(buf), &st), 0);
	CHECK_INT(st.error, 0);
	/* every namespace has lo's 127.0.0.1 at least */
	CHECK(seen.n >= 1);
	CHECK_INT(seen.types[0], RTM_NEWADDR);
	/* a receive that fails is returned: a datagram too big, ENOSPC */
	nlh = put_getaddr(buf, 10);
	st = (struct knet_nl_run){.portid = nl->portid, .seq = 10};
	CHECK(knet_nl_send(nl, buf, nlh->nlmsg_len) > 0);
	CHECK_INT(knet_nl_run(nl, buf, 8, &st), -ENOSPC);
	knet_nl_close(nl);
}

int main(void)
{
	test_build_and_read();
	test_walk_bounds();
	test_answers();
	test_socket();
	test_run_datagram();
	test_run_socket();
	return unit_done("nlmsg");
}
