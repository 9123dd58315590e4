/* SPDX-License-Identifier: MIT */
/*
 * --stop-on-stdin (hidden, the first word only): how a knet run through
 * pods/exec learns that its caller pressed Ctrl-C.  pods/exec carries
 * no signals, only stdin, so the relay (knet __k8s-exec) writes a byte
 * there.  A thread waits on fd 0: the first byte, or EOF (the caller is
 * gone), is SIGTERM to the process, which then stops as on Ctrl-C and
 * prints its summary; a second byte ends it at once, with the status
 * a SIGKILL would give.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "cmd.h"

/*
 * SIGTERM once the command has taken it over (knet_catch_stop): a stop
 * that comes while it is still starting (EOF at once) must not kill it
 * before it can print a summary.  A command that never takes it over
 * (one that just runs to its end) gets it after a while anyway.
 */
static void stop_process(void)
{
	for (int i = 0; i < 500; i++) {
		struct sigaction cur;

		if (sigaction(SIGTERM, NULL, &cur) == 0 &&
		    cur.sa_handler != SIG_DFL)
			break;
		usleep(10000);
	}
	kill(getpid(), SIGTERM);
}

static void *watch_stdin(void *unused)
{
	int bytes = 0;

	(void)unused;
	for (;;) {
		char c;
		ssize_t n = read(STDIN_FILENO, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* After a stop, EOF adds nothing: it is stopping. */
			if (bytes == 0)
				stop_process();
			return NULL;
		}
		if (bytes++ > 0)
			_exit(128 + SIGKILL);
		/* To the process: whichever thread waits in poll() gets
		 * EINTR, as with a signal from outside. */
		stop_process();
	}
}

int knet_stop_on_stdin_start(void)
{
	sigset_t stops, old;
	pthread_t t;
	int r;

	/* The thread never takes the signal it sends. */
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stops, &old);
	r = pthread_create(&t, NULL, watch_stdin, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return -r;
	pthread_detach(t);
	return 0;
}
