/* SPDX-License-Identifier: MIT */
/*
 * A shell line into words, quoted as sh quotes: '...' keeps everything,
 * "..." keeps everything but \" \\ \$ \` (a backslash before anything
 * else stays), a bare backslash escapes the next character, and a word
 * that starts with # begins a comment.  No expansion of any kind: a
 * runbook line means what it says.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "knet/cli.h"

void knet_words_free(struct knet_words *w)
{
	if (!w)
		return;
	for (int i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static int push(struct knet_words *w, const char *word, size_t len)
{
	char **v;

	if (w->n + 2 > w->cap) {
		int cap = w->cap ? w->cap * 2 : 8;

		v = realloc(w->v, (size_t)cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		w->v = v;
		w->cap = cap;
	}
	w->v[w->n] = strndup(word, len);
	if (!w->v[w->n])
		return -ENOMEM;
	w->v[++w->n] = NULL;
	return 0;
}

int knet_split_line(const char *line, bool partial, struct knet_words *ret,
		    struct knet_error *err)
{
	struct knet_words w = {0};
	size_t len = strlen(line), n = 0;
	const char *p = line;
	char quote = 0;
	bool in_word = false;
	int r = 0;

	w.buf = malloc(len + 1);
	if (!w.buf)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	w.quote = 0;
	w.start = -1;
	for (; *p; p++) {
		char c = *p;

		if (quote == '\'') {
			if (c == '\'')
				quote = 0;
			else
				w.buf[n++] = c;
			continue;
		}
		if (quote == '"') {
			if (c == '"')
				quote = 0;
			else if (c == '\\' && p[1] && strchr("\"\\$`", p[1]))
				w.buf[n++] = *++p;
			else
				w.buf[n++] = c;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (in_word) {
				r = push(&w, w.buf, n);
				if (r < 0)
					goto oom;
				in_word = false;
				n = 0;
			}
			continue;
		}
		if (!in_word) {
			if (c == '#')
				break;
			in_word = true;
			w.start = (int)(p - line);
		}
		if (c == '\'' || c == '"') {
			quote = c;
		} else if (c == '\\') {
			if (!p[1]) {
				quote = '\\';
				break;
			}
			w.buf[n++] = *++p;
		} else {
			w.buf[n++] = c;
		}
	}
	if (quote && !partial) {
		knet_words_free(&w);
		return knet_error_set(
			err, -EINVAL, KNET_EXIT_USAGE,
			quote == '\\'	? "the line ends in a backslash"
			: quote == '\'' ? "unbalanced single quote"
					: "unbalanced double quote");
	}
	w.quote = quote;
	/* The word being typed (completion), even when empty. */
	w.last_open = in_word;
	if (in_word) {
		r = push(&w, w.buf, n);
		if (r < 0)
			goto oom;
	}
	*ret = w;
	return 0;
oom:
	knet_words_free(&w);
	return knet_error_set(err, r, KNET_EXIT_SYSTEM, "out of memory");
}
