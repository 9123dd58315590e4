#!/usr/bin/env bats
# knet svc trace against the lab: the real kube-proxy's iptables rules
# (iptables-save in the node's netns is the oracle), the real endpoints
# controllers and the lab kubelet's readiness.  The broken Services
# live in a namespace of their own, made and removed here; the shared
# scenario (namespace web) is only read.

bats_require_minimum_version 1.5.0

NS=knet-svct

setup_file() {
	load node-helpers
	node_setup_file
	k apply -f - >&2 <<-YAML
	apiVersion: v1
	kind: Namespace
	metadata: {name: $NS}
	---
	apiVersion: v1
	kind: Pod
	metadata: {name: tweb-b, namespace: $NS, labels: {app: tweb}}
	spec:
	  nodeName: node-b
	  containers:
	  - name: web
	    image: knet-lab/podserver:1
	    ports: [{name: http, containerPort: 8080}]
	---
	# selects nothing: the pods say app=tweb
	apiVersion: v1
	kind: Service
	metadata: {name: v2, namespace: $NS}
	spec:
	  selector: {app: tweb-v2}
	  ports: [{port: 80, targetPort: http}]
	---
	# a targetPort name no container defines
	apiVersion: v1
	kind: Service
	metadata: {name: badname, namespace: $NS}
	spec:
	  selector: {app: tweb}
	  ports: [{port: 80, targetPort: metrics}]
	---
	apiVersion: v1
	kind: Service
	metadata: {name: tweb, namespace: $NS}
	spec:
	  selector: {app: tweb}
	  ports: [{name: http, port: 80, targetPort: http}]
	---
	# the only endpoint is on node-b: node-a's nodePort is a black hole
	apiVersion: v1
	kind: Service
	metadata: {name: local, namespace: $NS}
	spec:
	  type: NodePort
	  externalTrafficPolicy: Local
	  selector: {app: tweb}
	  ports: [{name: http, port: 80, targetPort: http}]
	YAML
	RETRIES=120 retry ready_endpoints tweb 1
}

ready_endpoints() { [ "$(ep_ready_ips $NS "$1" | wc -l)" -eq "$2" ]; }

teardown_file() {
	load node-helpers
	node_env
	# a kube-proxy this file paused (never left stopped)
	if [ -f "$BATS_FILE_TMPDIR/stopped" ]; then
		kill -CONT "$(cat "$BATS_FILE_TMPDIR/stopped")" || true
	fi
	"$LAB" ready $NS/tweb-b true >&2 || true
	own_ns_delete $NS tweb-b
}

setup() {
	load node-helpers
	node_env
}

# The DNAT targets kube-proxy's rules give ClusterIP:port on node $1,
# read by hand from iptables-save (jumps, then DNAT).
dnat_targets() {
	local save svc
	save=$(tests/lab/lab run "$1" -- iptables-save -t nat)
	svc=$(echo "$save" | awk -v ip="$2/32" -v port="$3" \
		'$1 == "-A" && $2 == "KUBE-SERVICES" && index($0, "-d " ip " ") && index($0, "--dport " port " ") && /-j KUBE-SVC-/ {print $NF}')
	for sep in $(echo "$save" | awk -v c="$svc" '$1 == "-A" && $2 == c {print $NF}'); do
		echo "$save" | awk -v c="$sep" '$1 == "-A" && $2 == c && /DNAT/ {print $NF}'
	done | sort
}

# Rows of one event from JSON Lines.
ev() { echo "$output" | jq -c "select(.event==\"$1\")"; }

@test "svc trace: the healthy web Service traces OK, rules as iptables-save has them" {
	run on_a svc trace web -n web -o json
	echo "$output"
	[ "$status" -eq 0 ]
	s=$(ev summary)
	[ "$(echo "$s" | jq -r .status)" = ok ]
	[[ "$(echo "$s" | jq -r .summary)" == "svc/web/web: 3 endpoints ready, kube-proxy on node-a in sync, OK"* ]]
	[ "$(ev layer | jq -r .status | sort -u)" = ok ]
	[ "$(ev layer | wc -l)" -eq 6 ]
	# the endpoints are the API's ready ones, and the rules' targets
	want=$(ep_ready_ips web web | sed 's/$/:8080/' | sort)
	[ -n "$want" ]
	got=$(ev endpoint | jq -r 'select(.ready and .in_rules) | "\(.ip):\(.port)"' | sort)
	[ "$got" = "$want" ]
	rules=$(dnat_targets node-a "$(svc_ip web web)" 80)
	[ -n "$rules" ]
	[ "$rules" = "$want" ]
	# shares: 1/3 each, from the statistic rules
	[ "$(ev endpoint | jq -r '.share_percent | floor' | sort -u)" = 33 ]
	[ -z "$(ev finding)" ]
	# the long form, and the table's first line is the summary
	run on_a services trace svc/web/web:http
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "svc/web/web: 3 endpoints ready, kube-proxy on node-a in sync, OK" ]]
	[[ "$output" == *"kube-proxy   ok"*"KUBE-SVC-"*"in sync"* ]]
}

@test "svc trace: a selector matching no pod names the closest pod and the label" {
	run on_a svc trace v2 -n $NS -o json
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(ev summary | jq -r .broken_layer)" = selector ]
	f=$(ev finding | jq -r 'select(.layer=="selector") | .finding')
	[[ "$f" == *"no pod in namespace $NS matches app=tweb-v2"* ]]
	[[ "$f" == *"closest: $NS/tweb-b (app=tweb, not tweb-v2)"* ]]
}

@test "svc trace: a targetPort name no container defines is the targetPort layer" {
	run on_a svc trace badname -n $NS -o json
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(ev summary | jq -r .broken_layer)" = targetPort ]
	f=$(ev finding | jq -r 'select(.layer=="targetPort") | .finding')
	[[ "$f" == *"targetPort 'metrics' of port 80 is a port name no container defines in 1 of 1 pods"* ]]
	# and the API agrees: no endpoint has a port
	[ -z "$(k -n $NS get endpoints badname -o jsonpath='{.subsets[*].ports[*].port}')" ]
}

@test "svc trace: externalTrafficPolicy Local without a local endpoint is a nodePort black hole" {
	RETRIES=60 retry ready_endpoints local 1
	np=$(k -n $NS get svc local -o jsonpath='{.spec.ports[0].nodePort}')
	# wait for node-a's kube-proxy: its KUBE-XLB chain for it
	RETRIES=60 retry sh -c "tests/lab/lab run node-a -- iptables-save -t nat | grep -q -- '--dport $np -j KUBE-XLB-'"
	run on_a svc trace local -n $NS -o json
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(ev summary | jq -r .broken_layer)" = kube-proxy ]
	f=$(ev finding | jq -r 'select(.layer=="kube-proxy") | .finding')
	[[ "$f" == *"externalTrafficPolicy Local and no ready endpoint on node-a: nodePort $np"* ]]
	# the same Service seen from node-b (through the transport) is fine
	run on_a svc trace local -n $NS --on node-b -o json
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(ev summary | jq -r .node)" = node-b ]
	[ "$(ev summary | jq -r .status)" = ok ]
	run on_a svc trace local -n $NS --on node-b
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "svc/$NS/local: 1 endpoint ready, kube-proxy on node-b in sync, OK" ]]
}

@test "svc trace --all-nodes: each node's verdict, the same judged here when the nodes have no API" {
	RETRIES=60 retry ready_endpoints local 1
	np=$(k -n $NS get svc local -o jsonpath='{.spec.ports[0].nodePort}')
	for n in node-a node-c; do
		RETRIES=60 retry sh -c "tests/lab/lab run $n -- iptables-save -t nat | grep -q -- '--dport $np -j KUBE-XLB-'"
	done
	# the k8s transport's split over the lab's: the nodes' knet runs
	# with no kubeconfig and sends its rules raw (tests/remote-noapi.bats)
	D=$BATS_TEST_TMPDIR
	cat >"$D/via" <<-'SH'
	#!/bin/sh
	node=$1
	shift
	exec env -u KUBECONFIG HOME=/nonexistent ip netns exec "lab-$node" "$@"
	SH
	chmod +x "$D/via"
	st=0
	on_a svc trace local -n $NS --all-nodes -o json >"$D/plain" || st=$?
	[ "$st" -eq 1 ]
	st=0
	KNET_VIA="$D/via {node}" KNET_VIA_NO_API=1 \
		on_a svc trace local -n $NS --all-nodes -o json >"$D/noapi" || st=$?
	[ "$st" -eq 1 ]
	# node-b has the endpoint: only there the nodePort answers
	[ "$(jq -r 'select(.event == "summary") | "\(.node) \(.status) \(.broken_layer)"' "$D/noapi" | paste -sd,)" = "node-a fail kube-proxy,node-b ok null,node-c fail kube-proxy" ]
	for n in node-a node-c; do
		jq -se --arg n "$n" --arg np "$np" 'any(.[]; .event == "finding" and .node == $n and .layer == "kube-proxy" and (.finding | contains("externalTrafficPolicy Local and no ready endpoint on " + $n + ": nodePort " + $np)))' "$D/noapi"
	done
	g='del(.flows, .stale) | if .layer == "conntrack" then del(.detail) else . end'
	[ "$(jq -c "$g" "$D/plain")" = "$(jq -c "$g" "$D/noapi")" ]
}

@test "svc trace: all endpoints unready is the endpoints layer, with the pod and why" {
	"$LAB" ready $NS/tweb-b false
	RETRIES=60 retry ready_endpoints tweb 0
	run on_a svc trace tweb -n $NS -o json
	"$LAB" ready $NS/tweb-b true
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(ev summary | jq -r .broken_layer)" = endpoints ]
	[[ "$(ev finding | jq -r .finding)" == *"pod $NS/tweb-b matches but is not ready (Ready condition false"* ]]
	[ "$(ev endpoint | jq -r '.ready')" = false ]
	RETRIES=60 retry ready_endpoints tweb 1
	# ready again: kube-proxy follows, the trace is OK again
	RETRIES=60 retry on_a svc trace tweb -n $NS >/dev/null
}

# The pid of node $1's kube-proxy, checked against its recorded start.
proxy_pid() {
	local pid start
	pid=$(awk '{print $1}' "$KNET_LAB_DIR/pids/proxy-$1.pid")
	start=$(cat "$KNET_LAB_DIR/pids/proxy-$1.start")
	[ "$(awk '{print $22}' "/proc/$pid/stat")" = "$start" ]
	echo "$pid"
}

@test "svc trace: kube-proxy stopped on a node while a backend changes: its rules are stale" {
	ip=$(pod_ip $NS tweb-b)
	[ -n "$ip" ]
	k apply -f - >&2 <<-YAML
	apiVersion: v1
	kind: Service
	metadata: {name: stale, namespace: $NS}
	spec:
	  ports: [{port: 80, targetPort: 8080}]
	---
	apiVersion: v1
	kind: Endpoints
	metadata: {name: stale, namespace: $NS}
	subsets: [{addresses: [{ip: $ip}], ports: [{port: 8080}]}]
	YAML
	cip=$(svc_ip $NS stale)
	RETRIES=60 retry sh -c "tests/lab/lab run node-c -- iptables-save -t nat | grep -q -- '-d $cip/32 .*-j KUBE-SVC-'"
	pid=$(proxy_pid node-c)
	kill -STOP "$pid"
	echo "$pid" >"$BATS_FILE_TMPDIR/stopped"
	k -n $NS patch endpoints stale --type merge \
		-p '{"subsets":[{"addresses":[{"ip":"198.19.2.250"}],"ports":[{"port":8080}]}]}' >&2
	# node-a's kube-proxy follows; node-c's cannot
	RETRIES=60 retry sh -c "tests/lab/lab run node-a -- iptables-save -t nat | grep -q 'to-destination 198.19.2.250:8080'"
	run on_a svc trace stale -n $NS --on node-c -o json
	kill -CONT "$pid"
	rm -f "$BATS_FILE_TMPDIR/stopped"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(ev summary | jq -r .broken_layer)" = kube-proxy ]
	f=$(ev finding | jq -r 'select(.layer=="kube-proxy") | .finding')
	[[ "$f" == *"a rule DNATs to $ip:8080, which is not a ready endpoint: kube-proxy on node-c is stale or down"* ]]
	[[ "$f" == *"ready endpoint 198.19.2.250:8080 has no rule on node-c"* ]]
	# node-a is in sync, and node-c once its kube-proxy runs again
	run on_a svc trace stale -n $NS -o json
	[ "$status" -eq 0 ]
	RETRIES=60 retry on_a svc trace stale -n $NS --on node-c >/dev/null
	k -n $NS delete service stale >&2
}

@test "svc trace: bad input" {
	run on_a svc trace nosuch -n web
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"svc/web/nosuch"* ]]
	run on_a svc trace web:nosuch -n web
	[ "$status" -eq 3 ]
	run on_a svc trace a/b/c
	[ "$status" -eq 2 ]
	# a port that cannot be one: refused before the API is asked
	for p in 0 99999 Bad_Port -http; do
		run --separate-stderr on_a svc trace "web:$p" -n web --kubeconfig /nonexistent
		[ "$status" -eq 2 ]
		[ "$stderr" = "knet: bad port '$p': give a number 1-65535 or a port name (a DNS-1123 label); try 'knet help services trace'" ]
		[ -z "$output" ]
	done
	# "svc trace" alone still lists a Service called trace
	run "$KNET" -n web svc trace
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *trace* ]]
}

@test "svc trace: options between the command and the verb (kubectl takes flags anywhere)" {
	for line in "svc -n web trace web" "services --namespace=web -o json trace web" \
		"-n web svc --no-headers trace web" "svc --on node-a -n web trace web"; do
		run on_a $line -o json
		echo "$line: $output"
		[ "$status" -eq 0 ]
		[ "$(echo "$output" | jq -r 'select(.event=="summary") | .service')" = web/web ]
	done
	# the word after the options is the verb only with a word after it
	run "$KNET" svc -n web trace
	[ "$status" -eq 3 ]
	[[ "$output" == *"services \"trace\" not found"* ]]
	run "$KNET" svc -n web web -o json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r ".items[0].name")" = web ]
	# -- ends the options: "trace" after it is a Service's name
	run "$KNET" svc -n web -- trace web
	[ "$status" -eq 3 ]
}

@test "svc trace: all of 1,000 endpoints found in the rules (the time is printed, not asserted)" {
	{
		echo "apiVersion: v1"
		echo "kind: Endpoints"
		echo "metadata: {name: big, namespace: $NS}"
		echo "subsets:"
		echo "- ports: [{port: 8080}]"
		echo "  addresses:"
		for i in $(seq 0 999); do
			echo "  - ip: 198.19.$((100 + i / 250)).$((1 + i % 250))"
		done
	} >"$BATS_TEST_TMPDIR/big.yaml"
	# no selector: the Endpoints are ours, not the controller's
	k apply -f - >&2 <<-YAML
	apiVersion: v1
	kind: Service
	metadata: {name: big, namespace: $NS}
	spec:
	  ports: [{port: 80, targetPort: 8080}]
	YAML
	k apply -f "$BATS_TEST_TMPDIR/big.yaml" >&2
	# until node-a's kube-proxy has all 1,000 (jumps counted, not comments)
	RETRIES=120 retry sh -c "[ \$(tests/lab/lab run node-a -- $KNET svc trace big -n $NS -o json | jq -r 'select(.event==\"endpoint\" and .in_rules) | .ip' | wc -l) -eq 1000 ]"
	start=$(date +%s%N)
	run on_a svc trace big -n $NS -o json
	end=$(date +%s%N)
	ms=$(((end - start) / 1000000))
	echo "svc trace of 1,000 endpoints: ${ms} ms" >&3
	k -n $NS delete service big >&2
	[ "$status" -eq 0 ]
	[ "$(ev endpoint | jq -r 'select(.in_rules) | .ip' | wc -l)" -eq 1000 ]
	# every address once, and the ones we wrote
	[ "$(ev endpoint | jq -r .ip | sort -u | wc -l)" -eq 1000 ]
	[ "$(ev endpoint | jq -r .ip | grep -c '^198\.19\.10[0-3]\.')" -eq 1000 ]
}
