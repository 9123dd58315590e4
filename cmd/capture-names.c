/* SPDX-License-Identifier: MIT */
/* Pods, Services and nodes watched during a capture (capture-names.h). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "capture-names.h"
#include "knet/api.h"
#include "knet/base.h"
#include "knet/node.h"

/* Rebuilt at most this often, however busy the cluster is. */
#define REBUILD_MS 1000

/*
 * What owns an address in the who index: pods, Services (ClusterIPs)
 * and nodes; endpoints are pods' addresses (or, without a pod, rare).
 */
static const char *const paths[] = {"/api/v1/pods", "/api/v1/services",
				    "/api/v1/nodes"};
#define NWATCH (sizeof(paths) / sizeof(*paths))

struct capture_names;

/* One watch, on an API client of its own (a client is one thread's). */
struct watcher {
	struct capture_names *n;
	struct knet_api *api;
	const char *path;
	bool listed; /* the watch's first list: the index is that recent */
};

struct capture_names {
	struct watcher w[NWATCH];
	atomic_int refs; /* the capture and each thread */
	atomic_bool stale, stop;
	bool started;
	long long last_ms;
};

static void unref(struct capture_names *n)
{
	if (atomic_fetch_sub(&n->refs, 1) != 1)
		return;
	for (size_t i = 0; i < NWATCH; i++)
		knet_api_free(n->w[i].api);
	free(n);
}

static int on_event(const char *type, const cJSON *object, void *ud)
{
	struct capture_names *n = ((struct watcher *)ud)->n;

	(void)object;
	if (atomic_load(&n->stop))
		return 1;
	if (type && strcmp(type, "BOOKMARK"))
		atomic_store(&n->stale, true);
	return 0;
}

static int skip_item(const cJSON *item, void *ud)
{
	(void)item;
	(void)ud;
	return 0;
}

static int relist(struct knet_api *api, char **ret_rv, void *ud,
		  struct knet_error *err)
{
	struct watcher *w = ud;

	if (atomic_load(&w->n->stop))
		return -ECANCELED;
	/* Listing again (410 Gone): what changed meanwhile is unknown. */
	if (w->listed)
		atomic_store(&w->n->stale, true);
	w->listed = true;
	return knet_api_list(api, w->path, NULL, skip_item, NULL, ret_rv, err);
}

static void *watch_one(void *ud)
{
	struct watcher *w = ud;
	struct knet_error err = {0};
	sigset_t all;

	/* Ctrl-C is the capture's, on its own thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	if (knet_api_watch(w->api, w->path, NULL, NULL, on_event, relist, w,
			   &err) < 0)
		knet_api_log(w->api, 1,
			     "capture: no more name updates (%s): %s", w->path,
			     err.reason);
	unref(w->n);
	return NULL;
}

struct capture_names *capture_names_new(struct knet_ctx *ctx)
{
	struct knet_error err = {0};
	struct capture_names *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	atomic_init(&n->refs, 1);
	for (size_t i = 0; i < NWATCH; i++) {
		struct watcher *w = &n->w[i];

		w->n = n;
		w->path = paths[i];
		w->api = knet_node_api_optional(ctx->g.kubeconfig,
						ctx->g.context, "0", &err);
		if (!w->api || knet_api_pin_credentials(w->api, &err) < 0) {
			knet_log(ctx, 1,
				 "names will not follow the cluster: %s",
				 err.reason);
			unref(n);
			return NULL;
		}
	}
	n->last_ms = knet_mono_ms();
	return n;
}

bool capture_names_stale(struct capture_names *n)
{
	long long now;

	if (!n)
		return false;
	if (!n->started) {
		n->started = true;
		for (size_t i = 0; i < NWATCH; i++) {
			pthread_t t;

			atomic_fetch_add(&n->refs, 1);
			if (pthread_create(&t, NULL, watch_one, &n->w[i]) != 0)
				atomic_fetch_sub(&n->refs, 1);
			else
				pthread_detach(t);
		}
		return false;
	}
	if (!atomic_load(&n->stale))
		return false;
	now = knet_mono_ms();
	if (now - n->last_ms < REBUILD_MS)
		return false;
	n->last_ms = now;
	atomic_store(&n->stale, false);
	return true;
}

void capture_names_free(struct capture_names *n)
{
	if (!n)
		return;
	atomic_store(&n->stop, true);
	unref(n);
}
