/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "knet/base.h"

int knet_error_setv(struct knet_error *err, int code, enum knet_exit exit,
		    const char *fmt, va_list ap)
{
	if (!err)
		return code;
	err->code = code;
	err->exit = exit;
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	return code;
}

int knet_error_set(struct knet_error *err, int code, enum knet_exit exit,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	knet_error_setv(err, code, exit, fmt, ap);
	va_end(ap);
	return code;
}

void knet_error_clear(struct knet_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->exit = KNET_EXIT_OK;
	err->reason[0] = '\0';
}

enum knet_exit knet_exit_from_errno(int code)
{
	switch (code) {
	case 0:
		return KNET_EXIT_OK;
	case -ENOENT:
	case -ESRCH:
		return KNET_EXIT_NOT_FOUND;
	case -EINVAL:
		return KNET_EXIT_USAGE;
	default:
		return KNET_EXIT_SYSTEM;
	}
}
