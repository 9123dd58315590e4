/* SPDX-License-Identifier: MIT */
/*
 * One request with the client's rules: credentials made current before
 * it, a fresh credential once after a 401, retries for 429 and (reads
 * only) 5xx honouring Retry-After, and errors that name what to fix.
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
#include "knet/api.h"
#include "knet/kubeconfig.h"

#define MAX_TRIES	   3
#define MAX_RETRY_WAIT_MS  5000
#define CONNECT_TIMEOUT_MS 30000L

static int curl_error(struct knet_api *api, CURLcode rc, struct knet_error *err)
{
	const struct knet_kubeconfig *kc = api->kc;
	const char *cluster = kc->cluster_name ?: "in-cluster";
	const char *user = kc->user_name ?: "in-cluster";
	const char *why =
		api->c.errbuf[0] ? api->c.errbuf : curl_easy_strerror(rc);
	long oserr = 0;

	curl_easy_getinfo(api->c.curl, CURLINFO_OS_ERRNO, &oserr);
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return knet_error_set(err, -ECONNREFUSED, KNET_EXIT_API,
				      "cannot connect to %s: %s", kc->server,
				      oserr ? knet_errstr((int)oserr)
					    : "connection refused");
	case CURLE_COULDNT_RESOLVE_HOST:
		return knet_error_set(err, -EHOSTUNREACH, KNET_EXIT_API,
				      "cannot resolve the host of %s",
				      kc->server);
	case CURLE_COULDNT_RESOLVE_PROXY:
		return knet_error_set(err, -EHOSTUNREACH, KNET_EXIT_API,
				      "cannot resolve proxy-url %s of "
				      "cluster \"%s\"",
				      kc->proxy_url ?: "(environment)",
				      cluster);
	case CURLE_OPERATION_TIMEDOUT:
		return knet_error_set(err, -ETIMEDOUT, KNET_EXIT_API,
				      "request to %s timed out%s", kc->server,
				      api->timeout_ms ? " (--request-timeout)"
						      : "");
	case CURLE_PEER_FAILED_VERIFICATION:
		if (strstr(why, "subject name") || strstr(why, "host name"))
			return knet_error_set(
				err, -EACCES, KNET_EXIT_API,
				"TLS: the certificate of %s does not name "
				"that host (%s); check server or "
				"tls-server-name of cluster \"%s\"",
				kc->server, why, cluster);
		return knet_error_set(err, -EACCES, KNET_EXIT_API,
				      "TLS: the certificate of %s is not "
				      "trusted (%s); check %s of cluster "
				      "\"%s\"",
				      kc->server, why, knet_api_ca_field(kc),
				      cluster);
	case CURLE_SSL_CACERT_BADFILE:
		return knet_error_set(err, -EACCES, KNET_EXIT_API,
				      "TLS: cannot use %s of cluster \"%s\" "
				      "(%s)",
				      knet_api_ca_field(kc), cluster, why);
	case CURLE_SSL_CERTPROBLEM:
		return knet_error_set(err, -EACCES, KNET_EXIT_API,
				      "TLS: cannot use the client certificate "
				      "of user \"%s\" (%s); check "
				      "client-certificate%s and client-key%s",
				      user, why,
				      kc->cert_data.len ? "-data" : "",
				      kc->key_data.len ? "-data" : "");
	case CURLE_SSL_CONNECT_ERROR:
		return knet_error_set(err, -EPROTO, KNET_EXIT_API,
				      "TLS handshake with %s failed: %s",
				      kc->server, why);
	default:
		return knet_error_set(err, -EIO, KNET_EXIT_API,
				      "request to %s failed: %s", kc->server,
				      why);
	}
}

long knet_api_elapsed_ms(const struct timespec *start)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - start->tv_sec) * 1000 +
	       (b.tv_nsec - start->tv_nsec) / 1000000;
}

/* Sleep @ms, in slices so that Ctrl-C is noticed; false if it was. */
static bool sleep_ms(const struct knet_conn *c, long ms)
{
	while (ms > 0 && !knet_conn_stopped(c)) {
		long slice = ms < 100 ? ms : 100;
		struct timespec ts = {0, slice * 1000000};

		nanosleep(&ts, NULL);
		ms -= slice;
	}
	return !knet_conn_stopped(c);
}

static int stopped(struct knet_error *err)
{
	return knet_error_set(err, -EINTR, KNET_EXIT_OK, "interrupted");
}

/* For -v: a streamed 2xx body says itself, an error was buffered. */
static const char *answer_encoding(const struct knet_api *api, bool sink,
				   void *sink_userdata)
{
	if (!sink || api->c.status < 200 || api->c.status >= 300)
		return knet_api_body_encoding(api->c.buf, api->c.len);
	return api->sink_encoding ? api->sink_encoding(sink_userdata)
				  : "stream";
}

int knet_api_do(struct knet_api *api, const char *method, const char *path,
		const char *body, const char *content_type, cJSON **ret_json,
		knet_api_sink_fn sink, void *sink_userdata, bool no_timeout,
		struct knet_error *err)
{
	bool reauthed = false;
	long waited = 0;
	char *url = NULL;
	int tries = 0, r;

	if (asprintf(&url, "%s%s", api->base, path) < 0)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	for (;;) {
		struct curl_slist *hdr;
		struct timespec start;
		CURLcode rc;
		long version = 0, conns = 0;
		curl_off_t size = 0;

		if (knet_conn_stopped(&api->c)) {
			r = stopped(err);
			goto cleanup;
		}
		r = knet_api_refresh_credentials(api, false, err);
		if (r < 0)
			goto cleanup;
		hdr = knet_api_build_headers(api, content_type, body != NULL);
		if (!hdr) {
			r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					   "out of memory");
			goto cleanup;
		}
		knet_conn_start(&api->c, url, hdr);
		api->c.sink = sink;
		api->c.sink_userdata = sink_userdata;
		curl_easy_setopt(api->c.curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(api->c.curl, CURLOPT_CUSTOMREQUEST,
				 strcmp(method, "GET") ? method : NULL);
		if (body) {
			curl_easy_setopt(api->c.curl, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(api->c.curl, CURLOPT_CUSTOMREQUEST,
					 method);
		}
		curl_easy_setopt(api->c.curl, CURLOPT_TIMEOUT_MS,
				 no_timeout ? 0L : api->timeout_ms);
		curl_easy_setopt(api->c.curl, CURLOPT_CONNECTTIMEOUT_MS,
				 api->timeout_ms && api->timeout_ms <
							    CONNECT_TIMEOUT_MS
					 ? api->timeout_ms
					 : CONNECT_TIMEOUT_MS);
		if (api->verbose >= 2)
			knet_api_log(api, 2, "%s %s (Accept: %s%s)", method,
				     url, knet_api_accept(api),
				     api->token ? ", Authorization: Bearer "
						  "<redacted>"
						: "");
		clock_gettime(CLOCK_MONOTONIC, &start);
		rc = curl_easy_perform(api->c.curl);
		knet_api_free_headers(hdr);
		curl_easy_setopt(api->c.curl, CURLOPT_HTTPHEADER, NULL);
		if (body)
			curl_easy_setopt(api->c.curl, CURLOPT_POSTFIELDS, NULL);
		api->c.sink = NULL;
		curl_easy_getinfo(api->c.curl, CURLINFO_RESPONSE_CODE,
				  &api->c.status);
		curl_easy_getinfo(api->c.curl, CURLINFO_HTTP_VERSION, &version);
		curl_easy_getinfo(api->c.curl, CURLINFO_SIZE_DOWNLOAD_T, &size);
		if (rc == CURLE_WRITE_ERROR && api->c.sink_result) {
			r = api->c.sink_result;
			goto cleanup;
		}
		if (rc == CURLE_ABORTED_BY_CALLBACK &&
		    knet_conn_stopped(&api->c)) {
			knet_api_log(api, 1, "%s %s stopped after %ld ms",
				     method, url, knet_api_elapsed_ms(&start));
			r = stopped(err);
			goto cleanup;
		}
		if (rc != CURLE_OK) {
			knet_api_log(api, 1, "%s %s failed in %ld ms: %s",
				     method, url, knet_api_elapsed_ms(&start),
				     api->c.errbuf[0] ? api->c.errbuf
						      : curl_easy_strerror(rc));
			r = curl_error(api, rc, err);
			goto cleanup;
		}
		/* Whether the connection was reused (the shell keeps it). */
		curl_easy_getinfo(api->c.curl, CURLINFO_NUM_CONNECTS, &conns);
		knet_api_log(api, 1, "%s %s %ld in %ld ms, %lld bytes%s%s, %s",
			     method, url, api->c.status,
			     knet_api_elapsed_ms(&start), (long long)size,
			     version == CURL_HTTP_VERSION_2_0 ? " (HTTP/2)"
							      : "",
			     conns > 0 ? ", new connection" : ", reused",
			     answer_encoding(api, sink != NULL, sink_userdata));
		if (api->c.status == 401 && !reauthed &&
		    (api->kc->exec || api->kc->token_file)) {
			/* Expired: get a fresh credential, once. */
			reauthed = true;
			r = knet_api_refresh_credentials(api, true, err);
			if (r < 0)
				goto cleanup;
			continue;
		}
		/*
		 * 429 was not acted on, so any method may be sent again; a
		 * 5xx may have been, so only reads are.
		 */
		if ((api->c.status == 429 ||
		     (api->c.status >= 500 && !strcmp(method, "GET"))) &&
		    ++tries < MAX_TRIES && waited < MAX_RETRY_WAIT_MS) {
			/* retry_after is at most a day: no overflow. */
			long wait = api->c.retry_after >= 0
					    ? api->c.retry_after * 1000
					    : 500L * tries;

			/*
			 * Asked to wait longer than the budget has left:
			 * trying earlier would only be refused again.
			 */
			if (api->c.retry_after >= 0 &&
			    wait > MAX_RETRY_WAIT_MS - waited)
				break;
			if (wait > MAX_RETRY_WAIT_MS - waited)
				wait = MAX_RETRY_WAIT_MS - waited;
			knet_api_log(api, 1, "retrying in %ld ms", wait);
			if (!sleep_ms(&api->c, wait)) {
				r = stopped(err);
				goto cleanup;
			}
			waited += wait;
			continue;
		}
		break;
	}
	if (api->c.status < 200 || api->c.status >= 300) {
		r = knet_api_status_error(api->c.status, api->c.buf, api->c.len,
					  err);
		if (api->c.status == 401 && err)
			knet_error_set(err, r, KNET_EXIT_API,
				       "unauthorized: the server rejected the "
				       "credentials of user \"%s\" (wrong or "
				       "expired token?)",
				       api->kc->user_name ?: "in-cluster");
		goto cleanup;
	}
	r = 0;
	if (ret_json && !sink) {
		bool proto = knet_proto_is(api->c.buf, api->c.len);
		cJSON *j = knet_api_parse_body(api->c.buf, api->c.len, NULL);

		if (!j) {
			struct knet_error why = {0};

			/* Parsed again to say what is wrong with it. */
			if (proto)
				knet_proto_to_json(api->c.buf, api->c.len, &j,
						   &why);
			r = knet_error_set(
				err, -EBADMSG, KNET_EXIT_API,
				"%s %s: the server sent %s", method, path,
				proto && why.reason[0] ? why.reason
						       : "invalid JSON");
			goto cleanup;
		}
		*ret_json = j;
	}
cleanup:
	free(url);
	/* A huge page need not stay allocated after the call. */
	if (api->c.cap > (64u << 20))
		knet_conn_release(&api->c);
	api->c.len = 0;
	return r;
}

cJSON *knet_api_parse_body(const char *buf, size_t len, struct knet_error *err)
{
	cJSON *j = NULL;

	if (!knet_proto_is(buf, len))
		return cJSON_ParseWithLength(buf, len);
	if (knet_proto_to_json(buf, len, &j, err) < 0)
		return NULL;
	return j;
}

const char *knet_api_body_encoding(const char *buf, size_t len)
{
	return knet_proto_is(buf, len) ? "protobuf" : "json";
}

int knet_api_get_json(struct knet_api *api, const char *path_and_query,
		      cJSON **ret_json, struct knet_error *err)
{
	return knet_api_do(api, "GET", path_and_query, NULL, NULL, ret_json,
			   NULL, NULL, false, err);
}

int knet_api_get_model(struct knet_api *api, const char *path_and_query,
		       cJSON **ret_json, struct knet_error *err)
{
	int r;

	api->want_proto = knet_api_proto_for(api, path_and_query, true);
	r = knet_api_do(api, "GET", path_and_query, NULL, NULL, ret_json, NULL,
			NULL, false, err);
	api->want_proto = false;
	return r;
}

int knet_api_request(struct knet_api *api, const char *method,
		     const char *path_and_query, const char *body,
		     const char *content_type, cJSON **ret_json,
		     struct knet_error *err)
{
	return knet_api_do(api, method, path_and_query, body, content_type,
			   ret_json, NULL, NULL, false, err);
}
