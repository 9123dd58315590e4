/* SPDX-License-Identifier: MIT */
/*
 * Which user knet drops to: -Z USER, nobody, or the overflow ids; from
 * a passwd file read directly (knet_passwd_find), else from NSS.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "knet/node.h"
#include "unit.h"

static bool no_nobody;

/*
 * Stands in for glibc's, the fallback (NSS): a passwd without "nobody"
 * (a minimal image), and fixed users, so the test does not depend on
 * this machine.  "ldapuser" is a user only NSS knows.
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
	if (!strcmp(name, "ldapuser")) {
		pw = (struct passwd){
			.pw_name = "ldapuser", .pw_uid = 5000, .pw_gid = 50};
		return &pw;
	}
	return NULL;
}

/* A passwd file with @text; its path, to unlink. */
static char *passwd_file(const char *text)
{
	static char path[] = "/tmp/knet-unit-passwd-XXXXXX";
	char *p = strdup(path);
	int fd = p ? mkstemp(p) : -1;
	size_t len = strlen(text);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		fprintf(stderr, "test-privs: cannot write %s\n", p);
		exit(1);
	}
	close(fd);
	return p;
}

/* knet_passwd_find() on its own: what counts as an entry. */
static void test_passwd_find(void)
{
	/* a line longer than the reader's 4 KiB buffer, then the user */
	static char big[9000];
	char *text, *path;
	uid_t uid = 7;
	gid_t gid = 7;

	memset(big, 'g', sizeof(big) - 1);
	if (asprintf(&text,
		     "root:x:0:0:root:/root:/bin/bash\n"
		     "# not an entry\n"
		     "bad:x:12a:1::/:/bin/sh\n"
		     "short:x:1\n"
		     "+nis\n"
		     "dae:x:3:3::/:/bin/sh\n"
		     "long:x:9:9:%s:/:/bin/sh\n"
		     "daemon:x:1:2:daemon:/usr/sbin:/usr/sbin/nologin\n"
		     "huge:x:4294967295:1::/:/bin/sh\n"
		     "last:x:77:78",
		     big) < 0)
		exit(1);
	path = passwd_file(text);
	CHECK_INT(knet_passwd_find(path, "daemon", &uid, &gid), 0);
	CHECK_INT(uid, 1);
	CHECK_INT(gid, 2);
	/* a prefix of a name is not the name */
	CHECK_INT(knet_passwd_find(path, "da", &uid, &gid), -ENOENT);
	CHECK_INT(knet_passwd_find(path, "long", &uid, &gid), 0);
	CHECK_INT(uid, 9);
	/* the last line needs no newline; gecos and the rest may be gone */
	CHECK_INT(knet_passwd_find(path, "last", &uid, &gid), 0);
	CHECK_INT(uid, 77);
	CHECK_INT(gid, 78);
	/* malformed entries are skipped, NIS lines are not names */
	CHECK_INT(knet_passwd_find(path, "bad", &uid, &gid), -ENOENT);
	CHECK_INT(knet_passwd_find(path, "short", &uid, &gid), -ENOENT);
	CHECK_INT(knet_passwd_find(path, "huge", &uid, &gid), -ENOENT);
	CHECK_INT(knet_passwd_find(path, "+nis", &uid, &gid), -ENOENT);
	CHECK_INT(knet_passwd_find(path, "", &uid, &gid), -ENOENT);
	CHECK_INT(knet_passwd_find(path, "a:b", &uid, &gid), -ENOENT);
	CHECK_INT(knet_passwd_find(path, "ggg", &uid, &gid), -ENOENT);
	CHECK_INT(knet_passwd_find("/nonexistent/passwd", "daemon", &uid, &gid),
		  -ENOENT);
	CHECK_INT(knet_passwd_find("/", "daemon", &uid, &gid), -EISDIR);
	unlink(path);
	free(path);
	free(text);
}

int main(void)
{
	struct knet_error err = {0};
	uid_t uid = 7;
	gid_t gid = 7;
	char *path;

	test_passwd_find();
	/* The file first: its nobody, not NSS's. */
	path = passwd_file("nobody:x:65000:65001::/:/usr/sbin/nologin\n"
			   "toor:x:0:0::/:/bin/sh\n");
	CHECK_INT(knet_privs_user_from(path, NULL, &uid, &gid, &err), 0);
	CHECK_INT(uid, 65000);
	CHECK_INT(gid, 65001);
	/* NSS for what the file does not have */
	CHECK_INT(knet_privs_user_from(path, "ldapuser", &uid, &gid, &err), 0);
	CHECK_INT(uid, 5000);
	CHECK_INT(gid, 50);
	/* root by another name is still root */
	CHECK_INT(knet_privs_user_from(path, "toor", &uid, &gid, &err),
		  -EINVAL);
	CHECK_INT(err.exit, KNET_EXIT_USAGE);
	unlink(path);
	free(path);
	/* No passwd file at all: NSS alone. */
	path = "/nonexistent/passwd";
	CHECK_INT(knet_privs_user_from(path, NULL, &uid, &gid, &err), 0);
	CHECK_INT(uid, 65534);
	CHECK_INT(gid, 65533);
	CHECK_INT(knet_privs_user_from(path, "daemon", &uid, &gid, &err), 0);
	CHECK_INT(uid, 1);
	/* No nobody in the passwd file: the overflow ids. */
	no_nobody = true;
	CHECK_INT(knet_privs_user_from(path, NULL, &uid, &gid, &err), 0);
	CHECK_INT(uid, 65534);
	CHECK_INT(gid, 65534);
	/* A user asked for by name must exist, and must not be root. */
	CHECK_INT(knet_privs_user_from(path, "nosuchuser", &uid, &gid, &err),
		  -ENOENT);
	CHECK_STR(err.reason, "no user 'nosuchuser' to run as");
	CHECK_INT(err.exit, KNET_EXIT_SYSTEM);
	CHECK_INT(knet_privs_user_from(path, "root", &uid, &gid, &err),
		  -EINVAL);
	CHECK_INT(err.exit, KNET_EXIT_USAGE);
	/* A number is a uid, as with tcpdump -Z. */
	CHECK_INT(knet_privs_user_from(path, "4242", &uid, &gid, &err), 0);
	CHECK_INT(uid, 4242);
	/* This machine's /etc/passwd: root is there, and is refused. */
	CHECK_INT(knet_privs_user("root", &uid, &gid, &err), -EINVAL);
	return unit_done("test-privs");
}
