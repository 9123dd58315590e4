/* SPDX-License-Identifier: MIT */
#ifndef KNET_API_INTERNAL_H
#define KNET_API_INTERNAL_H

/*
 * Shared between the files of the API client in lib/api only; not part
 * of libknet's interface.  Who does what:
 *
 *   client.c    knet_api_new/free, accessors, -v logging, the base URL
 *   conn.c      one transfer channel: easy handle, callbacks, buffer
 *   tls.c       TLS options from the kubeconfig
 *   auth.c      credentials in force and the request headers
 *   request.c   one request: retries, re-authentication, errors
 *   list.c, watch.c, arena.c, status.c, exec-credential.c, json.c
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <curl/curl.h>

#include "knet/base.h"
#include "knet/api.h"

/*
 * A streaming body consumer: called with each chunk of a 2xx answer.
 * Returns 0 to go on, non-zero to stop the transfer (kept as the
 * result of the request).
 */
typedef int (*knet_api_sink_fn)(const char *data, size_t len, void *userdata);

/* One transfer channel: an easy handle and what its callbacks fill. */
struct knet_conn {
	CURL *curl;
	struct knet_api *api; /* for -v logging */
	char errbuf[CURL_ERROR_SIZE];

	/* the receive buffer, kept between requests */
	char *buf;
	size_t len, cap;
	long status;	  /* of the transfer in progress */
	long retry_after; /* seconds, -1 when absent */

	/* set by the caller's Ctrl-C handler: the transfer ends */
	volatile sig_atomic_t *stop;

	/* streaming */
	knet_api_sink_fn sink;
	void *sink_userdata;
	int sink_result;
};

enum knet_api_encoding {
	KNET_API_ENC_AUTO,
	KNET_API_ENC_JSON,
	KNET_API_ENC_PROTOBUF,
};

/*
 * encoding.c: --api-encoding's value (NULL: auto); -EINVAL otherwise.
 * Whether a GET of @path read through the models (@model) may ask for
 * protobuf, and the Accept header of a request.
 */
int knet_api_encoding_parse(const char *s, int *ret);
bool knet_api_proto_for(const struct knet_api *api, const char *path,
			bool model);
const char *knet_api_accept(const struct knet_api *api);

struct knet_api {
	struct knet_conn c;
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

	/* TLS sessions shared by its handles (share.c), of creds_gen */
	CURLSH *share;
	pthread_mutex_t share_lock;
	unsigned share_gen;

	/* --api-encoding (enum knet_api_encoding) */
	int encoding;
	/* set around one request whose answer may be protobuf */
	bool want_proto;

	/* set around a streamed request: the encoding of its body, for -v */
	const char *(*sink_encoding)(const void *sink_userdata);
};

/* conn.c: point a handle's callbacks at @c (after duphandle too). */
void knet_conn_bind(struct knet_conn *c);
/* conn.c: ready @c for a transfer of @url with @hdr. */
void knet_conn_start(struct knet_conn *c, const char *url,
		     struct curl_slist *hdr);
/* conn.c: whether the caller asked for the transfer to end. */
bool knet_conn_stopped(const struct knet_conn *c);
/* conn.c: drop the receive buffer (wiped: it may hold a secret). */
void knet_conn_release(struct knet_conn *c);

/* tls.c: a PEM blob option (copied by libcurl); -ENOTSUP when unknown. */
int knet_api_set_blob(CURL *curl, CURLoption opt, const struct knet_blob *b);
/* tls.c: CA, client certificate and key, proxy from the kubeconfig. */
int knet_api_tls_setup(struct knet_api *api, struct knet_error *err);
/* tls.c: the kubeconfig field that decides what failed in TLS. */
const char *knet_api_ca_field(const struct knet_kubeconfig *kc);

/*
 * auth.c: make the credentials current (a tokenFile re-read once a
 * minute, an exec plugin run when its credential is missing or
 * expired); @force after a 401.
 */
int knet_api_refresh_credentials(struct knet_api *api, bool force,
				 struct knet_error *err);
/*
 * A token goes into an HTTP header: a CR or LF in it would end the header
 * and start another of the plugin's or file's choosing.  -EINVAL (exit
 * 4) naming where it came from (@from) when it holds a control
 * character; NULL is fine.
 */
int knet_api_check_token(const char *tok, const char *from,
			 struct knet_error *err);

/*
 * auth.c: the headers of every request, in one place: Accept, the
 * Content-Type of a body, Authorization.  NULL when out of memory.
 * Free with knet_api_free_headers() (they hold the token).
 */
struct curl_slist *knet_api_build_headers(const struct knet_api *api,
					  const char *content_type, bool body);
void knet_api_free_headers(struct curl_slist *h);

/* request.c: milliseconds since @start (CLOCK_MONOTONIC). */
long knet_api_elapsed_ms(const struct timespec *start);

/*
 * exec-credential.c: knet_exec_credential_get() with a bound on the
 * plugin's whole run other than the default (60 s), for the tests.
 */
int knet_exec_credential_run(const struct knet_kubeconfig *kc, long timeout_ms,
			     struct knet_exec_cred *ret,
			     struct knet_error *err);

/*
 * wipe.c: memory that may hold a secret (strings: knet_wipe_free).  A
 * buffer of @cap bytes zeroed, then freed (NULL is fine); a buffer grown
 * to @want bytes (keeping @used) into a new block, the old one zeroed
 * first.
 */
void knet_api_wipe_buf_free(void *buf, size_t cap);
int knet_api_wipe_reserve(char **buf, size_t *cap, size_t used, size_t want);

/*
 * One request with the client's retry and re-authentication rules.
 * Without @sink the body is kept in the client's buffer and parsed into
 * *ret_json (when non-NULL).  With @sink, a 2xx body goes to it instead;
 * @no_timeout lifts --request-timeout (watches).  Returns the sink's
 * non-zero value when it stopped the transfer.
 */
int knet_api_do(struct knet_api *api, const char *method, const char *path,
		const char *body, const char *content_type, cJSON **ret_json,
		knet_api_sink_fn sink, void *sink_userdata, bool no_timeout,
		struct knet_error *err);

/*
 * A path with its query string, grown as needed: nothing is ever cut
 * (a long selector or continue token just takes more room).
 */
struct knet_url {
	char *s;
	size_t len, cap;
};

/* Start over with @path (no query yet).  -ENOMEM. */
int knet_url_set(struct knet_url *u, const char *path);
/* Append "?k=v" or "&k=v", @value percent-encoded.  -ENOMEM. */
int knet_url_add(struct knet_url *u, const char *key, const char *value);
/* Add labelSelector and fieldSelector from @opts (may be NULL). */
int knet_url_add_selectors(struct knet_url *u,
			   const struct knet_list_opts *opts);
void knet_url_free(struct knet_url *u);

/*
 * request.c: an answer's body as a tree: protobuf when it has the
 * envelope, else JSON.  NULL when it is neither valid protobuf (then
 * @err, which may be NULL, says why) nor valid JSON.
 */
cJSON *knet_api_parse_body(const char *buf, size_t len, struct knet_error *err);
/* The encoding of a body, for -v lines. */
const char *knet_api_body_encoding(const char *buf, size_t len);

/*
 * Arenas for the parse trees of list pages (arena.c).  A tree
 * from knet_arena_parse() lives until the next reset and must never be
 * given to cJSON_Delete.
 */
struct knet_arena;

struct knet_arena *knet_arena_new(void);
void knet_arena_free(struct knet_arena *a);
void knet_arena_reset(struct knet_arena *a);

/* share.c: the TLS session cache of the client's handles. */
void knet_api_share_init(struct knet_api *api);
void knet_api_share_attach(const struct knet_api *api, CURL *h);
void knet_api_share_free(struct knet_api *api);
cJSON *knet_arena_parse(struct knet_arena *a, const char *text, size_t len);
/*
 * Between enter and leave, cJSON allocates in @a (on this thread): a
 * tree built there goes at the next reset.  leave is false when an
 * allocation failed meanwhile.
 */
void knet_arena_enter(struct knet_arena *a);
bool knet_arena_leave(struct knet_arena *a);

/*
 * list-stream.c: a list page (JSON or protobuf, told by its first bytes)
 * read as it arrives, @each called with every item's tree as soon as the
 * item is whole; the tree lives until the next item.  feed and end
 * return 0, a negative errno when the body is bad (then error() says
 * why, else NULL), or what @each returned to stop.  reset readies the
 * stream for the next page.
 */
struct knet_list_stream;

struct knet_list_stream *knet_list_stream_new(knet_api_item_fn each,
					      void *userdata);
void knet_list_stream_reset(struct knet_list_stream *s);
void knet_list_stream_free(struct knet_list_stream *s);
int knet_list_stream_feed(struct knet_list_stream *s, const char *data,
			  size_t len);
int knet_list_stream_end(struct knet_list_stream *s);
const struct knet_error *knet_list_stream_error(
	const struct knet_list_stream *s);
/* The page's metadata: NULL when absent. */
const char *knet_list_stream_continue(const struct knet_list_stream *s);
const char *knet_list_stream_resource_version(const struct knet_list_stream *s);
long knet_list_stream_items(const struct knet_list_stream *s);
/* "json" or "protobuf", for -v (a struct knet_list_stream *). */
const char *knet_list_stream_encoding(const void *s);

#endif
