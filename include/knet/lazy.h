/* SPDX-License-Identifier: MIT */
#ifndef KNET_LAZY_H
#define KNET_LAZY_H

/*
 * Libraries loaded on first use (lib/lazy).  knet does not link
 * libcurl, libpcap or libyaml: the functions of theirs that lib/api,
 * lib/capture and lib/kubeconfig call are defined in lib/lazy, which dlopen()s the library
 * the first time one is called and forwards to it.  A command that
 * needs neither (conntrack --no-names, ping, netns...) never maps them
 * nor the ~40 libraries they pull in (TLS, Kerberos, LDAP, D-Bus...):
 * 8 MiB of RSS and most of the start-up.  libyaml is small, but only
 * kubeconfig loading needs it.  See doc/design-notes.md.
 *
 * When a library cannot be loaded, its functions fail as they do when
 * out of memory (curl_easy_init() and pcap_create() return NULL, with
 * the reason in pcap's error buffer; yaml_parser_initialize() fails)
 * and knet_lazy_error() says why.
 */

#include <stdbool.h>

enum knet_lazy_lib {
	KNET_LAZY_CURL,
	KNET_LAZY_PCAP,
	KNET_LAZY_YAML,
};

/* Load @lib now (once; thread-safe): whether it is there. */
bool knet_lazy_load(enum knet_lazy_lib lib);
/* Whether @lib has been loaded (without loading it). */
bool knet_lazy_loaded(enum knet_lazy_lib lib);
/* Why @lib could not be loaded ("libpcap.so.0.8: cannot open..."), or "". */
const char *knet_lazy_error(enum knet_lazy_lib lib);

#endif
