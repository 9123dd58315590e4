/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "knet/api.h"

const cJSON *knet_json_get(const cJSON *obj, const char *key)
{
	if (!cJSON_IsObject(obj))
		return NULL;
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

const cJSON *knet_json_path(const cJSON *obj, ...)
{
	const char *key;
	va_list ap;

	va_start(ap, obj);
	while (obj && (key = va_arg(ap, const char *)))
		obj = knet_json_get(obj, key);
	va_end(ap);
	return obj;
}

const char *knet_json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = knet_json_get(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool knet_json_to_ll(const cJSON *v, long long *ret)
{
	/* 2^63 is exact in a double; beyond it the cast is undefined. */
	const double lim = 9223372036854775808.0;

	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble >= lim || v->valuedouble < -lim)
		return false;
	*ret = (long long)v->valuedouble;
	return true;
}

long long knet_json_int(const cJSON *obj, const char *key, long long fallback)
{
	const cJSON *v = knet_json_get(obj, key);
	char *end;
	long long n;

	if (cJSON_IsNumber(v))
		return knet_json_to_ll(v, &n) ? n : fallback;
	if (cJSON_IsString(v) && *v->valuestring) {
		n = strtoll(v->valuestring, &end, 10);
		if (!*end)
			return n;
	}
	return fallback;
}

bool knet_json_bool(const cJSON *obj, const char *key, bool fallback)
{
	const cJSON *v = knet_json_get(obj, key);

	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	if (cJSON_IsString(v)) {
		if (!strcmp(v->valuestring, "true") ||
		    !strcmp(v->valuestring, "True"))
			return true;
		if (!strcmp(v->valuestring, "false") ||
		    !strcmp(v->valuestring, "False"))
			return false;
	}
	return fallback;
}

char *knet_json_strdup(const cJSON *obj, const char *key)
{
	return knet_strdup0(knet_json_str(obj, key));
}

/* Zero every string and key of @j and below (cJSON keeps them in heap). */
static void wipe(cJSON *j)
{
	for (; j; j = j->next) {
		if (j->valuestring)
			explicit_bzero(j->valuestring, strlen(j->valuestring));
		if (j->string && !(j->type & cJSON_StringIsConst))
			explicit_bzero(j->string, strlen(j->string));
		wipe(j->child);
	}
}

void knet_json_wipe_delete(cJSON *json)
{
	if (!json)
		return;
	/* The root's siblings are not part of the tree: wipe from the top. */
	if (json->valuestring)
		explicit_bzero(json->valuestring, strlen(json->valuestring));
	wipe(json->child);
	cJSON_Delete(json);
}
