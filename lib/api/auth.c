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

int knet_api_refresh_credentials(struct knet_api *api, bool force,
				 struct knet_error *err)
{
	const struct knet_kubeconfig *kc = api->kc;
	time_t now = time(NULL);
	int r;

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
		knet_api_wipe_free(api->token);
		api->token = NULL;
		if (api->exec.token && !(api->token = strdup(api->exec.token)))
			return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					      "out of memory");
		if (api->exec.cert.len &&
		    (knet_api_set_blob(api->c.curl, CURLOPT_SSLCERT_BLOB,
				       &api->exec.cert) < 0 ||
		     knet_api_set_blob(api->c.curl, CURLOPT_SSLKEY_BLOB,
				       &api->exec.key) < 0))
			return knet_error_set(err, -ENOTSUP, KNET_EXIT_API,
					      "this libcurl cannot use the "
					      "exec plugin's certificate");
		return 0;
	}
	/* A token in the kubeconfig wins over tokenFile, as in kubectl. */
	if (kc->token_file && (!kc->token || kc->in_cluster) &&
	    (force || !api->token || now - api->token_read >= TOKEN_FILE_TTL)) {
		char *tok = NULL;

		r = knet_file_read(kc->token_file, 1 << 16, &tok, NULL);
		if (r < 0)
			return knet_error_set(err, r, KNET_EXIT_API,
					      "cannot read tokenFile %s: %s",
					      kc->token_file, knet_errstr(r));
		tok[strcspn(tok, "\r\n")] = '\0';
		knet_api_wipe_free(api->token);
		api->token = tok;
		api->token_read = now;
	}
	return 0;
}

struct curl_slist *knet_api_build_headers(const struct knet_api *api,
					  const char *content_type, bool body)
{
	struct curl_slist *h = NULL, *n;
	char *auth = NULL;

	h = curl_slist_append(h, "Accept: application/json");
	if (h && body) {
		char *ct = NULL;

		if (asprintf(&ct, "Content-Type: %s",
			     content_type ?: "application/json") < 0)
			goto fail;
		n = curl_slist_append(h, ct);
		free(ct);
		if (!n)
			goto fail;
		h = n;
	}
	if (h && api->token && *api->token) {
		if (asprintf(&auth, "Authorization: Bearer %s", api->token) < 0)
			goto fail;
		n = curl_slist_append(h, auth);
		knet_api_wipe_free(auth);
		if (!n)
			goto fail;
		h = n;
	}
	return h;
fail:
	knet_api_free_headers(h);
	return NULL;
}

void knet_api_free_headers(struct curl_slist *h)
{
	/* The Authorization line holds the token. */
	for (struct curl_slist *p = h; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(h);
}
