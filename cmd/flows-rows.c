/* SPDX-License-Identifier: MIT */
/*
 * A flow as a row: the table of --once, the JSON of -o json and
 * --watch, and the snapshot lines a remote run sends (the same columns,
 * plus the rate history and the first packets, so that the local end
 * draws, sorts and writes as if the flows were its own).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flows-run.h"

enum {
	COL_EVENT,
	COL_PROTO,
	COL_SRC,
	COL_SRC_IP,
	COL_SPORT,
	COL_SRC_NAME,
	COL_DST,
	COL_DST_IP,
	COL_DPORT,
	COL_DST_NAME,
	COL_BACKEND,
	COL_BACKEND_NAME,
	COL_SERVICE,
	COL_STATE,
	COL_PKTS,
	COL_BYTES,
	COL_PACKETS_OUT,
	COL_PACKETS_IN,
	COL_BYTES_OUT,
	COL_BYTES_IN,
	COL_RATE,
	COL_RATE10,
	COL_AGE,
	COL_LAST,
	COL_FIRST_US,
	COL_LAST_US,
	COL_FLAGS,
	COL_RETRANS,
	COL_ICMP_ERRORS,
	COL_MTU,
	COL_CT,
	COL_STORED,
	COL_UNSTORED,
	COL_FLAG_BITS,
	COL_HISTORY,
	COL_KEPT,
	NCOLS,
};

#define J KNET_COL_NOTABLE
#define T KNET_COL_NOJSON
#define R KNET_COL_RIGHT
static const struct knet_column cols[] = {
	[COL_EVENT] = {"EVENT", "event", KNET_CELL_STR, J, 0},
	[COL_PROTO] = {"PROTO", "proto", KNET_CELL_STR, 0, 5},
	[COL_SRC] = {"SRC", "src_text", KNET_CELL_STR, T, 24},
	[COL_SRC_IP] = {"SRC-IP", "src", KNET_CELL_STR, J, 0},
	[COL_SPORT] = {"SPORT", "sport", KNET_CELL_INT, J, 0},
	[COL_SRC_NAME] = {"SRC-NAME", "src_name", KNET_CELL_STR, J, 0},
	[COL_DST] = {"DST", "dst_text", KNET_CELL_STR, T, 24},
	[COL_DST_IP] = {"DST-IP", "dst", KNET_CELL_STR, J, 0},
	[COL_DPORT] = {"DPORT", "dport", KNET_CELL_INT, J, 0},
	[COL_DST_NAME] = {"DST-NAME", "dst_name", KNET_CELL_STR, J, 0},
	[COL_BACKEND] = {"BACKEND", "backend", KNET_CELL_STR, 0, 24},
	[COL_BACKEND_NAME] = {"BACKEND-NAME", "backend_name", KNET_CELL_STR, J,
			      0},
	/* conntrack's: the address and port the flow was sent to */
	[COL_SERVICE] = {"SERVICE", "service", KNET_CELL_STR, J, 0},
	[COL_STATE] = {"STATE", "state", KNET_CELL_STR, 0, 11},
	[COL_PKTS] = {"PKTS", "pkts", KNET_CELL_STR, T | R, 9},
	[COL_BYTES] = {"BYTES", "bytes", KNET_CELL_STR, T | R, 15},
	[COL_PACKETS_OUT] = {"PKTS-OUT", "packets_out", KNET_CELL_INT, J, 0},
	[COL_PACKETS_IN] = {"PKTS-IN", "packets_in", KNET_CELL_INT, J, 0},
	[COL_BYTES_OUT] = {"BYTES-OUT", "bytes_out", KNET_CELL_INT, J, 0},
	[COL_BYTES_IN] = {"BYTES-IN", "bytes_in", KNET_CELL_INT, J, 0},
	[COL_RATE] = {"RATE/S", "rate_1s", KNET_CELL_BYTES, R, 8},
	[COL_RATE10] = {"RATE10S", "rate_10s", KNET_CELL_BYTES,
			KNET_COL_WIDE | R, 8},
	[COL_AGE] = {"AGE", "first_seen", KNET_CELL_AGE, R, 4},
	[COL_LAST] = {"LAST", "last_seen", KNET_CELL_AGE, KNET_COL_WIDE | R, 4},
	[COL_FIRST_US] = {"FIRST-US", "first_us", KNET_CELL_INT, J, 0},
	[COL_LAST_US] = {"LAST-US", "last_us", KNET_CELL_INT, J, 0},
	[COL_FLAGS] = {"FLAGS", "flags", KNET_CELL_STRLIST, 0, 8},
	[COL_RETRANS] = {"RETRANS", "retransmissions", KNET_CELL_INT,
			 KNET_COL_WIDE | R, 0},
	[COL_ICMP_ERRORS] = {"ICMP-ERRORS", "icmp_errors", KNET_CELL_INT, J, 0},
	[COL_MTU] = {"MTU", "mtu", KNET_CELL_INT, J, 0},
	[COL_CT] = {"CONNTRACK", "conntrack", KNET_CELL_JSON, J, 0},
	/* the packets `w` would write, and those a cap left out */
	[COL_STORED] = {"KEPT", "packets_kept", KNET_CELL_INT, J, 0},
	[COL_UNSTORED] = {"NOT-KEPT", "packets_not_kept", KNET_CELL_INT, J, 0},
	/* the remote run's, for the local end to rebuild the flow */
	[COL_FLAG_BITS] = {"FLAG-BITS", "flag_bits", KNET_CELL_INT, J, 0},
	[COL_HISTORY] = {"HISTORY", "history", KNET_CELL_JSON, J, 0},
	[COL_KEPT] = {"KEPT", "kept", KNET_CELL_JSON, J, 0},
	[NCOLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};

enum {
	S_EVENT,
	S_NOW_US,
	S_SOURCE,
	S_CAPTURED,
	S_DROP,
	S_IFDROP,
	S_FLOWS,
	S_SHOWN,
	S_EVICTED,
	S_MAX,
	S_COUNTERS,
	NSCOLS,
};

static const struct knet_column scols[] = {
	[S_EVENT] = {"EVENT", "event", KNET_CELL_STR, J, 0},
	[S_NOW_US] = {"NOW", "now_us", KNET_CELL_INT, J, 0},
	[S_SOURCE] = {"SOURCE", "source", KNET_CELL_STR, J, 0},
	[S_CAPTURED] = {"CAPTURED", "captured", KNET_CELL_INT, J, 0},
	[S_DROP] = {"DROPPED", "dropped_kernel", KNET_CELL_INT, J, 0},
	[S_IFDROP] = {"IFDROPPED", "dropped_interface", KNET_CELL_INT, J, 0},
	[S_FLOWS] = {"FLOWS", "flows", KNET_CELL_INT, J, 0},
	[S_SHOWN] = {"SHOWN", "shown", KNET_CELL_INT, J, 0},
	[S_EVICTED] = {"EVICTED", "evicted", KNET_CELL_INT, J, 0},
	[S_MAX] = {"MAX", "max_flows", KNET_CELL_INT, J, 0},
	[S_COUNTERS] = {"COUNTERS", "counters", KNET_CELL_BOOL, J, 0},
	[NSCOLS] = {NULL, NULL, KNET_CELL_NONE, 0, 0},
};
#undef J
#undef T
#undef R

int flows_rows_new(struct knet_ctx *ctx, struct flows_run *run)
{
	struct knet_output_opts o = knet_ctx_output(ctx, "flow");

	/* Streams flush at each tick themselves. */
	if (knet_table_new(cols, &o, &run->rows) < 0 ||
	    knet_table_new(scols, &o, &run->snap) < 0)
		return -ENOMEM;
	return 0;
}

const char *flows_name(void *ud, uint8_t family, const uint8_t *addr)
{
	struct flows_run *run = ud;

	if (run->no_names || !run->names)
		return NULL;
	return knet_ct_names_get(run->names, family, addr);
}

/* The DNAT target of @f, named among its Service's endpoints. */
const char *flows_backend_name(void *ud, const struct knet_flow *f)
{
	struct flows_run *run = ud;
	const struct knet_flow_ct *c = &f->ct;

	if (run->no_names || !run->names)
		return NULL;
	return knet_ct_names_backend(run->names, c->reply.family, c->orig.dst,
				     c->orig.dport, c->reply.src,
				     c->reply.sport);
}

static void ip_text(uint8_t family, const uint8_t *a, char *buf, size_t n)
{
	if (!inet_ntop(family, a, buf, (socklen_t)n))
		snprintf(buf, n, "?");
}

/* "web/web-1:8080", or the endpoint itself without a name. */
static void end_text(struct flows_run *run, const struct knet_flow *f, bool dst,
		     char *buf, size_t n)
{
	knet_flow_end_text(
		f, dst, flows_name(run, f->t.family, dst ? f->t.dst : f->t.src),
		buf, n);
}

static cJSON *tuple_json(const struct knet_tuple *t)
{
	cJSON *o = cJSON_CreateObject();
	char ip[INET6_ADDRSTRLEN];

	ip_text(t->family, t->src, ip, sizeof(ip));
	cJSON_AddStringToObject(o, "src", ip);
	ip_text(t->family, t->dst, ip, sizeof(ip));
	cJSON_AddStringToObject(o, "dst", ip);
	cJSON_AddNumberToObject(o, "sport", t->sport);
	cJSON_AddNumberToObject(o, "dport", t->dport);
	return o;
}

static cJSON *ct_json(const struct knet_flow_ct *c)
{
	cJSON *o = cJSON_CreateObject();
	const char *st = knet_ct_state_name(c->orig.proto, c->state);
	char status[256];

	if (st)
		cJSON_AddStringToObject(o, "state", st);
	if (knet_ct_format_status(c->status, status, sizeof(status)) >= 0)
		cJSON_AddStringToObject(o, "status", status);
	cJSON_AddNumberToObject(o, "state_number", c->state);
	cJSON_AddNumberToObject(o, "status_bits", c->status);
	cJSON_AddNumberToObject(o, "timeout", c->timeout);
	cJSON_AddNumberToObject(o, "id", c->id);
	cJSON_AddItemToObject(o, "orig", tuple_json(&c->orig));
	cJSON_AddItemToObject(o, "reply", tuple_json(&c->reply));
	cJSON_AddNumberToObject(o, "proto", c->orig.proto);
	cJSON_AddNumberToObject(o, "family", c->orig.family);
	if (c->counters) {
		cJSON_AddNumberToObject(o, "orig_packets",
					(double)c->orig_packets);
		cJSON_AddNumberToObject(o, "orig_bytes", (double)c->orig_bytes);
		cJSON_AddNumberToObject(o, "reply_packets",
					(double)c->reply_packets);
		cJSON_AddNumberToObject(o, "reply_bytes",
					(double)c->reply_bytes);
	}
	return o;
}

static cJSON *history_json(const struct knet_flow *f)
{
	cJSON *o = cJSON_CreateObject(),
	      *b = cJSON_AddArrayToObject(o, "bytes"),
	      *p = cJSON_AddArrayToObject(o, "packets");

	cJSON_AddNumberToObject(o, "sec", (double)f->rate_sec);
	for (int i = 0; i < KNET_FLOW_RATE_SECS; i++) {
		cJSON_AddItemToArray(b, cJSON_CreateNumber(f->rate_bytes[i]));
		cJSON_AddItemToArray(p, cJSON_CreateNumber(f->rate_pkts[i]));
	}
	cJSON_AddNumberToObject(o, "dns_pending", f->dns_pending);
	cJSON_AddNumberToObject(o, "dns_query_ms", (double)f->dns_query_ms);
	cJSON_AddNumberToObject(o, "tcp_state", f->state);
	return o;
}

static cJSON *kept_json(const struct knet_flow *f)
{
	cJSON *a = cJSON_CreateArray();

	for (unsigned i = 0; i < f->nkept; i++) {
		const struct knet_flow_kept *k = &f->kept[i];
		cJSON *o = cJSON_CreateObject();
		char *b64 = knet_base64_encode(k->data, k->caplen);

		cJSON_AddNumberToObject(o, "ts_us", (double)k->ts_us);
		cJSON_AddNumberToObject(o, "len", k->len);
		cJSON_AddNumberToObject(o, "linktype", k->linktype);
		cJSON_AddStringToObject(o, "data", b64 ? b64 : "");
		free(b64);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

int flows_rows_add(struct flows_run *run, const struct knet_flow *f, bool full)
{
	struct knet_table *t = run->rows;
	unsigned int fl = knet_flow_flags(f, run->now_ms);
	char buf[128], ip[INET6_ADDRSTRLEN], pbuf[8], flags[160], a[24], b[24];
	const char *words[8], *name;
	int nwords = 0, r = knet_table_add_row(t);

	if (r < 0)
		return r;
	knet_table_set_str(t, COL_EVENT, "flow");
	knet_table_set_str(
		t, COL_PROTO,
		knet_flow_proto_name(f->t.proto, pbuf, sizeof(pbuf)));
	end_text(run, f, false, buf, sizeof(buf));
	knet_table_set_str(t, COL_SRC, buf);
	end_text(run, f, true, buf, sizeof(buf));
	knet_table_set_str(t, COL_DST, buf);
	ip_text(f->t.family, f->t.src, ip, sizeof(ip));
	knet_table_set_str(t, COL_SRC_IP, ip);
	ip_text(f->t.family, f->t.dst, ip, sizeof(ip));
	knet_table_set_str(t, COL_DST_IP, ip);
	knet_table_set_int(t, COL_SPORT, f->t.sport);
	knet_table_set_int(t, COL_DPORT, f->t.dport);
	if ((name = flows_name(run, f->t.family, f->t.src)))
		knet_table_set_str(t, COL_SRC_NAME, name);
	if ((name = flows_name(run, f->t.family, f->t.dst)))
		knet_table_set_str(t, COL_DST_NAME, name);
	if (f->ct.valid && (fl & KNET_FLOW_F_NAT)) {
		/* Where it was sent: both rows of a flow captured at the
		 * client and at the backend name the Service. */
		struct knet_flow svc = {.t = f->ct.orig};

		knet_flow_end_text(&svc, true,
				   flows_name(run, svc.t.family, svc.t.dst),
				   buf, sizeof(buf));
		knet_table_set_str(t, COL_SERVICE, buf);
		ip_text(f->ct.reply.family, f->ct.reply.src, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "%s:%u", ip,
			 (unsigned)f->ct.reply.sport);
		knet_table_set_str(t, COL_BACKEND, buf);
		name = flows_backend_name(run, f);
		if (name) {
			knet_table_set_str(t, COL_BACKEND_NAME, name);
			snprintf(buf, sizeof(buf), "%s:%u", name,
				 (unsigned)f->ct.reply.sport);
			knet_table_set_str(t, COL_BACKEND, buf);
		}
	}
	knet_table_set_str(t, COL_STATE, knet_flow_state_name(f->state));
	snprintf(buf, sizeof(buf), "%llu/%llu",
		 (unsigned long long)f->packets[0],
		 (unsigned long long)f->packets[1]);
	knet_table_set_str(t, COL_PKTS, buf);
	knet_fmt_bytes((long long)f->bytes[0], a, sizeof(a));
	knet_fmt_bytes((long long)f->bytes[1], b, sizeof(b));
	snprintf(buf, sizeof(buf), "%s/%s", a, b);
	knet_table_set_str(t, COL_BYTES, buf);
	knet_table_set_int(t, COL_PACKETS_OUT, (long long)f->packets[0]);
	knet_table_set_int(t, COL_PACKETS_IN, (long long)f->packets[1]);
	knet_table_set_int(t, COL_BYTES_OUT, (long long)f->bytes[0]);
	knet_table_set_int(t, COL_BYTES_IN, (long long)f->bytes[1]);
	knet_table_set_bytes(
		t, COL_RATE,
		(long long)knet_flow_rate(f, run->now_ms, 1, false));
	knet_table_set_bytes(
		t, COL_RATE10,
		(long long)knet_flow_rate(f, run->now_ms, 10, false));
	knet_table_set_age(t, COL_AGE, f->first_ms / 1000);
	knet_table_set_age(t, COL_LAST, f->last_ms / 1000);
	knet_table_set_int(t, COL_FIRST_US, f->first_ms * 1000);
	knet_table_set_int(t, COL_LAST_US, f->last_ms * 1000);
	knet_flow_flags_text(fl, flags, sizeof(flags));
	for (char *s = flags, *save = NULL, *w;
	     nwords < 8 && (w = strtok_r(s, ",", &save)); s = NULL)
		words[nwords++] = w;
	knet_table_set_strlist(t, COL_FLAGS, words, nwords);
	if (fl & KNET_FLOW_F_PROBLEMS)
		knet_table_set_tone(t, COL_FLAGS, KNET_TONE_BAD);
	knet_table_set_int(t, COL_RETRANS, f->retrans);
	knet_table_set_int(t, COL_ICMP_ERRORS, f->icmp_errors);
	if (f->mtu)
		knet_table_set_int(t, COL_MTU, f->mtu);
	if (f->ct.valid)
		knet_table_set_json(t, COL_CT, ct_json(&f->ct), NULL);
	/* A remote run's flow: its own store, its own counts. */
	if (f->nstored || f->nunstored) {
		knet_table_set_int(t, COL_STORED, f->nstored);
		knet_table_set_int(t, COL_UNSTORED, f->nunstored);
	}
	if (full) {
		knet_table_set_int(t, COL_FLAG_BITS, f->flags);
		knet_table_set_json(t, COL_HISTORY, history_json(f), NULL);
		if (f->nkept)
			knet_table_set_json(t, COL_KEPT, kept_json(f), NULL);
	}
	return 0;
}

int flows_rows_snapshot(struct flows_run *run, const char *event, size_t shown)
{
	struct knet_table *t = run->snap;
	struct knet_flows_stats st;
	int r = knet_table_add_row(t);

	if (r < 0)
		return r;
	knet_flows_get_stats(run->table, &st);
	knet_table_set_str(t, S_EVENT, event);
	knet_table_set_int(t, S_NOW_US, run->now_ms * 1000);
	knet_table_set_str(t, S_SOURCE,
			   run->source == FLOWS_FROM_CONNTRACK ? "conntrack"
							       : "capture");
	knet_table_set_int(t, S_CAPTURED, (long long)run->captured);
	if (run->have_stats) {
		knet_table_set_int(t, S_DROP, (long long)run->st.drop);
		knet_table_set_int(t, S_IFDROP, (long long)run->st.ifdrop);
	}
	knet_table_set_int(t, S_FLOWS, (long long)st.count);
	knet_table_set_int(t, S_SHOWN, (long long)shown);
	knet_table_set_int(t, S_EVICTED, (long long)st.evicted);
	knet_table_set_int(t, S_MAX, (long long)st.max);
	if (run->source == FLOWS_FROM_CONNTRACK)
		knet_table_set_bool(t, S_COUNTERS, run->counters_seen);
	return knet_table_stream_row(t);
}

/* --- the local end of a remote run: rows back into flows --- */

static double num(const cJSON *o, const char *key)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItem(o, key));
}

static const char *str(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, key));
}

static int parse_tuple(const cJSON *o, uint8_t family, uint8_t proto,
		       struct knet_tuple *t)
{
	const char *s = str(o, "src"), *d = str(o, "dst");

	memset(t, 0, sizeof(*t));
	t->family = family;
	t->proto = proto;
	if (!s || !d || inet_pton(family, s, t->src) != 1 ||
	    inet_pton(family, d, t->dst) != 1)
		return -EBADMSG;
	t->sport = (uint16_t)num(o, "sport");
	t->dport = (uint16_t)num(o, "dport");
	return 0;
}

static uint8_t proto_number(const char *p)
{
	if (!p)
		return 0;
	if (!strcmp(p, "tcp"))
		return 6;
	if (!strcmp(p, "udp"))
		return 17;
	if (!strcmp(p, "icmp"))
		return 1;
	if (!strcmp(p, "icmp6"))
		return 58;
	if (!strcmp(p, "sctp"))
		return 132;
	return (uint8_t)atoi(p);
}

static void parse_ct(const cJSON *c, struct knet_flow_ct *ct)
{
	uint8_t family = (uint8_t)num(c, "family"),
		proto = (uint8_t)num(c, "proto");

	if (parse_tuple(cJSON_GetObjectItem(c, "orig"), family, proto,
			&ct->orig) < 0 ||
	    parse_tuple(cJSON_GetObjectItem(c, "reply"), family, proto,
			&ct->reply) < 0)
		return;
	ct->valid = true;
	ct->status = (uint32_t)num(c, "status_bits");
	ct->timeout = (uint32_t)num(c, "timeout");
	ct->id = (uint32_t)num(c, "id");
	ct->counters = cJSON_GetObjectItem(c, "orig_packets") != NULL;
	ct->orig_packets = (uint64_t)num(c, "orig_packets");
	ct->orig_bytes = (uint64_t)num(c, "orig_bytes");
	ct->reply_packets = (uint64_t)num(c, "reply_packets");
	ct->reply_bytes = (uint64_t)num(c, "reply_bytes");
	ct->state = (uint8_t)num(c, "state_number");
}

static void parse_history(const cJSON *h, struct knet_flow *f)
{
	const cJSON *b = cJSON_GetObjectItem(h, "bytes"),
		    *p = cJSON_GetObjectItem(h, "packets");

	f->rate_sec = (long long)num(h, "sec");
	for (int i = 0; i < KNET_FLOW_RATE_SECS; i++) {
		f->rate_bytes[i] = (uint32_t)cJSON_GetNumberValue(
			cJSON_GetArrayItem(b, i));
		f->rate_pkts[i] = (uint32_t)cJSON_GetNumberValue(
			cJSON_GetArrayItem(p, i));
	}
	f->dns_pending = (uint32_t)num(h, "dns_pending");
	f->dns_query_ms = (long long)num(h, "dns_query_ms");
	f->state = (enum knet_flow_state)num(h, "tcp_state");
	if (f->state > KNET_FLOW_RESET)
		f->state = KNET_FLOW_NONE;
}

static void parse_kept(const cJSON *a, struct knet_flow *f)
{
	const cJSON *k;

	cJSON_ArrayForEach(k, a)
	{
		struct knet_flow_kept *dst;
		struct knet_blob blob = {0};
		const char *data = str(k, "data");

		if (f->nkept >= KNET_FLOW_KEEP || !data ||
		    knet_base64_decode(data, &blob) < 0)
			break;
		dst = &f->kept[f->nkept++];
		dst->ts_us = (long long)num(k, "ts_us");
		dst->len = (uint32_t)num(k, "len");
		dst->linktype = (int)num(k, "linktype");
		dst->caplen = blob.len < KNET_FLOW_KEEP_BYTES
				      ? (uint32_t)blob.len
				      : KNET_FLOW_KEEP_BYTES;
		memcpy(dst->data, blob.data, dst->caplen);
		knet_blob_clear(&blob);
	}
}

int flows_rows_ct_entry(struct flows_run *run, const struct knet_ct_entry *e,
			bool is_new)
{
	struct knet_table *t = run->rows;
	struct knet_flow_ct c = {
		.valid = true,
		.counters = e->has & KNET_CT_HAS_COUNTERS,
		.state = e->state,
		.status = e->status,
		.timeout = e->timeout,
		.id = e->id,
		.orig_packets = e->orig_packets,
		.orig_bytes = e->orig_bytes,
		.reply_packets = e->reply_packets,
		.reply_bytes = e->reply_bytes,
	};
	cJSON *o;
	int r;

	/* Ports only: ICMP's ids need nothing of a DNAT note. */
	if (!t || e->proto == IPPROTO_ICMP || e->proto == IPPROTO_ICMPV6)
		return 0;
	knet_flow_tuple_of_ct(e, &e->orig, &c.orig);
	knet_flow_tuple_of_ct(e, &e->reply, &c.reply);
	o = ct_json(&c);
	if (!o)
		return -ENOMEM;
	cJSON_AddBoolToObject(o, "new", is_new);
	cJSON_AddBoolToObject(o, "has_state", e->has & KNET_CT_HAS_STATE);
	r = knet_table_add_row(t);
	if (r < 0) {
		cJSON_Delete(o);
		return r;
	}
	knet_table_set_str(t, COL_EVENT, "conntrack");
	knet_table_set_json(t, COL_CT, o, NULL);
	return knet_table_stream_row(t);
}

static void ct_tuple(const struct knet_tuple *t, struct knet_ct_tuple *ret)
{
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->src, t->src, sizeof(ret->src));
	memcpy(ret->dst, t->dst, sizeof(ret->dst));
	ret->sport = t->sport;
	ret->dport = t->dport;
}

int flows_rows_parse_ct_entry(const cJSON *o, struct knet_ct_entry *ret,
			      bool *ret_new)
{
	const cJSON *c = cJSON_GetObjectItem(o, "conntrack");
	struct knet_flow_ct ct = {0};
	uint8_t family;

	if (!cJSON_IsNumber(cJSON_GetObjectItem(c, "family")))
		return -EBADMSG;
	family = (uint8_t)num(c, "family");
	if (family != AF_INET && family != AF_INET6)
		return -EBADMSG;
	parse_ct(c, &ct);
	if (!ct.valid)
		return -EBADMSG;
	memset(ret, 0, sizeof(*ret));
	ret->family = family;
	ret->proto = ct.orig.proto;
	ret->state = ct.state;
	ret->status = ct.status;
	ret->timeout = ct.timeout;
	ret->id = ct.id;
	ct_tuple(&ct.orig, &ret->orig);
	ct_tuple(&ct.reply, &ret->reply);
	if (cJSON_IsTrue(cJSON_GetObjectItem(c, "has_state")))
		ret->has |= KNET_CT_HAS_STATE;
	if (ct.counters) {
		ret->has |= KNET_CT_HAS_COUNTERS;
		ret->orig_packets = ct.orig_packets;
		ret->orig_bytes = ct.orig_bytes;
		ret->reply_packets = ct.reply_packets;
		ret->reply_bytes = ct.reply_bytes;
	}
	*ret_new = cJSON_IsTrue(cJSON_GetObjectItem(c, "new"));
	return 0;
}

int flows_rows_parse(const cJSON *o, struct knet_flow *f)
{
	const char *src = str(o, "src");
	uint8_t family = src && strchr(src, ':') ? 10 : 2; /* AF_INET6/4 */
	const cJSON *c;

	memset(f, 0, sizeof(*f));
	if (parse_tuple(o, family, proto_number(str(o, "proto")), &f->t) < 0)
		return -EBADMSG;
	f->packets[0] = (uint64_t)num(o, "packets_out");
	f->packets[1] = (uint64_t)num(o, "packets_in");
	f->bytes[0] = (uint64_t)num(o, "bytes_out");
	f->bytes[1] = (uint64_t)num(o, "bytes_in");
	f->first_ms = (long long)num(o, "first_us") / 1000;
	f->last_ms = (long long)num(o, "last_us") / 1000;
	f->flags = (unsigned int)num(o, "flag_bits");
	f->retrans = (uint32_t)num(o, "retransmissions");
	f->icmp_errors = (uint32_t)num(o, "icmp_errors");
	f->mtu = (uint32_t)num(o, "mtu");
	if ((c = cJSON_GetObjectItem(o, "conntrack")))
		parse_ct(c, &f->ct);
	if ((c = cJSON_GetObjectItem(o, "history")))
		parse_history(c, f);
	if ((c = cJSON_GetObjectItem(o, "kept")))
		parse_kept(c, f);
	return 0;
}
