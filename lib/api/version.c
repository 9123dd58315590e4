/* SPDX-License-Identifier: MIT */
/* The libcurl and TLS library in use at run time, for `knet version`. */
#include <curl/curl.h>

#include "knet/api.h"

const char *knet_api_curl_version(void)
{
	return curl_version_info(CURLVERSION_NOW)->version;
}

const char *knet_api_tls_version(void)
{
	const char *v = curl_version_info(CURLVERSION_NOW)->ssl_version;

	return v ? v : "";
}
