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

int main(void)
{
	fill();
	test_round_trip();
	test_format_for();
	test_errors();
	test_bad_filter();
	return unit_done("capture");
}
