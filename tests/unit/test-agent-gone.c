/* SPDX-License-Identifier: MIT */
/*
 * knet_agent_gone() (lib/agent/gone.c) against a scripted API server on
 * 127.0.0.1: the pod's GET path, and its answer read as deleted (404),
 * being deleted, ended (Failed), still there (Running) or unknown (an
 * API error).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "knet/agent.h"
#include "knet/api.h"
#include "token-client.h"
#include "unit.h"

static int port, listen_fd;
static const char *answer;
static char request[4096];
static char dir[] = "/tmp/knet-unit-gone-XXXXXX";

/* One request, one answer, then the connection closes. */
static void *serve(void *unused)
{
	int fd = accept(listen_fd, NULL, NULL);
	char head[256];

	(void)unused;
	if (fd < 0)
		return NULL;
	token_read_head(fd, request, sizeof(request));
	snprintf(head, sizeof(head),
		 "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
		 "Connection: close\r\nContent-Length: %zu\r\n\r\n",
		 answer, strlen(strchr(answer, '{')));
	if (write(fd, head, strnlen(head, sizeof(head))) < 0 ||
	    write(fd, strchr(answer, '{'), strlen(strchr(answer, '{'))) < 0)
		perror("write");
	close(fd);
	return NULL;
}

static struct knet_api *client(void)
{
	return token_client(dir, port);
}

/* knet_agent_gone() of knet-system/agent-x with the server saying @a
 * ("STATUS LINE{json}"). */
static int gone(const char *a, struct knet_error *err)
{
	const struct knet_agent_ref ref = {
		.ns = "knet-system", .pod = "agent-x", .container = "knet"};
	struct knet_api *api = client();
	pthread_t t;
	int r;

	answer = a;
	memset(err, 0, sizeof(*err));
	if (!api || pthread_create(&t, NULL, serve, NULL))
		return -ENOMEM;
	r = knet_agent_gone(api, &ref, err);
	pthread_join(t, NULL);
	knet_api_free(api);
	return r;
}

int main(void)
{
	struct knet_error err;
	char path[300];

	if (!mkdtemp(dir))
		return 1;
	listen_fd = token_listen(&port);
	if (listen_fd < 0)
		return 1;

	/* deleted: the API's 404 */
	CHECK_INT(gone("404 Not Found{\"kind\":\"Status\",\"message\":"
		       "\"pods \\\"agent-x\\\" not found\"}",
		       &err),
		  1);
	CHECK(!strncmp(
		request, "GET /api/v1/namespaces/knet-system/pods/agent-x ",
		strlen("GET /api/v1/namespaces/knet-system/pods/agent-x ")));
	CHECK_STR(err.reason,
		  "the agent pod knet-system/agent-x went away mid-run "
		  "(deleted)");
	CHECK_INT(err.exit, KNET_EXIT_SYSTEM);
	/* being deleted (graceful), and ended */
	CHECK_INT(gone("200 OK{\"metadata\":{\"name\":\"agent-x\","
		       "\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"},"
		       "\"status\":{\"phase\":\"Running\"}}",
		       &err),
		  1);
	CHECK_STR(err.reason,
		  "the agent pod knet-system/agent-x went away mid-run "
		  "(being deleted)");
	CHECK_INT(gone("200 OK{\"metadata\":{\"name\":\"agent-x\"},"
		       "\"status\":{\"phase\":\"Failed\"}}",
		       &err),
		  1);
	CHECK_STR(
		err.reason,
		"the agent pod knet-system/agent-x went away mid-run (ended)");
	/* still there: the remote run died by itself; no error left */
	CHECK_INT(gone("200 OK{\"metadata\":{\"name\":\"agent-x\"},"
		       "\"status\":{\"phase\":\"Running\"}}",
		       &err),
		  0);
	CHECK_STR(err.reason, "");
	/* the API cannot tell */
	CHECK(gone("403 Forbidden{\"kind\":\"Status\",\"message\":\"no\"}",
		   &err) < 0);
	close(listen_fd);
	snprintf(path, sizeof(path), "%s/kubeconfig", dir);
	unlink(path);
	rmdir(dir);
	return unit_done("agent-gone");
}
