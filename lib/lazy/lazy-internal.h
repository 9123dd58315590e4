/* SPDX-License-Identifier: MIT */
#ifndef KNET_LAZY_INTERNAL_H
#define KNET_LAZY_INTERNAL_H

#include <stdbool.h>

#include "knet/lazy.h"

/* One library: its names to try, the symbols to resolve, where to. */
struct lazy_lib {
	const char *const *sonames; /* NULL-terminated, tried in order */
	const char *const *symbols; /* NULL-terminated */
	void **slots;		    /* one per symbol */
	int state;		    /* LAZY_*, read and set atomically */
	char error[256];
};

enum { LAZY_UNTRIED, LAZY_OK, LAZY_FAILED };

/* Load @l the first time; whether all its symbols are there. */
bool lazy_load_slow(struct lazy_lib *l);
static inline bool lazy_load(struct lazy_lib *l)
{
	int s = __atomic_load_n(&l->state, __ATOMIC_ACQUIRE);

	return s == LAZY_OK || (s == LAZY_UNTRIED && lazy_load_slow(l));
}

/*
 * Whether @l is loaded, without loading it: for the functions that take
 * an object only the library makes (a handle, a list, a parser), which
 * cannot exist before it is loaded; freeing NULL loads nothing.
 */
static inline bool lazy_loaded(struct lazy_lib *l)
{
	return __atomic_load_n(&l->state, __ATOMIC_ACQUIRE) == LAZY_OK;
}

extern struct lazy_lib lazy_curl, lazy_pcap, lazy_yaml;

/* @var, with the sonames[], symbols[] and NSYMS of the file. */
#define LAZY_LIB(var)                                                          \
	static void *slot[NSYMS];                                              \
	struct lazy_lib var = {sonames, symbols, slot, LAZY_UNTRIED, ""}
/* The function in slot @i, as type @T (POSIX: dlsym's void * is one). */
#define FN(T, i) ((T)slot[i])

#endif
