/* SPDX-License-Identifier: MIT */
/* The ncurses in use at run time, for `knet version`. */
#include <string.h>

#include "lazy-curses.h"
#include "ui.h"

const char *knet_ui_ncurses_version(void)
{
	/* "ncurses 6.4.20221231" -> "6.4.20221231"; loads it
	 * (lazy-curses.h): `knet version` says what the screens get. */
	const char *v, *sp;

	if (!knet_ui_curses_load())
		return "unavailable";
	v = curses_version();
	sp = strchr(v, ' ');
	return sp ? sp + 1 : v;
}
