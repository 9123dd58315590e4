/* SPDX-License-Identifier: MIT */
/* The shell's line splitter and its history file (path, mode, cap). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "knet/cli.h"
#include "unit.h"

/* Split @line and join the words with '|' into @buf; the return code. */
static int split(const char *line, bool partial, char *buf, size_t len,
		 struct knet_words *keep)
{
	struct knet_error err = {0};
	struct knet_words w = {0};
	int r = knet_split_line(line, partial, &w, &err);

	buf[0] = '\0';
	if (r < 0) {
		snprintf(buf, len, "%s", err.reason);
		return r;
	}
	for (int i = 0; i < w.n; i++) {
		strncat(buf, w.v[i], len - strlen(buf) - 1);
		if (i + 1 < w.n)
			strncat(buf, "|", len - strlen(buf) - 1);
	}
	if (keep)
		*keep = w;
	else
		knet_words_free(&w);
	return r;
}

static void test_split(void)
{
	char b[256];
	struct knet_words w;

	CHECK_INT(split("pods -n web", false, b, sizeof(b), NULL), 0);
	CHECK_STR(b, "pods|-n|web");
	CHECK_INT(split("  \tsvc   ", false, b, sizeof(b), NULL), 0);
	CHECK_STR(b, "svc");
	CHECK_INT(split("", false, b, sizeof(b), &w), 0);
	CHECK_INT(w.n, 0);
	CHECK(w.v == NULL);
	knet_words_free(&w);
	CHECK_INT(
		split("exec p -- sh -c 'echo a b'", false, b, sizeof(b), NULL),
		0);
	CHECK_STR(b, "exec|p|--|sh|-c|echo a b");
	CHECK_INT(split("a\"b c\"d 'x\"y' \"q'q\"", false, b, sizeof(b), NULL),
		  0);
	CHECK_STR(b, "ab cd|x\"y|q'q");
	/* backslash: bare, in double quotes (only before \" \\ $ `), in
	 * single quotes (literal) */
	CHECK_INT(
		split("a\\ b \"\\\"\\\\\\n\" '\\n'", false, b, sizeof(b), NULL),
		0);
	CHECK_STR(b, "a b|\"\\\\n|\\n");
	CHECK_INT(split("''", false, b, sizeof(b), &w), 0);
	CHECK_INT(w.n, 1);
	CHECK_STR(w.v[0], "");
	knet_words_free(&w);
	/* comments: a word starting with #, not a # inside one */
	CHECK_INT(split("# a comment", false, b, sizeof(b), NULL), 0);
	CHECK_STR(b, "");
	CHECK_INT(split("pods a#b # rest 'x", false, b, sizeof(b), NULL), 0);
	CHECK_STR(b, "pods|a#b");
	CHECK_INT(split("echo '#x'", false, b, sizeof(b), NULL), 0);
	CHECK_STR(b, "echo|#x");
	/* unbalanced */
	CHECK_INT(split("ping 'web", false, b, sizeof(b), NULL), -EINVAL);
	CHECK_STR(b, "unbalanced single quote");
	CHECK_INT(split("ping \"web", false, b, sizeof(b), NULL), -EINVAL);
	CHECK_STR(b, "unbalanced double quote");
	CHECK_INT(split("ping web\\", false, b, sizeof(b), NULL), -EINVAL);
	CHECK_STR(b, "the line ends in a backslash");
	/* partial (completion): the open word is the last one */
	CHECK_INT(split("ping 'we", true, b, sizeof(b), &w), 0);
	CHECK_STR(b, "ping|we");
	CHECK_INT(w.quote, '\'');
	CHECK(w.last_open);
	CHECK_INT(w.start, 5);
	knet_words_free(&w);
	CHECK_INT(split("ping ", true, b, sizeof(b), &w), 0);
	CHECK(!w.last_open);
	CHECK_INT(w.n, 1);
	knet_words_free(&w);
	knet_words_free(NULL);
}

static const char *fake_state, *fake_home;

static const char *fake_env(const char *name)
{
	if (strcmp(name, "XDG_STATE_HOME") == 0)
		return fake_state;
	if (strcmp(name, "HOME") == 0)
		return fake_home;
	return NULL;
}

static void test_history_path(void)
{
	char b[256];

	fake_state = "/s";
	fake_home = "/h";
	CHECK_INT(knet_history_path(b, sizeof(b), fake_env), 0);
	CHECK_STR(b, "/s/knet/history");
	fake_state = "relative"; /* XDG says: ignore it */
	CHECK_INT(knet_history_path(b, sizeof(b), fake_env), 0);
	CHECK_STR(b, "/h/.local/state/knet/history");
	fake_state = NULL;
	CHECK_INT(knet_history_path(b, sizeof(b), fake_env), 0);
	CHECK_STR(b, "/h/.local/state/knet/history");
	fake_home = NULL;
	CHECK_INT(knet_history_path(b, sizeof(b), fake_env), -ENOENT);
	fake_home = "/h";
	CHECK_INT(knet_history_path(b, 8, fake_env), -ENAMETOOLONG);
}

static void test_history_file(void)
{
	char dir[] = "/tmp/knet-unit-hist-XXXXXX", path[200], buf[256];
	struct knet_error err = {0};
	struct stat st;
	FILE *f;
	size_t n;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/a/b/history", dir);
	CHECK_INT(knet_history_prepare(path, &err), 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	/* a file that was too open is made private */
	CHECK_INT(chmod(path, 0644), 0);
	CHECK_INT(knet_history_prepare(path, &err), 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	/* missing file: nothing to cap */
	snprintf(buf, sizeof(buf), "%s/none", dir);
	CHECK_INT(knet_history_cap(buf, 3, &err), 0);

	f = fopen(path, "w");
	CHECK(f != NULL);
	for (int i = 1; i <= 10; i++)
		fprintf(f, "line %d\n", i);
	fclose(f);
	CHECK_INT(knet_history_cap(path, 20, &err), 0); /* under the cap */
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_size, 71);
	CHECK_INT(knet_history_cap(path, 3, &err), 0);
	f = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	CHECK_STR(buf, "line 8\nline 9\nline 10\n");
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	/* no temporary file left behind */
	snprintf(buf, sizeof(buf), "%s.tmp", path);
	CHECK_INT(access(buf, F_OK), -1);
	unlink(path);
	snprintf(buf, sizeof(buf), "%s/a/b", dir);
	rmdir(buf);
	snprintf(buf, sizeof(buf), "%s/a", dir);
	rmdir(buf);
	rmdir(dir);
}

int main(void)
{
	test_split();
	test_history_path();
	test_history_file();
	return unit_done("shell");
}
