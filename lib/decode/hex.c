/* SPDX-License-Identifier: MIT */
/* Hex dumps as tcpdump -x and -X print them. */
#include <stdio.h>

#include "knet/decode.h"

size_t knet_decode_hex(const uint8_t *data, size_t n, bool ascii, char *buf,
		       size_t size)
{
	size_t o = 0;

	if (!size)
		return 0;
	buf[0] = '\0';
	for (size_t line = 0; line < n && o + 100 < size; line += 16) {
		size_t end = line + 16 < n ? line + 16 : n;

		o += (size_t)snprintf(buf + o, size - o, "\t0x%04zx:  ", line);
		for (size_t i = line; i < line + 16; i++) {
			if (i < end)
				o += (size_t)snprintf(buf + o, size - o, "%02x",
						      data[i]);
			else if (ascii)
				o += (size_t)snprintf(buf + o, size - o, "  ");
			if ((i & 1) && (i + 1 < end || ascii))
				o += (size_t)snprintf(buf + o, size - o, " ");
		}
		if (ascii) {
			o += (size_t)snprintf(buf + o, size - o, " ");
			for (size_t i = line; i < end; i++)
				buf[o++] = data[i] >= 0x20 && data[i] < 0x7f
						   ? (char)data[i]
						   : '.';
			buf[o] = '\0';
		}
		o += (size_t)snprintf(buf + o, size - o, "\n");
	}
	return o;
}
