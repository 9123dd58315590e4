/* SPDX-License-Identifier: MIT */
#ifndef KNET_CAPTURE_H
#define KNET_CAPTURE_H

/*
 * Packet capture (lib/capture): the only place libpcap is used.
 */

#include <stddef.h>

/* The run-time libpcap version number ("1.10.3") into @buf. */
void knet_capture_lib_version(char *buf, size_t len);

#endif
