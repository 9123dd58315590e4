/* SPDX-License-Identifier: MIT */
/*
 * pcap and pcapng writers of our own (libpcap 1.10 writes no pcapng),
 * through one buffer: whole records go in, whole buffers go out with
 * write(2), and a packet counts as written once its buffer is out.  A
 * failed write is cut back (ftruncate) to the last whole flush, so a
 * full disk leaves a file every reader opens.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "knet/capture.h"

#define BUF_SIZE   (1 << 20)
#define MAX_IFACES 256

/* pcapng block types and option codes (draft-ietf-opsawg-pcapng). */
enum {
	BT_SHB = 0x0a0d0d0a,
	BT_IDB = 0x00000001,
	BT_ISB = 0x00000005,
	BT_EPB = 0x00000006,
	OPT_END = 0,
	OPT_SHB_USERAPPL = 4,
	OPT_IF_NAME = 2,
	OPT_IF_DESCRIPTION = 3,
	OPT_EPB_FLAGS = 2,
	OPT_ISB_IFRECV = 4,
	OPT_ISB_IFDROP = 5,
	OPT_ISB_OSDROP = 7,
};

struct knet_dump {
	int fd;
	enum knet_dump_format format;
	bool packet_buffered;
	uint8_t *buf;
	size_t used;
	unsigned long long pending, written;
	int niface;
	bool header_done; /* pcap: the file header is written */
	off_t good;	  /* file offset after the last whole flush */
	bool seekable;
	int error; /* sticky */
};

enum knet_dump_format knet_dump_format_for(const char *path, bool pcapng)
{
	size_t n = path ? strlen(path) : 0;

	if (pcapng)
		return KNET_DUMP_PCAPNG;
	if ((n > 7 && !strcasecmp(path + n - 7, ".pcapng")) ||
	    (n > 5 && !strcasecmp(path + n - 5, ".ntar")))
		return KNET_DUMP_PCAPNG;
	return KNET_DUMP_PCAP;
}

int knet_dump_flush(struct knet_dump *d, struct knet_error *err)
{
	size_t off = 0;

	if (d->error)
		goto failed;
	while (off < d->used) {
		ssize_t n = write(d->fd, d->buf + off, d->used - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			d->error = n < 0 ? -errno : -ENOSPC;
			/* Half a record is worse than none: cut it off. */
			if (d->seekable && ftruncate(d->fd, d->good) == 0)
				lseek(d->fd, d->good, SEEK_SET);
			d->used = 0;
			d->pending = 0;
			goto failed;
		}
		off += (size_t)n;
	}
	d->good += (off_t)d->used;
	d->used = 0;
	d->written += d->pending;
	d->pending = 0;
	return 0;
failed:
	return knet_error_set(err, d->error, KNET_EXIT_SYSTEM, "%s",
			      knet_errstr(d->error));
}

/* Room for @n bytes in the buffer, flushing first when needed. */
static int room(struct knet_dump *d, size_t n, struct knet_error *err)
{
	int r;

	if (d->error)
		return knet_error_set(err, d->error, KNET_EXIT_SYSTEM, "%s",
				      knet_errstr(d->error));
	if (n > BUF_SIZE)
		return knet_error_set(err, -E2BIG, KNET_EXIT_SYSTEM,
				      "record of %zu bytes too large", n);
	if (d->used + n <= BUF_SIZE)
		return 0;
	r = knet_dump_flush(d, err);
	return r;
}

static void put(struct knet_dump *d, const void *p, size_t n)
{
	memcpy(d->buf + d->used, p, n);
	d->used += n;
}

static void put32(struct knet_dump *d, uint32_t v)
{
	put(d, &v, 4);
}

static void put16(struct knet_dump *d, uint16_t v)
{
	put(d, &v, 2);
}

static void pad(struct knet_dump *d, size_t n)
{
	static const uint8_t zero[4];

	put(d, zero, (4 - (n & 3)) & 3);
}

static size_t opt_size(const char *s)
{
	return s && *s ? 4 + ((strlen(s) + 3) & ~(size_t)3) : 0;
}

/* A string option, when there is a string (at most 64 KiB - 1). */
static void put_opt_str(struct knet_dump *d, uint16_t code, const char *s)
{
	size_t n;

	if (!s || !*s)
		return;
	n = strlen(s);
	put16(d, code);
	put16(d, (uint16_t)n);
	put(d, s, n);
	pad(d, n);
}

static void put_opt_u64(struct knet_dump *d, uint16_t code,
			unsigned long long v)
{
	uint64_t x = v;

	put16(d, code);
	put16(d, 8);
	put(d, &x, 8);
}

static int write_shb(struct knet_dump *d, struct knet_error *err)
{
	static const char app[] = "knet " KNET_VERSION;
	uint32_t len = 28 + (uint32_t)opt_size(app) + 4;
	int64_t section = -1;
	int r = room(d, len, err);

	if (r < 0)
		return r;
	put32(d, BT_SHB);
	put32(d, len);
	put32(d, 0x1a2b3c4d);
	put16(d, 1);
	put16(d, 0);
	put(d, &section, 8);
	put_opt_str(d, OPT_SHB_USERAPPL, app);
	put32(d, OPT_END);
	put32(d, len);
	return 0;
}

int knet_dump_new(int fd, enum knet_dump_format format, bool packet_buffered,
		  struct knet_dump **ret, struct knet_error *err)
{
	struct knet_dump *d = calloc(1, sizeof(*d));
	struct stat st;
	int r;

	if (!d || !(d->buf = malloc(BUF_SIZE))) {
		free(d);
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	}
	d->fd = fd;
	d->format = format;
	d->packet_buffered = packet_buffered;
	d->seekable = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	if (d->seekable)
		d->good = lseek(fd, 0, SEEK_CUR);
	if (d->good < 0)
		d->good = 0;
	if (format == KNET_DUMP_PCAPNG) {
		r = write_shb(d, err);
		if (r < 0) {
			knet_dump_close(d, NULL);
			return r;
		}
	}
	*ret = d;
	return 0;
}

static int write_pcap_header(struct knet_dump *d, int linktype, int snaplen,
			     struct knet_error *err)
{
	int r = room(d, 24, err);

	if (r < 0)
		return r;
	put32(d, 0xa1b2c3d4);
	put16(d, 2);
	put16(d, 4);
	put32(d, 0); /* thiszone */
	put32(d, 0); /* sigfigs */
	put32(d, (uint32_t)snaplen);
	put32(d, (uint32_t)linktype);
	d->header_done = true;
	return 0;
}

int knet_dump_add_iface(struct knet_dump *d, const char *name,
			const char *description, int linktype, int snaplen,
			struct knet_error *err)
{
	uint32_t len;
	int r;

	if (d->niface >= MAX_IFACES)
		return knet_error_set(err, -E2BIG, KNET_EXIT_SYSTEM,
				      "more than %d interfaces", MAX_IFACES);
	if (d->format == KNET_DUMP_PCAP) {
		if (!d->header_done) {
			r = write_pcap_header(d, linktype, snaplen, err);
			if (r < 0)
				return r;
		}
		return d->niface++;
	}
	len = 20 + (uint32_t)(opt_size(name) + opt_size(description)) + 4;
	r = room(d, len, err);
	if (r < 0)
		return r;
	put32(d, BT_IDB);
	put32(d, len);
	put16(d, (uint16_t)linktype);
	put16(d, 0);
	put32(d, (uint32_t)snaplen);
	put_opt_str(d, OPT_IF_NAME, name);
	put_opt_str(d, OPT_IF_DESCRIPTION, description);
	put32(d, OPT_END);
	put32(d, len);
	return d->niface++;
}

int knet_dump_packet(struct knet_dump *d, int iface,
		     const struct knet_packet *pkt, uint32_t flags,
		     struct knet_error *err)
{
	size_t n = pkt->caplen, padded = (n + 3) & ~(size_t)3;
	uint64_t ts = (uint64_t)pkt->ts_usec;
	uint32_t len;
	int r;

	if (iface < 0 || iface >= d->niface)
		return knet_error_set(err, -EINVAL, KNET_EXIT_SYSTEM,
				      "no interface %d in the file", iface);
	if (d->format == KNET_DUMP_PCAP) {
		r = room(d, 16 + n, err);
		if (r < 0)
			return r;
		put32(d, (uint32_t)(ts / 1000000));
		put32(d, (uint32_t)(ts % 1000000));
		put32(d, pkt->caplen);
		put32(d, pkt->len);
		put(d, pkt->data, n);
	} else {
		len = (uint32_t)(28 + padded + (flags ? 12 : 4) + 4);
		r = room(d, len, err);
		if (r < 0)
			return r;
		put32(d, BT_EPB);
		put32(d, len);
		put32(d, (uint32_t)iface);
		put32(d, (uint32_t)(ts >> 32));
		put32(d, (uint32_t)ts);
		put32(d, pkt->caplen);
		put32(d, pkt->len);
		put(d, pkt->data, n);
		pad(d, n);
		if (flags) {
			put16(d, OPT_EPB_FLAGS);
			put16(d, 4);
			put32(d, flags);
			put32(d, OPT_END);
		} else {
			put32(d, OPT_END);
		}
		put32(d, len);
	}
	d->pending++;
	return d->packet_buffered ? knet_dump_flush(d, err) : 0;
}

int knet_dump_iface_stats(struct knet_dump *d, int iface, long long ts_usec,
			  const struct knet_capture_stats *st,
			  struct knet_error *err)
{
	uint32_t len = 20 + 3 * 12 + 4 + 4;
	uint64_t ts = (uint64_t)ts_usec;
	int r;

	if (d->format != KNET_DUMP_PCAPNG)
		return 0;
	r = room(d, len, err);
	if (r < 0)
		return r;
	put32(d, BT_ISB);
	put32(d, len);
	put32(d, (uint32_t)iface);
	put32(d, (uint32_t)(ts >> 32));
	put32(d, (uint32_t)ts);
	put_opt_u64(d, OPT_ISB_IFRECV, st->recv);
	put_opt_u64(d, OPT_ISB_IFDROP, st->ifdrop);
	put_opt_u64(d, OPT_ISB_OSDROP, st->drop);
	put32(d, OPT_END);
	put32(d, len);
	return 0;
}

unsigned long long knet_dump_written(const struct knet_dump *d)
{
	return d ? d->written : 0;
}

int knet_dump_close(struct knet_dump *d, struct knet_error *err)
{
	int r;

	if (!d)
		return 0;
	r = knet_dump_flush(d, err);
	free(d->buf);
	free(d);
	return r;
}

unsigned long long knet_dump_size(const struct knet_dump *d)
{
	return d ? (unsigned long long)d->good + d->used : 0;
}
