/* SPDX-License-Identifier: MIT */
/*
 * Kubeconfig YAML and the KUBECONFIG merge: the input is two files
 * separated by a "\n%%\n" line.  The first goes through the YAML reader
 * (first document and every document); both are merged as KUBECONFIG=a:b
 * would merge them, from memory (the same parse, checks, path resolution
 * and merge as from files, without two files written and read again per
 * input), and the merged document is loaded for its current context, a
 * named one, and with overrides.  Nothing here runs a plugin or reads a
 * token file.
 */
#include <cjson/cJSON.h>

#include "knet/api.h"
#include "knet/kubeconfig.h"

#include "fuzz.h"

static void load(const cJSON *doc)
{
	static const char *const groups[] = {"g1", NULL};
	const struct knet_kubeconfig_overrides ov = {
		.user = "u",
		.server = "https://198.18.0.1:6443",
		.token = "t",
		.insecure = true,
		.as = "someone",
		.as_groups = groups,
	};
	struct knet_kubeconfig *kc = NULL;
	struct knet_error err = {0};

	if (knet_kubeconfig_from_json(doc, NULL, NULL, "fuzz", &kc, &err) == 0)
		knet_kubeconfig_free(kc);
	kc = NULL;
	if (knet_kubeconfig_from_json(doc, "a", &ov, "fuzz", &kc, &err) == 0)
		knet_kubeconfig_free(kc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Under a directory, so relative paths in them are resolved. */
	static const char *const paths[] = {"/fuzz/a", "/fuzz/b"};
	const char *texts[2];
	struct knet_error err = {0};
	char *a, *b, *block;
	cJSON *doc = NULL;
	int failed = 0;

	if (fuzz_split2(data, size, &a, &b, &block) < 0)
		return 0;
	if (knet_yaml_parse(a, strlen(a), &doc, &err) == 0) {
		load(doc);
		cJSON_Delete(doc);
	}
	doc = NULL;
	if (knet_yaml_parse_documents(a, strlen(a), &doc, &failed, &err) == 0)
		cJSON_Delete(doc);
	doc = NULL;
	texts[0] = a;
	texts[1] = b;
	if (knet_kubeconfig_merge_texts(paths, texts, 2, &doc, &err) == 0) {
		load(doc);
		cJSON_Delete(doc);
	}
	free(block);
	return 0;
}
