/* SPDX-License-Identifier: MIT */
#ifndef KNET_ERROR_H
#define KNET_ERROR_H

/*
 * Errors and exit status, in one place.
 *
 * lib/ functions return 0 or a negative errno.  When the caller passes a
 * struct knet_error, the function also fills in the exit class (what the
 * failure means for a script: not found, API, local system...) and a
 * one-line reason a person can act on.  cmd/ turns that into the single
 * line "knet: cannot <verb> '<subject>': <reason>" and the exit status.
 */

#include <stdarg.h>

/* Exit status contract, documented in knet(1). */
enum knet_exit {
	KNET_EXIT_OK = 0,	 /* success, target reachable */
	KNET_EXIT_PROBLEM = 1,	 /* the check ran and found a problem */
	KNET_EXIT_USAGE = 2,	 /* bad command line */
	KNET_EXIT_NOT_FOUND = 3, /* the named object does not exist */
	KNET_EXIT_API = 4,	 /* cluster API: connect, TLS, 401/403, 5xx */
	KNET_EXIT_SYSTEM = 5,	 /* local system: permission, netns gone */
};

#define KNET_ERROR_MAX 512

struct knet_error {
	int code;	     /* negative errno, 0 when unset */
	enum knet_exit exit; /* what the failure means to a script */
	char reason[KNET_ERROR_MAX];
};

/*
 * Record an error and return @code (a negative errno) so that lib code
 * can write "return knet_error_set(err, -ENOENT, KNET_EXIT_NOT_FOUND,
 * ...)".  @err may be NULL.  The reason is lower case, without a full
 * stop, and must never contain a secret.
 */
int knet_error_set(struct knet_error *err, int code, enum knet_exit exit,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int knet_error_setv(struct knet_error *err, int code, enum knet_exit exit,
		    const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* Reset to "no error". */
void knet_error_clear(struct knet_error *err);

/*
 * Exit class for a bare negative errno, for callers that got no reason:
 * -ENOENT/-ESRCH -> not found, -EINVAL -> usage, everything else local.
 */
enum knet_exit knet_exit_from_errno(int code);

#endif
