/* SPDX-License-Identifier: MIT */
/*
 * dlopen() once, dlsym() every symbol the forwarders need: all or
 * nothing, so a forwarder either finds its function or knows the
 * library is missing (the slots stay NULL: a use that skipped the
 * check crashes at once rather than half works).  RTLD_LOCAL: the
 * library's symbols stay out of the global namespace.  RTLD_LAZY: each
 * library is bound as its own build asked, as when it was linked (knet's
 * -z now binds knet alone); ncurses, cJSON, libcurl and OpenSSL are
 * built with -z now and are bound at once anyway, readline and libpcap
 * are not, and binding all of readline's calls at once made `knet
 * version` 20% dearer (1.95 M instructions against 1.62 M).  What knet
 * calls is checked by the dlsym()s either way.  Forwarders may
 * be called from several threads (lib/api prefetches): the first load
 * is under a lock, later calls only read the state.  The same loader
 * serves cmd/shell's readline and cmd/ui's ncurses (knet/lazy.h).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "lazy-internal.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int load(struct knet_lazy_set *l)
{
	void *h = NULL;
	const char *why = "";
	int i;

	for (i = 0; l->sonames[i] && !h; i++) {
		h = dlopen(l->sonames[i], RTLD_LAZY | RTLD_LOCAL);
		if (!h && i == 0)
			why = dlerror();
	}
	if (!h) {
		snprintf(l->error, sizeof(l->error), "%s", why ? why : "");
		return KNET_LAZY_FAILED;
	}
	for (i = 0; l->symbols[i]; i++) {
		l->slots[i] = dlsym(h, l->symbols[i]);
		if (!l->slots[i])
			break;
	}
	if (l->symbols[i]) {
		snprintf(l->error, sizeof(l->error), "%s has no %s (too old?)",
			 l->sonames[0], l->symbols[i]);
		while (i-- > 0)
			l->slots[i] = NULL;
		/* the handle stays open: nothing of it was used */
		return KNET_LAZY_FAILED;
	}
	return KNET_LAZY_OK;
}

bool knet_lazy_open_slow(struct knet_lazy_set *l)
{
	int s;

	pthread_mutex_lock(&lock);
	s = __atomic_load_n(&l->state, __ATOMIC_ACQUIRE);
	if (s == KNET_LAZY_UNTRIED) {
		s = load(l);
		__atomic_store_n(&l->state, s, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&lock);
	return s == KNET_LAZY_OK;
}

static struct knet_lazy_set *lib_of(enum knet_lazy_lib lib)
{
	switch (lib) {
	case KNET_LAZY_CURL:
		return &lazy_curl;
	case KNET_LAZY_PCAP:
		return &lazy_pcap;
	case KNET_LAZY_CJSON:
		return &lazy_cjson;
	default:
		return &lazy_yaml;
	}
}

bool knet_lazy_load(enum knet_lazy_lib lib)
{
	return knet_lazy_open(lib_of(lib));
}

bool knet_lazy_loaded(enum knet_lazy_lib lib)
{
	return knet_lazy_is_open(lib_of(lib));
}

const char *knet_lazy_error(enum knet_lazy_lib lib)
{
	struct knet_lazy_set *l = lib_of(lib);

	return knet_lazy_open(l) ? "" : l->error;
}
