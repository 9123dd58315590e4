/* SPDX-License-Identifier: MIT */
/*
 * The live names Tab offers, kept fresh in the background: one thread
 * per kind lists it once and then watches it, each with an API client
 * of its own (a client is not thread-safe, and the shell's own is busy
 * running commands).  Completion only reads the cache under the lock,
 * so it never waits for the cluster: a kind not listed yet is reported
 * as loading.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "knet/api.h"
#include "shell.h"

struct kind_cache {
	const struct knet_complete_kind *kind;
	struct knet_api *api;
	pthread_t thread;
	bool started;
	/* under @lock: */
	char **names; /* "ns/name" when namespaced, else "name" */
	int n, cap;
	bool synced; /* listed at least once */
	bool failed; /* the list was refused: nothing to offer */
};

#define NKINDS 8

static struct kind_cache caches[NKINDS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t stop;

static char *item_name(const struct kind_cache *c, const cJSON *obj)
{
	const cJSON *meta = knet_json_get(obj, "metadata");
	const char *name = knet_json_str(meta, "name");
	const char *ns = knet_json_str(meta, "namespace");
	char *s = NULL;

	if (!name)
		return NULL;
	if (c->kind->path && ns) {
		if (asprintf(&s, "%s/%s", ns, name) < 0)
			return NULL;
		return s;
	}
	return strdup(name);
}

static int find(char **names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

/* Add @s (taken) to the list, unless there; under @lock or private. */
static void add(char ***names, int *n, int *cap, char *s)
{
	char **v;

	if (find(*names, *n, s) >= 0 ||
	    (*n >= *cap &&
	     !(v = realloc(*names,
			   (size_t)(*cap ? *cap * 2 : 64) * sizeof(*v))))) {
		free(s);
		return;
	}
	if (*n >= *cap) {
		*names = v;
		*cap = *cap ? *cap * 2 : 64;
	}
	(*names)[(*n)++] = s;
}

static void free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

struct relist_state {
	struct kind_cache *c;
	char **names;
	int n, cap;
};

static int on_item(const cJSON *item, void *userdata)
{
	struct relist_state *st = userdata;
	char *s = item_name(st->c, item);

	if (s)
		add(&st->names, &st->n, &st->cap, s);
	return stop ? -EINTR : 0;
}

static int relist(struct knet_api *api, char **ret_rv, void *userdata,
		  struct knet_error *err)
{
	struct relist_state st = {.c = userdata};
	struct kind_cache *c = st.c;
	char **old;
	int r, oldn;

	r = knet_api_list(api, c->kind->all_path, NULL, on_item, &st, ret_rv,
			  err);
	if (r < 0) {
		free_names(st.names, st.n);
		return r;
	}
	pthread_mutex_lock(&lock);
	old = c->names;
	oldn = c->n;
	c->names = st.names;
	c->n = st.n;
	c->cap = st.cap;
	c->synced = true;
	c->failed = false;
	pthread_mutex_unlock(&lock);
	free_names(old, oldn);
	return 0;
}

static int on_event(const char *type, const cJSON *object, void *userdata)
{
	struct kind_cache *c = userdata;
	char *s = item_name(c, object);
	int i;

	if (!s)
		return stop ? 1 : 0;
	pthread_mutex_lock(&lock);
	if (strcmp(type, "ADDED") == 0) {
		add(&c->names, &c->n, &c->cap, s);
		s = NULL;
	} else if (strcmp(type, "DELETED") == 0 &&
		   (i = find(c->names, c->n, s)) >= 0) {
		free(c->names[i]);
		c->names[i] = c->names[--c->n];
	}
	pthread_mutex_unlock(&lock);
	free(s);
	return stop ? 1 : 0;
}

static void *watcher(void *arg)
{
	struct kind_cache *c = arg;

	while (!stop) {
		struct knet_error err = {0};
		int r = knet_api_watch(c->api, c->kind->all_path, NULL, NULL,
				       on_event, relist, c, &err);

		if (stop || r == 1)
			break;
		pthread_mutex_lock(&lock);
		if (!c->synced)
			c->failed = true; /* not allowed, or no such API */
		pthread_mutex_unlock(&lock);
		/* Try again later, in small steps so that stop is quick. */
		for (int i = 0; i < 50 && !stop; i++)
			nanosleep(&(struct timespec){0, 100000000}, NULL);
	}
	return NULL;
}

void knet_shell_cache_start(const struct knet_use *use)
{
	struct knet_api_config cfg = {
		.kubeconfig = use->kubeconfig,
		.context = use->context,
		.request_timeout = "10s",
	};
	sigset_t all, old;
	int i;

	stop = 0;
	/* The threads take no signals: Ctrl-C is for the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < NKINDS && knet_complete_kinds[i].kind; i++) {
		struct kind_cache *c = &caches[i];
		struct knet_error err = {0};

		memset(c, 0, sizeof(*c));
		c->kind = &knet_complete_kinds[i];
		if (knet_api_new(&cfg, &c->api, &err) < 0) {
			c->failed = true;
			continue;
		}
		knet_api_set_stop(c->api, &stop);
		c->started = pthread_create(&c->thread, NULL, watcher, c) == 0;
		if (!c->started)
			c->failed = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void knet_shell_cache_stop(void)
{
	stop = 1;
	for (int i = 0; i < NKINDS; i++) {
		struct kind_cache *c = &caches[i];

		if (c->started)
			pthread_join(c->thread, NULL);
		knet_api_free(c->api);
		free_names(c->names, c->n);
		memset(c, 0, sizeof(*c));
	}
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int knet_shell_cache_match(const char *kind, const char *ns, const char *prefix,
			   const char *text, knet_shell_word_fn add_word,
			   void *userdata, bool *loading)
{
	char nsp[256], word[512];
	int i, found = 0;

	for (i = 0; i < NKINDS && caches[i].kind; i++)
		if (strcmp(caches[i].kind->kind, kind) == 0)
			break;
	if (i == NKINDS || !caches[i].kind)
		return 0;
	snprintf(nsp, sizeof(nsp), "%s/", ns ? ns : "default");
	pthread_mutex_lock(&lock);
	if (!caches[i].synced && !caches[i].failed)
		*loading = true;
	for (int j = 0; j < caches[i].n; j++) {
		const char *name = caches[i].names[j];
		bool here = !caches[i].kind->path || starts_with(name, nsp);
		const char *shown = here && caches[i].kind->path
					    ? name + strlen(nsp)
					    : name;

		/* Names elsewhere only as NS/NAME of a pod (a target). */
		if (!here && strcmp(kind, "pod") != 0)
			continue;
		snprintf(word, sizeof(word), "%s%s", prefix, shown);
		if (starts_with(word, text)) {
			add_word(word, userdata);
			found++;
		}
	}
	pthread_mutex_unlock(&lock);
	return found;
}
