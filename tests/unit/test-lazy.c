/* SPDX-License-Identifier: MIT */
/*
 * lib/lazy: nothing is loaded before it is used (freeing NULL is no
 * use: lib/api does it without a kubeconfig); a use loads it and the
 * forwarders reach the real library; a library that is not there fails
 * cleanly, with the reason, every time, and loads nothing.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "../../lib/lazy/lazy-internal.h"
#include "knet/lazy.h"
#include "unit.h"

static void test_not_before_use(void)
{
	yaml_parser_t parser = {0};

	/* freeing what only the library makes loads nothing */
	curl_slist_free_all(NULL);
	curl_easy_cleanup(NULL);
	pcap_close(NULL);
	yaml_parser_delete(&parser);
	cJSON_Delete(NULL);
	CHECK(!cJSON_IsString(NULL));
	CHECK(cJSON_GetObjectItemCaseSensitive(NULL, "a") == NULL);
	CHECK(cJSON_GetErrorPtr() == NULL);
	CHECK(!knet_lazy_loaded(KNET_LAZY_CJSON));
	CHECK(!knet_lazy_loaded(KNET_LAZY_CURL));
	CHECK(!knet_lazy_loaded(KNET_LAZY_PCAP));
	CHECK(!knet_lazy_loaded(KNET_LAZY_YAML));
}

static void test_forwarded(void)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	yaml_parser_t parser;
	yaml_event_t event;
	CURL *c;

	/* a real handle, a real option, a real answer */
	c = curl_easy_init();
	CHECK(c != NULL);
	CHECK(knet_lazy_loaded(KNET_LAZY_CURL));
	CHECK_INT(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L), CURLE_OK);
	CHECK_INT(curl_easy_setopt(c, CURLOPT_URL, "http://192.0.2.1/"),
		  CURLE_OK);
	curl_easy_cleanup(c);
	CHECK(strcmp(curl_version_info(CURLVERSION_NOW)->version,
		     "unavailable") != 0);
	CHECK(strncmp(pcap_lib_version(), "libpcap version", 15) == 0);
	CHECK(pcap_open_offline("/nonexistent.pcap", errbuf) == NULL);
	CHECK(errbuf[0] != '\0');
	CHECK(yaml_parser_initialize(&parser));
	yaml_parser_set_input_string(&parser, (const unsigned char *)"a: 1", 4);
	CHECK(yaml_parser_parse(&parser, &event));
	CHECK_INT(event.type, YAML_STREAM_START_EVENT);
	yaml_event_delete(&event);
	yaml_parser_delete(&parser);
	CHECK_STR(knet_lazy_error(KNET_LAZY_YAML), "");
	{
		cJSON *j = cJSON_Parse("{\"a\": [1, \"x\"]}");
		cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "a");

		CHECK(knet_lazy_loaded(KNET_LAZY_CJSON));
		CHECK_INT(cJSON_GetArraySize(a), 2);
		CHECK(cJSON_GetNumberValue(cJSON_GetArrayItem(a, 0)) == 1.0);
		CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(a, 1)), "x");
		CHECK(cJSON_AddStringToObject(j, "b", "y") != NULL);
		{
			char *out = cJSON_PrintUnformatted(j);

			CHECK_STR(out, "{\"a\":[1,\"x\"],\"b\":\"y\"}");
			free(out);
		}
		cJSON_Delete(j);
		CHECK(cJSON_Parse("{") == NULL);
		CHECK(cJSON_GetErrorPtr() != NULL);
	}
}

/* A library that is not installed: refused, with dlopen's reason. */
static void test_missing(void)
{
	static const char *const names[] = {"libknet-absent.so.9", NULL};
	static const char *const syms[] = {"absent_function", NULL};
	static void *slot[1];
	static struct knet_lazy_set l = KNET_LAZY_SET(names, syms, slot);

	CHECK(!knet_lazy_open(&l));
	CHECK(!knet_lazy_open(&l)); /* and again, without trying again */
	CHECK_INT(l.state, KNET_LAZY_FAILED);
	CHECK(strstr(l.error, "libknet-absent.so.9") != NULL);
}

/* A library without a symbol we need: refused as a whole. */
static void test_missing_symbol(void)
{
	static const char *const names[] = {"libcurl.so.4", NULL};
	static const char *const syms[] = {"curl_easy_init",
					   "curl_no_such_function", NULL};
	static void *slot[2];
	static struct knet_lazy_set l = KNET_LAZY_SET(names, syms, slot);

	CHECK(!knet_lazy_open(&l));
	CHECK(strstr(l.error, "curl_no_such_function") != NULL);
	/* nothing half-resolved is left for a careless forwarder */
	CHECK(slot[0] == NULL && slot[1] == NULL);
}

/*
 * The public loader as cmd/shell and cmd/ui use it: a variable reached
 * at the address dlsym() gave, typed by its header's declaration, is
 * the library's own.  libc's optind here (loaded already: dlopen() only
 * finds it): this file names it only inside KNET_LAZY_VAR's typeof, so
 * there is no copy relocation, as for readline's variables in knet; a
 * copy would make getopt() disagree with what we set and read.
 */
static void test_variable(void)
{
	static const char *const names[] = {"libc.so.6", NULL};
	static const char *const syms[] = {"optind", "getopt", NULL};
	static void *slot[2];
	static struct knet_lazy_set l = KNET_LAZY_SET(names, syms, slot);
	char *argv[] = {"x", "-b", "-a", NULL};

	CHECK(!knet_lazy_is_open(&l));
	CHECK(knet_lazy_open(&l));
	CHECK(knet_lazy_is_open(&l));
	CHECK_STR(l.error, "");
	CHECK_INT(KNET_LAZY_VAR(optind, slot[0]), 1);
	KNET_LAZY_VAR(optind, slot[0]) = 2; /* skip -b */
	CHECK_INT(getopt(3, argv, "a"), 'a');
	CHECK_INT(KNET_LAZY_VAR(optind, slot[0]), 3);
	KNET_LAZY_VAR(optind, slot[0]) = 1;
}

int main(void)
{
	test_not_before_use();
	test_forwarded();
	test_missing();
	test_missing_symbol();
	test_variable();
	return unit_done("test-lazy");
}
