/* SPDX-License-Identifier: MIT */
/*
 * A bump allocator for the parse trees of list items (list-stream.c).  A
 * pod is a hundred JSON values or more, 500 of them a page; allocating
 * and freeing each one through malloc costs more than the parse itself.
 * An item's tree is parsed with cJSON's allocation hooks pointed here,
 * used, and dropped whole by resetting the arena: it is never passed to
 * cJSON_Delete.
 *
 * cJSON's hooks are global: they are pointed here once, for good, and
 * only the thread's own current arena changes (enter/leave), so that
 * threads listing at once (the shell's cache) never switch them under
 * each other's parse.  Outside an arena they are malloc and free.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api-internal.h"

#define CHUNK_MIN (1u << 20)
#define ALIGN	  16

struct chunk {
	struct chunk *next;
	size_t size, used;
	_Alignas(ALIGN) unsigned char data[];
};

struct knet_arena {
	struct chunk *first, *cur, *last;
	bool failed;
};

static __thread struct knet_arena *current;

static void *arena_alloc(size_t n)
{
	struct knet_arena *a = current;
	struct chunk *c;

	/* Another thread using cJSON meanwhile gets the heap. */
	if (!a)
		return malloc(n);
	n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	/* Move on through the chunks a reset left behind... */
	while (a->cur && a->cur->used + n > a->cur->size && a->cur->next)
		a->cur = a->cur->next;
	/* ...and add one at the end when none has room. */
	if (!a->cur || a->cur->used + n > a->cur->size) {
		size_t size = n > CHUNK_MIN ? n : CHUNK_MIN;

		c = malloc(sizeof(*c) + size);
		if (!c) {
			a->failed = true;
			return NULL;
		}
		c->size = size;
		c->used = 0;
		c->next = NULL;
		if (a->last)
			a->last->next = c;
		else
			a->first = c;
		a->last = a->cur = c;
	}
	c = a->cur;
	c->used += n;
	return c->data + c->used - n;
}

static void arena_free(void *p)
{
	/* In the parse, everything goes at the next reset. */
	if (!current)
		free(p);
}

struct knet_arena *knet_arena_new(void)
{
	return calloc(1, sizeof(struct knet_arena));
}

void knet_arena_reset(struct knet_arena *a)
{
	if (!a)
		return;
	for (struct chunk *c = a->first; c; c = c->next)
		c->used = 0;
	a->cur = a->first;
	a->failed = false;
}

void knet_arena_free(struct knet_arena *a)
{
	struct chunk *c, *next;

	if (!a)
		return;
	for (c = a->first; c; c = next) {
		next = c->next;
		/* A page may hold secrets (Secrets, env values): wiped. */
		explicit_bzero(c->data, c->size);
		free(c);
	}
	free(a);
}

static void install_hooks(void)
{
	cJSON_Hooks hooks = {.malloc_fn = arena_alloc, .free_fn = arena_free};

	cJSON_InitHooks(&hooks);
}

void knet_arena_enter(struct knet_arena *a)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, install_hooks);
	current = a;
}

bool knet_arena_leave(struct knet_arena *a)
{
	current = NULL;
	return !a->failed;
}

cJSON *knet_arena_parse(struct knet_arena *a, const char *text, size_t len)
{
	cJSON *j;

	knet_arena_enter(a);
	j = knet_api_parse_body(text, len, NULL);
	return knet_arena_leave(a) ? j : NULL;
}
