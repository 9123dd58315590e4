/* SPDX-License-Identifier: MIT */
/*
 * Tab in the shell: commands and the shell's words, options, option
 * values (choices, contexts, namespaces...) and live names, from the
 * same tables and hints as `knet completion` and `knet __complete`
 * (knet_complete_expand), with names from the watch cache (cache.c)
 * so that Tab never waits for the cluster.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/api.h"
#include "knet/cli.h"
#include "knet/kubeconfig.h"
#include "lazy-readline.h"
#include "shell.h"

static struct knet_shell *shell;

struct words {
	char **v;
	int n, cap;
};

static void add_word(const char *w, void *userdata)
{
	struct words *ws = userdata;
	char **v;

	if (ws->n + 2 > ws->cap) {
		int cap = ws->cap ? ws->cap * 2 : 32;

		v = realloc(ws->v, (size_t)cap * sizeof(*v));
		if (!v)
			return;
		ws->v = v;
		ws->cap = cap;
	}
	ws->v[ws->n] = strdup(w);
	if (ws->v[ws->n])
		ws->v[++ws->n] = NULL;
}

static void add_if(struct words *ws, const char *w, const char *text)
{
	if (strncmp(w, text, strlen(text)) == 0)
		add_word(w, ws);
}

static void add_choices(struct words *ws, const char *choices, const char *text)
{
	char buf[256], *save = NULL, *t;

	snprintf(buf, sizeof(buf), "%s", choices);
	for (t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save))
		add_if(ws, t, text);
}

static void add_options(struct words *ws, const struct knet_opt *opts,
			const char *text)
{
	char w[80];

	for (; opts && opts->name; opts++) {
		snprintf(w, sizeof(w), "--%s", opts->name);
		add_if(ws, w, text);
		/* "-" Tab shows -c beside --count; "--" hides it */
		if (opts->short_name) {
			snprintf(w, sizeof(w), "-%c", opts->short_name);
			add_if(ws, w, text);
		}
	}
}

/* Contexts from the kubeconfig files, as kubectl merges them. */
static void add_contexts(struct words *ws, const char *text)
{
	const char *files[16], *env = getenv("KUBECONFIG");
	char *copy = NULL, *save = NULL, *t, home[512];
	struct knet_error err = {0};
	const cJSON *c;
	cJSON *doc = NULL;
	int n = 0;

	if (shell->use.kubeconfig) {
		files[n++] = shell->use.kubeconfig;
	} else if (env && *env) {
		copy = strdup(env);
		for (t = copy ? strtok_r(copy, ":", &save) : NULL; t && n < 16;
		     t = strtok_r(NULL, ":", &save))
			files[n++] = t;
	} else if (getenv("HOME")) {
		snprintf(home, sizeof(home), "%s/.kube/config", getenv("HOME"));
		files[n++] = home;
	}
	if (n && knet_kubeconfig_merge_files(files, n, false, &doc, &err) == 0)
		cJSON_ArrayForEach(c, knet_json_get(doc, "contexts"))
		{
			const char *name = knet_json_str(c, "name");

			if (name)
				add_if(ws, name, text);
		}
	knet_json_wipe_delete(doc);
	free(copy);
}

static const char *shell_namespace(void)
{
	if (shell->use.namespace)
		return shell->use.namespace;
	if (shell->ctx.api)
		return knet_api_namespace(shell->ctx.api);
	return "default";
}

/* A completion hint: "file", "context", or live kinds. */
static void add_hint(struct words *ws, const char *hint, const char *ns,
		     const char *text, bool *loading)
{
	const char *kinds[3], *prefixes[3];
	int n;

	if (strcmp(hint, "context") == 0) {
		add_contexts(ws, text);
		return;
	}
	if (strcmp(hint, "command") == 0) {
		for (const struct knet_cmd *const *c = knet_commands; *c; c++)
			if (!((*c)->flags & KNET_CMD_HIDDEN))
				add_if(ws, (*c)->name, text);
		return;
	}
	if (strcmp(hint, "shell") == 0) {
		add_choices(ws, "bash|zsh|fish", text);
		return;
	}
	n = knet_complete_expand(hint, kinds, prefixes);
	for (int i = 0; i < n; i++)
		knet_shell_cache_match(kinds[i], ns, prefixes[i], text,
				       add_word, ws, loading);
}

/* The words of `use` and `unuse`. */
static bool complete_use(struct words *ws, char **v, int n, const char *text,
			 bool *loading)
{
	static const char *const what[] = {"context", "ns", "pod", "node"};
	static const char *const hint[] = {"context", "namespace", "pod",
					   "node"};

	if (strcmp(v[0], "use") != 0 && strcmp(v[0], "unuse") != 0)
		return false;
	if (n == 1) {
		for (int i = 0; i < 4; i++)
			add_if(ws, what[i], text);
	} else if (n == 2 && strcmp(v[0], "use") == 0) {
		for (int i = 0; i < 4; i++)
			if (strcmp(v[1], what[i]) == 0)
				add_hint(ws, hint[i], shell_namespace(), text,
					 loading);
	}
	return true;
}

/* -n NS on the line being typed, for the names of that namespace. */
static const char *line_namespace(char **v, int n)
{
	for (int i = 0; i + 1 < n; i++)
		if (strcmp(v[i], "-n") == 0 || strcmp(v[i], "--namespace") == 0)
			return v[i + 1];
	return shell_namespace();
}

static void candidates(struct words *ws, char **v, int n, const char *text,
		       bool *loading)
{
	static const char *const builtins[] = {"use", "unuse", "status",
					       "exit"};
	const struct knet_opt *tables[3] = {knet_global_options, NULL, NULL};
	const struct knet_cmd *cmd = NULL, *verbs = NULL;
	const struct knet_opt *o = NULL;
	int i;

	/* the command: the first word that is no global option (value) */
	for (i = 0; i < n; i++) {
		const struct knet_opt *g;

		if (v[i][0] != '-')
			break;
		g = v[i][1] == '-' ? knet_opt_find(tables, v[i] + 2, 0)
				   : knet_opt_find(tables, NULL, v[i][1]);
		if (g && knet_opt_takes_value(g) && !strchr(v[i], '='))
			i++;
	}
	if (i >= n) {
		/* the word after a global option that takes a value */
		if (n > 0 && v[n - 1][0] == '-')
			o = v[n - 1][1] == '-'
				    ? knet_opt_find(tables, v[n - 1] + 2, 0)
				    : knet_opt_find(tables, NULL, v[n - 1][1]);
		if (!o || !knet_opt_takes_value(o)) {
			if (text[0] == '-') {
				add_options(ws, knet_global_options, text);
				return;
			}
			for (size_t b = 0; b < 4 && n == 0; b++)
				add_if(ws, builtins[b], text);
			add_hint(ws, "command", NULL, text, loading);
			return;
		}
	} else {
		if (i == 0 && complete_use(ws, v, n, text, loading))
			return;
		cmd = knet_cmd_find(v[i]);
		if (!cmd)
			return;
		/* "svc -n web trace <Tab>": the verb's, past options */
		{
			int at = 0;
			const struct knet_cmd *verb = knet_cmd_verb_at(
				cmd, n - i - 1, v + i + 1, &at);

			if (verb)
				cmd = verb;
			else if (cmd->verbs && text[0] != '-' &&
				 knet_cmd_first_arg(cmd, n - i - 1,
						    v + i + 1) == n - i - 1 &&
				 !(n > i + 1 && v[n - 1][0] == '-'))
				verbs = cmd;
		}
		tables[0] = cmd->options;
		tables[1] = knet_global_options;
		if (!cmd->options) {
			tables[0] = knet_global_options;
			tables[1] = NULL;
		}
		if (n > i + 1 && v[n - 1][0] == '-' && v[n - 1][1]) {
			const char *w = v[n - 1];

			o = w[1] == '-' ? knet_opt_find(tables, w + 2, 0)
					: knet_opt_find(tables, NULL, w[1]);
		}
	}
	if (o && knet_opt_takes_value(o)) {
		if (o->choices)
			add_choices(ws, o->choices, text);
		else if (o->complete)
			add_hint(ws, o->complete, line_namespace(v, n), text,
				 loading);
		return;
	}
	if (text[0] == '-') {
		add_options(ws, cmd ? cmd->options : NULL, text);
		add_options(ws, knet_global_options, text);
		return;
	}
	/* the verbs in the first argument's place, beside the names */
	for (const struct knet_cmd *const *vb = verbs ? verbs->verbs : NULL;
	     vb && *vb; vb++)
		add_if(ws, strrchr((*vb)->name, ' ') + 1, text);
	if (cmd && cmd->complete_args)
		add_hint(ws, cmd->complete_args, line_namespace(v, n), text,
			 loading);
}

static char **complete(const char *text, int start, int end)
{
	struct knet_error err = {0};
	struct knet_words w = {0};
	struct words ws = {0};
	bool loading = false;
	char *before;

	(void)end;
	rl_attempted_completion_over = 1; /* never file names by default */
	before = strndup(rl_line_buffer, (size_t)start);
	if (!before || knet_split_line(before, true, &w, &err) < 0) {
		free(before);
		return NULL;
	}
	candidates(&ws, w.v ? w.v : (char *[]){NULL}, w.n, text, &loading);
	knet_words_free(&w);
	free(before);
	if (loading && ws.n == 0) {
		/* Cold cache: say so instead of silently offering nothing. */
		fprintf(rl_outstream, "\n(knet: names are still loading; "
				      "press Tab again in a moment)\n");
		rl_on_new_line();
	}
	if (ws.n == 0) {
		free(ws.v);
		return NULL;
	}
	/* readline wants the common prefix first, then the matches. */
	{
		char **m = malloc((size_t)(ws.n + 2) * sizeof(*m));
		size_t lcp = strlen(ws.v[0]);

		if (!m)
			return NULL;
		for (int i = 1; i < ws.n; i++) {
			size_t k = 0;

			while (k < lcp && ws.v[i][k] == ws.v[0][k])
				k++;
			lcp = k;
		}
		m[0] = ws.n == 1 ? strdup(ws.v[0]) : strndup(ws.v[0], lcp);
		memcpy(m + 1, ws.v, (size_t)ws.n * sizeof(*m));
		m[ws.n + 1] = NULL;
		if (ws.n == 1) {
			free(m[1]);
			m[1] = NULL;
		}
		free(ws.v);
		return m;
	}
}

void knet_shell_complete_init(struct knet_shell *sh)
{
	shell = sh;
	if (!knet_shell_readline_loaded())
		return; /* plain lines: nothing completes */
	/* NS/NAME, svc/NAME and --opt=VALUE are one word each. */
	rl_completer_word_break_characters = (char *)" \t\n\"'";
	rl_attempted_completion_function = complete;
	knet_shell_cache_start(&sh->use);
}

void knet_shell_complete_stop(void)
{
	knet_shell_cache_stop();
}
