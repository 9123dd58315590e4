/* SPDX-License-Identifier: MIT */
#ifndef KNET_K8S_EXEC_H
#define KNET_K8S_EXEC_H

/*
 * Exec credential plugins (client.authentication.k8s.io v1 and v1beta1).
 * The plugin runs with fork+execve and an argv array, never a shell, with
 * the kubeconfig's env added and KUBERNETES_EXEC_INFO set; its stdout is
 * an ExecCredential whose status carries a token or a client certificate
 * and key, maybe with an expirationTimestamp.  The plugin's stderr is
 * passed through (it is how plugins talk to the user).  Its stdout is
 * never repeated in an error message: it holds secrets.
 */

#include "knet/error.h"
#include "knet/kubeconfig.h"

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
