/* SPDX-License-Identifier: MIT */
/*
 * The API client: one libcurl easy handle, reused so that the connection
 * (HTTP/2 where offered) stays open across pages and requests; bodies land
 * in one growing buffer that cJSON parses in place.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "api-internal.h"
#include "knet/api.h"
#include "knet/kubeconfig.h"

#ifndef KNET_VERSION
#define KNET_VERSION "0"
#endif

#define MAX_TRIES	   3
#define MAX_RETRY_WAIT_MS  5000
#define TOKEN_FILE_TTL	   60 /* seconds between re-reads of a tokenFile */
#define CONNECT_TIMEOUT_MS 30000L

/* One transfer channel: an easy handle and what its callbacks fill. */
struct conn {
	CURL *curl;
	struct knet_api *api; /* NULL for the prefetch channel: no logging */
	char errbuf[CURL_ERROR_SIZE];

	/* the receive buffer, kept between requests */
	char *buf;
	size_t len, cap;
	long status;	  /* of the transfer in progress */
	long retry_after; /* seconds, -1 when absent */

	/* streaming */
	knet_api_sink_fn sink;
	void *sink_userdata;
	int sink_result;
};

struct knet_api {
	struct conn c;
	struct knet_kubeconfig *kc;
	const char *ns_override; /* -n */
	char *base; /* URL prefix: server, host swapped for tls-server-name */
	struct curl_slist *connect_to;
	long timeout_ms;
	int verbose;
	void (*log)(void *userdata, const char *line);
	void *log_userdata;

	/* credentials in force */
	char *token;
	time_t token_read; /* when token_file was last read */
	struct knet_exec_cred exec;
	bool have_exec;
	unsigned creds_gen; /* bumped when the client certificate changes */
	bool pinned;	    /* knet_api_pin_credentials: files are off limits */

	/* set by knet_api_get_page() for the parse of one page */
	struct knet_arena *parse_arena;

	/* the next page, fetched on a second handle while one is parsed */
	struct prefetch *prefetch;
};
void knet_api_log(const struct knet_api *api, int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!api->log || api->verbose < level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	api->log(api->log_userdata, line);
}

const char *knet_api_namespace(const struct knet_api *api)
{
	return api->ns_override ?: api->kc->namespace ?: "default";
}

void knet_api_set_namespace(struct knet_api *api, const char *ns)
{
	api->ns_override = ns;
}

const char *knet_api_server(const struct knet_api *api)
{
	return api->kc->server;
}

const char *knet_api_context(const struct knet_api *api)
{
	return api->kc->context_name ?: "in-cluster";
}

static void wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static void prefetch_free(struct prefetch *p);

void knet_api_free(struct knet_api *api)
{
	if (!api)
		return;
	prefetch_free(api->prefetch);
	if (api->c.curl)
		curl_easy_cleanup(api->c.curl);
	curl_slist_free_all(api->connect_to);
	knet_kubeconfig_free(api->kc);
	free(api->base);
	free(api->c.buf);
	wipe_free(api->token);
	knet_exec_cred_clear(&api->exec);
	free(api);
}

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
	struct conn *c = userdata;
	size_t len = size * n;

	if (len > 12 && !strncasecmp(data, "Retry-After:", 12)) {
		c->retry_after = strtol(data + 12, NULL, 10);
	} else if (len > 15 && !strncasecmp(data, "Content-Length:", 15)) {
		/* Size the buffer once instead of doubling through it. */
		size_t want = strtoull(data + 15, NULL, 10) + 1;

		if (!c->sink && want > c->cap && want < (1ul << 31)) {
			char *nb = realloc(c->buf, want);

			if (nb) {
				c->buf = nb;
				c->cap = want;
			}
		}
	} else if (len > 8 && !strncasecmp(data, "Warning:", 8) && c->api) {
		knet_api_log(c->api, 2, "server warning:%.*s",
			     (int)(len - 8 - 2), data + 8);
	}
	return len;
}

static int buf_append(struct conn *c, const char *data, size_t len)
{
	if (c->len + len + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 65536;
		char *nb;

		while (cap < c->len + len + 1)
			cap *= 2;
		nb = realloc(c->buf, cap);
		if (!nb)
			return -ENOMEM;
		c->buf = nb;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, data, len);
	c->len += len;
	c->buf[c->len] = '\0';
	return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
	struct conn *c = userdata;
	size_t len = size * n;

	if (c->sink && !c->status)
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &c->status);
	/* Errors are buffered for the Status, successes streamed. */
	if (c->sink && c->status >= 200 && c->status < 300) {
		c->sink_result = c->sink(data, len, c->sink_userdata);
		return c->sink_result ? 0 : len;
	}
	return buf_append(c, data, len) < 0 ? 0 : len;
}

/* Point a handle's callbacks at @c (after curl_easy_duphandle too). */
static void conn_bind(struct conn *c)
{
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, c);
}

/* Ready @c for a transfer of @url with @hdr. */
static void conn_start(struct conn *c, const char *url, struct curl_slist *hdr)
{
	c->len = 0;
	c->status = 0;
	c->retry_after = -1;
	c->errbuf[0] = '\0';
	c->sink_result = 0;
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdr);
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

static int set_blob(CURL *c, CURLoption opt, const struct knet_blob *b)
{
	struct curl_blob blob = {
		.data = b->data,
		.len = b->len,
		.flags = CURL_BLOB_COPY,
	};

	return curl_easy_setopt(c, opt, &blob) == CURLE_OK ? 0 : -ENOTSUP;
}

static int setup_tls(struct knet_api *api, struct knet_error *err)
{
	const struct knet_kubeconfig *kc = api->kc;
	CURL *c = api->c.curl;

	if (kc->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (kc->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, kc->ca_file);
	else if (kc->ca_data.len &&
		 set_blob(c, CURLOPT_CAINFO_BLOB, &kc->ca_data) < 0)
		return knet_error_set(err, -ENOTSUP, KNET_EXIT_API,
				      "this libcurl cannot use "
				      "certificate-authority-data");
	if (kc->cert_file) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, kc->cert_file);
		curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
	} else if (kc->cert_data.len &&
		   set_blob(c, CURLOPT_SSLCERT_BLOB, &kc->cert_data) < 0) {
		return knet_error_set(err, -ENOTSUP, KNET_EXIT_API,
				      "this libcurl cannot use "
				      "client-certificate-data");
	}
	if (kc->key_file)
		curl_easy_setopt(c, CURLOPT_SSLKEY, kc->key_file);
	else if (kc->key_data.len &&
		 set_blob(c, CURLOPT_SSLKEY_BLOB, &kc->key_data) < 0)
		return knet_error_set(err, -ENOTSUP, KNET_EXIT_API,
				      "this libcurl cannot use "
				      "client-key-data");
	if (kc->proxy_url)
		curl_easy_setopt(c, CURLOPT_PROXY, kc->proxy_url);
	return 0;
}

int knet_api_new(const struct knet_api_config *cfg, struct knet_api **ret,
		 struct knet_error *err)
{
	static bool curl_ready;
	struct knet_kubeconfig_opts kopts = {
		.path = cfg->kubeconfig,
		.context = cfg->context,
		.overrides = cfg->overrides, /* h-kubeconfig: kubectl flags */
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
	curl_easy_setopt(api->c.curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(api->c.curl, CURLOPT_HTTP_VERSION,
			 (long)CURL_HTTP_VERSION_2TLS);
	if (!api->kc->disable_compression)
		curl_easy_setopt(api->c.curl, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(api->c.curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(api->c.curl, CURLOPT_USERAGENT, "knet/" KNET_VERSION);
	api->c.api = api;
	conn_bind(&api->c);
	curl_easy_setopt(api->c.curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (api->connect_to)
		curl_easy_setopt(api->c.curl, CURLOPT_CONNECT_TO,
				 api->connect_to);
	r = setup_tls(api, err);
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

/*
 * Make the credentials current: a tokenFile re-read once a minute (the
 * kubelet rotates service-account tokens), an exec plugin run when its
 * credential is missing or expired.
 */
static int refresh_credentials(struct knet_api *api, bool force,
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
		wipe_free(api->token);
		api->token = NULL;
		if (api->exec.token && !(api->token = strdup(api->exec.token)))
			return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					      "out of memory");
		/* h-kubeconfig: a static client certificate wins (client-go). */
		if (api->exec.cert.len && !kc->cert_file &&
		    !kc->cert_data.len &&
		    (set_blob(api->c.curl, CURLOPT_SSLCERT_BLOB,
			      &api->exec.cert) < 0 ||
		     set_blob(api->c.curl, CURLOPT_SSLKEY_BLOB,
			      &api->exec.key) < 0))
			return knet_error_set(err, -ENOTSUP, KNET_EXIT_API,
					      "this libcurl cannot use the "
					      "exec plugin's certificate");
		return 0;
	}
	/*
	 * h-kubeconfig: tokenFile re-read once a minute; while it reads it
	 * wins over a static token, which is the fallback (client-go).
	 */
	if (kc->token_file &&
	    (force || !api->token || now - api->token_read >= TOKEN_FILE_TTL)) {
		char *tok = NULL;

		r = knet_kubeconfig_read_token(kc, &tok, err);
		if (r < 0)
			return r;
		wipe_free(api->token);
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
	r = set_blob(api->c.curl, blob_opt, &b);
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
	r = refresh_credentials(api, false, err);
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
 * h-kubeconfig: append "NAME: VALUE" to @h; NULL (and @h freed) when out
 * of memory.  The line is wiped: it may hold a credential.
 */
static struct curl_slist *add_header(struct curl_slist *h, const char *name,
				     const char *value)
{
	struct curl_slist *n = NULL;
	char *line;

	if (asprintf(&line, "%s: %s", name, value) >= 0) {
		n = curl_slist_append(h, line);
		wipe_free(line);
	}
	if (!n)
		curl_slist_free_all(h);
	return n;
}

/*
 * h-kubeconfig: the Authorization value, NULL when none: username and
 * password first (a plugin's token never replaces them; lib/kubeconfig
 * refuses them together with a token), else the bearer token.
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
		wipe_free(pair);
		if (!b64)
			return -ENOMEM;
		r = asprintf(ret, "Basic %s", b64);
		wipe_free(b64);
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

static struct curl_slist *build_headers(const struct knet_api *api,
					const char *content_type, bool body)
{
	struct curl_slist *h;
	char *auth = NULL;

	h = curl_slist_append(NULL, "Accept: application/json");
	if (h && body)
		h = add_header(h, "Content-Type",
			       content_type ?: "application/json");
	if (h && auth_value(api, &auth) < 0) {
		curl_slist_free_all(h);
		h = NULL;
	}
	if (h && auth)
		h = add_header(h, "Authorization", auth);
	wipe_free(auth);
	/* h-kubeconfig: impersonation (--as, --as-group, as/as-groups). */
	if (h && api->kc->impersonate_user)
		h = add_header(h, "Impersonate-User",
			       api->kc->impersonate_user);
	for (char **g = api->kc->impersonate_groups; h && g && *g; g++)
		h = add_header(h, "Impersonate-Group", *g);
	return h;
}

static void free_headers(struct curl_slist *h)
{
	/* The Authorization line holds the token. */
	for (struct curl_slist *p = h; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

/* Name the kubeconfig field that decides what failed in TLS. */
static const char *ca_field(const struct knet_kubeconfig *kc)
{
	if (kc->ca_data.len)
		return "certificate-authority-data";
	if (kc->ca_file)
		return "certificate-authority";
	return "certificate-authority (none set: the system CAs were used)";
}

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
				      kc->server, why, ca_field(kc), cluster);
	case CURLE_SSL_CACERT_BADFILE:
		return knet_error_set(err, -EACCES, KNET_EXIT_API,
				      "TLS: cannot use %s of cluster \"%s\" "
				      "(%s)",
				      ca_field(kc), cluster, why);
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

static long elapsed_ms(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 +
	       (b.tv_nsec - a->tv_nsec) / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
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
		long version = 0;
		curl_off_t size = 0;

		r = refresh_credentials(api, false, err);
		if (r < 0)
			goto cleanup;
		hdr = build_headers(api, content_type, body != NULL);
		if (!hdr) {
			r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					   "out of memory");
			goto cleanup;
		}
		conn_start(&api->c, url, hdr);
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
			knet_api_log(api, 2,
				     "%s %s (Accept: application/json%s)",
				     method, url,
				     api->token ? ", Authorization: Bearer "
						  "<redacted>"
						: "");
		clock_gettime(CLOCK_MONOTONIC, &start);
		rc = curl_easy_perform(api->c.curl);
		free_headers(hdr);
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
		if (rc != CURLE_OK) {
			knet_api_log(api, 1, "%s %s failed in %ld ms: %s",
				     method, url, elapsed_ms(&start),
				     api->c.errbuf[0] ? api->c.errbuf
						      : curl_easy_strerror(rc));
			r = curl_error(api, rc, err);
			goto cleanup;
		}
		knet_api_log(
			api, 1, "%s %s %ld in %ld ms, %lld bytes%s", method,
			url, api->c.status, elapsed_ms(&start), (long long)size,
			version == CURL_HTTP_VERSION_2_0 ? " (HTTP/2)" : "");
		if (api->c.status == 401 && !reauthed &&
		    (api->kc->exec || api->kc->token_file)) {
			/* Expired: get a fresh credential, once. */
			reauthed = true;
			r = refresh_credentials(api, true, err);
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
			long wait = api->c.retry_after >= 0
					    ? api->c.retry_after * 1000
					    : 500L * tries;

			if (wait > MAX_RETRY_WAIT_MS - waited)
				wait = MAX_RETRY_WAIT_MS - waited;
			knet_api_log(api, 1, "retrying in %ld ms", wait);
			sleep_ms(wait);
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
		cJSON *j =
			api->parse_arena
				? knet_arena_parse(api->parse_arena, api->c.buf,
						   api->c.len)
				: cJSON_ParseWithLength(api->c.buf, api->c.len);

		if (!j) {
			r = knet_error_set(err, -EBADMSG, KNET_EXIT_API,
					   "%s %s: the server sent invalid "
					   "JSON",
					   method, path);
			goto cleanup;
		}
		*ret_json = j;
	}
cleanup:
	free(url);
	/* A huge page need not stay allocated after the call. */
	if (api->c.cap > (64u << 20)) {
		free(api->c.buf);
		api->c.buf = NULL;
		api->c.cap = 0;
	}
	api->c.len = 0;
	return r;
}

int knet_api_get_json(struct knet_api *api, const char *path_and_query,
		      cJSON **ret_json, struct knet_error *err)
{
	return knet_api_do(api, "GET", path_and_query, NULL, NULL, ret_json,
			   NULL, NULL, false, err);
}

int knet_api_request(struct knet_api *api, const char *method,
		     const char *path_and_query, const char *body,
		     const char *content_type, cJSON **ret_json,
		     struct knet_error *err)
{
	return knet_api_do(api, method, path_and_query, body, content_type,
			   ret_json, NULL, NULL, false, err);
}

int knet_api_get_page(struct knet_api *api, const char *path,
		      struct knet_arena *arena, cJSON **ret_json,
		      struct knet_error *err)
{
	int r;

	knet_arena_reset(arena);
	api->parse_arena = arena;
	r = knet_api_do(api, "GET", path, NULL, NULL, ret_json, NULL, NULL,
			false, err);
	api->parse_arena = NULL;
	return r;
}

/*
 * Prefetch: while the caller works through one list page, the next one
 * is fetched on a second handle by a thread, so that the server's time
 * and knet's overlap.  The thread only runs curl: credentials, parsing
 * and logging stay on the caller's thread, and any failure is left to
 * the normal path (retries, re-authentication, error messages).
 */
struct prefetch {
	struct conn c;
	pthread_t thread;
	bool running;
	unsigned creds_gen;
	char *url;
	struct curl_slist *hdr;
	CURLcode rc;
	struct timespec start;
};

static void *prefetch_run(void *arg)
{
	struct prefetch *p = arg;

	p->rc = curl_easy_perform(p->c.curl);
	curl_easy_getinfo(p->c.curl, CURLINFO_RESPONSE_CODE, &p->c.status);
	return NULL;
}

static void prefetch_join(struct prefetch *p)
{
	if (!p || !p->running)
		return;
	pthread_join(p->thread, NULL);
	p->running = false;
	free_headers(p->hdr);
	p->hdr = NULL;
	curl_easy_setopt(p->c.curl, CURLOPT_HTTPHEADER, NULL);
}

static void prefetch_free(struct prefetch *p)
{
	if (!p)
		return;
	prefetch_join(p);
	if (p->c.curl)
		curl_easy_cleanup(p->c.curl);
	free(p->c.buf);
	free(p->url);
	free(p);
}

int knet_api_prefetch_start(struct knet_api *api, const char *path)
{
	struct prefetch *p = api->prefetch;

	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return -ENOMEM;
		api->prefetch = p;
	}
	prefetch_join(p);
	/* A new client certificate (exec plugin) needs a new handle. */
	if (p->c.curl && p->creds_gen != api->creds_gen) {
		curl_easy_cleanup(p->c.curl);
		p->c.curl = NULL;
	}
	if (!p->c.curl) {
		p->c.curl = curl_easy_duphandle(api->c.curl);
		if (!p->c.curl)
			return -ENOMEM;
		conn_bind(&p->c);
		p->creds_gen = api->creds_gen;
	}
	free(p->url);
	if (asprintf(&p->url, "%s%s", api->base, path) < 0) {
		p->url = NULL;
		return -ENOMEM;
	}
	p->hdr = build_headers(api, NULL, false);
	if (!p->hdr)
		return -ENOMEM;
	conn_start(&p->c, p->url, p->hdr);
	p->c.sink = NULL;
	curl_easy_setopt(p->c.curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(p->c.curl, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(p->c.curl, CURLOPT_TIMEOUT_MS, api->timeout_ms);
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	if (pthread_create(&p->thread, NULL, prefetch_run, p) != 0) {
		free_headers(p->hdr);
		p->hdr = NULL;
		return -EAGAIN;
	}
	p->running = true;
	return 0;
}

void knet_api_prefetch_cancel(struct knet_api *api)
{
	/* curl cannot be interrupted from here: let the transfer end. */
	prefetch_join(api->prefetch);
}

int knet_api_prefetch_finish(struct knet_api *api, struct knet_arena *arena,
			     cJSON **ret_json)
{
	struct prefetch *p = api->prefetch;
	curl_off_t size = 0;
	long version = 0;
	cJSON *j;

	if (!p || !p->running)
		return 0;
	prefetch_join(p);
	curl_easy_getinfo(p->c.curl, CURLINFO_SIZE_DOWNLOAD_T, &size);
	curl_easy_getinfo(p->c.curl, CURLINFO_HTTP_VERSION, &version);
	if (p->rc != CURLE_OK || p->c.status != 200) {
		knet_api_log(api, 2, "GET %s (prefetched) %s %ld; again",
			     p->url, p->rc == CURLE_OK ? "got" : "failed",
			     p->c.status);
		return 0;
	}
	knet_api_log(api, 1, "GET %s %ld in %ld ms, %lld bytes%s", p->url,
		     p->c.status, elapsed_ms(&p->start), (long long)size,
		     version == CURL_HTTP_VERSION_2_0 ? " (HTTP/2, prefetched)"
						      : " (prefetched)");
	knet_arena_reset(arena);
	j = knet_arena_parse(arena, p->c.buf, p->c.len);
	if (!j)
		return 0;
	*ret_json = j;
	return 1;
}
