/* SPDX-License-Identifier: MIT */
/*
 * Text from outside (API objects, Status messages, remote knet lines,
 * packets) must not drive the terminal it is printed on: an ESC in a
 * pod label could retitle the window, move the cursor or hide a line.
 * Control characters become visible escapes before anything is printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output-internal.h"

/*
 * The length of the valid UTF-8 sequence at @p (1..4), or 0 when it is
 * not one (overlong, surrogate, beyond U+10FFFF, truncated).
 */
int output_utf8_seq(const unsigned char *p)
{
	unsigned cp;
	int n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0; /* also stops at the NUL */
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * Bidirectional controls reorder what follows them on the screen, so a
 * name can show as another (U+202E makes "web-evil" read "live-bew"):
 * U+061C, U+200E..U+200F, U+202A..U+202E, U+2066..U+2069.
 */
static bool bidi_control(const unsigned char *p, int n)
{
	if (n == 2)
		return p[0] == 0xd8 && p[1] == 0x9c;
	if (n != 3 || p[0] != 0xe2)
		return false;
	if (p[1] == 0x80)
		return p[2] == 0x8e || p[2] == 0x8f ||
		       (p[2] >= 0xaa && p[2] <= 0xae);
	return p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9;
}

/* Whether the character at @p (of length @n) must be escaped. */
static bool unsafe(const unsigned char *p, int n, bool keep_newline)
{
	if (n == 0)
		return true;
	if (n == 1)
		/*
		 * A tab would break a table's columns; a backslash would
		 * make a literal "\x1b" in a name look like an escaped ESC.
		 */
		return (p[0] < 0x20 && !(keep_newline && p[0] == '\n')) ||
		       p[0] == 0x7f || p[0] == '\\';
	/* C1 controls U+0080..U+009F: 0xc2 0x80..0x9f (CSI is 0x9b). */
	return (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) || bidi_control(p, n);
}

bool knet_text_is_safe(const char *s, bool keep_newline)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = output_utf8_seq(p);

		if (unsafe(p, n, keep_newline))
			return false;
		p += n;
	}
	return true;
}

char *knet_text_escape(const char *s, bool keep_newline)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	/* Every byte may become \xNN: four times the input at most. */
	char *out = malloc(len * 4 + 1), *o = out;

	if (!out)
		return NULL;
	while (*p) {
		int n = output_utf8_seq(p);

		if (!unsafe(p, n, keep_newline)) {
			memcpy(o, p, (size_t)n);
			o += n;
			p += n;
			continue;
		}
		if (*p == '\\') {
			*o++ = '\\';
			*o++ = '\\';
			p++;
			continue;
		}
		/* A C1 or bidi control escapes whole; bad UTF-8 one byte. */
		for (int i = 0; i < (n > 1 ? n : 1); i++) {
			sprintf(o, "\\x%02x", p[0]);
			o += 4;
			p++;
		}
	}
	*o = '\0';
	return out;
}
