#!/usr/bin/env bats
# The cluster commands against the lab's real apiserver: what knet lists
# must be what kubectl lists for the same kubeconfig.

bats_require_minimum_version 1.5.0

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	tests/lab/lab up >&2
	eval "$(tests/lab/lab env)"
	export KUBECONFIG KNET_LAB_VIEWER_KUBECONFIG KNET_LAB_CERT_KUBECONFIG
	export KNET_LAB_EXEC_KUBECONFIG KNET_LAB_KUBECTL
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	eval "$(tests/lab/lab env)"
	KNET=$PWD/knet
}

kc() { "$KNET_LAB_KUBECTL" "$@"; }

# "ns/name" of every pod, sorted, as kubectl sees them.
kubectl_pods() {
	kc get pods "$@" -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{"\n"}{end}' | sort
}

knet_pods() {
	"$KNET" "$@" pods -o json | jq -r '.items[] | "\(.namespace)/\(.name)"' | sort
}

@test "pods -A: the same pod set as kubectl (admin token user)" {
	want=$(kubectl_pods -A)
	[ -n "$want" ]
	got=$(knet_pods -A)
	[ "$got" = "$want" ]
}

@test "pods: viewer, client-certificate and exec-plugin users see what kubectl sees" {
	for cfg in "$KNET_LAB_VIEWER_KUBECONFIG" "$KNET_LAB_CERT_KUBECONFIG" \
		"$KNET_LAB_EXEC_KUBECONFIG"; do
		want=$(kubectl_pods --kubeconfig "$cfg" -n web)
		[ -n "$want" ]
		got=$(knet_pods --kubeconfig "$cfg" -n web)
		echo "$cfg: $got"
		[ "$got" = "$want" ]
	done
}

@test "pods: IPs, nodes and readiness match the API" {
	want=$(kc -n web get pods -o jsonpath='{range .items[*]}{.metadata.name} {.status.podIP} {.spec.nodeName}{"\n"}{end}' | sort)
	got=$("$KNET" -n web pods -o json | jq -r '.items[] | "\(.name) \(.ips[0]) \(.node)"' | sort)
	[ -n "$want" ]
	[ "$got" = "$want" ]
	# idle never gets ready, the web replicas do
	run "$KNET" -n web pods -o json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '[.items[] | select(.name | startswith("idle-"))] | all(.ready == false and .readyContainers == 0)'
	echo "$output" | jq -e '[.items[] | select(.labels.app == "web")] | length == 3 and all(.ready and .status == "Running")'
	echo "$output" | jq -e '.kind == "PodList" and (.items[0].created | type == "number")'
}

@test "pods table: columns, -A adds NAMESPACE, wide adds host IP, ports, owner" {
	run --separate-stderr "$KNET" -n web pods
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "NAME "*"READY"*"STATUS"*"RESTARTS"*"IP"*"NODE"*"AGE"* ]]
	[[ ${lines[0]} != *NAMESPACE* ]]
	run "$KNET" pods -A
	[[ ${lines[0]} == "NAMESPACE "*"NAME "* ]]
	run "$KNET" -n web pods -o wide -l app=web
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == *"HOST IP"*"PORTS"*"OWNER"* ]]
	[ "${#lines[@]}" -eq 4 ]
	[[ ${lines[1]} == *"8080/TCP"*"ReplicaSet/web-"* ]]
}

@test "pods -l selects by label, -o name prints pod/NAME" {
	run "$KNET" -n web pods -l app=web -o name
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	for l in "${lines[@]}"; do [[ $l == pod/web-* ]]; done
}

@test "pods -w: the list as JSON Lines events, then it keeps watching" {
	want=$(kc -n web get pods -o name | wc -l)
	[ "$want" -gt 0 ]
	run timeout 4 "$KNET" -n web pods -w -o json
	# still watching when the timeout ends it
	[ "$status" -eq 124 ]
	[ "${#lines[@]}" -eq "$want" ]
	for l in "${lines[@]}"; do
		jq -e '.event == "ADDED" and .namespace == "web"' <<< "$l"
	done
	run timeout 4 "$KNET" -n web pods -w
	[ "$status" -eq 124 ]
	[[ ${lines[0]} == "NAME "*"EVENT" ]]
}

# Start `knet pods -w -o json` in the background, wait until the list
# is out, send signal $1 while the watch is idle, and check it ends
# within 2 s with status 0 and its output whole.
watch_then_signal() {
	local want out=$BATS_TEST_TMPDIR/watch.out err=$BATS_TEST_TMPDIR/watch.err
	local pid st=0 i
	want=$(kc -n web get pods -o name | wc -l)
	[ "$want" -gt 0 ]
	"$KNET" -n web pods -w -o json > "$out" 2> "$err" &
	pid=$!
	for i in $(seq 100); do
		[ "$(wc -l < "$out")" -ge "$want" ] && break
		sleep 0.1
	done
	sleep 1
	kill "-$1" "$pid"
	for i in $(seq 20); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		echo "still running 2 s after SIG$1" >&2
		return 1
	fi
	wait "$pid" || st=$?
	[ "$st" -eq 0 ]
	[ ! -s "$err" ]
	[ "$(wc -l < "$out")" -eq "$want" ]
	while read -r l; do
		jq -e '.event == "ADDED" and .namespace == "web"' <<< "$l" > /dev/null
	done < "$out"
}

@test "pods -w: Ctrl-C (SIGINT) or SIGTERM ends the watch within 2 s, status 0, output whole" {
	watch_then_signal INT
	watch_then_signal TERM
}

@test "pods NAME gets one pod; a missing one exits 3 with one line" {
	name=$(kc -n web get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
	run "$KNET" -n web pods "$name" --no-headers
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} == "$name "* ]]
	run --separate-stderr "$KNET" -n web pods no-such-pod
	[ "$status" -eq 3 ]
	[ "$stderr" = "knet: cannot get pod 'web/no-such-pod': pods \"no-such-pod\" not found" ]
}

@test "services: the same set as kubectl, with cluster IPs, ports and endpoint counts" {
	want=$(kc get svc -A -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name} {.spec.clusterIP}{"\n"}{end}' | sort)
	got=$("$KNET" svc -A -o json | jq -r '.items[] | "\(.namespace)/\(.name) \(.clusterIPs[0])"' | sort)
	[ -n "$want" ]
	[ "$got" = "$want" ]
	run "$KNET" -n web services -o json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.items[] | select(.name == "web") | .readyEndpoints == 3 and .totalEndpoints == 3 and .ports[0].port == 80 and .ports[0].targetPort == "8080" and .selector.app == "web"'
	echo "$output" | jq -e '.items[] | select(.name == "idle") | .readyEndpoints == 0 and .totalEndpoints == 1'
	echo "$output" | jq -e '.items[] | select(.name == "web-nodeport") | .type == "NodePort" and .ports[0].nodePort == 30080'
	echo "$output" | jq -e '.items[] | select(.name == "web-headless") | .headless and .clusterIPs == ["None"]'
	run "$KNET" -n web svc
	[[ $output == *"web-nodeport"*"NodePort"*"80:30080/TCP->8080"*"3/3"*"app=web"* ]]
}

@test "services: the viewer sees the web namespace as kubectl does" {
	want=$(kc --kubeconfig "$KNET_LAB_VIEWER_KUBECONFIG" -n web get svc -o name | sed 's|^service/||' | sort)
	got=$("$KNET" --kubeconfig "$KNET_LAB_VIEWER_KUBECONFIG" -n web svc -o name | sed 's|^service/||' | sort)
	[ -n "$want" ]
	[ "$got" = "$want" ]
}

@test "endpoints SVC: every address with its pod, node and readiness" {
	want=$(kc -n web get endpoints web -o jsonpath='{range .subsets[*].addresses[*]}{.ip} {.targetRef.name} {.nodeName}{"\n"}{end}' | sort)
	got=$("$KNET" -n web ep web -o json | jq -r '.items[] | "\(.ip) \(.pod) \(.node)"' | sort)
	[ -n "$want" ]
	[ "$got" = "$want" ]
	run "$KNET" -n web ep web -o json
	echo "$output" | jq -e '.items | length == 3 and all(.ready and .port == 8080 and .protocol == "TCP" and .service == "web")'
	run "$KNET" -n web endpoints idle -o json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.items | length == 1 and (.[0].ready == false)'
	run "$KNET" -n web ep
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "SERVICE "*"ENDPOINT"*"POD"*"NODE"*"READY"* ]]
	[[ $output == *"web-broken"*":9999/TCP"* ]]
	run --separate-stderr "$KNET" -n web ep no-such-svc
	[ "$status" -eq 3 ]
	[[ $stderr == "knet: cannot list endpoints 'web/no-such-svc': no endpoints for service \"no-such-svc\""* ]]
}

@test "nodes: names, internal IPs, pod CIDRs and pod counts match the API" {
	want=$(kc get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.spec.podCIDR}{"\n"}{end}' | sort)
	got=$("$KNET" nodes -o json | jq -r '.items[] | "\(.name) \(.podCIDRs[0])"' | sort)
	[ -n "$want" ]
	[ "$got" = "$want" ]
	[ -n "$KNET_LAB_NODES" ]
	for n in $KNET_LAB_NODES; do
		# other suites may be adding pods meanwhile: a few tries
		for try in 1 2 3 4 5; do
			ip=$(kc get node "$n" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}')
			pods=$(kc get pods -A --field-selector "spec.nodeName=$n,status.phase!=Succeeded,status.phase!=Failed" -o name | wc -l)
			if "$KNET" nodes -o json | jq -e --arg n "$n" --arg ip "$ip" --argjson p "$pods" \
				'.items[] | select(.name == $n) | .ready and .internalIPs == [$ip] and .pods == $p'; then
				break
			fi
			[ "$try" -lt 5 ]
			sleep 1
		done
	done
	run "$KNET" nodes
	[[ ${lines[0]} == "NAME "*"STATUS"*"INTERNAL-IP"*"POD-CIDR"*"PODS"*"AGE"* ]]
}

@test "netpol: selectors, policy types and rule counts" {
	run "$KNET" -n secure netpol -o json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.items[] | select(.name == "default-deny") | .podSelector == "" and .policyTypes == ["Ingress"] and .ingressRules == 0 and .egressRules == null'
	echo "$output" | jq -e '.items[] | select(.name == "allow-web") | .ingressRules == 1'
	want=$(kc get netpol -A -o name | sed 's|^[^/]*/||' | sort)
	got=$("$KNET" netpol -A -o name | sed 's|^networkpolicy/||' | sort)
	[ -n "$want" ]
	[ "$got" = "$want" ]
}

@test "ingress: class, host and each path to its backend" {
	run "$KNET" -n web ingress -o json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.items[0].name == "web" and .items[0].hosts == ["shop.example"]'
	echo "$output" | jq -e '[.items[0].rules[] | .path] == ["/", "/api"]'
	echo "$output" | jq -e 'all(.items[0].rules[]; .service != null and .host == "shop.example")'
	run "$KNET" -n web ing
	[[ $output == *"shop.example/ -> web:"* ]]
}

@test "who: a pod IP, a Service IP, a node IP, and nothing" {
	pod=$(kc -n web get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
	ip=$(kc -n web get pod "$pod" -o jsonpath='{.status.podIP}')
	run "$KNET" who "$ip" -o json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg p "$pod" '.items[] | select(.kind == "pod") | .name == $p and .namespace == "web"'
	echo "$output" | jq -e '[.items[] | select(.kind == "endpoint") | .name] | index("web") != null'
	svcip=$(kc -n web get svc web -o jsonpath='{.spec.clusterIP}')
	run "$KNET" who "$svcip"
	[ "$status" -eq 0 ]
	[[ $output == *"service"*"web"*"web"*"clusterIP"* ]]
	node=$(kc get nodes -o jsonpath='{.items[0].metadata.name}')
	nip=$(kc get node "$node" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}')
	run "$KNET" who "$nip" -o json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg n "$node" '.items[] | select(.kind == "node") | .name == $n'
	run --separate-stderr "$KNET" who 203.0.113.77
	[ "$status" -eq 3 ]
	[ "$stderr" = "knet: cannot look up '203.0.113.77': no pod, service, endpoint or node has this address" ]
	run "$KNET" who not-an-ip
	[ "$status" -eq 2 ]
}

@test "who: a namespaced viewer finds the pods of its namespace" {
	pod=$(kc -n web get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
	ip=$(kc -n web get pod "$pod" -o jsonpath='{.status.podIP}')
	run --separate-stderr "$KNET" --kubeconfig "$KNET_LAB_VIEWER_KUBECONFIG" -n web who "$ip" -o json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg p "$pod" '.items[] | select(.kind == "pod") | .name == $p'
}

@test "namespace comes from the context unless -n; -n and -A exclude each other" {
	cfg=$BATS_TEST_TMPDIR/kc
	sed 's/namespace: default/namespace: web/' "$KUBECONFIG" > "$cfg"
	run "$KNET" --kubeconfig "$cfg" pods -o name
	[ "$status" -eq 0 ]
	[[ $output == *"pod/web-"* ]]
	run "$KNET" -n web -A pods
	[ "$status" -eq 2 ]
}

@test "-v logs each request (method, URL, status, time) to stderr only" {
	run --separate-stderr "$KNET" -v -n web pods -o name
	[ "$status" -eq 0 ]
	[[ $stderr == *"GET https://"*"/api/v1/namespaces/web/pods?limit=500 200 in "*" ms"* ]]
	[[ $output != *GET* ]]
}

# Production-shaped pods (bench/prod-pods.py) in a namespace of this file's
# own, gone again at the end.
PROTO_NS=knet-proto-bats

teardown_file() {
	cd "$BATS_TEST_DIRNAME/.."
	eval "$(tests/lab/lab env)"
	bench/prod-pods.py "$PROTO_NS" --delete > /dev/null 2>&1 || true
	bench/prod-pods.py knet-proto-watch --delete > /dev/null 2>&1 || true
}

@test "--api-encoding: pods over protobuf and over JSON give the same objects, byte for byte" {
	bench/prod-pods.py "$PROTO_NS" 12
	# The table's AGE (column 8) may tick between two runs: left out.
	for fmt in json wide; do
		for enc in json protobuf auto; do
			"$KNET" pods -A -o "$fmt" --api-encoding "$enc" |
				if [ "$fmt" = wide ]; then awk '{ $8 = ""; print }'; else cat; fi \
				> "$BATS_TEST_TMPDIR/$enc"
		done
		[ "$(wc -l < "$BATS_TEST_TMPDIR/json")" -gt 12 ]
		cmp "$BATS_TEST_TMPDIR/json" "$BATS_TEST_TMPDIR/protobuf"
		cmp "$BATS_TEST_TMPDIR/json" "$BATS_TEST_TMPDIR/auto"
	done
	# The shapes are all there: init, crash loop, completed, not ready.
	grep -q 'Init:0/1' "$BATS_TEST_TMPDIR/protobuf"
	grep -q 'CrashLoopBackOff' "$BATS_TEST_TMPDIR/protobuf"
	grep -q 'Completed' "$BATS_TEST_TMPDIR/protobuf"
	for pod in prod-00002 prod-00003; do
		a=$("$KNET" -n "$PROTO_NS" pods "$pod" -o json --api-encoding json)
		b=$("$KNET" -n "$PROTO_NS" pods "$pod" -o json --api-encoding protobuf)
		[ "$a" = "$b" ]
	done
	# The name tables (who) read pods the same way.
	ip=$(jq -r '.items[0].ips[0]' <<<"$b")
	a=$("$KNET" who "$ip" -o json --api-encoding json)
	b=$("$KNET" who "$ip" -o json --api-encoding protobuf)
	[ "$a" = "$b" ]
}

@test "--api-encoding: services, endpoints, nodes, namespaces, ingresses over protobuf and over JSON are the same" {
	kc create namespace "$PROTO_NS" 2>/dev/null || true
	kc -n "$PROTO_NS" apply -f - <<-EOF
	apiVersion: v1
	kind: List
	items:
	- apiVersion: v1
	  kind: Service
	  metadata: {name: lb, labels: {app: lb, empty: ""}}
	  spec:
	    type: LoadBalancer
	    selector: {app: prod}
	    externalIPs: [198.18.250.1, 198.18.250.2]
	    sessionAffinity: ClientIP
	    externalTrafficPolicy: Local
	    ports:
	    - {name: http, port: 80, targetPort: http, protocol: TCP, appProtocol: http}
	    - {name: alt, port: 8443, targetPort: 8443, protocol: TCP}
	- apiVersion: v1
	  kind: Service
	  metadata: {name: ext}
	  spec: {type: ExternalName, externalName: db.example.com}
	- apiVersion: v1
	  kind: Service
	  metadata: {name: headless}
	  spec: {clusterIP: None, selector: {app: prod}, ports: [{port: 8080}]}
	- apiVersion: networking.k8s.io/v1
	  kind: Ingress
	  metadata:
	    name: shop
	    annotations: {kubernetes.io/ingress.class: old-style}
	  spec:
	    defaultBackend: {resource: {apiGroup: example.com, kind: Bucket, name: static}}
	    tls: [{hosts: [a.example, b.example], secretName: tls-ab}, {hosts: [c.example]}]
	    rules:
	    - host: a.example
	      http:
	        paths:
	        - {path: /, pathType: Prefix, backend: {service: {name: lb, port: {name: http}}}}
	        - {path: /x, pathType: Exact, backend: {service: {name: headless, port: {number: 8080}}}}
	    - http:
	        paths:
	        - {path: /any, pathType: ImplementationSpecific, backend: {service: {name: lb, port: {number: 80}}}}
	EOF
	svc_ip=$(kc -n web get svc web -o jsonpath='{.spec.clusterIP}')
	for cmd in "services -A -o json" "services -A -o wide" "nodes -o json" \
		"services -n $PROTO_NS lb -o json" "nodes node-a -o json" \
		"policy matrix -A -o json" "endpoints -A -o json" \
		"endpoints -n web web -o wide" "who $svc_ip -o json" \
		"ingress -A -o json" "ingress -A -o wide" "ingress -n $PROTO_NS shop -o json"; do
		# shellcheck disable=SC2086
		a=$("$KNET" $cmd --api-encoding json | sed 's/  *[0-9]*[smhd] / AGE /g')
		# shellcheck disable=SC2086
		b=$("$KNET" $cmd --api-encoding protobuf | sed 's/  *[0-9]*[smhd] / AGE /g')
		[ -n "$a" ]
		[ "$a" = "$b" ] || { echo "differs: $cmd"; diff <(echo "$a") <(echo "$b"); false; }
	done
	run --separate-stderr "$KNET" -v services -A --api-encoding auto
	[[ $stderr == *"/api/v1/services?limit=500 200 "*", protobuf"* ]]
	run --separate-stderr "$KNET" -v nodes --api-encoding auto
	[[ $stderr == *"/api/v1/nodes?limit=500 200 "*", protobuf"* ]]
	run --separate-stderr "$KNET" -v endpoints -A --api-encoding auto
	[[ $stderr == *"/endpointslices?limit=500 200 "*", protobuf"* ]]
	run --separate-stderr "$KNET" -v ingress -A --api-encoding auto
	[[ $stderr == *"/ingresses?limit=500 200 "*", protobuf"* ]]
	[[ $output == *"old-style"* ]]
}

@test "--api-encoding: -v says which encoding each answer had; a 404 in protobuf reads as one in JSON" {
	run --separate-stderr "$KNET" -v -n web pods -o name --api-encoding protobuf
	[ "$status" -eq 0 ]
	[[ $stderr == *"/api/v1/namespaces/web/pods?limit=500 200 in "*", protobuf"* ]]
	run --separate-stderr "$KNET" -vv -n web pods -o name --api-encoding auto
	[[ $stderr == *"Accept: application/vnd.kubernetes.protobuf, application/json"* ]]
	[[ $stderr == *", protobuf"* ]]
	run --separate-stderr "$KNET" -v -n web pods -o name --api-encoding json
	[ "$status" -eq 0 ]
	[[ $stderr == *"200 in "*", json"* ]]
	[[ $stderr != *protobuf* ]]
	run --separate-stderr "$KNET" -n web pods no-such-pod --api-encoding protobuf
	[ "$status" -eq 3 ]
	[ "$stderr" = "knet: cannot get pod 'web/no-such-pod': pods \"no-such-pod\" not found" ]
	run "$KNET" pods --api-encoding xml
	[ "$status" -eq 2 ]
}

@test "--api-encoding: pods -w streams the same events over protobuf as over JSON" {
	ns=knet-proto-watch
	"$KNET" -n "$ns" pods -w -o json --api-encoding json > "$BATS_TEST_TMPDIR/json" &
	j=$!
	"$KNET" -vv -n "$ns" pods -w -o json --api-encoding protobuf \
		> "$BATS_TEST_TMPDIR/pb" 2> "$BATS_TEST_TMPDIR/pb.err" &
	p=$!
	sleep 1.5
	bench/prod-pods.py "$ns" 4
	sleep 1
	bench/prod-pods.py "$ns" --delete
	sleep 2
	kill -INT "$j" "$p"
	wait "$j"
	wait "$p"
	grep -q 'watch: protobuf stream' "$BATS_TEST_TMPDIR/pb.err"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/json")" -ge 8 ]
	cmp "$BATS_TEST_TMPDIR/json" "$BATS_TEST_TMPDIR/pb"
}
