/* SPDX-License-Identifier: MIT */
/*
 * Which encoding a request asks for.  Protobuf only for a GET whose
 * answer is read through the object models (they read only the fields
 * proto-schema.c has) and whose resource has its kinds there, or a watch
 * of one read so; JSON for everything else: CRDs, raw objects
 * (completion, the shell's cache), and any caller that reads fields of
 * its own.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "api-internal.h"
#include "proto-internal.h"

#define PROTOBUF "application/vnd.kubernetes.protobuf"

int knet_api_encoding_parse(const char *s, int *ret)
{
	if (!s || !strcmp(s, "auto"))
		*ret = KNET_API_ENC_AUTO;
	else if (!strcmp(s, "json"))
		*ret = KNET_API_ENC_JSON;
	else if (!strcmp(s, "protobuf"))
		*ret = KNET_API_ENC_PROTOBUF;
	else
		return -EINVAL;
	return 0;
}

/*
 * The resource of "/api/v1/pods", "/api/v1/namespaces/NS/pods/NAME" or
 * "/apis/G/V/...", into @buf; false for anything else (a subresource
 * such as pods/NAME/log).  A watch is of its resource: the query is not
 * looked at.
 */
static bool resource_of(const char *path, char *buf, size_t len)
{
	const char *seg[7];
	size_t seglen[7];
	int n = 0, skip;

	if (!strncmp(path, "/api/", 5))
		skip = 2;
	else if (!strncmp(path, "/apis/", 6))
		skip = 3;
	else
		return false;
	for (const char *p = path + 1; *p && *p != '?';) {
		size_t l = strcspn(p, "/?");

		if (n == 7)
			return false;
		seg[n] = p;
		seglen[n++] = l;
		p += l;
		if (*p == '/')
			p++;
	}
	if (n <= skip)
		return false;
	n -= skip;
	/* namespaces/NS/RESOURCE[/NAME] or RESOURCE[/NAME] */
	if (n >= 3 && seglen[skip] == 10 &&
	    !strncmp(seg[skip], "namespaces", 10)) {
		if (n > 4)
			return false;
		skip += 2;
	} else if (n > 2) {
		return false;
	}
	if (seglen[skip] >= len)
		return false;
	memcpy(buf, seg[skip], seglen[skip]);
	buf[seglen[skip]] = '\0';
	return true;
}

bool knet_api_proto_for(const struct knet_api *api, const char *path,
			bool model)
{
	char res[64];

	return model && api->encoding != KNET_API_ENC_JSON &&
	       resource_of(path, res, sizeof(res)) && knet_pf_resource(res);
}

const char *knet_api_accept(const struct knet_api *api)
{
	if (!api->want_proto)
		return "application/json";
	/* "protobuf": no JSON fallback, so a proxy that mangles it shows. */
	return api->encoding == KNET_API_ENC_PROTOBUF ? PROTOBUF
						      : PROTOBUF
		       ", application/json";
}
