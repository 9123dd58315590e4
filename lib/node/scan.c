/* SPDX-License-Identifier: MIT */
/*
 * Finding namespaces on the node: /var/run/netns files (containerd and
 * `ip netns` leave them there) and the /proc/PID/ns/net of every process,
 * one entry per namespace inode.  A pod is matched by the UID in its
 * processes' cgroup paths (what the kubelet names them after) and, when
 * no process tells, by its IP.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "knet/node.h"

#define NETNS_DIR "/var/run/netns"
#define UID_LEN	  36

void knet_netns_info_clear(struct knet_netns_info *info)
{
	if (!info)
		return;
	if (info->pinned)
		close(info->fd);
	free(info->path);
	free(info->pod_uid);
	knet_addrs_free(info->addrs, info->naddrs);
	memset(info, 0, sizeof(*info));
}

void knet_netns_list_free(struct knet_netns_list *list)
{
	if (!list)
		return;
	for (int i = 0; i < list->n; i++)
		knet_netns_info_clear(&list->items[i]);
	free(list->items);
	free(list);
}

static bool uid_char(char c)
{
	return isxdigit((unsigned char)c) || c == '-' || c == '_';
}

int knet_cgroup_pod_uid(const char *text, char *ret_uid, size_t len)
{
	const char *p = text;

	if (len < UID_LEN + 1)
		return -EINVAL;
	while ((p = strstr(p, "pod"))) {
		const char *u = p + 3;
		int i;

		/* "kubepods" also contains "pod": require a path boundary. */
		if (p != text && p[-1] != '/' && p[-1] != '-') {
			p = u;
			continue;
		}
		for (i = 0; i < UID_LEN && u[i] && uid_char(u[i]); i++)
			;
		if (i == UID_LEN && !uid_char(u[UID_LEN])) {
			for (i = 0; i < UID_LEN; i++)
				ret_uid[i] = u[i] == '_' ? '-' : u[i];
			ret_uid[UID_LEN] = '\0';
			return 0;
		}
		p = u;
	}
	return -ENOENT;
}

static int pid_pod_uid(pid_t pid, char *uid, size_t len)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	buf[n] = '\0';
	return knet_cgroup_pod_uid(buf, uid, len);
}

static struct knet_netns_info *list_find(struct knet_netns_list *l, dev_t dev,
					 ino_t ino)
{
	for (int i = 0; i < l->n; i++)
		if (l->items[i].dev == dev && l->items[i].ino == ino)
			return &l->items[i];
	return NULL;
}

static struct knet_netns_info *list_add(struct knet_netns_list *l,
					const char *path, dev_t dev, ino_t ino,
					const char *how)
{
	struct knet_netns_info *items, *it;

	items = realloc(l->items, (l->n + 1) * sizeof(*items));
	if (!items)
		return NULL;
	l->items = items;
	it = &l->items[l->n];
	memset(it, 0, sizeof(*it));
	it->path = strdup(path);
	if (!it->path)
		return NULL;
	it->dev = dev;
	it->ino = ino;
	it->how = how;
	l->n++;
	return it;
}

static int scan_netns_dir(struct knet_netns_list *l)
{
	DIR *d = opendir(NETNS_DIR);
	struct dirent *de;
	char path[512];
	struct stat st;

	if (!d)
		return 0; /* no named namespaces on this node */
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), NETNS_DIR "/%s", de->d_name);
		/* The bind mount's inode is the namespace's. */
		if (stat(path, &st) < 0 || list_find(l, st.st_dev, st.st_ino))
			continue;
		if (!list_add(l, path, st.st_dev, st.st_ino, "netns-file")) {
			closedir(d);
			return -ENOMEM;
		}
	}
	closedir(d);
	return 0;
}

static int scan_proc(struct knet_netns_list *l)
{
	DIR *d = opendir("/proc");
	struct knet_netns_info *it;
	char path[64], uid[UID_LEN + 1];
	struct dirent *de;
	struct stat st;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
		if (stat(path, &st) < 0)
			continue; /* exited, or a kernel thread */
		it = list_find(l, st.st_dev, st.st_ino);
		if (!it) {
			it = list_add(l, path, st.st_dev, st.st_ino, "proc");
			if (!it) {
				closedir(d);
				return -ENOMEM;
			}
		}
		if (!it->pid)
			it->pid = (pid_t)pid;
		if (!it->pod_uid &&
		    pid_pod_uid((pid_t)pid, uid, sizeof(uid)) == 0) {
			it->pod_uid = strdup(uid);
			it->pid = (pid_t)pid;
			it->how = "cgroup";
		}
	}
	closedir(d);
	return 0;
}

static void read_addrs(struct knet_netns_info *it)
{
	int fd;

	if (knet_netns_open(it->path, &fd, NULL) < 0)
		return;
	/* A namespace we may not enter still gets listed, without IPs. */
	(void)knet_netns_addrs(fd, &it->addrs, &it->naddrs, NULL);
	close(fd);
}

/* Every namespace, with its addresses only when @addrs (a setns each). */
static int scan(bool addrs, struct knet_netns_list **ret_list,
		struct knet_error *err)
{
	struct knet_netns_list *l = calloc(1, sizeof(*l));
	dev_t sdev;
	ino_t sino;
	int r;

	if (!l)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	r = scan_netns_dir(l);
	if (r == 0)
		r = scan_proc(l);
	if (r < 0) {
		knet_netns_list_free(l);
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "scan namespaces: %s", strerror(-r));
	}
	if (knet_netns_self(&sdev, &sino) == 0) {
		struct knet_netns_info *self = list_find(l, sdev, sino);

		if (self)
			self->self = true;
	}
	for (int i = 0; addrs && i < l->n; i++)
		read_addrs(&l->items[i]);
	*ret_list = l;
	return 0;
}

int knet_netns_scan(struct knet_netns_list **ret_list, struct knet_error *err)
{
	return scan(true, ret_list, err);
}

static int take(struct knet_netns_info *from, struct knet_netns_info *to)
{
	*to = *from;
	memset(from, 0, sizeof(*from));
	return 0;
}

int knet_netns_find_pod(const char *uid, const char *const *ips, int nips,
			struct knet_netns_info *ret_info,
			struct knet_error *err)
{
	struct knet_netns_list *l;
	int r, i, j;

	/* Addresses cost a setns per namespace: only when the UID fails. */
	r = scan(false, &l, err);
	if (r < 0)
		return r;
	r = -ENOENT;
	for (i = 0; uid && i < l->n && r < 0; i++)
		if (l->items[i].pod_uid && !strcmp(l->items[i].pod_uid, uid)) {
			read_addrs(&l->items[i]);
			r = take(&l->items[i], ret_info);
		}
	for (i = 0; r < 0 && i < l->n; i++)
		read_addrs(&l->items[i]);
	/* The node's own namespace holds no pod IP worth matching. */
	for (i = 0; r < 0 && i < l->n; i++)
		for (j = 0; j < nips && r < 0; j++)
			if (!l->items[i].self &&
			    knet_addrs_contain(l->items[i].addrs,
					       l->items[i].naddrs, ips[j])) {
				l->items[i].how = "ip";
				r = take(&l->items[i], ret_info);
			}
	knet_netns_list_free(l);
	if (r < 0)
		return knet_error_set(err, -ENOENT, KNET_EXIT_NOT_FOUND,
				      "no network namespace on this node has "
				      "the pod's UID or IP");
	/*
	 * Pin the namespace the scan matched (by the inode seen next to the
	 * pod's cgroup or IP): what a path or PID names later may be
	 * another pod's.
	 */
	r = knet_netns_pin(ret_info, err);
	if (r < 0)
		knet_netns_info_clear(ret_info);
	return r;
}

static int info_from(const char *path, pid_t pid, const char *how,
		     struct knet_netns_info *ret_info, struct knet_error *err)
{
	struct knet_netns_info info = {0};
	struct stat st;
	int fd, r;

	r = knet_netns_open(path, &fd, err);
	if (r < 0)
		return r;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return knet_error_set(err, r, KNET_EXIT_SYSTEM, "stat %s: %s",
				      path, strerror(-r));
	}
	info.path = strdup(path);
	info.pid = pid;
	info.dev = st.st_dev;
	info.ino = st.st_ino;
	info.how = how;
	/* Keep it open: what is entered later is this one. */
	info.fd = fd;
	info.pinned = true;
	r = knet_netns_addrs(fd, &info.addrs, &info.naddrs, err);
	if (r < 0 || !info.path) {
		knet_netns_info_clear(&info);
		return r < 0 ? r
			     : knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
					      "out of memory");
	}
	*ret_info = info;
	return 0;
}

int knet_netns_from_path(const char *path, struct knet_netns_info *ret_info,
			 struct knet_error *err)
{
	return info_from(path, 0, "--netns", ret_info, err);
}

int knet_netns_from_pid(pid_t pid, struct knet_netns_info *ret_info,
			struct knet_error *err)
{
	char path[64];
	char uid[UID_LEN + 1];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	r = info_from(path, pid, "--pid", ret_info, err);
	if (r == -ENOENT)
		return knet_error_set(err, -ESRCH, KNET_EXIT_NOT_FOUND,
				      "no process %d", (int)pid);
	if (r == 0 && pid_pod_uid(pid, uid, sizeof(uid)) == 0)
		ret_info->pod_uid = strdup(uid);
	return r;
}
