/* SPDX-License-Identifier: MIT */
/*
 * Credentials: which one is in force (token, tokenFile, exec plugin),
 * keeping it current, and the headers that carry it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api-internal.h"
#include "knet/kubeconfig.h"

#define TOKEN_FILE_TTL 60 /* seconds between re-reads of a tokenFile */

int knet_api_check_token(const char *tok, const char *from,
			 struct knet_error *err)
{
	if (!knet_header_value_safe(tok))
		return knet_error_set(err, -EINVAL, KNET_EXIT_API,
				      "the token from %s holds a control "
				      "character",
				      from);
	return 0;
}

int knet_api_refresh_credentials(struct knet_api *api, bool force,
				 struct knet_error *err)
{
	const struct knet_kubeconfig *kc = api->kc;
	time_t now = time(NULL);
	int r;

	if (api->pinned) {
		if (!force)
			return 0;
		return knet_error_set(err, -EACCES, KNET_EXIT_API,
				      "the credential was refused and cannot "
				      "be renewed once knet has dropped its "
				      "privileges");
	}
	if (kc->exec) {
		if (api->have_exec && !force &&
		    (!api->exec.expires || api->exec.expires > now + 10))
			return 0;
		knet_exec_cred_clear(&api->exec);
		api->have_exec = false;
		knet_api_log(api, 1, "running exec plugin %s",
			     kc->exec->command);
		r = knet_exec_credential_get(kc, &api->exec, err);
		if (r < 0)
			return r;
		api->have_exec = true;
		api->creds_gen++;
		knet_wipe_free(api->token);
		api->token = NULL;
		r = knet_api_check_token(api->exec.token, "the exec plugin",
					 err);
		if (r < 0)
			return r;
		if (api->exec.token && !(api->token = strdup(api->exec.token)))
			return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					      "out of memory");
		/* A static client certificate wins (client-go). */
		if (api->exec.cert.len && !kc->cert_file &&
		    !kc->cert_data.len &&
		    (knet_api_set_blob(api->c.curl, CURLOPT_SSLCERT_BLOB,
				       &api->exec.cert) < 0 ||
		     knet_api_set_blob(api->c.curl, CURLOPT_SSLKEY_BLOB,
				       &api->exec.key) < 0))
			return knet_error_set(err, -ENOTSUP, KNET_EXIT_API,
					      "this libcurl cannot use the "
					      "exec plugin's certificate");
		return 0;
	}
	/*
	 * tokenFile, re-read once a minute: while it reads it wins over a
	 * static token, which is the fallback (client-go).
	 */
	if (kc->token_file &&
	    (force || !api->token || now - api->token_read >= TOKEN_FILE_TTL)) {
		char *tok = NULL;

		r = knet_kubeconfig_read_token(kc, &tok, err);
		if (r == 0)
			r = knet_api_check_token(tok, "tokenFile", err);
		if (r < 0) {
			knet_wipe_free(tok);
			return r;
		}
		knet_wipe_free(api->token);
		api->token = tok;
		api->token_read = now;
	}
	return 0;
}

/* A credential file into memory, handed to curl as a blob. */
static int pin_file(struct knet_api *api, CURLoption path_opt,
		    CURLoption blob_opt, const char *path,
		    struct knet_error *err)
{
	struct knet_blob b = {0};
	char *data = NULL;
	size_t len = 0;
	int r;

	r = knet_file_read(path, 1 << 20, &data, &len);
	if (r < 0)
		return knet_error_set(err, r, KNET_EXIT_API,
				      "cannot read %s: %s", path,
				      knet_errstr(r));
	b.data = (unsigned char *)data;
	b.len = len;
	r = knet_api_set_blob(api->c.curl, blob_opt, &b);
	explicit_bzero(data, len);
	free(data);
	if (r < 0)
		return knet_error_set(err, r, KNET_EXIT_API,
				      "this libcurl cannot take %s from memory",
				      path);
	curl_easy_setopt(api->c.curl, path_opt, NULL);
	return 0;
}

int knet_api_pin_credentials(struct knet_api *api, struct knet_error *err)
{
	const struct knet_kubeconfig *kc = api->kc;
	int r;

	if (api->pinned)
		return 0;
	r = knet_api_refresh_credentials(api, false, err);
	if (r == 0 && kc->ca_file)
		r = pin_file(api, CURLOPT_CAINFO, CURLOPT_CAINFO_BLOB,
			     kc->ca_file, err);
	if (r == 0 && kc->cert_file && !api->exec.cert.len)
		r = pin_file(api, CURLOPT_SSLCERT, CURLOPT_SSLCERT_BLOB,
			     kc->cert_file, err);
	if (r == 0 && kc->key_file && !api->exec.key.len)
		r = pin_file(api, CURLOPT_SSLKEY, CURLOPT_SSLKEY_BLOB,
			     kc->key_file, err);
	if (r == 0)
		api->pinned = true;
	return r;
}

/*
 * Append "NAME: VALUE" to @h; NULL (and @h freed) when out of memory.
 * The line is wiped: it may hold a credential.
 */
static struct curl_slist *add_header(struct curl_slist *h, const char *name,
				     const char *value)
{
	struct curl_slist *n = NULL;
	char *line;

	if (asprintf(&line, "%s: %s", name, value) >= 0) {
		n = curl_slist_append(h, line);
		knet_wipe_free(line);
	}
	if (!n)
		knet_api_free_headers(h);
	return n;
}

/*
 * The Authorization value, NULL when none: username and password first
 * (a plugin's token never replaces them; lib/kubeconfig refuses them
 * together with a token), else the bearer token.
 */
static int auth_value(const struct knet_api *api, char **ret)
{
	const struct knet_kubeconfig *kc = api->kc;
	char *pair = NULL, *b64;
	int r;

	*ret = NULL;
	if (kc->username || kc->password) {
		if (asprintf(&pair, "%s:%s", kc->username ?: "",
			     kc->password ?: "") < 0)
			return -ENOMEM;
		b64 = knet_base64_encode((unsigned char *)pair, strlen(pair));
		knet_wipe_free(pair);
		if (!b64)
			return -ENOMEM;
		r = asprintf(ret, "Basic %s", b64);
		knet_wipe_free(b64);
	} else if (api->token && *api->token) {
		r = asprintf(ret, "Bearer %s", api->token);
	} else {
		return 0;
	}
	if (r < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

struct curl_slist *knet_api_build_headers(const struct knet_api *api,
					  const char *content_type, bool body)
{
	struct curl_slist *h;
	char *auth = NULL;

	h = add_header(NULL, "Accept", knet_api_accept(api));
	if (h && body)
		h = add_header(h, "Content-Type",
			       content_type ?: "application/json");
	if (h && auth_value(api, &auth) < 0) {
		knet_api_free_headers(h);
		h = NULL;
	}
	if (h && auth)
		h = add_header(h, "Authorization", auth);
	knet_wipe_free(auth);
	/* Impersonation: --as, --as-group, the kubeconfig's as/as-groups. */
	if (h && api->kc->impersonate_user)
		h = add_header(h, "Impersonate-User",
			       api->kc->impersonate_user);
	for (char **g = api->kc->impersonate_groups; h && g && *g; g++)
		h = add_header(h, "Impersonate-Group", *g);
	return h;
}

void knet_api_free_headers(struct curl_slist *h)
{
	/* The Authorization line holds the token. */
	for (struct curl_slist *p = h; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(h);
}
