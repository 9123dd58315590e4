/* SPDX-License-Identifier: MIT */
/*
 * bench/proto-decode: one list page in both encodings, read the way
 * lib/api reads it: JSON parsed by cJSON, protobuf by knet's reader
 * (lib/api/proto.c, only the models' fields), each followed by
 * knet_pod_from_json on every item.  Prints the median of ROUNDS of each.
 *
 *   proto-decode PAGE.json PAGE.pb [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "knet/api.h"
#include "knet/objects.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0)
		exit(2);
	rewind(f);
	b = malloc((size_t)n + 1);
	if (!b || fread(b, 1, (size_t)n, f) != (size_t)n)
		exit(2);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static int models(const cJSON *list)
{
	const cJSON *it;
	int n = 0;

	cJSON_ArrayForEach(it, knet_json_get(list, "items"))
	{
		struct knet_pod *p;

		if (knet_pod_from_json(it, &p) == 0) {
			n++;
			knet_pod_free(p);
		}
	}
	return n;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	size_t jl, pl;
	char *j = argc > 2 ? slurp(argv[1], &jl) : NULL;
	char *p = argc > 2 ? slurp(argv[2], &pl) : NULL;
	int rounds = argc > 3 ? atoi(argv[3]) : 21;
	double *tj = calloc((size_t)rounds, sizeof(double));
	double *tp = calloc((size_t)rounds, sizeof(double));
	double *mj = calloc((size_t)rounds, sizeof(double));
	double *mp = calloc((size_t)rounds, sizeof(double));
	int nj = 0, np = 0;

	if (!j || !p || !tj || !tp || !mj || !mp) {
		fprintf(stderr, "usage: proto-decode PAGE.json PAGE.pb\n");
		return 2;
	}
	for (int r = 0; r < rounds; r++) {
		struct knet_error err = {0};
		cJSON *a, *b = NULL;
		double t0 = now(), t1, t2, t3, t4;

		a = cJSON_ParseWithLength(j, jl);
		t1 = now();
		nj = models(a);
		t2 = now();
		if (knet_proto_to_json(p, pl, &b, &err) < 0) {
			fprintf(stderr, "%s\n", err.reason);
			return 1;
		}
		t3 = now();
		np = models(b);
		t4 = now();
		tj[r] = t1 - t0, mj[r] = t2 - t1;
		tp[r] = t3 - t2, mp[r] = t4 - t3;
		cJSON_Delete(a);
		cJSON_Delete(b);
	}
	qsort(tj, (size_t)rounds, sizeof(double), cmp);
	qsort(tp, (size_t)rounds, sizeof(double), cmp);
	qsort(mj, (size_t)rounds, sizeof(double), cmp);
	qsort(mp, (size_t)rounds, sizeof(double), cmp);
	printf("json:     %zu bytes, %d pods: parse %.2f ms, models %.2f ms\n",
	       jl, nj, tj[rounds / 2] * 1e3, mj[rounds / 2] * 1e3);
	printf("protobuf: %zu bytes, %d pods: parse %.2f ms, models %.2f ms\n",
	       pl, np, tp[rounds / 2] * 1e3, mp[rounds / 2] * 1e3);
	printf("parse json/protobuf %.1fx\n", tj[rounds / 2] / tp[rounds / 2]);
	return 0;
}
