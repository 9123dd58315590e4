/* SPDX-License-Identifier: MIT */
/*
 * What an exec credential plugin prints (an ExecCredential), for both
 * API versions knet asks for.
 */
#include "knet/api.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const versions[] = {
		"client.authentication.k8s.io/v1",
		"client.authentication.k8s.io/v1beta1",
	};
	char *out = malloc(size ? size : 1);

	if (!out)
		return 0;
	memcpy(out, data, size);
	for (int i = 0; i < 2; i++) {
		struct knet_exec_cred c = {0};
		struct knet_error err = {0};

		if (knet_exec_credential_parse(versions[i], "plugin", out, size,
					       &c, &err) == 0)
			knet_exec_cred_clear(&c);
	}
	free(out);
	return 0;
}
