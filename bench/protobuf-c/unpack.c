/* SPDX-License-Identifier: MIT */
/*
 * bench/protobuf-c: the comparison behind knet's own protobuf reader
 * (doc/design-notes.md, "The API over protobuf"): one PodList page
 * unpacked by protobuf-c (Debian's protobuf-c-compiler and
 * libprotobuf-c-dev) with a subset .proto of the fields knet reads.
 *
 *   protoc-c --c_out=. subset.proto
 *   cc -O2 -o unpack unpack.c subset.pb-c.c -lprotobuf-c
 *   ./unpack PAGE.pb      (PAGE.pb: a GET with Accept: ...protobuf)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "subset.pb-c.h"

#define ROUNDS 21

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
	size_t items = 0, unknown = 0;
	double t[ROUNDS];
	unsigned char *b;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 4)
		return 2;
	rewind(f);
	b = malloc((size_t)n);
	if (!b || fread(b, 1, (size_t)n, f) != (size_t)n)
		return 2;
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now();
		/* past the "k8s\0" magic: the Unknown, then its raw PodList */
		Ks__Unknown *u = ks__unknown__unpack(NULL, (size_t)n - 4, b + 4);
		Ks__PodList *l =
			u ? ks__pod_list__unpack(NULL, u->raw.len, u->raw.data)
			  : NULL;

		if (!l)
			return 1;
		t[r] = now() - t0;
		items = l->n_items;
		unknown = 0;
		for (size_t i = 0; i < l->n_items; i++)
			unknown += l->items[i]->base.n_unknown_fields +
				   l->items[i]->spec->base.n_unknown_fields +
				   l->items[i]->metadata->base.n_unknown_fields;
		ks__pod_list__free_unpacked(l, NULL);
		ks__unknown__free_unpacked(u, NULL);
	}
	qsort(t, ROUNDS, sizeof(double), cmp);
	printf("protobuf-c: %zu pods: unpack %.2f ms (%zu unknown fields "
	       "copied in Pod, PodSpec and ObjectMeta alone)\n",
	       items, t[ROUNDS / 2] * 1e3, unknown);
	return 0;
}
