/* SPDX-License-Identifier: MIT */
#ifndef KNET_UNIT_TOKEN_CLIENT_H
#define KNET_UNIT_TOKEN_CLIENT_H

/*
 * A scripted API server's client: a kubeconfig written into @dir: server
 * http://127.0.0.1:@port, a bearer token "tok".  For tests whose
 * scripted server listens on that port (test-exec, test-agent-gone).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "knet/api.h"
#include "unit.h"

static inline struct knet_api *token_client(const char *dir, int port)
{
	struct knet_api_config cfg = {0};
	struct knet_error err = {0};
	struct knet_api *api = NULL;
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/kubeconfig", dir);
	f = fopen(path, "w");
	if (!f)
		return NULL;
	fprintf(f,
		"apiVersion: v1\nkind: Config\ncurrent-context: t\n"
		"clusters:\n- name: c\n  cluster:\n"
		"    server: http://127.0.0.1:%d\n"
		"users:\n- name: u\n  user:\n    token: tok\n"
		"contexts:\n- name: t\n  context:\n    cluster: c\n"
		"    user: u\n",
		port);
	fclose(f);
	cfg.kubeconfig = path;
	CHECK_INT(knet_api_new(&cfg, &api, &err), 0);
	return api;
}

/*
 * A listening socket on 127.0.0.1 (any port: *@ret_port) for the
 * scripted server to accept on; -1 when it cannot be had.
 */
static inline int token_listen(int *ret_port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	*ret_port = ntohs(sa.sin_port);
	return fd;
}

/* A request's head from @fd into @buf (NUL-terminated), up to CRLFCRLF. */
static inline void token_read_head(int fd, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	while (len < size - 1 && !strstr(buf, "\r\n\r\n")) {
		ssize_t r = read(fd, buf + len, size - 1 - len);

		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
	}
}

#endif
