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
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
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

/* Node names are DNS labels; anything else is not a node name. */
static int check_node(const char *node, struct knet_error *err)
{
	if (!*node || strspn(node, "abcdefghijklmnopqrstuvwxyz0123456789-.") !=
			      strlen(node))
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "'%s' is not a valid node name", node);
	return 0;
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
	if (check_node(node, err) < 0)
		return -EINVAL;
	/* Through the API (cmd/cmd-k8s-exec.c): this binary relays. */
	if (!strcmp(tmpl, KNET_VIA_K8S))
		p = "/proc/self/exe __k8s-exec {node} --";
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

/*
 * Options the remote run gets from us instead of from the user; and the
 * fan-out's (--all-nodes, --nodes, --max-parallel): each remote run is
 * one node of it, and must not fan out again.
 */
static int skip_replaced(int argc, char *const *argv, int i)
{
	static const char *const with_value[] = {"-o",	    "--output",
						 "--node",  "--via",
						 "--nodes", "--max-parallel"};
	const char *a = argv[i];

	if (!strcmp(a, "--all-nodes"))
		return 1;

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
	return knet_via_command_extra(tmpl, node, self, argc, argv, NULL,
				      ret_argv, ret_argc, err);
}

int knet_via_command_extra(const char *tmpl, const char *node, const char *self,
			   int argc, char *const *argv,
			   const char *const *extra, char ***ret_argv,
			   int *ret_argc, struct knet_error *err)
{
	char **v, **nv;
	int n, r, i, nextra = 0;
	bool opts = true;

	while (extra && extra[nextra])
		nextra++;
	if (tmpl) {
		r = knet_via_expand(tmpl, node, &v, &n, err);
		if (r < 0)
			return r;
	} else {
		/* No transport: this node's own run, a child of ours. */
		r = check_node(node, err);
		if (r < 0)
			return r;
		v = NULL;
		n = 0;
	}
	nv = realloc(v, (n + argc + nextra + 7) * sizeof(*v));
	if (!nv)
		goto fail;
	v = nv;
	/*
	 * Through pods/exec no signal reaches the remote run: a byte on
	 * its stdin stops it instead (cmd/stop-on-stdin.c), looked for as
	 * the first word only.
	 */
	const char *plain[] = {self, "-o", "json", "--node", node, NULL};
	const char *k8s[] = {
		self, "--stop-on-stdin", "-o", "json", "--node", node, NULL};
	const char *const *head =
		tmpl && !strcmp(tmpl, KNET_VIA_K8S) ? k8s : plain;

	for (size_t k = 0; head[k]; k++) {
		v[n] = strdup(head[k]);
		if (!v[n])
			goto fail;
		v[++n] = NULL;
	}
	for (i = 1; i <= argc; i++) {
		int skip;

		/* The extra options go before a "--" (or at the end),
		 * where they are still options. */
		if (opts && (i == argc || !strcmp(argv[i], "--"))) {
			for (int k = 0; k < nextra; k++) {
				v[n] = strdup(extra[k]);
				if (!v[n])
					goto fail;
				v[++n] = NULL;
			}
		}
		if (i == argc)
			break;
		skip = opts ? skip_replaced(argc, argv, i) : 0;
		if (skip) {
			i += skip - 1;
			continue;
		}
		if (!strcmp(argv[i], "--"))
			opts = false; /* what follows belongs to the command */
		v[n] = strdup(argv[i]);
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

/*
 * No line knet prints comes near this; past it the other end is not a
 * knet (or is broken), and growing further would only exhaust memory.
 */
#define MAX_LINE (16u << 20)

struct reader {
	int fd;
	pid_t pid;	/* the transport, leader of its process group */
	bool own_group; /* signals are forwarded to it */
	volatile sig_atomic_t *stop;
	int stop_sig; /* the signal forwarded, 0: none yet */
	bool forwarded, killed;
	int (*line)(const char *, void *);
	void *userdata;
	int result; /* the first error: a callback's or ours */
	char *buf;
	size_t len, cap;
};

/*
 * Stop the remote run the way it was asked to stop here (SIGINT for
 * Ctrl-C), so that it prints its summary, which we go on reading.
 */
static void forward_stop(struct reader *rd)
{
	int sig = *rd->stop > 0 ? (int)*rd->stop : SIGINT;

	rd->forwarded = true;
	rd->stop_sig = sig;
	/* Taken: a second Ctrl-C sets it again (see feed_lines). */
	*rd->stop = 0;
	if (rd->own_group)
		kill(-rd->pid, sig);
	else
		kill(rd->pid, sig);
}

static void fail(struct reader *rd, int r)
{
	if (rd->result == 0)
		rd->result = r;
	/* Nothing more is wanted: end it, and drain until it is gone. */
	if (rd->own_group)
		kill(-rd->pid, SIGTERM);
	else
		kill(rd->pid, SIGTERM);
}

static void take_lines(struct reader *rd)
{
	char *nl;

	while ((nl = memchr(rd->buf, '\n', rd->len))) {
		*nl = '\0';
		if (rd->result == 0) {
			int r = rd->line(rd->buf, rd->userdata);

			if (r < 0)
				fail(rd, r);
		}
		rd->len -= (size_t)(nl + 1 - rd->buf);
		memmove(rd->buf, nl + 1, rd->len);
		rd->buf[rd->len] = '\0';
	}
}

static int grow(struct reader *rd)
{
	size_t ncap = rd->cap ? rd->cap * 2 : 16384;
	char *nb;

	if (rd->cap >= MAX_LINE + 1)
		return -E2BIG;
	if (ncap > MAX_LINE + 1)
		ncap = MAX_LINE + 1;
	nb = realloc(rd->buf, ncap);
	if (!nb)
		return -ENOMEM;
	rd->buf = nb;
	rd->cap = ncap;
	return 0;
}

/*
 * Read once from the child (blocking only as the fd is): whole lines go
 * to the callback.  1 at the end of its output, else 0.
 */
static int read_chunk(struct reader *rd)
{
	ssize_t got;
	int r;

	if (rd->cap - rd->len < 4096) {
		r = grow(rd);
		if (r < 0) {
			fail(rd, r);
			rd->len = 0; /* drop the overlong line */
			if (rd->cap - rd->len < 2)
				return 1;
		}
	}
	got = read(rd->fd, rd->buf + rd->len, rd->cap - rd->len - 1);
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (got <= 0)
		return 1;
	rd->len += (size_t)got;
	rd->buf[rd->len] = '\0';
	take_lines(rd);
	return 0;
}

/* The last line, when the output did not end with a newline. */
static void last_line(struct reader *rd)
{
	if (rd->len > 0 && rd->result == 0) {
		int r = rd->line(rd->buf, rd->userdata);

		if (r < 0)
			rd->result = r;
	}
	rd->len = 0;
}

static void feed_lines(struct reader *rd)
{
	for (;;) {
		struct pollfd p = {.fd = rd->fd, .events = POLLIN};
		int r;

		if (rd->stop && *rd->stop && !rd->forwarded)
			forward_stop(rd);
		/*
		 * A second Ctrl-C: the remote end does not stop (a hung
		 * node, a transport that swallows signals); end it here.
		 */
		if (rd->stop && *rd->stop && rd->forwarded && !rd->killed) {
			rd->killed = true;
			kill(rd->own_group ? -rd->pid : rd->pid, SIGKILL);
		}
		/* A short timeout: a stop flag set just before poll() is
		 * seen soon, not at the next line. */
		r = poll(&p, 1, rd->stop ? 200 : -1);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		if (read_chunk(rd))
			break;
	}
	last_line(rd);
}

static int wait_child(pid_t pid, int *ret_status, struct knet_error *err)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
					      "waitpid: %s", strerror(errno));
	*ret_status = WIFEXITED(status) ? WEXITSTATUS(status)
					: 128 + WTERMSIG(status);
	return 0;
}

/* @started failed: end the child, whose stdout nobody reads now. */
static int abandon(struct reader *rd, int r, struct knet_error *err)
{
	int status;

	close(rd->fd);
	if (rd->own_group)
		kill(-rd->pid, SIGTERM);
	else
		kill(rd->pid, SIGTERM);
	(void)wait_child(rd->pid, &status, NULL);
	return r < 0 ? r
		     : knet_error_set(err, -EIO, KNET_EXIT_SYSTEM,
				      "node transport set-up failed");
}

/*
 * Fork and exec @argv with stdout on a pipe (returned in @ret_fd) and
 * stdin on /dev/null; in its own process group with @own_group; stderr
 * on @err_fd unless it is < 0.
 */
static int spawn(char *const *argv, bool own_group, int err_fd, pid_t *ret_pid,
		 int *ret_fd, struct knet_error *err)
{
	int pfd[2], r;
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
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		/*
		 * Its own process group, so a stop reaches it only through
		 * us and we are still there to read its summary; no stdin,
		 * which a background group could not read anyway.
		 */
		if (own_group) {
			setpgid(0, 0);
			/*
			 * And the stop it gets from us must work: a knet
			 * started in the background of a script inherits
			 * SIGINT ignored, which a shell there could not
			 * even trap, and its run would never stop.
			 */
			signal(SIGINT, SIG_DFL);
			signal(SIGQUIT, SIG_DFL);
		}
		if (dup2(pfd[1], STDOUT_FILENO) < 0 || null < 0 ||
		    dup2(null, STDIN_FILENO) < 0 ||
		    (err_fd >= 0 && dup2(err_fd, STDERR_FILENO) < 0))
			_exit(127);
		knet_fd_cloexec_from(3);
		execvp(argv[0], argv);
		/* 127 is what a shell says for "command not found". */
		_exit(127);
	}
	if (own_group)
		setpgid(pid, pid); /* whichever of us runs first */
	close(pfd[1]);
	*ret_pid = pid;
	*ret_fd = pfd[0];
	return 0;
}

/* What the reader ended with, as the caller's error. */
static int reader_result(const struct reader *rd, const char *what,
			 struct knet_error *err)
{
	if (rd->result == -E2BIG)
		return knet_error_set(err, -E2BIG, KNET_EXIT_SYSTEM,
				      "%s sent a line longer than %u MiB: "
				      "not a knet",
				      what, MAX_LINE >> 20);
	if (rd->result < 0)
		return knet_error_set(err, rd->result, KNET_EXIT_SYSTEM,
				      "cannot show what %s sent: %s", what,
				      strerror(-rd->result));
	return 0;
}

int knet_via_run(char *const *argv,
		 int (*line)(const char *line, void *userdata),
		 int (*started)(void *userdata, struct knet_error *err),
		 void *userdata, volatile sig_atomic_t *stop, int *ret_status,
		 struct knet_error *err)
{
	struct reader rd = {
		.line = line,
		.userdata = userdata,
		.stop = stop,
		.own_group = stop != NULL,
	};
	int r;

	r = spawn(argv, rd.own_group, -1, &rd.pid, &rd.fd, err);
	if (r < 0)
		return r;
	if (started) {
		r = started(userdata, err);
		if (r < 0)
			return abandon(&rd, r, err);
	}
	feed_lines(&rd);
	close(rd.fd);
	free(rd.buf);
	/* The caller sees the stop it asked for, as without a transport. */
	if (rd.stop_sig && !*stop)
		*stop = rd.stop_sig;
	r = wait_child(rd.pid, ret_status, err);
	if (r < 0)
		return r;
	return reader_result(&rd, argv[0], err);
}

struct knet_via_child {
	struct reader rd;
	char *what; /* argv[0], for messages */
	bool eof;
};

int knet_via_spawn(char *const *argv, struct knet_via_child **ret,
		   struct knet_error *err)
{
	return knet_via_spawn_err(argv, -1, ret, err);
}

int knet_via_spawn_err(char *const *argv, int err_fd,
		       struct knet_via_child **ret, struct knet_error *err)
{
	struct knet_via_child *c = calloc(1, sizeof(*c));
	int r;

	if (!c || !(c->what = strdup(argv[0]))) {
		free(c);
		return oom(err);
	}
	c->rd.own_group = true;
	r = spawn(argv, true, err_fd, &c->rd.pid, &c->rd.fd, err);
	if (r < 0) {
		free(c->what);
		free(c);
		return r;
	}
	fcntl(c->rd.fd, F_SETFL, fcntl(c->rd.fd, F_GETFL) | O_NONBLOCK);
	*ret = c;
	return 0;
}

int knet_via_child_fd(const struct knet_via_child *c)
{
	return c->rd.fd;
}

int knet_via_child_read(struct knet_via_child *c,
			int (*line)(const char *line, void *userdata),
			void *userdata)
{
	c->rd.line = line;
	c->rd.userdata = userdata;
	if (c->eof)
		return 1;
	if (read_chunk(&c->rd)) {
		last_line(&c->rd);
		c->eof = true;
	}
	if (c->rd.result < 0)
		return c->rd.result;
	return c->eof ? 1 : 0;
}

void knet_via_child_signal(struct knet_via_child *c, int sig)
{
	if (c->rd.forwarded)
		return;
	c->rd.forwarded = true;
	kill(-c->rd.pid, sig);
}

void knet_via_child_kill(struct knet_via_child *c)
{
	c->rd.killed = true;
	kill(-c->rd.pid, SIGKILL);
}

int knet_via_child_wait(struct knet_via_child *c, int *ret_status,
			struct knet_error *err)
{
	int status = 0, r;

	if (!c)
		return 0;
	/* Not read to its end: nobody wants the rest, end it. */
	if (!c->eof)
		kill(-c->rd.pid, SIGTERM);
	close(c->rd.fd);
	r = wait_child(c->rd.pid, &status, err);
	if (r == 0)
		r = reader_result(&c->rd, c->what, err);
	if (ret_status)
		*ret_status = status;
	free(c->rd.buf);
	free(c->what);
	free(c);
	return r;
}
