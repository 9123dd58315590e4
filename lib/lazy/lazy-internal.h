/* SPDX-License-Identifier: MIT */
#ifndef KNET_LAZY_INTERNAL_H
#define KNET_LAZY_INTERNAL_H

#include <stdbool.h>

#include "knet/lazy.h"

/* lib/lazy's own libraries (load.c is the loader of knet/lazy.h). */
extern struct knet_lazy_set lazy_curl, lazy_pcap, lazy_yaml, lazy_cjson;

/* @var, with the sonames[], symbols[] and NSYMS of the file. */
#define LAZY_LIB(var)                                                          \
	static void *slot[NSYMS];                                              \
	struct knet_lazy_set var = KNET_LAZY_SET(sonames, symbols, slot)
/* The function in slot @i, as type @T (POSIX: dlsym's void * is one). */
#define FN(T, i) ((T)slot[i])

#endif
