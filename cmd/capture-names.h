/* SPDX-License-Identifier: MIT */
#ifndef KNET_CAPTURE_NAMES_H
#define KNET_CAPTURE_NAMES_H

/*
 * The names of a long capture kept current: three threads watch pods,
 * Services and nodes (lib/api watch, each on an API client of its own)
 * and mark the who index stale on every change; the capture rebuilds
 * it, at most once a second, between packets, so that a pod or Service
 * made after the capture began is named too.
 */

#include <stdbool.h>

#include "cmd.h"

struct capture_names;

/*
 * Before the privilege drop (the kubeconfig may be root's): the
 * watcher's client, its credentials pinned.  NULL without a cluster.
 */
struct capture_names *capture_names_new(struct knet_ctx *ctx);
/*
 * Between packets, unprivileged: the first call starts the watch, later
 * ones say whether the index should be rebuilt now.
 */
bool capture_names_stale(struct capture_names *n);
/*
 * The end: the watcher stops at its next event (or when the server
 * ends the watch) and frees what it holds; NULL is fine.
 */
void capture_names_free(struct capture_names *n);

#endif
