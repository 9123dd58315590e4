/* SPDX-License-Identifier: MIT */
/*
 * A list page read as it arrives (lib/api/list-stream.c): JSON and
 * protobuf lists cut at every byte, and byte by byte, give the items the
 * whole body gives (knet_api_parse_body), in order, with the list's
 * resourceVersion and continue; every truncation and a sweep of byte
 * changes of a protobuf list give the same outcome as the whole-body
 * reader (the same items, or a refusal with a reason); malformed JSON
 * skeletons are refused; a callback's non-zero stops the stream.  Under
 * ASan, nothing is read out of bounds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/api/api-internal.h"
#include "knet/api.h"
#include "pb-writer.h"
#include "unit.h"

/* The items seen, printed one after the other. */
struct seen {
	char *text;
	size_t len;
	int n, stop_at;
};

static int on_item(const cJSON *item, void *userdata)
{
	struct seen *s = userdata;
	char *t = cJSON_PrintUnformatted(item);
	size_t n = t ? strlen(t) : 0;
	char *nt = realloc(s->text, s->len + n + 2);

	if (!t || !nt) {
		free(t);
		free(nt ? nt : s->text);
		s->text = NULL;
		return -ENOMEM;
	}
	s->text = nt;
	memcpy(s->text + s->len, t, n);
	s->len += n;
	s->text[s->len++] = '\n';
	s->text[s->len] = '\0';
	free(t);
	return ++s->n == s->stop_at ? -ECANCELED : 0;
}

struct outcome {
	int r;
	struct seen items;
	char rv[64], cont[64], reason[KNET_ERROR_MAX];
};

static void outcome_clear(struct outcome *o)
{
	free(o->items.text);
	memset(o, 0, sizeof(*o));
}

/*
 * @body through a stream in chunks of @chunk bytes, the first @first
 * long (0: the same as the others).
 */
static void streamed(const void *body, size_t len, size_t first, size_t chunk,
		     struct outcome *o)
{
	struct knet_list_stream *s = knet_list_stream_new(on_item, &o->items);
	const char *p = body;
	size_t off = 0;
	int r = 0;

	if (!s) {
		o->r = -ENOMEM;
		return;
	}
	/* A stream is reused page after page: reset, not new. */
	knet_list_stream_reset(s);
	while (!r && off < len) {
		size_t n = off == 0 && first ? first : chunk;

		if (n > len - off)
			n = len - off;
		r = knet_list_stream_feed(s, p + off, n);
		off += n;
	}
	if (!r)
		r = knet_list_stream_end(s);
	o->r = r;
	snprintf(o->rv, sizeof(o->rv), "%s",
		 knet_list_stream_resource_version(s) ?: "");
	snprintf(o->cont, sizeof(o->cont), "%s",
		 knet_list_stream_continue(s) ?: "");
	if (knet_list_stream_error(s))
		snprintf(o->reason, sizeof(o->reason), "%s",
			 knet_list_stream_error(s)->reason);
	CHECK_INT(knet_list_stream_items(s), o->items.n);
	knet_list_stream_free(s);
}

/* What the whole body gives: the reference. */
static void whole(const void *body, size_t len, struct outcome *o)
{
	struct knet_error err = {0};
	cJSON *j = knet_api_parse_body(body, len, &err);
	const cJSON *it, *md;

	if (!j) {
		o->r = -EBADMSG;
		return;
	}
	cJSON_ArrayForEach(it, knet_json_get(j, "items"))
		on_item(it, &o->items);
	md = knet_json_get(j, "metadata");
	snprintf(o->rv, sizeof(o->rv), "%s",
		 knet_json_str(md, "resourceVersion") ?: "");
	snprintf(o->cont, sizeof(o->cont), "%s",
		 knet_json_str(md, "continue") ?: "");
	cJSON_Delete(j);
}

static bool same(const struct outcome *a, const struct outcome *b)
{
	if ((a->r < 0) != (b->r < 0))
		return false;
	if (a->r < 0)
		return true;
	return a->items.n == b->items.n && !strcmp(a->rv, b->rv) &&
	       !strcmp(a->cont, b->cont) &&
	       !strcmp(a->items.text ?: "", b->items.text ?: "");
}

/*
 * @body, whole and cut at every byte and fed byte by byte, gives what
 * the whole-body reader gives, @nitems items.
 */
static void check_every_cut(const void *body, size_t len, int nitems)
{
	struct outcome ref = {0}, o = {0};
	int bad = 0;

	whole(body, len, &ref);
	CHECK_INT(ref.r, 0);
	CHECK_INT(ref.items.n, nitems);
	for (size_t cut = 0; cut < len; cut++) {
		streamed(body, len, cut, cut ? len : 1, &o);
		if (o.r != 0 || !same(&o, &ref)) {
			if (!bad++)
				fprintf(stderr, "cut at %zu: %d '%s'\n", cut,
					o.r, o.reason);
		}
		outcome_clear(&o);
	}
	CHECK_INT(bad, 0);
	outcome_clear(&ref);
}

/*
 * Every truncation of @body: the stream and the whole-body reader agree
 * (the same items, or both refuse, the stream with a reason).  Returns
 * how many were refused.
 */
static int check_truncations(const void *body, size_t len)
{
	int refused = 0, differ = 0;

	for (size_t n = 0; n < len; n++) {
		struct outcome ref = {0}, o = {0};

		whole(body, n, &ref);
		streamed(body, n, 0, 7, &o);
		if (!same(&o, &ref) || (o.r < 0 && !o.reason[0])) {
			if (!differ++)
				fprintf(stderr,
					"truncated to %zu: %d/%d '%s'\n", n,
					o.r, ref.r, o.reason);
		}
		refused += o.r < 0;
		outcome_clear(&ref);
		outcome_clear(&o);
	}
	CHECK_INT(differ, 0);
	return refused;
}

/* ---- JSON ---- */

static const char json_list[] =
	"{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":"
	"{\"resourceVersion\":\"77\",\"continue\":\"tok\"},"
	"\"items\": [ {\"metadata\":{\"name\":\"a\",\"annotations\":{\"x\":"
	"\"{\\\"q\\\":[\\\"]}\\\\\\\\\"}},\"n\":[1,[2,{}],-3.5e2]},\n"
	"  {\"metadata\":{\"name\":\"b\\u00e9\"},\"spec\":{}} ,"
	"{}, 42, \"s]\", null, true, [1,{\"a\":[]}]\t],\r\n"
	"\"zz\":{\"items\":[9]}}";

static void test_json_cuts(void)
{
	check_every_cut(json_list, sizeof(json_list) - 1, 8);
	/* An empty list, and no items member at all. */
	check_every_cut("{\"items\":[],\"metadata\":{}}", 26, 0);
	check_every_cut(" {\"metadata\":{\"resourceVersion\":\"5\"}} ", 38, 0);
}

static void test_json_truncations(void)
{
	/* No prefix of an object is one. */
	CHECK_INT(check_truncations(json_list, sizeof(json_list) - 1),
		  (int)sizeof(json_list) - 1);
}

static void refused_json(const char *body, const char *want)
{
	struct outcome o = {0};

	streamed(body, strlen(body), 0, 3, &o);
	CHECK_INT(o.r, -EBADMSG);
	if (!strstr(o.reason, want))
		fprintf(stderr, "'%s': reason '%s' lacks '%s'\n", body,
			o.reason, want);
	CHECK(strstr(o.reason, want) != NULL);
	outcome_clear(&o);
}

static void test_json_malformed(void)
{
	refused_json("", "invalid JSON: an empty body");
	refused_json("[]", "invalid JSON");
	refused_json("{\"items\":[1,]}", "invalid JSON");
	refused_json("{\"items\":[1 2]}", "invalid JSON");
	refused_json("{\"items\":[,1]}", "invalid JSON");
	refused_json("{\"items\":[{\"a\":]}]}", "invalid JSON (item 1)");
	refused_json("{\"items\":[{},{\"a\" 1}]}", "invalid JSON (item 2)");
	refused_json("{\"items\":[tru]}", "invalid JSON (item 1)");
	refused_json("{\"a\":1}}", "invalid JSON");
	refused_json("{\"a\":1} x", "invalid JSON");
	refused_json("{\"a\" 1}", "invalid JSON");
	refused_json("{\"a\":}", "invalid JSON");
	refused_json("{,}", "invalid JSON");
	refused_json("{\"a\":1,}", "invalid JSON");
	refused_json("{\"metadata\":{\"continue\":}}", "invalid JSON");
	refused_json("{\"items\":[1]", "invalid JSON: the body ends early");
	refused_json("{\"items\":[\"\\\"]}", "the body ends early");
	refused_json("k8s", "no k8s envelope");
	refused_json("kind", "invalid JSON");
}

/* An escaped key is none of the members knet reads. */
static void test_json_odd_keys(void)
{
	struct outcome o = {0};
	const char *b = "{\"it\\u0065ms\":[1],\"a\\\"b\":{},"
			"\"a-very-long-key-indeed\":[{\"x\":1}]}";

	streamed(b, strlen(b), 0, 1, &o);
	CHECK_INT(o.r, 0);
	CHECK_INT(o.items.n, 0);
	outcome_clear(&o);
}

/* A callback's non-zero ends the stream with it, not as an error. */
static void test_stop(void)
{
	struct outcome o = {.items.stop_at = 2};

	streamed(json_list, sizeof(json_list) - 1, 0, 5, &o);
	CHECK_INT(o.r, -ECANCELED);
	CHECK_INT(o.items.n, 2);
	CHECK(!o.reason[0]);
	outcome_clear(&o);
}

/* ---- protobuf ---- */

static void pod(struct pb *p, const char *name, int restarts)
{
	struct pb md = {0}, lab = {0}, spec = {0}, c = {0}, st = {0}, cs = {0},
		  ts = {0}, ann = {0};

	pb_strs(&md, 1, name, 3, "ns", 5, "uid", 0);
	pb_int(&ts, 1, 1700000000);
	pb_msg(&md, 8, &ts);
	pb_strs(&lab, 1, "app", 2, "web", 0);
	pb_msg(&md, 11, &lab);
	/* an annotation, skipped, longer than a chunk */
	pb_str(&ann, 1, "last-applied");
	for (int i = 0; i < 40; i++)
		pb_str(&ann, 2, "{\"spec\":{\"containers\":[]}}");
	pb_msg(&md, 12, &ann);
	pb_str(&c, 1, "app");
	pb_msg(&spec, 2, &c);
	pb_str(&spec, 10, "node-a");
	pb_tag(&spec, 40, 1); /* fixed64, skipped */
	pb_raw(&spec, "12345678", 8);
	pb_tag(&spec, 41, 5); /* fixed32, skipped */
	pb_raw(&spec, "1234", 4);
	pb_int(&spec, 42, 300); /* varint, skipped */
	pb_str(&st, 1, "Running");
	pb_str(&cs, 1, "app");
	pb_int(&cs, 5, (uint64_t)restarts);
	pb_msg(&st, 8, &cs);
	p->n = 0;
	pb_msg(p, 1, &md);
	pb_msg(p, 2, &spec);
	pb_msg(p, 3, &st);
}

/* A PodList of @n pods, with skipped fields at both levels. */
static void pod_list(struct pb *env, int n, bool raw_first)
{
	static struct pb list, u, tm, lm, p;
	char name[16];

	list.n = u.n = tm.n = lm.n = 0;
	pb_strs(&lm, 2, "12345", 3, "next-page", 0);
	pb_int(&lm, 4, 99); /* remainingItemCount, skipped */
	pb_msg(&list, 1, &lm);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "pod-%d", i);
		pod(&p, name, i);
		pb_msg(&list, 2, &p);
		if (i == 0)
			pb_int(&list, 7, 1); /* unknown, between items */
	}
	p.n = 0;
	pb_msg(&list, 2, &p); /* an empty pod: {} */
	pb_strs(&tm, 1, "v1", 2, "PodList", 0);
	if (!raw_first)
		pb_msg(&u, 1, &tm);
	pb_msg(&u, 2, &list);
	if (raw_first)
		pb_msg(&u, 1, &tm);
	pb_tag(&u, 9, 5); /* fixed32 in the envelope, skipped */
	pb_raw(&u, "abcd", 4);
	pb_str(&u, 4, "application/vnd.kubernetes.protobuf");
	env->n = 0;
	pb_raw(env, "k8s\0", 4);
	pb_raw(env, u.b, u.n);
}

static void test_proto_cuts(void)
{
	static struct pb env;
	struct outcome o = {0};

	pod_list(&env, 3, false);
	CHECK(env.n > 3000);
	check_every_cut(env.b, env.n, 4);
	streamed(env.b, env.n, 0, 4096, &o);
	CHECK_STR(o.rv, "12345");
	CHECK_STR(o.cont, "next-page");
	CHECK(o.items.text && strstr(o.items.text, "\"restartCount\":2"));
	outcome_clear(&o);
	/* The list before its kind (any order is valid protobuf). */
	pod_list(&env, 2, true);
	check_every_cut(env.b, env.n, 3);
}

static void test_proto_truncations(void)
{
	static struct pb env;

	pod_list(&env, 2, false);
	CHECK(check_truncations(env.b, env.n) > 0);
	pod_list(&env, 1, true);
	CHECK(check_truncations(env.b, env.n) > 0);
}

/* Every byte changed to a few values: the same outcome as the
 * whole-body reader. */
static void test_proto_mutations(void)
{
	static struct pb env;
	static unsigned char copy[sizeof(env.b)];
	int differ = 0, refused = 0, twice = 0;

	pod_list(&env, 1, false);
	for (size_t i = 4; i < env.n; i++) {
		for (int v = 0; v < 256; v += 37) {
			struct outcome ref = {0}, o = {0};

			memcpy(copy, env.b, env.n);
			copy[i] = (unsigned char)v;
			whole(copy, env.n, &ref);
			streamed(copy, env.n, 0, 61, &o);
			/* Stricter than protobuf's last-one-counts. */
			if (strstr(o.reason, "given twice"))
				twice++;
			else if (!same(&o, &ref) || (o.r < 0 && !o.reason[0])) {
				if (!differ++)
					fprintf(stderr,
						"byte %zu = %d: %d/%d '%s' "
						"%d/%d [%s] [%s] %s\n%s\n",
						i, v, o.r, ref.r, o.reason,
						o.items.n, ref.items.n, o.rv,
						ref.rv, o.cont, o.items.text);
			}
			refused += o.r < 0;
			outcome_clear(&ref);
			outcome_clear(&o);
		}
	}
	CHECK_INT(differ, 0);
	CHECK(refused > 0);
	printf("list-stream: %d changes refused, %d of them for a field "
	       "given twice\n",
	       refused, twice);
}

static void refused_pb(const struct pb *m, const char *want)
{
	struct outcome o = {0};

	streamed(m->b, m->n, 0, 2, &o);
	CHECK_INT(o.r, -EBADMSG);
	if (!strstr(o.reason, want))
		fprintf(stderr, "reason '%s' lacks '%s'\n", o.reason, want);
	CHECK(strstr(o.reason, want) != NULL);
	outcome_clear(&o);
}

static void test_proto_malformed(void)
{
	struct pb list = {0}, env = {0}, item = {0}, u = {0}, tm = {0};

	/* An item's length past the end of the list. */
	pb_tag(&list, 2, 2);
	pb_varint(&list, 100);
	pb_raw(&list, "abc", 3);
	pb_envelope(&env, "v1", "PodList", &list, NULL);
	refused_pb(&env, "PodList field 2: length past the end");
	/* The items as a varint. */
	list.n = 0;
	pb_int(&list, 2, 5);
	pb_envelope(&env, "v1", "PodList", &list, NULL);
	refused_pb(&env, "PodList field 2: wrong wire type");
	/* A group in the list, and field number 0. */
	list.n = 0;
	pb_tag(&list, 9, 3);
	pb_envelope(&env, "v1", "PodList", &list, NULL);
	refused_pb(&env, "PodList field 9: unsupported wire type");
	list.n = 0;
	pb_raw(&list, "\0\1", 2);
	pb_envelope(&env, "v1", "PodList", &list, NULL);
	refused_pb(&env, "PodList: invalid field number");
	/* A bad item: the reason names its message and field. */
	list.n = 0;
	pb_tag(&item, 1, 2);
	pb_varint(&item, 50);
	pb_msg(&list, 2, &item);
	pb_envelope(&env, "v1", "PodList", &list, NULL);
	refused_pb(&env, "Pod field 1: length past the end");
	/* A kind without a schema, none at all, a compressed payload. */
	pb_envelope(&env, "v1", "SecretList", &list, NULL);
	refused_pb(&env, "protobuf kind 'SecretList' not supported");
	env.n = 0;
	pb_raw(&env, "k8s\0", 4);
	refused_pb(&env, "protobuf kind '' not supported");
	pb_strs(&tm, 1, "v1", 2, "PodList", 0);
	pb_msg(&u, 1, &tm);
	pb_str(&u, 3, "gzip");
	pb_raw(&env, u.b, u.n);
	refused_pb(&env, "content encoding 'gzip' not supported");
	/* The envelope's typeMeta as a varint; a truncated key. */
	env.n = 0;
	pb_raw(&env, "k8s\0", 4);
	pb_int(&env, 1, 3);
	refused_pb(&env, "Unknown field 1: wrong wire type");
	/* Raw bytes: a truncated key, an eleven-byte varint, the magic
	 * cut short or wrong. */
	static const struct {
		const char *b;
		size_t n;
		const char *want;
	} raw[] = {
		{"k8s\0\x80", 5, "Unknown: truncated varint"},
		{"k8s\0\x28\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 16,
		 "Unknown field 5: truncated varint"},
		{"k8", 2, "no k8s envelope"},
		{"k8x\0", 4, "invalid JSON"},
	};
	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		env.n = 0;
		pb_raw(&env, raw[i].b, raw[i].n);
		refused_pb(&env, raw[i].want);
	}
}

/* A stream used for one page after another keeps nothing of the last. */
static void test_reuse(void)
{
	static struct pb env;
	struct seen items = {0};
	struct knet_list_stream *s = knet_list_stream_new(on_item, &items);

	pod_list(&env, 2, false);
	CHECK_INT(knet_list_stream_feed(s, (const char *)env.b, env.n), 0);
	CHECK_INT(knet_list_stream_end(s), 0);
	CHECK_STR(knet_list_stream_encoding(s), "protobuf");
	knet_list_stream_reset(s);
	CHECK(!knet_list_stream_continue(s));
	CHECK_INT(knet_list_stream_feed(s, "{\"items\":[{}]}", 14), 0);
	CHECK_INT(knet_list_stream_end(s), 0);
	CHECK_STR(knet_list_stream_encoding(s), "json");
	CHECK(!knet_list_stream_continue(s));
	CHECK_INT(knet_list_stream_items(s), 1);
	CHECK_INT(items.n, 4);
	knet_list_stream_reset(s);
	CHECK_INT(knet_list_stream_feed(s, "{\"items\":[}", 11), -EBADMSG);
	knet_list_stream_reset(s);
	CHECK(!knet_list_stream_error(s));
	knet_list_stream_free(s);
	free(items.text);
}

int main(void)
{
	test_json_cuts();
	test_json_truncations();
	test_json_malformed();
	test_json_odd_keys();
	test_stop();
	test_proto_cuts();
	test_proto_truncations();
	test_proto_mutations();
	test_proto_malformed();
	test_reuse();
	return unit_done("list-stream");
}
