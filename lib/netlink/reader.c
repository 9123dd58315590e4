/* SPDX-License-Identifier: MIT */
/*
 * A dump read by a second thread.  The kernel builds each batch of a
 * dump inside recvmsg(), and that is most of a dump's cost (walking the
 * table, filling the attributes): with the receiving in its own thread
 * the kernel fills batch N + 1 while the caller's callback works through
 * batch N, so a dump that is printed takes about as long as one that is
 * only read, when a second CPU is free.
 *
 * Two buffers go back and forth: the reader fills one while the caller
 * reads the other.  The reader stops after the datagram that ends the
 * request (NLMSG_DONE or NLMSG_ERROR for our port and sequence) or on a
 * receive error, exactly where ct_run() stops, and the caller processes
 * every datagram as ct_run() would.  The reader blocks every signal:
 * they stay the caller's, as they were.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>

#include "netlink-internal.h"

struct reader {
	struct mnl_socket *nl;
	unsigned int portid, seq;
	unsigned char *buf[2];
	size_t buflen;
	ssize_t len[2]; /* bytes, or -errno */
	bool full[2];
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void *read_all(void *arg)
{
	struct reader *rd = arg;

	for (int i = 0;; i ^= 1) {
		ssize_t n;

		pthread_mutex_lock(&rd->lock);
		while (rd->full[i])
			pthread_cond_wait(&rd->cond, &rd->lock);
		pthread_mutex_unlock(&rd->lock);
		do {
			n = mnl_socket_recvfrom(rd->nl, rd->buf[i], rd->buflen);
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			n = -errno;
		pthread_mutex_lock(&rd->lock);
		rd->len[i] = n;
		rd->full[i] = true;
		pthread_cond_broadcast(&rd->cond);
		pthread_mutex_unlock(&rd->lock);
		if (n < 0 ||
		    ct_datagram_ends(rd->buf[i], (int)n, rd->portid, rd->seq))
			return NULL;
	}
}

/* The reader started with every signal blocked; false when it is not. */
static bool start(struct reader *rd, pthread_t *ret)
{
	sigset_t all, old;
	bool ok;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ok = pthread_create(ret, NULL, read_all, rd) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ok;
}

int ct_run_dump(struct mnl_socket *nl, unsigned char *bufs[2], size_t buflen,
		unsigned int seq,
		int (*fn)(const struct nlmsghdr *nlh, void *data), void *data,
		bool *ret_kernel, struct knet_error *err)
{
	struct ct_run_state st = {.fn = fn,
				  .data = data,
				  .err = err,
				  .portid = mnl_socket_get_portid(nl),
				  .seq = seq};
	struct reader rd = {.nl = nl,
			    .portid = st.portid,
			    .seq = seq,
			    .buf = {bufs[0], bufs[1]},
			    .buflen = buflen,
			    .lock = PTHREAD_MUTEX_INITIALIZER,
			    .cond = PTHREAD_COND_INITIALIZER};
	bool done = false;
	pthread_t thread;
	int r = 0;

	/* No thread to be had: read in this one. */
	if (!start(&rd, &thread))
		return ct_run(nl, bufs[0], buflen, seq, fn, data, ret_kernel,
			      err);
	if (ret_kernel)
		*ret_kernel = false;
	for (int i = 0; !done; i ^= 1) {
		ssize_t n;

		pthread_mutex_lock(&rd.lock);
		while (!rd.full[i])
			pthread_cond_wait(&rd.cond, &rd.lock);
		n = rd.len[i];
		pthread_mutex_unlock(&rd.lock);
		if (n < 0) {
			r = ct_run_recv_error(&st, (int)n);
			break;
		}
		done = ct_run_datagram(&st, rd.buf[i], (int)n);
		pthread_mutex_lock(&rd.lock);
		rd.full[i] = false;
		pthread_cond_broadcast(&rd.cond);
		pthread_mutex_unlock(&rd.lock);
	}
	/* The reader has stopped at the same datagram (or error). */
	pthread_join(thread, NULL);
	pthread_mutex_destroy(&rd.lock);
	pthread_cond_destroy(&rd.cond);
	if (r < 0)
		return r;
	if (ret_kernel)
		*ret_kernel = st.kernel;
	return st.error;
}
