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

static void strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		knet_wipe_free(*p);
	free(v);
}

static void exec_config_free(struct knet_exec_config *ex)
{
	if (!ex)
		return;
	free(ex->api_version);
	free(ex->command);
	/* Plugins take secrets in arguments and env too. */
	strv_free(ex->args);
	for (int i = 0; i < ex->nenv; i++) {
		free(ex->env[i].key);
		knet_wipe_free(ex->env[i].value);
	}
	free(ex->env);
	free(ex->install_hint);
	free(ex->interactive_mode);
	free(ex);
}

/* Forget every credential of the user (the identity, not impersonation). */
static void drop_credentials(struct knet_kubeconfig *kc)
{
	free(kc->cert_file);
	knet_blob_clear(&kc->cert_data);
	free(kc->key_file);
	knet_blob_clear(&kc->key_data);
	knet_wipe_free(kc->token);
	free(kc->token_file);
	knet_wipe_free(kc->username);
	knet_wipe_free(kc->password);
	exec_config_free(kc->exec);
	kc->cert_file = kc->key_file = kc->token = kc->token_file = NULL;
	kc->username = kc->password = NULL;
	kc->exec = NULL;
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
	drop_credentials(kc);
	free(kc->impersonate_user);
	strv_free(kc->impersonate_groups);
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

static int oom(struct knet_error *err)
{
	return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
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
	r = oom(err);
cleanup:
	exec_config_free(e);
	return r;
}

static char *nonempty_dup(const cJSON *obj, const char *key)
{
	const char *v = knet_json_str(obj, key);

	return v && *v ? strdup(v) : NULL;
}

/* Replace *@field by a copy of @value (NULL clears it). */
static int set_str(char **field, const char *value)
{
	char *c = value ? strdup(value) : NULL;

	if (value && !c)
		return -ENOMEM;
	knet_wipe_free(*field);
	*field = c;
	return 0;
}

static int fill_cluster(struct knet_kubeconfig *kc, const cJSON *c,
			const struct knet_kubeconfig_overrides *ov,
			struct knet_error *err)
{
	const char *name = kc->cluster_name ?: "(none)";
	bool flags_ca = ov && (ov->insecure || ov->ca_file);
	int r;

	kc->server = ov && ov->server ? strdup(ov->server)
				      : nonempty_dup(c, "server");
	if (!kc->server || !*kc->server)
		return knet_error_set(err, -EINVAL, KNET_EXIT_API,
				      "cluster \"%s\" has no server", name);
	if (strncmp(kc->server, "https://", 8) &&
	    strncmp(kc->server, "http://", 7)) {
		/* kubectl assumes https for a bare host:port. */
		char *s;

		if (asprintf(&s, "https://%s", kc->server) < 0)
			return oom(err);
		free(kc->server);
		kc->server = s;
	}
	kc->ca_file = nonempty_dup(c, "certificate-authority");
	r = decode_field(c, "certificate-authority-data", "cluster", name,
			 &kc->ca_data, err);
	if (r < 0)
		return r;
	kc->insecure = knet_json_bool(c, "insecure-skip-tls-verify", false);
	kc->tls_server_name = nonempty_dup(c, "tls-server-name");
	kc->proxy_url = nonempty_dup(c, "proxy-url");
	kc->disable_compression =
		knet_json_bool(c, "disable-compression", false);
	/* client-go's getCluster: the flags replace the three together. */
	if (flags_ca) {
		knet_blob_clear(&kc->ca_data);
		kc->insecure = ov->insecure;
		if (set_str(&kc->ca_file, ov->ca_file) < 0)
			return oom(err);
	}
	/* --server drops the file's tls-server-name: it named another host. */
	if (ov && (ov->server || ov->tls_server_name) &&
	    set_str(&kc->tls_server_name, ov->tls_server_name) < 0)
		return oom(err);
	if (kc->ca_file && kc->ca_data.len)
		return knet_error_set(err, -EINVAL, KNET_EXIT_API,
				      "cluster \"%s\": both "
				      "certificate-authority and "
				      "certificate-authority-data are set",
				      name);
	if (kc->insecure && flags_ca && kc->ca_file)
		return knet_error_set(
			err, -EINVAL, KNET_EXIT_API,
			"--insecure-skip-tls-verify cannot be used together "
			"with --certificate-authority");
	if (kc->insecure && (kc->ca_file || kc->ca_data.len))
		return knet_error_set(
			err, -EINVAL, KNET_EXIT_API,
			"cluster \"%s\": insecure-skip-tls-verify cannot be "
			"used together with certificate-authority%s",
			name, kc->ca_data.len ? "-data" : "");
	return 0;
}

/* --as/--as-group, else the user's as/as-groups. */
static int fill_impersonation(struct knet_kubeconfig *kc, const cJSON *u,
			      const struct knet_kubeconfig_overrides *ov,
			      struct knet_error *err)
{
	const char *name = kc->user_name ?: "(none)";
	const char *as =
		ov && ov->as && *ov->as ? ov->as : knet_json_str(u, "as");
	const cJSON *it, *groups = knet_json_get(u, "as-groups");
	int n = 0;

	if (knet_json_get(u, "as-user-extra"))
		return knet_error_set(err, -ENOTSUP, KNET_EXIT_API,
				      "user \"%s\": as-user-extra is not "
				      "supported",
				      name);
	if (ov && ov->as_groups && ov->as_groups[0]) {
		while (ov->as_groups[n])
			n++;
		groups = NULL;
	} else {
		n = cJSON_GetArraySize(groups);
	}
	if (n && !(as && *as))
		return knet_error_set(err, -EINVAL, KNET_EXIT_API,
				      "user \"%s\": impersonating groups "
				      "needs a user to impersonate (--as)",
				      name);
	if (as && *as && !(kc->impersonate_user = strdup(as)))
		return oom(err);
	if (kc->impersonate_user &&
	    !knet_header_value_safe(kc->impersonate_user))
		return knet_error_set(err, -EINVAL, KNET_EXIT_API,
				      "the user to impersonate holds a "
				      "control character");
	if (!n)
		return 0;
	kc->impersonate_groups = calloc((size_t)n + 1, sizeof(char *));
	if (!kc->impersonate_groups)
		return oom(err);
	n = 0;
	if (groups) {
		cJSON_ArrayForEach(it, groups)
		{
			const char *g =
				cJSON_IsString(it) ? it->valuestring : "";

			if (!(kc->impersonate_groups[n++] = strdup(g)))
				return oom(err);
		}
	} else {
		for (; ov->as_groups[n]; n++)
			if (!(kc->impersonate_groups[n] =
				      strdup(ov->as_groups[n])))
				return oom(err);
	}
	for (char **g = kc->impersonate_groups; *g; g++)
		if (!**g || !knet_header_value_safe(*g))
			return knet_error_set(err, -EINVAL, KNET_EXIT_API,
					      "a group to impersonate is empty "
					      "or holds a control character");
	return 0;
}

static int fill_user(struct knet_kubeconfig *kc, const cJSON *u,
		     const struct knet_kubeconfig_overrides *ov,
		     struct knet_error *err)
{
	const char *name = kc->user_name ?: "(none)";
	const cJSON *ex = knet_json_get(u, "exec");
	const cJSON *ap = knet_json_get(u, "auth-provider");
	bool cert, bearer, basic;
	int r;

	if (ex && cJSON_IsNull(ex))
		ex = NULL;
	if (ap && cJSON_IsNull(ap))
		ap = NULL;
	kc->cert_file = nonempty_dup(u, "client-certificate");
	kc->key_file = nonempty_dup(u, "client-key");
	kc->token = ov && ov->token && *ov->token ? strdup(ov->token)
						  : nonempty_dup(u, "token");
	kc->token_file = nonempty_dup(u, "tokenFile");
	kc->username = nonempty_dup(u, "username");
	kc->password = nonempty_dup(u, "password");
	r = decode_field(u, "client-certificate-data", "user", name,
			 &kc->cert_data, err);
	if (r < 0)
		return r;
	r = decode_field(u, "client-key-data", "user", name, &kc->key_data,
			 err);
	if (r < 0)
		return r;
	cert = kc->cert_file || kc->cert_data.len;
	bearer = kc->token || kc->token_file;
	basic = kc->username || kc->password;
	/* The validation kubectl does (clientcmd validation.go). */
	if (kc->cert_file && kc->cert_data.len)
		return knet_error_set(err, -EINVAL, KNET_EXIT_API,
				      "user \"%s\": both client-certificate "
				      "and client-certificate-data are set",
				      name);
	if (cert && kc->key_file && kc->key_data.len)
		return knet_error_set(err, -EINVAL, KNET_EXIT_API,
				      "user \"%s\": both client-key and "
				      "client-key-data are set",
				      name);
	if (cert && !kc->key_file && !kc->key_data.len)
		return knet_error_set(err, -EINVAL, KNET_EXIT_API,
				      "user \"%s\": client-certificate and "
				      "client-key must be set together",
				      name);
	if (bearer && basic)
		return knet_error_set(err, -EINVAL, KNET_EXIT_API,
				      "user \"%s\": a token and "
				      "username/password are both set (only "
				      "one is allowed)",
				      name);
	if (ex && ap)
		return knet_error_set(err, -EINVAL, KNET_EXIT_API,
				      "user \"%s\": exec and auth-provider "
				      "cannot be used together",
				      name);
	if (!cert) {
		/* client-go takes the key only with a certificate. */
		free(kc->key_file);
		kc->key_file = NULL;
		knet_blob_clear(&kc->key_data);
	}
	if (ap && !bearer && !basic)
		return knet_error_set(err, -ENOTSUP, KNET_EXIT_API,
				      "user \"%s\": auth-provider plugins are "
				      "not supported (use exec)",
				      name);
	r = fill_impersonation(kc, u, ov, err);
	if (r < 0)
		return r;
	if (!ex)
		return 0;
	/* A bearer token turns the plugin off; it must still be valid. */
	if (bearer) {
		const char *cmd = knet_json_str(ex, "command");
		const char *av = knet_json_str(ex, "apiVersion");

		if (!cmd || !*cmd || !av || !*av)
			return knet_error_set(err, -EINVAL, KNET_EXIT_API,
					      "user \"%s\": exec needs a "
					      "command and an apiVersion",
					      name);
		return 0;
	}
	return parse_exec(ex, name, &kc->exec, err);
}

int knet_kubeconfig_from_json(const cJSON *doc, const char *context,
			      const struct knet_kubeconfig_overrides *ov,
			      const char *source,
			      struct knet_kubeconfig **ret_kc,
			      struct knet_error *err)
{
	struct knet_kubeconfig *kc;
	const cJSON *ctx = NULL, *cluster = NULL, *user = NULL;
	const char *ns;
	int r = -ENOMEM;

	kc = calloc(1, sizeof(*kc));
	if (!kc)
		return oom(err);
	kc->source = strdup(source ?: "kubeconfig");
	if (!context || !*context)
		context = knet_json_str(doc, "current-context");
	if (context && *context) {
		ctx = find_named(doc, "contexts", context, "context");
		if (!ctx) {
			r = knet_error_set(err, -ENOENT, KNET_EXIT_API,
					   "context \"%s\" does not exist",
					   context);
			goto cleanup;
		}
		kc->context_name = strdup(context);
		if (!kc->context_name)
			goto oom;
	} else if (!ov || !(ov->server || ov->cluster)) {
		/* Without a context, only flags can say where to go. */
		r = knet_error_set(err, -EINVAL, KNET_EXIT_API,
				   "no current-context is set (use --context)");
		goto cleanup;
	}
	kc->cluster_name = ov && ov->cluster ? strdup(ov->cluster)
					     : nonempty_dup(ctx, "cluster");
	kc->user_name =
		ov && ov->user ? strdup(ov->user) : nonempty_dup(ctx, "user");
	ns = knet_json_str(ctx, "namespace");
	if (ns && *ns && !(kc->namespace = strdup(ns)))
		goto oom;
	if (kc->cluster_name)
		cluster = find_named(doc, "clusters", kc->cluster_name,
				     "cluster");
	if (!cluster && ov && ov->cluster) {
		r = knet_error_set(err, -ENOENT, KNET_EXIT_API,
				   "cluster \"%s\" does not exist",
				   ov->cluster);
		goto cleanup;
	}
	/* --server stands in for a cluster the context does not name. */
	if (!cluster && !(ov && ov->server)) {
		if (kc->cluster_name)
			r = knet_error_set(err, -ENOENT, KNET_EXIT_API,
					   "cluster \"%s\" of context \"%s\" "
					   "does not exist",
					   kc->cluster_name, context);
		else
			r = knet_error_set(err, -EINVAL, KNET_EXIT_API,
					   "context \"%s\" names no cluster",
					   context);
		goto cleanup;
	}
	r = fill_cluster(kc, cluster, ov, err);
	if (r < 0)
		goto cleanup;
	if (kc->user_name)
		user = find_named(doc, "users", kc->user_name, "user");
	/*
	 * --user must exist.  For a context's user that does not, kubectl
	 * prompts for a password and fails without a terminal; knet never
	 * prompts, so it is the same error.
	 */
	if (!user && ov && ov->user) {
		r = knet_error_set(err, -ENOENT, KNET_EXIT_API,
				   "user \"%s\" does not exist", ov->user);
		goto cleanup;
	}
	if (!user && kc->user_name) {
		r = knet_error_set(err, -ENOENT, KNET_EXIT_API,
				   "user \"%s\" of context \"%s\" does not "
				   "exist",
				   kc->user_name, context);
		goto cleanup;
	}
	r = fill_user(kc, user, ov, err);
	if (r < 0)
		goto cleanup;
	*ret_kc = kc;
	return 0;
oom:
	r = oom(err);
cleanup:
	knet_kubeconfig_free(kc);
	return r;
}

int knet_kubeconfig_read_token(const struct knet_kubeconfig *kc,
			       char **ret_token, struct knet_error *err)
{
	char *tok = NULL;
	size_t a, b;
	int r = 0;

	if (kc->token_file) {
		r = knet_file_read(kc->token_file, 1 << 16, &tok, NULL);
		if (r == 0) {
			a = strspn(tok, " \t\r\n");
			b = strlen(tok);
			while (b > a && strchr(" \t\r\n", tok[b - 1]))
				b--;
			memmove(tok, tok + a, b - a);
			explicit_bzero(tok + (b - a), strlen(tok + (b - a)));
			if (b > a) {
				*ret_token = tok;
				return 0;
			}
			knet_wipe_free(tok);
			r = -ENODATA;
		}
	}
	if (kc->token) {
		/* client-go falls back to the token when the file fails. */
		if (!(tok = strdup(kc->token)))
			return oom(err);
		*ret_token = tok;
		return 0;
	}
	if (r == -ENODATA)
		return knet_error_set(err, -EINVAL, KNET_EXIT_API,
				      "tokenFile %s is empty", kc->token_file);
	if (r < 0)
		return knet_error_set(err, r, KNET_EXIT_API,
				      "cannot read tokenFile %s: %s",
				      kc->token_file, knet_errstr(r));
	*ret_token = NULL;
	return 0;
}

static const char *env_get(const struct knet_kubeconfig_opts *o,
			   const char *name)
{
	return o->getenv ? o->getenv(name) : getenv(name);
}

static int in_cluster(const struct knet_kubeconfig_opts *o,
		      struct knet_kubeconfig **ret_kc, struct knet_error *err)
{
	const struct knet_kubeconfig_overrides *ov = o->overrides;
	const char *host = env_get(o, "KUBERNETES_SERVICE_HOST");
	const char *port = env_get(o, "KUBERNETES_SERVICE_PORT");
	const char *dir = o->sa_dir ?: SA_DIR;
	struct knet_kubeconfig *kc;
	char *ns = NULL;
	int r;

	kc = calloc(1, sizeof(*kc));
	if (!kc)
		return oom(err);
	kc->in_cluster = true;
	kc->source = strdup("in-cluster");
	if (ov && ov->server)
		kc->server = strdup(ov->server);
	else if (asprintf(&kc->server,
			  strchr(host, ':') ? "https://[%s]:%s"
					    : "https://%s:%s",
			  host, port) < 0)
		kc->server = NULL;
	if (asprintf(&kc->ca_file, "%s/ca.crt", dir) < 0)
		kc->ca_file = NULL;
	if (!kc->source || !kc->server || !kc->ca_file)
		goto oom;
	/*
	 * client-go's in-cluster config takes only --server, --token and
	 * --certificate-authority; knet honours --as/--as-group too, since
	 * ignoring them would act as someone else without a word.
	 */
	if (ov && ov->ca_file && set_str(&kc->ca_file, ov->ca_file) < 0)
		goto oom;
	r = fill_impersonation(kc, NULL, ov, err);
	if (r < 0)
		goto cleanup;
	if (ov && ov->token && *ov->token) {
		if (!(kc->token = strdup(ov->token)))
			goto oom;
	} else {
		if (asprintf(&kc->token_file, "%s/token", dir) < 0) {
			kc->token_file = NULL;
			goto oom;
		}
		/* The token must be there now; it is re-read while running. */
		r = knet_kubeconfig_read_token(kc, &kc->token, err);
		if (r < 0) {
			char why[KNET_ERROR_MAX];

			snprintf(why, sizeof(why), "%s", err->reason);
			knet_error_set(err, r, KNET_EXIT_API, "in-cluster: %s",
				       why);
			goto cleanup;
		}
	}
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
oom:
	r = oom(err);
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

/* Whether flags choose something a kubeconfig must hold. */
static bool wants_kubeconfig(const struct knet_kubeconfig_opts *o)
{
	const struct knet_kubeconfig_overrides *ov = o->overrides;

	return o->context || (ov && (ov->cluster || ov->user));
}

int knet_kubeconfig_load(const struct knet_kubeconfig_opts *opts,
			 struct knet_kubeconfig **ret_kc,
			 struct knet_error *err)
{
	struct knet_kubeconfig_opts none = {0};
	const struct knet_kubeconfig_overrides *ov;
	const char *env, *home;
	const char **paths = NULL;
	char *copy = NULL, *homecfg = NULL, *source = NULL;
	cJSON *doc = NULL;
	bool required = false, in_cluster_ok;
	int n = 0, r;

	if (!opts)
		opts = &none;
	ov = opts->overrides;
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
		r = oom(err);
		goto cleanup;
	}
	/* The source, for messages: the list as given. */
	source = strdup(opts->path ?: (env && *env) ? env : homecfg);
	/*
	 * As client-go's deferred loading: in-cluster only when the files
	 * give nothing and no flag names a context, cluster, user or
	 * server (--server alone is a complete configuration).
	 */
	in_cluster_ok = in_cluster_available(opts) && !wants_kubeconfig(opts) &&
			!(ov && ov->server);

	r = knet_kubeconfig_merge_files(paths, n, required, &doc, err);
	if (r == -ENOENT && !required) {
		if (in_cluster_ok) {
			r = in_cluster(opts, ret_kc, err);
			goto cleanup;
		}
		if (ov && ov->server && !wants_kubeconfig(opts)) {
			r = knet_kubeconfig_from_json(
				NULL, NULL, ov, "command line", ret_kc, err);
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
	    in_cluster_ok) {
		r = in_cluster(opts, ret_kc, err);
		goto cleanup;
	}
	r = knet_kubeconfig_from_json(doc, opts->context, ov, source, ret_kc,
				      err);
cleanup:
	/* The tree holds the tokens and keys of every user in the files. */
	knet_json_wipe_delete(doc);
	free(paths);
	free(copy);
	free(homecfg);
	free(source);
	return r;
}
