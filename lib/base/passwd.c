/* SPDX-License-Identifier: MIT */
/*
 * A user's ids from a passwd(5) file, read directly.
 *
 * Why not getpwnam(): every node command drops to nobody, and glibc's
 * getpwnam() goes through NSS: it parses /etc/nsswitch.conf, sets up
 * its module tables and reads the file through stdio, which costs more
 * instructions and touches more of libc's pages than the rest of a
 * traceroute's start (doc/design-notes.md, "Footprint").  This reads
 * the file with read(2) into a buffer on the stack, allocates nothing
 * and stops at the first match.  Users only NSS knows (LDAP, sssd)
 * are not here: the caller falls back to getpwnam() for those.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "knet/base.h"

/* A decimal id up to @end, below (id_t)-1 (which means "no id"). */
static bool parse_id(const char *s, const char *end, unsigned long *ret)
{
	unsigned long v = 0;

	if (s == end || end - s > 10)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v >= 0xffffffffUL)
		return false;
	*ret = v;
	return true;
}

/*
 * One line (without its newline; only its start when not @whole):
 * whether it is @name's entry, with its ids.
 * "name:password:uid:gid:..."; a malformed entry is skipped, as glibc's
 * files module skips it, and so are NIS compat lines (+, -), which mean
 * "ask NSS".
 */
static bool match_line(const char *line, size_t len, bool whole,
		       const char *name, size_t nlen, unsigned long *uid,
		       unsigned long *gid)
{
	const char *end = line + len, *f[4];
	int n = 0;

	if (len <= nlen || memcmp(line, name, nlen) || line[nlen] != ':')
		return false;
	/* the starts of the password, uid, gid and gecos fields */
	for (const char *p = line; p < end && n < 4; p++)
		if (*p == ':')
			f[n++] = p + 1;
	if (n < 3 || (n == 3 && !whole))
		return false;
	if (n == 3)
		f[3] = end + 1; /* "name:x:1:2", without the rest */
	return parse_id(f[1], f[2] - 1, uid) && parse_id(f[2], f[3] - 1, gid);
}

int knet_passwd_find(const char *path, const char *name, uid_t *ret_uid,
		     gid_t *ret_gid)
{
	char buf[4096];
	size_t have = 0, nlen = strlen(name);
	bool skip = false; /* in a line longer than the buffer */
	unsigned long uid, gid;
	int fd, r = -ENOENT;

	if (!nlen || nlen >= sizeof(buf) || strchr(name, ':') ||
	    name[0] == '+' || name[0] == '-')
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - have);
		char *line = buf, *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		have += (size_t)n;
		while ((nl = memchr(line, '\n', have - (size_t)(line - buf))) ||
		       (n == 0 && line < buf + have)) {
			size_t len = nl ? (size_t)(nl - line)
					: have - (size_t)(line - buf);

			if (!skip &&
			    match_line(line, len, true, name, nlen, &uid, &gid))
				goto found;
			skip = false;
			line += len + (nl ? 1 : 0);
		}
		if (n == 0)
			break;
		have -= (size_t)(line - buf);
		if (have == sizeof(buf)) {
			/* A line longer than the buffer (a long gecos): its
			 * ids are in its start, the rest is dropped. */
			if (!skip && match_line(buf, have, false, name, nlen,
						&uid, &gid))
				goto found;
			skip = true;
			have = 0;
		} else {
			memmove(buf, line, have);
		}
	}
	close(fd);
	return r;
found:
	close(fd);
	*ret_uid = (uid_t)uid;
	*ret_gid = (gid_t)gid;
	return 0;
}
