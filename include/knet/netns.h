/* SPDX-License-Identifier: MIT */
#ifndef KNET_NETNS_H
#define KNET_NETNS_H

/*
 * The node side: network namespaces and privileges (see knet/node.h for
 * which node this is and how to reach another one).
 *
 * Namespaces are entered only on the calling thread (setns(2)), after
 * saving the current one; every socket is opened inside, then the thread
 * goes back and checks it really did.  Sockets keep the namespace they
 * were created in, so the probe loop runs back home, without privileges.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "knet/error.h"

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

/* Fill @ret_info for an explicit --netns PATH or --pid PID. */
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
 * Privileges: drop every capability (effective, permitted, inheritable,
 * ambient and, when allowed, the bounding set) with libcap-ng, and set
 * PR_SET_NO_NEW_PRIVS so nothing exec'd later regains them.
 */
int knet_privs_drop(struct knet_error *err);
/* Whether the calling thread has capability @cap in its effective set. */
bool knet_privs_have(int cap);

#endif
