/* SPDX-License-Identifier: MIT */
#ifndef KNET_API_H
#define KNET_API_H

/*
 * The Kubernetes API client: libcurl (one easy handle, kept alive, HTTP/2
 * where offered, compressed) and cJSON (parsed straight from the receive
 * buffer).
 *
 * Errors: an API answer that is not 2xx is read as a Status object and
 * its message becomes the reason; 404 gives -ENOENT/KNET_EXIT_NOT_FOUND,
 * everything else (connect, TLS, 401, 403, 5xx) KNET_EXIT_API.  Retries
 * happen only for 429 and (for GET) 5xx, honouring Retry-After, at most 3
 * tries and 5 seconds of waiting (a Retry-After beyond what is left of
 * them gives the error at once).  Redirects are not followed.
 *
 * The client never logs a token, key or certificate: -v lines carry the
 * method, URL, status and timing only.
 */

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "knet/base.h"
#include "knet/kubeconfig.h"

struct knet_api;

struct knet_api_config {
	const char *kubeconfig; /* --kubeconfig or NULL */
	const char *context;	/* --context or NULL */
	/* --server, --token, --as...: see kubeconfig.h; NULL for none. */
	const struct knet_kubeconfig_overrides *overrides;
	const char *request_timeout; /* kubectl syntax, NULL or "0": none */
	/*
	 * --api-encoding: "json", "protobuf" (for the kinds knet reads in
	 * protobuf; others stay JSON) or "auto" (protobuf with JSON as the
	 * fallback in the same Accept header); NULL means auto.
	 */
	const char *encoding;
	int verbose; /* -v count: 1 requests, 2 + headers */
	/* Where -v lines go (lib/ never prints); NULL drops them. */
	void (*log)(void *userdata, const char *line);
	void *log_userdata;
	/* Test hooks, NULL for the real thing (see kubeconfig.h). */
	const char *(*getenv)(const char *name);
	const char *sa_dir;
};

int knet_api_new(const struct knet_api_config *cfg, struct knet_api **ret,
		 struct knet_error *err);
void knet_api_free(struct knet_api *api);

/*
 * Before the process gives up root: read every credential now (tokenFile,
 * certificate-authority, client-certificate and -key files, the exec
 * plugin's output) and keep it in memory, so that later requests need no
 * file or plugin that only root may use.  From then on a refused
 * credential (401) is an error instead of a re-read.
 */
int knet_api_pin_credentials(struct knet_api *api, struct knet_error *err);

/* -n, else the context's namespace, "default" when it sets none. */
const char *knet_api_namespace(const struct knet_api *api);
/*
 * Use @ns as the namespace from now on (-n on the command line); NULL
 * goes back to the context's.  The string must outlive the client.
 */
void knet_api_set_namespace(struct knet_api *api, const char *ns);
/*
 * Ctrl-C: once *@stop is non-zero (a signal handler sets it), the
 * transfer in progress ends within about a second, even one that is
 * waiting for a quiet watch, and no new one starts: the call returns
 * -EINTR, which is not an error to report (the user asked for it).
 * NULL turns it off.
 */
void knet_api_set_stop(struct knet_api *api, volatile sig_atomic_t *stop);
/* -v logging through the configured callback (objects use it too). */
void knet_api_log(const struct knet_api *api, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The server URL (for messages). */
const char *knet_api_server(const struct knet_api *api);
/* The context name, or "in-cluster". */
const char *knet_api_context(const struct knet_api *api);

/*
 * GET @path_and_query ("/api/v1/namespaces/web/pods/x") and parse the
 * answer.  The caller frees *ret_json with cJSON_Delete.
 */
int knet_api_get_json(struct knet_api *api, const char *path_and_query,
		      cJSON **ret_json, struct knet_error *err);

/*
 * knet_api_get_json() for an object read only through the object models:
 * protobuf when the encoding and the kind allow (knet_list_opts.model).
 */
int knet_api_get_model(struct knet_api *api, const char *path_and_query,
		       cJSON **ret_json, struct knet_error *err);

/*
 * Any method with an optional JSON body (@body may be NULL) and content
 * type (NULL: application/json).  @ret_json may be NULL.
 */
int knet_api_request(struct knet_api *api, const char *method,
		     const char *path_and_query, const char *body,
		     const char *content_type, cJSON **ret_json,
		     struct knet_error *err);

/*
 * Build "/api/v1/namespaces/NS/pods" or "/apis/G/V/pods" (all
 * namespaces when @ns is NULL), with "/NAME" when @name is set.
 * @group_version is "v1" for the core group or "apps/v1".  @ns must be
 * a DNS-1123 label and @name a DNS-1123 subdomain, as the API has them
 * (nodes too): else -EINVAL, a usage error naming the value.  Returns
 * the length, or -ENAMETOOLONG.  @err may be NULL.
 */
int knet_api_path(char *buf, size_t len, const char *group_version,
		  const char *ns, const char *resource, const char *name,
		  struct knet_error *err);

/* The checks of knet_api_path(): 0, or -EINVAL with a usage error. */
int knet_api_check_namespace(const char *ns, struct knet_error *err);
int knet_api_check_name(const char *name, struct knet_error *err);
/*
 * Whether @s (@n bytes) is a DNS-1123 label, the API's rule for
 * namespaces and for the names of Service ports.
 */
bool knet_api_dns_label(const char *s, size_t n);

struct knet_list_opts {
	const char *label_selector; /* -l, NULL for all */
	const char *field_selector; /* NULL for all */
	int limit;		    /* page size, 0 means 500 */
	/*
	 * The items are read only through the object models (lib/objects),
	 * so the API may answer in protobuf (knet_proto_to_json: only the
	 * models' fields are there).
	 */
	bool model;
};

/*
 * Called once per item of a list, in order, as soon as the item has
 * arrived.  @item is freed when the call returns: copy what is needed.
 * Return non-zero (a negative errno) to stop the listing with that code.
 */
typedef int (*knet_api_item_fn)(const cJSON *item, void *userdata);

/*
 * List a collection page by page (limit/continue), calling @each for
 * every item.  A page is read as it arrives and never held whole, so
 * memory stays bounded by one item.  An item given to @each may be
 * followed by an error (the page cut short): the listing then fails.  *ret_resource_version (may be NULL) gets
 * the list's resourceVersion, for a watch.  A continue token that
 * expired (410) restarts the list from scratch, once.
 */
int knet_api_list(struct knet_api *api, const char *path,
		  const struct knet_list_opts *opts, knet_api_item_fn each,
		  void *userdata, char **ret_resource_version,
		  struct knet_error *err);

/*
 * Watch events.  @type is "ADDED", "MODIFIED", "DELETED" or "BOOKMARK";
 * @object belongs to the event.  Return non-zero to stop the watch (that
 * value is returned by knet_api_watch; return 1 for "done, no error").
 */
typedef int (*knet_api_event_fn)(const char *type, const cJSON *object,
				 void *userdata);

/*
 * Called when the watch has to (re)list: first when @resource_version
 * is NULL, and again after 410 Gone.  The implementation lists (e.g.
 * with knet_api_list) and returns the new resourceVersion in
 * *ret_resource_version (malloc'd).
 */
typedef int (*knet_api_relist_fn)(struct knet_api *api,
				  char **ret_resource_version, void *userdata,
				  struct knet_error *err);

/*
 * Watch @path (a collection) from @resource_version, re-listing through
 * @relist on 410 Gone (both the HTTP status and an ERROR event with
 * code 410), and reconnecting when the server ends a watch cleanly.
 * Runs until a callback stops it or an error happens.  The request
 * timeout does not apply (timeoutSeconds is set per watch instead).
 */
int knet_api_watch(struct knet_api *api, const char *path,
		   const struct knet_list_opts *opts,
		   const char *resource_version, knet_api_event_fn on_event,
		   knet_api_relist_fn relist, void *userdata,
		   struct knet_error *err);

/*
 * kubectl's --request-timeout: "0" (none), "5s", "1m30s", "500ms", or a
 * plain number of seconds.  -EINVAL on anything else.
 */
int knet_request_timeout_parse(const char *s, long *ret_ms);

/*
 * Map an HTTP status and its body (a Status object, or anything) to
 * @err: the Status message when there is one, else "HTTP <code>".
 * Returns the negative errno.  Exposed for the tests.
 */
int knet_api_status_error(long http_code, const char *body, size_t len,
			  struct knet_error *err);

/* --- pods/exec (lib/api/exec.c): one WebSocket stream --- */

/*
 * A command run in a pod through the API's pods/exec, over WebSocket
 * with the subprotocol v4.channel.k8s.io (channels: 0 stdin, 1 stdout,
 * 2 stderr, 3 the exit Status, 4 resize).  The connection is the
 * client's own set-up (TLS, proxy, credentials, kubeconfig) on a
 * connection of its own.  Errors: 403 names the missing RBAC rule
 * (exit 4), 404 the pod (3); a stream that ends without a Status is
 * -ECONNRESET (exit 5).
 */
struct knet_exec;
struct knet_exec_opts {
	const char *ns, *pod, *container; /* container NULL: the only one */
	char *const *argv;		  /* NULL-terminated */
	bool stdin, tty;
};
int knet_exec_open(struct knet_api *api, const struct knet_exec_opts *o,
		   struct knet_exec **ret, struct knet_error *err);
/*
 * knet_exec_open() in two halves, for many streams at once (a fan-out):
 * _begin connects and sends the upgrade; poll knet_exec_fd() for
 * reading, then _end reads the answer (the 101, or the refusal in
 * words).  The waits for each pod's kubelet overlap instead of adding
 * up.  After _end fails, or instead of it, knet_exec_free().
 */
int knet_exec_open_begin(struct knet_api *api, const struct knet_exec_opts *o,
			 struct knet_exec **ret, struct knet_error *err);
int knet_exec_open_end(struct knet_exec *x, struct knet_error *err);
/* The socket, to poll(2) for reading. */
int knet_exec_fd(const struct knet_exec *x);
/*
 * Whether bytes are waiting that poll(2) on the fd would not show (a
 * pump that stopped at its budget): pump again before polling.
 */
bool knet_exec_ready(const struct knet_exec *x);
/*
 * Read what is there: each frame's payload goes to @sink with its
 * channel (1 stdout, 2 stderr), pieces of a big frame as they arrive;
 * pings are answered.  0 more may come, 1 the stream ended (status
 * known), <0 error.  A non-zero return of @sink stops the pump with it.
 */
int knet_exec_pump(struct knet_exec *x,
		   int (*sink)(int channel, const void *buf, size_t len,
			       void *ud),
		   void *ud, struct knet_error *err);
int knet_exec_write(struct knet_exec *x, int channel, const void *buf,
		    size_t len, struct knet_error *err);
int knet_exec_resize(struct knet_exec *x, unsigned cols, unsigned rows,
		     struct knet_error *err);
/* The remote exit status once the stream ended: 0..255; -ENODATA. */
int knet_exec_status(const struct knet_exec *x, int *ret_status);
/* Ends the stream (a close frame) and frees; NULL is fine. */
void knet_exec_free(struct knet_exec *x);

/*
 * The Status of channel 3 as an exit status: Success 0, NonZeroExitCode
 * with its ExitCode cause; any other Failure is an error carrying the
 * Status message (-EREMOTEIO, exit 4).  Exposed for the tests.
 */
int knet_exec_parse_status(const char *json, size_t len, int *ret_status,
			   struct knet_error *err);

/* --- WebSocket framing (RFC 6455, lib/api/ws.c), for the tests --- */

enum {
	KNET_WS_CONT = 0x0,
	KNET_WS_TEXT = 0x1,
	KNET_WS_BINARY = 0x2,
	KNET_WS_CLOSE = 0x8,
	KNET_WS_PING = 0x9,
	KNET_WS_PONG = 0xa,
};

/* The default largest frame accepted (a stdout frame is ~32 KiB). */
#define KNET_WS_MAX_FRAME (64ull << 20)

/* The bytes before the payload of a client (masked) frame. */
size_t knet_ws_header_len(size_t payload_len);
/*
 * A client frame into @out: masked with @mask (4 bytes) or, when NULL,
 * a key from getrandom(2).  The frame's length, or -ENOBUFS (@cap too
 * small), -EINVAL (a control frame over 125 bytes, a bad opcode).
 */
int knet_ws_encode(unsigned char *out, size_t cap, int opcode, bool fin,
		   const void *payload, size_t len, const unsigned char *mask);
/* A close frame with @code (0: none). */
int knet_ws_encode_close(unsigned char *out, size_t cap, int code,
			 const unsigned char *mask);
/* Whether a close code may appear in a close frame (RFC 6455 7.4). */
bool knet_ws_close_code_valid(int code);

enum knet_ws_event_type {
	KNET_WS_EV_DATA, /* a piece of a text or binary message */
	KNET_WS_EV_PING, /* answer with a pong of the same payload */
	KNET_WS_EV_PONG,
	KNET_WS_EV_CLOSE, /* close_code; data/len: the reason */
};

struct knet_ws_event {
	enum knet_ws_event_type type;
	int opcode;		   /* DATA: the message's, TEXT or BINARY */
	const unsigned char *data; /* into the fed buffer or the reader */
	size_t len;
	bool first;	  /* DATA: the first piece of its message */
	bool frame_end;	  /* DATA: the last piece of its frame */
	bool message_end; /* DATA: the last piece of its message */
	int close_code;	  /* CLOSE: 1005 when the frame had none */
};

/* The incremental reader of server frames. */
struct knet_ws_reader {
	uint64_t max_frame;
	unsigned char hdr[14];
	size_t hdr_len;
	bool in_payload; /* past a header, @left payload bytes to come */
	uint64_t left;
	int opcode; /* of the frame */
	bool fin;
	bool in_message; /* a fragmented message goes on */
	int msg_opcode;
	bool first;
	unsigned char ctl[125]; /* a control frame's payload */
	size_t ctl_len;
	bool closed; /* a close frame came */
	bool failed;
	int close_code; /* to send when failed: 1002, 1009 */
};

/* @max_frame 0: KNET_WS_MAX_FRAME. */
void knet_ws_reader_init(struct knet_ws_reader *r, uint64_t max_frame);
/*
 * Feed @len bytes: 1 when an event is in *@ev (after *@ret_used bytes:
 * feed the rest again), 0 when all were taken and more are needed, <0
 * (-EPROTO) when the peer broke the protocol: @err says how and
 * r->close_code is the code to close with.  A DATA event's data points
 * into @buf.
 */
int knet_ws_feed(struct knet_ws_reader *r, const unsigned char *buf, size_t len,
		 size_t *ret_used, struct knet_ws_event *ev,
		 struct knet_error *err);
/* Sec-WebSocket-Accept of @key into @out (29 bytes with the NUL). */
int knet_ws_accept_key(const char *key, char *out, size_t cap);
/* A fresh Sec-WebSocket-Key (16 random bytes, base64: 25 with NUL). */
int knet_ws_make_key(char *out, size_t cap);

/* --- protobuf --- */

/*
 * The API's protobuf encoding (application/vnd.kubernetes.protobuf):
 * whether @buf starts with the "k8s\0" envelope, and the envelope's
 * object turned into the JSON tree the API's JSON would have given for
 * the fields knet's object models read (every other field is skipped).
 * Kinds: Pod, Service, Node, Namespace, Endpoints, EndpointSlice
 * (discovery.k8s.io v1 and v1beta1), Ingress (networking.k8s.io v1 and
 * v1beta1, extensions/v1beta1), their lists, and Status; others give
 * -EBADMSG.  Malformed input
 * gives -EBADMSG with a reason naming the message and field.  The
 * caller frees *@ret with cJSON_Delete.
 */
bool knet_proto_is(const void *buf, size_t len);
/*
 * One frame of a protobuf watch stream (without its 4-byte length) as
 * the JSON event {"type": "ADDED", "object": {...}} would parse.
 */
int knet_proto_watch_event(const void *buf, size_t len, cJSON **ret,
			   struct knet_error *err);
int knet_proto_to_json(const void *buf, size_t len, cJSON **ret,
		       struct knet_error *err);

/* The run-time libcurl version and its TLS library ("OpenSSL/3.0.11"). */
const char *knet_api_curl_version(void);
const char *knet_api_tls_version(void);

/* --- JSON accessors --- */

/*
 * Small cJSON accessors shared by the kubeconfig and object-model code:
 * they tolerate missing keys and wrong types (returning the fallback),
 * since API objects and kubeconfig files omit empty fields.
 */

/* obj[key] when obj is an object, else NULL (case-sensitive). */
const cJSON *knet_json_get(const cJSON *obj, const char *key);
/* The end of a knet_json_path() key list (a typed NULL). */
#define KNET_JSON_END ((const char *)NULL)
/* A path of keys: knet_json_path(o, "status", "podIP", KNET_JSON_END). */
const cJSON *knet_json_path(const cJSON *obj, ...) __attribute__((sentinel));
/* The string at obj[key], or NULL. */
const char *knet_json_str(const cJSON *obj, const char *key);
/*
 * A JSON number as a whole number: false (and *@ret untouched) when @v is
 * not a number, not finite or out of range, so untrusted input never
 * reaches an undefined double-to-integer conversion.
 */
bool knet_json_to_ll(const cJSON *v, long long *ret);
/* A number (or a numeric string) at obj[key], else @fallback. */
long long knet_json_int(const cJSON *obj, const char *key, long long fallback);
/* true/false, or the strings "true"/"false" (YAML scalars). */
bool knet_json_bool(const cJSON *obj, const char *key, bool fallback);
/* strdup of knet_json_str(), NULL when absent (or out of memory). */
char *knet_json_strdup(const cJSON *obj, const char *key);

/*
 * cJSON_Delete() for trees that may hold secrets (kubeconfigs, exec
 * plugin output, token reviews): every string is zeroed first.
 * Accepts NULL.
 */
void knet_json_wipe_delete(cJSON *json);

/* --- exec credential plugins --- */

/*
 * Exec credential plugins (client.authentication.k8s.io v1 and v1beta1).
 * The plugin runs with fork+execve and an argv array, never a shell, with
 * the kubeconfig's env added and KUBERNETES_EXEC_INFO set; its stdout is
 * an ExecCredential whose status carries a token or a client certificate
 * and key, maybe with an expirationTimestamp.  The plugin's stderr is
 * passed through (it is how plugins talk to the user).  Its stdout is
 * never repeated in an error message: it holds secrets.
 */

struct knet_exec_cred {
	char *token;
	struct knet_blob cert; /* PEM */
	struct knet_blob key;  /* PEM */
	long long expires;     /* seconds since the epoch, 0: no expiry */
};

/* Run the plugin of @kc->exec and parse what it prints. */
int knet_exec_credential_get(const struct knet_kubeconfig *kc,
			     struct knet_exec_cred *ret,
			     struct knet_error *err);

/* Parse an ExecCredential document; @cmd names the plugin in errors. */
int knet_exec_credential_parse(const char *api_version, const char *cmd,
			       const char *out, size_t len,
			       struct knet_exec_cred *ret,
			       struct knet_error *err);

void knet_exec_cred_clear(struct knet_exec_cred *c);

/*
 * Find @cmd as execvp would: as given when it has a '/', else in each
 * PATH directory (an executable regular file).  malloc'd, or NULL.
 */
char *knet_path_lookup(const char *cmd, const char *path);

#endif
