/* SPDX-License-Identifier: MIT */
/*
 * From a merged kubeconfig document to the one context knet uses: its
 * cluster, user and namespace, validated as kubectl validates them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/api.h"
#include "knet/kubeconfig.h"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

static const cJSON *find_named(const cJSON *doc, const char *list,
			       const char *name, const char *inner)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, knet_json_get(doc, list))
	{
		const char *n = knet_json_str(it, "name");

		if (n && !strcmp(n, name))
			return knet_json_get(it, inner) ?: it;
	}
	return NULL;
}

static void exec_config_free(struct knet_exec_config *ex)
{
	if (!ex)
		return;
	free(ex->api_version);
	free(ex->command);
	for (char **a = ex->args; a && *a; a++)
		free(*a);
	free(ex->args);
	for (int i = 0; i < ex->nenv; i++) {
		free(ex->env[i].key);
		free(ex->env[i].value);
	}
	free(ex->env);
	free(ex->install_hint);
	free(ex->interactive_mode);
	free(ex);
}

void knet_kubeconfig_free(struct knet_kubeconfig *kc)
{
	if (!kc)
		return;
	free(kc->source);
	free(kc->context_name);
	free(kc->cluster_name);
	free(kc->user_name);
	free(kc->namespace);
	free(kc->server);
	free(kc->ca_file);
	knet_blob_clear(&kc->ca_data);
	free(kc->tls_server_name);
	free(kc->proxy_url);
	free(kc->cert_file);
	knet_blob_clear(&kc->cert_data);
	free(kc->key_file);
	knet_blob_clear(&kc->key_data);
	if (kc->token) {
		explicit_bzero(kc->token, strlen(kc->token));
		free(kc->token);
	}
	free(kc->token_file);
	exec_config_free(kc->exec);
	free(kc);
}

/* Decode a *-data field; the reason names the field, never its value. */
static int decode_field(const cJSON *obj, const char *key, const char *what,
			const char *name, struct knet_blob *ret,
			struct knet_error *err)
{
	const char *v = knet_json_str(obj, key);
	int r;

	if (!v || !*v)
		return 0;
	r = knet_base64_decode(v, ret);
	if (r == -EINVAL)
		return knet_error_set(err, r, KNET_EXIT_API,
				      "%s \"%s\": %s is not valid base64", what,
				      name, key);
	if (r < 0)
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "out of memory");
	return 0;
}

static int parse_exec(const cJSON *ex, const char *user,
		      struct knet_exec_config **ret, struct knet_error *err)
{
	struct knet_exec_config *e;
	const cJSON *it;
	int n, r = -ENOMEM;

	e = calloc(1, sizeof(*e));
	if (!e)
		goto oom;
	e->api_version = knet_json_strdup(ex, "apiVersion");
	e->command = knet_json_strdup(ex, "command");
	e->install_hint = knet_json_strdup(ex, "installHint");
	e->interactive_mode = knet_json_strdup(ex, "interactiveMode");
	e->provide_cluster_info =
		knet_json_bool(ex, "provideClusterInfo", false);
	if (!e->command || !*e->command) {
		r = knet_error_set(err, -EINVAL, KNET_EXIT_API,
				   "user \"%s\": exec has no command", user);
		goto cleanup;
	}
	if (!e->api_version ||
	    (strcmp(e->api_version, "client.authentication.k8s.io/v1") &&
	     strcmp(e->api_version, "client.authentication.k8s.io/v1beta1"))) {
		r = knet_error_set(err, -EINVAL, KNET_EXIT_API,
				   "user \"%s\": exec apiVersion %s%s%s is not "
				   "supported (use "
				   "client.authentication.k8s.io/v1 or "
				   "v1beta1)",
				   user, e->api_version ? "\"" : "",
				   e->api_version ?: "(none)",
				   e->api_version ? "\"" : "");
		goto cleanup;
	}
	n = cJSON_GetArraySize(knet_json_get(ex, "args"));
	e->args = calloc((size_t)n + 1, sizeof(*e->args));
	if (!e->args)
		goto oom;
	n = 0;
	cJSON_ArrayForEach(it, knet_json_get(ex, "args"))
	{
		const char *a = cJSON_IsString(it) ? it->valuestring : "";

		e->args[n] = strdup(a);
		if (!e->args[n++])
			goto oom;
	}
	n = cJSON_GetArraySize(knet_json_get(ex, "env"));
	if (n > 0) {
		e->env = calloc((size_t)n, sizeof(*e->env));
		if (!e->env)
			goto oom;
	}
	cJSON_ArrayForEach(it, knet_json_get(ex, "env"))
	{
		const char *k = knet_json_str(it, "name");
		const char *v = knet_json_str(it, "value");

		if (!k || !*k) {
			r = knet_error_set(err, -EINVAL, KNET_EXIT_API,
					   "user \"%s\": exec env entry "
					   "without a name",
					   user);
			goto cleanup;
		}
		e->env[e->nenv].key = strdup(k);
		e->env[e->nenv].value = strdup(v ?: "");
		e->nenv++;
		if (!e->env[e->nenv - 1].key || !e->env[e->nenv - 1].value)
			goto oom;
	}
	*ret = e;
	return 0;
oom:
	r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
cleanup:
	exec_config_free(e);
	return r;
}

static int fill_cluster(struct knet_kubeconfig *kc, const cJSON *c,
			struct knet_error *err)
{
	const char *name = kc->cluster_name;
	int r;

	kc->server = knet_json_strdup(c, "server");
	if (!kc->server || !*kc->server)
		return knet_error_set(err, -EINVAL, KNET_EXIT_API,
				      "cluster \"%s\" has no server", name);
	if (strncmp(kc->server, "https://", 8) &&
	    strncmp(kc->server, "http://", 7)) {
		/* kubectl assumes https for a bare host:port. */
		char *s;

		if (asprintf(&s, "https://%s", kc->server) < 0)
			return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					      "out of memory");
		free(kc->server);
		kc->server = s;
	}
	kc->ca_file = knet_json_strdup(c, "certificate-authority");
	r = decode_field(c, "certificate-authority-data", "cluster", name,
			 &kc->ca_data, err);
	if (r < 0)
		return r;
	kc->insecure = knet_json_bool(c, "insecure-skip-tls-verify", false);
	kc->tls_server_name = knet_json_strdup(c, "tls-server-name");
	kc->proxy_url = knet_json_strdup(c, "proxy-url");
	kc->disable_compression =
		knet_json_bool(c, "disable-compression", false);
	if (kc->ca_file && !*kc->ca_file) {
		free(kc->ca_file);
		kc->ca_file = NULL;
	}
	if (kc->insecure && (kc->ca_file || kc->ca_data.len))
		return knet_error_set(
			err, -EINVAL, KNET_EXIT_API,
			"cluster \"%s\": insecure-skip-tls-verify cannot be "
			"used together with certificate-authority%s",
			name, kc->ca_data.len ? "-data" : "");
	return 0;
}

static char *nonempty_dup(const cJSON *obj, const char *key)
{
	const char *v = knet_json_str(obj, key);

	return v && *v ? strdup(v) : NULL;
}

static int fill_user(struct knet_kubeconfig *kc, const cJSON *u,
		     struct knet_error *err)
{
	const char *name = kc->user_name;
	const cJSON *ex;
	int r;

	kc->cert_file = nonempty_dup(u, "client-certificate");
	kc->key_file = nonempty_dup(u, "client-key");
	kc->token = nonempty_dup(u, "token");
	kc->token_file = nonempty_dup(u, "tokenFile");
	r = decode_field(u, "client-certificate-data", "user", name,
			 &kc->cert_data, err);
	if (r < 0)
		return r;
	r = decode_field(u, "client-key-data", "user", name, &kc->key_data,
			 err);
	if (r < 0)
		return r;
	if (kc->cert_file && kc->cert_data.len)
		return knet_error_set(err, -EINVAL, KNET_EXIT_API,
				      "user \"%s\": both client-certificate "
				      "and client-certificate-data are set",
				      name);
	if (kc->key_file && kc->key_data.len)
		return knet_error_set(err, -EINVAL, KNET_EXIT_API,
				      "user \"%s\": both client-key and "
				      "client-key-data are set",
				      name);
	if ((kc->cert_file || kc->cert_data.len) !=
	    (kc->key_file || kc->key_data.len))
		return knet_error_set(err, -EINVAL, KNET_EXIT_API,
				      "user \"%s\": client-certificate and "
				      "client-key must be set together",
				      name);
	if (knet_json_get(u, "auth-provider"))
		return knet_error_set(err, -ENOTSUP, KNET_EXIT_API,
				      "user \"%s\": auth-provider plugins are "
				      "not supported (use exec)",
				      name);
	if (knet_json_get(u, "username") || knet_json_get(u, "password"))
		return knet_error_set(err, -ENOTSUP, KNET_EXIT_API,
				      "user \"%s\": basic authentication is "
				      "not supported",
				      name);
	ex = knet_json_get(u, "exec");
	if (ex && !cJSON_IsNull(ex))
		return parse_exec(ex, name, &kc->exec, err);
	return 0;
}

int knet_kubeconfig_from_json(const cJSON *doc, const char *context,
			      const char *source,
			      struct knet_kubeconfig **ret_kc,
			      struct knet_error *err)
{
	struct knet_kubeconfig *kc;
	const cJSON *ctx, *cluster, *user;
	const char *ns;
	int r = -ENOMEM;

	kc = calloc(1, sizeof(*kc));
	if (!kc)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	kc->source = strdup(source ?: "kubeconfig");
	if (!context || !*context)
		context = knet_json_str(doc, "current-context");
	if (!context || !*context) {
		r = knet_error_set(err, -EINVAL, KNET_EXIT_API,
				   "no current-context is set (use --context)");
		goto cleanup;
	}
	ctx = find_named(doc, "contexts", context, "context");
	if (!ctx) {
		r = knet_error_set(err, -ENOENT, KNET_EXIT_API,
				   "context \"%s\" does not exist", context);
		goto cleanup;
	}
	kc->context_name = strdup(context);
	kc->cluster_name = knet_json_strdup(ctx, "cluster");
	kc->user_name = knet_json_strdup(ctx, "user");
	ns = knet_json_str(ctx, "namespace");
	if (ns && *ns)
		kc->namespace = strdup(ns);
	if (!kc->context_name)
		goto oom;
	if (!kc->cluster_name || !*kc->cluster_name) {
		r = knet_error_set(err, -EINVAL, KNET_EXIT_API,
				   "context \"%s\" names no cluster", context);
		goto cleanup;
	}
	cluster = find_named(doc, "clusters", kc->cluster_name, "cluster");
	if (!cluster) {
		r = knet_error_set(err, -ENOENT, KNET_EXIT_API,
				   "cluster \"%s\" of context \"%s\" does not "
				   "exist",
				   kc->cluster_name, context);
		goto cleanup;
	}
	r = fill_cluster(kc, cluster, err);
	if (r < 0)
		goto cleanup;
	if (kc->user_name && *kc->user_name) {
		user = find_named(doc, "users", kc->user_name, "user");
		if (!user) {
			r = knet_error_set(err, -ENOENT, KNET_EXIT_API,
					   "user \"%s\" of context \"%s\" does "
					   "not exist",
					   kc->user_name, context);
			goto cleanup;
		}
		r = fill_user(kc, user, err);
		if (r < 0)
			goto cleanup;
	}
	*ret_kc = kc;
	return 0;
oom:
	r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
cleanup:
	knet_kubeconfig_free(kc);
	return r;
}

static const char *env_get(const struct knet_kubeconfig_opts *o,
			   const char *name)
{
	return o->getenv ? o->getenv(name) : getenv(name);
}

static int in_cluster(const struct knet_kubeconfig_opts *o,
		      struct knet_kubeconfig **ret_kc, struct knet_error *err)
{
	const char *host = env_get(o, "KUBERNETES_SERVICE_HOST");
	const char *port = env_get(o, "KUBERNETES_SERVICE_PORT");
	const char *dir = o->sa_dir ?: SA_DIR;
	struct knet_kubeconfig *kc;
	char *ns = NULL;
	int r;

	kc = calloc(1, sizeof(*kc));
	if (!kc)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	kc->in_cluster = true;
	kc->source = strdup("in-cluster");
	if (asprintf(&kc->server,
		     strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s",
		     host, port) < 0)
		kc->server = NULL;
	if (asprintf(&kc->token_file, "%s/token", dir) < 0)
		kc->token_file = NULL;
	if (asprintf(&kc->ca_file, "%s/ca.crt", dir) < 0)
		kc->ca_file = NULL;
	if (!kc->source || !kc->server || !kc->token_file || !kc->ca_file) {
		r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				   "out of memory");
		goto cleanup;
	}
	/* The token must be there now; it is re-read while running. */
	r = knet_file_read(kc->token_file, 1 << 16, &kc->token, NULL);
	if (r < 0) {
		knet_error_set(err, r, KNET_EXIT_API,
			       "in-cluster: cannot read %s: %s", kc->token_file,
			       knet_errstr(r));
		goto cleanup;
	}
	kc->token[strcspn(kc->token, "\r\n")] = '\0';
	{
		char *p;

		if (asprintf(&p, "%s/namespace", dir) >= 0) {
			if (knet_file_read(p, 4096, &ns, NULL) == 0) {
				ns[strcspn(ns, "\r\n")] = '\0';
				if (*ns)
					kc->namespace = ns;
				else
					free(ns);
			}
			free(p);
		}
	}
	*ret_kc = kc;
	return 0;
cleanup:
	knet_kubeconfig_free(kc);
	return r;
}

static bool in_cluster_available(const struct knet_kubeconfig_opts *o)
{
	const char *h = env_get(o, "KUBERNETES_SERVICE_HOST");
	const char *p = env_get(o, "KUBERNETES_SERVICE_PORT");

	return h && *h && p && *p;
}

/* Split KUBECONFIG on ':' into a vector pointing into @copy. */
static int split_list(char *copy, const char ***ret, int *ret_n)
{
	const char **v;
	int n = 1;

	for (char *p = copy; *p; p++)
		n += *p == ':';
	v = calloc((size_t)n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	n = 0;
	for (char *save = NULL, *tok = strtok_r(copy, ":", &save); tok;
	     tok = strtok_r(NULL, ":", &save))
		v[n++] = tok;
	*ret = v;
	*ret_n = n;
	return 0;
}

int knet_kubeconfig_load(const struct knet_kubeconfig_opts *opts,
			 struct knet_kubeconfig **ret_kc,
			 struct knet_error *err)
{
	struct knet_kubeconfig_opts none = {0};
	const char *env, *home;
	const char **paths = NULL;
	char *copy = NULL, *homecfg = NULL, *source = NULL;
	cJSON *doc = NULL;
	bool required = false;
	int n = 0, r;

	if (!opts)
		opts = &none;
	env = env_get(opts, "KUBECONFIG");
	home = env_get(opts, "HOME");
	if (opts->path) {
		copy = strdup(opts->path);
		paths = calloc(1, sizeof(*paths));
		if (copy && paths)
			paths[n++] = copy;
		required = true;
	} else if (env && *env) {
		copy = strdup(env);
		if (copy && split_list(copy, &paths, &n) < 0)
			paths = NULL;
	} else {
		if (asprintf(&homecfg, "%s/.kube/config", home ?: "") < 0)
			homecfg = NULL;
		copy = homecfg ? strdup(homecfg) : NULL;
		paths = calloc(1, sizeof(*paths));
		if (copy && paths)
			paths[n++] = copy;
	}
	if (!copy || !paths) {
		r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				   "out of memory");
		goto cleanup;
	}
	/* The source, for messages: the list as given. */
	source = strdup(opts->path ?: (env && *env) ? env : homecfg);

	r = knet_kubeconfig_merge_files(paths, n, required, &doc, err);
	if (r == -ENOENT && !required) {
		if (in_cluster_available(opts) && !opts->context) {
			r = in_cluster(opts, ret_kc, err);
			goto cleanup;
		}
		r = knet_error_set(err, -ENOENT, KNET_EXIT_API,
				   "no kubeconfig found (looked at %s) and "
				   "not running in a cluster",
				   source ?: "KUBECONFIG");
		goto cleanup;
	}
	if (r < 0)
		goto cleanup;
	/* Files that exist but say nothing fall back to in-cluster too. */
	if (!knet_json_str(doc, "current-context") &&
	    cJSON_GetArraySize(knet_json_get(doc, "contexts")) == 0 &&
	    in_cluster_available(opts) && !opts->context) {
		r = in_cluster(opts, ret_kc, err);
		goto cleanup;
	}
	r = knet_kubeconfig_from_json(doc, opts->context, source, ret_kc, err);
cleanup:
	cJSON_Delete(doc);
	free(paths);
	free(copy);
	free(homecfg);
	free(source);
	return r;
}
