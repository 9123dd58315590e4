/* SPDX-License-Identifier: MIT */
/*
 * Many sources merged in time order (see knet/capture.h): one poll over
 * every live handle and every foreign descriptor, a binary heap of the
 * packets read, and a release rule that trades a bounded delay for
 * order.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "knet/capture.h"

/* Past either, the oldest packet goes out whatever the window says. */
#define MAX_QUEUED	 200000
#define MAX_QUEUED_BYTES (64u << 20)
/* Packets read from one handle before looking at the others again. */
#define READ_BATCH 64
/* How long next() waits before saying "nothing yet". */
#define IDLE_MS 100

struct item {
	long long ts;
	unsigned long long seq; /* ties keep the order they came in */
	int src;
	uint32_t caplen, len, flags;
	uint8_t data[];
};

struct source {
	struct knet_capture_source pub;
	struct knet_capture *cap; /* NULL: pushed */
	unsigned long long queued;
};

struct foreign {
	int fd;
	int (*readable)(void *);
	void *userdata;
	bool done;
};

struct knet_capture_session {
	struct source *src;
	int nsrc;
	struct foreign *fds;
	int nfds;
	struct item **heap;
	size_t nheap, capheap, bytes;
	unsigned long long seq;
	struct item *current; /* handed out, freed at the next call */
	long long window_us;
	bool stopped;
};

static int oom(struct knet_error *err)
{
	return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
}

static long long now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

int knet_capture_session_new(struct knet_capture_session **ret,
			     struct knet_error *err)
{
	struct knet_capture_session *s = calloc(1, sizeof(*s));

	if (!s)
		return oom(err);
	s->window_us = KNET_CAPTURE_WINDOW_MS * 1000LL;
	*ret = s;
	return 0;
}

void knet_capture_session_free(struct knet_capture_session *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nsrc; i++) {
		knet_capture_free(s->src[i].cap);
		free(s->src[i].pub.name);
		free(s->src[i].pub.description);
	}
	for (size_t i = 0; i < s->nheap; i++)
		free(s->heap[i]);
	free(s->current);
	free(s->heap);
	free(s->src);
	free(s->fds);
	free(s);
}

void knet_capture_session_set_window(struct knet_capture_session *s, int ms)
{
	s->window_us = ms > 0 ? ms * 1000LL : 0;
}

static int add_source(struct knet_capture_session *s, const char *name,
		      const char *description, struct knet_error *err)
{
	struct source *n = realloc(s->src, (s->nsrc + 1) * sizeof(*n));
	struct source *src;

	if (!n)
		return oom(err);
	s->src = n;
	src = &s->src[s->nsrc];
	memset(src, 0, sizeof(*src));
	src->pub.name = strdup(name ? name : "");
	src->pub.description = strdup(description ? description : "");
	src->pub.linktype = -1;
	if (!src->pub.name || !src->pub.description) {
		free(src->pub.name);
		free(src->pub.description);
		return oom(err);
	}
	return s->nsrc++;
}

int knet_capture_session_add_handle(struct knet_capture_session *s,
				    struct knet_capture *c, const char *name,
				    const char *description,
				    struct knet_error *err)
{
	int id = add_source(s, name, description, err);

	if (id < 0) {
		knet_capture_free(c);
		return id;
	}
	s->src[id].cap = c;
	s->src[id].pub.linktype = knet_capture_linktype(c);
	s->src[id].pub.snaplen = knet_capture_snaplen(c);
	return id;
}

int knet_capture_session_add_pushed(struct knet_capture_session *s,
				    const char *name, const char *description,
				    int linktype, int snaplen,
				    struct knet_error *err)
{
	int id = add_source(s, name, description, err);

	if (id < 0)
		return id;
	s->src[id].pub.linktype = linktype;
	s->src[id].pub.snaplen = snaplen;
	return id;
}

int knet_capture_session_add_fd(struct knet_capture_session *s, int fd,
				int (*readable)(void *userdata), void *userdata,
				struct knet_error *err)
{
	struct foreign *n = realloc(s->fds, (s->nfds + 1) * sizeof(*n));

	if (!n)
		return oom(err);
	s->fds = n;
	s->fds[s->nfds++] = (struct foreign){fd, readable, userdata, false};
	return 0;
}

int knet_capture_session_count(const struct knet_capture_session *s)
{
	return s->nsrc;
}

struct knet_capture_source *knet_capture_session_source(
	struct knet_capture_session *s, int id)
{
	return id >= 0 && id < s->nsrc ? &s->src[id].pub : NULL;
}

static bool before(const struct item *a, const struct item *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static void swap(struct item **h, size_t a, size_t b)
{
	struct item *t = h[a];

	h[a] = h[b];
	h[b] = t;
}

static int heap_push(struct knet_capture_session *s, struct item *it,
		     struct knet_error *err)
{
	size_t i;

	if (s->nheap == s->capheap) {
		size_t ncap = s->capheap ? s->capheap * 2 : 1024;
		struct item **n = realloc(s->heap, ncap * sizeof(*n));

		if (!n)
			return oom(err);
		s->heap = n;
		s->capheap = ncap;
	}
	i = s->nheap++;
	s->heap[i] = it;
	while (i > 0 && before(s->heap[i], s->heap[(i - 1) / 2])) {
		swap(s->heap, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	s->bytes += it->caplen;
	s->src[it->src].queued++;
	return 0;
}

static struct item *heap_pop(struct knet_capture_session *s)
{
	struct item *top = s->heap[0];
	size_t i = 0;

	s->heap[0] = s->heap[--s->nheap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < s->nheap && before(s->heap[l], s->heap[m]))
			m = l;
		if (r < s->nheap && before(s->heap[r], s->heap[m]))
			m = r;
		if (m == i)
			break;
		swap(s->heap, i, m);
		i = m;
	}
	s->bytes -= top->caplen;
	s->src[top->src].queued--;
	return top;
}

static int queue(struct knet_capture_session *s, int id,
		 const struct knet_packet *p, uint32_t flags,
		 struct knet_error *err)
{
	struct item *it = malloc(sizeof(*it) + p->caplen);
	int r;

	if (!it)
		return oom(err);
	it->ts = p->ts_usec;
	it->seq = s->seq++;
	it->src = id;
	it->caplen = p->caplen;
	it->len = p->len;
	it->flags = flags;
	memcpy(it->data, p->data, p->caplen);
	r = heap_push(s, it, err);
	if (r < 0)
		free(it);
	else
		s->src[id].pub.captured++;
	return r;
}

int knet_capture_session_push(struct knet_capture_session *s, int id,
			      const struct knet_packet *p, uint32_t flags,
			      struct knet_error *err)
{
	if (id < 0 || id >= s->nsrc || s->src[id].cap)
		return knet_error_set(err, -EINVAL, KNET_EXIT_SYSTEM,
				      "no pushed source %d", id);
	if (s->src[id].pub.ended)
		return 0;
	return queue(s, id, p, flags, err);
}

void knet_capture_session_end(struct knet_capture_session *s, int id)
{
	if (id >= 0 && id < s->nsrc)
		s->src[id].pub.ended = true;
}

void knet_capture_session_read_stats(struct knet_capture_session *s)
{
	for (int i = 0; i < s->nsrc; i++)
		if (s->src[i].cap &&
		    knet_capture_stats(s->src[i].cap, &s->src[i].pub.st,
				       NULL) == 0)
			s->src[i].pub.have_stats = true;
}

void knet_capture_session_stop(struct knet_capture_session *s)
{
	if (s->stopped)
		return;
	knet_capture_session_read_stats(s);
	s->stopped = true;
	/* The handles are done; pushed sources end when their feed says. */
	for (int i = 0; i < s->nsrc; i++)
		if (s->src[i].cap)
			s->src[i].pub.ended = true;
}

/* Nothing older than the top can still come from a source that has a
 * packet waiting; so when all open ones have, the top may go. */
static bool every_open_source_waits(const struct knet_capture_session *s)
{
	for (int i = 0; i < s->nsrc; i++)
		if (!s->src[i].pub.ended && !s->src[i].queued)
			return false;
	return true;
}

static bool releasable(const struct knet_capture_session *s, long long now)
{
	if (!s->nheap)
		return false;
	return s->nheap >= MAX_QUEUED || s->bytes >= MAX_QUEUED_BYTES ||
	       every_open_source_waits(s) ||
	       s->heap[0]->ts + s->window_us <= now;
}

static bool all_done(const struct knet_capture_session *s)
{
	for (int i = 0; i < s->nfds; i++)
		if (!s->fds[i].done)
			return false;
	for (int i = 0; i < s->nsrc; i++)
		if (!s->src[i].pub.ended)
			return false;
	return true;
}

/* Read what the live handles have; returns how many packets, or < 0. */
static int read_handles(struct knet_capture_session *s, struct knet_error *err)
{
	int got = 0;

	for (int i = 0; i < s->nsrc; i++) {
		struct source *src = &s->src[i];

		for (int n = 0; src->cap && !src->pub.ended && n < READ_BATCH;
		     n++) {
			struct knet_packet p;
			int r = knet_capture_read(src->cap, &p, err);

			if (r == -ENODATA)
				src->pub.ended = true;
			if (r == -ENODATA || r == 0)
				break;
			if (r < 0)
				return r;
			r = queue(s, i, &p, knet_capture_flags(src->cap, &p),
				  err);
			if (r < 0)
				return r;
			got++;
		}
	}
	return got;
}

/* Wait up to @ms for a handle or a descriptor; call the readable ones. */
static int wait_sources(struct knet_capture_session *s, int ms,
			struct knet_error *err)
{
	struct pollfd *p = calloc((size_t)(s->nsrc + s->nfds) + 1, sizeof(*p));
	int n = 0, r;

	if (!p)
		return oom(err);
	for (int i = 0; i < s->nsrc; i++)
		if (s->src[i].cap && !s->src[i].pub.ended &&
		    knet_capture_fd(s->src[i].cap) >= 0)
			p[n++] = (struct pollfd){knet_capture_fd(s->src[i].cap),
						 POLLIN, 0};
	int first_fd = n;

	for (int i = 0; i < s->nfds; i++)
		p[n++] = (struct pollfd){s->fds[i].done ? -1 : s->fds[i].fd,
					 POLLIN, 0};
	r = poll(p, (nfds_t)n, ms);
	/* EINTR (a stop signal): back to the caller, who checks its flag. */
	if (r <= 0) {
		free(p);
		return 0;
	}
	for (int i = 0; i < s->nfds; i++) {
		struct foreign *f = &s->fds[i];

		if (f->done || !p[first_fd + i].revents)
			continue;
		r = f->readable(f->userdata);
		if (r < 0) {
			free(p);
			return knet_error_set(err, r, KNET_EXIT_SYSTEM, "%s",
					      knet_errstr(-r));
		}
		if (r > 0)
			f->done = true;
	}
	free(p);
	return 0;
}

int knet_capture_session_next(struct knet_capture_session *s, int *ret_id,
			      struct knet_packet *ret, uint32_t *ret_flags,
			      struct knet_error *err)
{
	long long start = now_us();

	free(s->current);
	s->current = NULL;
	for (;;) {
		long long now = now_us();
		int r, ms;

		if (releasable(s, now)) {
			struct item *it = heap_pop(s);

			s->current = it;
			*ret_id = it->src;
			ret->ts_usec = it->ts;
			ret->caplen = it->caplen;
			ret->len = it->len;
			ret->data = it->data;
			if (ret_flags)
				*ret_flags = it->flags;
			return 1;
		}
		if (all_done(s) && !s->nheap)
			return -ENODATA;
		if (now - start >= IDLE_MS * 1000LL)
			return 0;
		r = read_handles(s, err);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		ms = IDLE_MS;
		if (s->nheap) {
			long long due = s->heap[0]->ts + s->window_us - now;

			if (due / 1000 + 1 < ms)
				ms = (int)(due / 1000 + 1);
		}
		r = wait_sources(s, ms, err);
		if (r < 0)
			return r;
	}
}
