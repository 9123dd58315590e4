/* SPDX-License-Identifier: MIT */
/*
 * bench/flows-table: the flow table alone, fed N distinct UDP flows
 * (one packet each, then a second round over the last ones) through
 * knet_decode_headers and knet_flows_packet, with a cap; prints the
 * time per packet, the flows kept, the evictions and the peak RSS.
 *
 *   flows-table N CAP
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "knet/flows.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	long cap = argc > 2 ? atol(argv[2]) : KNET_FLOWS_MAX_DEFAULT;
	struct knet_flows *t = NULL;
	struct knet_error err = {0};
	struct knet_flows_stats st;
	struct rusage ru;
	uint8_t pkt[60] = {0};
	struct knet_headers h;
	double t0, t1;

	if (knet_flows_new((size_t)cap, &t, &err) < 0) {
		fprintf(stderr, "%s\n", err.reason);
		return 2;
	}
	/* Ethernet, IPv4 10.x.y.z -> 10.0.0.1, UDP sport -> 53 */
	pkt[12] = 0x08;
	pkt[14] = 0x45;
	pkt[17] = 46;
	pkt[23] = 17;
	pkt[26] = 10;
	pkt[30] = 10;
	pkt[33] = 1;
	pkt[36] = 0x13;
	pkt[37] = 0x88;
	t0 = now();
	for (long i = 0; i < n; i++) {
		uint32_t a = (uint32_t)(i >> 14);

		pkt[27] = (uint8_t)(a >> 8);
		pkt[28] = (uint8_t)a;
		pkt[29] = 1;
		pkt[34] = (uint8_t)((i & 0x3fff) >> 8);
		pkt[35] = (uint8_t)i;
		if (knet_decode_headers(1, pkt, sizeof(pkt), sizeof(pkt), &h) <
		    0)
			return 1;
		knet_flows_packet(t, &h, 1700000000000000LL + i, 1, pkt,
				  sizeof(pkt));
	}
	t1 = now();
	knet_flows_get_stats(t, &st);
	/* Steady state: packets of flows the table holds. */
	{
		long kept = n < cap ? n : cap, rounds = 5;
		double t2 = now(), t3;

		for (long r = 0; r < rounds; r++)
			for (long i = n - kept; i < n; i++) {
				uint32_t a = (uint32_t)(i >> 14);

				pkt[27] = (uint8_t)(a >> 8);
				pkt[28] = (uint8_t)a;
				pkt[34] = (uint8_t)((i & 0x3fff) >> 8);
				pkt[35] = (uint8_t)i;
				knet_decode_headers(1, pkt, sizeof(pkt),
						    sizeof(pkt), &h);
				knet_flows_packet(t, &h,
						  1700000001000000LL + i, 1,
						  pkt, sizeof(pkt));
			}
		t3 = now();
		printf("steady state over %ld flows: %.0f ns/packet\n", kept,
		       (t3 - t2) * 1e9 / (double)(kept * rounds));
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("%ld distinct flows offered, cap %ld: %zu kept, %llu evicted, "
	       "%.0f ns/packet, peak RSS %.1f MiB (%zu bytes per flow)\n",
	       n, cap, st.count, st.evicted, (t1 - t0) * 1e9 / (double)n,
	       ru.ru_maxrss / 1024.0, sizeof(struct knet_flow));
	knet_flows_free(t);
	return 0;
}
