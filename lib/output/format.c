/* SPDX-License-Identifier: MIT */
/*
 * What the user asked for: the -o format, --color, and which columns
 * and colours that means.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output-internal.h"

int knet_format_parse(const char *s, enum knet_format *ret_format)
{
	static const struct {
		const char *name;
		enum knet_format f;
	} map[] = {
		{"table", KNET_FMT_TABLE},
		{"wide", KNET_FMT_WIDE},
		{"json", KNET_FMT_JSON},
		{"name", KNET_FMT_NAME},
	};
	size_t i;

	for (i = 0; s && i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(s, map[i].name) == 0) {
			*ret_format = map[i].f;
			return 0;
		}
	}
	return -EINVAL;
}

int knet_color_parse(const char *s, enum knet_color_mode *ret_mode)
{
	if (!s)
		return -EINVAL;
	if (strcmp(s, "auto") == 0)
		*ret_mode = KNET_COLOR_AUTO;
	else if (strcmp(s, "always") == 0)
		*ret_mode = KNET_COLOR_ALWAYS;
	else if (strcmp(s, "never") == 0)
		*ret_mode = KNET_COLOR_NEVER;
	else
		return -EINVAL;
	return 0;
}

bool knet_color_wanted(enum knet_color_mode mode, int fd)
{
	const char *no_color = getenv("NO_COLOR");
	const char *term;

	if (no_color && *no_color)
		return false;
	if (mode == KNET_COLOR_ALWAYS)
		return true;
	if (mode == KNET_COLOR_NEVER)
		return false;
	if (!isatty(fd))
		return false;
	term = getenv("TERM");
	return !(term && strcmp(term, "dumb") == 0);
}

bool output_col_visible(const struct knet_table *t, int i)
{
	unsigned f = t->cols[i].flags;

	if (f & KNET_COL_NOTABLE)
		return false;
	if ((f & KNET_COL_WIDE) && t->opts.format != KNET_FMT_WIDE)
		return false;
	return true;
}

const char *output_tone_code(enum knet_tone tone)
{
	switch (tone) {
	case KNET_TONE_GOOD:
		return "\033[32m";
	case KNET_TONE_WARN:
		return "\033[33m";
	case KNET_TONE_BAD:
		return "\033[31m";
	case KNET_TONE_DIM:
		return "\033[2m";
	default:
		return NULL;
	}
}
