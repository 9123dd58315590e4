/* SPDX-License-Identifier: MIT */
/*
 * WebSocket framing (lib/api/ws.c): client frames byte for byte, the
 * server-frame reader on every split of its input, and each rule of
 * RFC 6455 the reader enforces.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/api.h"
#include "unit.h"

static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};

/* What a stream of events gives, collected. */
struct got {
	unsigned char data[200000];
	size_t len;
	int messages, pings, pongs, closes, close_code, first;
	int rc;
	char why[KNET_ERROR_MAX];
	unsigned char ctl[125];
	size_t ctl_len;
};

/* Feed @in in pieces of @step bytes (0: all at once). */
static void run(const unsigned char *in, size_t n, size_t step, uint64_t max,
		struct got *g)
{
	struct knet_ws_reader r;
	struct knet_error err = {0};

	memset(g, 0, sizeof(*g));
	knet_ws_reader_init(&r, max);
	for (size_t off = 0; off < n;) {
		size_t piece = step && n - off > step ? step : n - off;
		const unsigned char *p = in + off;

		off += piece;
		while (piece > 0 || r.in_payload) {
			struct knet_ws_event ev;
			size_t used;
			int rc = knet_ws_feed(&r, p, piece, &used, &ev, &err);

			p += used;
			piece -= used;
			if (rc < 0) {
				g->rc = rc;
				snprintf(g->why, sizeof(g->why), "%s",
					 err.reason);
				g->close_code = r.close_code;
				return;
			}
			if (rc == 0)
				break;
			switch (ev.type) {
			case KNET_WS_EV_DATA:
				if (g->len + ev.len <= sizeof(g->data)) {
					memcpy(g->data + g->len, ev.data,
					       ev.len);
					g->len += ev.len;
				}
				g->first += ev.first;
				g->messages += ev.message_end;
				break;
			case KNET_WS_EV_PING:
				g->pings++;
				memcpy(g->ctl, ev.data, ev.len);
				g->ctl_len = ev.len;
				break;
			case KNET_WS_EV_PONG:
				g->pongs++;
				break;
			case KNET_WS_EV_CLOSE:
				g->closes++;
				g->close_code = ev.close_code;
				memcpy(g->ctl, ev.data, ev.len);
				g->ctl_len = ev.len;
				break;
			}
		}
	}
}

/* A server frame (unmasked) of @len bytes of @payload. */
static size_t frame(unsigned char *out, int b0, const void *payload, size_t len)
{
	size_t at;

	out[0] = (unsigned char)b0;
	if (len < 126) {
		out[1] = (unsigned char)len;
		at = 2;
	} else if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (unsigned char)(len >> 8);
		out[3] = (unsigned char)len;
		at = 4;
	} else {
		out[1] = 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (unsigned char)((unsigned long long)len >>
						     (56 - 8 * i));
		at = 10;
	}
	memcpy(out + at, payload, len);
	return at + len;
}

static void test_encode(void)
{
	unsigned char out[70000], big[70000];
	int n;

	/* RFC 6455 5.7: a masked "Hello". */
	n = knet_ws_encode(out, sizeof(out), KNET_WS_TEXT, true, "Hello", 5,
			   key);
	CHECK_INT(n, 11);
	CHECK(!memcmp(out, "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11));
	/* 16-bit and 64-bit lengths, unmasked back to the payload. */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7);
	n = knet_ws_encode(out, sizeof(out), KNET_WS_BINARY, true, big, 300,
			   key);
	CHECK_INT(n, 4 + 4 + 300);
	CHECK_INT(out[1], 0x80 | 126);
	CHECK_INT(out[2] << 8 | out[3], 300);
	CHECK_INT(out[8 + 299] ^ key[299 & 3], big[299]);
	n = knet_ws_encode(out, sizeof(out), KNET_WS_BINARY, false, big, 65536,
			   key);
	CHECK_INT(n, 14 + 65536);
	CHECK_INT(out[0], 0x02);
	CHECK_INT(out[1], 0x80 | 127);
	CHECK_INT(out[7], 1); /* 65536 = 0x10000 */
	CHECK_INT(out[14 + 65535] ^ key[65535 & 3], big[65535]);
	CHECK_INT(knet_ws_header_len(125), 6);
	CHECK_INT(knet_ws_header_len(126), 8);
	CHECK_INT(knet_ws_header_len(65535), 8);
	CHECK_INT(knet_ws_header_len(65536), 14);
	/* Too small a buffer, a control frame over 125, a bad opcode. */
	CHECK_INT(knet_ws_encode(out, 10, KNET_WS_TEXT, true, "Hello", 5, key),
		  -ENOBUFS);
	CHECK_INT(knet_ws_encode(out, sizeof(out), KNET_WS_PING, true, big, 126,
				 key),
		  -EINVAL);
	CHECK_INT(knet_ws_encode(out, sizeof(out), 16, true, big, 1, key),
		  -EINVAL);
	/* A random key: two frames differ (2^-32 chance to be equal). */
	{
		unsigned char a[32], b[32];

		knet_ws_encode(a, sizeof(a), KNET_WS_BINARY, true, "abcdefgh",
			       8, NULL);
		knet_ws_encode(b, sizeof(b), KNET_WS_BINARY, true, "abcdefgh",
			       8, NULL);
		CHECK(memcmp(a + 2, b + 2, 4) != 0);
	}
	/* Close with a code, and without. */
	n = knet_ws_encode_close(out, sizeof(out), 1000, key);
	CHECK_INT(n, 8);
	CHECK_INT(out[0], 0x88);
	CHECK_INT((out[6] ^ key[0]) << 8 | (out[7] ^ key[1]), 1000);
	CHECK_INT(knet_ws_encode_close(out, sizeof(out), 0, key), 6);
}

static void test_reader(void)
{
	static unsigned char in[200000], payload[140000];
	static struct got g;
	static const size_t steps[] = {0, 1, 2, 3, 7, 125, 4096};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (unsigned char)(i * 13 + 1);
	/* A ping between the fragments of a message, lengths of every
	 * size, an empty frame, a pong, a close with a reason. */
	n += frame(in + n, 0x02, payload, 125);
	n += frame(in + n, 0x89, "hi", 2);
	n += frame(in + n, 0x00, payload + 125, 126);
	n += frame(in + n, 0x00, payload + 251, 0);
	n += frame(in + n, 0x80, payload + 251, 70000);
	n += frame(in + n, 0x82, payload + 70251, 0);
	n += frame(in + n, 0x81, "text", 4);
	n += frame(in + n, 0x8a, "", 0);
	n += frame(in + n, 0x88,
		   "\x03\xe8"
		   "bye",
		   5);
	for (size_t s = 0; s < sizeof(steps) / sizeof(*steps); s++) {
		run(in, n, steps[s], 0, &g);
		CHECK_INT(g.rc, 0);
		CHECK_INT(g.len, 70251 + 4);
		CHECK(!memcmp(g.data, payload, 70251));
		CHECK(!memcmp(g.data + 70251, "text", 4));
		CHECK_INT(g.messages, 3);
		CHECK_INT(g.first, 3);
		CHECK_INT(g.pings, 1);
		CHECK_INT(g.pongs, 1);
		CHECK_INT(g.closes, 1);
		CHECK_INT(g.close_code, 1000);
		CHECK_INT(g.ctl_len, 3);
		CHECK(!memcmp(g.ctl, "bye", 3));
	}
	/* A close without a code is 1005, "none given". */
	n = frame(in, 0x88, "", 0);
	run(in, n, 0, 0, &g);
	CHECK_INT(g.closes, 1);
	CHECK_INT(g.close_code, 1005);
	/* A 64-bit length whose frame fits the limit exactly. */
	n = frame(in, 0x82, payload, 65536);
	run(in, n, 1000, 65536, &g);
	CHECK_INT(g.rc, 0);
	CHECK_INT(g.len, 65536);
}

/* The frame @in is refused with @code and a reason naming @why. */
static void refused(const void *in, size_t n, uint64_t max, int code,
		    const char *why)
{
	static struct got g;

	for (size_t step = 0; step < 3; step++) {
		run(in, n, step, max, &g);
		CHECK_INT(g.rc, -EPROTO);
		CHECK_INT(g.close_code, code);
		if (!strstr(g.why, why))
			fprintf(stderr, "reason '%s' does not say '%s'\n",
				g.why, why);
		CHECK(strstr(g.why, why) != NULL);
	}
}

static void test_refused(void)
{
	unsigned char in[300];
	size_t n;

	refused("\xc2\x00", 2, 0, 1002, "reserved bits");
	refused("\xa2\x00", 2, 0, 1002, "reserved bits");
	refused("\x92\x00", 2, 0, 1002, "reserved bits");
	refused("\x82\x81\x01\x02\x03\x04x", 7, 0, 1002, "masked");
	refused("\x83\x00", 2, 0, 1002, "unknown opcode");
	refused("\x8b\x00", 2, 0, 1002, "unknown opcode");
	refused("\x80\x00", 2, 0, 1002, "continuation without");
	refused("\x02\x01x\x82\x00", 5, 0, 1002, "new message inside");
	refused("\x09\x00", 2, 0, 1002, "fragmented control");
	refused("\x08\x00", 2, 0, 1002, "fragmented control");
	refused("\x88\x01x", 3, 0, 1002, "one byte");
	refused("\x88\x02\x03\xed", 4, 0, 1002, "reserved close code");
	refused("\x88\x02\x03\xee", 4, 0, 1002, "reserved close code");
	refused("\x88\x02\x00\x01", 4, 0, 1002, "reserved close code");
	refused("\x88\x02\x13\x88", 4, 0, 1002, "reserved close code");
	refused("\x82\x7e\x00\x7d", 4, 0, 1002, "shortest form");
	refused("\x82\x7f\x00\x00\x00\x00\x00\x00\xff\xff", 10, 0, 1002,
		"shortest form");
	refused("\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", 10, 0, 1002,
		"top bit");
	refused("\x82\x7f\x00\x00\x00\x01\x00\x00\x00\x00", 10, 0, 1009,
		"size limit");
	refused("\x82\x7e\x01\x00", 4, 255, 1009, "size limit");
	refused("\x88\x00\x82\x00", 4, 0, 1002, "after the close");
	/* A control frame of 126 bytes: the 16-bit length. */
	memset(in, 'p', sizeof(in));
	n = frame(in, 0x89, in + 150, 126);
	refused(in, n, 0, 1002, "over 125");
	/* Valid close codes pass. */
	CHECK(knet_ws_close_code_valid(1000));
	CHECK(knet_ws_close_code_valid(1011));
	CHECK(knet_ws_close_code_valid(4999));
	CHECK(!knet_ws_close_code_valid(1005));
	CHECK(!knet_ws_close_code_valid(2999));
	CHECK(!knet_ws_close_code_valid(5000));
	/* Once failed, the reader stays failed. */
	{
		struct knet_ws_reader r;
		struct knet_ws_event ev;
		size_t used;

		knet_ws_reader_init(&r, 0);
		CHECK_INT(knet_ws_feed(&r, (const unsigned char *)"\xc2\x00", 2,
				       &used, &ev, NULL),
			  -EPROTO);
		CHECK_INT(knet_ws_feed(&r, (const unsigned char *)"\x82\x00", 2,
				       &used, &ev, NULL),
			  -EPROTO);
	}
}

static void test_keys(void)
{
	char out[64], k1[32], k2[32];

	/* RFC 6455 1.3. */
	CHECK_INT(knet_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out,
				     sizeof(out)),
		  0);
	CHECK_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	CHECK_INT(knet_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out, 28),
		  -ENOBUFS);
	CHECK_INT(knet_ws_make_key(k1, sizeof(k1)), 0);
	CHECK_INT(knet_ws_make_key(k2, sizeof(k2)), 0);
	CHECK_INT(strlen(k1), 24);
	CHECK(strcmp(k1, k2) != 0);
}

static void test_status(void)
{
	struct knet_error err = {0};
	const char *s;
	int st = -1;

	s = "{\"metadata\":{},\"status\":\"Success\"}";
	CHECK_INT(knet_exec_parse_status(s, strlen(s), &st, &err), 0);
	CHECK_INT(st, 0);
	s = "{\"status\":\"Failure\",\"reason\":\"NonZeroExitCode\","
	    "\"message\":\"command terminated with non-zero exit code\","
	    "\"details\":{\"causes\":[{\"reason\":\"Other\"},"
	    "{\"reason\":\"ExitCode\",\"message\":\"3\"}]}}";
	CHECK_INT(knet_exec_parse_status(s, strlen(s), &st, &err), 0);
	CHECK_INT(st, 3);
	/* An exit code out of range, or none: the message is the error. */
	s = "{\"status\":\"Failure\",\"reason\":\"NonZeroExitCode\","
	    "\"message\":\"bad\",\"details\":{\"causes\":"
	    "[{\"reason\":\"ExitCode\",\"message\":\"300\"}]}}";
	st = -1;
	CHECK_INT(knet_exec_parse_status(s, strlen(s), &st, &err), -EREMOTEIO);
	CHECK_INT(st, -1);
	s = "{\"status\":\"Failure\",\"reason\":\"InternalError\","
	    "\"message\":\"exec: \\\"nope\\\": executable file not "
	    "found\\nin $PATH\"}";
	CHECK_INT(knet_exec_parse_status(s, strlen(s), &st, &err), -EREMOTEIO);
	CHECK_INT(err.exit, KNET_EXIT_API);
	CHECK_STR(err.reason, "the remote command failed: exec: \"nope\": "
			      "executable file not found in $PATH");
	CHECK_INT(knet_exec_parse_status("{", 1, &st, &err), -EBADMSG);
	s = "{\"status\":\"Failure\"}";
	CHECK_INT(knet_exec_parse_status(s, strlen(s), &st, &err), -EREMOTEIO);
	CHECK_STR(err.reason, "the remote command failed: no message");
}

int main(void)
{
	test_status();
	test_encode();
	test_reader();
	test_refused();
	test_keys();
	return unit_done("ws");
}
