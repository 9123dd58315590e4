/* SPDX-License-Identifier: MIT */
/*
 * Raw material for the kubeconfig: whole-file reads and the base64 of
 * the *-data fields.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "knet/kubeconfig.h"

int knet_file_read(const char *path, size_t max, char **ret_data,
		   size_t *ret_len)
{
	size_t len = 0, cap = 4096;
	char *buf = NULL, *nbuf;
	struct stat st;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		goto cleanup;
	}
	if (st.st_size > 0 && (size_t)st.st_size < max)
		cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		r = -ENOMEM;
		goto cleanup;
	}
	for (;;) {
		if (len + 1 >= cap) {
			if (cap >= max) {
				r = -EFBIG;
				goto cleanup;
			}
			cap *= 2;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				r = -ENOMEM;
				goto cleanup;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_data = buf;
	if (ret_len)
		*ret_len = len;
	buf = NULL;
	r = 0;
cleanup:
	free(buf);
	close(fd);
	return r;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

int knet_base64_decode(const char *in, struct knet_blob *ret_blob)
{
	size_t inlen = strlen(in), len = 0;
	unsigned int acc = 0;
	unsigned char *out;
	int bits = 0, pad = 0;

	out = malloc(inlen / 4 * 3 + 4);
	if (!out)
		return -ENOMEM;
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		int v;

		if (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
			continue;
		if (*p == '=') {
			pad++;
			continue;
		}
		v = b64_value(*p);
		if (v < 0 || pad) {
			free(out);
			return -EINVAL;
		}
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* 6 leftover bits cannot come from whole bytes. */
	if (bits >= 6 || pad > 2) {
		free(out);
		return -EINVAL;
	}
	out[len] = '\0';
	ret_blob->data = out;
	ret_blob->len = len;
	return 0;
}

void knet_blob_clear(struct knet_blob *b)
{
	if (!b)
		return;
	if (b->data)
		explicit_bzero(b->data, b->len);
	free(b->data);
	b->data = NULL;
	b->len = 0;
}
