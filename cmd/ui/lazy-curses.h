/* SPDX-License-Identifier: MIT */
#ifndef KNET_CMD_UI_LAZY_CURSES_H
#define KNET_CMD_UI_LAZY_CURSES_H

/*
 * ncurses, loaded by the screens when they open (lazy-curses.c): knet
 * does not link it, so no other command maps libncursesw and libtinfo.
 * cmd/ui includes this instead of <curses.h>.  The functions the
 * screens call are defined in lazy-curses.c with ncurses' own
 * prototypes; its variables (COLS, LINES, stdscr, and acs_map behind
 * ACS_*) are reached through the addresses dlsym() gave, their uses
 * written as before (see KNET_LAZY_VAR).  Nothing here may be used
 * before knet_ui_curses_load() said yes.
 */

#include <stdbool.h>
#include <curses.h>

#include "knet/lazy.h"

/* Load ncurses now (once): whether it is there. */
bool knet_ui_curses_load(void);
/* Why it could not be loaded, or "". */
const char *knet_ui_curses_error(void);

/* The slots of ncurses' variables, first in lazy-curses.c's. */
enum {
	KNET_CURSES_COLS,
	KNET_CURSES_LINES,
	KNET_CURSES_STDSCR,
	KNET_CURSES_ACS_MAP,
	KNET_CURSES_NVARS,
};
extern void *knet_ui_curses_slot[];

#define KNET_CURSES_VAR(var, i) KNET_LAZY_VAR(var, knet_ui_curses_slot[i])
#define COLS			KNET_CURSES_VAR(COLS, KNET_CURSES_COLS)
#define LINES			KNET_CURSES_VAR(LINES, KNET_CURSES_LINES)
#define stdscr			KNET_CURSES_VAR(stdscr, KNET_CURSES_STDSCR)
#define acs_map			KNET_CURSES_VAR(acs_map, KNET_CURSES_ACS_MAP)

#endif
