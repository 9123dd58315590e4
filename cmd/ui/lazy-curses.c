/* SPDX-License-Identifier: MIT */
/*
 * The ncurses functions cmd/ui calls, forwarded to libncursesw loaded
 * by knet_ui_curses_load() (lazy-curses.h), each with the prototype of
 * <curses.h>, and the addresses of the variables it uses.  The loader
 * is lib/lazy's (knet/lazy.h); only the list of names lives here, next
 * to the one folder that may include ncurses' header.  A screen loads
 * ncurses when it opens and fails to open without it, so nothing else
 * is called unloaded; if it were, the call fails (ERR, NULL) rather
 * than crashing.
 */
#include <stdarg.h>

#include "lazy-curses.h"

/* Debian 12's ncurses 6; -DKNET_LIBNCURSESW_SONAME= for others. */
#ifndef KNET_LIBNCURSESW_SONAME
#define KNET_LIBNCURSESW_SONAME "libncursesw.so.6"
#endif

enum {
	CBREAK = KNET_CURSES_NVARS, /* the variables' slots come first */
	CURS_SET,
	ENDWIN,
	HAS_COLORS,
	INIT_PAIR,
	INITSCR,
	KEYPAD,
	NOECHO,
	NONL,
	START_COLOR,
	USE_DEFAULT_COLORS,
	VW_PRINTW,
	WADDCH,
	WADDNSTR,
	WATTR_OFF,
	WATTR_ON,
	WCHGAT,
	WCLEAR,
	WCLRTOEOL,
	WERASE,
	WGETCH,
	WHLINE,
	WMOVE,
	WREFRESH,
	WTIMEOUT,
	CURSES_VERSION,
	NSYMS,
};

static const char *const sonames[] = {KNET_LIBNCURSESW_SONAME, NULL};
static const char *const symbols[NSYMS + 1] = {
	[KNET_CURSES_COLS] = "COLS",
	[KNET_CURSES_LINES] = "LINES",
	[KNET_CURSES_STDSCR] = "stdscr",
	[KNET_CURSES_ACS_MAP] = "acs_map",
	[CBREAK] = "cbreak",
	[CURS_SET] = "curs_set",
	[ENDWIN] = "endwin",
	[HAS_COLORS] = "has_colors",
	[INIT_PAIR] = "init_pair",
	[INITSCR] = "initscr",
	[KEYPAD] = "keypad",
	[NOECHO] = "noecho",
	[NONL] = "nonl",
	[START_COLOR] = "start_color",
	[USE_DEFAULT_COLORS] = "use_default_colors",
	[VW_PRINTW] = "vw_printw",
	[WADDCH] = "waddch",
	[WADDNSTR] = "waddnstr",
	[WATTR_OFF] = "wattr_off",
	[WATTR_ON] = "wattr_on",
	[WCHGAT] = "wchgat",
	[WCLEAR] = "wclear",
	[WCLRTOEOL] = "wclrtoeol",
	[WERASE] = "werase",
	[WGETCH] = "wgetch",
	[WHLINE] = "whline",
	[WMOVE] = "wmove",
	[WREFRESH] = "wrefresh",
	[WTIMEOUT] = "wtimeout",
	[CURSES_VERSION] = "curses_version",
	[NSYMS] = NULL,
};

/* The loader fills it; the variables' addresses are its first slots. */
void *knet_ui_curses_slot[NSYMS];
static struct knet_lazy_set lib =
	KNET_LAZY_SET(sonames, symbols, knet_ui_curses_slot);

#define FN(T, i) ((T)knet_ui_curses_slot[i])
#define LOADED() knet_lazy_is_open(&lib)

bool knet_ui_curses_load(void)
{
	return knet_lazy_open(&lib);
}

const char *knet_ui_curses_error(void)
{
	return knet_ui_curses_load() ? "" : lib.error;
}

/* The many functions of one shape: (void) and (WINDOW *). */
#define CURSES_VOID(name, i)                                                   \
	int name(void)                                                         \
	{                                                                      \
		return LOADED() ? FN(int (*)(void), i)() : ERR;                \
	}
#define CURSES_WIN(name, i)                                                    \
	int name(WINDOW *w)                                                    \
	{                                                                      \
		return LOADED() ? FN(int (*)(WINDOW *), i)(w) : ERR;           \
	}

CURSES_VOID(cbreak, CBREAK)
CURSES_VOID(endwin, ENDWIN)
CURSES_VOID(noecho, NOECHO)
CURSES_VOID(nonl, NONL)
CURSES_VOID(start_color, START_COLOR)
CURSES_VOID(use_default_colors, USE_DEFAULT_COLORS)
CURSES_WIN(wclear, WCLEAR)
CURSES_WIN(wclrtoeol, WCLRTOEOL)
CURSES_WIN(werase, WERASE)
CURSES_WIN(wgetch, WGETCH)
CURSES_WIN(wrefresh, WREFRESH)

WINDOW *initscr(void)
{
	return LOADED() ? FN(WINDOW * (*)(void), INITSCR)() : NULL;
}

bool has_colors(void)
{
	return LOADED() && FN(bool (*)(void), HAS_COLORS)();
}

int curs_set(int visibility)
{
	return LOADED() ? FN(int (*)(int), CURS_SET)(visibility) : ERR;
}

int init_pair(short pair, short fg, short bg)
{
	return LOADED() ? FN(int (*)(short, short, short), INIT_PAIR)(pair, fg,
								      bg)
			: ERR;
}

int keypad(WINDOW *w, bool on)
{
	return LOADED() ? FN(int (*)(WINDOW *, bool), KEYPAD)(w, on) : ERR;
}

int vw_printw(WINDOW *w, const char *fmt, va_list ap)
{
	return LOADED() ? FN(int (*)(WINDOW *, const char *, va_list),
			     VW_PRINTW)(w, fmt, ap)
			: ERR;
}

/* Variadic: moved, then printed with ncurses' va_list variant. */
int mvprintw(int y, int x, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (!LOADED() || wmove(stdscr, y, x) == ERR)
		return ERR;
	va_start(ap, fmt);
	r = vw_printw(stdscr, fmt, ap);
	va_end(ap);
	return r;
}

int waddch(WINDOW *w, const chtype ch)
{
	return LOADED() ? FN(int (*)(WINDOW *, chtype), WADDCH)(w, ch) : ERR;
}

int waddnstr(WINDOW *w, const char *s, int n)
{
	return LOADED() ? FN(int (*)(WINDOW *, const char *, int),
			     WADDNSTR)(w, s, n)
			: ERR;
}

int wattr_off(WINDOW *w, attr_t a, void *opts)
{
	return LOADED() ? FN(int (*)(WINDOW *, attr_t, void *), WATTR_OFF)(w, a,
									   opts)
			: ERR;
}

int wattr_on(WINDOW *w, attr_t a, void *opts)
{
	return LOADED() ? FN(int (*)(WINDOW *, attr_t, void *), WATTR_ON)(w, a,
									  opts)
			: ERR;
}

int wchgat(WINDOW *w, int n, attr_t a, short pair, const void *opts)
{
	return LOADED()
		       ? FN(int (*)(WINDOW *, int, attr_t, short, const void *),
			    WCHGAT)(w, n, a, pair, opts)
		       : ERR;
}

int whline(WINDOW *w, chtype ch, int n)
{
	return LOADED() ? FN(int (*)(WINDOW *, chtype, int), WHLINE)(w, ch, n)
			: ERR;
}

int wmove(WINDOW *w, int y, int x)
{
	return LOADED() ? FN(int (*)(WINDOW *, int, int), WMOVE)(w, y, x) : ERR;
}

void wtimeout(WINDOW *w, int delay)
{
	if (LOADED())
		FN(void (*)(WINDOW *, int), WTIMEOUT)(w, delay);
}

const char *curses_version(void)
{
	return LOADED() ? FN(const char *(*)(void), CURSES_VERSION)()
			: "ncurses unavailable";
}
