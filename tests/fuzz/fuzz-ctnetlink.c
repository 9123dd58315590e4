/* SPDX-License-Identifier: MIT */
/*
 * One ctnetlink message (header included) as dumps and events carry it:
 * knet_ct_entry_parse, then everything the table and JSON rows print
 * of an entry.
 */
#include "knet/netlink.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct knet_ct_entry e;
	struct knet_error err = {0};
	struct knet_ct_ends ends;
	char buf[256];
	void *msg = malloc(size ? size : 1);

	if (!msg)
		return 0;
	memcpy(msg, data, size);
	if (knet_ct_entry_parse(msg, size, &e, &err) == 0) {
		knet_ct_nat_name(knet_ct_nat(&e));
		knet_ct_unreplied(&e);
		knet_ct_proto_name(e.proto);
		knet_ct_family_name(e.family);
		knet_ct_state_name(e.proto, e.state);
		knet_ct_format_status(e.status, buf, sizeof(buf));
		knet_ct_format_src(&e, &e.orig, buf, sizeof(buf));
		knet_ct_format_dst(&e, &e.reply, buf, sizeof(buf));
		knet_ct_format_ends(&e, &ends);
	}
	free(msg);
	return 0;
}
