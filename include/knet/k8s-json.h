/* SPDX-License-Identifier: MIT */
#ifndef KNET_K8S_JSON_H
#define KNET_K8S_JSON_H

/*
 * Small cJSON accessors shared by the kubeconfig and object-model code:
 * they tolerate missing keys and wrong types (returning the fallback),
 * since API objects and kubeconfig files omit empty fields.
 */

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* obj[key] when obj is an object, else NULL (case-sensitive). */
const cJSON *knet_json_get(const cJSON *obj, const char *key);
/* The end of a knet_json_path() key list (a typed NULL). */
#define KNET_JSON_END ((const char *)NULL)
/* A path of keys: knet_json_path(o, "status", "podIP", KNET_JSON_END). */
const cJSON *knet_json_path(const cJSON *obj, ...) __attribute__((sentinel));
/* The string at obj[key], or NULL. */
const char *knet_json_str(const cJSON *obj, const char *key);
/* A number (or a numeric string) at obj[key], else @fallback. */
long long knet_json_int(const cJSON *obj, const char *key, long long fallback);
/* true/false, or the strings "true"/"false" (YAML scalars). */
bool knet_json_bool(const cJSON *obj, const char *key, bool fallback);
/* strdup of knet_json_str(), NULL when absent (or out of memory). */
char *knet_json_strdup(const cJSON *obj, const char *key);
/* strdup that accepts NULL (returns NULL). */
char *knet_strdup0(const char *s);

/*
 * strerror() of a negative (or positive) errno in lower case, as knet's
 * messages are; a static buffer per thread.
 */
const char *knet_errstr(int code);

/* Standard base64 with padding; malloc'd, NULL on ENOMEM. */
char *knet_base64_encode(const unsigned char *data, size_t len);

#endif
