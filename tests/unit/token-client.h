/* SPDX-License-Identifier: MIT */
#ifndef KNET_UNIT_TOKEN_CLIENT_H
#define KNET_UNIT_TOKEN_CLIENT_H

/*
 * An API client of a kubeconfig written into @dir: server
 * http://127.0.0.1:@port, a bearer token "tok".  For tests whose
 * scripted server listens on that port (test-exec, test-agent-gone).
 */
#include <stdio.h>

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

#endif
