/* SPDX-License-Identifier: MIT */
/* Conntrack entries as raw JSON fields, both ways (see ct-raw.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "ct-raw.h"
#include "knet/api.h"

enum {
	R_EVENT,
	R_FAMILY,
	R_PROTO,
	R_O_SRC,
	R_O_DST,
	R_O_SPORT,
	R_O_DPORT,
	R_R_SRC,
	R_R_DST,
	R_R_SPORT,
	R_R_DPORT,
	R_ICMP_TYPE,
	R_ICMP_CODE,
	R_ICMP_ID,
	R_STATUS,
	NR_COLS,
};

const struct knet_column ct_raw_cols[] = {
	[R_EVENT] = {"EVENT", "event", KNET_CELL_STR, 0, 0},
	[R_FAMILY] = {"FAMILY", "family", KNET_CELL_STR, 0, 0},
	[R_PROTO] = {"PROTONUM", "proto_num", KNET_CELL_INT, 0, 0},
	[R_O_SRC] = {"OSRC", "orig_src", KNET_CELL_STR, 0, 0},
	[R_O_DST] = {"ODST", "orig_dst", KNET_CELL_STR, 0, 0},
	[R_O_SPORT] = {"OSPORT", "orig_sport", KNET_CELL_INT, 0, 0},
	[R_O_DPORT] = {"ODPORT", "orig_dport", KNET_CELL_INT, 0, 0},
	[R_R_SRC] = {"RSRC", "reply_src", KNET_CELL_STR, 0, 0},
	[R_R_DST] = {"RDST", "reply_dst", KNET_CELL_STR, 0, 0},
	[R_R_SPORT] = {"RSPORT", "reply_sport", KNET_CELL_INT, 0, 0},
	[R_R_DPORT] = {"RDPORT", "reply_dport", KNET_CELL_INT, 0, 0},
	[R_ICMP_TYPE] = {"ICMPTYPE", "icmp_type", KNET_CELL_INT, 0, 0},
	[R_ICMP_CODE] = {"ICMPCODE", "icmp_code", KNET_CELL_INT, 0, 0},
	[R_ICMP_ID] = {"ICMPID", "icmp_id", KNET_CELL_INT, 0, 0},
	[R_STATUS] = {"STATUS", "status", KNET_CELL_INT, 0, 0},
	[NR_COLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

static void set_addr(struct knet_table *t, int col, int family,
		     const unsigned char *a)
{
	char s[INET6_ADDRSTRLEN];

	if (inet_ntop(family, a, s, sizeof(s)))
		knet_table_set_str(t, col, s);
}

int ct_raw_row(struct knet_table *t, const char *event,
	       const struct knet_ct_entry *e)
{
	int r = knet_table_add_row(t);

	if (r < 0)
		return r;
	knet_table_set_str(t, R_EVENT, event);
	knet_table_set_str(t, R_FAMILY,
			   e->family == AF_INET6 ? "ipv6" : "ipv4");
	knet_table_set_int(t, R_PROTO, e->proto);
	set_addr(t, R_O_SRC, e->family, e->orig.src);
	set_addr(t, R_O_DST, e->family, e->orig.dst);
	knet_table_set_int(t, R_O_SPORT, e->orig.sport);
	knet_table_set_int(t, R_O_DPORT, e->orig.dport);
	set_addr(t, R_R_SRC, e->family, e->reply.src);
	set_addr(t, R_R_DST, e->family, e->reply.dst);
	knet_table_set_int(t, R_R_SPORT, e->reply.sport);
	knet_table_set_int(t, R_R_DPORT, e->reply.dport);
	knet_table_set_int(t, R_ICMP_TYPE, e->orig.icmp_type);
	knet_table_set_int(t, R_ICMP_CODE, e->orig.icmp_code);
	knet_table_set_int(t, R_ICMP_ID, e->orig.icmp_id);
	if (e->has & KNET_CT_HAS_STATUS)
		knet_table_set_int(t, R_STATUS, e->status);
	return 0;
}

static int raw_addr(const cJSON *o, const char *key, int family,
		    unsigned char *addr)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));

	return s && inet_pton(family, s, addr) == 1 ? 0 : -EINVAL;
}

/* 0 for a missing or odd number: these are from another node. */
static unsigned raw_uint(const cJSON *o, const char *key, unsigned max)
{
	long long v = 0;

	if (!knet_json_to_ll(cJSON_GetObjectItem(o, key), &v) || v < 0 ||
	    (unsigned long long)v > max)
		return 0;
	return (unsigned)v;
}

int ct_raw_entry(const cJSON *o, struct knet_ct_entry *ret)
{
	const char *fam =
		cJSON_GetStringValue(cJSON_GetObjectItem(o, "family"));
	struct knet_ct_entry e = {0};
	long long st = 0;
	int family;

	if (!fam)
		return -EINVAL;
	family = !strcmp(fam, "ipv6") ? AF_INET6 : AF_INET;
	e.family = (uint8_t)family;
	e.proto = (uint8_t)raw_uint(o, "proto_num", 255);
	if (raw_addr(o, "orig_src", family, e.orig.src) < 0 ||
	    raw_addr(o, "orig_dst", family, e.orig.dst) < 0 ||
	    raw_addr(o, "reply_src", family, e.reply.src) < 0 ||
	    raw_addr(o, "reply_dst", family, e.reply.dst) < 0)
		return -EINVAL;
	e.orig.sport = (uint16_t)raw_uint(o, "orig_sport", 65535);
	e.orig.dport = (uint16_t)raw_uint(o, "orig_dport", 65535);
	e.reply.sport = (uint16_t)raw_uint(o, "reply_sport", 65535);
	e.reply.dport = (uint16_t)raw_uint(o, "reply_dport", 65535);
	e.orig.icmp_type = (uint8_t)raw_uint(o, "icmp_type", 255);
	e.orig.icmp_code = (uint8_t)raw_uint(o, "icmp_code", 255);
	e.orig.icmp_id = (uint16_t)raw_uint(o, "icmp_id", 65535);
	e.reply.icmp_type = e.orig.icmp_type;
	e.reply.icmp_code = e.orig.icmp_code;
	e.reply.icmp_id = e.orig.icmp_id;
	if (knet_json_to_ll(cJSON_GetObjectItem(o, "status"), &st) && st >= 0 &&
	    st <= 0xffffffffLL) {
		e.status = (uint32_t)st;
		e.has |= KNET_CT_HAS_STATUS;
	}
	*ret = e;
	return 0;
}
