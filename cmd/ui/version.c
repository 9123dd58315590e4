/* SPDX-License-Identifier: MIT */
/* The ncurses in use at run time, for `knet version`. */
#include <curses.h>
#include <string.h>

#include "ui.h"

const char *knet_ui_ncurses_version(void)
{
	/* "ncurses 6.4.20221231" -> "6.4.20221231" */
	const char *v = curses_version(), *sp = strchr(v, ' ');

	return sp ? sp + 1 : v;
}
