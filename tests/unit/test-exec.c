/* SPDX-License-Identifier: MIT */
/*
 * The pods/exec client (lib/api/exec.c) against a scripted WebSocket
 * server on 127.0.0.1: the upgrade request, the checks of the 101,
 * refusals read as Status, frames that come with the head, fragments,
 * pings answered, the Status of channel 3, a stream that drops, a
 * protocol error closed with 1002, and the frames the client sends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "knet/api.h"
#include "token-client.h"
#include "unit.h"

enum scenario {
	SC_OK,
	SC_EXIT3,
	SC_BAD_ACCEPT,
	SC_NO_PROTOCOL,
	SC_FORBIDDEN,
	SC_NOT_FOUND,
	SC_DROP,
	SC_MASKED,
	SC_WRITES,
};

static int port, listen_fd;
static enum scenario sc;
static char request[4096];
/* what the server read from the client after the upgrade */
static unsigned char got[4096];
static size_t got_len;
static char dir[] = "/tmp/knet-exec-XXXXXX";

/* A server frame (unmasked, short). */
static size_t frame(unsigned char *out, int b0, const void *p, size_t n)
{
	out[0] = (unsigned char)b0;
	out[1] = (unsigned char)n;
	memcpy(out + 2, p, n);
	return 2 + n;
}

static void put_str(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) < 0)
		return;
}

/* Read what the client sends until it closes or 1 s of quiet. */
static void drain(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (got_len < sizeof(got) && poll(&p, 1, 1000) > 0) {
		ssize_t n = read(fd, got + got_len, sizeof(got) - got_len);

		if (n <= 0)
			break;
		got_len += (size_t)n;
	}
}

static void *serve(void *unused)
{
	int fd = accept(listen_fd, NULL, NULL);
	char key[64] = "", acc[64], head[512];
	const char *k;
	unsigned char out[1024];
	size_t n = 0;

	(void)unused;
	if (fd < 0)
		return NULL;
	token_read_head(fd, request, sizeof(request));
	k = strstr(request, "Sec-WebSocket-Key: ");
	if (k)
		sscanf(k + 19, "%63[^\r]", key);
	knet_ws_accept_key(key, acc, sizeof(acc));
	if (sc == SC_FORBIDDEN) {
		put_str(fd,
			"HTTP/1.1 403 Forbidden\r\nContent-Type: "
			"application/json\r\nTransfer-Encoding: "
			"chunked\r\n\r\n11\r\n{\"kind\":\"Status\",\r\n"
			"3c\r\n\"message\":\"pods \\\"pod\\\" is forbidden: "
			"no pods/exec for you\"}\r\n0\r\n\r\n");
		goto out;
	}
	if (sc == SC_NOT_FOUND) {
		put_str(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 52\r\n"
			    "\r\n{\"kind\":\"Status\",\"message\":\"pods "
			    "\\\"pod\\\" "
			    "not found\"}");
		goto out;
	}
	snprintf(head, sizeof(head),
		 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		 "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s\r\n",
		 sc == SC_BAD_ACCEPT ? "AAAAAAAAAAAAAAAAAAAAAAAAAAA=" : acc,
		 sc == SC_NO_PROTOCOL
			 ? ""
			 : "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n");
	n = strlen(head);
	memcpy(out, head, n);
	/* Frames in the same write as the head: the client keeps them. */
	n += frame(out + n, 0x82, "\x01", 1); /* channels announced */
	n += frame(out + n, 0x82, "\x02", 1);
	if (sc == SC_OK || sc == SC_EXIT3) {
		n += frame(out + n, 0x02, "\x01hel", 4);
		n += frame(out + n, 0x89, "p1", 2); /* a ping in between */
		n += frame(out + n, 0x80, "lo", 2);
		n += frame(out + n, 0x82,
			   "\x02"
			   "err",
			   4);
		if (sc == SC_OK) {
			n += frame(out + n, 0x02, "\x03{\"status\":", 11);
			n += frame(out + n, 0x80, "\"Success\"}", 10);
		} else {
			const char *st =
				"\x03{\"status\":\"Failure\",\"reason\":"
				"\"NonZeroExitCode\",\"details\":{\"causes\":"
				"[{\"reason\":\"ExitCode\",\"message\":\"3\"}]}"
				"}";

			n += frame(out + n, 0x82, st, strlen(st));
		}
		n += frame(out + n, 0x88, "\x03\xe8", 2);
	} else if (sc == SC_DROP) {
		n += frame(out + n, 0x82, "\x01partial", 8);
	} else if (sc == SC_MASKED) {
		n += frame(out + n, 0x82 | 0, "\x01", 1);
		out[n++] = 0x82;
		out[n++] = 0x81; /* masked: servers must not */
		memcpy(out + n, "\0\0\0\0\x01", 5);
		n += 5;
	}
	if (write(fd, out, n) < 0)
		goto out;
	if (sc == SC_WRITES || sc == SC_OK || sc == SC_MASKED)
		drain(fd);
out:
	close(fd);
	return NULL;
}

static struct knet_api *client(void)
{
	return token_client(dir, port);
}

struct out {
	char o[64], e[64];
	size_t ol, el;
};

static int sink(int ch, const void *buf, size_t len, void *ud)
{
	struct out *o = ud;
	char *dst = ch == 1 ? o->o : o->e;
	size_t *l = ch == 1 ? &o->ol : &o->el;

	if (*l + len < sizeof(o->o)) {
		memcpy(dst + *l, buf, len);
		*l += len;
	}
	return 0;
}

/* Pump @x until it ends or breaks: knet_exec_pump()'s last code. */
static int pump_to_end(struct knet_exec *x, struct out *o,
		       struct knet_error *err)
{
	int pump = 0;

	while (pump == 0) {
		struct pollfd p = {.fd = knet_exec_fd(x), .events = POLLIN};

		if (!knet_exec_ready(x))
			poll(&p, 1, 2000);
		pump = knet_exec_pump(x, sink, o, err);
	}
	return pump;
}

/* Run scenario @s: open, pump to the end; the open's and pump's codes. */
static int run(enum scenario s, struct knet_exec **ret_x, int *ret_pump,
	       struct out *o, struct knet_error *err)
{
	static char *const argv[] = {"knet", "a b", NULL};
	struct knet_exec_opts opts = {
		.ns = "ns",
		.pod = "pod",
		.container = "c",
		.argv = argv,
		.stdin = true,
	};
	struct knet_api *api = client();
	pthread_t t;
	int r;

	sc = s;
	got_len = 0;
	memset(request, 0, sizeof(request));
	memset(o, 0, sizeof(*o));
	memset(err, 0, sizeof(*err));
	pthread_create(&t, NULL, serve, NULL);
	*ret_x = NULL;
	*ret_pump = 0;
	r = knet_exec_open(api, &opts, ret_x, err);
	if (r == 0 && s == SC_WRITES) {
		CHECK_INT(knet_exec_write(*ret_x, 0, "\x03", 1, err), 0);
		CHECK_INT(knet_exec_resize(*ret_x, 80, 24, err), 0);
	}
	if (r == 0 && s != SC_WRITES)
		*ret_pump = pump_to_end(*ret_x, o, err);
	knet_exec_free(*ret_x);
	*ret_x = NULL;
	pthread_join(t, NULL);
	knet_api_free(api);
	return r;
}

/* The payload of the @i-th client frame in got[] (unmasked), its length. */
static int client_frame(int i, int *ret_op, unsigned char *payload)
{
	size_t at = 0;

	for (;;) {
		size_t len;

		if (at + 6 > got_len || !(got[at + 1] & 0x80))
			return -1;
		len = got[at + 1] & 0x7f;
		if (at + 6 + len > got_len)
			return -1;
		if (i-- == 0) {
			*ret_op = got[at] & 0xf;
			for (size_t k = 0; k < len; k++)
				payload[k] =
					got[at + 6 + k] ^ got[at + 2 + (k & 3)];
			return (int)len;
		}
		at += 6 + len;
	}
}

int main(void)
{
	struct knet_error err;
	struct knet_exec *x;
	struct out o;
	unsigned char pl[256];
	int pump, op, n, st;

	if (!mkdtemp(dir))
		return 1;
	listen_fd = token_listen(&port);
	if (listen_fd < 0)
		return 1;

	/* The whole run: request, early frames, fragments, ping, status. */
	CHECK_INT(run(SC_OK, &x, &pump, &o, &err), 0);
	CHECK_INT(pump, 1);
	CHECK(o.ol == 5 && !memcmp(o.o, "hello", 5));
	CHECK(o.el == 3 && !memcmp(o.e, "err", 3));
	CHECK(strstr(request,
		     "GET /api/v1/namespaces/ns/pods/pod/exec?command=knet&"
		     "command=a%20b&container=c&stdin=true&stdout=true&"
		     "stderr=true HTTP/1.1\r\n") == request);
	CHECK(strstr(request, "\r\nAuthorization: Bearer tok\r\n") != NULL);
	CHECK(strstr(request, "\r\nSec-WebSocket-Protocol: "
			      "v4.channel.k8s.io\r\n") != NULL);
	CHECK(strstr(request, "\r\nSec-WebSocket-Version: 13\r\n") != NULL);
	CHECK(strstr(request, "\r\nUpgrade: websocket\r\n") != NULL);
	/* The ping answered with its payload, then our close echoed. */
	n = client_frame(0, &op, pl);
	CHECK_INT(op, KNET_WS_PONG);
	CHECK(n == 2 && !memcmp(pl, "p1", 2));
	n = client_frame(1, &op, pl);
	CHECK_INT(op, KNET_WS_CLOSE);
	CHECK(n == 2 && pl[0] == 0x03 && pl[1] == 0xe8);

	CHECK_INT(run(SC_EXIT3, &x, &pump, &o, &err), 0);
	CHECK_INT(pump, 1);

	/* knet_exec_status, on a stream kept open to ask it. */
	{
		static char *const argv[] = {"knet", NULL};
		struct knet_exec_opts opts = {
			.ns = "ns", .pod = "pod", .argv = argv};
		struct knet_api *api = client();
		pthread_t t;

		sc = SC_EXIT3;
		memset(request, 0, sizeof(request));
		pthread_create(&t, NULL, serve, NULL);
		CHECK_INT(knet_exec_open(api, &opts, &x, &err), 0);
		st = -1;
		CHECK_INT(knet_exec_status(x, &st), -ENODATA);
		pump = pump_to_end(x, &o, &err);
		CHECK_INT(pump, 1);
		CHECK_INT(knet_exec_status(x, &st), 0);
		CHECK_INT(st, 3);
		/* Without a container, none is asked for. */
		CHECK(strstr(request, "command=knet&stdin") == NULL);
		CHECK(strstr(request, "exec?command=knet&stdout=true&"
				      "stderr=true HTTP") != NULL);
		knet_exec_free(x);
		pthread_join(t, NULL);
		knet_api_free(api);
	}

	CHECK_INT(run(SC_BAD_ACCEPT, &x, &pump, &o, &err), -EPROTO);
	CHECK(strstr(err.reason, "wrong Sec-WebSocket-Accept") != NULL);
	CHECK_INT(run(SC_NO_PROTOCOL, &x, &pump, &o, &err), -EPROTONOSUPPORT);
	CHECK(strstr(err.reason, "v4.channel.k8s.io") != NULL);

	CHECK_INT(run(SC_FORBIDDEN, &x, &pump, &o, &err), -EPERM);
	CHECK_INT(err.exit, KNET_EXIT_API);
	CHECK_STR(err.reason,
		  "pods \"pod\" is forbidden: no pods/exec for you: the RBAC "
		  "rule is missing (get and create on pods/exec in namespace "
		  "ns)");
	CHECK_INT(run(SC_NOT_FOUND, &x, &pump, &o, &err), -ENOENT);
	CHECK_INT(err.exit, KNET_EXIT_NOT_FOUND);
	CHECK_STR(err.reason, "pods \"pod\" not found");

	/* EOF without a Status: dropped (exit 5), what came is there. */
	CHECK_INT(run(SC_DROP, &x, &pump, &o, &err), 0);
	CHECK_INT(pump, -ECONNRESET);
	CHECK_INT(err.exit, KNET_EXIT_SYSTEM);
	CHECK(o.ol == 7 && !memcmp(o.o, "partial", 7));

	/* A masked server frame: an error, and a close with 1002. */
	CHECK_INT(run(SC_MASKED, &x, &pump, &o, &err), 0);
	CHECK_INT(pump, -EPROTO);
	n = client_frame(0, &op, pl);
	CHECK_INT(op, KNET_WS_CLOSE);
	CHECK(n == 2 && (pl[0] << 8 | pl[1]) == 1002);

	/* What the client sends: masked binary frames, channel first. */
	CHECK_INT(run(SC_WRITES, &x, &pump, &o, &err), 0);
	n = client_frame(0, &op, pl);
	CHECK_INT(op, KNET_WS_BINARY);
	CHECK(n == 2 && pl[0] == 0 && pl[1] == 3);
	n = client_frame(1, &op, pl);
	CHECK_INT(op, KNET_WS_BINARY);
	CHECK(n == 25 && !memcmp(pl, "\x04{\"Width\":80,\"Height\":24}", 25));
	n = client_frame(2, &op, pl);
	CHECK_INT(op, KNET_WS_CLOSE);

	/*
	 * In two halves (a fan-out's): _begin sends the upgrade and returns
	 * without the answer; the refusal, in the same words as a whole
	 * open's, comes from _end, with the names _begin was given (the
	 * caller's strings are gone by then); then a stream that opens
	 * in halves runs as one opened whole.
	 */
	{
		static char *const argv[] = {"knet", NULL};
		char ns[8] = "ns", pod[8] = "pod";
		struct knet_exec_opts opts = {
			.ns = ns, .pod = pod, .argv = argv};
		struct knet_api *api = client();
		pthread_t t;

		sc = SC_FORBIDDEN;
		memset(request, 0, sizeof(request));
		pthread_create(&t, NULL, serve, NULL);
		x = NULL;
		CHECK_INT(knet_exec_open_begin(api, &opts, &x, &err), 0);
		CHECK(x != NULL);
		memset(ns, 'x', sizeof(ns) - 1);
		CHECK_INT(knet_exec_open_end(x, &err), -EPERM);
		CHECK_STR(
			err.reason,
			"pods \"pod\" is forbidden: no pods/exec for you: the "
			"RBAC rule is missing (get and create on pods/exec in "
			"namespace ns)");
		knet_exec_free(x);
		pthread_join(t, NULL);

		sc = SC_OK;
		memset(&o, 0, sizeof(o));
		memset(request, 0, sizeof(request));
		got_len = 0;
		pthread_create(&t, NULL, serve, NULL);
		x = NULL;
		CHECK_INT(knet_exec_open_begin(api, &opts, &x, &err), 0);
		CHECK_INT(knet_exec_open_end(x, &err), 0);
		pump = pump_to_end(x, &o, &err);
		CHECK_INT(pump, 1);
		CHECK(o.ol == 5 && !memcmp(o.o, "hello", 5));
		knet_exec_free(x);
		x = NULL;
		pthread_join(t, NULL);
		knet_api_free(api);
	}

	/* Names are checked before anything goes out. */
	{
		static char *const argv[] = {"knet", NULL};
		struct knet_exec_opts opts = {
			.ns = "Bad_NS", .pod = "pod", .argv = argv};
		struct knet_api *api = client();

		CHECK_INT(knet_exec_open(api, &opts, &x, &err), -EINVAL);
		opts.ns = "ns";
		opts.argv = NULL;
		CHECK_INT(knet_exec_open(api, &opts, &x, &err), -EINVAL);
		knet_api_free(api);
	}
	{
		char path[300];

		snprintf(path, sizeof(path), "%s/kubeconfig", dir);
		unlink(path);
		rmdir(dir);
	}
	return unit_done("exec");
}
