/* SPDX-License-Identifier: MIT */
/*
 * Ping statistics (ping's mdev), address parsing, option validation, and
 * a real run against loopback inside a throwaway network namespace.
 */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "knet/probe.h"
#include "unit.h"

static void test_stats(void)
{
	struct knet_rtt_stats s;

	knet_rtt_stats_init(&s);
	CHECK_INT(knet_rtt_stats_loss(&s), 0);
	CHECK(knet_rtt_stats_avg(&s) == 0.0);
	s.sent = 4;
	knet_rtt_stats_add(&s, 100);
	knet_rtt_stats_add(&s, 200);
	knet_rtt_stats_add(&s, 300);
	knet_rtt_stats_add(&s, -1); /* no answer: not counted */
	CHECK_INT(s.received, 3);
	CHECK_INT(s.min_us, 100);
	CHECK_INT(s.max_us, 300);
	CHECK(fabs(knet_rtt_stats_avg(&s) - 200.0) < 1e-9);
	/* sqrt(((100-200)^2 + 0 + (300-200)^2) / 3) = 81.65 */
	CHECK(fabs(knet_rtt_stats_mdev(&s) - 81.6497) < 1e-3);
	CHECK(fabs(knet_rtt_stats_loss(&s) - 25.0) < 1e-9);
	knet_rtt_stats_init(&s);
	s.sent = 1;
	knet_rtt_stats_add(&s, 50);
	CHECK(knet_rtt_stats_mdev(&s) == 0.0);
}

/* --df: what fits a path MTU, IP and ICMP/UDP headers taken off. */
static void test_df_size(void)
{
	CHECK_INT(knet_ping_header_bytes(AF_INET), 28);
	CHECK_INT(knet_ping_header_bytes(AF_INET6), 48);
	/* the lab's 1400-byte overlay: ping -M do -s 1372 fits, 1373 not */
	CHECK_INT(knet_ping_df_max_size(AF_INET, 1400), 1372);
	CHECK_INT(knet_ping_df_max_size(AF_INET, 1500), 1472);
	CHECK_INT(knet_ping_df_max_size(AF_INET6, 1500), 1452);
	CHECK_INT(knet_ping_df_max_size(AF_INET6, 1280), 1232);
	CHECK_INT(knet_ping_df_max_size(AF_INET, 20), 0);
	CHECK_INT(knet_ping_df_max_size(AF_INET, 0), 0);
}

static void test_addr(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[64];

	CHECK_INT(knet_addr_parse("198.18.200.1", 80, &ss, &len), 0);
	CHECK_INT(ss.ss_family, AF_INET);
	CHECK_STR(knet_addr_str((struct sockaddr *)&ss, buf, sizeof(buf)),
		  "198.18.200.1");
	CHECK_INT(knet_addr_parse("fd00::1", 0, &ss, &len), 0);
	CHECK_INT(ss.ss_family, AF_INET6);
	CHECK_INT(len, sizeof(struct sockaddr_in6));
	CHECK_INT(knet_addr_parse("web", 0, &ss, &len), -EINVAL);
	CHECK_INT(knet_addr_parse("198.18.200.1", 70000, &ss, &len), -EINVAL);
	CHECK_INT(knet_addr_parse("198.18.200.300", 0, &ss, &len), -EINVAL);
}

static void test_invalid_opts(void)
{
	struct knet_ping_opts o = {.count = 1, .interval = 1, .timeout = 1};
	struct knet_error err = {0};
	struct knet_ping *p = NULL;

	knet_addr_parse("127.0.0.1", 0, &o.dst, &o.dst_len);
	o.size = -1;
	CHECK_INT(knet_ping_new(&o, &p, &err), -EINVAL);
	CHECK_INT(err.exit, KNET_EXIT_USAGE);
	o.size = 56;
	o.interval = 0;
	CHECK_INT(knet_ping_new(&o, &p, &err), -EINVAL);
	o.interval = 1;
	o.ttl = 256;
	CHECK_INT(knet_ping_new(&o, &p, &err), -EINVAL);
	CHECK(p == NULL);
	CHECK_STR(knet_ping_status_name(KNET_PING_TOO_BIG), "too-big");
	CHECK_STR(knet_ping_status_name((enum knet_ping_status)99), "?");
}

static int events;

static int count_event(const struct knet_ping_event *ev, void *ud)
{
	(void)ud;
	if (ev->status == KNET_PING_REPLY && ev->rtt_us >= 0 &&
	    !strcmp(ev->from, "127.0.0.1"))
		events++;
	return 0;
}

/*
 * Loopback in a namespace of our own (unshare: nothing outside is
 * touched).  Skipped without the privilege to make one.
 */
static void test_loopback(void)
{
	struct knet_ping_opts o = {
		.count = 3, .interval = 0.01, .timeout = 1, .size = 56};
	struct knet_error err = {0};
	struct knet_rtt_stats st;
	struct knet_ping *p = NULL;

	if (unshare(CLONE_NEWNET) < 0) {
		UNIT_SKIP("test-ping", "loopback run needs CAP_SYS_ADMIN");
		return;
	}
	if (system("ip link set lo up") != 0) {
		UNIT_SKIP("test-ping", "loopback run needs ip(8)");
		return;
	}
	knet_addr_parse("127.0.0.1", 0, &o.dst, &o.dst_len);
	CHECK_INT(knet_ping_new(&o, &p, &err), 0);
	if (!p)
		return;
	CHECK_INT(knet_ping_run(p, count_event, NULL, NULL, &st, &err), 0);
	CHECK_INT(st.sent, 3);
	CHECK_INT(st.received, 3);
	CHECK_INT(events, 3);
	CHECK(st.min_us >= 0 && st.max_us < 1000000);
	knet_ping_free(p);

	/* TCP to a closed port: refused, which means the host is up. */
	o.mode = KNET_PROBE_TCP;
	o.count = 2;
	knet_addr_parse("127.0.0.1", 9, &o.dst, &o.dst_len);
	CHECK_INT(knet_ping_new(&o, &p, &err), 0);
	if (p) {
		CHECK_INT(knet_ping_run(p, NULL, NULL, NULL, &st, &err), 0);
		CHECK_INT(st.received, 2);
		knet_ping_free(p);
	}
	/* IPv6 to an address with no route: said before any probe. */
	o.mode = KNET_PROBE_ICMP;
	knet_addr_parse("2001:db8::1", 0, &o.dst, &o.dst_len);
	p = NULL;
	CHECK(knet_ping_new(&o, &p, &err) < 0);
	CHECK(p == NULL);
	CHECK(strstr(err.reason, "no route") != NULL ||
	      strstr(err.reason, "IPv6") != NULL);
}

int main(void)
{
	test_stats();
	test_df_size();
	test_addr();
	test_invalid_opts();
	test_loopback();
	return unit_done("test-ping");
}
