/* SPDX-License-Identifier: MIT */
/*
 * WebSocket framing (RFC 6455) for the pods/exec stream: pure functions
 * over byte buffers, no I/O, so the unit tests and the fuzzer reach
 * every rule.  The client side only: frames we send are masked (5.3),
 * frames we get must not be.  The reader is incremental: bytes go in
 * as they arrive, in any split, and data comes out as pointers into
 * the caller's buffer (a big stdout frame is never copied here); only
 * headers and control frames (at most 125 bytes) are kept between calls.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "api-internal.h"
#include "knet/api.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static bool is_control(int op)
{
	return op & 0x8;
}

size_t knet_ws_header_len(size_t payload_len)
{
	/* 2 bytes, the extended length, the mask key */
	if (payload_len < 126)
		return 2 + 4;
	if (payload_len <= 0xffff)
		return 2 + 2 + 4;
	return 2 + 8 + 4;
}

int knet_ws_encode(unsigned char *out, size_t cap, int opcode, bool fin,
		   const void *payload, size_t len, const unsigned char *mask)
{
	unsigned char key[4];
	size_t h = knet_ws_header_len(len), at = 2;
	const unsigned char *p = payload;

	if (opcode < 0 || opcode > 0xf || (is_control(opcode) && len > 125))
		return -EINVAL;
	if (cap < h || cap - h < len || h + len > (size_t)INT32_MAX)
		return -ENOBUFS;
	if (mask) {
		memcpy(key, mask, 4);
	} else if (getrandom(key, sizeof(key), 0) != sizeof(key)) {
		/* RFC 6455 10.3: the key must not be predictable. */
		return -EIO;
	}
	out[0] = (unsigned char)((fin ? 0x80 : 0) | opcode);
	if (len < 126) {
		out[1] = (unsigned char)(0x80 | len);
	} else if (len <= 0xffff) {
		out[1] = 0x80 | 126;
		out[2] = (unsigned char)(len >> 8);
		out[3] = (unsigned char)len;
		at = 4;
	} else {
		out[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] =
				(unsigned char)((uint64_t)len >> (56 - 8 * i));
		at = 10;
	}
	memcpy(out + at, key, 4);
	at += 4;
	for (size_t i = 0; i < len; i++)
		out[at + i] = p[i] ^ key[i & 3];
	return (int)(at + len);
}

int knet_ws_encode_close(unsigned char *out, size_t cap, int code,
			 const unsigned char *mask)
{
	unsigned char body[2] = {(unsigned char)(code >> 8),
				 (unsigned char)code};

	/* No code at all is a close frame too (1005 on the other side). */
	return knet_ws_encode(out, cap, KNET_WS_CLOSE, true, body, code ? 2 : 0,
			      mask);
}

bool knet_ws_close_code_valid(int code)
{
	/* 7.4: 1004-1006 and 1015 are reserved, never on the wire. */
	return (code >= 1000 && code <= 1003) ||
	       (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

void knet_ws_reader_init(struct knet_ws_reader *r, uint64_t max_frame)
{
	memset(r, 0, sizeof(*r));
	r->max_frame = max_frame ? max_frame : KNET_WS_MAX_FRAME;
}

static int protocol(struct knet_ws_reader *r, int code, struct knet_error *err,
		    const char *why)
{
	r->close_code = code;
	r->failed = true;
	return knet_error_set(err, -EPROTO, KNET_EXIT_API,
			      "the WebSocket peer broke the protocol: %s", why);
}

/* The header is whole in r->hdr: check it and start its payload. */
static int start_frame(struct knet_ws_reader *r, struct knet_error *err)
{
	const unsigned char *h = r->hdr;
	int op = h[0] & 0xf;
	uint64_t len = h[1] & 0x7f;

	if (h[0] & 0x70)
		return protocol(r, 1002, err, "reserved bits set");
	if (h[1] & 0x80)
		return protocol(r, 1002, err, "a masked server frame");
	if (len == 126) {
		len = (uint64_t)h[2] << 8 | h[3];
		if (len < 126)
			return protocol(r, 1002, err,
					"a length not in its shortest form");
	} else if (len == 127) {
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | h[2 + i];
		if (len >> 63)
			return protocol(r, 1002, err,
					"a 64-bit length with its top bit");
		if (len <= 0xffff)
			return protocol(r, 1002, err,
					"a length not in its shortest form");
	}
	switch (op) {
	case KNET_WS_CONT:
		if (!r->in_message)
			return protocol(r, 1002, err,
					"a continuation without a message");
		break;
	case KNET_WS_TEXT:
	case KNET_WS_BINARY:
		if (r->in_message)
			return protocol(r, 1002, err,
					"a new message inside a fragmented "
					"one");
		break;
	case KNET_WS_CLOSE:
	case KNET_WS_PING:
	case KNET_WS_PONG:
		if (!(h[0] & 0x80))
			return protocol(r, 1002, err,
					"a fragmented control frame");
		if (len > 125)
			return protocol(r, 1002, err,
					"a control frame over 125 bytes");
		break;
	default:
		return protocol(r, 1002, err, "an unknown opcode");
	}
	if (len > r->max_frame)
		return protocol(r, 1009, err, "a frame over the size limit");
	if (r->closed)
		return protocol(r, 1002, err, "a frame after the close");
	r->fin = h[0] & 0x80;
	r->opcode = op;
	r->left = len;
	r->ctl_len = 0;
	if (!is_control(op)) {
		r->first = !r->in_message;
		if (!r->in_message)
			r->msg_opcode = op;
		r->in_message = !r->fin;
	}
	r->in_payload = true;
	return 0;
}

/* A control frame's payload is whole: what it means. */
static int end_control(struct knet_ws_reader *r, struct knet_ws_event *ev,
		       struct knet_error *err)
{
	memset(ev, 0, sizeof(*ev));
	ev->data = r->ctl;
	ev->len = r->ctl_len;
	if (r->opcode == KNET_WS_PING) {
		ev->type = KNET_WS_EV_PING;
		return 0;
	}
	if (r->opcode == KNET_WS_PONG) {
		ev->type = KNET_WS_EV_PONG;
		return 0;
	}
	ev->type = KNET_WS_EV_CLOSE;
	if (r->ctl_len == 1)
		return protocol(r, 1002, err, "a close frame of one byte");
	ev->close_code = 1005; /* none given */
	if (r->ctl_len >= 2) {
		ev->close_code = r->ctl[0] << 8 | r->ctl[1];
		if (!knet_ws_close_code_valid(ev->close_code))
			return protocol(r, 1002, err, "a reserved close code");
		ev->data = r->ctl + 2;
		ev->len = r->ctl_len - 2;
	}
	r->closed = true;
	return 0;
}

int knet_ws_feed(struct knet_ws_reader *r, const unsigned char *buf, size_t len,
		 size_t *ret_used, struct knet_ws_event *ev,
		 struct knet_error *err)
{
	size_t used = 0;
	int rc;

	*ret_used = 0;
	if (r->failed)
		return -EPROTO;
	while (used < len || (r->in_payload && r->left == 0)) {
		if (!r->in_payload) {
			size_t need = 2;

			r->hdr[r->hdr_len++] = buf[used++];
			if (r->hdr_len >= 2) {
				unsigned l7 = r->hdr[1] & 0x7f;

				need = 2 +
				       (l7 == 126   ? 2
					: l7 == 127 ? 8
						    : 0) +
				       (r->hdr[1] & 0x80 ? 4 : 0);
			}
			if (r->hdr_len < need)
				continue;
			r->hdr_len = 0;
			rc = start_frame(r, err);
			if (rc < 0) {
				*ret_used = used;
				return rc;
			}
			if (r->left > 0 || is_control(r->opcode))
				continue;
			/* An empty data frame still ends its message. */
		}
		if (is_control(r->opcode)) {
			size_t n = len - used;

			if (n > r->left)
				n = (size_t)r->left;
			memcpy(r->ctl + r->ctl_len, buf + used, n);
			r->ctl_len += n;
			r->left -= n;
			used += n;
			if (r->left)
				continue;
			r->in_payload = false;
			*ret_used = used;
			rc = end_control(r, ev, err);
			return rc < 0 ? rc : 1;
		}
		/* Data: as much of the payload as is here, in place. */
		{
			size_t n = len - used;

			if (n > r->left)
				n = (size_t)r->left;
			memset(ev, 0, sizeof(*ev));
			ev->type = KNET_WS_EV_DATA;
			ev->opcode = r->msg_opcode;
			ev->data = buf + used;
			ev->len = n;
			ev->first = r->first;
			r->first = false;
			r->left -= n;
			used += n;
			ev->frame_end = r->left == 0;
			ev->message_end = ev->frame_end && r->fin;
			if (ev->frame_end)
				r->in_payload = false;
			*ret_used = used;
			return 1;
		}
	}
	*ret_used = used;
	return 0;
}

int knet_ws_accept_key(const char *key, char *out, size_t cap)
{
	unsigned char d[KNET_SHA1_LEN];
	struct knet_sha1 s;
	char *b64;
	size_t n;

	knet_sha1_init(&s);
	knet_sha1_update(&s, key, strlen(key));
	knet_sha1_update(&s, WS_GUID, sizeof(WS_GUID) - 1);
	knet_sha1_final(&s, d);
	b64 = knet_base64_encode(d, sizeof(d));
	if (!b64)
		return -ENOMEM;
	n = strlen(b64);
	if (n + 1 > cap) {
		free(b64);
		return -ENOBUFS;
	}
	memcpy(out, b64, n + 1);
	free(b64);
	return 0;
}

int knet_ws_make_key(char *out, size_t cap)
{
	unsigned char nonce[16];
	char *b64;
	int r = 0;

	if (getrandom(nonce, sizeof(nonce), 0) != sizeof(nonce))
		return -EIO;
	b64 = knet_base64_encode(nonce, sizeof(nonce));
	if (!b64)
		return -ENOMEM;
	if (strlen(b64) + 1 > cap)
		r = -ENOBUFS;
	else
		memcpy(out, b64, strlen(b64) + 1);
	free(b64);
	return r;
}
