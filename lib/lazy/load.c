/* SPDX-License-Identifier: MIT */
/*
 * dlopen() once, dlsym() every symbol the forwarders need: all or
 * nothing, so a forwarder either finds its function or knows the
 * library is missing.  RTLD_LOCAL: the library's symbols stay out of
 * the global namespace.  Forwarders may be called from several threads
 * (lib/api prefetches): the first load is under a lock, later calls
 * only read the state.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "lazy-internal.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int load(struct lazy_lib *l)
{
	void *h = NULL;
	const char *why = "";

	for (int i = 0; l->sonames[i] && !h; i++) {
		h = dlopen(l->sonames[i], RTLD_NOW | RTLD_LOCAL);
		if (!h && i == 0)
			why = dlerror();
	}
	if (!h) {
		snprintf(l->error, sizeof(l->error), "%s", why ? why : "");
		return LAZY_FAILED;
	}
	for (int i = 0; l->symbols[i]; i++) {
		l->slots[i] = dlsym(h, l->symbols[i]);
		if (!l->slots[i]) {
			snprintf(l->error, sizeof(l->error),
				 "%s has no %s (too old?)", l->sonames[0],
				 l->symbols[i]);
			/* the handle stays open: nothing of it was used */
			return LAZY_FAILED;
		}
	}
	return LAZY_OK;
}

bool lazy_load_slow(struct lazy_lib *l)
{
	int s;

	pthread_mutex_lock(&lock);
	s = __atomic_load_n(&l->state, __ATOMIC_ACQUIRE);
	if (s == LAZY_UNTRIED) {
		s = load(l);
		__atomic_store_n(&l->state, s, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&lock);
	return s == LAZY_OK;
}

static struct lazy_lib *lib_of(enum knet_lazy_lib lib)
{
	switch (lib) {
	case KNET_LAZY_CURL:
		return &lazy_curl;
	case KNET_LAZY_PCAP:
		return &lazy_pcap;
	default:
		return &lazy_yaml;
	}
}

bool knet_lazy_load(enum knet_lazy_lib lib)
{
	return lazy_load(lib_of(lib));
}

bool knet_lazy_loaded(enum knet_lazy_lib lib)
{
	return __atomic_load_n(&lib_of(lib)->state, __ATOMIC_ACQUIRE) ==
	       LAZY_OK;
}

const char *knet_lazy_error(enum knet_lazy_lib lib)
{
	struct lazy_lib *l = lib_of(lib);

	return lazy_load(l) ? "" : l->error;
}
