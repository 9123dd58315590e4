/* SPDX-License-Identifier: MIT */
#ifndef KNET_CT_RAW_H
#define KNET_CT_RAW_H

/*
 * A conntrack entry as raw JSON fields (family, proto_num, orig_src ...
 * status: conntrack's own JSON keys), and back: what a remote run
 * without an API sends so that the caller names entries (conntrack) or
 * classifies them against a Service (svc trace) with its own API.
 */

#include <cjson/cJSON.h>

#include "knet/netlink.h"
#include "knet/output.h"

/* The columns of a raw entry row ("event" first, then the fields). */
extern const struct knet_column ct_raw_cols[];

/* One row of @t (made with ct_raw_cols): event @event and @e's fields. */
int ct_raw_row(struct knet_table *t, const char *event,
	       const struct knet_ct_entry *e);

/*
 * The entry in @o's raw fields into @ret: tuples, protocol, status.
 * -EINVAL when an address is missing or not one.
 */
int ct_raw_entry(const cJSON *o, struct knet_ct_entry *ret);

#endif
