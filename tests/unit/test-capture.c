/* SPDX-License-Identifier: MIT */
/*
 * The pcap and pcapng writers, read back by libpcap's own reader
 * (pcap_open_offline reads pcapng too, through knet_capture_open_file),
 * and their behaviour on a full disk and a closed pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "knet/capture.h"
#include "unit.h"

static uint8_t frame[200];

static void fill(void)
{
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
}

static int write_file(const char *path, enum knet_dump_format fmt, int n,
		      unsigned long long *ret_written)
{
	struct knet_error err = {0};
	struct knet_dump *d = NULL;
	struct knet_capture_stats st = {10, 2, 1};
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int a, b;

	CHECK(fd >= 0);
	CHECK_INT(knet_dump_new(fd, fmt, false, &d, &err), 0);
	a = knet_dump_add_iface(d, "web/web-1/eth0",
				"pod web/web-1 on node node-a, IP 198.19.1.2",
				1, 262144, &err);
	b = knet_dump_add_iface(d, "web/web-2/eth0", "pod web/web-2", 1, 262144,
				&err);
	CHECK_INT(a, 0);
	CHECK_INT(b, 1);
	for (int i = 0; i < n; i++) {
		struct knet_packet p = {
			.ts_usec = 1700000000000000LL + i,
			/* odd lengths test the padding */
			.caplen = (uint32_t)(60 + i % 7),
			.len = (uint32_t)(60 + i % 7 + (i == 3 ? 100 : 0)),
			.data = frame,
		};
		CHECK_INT(knet_dump_packet(d, i & 1 ? b : a, &p, i == 2 ? 1 : 0,
					   &err),
			  0);
	}
	CHECK_INT(knet_dump_iface_stats(d, a, 1700000001000000LL, &st, &err),
		  0);
	CHECK_INT(knet_dump_flush(d, &err), 0);
	*ret_written = knet_dump_written(d);
	CHECK_INT(knet_dump_close(d, &err), 0);
	close(fd);
	return 0;
}

static void read_back(const char *path, int n)
{
	struct knet_error err = {0};
	struct knet_capture *c = NULL;
	struct knet_packet p;
	int got = 0, r;

	CHECK_INT(knet_capture_open_file(path, NULL, &c, &err), 0);
	if (!c) {
		fprintf(stderr, "%s: %s\n", path, err.reason);
		return;
	}
	CHECK_INT(knet_capture_linktype(c), 1);
	while ((r = knet_capture_next(c, &p, &err)) == 1) {
		CHECK_INT(p.caplen, 60 + got % 7);
		CHECK_INT(p.ts_usec, 1700000000000000LL + got);
		CHECK(!memcmp(p.data, frame, p.caplen));
		if (got == 3)
			CHECK_INT(p.len, 163);
		got++;
	}
	CHECK_INT(r, -ENODATA);
	CHECK_INT(got, n);
	knet_capture_free(c);
}

static void test_round_trip(void)
{
	char dir[] = "/tmp/knet-unit-XXXXXX", path[64];
	unsigned long long written = 0;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/a.pcapng", dir);
	write_file(path, KNET_DUMP_PCAPNG, 25, &written);
	CHECK_INT(written, 25);
	read_back(path, 25);
	unlink(path);
	snprintf(path, sizeof(path), "%s/a.pcap", dir);
	write_file(path, KNET_DUMP_PCAP, 9, &written);
	CHECK_INT(written, 9);
	read_back(path, 9);
	unlink(path);
	rmdir(dir);
}

static void test_format_for(void)
{
	CHECK_INT(knet_dump_format_for("x.pcapng", false), KNET_DUMP_PCAPNG);
	CHECK_INT(knet_dump_format_for("x.PCAPNG", false), KNET_DUMP_PCAPNG);
	CHECK_INT(knet_dump_format_for("x.pcap", false), KNET_DUMP_PCAP);
	CHECK_INT(knet_dump_format_for("-", true), KNET_DUMP_PCAPNG);
	CHECK_INT(knet_dump_format_for("-", false), KNET_DUMP_PCAP);
}

/* Failures are sticky and nothing unwritten is counted. */
static void test_errors(void)
{
	struct knet_error err = {0};
	struct knet_packet p = {.caplen = 60, .len = 60, .data = frame};
	struct knet_dump *d = NULL;
	int fd = open("/dev/full", O_WRONLY), pfd[2];

	if (fd < 0) {
		UNIT_SKIP("dump-full", "no /dev/full");
	} else {
		CHECK_INT(knet_dump_new(fd, KNET_DUMP_PCAP, true, &d, &err), 0);
		CHECK_INT(knet_dump_add_iface(d, "x", NULL, 1, 100, &err), 0);
		CHECK_INT(knet_dump_packet(d, 0, &p, 0, &err), -ENOSPC);
		CHECK_INT(knet_dump_packet(d, 0, &p, 0, &err), -ENOSPC);
		CHECK_INT(knet_dump_written(d), 0);
		CHECK(knet_dump_close(d, &err) < 0);
		close(fd);
	}
	signal(SIGPIPE, SIG_IGN);
	CHECK_INT(pipe(pfd), 0);
	close(pfd[0]);
	d = NULL;
	CHECK_INT(knet_dump_new(pfd[1], KNET_DUMP_PCAPNG, false, &d, &err), 0);
	CHECK_INT(knet_dump_add_iface(d, "x", NULL, 1, 100, &err), 0);
	CHECK_INT(knet_dump_packet(d, 0, &p, 0, &err), 0);
	CHECK_INT(knet_dump_flush(d, &err), -EPIPE);
	CHECK_INT(knet_dump_written(d), 0);
	CHECK_INT(knet_dump_packet(d, 5, &p, 0, &err), -EINVAL);
	knet_dump_close(d, NULL);
	close(pfd[1]);
}

static void test_bad_filter(void)
{
	struct knet_error err = {0};
	struct knet_capture *c = NULL;
	char path[] = "/tmp/knet-unit-f-XXXXXX";
	unsigned long long w;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	write_file(path, KNET_DUMP_PCAP, 2, &w);
	CHECK_INT(knet_capture_open_file(path, "tcp port", &c, &err), -EINVAL);
	CHECK_INT(err.exit, KNET_EXIT_USAGE);
	CHECK(strstr(err.reason, "bad filter") != NULL);
	CHECK_INT(knet_capture_open_file(path, "tcp", &c, &err), 0);
	knet_capture_free(c);
	unlink(path);
}

static struct knet_packet pkt_at(long long ts, uint32_t caplen)
{
	struct knet_packet p = {
		.ts_usec = ts, .caplen = caplen, .len = caplen, .data = frame};

	return p;
}

struct feed {
	struct knet_capture_session *s;
	int fd, id;
};

/* A descriptor the session polls: each byte read pushes one packet. */
static int feed_readable(void *ud)
{
	struct feed *f = ud;
	struct knet_error err = {0};
	struct knet_packet p;
	char c;

	if (read(f->fd, &c, 1) != 1) {
		knet_capture_session_end(f->s, f->id);
		return 1;
	}
	p = pkt_at(1700000000000000LL + c, 60);
	return knet_capture_session_push(f->s, f->id, &p, 0, &err);
}

/* Sources merged in time order; the window frees a quiet source's peers. */
static void test_session(void)
{
	struct knet_capture_session *s = NULL;
	struct knet_error err = {0};
	struct knet_packet p;
	long long last = 0, now = (long long)time(NULL) * 1000000;
	struct feed f;
	uint32_t flags;
	int a, b, c, id, n = 0, pfd[2];

	CHECK_INT(knet_capture_session_new(&s, &err), 0);
	a = knet_capture_session_add_pushed(s, "a", "pod a", 1, 100, &err);
	b = knet_capture_session_add_pushed(s, "b", "pod b", 1, 100, &err);
	c = knet_capture_session_add_pushed(s, "c", NULL, 1, 100, &err);
	CHECK_INT(a, 0);
	CHECK_INT(b, 1);
	CHECK_INT(c, 2);
	CHECK_STR(knet_capture_session_source(s, b)->description, "pod b");
	CHECK(knet_capture_session_source(s, 3) == NULL);
	CHECK_INT(knet_capture_session_count(s), 3);
	/* a: 10 30 50, b: 20 40, c quiet but open; all recent */
	for (int i = 0; i < 3; i++) {
		p = pkt_at(now + 10 + 20 * i, 60);
		CHECK_INT(knet_capture_session_push(s, a, &p, 5, &err), 0);
	}
	for (int i = 0; i < 2; i++) {
		p = pkt_at(now + 20 + 20 * i, 61);
		CHECK_INT(knet_capture_session_push(s, b, &p, 0, &err), 0);
	}
	/* c has nothing and may still send older ones: wait (window). */
	knet_capture_session_set_window(s, 60000);
	CHECK_INT(knet_capture_session_next(s, &id, &p, &flags, &err), 0);
	knet_capture_session_end(s, c);
	/* now a and b both wait: the oldest goes, in order, until b is
	 * empty; then a's 50 waits for b, which ends */
	for (int want = 10; want <= 40; want += 10) {
		CHECK_INT(knet_capture_session_next(s, &id, &p, &flags, &err),
			  1);
		CHECK_INT(p.ts_usec, now + want);
		CHECK_INT(id, want % 20 ? a : b);
		CHECK_INT(flags, want % 20 ? 5u : 0u);
	}
	CHECK_INT(knet_capture_session_next(s, &id, &p, &flags, &err), 0);
	knet_capture_session_end(s, b);
	CHECK_INT(knet_capture_session_next(s, &id, &p, &flags, &err), 1);
	CHECK_INT(p.ts_usec, now + 50);
	knet_capture_session_end(s, a);
	CHECK_INT(knet_capture_session_next(s, &id, &p, &flags, &err),
		  -ENODATA);
	knet_capture_session_free(s);

	/* old packets of one source pass a quiet open one (the window); a
	 * polled descriptor feeds a third */
	CHECK_INT(knet_capture_session_new(&s, &err), 0);
	a = knet_capture_session_add_pushed(s, "a", NULL, 1, 100, &err);
	b = knet_capture_session_add_pushed(s, "b", NULL, 1, 100, &err);
	c = knet_capture_session_add_pushed(s, "c", NULL, 1, 100, &err);
	CHECK_INT(pipe(pfd), 0);
	f = (struct feed){s, pfd[0], c};
	CHECK_INT(
		knet_capture_session_add_fd(s, pfd[0], feed_readable, &f, &err),
		0);
	CHECK_INT(write(pfd[1], "\x0a\x0b", 2), 2);
	close(pfd[1]);
	for (int i = 0; i < 4; i++) {
		p = pkt_at(1700000000000000LL + 2 * i, 60);
		CHECK_INT(knet_capture_session_push(s, a, &p, 0, &err), 0);
	}
	knet_capture_session_stop(s);
	/* b stays quiet and open: a's old packets pass it (the window) */
	for (int i = 0; i < 4; i++) {
		CHECK_INT(knet_capture_session_next(s, &id, &p, &flags, &err),
			  1);
		CHECK(p.ts_usec >= last);
		last = p.ts_usec;
	}
	knet_capture_session_end(s, a);
	knet_capture_session_end(s, b);
	for (int tries = 0;
	     tries < 100 &&
	     (n = knet_capture_session_next(s, &id, &p, &flags, &err)) >= 0;
	     tries++) {
		if (n == 0)
			continue;
		CHECK(p.ts_usec >= last);
		last = p.ts_usec;
		CHECK(id == a || id == c);
	}
	CHECK_INT(n, -ENODATA);
	CHECK_INT(knet_capture_session_source(s, a)->captured, 4);
	CHECK_INT(knet_capture_session_source(s, c)->captured, 2);
	knet_capture_session_free(s);
	close(pfd[0]);
}

static void test_epb_flags(void)
{
	uint8_t mac[6] = {2, 0, 0, 0, 0, 1}, eth[64] = {0}, sll[20] = {0};

	/* from our own address: outbound */
	memcpy(eth + 6, mac, 6);
	CHECK_INT(knet_capture_epb_flags(1, eth, 64, mac), KNET_EPB_OUTBOUND);
	/* to us, to everyone, to a group, to someone else */
	memcpy(eth, mac, 6);
	eth[11] = 9;
	CHECK_INT(knet_capture_epb_flags(1, eth, 64, mac),
		  KNET_EPB_INBOUND | KNET_EPB_UNICAST);
	memset(eth, 0xff, 6);
	CHECK_INT(knet_capture_epb_flags(1, eth, 64, mac),
		  KNET_EPB_INBOUND | KNET_EPB_BROADCAST);
	eth[0] = 0x01, eth[5] = 0;
	CHECK_INT(knet_capture_epb_flags(1, eth, 64, mac),
		  KNET_EPB_INBOUND | KNET_EPB_MULTICAST);
	eth[0] = 0x04;
	CHECK_INT(knet_capture_epb_flags(1, eth, 64, mac),
		  KNET_EPB_INBOUND | KNET_EPB_PROMISCUOUS);
	/* unknown own address, short frames, other link types: nothing */
	CHECK_INT(knet_capture_epb_flags(1, eth, 64, NULL), 0u);
	CHECK_INT(knet_capture_epb_flags(1, eth, 11, mac), 0u);
	CHECK_INT(knet_capture_epb_flags(101, eth, 64, mac), 0u);
	/* Linux cooked v1 (packet type first) and v2 (at byte 10) */
	sll[1] = 4;
	CHECK_INT(knet_capture_epb_flags(113, sll, 16, NULL),
		  KNET_EPB_OUTBOUND);
	sll[1] = 0;
	CHECK_INT(knet_capture_epb_flags(113, sll, 16, NULL),
		  KNET_EPB_INBOUND | KNET_EPB_UNICAST);
	CHECK_INT(knet_capture_epb_flags(113, sll, 1, NULL), 0u);
	sll[10] = 1;
	CHECK_INT(knet_capture_epb_flags(276, sll, 20, NULL),
		  KNET_EPB_INBOUND | KNET_EPB_BROADCAST);
	sll[10] = 9;
	CHECK_INT(knet_capture_epb_flags(276, sll, 20, NULL), 0u);
}

/* Packets read back from one file; -1 when it does not open. */
static int count_file(const char *path)
{
	struct knet_error err = {0};
	struct knet_capture *c = NULL;
	struct knet_packet p;
	int n = 0;

	if (knet_capture_open_file(path, NULL, &c, &err) < 0)
		return -1;
	while (knet_capture_next(c, &p, &err) == 1)
		n++;
	knet_capture_free(c);
	return n;
}

/* tcpdump's names under -C and -C -W; every file whole. */
static void test_rotation(void)
{
	char dir[] = "/tmp/knet-unit-r-XXXXXX", path[96];
	struct knet_dump_files_opts o = {.format = KNET_DUMP_PCAPNG,
					 .size_mb = 0.0005};
	struct knet_error err = {0};
	struct knet_dump_files *f = NULL;
	int total = 0, made;
	char last[128];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/c.pcapng", dir);
	o.path = path;
	CHECK_INT(knet_dump_files_new(&o, &f, &err), 0);
	CHECK_INT(knet_dump_files_add_iface(f, "a", "pod a", 1, 100, &err), 0);
	for (int i = 0; i < 20; i++) {
		struct knet_packet p = pkt_at(1700000000000000LL + i, 60);

		CHECK_INT(knet_dump_files_packet(f, 0, &p, 1, &err), 0);
	}
	made = knet_dump_files_made(f);
	CHECK(made >= 3);
	snprintf(last, sizeof(last), "%s%d", path, made - 1);
	CHECK_STR(knet_dump_files_name(f), last);
	CHECK_INT(knet_dump_files_close(f, &err), 0);
	for (int i = 0; i < made; i++) {
		char name[128];
		int n;

		snprintf(name, sizeof(name), "%s%s%.0d", path, "", i);
		n = count_file(name);
		CHECK(n > 0);
		total += n;
		unlink(name);
	}
	CHECK_INT(total, 20);
	/* -W 2: c.pcapng0 and c.pcapng1, in turn */
	o.count = 2;
	f = NULL;
	CHECK_INT(knet_dump_files_new(&o, &f, &err), 0);
	CHECK_INT(knet_dump_files_add_iface(f, "a", NULL, 1, 100, &err), 0);
	for (int i = 0; i < 20; i++) {
		struct knet_packet p = pkt_at(1700000000000000LL + i, 60);

		CHECK_INT(knet_dump_files_packet(f, 0, &p, 0, &err), 0);
	}
	/* counted once out of the buffer */
	CHECK(knet_dump_files_written(f) < 20);
	CHECK_INT(knet_dump_files_flush(f, &err), 0);
	CHECK_INT(knet_dump_files_written(f), 20);
	CHECK_INT(knet_dump_files_close(f, &err), 0);
	snprintf(path, sizeof(path), "%s/c.pcapng0", dir);
	CHECK(count_file(path) > 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/c.pcapng1", dir);
	CHECK(count_file(path) > 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/c.pcapng", dir);
	CHECK_INT(count_file(path), -1);
	CHECK_INT(rmdir(dir), 0);
}

int main(void)
{
	fill();
	test_session();
	test_epb_flags();
	test_rotation();
	test_round_trip();
	test_format_for();
	test_errors();
	test_bad_filter();
	return unit_done("capture");
}
