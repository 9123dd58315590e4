/* SPDX-License-Identifier: MIT */
/*
 * Dropping privileges once the sockets are open.
 *
 * Everything after that point (parsing replies from the network, talking
 * to the API, printing) runs with no capability at all, so a bug in a
 * decoder cannot be turned into root.  PR_SET_NO_NEW_PRIVS keeps an
 * exec'd helper from gaining any back through set-uid or file caps.
 */
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>

#include <cap-ng.h>

#include "knet/node.h"

int knet_privs_drop(struct knet_error *err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
				      "set no_new_privs: %s", strerror(errno));
	capng_clear(CAPNG_SELECT_ALL);
	/*
	 * Clearing the bounding set needs CAP_SETPCAP; without it, the
	 * effective, permitted, inheritable and ambient sets still go.
	 */
	if (capng_apply(CAPNG_SELECT_ALL) < 0) {
		capng_clear(CAPNG_SELECT_BOTH);
		if (capng_apply(CAPNG_SELECT_BOTH) < 0)
			return knet_error_set(err, -EPERM, KNET_EXIT_SYSTEM,
					      "cannot drop capabilities");
	}
	return 0;
}

bool knet_privs_have(int cap)
{
	capng_get_caps_process();
	return capng_have_capability(CAPNG_EFFECTIVE, (unsigned)cap);
}
