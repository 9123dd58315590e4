/* SPDX-License-Identifier: MIT */
/*
 * The API client against a scripted HTTP server on 127.0.0.1: paging
 * with continue (each page read as it arrives), retries on 429/5xx
 * with Retry-After, Status errors, a re-read tokenFile on 401, the
 * request timeout, and a watch that re-lists on 410 Gone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "free-check.h"
#include "knet/api.h"
#include "unit.h"

/* The scripts below leave delay and streaming out when they are unused. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* One scripted answer: for a request whose line contains @match. */
struct answer {
	const char *match;
	int status;
	const char *headers; /* extra header lines, "\r\n"-terminated */
	const char *body;
	int delay_ms;
	bool stream; /* no Content-Length, close after the body */
};

#define MAX_SEEN 64

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const struct answer *script;
static int nscript, next_answer;
static char seen[MAX_SEEN][512];
static char seen_auth[MAX_SEEN][128];
static int nseen;
static int port;
static char dir[] = "/tmp/knet-http-XXXXXX";

static const struct answer *take(const char *line, const char *auth)
{
	const struct answer *a = NULL;

	pthread_mutex_lock(&lock);
	if (nseen < MAX_SEEN) {
		snprintf(seen[nseen], sizeof(seen[0]), "%.511s", line);
		snprintf(seen_auth[nseen], sizeof(seen_auth[0]), "%s", auth);
		nseen++;
	}
	if (next_answer < nscript && strstr(line, script[next_answer].match))
		a = &script[next_answer++];
	pthread_mutex_unlock(&lock);
	return a;
}

static void *serve_conn(void *arg)
{
	int fd = (int)(long)arg;
	char req[8192];
	size_t len = 0;

	for (;;) {
		char line[8192] = "", auth[128] = "", *end, *h, out[512];
		const struct answer *a;
		ssize_t n;

		while (!(end = memmem(req, len, "\r\n\r\n", 4))) {
			n = read(fd, req + len, sizeof(req) - len - 1);
			if (n <= 0)
				goto done;
			len += (size_t)n;
		}
		*end = '\0';
		sscanf(req, "%8191[^\r]", line);
		h = strcasestr(req, "\r\nAuthorization: ");
		if (h)
			sscanf(h + 17, "%127[^\r]", auth);
		memmove(req, end + 4, len - (size_t)(end + 4 - req));
		len -= (size_t)(end + 4 - req);
		a = take(line, auth);
		if (!a) {
			const char *nf = "{\"kind\":\"Status\",\"message\":"
					 "\"unscripted\",\"code\":500}";

			snprintf(out, sizeof(out),
				 "HTTP/1.1 500 Oops\r\nContent-Length: %zu\r\n"
				 "\r\n%s",
				 strlen(nf), nf);
			if (write(fd, out, strlen(out)) < 0)
				goto done;
			continue;
		}
		if (a->delay_ms)
			usleep((useconds_t)a->delay_ms * 1000);
		if (a->stream)
			snprintf(out, sizeof(out),
				 "HTTP/1.1 %d X\r\nContent-Type: "
				 "application/json\r\nConnection: close\r\n%s"
				 "\r\n",
				 a->status, a->headers ? a->headers : "");
		else
			snprintf(out, sizeof(out),
				 "HTTP/1.1 %d X\r\nContent-Type: "
				 "application/json\r\nContent-Length: %zu\r\n%s"
				 "\r\n",
				 a->status, strlen(a->body),
				 a->headers ? a->headers : "");
		if (write(fd, out, strlen(out)) < 0 ||
		    write(fd, a->body, strlen(a->body)) < 0 || a->stream)
			goto done;
	}
done:
	close(fd);
	return NULL;
}

static void *serve(void *arg)
{
	int lfd = (int)(long)arg;

	for (;;) {
		pthread_t t;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			return NULL;
		pthread_create(&t, NULL, serve_conn, (void *)(long)fd);
		pthread_detach(t);
	}
}

static int start_server(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	pthread_t t;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	port = ntohs(sa.sin_port);
	pthread_create(&t, NULL, serve, (void *)(long)fd);
	pthread_detach(t);
	return 0;
}

static void set_script(const struct answer *a, int n)
{
	pthread_mutex_lock(&lock);
	script = a;
	nscript = n;
	next_answer = 0;
	nseen = 0;
	pthread_mutex_unlock(&lock);
}

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* What the client logged at -vv. */
static char logged[32][256];
static size_t logged_len[32]; /* whole, as the line may be longer */
static int nlogged;

static void on_log(void *userdata, const char *line)
{
	(void)userdata;
	if (nlogged < 32) {
		logged_len[nlogged] = strlen(line);
		snprintf(logged[nlogged++], sizeof(logged[0]), "%s", line);
	}
}

/* A client for the scripted server; @user is the kubeconfig user. */
static struct knet_api *client(const char *user, const char *timeout)
{
	struct knet_api_config cfg = {
		.request_timeout = timeout,
		.verbose = 2,
		.log = on_log,
	};
	struct knet_error err = {0};
	struct knet_api *api = NULL;
	char text[1024], path[256];

	snprintf(text, sizeof(text),
		 "apiVersion: v1\nkind: Config\ncurrent-context: t\n"
		 "clusters:\n- name: c\n  cluster:\n"
		 "    server: http://127.0.0.1:%d\n"
		 "users:\n- name: u\n  user:\n%s\n"
		 "contexts:\n- name: t\n  context:\n    cluster: c\n"
		 "    user: u\n    namespace: t\n",
		 port, user);
	write_file("kubeconfig", text);
	snprintf(path, sizeof(path), "%s/kubeconfig", dir);
	cfg.kubeconfig = path;
	CHECK_INT(knet_api_new(&cfg, &api, &err), 0);
	return api;
}

struct names {
	char v[16][32];
	int n;
};

static int collect(const cJSON *item, void *userdata)
{
	struct names *n = userdata;
	const char *name =
		knet_json_str(knet_json_get(item, "metadata"), "name");

	if (n->n < 16)
		snprintf(n->v[n->n++], sizeof(n->v[0]), "%s",
			 name ? name : "?");
	return 0;
}

static void test_list_pages(void)
{
	static const struct answer a[] = {
		{"GET /api/v1/namespaces/t/pods?limit=2&labelSelector=app%3Dweb"
		 " ",
		 200, NULL,
		 "{\"metadata\":{\"resourceVersion\":\"9\",\"continue\":"
		 "\"c/1\"},\"items\":[{\"metadata\":{\"name\":\"a\"}},"
		 "{\"metadata\":{\"name\":\"b\"}}]}"},
		{"&continue=c%2F1 ", 200, NULL,
		 "{\"metadata\":{\"resourceVersion\":\"9\",\"continue\":"
		 "\"c2\"},\"items\":[{\"metadata\":{\"name\":\"c\"}},"
		 "{\"metadata\":{\"name\":\"d\"}}]}"},
		{"&continue=c2 ", 200, NULL,
		 "{\"metadata\":{\"resourceVersion\":\"10\"},\"items\":"
		 "[{\"metadata\":{\"name\":\"e\"}}]}"},
	};
	struct knet_list_opts o = {.label_selector = "app=web", .limit = 2};
	struct knet_api *api = client("    token: t0k", NULL);
	struct knet_error err = {0};
	struct names n = {0};
	char *rv = NULL;

	if (!api)
		return;
	set_script(a, 3);
	CHECK_INT(knet_api_list(api, "/api/v1/namespaces/t/pods", &o, collect,
				&n, &rv, &err),
		  0);
	CHECK_INT(n.n, 5);
	CHECK_STR(n.v[0], "a");
	CHECK_STR(n.v[4], "e");
	CHECK_STR(rv, "10");
	CHECK_INT(nseen, 3);
	CHECK_STR(seen_auth[0], "Bearer t0k");
	CHECK_STR(seen_auth[2], "Bearer t0k");
	free(rv);
	knet_api_free(api);
}

/*
 * strdup that fails for one chosen string.  libknet is linked into this
 * test statically, so its calls resolve here: no hook in lib/ needed.
 */
static const char *fail_strdup_of;

char *strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d;

	if (fail_strdup_of && !strcmp(s, fail_strdup_of)) {
		errno = ENOMEM;
		return NULL;
	}
	d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

/*
 * Nothing is cut or lost on the way: a continue token that cannot be
 * copied fails the list (it used to end it after one page, exit 0), a
 * long one goes out whole, and the -v line shows the whole URL.
 */
static void test_list_never_truncated(void)
{
	static char long_token[6001], page1[6200], match[6100];
	static const char *sel = "app in (a,b),tier!=x&y";
	struct answer a[3] = {
		{"GET /api/v1/pods?limit=500 ", 200, NULL,
		 "{\"metadata\":{\"continue\":\"tok/2\"},\"items\":"
		 "[{\"metadata\":{\"name\":\"a\"}}]}"},
	};
	struct knet_list_opts o = {.label_selector = sel};
	struct knet_api *api = client("    token: t0k", NULL);
	struct knet_error err = {0};
	struct names n = {0};
	bool whole = false;

	if (!api)
		return;
	set_script(a, 1);
	fail_strdup_of = "tok/2";
	CHECK_INT(knet_api_list(api, "/api/v1/pods", NULL, collect, &n, NULL,
				&err),
		  -ENOMEM);
	fail_strdup_of = NULL;
	CHECK_INT(err.exit, KNET_EXIT_SYSTEM);
	CHECK_STR(err.reason, "out of memory");
	CHECK_INT(nseen, 1);

	/* A 6000-byte token and a selector that needs escaping. */
	memset(long_token, 'k', 6000);
	snprintf(page1, sizeof(page1),
		 "{\"metadata\":{\"continue\":\"%s\"},\"items\":"
		 "[{\"metadata\":{\"name\":\"a\"}}]}",
		 long_token);
	snprintf(match, sizeof(match), "&continue=%s ", long_token);
	a[0] = (struct answer){
		"GET /api/v1/pods?limit=500&labelSelector=app%20in%20%28a%2Cb"
		"%29%2Ctier%21%3Dx%26y ",
		200, NULL, page1};
	a[1] = (struct answer){match, 200, NULL,
			       "{\"metadata\":{},\"items\":[{\"metadata\":"
			       "{\"name\":\"b\"}}]}"};
	set_script(a, 2);
	n.n = 0;
	nlogged = 0;
	CHECK_INT(
		knet_api_list(api, "/api/v1/pods", &o, collect, &n, NULL, &err),
		0);
	CHECK_INT(n.n, 2);
	CHECK_STR(n.v[1], "b");
	for (int i = 0; i < nlogged; i++)
		if (strstr(logged[i], "continue=kkkk"))
			whole = logged_len[i] > 6000;
	CHECK(whole);
	CHECK_INT(nseen, 2);
	knet_api_free(api);
}

static void test_retries_and_errors(void)
{
	static const struct answer a[] = {
		{"GET /api/v1/nodes ", 429, "Retry-After: 0\r\n",
		 "{\"kind\":\"Status\",\"message\":\"slow down\"}"},
		{"GET /api/v1/nodes ", 200, NULL, "{\"kind\":\"NodeList\"}"},
		{"GET /x ", 503, NULL, "{\"message\":\"down\"}"},
		{"GET /x ", 503, NULL, "{\"message\":\"down\"}"},
		{"GET /x ", 503, NULL, "{\"message\":\"still down\"}"},
		{"GET /api/v1/namespaces/t/pods/nope ", 404, NULL,
		 "{\"kind\":\"Status\",\"message\":\"pods \\\"nope\\\" not "
		 "found\",\"reason\":\"NotFound\",\"code\":404}"},
		{"GET /api/v1/secrets ", 403, NULL,
		 "{\"kind\":\"Status\",\"message\":\"secrets is forbidden: "
		 "User \\\"u\\\" cannot list\",\"code\":403}"},
		{"GET /r ", 302, "Location: http://example.com/\r\n", "{}"},
	};
	struct knet_api *api = client("    token: t0k", NULL);
	struct knet_error err = {0};
	cJSON *j = NULL;

	if (!api)
		return;
	set_script(a, 8);
	CHECK_INT(knet_api_get_json(api, "/api/v1/nodes", &j, &err), 0);
	CHECK_STR(knet_json_str(j, "kind"), "NodeList");
	cJSON_Delete(j);
	/* Three tries for a 5xx, then the last Status message. */
	CHECK_INT(knet_api_get_json(api, "/x", &j, &err), -EIO);
	CHECK_STR(err.reason, "still down");
	CHECK_INT(err.exit, KNET_EXIT_API);
	CHECK_INT(knet_api_get_json(api, "/api/v1/namespaces/t/pods/nope", &j,
				    &err),
		  -ENOENT);
	CHECK_INT(err.exit, KNET_EXIT_NOT_FOUND);
	CHECK_STR(err.reason, "pods \"nope\" not found");
	CHECK_INT(knet_api_get_json(api, "/api/v1/secrets", &j, &err), -EPERM);
	CHECK_STR(err.reason, "secrets is forbidden: User \"u\" cannot list");
	/* Redirects are not followed. */
	CHECK_INT(knet_api_get_json(api, "/r", &j, &err), -EIO);
	CHECK_INT(nseen, 8);
	knet_api_free(api);
}

static void test_token_file_and_timeout(void)
{
	static const struct answer a[] = {
		{"GET /api ", 401, NULL,
		 "{\"kind\":\"Status\",\"message\":\"Unauthorized\"}"},
		{"GET /api ", 200, NULL, "{\"kind\":\"APIVersions\"}"},
		{"GET /slow ", 200, NULL, "{}", 1500},
	};
	struct knet_api *api;
	struct knet_error err = {0};
	char user[300];
	cJSON *j = NULL;

	write_file("token", "old-token\n");
	snprintf(user, sizeof(user), "    tokenFile: %s/token", dir);
	api = client(user, "300ms");
	if (!api)
		return;
	set_script(a, 3);
	/* The file changes; on the 401 it is read again. */
	CHECK_INT(knet_api_get_json(api, "/api", &j, &err), 0);
	write_file("token", "new-token\n");
	cJSON_Delete(j);
	set_script(a, 3);
	CHECK_INT(knet_api_get_json(api, "/api", &j, &err), 0);
	cJSON_Delete(j);
	CHECK_INT(nseen, 2);
	CHECK_STR(seen_auth[0], "Bearer old-token");
	CHECK_STR(seen_auth[1], "Bearer new-token");
	CHECK_INT(knet_api_get_json(api, "/slow", &j, &err), -ETIMEDOUT);
	CHECK(strstr(err.reason, "timed out (--request-timeout)") != NULL);
	knet_api_free(api);
}

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/*
 * Headers from the server are parsed with bounds: a Retry-After too big
 * for "seconds * 1000" (UB, caught by UBSan) and a Warning with no
 * value (a precision of -1 for "%.*s") used to be taken as they came.
 */
static void test_header_bounds(void)
{
	static const struct answer a[] = {
		{"GET /huge ", 429, "Retry-After: 99999999999999999999\r\n",
		 "{\"kind\":\"Status\",\"message\":\"slow down\"}"},
		{"GET /neg ", 429, "Retry-After: -5\r\n",
		 "{\"kind\":\"Status\",\"message\":\"slow down\"}"},
		{"GET /neg ", 200, NULL, "{}"},
		{"GET /warn ", 200,
		 "Warning:\nWarning: 299 - \"x\x1b[31mred\"\r\n", "{}"},
	};
	struct knet_api *api = client("    token: t0k", NULL);
	struct knet_error err = {0};
	cJSON *j = NULL;
	int warnings = 0;
	long t0;

	if (!api)
		return;
	set_script(a, 4);
	/* More than the 5 s budget: the error at once, no wait. */
	t0 = mono_ms();
	CHECK_INT(knet_api_get_json(api, "/huge", &j, &err), -EAGAIN);
	CHECK(mono_ms() - t0 < 1000);
	CHECK_STR(err.reason, "slow down");
	CHECK_INT(nseen, 1);
	/* Not a number of seconds: the usual backoff, then the answer. */
	CHECK_INT(knet_api_get_json(api, "/neg", &j, &err), 0);
	cJSON_Delete(j);
	CHECK_INT(nseen, 3);
	nlogged = 0;
	CHECK_INT(knet_api_get_json(api, "/warn", &j, &err), 0);
	cJSON_Delete(j);
	for (int i = 0; i < nlogged; i++) {
		CHECK(!strpbrk(logged[i], "\r\n\x1b"));
		if (!strncmp(logged[i], "server warning:", 15))
			warnings++;
	}
	/* The empty one says nothing; the other is escaped. */
	CHECK_INT(warnings, 1);
	for (int i = 0; i < nlogged; i++)
		if (!strncmp(logged[i], "server warning:", 15))
			CHECK_STR(logged[i],
				  "server warning: 299 - \"x\\x1b[31mred\"");
	knet_api_free(api);
}

/* A Content-Length far above the body costs no more than the body. */
static void test_content_length_lie(void)
{
	static const struct answer a[] = {
		{"GET /lie ", 200, "Content-Length: 2147483646\r\n", "{}", 0,
		 true},
	};
	struct knet_api *api = client("    token: t0k", NULL);
	struct knet_error err = {0};
	struct rusage before, after;
	cJSON *j = NULL;

	if (!api)
		return;
	set_script(a, 1);
	getrusage(RUSAGE_SELF, &before);
	/* The body ends short of its length: an error, not 2 GiB. */
	CHECK(knet_api_get_json(api, "/lie", &j, &err) < 0);
	cJSON_Delete(j);
	knet_api_free(api);
	getrusage(RUSAGE_SELF, &after);
	/* ru_maxrss is in KiB; 2 GiB touched would show as 2097152. */
	CHECK(after.ru_maxrss - before.ru_maxrss < 256 * 1024);
}

static int count_items(const cJSON *item, void *userdata)
{
	(void)item;
	(*(int *)userdata)++;
	return 0;
}

static int stop_on_deleted(const char *type, const cJSON *obj, void *userdata)
{
	(void)obj;
	(void)userdata;
	return !strcmp(type, "DELETED");
}

static int relist_never(struct knet_api *api, char **ret_rv, void *userdata,
			struct knet_error *err)
{
	(void)api;
	(void)ret_rv;
	(void)userdata;
	return knet_error_set(err, -EIO, KNET_EXIT_API, "no relist here");
}

/*
 * Response bodies may hold tokens (a Secret, a TokenReview): the receive
 * buffer (grown while holding one), list-page arenas, the watch line
 * buffer and event trees are zeroed before they are freed.
 */
static void test_bodies_wiped(void)
{
	static char big[200000];
	static const struct answer a[] = {
		{"GET /secret ", 200, NULL, big},
		{"GET /api/v1/secrets?limit=500 ", 200, NULL,
		 "{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":"
		 "[{\"data\":{\"token\":\"SECRET-list\"}}]}"},
		{"GET /api/v1/secrets?watch=1", 200, NULL,
		 "{\"type\":\"ADDED\",\"object\":{\"data\":{\"token\":"
		 "\"SECRET-watch\"},\"metadata\":{\"resourceVersion\":\"2\"}}}"
		 "\n"
		 "{\"type\":\"DELETED\",\"object\":{}}\n",
		 0, true},
	};
	struct knet_api *api = client("    token: t0k", NULL);
	struct knet_error err = {0};
	cJSON *j = NULL;
	int items = 0;
	size_t off;

	if (!api)
		return;
	off = (size_t)snprintf(big, sizeof(big),
			       "{\"token\":\"SECRET-get\",\"pad\":\"");
	memset(big + off, 'p', sizeof(big) - off - 3);
	memcpy(big + sizeof(big) - 3, "\"}", 3);
	set_script(a, 3);
	free_check_start("SECRET-");
	CHECK_INT(knet_api_get_json(api, "/secret", &j, &err), 0);
	CHECK_STR(knet_json_str(j, "token"), "SECRET-get");
	knet_json_wipe_delete(j);
	CHECK_INT(knet_api_list(api, "/api/v1/secrets", NULL, count_items,
				&items, NULL, &err),
		  0);
	CHECK_INT(items, 1);
	CHECK_INT(knet_api_watch(api, "/api/v1/secrets", NULL, "1",
				 stop_on_deleted, relist_never, NULL, &err),
		  1);
	knet_api_free(api);
	CHECK_INT(free_check_stop(), 0);
	CHECK_INT(nseen, 3);
}

struct watch_log {
	char events[16][64];
	int n;
	int relists;
};

static int on_event(const char *type, const cJSON *obj, void *userdata)
{
	struct watch_log *w = userdata;
	const char *name =
		knet_json_str(knet_json_get(obj, "metadata"), "name");

	if (w->n < 16)
		snprintf(w->events[w->n++], sizeof(w->events[0]), "%s %s", type,
			 name ? name : "-");
	return !strcmp(type, "DELETED") ? 1 : 0;
}

static int relist(struct knet_api *api, char **ret_rv, void *userdata,
		  struct knet_error *err)
{
	struct watch_log *w = userdata;

	(void)api;
	(void)err;
	w->relists++;
	*ret_rv = strdup(w->relists == 1 ? "5" : "20");
	return 0;
}

static void test_watch(void)
{
	static const struct answer a[] = {
		{"?watch=1&resourceVersion=5&allowWatchBookmarks=true", 200,
		 NULL,
		 "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"x\","
		 "\"resourceVersion\":\"6\"}}}\n{\"type\":\"MODIFIED\","
		 "\"object\":{\"metadata\":{\"name\":\"y\",\"resourceVersion"
		 "\":\"7\"}}}\n",
		 0, true},
		/* the stream ended: resume from the last version seen */
		{"?watch=1&resourceVersion=7&", 200, NULL,
		 "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\","
		 "\"code\":410,\"message\":\"too old resource version\"}}\n",
		 0, true},
		{"?watch=1&resourceVersion=20&", 200, NULL,
		 "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{"
		 "\"resourceVersion\":\"21\"}}}\n{\"type\":\"DELETED\","
		 "\"object\":{\"metadata\":{\"name\":\"z\"}}}\n",
		 0, true},
	};
	struct knet_api *api = client("    token: t0k", NULL);
	struct knet_error err = {0};
	struct watch_log w = {0};

	if (!api)
		return;
	set_script(a, 3);
	CHECK_INT(knet_api_watch(api, "/api/v1/namespaces/t/pods", NULL, NULL,
				 on_event, relist, &w, &err),
		  1);
	CHECK_INT(w.relists, 2);
	CHECK_INT(w.n, 4);
	CHECK_STR(w.events[0], "ADDED x");
	CHECK_STR(w.events[1], "MODIFIED y");
	CHECK_STR(w.events[2], "BOOKMARK -");
	CHECK_STR(w.events[3], "DELETED z");
	CHECK_INT(nseen, 3);
	knet_api_free(api);
}

int main(void)
{
	/*
	 * A client that gave up (a timeout under load) closes its end: the
	 * scripted server's write() must fail, not kill the whole test
	 * with SIGPIPE before its buffered output is out.
	 */
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir) || start_server() < 0) {
		perror("setup");
		return 1;
	}
	test_list_pages();
	test_retries_and_errors();
	test_list_never_truncated();
	test_token_file_and_timeout();
	test_header_bounds();
	test_content_length_lie();
	test_watch();
	test_bodies_wiped();
	unlink("/tmp/x");
	{
		char p[300];

		snprintf(p, sizeof(p), "%s/kubeconfig", dir);
		unlink(p);
		snprintf(p, sizeof(p), "%s/token", dir);
		unlink(p);
		rmdir(dir);
	}
	return unit_done("test-api-http");
}
