#!/usr/bin/env bats
# knet policy check / matrix: policies applied to the lab with its
# kubectl are read back with the right verdicts and reasons, and the same
# objects read offline with -f give the same answers.  The lab enforces
# no policy: these are the API objects' verdicts.  Everything lives in
# the namespaces knet-pol-a and knet-pol-b, deleted at the end.

bats_require_minimum_version 1.5.0

DATA=tests/data/policy

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	tests/lab/lab up >&2
	eval "$(tests/lab/lab env)"
	# A previous run's namespaces may still be terminating.
	for _ in $(seq 120); do
		tests/lab/lab kubectl get namespace knet-pol-a knet-pol-b \
			>/dev/null 2>&1 || break
		sleep 1
	done
	tests/lab/lab kubectl apply -f tests/data/policy/lab/10-objects.yaml \
		>&2 || true
	# Pods are refused until the namespace has its service account.
	for _ in $(seq 60); do
		if tests/lab/lab kubectl apply \
			-f tests/data/policy/lab/20-policies.yaml >&2 &&
			[ "$(tests/lab/lab kubectl get pods -n knet-pol-a \
				-o name | wc -l)" -eq 2 ]; then
			break
		fi
		sleep 1
		tests/lab/lab kubectl apply \
			-f tests/data/policy/lab/10-objects.yaml >&2 || true
	done
}

teardown_file() {
	cd "$BATS_TEST_DIRNAME/.."
	tests/lab/lab kubectl delete namespace knet-pol-a knet-pol-b \
		--timeout=90s >&2 || true
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	eval "$(tests/lab/lab env)"
	KNET=$PWD/knet
	OFF=(-f "$DATA/lab")
}

# The verdict and the joined reasons, from JSON.
verdict() {
	jq -r '.items[0] | "\(.allowed) \(.reason)"'
}

@test "check: same namespace team=a reaches web on the named port (live and offline)" {
	for src in "" "${OFF[*]}"; do
		run "$KNET" policy check knet-pol-a/client knet-pol-a/web:8080 \
			$src -o json
		[ "$status" -eq 0 ]
		[[ "$(verdict <<<"$output")" == "true ingress knet-pol-a/allow-web rule 0: namespaceSelector team=a, http=8080/TCP"* ]]
		[ "$(jq -r '.items[0].ingress.isolated' <<<"$output")" = true ]
		[ "$(jq -r '.items[0].ingress.policies | sort | join(",")' <<<"$output")" = \
			"knet-pol-a/allow-web,knet-pol-a/deny-all" ]
	done
}

@test "check: another namespace is denied, with the namespace label that differs" {
	for src in "" "${OFF[*]}"; do
		run "$KNET" policy check knet-pol-b/client knet-pol-a/web:http \
			$src -o json
		[ "$status" -eq 1 ]
		[ "$(jq -r '.items[0].allowed' <<<"$output")" = false ]
		[ "$(jq -r '.items[0].ingress.denied_by[] | select(.policy == "knet-pol-a/allow-web") | .reason' <<<"$output")" = \
			"namespaceSelector team=a: namespace knet-pol-b has team=b" ]
		[ "$(jq -r '.items[0].ingress.denied_by[] | select(.policy == "knet-pol-a/deny-all") | .reason' <<<"$output")" = \
			"no ingress rules: denies all ingress" ]
		# egress of knet-pol-b/client allows 8080 to any namespace
		[ "$(jq -r '.items[0].egress.allowed' <<<"$output")" = true ]
	done
}

@test "check: a port the rule lacks is named in the reason" {
	for src in "" "${OFF[*]}"; do
		run "$KNET" policy check knet-pol-a/client knet-pol-a/web:9090 $src
		[ "$status" -eq 1 ]
		[[ "$output" == *"port 9090 not in [http=8080]"* ]]
		[[ "$output" == *"denied"* ]]
		[[ "$output" == *"do not enforce"* || "$output" == *"enforce nothing"* ]]
	done
}

@test "check: egress ipBlock except is the reason, and the other peer cannot rescue an address" {
	for src in "" "${OFF[*]}"; do
		run "$KNET" policy check knet-pol-b/client 198.19.3.7:8080 $src -o json
		[ "$status" -eq 1 ]
		[ "$(jq -r '.items[0].egress.denied_by[0].reason' <<<"$output")" = \
			"ipBlock except 198.19.3.0/24: 198.19.3.7 is in it" ]
		run "$KNET" policy check knet-pol-b/client 198.19.4.7:8080 $src -o json
		[ "$status" -eq 0 ]
		[ "$(jq -r '.items[0].egress.matched[0].peerText' <<<"$output")" = \
			"ipBlock 198.19.0.0/16 except 198.19.3.0/24" ]
	done
}

@test "check: the lab's secure namespace: default-deny and allow-web read back" {
	db=$("$KNET_LAB_KUBECTL" get pods -n secure -l app=db -o name | head -n 1)
	[ -n "$db" ]
	run "$KNET" policy check web/$("$KNET_LAB_KUBECTL" get pods -n web -l app=web -o jsonpath='{.items[0].metadata.name}') "secure/${db#pod/}:5432" -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.items[0].ingress.matched[0].policy' <<<"$output")" = secure/allow-web ]
	run "$KNET" policy check client/client "secure/${db#pod/}:5432" -o json
	[ "$status" -eq 1 ]
	[[ "$(jq -r '.items[0].reason' <<<"$output")" == *"namespace client has kubernetes.io/metadata.name=client"* ]]
}

@test "matrix: the grid of knet-pol-a on 8080 (live and offline agree)" {
	live=$("$KNET" policy matrix -n knet-pol-a --port 8080 -o json |
		jq -c '[.items[] | {from, allowed: (.allowed | sort), denied: (.denied | sort)}] | sort_by(.from)')
	off=$("$KNET" policy matrix -n knet-pol-a --port 8080 "${OFF[@]}" -o json |
		jq -c '[.items[] | {from, allowed: (.allowed | sort), denied: (.denied | sort)}] | sort_by(.from)')
	[ -n "$live" ] && [ "$live" != "[]" ]
	[ "$live" = "$off" ]
	# nothing reaches the client (deny-all), both reach web
	[ "$(jq -r '[.[] | select(.allowed | index("knet-pol-a/web"))] | length' <<<"$live")" -eq 2 ]
	[ "$(jq -r '[.[] | select(.denied | index("knet-pol-a/client"))] | length' <<<"$live")" -eq 2 ]
}

@test "matrix --diff: --cluster -f shows what a change would allow" {
	run "$KNET" policy matrix -A -l app --port 8080 --cluster \
		-f "$DATA/change/allow-b.yaml" --diff -o json
	[ "$status" -eq 1 ]
	[ "$(jq -r '.items[] | select(.from == "knet-pol-b/client") | .changed[] | "\(.to) \(.before) \(.after)"' <<<"$output")" = \
		"knet-pol-a/web 0 1" ]
	run "$KNET" policy matrix -A --port 8080 -f "$DATA/lab" \
		-f "$DATA/change/allow-b.yaml" --diff
	[ "$status" -eq 1 ]
	[[ "$output" == *"+"* ]]
	# the change is not applied: the cluster still denies
	run "$KNET" policy check knet-pol-b/client knet-pol-a/web:8080
	[ "$status" -eq 1 ]
}

@test "check: svc/ targets: each ready endpoint, after DNAT (the EndpointSlices as oracle)" {
	run "$KNET" policy check client/client svc/web/web:80 -o json
	[ "$status" -eq 0 ]
	# the pods behind the ready addresses kube-proxy DNATs to
	want=$("$KNET_LAB_KUBECTL" get endpointslices -n web \
		-l kubernetes.io/service-name=web -o json |
		jq -r '.items[].endpoints[] | select(.conditions.ready != false) | "web/\(.targetRef.name)"' | sort)
	got=$(jq -r '.items[].to' <<<"$output" | sort)
	[ -n "$want" ]
	[ "$got" = "$want" ]
	[[ "$(jq -r '.items[0].via' <<<"$output")" == "svc/web/web backend from EndpointSlice"* ]]
	# each is judged on the targetPort the slice names
	want_port=$("$KNET_LAB_KUBECTL" get endpointslices -n web \
		-l kubernetes.io/service-name=web -o jsonpath='{.items[0].ports[0].port}')
	[ "$(jq -r '.items[0].port' <<<"$output")" = "$want_port/TCP" ]
}

@test "unknown pod: exit 3; usage errors: exit 2" {
	run "$KNET" policy check knet-pol-a/nope knet-pol-a/web:80
	[ "$status" -eq 3 ]
	[[ "$output" == *"no pod knet-pol-a/nope"* ]]
	run "$KNET" policy check knet-pol-a/client "${OFF[@]}"
	[ "$status" -eq 2 ]
	run "$KNET" policy frobnicate "${OFF[@]}"
	[ "$status" -eq 2 ]
	run "$KNET" policy check knet-pol-a/client knet-pol-a/web:nope "${OFF[@]}"
	[ "$status" -eq 3 ]
	[[ "$output" == *"no container port named nope"* ]]
}

@test "malformed manifest: file, document and field in one line, exit 2" {
	run "$KNET" policy check ok/a ok/b -f "$DATA/bad/two-docs.yaml"
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "knet: $DATA/bad/two-docs.yaml: document 2: spec.ingress[0].from[0].podSelector.matchExpressions[0].operator: not In, NotIn, Exists or DoesNotExist" ]
	run "$KNET" policy check a b -f - <<<'{"kind": "Pod", "apiVersion": "v1", "metadata": {'
	[ "$status" -eq 2 ]
	[[ "$output" == "knet: <stdin>: document 1: invalid JSON"* ]]
	run "$KNET" policy check a b -f /nonexistent/x.yaml
	[ "$status" -eq 2 ]
}

@test "policyTypes defaulting is the apiserver's (server dry-run as the oracle)" {
	for spec in '{podSelector: {}}' '{podSelector: {}, egress: []}' \
		'{podSelector: {}, egress: [{}]}' '{podSelector: {}, ingress: [], egress: [{ports: [{port: 53}]}]}'; do
		doc=$(printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: dry, namespace: knet-pol-a}\nspec: %s\n' "$spec")
		want=$(tests/lab/lab kubectl apply --dry-run=server -f - \
			-o jsonpath='{.spec.policyTypes}' <<<"$doc" | jq -c .)
		[ -n "$want" ]
		# egress isolated per knet = Egress in the server's defaults
		run "$KNET" policy check knet-pol-a/client 203.0.113.1:53 \
			-f "$DATA/lab/10-objects.yaml" -f - -o json <<<"$doc"
		isolated=$(jq -r '.items[0].egress.isolated' <<<"$output")
		if [[ "$want" == *Egress* ]]; then
			[ "$isolated" = true ]
		else
			[ "$isolated" = false ]
		fi
	done
}

@test "netpol NAME: the pods a policy selects and each rule's peers now" {
	run "$KNET" netpol -n knet-pol-a allow-web -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.items[0].selectedPods | join(",")' <<<"$output")" = knet-pol-a/web ]
	[ "$(jq -r '.items[0].rulePeers[0].pods | sort | join(",")' <<<"$output")" = \
		"knet-pol-a/client,knet-pol-a/web" ]
	run "$KNET" netpol -n knet-pol-b -o wide
	[ "$status" -eq 0 ]
	[[ "$output" == *"knet-pol-b/client"*"+198.19.0.0/16"* ]]
}

@test "-f: directories recursively (only *.yaml, *.yml, *.json), and stdin" {
	mkdir -p "$BATS_TEST_TMPDIR/m/deeper/still"
	cp "$DATA/lab/10-objects.yaml" "$BATS_TEST_TMPDIR/m/deeper/objects.yml"
	cp "$DATA/lab/20-policies.yaml" "$BATS_TEST_TMPDIR/m/deeper/still/p.yaml"
	echo 'not: [a manifest' >"$BATS_TEST_TMPDIR/m/README.txt"
	run "$KNET" policy check knet-pol-b/client knet-pol-a/web:8080 \
		-f "$BATS_TEST_TMPDIR/m" -o json
	[ "$status" -eq 1 ]
	[ "$(jq -r '.items[0].ingress.policies | length' <<<"$output")" -eq 2 ]
	run "$KNET" policy check knet-pol-b/client knet-pol-a/web:8080 -f - \
		-o json < <(cat "$DATA/lab/10-objects.yaml"; echo ---; cat "$DATA/lab/20-policies.yaml")
	[ "$status" -eq 1 ]
	[ "$(jq -r '.items[0].ingress.policies | length' <<<"$output")" -eq 2 ]
}
