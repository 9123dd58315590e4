/* SPDX-License-Identifier: MIT */
/*
 * The API client's pure parts: Status errors, --request-timeout, RFC 3339
 * times, paths and query strings, ExecCredential parsing, and an exec
 * plugin run for real (a shell script, run through execve).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/api/api-internal.h"
#include "free-check.h"
#include "knet/api.h"
#include "unit.h"

static void test_status(void)
{
	const char *forbidden =
		"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":"
		"\"Failure\",\"message\":\"pods is forbidden: User \\\"v\\\" "
		"cannot list resource \\\"pods\\\"\",\"reason\":\"Forbidden\","
		"\"code\":403}";
	const char *notfound = "{\"kind\":\"Status\",\"message\":\"pods "
			       "\\\"x\\\" not found\",\"code\":404}";
	struct knet_error err = {0};

	CHECK_INT(
		knet_api_status_error(403, forbidden, strlen(forbidden), &err),
		-EPERM);
	CHECK_INT(err.exit, KNET_EXIT_API);
	CHECK_STR(
		err.reason,
		"pods is forbidden: User \"v\" cannot list resource \"pods\"");
	CHECK_INT(knet_api_status_error(404, notfound, strlen(notfound), &err),
		  -ENOENT);
	CHECK_INT(err.exit, KNET_EXIT_NOT_FOUND);
	CHECK_STR(err.reason, "pods \"x\" not found");
	CHECK_INT(knet_api_status_error(502, "<html>", 6, &err), -EIO);
	CHECK_STR(err.reason, "HTTP 502");
	CHECK_INT(knet_api_status_error(401, NULL, 0, &err), -EACCES);
	CHECK_STR(err.reason, "unauthorized");
	CHECK_INT(knet_api_status_error(410, "{\"message\":\"too old\\n\"}", 23,
					&err),
		  -ESTALE);
	CHECK_STR(err.reason, "too old");
}

static void test_timeout(void)
{
	long ms = -1;

	CHECK_INT(knet_request_timeout_parse("0", &ms), 0);
	CHECK_INT(ms, 0);
	CHECK_INT(knet_request_timeout_parse("5", &ms), 0);
	CHECK_INT(ms, 5000);
	CHECK_INT(knet_request_timeout_parse("5s", &ms), 0);
	CHECK_INT(ms, 5000);
	CHECK_INT(knet_request_timeout_parse("1m30s", &ms), 0);
	CHECK_INT(ms, 90000);
	CHECK_INT(knet_request_timeout_parse("250ms", &ms), 0);
	CHECK_INT(ms, 250);
	CHECK_INT(knet_request_timeout_parse("1.5s", &ms), 0);
	CHECK_INT(ms, 1500);
	CHECK_INT(knet_request_timeout_parse("2h", &ms), 0);
	CHECK_INT(ms, 7200000);
	CHECK_INT(knet_request_timeout_parse("10us", &ms), 0);
	CHECK_INT(ms, 1);
	CHECK_INT(knet_request_timeout_parse("", &ms), -EINVAL);
	CHECK_INT(knet_request_timeout_parse("5x", &ms), -EINVAL);
	CHECK_INT(knet_request_timeout_parse("-1", &ms), -EINVAL);
	CHECK_INT(knet_request_timeout_parse("s", &ms), -EINVAL);
}

static void test_time(void)
{
	CHECK_INT(knet_time_parse("1970-01-01T00:00:00Z"), 0);
	CHECK_INT(knet_time_parse("2024-01-02T03:04:05Z"), 1704164645);
	CHECK_INT(knet_time_parse("2024-01-02T03:04:05.123456Z"), 1704164645);
	CHECK_INT(knet_time_parse("2024-01-02T05:04:05+02:00"), 1704164645);
	CHECK_INT(knet_time_parse("2024-01-02"), -1);
	CHECK_INT(knet_time_parse("2024-01-02T03:04:05"), -1);
	CHECK_INT(knet_time_parse(NULL), -1);
	CHECK_INT(knet_time_parse("2024-01-02T01:34:05-01:30"), 1704164645);

	/* one monotonic clock in two units: ms is us / 1000, never behind */
	long long us = knet_mono_us(), ms = knet_mono_ms();

	CHECK(us > 0);
	CHECK(ms >= us / 1000 && ms - us / 1000 < 1000);
}

/*
 * Offsets are exactly "+HH:MM": anything shorter used to make the parser
 * step over the terminating NUL (a heap over-read, caught by ASan here
 * because each string is copied to a heap block of its exact size).
 */
static void test_time_bad_offsets(void)
{
	static const char *const bad[] = {
		"2024-01-02T03:04:05+1:2",    "2024-01-02T03:04:05+1:20",
		"2024-01-02T03:04:05+01:2",   "2024-01-02T03:04:05+01",
		"2024-01-02T03:04:05+",	      "2024-01-02T03:04:05-",
		"2024-01-02T03:04:05+0100",   "2024-01-02T03:04:05+01:00x",
		"2024-01-02T03:04:05+ 1:00",  "2024-01-02T03:04:05+-1:00",
		"2024-01-02T03:04:05+01:-0",  "2024-01-02T03:04:05+24:00",
		"2024-01-02T03:04:05+01:60",  "2024-01-02T03:04:05+01:00:00",
		"2024-01-02T03:04:05.+01:00", "2024-01-02T03:04:05Zx",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *s = strdup(bad[i]);

		CHECK(s != NULL);
		if (!s)
			continue;
		if (knet_time_parse(s) != -1)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CHECK_INT(knet_time_parse(s), -1);
		free(s);
	}
}

static void test_path(void)
{
	struct knet_error err = {0};
	char buf[512];

	CHECK(knet_api_path(buf, sizeof(buf), "v1", "web", "pods", NULL, &err) >
	      0);
	CHECK_STR(buf, "/api/v1/namespaces/web/pods");
	CHECK(knet_api_path(buf, sizeof(buf), "v1", NULL, "pods", NULL, &err) >
	      0);
	CHECK_STR(buf, "/api/v1/pods");
	CHECK(knet_api_path(buf, sizeof(buf), "networking.k8s.io/v1", "a",
			    "ingresses", "x", &err) > 0);
	CHECK_STR(buf, "/apis/networking.k8s.io/v1/namespaces/a/ingresses/x");
	CHECK(knet_api_path(buf, sizeof(buf), "v1", NULL, "nodes", "n", &err) >
	      0);
	CHECK_STR(buf, "/api/v1/nodes/n");
	/* Node (and pod) names are subdomains: dots are fine. */
	CHECK(knet_api_path(buf, sizeof(buf), "v1", NULL, "nodes",
			    "ip-10-0-0-1.ec2.internal", &err) > 0);
	CHECK(knet_api_path(buf, sizeof(buf), "v1", "kube-system", "pods",
			    "coredns-7d8.x-9", &err) > 0);
	CHECK_INT(knet_api_path(buf, 8, "v1", NULL, "nodes", NULL, &err),
		  -ENAMETOOLONG);
}

/*
 * Names and namespaces go into paths only when the API could have them:
 * "a/../.." or "x?watch=1" would change what the request means.
 */
static void test_path_validation(void)
{
	static const char *const bad_ns[] = {
		"a/../..", "..",  "",	       "Web",  "-a",   "a-",
		"a.b",	   "a b", "x?watch=1", "a%2F", "a\nb",
	};
	static const char *const bad_names[] = {
		"x?watch=1", "a/b", "..", ".a", "a.",  "a..b", "",
		"A",	     "a_b", "-x", "x-", "a#b", "a b",  "%2e%2e",
	};
	struct knet_error err = {0};
	char buf[512], long_label[65], long_name[300];

	for (size_t i = 0; i < sizeof(bad_ns) / sizeof(bad_ns[0]); i++) {
		CHECK_INT(knet_api_path(buf, sizeof(buf), "v1", bad_ns[i],
					"pods", NULL, &err),
			  -EINVAL);
		CHECK_INT(err.exit, KNET_EXIT_USAGE);
		CHECK(!strncmp(err.reason, "invalid namespace '", 19));
		CHECK(strstr(err.reason, "': must be a DNS-1123 label (") !=
		      NULL);
	}
	CHECK_STR(err.reason,
		  "invalid namespace 'a\\x0ab': must be a DNS-1123 label (at "
		  "most 63 lowercase letters, digits and '-', starting and "
		  "ending with a letter or digit)");
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		CHECK_INT(knet_api_path(buf, sizeof(buf), "v1", "web", "pods",
					bad_names[i], &err),
			  -EINVAL);
		CHECK_INT(err.exit, KNET_EXIT_USAGE);
		CHECK(strstr(err.reason, "': must be a DNS-1123 subdomain (") !=
		      NULL);
	}
	knet_api_path(buf, sizeof(buf), "v1", "web", "pods", "x?watch=1", &err);
	CHECK(!strncmp(err.reason, "invalid name 'x?watch=1': must be", 33));
	/* Lengths: a label of 63, a subdomain of 253. */
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	CHECK_INT(knet_api_check_namespace(long_label, &err), -EINVAL);
	long_label[63] = '\0';
	CHECK_INT(knet_api_check_namespace(long_label, &err), 0);
	for (int i = 0; i < 254; i++)
		long_name[i] = i % 2 ? '.' : 'a';
	long_name[253] = '\0'; /* "a.a. ... a": 253 bytes, ends with 'a' */
	CHECK_INT(knet_api_check_name(long_name, &err), 0);
	long_name[253] = 'a';
	long_name[254] = '\0';
	CHECK_INT(knet_api_check_name(long_name, &err), -EINVAL);
}

static void test_exec_parse(void)
{
	const char *v1 = "client.authentication.k8s.io/v1";
	const char *tok = "{\"kind\":\"ExecCredential\",\"apiVersion\":"
			  "\"client.authentication.k8s.io/v1\",\"status\":"
			  "{\"token\":\"s3cret\",\"expirationTimestamp\":"
			  "\"2030-01-01T00:00:00Z\"}}";
	const char *cert = "{\"kind\":\"ExecCredential\",\"apiVersion\":"
			   "\"client.authentication.k8s.io/v1\",\"status\":"
			   "{\"clientCertificateData\":\"CERT\","
			   "\"clientKeyData\":\"KEY\"}}";
	const char *wrongver = "{\"kind\":\"ExecCredential\",\"apiVersion\":"
			       "\"client.authentication.k8s.io/v1beta1\","
			       "\"status\":{\"token\":\"s3cret\"}}";
	const char *empty = "{\"kind\":\"ExecCredential\",\"apiVersion\":"
			    "\"client.authentication.k8s.io/v1\"}";
	struct knet_exec_cred c = {0};
	struct knet_error err = {0};

	CHECK_INT(
		knet_exec_credential_parse(v1, "p", tok, strlen(tok), &c, &err),
		0);
	CHECK_STR(c.token, "s3cret");
	CHECK_INT(c.expires, 1893456000);
	knet_exec_cred_clear(&c);
	CHECK_INT(knet_exec_credential_parse(v1, "p", cert, strlen(cert), &c,
					     &err),
		  0);
	CHECK(c.token == NULL);
	CHECK_INT((long long)c.cert.len, 4);
	CHECK(!memcmp(c.key.data, "KEY", 3));
	knet_exec_cred_clear(&c);
	CHECK_INT(knet_exec_credential_parse(v1, "p", "garbage s3cret", 14, &c,
					     &err),
		  -EINVAL);
	CHECK(strstr(err.reason, "not JSON") != NULL);
	/* The output holds secrets: it never shows up in the message. */
	CHECK(strstr(err.reason, "s3cret") == NULL);
	CHECK_INT(knet_exec_credential_parse(v1, "p", wrongver,
					     strlen(wrongver), &c, &err),
		  -EINVAL);
	CHECK(strstr(err.reason, "s3cret") == NULL);
	CHECK(strstr(err.reason, "v1beta1") != NULL);
	CHECK_INT(knet_exec_credential_parse(v1, "p", empty, strlen(empty), &c,
					     &err),
		  -EINVAL);
	CHECK(strstr(err.reason, "neither a token") != NULL);
}

/* A real plugin run: argv, env and KUBERNETES_EXEC_INFO reach it. */
static void test_exec_run(void)
{
	char dir[] = "/tmp/knet-exec-XXXXXX", plugin[256];
	struct knet_exec_config ex = {0};
	struct knet_kubeconfig kc = {0};
	struct knet_exec_cred c = {0};
	struct knet_error err = {0};
	char *args[] = {"one arg", "$HOME;", NULL};
	struct knet_kv env[] = {{"KNET_TEST_TOKEN", "tok-from-env"}};
	FILE *f;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(plugin, sizeof(plugin), "%s/plugin", dir);
	f = fopen(plugin, "w");
	/* Arguments arrive verbatim (no shell in between). */
	fputs("#!/bin/sh\n"
	      "[ \"$1\" = 'one arg' ] && [ \"$2\" = '$HOME;' ] || exit 7\n"
	      "case \"$KUBERNETES_EXEC_INFO\" in *ExecCredential*) ;; "
	      "*) exit 8;; esac\n"
	      "[ \"$KNET_TEST_FAIL\" = 1 ] && exit 3\n"
	      "echo '{\"kind\":\"ExecCredential\",\"apiVersion\":"
	      "\"client.authentication.k8s.io/v1beta1\",\"status\":"
	      "{\"token\":\"'\"$KNET_TEST_TOKEN\"'\"}}'\n",
	      f);
	fclose(f);
	chmod(plugin, 0755);
	ex.api_version = "client.authentication.k8s.io/v1beta1";
	ex.command = plugin;
	ex.args = args;
	ex.env = env;
	ex.nenv = 1;
	kc.server = "https://x.example";
	kc.exec = &ex;
	CHECK_INT(knet_exec_credential_get(&kc, &c, &err), 0);
	CHECK_STR(c.token, "tok-from-env");
	knet_exec_cred_clear(&c);

	setenv("KNET_TEST_FAIL", "1", 1);
	CHECK_INT(knet_exec_credential_get(&kc, &c, &err), -EIO);
	CHECK(strstr(err.reason, "failed with exit status 3") != NULL);
	unsetenv("KNET_TEST_FAIL");

	ex.command = "knet-no-such-plugin";
	ex.install_hint = "install it from example.com";
	CHECK_INT(knet_exec_credential_get(&kc, &c, &err), -ENOENT);
	CHECK(strstr(err.reason, "not found: install it") != NULL);
	unlink(plugin);
	rmdir(dir);
}

/* Write an executable script @text as @dir/@name into @path. */
static void write_plugin(const char *dir, const char *name, const char *text,
			 char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	chmod(path, 0755);
}

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Gone, or a zombie waiting for init: not running any more. */
static bool pid_gone(const char *pidfile)
{
	char stat[64], buf[256] = "";
	FILE *f = fopen(pidfile, "r");
	long pid = 0;

	if (!f)
		return false;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 0)
		return false;
	for (int i = 0; i < 100; i++) {
		snprintf(stat, sizeof(stat), "/proc/%ld/stat", pid);
		f = fopen(stat, "r");
		if (!f)
			return true;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		if (strstr(buf, ") Z ") || strstr(buf, ") X "))
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * Plugins that misbehave: too much output, no end, stdout closed while
 * running on.  Each is stopped and reaped within the bound, with one
 * clear error (exit 4).  An alarm turns a hang (the old waitpid) into
 * a failed test instead of a stuck one.
 */
static void test_exec_limits(void)
{
	char dir[] = "/tmp/knet-exec-XXXXXX", plugin[256], pidfile[300];
	char script[1024];
	struct knet_exec_config ex = {0};
	struct knet_kubeconfig kc = {0};
	struct knet_exec_cred c = {0};
	struct knet_error err = {0};
	char *args[] = {pidfile, NULL};
	long t0;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
	ex.api_version = "client.authentication.k8s.io/v1";
	ex.args = args;
	ex.command = plugin;
	kc.server = "https://x.example";
	kc.exec = &ex;
	alarm(30);

	/* 2 MiB on stdout, and it would go on writing. */
	write_plugin(dir, "big",
		     "#!/bin/sh\necho $$ > \"$1\"\n"
		     "head -c 2097152 /dev/zero | tr '\\0' x\nsleep 1000\n",
		     plugin, sizeof(plugin));
	t0 = mono_ms();
	CHECK_INT(knet_exec_credential_run(&kc, 5000, &c, &err), -EFBIG);
	CHECK_INT(err.exit, KNET_EXIT_API);
	CHECK(!strncmp(err.reason, "exec plugin \"", 13));
	CHECK(strstr(err.reason, "/big\" printed more than 1 MiB; "
				 "stopped it") != NULL);
	CHECK(mono_ms() - t0 < 4000);
	CHECK(pid_gone(pidfile));
	unlink(pidfile);

	/* Exactly 1 MiB is allowed (a credential padded with blanks). */
	write_plugin(dir, "full",
		     "#!/bin/sh\necho $$ > \"$1\"\n"
		     "c='{\"kind\":\"ExecCredential\",\"apiVersion\":"
		     "\"client.authentication.k8s.io/v1\",\"status\":"
		     "{\"token\":\"t\"}}'\nprintf %s \"$c\"\n"
		     "head -c $((1048576 - ${#c})) /dev/zero | tr '\\0' ' '\n",
		     plugin, sizeof(plugin));
	CHECK_INT(knet_exec_credential_run(&kc, 5000, &c, &err), 0);
	CHECK_STR(c.token, "t");
	knet_exec_cred_clear(&c);
	unlink(pidfile);
	/* One byte more is too much. */
	write_plugin(dir, "over",
		     "#!/bin/sh\necho $$ > \"$1\"\n"
		     "head -c 1048577 /dev/zero | tr '\\0' ' '\n",
		     plugin, sizeof(plugin));
	CHECK_INT(knet_exec_credential_run(&kc, 5000, &c, &err), -EFBIG);
	unlink(pidfile);

	/* Never ends; its child (sleep) is stopped with it. */
	snprintf(script, sizeof(script),
		 "#!/bin/sh\nsleep 1000 &\necho $! > \"$1\"\nwait\n");
	write_plugin(dir, "forever", script, plugin, sizeof(plugin));
	t0 = mono_ms();
	CHECK_INT(knet_exec_credential_run(&kc, 500, &c, &err), -ETIMEDOUT);
	CHECK(mono_ms() - t0 < 1500);
	CHECK(strstr(err.reason, "/forever\" did not finish within 500 ms; "
				 "stopped it") != NULL);
	CHECK_INT(err.exit, KNET_EXIT_API);
	CHECK(pid_gone(pidfile));
	unlink(pidfile);

	/* Prints a credential, closes stdout, and runs on. */
	write_plugin(dir, "closes",
		     "#!/bin/sh\necho $$ > \"$1\"\n"
		     "echo '{\"kind\":\"ExecCredential\",\"apiVersion\":"
		     "\"client.authentication.k8s.io/v1\",\"status\":"
		     "{\"token\":\"t\"}}'\nexec >&-\nsleep 1000\n",
		     plugin, sizeof(plugin));
	t0 = mono_ms();
	CHECK_INT(knet_exec_credential_run(&kc, 500, &c, &err), -ETIMEDOUT);
	CHECK(mono_ms() - t0 < 1500);
	CHECK(strstr(err.reason, "/closes\" did not finish within 500 ms") !=
	      NULL);
	CHECK(c.token == NULL);
	CHECK(pid_gone(pidfile));
	unlink(pidfile);

	/* A whole second bound is said in seconds. */
	write_plugin(dir, "forever", script, plugin, sizeof(plugin));
	CHECK_INT(knet_exec_credential_run(&kc, 1000, &c, &err), -ETIMEDOUT);
	CHECK(strstr(err.reason, "within 1 s; stopped it") != NULL);
	pid_gone(pidfile);
	alarm(0);
	unlink(pidfile);
	snprintf(plugin, sizeof(plugin), "%s/big", dir);
	unlink(plugin);
	snprintf(plugin, sizeof(plugin), "%s/forever", dir);
	unlink(plugin);
	snprintf(plugin, sizeof(plugin), "%s/closes", dir);
	unlink(plugin);
	rmdir(dir);
}

/*
 * The plugin's output (8 KiB, its token first, so the buffer grows while
 * holding it) is zeroed before it is freed, and so is its parse tree.
 */
static void test_exec_output_wiped(void)
{
	char dir[] = "/tmp/knet-exec-XXXXXX", plugin[256];
	struct knet_exec_config ex = {0};
	struct knet_kubeconfig kc = {0};
	struct knet_exec_cred c = {0};
	struct knet_error err = {0};

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	write_plugin(
		dir, "plugin",
		"#!/bin/sh\n"
		"pad=$(head -c 8192 /dev/zero | tr '\\0' ' ')\n"
		"echo \"{\\\"status\\\":{\\\"token\\\":\\\"SECRET-exec\\\"},"
		"\\\"kind\\\":\\\"ExecCredential\\\",\\\"apiVersion\\\":"
		"\\\"client.authentication.k8s.io/v1\\\"}$pad\"\n",
		plugin, sizeof(plugin));
	ex.api_version = "client.authentication.k8s.io/v1";
	ex.command = plugin;
	kc.server = "https://x.example";
	kc.exec = &ex;
	free_check_start("SECRET-exec");
	CHECK_INT(knet_exec_credential_get(&kc, &c, &err), 0);
	CHECK_STR(c.token, "SECRET-exec");
	knet_exec_cred_clear(&c);
	CHECK_INT(free_check_stop(), 0);
	unlink(plugin);
	rmdir(dir);
}

/*
 * The plugin gets stdin, stdout and stderr only: not an fd of ours left
 * open across exec (libcurl's sockets are not close-on-exec), nor the
 * /dev/null it was given as stdin.  It lists its shell's fds; above 2
 * only the shell's own script may be open.
 */
static void test_exec_fds(void)
{
	char dir[] = "/tmp/knet-exec-XXXXXX", plugin[256], list[300];
	char line[600], *args[] = {list, NULL};
	struct knet_exec_config ex = {0};
	struct knet_kubeconfig kc = {0};
	struct knet_exec_cred c = {0};
	struct knet_error err = {0};
	int leak = socket(AF_UNIX, SOCK_STREAM, 0), n = 0;
	FILE *f;

	if (!mkdtemp(dir) || leak < 0 || dup2(leak, 40) < 0) {
		CHECK(0);
		return;
	}
	snprintf(list, sizeof(list), "%s/fds", dir);
	write_plugin(dir, "plugin",
		     "#!/bin/sh\n"
		     "for f in /proc/$$/fd/*; do\n"
		     "  echo \"${f##*/} $(readlink \"$f\")\"\n"
		     "done > \"$1\"\n"
		     "echo '{\"kind\":\"ExecCredential\",\"apiVersion\":"
		     "\"client.authentication.k8s.io/v1\",\"status\":"
		     "{\"token\":\"t\"}}'\n",
		     plugin, sizeof(plugin));
	ex.api_version = "client.authentication.k8s.io/v1";
	ex.args = args;
	ex.command = plugin;
	kc.server = "https://x.example";
	kc.exec = &ex;
	CHECK_INT(knet_exec_credential_run(&kc, 5000, &c, &err), 0);
	knet_exec_cred_clear(&c);
	f = fopen(list, "r");
	CHECK(f != NULL);
	while (f && fgets(line, sizeof(line), f)) {
		char *target = strchr(line, ' ');
		int fd = atoi(line);

		line[strcspn(line, "\n")] = '\0';
		n++;
		if (fd <= 2 || !target)
			continue;
		/* The shell's script, and the pipe $(...) reads from. */
		if (strcmp(target + 1, plugin) &&
		    strncmp(target + 1, "pipe:", 5)) {
			fprintf(stderr, "  plugin inherited fd %s\n", line);
			CHECK(0);
		}
	}
	CHECK(n >= 3);
	if (f)
		fclose(f);
	close(40);
	close(leak);
	unlink(list);
	unlink(plugin);
	rmdir(dir);
}

static void test_path_lookup(void)
{
	char *p = knet_path_lookup("sh", "/nonexistent:/bin:/usr/bin");

	CHECK(p != NULL);
	if (p)
		CHECK(!strcmp(p, "/bin/sh") || !strcmp(p, "/usr/bin/sh"));
	free(p);
	CHECK(knet_path_lookup("knet-no-such", "/bin") == NULL);
	CHECK(knet_path_lookup("", "/bin") == NULL);
}

static void test_api_new_errors(void)
{
	struct knet_api_config cfg = {
		.kubeconfig = "tests/fixtures/kubeconfig/a.yaml",
		.request_timeout = "soon",
	};
	struct knet_error err = {0};
	struct knet_api *api = NULL;

	CHECK_INT(knet_api_new(&cfg, &api, &err), -EINVAL);
	CHECK_INT(err.exit, KNET_EXIT_USAGE);
	CHECK(strstr(err.reason, "--request-timeout") != NULL);
	cfg.request_timeout = "2s";
	CHECK_INT(knet_api_new(&cfg, &api, &err), 0);
	if (api) {
		CHECK_STR(knet_api_namespace(api), "web");
		CHECK_STR(knet_api_server(api), "https://a.example:6443");
		CHECK_STR(knet_api_context(api), "ctx-a");
	}
	knet_api_free(api);
	knet_api_free(NULL);
}

/* Parse trees in an arena: big ones, again after a reset, and the
 * default hooks back in place afterwards. */
static void test_arena(void)
{
	struct knet_arena *a = knet_arena_new();
	size_t cap = 4 << 20, len = 0;
	char *doc = malloc(cap);
	cJSON *j, *heap;

	if (!a || !doc) {
		CHECK(0);
		free(doc);
		knet_arena_free(a);
		return;
	}
	len += (size_t)snprintf(doc, cap, "{\"items\":[");
	for (int i = 0; i < 20000; i++)
		len += (size_t)snprintf(doc + len, cap - len,
					"%s{\"name\":\"pod-%05d\",\"n\":%d}",
					i ? "," : "", i, i);
	len += (size_t)snprintf(doc + len, cap - len, "]}");
	for (int round = 0; round < 3; round++) {
		knet_arena_reset(a);
		j = knet_arena_parse(a, doc, len);
		CHECK(j != NULL);
		CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")),
			  20000);
		CHECK_STR(
			cJSON_GetObjectItem(
				cJSON_GetArrayItem(
					cJSON_GetObjectItem(j, "items"), 19999),
				"name")
				->valuestring,
			"pod-19999");
	}
	CHECK(knet_arena_parse(a, "{\"a\":", 5) == NULL);
	/* Outside a parse, cJSON allocates from the heap again. */
	heap = cJSON_Parse("{\"x\":[1,2,3]}");
	CHECK(heap != NULL);
	cJSON_Delete(heap);
	free(doc);
	knet_arena_free(a);
}

/*
 * One TLS session cache for the client's handles (share.c): a handle
 * made while the client certificate is the same joins it, one made
 * after it changed does not (it would resume the old certificate's).
 */
static void test_share(void)
{
	struct knet_api_config cfg = {
		.kubeconfig = "tests/fixtures/kubeconfig/a.yaml",
	};
	struct knet_error err = {0};
	struct knet_api *api = NULL;
	CURL *h;

	CHECK_INT(knet_api_new(&cfg, &api, &err), 0);
	if (!api)
		return;
	CHECK(api->share != NULL);
	/* only h in it: a share in use cannot be cleaned up */
	curl_easy_setopt(api->c.curl, CURLOPT_SHARE, NULL);
	h = curl_easy_duphandle(api->c.curl);
	CHECK(h != NULL);
	knet_api_share_attach(api, h);
	CHECK_INT(curl_share_cleanup(api->share), CURLSHE_IN_USE);
	curl_easy_setopt(h, CURLOPT_SHARE, NULL);
	/* a new client certificate: h does not join */
	api->creds_gen++;
	knet_api_share_attach(api, h);
	CHECK_INT(curl_share_cleanup(api->share), CURLSHE_OK);
	api->share = NULL;
	curl_easy_cleanup(h);
	knet_api_free(api);
}

int main(void)
{
	test_status();
	test_timeout();
	test_time();
	test_time_bad_offsets();
	test_path();
	test_path_validation();
	test_exec_parse();
	test_exec_run();
	test_exec_limits();
	test_exec_output_wiped();
	test_exec_fds();
	test_path_lookup();
	test_api_new_errors();
	test_share();
	test_arena();
	return unit_done("test-api-client");
}
