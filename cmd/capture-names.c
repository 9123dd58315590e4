/* SPDX-License-Identifier: MIT */
/* Pods watched during a capture (see capture-names.h). */
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

struct capture_names {
	struct knet_api *api; /* the watcher's own */
	atomic_int refs;      /* the capture and the thread */
	atomic_bool stale, stop;
	bool started;
	bool listed; /* the watch's first list: the index is that recent */
	long long last_ms;
};

static void unref(struct capture_names *n)
{
	if (atomic_fetch_sub(&n->refs, 1) != 1)
		return;
	knet_api_free(n->api);
	free(n);
}

static int on_event(const char *type, const cJSON *object, void *ud)
{
	struct capture_names *n = ud;

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
	struct capture_names *n = ud;

	if (atomic_load(&n->stop))
		return -ECANCELED;
	/* Listing again (410 Gone): what changed meanwhile is unknown. */
	if (n->listed)
		atomic_store(&n->stale, true);
	n->listed = true;
	return knet_api_list(api, "/api/v1/pods", NULL, skip_item, NULL, ret_rv,
			     err);
}

static void *watch_pods(void *ud)
{
	struct capture_names *n = ud;
	struct knet_error err = {0};
	sigset_t all;

	/* Ctrl-C is the capture's, on its own thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	if (knet_api_watch(n->api, "/api/v1/pods", NULL, NULL, on_event, relist,
			   n, &err) < 0)
		knet_api_log(n->api, 1, "capture: no more name updates: %s",
			     err.reason);
	unref(n);
	return NULL;
}

struct capture_names *capture_names_new(struct knet_ctx *ctx)
{
	struct knet_error err = {0};
	struct capture_names *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->api = knet_node_api_optional(ctx->g.kubeconfig, ctx->g.context, "0",
					&err);
	if (!n->api || knet_api_pin_credentials(n->api, &err) < 0) {
		knet_log(ctx, 1, "names will not follow the cluster: %s",
			 err.reason);
		knet_api_free(n->api);
		free(n);
		return NULL;
	}
	atomic_init(&n->refs, 1);
	n->last_ms = knet_mono_ms();
	return n;
}

bool capture_names_stale(struct capture_names *n)
{
	long long now;

	if (!n)
		return false;
	if (!n->started) {
		pthread_t t;

		n->started = true;
		atomic_fetch_add(&n->refs, 1);
		if (pthread_create(&t, NULL, watch_pods, n) != 0)
			atomic_fetch_sub(&n->refs, 1);
		else
			pthread_detach(t);
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
