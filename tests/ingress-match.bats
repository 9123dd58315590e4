#!/usr/bin/env bats
# knet ingress match through the lab's API and through -f: the shared
# web Ingress (read only), and the Ingress specification's examples
# (tests/data/ingress/cases.txt) over the same files, read offline and
# applied to a namespace and class of this file's own.

bats_require_minimum_version 1.5.0

NS=knet-ingt
DATA=tests/data/ingress

setup_file() {
	load node-helpers
	node_env
	tests/lab/lab up >&2
	# a previous run's namespace may still be going away
	for _ in $(seq 60); do
		k get namespace $NS >/dev/null 2>&1 || break
		sleep 1
	done
	k create namespace $NS >&2
	# the same files the -f cases read, through the API server
	k -n $NS apply -f $DATA/spec >&2
}

teardown_file() {
	load node-helpers
	node_env
	k delete namespace $NS --wait=false >&2 || true
	k delete ingressclass knet-spec >&2 || true
}

setup() {
	load node-helpers
	node_env
}


@test "ingress match: the web Ingress, /api wins over / for /api/v1" {
	run "$KNET" -n web ingress match http://shop.example/api/v1 -o json
	echo "$output"
	[ "$status" -eq 0 ]
	mt=$(echo "$output" | jq -c 'select(.event=="match")')
	[ "$(echo "$mt" | jq -r .backend)" = svc/web:http ]
	want=$(ep_ready_ips web web | sed 's/$/:8080/' | paste -sd,)
	[ -n "$want" ]
	[ "$(echo "$mt" | jq -r '.ready_endpoints | sort | join(",")')" = "$want" ]
	[ "$(echo "$output" | jq -r 'select(.verdict=="shorter") | .path')" = / ]
	run "$KNET" ingress match shop.example/
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *"shop.example/ Prefix"*"svc/web:80"* ]]
}

# One row of $DATA/cases.txt against "$@" (the source: -f or none):
# the winning Ingress, its rule, backend and TLS secret, and the status.
check_cases() {
	local url want_rc ing rule be tls got want n=0
	while IFS='|' read -r url want_rc ing rule be tls; do
		url=$(echo $url) want_rc=$(echo $want_rc) ing=$(echo $ing)
		rule=$(echo "$rule" | sed 's/^ *//; s/ *$//') be=$(echo $be)
		tls=$(echo $tls)
		[ -n "$url" ] && [ "${url:0:1}" != "#" ] || continue
		run "$KNET" -n $NS ingress match --class knet-spec "$url" "$@" -o json
		got=$(echo "$output" | jq -r 'select(.event=="match") | "\(.ingress)|\(.rule)|\(.backend)|\(.tls_secret // "-")"')
		want="$NS/$ing|$rule|$be|$tls"
		if [ "$status" != "$want_rc" ] || [ "$got" != "$want" ]; then
			echo "$url: exit $status, want $want_rc; got '$got', want '$want'"
			return 1
		fi
		n=$((n + 1))
	done <$DATA/cases.txt
	[ "$n" -ge 25 ]
}

@test "ingress match: the spec's examples through -f" {
	check_cases -f $DATA/spec
}

@test "ingress match: the spec's examples through the lab's API" {
	check_cases
}

@test "ingress match: why candidates lose, and the backend's endpoints" {
	for src in "-f $DATA/spec" ""; do
		run "$KNET" -n $NS ingress match --class knet-spec http://multi3.spec.test/aaa/bbb $src -o json
		[ "$status" -eq 0 ]
		[ "$(echo "$output" | jq -r 'select(.event=="candidate" and .host=="multi3.spec.test") | "\(.path) \(.verdict)"' | paste -sd,)" = "/ shorter,/aaa shorter,/aaa/bbb won" ]
		[ "$(echo "$output" | jq -r 'select(.event=="match") | .ready_endpoints | join(",")')" = 198.19.1.250:8080 ]
		run "$KNET" -n $NS ingress match --class knet-spec http://mixed.spec.test/foo $src -o json
		[ "$(echo "$output" | jq -r 'select(.ingress=="'$NS'/mixed-prefix") | .verdict')" = prefix ]
		run "$KNET" -n $NS ingress match --class knet-spec http://gone.spec.test/ $src -o json
		[ "$status" -eq 1 ]
		[ "$(echo "$output" | jq -r 'select(.event=="match") | .note')" = "the backend Service does not exist" ]
		run "$KNET" -n $NS ingress match --class knet-spec https://root.spec.test/ $src -o json
		[ "$(echo "$output" | jq -r 'select(.event=="match") | .note')" = "https, but no Ingress has TLS for this host: the controller's default certificate" ]
	done
}

@test "ingress match -f: the default IngressClass, and --cluster -f where the files win" {
	run "$KNET" -n $NS ingress match http://root.spec.test/ -f $DATA/spec -f $DATA/default-class.yaml -o json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r 'select(.event=="match") | .ingress')" = $NS/other ]
	[ "$(echo "$output" | jq -r 'select(.ingress=="'$NS'/paths") | .verdict' | sort -u)" = class ]
	# the cluster's spec Ingresses, with an Ingress of the files' over
	# the cluster's "paths": the files' wins, the rest stays the cluster's
	cat >"$BATS_TEST_TMPDIR/over.yaml" <<-YAML
	apiVersion: networking.k8s.io/v1
	kind: Ingress
	metadata: {name: paths, namespace: $NS}
	spec:
	  ingressClassName: knet-spec
	  rules:
	  - host: root.spec.test
	    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: empty, port: {number: 80}}}}]}
	YAML
	run "$KNET" -n $NS ingress match --class knet-spec http://root.spec.test/ --cluster -f "$BATS_TEST_TMPDIR/over.yaml" -o json
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r 'select(.event=="match") | .backend')" = svc/empty:80 ]
	[ "$(echo "$output" | jq -r 'select(.event=="candidate" and .ingress=="'$NS'/paths") | .host')" = root.spec.test ]
	run "$KNET" -n $NS ingress match --class knet-spec http://bar.foo.spec.test/ --cluster -f "$BATS_TEST_TMPDIR/over.yaml" -o json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r 'select(.event=="match") | "\(.ingress) \(.ready_endpoints[0])"')" = "$NS/wild 198.19.1.250:8080" ]
	# offline: nothing of the cluster is read
	run "$KNET" --kubeconfig /nonexistent -n $NS ingress match --class knet-spec http://exact.spec.test/foo -f $DATA/spec
	[ "$status" -eq 0 ]
	run "$KNET" ingress match http://a/ --cluster
	[ "$status" -eq 2 ]
}

@test "ingress match -f: malformed manifests name the file, document and field (exit 2), as the API server refuses them" {
	run --separate-stderr "$KNET" ingress match http://a/ -f $DATA/bad/pathtype.yaml
	[ "$status" -eq 2 ]
	[ "$stderr" = "knet: $DATA/bad/pathtype.yaml: document 2: spec.rules[0].http.paths[0].pathType: not Exact, Prefix or ImplementationSpecific" ]
	run --separate-stderr "$KNET" ingress match http://a/ -f $DATA/bad/port.yaml
	[ "$status" -eq 2 ]
	[ "$stderr" = "knet: $DATA/bad/port.yaml: document 1: spec.defaultBackend.service.port: number not in 1-65535" ]
	run --separate-stderr "$KNET" ingress match http://a/ -f - <$DATA/bad/path.yaml
	[ "$status" -eq 2 ]
	[ "$stderr" = "knet: <stdin>: document 1: spec.rules[0].http.paths[0].path: must be an absolute path" ]
	for f in $DATA/bad/*.yaml; do
		run ! k -n $NS apply --dry-run=server -f "$f"
		[[ "$output" == *"is invalid"* ]]
	done
}

@test "ingress match: another class, and bad input" {
	run "$KNET" -n $NS ingress match --class nginx http://root.spec.test/ -o json
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r 'select(.event=="candidate") | .verdict' | sort -u)" = class ]
	run "$KNET" ingress match ftp://b.shop.test/
	[ "$status" -eq 2 ]
	run "$KNET" ingress match 'http://a:99999/'
	[ "$status" -eq 2 ]
}
