/* SPDX-License-Identifier: MIT */
#ifndef KNET_NODE_H
#define KNET_NODE_H

/*
 * Which node this is, where a pod lives, what a target names, and how to
 * run knet on another node (the node transport).
 */

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "knet/base.h"
#include "knet/cli.h"
#include "knet/output.h"

/* --- network namespaces and privileges --- */

/*
 * The node side: network namespaces and privileges (see knet/node.h for
 * which node this is and how to reach another one).
 *
 * Namespaces are entered only on the calling thread (setns(2)), after
 * saving the current one; every socket is opened inside, then the thread
 * goes back and checks it really did.  Sockets keep the namespace they
 * were created in, so the probe loop runs back home, without privileges.
 */

/* The namespace a thread came from, to go back to it. */
struct knet_netns_saved {
	int fd;
	dev_t dev;
	ino_t ino;
};

/*
 * Open a network namespace file (/var/run/netns/NAME, /proc/PID/ns/net)
 * and check it is one.  -ENOENT (not found) when it is gone.
 */
int knet_netns_open(const char *path, int *ret_fd, struct knet_error *err);
int knet_netns_open_pid(pid_t pid, int *ret_fd, struct knet_error *err);

/*
 * Move the calling thread into the namespace @fd, saving the current one
 * in @ret_saved, and verify the move by comparing the inode of
 * /proc/thread-self/ns/net.  -EPERM names CAP_SYS_ADMIN in @err.
 */
int knet_netns_enter(int fd, struct knet_netns_saved *ret_saved,
		     struct knet_error *err);

/*
 * Go back to the saved namespace and verify it.  A thread that cannot go
 * home would run the rest of the program in a pod's namespace, so a
 * failure here abort()s.
 */
void knet_netns_leave(struct knet_netns_saved *saved);

/* The identity (device, inode) of the calling thread's namespace. */
int knet_netns_self(dev_t *ret_dev, ino_t *ret_ino);

/*
 * Where a namespace was found and how.  @how is "cgroup" (a process in a
 * cgroup with the pod's UID), "ip" (it holds the pod's IP), "netns-file"
 * (/var/run/netns), "proc" (only some process uses it), "--netns" or
 * "--pid" (given on the command line).
 */
struct knet_netns_info {
	char *path; /* openable: /var/run/netns/cni-..., /proc/N/ns/net */
	pid_t pid;  /* a process in it, 0 when none is known */
	dev_t dev;
	ino_t ino;
	char *pod_uid; /* from a process's cgroup, NULL when none */
	char **addrs;  /* global addresses, "198.19.1.5", "fd00::5" */
	int naddrs;
	const char *how; /* static string, see above */
	bool self;	 /* the namespace knet runs in (the node's) */
	bool pinned;	 /* fd is open on the namespace found */
	int fd;
};

struct knet_netns_list {
	struct knet_netns_info *items;
	int n;
};

/*
 * Every network namespace visible from here: /var/run/netns/ files and
 * /proc/PID/ns/net links, deduplicated by inode, with a process, a pod
 * UID from that process's cgroup, and the addresses read with netlink
 * inside each.  Namespaces that vanish while scanned are skipped.
 */
int knet_netns_scan(struct knet_netns_list **ret_list, struct knet_error *err);
void knet_netns_list_free(struct knet_netns_list *list);
void knet_netns_info_clear(struct knet_netns_info *info);

/*
 * The namespace of a pod on this node: by @uid in the cgroups of
 * processes, else by any of @ips among the namespaces' addresses.
 * -ENOENT with a reason when neither is found.
 */
int knet_netns_find_pod(const char *uid, const char *const *ips, int nips,
			struct knet_netns_info *ret_info,
			struct knet_error *err);

/*
 * Keep the namespace found open (@info->fd), after checking that @path
 * still names the device and inode seen when it was found: a PID reused
 * or a pod restarted since would name another pod's network.  -ESTALE
 * (exit 5) when it does not, -ENOENT when it is gone.  Found namespaces
 * (knet_netns_find_pod, _from_path, _from_pid) come back pinned.
 */
int knet_netns_pin(struct knet_netns_info *info, struct knet_error *err);

/*
 * Before entering the pinned namespace: its path must still name it.
 * -ESTALE (exit 5) when the path names another namespace now (entering
 * the pinned one would probe a network that is no longer the pod's),
 * -ENOENT (exit 5) when it is gone.
 */
int knet_netns_verify(const struct knet_netns_info *info,
		      struct knet_error *err);

/*
 * The /etc/resolv.conf the processes of namespace @info see (NULL or
 * the node's own namespace: this one's), read through /proc/PID/root
 * of a process in it (the one found with it, else any), and where it
 * was read (malloc'd, "/proc/123/root/etc/resolv.conf").  Needs root
 * for other users' processes; -ESRCH when no process runs there.
 */
int knet_netns_resolv_conf(const struct knet_netns_info *info, char **ret_text,
			   char **ret_where, struct knet_error *err);

/* Fill @ret_info for an explicit --netns PATH or --pid PID (pinned). */
int knet_netns_from_path(const char *path, struct knet_netns_info *ret_info,
			 struct knet_error *err);
int knet_netns_from_pid(pid_t pid, struct knet_netns_info *ret_info,
			struct knet_error *err);

/*
 * The global (non-loopback, non-link-local) addresses of the namespace
 * @fd, read with RTM_GETADDR from a netlink socket opened inside it.
 */
int knet_netns_addrs(int fd, char ***ret_addrs, int *ret_n,
		     struct knet_error *err);
/* The same for the namespace the thread is in. */
int knet_netns_addrs_self(char ***ret_addrs, int *ret_n,
			  struct knet_error *err);
void knet_addrs_free(char **v, int n);

/*
 * Whether @ip is one of @addrs, comparing binary forms ("fd00::0:5" and
 * "fd00::5" are one address).  False when @ip is not an address.
 */
bool knet_addrs_contain(char *const *addrs, int n, const char *ip);

/*
 * The pod UID in one /proc/PID/cgroup text: the "pod<UID>" path element
 * of cgroupfs ("pod1234-...") and systemd ("pod1234_....slice") drivers,
 * returned with dashes.  -ENOENT when there is none.
 */
int knet_cgroup_pod_uid(const char *text, char *ret_uid, size_t len);

/*
 * Privileges: set PR_SET_NO_NEW_PRIVS, drop the bounding set (when
 * allowed), become @user (NULL: nobody) with its group and no
 * supplementary groups, and drop every remaining capability (effective,
 * permitted, inheritable, ambient).  What needs root (tokens, keys,
 * namespace files) must be read before.  A process that cannot change
 * its uid (not root, no CAP_SETUID) only drops its capabilities, unless
 * @user was asked for: then it fails.
 */
int knet_privs_drop(const char *user, struct knet_error *err);
/*
 * The same, but capability @keep (-1: none) stays effective and
 * permitted across the uid change (PR_SET_KEEPCAPS): CAP_KILL for a
 * parent that must still signal the root child it started.  Without a
 * uid change (not root) nothing is kept: the child is the same user.
 */
int knet_privs_drop_keep(const char *user, int keep, struct knet_error *err);
/* The uid and primary gid of @user (a name or a number; NULL: nobody). */
int knet_privs_user(const char *user, uid_t *ret_uid, gid_t *ret_gid,
		    struct knet_error *err);
/* The same with passwd(5) file @passwd in place of /etc/passwd. */
int knet_privs_user_from(const char *passwd, const char *user, uid_t *ret_uid,
			 gid_t *ret_gid, struct knet_error *err);
/* Whether the calling thread has capability @cap in its effective set. */
bool knet_privs_have(int cap);

struct knet_api;
struct knet_pod;

/*
 * The name of the node this host is: @override (--node) when set, else
 * the Node whose InternalIP is on one of this namespace's interfaces.
 */
int knet_node_self(struct knet_api *api, const char *override, char **ret_name,
		   struct knet_error *err);

/* --- targets --- */

enum knet_target_kind {
	KNET_TARGET_IP,
	KNET_TARGET_POD,
	KNET_TARGET_SERVICE,
	KNET_TARGET_NODE,
};

/* "ip", "pod", "service", "node". */
const char *knet_target_kind_name(enum knet_target_kind kind);

struct knet_target {
	enum knet_target_kind kind;
	char *ns;	  /* pods and Services */
	char *name;	  /* the object's name; for an IP the IP */
	char *ip;	  /* the address to probe */
	char *port;	  /* as given ("80", "http"), NULL when none */
	int portnum;	  /* resolved number, 0 when none */
	bool udp;	  /* "/udp" was given, or the Service port is UDP */
	bool cluster_ip;  /* a Service reached through its ClusterIP */
	const char *via;  /* Service: "clusterIP" or "endpoint" (static) */
	char *detail;	  /* e.g. the endpoint pod behind a headless Service */
	int svc_tcp_port; /* Service: its first TCP port, 0 when none */
};

/*
 * Split a target without asking anybody: "[pod/]NAME", "NS/NAME",
 * "svc/NAME", "svc/NS/NAME", "node/NAME", an IPv4 or IPv6 address
 * ("[fd00::1]:80" with a port), each with an optional ":PORT" and
 * "/udp" or "/tcp".  -EINVAL with a reason for anything else.
 */
int knet_target_parse(const char *s, const char *default_ns,
		      struct knet_target **ret, struct knet_error *err);

/*
 * Parse and resolve through the API: a pod's IP (the first of @family,
 * AF_UNSPEC for any), a Service's ClusterIP (else a ready endpoint), a
 * node's InternalIP.  Unknown objects are -ENOENT / exit 3; a pod with
 * no IP yet is -EAGAIN / exit 1.  @api may be NULL for IP targets.
 */
int knet_target_resolve(struct knet_api *api, const char *s,
			const char *default_ns, int family,
			struct knet_target **ret, struct knet_error *err);
void knet_target_free(struct knet_target *t);

/*
 * How ping probes @t: ICMP, unless --tcp PORT / --udp PORT (@tcp_port,
 * @udp_port, 0 when not given) or a port in the target ("web:80" is TCP,
 * "dns:53/udp" UDP) say otherwise.  A Service's ClusterIP answers no
 * ICMP (kube-proxy only DNATs its ports), so plain ping of one probes
 * its first TCP port instead (cluster_ip_tcp), or, without one, stays
 * ICMP and says so (cluster_ip_no_tcp).  Both ports: -EINVAL, exit 2.
 */
struct knet_ping_mode {
	int mode; /* enum knet_probe_mode (knet/probe.h) */
	int port; /* 0 for ICMP */
	bool cluster_ip_tcp;
	bool cluster_ip_no_tcp;
};

int knet_target_ping_mode(const struct knet_target *t, int tcp_port,
			  int udp_port, struct knet_ping_mode *ret,
			  struct knet_error *err);

/* --- naming the hops of a path --- */

struct knet_hop_namer;

/*
 * Names for hop addresses: "node NAME", "node NAME (pod gateway)",
 * "pod NS/NAME", or what the who lookup says ("svc NS/NAME").  Pods are
 * asked one address at a time, so a large cluster costs no full list.
 */
int knet_hop_namer_new(struct knet_api *api, struct knet_hop_namer **ret,
		       struct knet_error *err);
void knet_hop_namer_free(struct knet_hop_namer *n);
/* malloc'd, NULL when nobody owns @ip. */
char *knet_hop_namer_name(struct knet_hop_namer *n, const char *ip);

/* --- where a pod is --- */

struct knet_pod_place {
	struct knet_pod *pod;	   /* NULL with --netns/--pid and no pod */
	char *node;		   /* the pod's node */
	bool local;		   /* on this node: ns is filled */
	struct knet_netns_info ns; /* the pod's namespace, when local */
};

/*
 * Find pod @name in @ns and, when it runs on @self_node, its network
 * namespace here (by UID in the cgroups, then by IP).  A pod elsewhere
 * is returned with local = false.  A pod without an IP is -EAGAIN (exit
 * 1) with the phase in the reason.
 */
int knet_pod_locate(struct knet_api *api, const char *ns, const char *name,
		    const char *self_node, struct knet_pod_place **ret,
		    struct knet_error *err);
void knet_pod_place_free(struct knet_pod_place *p);
/* The same for a pod known already (taken over, freed on failure). */
int knet_pod_place(struct knet_pod *pod, const char *self_node,
		   struct knet_pod_place **ret, struct knet_error *err);

/*
 * Whether the namespace found earlier is still there: the same inode at
 * its path (and its process alive, when it has one).  -ENOENT with a
 * reason (exit 5) when it vanished.
 */
int knet_netns_check(const struct knet_netns_info *info,
		     struct knet_error *err);

/* --- where probes come from: --from POD, --netns, --pid, or the node --- */

struct knet_source_opts {
	const char *from;	/* --from [NS/]POD, NULL: the node */
	const char *default_ns; /* -n */
	const char *netns;	/* --netns PATH */
	long long pid;		/* --pid PID, 0 when not given */
	const char *node;	/* --node */
	/*
	 * The pod as the caller found it (knet_fact_pod_encode), for a
	 * run without an API: its namespace is looked for by UID and IP
	 * all the same.
	 */
	const char *fact;
};

struct knet_source {
	struct knet_pod_place *place; /* with --from */
	struct knet_netns_info ns;    /* where to open sockets */
	bool has_ns;		      /* false: stay where we are */
	char *label;		      /* "pod web/client", "node node-a" */
	char *self_node;	      /* NULL when not needed or unknown */
	char *remote_node;	      /* set: run there, via the transport */
};

/*
 * Resolve where probes leave from.  With --from, the pod is looked up
 * (exit 3 unknown, 1 without an IP) and, when it runs on another node,
 * remote_node says so; --netns and --pid override the namespace search.
 */
int knet_source_resolve(struct knet_api *api,
			const struct knet_source_opts *opts,
			struct knet_source **ret, struct knet_error *err);
void knet_source_free(struct knet_source *s);

/*
 * Enter the source's namespace (nothing to do for the node itself): the
 * caller opens its sockets, then calls knet_netns_leave(@ret_saved).
 */
int knet_source_enter(const struct knet_source *s,
		      struct knet_netns_saved *ret_saved,
		      struct knet_error *err);

/*
 * Run this very command again on @node through the transport @tmpl
 * (--via / KNET_VIA), with JSON Lines output, feeding each line to @line
 * (see knet_via_run for @started and @stop); with @line NULL the remote
 * run gets our terminal instead (exec).  No transport: -EINVAL (exit 2)
 * with a reason saying how to give one.
 */
int knet_via_rerun(const char *tmpl, const char *node,
		   int (*line)(const char *line, void *userdata),
		   int (*started)(void *userdata, struct knet_error *err),
		   void *userdata, volatile sig_atomic_t *stop, int *ret_status,
		   struct knet_error *err);

/*
 * The same with @extra (NULL-terminated, may be NULL) added to the
 * remote command line as options (before a "--"): a command's hidden
 * role options, which reach the other node through any transport (ssh
 * passes no environment).
 */
int knet_via_rerun_extra(const char *tmpl, const char *node,
			 const char *const *extra,
			 int (*line)(const char *line, void *userdata),
			 int (*started)(void *userdata, struct knet_error *err),
			 void *userdata, volatile sig_atomic_t *stop,
			 int *ret_status, struct knet_error *err);
/* Only the command line that would run (NULL-terminated, malloc'd). */
int knet_via_rerun_command(const char *tmpl, const char *node,
			   const char *const *extra, char ***ret_argv,
			   struct knet_error *err);
/*
 * The same without a transport: this command again, here, as @node (the
 * node this host is) and as one member of a fan-out, so that this node's
 * answer comes back as JSON like every other node's.
 */
int knet_via_self_command(const char *node, const char *const *extra,
			  char ***ret_argv, struct knet_error *err);

/*
 * The option-table entries for where probes leave from (--from, --netns,
 * --pid), shared by ping and traceroute; @verb is "probe", "trace"...
 */
/* clang-format off */
#define KNET_NODE_SOURCE_OPTIONS(verb)					\
	{"from", 0, KNET_OPT_STRING, "POD",				\
	 verb " from inside this pod's network namespace", NULL, 0, 0,	\
	 "pod"},							\
	{"netns", 0, KNET_OPT_STRING, "PATH",				\
	 verb " from this network namespace file", NULL, 0, 0, "file"},	\
	{"pid", 0, KNET_OPT_INT, "PID",					\
	 verb " from the network namespace of this process", NULL, 1,	\
	 4194304, NULL}
/* Who to be once the sockets are open (tcpdump's -Z). */
#define KNET_NODE_RUN_AS_OPTION						\
	{"run-as", 'Z', KNET_OPT_STRING, "USER",			\
	 "after opening the sockets, run as USER (default nobody)",	\
	 NULL, 0, 0, NULL}
/* clang-format on */

/*
 * The API client where the cluster is optional (names for a trace of an
 * IP, pods for `knet netns`): NULL with the reason in @err when there is
 * no usable kubeconfig, and nothing printed.
 */
struct knet_api *knet_node_api_optional(const char *kubeconfig,
					const char *context,
					const char *request_timeout,
					struct knet_error *err);

/* --- the node transport --- */

/*
 * Node transport: a template such as "ssh {node}" or
 * "ip netns exec lab-{node}", split on blanks (no shell), with every
 * "{node}" replaced.  The result is a NULL-terminated vector.
 * KNET_VIA_K8S, the default, is pods/exec into the node's agent pod:
 * [/proc/self/exe, "__k8s-exec", NODE, "--"], and the remote command
 * line starts with "--stop-on-stdin".
 */
#define KNET_VIA_K8S "k8s"
int knet_via_expand(const char *tmpl, const char *node, char ***ret_argv,
		    int *ret_argc, struct knet_error *err);

/*
 * The command line to run knet itself on @node: the transport, the path
 * of /proc/self/exe, "-o json --node NODE", then @argv without the
 * output and node options (they are replaced) and without the fan-out's
 * (--all-nodes, --nodes, --max-parallel).  @tmpl NULL: no transport.
 */
int knet_via_command(const char *tmpl, const char *node, const char *self,
		     int argc, char *const *argv, char ***ret_argv,
		     int *ret_argc, struct knet_error *err);

/* The same with @extra options before a "--" (or at the end). */
int knet_via_command_extra(const char *tmpl, const char *node, const char *self,
			   int argc, char *const *argv,
			   const char *const *extra, char ***ret_argv,
			   int *ret_argc, struct knet_error *err);

/* This process's own argv, from /proc/self/cmdline. */
int knet_self_cmdline(char ***ret_argv, int *ret_argc, struct knet_error *err);

/*
 * Run @argv with stdout on a pipe and stdin on /dev/null, and call @line
 * for every line it prints (stderr passes through; lines grow up to 16
 * MiB, past which the run fails with -E2BIG).  Returns the child's exit
 * status (0..255, 128+signal) in @ret_status.  With @stop, the child
 * runs in its own process group and the signal number *@stop is set to
 * (knet_catch_stop) is forwarded to it once; reading goes on until it
 * exits, so its summary still arrives.  A second stop (Ctrl-C again)
 * kills its process group.  *@stop holds the first signal on return.
 * A @line callback returning < 0
 * ends the child (SIGTERM), and that code is returned once it is gone.
 * @started (may be NULL) is called once the child runs, before the
 * first line: the parent drops its privileges there (the child keeps
 * them); < 0 ends the child and is returned with @err as it filled it.
 */
int knet_via_run(char *const *argv,
		 int (*line)(const char *line, void *userdata),
		 int (*started)(void *userdata, struct knet_error *err),
		 void *userdata, volatile sig_atomic_t *stop, int *ret_status,
		 struct knet_error *err);

/*
 * A remote run several of which one loop polls: @argv in its own process
 * group, stdout on a non-blocking pipe.  knet_via_child_read() takes what
 * is there and calls @line per whole line: 0 when more may come, 1 at the
 * end of the output, or @line's first error (the child is then ended).
 * knet_via_child_signal() forwards a stop once; knet_via_child_wait()
 * ends it if its output was not read to the end, reaps it and frees.
 */
struct knet_via_child;
int knet_via_spawn(char *const *argv, struct knet_via_child **ret,
		   struct knet_error *err);
/* The same with the child's stderr on @err_fd (a fan-out keeps each
 * node's messages to name the node in them). */
int knet_via_spawn_err(char *const *argv, int err_fd,
		       struct knet_via_child **ret, struct knet_error *err);
int knet_via_child_fd(const struct knet_via_child *c);
int knet_via_child_read(struct knet_via_child *c,
			int (*line)(const char *line, void *userdata),
			void *userdata);
void knet_via_child_signal(struct knet_via_child *c, int sig);
/* A second Ctrl-C: its process group is killed (SIGKILL). */
void knet_via_child_kill(struct knet_via_child *c);
int knet_via_child_wait(struct knet_via_child *c, int *ret_status,
			struct knet_error *err);

/*
 * Is @ip one of the addresses of the current namespace's interfaces?
 * Used to find which node this is (its InternalIP is local).
 */
int knet_node_ip_is_local(const char *ip, bool *ret_local,
			  struct knet_error *err);

/*
 * Run @argv with stdin, stdout and stderr inherited (exec through the
 * transport) and return its exit status in @ret_status.  Ctrl-C is the
 * command's (our process group); once *@stop is set (SIGTERM), that
 * signal is passed on to it.
 */
int knet_via_exec(char *const *argv, volatile sig_atomic_t *stop,
		  int *ret_status, struct knet_error *err);

/* --- a fan-out's rules (lib/node/fanout.c) --- */

/* The last line of @text, without its "knet: " (a node's reason). */
const char *knet_fanout_last_line(const char *text, size_t *ret_len);
/*
 * Whether a node of a fan-out failed, from its exit @status, whether it
 * @answered (printed anything) and its stderr @errtext (may be NULL):
 * 0, and 1 with an answer (a check that found something), are answers.
 * Else @reason says why: its last line, or the transport (127, named
 * @transport), a signal, the status.
 */
bool knet_fanout_failed(int status, bool answered, const char *errtext,
			const char *transport, char *reason, size_t len);
/*
 * The whole fan-out's exit status: the nodes' @worst (0 or 1) when none
 * @failed, 1 when some failed and some @answered, else the first
 * failure's (2-5; a transport's 255 or a signal is 5).
 */
int knet_fanout_status(int worst, int answered, int failed, int first_failed);

/* The path of this program, from /proc/self/exe. */
int knet_self_exe(char **ret_path, struct knet_error *err);

/*
 * Add a row to @t from one JSON object printed by a remote knet: column
 * i takes obj[json_key] with the setter of its declared type.  Missing,
 * null and mistyped values stay missing; KNET_CELL_JSON columns are left
 * to the caller, who knows their table text.
 */
int knet_via_row(struct knet_table *t, const cJSON *obj);

/* --- remote runs without an API (--no-api): the caller's facts --- */

struct knet_pod;

/*
 * One argv word each, "key=value,...", values percent-encoded outside
 * [A-Za-z0-9._:/@+-] (safe from a shell and a URL query): a pod's
 * placement (namespace, name, UID, node, hostIP, phase, IPs) and a
 * resolved target.  Decoding a malformed fact is -EINVAL, exit 2;
 * unknown keys are skipped (a newer caller's).
 */
int knet_fact_pod_encode(const struct knet_pod *p, char **ret,
			 struct knet_error *err);
int knet_fact_pod_decode(const char *fact, struct knet_pod **ret,
			 struct knet_error *err);
int knet_fact_target_encode(const struct knet_target *t, char **ret,
			    struct knet_error *err);
int knet_fact_target_decode(const char *fact, struct knet_target **ret,
			    struct knet_error *err);

/*
 * Whether the remote end of transport @tmpl has no API: the "k8s"
 * transport (its agent pod holds no credentials), or any template when
 * KNET_VIA_NO_API=1 (to test it).
 */
bool knet_via_gives_no_api(const char *tmpl);

/*
 * Remove, in place, the options that reach the API (kubeconfig,
 * context, credentials, timeouts: knet_via_api_options) from a remote
 * command line @argv (NULL-terminated, malloc'd words, freed here), up
 * to a "--": a run with --no-api has no use for them, and a token must
 * not travel to an agent pod on argv.
 */
void knet_via_strip_api(char **argv);
/*
 * The same, but the words go to *@ret_taken (NULL-terminated, malloc'd,
 * may be NULL when none) instead of being freed: the k8s transport's
 * relay, which runs here, needs them for its own API client.  Returns
 * how many, or -ENOMEM.
 */
int knet_via_take_api(char **argv, char ***ret_taken, struct knet_error *err);

#endif
