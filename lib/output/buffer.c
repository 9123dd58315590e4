/* SPDX-License-Identifier: MIT */
/*
 * Two kinds of memory that keep the per-row path free of malloc: the
 * line a streamed row is rendered into (grown once, reused for every
 * row, written with one fwrite) and the arena a row's cell texts are
 * copied into (blocks kept between rows, emptied when rows are dropped).
 * 100,000 conntrack entries used to cost 2.5 million mallocs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output-internal.h"

int output_buf_grow(struct output_buf *b, size_t more)
{
	/*
	 * From 256 bytes: a table's JSON keys and nulls are a few hundred,
	 * and 4 KiB each put them on pages of their own (a line that needs
	 * more grows to it at once: doubling is cheap next to a row).
	 */
	size_t cap = b->cap ? b->cap : 256;
	char *p;

	if (more > SIZE_MAX / 2 - b->len)
		return -ENOMEM;
	while (cap < b->len + more)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

/*
 * Decimal by hand: snprintf("%lld") parses its format string for every
 * number.  @buf holds at least 21 bytes; returns the length.
 */
int output_fmt_int(char *buf, long long v)
{
	static const char pairs[] = "00010203040506070809"
				    "10111213141516171819"
				    "20212223242526272829"
				    "30313233343536373839"
				    "40414243444546474849"
				    "50515253545556575859"
				    "60616263646566676869"
				    "70717273747576777879"
				    "80818283848586878889"
				    "90919293949596979899";
	unsigned long long u =
		v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	int len = v < 0, n = 1;
	char *o;

	/* The digits are counted first, then written from the last. */
	for (unsigned long long p = 10; n < 20 && u >= p; p *= 10)
		n++;
	if (v < 0)
		buf[0] = '-';
	len += n;
	buf[len] = '\0';
	o = buf + len;
	/* Two digits a division: a conntrack entry has a dozen numbers. */
	while (u >= 100) {
		unsigned d = (unsigned)(u % 100) * 2;

		u /= 100;
		*--o = pairs[d + 1];
		*--o = pairs[d];
	}
	if (u >= 10) {
		*--o = pairs[u * 2 + 1];
		*--o = pairs[u * 2];
	} else {
		*--o = (char)('0' + u);
	}
	return len;
}

void output_buf_free(struct output_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Blocks hold many rows' texts; a text larger than one gets its own. */
#define ARENA_BLOCK (64 * 1024)

struct output_block {
	struct output_block *next;
	size_t used, size;
	char data[];
};

char *output_arena_alloc(struct output_arena *a, size_t n)
{
	struct output_block *b = a->head;

	n = (n + 7) & ~(size_t)7;
	if (!b || b->size - b->used < n) {
		size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;

		/* A kept empty block (after a reset) is used first. */
		if (a->spare && a->spare->size >= n) {
			b = a->spare;
			a->spare = b->next;
		} else {
			b = malloc(sizeof(*b) + size);
			if (!b)
				return NULL;
			b->size = size;
		}
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	b->used += n;
	return b->data + b->used - n;
}

char *output_arena_strndup(struct output_arena *a, const char *s, size_t n)
{
	char *p = output_arena_alloc(a, n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* One standard block is kept for the next rows: a stream needs no more. */
void output_arena_reset(struct output_arena *a)
{
	while (a->head) {
		struct output_block *b = a->head;

		a->head = b->next;
		if (b->size == ARENA_BLOCK && !a->spare) {
			b->next = a->spare;
			a->spare = b;
		} else {
			free(b);
		}
	}
}

void output_arena_free(struct output_arena *a)
{
	output_arena_reset(a);
	while (a->spare) {
		struct output_block *b = a->spare;

		a->spare = b->next;
		free(b);
	}
}
