/* SPDX-License-Identifier: MIT */
/*
 * Namespaces and the node transport: pod UIDs in cgroup paths, template
 * expansion, the remote command line, target syntax, and entering,
 * leaving and scanning a throwaway namespace (knet-test-PID, addresses
 * from 198.18.200.0/24 inside it only).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#include "knet/node.h"
#include "knet/probe.h"
#include "unit.h"

#define UID "0b6f2a8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c"

static void test_cgroup_uid(void)
{
	char uid[37];

	CHECK_INT(knet_cgroup_pod_uid("0::/kubepods/besteffort/pod" UID
				      "/abc123\n",
				      uid, sizeof(uid)),
		  0);
	CHECK_STR(uid, UID);
	/* systemd driver: underscores, .slice suffix */
	CHECK_INT(knet_cgroup_pod_uid(
			  "0::/kubepods.slice/kubepods-burstable.slice/"
			  "kubepods-burstable-pod0b6f2a8c_1d2e_4f3a_9b8c_"
			  "7d6e5f4a3b2c.slice/cri-containerd-1.scope\n",
			  uid, sizeof(uid)),
		  0);
	CHECK_STR(uid, UID);
	/* "kubepods" alone is no pod; neither is a short UID. */
	CHECK_INT(knet_cgroup_pod_uid("0::/kubepods/besteffort\n", uid,
				      sizeof(uid)),
		  -ENOENT);
	CHECK_INT(knet_cgroup_pod_uid("0::/kubepods/pod1234/x\n", uid,
				      sizeof(uid)),
		  -ENOENT);
	CHECK_INT(knet_cgroup_pod_uid("0::/user.slice\n", uid, 10), -EINVAL);
}

static void test_via_expand(void)
{
	struct knet_error err = {0};
	char **v = NULL;
	int n = 0;

	CHECK_INT(knet_via_expand("ip netns exec lab-{node}", "node-b", &v, &n,
				  &err),
		  0);
	CHECK_INT(n, 4);
	CHECK_STR(v[3], "lab-node-b");
	CHECK(v[4] == NULL);
	knet_addrs_free(v, n);
	CHECK_INT(knet_via_expand("  ssh\t{node}.{node} ", "n1", &v, &n, &err),
		  0);
	CHECK_INT(n, 2);
	CHECK_STR(v[1], "n1.n1");
	knet_addrs_free(v, n);
	CHECK_INT(knet_via_expand("", "n1", &v, &n, &err), -EINVAL);
	CHECK_INT(knet_via_expand("   ", "n1", &v, &n, &err), -EINVAL);
	/* A node name cannot smuggle options or shell syntax. */
	CHECK_INT(knet_via_expand("ssh {node}", "a;rm -rf", &v, &n, &err),
		  -EINVAL);
	CHECK_INT(err.exit, KNET_EXIT_USAGE);
}

static void test_via_command(void)
{
	char *in[] = {"knet",	"-o",	  "table",  "ping", "web", "--node=x",
		      "--from", "client", "-ojson", "--",   "-o",  NULL};
	struct knet_error err = {0};
	char **v = NULL;
	int n = 0;

	CHECK_INT(knet_via_command("ssh {node}", "node-b", "/usr/bin/knet", 11,
				   in, &v, &n, &err),
		  0);
	/* ssh node-b /usr/bin/knet -o json --node node-b ping web --from
	 * client -- -o */
	CHECK_INT(n, 13);
	CHECK_STR(v[0], "ssh");
	CHECK_STR(v[2], "/usr/bin/knet");
	CHECK_STR(v[4], "json");
	CHECK_STR(v[6], "node-b");
	CHECK_STR(v[7], "ping");
	CHECK_STR(v[8], "web");
	CHECK_STR(v[10], "client");
	CHECK_STR(v[11], "--");
	CHECK_STR(v[12], "-o"); /* after "--" it belongs to the command */
	CHECK(v[13] == NULL);
	knet_addrs_free(v, n);
}

/* Extra options go before "--", or at the end without one. */
static void test_via_command_extra(void)
{
	char *with[] = {"knet", "capture", "web", "--", "tcp", NULL};
	char *without[] = {"knet", "capture", "web", "tcp", NULL};
	const char *const extra[] = {"--stream", NULL};
	struct knet_error err = {0};
	char **v = NULL;
	int n = 0;

	CHECK_INT(knet_via_command_extra("ip netns exec lab-{node}", "node-b",
					 "/k", 5, with, extra, &v, &n, &err),
		  0);
	/* ip netns exec lab-node-b /k -o json --node node-b capture web
	 * --stream -- tcp */
	CHECK_INT(n, 14);
	CHECK_STR(v[3], "lab-node-b");
	CHECK_STR(v[9], "capture");
	CHECK_STR(v[10], "web");
	CHECK_STR(v[11], "--stream");
	CHECK_STR(v[12], "--");
	CHECK_STR(v[13], "tcp");
	knet_addrs_free(v, n);
	CHECK_INT(knet_via_command_extra("ssh {node}", "node-b", "/k", 4,
					 without, extra, &v, &n, &err),
		  0);
	CHECK_INT(n, 11);
	CHECK_STR(v[9], "tcp");
	CHECK_STR(v[10], "--stream");
	CHECK(v[11] == NULL);
	knet_addrs_free(v, n);
	/* no extra: what knet_via_command gives */
	CHECK_INT(knet_via_command_extra("ssh {node}", "node-b", "/k", 4,
					 without, NULL, &v, &n, &err),
		  0);
	CHECK_INT(n, 10);
	knet_addrs_free(v, n);
}

/* A fan-out's member runs one node: its options are not passed on. */
static void test_via_command_fanout(void)
{
	char *in[] = {"knet",
		      "netns",
		      "--all-nodes",
		      "--nodes",
		      "app=x",
		      "-a",
		      "--nodes=role=y",
		      "--max-parallel",
		      "3",
		      "--max-parallel=4",
		      "--",
		      "--all-nodes",
		      NULL};
	struct knet_error err = {0};
	char **v = NULL;
	int n = 0;

	/* No transport: this node's own run, as a child. */
	CHECK_INT(knet_via_command_extra(NULL, "node-a", "/k", 12, in, NULL, &v,
					 &n, &err),
		  0);
	/* /k -o json --node node-a netns -a -- --all-nodes */
	CHECK_INT(n, 9);
	CHECK_STR(v[0], "/k");
	CHECK_STR(v[4], "node-a");
	CHECK_STR(v[5], "netns");
	CHECK_STR(v[6], "-a");
	CHECK_STR(v[7], "--");
	CHECK_STR(v[8], "--all-nodes"); /* the command's, after "--" */
	CHECK(v[9] == NULL);
	knet_addrs_free(v, n);
	CHECK_INT(knet_via_command_extra(NULL, "Node_A", "/k", 12, in, NULL, &v,
					 &n, &err),
		  -EINVAL);
	CHECK_INT(err.exit, KNET_EXIT_USAGE);
}

/* A fan-out: which nodes answered, why not, and the whole's status. */
static void test_fanout_rules(void)
{
	char why[128];
	size_t l = 0;
	const char *p;

	CHECK(!knet_fanout_failed(0, false, NULL, "ssh {node}", why,
				  sizeof(why)));
	/* 1 with an answer: a check that found (stale entries) */
	CHECK(!knet_fanout_failed(1, true, "knet: 3 stale entries\n", "t", why,
				  sizeof(why)));
	/* 1 without one: ip netns exec that could not enter */
	CHECK(knet_fanout_failed(1, false,
				 "Cannot open network namespace \"lab-x\": No "
				 "such file or directory\n",
				 "t", why, sizeof(why)));
	CHECK_STR(why, "Cannot open network namespace \"lab-x\": No such file "
		       "or directory");
	/* the last line is the reason, without its "knet: " */
	CHECK(knet_fanout_failed(
		5, true, "knet: node note\nknet: cannot scan: EPERM\n\n", "t",
		why, sizeof(why)));
	CHECK_STR(why, "cannot scan: EPERM");
	CHECK(knet_fanout_failed(127, false, "", "ssh {node}", why,
				 sizeof(why)));
	CHECK_STR(why, "cannot run the node transport 'ssh {node}'");
	CHECK(knet_fanout_failed(130, false, NULL, "t", why, sizeof(why)));
	CHECK_STR(why, "ended by signal 2");
	CHECK(knet_fanout_failed(255, false, "\n", "t", why, sizeof(why)));
	CHECK_STR(why, "exited with status 255");
	/* a reason longer than the buffer is cut, not overrun */
	CHECK(knet_fanout_failed(4, false, "0123456789abcdef", "t", why, 8));
	CHECK_STR(why, "0123456");
	p = knet_fanout_last_line("a\nknet: b c\n", &l);
	CHECK_INT(l, 3);
	CHECK(!strncmp(p, "b c", l));
	p = knet_fanout_last_line("", &l);
	CHECK_INT(l, 0);
	/* all answered: theirs; some: 1; none: the first failure's */
	CHECK_INT(knet_fanout_status(0, 3, 0, 0), 0);
	CHECK_INT(knet_fanout_status(1, 3, 0, 0), 1);
	CHECK_INT(knet_fanout_status(0, 2, 1, 4), 1);
	CHECK_INT(knet_fanout_status(0, 0, 3, 4), 4);
	CHECK_INT(knet_fanout_status(0, 0, 3, 255), 5);
	CHECK_INT(knet_fanout_status(0, 0, 3, 1), 5);
	CHECK_INT(knet_fanout_status(0, 0, 1, 0), 5);
}

static void test_target_parse(void)
{
	struct knet_error err = {0};
	struct knet_target *t = NULL;

	CHECK_INT(knet_target_parse("web-1", "shop", &t, &err), 0);
	CHECK_INT(t->kind, KNET_TARGET_POD);
	CHECK_STR(t->ns, "shop");
	CHECK_STR(t->name, "web-1");
	knet_target_free(t);
	CHECK_INT(knet_target_parse("svc/other/web:http", "shop", &t, &err), 0);
	CHECK_INT(t->kind, KNET_TARGET_SERVICE);
	CHECK_STR(t->ns, "other");
	CHECK_STR(t->port, "http");
	CHECK_INT(t->portnum, 0);
	knet_target_free(t);
	CHECK_INT(knet_target_parse("dns/coredns:53/udp", NULL, &t, &err), 0);
	CHECK_STR(t->ns, "dns");
	CHECK_INT(t->portnum, 53);
	CHECK(t->udp);
	knet_target_free(t);
	CHECK_INT(knet_target_parse("198.18.200.5:8080", NULL, &t, &err), 0);
	CHECK_INT(t->kind, KNET_TARGET_IP);
	CHECK_STR(t->ip, "198.18.200.5");
	CHECK_INT(t->portnum, 8080);
	knet_target_free(t);
	CHECK_INT(knet_target_parse("[fd00::5]:443", NULL, &t, &err), 0);
	CHECK_STR(t->ip, "fd00::5");
	CHECK_INT(t->portnum, 443);
	knet_target_free(t);
	CHECK_INT(knet_target_parse("fd00::5", NULL, &t, &err), 0);
	CHECK_STR(t->ip, "fd00::5");
	knet_target_free(t);
	CHECK_INT(knet_target_parse("node/node-a", NULL, &t, &err), 0);
	CHECK_INT(t->kind, KNET_TARGET_NODE);
	CHECK(t->ns == NULL);
	knet_target_free(t);
	t = NULL;
	CHECK_INT(knet_target_parse("Web", NULL, &t, &err), -EINVAL);
	CHECK_INT(knet_target_parse("web:0", NULL, &t, &err), -EINVAL);
	CHECK_INT(knet_target_parse("web:80/sctp", NULL, &t, &err), -EINVAL);
	CHECK_INT(knet_target_parse("198.18.200.300", NULL, &t, &err), -EINVAL);
	CHECK_INT(knet_target_parse("node/ns/x", NULL, &t, &err), -EINVAL);
	CHECK_INT(knet_target_parse("../etc", NULL, &t, &err), -EINVAL);
	CHECK_INT(knet_target_parse("", NULL, &t, &err), -EINVAL);
	CHECK(t == NULL);
	CHECK_INT(knet_target_resolve(NULL, "web", "default", 0, &t, &err),
		  -EINVAL);
}

/* How ping probes a target; a ClusterIP answers no ICMP: TCP instead. */
static void test_ping_mode(void)
{
	struct knet_target pod = {.kind = KNET_TARGET_POD, .ip = "198.19.1.5"};
	struct knet_target svc = {
		.kind = KNET_TARGET_SERVICE,
		.ip = "198.18.128.10",
		.cluster_ip = true,
		.svc_tcp_port = 80,
	};
	struct knet_target udp_svc = svc;
	struct knet_error err = {0};
	struct knet_ping_mode m;

	CHECK_INT(knet_target_ping_mode(&pod, 0, 0, &m, &err), 0);
	CHECK_INT(m.mode, KNET_PROBE_ICMP);
	CHECK_INT(m.port, 0);
	CHECK(!m.cluster_ip_tcp && !m.cluster_ip_no_tcp);
	CHECK_INT(knet_target_ping_mode(&pod, 8080, 0, &m, &err), 0);
	CHECK_INT(m.mode, KNET_PROBE_TCP);
	CHECK_INT(m.port, 8080);
	CHECK_INT(knet_target_ping_mode(&pod, 0, 7, &m, &err), 0);
	CHECK_INT(m.mode, KNET_PROBE_UDP);
	CHECK_INT(m.port, 7);
	CHECK_INT(knet_target_ping_mode(&pod, 80, 53, &m, &err), -EINVAL);
	CHECK_INT(err.exit, KNET_EXIT_USAGE);
	/* "web:8080" is TCP, "dns:53/udp" UDP */
	pod.portnum = 8080;
	CHECK_INT(knet_target_ping_mode(&pod, 0, 0, &m, &err), 0);
	CHECK_INT(m.mode, KNET_PROBE_TCP);
	CHECK_INT(m.port, 8080);
	pod.udp = true;
	CHECK_INT(knet_target_ping_mode(&pod, 0, 0, &m, &err), 0);
	CHECK_INT(m.mode, KNET_PROBE_UDP);
	CHECK_INT(m.port, 8080);
	/* the ClusterIP rule */
	CHECK_INT(knet_target_ping_mode(&svc, 0, 0, &m, &err), 0);
	CHECK_INT(m.mode, KNET_PROBE_TCP);
	CHECK_INT(m.port, 80);
	CHECK(m.cluster_ip_tcp);
	/* asked for UDP: asked for UDP */
	CHECK_INT(knet_target_ping_mode(&svc, 0, 53, &m, &err), 0);
	CHECK_INT(m.mode, KNET_PROBE_UDP);
	CHECK(!m.cluster_ip_tcp);
	udp_svc.svc_tcp_port = 0;
	CHECK_INT(knet_target_ping_mode(&udp_svc, 0, 0, &m, &err), 0);
	CHECK_INT(m.mode, KNET_PROBE_ICMP);
	CHECK(m.cluster_ip_no_tcp && !m.cluster_ip_tcp);
	/* a headless Service resolved to an endpoint answers ICMP */
	svc.cluster_ip = false;
	CHECK_INT(knet_target_ping_mode(&svc, 0, 0, &m, &err), 0);
	CHECK_INT(m.mode, KNET_PROBE_ICMP);
}

struct lines {
	char got[4][32];
	int n;
	volatile sig_atomic_t stop;
};

static int take_line(const char *line, void *ud)
{
	struct lines *l = ud;

	if (l->n < 4)
		snprintf(l->got[l->n++], sizeof(l->got[0]), "%s", line);
	return 0;
}

static void test_via_run(void)
{
	char *argv[] = {"sh", "-c", "echo one; printf 'two\\nthree'; exit 3",
			NULL};
	char *missing[] = {"/nonexistent/knet-transport", NULL};
	struct knet_error err = {0};
	struct lines l = {0};
	char **self = NULL;
	int status = -1, n = 0;

	CHECK_INT(knet_via_run(argv, take_line, NULL, &l, NULL, &status, &err),
		  0);
	CHECK_INT(status, 3);
	CHECK_INT(l.n, 3);
	CHECK_STR(l.got[0], "one");
	CHECK_STR(l.got[1], "two");
	CHECK_STR(l.got[2], "three"); /* the last line needs no newline */
	CHECK_INT(
		knet_via_run(missing, take_line, NULL, &l, NULL, &status, &err),
		0);
	CHECK_INT(status, 127);
	/* A line no knet prints fails loudly instead of eating memory. */
	{
		char *huge[] = {"sh", "-c",
				"head -c 17000000 /dev/zero | tr '\\0' a; "
				"echo; echo after",
				NULL};
		struct lines h = {0};

		CHECK_INT(knet_via_run(huge, take_line, NULL, &h, NULL, &status,
				       &err),
			  -E2BIG);
		CHECK(strstr(err.reason, "longer than 16 MiB") != NULL);
		CHECK_INT(h.n, 0);
	}
	CHECK_INT(knet_self_cmdline(&self, &n, &err), 0);
	CHECK(n >= 1 && strstr(self[0], "test-netns") != NULL);
	knet_addrs_free(self, n);
}

static int stop_at_start(const char *line, void *ud)
{
	struct lines *l = ud;

	take_line(line, ud);
	/* what Ctrl-C does to the flag of knet_catch_stop() */
	if (!strcmp(line, "start"))
		l->stop = SIGINT;
	return 0;
}

/* A stop is passed on to the remote run, whose summary is still read. */
static void test_via_stop(void)
{
	char *argv[] = {"sh", "-c",
			"trap 'echo summary; exit 0' INT; echo start; "
			"while :; do sleep 0.05; done",
			NULL};
	struct knet_error err = {0};
	struct lines l = {0};
	int status = -1;

	CHECK_INT(knet_via_run(argv, stop_at_start, NULL, &l, &l.stop, &status,
			       &err),
		  0);
	CHECK_INT(status, 0);
	CHECK_INT(l.n, 2);
	CHECK_STR(l.got[1], "summary");
}

static int refuse(void *ud, struct knet_error *err)
{
	(void)ud;
	return knet_error_set(err, -EPERM, KNET_EXIT_SYSTEM, "refused here");
}

static int drop_but_kill(void *ud, struct knet_error *err)
{
	(void)ud;
	return knet_privs_drop_keep(NULL, CAP_KILL, err);
}

/*
 * @started runs before the first line; when it fails the child is ended
 * (not waited for) and its error returned.  A parent that became nobody
 * with CAP_KILL there still stops its root child and reads its summary
 * (in a child process of the test: the drop is for good).
 */
static void test_via_started(void)
{
	char *forever[] = {"sh", "-c", "echo one; sleep 100", NULL};
	/* Not stopped (the signal refused): it ends by itself, with 9. */
	char *argv[] = {"sh", "-c",
			"trap 'echo summary; exit 0' INT; echo start; i=0; "
			"while [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); "
			"done; exit 9",
			NULL};
	struct knet_error err = {0};
	struct lines l = {0};
	int status = -1;
	time_t t0 = time(NULL);
	pid_t pid;

	CHECK_INT(knet_via_run(forever, take_line, refuse, &l, &l.stop, &status,
			       &err),
		  -EPERM);
	CHECK_STR(err.reason, "refused here");
	CHECK_INT(l.n, 0);
	CHECK(time(NULL) - t0 < 10);
	if (geteuid() != 0) {
		UNIT_SKIP("via started as nobody", "needs root");
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int r = knet_via_run(argv, stop_at_start, drop_but_kill, &l,
				     &l.stop, &status, &err);

		if (r < 0)
			fprintf(stderr, "  via_run: %s\n", err.reason);
		_exit(r == 0 && status == 0 && l.n == 2 && getuid() != 0 &&
				      !strcmp(l.got[1], "summary")
			      ? 0
			      : 1);
	}
	CHECK(pid > 0);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);
}

static int sh(const char *fmt, const char *name)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), fmt, name, name);
	return system(cmd);
}

/* Needs root and ip(8); skipped otherwise. */
static void test_enter_leave(void)
{
	struct knet_netns_saved saved;
	struct knet_netns_list *l = NULL;
	struct knet_netns_info info = {0};
	struct knet_error err = {0};
	char name[64], path[128];
	dev_t d0, d1;
	ino_t i0, i1;
	int fd = -1, found = 0;
	char **addrs = NULL;
	int n = 0;

	snprintf(name, sizeof(name), "knet-test-%d", (int)getpid());
	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	if (geteuid() != 0 || sh("ip netns add %s 2>/dev/null", name) != 0) {
		UNIT_SKIP("test-netns", "namespace tests need root and ip(8)");
		return;
	}
	sh("ip -n %s link set lo up && ip -n %s addr add 198.18.200.7/32 "
	   "dev lo",
	   name);
	CHECK_INT(knet_netns_self(&d0, &i0), 0);
	CHECK_INT(knet_netns_open(path, &fd, &err), 0);
	CHECK_INT(knet_netns_enter(fd, &saved, &err), 0);
	CHECK_INT(knet_netns_self(&d1, &i1), 0);
	CHECK(i1 != i0);
	CHECK_INT(knet_netns_addrs_self(&addrs, &n, &err), 0);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_STR(addrs[0], "198.18.200.7");
	knet_addrs_free(addrs, n);
	knet_netns_leave(&saved);
	CHECK_INT(knet_netns_self(&d1, &i1), 0);
	CHECK(i1 == i0 && d1 == d0);
	CHECK_INT(saved.fd, -1);
	close(fd);

	CHECK_INT(knet_netns_from_path(path, &info, &err), 0);
	CHECK_STR(info.how, "--netns");
	CHECK_INT(info.naddrs, 1);
	CHECK_INT(knet_netns_check(&info, &err), 0);
	CHECK_INT(knet_netns_scan(&l, &err), 0);
	for (int i = 0; l && i < l->n; i++)
		if (l->items[i].ino == info.ino) {
			found++;
			CHECK_STR(l->items[i].path, path);
			CHECK_STR(l->items[i].how, "netns-file");
		}
	CHECK_INT(found, 1); /* deduplicated by inode */
	knet_netns_list_free(l);

	/* No process carries a pod UID there: found by its IP. */
	{
		const char *ips[] = {"198.18.200.9", "198.18.200.7"};
		struct knet_netns_info byip = {0};

		CHECK_INT(knet_netns_find_pod(UID, ips, 2, &byip, &err), 0);
		CHECK_STR(byip.how, "ip");
		CHECK(byip.ino == info.ino);
		knet_netns_info_clear(&byip);
		CHECK_INT(knet_netns_find_pod(UID, ips, 1, &byip, &err),
			  -ENOENT);
		CHECK_INT(err.exit, KNET_EXIT_NOT_FOUND);
	}

	sh("ip netns del %s", name);
	/* Gone: said as such, with the path. */
	CHECK_INT(knet_netns_check(&info, &err), -ENOENT);
	CHECK(strstr(err.reason, "is gone") != NULL);
	CHECK_INT(knet_netns_open(path, &fd, &err), -ENOENT);
	CHECK_INT(err.exit, KNET_EXIT_NOT_FOUND);
	CHECK_INT(knet_netns_open("/etc/hostname", &fd, &err), -EINVAL);
	knet_netns_info_clear(&info);
}

/*
 * A namespace found, then replaced at the same path (a pod restarted, a
 * PID reused): entering must refuse, not enter the other network.
 */
static void test_replaced(void)
{
	struct knet_source_opts so = {0};
	struct knet_netns_saved saved = {.fd = -1};
	struct knet_source *src = NULL;
	struct knet_error err = {0};
	char name[64], path[128];
	dev_t d0, d1;
	ino_t i0, i1;
	int r;

	snprintf(name, sizeof(name), "knet-test-r%d", (int)getpid());
	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	if (geteuid() != 0 || sh("ip netns add %s 2>/dev/null", name) != 0) {
		UNIT_SKIP("test-netns", "namespace tests need root and ip(8)");
		return;
	}
	so.netns = path;
	CHECK_INT(knet_source_resolve(NULL, &so, &src, &err), 0);
	/* the same name, another namespace */
	sh("ip netns del %s && ip netns add %s", name);
	CHECK_INT(knet_netns_self(&d0, &i0), 0);
	r = src ? knet_source_enter(src, &saved, &err) : -1;
	CHECK_INT(r, -ESTALE);
	CHECK_INT(err.exit, KNET_EXIT_SYSTEM);
	CHECK(strstr(err.reason, "not the one found") != NULL);
	if (r == 0)
		knet_netns_leave(&saved);
	CHECK_INT(knet_netns_self(&d1, &i1), 0);
	CHECK(d1 == d0 && i1 == i0); /* still at home */
	/* and once the path is gone, it says so */
	sh("ip netns del %s", name);
	r = src ? knet_source_enter(src, &saved, &err) : -1;
	CHECK_INT(r, -ENOENT);
	CHECK(strstr(err.reason, "is gone") != NULL);
	CHECK_INT(err.exit, KNET_EXIT_SYSTEM);
	if (r == 0)
		knet_netns_leave(&saved);
	knet_source_free(src);
}

/* Addresses compare by value, not by spelling. */
static void test_addrs_contain(void)
{
	char *addrs[] = {"198.19.1.5", "fd00::5"};

	CHECK(knet_addrs_contain(addrs, 2, "198.19.1.5"));
	CHECK(knet_addrs_contain(addrs, 2, "fd00:0::0:5"));
	CHECK(!knet_addrs_contain(addrs, 2, "198.19.1.50"));
	CHECK(!knet_addrs_contain(addrs, 2, "fd00::6"));
	CHECK(!knet_addrs_contain(addrs, 2, "not-an-ip"));
	CHECK(!knet_addrs_contain(addrs, 0, "198.19.1.5"));
}

/* A fan-out member's stderr, a relay's stdout: every byte, or -EPIPE. */
static void test_write_all(void)
{
	char big[200000], got[sizeof(big)];
	size_t have = 0;
	ssize_t n;
	int p[2];
	pid_t pid;

	memset(big, 'k', sizeof(big));
	CHECK_INT(pipe(p), 0);
	/* more than a pipe holds: the reader takes it in parts */
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		_exit(knet_write_all(p[1], big, sizeof(big)) == 0 ? 0 : 1);
	}
	close(p[1]);
	while ((n = read(p[0], got + have, sizeof(got) - have)) > 0)
		have += (size_t)n;
	close(p[0]);
	CHECK_INT((int)have, (int)sizeof(big));
	CHECK(!memcmp(big, got, sizeof(big)));
	{
		int st = -1;

		waitpid(pid, &st, 0);
		CHECK_INT(st, 0);
	}
	/* nobody reads: EPIPE (SIGPIPE ignored, as knet does) */
	CHECK_INT(pipe(p), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	CHECK_INT(knet_write_all(p[1], "x", 1), -EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
	CHECK_INT(knet_write_all(p[1], "", 0), 0);
}

int main(void)
{
	test_addrs_contain();
	test_write_all();
	test_cgroup_uid();
	test_via_expand();
	test_via_command();
	test_via_command_extra();
	test_via_command_fanout();
	test_fanout_rules();
	test_target_parse();
	test_ping_mode();
	test_via_run();
	test_via_stop();
	test_via_started();
	test_enter_leave();
	test_replaced();
	return unit_done("test-netns");
}
