/* SPDX-License-Identifier: MIT */
/*
 * The libcurl functions lib/api calls, forwarded to libcurl.so.4
 * loaded on the first call that needs it (see knet/lazy.h).  Each has
 * the prototype of <curl/curl.h>, so a mismatch does not compile.  The
 * functions that make something (curl_global_init(), curl_easy_init(),
 * curl_slist_append(), curl_version_info(), curl_easy_strerror()) load
 * libcurl and fail cleanly when it cannot be; those that take a handle
 * or a list only curl makes never load it (lib/api frees a NULL list
 * when there is no kubeconfig).
 */
#define CURL_DISABLE_TYPECHECK /* the real functions, not the macros */
#include <curl/curl.h>
#include <stdarg.h>
#include <stddef.h>

#include "lazy-internal.h"

#ifndef KNET_LIBCURL_SONAME
#define KNET_LIBCURL_SONAME "libcurl.so.4"
#endif

enum {
	GLOBAL_INIT,
	EASY_INIT,
	EASY_DUPHANDLE,
	EASY_CLEANUP,
	EASY_SETOPT,
	EASY_GETINFO,
	EASY_PERFORM,
	EASY_STRERROR,
	EASY_SEND,
	EASY_RECV,
	SLIST_APPEND,
	SLIST_FREE_ALL,
	VERSION_INFO,
	SHARE_INIT,
	SHARE_SETOPT,
	SHARE_CLEANUP,
	NSYMS,
};

static const char *const sonames[] = {KNET_LIBCURL_SONAME, NULL};
static const char *const symbols[NSYMS + 1] = {
	[GLOBAL_INIT] = "curl_global_init",
	[EASY_INIT] = "curl_easy_init",
	[EASY_DUPHANDLE] = "curl_easy_duphandle",
	[EASY_CLEANUP] = "curl_easy_cleanup",
	[EASY_SETOPT] = "curl_easy_setopt",
	[EASY_GETINFO] = "curl_easy_getinfo",
	[EASY_PERFORM] = "curl_easy_perform",
	[EASY_STRERROR] = "curl_easy_strerror",
	[EASY_SEND] = "curl_easy_send",
	[EASY_RECV] = "curl_easy_recv",
	[SLIST_APPEND] = "curl_slist_append",
	[SLIST_FREE_ALL] = "curl_slist_free_all",
	[VERSION_INFO] = "curl_version_info",
	[SHARE_INIT] = "curl_share_init",
	[SHARE_SETOPT] = "curl_share_setopt",
	[SHARE_CLEANUP] = "curl_share_cleanup",
	[NSYMS] = NULL,
};
LAZY_LIB(lazy_curl);

#define READY()	 knet_lazy_open(&lazy_curl)
#define LOADED() knet_lazy_is_open(&lazy_curl)

CURLcode curl_global_init(long flags)
{
	if (!READY())
		return CURLE_FAILED_INIT;
	return FN(CURLcode(*)(long), GLOBAL_INIT)(flags);
}

CURL *curl_easy_init(void)
{
	return READY() ? FN(CURL * (*)(void), EASY_INIT)() : NULL;
}

CURL *curl_easy_duphandle(CURL *curl)
{
	return LOADED() ? FN(CURL * (*)(CURL *), EASY_DUPHANDLE)(curl) : NULL;
}

void curl_easy_cleanup(CURL *curl)
{
	if (LOADED())
		FN(void (*)(CURL *), EASY_CLEANUP)(curl);
}

/*
 * One argument after the option, of the type the option's number says
 * (curl.h's CURLOPTTYPE_* ranges; curl reads it the same way): a long,
 * a pointer (object, string, list, callback), a curl_off_t, a blob.
 */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	CURLcode (*set)(CURL *, CURLoption, ...);
	va_list ap;
	CURLcode r;

	if (!LOADED())
		return CURLE_FAILED_INIT;
	set = FN(CURLcode(*)(CURL *, CURLoption, ...), EASY_SETOPT);
	va_start(ap, option);
	if (option < CURLOPTTYPE_OBJECTPOINT)
		r = set(curl, option, va_arg(ap, long));
	else if (option < CURLOPTTYPE_OFF_T)
		r = set(curl, option, va_arg(ap, void *));
	else if (option < CURLOPTTYPE_BLOB)
		r = set(curl, option, va_arg(ap, curl_off_t));
	else
		r = set(curl, option, va_arg(ap, void *));
	va_end(ap);
	return r;
}

/* Every CURLINFO_* takes one pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	va_list ap;
	void *p;

	if (!LOADED())
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	p = va_arg(ap, void *);
	va_end(ap);
	return FN(CURLcode(*)(CURL *, CURLINFO, ...), EASY_GETINFO)(curl, info,
								    p);
}

CURLcode curl_easy_perform(CURL *curl)
{
	if (!LOADED())
		return CURLE_FAILED_INIT;
	return FN(CURLcode(*)(CURL *), EASY_PERFORM)(curl);
}

/* CONNECT_ONLY connections (the pods/exec WebSocket, lib/api/exec.c). */
CURLcode curl_easy_send(CURL *curl, const void *buffer, size_t buflen,
			size_t *n)
{
	if (!LOADED())
		return CURLE_FAILED_INIT;
	return FN(CURLcode(*)(CURL *, const void *, size_t, size_t *),
		  EASY_SEND)(curl, buffer, buflen, n);
}

CURLcode curl_easy_recv(CURL *curl, void *buffer, size_t buflen, size_t *n)
{
	if (!LOADED())
		return CURLE_FAILED_INIT;
	return FN(CURLcode(*)(CURL *, void *, size_t, size_t *),
		  EASY_RECV)(curl, buffer, buflen, n);
}

const char *curl_easy_strerror(CURLcode code)
{
	if (!READY())
		return "libcurl is not available";
	return FN(const char *(*)(CURLcode), EASY_STRERROR)(code);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s)
{
	if (!READY())
		return NULL;
	return FN(struct curl_slist * (*)(struct curl_slist *, const char *),
		  SLIST_APPEND)(list, s);
}

void curl_slist_free_all(struct curl_slist *list)
{
	if (LOADED())
		FN(void (*)(struct curl_slist *), SLIST_FREE_ALL)(list);
}

/* Without libcurl, a version that says so (knet version prints it). */
curl_version_info_data *curl_version_info(CURLversion age)
{
	static curl_version_info_data none = {
		.age = CURLVERSION_FIRST,
		.version = "unavailable",
	};

	if (!READY())
		return &none;
	return FN(curl_version_info_data * (*)(CURLversion), VERSION_INFO)(age);
}

/* The TLS session cache lib/api/share.c gives the client's handles. */
CURLSH *curl_share_init(void)
{
	return READY() ? FN(CURLSH * (*)(void), SHARE_INIT)() : NULL;
}

/* CURLSHOPT_SHARE and _UNSHARE take an int, the others a pointer. */
CURLSHcode curl_share_setopt(CURLSH *share, CURLSHoption option, ...)
{
	CURLSHcode (*set)(CURLSH *, CURLSHoption, ...);
	va_list ap;
	CURLSHcode r;

	if (!LOADED())
		return CURLSHE_NOT_BUILT_IN;
	set = FN(CURLSHcode(*)(CURLSH *, CURLSHoption, ...), SHARE_SETOPT);
	va_start(ap, option);
	if (option == CURLSHOPT_SHARE || option == CURLSHOPT_UNSHARE)
		r = set(share, option, va_arg(ap, int));
	else
		r = set(share, option, va_arg(ap, void *));
	va_end(ap);
	return r;
}

CURLSHcode curl_share_cleanup(CURLSH *share)
{
	if (!LOADED())
		return CURLSHE_INVALID;
	return FN(CURLSHcode(*)(CURLSH *), SHARE_CLEANUP)(share);
}
