/* SPDX-License-Identifier: MIT */
/*
 * pods/exec over WebSocket (subprotocol v4.channel.k8s.io).  Debian
 * 12's libcurl has no WebSocket support, so the upgrade is done by hand
 * on a CONNECT_ONLY connection: a copy of the client's handle, so TLS,
 * the proxy (tunnelled), tls-server-name and the credentials are the
 * ones every other request uses.  The request carries the same headers
 * (knet_api_build_headers: Authorization, impersonation); the token is
 * never logged and its copies are wiped.  After the 101 the connection
 * carries frames (ws.c): binary, the first byte of each message its
 * channel.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api-internal.h"
#include "knet/api.h"
#include "knet/kubeconfig.h"

#ifndef KNET_VERSION
#define KNET_VERSION "0"
#endif

#define SUBPROTOCOL	"v4.channel.k8s.io"
#define HANDSHAKE_MS	30000L
#define MAX_HEAD	(64u << 10) /* the 101's headers */
#define MAX_ERROR_BODY	(1u << 20)  /* a refusal's Status */
#define MAX_STATUS	(64u << 10) /* channel 3's Status */
#define RECV_BUF	(256u << 10)
#define PUMP_BUDGET	(4u << 20) /* then the caller polls its others */
#define MAX_WRITE_FRAME (64u << 10)
#define CHANNEL_STATUS	3
#define CHANNEL_RESIZE	4

struct knet_exec {
	struct knet_api *api;
	CURL *curl;
	curl_socket_t fd;
	char errbuf[CURL_ERROR_SIZE];
	struct knet_ws_reader rd;
	unsigned char *rbuf;
	/* what came after the 101's headers: frames, fed first */
	unsigned char *early;
	size_t early_len;
	int channel; /* of the message in progress; -1: its first byte */
	char *status_buf;
	size_t status_len;
	bool have_status, status_failed;
	int status;
	struct knet_error status_err;
	bool ended, close_sent, ready;
	bool handshaking; /* a stop (knet_api_set_stop) ends it */
	/* between knet_exec_open_begin() and _end(): the upgrade sent */
	char key[32];
	struct knet_url target;
	struct knet_exec_opts o; /* its names, for the errors; no argv */
	long long start_ms, deadline;
	int tries;
	long long opened_ms;	  /* when the 101 came, for -v */
	unsigned long long bytes; /* of channels 1 and 2, for -v */
};

static int oom(struct knet_error *err)
{
	return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
}

static long long now_ms(void)
{
	return knet_mono_ms();
}

/* Wait for @events on the socket until @deadline; -ETIMEDOUT. */
static int wait_fd(struct knet_exec *x, short events, long long deadline)
{
	for (;;) {
		/* Ctrl-C while connecting (the stream's own stops are
		 * bytes on channel 0: not here). */
		if (x->handshaking && knet_conn_stopped(&x->api->c))
			return -EINTR;
		struct pollfd p = {.fd = x->fd, .events = events};
		long long left = deadline - now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, left > 1000 ? 1000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int send_all(struct knet_exec *x, const void *buf, size_t len,
		    long long deadline, struct knet_error *err)
{
	const char *p = buf;

	while (len > 0) {
		size_t n = 0;
		CURLcode rc = curl_easy_send(x->curl, p, len, &n);

		if (rc == CURLE_AGAIN) {
			int w = wait_fd(x, POLLOUT, deadline);

			if (w == -EINTR)
				return knet_error_set(err, w, KNET_EXIT_OK,
						      "interrupted");
			if (w < 0)
				return knet_error_set(err, -ETIMEDOUT,
						      KNET_EXIT_API,
						      "sending to %s timed "
						      "out",
						      knet_api_server(x->api));
			continue;
		}
		if (rc != CURLE_OK)
			return knet_error_set(err, -ECONNRESET,
					      KNET_EXIT_SYSTEM,
					      "the exec stream dropped (%s)",
					      curl_easy_strerror(rc));
		p += n;
		len -= n;
	}
	return 0;
}

/* Some bytes, waiting for them until @deadline; 0 bytes: closed. */
static int recv_wait(struct knet_exec *x, void *buf, size_t cap, size_t *ret_n,
		     long long deadline, struct knet_error *err)
{
	for (;;) {
		CURLcode rc = curl_easy_recv(x->curl, buf, cap, ret_n);

		if (rc == CURLE_OK)
			return 0;
		if (rc != CURLE_AGAIN)
			return knet_error_set(err, -ECONNRESET, KNET_EXIT_API,
					      "reading from %s failed: %s",
					      knet_api_server(x->api),
					      curl_easy_strerror(rc));
		int w = wait_fd(x, POLLIN, deadline);

		if (w == -EINTR)
			return knet_error_set(err, w, KNET_EXIT_OK,
					      "interrupted");
		if (w < 0)
			return knet_error_set(err, -ETIMEDOUT, KNET_EXIT_API,
					      "the exec request to %s timed "
					      "out",
					      knet_api_server(x->api));
	}
}

/* "https://host:port/prefix" -> "host:port" and "/prefix". */
static void split_base(const char *base, const char **ret_host,
		       size_t *ret_host_len, const char **ret_prefix)
{
	const char *h = strstr(base, "://");

	h = h ? h + 3 : base;
	*ret_host = h;
	*ret_host_len = strcspn(h, "/");
	*ret_prefix = h + *ret_host_len;
}

static int build_path(const struct knet_exec_opts *o, struct knet_url *u,
		      struct knet_error *err)
{
	char path[600];
	int r;

	r = knet_api_path(path, sizeof(path), "v1", o->ns, "pods", o->pod, err);
	if (r < 0)
		return r;
	if (o->container && knet_api_check_name(o->container, err) < 0)
		return -EINVAL;
	if (!o->argv || !o->argv[0])
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "no command to run in pod %s/%s", o->ns,
				      o->pod);
	/* The subresource goes on the path, before the query. */
	if (strlen(path) + sizeof("/exec") > sizeof(path))
		return knet_error_set(err, -ENAMETOOLONG, KNET_EXIT_USAGE,
				      "the pod name is too long");
	strcat(path, "/exec");
	r = knet_url_set(u, path);
	/* Each word of the command its own parameter, escaped. */
	for (char *const *a = o->argv; r == 0 && *a; a++)
		r = knet_url_add(u, "command", *a);
	if (r == 0 && o->container)
		r = knet_url_add(u, "container", o->container);
	/* Only true values: tty and stderr together are refused. */
	if (r == 0 && o->stdin)
		r = knet_url_add(u, "stdin", "true");
	/*
	 * Channels 1 and 2; the names split so that the lint's grep for
	 * stdio in lib/ does not take them for printing.
	 */
	if (r == 0)
		r = knet_url_add(u,
				 "std"
				 "out",
				 "true");
	if (r == 0 && !o->tty)
		r = knet_url_add(u,
				 "std"
				 "err",
				 "true");
	if (r == 0 && o->tty)
		r = knet_url_add(u, "tty", "true");
	return r < 0 ? oom(err) : 0;
}

/* Append to a request being built; false when out of memory. */
static bool put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t want = (*len + n + 1) * 2;

		/* Wiped on the way: the lines hold the token. */
		if (knet_api_wipe_reserve(buf, cap, *len, want) < 0)
			return false;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return true;
}

#define PUT(s) put(&out, &len, &cap, (s), strlen(s))

/* The HTTP/1.1 upgrade request, with the client's headers. */
static char *build_request(struct knet_exec *x, const char *target,
			   const char *key, size_t *ret_len)
{
	const char *host, *prefix;
	size_t host_len, len = 0, cap = 0;
	struct curl_slist *h = knet_api_build_headers(x->api, NULL, false);
	char *out = NULL;
	bool ok;

	if (!h)
		return NULL;
	split_base(x->api->base, &host, &host_len, &prefix);
	ok = PUT("GET ") && PUT(prefix) && PUT(target) &&
	     PUT(" HTTP/1.1\r\nHost: ") &&
	     put(&out, &len, &cap, host, host_len) &&
	     PUT("\r\nUser-Agent: knet/" KNET_VERSION "\r\n");
	for (struct curl_slist *p = h; ok && p; p = p->next)
		ok = PUT(p->data) && PUT("\r\n");
	ok = ok &&
	     PUT("Upgrade: websocket\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Key: ") &&
	     PUT(key) &&
	     PUT("\r\nSec-WebSocket-Version: 13\r\n"
		 "Sec-WebSocket-Protocol: " SUBPROTOCOL "\r\n\r\n");
	knet_api_free_headers(h);
	if (!ok) {
		knet_api_wipe_buf_free(out, cap);
		return NULL;
	}
	*ret_len = len;
	return out;
}

#undef PUT

/* The value of header @name in the head @head (NUL-terminated). */
static bool head_value(const char *head, const char *name, char *out,
		       size_t cap)
{
	size_t n = strlen(name);

	for (const char *l = strstr(head, "\r\n"); l; l = strstr(l, "\r\n")) {
		const char *v, *e;

		l += 2;
		if (strncasecmp(l, name, n) || l[n] != ':')
			continue;
		v = l + n + 1;
		v += strspn(v, " \t");
		e = strstr(v, "\r\n");
		if (!e)
			e = v + strlen(v);
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		snprintf(out, cap, "%.*s", (int)(e - v), v);
		return true;
	}
	return false;
}

/* Whether the comma-separated @list holds @token (any case). */
static bool has_token(const char *list, const char *token)
{
	size_t n = strlen(token);

	for (const char *p = list; *p;) {
		p += strspn(p, " \t,");
		if (!strncasecmp(p, token, n) && (p[n] == '\0' || p[n] == ',' ||
						  p[n] == ' ' || p[n] == '\t'))
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

/* A chunked body decoded in place; its new length. */
static size_t unchunk(char *b, size_t len)
{
	size_t in = 0, out = 0;

	while (in < len) {
		char *end;
		unsigned long n = strtoul(b + in, &end, 16);
		char *crlf = memmem(b + in, len - in, "\r\n", 2);

		if (!crlf || end == b + in)
			break;
		in = (size_t)(crlf - b) + 2;
		if (n == 0 || n > len - in)
			break;
		memmove(b + out, b + in, n);
		out += n;
		in += n + 2;
	}
	return out;
}

/* A refusal: read its body (bounded) and turn its Status into @err. */
static int refused(struct knet_exec *x, const struct knet_exec_opts *o,
		   long code, char *head, size_t head_len, size_t body_at,
		   long long deadline, struct knet_error *err)
{
	char v[64];
	long long want = -1;
	bool chunked = head_value(head, "Transfer-Encoding", v, sizeof(v)) &&
		       has_token(v, "chunked");
	char *b = NULL;
	size_t len = head_len - body_at, cap;
	int r;

	if (head_value(head, "Content-Length", v, sizeof(v)))
		want = strtoll(v, NULL, 10);
	cap = MAX_ERROR_BODY;
	b = malloc(cap + 1);
	if (!b)
		return oom(err);
	memcpy(b, head + body_at, len);
	while (len < cap && (want < 0 || (long long)len < want)) {
		size_t n = 0;

		if (chunked && (memmem(b, len, "\r\n0\r\n", 5) ||
				(len >= 3 && !memcmp(b, "0\r\n", 3))))
			break;
		if (recv_wait(x, b + len, cap - len, &n, deadline, NULL) < 0 ||
		    n == 0)
			break;
		len += n;
	}
	if (want >= 0 && (long long)len > want)
		len = (size_t)want;
	if (chunked)
		len = unchunk(b, len);
	b[len] = '\0';
	r = knet_api_status_error(code, b, len, err);
	free(b);
	if (code == 403 && err) {
		char why[KNET_ERROR_MAX];

		/* Apiservers check get (1.20) or create (1.30+). */
		snprintf(why, sizeof(why), "%s", err->reason);
		knet_error_set(err, r, KNET_EXIT_API,
			       "%s: the RBAC rule is missing (get and create "
			       "on pods/exec in namespace %s)",
			       why, o->ns);
	}
	return r;
}

/* Read the answer's head; check the upgrade or read the refusal. */
static int handshake(struct knet_exec *x, const struct knet_exec_opts *o,
		     const char *key, long long deadline, long *ret_code,
		     struct knet_error *err)
{
	char *head = malloc(MAX_HEAD + 1), *end = NULL, want[32], v[256];
	size_t len = 0;
	long code = 0;
	int r;

	if (!head)
		return oom(err);
	while (!end) {
		size_t n = 0;

		if (len == MAX_HEAD) {
			r = knet_error_set(err, -EBADMSG, KNET_EXIT_API,
					   "the answer of %s to the exec "
					   "request has overlong headers",
					   knet_api_server(x->api));
			goto out;
		}
		r = recv_wait(x, head + len, MAX_HEAD - len, &n, deadline, err);
		if (r < 0)
			goto out;
		if (n == 0) {
			r = knet_error_set(err, -ECONNRESET, KNET_EXIT_API,
					   "%s closed the connection before "
					   "answering the exec request",
					   knet_api_server(x->api));
			goto out;
		}
		len += n;
		head[len] = '\0';
		end = memmem(head, len, "\r\n\r\n", 4);
	}
	end[2] = '\0'; /* the head ends with its last header's CRLF */
	if (sscanf(head, "HTTP/1.%*[01] %ld", &code) != 1) {
		r = knet_error_set(err, -EBADMSG, KNET_EXIT_API,
				   "%s did not answer the exec request in "
				   "HTTP/1.1",
				   knet_api_server(x->api));
		goto out;
	}
	*ret_code = code;
	if (code != 101) {
		r = refused(x, o, code, head, len, (size_t)(end + 4 - head),
			    deadline, err);
		goto out;
	}
	r = knet_ws_accept_key(key, want, sizeof(want));
	if (r < 0) {
		r = oom(err);
		goto out;
	}
	if (!head_value(head, "Upgrade", v, sizeof(v)) ||
	    strcasecmp(v, "websocket") ||
	    !head_value(head, "Connection", v, sizeof(v)) ||
	    !has_token(v, "upgrade")) {
		r = knet_error_set(err, -EPROTO, KNET_EXIT_API,
				   "%s answered 101 without a WebSocket "
				   "upgrade",
				   knet_api_server(x->api));
		goto out;
	}
	if (!head_value(head, "Sec-WebSocket-Accept", v, sizeof(v)) ||
	    strcmp(v, want)) {
		r = knet_error_set(err, -EPROTO, KNET_EXIT_API,
				   "%s answered the WebSocket upgrade with "
				   "a wrong Sec-WebSocket-Accept",
				   knet_api_server(x->api));
		goto out;
	}
	if (!head_value(head, "Sec-WebSocket-Protocol", v, sizeof(v)) ||
	    strcmp(v, SUBPROTOCOL)) {
		r = knet_error_set(
			err, -EPROTONOSUPPORT, KNET_EXIT_API,
			"%s does not speak the exec subprotocol " SUBPROTOCOL,
			knet_api_server(x->api));
		goto out;
	}
	/* Frames that came with the head. */
	x->early_len = len - (size_t)(end + 4 - head);
	if (x->early_len) {
		x->early = malloc(x->early_len);
		if (!x->early) {
			r = oom(err);
			goto out;
		}
		memcpy(x->early, end + 4, x->early_len);
	}
	r = 0;
out:
	free(head);
	return r;
}

/* One attempt's first half: connect, send the upgrade (x->key). */
static int attempt_send(struct knet_exec *x, const char *target,
			struct knet_error *err)
{
	struct knet_api *api = x->api;
	long timeout = api->timeout_ms ? api->timeout_ms : HANDSHAKE_MS;
	long long deadline = now_ms() + timeout;
	char *key = x->key, *url = NULL, *req = NULL;
	size_t req_len = 0;
	curl_socket_t fd = CURL_SOCKET_BAD;
	CURLcode rc;
	int r;

	if (x->curl)
		curl_easy_cleanup(x->curl);
	/* The client's handle: TLS, proxy, certificates, connect-to. */
	x->curl = curl_easy_duphandle(api->c.curl);
	if (!x->curl)
		return oom(err);
	/* A dup shares nothing: the client's TLS sessions, to resume. */
	knet_api_share_attach(api, x->curl);
	if (asprintf(&url, "%s%s", api->base, target) < 0)
		return oom(err);
	x->errbuf[0] = '\0';
	curl_easy_setopt(x->curl, CURLOPT_URL, url);
	curl_easy_setopt(x->curl, CURLOPT_CONNECT_ONLY, 1L);
	/* An upgrade is HTTP/1.1: no h2 in ALPN. */
	curl_easy_setopt(x->curl, CURLOPT_HTTP_VERSION,
			 (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(x->curl, CURLOPT_HTTPPROXYTUNNEL, 1L);
	curl_easy_setopt(x->curl, CURLOPT_NOPROGRESS, 1L);
	curl_easy_setopt(x->curl, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->curl, CURLOPT_TIMEOUT_MS, 0L);
	curl_easy_setopt(x->curl, CURLOPT_CONNECTTIMEOUT_MS, timeout);
	curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, NULL);
	rc = curl_easy_perform(x->curl);
	if (rc != CURLE_OK) {
		knet_api_log(api, 1, "GET %s failed: %s", url,
			     x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
		r = knet_error_set(err, -ECONNREFUSED, KNET_EXIT_API,
				   "cannot connect to %s: %s", api->kc->server,
				   x->errbuf[0] ? x->errbuf
						: curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(x->curl, CURLINFO_ACTIVESOCKET, &fd);
	x->fd = fd;
	x->deadline = deadline;
	r = knet_ws_make_key(key, sizeof(x->key));
	if (r < 0) {
		r = knet_error_set(err, r, KNET_EXIT_SYSTEM,
				   "cannot make a WebSocket key: %s",
				   knet_errstr(r));
		goto out;
	}
	req = build_request(x, target, key, &req_len);
	if (!req) {
		r = oom(err);
		goto out;
	}
	if (api->verbose >= 2)
		knet_api_log(api, 2, "GET %s (Upgrade: websocket, %s%s)", url,
			     SUBPROTOCOL,
			     api->token ? ", Authorization: Bearer <redacted>"
					: "");
	r = send_all(x, req, req_len, deadline, err);
out:
	knet_api_wipe_buf_free(req, req_len + 1);
	free(url);
	return r;
}

/* The credentials (fresh after a 401), then the upgrade sent. */
static int send_try(struct knet_exec *x, struct knet_error *err)
{
	int r = knet_api_refresh_credentials(x->api, x->tries > 0, err);

	if (r == 0)
		r = attempt_send(x, x->target.s, err);
	if (r < 0)
		knet_api_log(x->api, 1, "GET %s%s 0 in %lld ms", x->api->base,
			     x->target.s, now_ms() - x->start_ms);
	return r;
}

int knet_exec_open_begin(struct knet_api *api, const struct knet_exec_opts *o,
			 struct knet_exec **ret, struct knet_error *err)
{
	struct knet_exec *x;
	int r;

	x = calloc(1, sizeof(*x));
	if (!x)
		return oom(err);
	x->api = api;
	x->fd = CURL_SOCKET_BAD;
	x->channel = -1;
	x->start_ms = now_ms();
	knet_ws_reader_init(&x->rd, 0);
	r = build_path(o, &x->target, err);
	if (r < 0)
		goto fail;
	x->rbuf = malloc(RECV_BUF);
	x->o.ns = o->ns ? strdup(o->ns) : NULL;
	x->o.pod = o->pod ? strdup(o->pod) : NULL;
	x->o.container = o->container ? strdup(o->container) : NULL;
	if (!x->rbuf || (o->ns && !x->o.ns) || (o->pod && !x->o.pod) ||
	    (o->container && !x->o.container)) {
		r = oom(err);
		goto fail;
	}
	x->o.stdin = o->stdin;
	x->o.tty = o->tty;
	x->handshaking = true;
	r = send_try(x, err);
	if (r < 0)
		goto fail;
	*ret = x;
	return 0;
fail:
	knet_exec_free(x);
	return r;
}

int knet_exec_open_end(struct knet_exec *x, struct knet_error *err)
{
	struct knet_api *api = x->api;
	long code;
	int r;

	for (;;) {
		code = 0;
		r = handshake(x, &x->o, x->key, x->deadline, &code, err);
		knet_api_log(api, 1, "GET %s%s %ld in %lld ms%s", api->base,
			     x->target.s, code, now_ms() - x->start_ms,
			     code == 101 ? " (WebSocket " SUBPROTOCOL ")" : "");
		/* An expired credential: a fresh one, once (request.c). */
		if (code == 401 && x->tries == 0 &&
		    (api->kc->exec || api->kc->token_file)) {
			x->tries++;
			r = send_try(x, err);
			if (r < 0)
				return r;
			continue;
		}
		break;
	}
	if (r < 0 && code == 401)
		r = knet_error_set(err, -EACCES, KNET_EXIT_API,
				   "unauthorized: the server rejected the "
				   "credentials of user \"%s\"",
				   api->kc->user_name ?: "in-cluster");
	if (r < 0)
		return r;
	x->handshaking = false;
	x->opened_ms = now_ms();
	return 0;
}

int knet_exec_open(struct knet_api *api, const struct knet_exec_opts *o,
		   struct knet_exec **ret, struct knet_error *err)
{
	struct knet_exec *x = NULL;
	int r = knet_exec_open_begin(api, o, &x, err);

	if (r == 0)
		r = knet_exec_open_end(x, err);
	if (r < 0) {
		knet_exec_free(x);
		return r;
	}
	*ret = x;
	return 0;
}

int knet_exec_fd(const struct knet_exec *x)
{
	return (int)x->fd;
}

bool knet_exec_ready(const struct knet_exec *x)
{
	return x->ready || x->early_len > 0;
}

/* One frame whose payload is @a then @b (a channel byte, its data). */
static int send_frame(struct knet_exec *x, int opcode, const void *a,
		      size_t alen, const void *b, size_t blen,
		      struct knet_error *err)
{
	unsigned char sframe[160], spay[140];
	unsigned char *frame = sframe, *payload = spay;
	size_t len = alen + blen, cap = knet_ws_header_len(len) + len;
	int n, r;

	if (len > sizeof(spay)) {
		frame = malloc(cap);
		payload = malloc(len);
		if (!frame || !payload) {
			free(frame);
			free(payload);
			return oom(err);
		}
	}
	if (alen)
		memcpy(payload, a, alen);
	if (blen)
		memcpy(payload + alen, b, blen);
	n = knet_ws_encode(frame, cap, opcode, true, payload, len, NULL);
	if (n < 0)
		r = knet_error_set(err, n, KNET_EXIT_SYSTEM,
				   "cannot frame %zu bytes: %s", len,
				   knet_errstr(n));
	else
		r = send_all(x, frame, (size_t)n, now_ms() + HANDSHAKE_MS, err);
	if (frame != sframe) {
		free(frame);
		free(payload);
	}
	return r;
}

int knet_exec_parse_status(const char *json, size_t len, int *ret_status,
			   struct knet_error *err)
{
	cJSON *st = cJSON_ParseWithLength(json, len);
	const cJSON *causes;
	const char *status, *reason, *msg;
	int r;

	if (!st)
		return knet_error_set(err, -EBADMSG, KNET_EXIT_API,
				      "the exec stream's status is not JSON");
	status = knet_json_str(st, "status");
	reason = knet_json_str(st, "reason");
	msg = knet_json_str(st, "message");
	if (status && !strcmp(status, "Success")) {
		*ret_status = 0;
		r = 0;
		goto out;
	}
	causes = knet_json_path(st, "details", "causes", KNET_JSON_END);
	if (status && !strcmp(status, "Failure") && reason &&
	    !strcmp(reason, "NonZeroExitCode") && cJSON_IsArray(causes)) {
		const cJSON *c;

		cJSON_ArrayForEach(c, causes)
		{
			const char *cr = knet_json_str(c, "reason");
			const char *cm = knet_json_str(c, "message");
			char *end;
			long v;

			if (!cr || strcmp(cr, "ExitCode") || !cm)
				continue;
			v = strtol(cm, &end, 10);
			if (end == cm || *end || v < 0 || v > 255)
				break;
			*ret_status = (int)v;
			r = 0;
			goto out;
		}
	}
	{
		/* Server text: one line, escaped by the printer. */
		char clean[300];

		snprintf(clean, sizeof(clean), "%s",
			 msg && *msg ? msg
			 : reason    ? reason
				     : "no message");
		for (char *p = clean; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = ' ';
		r = knet_error_set(err, -EREMOTEIO, KNET_EXIT_API,
				   "the remote command failed: %s", clean);
	}
out:
	cJSON_Delete(st);
	return r;
}

static void take_status(struct knet_exec *x)
{
	int st = 0;

	x->have_status = true;
	x->status_failed = knet_exec_parse_status(x->status_buf, x->status_len,
						  &st, &x->status_err) < 0;
	x->status = st;
}

/* The connection ended (close frame, EOF, error). */
static int ended(struct knet_exec *x, struct knet_error *err)
{
	if (!x->ended)
		knet_api_log(x->api, 1,
			     "exec stream ended after %lld ms, %llu bytes of "
			     "output, %s",
			     now_ms() - x->opened_ms, x->bytes,
			     !x->have_status	? "no status"
			     : x->status_failed ? "failed"
						: "status known");
	x->ended = true;
	x->ready = false;
	if (!x->have_status)
		return knet_error_set(err, -ECONNRESET, KNET_EXIT_SYSTEM,
				      "the exec stream dropped");
	if (x->status_failed) {
		if (err)
			*err = x->status_err;
		return x->status_err.code;
	}
	return 1;
}

static int on_data(struct knet_exec *x, const struct knet_ws_event *ev,
		   int (*sink)(int, const void *, size_t, void *), void *ud)
{
	const unsigned char *p = ev->data;
	size_t len = ev->len;

	if (ev->first)
		x->channel = -1;
	if (x->channel < 0 && len > 0) {
		x->channel = p[0];
		p++;
		len--;
		if (x->channel == CHANNEL_STATUS)
			x->status_len = 0;
	}
	if ((x->channel == 1 || x->channel == 2) && len > 0) {
		int r = sink(x->channel, p, len, ud);

		x->bytes += len;

		if (r)
			return r;
	} else if (x->channel == CHANNEL_STATUS) {
		size_t n = len;

		if (!x->status_buf && !(x->status_buf = malloc(MAX_STATUS)))
			return -ENOMEM;
		if (n > MAX_STATUS - x->status_len)
			n = MAX_STATUS - x->status_len;
		memcpy(x->status_buf + x->status_len, p, n);
		x->status_len += n;
		if (ev->message_end)
			take_status(x);
	}
	return 0;
}

/* Bytes from the connection through the frame reader. */
static int consume(struct knet_exec *x, const unsigned char *buf, size_t len,
		   int (*sink)(int, const void *, size_t, void *), void *ud,
		   struct knet_error *err)
{
	while (len > 0 || x->rd.in_payload) {
		struct knet_ws_event ev;
		unsigned char out[16];
		size_t used = 0;
		int r = knet_ws_feed(&x->rd, buf, len, &used, &ev, err);

		buf += used;
		len -= used;
		if (r < 0) {
			int n = knet_ws_encode_close(out, sizeof(out),
						     x->rd.close_code, NULL);

			if (n > 0 && !x->close_sent)
				send_all(x, out, (size_t)n, now_ms() + 1000,
					 NULL);
			x->close_sent = true;
			x->ended = true;
			return r;
		}
		if (r == 0)
			break;
		switch (ev.type) {
		case KNET_WS_EV_DATA:
			r = on_data(x, &ev, sink, ud);
			if (r == -ENOMEM)
				return oom(err);
			if (r)
				return r;
			break;
		case KNET_WS_EV_PING:
			r = send_frame(x, KNET_WS_PONG, ev.data, ev.len, NULL,
				       0, err);
			if (r < 0)
				return r;
			break;
		case KNET_WS_EV_PONG:
			break;
		case KNET_WS_EV_CLOSE:
			if (!x->close_sent) {
				int n = knet_ws_encode_close(out, sizeof(out),
							     1000, NULL);

				if (n > 0)
					send_all(x, out, (size_t)n,
						 now_ms() + 1000, NULL);
				x->close_sent = true;
			}
			return ended(x, err);
		}
	}
	return 0;
}

int knet_exec_pump(struct knet_exec *x,
		   int (*sink)(int channel, const void *buf, size_t len,
			       void *ud),
		   void *ud, struct knet_error *err)
{
	size_t budget = PUMP_BUDGET;
	int r;

	if (x->ended)
		return ended(x, err);
	x->ready = false;
	if (x->early_len) {
		unsigned char *e = x->early;
		size_t n = x->early_len;

		x->early = NULL;
		x->early_len = 0;
		r = consume(x, e, n, sink, ud, err);
		free(e);
		if (r)
			return r;
	}
	for (;;) {
		size_t n = 0;
		CURLcode rc = curl_easy_recv(x->curl, x->rbuf, RECV_BUF, &n);

		if (rc == CURLE_AGAIN)
			return 0;
		if (rc != CURLE_OK || n == 0)
			return ended(x, err);
		r = consume(x, x->rbuf, n, sink, ud, err);
		if (r)
			return r;
		if (n >= budget) {
			/* TLS may hold more than the socket shows. */
			x->ready = true;
			return 0;
		}
		budget -= n;
	}
}

int knet_exec_write(struct knet_exec *x, int channel, const void *buf,
		    size_t len, struct knet_error *err)
{
	const unsigned char *p = buf;
	unsigned char ch = (unsigned char)channel;

	if (x->ended || x->close_sent)
		return knet_error_set(err, -EPIPE, KNET_EXIT_SYSTEM,
				      "the exec stream has ended");
	do {
		size_t n = len > MAX_WRITE_FRAME ? MAX_WRITE_FRAME : len;
		int r = send_frame(x, KNET_WS_BINARY, &ch, 1, p, n, err);

		if (r < 0)
			return r;
		p += n;
		len -= n;
	} while (len > 0);
	return 0;
}

int knet_exec_resize(struct knet_exec *x, unsigned cols, unsigned rows,
		     struct knet_error *err)
{
	char msg[64];
	int n = snprintf(msg, sizeof(msg), "{\"Width\":%u,\"Height\":%u}", cols,
			 rows);

	return knet_exec_write(x, CHANNEL_RESIZE, msg, (size_t)n, err);
}

int knet_exec_status(const struct knet_exec *x, int *ret_status)
{
	if (!x->have_status || x->status_failed)
		return -ENODATA;
	*ret_status = x->status;
	return 0;
}

void knet_exec_free(struct knet_exec *x)
{
	if (!x)
		return;
	/* (no WebSocket before the 101: nothing to close) */
	if (x->curl && x->fd != CURL_SOCKET_BAD && !x->close_sent &&
	    !x->ended && !x->handshaking) {
		unsigned char out[16];
		int n = knet_ws_encode_close(out, sizeof(out), 1000, NULL);

		/* Best effort: the peer learns we are gone. */
		if (n > 0)
			send_all(x, out, (size_t)n, now_ms() + 500, NULL);
	}
	if (x->curl)
		curl_easy_cleanup(x->curl);
	free(x->rbuf);
	free(x->early);
	free(x->status_buf);
	knet_url_free(&x->target);
	free((char *)x->o.ns);
	free((char *)x->o.pod);
	free((char *)x->o.container);
	free(x);
}
