/* SPDX-License-Identifier: MIT */
/*
 * Dropping privileges once the sockets are open.
 *
 * Everything after that point (parsing replies from the network, talking
 * to the API, printing) runs with no capability and as an unprivileged
 * user, so a bug in a decoder can neither use a capability nor write the
 * root-owned files uid 0 can write without one.  That is tcpdump's -Z:
 * the user is nobody unless one is named.  PR_SET_NO_NEW_PRIVS keeps an
 * exec'd helper from gaining anything back through set-uid or file caps.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "knet/node.h"

#define DEFAULT_USER "nobody"
#define NOBODY_ID    65534 /* the kernel's overflow uid and gid */

/*
 * @who's ids: /etc/passwd read directly first (lib/base/passwd.c: the
 * common case without NSS's cost), then getpwnam() for users only NSS
 * knows (LDAP, sssd) or a file that cannot be read.
 */
static int lookup(const char *passwd, const char *who, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	if (knet_passwd_find(passwd, who, uid, gid) == 0)
		return 0;
	pw = getpwnam(who);
	if (!pw)
		return -ENOENT;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int knet_privs_user(const char *name, uid_t *ret_uid, gid_t *ret_gid,
		    struct knet_error *err)
{
	return knet_privs_user_from("/etc/passwd", name, ret_uid, ret_gid, err);
}

int knet_privs_user_from(const char *passwd, const char *name, uid_t *ret_uid,
			 gid_t *ret_gid, struct knet_error *err)
{
	const char *who = name && *name ? name : DEFAULT_USER;
	uid_t uid;
	gid_t gid;
	char *end;

	if (lookup(passwd, who, &uid, &gid) < 0) {
		/* A number is a uid, as with tcpdump -Z and su. */
		unsigned long n = strtoul(who, &end, 10);

		if (*who && !*end && n > 0 && n < (unsigned long)(uid_t)-1) {
			*ret_uid = (uid_t)n;
			*ret_gid = (gid_t)n;
			return 0;
		}
		/*
		 * Minimal images (an agent pod) may have no passwd entry
		 * for nobody: the overflow ids are what it means anyway.
		 */
		if (!name || !*name) {
			*ret_uid = NOBODY_ID;
			*ret_gid = NOBODY_ID;
			return 0;
		}
		return knet_error_set(err, -ENOENT, KNET_EXIT_SYSTEM,
				      "no user '%s' to run as", who);
	}
	if (uid == 0)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "user '%s' is root: running as it "
				      "would keep root's files writable",
				      who);
	*ret_uid = uid;
	*ret_gid = gid;
	return 0;
}

/*
 * Capabilities by capget(2)/capset(2) and prctl(2) themselves, not
 * libcap-ng: its constructor, its seven reads of /proc/self/status and
 * its library cost every node command more than the calls (the
 * "Footprint" section of doc/design-notes.md).  Version 3: two words
 * of 32 capabilities each.
 */
struct caps {
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
};

static int caps_get(struct caps *c)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};

	memset(c, 0, sizeof(*c));
	return syscall(SYS_capget, &h, c->d) < 0 ? -errno : 0;
}

static int caps_set(const struct caps *c)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};

	return syscall(SYS_capset, &h, c->d) < 0 ? -errno : 0;
}

static bool caps_has(const struct caps *c, unsigned cap, bool permitted)
{
	__u32 bit = 1U << (cap % 32);

	if (cap / 32 >= _LINUX_CAPABILITY_U32S_3)
		return false;
	return (permitted ? c->d[cap / 32].permitted
			  : c->d[cap / 32].effective) &
	       bit;
}

/*
 * Empty the bounding set, which needs CAP_SETPCAP: without it (EPERM)
 * the other sets still go.  The kernel says where the capabilities end
 * (EINVAL), so no /proc/sys/kernel/cap_last_cap is read.
 */
static void drop_bounds(void)
{
	for (unsigned long cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			break;
}

/* Whether this process may change its uid at all. */
static bool can_change_ids(void)
{
	return geteuid() == 0 || knet_privs_have(CAP_SETUID);
}

static int change_ids(uid_t uid, gid_t gid, struct knet_error *err)
{
	uid_t ru, eu, su;

	/* Groups first: without CAP_SETGID, which goes with the uid. */
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0)
		return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
				      "cannot change to group %u: %s",
				      (unsigned)gid, strerror(errno));
	if (setresuid(uid, uid, uid) < 0)
		return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
				      "cannot change to user %u: %s",
				      (unsigned)uid, strerror(errno));
	/* As OpenSSH does: make sure there is no way back. */
	if (getresuid(&ru, &eu, &su) < 0 || ru != uid || eu != uid ||
	    su != uid || setuid(0) == 0)
		return knet_error_set(err, -EPERM, KNET_EXIT_SYSTEM,
				      "user %u did not stick", (unsigned)uid);
	return 0;
}

int knet_privs_drop_keep(const char *user, int keep, struct knet_error *err)
{
	struct caps c;
	int kept = -1, r;
	uid_t uid;
	gid_t gid;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
				      "set no_new_privs: %s", strerror(errno));
	/*
	 * Already an ordinary user with nothing to change ids with: there
	 * is no uid to leave, only capabilities (file caps) to drop.
	 */
	if (can_change_ids()) {
		r = knet_privs_user(user, &uid, &gid, err);
		if (r < 0)
			return r;
		/* While CAP_SETPCAP is still ours. */
		drop_bounds();
		/* The permitted set survives the uid change only so. */
		if (keep >= 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			return knet_error_set(err, -errno, KNET_EXIT_SYSTEM,
					      "set keepcaps: %s",
					      strerror(errno));
		r = change_ids(uid, gid, err);
		if (keep >= 0)
			(void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
		if (r < 0)
			return r;
		kept = keep; /* same uid otherwise: nothing to keep for */
	} else if (user) {
		return knet_error_set(err, -EPERM, KNET_EXIT_SYSTEM,
				      "cannot run as '%s': changing user "
				      "needs root or CAP_SETUID",
				      user);
	}
	/* Leaving uid 0 cleared them already; an ordinary user may hold
	 * file capabilities, ambient ones included. */
	memset(&c, 0, sizeof(c));
	if (kept >= 0 && kept < 32 * _LINUX_CAPABILITY_U32S_3) {
		c.d[kept / 32].effective = 1U << (kept % 32);
		c.d[kept / 32].permitted = 1U << (kept % 32);
	}
	if (caps_set(&c) < 0)
		return knet_error_set(err, -EPERM, KNET_EXIT_SYSTEM,
				      "cannot drop capabilities");
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	/* keepcaps left the whole permitted set: it must be gone now. */
	if (kept >= 0 && (caps_get(&c) < 0 || caps_has(&c, CAP_SETUID, true) ||
			  setuid(0) == 0))
		return knet_error_set(err, -EPERM, KNET_EXIT_SYSTEM,
				      "capabilities did not go");
	return 0;
}

int knet_privs_drop(const char *user, struct knet_error *err)
{
	return knet_privs_drop_keep(user, -1, err);
}

bool knet_privs_have(int cap)
{
	struct caps c;

	return cap >= 0 && caps_get(&c) == 0 &&
	       caps_has(&c, (unsigned)cap, false);
}
