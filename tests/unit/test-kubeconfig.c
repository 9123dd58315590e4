/* SPDX-License-Identifier: MIT */
/*
 * Kubeconfig: YAML to JSON, base64, KUBECONFIG merging (first file wins
 * a name, first current-context wins, relative paths against the file),
 * validation errors, the in-cluster fallback, which credential is used
 * when a user sets several (client-go's rules), kubectl's overrides,
 * and that no freed block still holds a secret.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "knet/api.h"
#include "knet/kubeconfig.h"
#include "unit.h"

#if defined(__SANITIZE_ADDRESS__)
/* From sanitizer/allocator_interface.h, which gcc does not install. */
int __sanitizer_install_malloc_and_free_hooks(
	void (*malloc_hook)(const volatile void *, size_t),
	void (*free_hook)(const volatile void *));
size_t __sanitizer_get_allocated_size(const volatile void *p);
#define HAVE_FREE_HOOK 1
#endif

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

/* The merge over texts in memory (what fuzz-kubeconfig drives). */
static void test_merge_texts(void)
{
	static const char *const paths[] = {"/cfg/a", "/cfg/b"};
	const char *texts[] = {
		"current-context: ctx-a\n"
		"clusters:\n"
		"- name: c\n"
		"  cluster:\n"
		"    server: https://a.example:6443\n"
		"    certificate-authority: pki/ca.crt\n",
		"current-context: ctx-b\n"
		"clusters:\n"
		"- name: c\n"
		"  cluster: {server: https://b.example:6443}\n"
		"- name: d\n"
		"  cluster: {server: https://d.example:6443}\n",
	};
	const char *bad[] = {"clusters: 3\n"};
	struct knet_error err;
	const cJSON *c;
	cJSON *doc = NULL;

	knet_error_clear(&err);
	CHECK_INT(knet_kubeconfig_merge_texts(paths, texts, 2, &doc, &err), 0);
	if (!doc)
		return;
	/* The first to set them wins; b adds only what a had not. */
	CHECK_STR(knet_json_str(doc, "current-context"), "ctx-a");
	c = cJSON_GetArrayItem(knet_json_get(doc, "clusters"), 0);
	CHECK_STR(knet_json_str(knet_json_get(c, "cluster"), "server"),
		  "https://a.example:6443");
	CHECK_STR(knet_json_str(knet_json_get(c, "cluster"),
				"certificate-authority"),
		  "/cfg/pki/ca.crt");
	CHECK_INT(cJSON_GetArraySize(knet_json_get(doc, "clusters")), 2);
	knet_json_wipe_delete(doc);
	doc = NULL;
	CHECK_INT(knet_kubeconfig_merge_texts(paths, bad, 1, &doc, &err),
		  -EINVAL);
	CHECK_STR(err.reason, "/cfg/a: 'clusters' must be a list");
	CHECK(doc == NULL);
	CHECK_INT(knet_kubeconfig_merge_texts(paths, texts, 0, &doc, &err),
		  -ENOENT);
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

/*
 * One cluster c (https://c.example, tls-server-name c.internal, CA data),
 * one context x naming c and user u; @user is the body of u.
 */
static struct knet_kubeconfig *from_yaml(
	const char *user, const struct knet_kubeconfig_overrides *ov, int want,
	struct knet_error *err)
{
	char y[4096];
	struct knet_kubeconfig *kc = NULL;
	cJSON *doc = NULL;
	int r;

	snprintf(y, sizeof(y),
		 "current-context: x\n"
		 "clusters:\n- name: c\n  cluster:\n"
		 "    server: https://c.example\n"
		 "    tls-server-name: c.internal\n"
		 "    certificate-authority-data: eA==\n"
		 "- name: d\n  cluster:\n    server: https://d.example\n"
		 "contexts:\n- name: x\n  context:\n    cluster: c\n"
		 "    user: u\n    namespace: web\n"
		 "- name: nouser\n  context:\n    cluster: c\n    user: gone\n"
		 "users:\n- name: v\n  user:\n    token: v-token\n"
		 "- name: u\n  user:\n%s\n",
		 user);
	knet_error_clear(err);
	if (knet_yaml_parse(y, strlen(y), &doc, err) < 0) {
		CHECK(0);
		return NULL;
	}
	r = knet_kubeconfig_from_json(doc, NULL, ov, "test", &kc, err);
	CHECK_INT(r, want);
	if (r < 0)
		CHECK_INT(err->exit, KNET_EXIT_API);
	knet_json_wipe_delete(doc);
	return kc;
}

/* knet_kubeconfig_read_token, checked for @want (NULL: an error). */
static void check_token(const struct knet_kubeconfig *kc, const char *want)
{
	struct knet_error err = {0};
	char *tok = NULL;
	int r = knet_kubeconfig_read_token(kc, &tok, &err);

	if (want) {
		CHECK_INT(r, 0);
		CHECK_STR(tok, want);
	} else {
		CHECK(r < 0);
		CHECK(tok == NULL);
	}
	free(tok);
}

static void test_credential_precedence(void)
{
	char dir[] = "/tmp/knet-kc-XXXXXX", tf[256], user[512];
	struct knet_error err;
	struct knet_kubeconfig *kc;
	FILE *f;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(tf, sizeof(tf), "%s/token", dir);
	f = fopen(tf, "w");
	fputs("  file-token \n", f);
	fclose(f);

	/* token and tokenFile: the file wins while it reads (client-go). */
	snprintf(user, sizeof(user), "    token: static\n    tokenFile: %s",
		 tf);
	kc = from_yaml(user, NULL, 0, &err);
	if (kc) {
		check_token(kc, "file-token");
		CHECK(kc->exec == NULL);
	}
	knet_kubeconfig_free(kc);
	/* ...and the token is the fallback when it does not. */
	kc = from_yaml("    token: static\n    tokenFile: /nonexistent/t", NULL,
		       0, &err);
	if (kc)
		check_token(kc, "static");
	knet_kubeconfig_free(kc);
	kc = from_yaml("    tokenFile: /nonexistent/t", NULL, 0, &err);
	if (kc)
		check_token(kc, NULL);
	knet_kubeconfig_free(kc);

	/* A bearer token turns the exec plugin off. */
	kc = from_yaml("    token: t\n    exec:\n"
		       "      apiVersion: client.authentication.k8s.io/v1\n"
		       "      command: plugin",
		       NULL, 0, &err);
	if (kc) {
		CHECK(kc->exec == NULL);
		check_token(kc, "t");
	}
	knet_kubeconfig_free(kc);
	snprintf(user, sizeof(user),
		 "    tokenFile: %s\n    exec:\n"
		 "      apiVersion: client.authentication.k8s.io/v1alpha1\n"
		 "      command: plugin",
		 tf);
	kc = from_yaml(user, NULL, 0, &err);
	if (kc)
		CHECK(kc->exec == NULL);
	knet_kubeconfig_free(kc);
	/* ...but must still be valid, as kubectl checks it. */
	from_yaml("    token: t\n    exec:\n      command: plugin", NULL,
		  -EINVAL, &err);
	kc = from_yaml("    exec:\n"
		       "      apiVersion: client.authentication.k8s.io/v1\n"
		       "      command: plugin",
		       NULL, 0, &err);
	if (kc)
		CHECK(kc->exec != NULL);
	knet_kubeconfig_free(kc);

	/* A certificate goes along with a token: the server chooses. */
	kc = from_yaml("    token: t\n    client-certificate-data: eA==\n"
		       "    client-key-data: eQ==",
		       NULL, 0, &err);
	if (kc) {
		CHECK_INT((long long)kc->cert_data.len, 1);
		CHECK_INT((long long)kc->key_data.len, 1);
		check_token(kc, "t");
	}
	knet_kubeconfig_free(kc);
	/* A key without a certificate is ignored. */
	kc = from_yaml("    token: t\n    client-key: /k", NULL, 0, &err);
	if (kc)
		CHECK(kc->key_file == NULL);
	knet_kubeconfig_free(kc);
	from_yaml("    client-certificate: /c\n"
		  "    client-certificate-data: eA==\n    client-key: /k",
		  NULL, -EINVAL, &err);
	CHECK(strstr(err.reason, "both client-certificate and") != NULL);
	from_yaml("    client-certificate: /c\n    client-key: /k\n"
		  "    client-key-data: eA==",
		  NULL, -EINVAL, &err);

	/* Basic authentication: never with a token; with exec it wins. */
	from_yaml("    token: t\n    username: a\n    password: b", NULL,
		  -EINVAL, &err);
	CHECK(strstr(err.reason, "only one is allowed") != NULL);
	snprintf(user, sizeof(user), "    tokenFile: %s\n    username: a", tf);
	from_yaml(user, NULL, -EINVAL, &err);
	kc = from_yaml("    username: a\n    password: b\n    exec:\n"
		       "      apiVersion: client.authentication.k8s.io/v1\n"
		       "      command: plugin",
		       NULL, 0, &err);
	if (kc) {
		CHECK_STR(kc->username, "a");
		CHECK_STR(kc->password, "b");
		CHECK(kc->exec != NULL);
	}
	knet_kubeconfig_free(kc);

	/* auth-provider: an error only when it would be the credential. */
	from_yaml("    auth-provider:\n      name: oidc", NULL, -ENOTSUP, &err);
	kc = from_yaml("    token: t\n    auth-provider:\n      name: oidc",
		       NULL, 0, &err);
	if (kc)
		check_token(kc, "t");
	knet_kubeconfig_free(kc);
	from_yaml("    auth-provider:\n      name: oidc\n    exec:\n"
		  "      apiVersion: client.authentication.k8s.io/v1\n"
		  "      command: plugin",
		  NULL, -EINVAL, &err);
	CHECK(strstr(err.reason, "cannot be used together") != NULL);

	/* A context's user that does not exist is an error (kubectl prompts). */
	{
		char y[] = "current-context: nouser\n"
			   "clusters:\n- name: c\n  cluster:\n"
			   "    server: https://c.example\n"
			   "contexts:\n- name: nouser\n  context:\n"
			   "    cluster: c\n    user: gone\n";
		cJSON *doc = NULL;

		kc = NULL;
		CHECK_INT(knet_yaml_parse(y, strlen(y), &doc, &err), 0);
		CHECK_INT(knet_kubeconfig_from_json(doc, NULL, NULL, "t", &kc,
						    &err),
			  -ENOENT);
		CHECK_STR(err.reason, "user \"gone\" of context \"nouser\" "
				      "does not exist");
		CHECK(kc == NULL);
		cJSON_Delete(doc);
	}
	unlink(tf);
	rmdir(dir);
}

static void test_overrides(void)
{
	const char *groups[] = {"g1", "g2", NULL};
	struct knet_kubeconfig_overrides ov;
	struct knet_error err;
	struct knet_kubeconfig *kc;

	/* --token replaces the token; a tokenFile stays (client-go 1.20). */
	ov = (struct knet_kubeconfig_overrides){.token = "flag"};
	kc = from_yaml("    token: file\n    exec:\n"
		       "      apiVersion: client.authentication.k8s.io/v1\n"
		       "      command: plugin",
		       &ov, 0, &err);
	if (kc) {
		check_token(kc, "flag");
		CHECK(kc->exec == NULL);
	}
	knet_kubeconfig_free(kc);
	kc = from_yaml("    tokenFile: /nonexistent/t", &ov, 0, &err);
	if (kc) {
		CHECK_STR(kc->token_file, "/nonexistent/t");
		check_token(kc, "flag");
	}
	knet_kubeconfig_free(kc);

	/* --server drops the file's tls-server-name; --tls-server-name sets. */
	ov = (struct knet_kubeconfig_overrides){.server = "https://s:1"};
	kc = from_yaml("    token: t", &ov, 0, &err);
	if (kc) {
		CHECK_STR(kc->server, "https://s:1");
		CHECK(kc->tls_server_name == NULL);
		CHECK_INT((long long)kc->ca_data.len, 1);
		CHECK_STR(kc->namespace, "web");
	}
	knet_kubeconfig_free(kc);
	ov.tls_server_name = "n.example";
	kc = from_yaml("    token: t", &ov, 0, &err);
	if (kc)
		CHECK_STR(kc->tls_server_name, "n.example");
	knet_kubeconfig_free(kc);
	ov = (struct knet_kubeconfig_overrides){.tls_server_name = "m"};
	kc = from_yaml("    token: t", &ov, 0, &err);
	if (kc) {
		CHECK_STR(kc->server, "https://c.example");
		CHECK_STR(kc->tls_server_name, "m");
	}
	knet_kubeconfig_free(kc);

	/* The CA flags replace CA, CA data and insecure together. */
	ov = (struct knet_kubeconfig_overrides){.insecure = true};
	kc = from_yaml("    token: t", &ov, 0, &err);
	if (kc) {
		CHECK(kc->insecure);
		CHECK_INT((long long)kc->ca_data.len, 0);
	}
	knet_kubeconfig_free(kc);
	ov = (struct knet_kubeconfig_overrides){.ca_file = "/ca.crt"};
	kc = from_yaml("    token: t", &ov, 0, &err);
	if (kc) {
		CHECK_STR(kc->ca_file, "/ca.crt");
		CHECK_INT((long long)kc->ca_data.len, 0);
		CHECK(!kc->insecure);
	}
	knet_kubeconfig_free(kc);
	ov.insecure = true;
	from_yaml("    token: t", &ov, -EINVAL, &err);
	CHECK(strstr(err.reason,
		     "--insecure-skip-tls-verify cannot be used "
		     "together with --certificate-authority") != NULL);

	/* --cluster and --user pick entries that must exist. */
	ov = (struct knet_kubeconfig_overrides){.cluster = "d", .user = "v"};
	kc = from_yaml("    token: t", &ov, 0, &err);
	if (kc) {
		CHECK_STR(kc->server, "https://d.example");
		CHECK_STR(kc->user_name, "v");
		CHECK_STR(kc->token, "v-token");
		CHECK(kc->tls_server_name == NULL);
	}
	knet_kubeconfig_free(kc);
	ov = (struct knet_kubeconfig_overrides){.cluster = "nope"};
	from_yaml("    token: t", &ov, -ENOENT, &err);
	CHECK_STR(err.reason, "cluster \"nope\" does not exist");
	ov = (struct knet_kubeconfig_overrides){.user = "nope"};
	from_yaml("    token: t", &ov, -ENOENT, &err);
	CHECK_STR(err.reason, "user \"nope\" does not exist");

	/* Impersonation: the flags replace the user's as/as-groups. */
	kc = from_yaml("    token: t\n    as: file-user\n    as-groups: [fg]",
		       NULL, 0, &err);
	if (kc) {
		CHECK_STR(kc->impersonate_user, "file-user");
		CHECK_STR(kc->impersonate_groups[0], "fg");
		CHECK(kc->impersonate_groups[1] == NULL);
	}
	knet_kubeconfig_free(kc);
	ov = (struct knet_kubeconfig_overrides){.as = "sa",
						.as_groups = groups};
	kc = from_yaml("    token: t\n    as: file-user\n    as-groups: [fg]",
		       &ov, 0, &err);
	if (kc) {
		CHECK_STR(kc->impersonate_user, "sa");
		CHECK_STR(kc->impersonate_groups[0], "g1");
		CHECK_STR(kc->impersonate_groups[1], "g2");
		CHECK(kc->impersonate_groups[2] == NULL);
	}
	knet_kubeconfig_free(kc);
	ov = (struct knet_kubeconfig_overrides){.as_groups = groups};
	from_yaml("    token: t", &ov, -EINVAL, &err);
	CHECK(strstr(err.reason, "needs a user to impersonate") != NULL);
	ov = (struct knet_kubeconfig_overrides){.as = "a\r\nX-Evil: 1"};
	from_yaml("    token: t", &ov, -EINVAL, &err);
	from_yaml("    token: t\n    as: u\n    as-user-extra: {k: [v]}", NULL,
		  -ENOTSUP, &err);

	/* --server with no kubeconfig at all is a whole configuration. */
	{
		struct knet_kubeconfig_opts o = {.getenv = fake_getenv};

		ov = (struct knet_kubeconfig_overrides){.server = "https://z",
							.token = "zt"};
		o.overrides = &ov;
		fake_env[0][1] = FIX "/missing.yaml";
		kc = NULL;
		CHECK_INT(knet_kubeconfig_load(&o, &kc, &err), 0);
		if (kc) {
			CHECK_STR(kc->server, "https://z");
			CHECK_STR(kc->token, "zt");
			CHECK(kc->namespace == NULL);
		}
		knet_kubeconfig_free(kc);
		/* ...but --context still needs one. */
		o.context = "x";
		kc = NULL;
		CHECK(knet_kubeconfig_load(&o, &kc, &err) < 0);
		CHECK(kc == NULL);
	}
}

#ifdef HAVE_FREE_HOOK
/*
 * Every block freed while the hook is armed must hold none of the
 * secrets below whole: ASan calls the hook before the memory is
 * released.  Whole values, because libyaml's scanner grows a scalar
 * with realloc and has no allocator hook, so a prefix shorter than the
 * old buffer stays in freed memory; that is out of knet's reach.
 */
static const char *const secrets[] = {
	"S3CRETTOKEN-one",
	"S3CRETTOKEN-dup-merged-away",
	"S3CRETPASSWORD",
	"S3CRETKEY-not-a-real-pem",
	"UzNDUkVUS0VZLW5vdC1hLXJlYWwtcGVt", /* the key, base64 */
};
static bool hook_armed;
static int hook_leaks, hook_frees;

static void malloc_hook(const volatile void *p, size_t n)
{
	(void)p;
	(void)n;
}

static void free_hook(const volatile void *p)
{
	size_t n;

	if (!hook_armed || !p)
		return;
	hook_frees++;
	n = __sanitizer_get_allocated_size((const void *)p);
	for (size_t i = 0; i < sizeof(secrets) / sizeof(*secrets); i++)
		if (memmem((const void *)p, n, secrets[i], strlen(secrets[i])))
			hook_leaks++;
}
#endif

#ifdef HAVE_FREE_HOOK
/* Once for both tests: installed twice, the hook would count twice. */
static bool hooks_installed(void)
{
	static bool installed;

	if (!installed)
		installed = __sanitizer_install_malloc_and_free_hooks(
				    malloc_hook, free_hook) != 0;
	return installed;
}
#endif

static void test_wipe(void)
{
#ifdef HAVE_FREE_HOOK
	struct knet_error err;
	struct knet_kubeconfig *kc;

	if (!hooks_installed()) {
		UNIT_SKIP("wipe", "cannot install a free hook");
		return;
	}
	hook_armed = true;
	hook_leaks = hook_frees = 0;
	/* Both files: the duplicate user is dropped by the merge. */
	kc = load(NULL, FIX "/secrets.yaml:" FIX "/secrets-dup.yaml", NULL, 0,
		  &err);
	if (kc) {
		CHECK_STR(kc->token, "S3CRETTOKEN-one");
		CHECK_INT((long long)kc->key_data.len, 24);
	}
	knet_kubeconfig_free(kc);
	hook_armed = false;
	CHECK(hook_frees > 20); /* the hook saw the frees */
	CHECK_INT(hook_leaks, 0);
#else
	UNIT_SKIP("wipe", "needs AddressSanitizer's free hook");
#endif
}

/*
 * The YAML reader wipes libyaml's buffers only as far as the input can
 * have filled them (not their whole 64 KiB): a secret must not stay
 * there however the text reached them: past the 16 KiB raw buffer
 * (refilled), and as UTF-16 (decoded to more bytes than it had).
 */
static void wipe_yaml(const char *what, const char *text, size_t len)
{
	struct knet_error err;
	cJSON *doc = NULL;

	hook_leaks = hook_frees = 0;
	hook_armed = true;
	CHECK_INT(knet_yaml_parse(text, len, &doc, &err), 0);
	if (doc)
		CHECK_STR(knet_json_str(doc, "token"), "S3CRETTOKEN-one");
	knet_json_wipe_delete(doc);
	hook_armed = false;
	if (hook_leaks)
		fprintf(stderr, "wipe_yaml: %s: %d blocks kept the secret\n",
			what, hook_leaks);
	CHECK(hook_frees > 2);
	CHECK_INT(hook_leaks, 0);
}

static void test_wipe_yaml_buffers(void)
{
#ifdef HAVE_FREE_HOOK
	static const char doc[] = "kind: Config\ntoken: S3CRETTOKEN-one\n";
	size_t pad = 40000, n = 0;
	char *big = malloc(pad + sizeof(doc));
	char *u16 = malloc(2 * sizeof(doc) + 2);

	if (!big || !u16 || !hooks_installed()) {
		free(big);
		free(u16);
		UNIT_SKIP("wipe-yaml", "cannot install a free hook");
		return;
	}
	/* The secret at the end of 40 KB: after two refills. */
	memset(big, '#', pad);
	big[pad - 1] = '\n';
	memcpy(big + pad, doc, sizeof(doc));
	wipe_yaml("40 KB", big, pad + sizeof(doc) - 1);
	/* The secret at its start, before most of the buffer is used. */
	memcpy(big, doc, sizeof(doc) - 1);
	memset(big + sizeof(doc) - 1, '#', pad);
	big[pad + sizeof(doc) - 2] = '\n';
	wipe_yaml("secret first", big, pad + sizeof(doc) - 1);
	/* UTF-16LE with its byte order mark. */
	u16[n++] = (char)0xff;
	u16[n++] = (char)0xfe;
	for (size_t i = 0; i + 1 < sizeof(doc); i++) {
		u16[n++] = doc[i];
		u16[n++] = 0;
	}
	wipe_yaml("UTF-16", u16, n);
	free(big);
	free(u16);
#else
	UNIT_SKIP("wipe-yaml", "needs AddressSanitizer's free hook");
#endif
}

int main(void)
{
	if (!getcwd(cwd, sizeof(cwd)))
		return 1;
	test_yaml();
	test_base64();
	test_merge();
	test_merge_texts();
	test_json_and_exec();
	test_errors();
	test_in_cluster();
	test_credential_precedence();
	test_overrides();
	test_wipe();
	test_wipe_yaml_buffers();
	return unit_done("test-kubeconfig");
}
