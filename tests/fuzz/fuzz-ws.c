/* SPDX-License-Identifier: MIT */
/*
 * Server WebSocket frames as the pods/exec stream reads them: the first
 * byte sets how the rest is split (every split must give the same
 * events), the rest is fed to the incremental reader.
 */
#include "knet/api.h"

#include "fuzz.h"

static size_t feed(const uint8_t *data, size_t size, size_t step,
		   unsigned long long *sum)
{
	struct knet_ws_reader r;
	size_t events = 0;

	knet_ws_reader_init(&r, 1 << 20);
	for (size_t off = 0; off < size;) {
		size_t piece = step && size - off > step ? step : size - off;
		const uint8_t *p = data + off;

		off += piece;
		while (piece > 0 || r.in_payload) {
			struct knet_ws_event ev;
			size_t used;
			int rc = knet_ws_feed(&r, p, piece, &used, &ev, NULL);

			if (used > piece)
				abort();
			p += used;
			piece -= used;
			if (rc < 0)
				return events + 1000000;
			if (rc == 0)
				break;
			events++;
			for (size_t i = 0; i < ev.len; i++)
				*sum += ev.data[i];
			*sum += (unsigned long long)ev.type * 7 +
				(unsigned long long)ev.close_code;
		}
	}
	return events;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long long a = 0, b = 0;
	size_t ea, eb;

	if (size < 1)
		return 0;
	/* Whole, then in pieces: the same bytes and the same verdict. */
	ea = feed(data + 1, size - 1, 0, &a);
	eb = feed(data + 1, size - 1, (size_t)data[0] % 17 + 1, &b);
	if (a != b || (ea >= 1000000) != (eb >= 1000000))
		abort();
	return 0;
}
