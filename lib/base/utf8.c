/* SPDX-License-Identifier: MIT */
/*
 * Display width of UTF-8 text, for aligning table columns.  Done here
 * rather than with wcwidth(3) so that widths do not depend on the
 * locale the user happens to run under (scripts often run with LANG=C
 * while names can be UTF-8).
 */
#include <stdint.h>

#include "knet/output.h"

/* Decode one code point; invalid bytes decode as themselves, 1 byte. */
static uint32_t utf8_next(const unsigned char **ps)
{
	const unsigned char *s = *ps;
	uint32_t cp;
	int n, i;

	if (s[0] < 0x80) {
		*ps = s + 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		cp = s[0] & 0x1f;
		n = 1;
	} else if ((s[0] & 0xf0) == 0xe0) {
		cp = s[0] & 0x0f;
		n = 2;
	} else if ((s[0] & 0xf8) == 0xf0) {
		cp = s[0] & 0x07;
		n = 3;
	} else {
		*ps = s + 1;
		return 0xfffd;
	}
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*ps = s + 1;
			return 0xfffd;
		}
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	*ps = s + n + 1;
	return cp;
}

struct range {
	uint32_t lo, hi;
};

/* Zero-width: combining marks, joiners, variation selectors. */
static const struct range zero_width[] = {
	{0x0300, 0x036f},   {0x0483, 0x0489}, {0x0591, 0x05bd},
	{0x0610, 0x061a},   {0x064b, 0x065f}, {0x200b, 0x200f},
	{0x202a, 0x202e},   {0x2060, 0x2064}, {0x20d0, 0x20ff},
	{0xfe00, 0xfe0f},   {0xfe20, 0xfe2f}, {0xfeff, 0xfeff},
	{0xe0100, 0xe01ef},
};

/* Double-width: East Asian wide and fullwidth, emoji. */
static const struct range double_width[] = {
	{0x1100, 0x115f},   {0x2e80, 0x303e},	{0x3041, 0x33ff},
	{0x3400, 0x4dbf},   {0x4e00, 0x9fff},	{0xa000, 0xa4cf},
	{0xac00, 0xd7a3},   {0xf900, 0xfaff},	{0xfe30, 0xfe4f},
	{0xff00, 0xff60},   {0xffe0, 0xffe6},	{0x1f300, 0x1f64f},
	{0x1f680, 0x1f6ff}, {0x1f900, 0x1f9ff}, {0x20000, 0x2fffd},
	{0x30000, 0x3fffd},
};

static int in_ranges(uint32_t cp, const struct range *r, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (cp >= r[i].lo && cp <= r[i].hi)
			return 1;
	return 0;
}

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

int knet_utf8_width(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	int w = 0;

	while (*s) {
		uint32_t cp = utf8_next(&s);

		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			continue; /* control characters take no cell */
		if (in_ranges(cp, zero_width, N(zero_width)))
			continue;
		w += in_ranges(cp, double_width, N(double_width)) ? 2 : 1;
	}
	return w;
}
