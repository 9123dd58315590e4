#!/usr/bin/env bats
# The node pipeline's fan-out: --all-nodes and --nodes SELECTOR on netns,
# conntrack, capture, flows and svc trace, over the lab's three nodes
# through its transport (ip netns exec lab-{node}).

bats_require_minimum_version 1.5.0

load node-helpers

setup_file() { node_setup_file; }
setup() {
	node_env
	D=$BATS_TEST_TMPDIR
	# every node of the lab (3 unless KNET_LAB_NODES says otherwise)
	ALL=$(k get nodes -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' | sort | paste -sd' ')
	[ -n "$ALL" ]
	ALL_BUT_B=$(echo "$ALL" | tr ' ' '\n' | grep -vx node-b | paste -sd' ')
}

# A transport that fails for node-b only: its netns does not exist.
broken_via() {
	cat >"$D/via" <<'EOF'
#!/bin/sh
node=$1
shift
[ "$node" = node-b ] && node=missing-b
exec ip netns exec "lab-$node" "$@"
EOF
	chmod +x "$D/via"
	echo "$D/via {node}"
}

# "node path" of every namespace a `netns -o json` document lists.
ns_of() { jq -r '.items[] | "\(.node) \(.path)"' | sort; }

@test "netns --all-nodes: every node's rows, as each node lists its own" {
	run --separate-stderr on_a netns --all-nodes -o json
	[ "$status" -eq 0 ]
	echo "$output" >"$D/all.json"
	jq -e '.errors == []' "$D/all.json"
	[ "$(jq -r '[.items[].node] | unique | join(" ")' "$D/all.json")" = "$ALL" ]
	# every row has its node
	jq -e '.items | length > 0 and all(.node != null)' "$D/all.json"
	for n in $ALL; do
		# the node's own answer: its namespaces, found there
		want=$(tests/lab/lab run "$n" -- "$KNET" netns -o json | jq -r '.items[].path' | sort)
		got=$(jq -r --arg n "$n" '.items[] | select(.node == $n) | .path' "$D/all.json" | sort)
		[ -n "$want" ]
		[ "$got" = "$want" ]
	done
	# a table has the NODE column without -o wide
	run --separate-stderr on_a netns --all-nodes
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *NODE* ]]
	[ "$(printf '%s\n' "${lines[@]:1}" | awk '{print $NF}' | sort -u | paste -sd' ')" = "$ALL" ]
}

@test "netns --all-nodes from a host that is no node: every node through the transport, the same rows" {
	run --separate-stderr "$KNET" netns --all-nodes -o json
	[ "$status" -eq 0 ]
	got=$(echo "$output" | ns_of)
	want=$(on_a netns --all-nodes -o json | ns_of)
	[ -n "$got" ]
	[ "$got" = "$want" ]
	# one at a time: the same answer
	run --separate-stderr "$KNET" netns --all-nodes --max-parallel 1 -o json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | ns_of)" = "$want" ]
}

@test "--nodes SELECTOR: only the nodes with those labels" {
	run --separate-stderr on_a netns --nodes kubernetes.io/hostname=node-b -o json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '[.items[].node] | unique | join(" ")')" = node-b ]
	want=$(tests/lab/lab run node-b -- "$KNET" netns -o json | jq -r '.items[].path' | sort)
	[ "$(echo "$output" | jq -r '.items[].path' | sort)" = "$want" ]
	run --separate-stderr on_a netns --nodes 'kubernetes.io/hostname in (node-a,node-c)' -o json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '[.items[].node] | unique | join(" ")')" = "node-a node-c" ]
}

@test "a node that fails is named with its reason; the others' rows stay (exit 1)" {
	via=$(broken_via)
	run --separate-stderr on_a --via "$via" netns --all-nodes -o json
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"knet: cannot run on node 'node-b': "*"lab-missing-b"* ]]
	[ "$(echo "$stderr" | grep -c node-b)" -eq 1 ]
	echo "$output" | jq -e '.errors | length == 1 and .[0].node == "node-b" and (.[0].reason | contains("lab-missing-b"))'
	[ "$(echo "$output" | jq -r '[.items[].node] | unique | join(" ")')" = "$ALL_BUT_B" ]
	want=$(on_a netns --all-nodes -o json | ns_of | grep -v '^node-b ')
	[ "$(echo "$output" | ns_of)" = "$want" ]
	# a table too: rows of node-a and node-c, the line on stderr
	run --separate-stderr on_a --via "$via" netns --all-nodes
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "${lines[@]:1}" | awk '{print $NF}' | sort -u | paste -sd' ')" = "$ALL_BUT_B" ]
	[[ "$stderr" == *"knet: cannot run on node 'node-b': "* ]]
	# every node failing: no rows, the failure's exit status (5)
	cat >"$D/none" <<'EOF'
#!/bin/sh
exec ip netns exec "lab-missing-$1"
EOF
	chmod +x "$D/none"
	run --separate-stderr "$KNET" --via "$D/none {node}" netns --all-nodes -o json
	[ "$status" -eq 5 ]
	[ -z "$output" ]
	[ "$(echo "$stderr" | grep -c "^knet: cannot run on node ")" -eq "$(echo "$ALL" | wc -w)" ]
}

@test "through k8s without agents: the other nodes named with the reason, this node's rows stay (1), nothing made" {
	ns=knet-fan-none-$$
	run --separate-stderr env KNET_VIA=k8s KNET_AGENT_NAMESPACE="$ns" \
		tests/lab/lab run node-a -- "$KNET" netns --all-nodes -o json
	[ "$status" -eq 1 ]
	others=$(echo "$ALL" | tr ' ' '\n' | grep -vx node-a)
	# each other node once on stderr, with the words of the agent lookup
	for n in $others; do
		[ "$(echo "$stderr" | grep -c "'$n'")" -eq 1 ]
		[[ "$stderr" == *"knet: cannot run on node '$n': cannot find the agent pod of node '$n': the agent namespace '$ns' does not exist: run 'knet agent install'"* ]]
	done
	echo "$output" | jq -e --argjson n "$(echo "$others" | wc -w)" '.errors | length == $n and all(.reason | contains("does not exist"))'
	# node-a (no transport) answered, as on its own
	[ "$(echo "$output" | jq -r '[.items[].node] | unique | join(" ")')" = node-a ]
	want=$(tests/lab/lab run node-a -- "$KNET" netns -o json | jq -r '.items[].path' | sort)
	[ "$(echo "$output" | jq -r '.items[].path' | sort)" = "$want" ]
	# no namespace, no pod made for it
	run k get namespace "$ns"
	[ "$status" -ne 0 ]
}

@test "bad selector (2), no node matches (3), options that do not go together (2)" {
	run --separate-stderr on_a netns --nodes 'role in (a'
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == "knet: --nodes: 'role in (a' is not a label selector: "*"; try 'knet help netns'" ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	run --separate-stderr on_a netns --nodes 'knet.test/none=x'
	[ "$status" -eq 3 ]
	[ "$stderr" = "knet: cannot find nodes 'knet.test/none=x': no node matches" ]
	run --separate-stderr on_a netns --all-nodes --nodes a=b
	[ "$status" -eq 2 ]
	run --separate-stderr on_a netns --all-nodes client/client
	[ "$status" -eq 2 ]
	run --separate-stderr on_a netns --max-parallel 2
	[ "$status" -eq 2 ]
	[[ "$stderr" == "knet: --max-parallel goes with --all-nodes or --nodes; try 'knet help netns'" ]]
	run --separate-stderr on_a conntrack --all-nodes -E
	[ "$status" -eq 2 ]
	run --separate-stderr on_a conntrack --all-nodes client/client
	[ "$status" -eq 2 ]
	# a capture refused leaves no file
	run --separate-stderr on_a capture --nodes '=x' -c 1 -w "$D/no.pcapng"
	[ "$status" -eq 2 ]
	[ ! -e "$D/no.pcapng" ]
	run --separate-stderr on_a capture --nodes 'knet.test/none=x' -c 1 -w "$D/no.pcapng"
	[ "$status" -eq 3 ]
	[ ! -e "$D/no.pcapng" ]
}

@test "conntrack --all-nodes: after traffic, entries from two nodes, each with its node" {
	web_b=$WEB_B
	ip=$(pod_ip web "$web_b")
	port=$((30000 + RANDOM % 20000))
	# client (node-a) to a pod on node-b: both nodes track it
	tests/lab/lab pod-exec client/client -- curl -s --max-time 5 --local-port "$port" "http://$ip:8080/" >/dev/null
	run --separate-stderr on_a conntrack --all-nodes -o json
	[ "$status" -eq 0 ]
	echo "$output" | jq -se 'map(select(.type == "entry")) | length > 0 and all(.node != null)'
	# a note every node gives is one line naming them all
	[ "$(echo "$stderr" | grep -c 'note: no packet or byte counters')" -le 1 ]
	bad=$(echo "$stderr" | grep 'note: no packet or byte counters' | grep -cv "^knet: nodes ${ALL// /, }: " || true)
	[ "$bad" -eq 0 ]
	[ "$(echo "$output" | jq -r 'select(.type == "entry") | .node' | sort -u | paste -sd' ')" = "$ALL" ]
	cip=$(pod_ip client client)
	for n in node-a node-b; do
		echo "$output" | jq -se --arg n "$n" --arg c "$cip" --arg ip "$ip" --argjson p "$port" \
			'any(.[]; .node == $n and .orig_src == $c and .orig_sport == $p and .orig_dst == $ip)'
	done
	# node-c saw none of it (the whole tuple: another flow of node-c's,
	# to its kubelet API say, may have the same random source port)
	echo "$output" | jq -se --argjson p "$port" --arg c "$cip" --arg ip "$ip" \
		'any(.[]; .node == "node-c" and .orig_src == $c and .orig_sport == $p and .orig_dst == $ip) | not'
	# the table: NODE first
	run --separate-stderr on_a conntrack --all-nodes --sport "$port" --dst "$ip"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == NODE* ]]
	[ "$(printf '%s\n' "${lines[@]:1}" | awk '{print $1}' | sort -u | paste -sd' ')" = "node-a node-b" ]
	# a failing node: a JSON line of type error, the others' entries
	run --separate-stderr on_a --via "$(broken_via)" conntrack --all-nodes -o json
	[ "$status" -eq 1 ]
	echo "$output" | jq -se 'map(select(.type == "error")) | length == 1 and .[0].node == "node-b"'
	[ "$(echo "$output" | jq -r 'select(.type == "entry") | .node' | sort -u | paste -sd' ')" = "$ALL_BUT_B" ]
}

@test "capture --all-nodes: one pcapng, an interface per node" {
	web_b=$WEB_B
	ip=$(pod_ip web "$web_b")
	(sleep 2; tests/lab/lab pod-exec client/client -- ping -c 10 -i 0.2 "$ip" >/dev/null) &
	run --separate-stderr timeout 60 tests/lab/lab run node-a -- "$KNET" capture --all-nodes -c 40 --duration 20 -w "$D/f.pcapng" icmp
	wait
	[ "$status" -eq 0 ]
	capinfos -I "$D/f.pcapng" >"$D/info"
	for n in $ALL; do
		grep -q "Description = node $n, interface any" "$D/info"
	done
	[ "$(tshark -r "$D/f.pcapng" 2>/dev/null | wc -l)" -eq 40 ]
	# the whole ping, by time: seen on node-a and on node-b, not node-c
	(sleep 2; tests/lab/lab pod-exec client/client -- ping -c 10 -i 0.2 "$ip" >/dev/null) &
	run --separate-stderr timeout 60 tests/lab/lab run node-a -- "$KNET" capture --all-nodes --duration 7 -w "$D/t.pcapng" icmp
	wait
	[ "$status" -eq 0 ]
	tshark -r "$D/t.pcapng" -T fields -e frame.interface_name -e icmp.type 2>/dev/null | sort | uniq -c >"$D/ifs"
	cat "$D/ifs"
	# each node sees the 10 requests (type 8) on eth0, cni0 and the veth
	for n in node-a node-b; do
		[ "$(awk -v i="node/$n/any" '$2 == i && $3 == 8 {print $1}' "$D/ifs")" -ge 10 ]
	done
	[ -z "$(awk '$2 == "node/node-c/any"' "$D/ifs")" ]
	# --nodes: only those
	run --separate-stderr timeout 60 tests/lab/lab run node-a -- "$KNET" capture --nodes kubernetes.io/hostname=node-c --duration 2 -w "$D/c.pcapng"
	[ "$status" -eq 0 ]
	[ "$(capinfos -I "$D/c.pcapng" | grep -c 'Description = ')" -eq 1 ]
	capinfos -I "$D/c.pcapng" | grep -q "Description = node node-c, interface any"
}

@test "flows --all-nodes: one flow list from every node" {
	web_b=$WEB_B
	ip=$(pod_ip web "$web_b")
	(sleep 2; tests/lab/lab pod-exec client/client -- curl -s --max-time 5 "http://$ip:8080/" >/dev/null) &
	run --separate-stderr timeout 60 tests/lab/lab run node-a -- "$KNET" flows --all-nodes --once 5 -o json
	wait
	[ "$status" -eq 0 ]
	cip=$(pod_ip client client)
	echo "$output" | jq -e --arg c "$cip" --arg ip "$ip" 'any(.items[]; .src == $c and .dst == $ip and .dport == 8080)'
	run --separate-stderr on_a flows --all-nodes client/client --once 1
	[ "$status" -eq 2 ]
}

@test "svc trace --all-nodes: kube-proxy and conntrack on every node" {
	run --separate-stderr on_a -n web svc trace web --all-nodes -o json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r 'select(.event == "summary") | .node' | paste -sd' ')" = "$ALL" ]
	for n in $ALL; do
		echo "$output" | jq -se --arg n "$n" 'any(.[]; .event == "layer" and .layer == "kube-proxy" and .node == $n and .status == "ok" and (.detail | contains("on " + $n)))'
	done
	run --separate-stderr on_a -n web svc trace web --all-nodes --on node-b
	[ "$status" -eq 2 ]
}

@test "Ctrl-C: the nodes that answered are shown, the one still running is named, nothing is left" {
	cat >"$D/slow" <<'EOF2'
#!/bin/sh
node=$1
shift
[ "$node" = node-b ] && sleep 30
exec ip netns exec "lab-$node" "$@"
EOF2
	chmod +x "$D/slow"
	"$KNET" --via "$D/slow {node}" netns --all-nodes -o json >"$D/out" 2>"$D/err" &
	pid=$!
	sleep 2
	kill -INT "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 1 ]
	grep -qx "knet: cannot run on node 'node-b': ended by signal 2" "$D/err"
	jq -e '.errors == [{"node": "node-b", "reason": "ended by signal 2"}]' "$D/out"
	[ "$(jq -r '[.items[].node] | unique | join(" ")' "$D/out")" = "$ALL_BUT_B" ]
	run ! pgrep -f "$D/slow"
}

# The agents a test installed (AGENT_NS), removed however it ended.
teardown() {
	[ -z "${AGENT_NS:-}" ] || "$KNET" agent remove -n "$AGENT_NS" >/dev/null
}

@test "through k8s, Ctrl-C: the stop byte on the stream still running; the nodes that answered are shown, nothing is left" {
	AGENT_NS=knet-fan-stop-$$
	# node-b's remote run waits for its stop byte, as --stop-on-stdin
	cat >"$D/agent-knet" <<EOF2
#!/bin/sh
case " \$* " in *" --node node-b "*)
	head -c 1 >/dev/null
	echo "knet: stopped by the byte" >&2
	exit 130 ;;
esac
exec "$KNET" "\$@"
EOF2
	chmod +x "$D/agent-knet"
	"$KNET" agent install -n "$AGENT_NS" >/dev/null
	n=$(echo "$ALL" | wc -w)
	for _ in $(seq 90); do
		[ "$("$KNET" agent status -n "$AGENT_NS" -o json | jq '[.items[] | select(.ready)] | length')" -eq "$n" ] && break
		sleep 1
	done
	# from a host that is no node: every node through k8s
	KNET_VIA=k8s KNET_AGENT_NAMESPACE="$AGENT_NS" KNET_AGENT_KNET="$D/agent-knet" \
		"$KNET" netns --all-nodes -o json >"$D/out" 2>"$D/err" &
	pid=$!
	for _ in $(seq 60); do
		pgrep -f "$D/agent-knet .*--node node-b" >/dev/null && break
		sleep 0.5
	done
	pgrep -f "$D/agent-knet .*--node node-b" >/dev/null
	sleep 3 # the other nodes answer meanwhile
	kill -INT "$pid"
	st=0
	wait "$pid" || st=$?
	cat "$D/err"
	[ "$st" -eq 1 ]
	grep -qx "knet: cannot run on node 'node-b': stopped by the byte" "$D/err"
	jq -e '.errors == [{"node": "node-b", "reason": "stopped by the byte"}]' "$D/out"
	[ "$(jq -r '[.items[].node] | unique | join(" ")' "$D/out")" = "$ALL_BUT_B" ]
	run ! pgrep -f "$D/agent-knet"
}
