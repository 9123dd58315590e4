/* SPDX-License-Identifier: MIT */
#ifndef KNET_LAZY_H
#define KNET_LAZY_H

/*
 * Libraries loaded on first use (lib/lazy).  knet does not link
 * libcurl, libpcap, libyaml or cJSON: the functions of theirs that
 * lib/ and cmd/ call are defined in lib/lazy, which dlopen()s the
 * library the first time one is called and forwards to it.  A command
 * that needs none (conntrack --no-names, ping, netns...) never maps
 * them nor the ~40 libraries they pull in (TLS, Kerberos, LDAP,
 * D-Bus...): 8 MiB of RSS and most of the start-up.  libyaml and cJSON
 * are small, but only kubeconfig loading, the API and JSON documents
 * need them.  readline and ncurses are loaded the same way by cmd/shell
 * and cmd/ui (struct knet_lazy_set below).  See doc/design-notes.md.
 *
 * When a library cannot be loaded, its functions fail as they do when
 * out of memory (curl_easy_init(), pcap_create() and cJSON_Parse()
 * return NULL, with the reason in pcap's error buffer;
 * yaml_parser_initialize() fails) and knet_lazy_error() says why.
 */

#include <stdbool.h>

/*
 * One library loaded on first use: the sonames to try, the symbols to
 * resolve and the slots they go to (one per symbol, both lists in the
 * same order).  lib/lazy's libraries are described in lib/lazy; cmd/shell
 * (readline) and cmd/ui (ncurses) describe theirs next to the only code
 * that may include their headers, and load them with knet_lazy_open():
 * one loader, one lock, one way to fail.  Static storage, made with
 * KNET_LAZY_SET().
 */
struct knet_lazy_set {
	const char *const *sonames; /* NULL-terminated, tried in order */
	const char *const *symbols; /* NULL-terminated */
	void **slots;		    /* one per symbol; all NULL unless loaded */
	int state;		    /* KNET_LAZY_*, read and set atomically */
	char error[256];	    /* why not, once it failed */
};

enum { KNET_LAZY_UNTRIED, KNET_LAZY_OK, KNET_LAZY_FAILED };

#define KNET_LAZY_SET(sonames, symbols, slots)                                 \
	{                                                                      \
		(sonames), (symbols), (slots), KNET_LAZY_UNTRIED, ""           \
	}

/*
 * dlopen() @l the first time (RTLD_LOCAL) and dlsym() all its symbols,
 * all or nothing, under a lock: whether it is loaded.  Later calls only
 * read the state, so this is cheap enough to call before every use.
 */
bool knet_lazy_open_slow(struct knet_lazy_set *l);
static inline bool knet_lazy_open(struct knet_lazy_set *l)
{
	int s = __atomic_load_n(&l->state, __ATOMIC_ACQUIRE);

	return s == KNET_LAZY_OK ||
	       (s == KNET_LAZY_UNTRIED && knet_lazy_open_slow(l));
}
/* Whether @l is loaded, without loading it. */
static inline bool knet_lazy_is_open(struct knet_lazy_set *l)
{
	return __atomic_load_n(&l->state, __ATOMIC_ACQUIRE) == KNET_LAZY_OK;
}

/*
 * A library's variable @var (rl_line_buffer, COLS...) at the address in
 * @slot, which dlsym() gave: an executable that does not link the
 * library cannot reach its data through a copy relocation.  The type is
 * the library header's own declaration of @var; a header that defines
 * `#define var KNET_LAZY_VAR(var, slot)` after including the library's
 * leaves every use as written (the preprocessor does not expand @var
 * inside its own definition again).  Valid only while the library is
 * loaded.
 */
#define KNET_LAZY_VAR(var, slot) (*(__typeof__(var) *)(slot))

enum knet_lazy_lib {
	KNET_LAZY_CURL,
	KNET_LAZY_PCAP,
	KNET_LAZY_YAML,
	KNET_LAZY_CJSON,
};

/* Load @lib now (once; thread-safe): whether it is there. */
bool knet_lazy_load(enum knet_lazy_lib lib);
/* Whether @lib has been loaded (without loading it). */
bool knet_lazy_loaded(enum knet_lazy_lib lib);
/* Why @lib could not be loaded ("libpcap.so.0.8: cannot open..."), or "". */
const char *knet_lazy_error(enum knet_lazy_lib lib);

#endif
