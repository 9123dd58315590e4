/* SPDX-License-Identifier: MIT */
/*
 * The libpcap functions lib/capture calls, forwarded to libpcap loaded
 * on the first call that needs it (see knet/lazy.h), each with the
 * prototype of <pcap/pcap.h>.  pcap_create(), pcap_open_offline(),
 * pcap_open_dead(), pcap_lib_version() and pcap_statustostr() load it
 * (the first two fail with the reason in @errbuf when it cannot be, as
 * libpcap's own failures do); the rest take a pcap_t or a program only
 * libpcap makes and never load it.
 */
#include <pcap/pcap.h>
#include <stddef.h>
#include <stdio.h>

#include "lazy-internal.h"

/* Debian's libpcap is libpcap.so.0.8; upstream's, libpcap.so.1. */
#ifndef KNET_LIBPCAP_SONAME
#define KNET_LIBPCAP_SONAME "libpcap.so.0.8"
#endif

enum {
	CREATE,
	OPEN_OFFLINE,
	OPEN_DEAD,
	OFFLINE_FILTER,
	ACTIVATE,
	CLOSE,
	COMPILE,
	FREECODE,
	SETFILTER,
	DATALINK,
	SNAPSHOT,
	GET_SELECTABLE_FD,
	GETERR,
	NEXT_EX,
	SET_BUFFER_SIZE,
	SET_IMMEDIATE_MODE,
	SET_PROMISC,
	SET_SNAPLEN,
	SET_TIMEOUT,
	SETNONBLOCK,
	STATS,
	STATUSTOSTR,
	LIB_VERSION,
	NSYMS,
};

static const char *const sonames[] = {KNET_LIBPCAP_SONAME, "libpcap.so.1",
				      NULL};
static const char *const symbols[NSYMS + 1] = {
	[CREATE] = "pcap_create",
	[OPEN_OFFLINE] = "pcap_open_offline",
	[OPEN_DEAD] = "pcap_open_dead",
	[OFFLINE_FILTER] = "pcap_offline_filter",
	[ACTIVATE] = "pcap_activate",
	[CLOSE] = "pcap_close",
	[COMPILE] = "pcap_compile",
	[FREECODE] = "pcap_freecode",
	[SETFILTER] = "pcap_setfilter",
	[DATALINK] = "pcap_datalink",
	[SNAPSHOT] = "pcap_snapshot",
	[GET_SELECTABLE_FD] = "pcap_get_selectable_fd",
	[GETERR] = "pcap_geterr",
	[NEXT_EX] = "pcap_next_ex",
	[SET_BUFFER_SIZE] = "pcap_set_buffer_size",
	[SET_IMMEDIATE_MODE] = "pcap_set_immediate_mode",
	[SET_PROMISC] = "pcap_set_promisc",
	[SET_SNAPLEN] = "pcap_set_snaplen",
	[SET_TIMEOUT] = "pcap_set_timeout",
	[SETNONBLOCK] = "pcap_setnonblock",
	[STATS] = "pcap_stats",
	[STATUSTOSTR] = "pcap_statustostr",
	[LIB_VERSION] = "pcap_lib_version",
	[NSYMS] = NULL,
};
LAZY_LIB(lazy_pcap);

#define READY()	 knet_lazy_open(&lazy_pcap)
#define LOADED() knet_lazy_is_open(&lazy_pcap)

/* Why there is no pcap_t, where libpcap would say it. */
static void no_pcap(char *errbuf)
{
	snprintf(errbuf, PCAP_ERRBUF_SIZE, "libpcap is not available: %.*s",
		 PCAP_ERRBUF_SIZE - 32, lazy_pcap.error);
}

/* The many functions of one shape: (pcap_t *) and (pcap_t *, int). */
#define PCAP_GET(name, i)                                                      \
	int name(pcap_t *p)                                                    \
	{                                                                      \
		return LOADED() ? FN(int (*)(pcap_t *), i)(p) : PCAP_ERROR;    \
	}
#define PCAP_SET(name, i)                                                      \
	int name(pcap_t *p, int v)                                             \
	{                                                                      \
		return LOADED() ? FN(int (*)(pcap_t *, int), i)(p, v)          \
				: PCAP_ERROR;                                  \
	}

PCAP_GET(pcap_activate, ACTIVATE)
PCAP_GET(pcap_datalink, DATALINK)
PCAP_GET(pcap_snapshot, SNAPSHOT)
PCAP_GET(pcap_get_selectable_fd, GET_SELECTABLE_FD)
PCAP_SET(pcap_set_buffer_size, SET_BUFFER_SIZE)
PCAP_SET(pcap_set_immediate_mode, SET_IMMEDIATE_MODE)
PCAP_SET(pcap_set_promisc, SET_PROMISC)
PCAP_SET(pcap_set_snaplen, SET_SNAPLEN)
PCAP_SET(pcap_set_timeout, SET_TIMEOUT)

pcap_t *pcap_create(const char *source, char *errbuf)
{
	if (!READY()) {
		no_pcap(errbuf);
		return NULL;
	}
	return FN(pcap_t * (*)(const char *, char *), CREATE)(source, errbuf);
}

pcap_t *pcap_open_offline(const char *fname, char *errbuf)
{
	if (!READY()) {
		no_pcap(errbuf);
		return NULL;
	}
	return FN(pcap_t * (*)(const char *, char *), OPEN_OFFLINE)(fname,
								    errbuf);
}

/* The flows screen's "/" filter compiles on a handle of no device. */
pcap_t *pcap_open_dead(int linktype, int snaplen)
{
	if (!READY())
		return NULL;
	return FN(pcap_t * (*)(int, int), OPEN_DEAD)(linktype, snaplen);
}

int pcap_offline_filter(const struct bpf_program *fp,
			const struct pcap_pkthdr *h, const u_char *pkt)
{
	if (!LOADED())
		return 0;
	return FN(int (*)(const struct bpf_program *,
			  const struct pcap_pkthdr *, const u_char *),
		  OFFLINE_FILTER)(fp, h, pkt);
}

void pcap_close(pcap_t *p)
{
	if (LOADED())
		FN(void (*)(pcap_t *), CLOSE)(p);
}

int pcap_compile(pcap_t *p, struct bpf_program *fp, const char *str,
		 int optimize, bpf_u_int32 netmask)
{
	if (!LOADED())
		return PCAP_ERROR;
	return FN(int (*)(pcap_t *, struct bpf_program *, const char *, int,
			  bpf_u_int32),
		  COMPILE)(p, fp, str, optimize, netmask);
}

void pcap_freecode(struct bpf_program *fp)
{
	if (LOADED())
		FN(void (*)(struct bpf_program *), FREECODE)(fp);
}

int pcap_setfilter(pcap_t *p, struct bpf_program *fp)
{
	if (!LOADED())
		return PCAP_ERROR;
	return FN(int (*)(pcap_t *, struct bpf_program *), SETFILTER)(p, fp);
}

char *pcap_geterr(pcap_t *p)
{
	if (!LOADED())
		return (char *)lazy_pcap.error;
	return FN(char *(*)(pcap_t *), GETERR)(p);
}

int pcap_next_ex(pcap_t *p, struct pcap_pkthdr **hdr, const u_char **data)
{
	if (!LOADED())
		return PCAP_ERROR;
	return FN(int (*)(pcap_t *, struct pcap_pkthdr **, const u_char **),
		  NEXT_EX)(p, hdr, data);
}

int pcap_setnonblock(pcap_t *p, int v, char *errbuf)
{
	if (!LOADED())
		return PCAP_ERROR;
	return FN(int (*)(pcap_t *, int, char *), SETNONBLOCK)(p, v, errbuf);
}

int pcap_stats(pcap_t *p, struct pcap_stat *st)
{
	if (!LOADED())
		return PCAP_ERROR;
	return FN(int (*)(pcap_t *, struct pcap_stat *), STATS)(p, st);
}

const char *pcap_statustostr(int status)
{
	if (!READY())
		return "libpcap is not available";
	return FN(const char *(*)(int), STATUSTOSTR)(status);
}

const char *pcap_lib_version(void)
{
	if (!READY())
		return "libpcap version unavailable";
	return FN(const char *(*)(void), LIB_VERSION)();
}
