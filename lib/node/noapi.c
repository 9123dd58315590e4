/* SPDX-License-Identifier: MIT */
/*
 * The remote command line of a run without an API: the global options
 * that only reach the API go.  Kept apart from transport.c, which the
 * k8s transport's expansion also changes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "knet/node.h"

/* Long forms only: a short -s after the command is its own (ping -s). */
static const char *const with_value[] = {
	"--kubeconfig",
	"--context",
	"--cluster",
	"--user",
	"--server",
	"--token",
	"--certificate-authority",
	"--tls-server-name",
	"--as",
	"--as-group",
	"--request-timeout",
	"--api-encoding",
};
static const char *const flags[] = {"--insecure-skip-tls-verify"};

/* How many words argv[i] takes, 0 when it stays. */
static int api_words(char *const *argv, int i)
{
	const char *a = argv[i];

	for (size_t k = 0; k < sizeof(flags) / sizeof(*flags); k++)
		if (!strcmp(a, flags[k]))
			return 1;
	for (size_t k = 0; k < sizeof(with_value) / sizeof(*with_value); k++) {
		size_t l = strlen(with_value[k]);

		if (strncmp(a, with_value[k], l))
			continue;
		if (a[l] == '=')
			return 1;
		if (!a[l])
			return argv[i + 1] ? 2 : 1;
	}
	return 0;
}

int knet_via_take_api(char **argv, char ***ret_taken, struct knet_error *err)
{
	char **taken = NULL;
	int out = 0, ntaken = 0;
	bool opts = true;

	for (int i = 0; argv[i];) {
		int n = opts ? api_words(argv, i) : 0;

		if (n && ret_taken) {
			char **nt = realloc(taken,
					    (ntaken + n + 1) * sizeof(*taken));

			if (!nt) {
				knet_addrs_free(taken, ntaken);
				return knet_error_set(err, -ENOMEM,
						      KNET_EXIT_SYSTEM,
						      "out of memory");
			}
			taken = nt;
			for (int k = 0; k < n; k++)
				taken[ntaken++] = argv[i + k];
			taken[ntaken] = NULL;
			i += n;
			continue;
		}
		if (n) {
			for (int k = 0; k < n; k++)
				knet_wipe_free(argv[i + k]); /* a --token */
			i += n;
			continue;
		}
		if (!strcmp(argv[i], "--"))
			opts = false;
		argv[out++] = argv[i++];
	}
	argv[out] = NULL;
	if (ret_taken)
		*ret_taken = taken;
	return ntaken;
}

void knet_via_strip_api(char **argv)
{
	knet_via_take_api(argv, NULL, NULL);
}
