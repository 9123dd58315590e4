/* SPDX-License-Identifier: MIT */
/* kube-proxy's rules on this node (see kube-proxy.h). */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "kube-proxy.h"
#include "knet/node.h"

/* iptables-save of a large cluster is tens of MiB; past this, give up. */
#define SAVE_MAX (256 * 1024 * 1024)

struct capture {
	char *buf;
	size_t len, cap;
};

static int capture_line(const char *line, void *ud)
{
	struct capture *c = ud;
	size_t n = strlen(line);

	if (c->len + n + 2 > c->cap) {
		size_t cap = (c->cap ? c->cap * 2 : 65536) + n;
		char *g;

		if (cap > SAVE_MAX)
			return -E2BIG;
		g = realloc(c->buf, cap);
		if (!g)
			return -ENOMEM;
		c->buf = g;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, line, n);
	c->len += n;
	c->buf[c->len++] = '\n';
	c->buf[c->len] = '\0';
	return 0;
}

/* `iptables-save -t TABLE` here (the node's namespace), as root. */
static int save(const char *table, char **ret, int *ret_status)
{
	char *argv[] = {"iptables-save", "-t", (char *)table, NULL};
	struct capture c = {0};
	struct knet_error err = {0};
	int r = knet_via_run(argv, capture_line, NULL, &c, NULL, ret_status,
			     &err);

	if (r < 0 || *ret_status) {
		free(c.buf);
		return r < 0 ? r : -EIO;
	}
	*ret = c.buf ? c.buf : strdup("");
	return *ret ? 0 : -ENOMEM;
}

/* Which mode kube-proxy is in: iptables, else what else is there. */
void kube_proxy_read(struct knet_ctx *ctx, const char *node,
		     struct kube_proxy_rules *kp)
{
	struct knet_error err = {0};
	int status = 0;

	if (save("nat", &kp->nat, &status) < 0) {
		knet_warn(ctx,
			  "cannot run iptables-save on %s (exit %d): "
			  "kube-proxy's rules are not read",
			  node, status);
		return;
	}
	save("filter", &kp->filter, &status);
	if (knet_ipt_parse(kp->nat, kp->filter, &kp->ipt, &err) < 0)
		return;
	kp->mode = "iptables";
	if (knet_ipt_kube_proxy(kp->ipt))
		return;
	/* IPVS mode leaves its dummy interface; nftables its table. */
	if (if_nametoindex("kube-ipvs0")) {
		kp->mode = "ipvs";
		return;
	}
	{
		char *argv[] = {"nft", "list",	     "table",
				"ip",  "kube-proxy", NULL};
		struct capture c = {0};

		if (knet_via_run(argv, capture_line, NULL, &c, NULL, &status,
				 &err) == 0 &&
		    status == 0 && c.len)
			kp->mode = "nftables";
		free(c.buf);
	}
}

void kube_proxy_clear(struct kube_proxy_rules *r)
{
	knet_ipt_free(r->ipt);
	free(r->nat);
	free(r->filter);
	memset(r, 0, sizeof(*r));
}

/* What a remote run without an API sends: kube-proxy's rules as read. */
enum { RAW_EVENT, RAW_MODE, RAW_NAT, RAW_FILTER, NRAW_COLS };

static const struct knet_column raw_cols[] = {
	[RAW_EVENT] = {"EVENT", "event", KNET_CELL_STR, 0, 0},
	[RAW_MODE] = {"MODE", "mode", KNET_CELL_STR, 0, 0},
	[RAW_NAT] = {"NAT", "nat", KNET_CELL_STR, 0, 0},
	[RAW_FILTER] = {"FILTER", "filter", KNET_CELL_STR, 0, 0},
	[NRAW_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

int kube_proxy_send(struct knet_ctx *ctx, const struct kube_proxy_rules *kp)
{
	struct knet_output_opts o = knet_ctx_output(ctx, NULL);
	struct knet_table *t = NULL;
	int r = knet_table_new(raw_cols, &o, &t);

	if (r == 0)
		r = knet_table_add_row(t);
	if (r == 0) {
		knet_table_set_str(t, RAW_EVENT, "rules");
		if (kp->mode)
			knet_table_set_str(t, RAW_MODE, kp->mode);
		if (kp->nat)
			knet_table_set_str(t, RAW_NAT, kp->nat);
		if (kp->filter)
			knet_table_set_str(t, RAW_FILTER, kp->filter);
		r = knet_table_stream_row(t);
	}
	knet_table_free(t);
	return r;
}

int kube_proxy_take(struct kube_proxy_rules *kp, const cJSON *o)
{
	static const char *const modes[] = {"iptables", "ipvs", "nftables"};
	const char *mode = cJSON_GetStringValue(cJSON_GetObjectItem(o, "mode"));
	const char *nat = cJSON_GetStringValue(cJSON_GetObjectItem(o, "nat"));
	const char *filter =
		cJSON_GetStringValue(cJSON_GetObjectItem(o, "filter"));
	struct knet_error err = {0};

	kube_proxy_clear(kp);
	for (size_t i = 0; mode && i < sizeof(modes) / sizeof(*modes); i++)
		if (!strcmp(mode, modes[i]))
			kp->mode = modes[i];
	if (!kp->mode || !nat)
		return 0;
	kp->nat = strdup(nat);
	kp->filter = filter ? strdup(filter) : NULL;
	if (!kp->nat || (filter && !kp->filter))
		return -ENOMEM;
	/* As kube_proxy_read: parsed rules, else the mode alone. */
	if (knet_ipt_parse(kp->nat, kp->filter, &kp->ipt, &err) < 0)
		kp->ipt = NULL;
	return 0;
}
