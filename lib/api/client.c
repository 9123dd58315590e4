/* SPDX-License-Identifier: MIT */
/*
 * The API client object: one libcurl easy handle, reused so that the
 * connection (HTTP/2 where offered) stays open across pages and
 * requests, set up from the kubeconfig; its accessors and -v logging.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-internal.h"
#include "knet/api.h"
#include "knet/kubeconfig.h"

#ifndef KNET_VERSION
#define KNET_VERSION "0"
#endif

void knet_api_log(const struct knet_api *api, int level, const char *fmt, ...)
{
	char *line = NULL;
	va_list ap;
	int n;

	if (!api->log || api->verbose < level)
		return;
	/* Grown to fit: a long URL is logged whole, never cut. */
	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	api->log(api->log_userdata, line);
	free(line);
}

const char *knet_api_namespace(const struct knet_api *api)
{
	return api->ns_override ?: api->kc->namespace ?: "default";
}

void knet_api_set_namespace(struct knet_api *api, const char *ns)
{
	api->ns_override = ns;
}

void knet_api_set_stop(struct knet_api *api, volatile sig_atomic_t *stop)
{
	api->c.stop = stop;
}

const char *knet_api_server(const struct knet_api *api)
{
	return api->kc->server;
}

const char *knet_api_context(const struct knet_api *api)
{
	return api->kc->context_name ?: "in-cluster";
}

void knet_api_free(struct knet_api *api)
{
	if (!api)
		return;
	if (api->c.curl)
		curl_easy_cleanup(api->c.curl);
	knet_api_share_free(api);
	curl_slist_free_all(api->connect_to);
	knet_kubeconfig_free(api->kc);
	free(api->base);
	knet_conn_release(&api->c);
	knet_wipe_free(api->token);
	knet_exec_cred_clear(&api->exec);
	free(api);
}

/* Split the server URL so that tls-server-name can stand in for the host. */
static int build_base(struct knet_api *api, struct knet_error *err)
{
	const char *server = api->kc->server, *hs, *he, *ps, *rest;
	const char *tsn = api->kc->tls_server_name;
	char port[8];
	char *ct = NULL;
	size_t n = strlen(server);

	while (n > 0 && server[n - 1] == '/')
		n--;
	if (!tsn) {
		api->base = strndup(server, n);
		return api->base ? 0 : -ENOMEM;
	}
	hs = strstr(server, "://") + 3;
	if (*hs == '[') {
		he = strchr(hs, ']');
		if (!he)
			goto bad;
		he++;
	} else {
		he = hs + strcspn(hs, ":/");
	}
	ps = he;
	if (*ps == ':') {
		size_t pl = strcspn(ps + 1, "/");

		if (pl == 0 || pl >= sizeof(port))
			goto bad;
		snprintf(port, sizeof(port), "%.*s", (int)pl, ps + 1);
		rest = ps + 1 + pl;
	} else {
		snprintf(port, sizeof(port), "%s",
			 strncmp(server, "https", 5) ? "80" : "443");
		rest = ps;
	}
	if (asprintf(&api->base, "%.*s%s:%s%.*s", (int)(hs - server), server,
		     tsn, port,
		     (int)(server + n - rest > 0 ? server + n - rest : 0),
		     rest) < 0) {
		api->base = NULL;
		return -ENOMEM;
	}
	/* Connect to the real host while naming tls-server-name. */
	if (asprintf(&ct, "%s:%s:%.*s:%s", tsn, port, (int)(he - hs), hs,
		     port) < 0)
		return -ENOMEM;
	api->connect_to = curl_slist_append(NULL, ct);
	free(ct);
	return api->connect_to ? 0 : -ENOMEM;
bad:
	return knet_error_set(err, -EINVAL, KNET_EXIT_API,
			      "cluster \"%s\": cannot parse server %s",
			      api->kc->cluster_name, server);
}

int knet_api_new(const struct knet_api_config *cfg, struct knet_api **ret,
		 struct knet_error *err)
{
	static bool curl_ready;
	struct knet_kubeconfig_opts kopts = {
		.path = cfg->kubeconfig,
		.context = cfg->context,
		.overrides = cfg->overrides, /* kubectl flags */
		.getenv = cfg->getenv,
		.sa_dir = cfg->sa_dir,
	};
	struct knet_api *api;
	int r;

	api = calloc(1, sizeof(*api));
	if (!api)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	api->verbose = cfg->verbose;
	if (knet_api_encoding_parse(cfg->encoding, &api->encoding) < 0) {
		r = knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				   "invalid --api-encoding '%s': must be "
				   "json, protobuf or auto",
				   cfg->encoding);
		goto cleanup;
	}
	api->log = cfg->log;
	api->log_userdata = cfg->log_userdata;
	if (cfg->request_timeout &&
	    knet_request_timeout_parse(cfg->request_timeout, &api->timeout_ms) <
		    0) {
		r = knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				   "invalid --request-timeout '%s' (use e.g. "
				   "0, 5, 5s, 1m)",
				   cfg->request_timeout);
		goto cleanup;
	}
	r = knet_kubeconfig_load(&kopts, &api->kc, err);
	if (r < 0)
		goto cleanup;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			r = knet_error_set(err, -EIO, KNET_EXIT_SYSTEM,
					   "cannot initialise libcurl");
			goto cleanup;
		}
		curl_ready = true;
	}
	api->c.curl = curl_easy_init();
	if (!api->c.curl) {
		r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				   "cannot initialise libcurl");
		goto cleanup;
	}
	r = build_base(api, err);
	if (r == -ENOMEM)
		r = knet_error_set(err, r, KNET_EXIT_SYSTEM, "out of memory");
	if (r < 0)
		goto cleanup;
	curl_easy_setopt(api->c.curl, CURLOPT_NOSIGNAL, 1L);
	knet_api_share_init(api);
	knet_api_share_attach(api, api->c.curl);
	curl_easy_setopt(api->c.curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(api->c.curl, CURLOPT_HTTP_VERSION,
			 (long)CURL_HTTP_VERSION_2TLS);
	if (!api->kc->disable_compression)
		curl_easy_setopt(api->c.curl, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(api->c.curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(api->c.curl, CURLOPT_USERAGENT, "knet/" KNET_VERSION);
	api->c.api = api;
	knet_conn_bind(&api->c);
	curl_easy_setopt(api->c.curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (api->connect_to)
		curl_easy_setopt(api->c.curl, CURLOPT_CONNECT_TO,
				 api->connect_to);
	r = knet_api_tls_setup(api, err);
	if (r < 0)
		goto cleanup;
	r = knet_api_check_token(api->kc->token, "the kubeconfig", err);
	if (r < 0)
		goto cleanup;
	if (api->kc->token && !(api->token = strdup(api->kc->token))) {
		r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				   "out of memory");
		goto cleanup;
	}
	*ret = api;
	return 0;
cleanup:
	knet_api_free(api);
	return r;
}
