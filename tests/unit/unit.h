/* SPDX-License-Identifier: MIT */
#ifndef KNET_UNIT_H
#define KNET_UNIT_H

/*
 * A minimal unit-test harness: CHECK macros count passes and failures,
 * UNIT_SKIP() counts a group of checks that could not run here, and
 * unit_done() prints "<name>: N passed, N failed, N skipped" and returns
 * the exit status.  Tests run under ASan+UBSan (see the Makefile).
 */

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed, unit_skipped;

/* A group of checks skipped, with the reason on stdout. */
#define UNIT_SKIP(name, why)                                                   \
	do {                                                                   \
		unit_skipped++;                                                \
		printf("%s: skipped: %s\n", name, why);                        \
	} while (0)

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (cond) {                                                    \
			unit_passed++;                                         \
		} else {                                                       \
			unit_failed++;                                         \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
		}                                                              \
	} while (0)

#define CHECK_INT(a, b)                                                        \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ == b_) {                                                \
			unit_passed++;                                         \
		} else {                                                       \
			unit_failed++;                                         \
			fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n",  \
				__FILE__, __LINE__, #a, a_, b_);               \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		if (a_ && b_ && strcmp(a_, b_) == 0) {                         \
			unit_passed++;                                         \
		} else {                                                       \
			unit_failed++;                                         \
			fprintf(stderr,                                        \
				"%s:%d: %s == \"%s\", expected "               \
				"\"%s\"\n",                                    \
				__FILE__, __LINE__, #a, a_ ? a_ : "(null)",    \
				b_ ? b_ : "(null)");                           \
		}                                                              \
	} while (0)

static inline int unit_done(const char *name)
{
	printf("%s: %d passed, %d failed, %d skipped\n", name, unit_passed,
	       unit_failed, unit_skipped);
	return unit_failed ? 1 : 0;
}

#endif
