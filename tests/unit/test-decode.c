/* SPDX-License-Identifier: MIT */
/*
 * The decoders against crafted packets (the .hex files of tests/data/decode): each
 * file's whole packet must decode to the text it expects, and every
 * prefix of it (a capture cut short anywhere) must decode inside its
 * bytes, which ASan checks: each prefix is a malloc of exactly its size.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "knet/decode.h"
#include "unit.h"

#define DATA "tests/data/decode"

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	while (n < max && sscanf(s, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static const char *name_of(void *ud, const char *ip)
{
	(void)ud;
	return !strcmp(ip, "198.19.1.4") ? "pod client/client" : NULL;
}

static void one_file(const char *path)
{
	static uint8_t pkt[65536];
	static char line[200000];
	char expect[512] = "";
	struct knet_decoded d;
	FILE *f = fopen(path, "r");
	size_t n;

	CHECK(f != NULL);
	if (!f)
		return;
	if (fgets(line, sizeof(line), f) && !strncmp(line, "# expect: ", 10))
		snprintf(expect, sizeof(expect), "%.*s",
			 (int)strcspn(line + 10, "\n"), line + 10);
	n = fgets(line, sizeof(line), f) ? unhex(line, pkt, sizeof(pkt)) : 0;
	fclose(f);
	CHECK(n > 0);
	CHECK(expect[0] != '\0');
	for (size_t cut = 0; cut <= n; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);

		memcpy(copy, pkt, cut);
		knet_decode_packet(KNET_LINK_ETHERNET, copy, cut, n, name_of,
				   NULL, &d);
		CHECK(d.tlen < sizeof(d.text));
		CHECK(strlen(d.text) == d.tlen);
		free(copy);
	}
	if (!strstr(d.text, expect)) {
		fprintf(stderr, "%s: expected '%s' in '%s'\n", path, expect,
			d.text);
		CHECK(0);
	} else {
		CHECK(1);
	}
}

static void test_files(void)
{
	DIR *dir = opendir(DATA);
	struct dirent *e;
	int files = 0;

	CHECK(dir != NULL);
	if (!dir)
		return;
	while ((e = readdir(dir))) {
		char path[512];

		if (!strstr(e->d_name, ".hex"))
			continue;
		snprintf(path, sizeof(path), DATA "/%s", e->d_name);
		one_file(path);
		files++;
	}
	closedir(dir);
	CHECK(files >= 30);
}

static void test_fields(void)
{
	static const char hex[] =
		"0404040404040404040404040800" /* not a real MAC: fine */;
	uint8_t b[64];
	struct knet_decoded d;
	size_t n = unhex(hex, b, sizeof(b));

	/* An Ethernet header and no IP: the marker, no family. */
	knet_decode_packet(KNET_LINK_ETHERNET, b, n, n, NULL, NULL, &d);
	CHECK_INT(d.family, 0);
	CHECK_STR(d.trunc, "ip");
}

static void test_dns_fields(void)
{
	static uint8_t pkt[65536];
	char line[4096];
	struct knet_decoded d;
	FILE *f = fopen(DATA "/dns-answer-pointer.hex", "r");
	size_t n = 0;

	CHECK(f != NULL);
	if (!f)
		return;
	if (fgets(line, sizeof(line), f) && fgets(line, sizeof(line), f))
		n = unhex(line, pkt, sizeof(pkt));
	fclose(f);
	knet_decode_packet(KNET_LINK_ETHERNET, pkt, n, n, NULL, NULL, &d);
	CHECK_INT(d.dns_id, 0x1234);
	CHECK_INT(d.dns_rcode, 0);
	CHECK(d.dns_response);
	CHECK_INT(d.dns_nnames, 2);
	CHECK_STR(d.dns_names[0], "web.web.svc.cluster.local.");
	CHECK_STR(d.proto, "dns");
	CHECK_STR(d.src, "198.18.128.10");
	CHECK_INT(d.sport, 53);
}

static void test_hex(void)
{
	uint8_t b[18];
	char buf[512];

	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)('A' + i);
	knet_decode_hex(b, sizeof(b), false, buf, sizeof(buf));
	CHECK(!strncmp(buf, "\t0x0000:  4142 4344", 19));
	CHECK(strstr(buf, "\t0x0010:  5152\n") != NULL);
	knet_decode_hex(b, sizeof(b), true, buf, sizeof(buf));
	CHECK(strstr(buf, "ABCDEFGHIJKLMNOP\n") != NULL);
}

static void test_accessors(void)
{
	const uint8_t d[4] = {1, 2, 3, 4};
	struct knet_pkt p = {d, sizeof(d)};
	const uint8_t *ptr;
	uint32_t v32;

	CHECK_INT(knet_pkt_be32(&p, 0, &v32), 0);
	CHECK_INT(v32, 0x01020304);
	CHECK(knet_pkt_be32(&p, 1, &v32) < 0);
	CHECK_INT(knet_pkt_bytes(&p, 2, 2, &ptr), 0);
	CHECK(knet_pkt_bytes(&p, 3, 2, &ptr) < 0);
	CHECK(knet_pkt_bytes(&p, 5, 0, &ptr) < 0);
	CHECK(knet_pkt_bytes(&p, (size_t)-1, 2, &ptr) < 0);
}

int main(void)
{
	test_files();
	test_fields();
	test_dns_fields();
	test_hex();
	test_accessors();
	return unit_done("decode");
}
