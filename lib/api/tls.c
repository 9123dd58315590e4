/* SPDX-License-Identifier: MIT */
/* TLS from the kubeconfig: the CA, the client certificate and key. */
#include <errno.h>

#include "api-internal.h"
#include "knet/kubeconfig.h"

int knet_api_set_blob(CURL *curl, CURLoption opt, const struct knet_blob *b)
{
	struct curl_blob blob = {
		.data = b->data,
		.len = b->len,
		.flags = CURL_BLOB_COPY,
	};

	return curl_easy_setopt(curl, opt, &blob) == CURLE_OK ? 0 : -ENOTSUP;
}

int knet_api_tls_setup(struct knet_api *api, struct knet_error *err)
{
	const struct knet_kubeconfig *kc = api->kc;
	CURL *c = api->c.curl;

	if (kc->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (kc->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, kc->ca_file);
	else if (kc->ca_data.len &&
		 knet_api_set_blob(c, CURLOPT_CAINFO_BLOB, &kc->ca_data) < 0)
		return knet_error_set(err, -ENOTSUP, KNET_EXIT_API,
				      "this libcurl cannot use "
				      "certificate-authority-data");
	if (kc->cert_file) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, kc->cert_file);
		curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
	} else if (kc->cert_data.len &&
		   knet_api_set_blob(c, CURLOPT_SSLCERT_BLOB, &kc->cert_data) <
			   0) {
		return knet_error_set(err, -ENOTSUP, KNET_EXIT_API,
				      "this libcurl cannot use "
				      "client-certificate-data");
	}
	if (kc->key_file)
		curl_easy_setopt(c, CURLOPT_SSLKEY, kc->key_file);
	else if (kc->key_data.len &&
		 knet_api_set_blob(c, CURLOPT_SSLKEY_BLOB, &kc->key_data) < 0)
		return knet_error_set(err, -ENOTSUP, KNET_EXIT_API,
				      "this libcurl cannot use "
				      "client-key-data");
	if (kc->proxy_url)
		curl_easy_setopt(c, CURLOPT_PROXY, kc->proxy_url);
	return 0;
}

const char *knet_api_ca_field(const struct knet_kubeconfig *kc)
{
	if (kc->ca_data.len)
		return "certificate-authority-data";
	if (kc->ca_file)
		return "certificate-authority";
	return "certificate-authority (none set: the system CAs were used)";
}
