/* SPDX-License-Identifier: MIT */
/*
 * Kubeconfig YAML and the KUBECONFIG merge: the input is two files
 * separated by a "\n%%\n" line.  The first goes through the YAML reader
 * (first document and every document); both are written to a private
 * directory and merged as KUBECONFIG=a:b, and the merged document is
 * loaded for its current context, a named one, and with overrides.
 * Nothing here runs a plugin or reads a token file.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "knet/api.h"
#include "knet/kubeconfig.h"

#include "fuzz.h"

static char dir[64], path_a[96], path_b[96];

static int write_file(const char *path, const char *s)
{
	size_t n = strlen(s);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int r = 0;

	if (fd < 0)
		return -1;
	if (write(fd, s, n) != (ssize_t)n)
		r = -1;
	close(fd);
	return r;
}

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
	const char *const paths[] = {path_a, path_b};
	struct knet_error err = {0};
	char *a, *b, *block;
	cJSON *doc = NULL;
	int failed = 0;

	if (!dir[0]) {
		const char *t = getenv("TMPDIR");

		snprintf(dir, sizeof(dir), "%s/knet-fuzz-XXXXXX",
			 t && strlen(t) < 32 ? t : "/tmp");
		if (!mkdtemp(dir))
			abort();
		snprintf(path_a, sizeof(path_a), "%s/a", dir);
		snprintf(path_b, sizeof(path_b), "%s/b", dir);
	}
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
	if (write_file(path_a, a) == 0 && write_file(path_b, b) == 0 &&
	    knet_kubeconfig_merge_files(paths, 2, false, &doc, &err) == 0) {
		load(doc);
		cJSON_Delete(doc);
	}
	free(block);
	return 0;
}
