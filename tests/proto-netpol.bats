#!/usr/bin/env bats
# NetworkPolicies over protobuf: the policies of tests/data/proto/netpol.yaml
# (every field of the spec the lab's apiserver keeps) read with
# --api-encoding json, protobuf and auto give the same output, byte for
# byte, from knet netpol and knet policy check / matrix; the values are
# the ones applied.  Everything lives in the namespace knet-proto-np,
# deleted at the end.

bats_require_minimum_version 1.5.0

NS=knet-proto-np

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	tests/lab/lab up >&2
	eval "$(tests/lab/lab env)"
	# A previous run's namespace may still be terminating.
	for _ in $(seq 120); do
		"$KNET_LAB_KUBECTL" get namespace "$NS" -o name 2>/dev/null |
			grep -q . || break
		[ "$("$KNET_LAB_KUBECTL" get namespace "$NS" \
			-o jsonpath='{.status.phase}')" = Terminating ] || break
		sleep 1
	done
	# Pods are refused until the namespace has its service account.
	for _ in $(seq 60); do
		if "$KNET_LAB_KUBECTL" apply -f tests/data/proto/netpol.yaml >&2 &&
			[ "$("$KNET_LAB_KUBECTL" -n "$NS" get pods,netpol \
				-o name | wc -l)" -eq 6 ]; then
			break
		fi
		sleep 1
	done
}

teardown_file() {
	cd "$BATS_TEST_DIRNAME/.."
	eval "$(tests/lab/lab env)"
	"$KNET_LAB_KUBECTL" delete namespace "$NS" --wait=false >&2 || true
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	eval "$(tests/lab/lab env)"
	KNET=$PWD/knet
}

# The output of knet ARGS over JSON and over ENC (AGE columns blanked):
# equal, or the diff and a failure.  Other sessions' pods come and go in
# the lab and show in -A matrices: a difference is tried again, twice.
same() {
	local enc=$1 a b
	shift
	for _ in 1 2 3; do
		a=$("$KNET" "$@" --api-encoding json | sed 's/  *[0-9]*[smhd] / AGE /g')
		b=$("$KNET" "$@" --api-encoding "$enc" | sed 's/  *[0-9]*[smhd] / AGE /g')
		[ -n "$a" ] || { echo "empty: $*"; return 1; }
		[ "$a" = "$b" ] && return 0
		sleep 1
	done
	echo "differs over $enc: $*"
	diff <(echo "$a") <(echo "$b")
	return 1
}

@test "netpol and policy check/matrix: the same over protobuf as over JSON, byte for byte" {
	for enc in protobuf auto; do
		same "$enc" netpol -A -o json
		same "$enc" netpol -n "$NS" -o wide
		same "$enc" netpol -n "$NS"
		same "$enc" netpol -n "$NS" web-in db-both -o json
		same "$enc" netpol -n "$NS" -o name
		same "$enc" policy matrix -n "$NS" -o json
		same "$enc" policy matrix -n "$NS" --port 5432 --port 53/UDP
		same "$enc" policy matrix -A -o json
		same "$enc" policy check "$NS/db" "$NS/web:http" -o json
		same "$enc" policy check "$NS/web" "$NS/db:5432" -o json
		same "$enc" policy check "$NS/db" "$NS/web:5353/UDP" -o json
		same "$enc" policy check "$NS/db" 198.18.5.1:53/UDP -o json
		same "$enc" policy check "$NS/db" 198.18.0.10:53/UDP -o json
		same "$enc" policy check "$NS/db" "[fd00:1::1]:53/UDP" -o json
		same "$enc" policy check client/client "$NS/db:80" -o json
		same "$enc" policy check client/client "$NS/web:8443"
	done
}

@test "netpol over protobuf: the values applied" {
	run --separate-stderr "$KNET" -n "$NS" netpol -o json --api-encoding protobuf
	[ "$status" -eq 0 ]
	jq -e '[.items[].name] == ["db-both", "deny-all", "egress-only", "web-in"]' <<<"$output"
	jq -e '.items[] | select(.name == "web-in") |
		.podSelector == "app=web,tier in (front,),!canary" and
		.policyTypes == ["Ingress"] and .ingressRules == 2 and
		.egressRules == null and .selectedPods == ["knet-proto-np/web"] and
		.rulePeers[0].ipBlocks == ["198.18.0.0/15"] and
		.rulePeers[1].pods == null' <<<"$output"
	jq -e '.items[] | select(.name == "db-both") |
		.podSelector == "app=db,empty=" and
		.policyTypes == ["Ingress", "Egress"] and .ingressRules == 2 and
		.egressRules == 2 and .selectedPods == ["knet-proto-np/db"]' <<<"$output"
	jq -e '.items[] | select(.name == "egress-only") |
		.podSelector == "app" and .policyTypes == ["Egress"] and
		.ingressRules == null and .egressRules == 0' <<<"$output"
	jq -e '.items[] | select(.name == "deny-all") |
		.podSelector == "" and .policyTypes == ["Ingress", "Egress"]' <<<"$output"
}

# The verdict of policy check FROM TO over protobuf: "allowed RULES" or
# "denied", RULES the egress rules matched.
egress() {
	run --separate-stderr "$KNET" policy check "$1" "$2" -o json --api-encoding protobuf
	jq -r '.items[0] | "\(if .allowed then "allowed" else "denied" end) \([.egress.matched[] | "\(.rule).\(.peer)"] | join(","))"' <<<"$output"
}

@test "policy check over protobuf: ports, named ports, ipBlock except and selectors decide" {
	run --separate-stderr "$KNET" policy check "$NS/db" "$NS/web:http" -o json --api-encoding protobuf
	[ "$status" -eq 0 ]
	jq -e '.items[0].allowed == true and .items[0].port == "8080/TCP"' <<<"$output"
	[[ $output == *"db-both rule 1: namespaceSelector knet-proto in (1)"* ]]
	[[ $output == *"web-in rule 0: namespaceSelector {}, http=8080/TCP"* ]]
	# db's egress: UDP 53 to 198.18.0.0/16 but not 198.18.0.0/24, and
	# to fd00::/8 but not fd00:1::/32.
	[ "$(egress "$NS/db" 198.18.5.1:53/UDP)" = "allowed 0.0" ]
	[ "$(egress "$NS/db" 198.18.0.10:53/UDP)" = "denied " ]
	[ "$(egress "$NS/db" 198.18.5.1:53/TCP)" = "denied " ]
	[ "$(egress "$NS/db" 198.18.5.1:80)" = "denied " ]
	[ "$(egress "$NS/db" "[fd00:2::1]:53/UDP")" = "allowed 0.1" ]
	[ "$(egress "$NS/db" "[fd00:1::1]:53/UDP")" = "denied " ]
	# web's egress is denied by deny-all and egress-only.
	run --separate-stderr "$KNET" policy check "$NS/web" "$NS/db:5432" -o json --api-encoding protobuf
	[ "$status" -eq 1 ]
	jq -e '.items[0].allowed == false and .items[0].ingress.allowed == true and
		(.items[0].egress.policies | index("knet-proto-np/deny-all"))' <<<"$output"
	# db's ingress: 5432 from anyone; other ports from web pods with a
	# tier label only.
	run --separate-stderr "$KNET" policy check client/client "$NS/db:5432" -o json --api-encoding protobuf
	jq -e '.items[0].ingress.allowed == true and .items[0].ingress.matched[0].rule == 0' <<<"$output"
	run --separate-stderr "$KNET" policy check client/client "$NS/db:80" -o json --api-encoding protobuf
	[ "$status" -eq 1 ]
	jq -e '.items[0].ingress.allowed == false' <<<"$output"
}

@test "-v: networkpolicies are read over protobuf with auto and protobuf, never with json" {
	run --separate-stderr "$KNET" -v netpol -A -o name --api-encoding auto
	[ "$status" -eq 0 ]
	[[ $stderr == *"/apis/networking.k8s.io/v1/networkpolicies?limit=500 200 "*", protobuf"* ]]
	run --separate-stderr "$KNET" -v -n "$NS" netpol web-in -o name --api-encoding protobuf
	[ "$status" -eq 0 ]
	[ "$output" = "networkpolicy/web-in" ]
	[[ $stderr == *"/namespaces/$NS/networkpolicies/web-in 200 "*", protobuf"* ]]
	run --separate-stderr "$KNET" -vv policy matrix -n "$NS" --api-encoding json
	[ "$status" -eq 0 ]
	[[ $stderr == *"/networkpolicies"*", json"* ]]
	[[ $stderr != *protobuf* ]]
}

@test "netpol over protobuf: a missing policy is one clear line, a bad encoding a usage error" {
	run --separate-stderr "$KNET" -n "$NS" netpol no-such --api-encoding protobuf
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[ "$stderr" = "knet: cannot get network policy '$NS/no-such': networkpolicies.networking.k8s.io \"no-such\" not found" ]
	run --separate-stderr "$KNET" -n "$NS" netpol --api-encoding yaml
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ $stderr == *"--api-encoding"* ]]
}
