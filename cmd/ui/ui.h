/* SPDX-License-Identifier: MIT */
#ifndef KNET_CMD_UI_H
#define KNET_CMD_UI_H

/* The terminal screens (cmd/ui): the only place ncurses is used. */

/* The run-time ncurses version number ("6.4.20221231"). */
const char *knet_ui_ncurses_version(void);

#endif
