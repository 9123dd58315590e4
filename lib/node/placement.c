/* SPDX-License-Identifier: MIT */
/*
 * Where a pod is: its node from the API, and on this node its network
 * namespace.  Local or remote is decided by spec.nodeName, never by what
 * is visible: a shared mount namespace (the lab, some runtimes) shows
 * other nodes' namespace files too.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "knet/objects.h"
#include "knet/node.h"

void knet_pod_place_free(struct knet_pod_place *p)
{
	if (!p)
		return;
	knet_pod_free(p->pod);
	free(p->node);
	knet_netns_info_clear(&p->ns);
	free(p);
}

int knet_pod_locate(struct knet_api *api, const char *ns, const char *name,
		    const char *self_node, struct knet_pod_place **ret,
		    struct knet_error *err)
{
	struct knet_pod *pod;
	int r;

	r = knet_pod_get(api, ns, name, &pod, err);
	if (r < 0)
		return r;
	return knet_pod_place(pod, self_node, ret, err);
}

int knet_pod_place(struct knet_pod *pod, const char *self_node,
		   struct knet_pod_place **ret, struct knet_error *err)
{
	const char *ns = pod->meta.namespace, *name = pod->meta.name;
	struct knet_pod_place *p;
	int r;

	p = calloc(1, sizeof(*p));
	if (!p) {
		knet_pod_free(pod);
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	}
	p->pod = pod;
	if (pod->ips.n == 0 || !pod->node) {
		r = knet_error_set(err, -EAGAIN, KNET_EXIT_PROBLEM,
				   "pod %s/%s has no IP yet (phase %s%s)", ns,
				   name, pod->phase ? pod->phase : "unknown",
				   pod->node ? "" : ", not scheduled");
		goto fail;
	}
	p->node = strdup(pod->node);
	if (!p->node) {
		r = knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				   "out of memory");
		goto fail;
	}
	if (self_node && strcmp(self_node, pod->node)) {
		*ret = p; /* elsewhere: the caller goes through the transport */
		return 0;
	}
	p->local = true;
	r = knet_netns_find_pod(pod->meta.uid, (const char *const *)pod->ips.v,
				pod->ips.n, &p->ns, err);
	if (r < 0) {
		if (r == -ENOENT)
			knet_error_set(err, r, KNET_EXIT_SYSTEM,
				       "pod %s/%s should run on this node "
				       "(%s) but no network namespace here "
				       "has its UID or IP",
				       ns, name, pod->node);
		goto fail;
	}
	*ret = p;
	return 0;
fail:
	knet_pod_place_free(p);
	return r;
}

int knet_netns_check(const struct knet_netns_info *info, struct knet_error *err)
{
	struct stat st;

	if (info->self)
		return 0;
	/*
	 * Once knet runs as nobody, another user's /proc/PID/ns/net is
	 * closed to it (ptrace rules): then the process tells instead.
	 */
	if (stat(info->path, &st) < 0
		    ? !((errno == EACCES || errno == EPERM) && info->pid > 0)
		    : st.st_ino != info->ino || st.st_dev != info->dev)
		return knet_error_set(err, -ENOENT, KNET_EXIT_SYSTEM,
				      "network namespace %s is gone (pod "
				      "deleted?)",
				      info->path);
	if (info->pid > 0 && kill(info->pid, 0) < 0 && errno == ESRCH)
		return knet_error_set(err, -ENOENT, KNET_EXIT_SYSTEM,
				      "the pod's process %d is gone (pod "
				      "deleted?)",
				      (int)info->pid);
	return 0;
}
