/* SPDX-License-Identifier: MIT */
/*
 * The node transport: run knet itself on another node.
 *
 * A pod's namespace can only be entered on its own node, so for a pod
 * elsewhere knet re-runs its own command line there through a transport
 * template ("ssh {node}", "ip netns exec lab-{node}"), asks for JSON
 * Lines, and renders the events here.  The template is split on blanks
 * and executed directly: no shell ever sees a pod or node name.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "knet/node.h"

static int oom(struct knet_error *err)
{
	return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
}

static char *replace_node(const char *word, size_t len, const char *node)
{
	static const char key[] = "{node}";
	size_t klen = sizeof(key) - 1, nlen = strlen(node), out = 0;
	char *s = malloc(len * (nlen + 1) + 1); /* enough for any count */

	if (!s)
		return NULL;
	for (size_t i = 0; i < len;) {
		if (len - i >= klen && !memcmp(word + i, key, klen)) {
			memcpy(s + out, node, nlen);
			out += nlen;
			i += klen;
		} else {
			s[out++] = word[i++];
		}
	}
	s[out] = '\0';
	return s;
}

int knet_via_expand(const char *tmpl, const char *node, char ***ret_argv,
		    int *ret_argc, struct knet_error *err)
{
	char **v = NULL;
	int n = 0;
	const char *p = tmpl;

	if (!tmpl || !*tmpl)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "empty node transport");
	/* Node names are DNS labels; anything else is not a node name. */
	if (!*node || strspn(node, "abcdefghijklmnopqrstuvwxyz0123456789-.") !=
			      strlen(node))
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "'%s' is not a valid node name", node);
	for (;;) {
		size_t len;
		char **nv;

		p += strspn(p, " \t");
		if (!*p)
			break;
		len = strcspn(p, " \t");
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv)
			goto fail;
		v = nv;
		v[n] = replace_node(p, len, node);
		if (!v[n])
			goto fail;
		v[++n] = NULL;
		p += len;
	}
	if (n == 0) {
		free(v);
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "empty node transport");
	}
	*ret_argv = v;
	*ret_argc = n;
	return 0;
fail:
	knet_addrs_free(v, n);
	return oom(err);
}

/* Options the remote run gets from us instead of from the user. */
static int skip_replaced(int argc, char *const *argv, int i)
{
	static const char *const with_value[] = {"-o", "--output", "--node",
						 "--via"};
	const char *a = argv[i];

	for (size_t k = 0; k < sizeof(with_value) / sizeof(*with_value); k++) {
		size_t l = strlen(with_value[k]);

		if (!strcmp(a, with_value[k]))
			return i + 1 < argc ? 2 : 1;
		if (!strncmp(a, with_value[k], l) &&
		    (a[l] == '=' || (l == 2 && a[l])))
			return 1;
	}
	return 0;
}

int knet_via_command(const char *tmpl, const char *node, const char *self,
		     int argc, char *const *argv, char ***ret_argv,
		     int *ret_argc, struct knet_error *err)
{
	char **v, **nv;
	int n, r, i;
	bool opts = true;

	r = knet_via_expand(tmpl, node, &v, &n, err);
	if (r < 0)
		return r;
	nv = realloc(v, (n + argc + 6) * sizeof(*v));
	if (!nv)
		goto fail;
	v = nv;
	const char *head[] = {self, "-o", "json", "--node", node};

	for (size_t k = 0; k < sizeof(head) / sizeof(*head); k++) {
		v[n] = strdup(head[k]);
		if (!v[n])
			goto fail;
		v[++n] = NULL;
	}
	for (i = 1; i < argc;) {
		int skip = opts ? skip_replaced(argc, argv, i) : 0;

		if (skip) {
			i += skip;
			continue;
		}
		if (!strcmp(argv[i], "--"))
			opts = false; /* what follows belongs to the command */
		v[n] = strdup(argv[i++]);
		if (!v[n])
			goto fail;
		v[++n] = NULL;
	}
	*ret_argv = v;
	*ret_argc = n;
	return 0;
fail:
	knet_addrs_free(v, n);
	return oom(err);
}

int knet_self_cmdline(char ***ret_argv, int *ret_argc, struct knet_error *err)
{
	char *buf = NULL, **v = NULL;
	size_t len = 0, cap = 0;
	ssize_t got;
	int fd, n = 0, r;

	fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
				      "open /proc/self/cmdline: %s",
				      strerror(errno));
	do {
		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap + 8192);

			if (!nb) {
				r = oom(err);
				goto out;
			}
			buf = nb;
			cap += 8192;
		}
		got = read(fd, buf + len, cap - len - 1);
		if (got > 0)
			len += (size_t)got;
	} while (got > 0);
	if (got < 0 || len == 0) {
		r = knet_error_set(err, -EIO, KNET_EXIT_SYSTEM,
				   "cannot read /proc/self/cmdline");
		goto out;
	}
	buf[len] = '\0';
	for (size_t off = 0; off < len; off += strlen(buf + off) + 1) {
		char **nv = realloc(v, (n + 2) * sizeof(*v));

		if (!nv)
			goto oom;
		v = nv;
		v[n] = strdup(buf + off);
		if (!v[n])
			goto oom;
		v[++n] = NULL;
	}
	*ret_argv = v;
	*ret_argc = n;
	v = NULL;
	r = 0;
	goto out;
oom:
	r = oom(err);
out:
	knet_addrs_free(v, n);
	free(buf);
	close(fd);
	return r;
}

static int feed_lines(int fd, int (*line)(const char *, void *), void *userdata)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int stop = 0;

	for (;;) {
		char *nl;
		ssize_t got;

		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 16384);

			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap += 16384;
		}
		got = read(fd, buf + len, cap - len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
		buf[len] = '\0';
		while (!stop && (nl = memchr(buf, '\n', len))) {
			*nl = '\0';
			if (line(buf, userdata) < 0)
				stop = 1;
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
			buf[len] = '\0';
		}
		if (stop)
			break;
	}
	if (!stop && len > 0) {
		buf[len] = '\0';
		line(buf, userdata);
	}
	free(buf);
	return 0;
}

int knet_via_run(char *const *argv,
		 int (*line)(const char *line, void *userdata), void *userdata,
		 int *ret_status, struct knet_error *err)
{
	int pfd[2], status, r;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return knet_error_set(err, -errno, KNET_EXIT_SYSTEM, "pipe: %s",
				      strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return knet_error_set(err, r, KNET_EXIT_SYSTEM, "fork: %s",
				      strerror(-r));
	}
	if (pid == 0) {
		if (dup2(pfd[1], STDOUT_FILENO) < 0)
			_exit(127);
		execvp(argv[0], argv);
		/* 127 is what a shell says for "command not found". */
		_exit(127);
	}
	close(pfd[1]);
	r = feed_lines(pfd[0], line, userdata);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
					      "waitpid: %s", strerror(errno));
	if (r < 0)
		return oom(err);
	if (WIFEXITED(status))
		*ret_status = WEXITSTATUS(status);
	else
		*ret_status = 128 + WTERMSIG(status);
	return 0;
}
