/* SPDX-License-Identifier: MIT */
/*
 * Secrets are zeroed before their memory is freed.  This test replaces
 * free() and realloc() (its own definitions win over the sanitizer's
 * and libc's): every block knet or cJSON gives back is searched for a
 * marker first.  Frees from libcurl's own code are not counted: its
 * internal copies are out of knet's reach.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/api/api-internal.h"
#include "knet/api.h"
#include "unit.h"

#define MARKER "KNETSECRETMARKER"

/*
 * From the sanitizer runtime (gcc 12 ships no header for them): block
 * sizes, and its free/realloc under their interceptor names, which this
 * test's own free/realloc pass everything on to.
 */
int __sanitizer_get_ownership(const volatile void *p);
size_t __sanitizer_get_allocated_size(const volatile void *p);
void __interceptor_free(void *p);
void *__interceptor_realloc(void *p, size_t n);

static volatile int tracking, leaks;

/*
 * free() runs before the sanitizer has set itself up: these three are
 * not instrumented.
 */
#define RAW __attribute__((no_sanitize("address", "undefined")))

/* A freed block still holding the marker, freed by knet or cJSON. */
RAW static void check_block(void *p, void *caller)
{
	Dl_info info;
	size_t n;

	if (!tracking || !p || !__sanitizer_get_ownership(p))
		return;
	n = __sanitizer_get_allocated_size(p);
	if (!memmem(p, n, MARKER, strlen(MARKER)))
		return;
	if (dladdr(caller, &info) && info.dli_fname &&
	    strstr(info.dli_fname, "libcurl"))
		return;
	leaks++;
}

RAW void free(void *p)
{
	check_block(p, __builtin_return_address(0));
	__interceptor_free(p);
}

/* A secret grown with realloc leaves its old copy behind unwiped. */
RAW void *realloc(void *p, size_t n)
{
	check_block(p, __builtin_return_address(0));
	return __interceptor_realloc(p, n);
}

/* --- an exec plugin whose output (8 KiB, so the buffer grows) is a token */

static void test_exec_output_wiped(void)
{
	char dir[] = "/tmp/knet-wipe-XXXXXX", plugin[256];
	struct knet_exec_config ex = {0};
	struct knet_kubeconfig kc = {0};
	struct knet_exec_cred c = {0};
	struct knet_error err = {0};
	FILE *f;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(plugin, sizeof(plugin), "%s/plugin", dir);
	f = fopen(plugin, "w");
	if (!f) {
		CHECK(0);
		return;
	}
	/* The token first, then padding: it is in the buffer as it grows. */
	fputs("#!/bin/sh\n"
	      "pad=$(head -c 8192 /dev/zero | tr '\\0' ' ')\n"
	      "echo \"{\\\"status\\\":{\\\"token\\\":\\\"" MARKER
	      "-exec\\\"},\\\"kind\\\":\\\"ExecCredential\\\","
	      "\\\"apiVersion\\\":\\\"client.authentication.k8s.io/v1\\\"}"
	      "$pad\"\n",
	      f);
	fclose(f);
	chmod(plugin, 0755);
	ex.api_version = "client.authentication.k8s.io/v1";
	ex.command = plugin;
	kc.server = "https://x.example";
	kc.exec = &ex;
	leaks = 0;
	tracking = 1;
	CHECK_INT(knet_exec_credential_get(&kc, &c, &err), 0);
	CHECK_STR(c.token, MARKER "-exec");
	knet_exec_cred_clear(&c);
	tracking = 0;
	CHECK_INT(leaks, 0);
	unlink(plugin);
	rmdir(dir);
}

/* --- response bodies: a get, a list page, a watch event */

static int port;
static char body_big[200000];

static const char *answer_for(const char *line, bool *stream)
{
	*stream = false;
	if (strstr(line, "GET /secret "))
		return body_big;
	if (strstr(line, "watch=1")) {
		*stream = true;
		return "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":"
		       "\"" MARKER "-w\",\"resourceVersion\":\"2\"}}}\n"
		       "{\"type\":\"DELETED\",\"object\":{}}\n";
	}
	if (strstr(line, "GET /api/v1/secrets?"))
		return "{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":"
		       "[{\"data\":{\"token\":\"" MARKER "-list\"}}]}";
	return "{}";
}

static void *serve_conn(void *arg)
{
	int fd = (int)(long)arg;
	char req[16384], line[4096], head[256];
	size_t len = 0;

	for (;;) {
		char *end;
		const char *body;
		bool stream;
		ssize_t n;

		while (!(end = memmem(req, len, "\r\n\r\n", 4))) {
			n = read(fd, req + len, sizeof(req) - len - 1);
			if (n <= 0)
				goto done;
			len += (size_t)n;
		}
		*end = '\0';
		sscanf(req, "%4095[^\r]", line);
		memmove(req, end + 4, len - (size_t)(end + 4 - req));
		len -= (size_t)(end + 4 - req);
		body = answer_for(line, &stream);
		if (stream)
			snprintf(
				head, sizeof(head),
				"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
		else
			snprintf(head, sizeof(head),
				 "HTTP/1.1 200 OK\r\nContent-Type: "
				 "application/json\r\nContent-Length: "
				 "%zu\r\n\r\n",
				 strlen(body));
		if (write(fd, head, strlen(head)) < 0 ||
		    write(fd, body, strlen(body)) < 0 || stream)
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

static int each(const cJSON *item, void *userdata)
{
	(void)item;
	(*(int *)userdata)++;
	return 0;
}

static int on_event(const char *type, const cJSON *obj, void *userdata)
{
	(void)obj;
	(void)userdata;
	return !strcmp(type, "DELETED");
}

static int relist(struct knet_api *api, char **ret_rv, void *userdata,
		  struct knet_error *err)
{
	(void)api;
	(void)userdata;
	(void)err;
	*ret_rv = strdup("1");
	return *ret_rv ? 0 : -ENOMEM;
}

static void test_bodies_wiped(void)
{
	char dir[] = "/tmp/knet-wipe-XXXXXX", path[300], text[512];
	struct knet_api_config cfg = {0};
	struct knet_error err = {0};
	struct knet_api *api = NULL;
	cJSON *j = NULL;
	int items = 0;
	size_t off;
	FILE *f;

	/* A big body: the receive buffer grows while it holds the marker. */
	off = (size_t)snprintf(body_big, sizeof(body_big),
			       "{\"token\":\"" MARKER "-get\",\"pad\":\"");
	memset(body_big + off, 'p', sizeof(body_big) - off - 3);
	memcpy(body_big + sizeof(body_big) - 3, "\"}", 3);
	if (!mkdtemp(dir) || start_server() < 0) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof(path), "%s/kubeconfig", dir);
	snprintf(text, sizeof(text),
		 "apiVersion: v1\nkind: Config\ncurrent-context: t\n"
		 "clusters:\n- name: c\n  cluster:\n"
		 "    server: http://127.0.0.1:%d\n"
		 "users:\n- name: u\n  user:\n    token: t0k\n"
		 "contexts:\n- name: t\n  context:\n    cluster: c\n"
		 "    user: u\n",
		 port);
	f = fopen(path, "w");
	if (!f) {
		CHECK(0);
		return;
	}
	fputs(text, f);
	fclose(f);
	cfg.kubeconfig = path;
	CHECK_INT(knet_api_new(&cfg, &api, &err), 0);
	if (!api)
		return;
	leaks = 0;
	tracking = 1;
	CHECK_INT(knet_api_get_json(api, "/secret", &j, &err), 0);
	CHECK(strstr(knet_json_str(j, "token") ?: "", MARKER) != NULL);
	knet_json_wipe_delete(j);
	CHECK_INT(knet_api_list(api, "/api/v1/secrets", NULL, each, &items,
				NULL, &err),
		  0);
	CHECK_INT(items, 1);
	CHECK_INT(knet_api_watch(api, "/api/v1/secrets", NULL, "1", on_event,
				 relist, NULL, &err),
		  1);
	knet_api_free(api);
	tracking = 0;
	CHECK_INT(leaks, 0);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_exec_output_wiped();
	test_bodies_wiped();
	return unit_done("test-api-wipe");
}
