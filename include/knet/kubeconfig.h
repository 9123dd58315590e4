/* SPDX-License-Identifier: MIT */
#ifndef KNET_KUBECONFIG_H
#define KNET_KUBECONFIG_H

/*
 * Kubeconfig resolution, as kubectl does it.
 *
 * --kubeconfig FILE reads that file only.  Otherwise KUBECONFIG is a
 * colon-separated list of files merged in order: missing files are
 * skipped, the first file to set a map key (a cluster, user or context
 * name) wins whole, current-context comes from the first file that sets
 * it, and relative paths are resolved against the directory of the file
 * that named them.  Without KUBECONFIG, ~/.kube/config; without that,
 * the in-cluster service account (KUBERNETES_SERVICE_HOST/PORT, token
 * and ca.crt).
 *
 * Which credential is used follows client-go 1.20 (clientcmd
 * client_config.go, transport/round_trippers.go, exec.go), because the
 * server, not the client, decides between those that are sent:
 *  - token and tokenFile: the file is re-read and wins while it can be
 *    read and is not empty; the token is the fallback.  tokenFile alone
 *    must be readable at start.
 *  - a bearer token (either) turns the exec plugin off; a plugin's token
 *    never replaces username/password; a static client certificate wins
 *    over a plugin's certificate.
 *  - a client certificate is sent along with any token or password (the
 *    apiserver tries x509 first); a client key without a certificate is
 *    ignored.
 *  - token with username/password, exec with auth-provider, file with
 *    *-data for the same item: errors, as in kubectl.
 *  - auth-provider is not supported: an error when it would be the
 *    credential, ignored when a token or password is sent instead (its
 *    round tripper leaves an Authorization header alone).
 *  - one difference: client-go sends no credential to a plain http://
 *    server; knet still does (see doc/design-notes.md).
 *
 * All errors are reported with KNET_EXIT_API: whatever is wrong with the
 * configuration, the cluster cannot be used.
 */

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "knet/base.h"

/*
 * kubectl's global options that override the kubeconfig (NULL or false:
 * not given), with kubectl's precedence: --cluster and --user pick
 * entries (which must then exist); --server replaces the cluster's
 * server and drops its tls-server-name unless --tls-server-name is given
 * too; --certificate-authority or --insecure-skip-tls-verify replace
 * all three of the cluster's CA, CA data and insecure flag; --token
 * replaces the user's token (in-cluster: also the service-account
 * token file); --as and --as-group replace the user's as/as-groups.
 */
struct knet_kubeconfig_overrides {
	const char *cluster;
	const char *user;
	const char *server;
	const char *token;
	const char *ca_file;
	bool insecure;
	const char *tls_server_name;
	const char *as;
	const char *const *as_groups; /* NULL-terminated, NULL for none */
};

struct knet_kubeconfig_opts {
	const char *path;    /* --kubeconfig, NULL to search */
	const char *context; /* --context, NULL for current-context */
	const struct knet_kubeconfig_overrides *overrides; /* NULL: none */
	/*
	 * Test hooks, NULL for the real thing: the environment lookup
	 * (getenv) and the service-account directory
	 * (/var/run/secrets/kubernetes.io/serviceaccount).
	 */
	const char *(*getenv)(const char *name);
	const char *sa_dir;
};

/* One name=value of an exec plugin's env list. */
struct knet_kv {
	char *key;
	char *value;
};

struct knet_exec_config {
	char *api_version; /* client.authentication.k8s.io/v1 or v1beta1 */
	char *command;	   /* resolved against the kubeconfig if it has a / */
	char **args;	   /* NULL-terminated, without argv[0] */
	struct knet_kv *env;
	int nenv;
	char *install_hint;
	bool provide_cluster_info;
	char *interactive_mode; /* Never, IfAvailable, Always; may be NULL */
};

struct knet_kubeconfig {
	char *source;	    /* the file(s) read, or "in-cluster", for errors */
	char *context_name; /* NULL in-cluster */
	char *cluster_name;
	char *user_name;
	char *namespace; /* the context's, NULL when unset */

	/* cluster */
	char *server;
	char *ca_file;
	struct knet_blob ca_data;
	bool insecure;
	char *tls_server_name;
	char *proxy_url;
	bool disable_compression; /* disable-compression (kubectl 1.26+) */

	/*
	 * user: only the credentials that are sent (see above).  exec is
	 * NULL when a bearer token is set; username and password are set
	 * together or not at all.
	 */
	char *cert_file;
	struct knet_blob cert_data;
	char *key_file;
	struct knet_blob key_data;
	char *token;	  /* static token; the fallback when token_file fails */
	char *token_file; /* re-read (knet_kubeconfig_read_token) */
	char *username;
	char *password;
	struct knet_exec_config *exec;
	/* Impersonate-User / Impersonate-Group; groups NULL-terminated. */
	char *impersonate_user;
	char **impersonate_groups;
	bool in_cluster;
};

int knet_kubeconfig_load(const struct knet_kubeconfig_opts *opts,
			 struct knet_kubeconfig **ret_kc,
			 struct knet_error *err);
void knet_kubeconfig_free(struct knet_kubeconfig *kc);

/*
 * Load from an already parsed and merged document (cJSON tree of the
 * kubeconfig), for the tests and for the merge code.  @source names it
 * in errors.
 */
int knet_kubeconfig_from_json(const cJSON *doc, const char *context,
			      const struct knet_kubeconfig_overrides *ov,
			      const char *source,
			      struct knet_kubeconfig **ret_kc,
			      struct knet_error *err);

/*
 * The bearer token to send now: token_file's content (surrounding white
 * space trimmed) while it reads and is not empty, else the static token,
 * as client-go's refreshing bearer round tripper does.  *ret_token is
 * NULL when neither is set.  The caller wipes and frees it.
 */
int knet_kubeconfig_read_token(const struct knet_kubeconfig *kc,
			       char **ret_token, struct knet_error *err);

/*
 * Read and merge a list of files (KUBECONFIG semantics) into one cJSON
 * document.  @required makes a missing file an error (--kubeconfig).
 * Returns -ENOENT with no error set when no file exists.
 */
int knet_kubeconfig_merge_files(const char *const *paths, int n, bool required,
				cJSON **ret_doc, struct knet_error *err);
/*
 * The same merge over texts already in memory (@paths[i] names
 * @texts[i], for errors and relative paths): what the fuzzer drives,
 * without files.  Returns -ENOENT with no error set when @n is 0.
 */
int knet_kubeconfig_merge_texts(const char *const *paths,
				const char *const *texts, int n,
				cJSON **ret_doc, struct knet_error *err);

/*
 * YAML (or JSON, a YAML subset) to cJSON: mappings become objects,
 * sequences arrays, scalars strings (null for ~/null/empty plain
 * scalars).  Only the first document is read.  Anchors and aliases are
 * refused.
 */
int knet_yaml_parse(const char *text, size_t len, cJSON **ret_json,
		    struct knet_error *err);

/*
 * Every document of a YAML stream ("---" separated) as a cJSON array,
 * an empty document as null so that index i is document i + 1.  On a
 * syntax error, *@ret_failed_doc says which document (1-based).
 */
int knet_yaml_parse_documents(const char *text, size_t len, cJSON **ret_docs,
			      int *ret_failed_doc, struct knet_error *err);
/* The run-time libyaml version, for `knet version`. */
const char *knet_yaml_version(void);

#endif
