/* SPDX-License-Identifier: MIT */
/*
 * The TLS sessions of one client, shared by its handles (the client's
 * own and every pods/exec stream's): a fan-out opens one exec stream
 * per node, and each one after the first resumes the session instead
 * of a full handshake (the server then skips its signature, the
 * certificate chain and the key exchange).  A handle made after the
 * client certificate changed (an exec plugin's new one) shares nothing:
 * a resumed session would be the old certificate's.
 */
#include <pthread.h>

#include "api-internal.h"

/* The handles of one client may be used from two threads (prefetch). */
static void lock(CURL *h, curl_lock_data d, curl_lock_access a, void *ud)
{
	(void)h;
	(void)d;
	(void)a;
	pthread_mutex_lock(&((struct knet_api *)ud)->share_lock);
}

static void unlock(CURL *h, curl_lock_data d, void *ud)
{
	(void)h;
	(void)d;
	pthread_mutex_unlock(&((struct knet_api *)ud)->share_lock);
}

void knet_api_share_init(struct knet_api *api)
{
	CURLSH *s = curl_share_init();

	/* Without one, every handle keeps its own cache: only slower. */
	if (!s)
		return;
	if (pthread_mutex_init(&api->share_lock, NULL) != 0) {
		curl_share_cleanup(s);
		return;
	}
	curl_share_setopt(s, CURLSHOPT_LOCKFUNC, lock);
	curl_share_setopt(s, CURLSHOPT_UNLOCKFUNC, unlock);
	curl_share_setopt(s, CURLSHOPT_USERDATA, api);
	if (curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) !=
	    CURLSHE_OK) {
		curl_share_cleanup(s);
		pthread_mutex_destroy(&api->share_lock);
		return;
	}
	api->share = s;
	api->share_gen = api->creds_gen;
}

void knet_api_share_attach(const struct knet_api *api, CURL *h)
{
	if (api->share && api->share_gen == api->creds_gen)
		curl_easy_setopt(h, CURLOPT_SHARE, api->share);
}

void knet_api_share_free(struct knet_api *api)
{
	if (!api->share)
		return;
	curl_share_cleanup(api->share);
	pthread_mutex_destroy(&api->share_lock);
	api->share = NULL;
}
