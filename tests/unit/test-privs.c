/* SPDX-License-Identifier: MIT */
/* Which user knet drops to: -Z USER, nobody, or the overflow ids. */
#include <errno.h>
#include <pwd.h>
#include <string.h>

#include "knet/node.h"
#include "unit.h"

static bool no_nobody;

/*
 * Stands in for glibc's: a passwd without "nobody" (a minimal image),
 * and one fixed user, so the test does not depend on this machine.
 */
struct passwd *getpwnam(const char *name)
{
	static struct passwd pw;

	if (!strcmp(name, "nobody") && !no_nobody) {
		pw = (struct passwd){
			.pw_name = "nobody", .pw_uid = 65534, .pw_gid = 65533};
		return &pw;
	}
	if (!strcmp(name, "daemon")) {
		pw = (struct passwd){
			.pw_name = "daemon", .pw_uid = 1, .pw_gid = 1};
		return &pw;
	}
	if (!strcmp(name, "root")) {
		pw = (struct passwd){
			.pw_name = "root", .pw_uid = 0, .pw_gid = 0};
		return &pw;
	}
	return NULL;
}

int main(void)
{
	struct knet_error err = {0};
	uid_t uid = 7;
	gid_t gid = 7;

	CHECK_INT(knet_privs_user(NULL, &uid, &gid, &err), 0);
	CHECK_INT(uid, 65534);
	CHECK_INT(gid, 65533);
	CHECK_INT(knet_privs_user("daemon", &uid, &gid, &err), 0);
	CHECK_INT(uid, 1);
	/* No nobody in the passwd file: the overflow ids. */
	no_nobody = true;
	CHECK_INT(knet_privs_user(NULL, &uid, &gid, &err), 0);
	CHECK_INT(uid, 65534);
	CHECK_INT(gid, 65534);
	/* A user asked for by name must exist, and must not be root. */
	CHECK_INT(knet_privs_user("nosuchuser", &uid, &gid, &err), -ENOENT);
	CHECK_STR(err.reason, "no user 'nosuchuser' to run as");
	CHECK_INT(err.exit, KNET_EXIT_SYSTEM);
	CHECK_INT(knet_privs_user("root", &uid, &gid, &err), -EINVAL);
	CHECK_INT(err.exit, KNET_EXIT_USAGE);
	/* A number is a uid, as with tcpdump -Z. */
	CHECK_INT(knet_privs_user("4242", &uid, &gid, &err), 0);
	CHECK_INT(uid, 4242);
	return unit_done("test-privs");
}
