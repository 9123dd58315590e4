/* SPDX-License-Identifier: MIT */
#ifndef KNET_CAPTURE_H
#define KNET_CAPTURE_H

/*
 * Packet capture (lib/capture): the only place libpcap is used.
 *
 * knet_capture_open() creates and activates a live handle in the network
 * namespace the calling thread is in (a pod's), with the filter compiled
 * there; reading, writing and statistics go on from anywhere afterwards,
 * without privileges.  The writers produce pcap and pcapng of their own,
 * through one large buffer, so that what they count as written is in
 * the file.
 */

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "knet/base.h"

/* The run-time libpcap version number ("1.10.3") into @buf. */
void knet_capture_lib_version(char *buf, size_t len);

/* Default snapshot length (tcpdump's) and kernel buffer (KiB). */
#define KNET_CAPTURE_SNAPLEN	262144
#define KNET_CAPTURE_BUFFER_KIB 32768

struct knet_capture_opts {
	const char *iface; /* NULL: eth0; "any": every interface */
	int snaplen;	   /* 0: KNET_CAPTURE_SNAPLEN */
	int buffer_kib;	   /* 0: KNET_CAPTURE_BUFFER_KIB */
	/*
	 * Hand over every packet at once.  libpcap then uses TPACKET_V2
	 * (one slot per frame, snaplen each), so only for small snaplens.
	 */
	bool immediate;
	const char *filter; /* BPF expression, NULL: everything */
};

struct knet_capture;

struct knet_packet {
	long long ts_usec; /* since the epoch */
	uint32_t caplen, len;
	const uint8_t *data; /* valid until the next read */
};

struct knet_capture_stats {
	unsigned long long recv, drop, ifdrop;
};

/*
 * Open a live capture here.  A filter that does not compile is -EINVAL
 * (exit 2) with the compiler's message; no permission is -EPERM (exit 5)
 * naming CAP_NET_RAW; an unknown interface -ENODEV (exit 3).
 */
int knet_capture_open(const struct knet_capture_opts *opts,
		      struct knet_capture **ret, struct knet_error *err);
/* Read a pcap or pcapng file ("-": stdin), with an optional filter. */
int knet_capture_open_file(const char *path, const char *filter,
			   struct knet_capture **ret, struct knet_error *err);
void knet_capture_free(struct knet_capture *c);

/* The pcap LINKTYPE_ number and the snapshot length. */
int knet_capture_linktype(const struct knet_capture *c);
int knet_capture_snaplen(const struct knet_capture *c);
/* The interface name ("eth0", "any"), or the file's path. */
const char *knet_capture_iface(const struct knet_capture *c);

/*
 * The next packet: 1 and @ret, 0 when none came within the read timeout
 * (a live handle: check the clock and the stop flag, then read again),
 * -ENODATA at the end of a file, another negative errno on failure.
 */
int knet_capture_next(struct knet_capture *c, struct knet_packet *ret,
		      struct knet_error *err);

/* The kernel's counters (live handles; zeros for files). */
int knet_capture_stats(struct knet_capture *c, struct knet_capture_stats *ret,
		       struct knet_error *err);

/* --- writers --- */

enum knet_dump_format {
	KNET_DUMP_PCAP,
	KNET_DUMP_PCAPNG,
};

/* pcapng by "--pcapng" or a ".pcapng" / ".ntar" name, else pcap. */
enum knet_dump_format knet_dump_format_for(const char *path, bool pcapng);

struct knet_dump;

/*
 * A writer on @fd (not closed by the writer).  With @packet_buffered
 * (-U), every packet is written out as it comes; else through a 1 MiB
 * buffer.  pcap files hold one link type: the first interface's.
 */
int knet_dump_new(int fd, enum knet_dump_format format, bool packet_buffered,
		  struct knet_dump **ret, struct knet_error *err);
/*
 * Describe an interface (pcapng: an IDB with @name and @description;
 * pcap: the file header, once); returns its id (>= 0) for packets.
 */
int knet_dump_add_iface(struct knet_dump *d, const char *name,
			const char *description, int linktype, int snaplen,
			struct knet_error *err);
/* One packet on interface @iface; pcapng EPB flags (0: none). */
int knet_dump_packet(struct knet_dump *d, int iface,
		     const struct knet_packet *pkt, uint32_t flags,
		     struct knet_error *err);
/* pcapng: an interface statistics block (ISB) with the drops. */
int knet_dump_iface_stats(struct knet_dump *d, int iface, long long ts_usec,
			  const struct knet_capture_stats *st,
			  struct knet_error *err);
/*
 * Write out what is buffered.  On a write error (a full disk, a closed
 * pipe) what was half written is cut off again where the file allows,
 * so the file ends after the last whole packet, and the error stays: it
 * is returned by every later call.
 */
int knet_dump_flush(struct knet_dump *d, struct knet_error *err);
/* Packets known to be in the file (flushed). */
unsigned long long knet_dump_written(const struct knet_dump *d);
/* Flush and free; returns the flush's result.  NULL is fine. */
int knet_dump_close(struct knet_dump *d, struct knet_error *err);

#endif
