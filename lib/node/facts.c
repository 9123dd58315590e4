/* SPDX-License-Identifier: MIT */
/*
 * Facts: what a caller resolved through the API, handed to a remote run
 * that has none (--no-api; the k8s transport's agent pod holds no
 * credentials).  A fact is one argv word, "key=value,key=value", every
 * byte outside [A-Za-z0-9._:/@+-] percent-encoded: no shell (ssh runs
 * the remote command line through one) and no URL (pods/exec puts every
 * word into a query) changes it.  Keys are short, values raw: a pod is
 * about 120 bytes, far from ARG_MAX.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knet/api.h"
#include "knet/node.h"
#include "knet/objects.h"

static int oom(struct knet_error *err)
{
	return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM, "out of memory");
}

static bool plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("._:/@+-", c);
}

struct buf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 128;
		char *ns;

		while (ncap < b->len + n + 1)
			ncap *= 2;
		ns = realloc(b->s, ncap);
		if (!ns) {
			b->failed = true;
			return;
		}
		b->s = ns;
		b->cap = ncap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* ",key=value" (no comma first), the value escaped; NULL: nothing. */
static void field(struct buf *b, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";

	if (!value)
		return;
	if (b->len)
		put(b, ",", 1);
	put(b, key, strlen(key));
	put(b, "=", 1);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};

		if (plain(*p))
			put(b, (const char *)p, 1);
		else
			put(b, esc, 3);
	}
}

static void field_int(struct buf *b, const char *key, long long v)
{
	char n[24];

	snprintf(n, sizeof(n), "%lld", v);
	field(b, key, n);
}

static int done(struct buf *b, char **ret, struct knet_error *err)
{
	if (b->failed || !b->s) {
		free(b->s);
		return oom(err);
	}
	*ret = b->s;
	return 0;
}

int knet_fact_pod_encode(const struct knet_pod *p, char **ret,
			 struct knet_error *err)
{
	struct buf b = {0};

	field(&b, "ns", p->meta.namespace);
	field(&b, "name", p->meta.name);
	field(&b, "uid", p->meta.uid);
	field(&b, "node", p->node);
	field(&b, "host", p->host_ip);
	field(&b, "phase", p->phase);
	for (int i = 0; i < p->ips.n; i++)
		field(&b, "ip", p->ips.v[i]);
	if (p->host_network)
		field(&b, "hostnet", "1");
	return done(&b, ret, err);
}

int knet_fact_target_encode(const struct knet_target *t, char **ret,
			    struct knet_error *err)
{
	struct buf b = {0};

	field(&b, "kind", knet_target_kind_name(t->kind));
	field(&b, "ns", t->ns);
	field(&b, "name", t->name);
	field(&b, "ip", t->ip);
	field(&b, "port", t->port);
	if (t->portnum)
		field_int(&b, "num", t->portnum);
	if (t->udp)
		field(&b, "udp", "1");
	if (t->cluster_ip)
		field(&b, "cip", "1");
	field(&b, "via", t->via);
	field(&b, "detail", t->detail);
	if (t->svc_tcp_port)
		field_int(&b, "tcp", t->svc_tcp_port);
	return done(&b, ret, err);
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * The next "key=value" of *@p: @key and @value malloc'd, *@p moved past
 * it.  0 at the end, 1 with a field, -EINVAL when it is no fact.
 */
static int next_field(const char **p, char *key, size_t klen, char **ret_value)
{
	const char *s = *p, *eq, *end;
	char *v;
	size_t n = 0;

	if (!*s)
		return 0;
	end = s + strcspn(s, ",");
	eq = memchr(s, '=', (size_t)(end - s));
	if (!eq || eq == s || (size_t)(eq - s) >= klen)
		return -EINVAL;
	memcpy(key, s, (size_t)(eq - s));
	key[eq - s] = '\0';
	v = malloc((size_t)(end - eq));
	if (!v)
		return -ENOMEM;
	for (const char *q = eq + 1; q < end; q++) {
		if (*q == '%') {
			int hi = end - q < 3 ? -1 : unhex(q[1]);
			int lo = end - q < 3 ? -1 : unhex(q[2]);

			/* no NUL either: it would cut the value short */
			if (hi < 0 || lo < 0 || (hi | lo) == 0) {
				free(v);
				return -EINVAL;
			}
			v[n++] = (char)(hi << 4 | lo);
			q += 2;
		} else if (plain((unsigned char)*q)) {
			v[n++] = *q;
		} else {
			free(v);
			return -EINVAL;
		}
	}
	v[n] = '\0';
	*ret_value = v;
	*p = *end ? end + 1 : end;
	return 1;
}

static int bad(const char *what, struct knet_error *err)
{
	return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
			      "the caller's %s fact is malformed", what);
}

/* Each field of @fact, to @set; -EINVAL (exit 2) when malformed. */
static int each_field(const char *fact, const char *what,
		      int (*set)(void *obj, const char *key, char *value),
		      void *obj, struct knet_error *err)
{
	const char *p = fact;
	char key[16], *value;
	int r;

	while ((r = next_field(&p, key, sizeof(key), &value)) > 0) {
		r = set(obj, key, value);
		if (r < 0)
			return r == -ENOMEM ? oom(err) : bad(what, err);
	}
	if (r == -ENOMEM)
		return oom(err);
	return r < 0 ? bad(what, err) : 0;
}

/* The fields of a pod become the JSON the API would have sent. */
static int pod_set(void *obj, const char *key, char *value)
{
	cJSON *pod = obj, *meta = cJSON_GetObjectItem(pod, "metadata"),
	      *spec = cJSON_GetObjectItem(pod, "spec"),
	      *status = cJSON_GetObjectItem(pod, "status");
	cJSON *where = NULL, *ips, *one;
	const char *name = NULL;
	int r = 0;

	if (!strcmp(key, "ns"))
		where = meta, name = "namespace";
	else if (!strcmp(key, "name") || !strcmp(key, "uid"))
		where = meta, name = key;
	else if (!strcmp(key, "node"))
		where = spec, name = "nodeName";
	else if (!strcmp(key, "host"))
		where = status, name = "hostIP";
	else if (!strcmp(key, "phase"))
		where = status, name = "phase";
	if (where) {
		if (!cJSON_AddStringToObject(where, name, value))
			r = -ENOMEM;
	} else if (!strcmp(key, "ip")) {
		ips = cJSON_GetObjectItem(status, "podIPs");
		if (!ips)
			ips = cJSON_AddArrayToObject(status, "podIPs");
		one = cJSON_CreateObject();
		if (!ips || !one || !cJSON_AddStringToObject(one, "ip", value))
			r = -ENOMEM;
		if (one && (r < 0 || !cJSON_AddItemToArray(ips, one)))
			cJSON_Delete(one);
	} else if (!strcmp(key, "hostnet")) {
		if (!cJSON_AddBoolToObject(spec, "hostNetwork", true))
			r = -ENOMEM;
	}
	/* Unknown keys are a newer caller's: skipped, not refused. */
	free(value);
	return r;
}

int knet_fact_pod_decode(const char *fact, struct knet_pod **ret,
			 struct knet_error *err)
{
	cJSON *pod = cJSON_CreateObject();
	struct knet_pod *p = NULL;
	int r;

	if (!pod || !cJSON_AddObjectToObject(pod, "metadata") ||
	    !cJSON_AddObjectToObject(pod, "spec") ||
	    !cJSON_AddObjectToObject(pod, "status")) {
		cJSON_Delete(pod);
		return oom(err);
	}
	r = each_field(fact, "pod", pod_set, pod, err);
	/* Where it is, at least; the rest may be missing. */
	if (r == 0 &&
	    (!knet_json_path(pod, "metadata", "namespace", KNET_JSON_END) ||
	     !knet_json_path(pod, "metadata", "name", KNET_JSON_END) ||
	     !knet_json_path(pod, "spec", "nodeName", KNET_JSON_END)))
		r = bad("pod", err);
	if (r == 0 && knet_pod_from_json(pod, &p) < 0)
		r = oom(err);
	cJSON_Delete(pod);
	if (r < 0)
		return r;
	*ret = p;
	return 0;
}

static int set_str(char **dst, char *value)
{
	free(*dst);
	*dst = value;
	return 0;
}

static int set_int(int *dst, char *value)
{
	char *end;
	long v = strtol(value, &end, 10);
	int r = *end || v < 0 || v > 65535 ? -EINVAL : 0;

	if (r == 0)
		*dst = (int)v;
	free(value);
	return r;
}

static int target_set(void *obj, const char *key, char *value)
{
	struct knet_target *t = obj;
	static const char *const vias[] = {"clusterIP", "endpoint"};

	if (!strcmp(key, "kind")) {
		int r = -EINVAL;

		for (int k = KNET_TARGET_IP; k <= KNET_TARGET_NODE; k++)
			if (!strcmp(value, knet_target_kind_name(k))) {
				t->kind = k;
				r = 0;
			}
		free(value);
		return r;
	}
	if (!strcmp(key, "ns"))
		return set_str(&t->ns, value);
	if (!strcmp(key, "name"))
		return set_str(&t->name, value);
	if (!strcmp(key, "ip"))
		return set_str(&t->ip, value);
	if (!strcmp(key, "port"))
		return set_str(&t->port, value);
	if (!strcmp(key, "detail"))
		return set_str(&t->detail, value);
	if (!strcmp(key, "num"))
		return set_int(&t->portnum, value);
	if (!strcmp(key, "tcp"))
		return set_int(&t->svc_tcp_port, value);
	if (!strcmp(key, "udp"))
		t->udp = !strcmp(value, "1");
	else if (!strcmp(key, "cip"))
		t->cluster_ip = !strcmp(value, "1");
	else if (!strcmp(key, "via"))
		/* a static string, as the resolver sets it */
		for (size_t k = 0; k < sizeof(vias) / sizeof(*vias); k++)
			if (!strcmp(value, vias[k]))
				t->via = vias[k];
	free(value);
	return 0;
}

int knet_fact_target_decode(const char *fact, struct knet_target **ret,
			    struct knet_error *err)
{
	struct knet_target *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return oom(err);
	r = each_field(fact, "target", target_set, t, err);
	if (r == 0 && (!t->ip || !t->name))
		r = bad("target", err);
	if (r < 0) {
		knet_target_free(t);
		return r;
	}
	*ret = t;
	return 0;
}

bool knet_via_gives_no_api(const char *tmpl)
{
	const char *env = getenv("KNET_VIA_NO_API");
	size_t n;

	if (env && !strcmp(env, "1"))
		return true;
	if (!tmpl)
		return false;
	tmpl += strspn(tmpl, " \t");
	n = strcspn(tmpl, " \t");
	return n == 3 && !strncmp(tmpl, "k8s", 3);
}
