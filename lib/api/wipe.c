/* SPDX-License-Identifier: MIT */
/*
 * Memory that may hold a secret (a token, a key, a response body): it is
 * zeroed before it goes back to the allocator, and grown into a new
 * block rather than with realloc, which would free the old copy as is.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api-internal.h"

void knet_api_wipe_buf_free(void *buf, size_t cap)
{
	if (!buf)
		return;
	explicit_bzero(buf, cap);
	free(buf);
}

int knet_api_wipe_reserve(char **buf, size_t *cap, size_t used, size_t want)
{
	char *nb;

	if (want <= *cap)
		return 0;
	nb = malloc(want);
	if (!nb)
		return -ENOMEM;
	if (*buf)
		memcpy(nb, *buf, used);
	knet_api_wipe_buf_free(*buf, *cap);
	*buf = nb;
	*cap = want;
	return 0;
}
