/* SPDX-License-Identifier: MIT */
/* Exec credential plugins: run, read, parse (see knet/api.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api-internal.h"
#include "knet/api.h"

#define EXEC_OUTPUT_MAX (1u << 20)
#define EXEC_TIMEOUT_MS 60000

extern char **environ;

void knet_exec_cred_clear(struct knet_exec_cred *c)
{
	if (!c)
		return;
	knet_wipe_free(c->token);
	knet_blob_clear(&c->cert);
	knet_blob_clear(&c->key);
	memset(c, 0, sizeof(*c));
}

char *knet_path_lookup(const char *cmd, const char *path)
{
	const char *p, *end;
	struct stat st;
	char *full;

	if (!cmd || !*cmd)
		return NULL;
	if (strchr(cmd, '/'))
		return access(cmd, X_OK) == 0 ? strdup(cmd) : NULL;
	for (p = path ?: "/usr/local/bin:/usr/bin:/bin"; p;
	     p = end ? end + 1 : NULL) {
		int n;

		end = strchr(p, ':');
		n = end ? (int)(end - p) : (int)strlen(p);
		if (asprintf(&full, "%.*s/%s", n, n ? p : ".", cmd) < 0)
			return NULL;
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(full, X_OK) == 0)
			return full;
		free(full);
	}
	return NULL;
}

static int blob_from_str(const char *s, struct knet_blob *b)
{
	b->data = (unsigned char *)strdup(s);
	if (!b->data)
		return -ENOMEM;
	b->len = strlen(s);
	return 0;
}

int knet_exec_credential_parse(const char *api_version, const char *cmd,
			       const char *out, size_t len,
			       struct knet_exec_cred *ret,
			       struct knet_error *err)
{
	struct knet_exec_cred c = {0};
	const char *kind, *ver, *tok, *cert, *key, *exp;
	const cJSON *st;
	cJSON *doc;
	int r = -EINVAL;

	doc = cJSON_ParseWithLength(out, len);
	if (!doc || !cJSON_IsObject(doc)) {
		r = knet_error_set(err, -EINVAL, KNET_EXIT_API,
				   "exec plugin \"%s\" printed something that "
				   "is not an ExecCredential (not JSON)",
				   cmd);
		goto cleanup;
	}
	kind = knet_json_str(doc, "kind");
	ver = knet_json_str(doc, "apiVersion");
	if (!kind || strcmp(kind, "ExecCredential")) {
		r = knet_error_set(err, -EINVAL, KNET_EXIT_API,
				   "exec plugin \"%s\" printed a %s, not an "
				   "ExecCredential",
				   cmd, kind ? kind : "document without kind");
		goto cleanup;
	}
	if (!ver || strcmp(ver, api_version)) {
		r = knet_error_set(err, -EINVAL, KNET_EXIT_API,
				   "exec plugin \"%s\" answered with "
				   "apiVersion %s, the kubeconfig asked for %s",
				   cmd, ver ? ver : "(none)", api_version);
		goto cleanup;
	}
	st = knet_json_get(doc, "status");
	tok = knet_json_str(st, "token");
	cert = knet_json_str(st, "clientCertificateData");
	key = knet_json_str(st, "clientKeyData");
	exp = knet_json_str(st, "expirationTimestamp");
	if ((!tok || !*tok) && !(cert && *cert && key && *key)) {
		r = knet_error_set(err, -EINVAL, KNET_EXIT_API,
				   "exec plugin \"%s\" gave neither a token "
				   "nor a client certificate and key",
				   cmd);
		goto cleanup;
	}
	if ((cert && *cert) != (key && *key)) {
		r = knet_error_set(err, -EINVAL, KNET_EXIT_API,
				   "exec plugin \"%s\" gave a client "
				   "certificate without its key, or a key "
				   "without its certificate",
				   cmd);
		goto cleanup;
	}
	if (exp && *exp) {
		c.expires = knet_time_parse(exp);
		if (c.expires < 0) {
			r = knet_error_set(err, -EINVAL, KNET_EXIT_API,
					   "exec plugin \"%s\" gave an invalid "
					   "expirationTimestamp",
					   cmd);
			goto cleanup;
		}
	}
	if (tok && *tok && !(c.token = strdup(tok)))
		goto oom;
	if (cert && *cert &&
	    (blob_from_str(cert, &c.cert) < 0 ||
	     blob_from_str(key, &c.key) < 0))
		goto oom;
	*ret = c;
	memset(&c, 0, sizeof(c));
	r = 0;
	goto cleanup;
oom:
	r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
cleanup:
	knet_exec_cred_clear(&c);
	/* The document held the secret: wiped before it is freed. */
	knet_json_wipe_delete(doc);
	return r;
}

static char *exec_info(const struct knet_kubeconfig *kc)
{
	cJSON *doc = cJSON_CreateObject(), *spec, *cl;
	char *s = NULL;

	if (!doc)
		return NULL;
	cJSON_AddStringToObject(doc, "kind", "ExecCredential");
	cJSON_AddStringToObject(doc, "apiVersion", kc->exec->api_version);
	spec = cJSON_AddObjectToObject(doc, "spec");
	cJSON_AddBoolToObject(spec, "interactive", false);
	if (kc->exec->provide_cluster_info) {
		cl = cJSON_AddObjectToObject(spec, "cluster");
		cJSON_AddStringToObject(cl, "server", kc->server);
		if (kc->tls_server_name)
			cJSON_AddStringToObject(cl, "tls-server-name",
						kc->tls_server_name);
		cJSON_AddBoolToObject(cl, "insecure-skip-tls-verify",
				      kc->insecure);
		if (kc->ca_data.len) {
			char *b = knet_base64_encode(kc->ca_data.data,
						     kc->ca_data.len);

			if (b)
				cJSON_AddStringToObject(
					cl, "certificate-authority-data", b);
			free(b);
		}
		if (kc->proxy_url)
			cJSON_AddStringToObject(cl, "proxy-url", kc->proxy_url);
	}
	s = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	return s;
}

/* environ, minus names the kubeconfig sets, plus them and the info. */
static char **build_env(const struct knet_exec_config *ex, const char *info)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ && environ[n])
		n++;
	env = calloc(n + (size_t)ex->nenv + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool overridden =
			!strncmp(environ[i], "KUBERNETES_EXEC_INFO=", 21);

		for (int j = 0; j < ex->nenv && !overridden; j++) {
			size_t kl = strlen(ex->env[j].key);

			overridden = !strncmp(environ[i], ex->env[j].key, kl) &&
				     environ[i][kl] == '=';
		}
		if (!overridden)
			env[k++] = environ[i];
	}
	for (int j = 0; j <= ex->nenv; j++) {
		int r = j < ex->nenv
				? asprintf(&env[k], "%s=%s", ex->env[j].key,
					   ex->env[j].value)
				: asprintf(&env[k], "KUBERNETES_EXEC_INFO=%s",
					   info);

		if (r < 0) {
			/* Drop ours so far; environ's entries are borrowed. */
			env[k] = NULL;
			while (j-- > 0)
				knet_wipe_free(env[--k]);
			free(env);
			return NULL;
		}
		k++;
	}
	return env;
}

static void free_env(char **env, const struct knet_exec_config *ex)
{
	size_t n = 0, mine = (size_t)ex->nenv + 1;

	if (!env)
		return;
	while (env[n])
		n++;
	/* The last nenv + 1 entries are ours. */
	for (size_t i = n > mine ? n - mine : 0; i < n; i++)
		knet_wipe_free(env[i]);
	free(env);
}

/*
 * Read the child's stdout until EOF or @deadline (knet_mono_ms() time):
 * -ETIMEDOUT, -EFBIG beyond EXEC_OUTPUT_MAX, -ENOMEM or the read error.
 */
static int read_all(int fd, long long deadline, char **ret, size_t *ret_len)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long long left = deadline - knet_mono_ms();
		ssize_t n;

		if (left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		/* Nothing yet (or a signal): the deadline is checked above. */
		if (n <= 0)
			continue;
		/* One byte past the limit is enough to know it is too much. */
		if (len > EXEC_OUTPUT_MAX) {
			r = -EFBIG;
			break;
		}
		if (len + 1 >= cap) {
			size_t want = cap * 2;

			if (want > EXEC_OUTPUT_MAX + 2)
				want = EXEC_OUTPUT_MAX + 2;
			r = knet_api_wipe_reserve(&buf, &cap, len, want);
			if (r < 0)
				break;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (r < 0) {
		knet_api_wipe_buf_free(buf, cap);
		return r;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

/*
 * Reap @pid by @deadline; past it (or at once when @kill_now), kill its
 * process group and reap it then.  Returns 0, or -ETIMEDOUT when it had
 * to be killed for running too long.
 */
static int reap(pid_t pid, long long deadline, bool kill_now, int *ret_status)
{
	struct timespec tick = {0, 10 * 1000000};
	int r = 0;

	while (!kill_now) {
		pid_t w = waitpid(pid, ret_status, WNOHANG);

		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return -errno;
		if (knet_mono_ms() >= deadline) {
			r = -ETIMEDOUT;
			break;
		}
		nanosleep(&tick, NULL);
	}
	/* The plugin's own children go too: they hold its pipe. */
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, ret_status, 0) < 0 && errno == EINTR)
		;
	return r;
}

static int run_error(struct knet_error *err, int r, const char *cmd,
		     long timeout_ms)
{
	switch (r) {
	case -ETIMEDOUT:
		return knet_error_set(
			err, r, KNET_EXIT_API,
			"exec plugin \"%s\" did not finish "
			"within %ld %s; stopped it",
			cmd, timeout_ms % 1000 ? timeout_ms : timeout_ms / 1000,
			timeout_ms % 1000 ? "ms" : "s");
	case -EFBIG:
		return knet_error_set(err, r, KNET_EXIT_API,
				      "exec plugin \"%s\" printed more than "
				      "%u MiB; stopped it",
				      cmd, EXEC_OUTPUT_MAX >> 20);
	case -ENOMEM:
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "out of memory");
	default:
		return knet_error_set(err, r, KNET_EXIT_API,
				      "exec plugin \"%s\": cannot read its "
				      "output: %s; stopped it",
				      cmd, knet_errstr(r));
	}
}

int knet_exec_credential_get(const struct knet_kubeconfig *kc,
			     struct knet_exec_cred *ret, struct knet_error *err)
{
	return knet_exec_credential_run(kc, EXEC_TIMEOUT_MS, ret, err);
}

int knet_exec_credential_run(const struct knet_kubeconfig *kc, long timeout_ms,
			     struct knet_exec_cred *ret, struct knet_error *err)
{
	const struct knet_exec_config *ex = kc->exec;
	char *path = NULL, *info = NULL, *out = NULL;
	char **argv = NULL, **env = NULL;
	size_t nargs = 0, len = 0;
	int pfd[2] = {-1, -1}, status, r;
	long long deadline;
	pid_t pid;

	path = knet_path_lookup(ex->command, getenv("PATH"));
	if (!path)
		return knet_error_set(err, -ENOENT, KNET_EXIT_API,
				      "exec plugin \"%s\" not found%s%s",
				      ex->command, ex->install_hint ? ": " : "",
				      ex->install_hint ? ex->install_hint : "");
	while (ex->args && ex->args[nargs])
		nargs++;
	argv = calloc(nargs + 2, sizeof(*argv));
	info = exec_info(kc);
	env = info ? build_env(ex, info) : NULL;
	if (!argv || !env) {
		r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				   "out of memory");
		goto cleanup;
	}
	argv[0] = ex->command;
	for (size_t i = 0; i < nargs; i++)
		argv[i + 1] = ex->args[i];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		r = knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
				   "cannot create a pipe: %s",
				   knet_errstr(errno));
		goto cleanup;
	}
	deadline = knet_mono_ms() + timeout_ms;
	pid = fork();
	if (pid < 0) {
		r = knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
				   "cannot fork: %s", knet_errstr(errno));
		goto cleanup;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

		/* Its own group, so that a kill reaches what it started. */
		setpgid(0, 0);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(pfd[1], STDOUT_FILENO);
		/* Only stdin, stdout, stderr: not the API connection. */
		knet_fd_cloexec_from(3);
		execve(path, argv, env);
		_exit(127);
	}
	setpgid(pid, pid);
	close(pfd[1]);
	pfd[1] = -1;
	/*
	 * One deadline for the whole run: reading, then waiting for the exit
	 * (a plugin may close stdout and go on running).  On any failure the
	 * plugin is killed and reaped, never waited for.
	 */
	r = read_all(pfd[0], deadline, &out, &len);
	close(pfd[0]);
	pfd[0] = -1;
	{
		int rr = reap(pid, deadline, r < 0, &status);

		if (!r)
			r = rr;
	}
	if (r < 0) {
		run_error(err, r, ex->command, timeout_ms);
		goto cleanup;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		r = knet_error_set(err, -EIO, KNET_EXIT_API,
				   "exec plugin \"%s\" failed with exit "
				   "status %d",
				   ex->command, WEXITSTATUS(status));
		goto cleanup;
	}
	if (WIFSIGNALED(status)) {
		r = knet_error_set(err, -EIO, KNET_EXIT_API,
				   "exec plugin \"%s\" was killed by signal %d",
				   ex->command, WTERMSIG(status));
		goto cleanup;
	}
	r = knet_exec_credential_parse(ex->api_version, ex->command, out, len,
				       ret, err);
cleanup:
	knet_api_wipe_buf_free(out, len);
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	free_env(env, ex);
	free(info);
	free(argv);
	free(path);
	return r;
}
