/* SPDX-License-Identifier: MIT */
#ifndef KNET_BASE_H
#define KNET_BASE_H

/*
 * The base of libknet: errors and exit status, strings, files, base64,
 * time and display width.  Nothing here knows about Kubernetes.
 *
 * Errors and exit status, in one place.
 *
 * lib/ functions return 0 or a negative errno.  When the caller passes a
 * struct knet_error, the function also fills in the exit class (what the
 * failure means for a script: not found, API, local system...) and a
 * one-line reason a person can act on.  cmd/ turns that into the single
 * line "knet: cannot <verb> '<subject>': <reason>" and the exit status.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* Exit status contract, documented in knet(1). */
enum knet_exit {
	KNET_EXIT_OK = 0,	 /* success, target reachable */
	KNET_EXIT_PROBLEM = 1,	 /* the check ran and found a problem */
	KNET_EXIT_USAGE = 2,	 /* bad command line */
	KNET_EXIT_NOT_FOUND = 3, /* the named object does not exist */
	KNET_EXIT_API = 4,	 /* cluster API: connect, TLS, 401/403, 5xx */
	KNET_EXIT_SYSTEM = 5,	 /* local system: permission, netns gone */
};

#define KNET_ERROR_MAX 512

struct knet_error {
	int code;	     /* negative errno, 0 when unset */
	enum knet_exit exit; /* what the failure means to a script */
	char reason[KNET_ERROR_MAX];
};

/*
 * Record an error and return @code (a negative errno) so that lib code
 * can write "return knet_error_set(err, -ENOENT, KNET_EXIT_NOT_FOUND,
 * ...)".  @err may be NULL.  The reason is lower case, without a full
 * stop, and must never contain a secret.
 */
int knet_error_set(struct knet_error *err, int code, enum knet_exit exit,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int knet_error_setv(struct knet_error *err, int code, enum knet_exit exit,
		    const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* Reset to "no error". */
void knet_error_clear(struct knet_error *err);

/*
 * Exit class for a bare negative errno, for callers that got no reason:
 * -ENOENT/-ESRCH -> not found, -EINVAL -> usage, everything else local.
 */
enum knet_exit knet_exit_from_errno(int code);

/* A blob decoded from a *-data field (base64 in the file). */
struct knet_blob {
	unsigned char *data;
	size_t len;
};

/* strdup that accepts NULL (returns NULL). */
char *knet_strdup0(const char *s);
/* free() for a string that may hold a secret: zeroed first; NULL is fine. */
void knet_wipe_free(char *s);
/*
 * Whether @s may go into an HTTP header value: no control character (a
 * CR or LF would end the header and start another).  NULL is fine.
 */
bool knet_header_value_safe(const char *s);

/*
 * strerror() of a negative (or positive) errno in lower case, as knet's
 * messages are; a static buffer per thread.
 */
const char *knet_errstr(int code);

/* Standard base64 with padding; malloc'd, NULL on ENOMEM. */
char *knet_base64_encode(const unsigned char *data, size_t len);

/* Standard base64 (padding optional, whitespace skipped); -EINVAL. */
int knet_base64_decode(const char *in, struct knet_blob *ret_blob);
void knet_blob_clear(struct knet_blob *b);

/*
 * SHA-1 (RFC 3174), for the WebSocket handshake only: never for
 * anything that needs a secure hash.
 */
#define KNET_SHA1_LEN 20
struct knet_sha1 {
	unsigned int h[5];
	unsigned long long total; /* bytes hashed */
	unsigned char buf[64];
	size_t used;
};
void knet_sha1_init(struct knet_sha1 *s);
void knet_sha1_update(struct knet_sha1 *s, const void *data, size_t len);
void knet_sha1_final(struct knet_sha1 *s, unsigned char out[KNET_SHA1_LEN]);
void knet_sha1(const void *data, size_t len, unsigned char out[KNET_SHA1_LEN]);

/* Read a whole file, NUL-terminated; -errno. */
int knet_file_read(const char *path, size_t max, char **ret_data,
		   size_t *ret_len);

/* Every byte of @len to @fd (again after EINTR), or -errno (EPIPE: the
 * reader is gone). */
int knet_write_all(int fd, const void *buf, size_t len);

/*
 * The uid and gid of user @name in passwd(5) file @path (/etc/passwd),
 * read directly, not through NSS (lib/base/passwd.c says why): 0,
 * -ENOENT when the file has no such entry, or -errno of reading it.
 */
int knet_passwd_find(const char *path, const char *name, uid_t *ret_uid,
		     gid_t *ret_gid);

/*
 * In a child between fork() and exec(): mark every fd from @low up
 * close-on-exec, so that the program gets only what it was given
 * (stdin, stdout, stderr: @low is 3).  Async-signal-safe.  close_range
 * where the kernel has it, else the fds /proc/self/fd lists, else every
 * fd up to the limit.
 */
void knet_fd_cloexec_from(int low);

/*
 * Parse an RFC 3339 time ("2024-01-02T03:04:05Z", fractions and offsets
 * allowed) to seconds since the epoch; -1 when it cannot.
 */
long long knet_time_parse(const char *s);

/* llround(3): the nearest integer, halves away from zero (no libm). */
long long knet_llround(double x);

/* b - a in microseconds. */
long long knet_ts_diff_us(const struct timespec *a, const struct timespec *b);
/* Now, in the clock receive timestamps use (CLOCK_REALTIME). */
void knet_ts_now(struct timespec *ts);
/* Milliseconds on the monotonic clock, for deadlines and timeouts. */
long long knet_mono_ms(void);
/* The same in microseconds, for timings (-v). */
long long knet_mono_us(void);

/* Humanisers shared with commands that print summaries. */
void knet_fmt_age(long long seconds, char *buf, size_t len);
void knet_fmt_usec(long long usec, char *buf, size_t len);
void knet_fmt_bytes(long long bytes, char *buf, size_t len);

/* Display width of a UTF-8 string in terminal cells. */
int knet_utf8_width(const char *s);

/* A NULL-terminated string vector helper. */
struct knet_strv {
	char **v; /* NULL-terminated (v may be NULL when n == 0) */
	int n;
};

int knet_strv_push(struct knet_strv *sv, const char *s);
void knet_strv_clear(struct knet_strv *sv);
bool knet_strv_contains(const struct knet_strv *sv, const char *s);

/*
 * An IPv4 or IPv6 address with a prefix length ("198.19.0.0/16"; a bare
 * address has the full length).  IPv4 uses the first 4 bytes of @addr.
 */
struct knet_cidr {
	unsigned char addr[16];
	int family; /* 4 or 6 */
	int bits;
};

/* -EINVAL for anything but ADDR or ADDR/BITS. */
int knet_cidr_parse(const char *s, struct knet_cidr *ret);
/* Whether every address of @inner is in @outer (same family). */
bool knet_cidr_contains(const struct knet_cidr *outer,
			const struct knet_cidr *inner);
/* Whether @a and @b share an address. */
bool knet_cidr_overlaps(const struct knet_cidr *a, const struct knet_cidr *b);

#endif
