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

/*
 * The same without waiting: 0 at once when nothing is there (for a
 * caller polling many handles on knet_capture_fd()).
 */
int knet_capture_read(struct knet_capture *c, struct knet_packet *ret,
		      struct knet_error *err);
/* The descriptor to poll for packets; -1 for files. */
int knet_capture_fd(const struct knet_capture *c);

/* pcapng EPB flags: direction (bits 0-1) and reception type (2-4). */
#define KNET_EPB_INBOUND     0x1u
#define KNET_EPB_OUTBOUND    0x2u
#define KNET_EPB_UNICAST     (1u << 2)
#define KNET_EPB_MULTICAST   (2u << 2)
#define KNET_EPB_BROADCAST   (3u << 2)
#define KNET_EPB_PROMISCUOUS (4u << 2)
/*
 * The flags of a packet of @linktype: the packet type of Linux cooked
 * headers (-i any), or for Ethernet whether it comes from @own_mac (the
 * interface's; NULL: unknown, 0).  0 when nothing is known.
 */
uint32_t knet_capture_epb_flags(int linktype, const uint8_t *data,
				uint32_t caplen, const uint8_t *own_mac);
/* The same for a packet read from a live handle (its interface's MAC). */
uint32_t knet_capture_flags(const struct knet_capture *c,
			    const struct knet_packet *p);

/* The kernel's counters (live handles; zeros for files). */
int knet_capture_stats(struct knet_capture *c, struct knet_capture_stats *ret,
		       struct knet_error *err);

/* --- sessions: many sources merged in time order --- */

/*
 * A capture session reads many sources (pods, interfaces, nodes) and
 * hands their packets back as one stream in timestamp order.  A source
 * is a live handle the session reads itself, or one whose packets the
 * caller pushes (a remote run's stream), read when a descriptor the
 * session polls with the handles becomes readable.
 *
 * Each source delivers in its own time order; the session keeps what it
 * read in a heap and hands out the oldest packet once every open source
 * has one waiting (then nothing older can come), or once it is older
 * than the reorder window (a quiet source must not stall the others),
 * or when the heap holds too much.  So the output is in time order
 * unless a source is later than the window.
 */
struct knet_capture_session;

struct knet_capture_source {
	char *name;	   /* pcapng if_name: "ns/pod/eth0" */
	char *description; /* "pod ns/pod on node N, IP A, interface eth0" */
	int linktype;	   /* -1 until known (pushed sources) */
	int snaplen;
	unsigned long long captured; /* packets read from it */
	struct knet_capture_stats st;
	bool have_stats;
	bool ended;
};

/* The reorder window (ms) of a new session; see _set_window. */
#define KNET_CAPTURE_WINDOW_MS 500

int knet_capture_session_new(struct knet_capture_session **ret,
			     struct knet_error *err);
void knet_capture_session_free(struct knet_capture_session *s);
/* How long a packet may wait for older ones from other sources. */
void knet_capture_session_set_window(struct knet_capture_session *s, int ms);

/* A live handle (the session owns it from now on); the source's id. */
int knet_capture_session_add_handle(struct knet_capture_session *s,
				    struct knet_capture *c, const char *name,
				    const char *description,
				    struct knet_error *err);
/* A source whose packets come through knet_capture_session_push(). */
int knet_capture_session_add_pushed(struct knet_capture_session *s,
				    const char *name, const char *description,
				    int linktype, int snaplen,
				    struct knet_error *err);
/*
 * A descriptor to poll with the handles: when it is readable (or hung
 * up), @readable(@userdata) is called, which reads it and pushes what
 * came; it returns 0, 1 when the descriptor is done (not polled any
 * more), or a negative errno that ends knet_capture_session_next().
 */
int knet_capture_session_add_fd(struct knet_capture_session *s, int fd,
				int (*readable)(void *userdata), void *userdata,
				struct knet_error *err);
/* A packet of pushed source @id with its EPB @flags (copied). */
int knet_capture_session_push(struct knet_capture_session *s, int id,
			      const struct knet_packet *p, uint32_t flags,
			      struct knet_error *err);
/* Pushed source @id sends no more (its remote run ended). */
void knet_capture_session_end(struct knet_capture_session *s, int id);

int knet_capture_session_count(const struct knet_capture_session *s);
/* Source @id (its counters too); NULL when there is none. */
struct knet_capture_source *knet_capture_session_source(
	struct knet_capture_session *s, int id);

/*
 * The next packet in time order: 1 with its source's id and EPB flags
 * (the data valid until the next call), 0 when none is ready within
 * ~100 ms (check the clock and the stop flag, then call again),
 * -ENODATA once every source ended and nothing is left.
 */
int knet_capture_session_next(struct knet_capture_session *s, int *ret_id,
			      struct knet_packet *ret, uint32_t *ret_flags,
			      struct knet_error *err);
/*
 * The live handles' kernel counters now, into their sources (a long
 * capture says its drops while it runs, not only at the end).
 */
void knet_capture_session_read_stats(struct knet_capture_session *s);
/*
 * Stop reading the live handles (their kernel counters are read into
 * their sources first); pushed sources go on until ended (a remote run
 * sending what it still had).  What is queued is still handed out in
 * order by knet_capture_session_next(), then -ENODATA.
 */
void knet_capture_session_stop(struct knet_capture_session *s);

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
/* Bytes in the file so far, buffered ones included. */
unsigned long long knet_dump_size(const struct knet_dump *d);
/* Packets known to be in the file (flushed). */
unsigned long long knet_dump_written(const struct knet_dump *d);
/* Flush and free; returns the flush's result.  NULL is fine. */
int knet_dump_close(struct knet_dump *d, struct knet_error *err);

/* --- rotating files (tcpdump's -C, -G, -W) --- */

struct knet_dump_files_opts {
	const char *path; /* "-": standard output (no rotation) */
	enum knet_dump_format format;
	bool packet_buffered;
	double size_mb; /* -C: a new file past this many 1,000,000 bytes */
	int seconds;	/* -G: a new file every SECONDS; @path is strftime'd */
	int count;	/* -W: with -C, reuse COUNT names; with -G, stop */
};

struct knet_dump_files;

/*
 * Open the first file (tcpdump's names: NAME, then NAME1, NAME2... with
 * -C; NAME0..NAME<W-1>, zero-padded, with -C and -W; strftime(NAME) with -G),
 * and later ones as packets come.  Every file is whole: its own SHB and
 * the IDBs (or the pcap header) of every interface added so far.
 */
int knet_dump_files_new(const struct knet_dump_files_opts *opts,
			struct knet_dump_files **ret, struct knet_error *err);
/* An interface in this file and every later one; returns its id. */
int knet_dump_files_add_iface(struct knet_dump_files *f, const char *name,
			      const char *description, int linktype,
			      int snaplen, struct knet_error *err);
/*
 * One packet, in a new file first when the size or the time says so;
 * 1 (nothing written) when -G with -W made its COUNT files: stop.
 */
int knet_dump_files_packet(struct knet_dump_files *f, int iface,
			   const struct knet_packet *pkt, uint32_t flags,
			   struct knet_error *err);
/* pcapng: the interface statistics, in the current file. */
int knet_dump_files_iface_stats(struct knet_dump_files *f, int iface,
				long long ts_usec,
				const struct knet_capture_stats *st,
				struct knet_error *err);
int knet_dump_files_flush(struct knet_dump_files *f, struct knet_error *err);
/* Packets in all the files so far, and how many files were made. */
unsigned long long knet_dump_files_written(const struct knet_dump_files *f);
int knet_dump_files_made(const struct knet_dump_files *f);
/* The current file's name ("-" for stdout). */
const char *knet_dump_files_name(const struct knet_dump_files *f);
/*
 * Flush and close; returns the flush's result (the first write error
 * sticks, as with knet_dump).  NULL is fine.
 */
int knet_dump_files_close(struct knet_dump_files *f, struct knet_error *err);

/* --- BPF in user space (the flows screen's filter) --- */

struct knet_bpf;

/*
 * Compile @expr (pcap-filter(7)) for packets of @linktype; -EINVAL
 * (exit 2) with the compiler's message.  Host names in @expr are looked
 * up, as by tcpdump.
 */
int knet_bpf_new(const char *expr, int linktype, int snaplen,
		 struct knet_bpf **ret, struct knet_error *err);
/* Whether the packet (@caplen bytes of @len) passes. */
bool knet_bpf_match(const struct knet_bpf *b, const uint8_t *data,
		    uint32_t caplen, uint32_t len);
int knet_bpf_linktype(const struct knet_bpf *b);
void knet_bpf_free(struct knet_bpf *b);

#endif
