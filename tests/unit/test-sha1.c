/* SPDX-License-Identifier: MIT */
/* SHA-1: the test vectors of RFC 3174 section 7.3, and odd splits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/base.h"
#include "unit.h"

static void hex(const unsigned char *d, char *out)
{
	for (int i = 0; i < KNET_SHA1_LEN; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* @text repeated @times, hashed in pieces of @step bytes. */
static void check(const char *text, int times, size_t step, const char *want)
{
	unsigned char d[KNET_SHA1_LEN];
	char got[2 * KNET_SHA1_LEN + 1];
	size_t n = strlen(text);
	struct knet_sha1 s;

	knet_sha1_init(&s);
	for (int t = 0; t < times; t++)
		for (size_t off = 0; off < n; off += step)
			knet_sha1_update(&s, text + off,
					 n - off < step ? n - off : step);
	knet_sha1_final(&s, d);
	hex(d, got);
	CHECK_STR(got, want);
}

int main(void)
{
	static const char *const t1 = "abc";
	static const char *const t2 =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	static const char *const t4 = "01234567012345670123456701234567"
				      "01234567012345670123456701234567";
	unsigned char d[KNET_SHA1_LEN];
	char got[2 * KNET_SHA1_LEN + 1];

	for (size_t step = 1; step <= 64; step *= 4) {
		check(t1, 1, step, "a9993e364706816aba3e25717850c26c9cd0d89d");
		check(t2, 1, step, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
		check("a", 1000000, step,
		      "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
		check(t4, 10, step, "dea356a2cddd90c7a7ecedc5ebb563934f460452");
	}
	/* The empty message, and lengths around the padding's edge. */
	knet_sha1("", 0, d);
	hex(d, got);
	CHECK_STR(got, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	check("0123456789012345678901234567890123456789012345678901234", 1, 7,
	      "9f3a4ce7f66b1b74c34da2c5d732c39f81e0f8df");
	check("01234567890123456789012345678901234567890123456789012345", 1, 64,
	      "0a40b8fbdaafb7c29651618ac15d27e772287130");
	return unit_done("sha1");
}
