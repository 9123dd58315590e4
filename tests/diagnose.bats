#!/usr/bin/env bats
# knet diagnose FROM TO: each fault of the lab's fault library
# (tests/lab/faults) switched on is named by the layer that explains it
# (.verdict.layer), and once switched off the same check exits 0.  FROM
# is diag/dclient (node-a); knet runs "on node-a", or on node-b to go
# through the node transport.  Every test turns off what it turned on;
# the file ends with `lab fault clean` (namespace diag removed).

bats_require_minimum_version 1.5.0

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	tests/lab/lab up >&2
	tests/lab/lab fault setup >&2
}

teardown_file() {
	cd "$BATS_TEST_DIRNAME/.."
	tests/lab/lab fault clean >&2 || true
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	eval "$(tests/lab/lab env)"
	FAULT=
}

teardown() {
	if [ -n "$FAULT" ]; then tests/lab/lab fault off "$FAULT" >&2; fi
}

on_a() { tests/lab/lab run node-a -- "$PWD/knet" -n diag "$@"; }
on_b() { tests/lab/lab run node-b -- "$PWD/knet" -n diag "$@"; }
fault_on() { FAULT=$1; tests/lab/lab fault on "$1" >&2; }
# The dweb pod on another node than dclient's.
far_pod() {
	tests/lab/lab kubectl -n diag get pods -l app=dweb -o json |
		jq -r '[.items[] | select(.spec.nodeName != "node-a")][0].metadata.name'
}
layer() { jq -r --arg l "$1" '.layers[] | select(.layer == $l) | .status' <<<"$output"; }

@test "healthy pod to Service: every layer it runs is OK, under a second" {
	run -0 on_a -o json diagnose dclient svc/dweb:80
	[ "$(jq -r .kind <<<"$output")" = Diagnosis ]
	[ "$(jq -r .reachable <<<"$output")" = true ]
	[ "$(jq -r .verdict.layer <<<"$output")" = null ]
	[ "$(jq '.layers | length' <<<"$output")" -eq 8 ]
	for l in resolve policy service reachability conntrack; do
		[ "$(layer $l)" = OK ]
	done
	[ "$(layer path)" = SKIP ]
	[ "$(layer packets)" = SKIP ]
	jq -r '.layers[] | select(.layer == "reachability") | .evidence' \
		<<<"$output" | grep -E '^tcp 198\.18\.[0-9.]+:80: 3/3 answered'
	jq -r '.layers[] | select(.layer == "conntrack") | .evidence' \
		<<<"$output" | grep -E 'DNAT to 198\.19\.[0-9.]+:8080'
	[ "$(jq .time_us <<<"$output")" -lt 1000000 ]
}

@test "table: the checklist and the verdict line" {
	run -0 on_a diagnose dclient svc/dweb:80
	[ "${lines[0]}" = "$(printf '%s' "${lines[0]}" | grep -E '^LAYER +STATUS +TIME +EVIDENCE$')" ]
	grep -E '^reachability +OK ' <<<"$output"
	grep -E '^verdict: dclient reaches svc/dweb:80 \([0-9]+ ms\)$' <<<"$output"
}

@test "a DNS name resolves as the pod would, then is probed" {
	run -0 on_a -o json diagnose dclient dweb.diag.svc.cluster.local:80
	[ "$(layer dns)" = OK ]
	ip=$(tests/lab/lab kubectl -n diag get svc dweb -o jsonpath='{.spec.clusterIP}')
	[ -n "$ip" ]
	jq -r '.layers[] | select(.layer == "dns") | .evidence' <<<"$output" |
		grep -F "dweb.diag.svc.cluster.local -> $ip "
}

@test "a URL goes through ingress match to its Service" {
	run -0 on_a -o json diagnose dclient http://shop.example/api
	jq -r '.layers[] | select(.layer == "resolve") | .evidence' \
		<<<"$output" | grep -F -- '-> svc web/web '
	[ "$(layer service)" = OK ]
}

@test "fault selector-typo: service, and exit 0 once repaired" {
	fault_on selector-typo
	run -1 on_a -o json diagnose dclient svc/dweb:80
	[ "$(jq -r .verdict.layer <<<"$output")" = service ]
	jq -r .verdict.reason <<<"$output" | grep -F 'app=dwbe'
	[ "$(jq -r .verdict.next <<<"$output")" = "knet -n diag svc trace dweb" ]
	tests/lab/lab fault off selector-typo >&2
	FAULT=
	run -0 on_a -o json diagnose dclient svc/dweb:80
}

@test "fault wrong-targetport: service (refused, the targetPort says why)" {
	fault_on wrong-targetport
	run -1 on_a -o json diagnose dclient svc/dweb:80
	[ "$(jq -r .verdict.layer <<<"$output")" = service ]
	jq -r .verdict.reason <<<"$output" | grep -F 'targetPort 9090'
	[ "$(layer reachability)" = FAIL ]
	[ "$(layer packets)" = FAIL ]
	jq -r '.layers[] | select(.layer == "packets") | .evidence' \
		<<<"$output" | grep '^rst '
	tests/lab/lab fault off wrong-targetport >&2
	FAULT=
	run -0 on_a -o json diagnose dclient svc/dweb:80
}

@test "fault unready: service (no ready endpoint)" {
	fault_on unready
	run -1 on_a -o json diagnose dclient svc/dweb:80
	[ "$(jq -r .verdict.layer <<<"$output")" = service ]
	jq -r .verdict.reason <<<"$output" | grep -F 'no ready endpoint'
	tests/lab/lab fault off unready >&2
	FAULT=
	run -0 on_a -o json diagnose dclient svc/dweb:80
}

@test "fault no-listener: service (TCP to a port declared UDP)" {
	fault_on no-listener
	run -1 on_a -o json diagnose dclient svc/dweb:80
	[ "$(jq -r .verdict.layer <<<"$output")" = service ]
	jq -r .verdict.reason <<<"$output" | grep -F 'UDP'
	tests/lab/lab fault off no-listener >&2
	FAULT=
	run -0 on_a -o json diagnose dclient svc/dweb:80
}

@test "nothing listens on a pod's port: reachability, RST in the capture" {
	pod=$(far_pod)
	[ -n "$pod" ]
	run -1 on_a -o json diagnose dclient "$pod:9000"
	[ "$(jq -r .verdict.layer <<<"$output")" = reachability ]
	jq -r .verdict.reason <<<"$output" | grep -F 'refused (RST'
	jq -r '.layers[] | select(.layer == "packets") | .evidence' \
		<<<"$output" | grep '^rst '
}

@test "fault drop-forward: path, within the timeouts, time per layer" {
	pod=$(far_pod)
	[ -n "$pod" ]
	fault_on drop-forward
	run -1 on_a -o json diagnose dclient "$pod:8080"
	[ "$(jq -r .verdict.layer <<<"$output")" = path ]
	jq -r .verdict.reason <<<"$output" | grep -F 'stops after hop 1 (198.19.1.1)'
	[ "$(layer reachability)" = FAIL ]
	jq -r '.layers[] | select(.layer == "packets") | .evidence' \
		<<<"$output" | grep '^no-answer '
	[ "$(jq .time_us <<<"$output")" -lt 10000000 ]
	[ "$(jq '[.layers[] | select(.status != "SKIP") | .time_us | select(. > 0)] | length' <<<"$output")" -ge 4 ]
	tests/lab/lab fault off drop-forward >&2
	FAULT=
	run -0 on_a -o json diagnose dclient "$pod:8080"
}

@test "fault dns-down: dns, the capture saw no answer" {
	fault_on dns-down
	run -1 on_a -o json diagnose dclient dweb.diag.svc.cluster.local:80
	[ "$(jq -r .verdict.layer <<<"$output")" = dns ]
	jq -r .verdict.reason <<<"$output" | grep -F 'timeout from 198.18.128.10'
	jq -r '.layers[] | select(.layer == "packets") | .evidence' \
		<<<"$output" | grep '^dns-no-answer '
	tests/lab/lab fault off dns-down >&2
	FAULT=
	run -0 on_a -o json diagnose dclient dweb.diag.svc.cluster.local:80
}

@test "fault dns-noendpoints: dns, the nameserver is a Service without endpoints" {
	fault_on dns-noendpoints
	run -1 on_a -o json diagnose dclient dweb.diag.svc.cluster.local:80
	[ "$(jq -r .verdict.layer <<<"$output")" = dns ]
	jq -r .verdict.reason <<<"$output" |
		grep -F 'it is the clusterIP of svc diag/ddns, which has 0 ready endpoints'
	jq -r '.layers[] | select(.layer == "packets") | .evidence' \
		<<<"$output" | grep '^icmp-unreachable '
	tests/lab/lab fault off dns-noendpoints >&2
	FAULT=
	run -0 on_a -o json diagnose dclient dweb.diag.svc.cluster.local:80
	jq -r '.layers[] | select(.layer == "dns") | .evidence' <<<"$output" |
		grep -F ' from 198.18.128.10 '
}

@test "fault mtu-blackhole: reachability (small probes pass, full-size DF vanish)" {
	pod=$(far_pod)
	[ -n "$pod" ]
	ip=$(tests/lab/lab kubectl -n diag get pod "$pod" -o jsonpath='{.status.podIP}')
	[ -n "$ip" ]
	run -0 on_a -o json diagnose dclient "$pod:8080"
	jq -r '.layers[] | select(.layer == "reachability") | .evidence' \
		<<<"$output" | grep -F "; path MTU 1400 to $ip (frag-needed from 198.19.1.1)"
	fault_on mtu-blackhole
	run -1 on_a -o json diagnose dclient "$pod:8080"
	[ "$(jq -r .verdict.layer <<<"$output")" = reachability ]
	jq -r .verdict.reason <<<"$output" | grep -F "1500-byte DF echoes to $ip vanish"
	[ "$(jq -r .verdict.next <<<"$output")" = "knet ping --df -s 1472 --from dclient $ip" ]
	[ "$(layer path)" = OK ]
	tests/lab/lab fault off mtu-blackhole >&2
	FAULT=
	run -0 on_a -o json diagnose dclient "$pod:8080"
}

@test "fault stale-udp: conntrack, though fresh probes get through" {
	fault_on stale-udp
	run -1 on_a -o json diagnose dclient svc/dudp:9000/udp
	[ "$(jq -r .verdict.layer <<<"$output")" = conntrack ]
	[ "$(jq -r .reachable <<<"$output")" = true ]
	jq -r .verdict.reason <<<"$output" |
		grep -E "^node node-a: 1 stale entry: udp 198\.19\.1\.[0-9]+:40123 -> 198\.18\.[0-9.]+:9000 DNAT'd to 198\.19\.[0-9.]+:9000: DNAT target is not a ready endpoint$"
	[ "$(jq -r .verdict.next <<<"$output")" = "knet -n diag conntrack --stale svc/dudp" ]
	tests/lab/lab fault off stale-udp >&2
	FAULT=
	run -0 on_a -o json diagnose dclient svc/dudp:9000/udp
	jq -r '.layers[] | select(.layer == "reachability") | .evidence' \
		<<<"$output" | grep -E '^udp 198\.18\.[0-9.]+:9000: 3/3 answered'
}

@test "lab fault list: every fault, off between tests" {
	run -0 tests/lab/lab fault list
	[ "${#lines[@]}" -eq 11 ]
	[ "$(awk '$2 == "off"' <<<"$output" | wc -l)" -eq 10 ]
	run -1 tests/lab/lab fault on no-such-fault
	grep -F "unknown fault 'no-such-fault'" <<<"$output"
}

@test "fault policy-deny: policy, the contradiction of a CNI that does not enforce" {
	fault_on policy-deny
	run -1 on_a -o json diagnose dclient svc/dweb:80
	[ "$(jq -r .verdict.layer <<<"$output")" = policy ]
	[ "$(jq -r .verdict.contradiction <<<"$output")" = true ]
	[ "$(jq -r .reachable <<<"$output")" = true ]
	jq -r .verdict.reason <<<"$output" |
		grep -F 'policy denies but the connection succeeded: this cluster'"'"'s CNI does not enforce NetworkPolicy (ingress denied by diag/deny-dweb'
	tests/lab/lab fault off policy-deny >&2
	FAULT=
	run -0 on_a -o json diagnose dclient svc/dweb:80
}

@test "FROM on another node: the namespace layers run there, through the transport" {
	run -0 on_b -o json diagnose dclient svc/dweb:80
	[ "$(jq -r .verdict.layer <<<"$output")" = null ]
	[ "$(layer reachability)" = OK ]
	jq -r '.layers[] | select(.layer == "conntrack") | .evidence' \
		<<<"$output" | grep -F 'node node-a:'
	fault_on dns-down
	run -1 on_b -o json diagnose dclient dweb.diag.svc.cluster.local:80
	[ "$(jq -r .verdict.layer <<<"$output")" = dns ]
	run -1 on_b diagnose dclient dweb.diag.svc.cluster.local:80
	grep -E '^dns +FAIL ' <<<"$output"
	grep -E '^verdict: dns: ' <<<"$output"
}

@test "--layers and --no-capture" {
	run -0 on_a -o json diagnose --layers reachability dclient svc/dweb:80
	[ "$(layer reachability)" = OK ]
	[ "$(layer resolve)" = OK ]
	for l in dns policy service path conntrack packets; do
		[ "$(layer $l)" = SKIP ]
	done
	pod=$(far_pod)
	run -1 on_a -o json diagnose --no-capture dclient "$pod:9000"
	[ "$(layer packets)" = SKIP ]
	[ "$(jq -r .verdict.layer <<<"$output")" = reachability ]
}

@test "a FROM or TO that does not run: resolve" {
	tests/lab/lab kubectl apply -f - >&2 <<-'EOF'
	apiVersion: v1
	kind: Pod
	metadata: {name: dpending, namespace: diag}
	spec:
	  nodeName: node-z
	  containers: [{name: c, image: knet-lab/podserver:1}]
	EOF
	run -1 on_a -o json diagnose dpending svc/dweb:80
	tests/lab/lab kubectl -n diag delete pod dpending --grace-period=0 --force >&2 2>&1 || true
	[ "$(jq -r .verdict.layer <<<"$output")" = resolve ]
	[ "$(jq -r .verdict.reason <<<"$output")" = "FROM diag/dpending is Pending, without an IP" ]
	[ "$(jq '[.layers[] | select(.status == "SKIP")] | length' <<<"$output")" -eq 7 ]
}

@test "a name outside the cluster is looked up from FROM: no answer is the dns layer" {
	# The lab's DNS knows only the cluster's names: an external name
	# runs through FROM's whole search list and is refused.
	run -1 on_a -o json diagnose dclient www.example.org:80
	[ "$(jq -r .verdict.layer <<<"$output")" = dns ]
	jq -e '.verdict.reason | test("^www\\.example\\.org: refused from .* after 4 names$")' <<<"$output"
	# Not read as Service "www" of namespace "example" (exit 3).
	run -1 on_a -o json diagnose dclient example.com:80
	[ "$(jq -r .verdict.layer <<<"$output")" = dns ]
	[ "$(jq -r '.layers[] | select(.layer == "reachability") | .status' <<<"$output")" = SKIP ]
	# A name that says .svc is the cluster's: an unknown Service is 3.
	run -3 on_a diagnose dclient nosuch.diag.svc:80
}

@test "an external name that resolves is probed at the address FROM's DNS gave" {
	local ip
	ip=$(tests/lab/lab kubectl -n diag get pod "$(far_pod)" -o jsonpath='{.status.podIP}')
	[ -n "$ip" ]
	tests/lab/lab dns-host add shop.knet.test "$ip"
	run -0 on_a -o json diagnose dclient shop.knet.test:8080
	tests/lab/lab dns-host del shop.knet.test
	jq -e --arg ip "$ip" '.layers[] | select(.layer == "dns") | .status == "OK" and (.evidence | startswith("shop.knet.test -> " + $ip))' <<<"$output"
	jq -e --arg ip "$ip" '.layers[] | select(.layer == "resolve") | .evidence | endswith("shop.knet.test " + $ip + " (from FROM'"'"'s DNS):8080")' <<<"$output"
	[ "$(jq -r '.layers[] | select(.layer == "reachability") | .status' <<<"$output")" = OK ]
	[ "$(jq -r .verdict.layer <<<"$output")" = null ]
	# Gone from the DNS: the same name is the dns layer's failure.
	run -1 on_a -o json diagnose dclient shop.knet.test:8080
	[ "$(jq -r .verdict.layer <<<"$output")" = dns ]
}

@test "bad input: usage errors exit 2, unknown objects 3" {
	run -2 on_a diagnose dclient
	run -2 on_a diagnose --layers nope dclient svc/dweb:80
	grep -F "unknown layer 'nope'" <<<"$output"
	run -2 on_a diagnose dclient 'ftp://shop.example/'
	run -2 on_a -o name diagnose dclient svc/dweb:80
	grep -F "no names to print" <<<"$output"
	run -3 on_a diagnose nosuchpod svc/dweb:80
	run -3 on_a diagnose dclient svc/nosuchsvc:80
}
