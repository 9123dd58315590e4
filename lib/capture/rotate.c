/* SPDX-License-Identifier: MIT */
/*
 * Rotating capture files as tcpdump makes them (-C, -G, -W), each a
 * whole file: a new knet_dump per file, with the interfaces replayed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "knet/capture.h"

struct iface {
	char *name, *description;
	int linktype, snaplen;
};

struct knet_dump_files {
	struct knet_dump_files_opts o;
	char *path;
	struct knet_dump *d;
	int fd;
	char name[PATH_MAX];
	struct iface *ifaces;
	int niface;
	int cnt;	     /* -C: the number of this file in its period */
	int made;	     /* files opened */
	int periods;	     /* -G: periods begun */
	time_t period_start; /* -G */
	unsigned long long written; /* by the files already closed */
	int error;		    /* sticky */
};

static int oom(struct knet_error *err)
{
	return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
}

/* Digits of COUNT - 1: tcpdump's width for numbered names under -W. */
static int count_width(int count)
{
	int w = 0;

	for (count -= 1; count > 0; count /= 10)
		w++;
	return w;
}

/* tcpdump's MakeFilename(): strftime under -G, then the number. */
static int make_name(struct knet_dump_files *f, time_t when,
		     struct knet_error *err)
{
	char base[PATH_MAX];
	/* Numbers only under -C (tcpdump's, under -G alone, are not). */
	int width =
		f->o.count && f->o.size_mb > 0 ? count_width(f->o.count) : 0;
	int n;

	if (f->o.seconds) {
		struct tm tm;

		localtime_r(&when, &tm);
		if (!strftime(base, sizeof(base), f->path, &tm))
			return knet_error_set(err, -ENAMETOOLONG,
					      KNET_EXIT_USAGE,
					      "file name too long");
	} else {
		snprintf(base, sizeof(base), "%s", f->path);
	}
	if (f->cnt == 0 && width == 0)
		n = snprintf(f->name, sizeof(f->name), "%s", base);
	else
		n = snprintf(f->name, sizeof(f->name), "%s%0*d", base, width,
			     f->cnt);
	if (n < 0 || (size_t)n >= sizeof(f->name))
		return knet_error_set(err, -ENAMETOOLONG, KNET_EXIT_USAGE,
				      "file name too long");
	return 0;
}

static int close_current(struct knet_dump_files *f, struct knet_error *err)
{
	int r = 0;

	if (f->d) {
		r = knet_dump_close(f->d, err);
		/* knet_dump_close flushed: what it counted is in the file */
		f->d = NULL;
	}
	if (f->fd > STDOUT_FILENO)
		close(f->fd);
	f->fd = -1;
	if (r < 0 && !f->error)
		f->error = r;
	return r;
}

/* The next file: created, headed, with every interface described. */
static int open_file(struct knet_dump_files *f, time_t when,
		     struct knet_error *err)
{
	int r = make_name(f, when, err);

	if (r < 0)
		return r;
	if (!strcmp(f->path, "-")) {
		f->fd = STDOUT_FILENO;
	} else {
		f->fd = open(f->name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			     0644);
		if (f->fd < 0)
			return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
					      "%s: %s", f->name,
					      knet_errstr(errno));
	}
	f->made++;
	r = knet_dump_new(f->fd, f->o.format, f->o.packet_buffered, &f->d, err);
	for (int i = 0; r == 0 && i < f->niface; i++) {
		const struct iface *x = &f->ifaces[i];

		r = knet_dump_add_iface(f->d, x->name, x->description,
					x->linktype, x->snaplen, err);
	}
	return r < 0 ? r : 0;
}

int knet_dump_files_new(const struct knet_dump_files_opts *opts,
			struct knet_dump_files **ret, struct knet_error *err)
{
	struct knet_dump_files *f = calloc(1, sizeof(*f));
	int r;

	if (!f || !(f->path = strdup(opts->path))) {
		free(f);
		return oom(err);
	}
	f->o = *opts;
	f->o.path = f->path;
	f->fd = -1;
	f->period_start = time(NULL);
	f->periods = 1;
	r = open_file(f, f->period_start, err);
	if (r < 0) {
		knet_dump_files_close(f, NULL);
		return r;
	}
	*ret = f;
	return 0;
}

int knet_dump_files_add_iface(struct knet_dump_files *f, const char *name,
			      const char *description, int linktype,
			      int snaplen, struct knet_error *err)
{
	struct iface *n = realloc(f->ifaces, (f->niface + 1) * sizeof(*n));
	struct iface *x;
	int r;

	if (!n)
		return oom(err);
	f->ifaces = n;
	x = &f->ifaces[f->niface];
	x->name = strdup(name ? name : "");
	x->description = strdup(description ? description : "");
	x->linktype = linktype;
	x->snaplen = snaplen;
	if (!x->name || !x->description) {
		free(x->name);
		free(x->description);
		return oom(err);
	}
	r = knet_dump_add_iface(f->d, x->name, x->description, linktype,
				snaplen, err);
	if (r < 0) {
		free(x->name);
		free(x->description);
		return r;
	}
	return f->niface++;
}

/* Close this file and open the next one. */
static int rotate(struct knet_dump_files *f, time_t when,
		  struct knet_error *err)
{
	int r = knet_dump_flush(f->d, err);

	/* What the flush put out is in a whole file: it counts. */
	f->written += knet_dump_written(f->d);
	if (r == 0)
		r = close_current(f, err);
	if (r < 0)
		return r;
	return open_file(f, when, err);
}

int knet_dump_files_packet(struct knet_dump_files *f, int iface,
			   const struct knet_packet *pkt, uint32_t flags,
			   struct knet_error *err)
{
	bool to_stdout = !strcmp(f->path, "-");
	int r;

	if (f->error)
		return knet_error_set(err, f->error, KNET_EXIT_SYSTEM, "%s",
				      knet_errstr(-f->error));
	if (f->o.seconds && !to_stdout) {
		time_t now = time(NULL);

		if (now - f->period_start >= f->o.seconds) {
			/* -W with -G: that many periods, then the end. */
			if (f->o.count && f->periods >= f->o.count)
				return 1;
			f->period_start = now;
			f->periods++;
			f->cnt = 0;
			r = rotate(f, now, err);
			if (r < 0)
				goto fail;
		}
	}
	if (f->o.size_mb > 0 && !to_stdout &&
	    (double)knet_dump_size(f->d) > f->o.size_mb * 1e6) {
		f->cnt++;
		if (f->o.count && f->cnt >= f->o.count)
			f->cnt = 0;
		r = rotate(f, f->period_start, err);
		if (r < 0)
			goto fail;
	}
	r = knet_dump_packet(f->d, iface, pkt, flags, err);
	if (r < 0)
		goto fail;
	return 0;
fail:
	if (!f->error)
		f->error = r;
	return r;
}

int knet_dump_files_iface_stats(struct knet_dump_files *f, int iface,
				long long ts_usec,
				const struct knet_capture_stats *st,
				struct knet_error *err)
{
	return f->d ? knet_dump_iface_stats(f->d, iface, ts_usec, st, err) : 0;
}

int knet_dump_files_flush(struct knet_dump_files *f, struct knet_error *err)
{
	if (f->error)
		return knet_error_set(err, f->error, KNET_EXIT_SYSTEM, "%s",
				      knet_errstr(-f->error));
	return f->d ? knet_dump_flush(f->d, err) : 0;
}

unsigned long long knet_dump_files_written(const struct knet_dump_files *f)
{
	return f ? f->written + knet_dump_written(f->d) : 0;
}

int knet_dump_files_made(const struct knet_dump_files *f)
{
	return f ? f->made : 0;
}

const char *knet_dump_files_name(const struct knet_dump_files *f)
{
	return f->name;
}

int knet_dump_files_close(struct knet_dump_files *f, struct knet_error *err)
{
	int r = 0;

	if (!f)
		return 0;
	if (f->d) {
		r = knet_dump_flush(f->d, err);
		f->written += knet_dump_written(f->d);
		knet_dump_close(f->d, NULL);
		f->d = NULL;
	}
	close_current(f, NULL);
	for (int i = 0; i < f->niface; i++) {
		free(f->ifaces[i].name);
		free(f->ifaces[i].description);
	}
	free(f->ifaces);
	free(f->path);
	free(f);
	return r;
}
