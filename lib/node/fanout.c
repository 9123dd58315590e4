/* SPDX-License-Identifier: MIT */
/*
 * The rules of a fan-out (cmd/node-fanout.c runs it): whether a node
 * answered, the reason when it did not, and the exit status of the
 * whole.  Pure functions, so that a unit test holds them.
 */
#include <stdio.h>
#include <string.h>

#include "knet/node.h"

const char *knet_fanout_last_line(const char *text, size_t *ret_len)
{
	const char *end = text + strlen(text), *p;

	while (end > text && end[-1] == '\n')
		end--;
	p = end;
	while (p > text && p[-1] != '\n')
		p--;
	if (!strncmp(p, "knet: ", 6))
		p += 6;
	*ret_len = (size_t)(end - p);
	return p;
}

bool knet_fanout_failed(int status, bool answered, const char *errtext,
			const char *transport, char *reason, size_t len)
{
	size_t l = 0;
	const char *p;

	/* 1 with an answer: the check ran there and found something. */
	if (status == 0 || (status == 1 && answered))
		return false;
	if (status == 127) {
		snprintf(reason, len, "cannot run the node transport '%s'",
			 transport);
		return true;
	}
	p = errtext ? knet_fanout_last_line(errtext, &l) : NULL;
	if (l)
		snprintf(reason, len, "%.*s", (int)l, p);
	else if (status > 128 && status <= 128 + 64) /* not ssh's 255 */
		snprintf(reason, len, "ended by signal %d", status - 128);
	else
		snprintf(reason, len, "exited with status %d", status);
	return true;
}

int knet_fanout_status(int worst, int answered, int failed, int first_failed)
{
	if (!failed)
		return worst;
	if (answered)
		return KNET_EXIT_PROBLEM;
	/* A transport's own status (ssh's 255, a signal) is not ours. */
	return first_failed >= KNET_EXIT_USAGE &&
			       first_failed <= KNET_EXIT_SYSTEM
		       ? first_failed
		       : KNET_EXIT_SYSTEM;
}
