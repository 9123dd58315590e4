/* SPDX-License-Identifier: MIT */
/*
 * Names for the addresses of conntrack entries: one who-index lookup per
 * distinct address (or, for a DNAT target, per Service address and
 * port and target address and port), kept in an open-addressing table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "knet/analysis.h"

/* What is named: an address, or a backend of a Service address. */
struct key {
	uint8_t family;
	bool backend;
	uint16_t port, svc_port; /* backends only */
	unsigned char addr[16], svc[16];
};

struct slot {
	bool used;
	struct key k;
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

/* FNV-1a over the key (zeroed where unused, so whole-key compares). */
static size_t hash(const struct key *k)
{
	const unsigned char *b = (const unsigned char *)k;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static struct slot *find(struct slot *slots, size_t cap, const struct key *k)
{
	size_t i = hash(k) & (cap - 1);

	while (slots[i].used && memcmp(&slots[i].k, k, sizeof(*k)))
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
			*find(slots, cap, &n->slots[i].k) = n->slots[i];
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

/* The slot of @k, made (label unset) when new; NULL: out of memory. */
static struct slot *slot_for(struct knet_ct_names *n, const struct key *k,
			     bool *ret_new)
{
	struct slot *s = find(n->slots, n->cap, k);

	*ret_new = !s->used;
	if (s->used)
		return s;
	/* Keep the table at most half full: short probe runs. */
	if ((n->n + 1) * 2 > n->cap) {
		if (grow(n) < 0)
			return NULL;
		s = find(n->slots, n->cap, k);
	}
	s->used = true;
	s->k = *k;
	s->label = NULL;
	n->n++;
	return s;
}

static void key_addr(struct key *k, uint8_t family, const unsigned char *addr)
{
	memset(k, 0, sizeof(*k));
	k->family = family;
	memcpy(k->addr, addr, family == AF_INET ? 4 : 16);
}

/*
 * The label of @k, looked up once: the owner of an address, or a
 * backend among the endpoints of the Service it was sent to.
 */
static const char *label_of(struct knet_ct_names *n, const struct key *k)
{
	char ip[INET6_ADDRSTRLEN], sip[INET6_ADDRSTRLEN], *who;
	bool fresh;
	struct slot *s = slot_for(n, k, &fresh);

	if (!s || !fresh)
		return s ? s->label : NULL;
	if (!inet_ntop(k->family, k->addr, ip, sizeof(ip)) ||
	    !inet_ntop(k->family, k->svc, sip, sizeof(sip)))
		return NULL;
	who = k->backend ? knet_who_index_backend_label(
				   n->idx, sip, k->svc_port, ip, k->port)
			 : knet_who_index_label(n->idx, ip);
	s->label = knet_ct_label_word(who);
	free(who);
	return s->label;
}

static bool can_name(const struct knet_ct_names *n, uint8_t family)
{
	return n && n->idx && (family == AF_INET || family == AF_INET6);
}

const char *knet_ct_names_get(struct knet_ct_names *n, uint8_t family,
			      const unsigned char *addr)
{
	struct key k;

	if (!can_name(n, family))
		return NULL;
	key_addr(&k, family, addr);
	return label_of(n, &k);
}

const char *knet_ct_names_backend(struct knet_ct_names *n, uint8_t family,
				  const unsigned char *svc_addr,
				  uint16_t svc_port, const unsigned char *addr,
				  uint16_t port)
{
	const char *label;
	struct key k;

	if (!can_name(n, family))
		return NULL;
	key_addr(&k, family, addr);
	k.backend = true;
	k.port = port;
	k.svc_port = svc_port;
	memcpy(k.svc, svc_addr, family == AF_INET ? 4 : 16);
	label = label_of(n, &k);
	/* Not that Service's endpoint: the address's owner, as ever. */
	return label ? label : knet_ct_names_get(n, family, addr);
}
