#!/usr/bin/env bats
# Text from the cluster cannot drive the terminal: control characters in
# an object (here an Ingress path, which the apiserver accepts as it is)
# and in names echoed by error and -v lines come out as \xNN in tables
# and on stderr, and as \u00NN in JSON.

bats_require_minimum_version 1.5.0

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	tests/lab/lab up >&2
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	eval "$(tests/lab/lab env)"
	export KUBECONFIG
	KNET=$PWD/knet
}

teardown() {
	tests/lab/lab kubectl -n default delete ingress knet-escape-test \
		--ignore-not-found >/dev/null
}

# has_raw_control TEXT: whether TEXT holds ESC, BEL or a C1 CSI byte
has_raw_control() {
	LC_ALL=C grep -q $'[\x1b\x07\x9b]' <<<"$1"
}

@test "an ESC and a BEL in an Ingress path are escaped in table, wide and JSON" {
	tests/lab/lab kubectl apply -f - <<-EOF
	apiVersion: networking.k8s.io/v1
	kind: Ingress
	metadata: {name: knet-escape-test, namespace: default}
	spec:
	  rules:
	  - http:
	      paths:
	      - path: "/\e]0;owned\a\e[31mred"
	        pathType: ImplementationSpecific
	        backend: {service: {name: web, port: {number: 80}}}
	EOF
	# the apiserver (the oracle) kept the raw bytes
	path=$(tests/lab/lab kubectl -n default get ingress knet-escape-test \
		-o jsonpath='{.spec.rules[0].http.paths[0].path}')
	[ "$path" = $'/\e]0;owned\a\e[31mred' ]

	for fmt in table wide; do
		run --separate-stderr "$KNET" -n default ingress -o "$fmt"
		[ "$status" -eq 0 ]
		[[ $output == *'*/\x1b]0;owned\x07\x1b[31mred -> web:80'* ]]
		run ! has_raw_control "$output"
	done

	run --separate-stderr "$KNET" -n default ingress -o json
	[ "$status" -eq 0 ]
	[[ $output == *'"path":'*'"/\u001b]0;owned\u0007\u001b[31mred"'* ]]
	run ! has_raw_control "$output"
	# and a JSON reader still gets the value as it is
	got=$("$KNET" -n default ingress -o json | jq -r '.items[0].rules[0].path')
	[ "$got" = "$path" ]
}

@test "names echoed by error lines and -v logs are escaped" {
	run --separate-stderr "$KNET" -v -n default pods $'no\e[31msuch'
	[ "$status" -ne 0 ]
	[ -n "$stderr" ]
	# whichever line says so (API error or invalid name), the name shows
	[[ $stderr == *'no\x1b[31msuch'* ]]
	run ! has_raw_control "$stderr"

	# a C1 CSI (U+009B) in UTF-8
	run --separate-stderr "$KNET" -n default pods $'no\xc2\x9b31msuch'
	[ "$status" -ne 0 ]
	[[ $stderr == *'no\xc2\x9b31msuch'* ]]
	run ! has_raw_control "$stderr"
}
