/* SPDX-License-Identifier: MIT */
#ifndef KNET_CMD_UI_H
#define KNET_CMD_UI_H

/* The terminal screens (cmd/ui): the only place ncurses is used. */

#include <stdbool.h>
#include <stddef.h>

#include "knet/flows.h"

/* The run-time ncurses version number ("6.4.20221231"). */
const char *knet_ui_ncurses_version(void);

/* --- the flows screen (flows.c) --- */

struct knet_ui_flows;

/* What the screen shows; filled by the command before each draw. */
struct knet_ui_flows_view {
	struct knet_flows *table;
	long long now_ms;
	const char *label;  /* "pod client/client, eth0" */
	const char *source; /* "capture" or "conntrack" */
	bool have_drops;
	unsigned long long captured, dropped, ifdropped;
	bool counters_off; /* conntrack without accounting */
	double refresh;	   /* seconds */
	knet_flow_namer name;
	/* The DNAT target of a flow, named among its Service's endpoints
	 * (NULL: by its address, as @name); @name_ud too. */
	const char *(*backend)(void *ud, const struct knet_flow *f);
	void *name_ud;
	/* Which flows are rows at all (NULL: every one). */
	bool (*keep)(const struct knet_flow *f, void *ud);
	void *keep_ud;
};

/* What a key asked the command to do. */
enum knet_ui_action {
	KNET_UI_NONE,
	KNET_UI_QUIT,
	KNET_UI_RESET, /* zero the counters */
	KNET_UI_REDRAW,
};

/*
 * Take the terminal (restored by knet_ui_flows_close, at exit and on
 * a fatal signal too).  -ENOTTY when it is smaller than 80x24 and
 * cannot be used, with the reason in @err.
 */
int knet_ui_flows_open(const char *grep, bool color, struct knet_ui_flows **ret,
		       struct knet_error *err);
void knet_ui_flows_close(struct knet_ui_flows *ui);
/* Draw @v. */
void knet_ui_flows_draw(struct knet_ui_flows *ui,
			const struct knet_ui_flows_view *v);
/* Paused (p): the refresh draws nothing; keys still do. */
bool knet_ui_flows_paused(const struct knet_ui_flows *ui);
/* Read the keys typed so far, waiting up to @timeout_ms. */
enum knet_ui_action knet_ui_flows_keys(struct knet_ui_flows *ui,
				       const struct knet_ui_flows_view *v,
				       int timeout_ms);

#endif
