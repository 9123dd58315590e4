/* SPDX-License-Identifier: MIT */
#ifndef KNET_FREE_CHECK_H
#define KNET_FREE_CHECK_H

/*
 * Are secrets zeroed before their memory is freed?  A test including
 * this replaces free() and realloc() (its own definitions win over the
 * sanitizer's and libc's) and, between free_check_start() and
 * free_check_stop(), searches every block given back for a marker.
 * Blocks libcurl frees from its own code do not count: its internal
 * copies are out of knet's reach.  For ASan builds only.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

/* From the sanitizer runtime (gcc 12 ships no header for them). */
int __sanitizer_get_ownership(const volatile void *p);
size_t __sanitizer_get_allocated_size(const volatile void *p);
void __interceptor_free(void *p);
void *__interceptor_realloc(void *p, size_t n);

static const char *volatile free_check_marker;
static volatile int free_check_leaks;

/* free() runs before the sanitizer is set up: not instrumented. */
#define FREE_CHECK_RAW __attribute__((no_sanitize("address", "undefined")))

FREE_CHECK_RAW static void free_check_block(void *p, void *caller)
{
	const char *m = free_check_marker;
	Dl_info info;

	if (!m || !p || !__sanitizer_get_ownership(p))
		return;
	if (!memmem(p, __sanitizer_get_allocated_size(p), m, strlen(m)))
		return;
	if (dladdr(caller, &info) && info.dli_fname &&
	    strstr(info.dli_fname, "libcurl"))
		return;
	free_check_leaks++;
}

FREE_CHECK_RAW void free(void *p)
{
	free_check_block(p, __builtin_return_address(0));
	__interceptor_free(p);
}

/* A secret grown with realloc leaves its old copy behind unwiped. */
FREE_CHECK_RAW void *realloc(void *p, size_t n)
{
	free_check_block(p, __builtin_return_address(0));
	return __interceptor_realloc(p, n);
}

static inline void free_check_start(const char *marker)
{
	free_check_leaks = 0;
	free_check_marker = marker;
}

/* How many blocks still held the marker when they were freed. */
static inline int free_check_stop(void)
{
	free_check_marker = NULL;
	return free_check_leaks;
}

#endif
