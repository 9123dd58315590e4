/* SPDX-License-Identifier: MIT */
/* Strings: NULL-tolerant copies, errno text, string vectors. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/base.h"

char *knet_strdup0(const char *s)
{
	return s ? strdup(s) : NULL;
}

const char *knet_errstr(int code)
{
	static __thread char buf[128];

	snprintf(buf, sizeof(buf), "%s", strerror(code < 0 ? -code : code));
	buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

int knet_strv_push(struct knet_strv *sv, const char *s)
{
	char **nv, *copy;

	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	nv = realloc(sv->v, ((size_t)sv->n + 2) * sizeof(*nv));
	if (!nv) {
		free(copy);
		return -ENOMEM;
	}
	nv[sv->n++] = copy;
	nv[sv->n] = NULL;
	sv->v = nv;
	return 0;
}

void knet_strv_clear(struct knet_strv *sv)
{
	if (!sv)
		return;
	for (int i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

bool knet_strv_contains(const struct knet_strv *sv, const char *s)
{
	for (int i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return true;
	return false;
}

void knet_wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

bool knet_header_value_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}
