/* SPDX-License-Identifier: MIT */
/* A pod's resolv.conf, as knet dns reads it (glibc's rules). */
#include "knet/analysis.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct knet_resolv_conf c;
	struct knet_error err = {0};
	char *text = fuzz_str(data, size);

	if (!text)
		return 0;
	memset(&c, 0, sizeof(c));
	if (knet_resolv_conf_parse(text, &c, &err) == 0) {
		knet_resolv_cluster_domain(&c);
		knet_resolv_conf_clear(&c);
	}
	free(text);
	return 0;
}
