/* SPDX-License-Identifier: MIT */
/*
 * The libyaml functions lib/kubeconfig calls, forwarded to libyaml
 * loaded on the first call (see knet/lazy.h): a command that reads no
 * kubeconfig (conntrack --no-names, ping to an IP...) never maps it.
 * yaml_parser_initialize() comes first; without libyaml it fails as
 * libyaml does without memory, with the reason as the parser's problem.
 */
#include <stddef.h>
#include <string.h>
#include <yaml.h>

#include "lazy-internal.h"

#ifndef KNET_LIBYAML_SONAME
#define KNET_LIBYAML_SONAME "libyaml-0.so.2"
#endif

enum {
	PARSER_INITIALIZE,
	PARSER_DELETE,
	PARSER_SET_INPUT_STRING,
	PARSER_PARSE,
	EVENT_DELETE,
	GET_VERSION_STRING,
	NSYMS,
};

static const char *const sonames[] = {KNET_LIBYAML_SONAME, NULL};
static const char *const symbols[NSYMS + 1] = {
	[PARSER_INITIALIZE] = "yaml_parser_initialize",
	[PARSER_DELETE] = "yaml_parser_delete",
	[PARSER_SET_INPUT_STRING] = "yaml_parser_set_input_string",
	[PARSER_PARSE] = "yaml_parser_parse",
	[EVENT_DELETE] = "yaml_event_delete",
	[GET_VERSION_STRING] = "yaml_get_version_string",
	[NSYMS] = NULL,
};
LAZY_LIB(lazy_yaml);

#define READY()	 knet_lazy_open(&lazy_yaml)
#define LOADED() knet_lazy_is_open(&lazy_yaml)

int yaml_parser_initialize(yaml_parser_t *parser)
{
	if (!READY()) {
		memset(parser, 0, sizeof(*parser));
		parser->error = YAML_MEMORY_ERROR;
		parser->problem = "libyaml is not available";
		return 0;
	}
	return FN(int (*)(yaml_parser_t *), PARSER_INITIALIZE)(parser);
}

void yaml_parser_delete(yaml_parser_t *parser)
{
	if (LOADED())
		FN(void (*)(yaml_parser_t *), PARSER_DELETE)(parser);
}

void yaml_parser_set_input_string(yaml_parser_t *parser,
				  const unsigned char *input, size_t size)
{
	if (LOADED())
		FN(void (*)(yaml_parser_t *, const unsigned char *, size_t),
		   PARSER_SET_INPUT_STRING)
	(parser, input, size);
}

int yaml_parser_parse(yaml_parser_t *parser, yaml_event_t *event)
{
	if (!LOADED())
		return 0;
	return FN(int (*)(yaml_parser_t *, yaml_event_t *),
		  PARSER_PARSE)(parser, event);
}

void yaml_event_delete(yaml_event_t *event)
{
	if (LOADED())
		FN(void (*)(yaml_event_t *), EVENT_DELETE)(event);
}

const char *yaml_get_version_string(void)
{
	if (!READY())
		return "unavailable";
	return FN(const char *(*)(void), GET_VERSION_STRING)();
}
