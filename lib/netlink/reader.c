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
 *
 * The thread is started by the first dump and then kept, parked, for
 * the next one (one at a time: a dump that finds it busy reads in its
 * own thread).  A thread that ends runs glibc's per-thread cleanup
 * (__libc_thread_freeres: the RPC, resolver and resolv-context state),
 * whose code sits in three other 64 KiB stretches of libc: ending it
 * after every dump cost `knet conntrack` ~150 KiB of RSS
 * (doc/design-notes.md, "Footprint"), and the next dump a new thread.
 * A parked thread ends with the process.  A child after fork() has no
 * such thread: it reads in its own.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "netlink-internal.h"

struct reader {
	struct knet_nl *nl;
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
			n = knet_nl_recv(rd->nl, rd->buf[i], rd->buflen);
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			n = -errno;
		pthread_mutex_lock(&rd->lock);
		rd->len[i] = n;
		rd->full[i] = true;
		pthread_cond_broadcast(&rd->cond);
		pthread_mutex_unlock(&rd->lock);
		if (n < 0 || knet_nl_datagram_ends(rd->buf[i], (int)n,
						   rd->portid, rd->seq))
			return NULL;
	}
}

/* The parked reader, the process it runs in, the dump it reads. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct reader *job; /* NULL: none */
	pid_t pid;	    /* 0: no reader yet */
} worker = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0};

static void *serve(void *arg)
{
	(void)arg;
	for (;;) {
		struct reader *rd;

		pthread_mutex_lock(&worker.lock);
		while (!worker.job)
			pthread_cond_wait(&worker.cond, &worker.lock);
		rd = worker.job;
		pthread_mutex_unlock(&worker.lock);
		read_all(rd);
		/* rd is the caller's again once job is NULL. */
		pthread_mutex_lock(&worker.lock);
		worker.job = NULL;
		pthread_cond_broadcast(&worker.cond);
		pthread_mutex_unlock(&worker.lock);
	}
	return NULL;
}

/* The reader thread, started with every signal blocked and detached. */
static bool start_worker(void)
{
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t thread;
	bool ok;

	if (pthread_attr_init(&attr) != 0)
		return false;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ok = pthread_create(&thread, &attr, serve, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return ok;
}

/* Give @rd to the reader; false when it is busy or cannot be had. */
static bool start(struct reader *rd)
{
	pid_t self = getpid(),
	      pid = __atomic_load_n(&worker.pid, __ATOMIC_ACQUIRE);
	bool ok = false;

	/*
	 * A child after fork() has the parent's reader in its memory but
	 * not its thread, nor a lock it can trust: it reads in its own
	 * thread.  (No pthread_atfork() handler: libc_nonshared's
	 * wrapper lands after the whole text, and calling it faulted in
	 * that page's 96 KiB window.)
	 */
	if (pid && pid != self)
		return false;
	pthread_mutex_lock(&worker.lock);
	if (!worker.job) {
		if (!worker.pid && start_worker())
			__atomic_store_n(&worker.pid, self, __ATOMIC_RELEASE);
		if (worker.pid == self) {
			worker.job = rd;
			pthread_cond_broadcast(&worker.cond);
			ok = true;
		}
	}
	pthread_mutex_unlock(&worker.lock);
	return ok;
}

/* Wait until the reader is done with @rd. */
static void finish(const struct reader *rd)
{
	pthread_mutex_lock(&worker.lock);
	while (worker.job == rd)
		pthread_cond_wait(&worker.cond, &worker.lock);
	pthread_mutex_unlock(&worker.lock);
}

int ct_run_dump(struct knet_nl *nl, unsigned char *bufs[2], size_t buflen,
		unsigned int seq,
		int (*fn)(const struct nlmsghdr *nlh, void *data), void *data,
		bool *ret_kernel, struct knet_error *err)
{
	struct knet_nl_run st = {.fn = fn,
				 .data = data,
				 .err = err,
				 .portid = nl->portid,
				 .seq = seq};
	struct reader rd = {.nl = nl,
			    .portid = st.portid,
			    .seq = seq,
			    .buf = {bufs[0], bufs[1]},
			    .buflen = buflen,
			    .lock = PTHREAD_MUTEX_INITIALIZER,
			    .cond = PTHREAD_COND_INITIALIZER};
	bool done = false;
	int r = 0;

	/* No thread to be had: read in this one. */
	if (!start(&rd))
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
		done = knet_nl_run_datagram(&st, rd.buf[i], (int)n);
		pthread_mutex_lock(&rd.lock);
		rd.full[i] = false;
		pthread_cond_broadcast(&rd.cond);
		pthread_mutex_unlock(&rd.lock);
	}
	/* The reader has stopped at the same datagram (or error). */
	finish(&rd);
	pthread_mutex_destroy(&rd.lock);
	pthread_cond_destroy(&rd.cond);
	if (r < 0)
		return r;
	if (ret_kernel)
		*ret_kernel = st.kernel;
	return st.error;
}
