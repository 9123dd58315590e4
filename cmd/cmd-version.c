/* SPDX-License-Identifier: MIT */
/*
 * knet version: knet's own version and the versions of the libraries in
 * use at run time (not the ones it was built against), since a bug
 * report about TLS or capture depends on those.
 */
#include <string.h>

#include "cmd.h"
#include "knet/api.h"
#include "knet/capture.h"
#include "knet/kubeconfig.h"
#include "shell/shell.h"
#include "ui/ui.h"

#ifndef KNET_VERSION
#define KNET_VERSION "0.0.0-dev"
#endif

enum { COL_COMPONENT, COL_VERSION, NCOLS };

static const struct knet_column columns[] = {
	[COL_COMPONENT] = {"COMPONENT", "component", KNET_CELL_STR,
			   KNET_COL_NAME, 0},
	[COL_VERSION] = {"VERSION", "version", KNET_CELL_STR, 0, 0},
	[NCOLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static int add(struct knet_table *t, const char *component, const char *version)
{
	int r = knet_table_add_row(t);

	if (r == 0)
		r = knet_table_set_str(t, COL_COMPONENT, component);
	if (r == 0)
		r = knet_table_set_str(t, COL_VERSION, version);
	return r;
}

static int exec_version(struct knet_ctx *ctx, const struct knet_args *args)
{
	struct knet_output_opts o = knet_ctx_output(ctx, "component");
	bool libs = knet_args_has(args, "libraries");
	struct knet_error err = {0};
	struct knet_table *t = NULL;
	char pcap[64], rl[16];
	int r;

	knet_shell_readline_version(rl, sizeof(rl));
	r = knet_table_new(columns, &o, &t);
	if (r == 0)
		r = add(t, "knet", KNET_VERSION);
	/*
	 * libcurl (with its TLS library and ~40 more), libpcap and libyaml
	 * are loaded on first use (lib/lazy): asking them their version
	 * loads them, which costs 10 ms and 8 MiB, six times what the rest
	 * of this command does.  Only with --libraries.
	 */
	if (r == 0 && libs)
		r = add(t, "libcurl", knet_api_curl_version());
	if (r == 0 && libs)
		r = add(t, "ssl", knet_api_tls_version());
	if (r == 0 && libs) {
		knet_capture_lib_version(pcap, sizeof(pcap));
		r = add(t, "libpcap", pcap);
	}
	if (r == 0)
		r = add(t, "cJSON", cJSON_Version());
	if (r == 0)
		r = add(t, "ncurses", knet_ui_ncurses_version());
	if (r == 0)
		r = add(t, "readline", rl);
	if (r == 0 && libs)
		r = add(t, "libyaml", knet_yaml_version());
	if (r == 0)
		r = knet_table_render(t);
	knet_table_free(t);
	if (r < 0) {
		knet_error_set(&err, r, KNET_EXIT_SYSTEM, "%s", strerror(-r));
		return knet_fail(ctx, &err, "print the version", NULL);
	}
	return 0;
}

static const struct knet_opt version_options[] = {
	{"libraries", 'L', KNET_OPT_FLAG, NULL,
	 "also load and show the libraries used on demand (libcurl and its "
	 "TLS library, libpcap, libyaml)",
	 NULL, 0, 0, NULL},
	{NULL, 0, 0, NULL, NULL, NULL, 0, 0, NULL},
};

const struct knet_cmd knet_cmd_version = {
	.name = "version",
	.group = "other",
	.summary = "show knet's version and the libraries it uses",
	.usage = "[-L]",
	.options = version_options,
	.min_args = 0,
	.max_args = 0,
	.exec = exec_version,
};
