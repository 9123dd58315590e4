/* SPDX-License-Identifier: MIT */
/*
 * YAML to cJSON, for kubeconfig files.  Going through cJSON lets the
 * kubeconfig code walk one tree type whether the file was YAML or JSON.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "knet/api.h"
#include "knet/kubeconfig.h"

#define YAML_MAX_DEPTH 64

struct frame {
	cJSON *node;
	char *key; /* pending mapping key, NULL when a key is expected */
};

static bool scalar_is_null(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* Attach @item to the frame on top: as a value under its key, or appended. */
static int attach(struct frame *top, cJSON *item)
{
	if (cJSON_IsArray(top->node)) {
		cJSON_AddItemToArray(top->node, item);
		return 0;
	}
	if (!top->key) {
		knet_json_wipe_delete(item);
		return -EINVAL; /* a mapping or sequence used as a key */
	}
	/*
	 * A repeated key replaces the earlier value, which may be a token:
	 * wiped, not just freed.
	 */
	knet_json_wipe_delete(
		cJSON_DetachItemFromObjectCaseSensitive(top->node, top->key));
	cJSON_AddItemToObject(top->node, top->key, item);
	free(top->key);
	top->key = NULL;
	return 0;
}

static bool is_value_event(const yaml_event_t *ev)
{
	return ev->type == YAML_SCALAR_EVENT ||
	       ev->type == YAML_MAPPING_START_EVENT ||
	       ev->type == YAML_SEQUENCE_START_EVENT;
}

/* Place a new node: as the root, or under the frame on top. */
static int push(struct frame *stack, int *depth, cJSON **root, cJSON *item,
		bool container, const yaml_event_t *ev, struct knet_error *err)
{
	if (*depth == 0) {
		knet_json_wipe_delete(*root);
		*root = item;
	} else if (attach(&stack[*depth - 1], item) < 0) {
		return knet_error_set(err, -EINVAL, KNET_EXIT_API,
				      "invalid YAML at line %zu: "
				      "complex mapping key",
				      ev->start_mark.line + 1);
	}
	if (!container)
		return 0;
	if (*depth >= YAML_MAX_DEPTH)
		return knet_error_set(err, -EINVAL, KNET_EXIT_API,
				      "invalid YAML: nested too deeply");
	stack[*depth].node = item;
	stack[*depth].key = NULL;
	(*depth)++;
	return 0;
}

/*
 * The parser's copies of the input (raw and decoded), before the free:
 * as far as they can hold any.  The raw buffer (16 KiB) gets at most
 * the @len bytes of the input, the decoded one (48 KiB) at most 3 bytes
 * of UTF-8 for each 2 of UTF-16 and the one NUL libyaml adds at the end.
 * Wiping all 64 KiB for every short file touched pages its parse never
 * did (tests/unit/test-kubeconfig.c checks that nothing stays).
 */
static void wipe_buffer(yaml_char_t *start, const yaml_char_t *end, size_t most)
{
	if (start)
		explicit_bzero(start, (size_t)(end - start) < most
					      ? (size_t)(end - start)
					      : most);
}

static void wipe_parser(yaml_parser_t *p, size_t len)
{
	wipe_buffer(p->raw_buffer.start, p->raw_buffer.end, len);
	wipe_buffer(p->buffer.start, p->buffer.end, len / 2 * 3 + 4);
}

/*
 * Parse the first document (@docs NULL) or every document, each appended
 * to @docs (an empty one as null, so that indexes stay those of the
 * file).  *@ret_doc counts the documents begun, for error messages.
 */
static int parse_yaml(const char *text, size_t len, cJSON **ret_json,
		      cJSON *docs, int *ret_doc, struct knet_error *err)
{
	struct frame stack[YAML_MAX_DEPTH];
	yaml_parser_t parser;
	yaml_event_t ev;
	cJSON *root = NULL;
	int depth = 0, r = 0;
	bool done = false;

	*ret_doc = 1;

	if (!yaml_parser_initialize(&parser))
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

	while (!done) {
		cJSON *item = NULL;
		bool key_stored = false;

		if (!yaml_parser_parse(&parser, &ev)) {
			r = knet_error_set(err, -EINVAL, KNET_EXIT_API,
					   "invalid YAML at line %zu: %s",
					   parser.problem_mark.line + 1,
					   parser.problem ? parser.problem
							  : "syntax error");
			goto cleanup;
		}

		switch (ev.type) {
		case YAML_SCALAR_EVENT:
			if (depth > 0 &&
			    cJSON_IsObject(stack[depth - 1].node) &&
			    !stack[depth - 1].key) {
				stack[depth - 1].key = strdup(
					(const char *)ev.data.scalar.value);
				if (!stack[depth - 1].key)
					r = knet_error_set(err, -ENOMEM,
							   KNET_EXIT_SYSTEM,
							   "out of memory");
				key_stored = true;
				break;
			}
			item = scalar_is_null(&ev)
				       ? cJSON_CreateNull()
				       : cJSON_CreateString(
						 (const char *)
							 ev.data.scalar.value);
			break;
		case YAML_MAPPING_START_EVENT:
			item = cJSON_CreateObject();
			break;
		case YAML_SEQUENCE_START_EVENT:
			item = cJSON_CreateArray();
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			depth--;
			free(stack[depth].key);
			break;
		case YAML_ALIAS_EVENT:
			r = knet_error_set(err, -EINVAL, KNET_EXIT_API,
					   "invalid YAML at line %zu: "
					   "aliases are not supported",
					   ev.start_mark.line + 1);
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (!docs) {
				done = true;
				break;
			}
			if (!root)
				root = cJSON_CreateNull();
			if (!root || !cJSON_AddItemToArray(docs, root))
				r = knet_error_set(err, -ENOMEM,
						   KNET_EXIT_SYSTEM,
						   "out of memory");
			else
				root = NULL;
			(*ret_doc)++;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}

		if (!r && item)
			r = push(stack, &depth, &root, item,
				 ev.type != YAML_SCALAR_EVENT, &ev, err);
		else if (!r && !item && !key_stored && is_value_event(&ev))
			r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					   "out of memory");
		/* Scalars are tokens and keys: libyaml frees without wiping. */
		if (ev.type == YAML_SCALAR_EVENT && ev.data.scalar.value)
			explicit_bzero(ev.data.scalar.value,
				       ev.data.scalar.length);
		yaml_event_delete(&ev);
		if (r < 0)
			goto cleanup;
	}

	if (!root && !docs)
		root = cJSON_CreateNull(); /* an empty file */
	if (ret_json)
		*ret_json = root;
	root = NULL;
cleanup:
	while (depth > 0)
		free(stack[--depth].key);
	knet_json_wipe_delete(root);
	wipe_parser(&parser, len);
	yaml_parser_delete(&parser);
	return r;
}

int knet_yaml_parse(const char *text, size_t len, cJSON **ret_json,
		    struct knet_error *err)
{
	int doc;

	return parse_yaml(text, len, ret_json, NULL, &doc, err);
}

int knet_yaml_parse_documents(const char *text, size_t len, cJSON **ret_docs,
			      int *ret_failed_doc, struct knet_error *err)
{
	cJSON *docs = cJSON_CreateArray();
	int doc = 1, r;

	if (!docs)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	r = parse_yaml(text, len, NULL, docs, &doc, err);
	if (r < 0) {
		cJSON_Delete(docs);
		if (ret_failed_doc)
			*ret_failed_doc = doc;
		return r;
	}
	*ret_docs = docs;
	return 0;
}

const char *knet_yaml_version(void)
{
	return yaml_get_version_string();
}
