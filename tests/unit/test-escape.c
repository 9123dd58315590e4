/* SPDX-License-Identifier: MIT */
/* Terminal escaping of outside text: controls, C1, bad UTF-8. */
#include <stdlib.h>

#include "knet/output.h"
#include "unit.h"

static void check_escape(const char *in, bool nl, const char *want)
{
	char *got = knet_text_escape(in, nl);

	CHECK_STR(got, want);
	CHECK_INT(knet_text_is_safe(in, nl), !strcmp(in, want));
	free(got);
}

int main(void)
{
	check_escape("", false, "");
	check_escape("web-1", false, "web-1");
	check_escape("tab\there", false, "tab\\x09here");
	/* ESC ] 0 ; title BEL: a window-title change */
	check_escape("a\x1b]0;pwned\x07z", false, "a\\x1b]0;pwned\\x07z");
	check_escape("line1\nline2", false, "line1\\x0aline2");
	check_escape("line1\nline2", true, "line1\nline2");
	check_escape("cr\rover", true, "cr\\x0dover");
	check_escape("del\x7f", false, "del\\x7f");
	/* C1 CSI (U+009B) in UTF-8 is two bytes, both escaped */
	check_escape("x\xc2\x9b"
		     "2J",
		     false, "x\\xc2\\x9b2J");
	/* U+00A0 and above are printable */
	check_escape("\xc2\xa0", false, "\xc2\xa0");
	check_escape("日本 🙂 é", false, "日本 🙂 é");
	/* invalid UTF-8: a lone continuation, an overlong, a truncation */
	check_escape("\x80", false, "\\x80");
	check_escape("\xc0\xaf", false, "\\xc0\\xaf");
	check_escape("\xe6\x97", false, "\\xe6\\x97");
	check_escape("\xed\xa0\x80", false, "\\xed\\xa0\\x80");
	check_escape("\xf4\x90\x80\x80", false, "\\xf4\\x90\\x80\\x80");
	/* a backslash doubles: a literal "\x1b" is not an escaped ESC */
	check_escape("a\\x1b", false, "a\\\\x1b");
	/* bidi controls: RLO (U+202E), RLI (U+2067), RLM (U+200F), ALM */
	check_escape("web-\xe2\x80\xae"
		     "live",
		     false, "web-\\xe2\\x80\\xaelive");
	check_escape("\xe2\x81\xa7x", false, "\\xe2\\x81\\xa7x");
	check_escape("\xe2\x80\x8f", false, "\\xe2\\x80\\x8f");
	check_escape("\xd8\x9c", false, "\\xd8\\x9c");
	/* their neighbours are printable: U+2010 hyphen, U+2070 */
	check_escape("\xe2\x80\x90\xe2\x81\xb0", false,
		     "\xe2\x80\x90\xe2\x81\xb0");
	return unit_done("test-escape");
}
