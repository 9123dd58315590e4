/* SPDX-License-Identifier: MIT */
#ifndef KNET_FUZZ_H
#define KNET_FUZZ_H

/*
 * Shared by the fuzz targets (tests/fuzz/fuzz-*.c).  Each defines
 * LLVMFuzzerTestOneInput(); libFuzzer drives it (make fuzz), and
 * replay.c feeds it the committed corpus under ASan (make fuzz-replay).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The input as a NUL-terminated string (a NUL inside ends it early, as
 * it would for a C string read from a file); free() it.
 */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/*
 * Split the input at the first "\n%%\n" into two strings: targets that
 * take two texts (nat and filter tables, two kubeconfig files).  @b is
 * "" when there is no separator.  Both point into one malloc'd block
 * returned in @ret_block.
 */
static inline int fuzz_split2(const uint8_t *data, size_t size, char **a,
			      char **b, char **ret_block)
{
	char *s = fuzz_str(data, size);
	char *sep;

	if (!s)
		return -1;
	*ret_block = s;
	*a = s;
	sep = strstr(s, "\n%%\n");
	if (sep) {
		*sep = '\0';
		*b = sep + 4;
	} else {
		*b = s + strlen(s);
	}
	return 0;
}

#endif
