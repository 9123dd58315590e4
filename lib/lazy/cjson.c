/* SPDX-License-Identifier: MIT */
/*
 * The cJSON functions knet calls, forwarded to libcjson loaded on the
 * first call that needs it (see knet/lazy.h), each with the prototype
 * of <cjson/cJSON.h>.  Every command that reads the API or prints JSON
 * through a document uses cJSON; `knet conntrack --no-names` (its rows
 * are written directly), traceroute and ping to an IP do not, and no
 * longer map it.  Parsing, creating and cJSON_InitHooks() load it; the
 * rest take an item only cJSON makes and answer for NULL as cJSON does
 * (NULL, false, 0, NaN) without loading it.  Without libcjson a parse
 * fails as on bad input and a create as out of memory.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>

#include "lazy-internal.h"

#ifndef KNET_LIBCJSON_SONAME
#define KNET_LIBCJSON_SONAME "libcjson.so.1"
#endif

enum {
	VERSION,
	INIT_HOOKS,
	PARSE,
	PARSE_WITH_LENGTH,
	PARSE_WITH_LENGTH_OPTS,
	PRINT,
	PRINT_UNFORMATTED,
	DELETE,
	GET_ARRAY_SIZE,
	GET_ARRAY_ITEM,
	GET_OBJECT_ITEM,
	GET_OBJECT_ITEM_CS,
	GET_ERROR_PTR,
	GET_STRING_VALUE,
	GET_NUMBER_VALUE,
	IS_TRUE,
	IS_BOOL,
	IS_NULL,
	IS_NUMBER,
	IS_STRING,
	IS_ARRAY,
	IS_OBJECT,
	CREATE_NULL,
	CREATE_BOOL,
	CREATE_NUMBER,
	CREATE_STRING,
	CREATE_ARRAY,
	CREATE_OBJECT,
	ADD_ITEM_TO_ARRAY,
	ADD_ITEM_TO_OBJECT,
	ADD_ITEM_TO_OBJECT_CS,
	DETACH_ITEM_FROM_ARRAY,
	DETACH_ITEM_FROM_OBJECT_CS,
	DELETE_ITEM_FROM_OBJECT_CS,
	REPLACE_ITEM_IN_OBJECT_CS,
	DELETE_ITEM_FROM_OBJECT,
	CREATE_STRING_ARRAY,
	COMPARE,
	REPLACE_ITEM_IN_OBJECT,
	DUPLICATE,
	ADD_NULL_TO_OBJECT,
	ADD_BOOL_TO_OBJECT,
	ADD_NUMBER_TO_OBJECT,
	ADD_STRING_TO_OBJECT,
	ADD_OBJECT_TO_OBJECT,
	ADD_ARRAY_TO_OBJECT,
	NSYMS,
};

static const char *const sonames[] = {KNET_LIBCJSON_SONAME, NULL};
static const char *const symbols[NSYMS + 1] = {
	[VERSION] = "cJSON_Version",
	[INIT_HOOKS] = "cJSON_InitHooks",
	[PARSE] = "cJSON_Parse",
	[PARSE_WITH_LENGTH] = "cJSON_ParseWithLength",
	[PARSE_WITH_LENGTH_OPTS] = "cJSON_ParseWithLengthOpts",
	[PRINT] = "cJSON_Print",
	[PRINT_UNFORMATTED] = "cJSON_PrintUnformatted",
	[DELETE] = "cJSON_Delete",
	[GET_ARRAY_SIZE] = "cJSON_GetArraySize",
	[GET_ARRAY_ITEM] = "cJSON_GetArrayItem",
	[GET_OBJECT_ITEM] = "cJSON_GetObjectItem",
	[GET_OBJECT_ITEM_CS] = "cJSON_GetObjectItemCaseSensitive",
	[GET_ERROR_PTR] = "cJSON_GetErrorPtr",
	[GET_STRING_VALUE] = "cJSON_GetStringValue",
	[GET_NUMBER_VALUE] = "cJSON_GetNumberValue",
	[IS_TRUE] = "cJSON_IsTrue",
	[IS_BOOL] = "cJSON_IsBool",
	[IS_NULL] = "cJSON_IsNull",
	[IS_NUMBER] = "cJSON_IsNumber",
	[IS_STRING] = "cJSON_IsString",
	[IS_ARRAY] = "cJSON_IsArray",
	[IS_OBJECT] = "cJSON_IsObject",
	[CREATE_NULL] = "cJSON_CreateNull",
	[CREATE_BOOL] = "cJSON_CreateBool",
	[CREATE_NUMBER] = "cJSON_CreateNumber",
	[CREATE_STRING] = "cJSON_CreateString",
	[CREATE_ARRAY] = "cJSON_CreateArray",
	[CREATE_OBJECT] = "cJSON_CreateObject",
	[ADD_ITEM_TO_ARRAY] = "cJSON_AddItemToArray",
	[ADD_ITEM_TO_OBJECT] = "cJSON_AddItemToObject",
	[ADD_ITEM_TO_OBJECT_CS] = "cJSON_AddItemToObjectCS",
	[DETACH_ITEM_FROM_ARRAY] = "cJSON_DetachItemFromArray",
	[DETACH_ITEM_FROM_OBJECT_CS] =
		"cJSON_DetachItemFromObjectCaseSensitive",
	[DELETE_ITEM_FROM_OBJECT_CS] =
		"cJSON_DeleteItemFromObjectCaseSensitive",
	[REPLACE_ITEM_IN_OBJECT_CS] = "cJSON_ReplaceItemInObjectCaseSensitive",
	[DELETE_ITEM_FROM_OBJECT] = "cJSON_DeleteItemFromObject",
	[CREATE_STRING_ARRAY] = "cJSON_CreateStringArray",
	[COMPARE] = "cJSON_Compare",
	[REPLACE_ITEM_IN_OBJECT] = "cJSON_ReplaceItemInObject",
	[DUPLICATE] = "cJSON_Duplicate",
	[ADD_NULL_TO_OBJECT] = "cJSON_AddNullToObject",
	[ADD_BOOL_TO_OBJECT] = "cJSON_AddBoolToObject",
	[ADD_NUMBER_TO_OBJECT] = "cJSON_AddNumberToObject",
	[ADD_STRING_TO_OBJECT] = "cJSON_AddStringToObject",
	[ADD_OBJECT_TO_OBJECT] = "cJSON_AddObjectToObject",
	[ADD_ARRAY_TO_OBJECT] = "cJSON_AddArrayToObject",
	[NSYMS] = NULL,
};
LAZY_LIB(lazy_cjson);

#define READY()	 knet_lazy_open(&lazy_cjson)
#define LOADED() knet_lazy_is_open(&lazy_cjson)

/* --- what loads it: the version, the hooks, parsing, creating --- */

const char *cJSON_Version(void)
{
	return READY() ? FN(const char *(*)(void), VERSION)() : "unavailable";
}

void cJSON_InitHooks(cJSON_Hooks *hooks)
{
	if (READY())
		FN(void (*)(cJSON_Hooks *), INIT_HOOKS)(hooks);
}

cJSON *cJSON_Parse(const char *value)
{
	return READY() ? FN(cJSON * (*)(const char *), PARSE)(value) : NULL;
}

cJSON *cJSON_ParseWithLength(const char *value, size_t len)
{
	return READY() ? FN(cJSON * (*)(const char *, size_t),
			    PARSE_WITH_LENGTH)(value, len)
		       : NULL;
}

cJSON *cJSON_ParseWithLengthOpts(const char *value, size_t len,
				 const char **end, cJSON_bool nul_terminated)
{
	return READY() ? FN(cJSON * (*)(const char *, size_t, const char **,
					cJSON_bool),
			    PARSE_WITH_LENGTH_OPTS)(value, len, end,
						    nul_terminated)
		       : NULL;
}

/* The error of the last parse: none when cJSON never parsed. */
const char *cJSON_GetErrorPtr(void)
{
	return LOADED() ? FN(const char *(*)(void), GET_ERROR_PTR)() : NULL;
}

#define CREATE0(name, i)                                                       \
	cJSON *name(void)                                                      \
	{                                                                      \
		return READY() ? FN(cJSON * (*)(void), i)() : NULL;            \
	}
CREATE0(cJSON_CreateNull, CREATE_NULL)
CREATE0(cJSON_CreateArray, CREATE_ARRAY)
CREATE0(cJSON_CreateObject, CREATE_OBJECT)

cJSON *cJSON_CreateBool(cJSON_bool b)
{
	return READY() ? FN(cJSON * (*)(cJSON_bool), CREATE_BOOL)(b) : NULL;
}

cJSON *cJSON_CreateNumber(double num)
{
	return READY() ? FN(cJSON * (*)(double), CREATE_NUMBER)(num) : NULL;
}

cJSON *cJSON_CreateString(const char *s)
{
	return READY() ? FN(cJSON * (*)(const char *), CREATE_STRING)(s) : NULL;
}

/* --- on items, which only a loaded cJSON makes: NULL as cJSON does --- */

#define IS(name, i)                                                            \
	cJSON_bool name(const cJSON *const item)                               \
	{                                                                      \
		return LOADED() ? FN(cJSON_bool(*)(const cJSON *), i)(item)    \
				: 0;                                           \
	}
IS(cJSON_IsTrue, IS_TRUE)
IS(cJSON_IsBool, IS_BOOL)
IS(cJSON_IsNull, IS_NULL)
IS(cJSON_IsNumber, IS_NUMBER)
IS(cJSON_IsString, IS_STRING)
IS(cJSON_IsArray, IS_ARRAY)
IS(cJSON_IsObject, IS_OBJECT)

char *cJSON_Print(const cJSON *item)
{
	return LOADED() ? FN(char *(*)(const cJSON *), PRINT)(item) : NULL;
}

char *cJSON_PrintUnformatted(const cJSON *item)
{
	return LOADED() ? FN(char *(*)(const cJSON *), PRINT_UNFORMATTED)(item)
			: NULL;
}

void cJSON_Delete(cJSON *item)
{
	if (LOADED())
		FN(void (*)(cJSON *), DELETE)(item);
}

int cJSON_GetArraySize(const cJSON *array)
{
	return LOADED() ? FN(int (*)(const cJSON *), GET_ARRAY_SIZE)(array) : 0;
}

cJSON *cJSON_GetArrayItem(const cJSON *array, int index)
{
	return LOADED() ? FN(cJSON * (*)(const cJSON *, int),
			     GET_ARRAY_ITEM)(array, index)
			: NULL;
}

cJSON *cJSON_GetObjectItem(const cJSON *const object, const char *const key)
{
	return LOADED() ? FN(cJSON * (*)(const cJSON *, const char *),
			     GET_OBJECT_ITEM)(object, key)
			: NULL;
}

cJSON *cJSON_GetObjectItemCaseSensitive(const cJSON *const object,
					const char *const key)
{
	return LOADED() ? FN(cJSON * (*)(const cJSON *, const char *),
			     GET_OBJECT_ITEM_CS)(object, key)
			: NULL;
}

char *cJSON_GetStringValue(const cJSON *const item)
{
	return LOADED() ? FN(char *(*)(const cJSON *), GET_STRING_VALUE)(item)
			: NULL;
}

double cJSON_GetNumberValue(const cJSON *const item)
{
	return LOADED() ? FN(double (*)(const cJSON *), GET_NUMBER_VALUE)(item)
			: (double)NAN;
}

cJSON_bool cJSON_AddItemToArray(cJSON *array, cJSON *item)
{
	return LOADED() ? FN(cJSON_bool(*)(cJSON *, cJSON *),
			     ADD_ITEM_TO_ARRAY)(array, item)
			: 0;
}

cJSON_bool cJSON_AddItemToObject(cJSON *object, const char *key, cJSON *item)
{
	return LOADED() ? FN(cJSON_bool(*)(cJSON *, const char *, cJSON *),
			     ADD_ITEM_TO_OBJECT)(object, key, item)
			: 0;
}

cJSON_bool cJSON_AddItemToObjectCS(cJSON *object, const char *key, cJSON *item)
{
	return LOADED() ? FN(cJSON_bool(*)(cJSON *, const char *, cJSON *),
			     ADD_ITEM_TO_OBJECT_CS)(object, key, item)
			: 0;
}

cJSON *cJSON_DetachItemFromArray(cJSON *array, int which)
{
	return LOADED() ? FN(cJSON * (*)(cJSON *, int),
			     DETACH_ITEM_FROM_ARRAY)(array, which)
			: NULL;
}

cJSON *cJSON_DetachItemFromObjectCaseSensitive(cJSON *object, const char *key)
{
	return LOADED() ? FN(cJSON * (*)(cJSON *, const char *),
			     DETACH_ITEM_FROM_OBJECT_CS)(object, key)
			: NULL;
}

void cJSON_DeleteItemFromObjectCaseSensitive(cJSON *object, const char *key)
{
	if (LOADED())
		FN(void (*)(cJSON *, const char *), DELETE_ITEM_FROM_OBJECT_CS)
	(object, key);
}

cJSON_bool cJSON_ReplaceItemInObjectCaseSensitive(cJSON *object,
						  const char *key,
						  cJSON *newitem)
{
	return LOADED() ? FN(cJSON_bool(*)(cJSON *, const char *, cJSON *),
			     REPLACE_ITEM_IN_OBJECT_CS)(object, key, newitem)
			: 0;
}

cJSON *cJSON_CreateStringArray(const char *const *strings, int count)
{
	return READY() ? FN(cJSON * (*)(const char *const *, int),
			    CREATE_STRING_ARRAY)(strings, count)
		       : NULL;
}

void cJSON_DeleteItemFromObject(cJSON *object, const char *key)
{
	if (LOADED())
		FN(void (*)(cJSON *, const char *), DELETE_ITEM_FROM_OBJECT)
	(object, key);
}

cJSON_bool cJSON_ReplaceItemInObject(cJSON *object, const char *key,
				     cJSON *newitem)
{
	return LOADED() ? FN(cJSON_bool(*)(cJSON *, const char *, cJSON *),
			     REPLACE_ITEM_IN_OBJECT)(object, key, newitem)
			: 0;
}

cJSON_bool cJSON_Compare(const cJSON *const a, const cJSON *const b,
			 const cJSON_bool case_sensitive)
{
	return LOADED() ? FN(cJSON_bool(*)(const cJSON *, const cJSON *,
					   cJSON_bool),
			     COMPARE)(a, b, case_sensitive)
			: 0;
}

cJSON *cJSON_Duplicate(const cJSON *item, cJSON_bool recurse)
{
	return LOADED() ? FN(cJSON * (*)(const cJSON *, cJSON_bool),
			     DUPLICATE)(item, recurse)
			: NULL;
}

/* cJSON_Add*ToObject: an item made and added, NULL when either fails. */
cJSON *cJSON_AddNullToObject(cJSON *const object, const char *const name)
{
	return LOADED() ? FN(cJSON * (*)(cJSON *, const char *),
			     ADD_NULL_TO_OBJECT)(object, name)
			: NULL;
}

cJSON *cJSON_AddBoolToObject(cJSON *const object, const char *const name,
			     const cJSON_bool b)
{
	return LOADED() ? FN(cJSON * (*)(cJSON *, const char *, cJSON_bool),
			     ADD_BOOL_TO_OBJECT)(object, name, b)
			: NULL;
}

cJSON *cJSON_AddNumberToObject(cJSON *const object, const char *const name,
			       const double number)
{
	return LOADED() ? FN(cJSON * (*)(cJSON *, const char *, double),
			     ADD_NUMBER_TO_OBJECT)(object, name, number)
			: NULL;
}

cJSON *cJSON_AddStringToObject(cJSON *const object, const char *const name,
			       const char *const string)
{
	return LOADED() ? FN(cJSON * (*)(cJSON *, const char *, const char *),
			     ADD_STRING_TO_OBJECT)(object, name, string)
			: NULL;
}

cJSON *cJSON_AddObjectToObject(cJSON *const object, const char *const name)
{
	return LOADED() ? FN(cJSON * (*)(cJSON *, const char *),
			     ADD_OBJECT_TO_OBJECT)(object, name)
			: NULL;
}

cJSON *cJSON_AddArrayToObject(cJSON *const object, const char *const name)
{
	return LOADED() ? FN(cJSON * (*)(cJSON *, const char *),
			     ADD_ARRAY_TO_OBJECT)(object, name)
			: NULL;
}
