/* SPDX-License-Identifier: MIT */
/*
 * Kubeconfig: YAML to JSON, base64, KUBECONFIG merging (first file wins
 * a name, first current-context wins, relative paths against the file),
 * validation errors, and the in-cluster fallback.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "knet/api.h"
#include "knet/kubeconfig.h"
#include "unit.h"

#define FIX "tests/fixtures/kubeconfig"

static char cwd[4096];
static const char *fake_env[][2] = {
	{"KUBECONFIG", NULL},
	{"HOME", "/nonexistent-home"},
	{"KUBERNETES_SERVICE_HOST", NULL},
	{"KUBERNETES_SERVICE_PORT", NULL},
};

static const char *fake_getenv(const char *name)
{
	for (size_t i = 0; i < sizeof(fake_env) / sizeof(*fake_env); i++)
		if (!strcmp(fake_env[i][0], name))
			return fake_env[i][1];
	return NULL;
}

static void test_yaml(void)
{
	const char *y = "a: 1\nb: ~\nc:\n- x\n- 'y'\nd: {e: true}\nf:\n";
	struct knet_error err = {0};
	cJSON *j = NULL;

	CHECK_INT(knet_yaml_parse(y, strlen(y), &j, &err), 0);
	CHECK_STR(knet_json_str(j, "a"), "1");
	CHECK(cJSON_IsNull(knet_json_get(j, "b")));
	CHECK(cJSON_IsNull(knet_json_get(j, "f")));
	CHECK_INT(cJSON_GetArraySize(knet_json_get(j, "c")), 2);
	CHECK_STR(cJSON_GetArrayItem(knet_json_get(j, "c"), 1)->valuestring,
		  "y");
	CHECK(knet_json_bool(knet_json_get(j, "d"), "e", false));
	CHECK_INT(knet_json_int(j, "a", 0), 1);
	cJSON_Delete(j);

	/* JSON is YAML too. */
	y = "{\"k\": [1, \"two\", {\"n\": null}]}";
	j = NULL;
	CHECK_INT(knet_yaml_parse(y, strlen(y), &j, &err), 0);
	CHECK_INT(cJSON_GetArraySize(knet_json_get(j, "k")), 3);
	cJSON_Delete(j);

	y = "a: [1, 2\nb: c\n";
	j = NULL;
	CHECK_INT(knet_yaml_parse(y, strlen(y), &j, &err), -EINVAL);
	CHECK(strstr(err.reason, "invalid YAML at line") != NULL);
	CHECK(j == NULL);

	y = "a: &x 1\nb: *x\n";
	CHECK_INT(knet_yaml_parse(y, strlen(y), &j, &err), -EINVAL);
	CHECK(strstr(err.reason, "aliases") != NULL);

	/* An empty document is null. */
	j = NULL;
	CHECK_INT(knet_yaml_parse("", 0, &j, &err), 0);
	CHECK(cJSON_IsNull(j));
	cJSON_Delete(j);
}

static void test_base64(void)
{
	struct knet_blob b = {0};
	char *enc;

	CHECK_INT(knet_base64_decode("aGVsbG8=", &b), 0);
	CHECK_INT((long long)b.len, 5);
	CHECK(!memcmp(b.data, "hello", 5));
	knet_blob_clear(&b);
	CHECK_INT(knet_base64_decode("aGVs\nbG8", &b), 0);
	CHECK_INT((long long)b.len, 5);
	knet_blob_clear(&b);
	CHECK_INT(knet_base64_decode("a!==", &b), -EINVAL);
	CHECK_INT(knet_base64_decode("a", &b), -EINVAL);
	enc = knet_base64_encode((const unsigned char *)"hello", 5);
	CHECK_STR(enc, "aGVsbG8=");
	free(enc);
}

static struct knet_kubeconfig *load(const char *path, const char *kubeconfig,
				    const char *context, int want,
				    struct knet_error *err)
{
	struct knet_kubeconfig_opts o = {
		.path = path,
		.context = context,
		.getenv = fake_getenv,
	};
	struct knet_kubeconfig *kc = NULL;
	int r;

	fake_env[0][1] = kubeconfig;
	knet_error_clear(err);
	r = knet_kubeconfig_load(&o, &kc, err);
	CHECK_INT(r, want);
	if (r == 0 && want == 0)
		CHECK_INT(err->code, 0);
	if (r < 0)
		CHECK_INT(err->exit, KNET_EXIT_API);
	return kc;
}

static void test_merge(void)
{
	struct knet_error err;
	struct knet_kubeconfig *kc;
	char want[8192];

	/* Missing files in the list are skipped. */
	kc = load(NULL, FIX "/missing.yaml:" FIX "/a.yaml:" FIX "/b.yaml", NULL,
		  0, &err);
	if (!kc)
		return;
	CHECK_STR(kc->context_name, "ctx-a");
	CHECK_STR(kc->namespace, "web");
	CHECK_STR(kc->server, "https://a.example:6443");
	CHECK_STR(kc->token, "token-a");
	CHECK_STR(kc->tls_server_name, "api.a.example");
	snprintf(want, sizeof(want), "%s/pki/ca.crt", FIX);
	CHECK_STR(kc->ca_file, want);
	knet_kubeconfig_free(kc);

	/* b's own context resolves its paths against b's directory. */
	kc = load(NULL, FIX "/a.yaml:" FIX "/b.yaml", "ctx-b", 0, &err);
	if (!kc)
		return;
	CHECK_STR(kc->server, "https://b.example:6443");
	CHECK_STR(kc->proxy_url, "http://proxy.example:3128");
	CHECK(kc->namespace == NULL);
	snprintf(want, sizeof(want), "%s/secrets/token", FIX);
	CHECK_STR(kc->token_file, want);
	CHECK_STR(kc->cert_file, "/abs/client.crt");
	snprintf(want, sizeof(want), "%s/keys/client.key", FIX);
	CHECK_STR(kc->key_file, want);
	knet_kubeconfig_free(kc);

	/* "shared" is a's: context, cluster and user alike. */
	kc = load(NULL, FIX "/a.yaml:" FIX "/b.yaml", "shared", 0, &err);
	if (!kc)
		return;
	CHECK_STR(kc->server, "https://shared-from-a.example");
	CHECK(kc->insecure);
	CHECK_STR(kc->token, "shared-from-a");
	CHECK(kc->namespace == NULL);
	knet_kubeconfig_free(kc);

	/* The other order: b wins c1 and current-context. */
	kc = load(NULL, FIX "/b.yaml:" FIX "/a.yaml", NULL, 0, &err);
	if (!kc)
		return;
	CHECK_STR(kc->context_name, "ctx-b");
	knet_kubeconfig_free(kc);
	kc = load(NULL, FIX "/b.yaml:" FIX "/a.yaml", "ctx-a", 0, &err);
	if (kc)
		CHECK_STR(kc->server, "https://c1-from-b.example");
	knet_kubeconfig_free(kc);

	/* --kubeconfig reads that file only. */
	kc = load(FIX "/b.yaml", FIX "/a.yaml", "ctx-a", -ENOENT, &err);
	CHECK(strstr(err.reason, "context \"ctx-a\" does not exist") != NULL);
	knet_kubeconfig_free(kc);
}

static void test_json_and_exec(void)
{
	struct knet_error err;
	struct knet_kubeconfig *kc;
	char want[8192];

	kc = load(FIX "/config.json", NULL, NULL, 0, &err);
	if (!kc)
		return;
	CHECK_STR(kc->namespace, "jns");
	CHECK_INT((long long)kc->ca_data.len, 28);
	CHECK(!memcmp(kc->ca_data.data, "-----BEGIN CERTIFICATE-----\n", 28));
	CHECK(kc->exec != NULL);
	if (kc->exec) {
		snprintf(want, sizeof(want), "%s/bin/plugin", FIX);
		CHECK_STR(kc->exec->command, want);
		CHECK_STR(kc->exec->args[0], "get-token");
		CHECK_STR(kc->exec->args[2], "x");
		CHECK(kc->exec->args[3] == NULL);
		CHECK_INT(kc->exec->nenv, 1);
		CHECK_STR(kc->exec->env[0].key, "FOO");
		CHECK_STR(kc->exec->env[0].value, "bar");
		CHECK(kc->exec->provide_cluster_info);
	}
	knet_kubeconfig_free(kc);
}

static void test_errors(void)
{
	struct knet_error err;

	load(FIX "/missing.yaml", NULL, NULL, -ENOENT, &err);
	CHECK(strstr(err.reason, "no such file or directory") != NULL);
	load(FIX "/malformed.yaml", NULL, NULL, -EINVAL, &err);
	CHECK(strstr(err.reason, "malformed.yaml: invalid YAML at line") !=
	      NULL);
	load(FIX "/insecure-ca.yaml", NULL, NULL, -EINVAL, &err);
	CHECK(strstr(err.reason,
		     "insecure-skip-tls-verify cannot be used "
		     "together with certificate-authority-data") != NULL);
	load(FIX "/cert-no-key.yaml", NULL, NULL, -EINVAL, &err);
	CHECK(strstr(err.reason, "must be set together") != NULL);
	load(FIX "/exec-old.yaml", NULL, NULL, -EINVAL, &err);
	CHECK(strstr(err.reason, "v1alpha1") != NULL);
	load(FIX "/a.yaml", NULL, "nope", -ENOENT, &err);
	CHECK_STR(err.reason, "context \"nope\" does not exist");
	/* Nothing anywhere and not in a cluster. */
	load(NULL, FIX "/missing.yaml", NULL, -ENOENT, &err);
	CHECK(strstr(err.reason, "no kubeconfig found") != NULL);
	/* A directory is not a kubeconfig. */
	load(FIX, NULL, NULL, -EISDIR, &err);
}

static void test_in_cluster(void)
{
	char dir[] = "/tmp/knet-sa-XXXXXX", path[256];
	struct knet_kubeconfig_opts o = {.getenv = fake_getenv};
	struct knet_kubeconfig *kc = NULL;
	struct knet_error err = {0};
	FILE *f;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof(path), "%s/token", dir);
	f = fopen(path, "w");
	fputs("sa-token\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/namespace", dir);
	f = fopen(path, "w");
	fputs("kube-system", f);
	fclose(f);
	o.sa_dir = dir;
	fake_env[0][1] = NULL;
	fake_env[2][1] = "fd00::1";
	fake_env[3][1] = "443";
	CHECK_INT(knet_kubeconfig_load(&o, &kc, &err), 0);
	if (kc) {
		CHECK(kc->in_cluster);
		CHECK_STR(kc->server, "https://[fd00::1]:443");
		CHECK_STR(kc->token, "sa-token");
		CHECK_STR(kc->namespace, "kube-system");
		snprintf(path, sizeof(path), "%s/ca.crt", dir);
		CHECK_STR(kc->ca_file, path);
		snprintf(path, sizeof(path), "%s/token", dir);
		CHECK_STR(kc->token_file, path);
	}
	knet_kubeconfig_free(kc);
	fake_env[2][1] = fake_env[3][1] = NULL;
	snprintf(path, sizeof(path), "%s/token", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/namespace", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	if (!getcwd(cwd, sizeof(cwd)))
		return 1;
	test_yaml();
	test_base64();
	test_merge();
	test_json_and_exec();
	test_errors();
	test_in_cluster();
	return unit_done("test-kubeconfig");
}
