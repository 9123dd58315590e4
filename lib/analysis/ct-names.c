/* SPDX-License-Identifier: MIT */
/*
 * Names for the addresses of conntrack entries: one who-index lookup per
 * distinct address, kept in an open-addressing table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "knet/analysis.h"

struct slot {
	bool used;
	uint8_t family;
	unsigned char addr[16];
	char *label; /* NULL: looked up, nobody owns it */
};

struct knet_ct_names {
	const struct knet_who_index *idx;
	struct slot *slots;
	size_t cap; /* a power of two */
	size_t n;
};

int knet_ct_names_new(const struct knet_who_index *idx,
		      struct knet_ct_names **ret)
{
	struct knet_ct_names *n = calloc(1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->idx = idx;
	n->cap = 256;
	n->slots = calloc(n->cap, sizeof(*n->slots));
	if (!n->slots) {
		free(n);
		return -ENOMEM;
	}
	*ret = n;
	return 0;
}

void knet_ct_names_free(struct knet_ct_names *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->cap; i++)
		free(n->slots[i].label);
	free(n->slots);
	free(n);
}

/* FNV-1a over the family and the address bytes. */
static size_t hash(uint8_t family, const unsigned char *addr)
{
	size_t len = family == AF_INET ? 4 : 16;
	uint32_t h = 2166136261u ^ family;

	for (size_t i = 0; i < len; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h;
}

static struct slot *find(struct slot *slots, size_t cap, uint8_t family,
			 const unsigned char *addr)
{
	size_t len = family == AF_INET ? 4 : 16;
	size_t i = hash(family, addr) & (cap - 1);

	while (slots[i].used &&
	       (slots[i].family != family || memcmp(slots[i].addr, addr, len)))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int grow(struct knet_ct_names *n)
{
	size_t cap = n->cap * 2;
	struct slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < n->cap; i++)
		if (n->slots[i].used)
			*find(slots, cap, n->slots[i].family,
			      n->slots[i].addr) = n->slots[i];
	free(n->slots);
	n->slots = slots;
	n->cap = cap;
	return 0;
}

char *knet_ct_label_word(const char *who)
{
	static const struct {
		const char *from, *to;
	} map[] = {
		{"pod ", ""},
		{"svc ", "svc/"},
		{"node ", "node/"},
		{"endpoint ", "ep/"},
	};
	char *s;

	if (!who)
		return NULL;
	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++) {
		size_t fl = strlen(map[i].from), tl = strlen(map[i].to);

		if (strncmp(who, map[i].from, fl))
			continue;
		s = malloc(tl + strlen(who + fl) + 1);
		if (s) {
			memcpy(s, map[i].to, tl);
			strcpy(s + tl, who + fl);
		}
		return s;
	}
	return strdup(who);
}

const char *knet_ct_names_get(struct knet_ct_names *n, uint8_t family,
			      const unsigned char *addr)
{
	char ip[INET6_ADDRSTRLEN], *who;
	struct slot *s;

	if (!n || !n->idx || (family != AF_INET && family != AF_INET6))
		return NULL;
	s = find(n->slots, n->cap, family, addr);
	if (s->used)
		return s->label;
	/* Keep the table at most half full: short probe runs. */
	if ((n->n + 1) * 2 > n->cap) {
		if (grow(n) < 0)
			return NULL;
		s = find(n->slots, n->cap, family, addr);
	}
	if (!inet_ntop(family, addr, ip, sizeof(ip)))
		return NULL;
	who = knet_who_index_label(n->idx, ip);
	s->used = true;
	s->family = family;
	memcpy(s->addr, addr, family == AF_INET ? 4 : 16);
	s->label = knet_ct_label_word(who);
	free(who);
	n->n++;
	return s->label;
}
