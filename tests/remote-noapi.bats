#!/usr/bin/env bats
# Remote runs whose other end has no API (issue 16: the k8s transport's
# agent holds no credentials), tested with KNET_VIA_NO_API=1 over the
# lab's own transport: every node command on a pod of node-b, run from
# node-a, against the same command's ordinary remote run.
#
# The no-API transport is a wrapper around `ip netns exec lab-{node}`
# that records the remote command line and takes KUBECONFIG away: the
# remote knet has no kubeconfig at all, so whatever it shows came from
# the caller.
#
# tests/k8s-transport.bats is this file under another name: there the
# second run of every test goes through the real k8s transport instead
# (pods/exec through the apiserver into the agent pods of `knet agent
# install`), the agent's knet wrapped the same way to record its line.

bats_require_minimum_version 1.5.0

load node-helpers

setup_file() {
	node_setup_file
	T=$BATS_FILE_TMPDIR
	cat >"$T/via" <<-'SH'
	#!/bin/sh
	# via NODE CMD...: record CMD, run it on NODE without a kubeconfig
	node=$1
	shift
	printf '%s\n' "$@" >"${0%/*}/argv"
	exec env -u KUBECONFIG HOME=/nonexistent ip netns exec "lab-$node" "$@"
	SH
	chmod +x "$T/via"
	export NOAPI_VIA="$T/via {node}"
	if k8s_mode; then
		# KNET_AGENT_KNET: what the relay runs in the agent pod: this
		# checkout's knet, or the one given (make agent-image-check:
		# the agent image's, tests/agent-image-knet).
		cat >"$T/agent-knet" <<-SH
		#!/bin/sh
		printf '%s\n' "\$@" >"$T/argv"
		exec env -u KUBECONFIG HOME=/nonexistent "${KNET_AGENT_KNET:-$KNET}" "\$@"
		SH
		chmod +x "$T/agent-knet"
		export NOAPI_VIA=k8s KNET_AGENT_KNET="$T/agent-knet"
		"$KNET" agent install >&2
		retry "$KNET" agent status >&2
	fi
	WEB_B_IP=$(pod_ip web "$WEB_B")
	WEB_C_IP=$(pod_ip web "$WEB_C")
	export WEB_B_IP WEB_C_IP
}

teardown_file() {
	if k8s_mode; then
		node_env
		"$KNET" agent remove >&2
	fi
}

setup() {
	node_env
	T=$BATS_FILE_TMPDIR
}

k8s_mode() { [ "${BATS_TEST_FILENAME##*/}" = k8s-transport.bats ]; }

# The ordinary remote run, and the one without an API, of "$@" on node-a:
# stdout in $T/plain and $T/noapi, exit statuses in $plain and $noapi.
both() {
	plain=0
	noapi=0
	on_a "$@" >"$T/plain" 2>"$T/plain.err" || plain=$?
	KNET_VIA="$NOAPI_VIA" KNET_VIA_NO_API=1 on_a "$@" >"$T/noapi" \
		2>"$T/noapi.err" || noapi=$?
	echo "plain=$plain noapi=$noapi: $*"
	sed 's/^/plain: /' "$T/plain.err"
	sed 's/^/noapi: /' "$T/noapi.err"
	# a run that failed: its last lines too (a ping's summary says why)
	[ "$plain" -eq 0 ] || tail -n 5 "$T/plain" | sed 's/^/plain out: /'
	[ "$noapi" -eq 0 ] || tail -n 5 "$T/noapi" | sed 's/^/noapi out: /'
}

# Until pod $1 reaches $2 by the lab's own ping (10 tries): the path is
# there before knet is judged on it.  A CI run once had no answer to
# three probes of the first ping here, and an answer to the next run's.
pod_reaches() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		tests/lab/lab pod-exec "$1" -- ping -c 1 -W 1 "$2" >/dev/null 2>&1 &&
			return 0
	done
	echo "pod $1 does not reach $2 (the lab's ping)" >&2
	return 1
}

# The remote command line of the last run had no API and its facts.
remote_had_no_api() {
	grep -qx -- --no-api "$T/argv"
	grep -qx -- --src-fact "$T/argv"
	run ! grep -Eqx -- '--(kubeconfig|context|token|request-timeout)(=.*)?' "$T/argv"
}

@test "the wrapper really takes the API away: an ordinary remote run fails" {
	rm -f "$T/argv"
	run --separate-stderr env KNET_VIA="$NOAPI_VIA" tests/lab/lab run node-a -- \
		"$KNET" netns "web/$WEB_B" -o json
	if k8s_mode; then
		# Through k8s the remote run never gets the API: no
		# KNET_VIA_NO_API needed, and it works.
		[ "$status" -eq 0 ]
		grep -qx -- --no-api "$T/argv"
		grep -qx -- --stop-on-stdin "$T/argv"
		return
	fi
	[ "$status" -ne 0 ]
	[ -n "$stderr" ]
	run ! grep -qx -- --no-api "$T/argv"
}

@test "netns POD on another node: the same namespace, found by cgroup" {
	both netns "web/$WEB_B" -o json
	[ "$plain" -eq 0 ]
	[ "$noapi" -eq 0 ]
	remote_had_no_api
	jq -e ".items[0].pod == \"web/$WEB_B\" and .items[0].found_by == \"cgroup\"" "$T/noapi"
	[ "$(jq -c .items "$T/plain")" = "$(jq -c .items "$T/noapi")" ]
	nothing_left
}

@test "exec POD -- CMD: the pod's address, and its exit status" {
	both exec "web/$WEB_B" -- ip -4 -o addr show eth0
	[ "$plain" -eq 0 ]
	[ "$noapi" -eq 0 ]
	remote_had_no_api
	grep -q "inet $WEB_B_IP/" "$T/noapi"
	cmp "$T/plain" "$T/noapi"
	both exec "web/$WEB_B" -- sh -c 'exit 7'
	[ "$plain" -eq 7 ]
	[ "$noapi" -eq 7 ]
}

@test "the caller's API options do not travel, its -v does" {
	KNET_VIA="$NOAPI_VIA" KNET_VIA_NO_API=1 on_a --kubeconfig "$KUBECONFIG" \
		--request-timeout 20s -v exec "web/$WEB_B" -- true
	remote_had_no_api
	grep -qx -- -v "$T/argv"
	grep -qx -- "--node" "$T/argv"
	[ "$(grep -A1 -x -- --node "$T/argv" | tail -1)" = node-b ]
}

@test "ping --from POD: a pod, a Service and an IP give the same summary" {
	pod_reaches "web/$WEB_B" "$WEB_C_IP"
	for target in "web/$WEB_C" svc/web/web "$WEB_C_IP"; do
		# Three probes, each waited for 3 s: exit 0 needs one answer,
		# and a loaded CI machine once had none of two (plain=1).
		both -o json ping -c 3 -i 0.2 -W 3 --from "web/$WEB_B" "$target"
		[ "$plain" -eq 0 ]
		[ "$noapi" -eq 0 ]
		remote_had_no_api
		f='select(.event == "summary") | [.target, .ip, .source, .mode, .sent]'
		[ "$(jq -c "$f" "$T/plain")" = "$(jq -c "$f" "$T/noapi")" ]
		jq -e 'select(.event == "summary") | .received > 0' "$T/noapi"
	done
	# the Service through its ClusterIP, probed on its TCP port
	both -o json ping -c 1 --from "web/$WEB_B" svc/web/web
	jq -e "select(.event == \"summary\") | .mode == \"tcp\" and .ip == \"$(k -n web get svc web -o jsonpath='{.spec.clusterIP}')\"" "$T/noapi"
	grep -qx -- --target-fact "$T/argv"
}

@test "ping --from POD to an unknown pod: not found here, nothing runs there" {
	rm -f "$T/argv"
	both -o json ping -c 1 --from "web/$WEB_B" web/nope
	[ "$plain" -eq 3 ]
	[ "$noapi" -eq 3 ]
	[ "$(wc -l <"$T/noapi.err")" -eq 1 ]
	grep -q "^knet: cannot resolve 'web/nope'" "$T/noapi.err"
	[ ! -e "$T/argv" ]
}

@test "traceroute --from POD: hops named here, as the remote run names them" {
	both -o json traceroute -q 1 -w 1 --from "web/$WEB_B" "web/$WEB_C"
	[ "$plain" -eq 0 ]
	[ "$noapi" -eq 0 ]
	remote_had_no_api
	f='[.hop, .addresses, .name]'
	[ "$(jq -c "$f" "$T/plain")" = "$(jq -c "$f" "$T/noapi")" ]
	jq -e "select(.reached) | .name == \"pod web/$WEB_C\"" "$T/noapi"
	jq -se 'map(select(.hop == 1))[0].name == "node node-b (pod gateway)"' "$T/noapi"
}

# Entries of both runs with the same conntrack id, as their names.
ct_names() {
	jq -c '[.id, .source, .destination, .translation, .orig_src_name, .orig_dst_name, .reply_src_name, .reply_dst_name]' "$1" | sort
}

@test "conntrack POD and node/NAME: entries named here as there" {
	# a flow from client/client (node-a) to the pod on node-b
	on_a ping -c 2 -i 0.2 --from client/client "$WEB_B_IP:8080" >/dev/null
	for target in "web/$WEB_B" node/node-b; do
		both -o json conntrack "$target"
		[ "$plain" -eq 0 ]
		[ "$noapi" -eq 0 ]
		ct_names "$T/plain" >"$T/a"
		ct_names "$T/noapi" >"$T/b"
		# entries come and go between the two dumps: the common ones
		join <(jq -r '.[0]' "$T/a" | sort) <(jq -r '.[0]' "$T/b" | sort) >"$T/ids"
		[ "$(wc -l <"$T/ids")" -gt 0 ]
		while read -r id; do
			[ "$(grep "^\[$id," "$T/a")" = "$(grep "^\[$id," "$T/b")" ]
		done <"$T/ids"
		echo "target $target"
		jq -se "map(select(.orig_src_name == \"client/client\")) | length > 0 and all(.source | startswith(\"client/client\"))" "$T/noapi"
	done
	grep -qx -- --no-api "$T/argv"
	nothing_left
}

@test "capture POD: the pcapng names the pod, node and IP in its IDB" {
	both capture -c 2 -w "$T/x.pcapng" "web/$WEB_B"
	[ "$plain" -eq 0 ]
	[ "$noapi" -eq 0 ]
	remote_had_no_api
	desc=$(tshark -r "$T/x.pcapng" -T fields -e frame.interface_description 2>/dev/null | sort -u)
	[ "$desc" = "pod web/$WEB_B on node node-b, IP $WEB_B_IP, interface eth0" ]
	on_a capture -c 2 -w "$T/y.pcapng" "web/$WEB_B" 2>/dev/null
	[ "$(tshark -r "$T/y.pcapng" -T fields -e frame.interface_description 2>/dev/null | sort -u)" = "$desc" ]
}

# Each packet's length and bytes, as tshark reads them (not its time:
# two sockets may stamp the same packet a microsecond apart).
packets_of() {
	tshark -r "$1" -T fields -e frame.len -e frame.cap_len 2>/dev/null
	tshark -r "$1" -x 2>/dev/null
}

@test "capture POD through the transport: the same packets, byte for byte, as a capture on its node" {
	# Both capture the same ICMP exchange at once: one on node-b
	# itself, one from node-a through the transport.
	tests/lab/lab run node-b -- "$KNET" capture -c 12 -w "$T/here.pcapng" \
		"web/$WEB_B" icmp 2>/dev/null &
	local here=$!
	KNET_VIA="$NOAPI_VIA" KNET_VIA_NO_API=1 on_a capture -c 12 \
		-w "$T/there.pcapng" "web/$WEB_B" icmp 2>/dev/null &
	local there=$!
	sleep 2
	on_a ping -c 6 -i 0.2 --from "web/$WEB_C" "$WEB_B_IP" >/dev/null
	wait "$here"
	wait "$there"
	packets_of "$T/here.pcapng" >"$T/here.txt"
	packets_of "$T/there.pcapng" >"$T/there.txt"
	# 12 ICMP packets of the pod's (not an empty pair of files).
	[ "$(tshark -r "$T/here.pcapng" -Y "icmp && ip.addr == $WEB_B_IP" 2>/dev/null | wc -l)" -eq 12 ]
	diff "$T/here.txt" "$T/there.txt"
}

@test "netns --all-nodes: rows named here, the same as every node's own" {
	both -o json netns --all-nodes
	[ "$plain" -eq 0 ]
	[ "$noapi" -eq 0 ]
	grep -qx -- --no-api "$T/argv"
	jq -c '.items[] | [.node, .pod, .found_by]' "$T/plain" | sort >"$T/plain.rows"
	jq -c '.items[] | [.node, .pod, .found_by]' "$T/noapi" | sort >"$T/noapi.rows"
	# every node answered, and each web pod is on its own node's list
	[ "$(jq -r '.items[].node' "$T/noapi" | sort -u | tr '\n' ' ')" = "node-a node-b node-c " ]
	grep -qx "\[\"node-b\",\"web/$WEB_B\",\"cgroup\"\]" "$T/noapi.rows"
	grep -qx "\[\"node-c\",\"web/$WEB_C\",\"cgroup\"\]" "$T/noapi.rows"
	diff "$T/plain.rows" "$T/noapi.rows"
	[ "$(jq '.errors | length' "$T/noapi")" -eq 0 ]
}

@test "capture, flows --all-nodes without an API there: every node, one stream" {
	(sleep 2; tests/lab/lab pod-exec client/client -- ping -c 10 -i 0.2 "$WEB_B_IP" >/dev/null) &
	KNET_VIA="$NOAPI_VIA" KNET_VIA_NO_API=1 on_a capture --all-nodes \
		--duration 6 -w "$T/all.pcapng" icmp 2>"$T/all.err"
	wait
	grep -qx -- --no-api "$T/argv"
	tshark -r "$T/all.pcapng" -T fields -e frame.interface_name -e icmp.type 2>/dev/null | sort | uniq -c >"$T/ifs"
	cat "$T/ifs"
	# the requests (type 8) on client's node and web's, not node-c
	for n in node-a node-b; do
		[ "$(awk -v i="node/$n/any" '$2 == i && $3 == 8 {print $1}' "$T/ifs")" -ge 10 ]
	done
	[ -z "$(awk '$2 == "node/node-c/any"' "$T/ifs")" ]
	capinfos -I "$T/all.pcapng" | grep -q "Description = node node-c, interface any"
	# flows: the same, as one table of every node's flows
	(sleep 1; tests/lab/lab pod-exec client/client -- ping -c 6 -i 0.2 "$WEB_B_IP" >/dev/null) &
	KNET_VIA="$NOAPI_VIA" KNET_VIA_NO_API=1 on_a -o json flows --all-nodes \
		--once 4 --filter icmp >"$T/flows.json"
	wait
	# one flow, named here, its 6 requests counted on both nodes
	jq -e --arg ip "$WEB_B_IP" --arg web "web/$WEB_B" '[.items[] | select(.proto == "icmp" and .dst == $ip and .src_name == "client/client" and .dst_name == $web and .packets_out >= 12)] | length == 1' "$T/flows.json"
}

# The JSON Lines of svc trace, live flow counts and the conntrack
# detail taken out (they move between two runs).
trace_rows() {
	jq -c 'del(.flows, .stale) | if .layer == "conntrack" then del(.detail) else . end' "$1"
}

@test "svc trace --all-nodes without an API there: every node judged here, as each node's own" {
	# flows through the ClusterIP from node-b (a lost probe is still one)
	on_a ping -c 5 -i 0.2 --from "web/$WEB_B" svc/web/web >/dev/null 2>&1 ||
		true
	rm -f "$T/argv"
	both -o json -n web svc trace web --all-nodes
	[ "$plain" -eq 0 ]
	[ "$noapi" -eq 0 ]
	# the other nodes ran without an API (the last one's line), through
	# the agents' pods/exec in k8s-transport.bats
	grep -qx -- --no-api "$T/argv"
	if k8s_mode; then grep -qx -- --stop-on-stdin "$T/argv"; fi
	run ! grep -Eqx -- '--(kubeconfig|token|all-nodes)(=.*)?' "$T/argv"
	[ "$(jq -r 'select(.event == "summary") | .node' "$T/noapi" | paste -sd' ')" = "node-a node-b node-c" ]
	# node for node: the same verdicts, rule chains and endpoints
	for n in node-a node-b node-c; do
		f="select(.node == \"$n\" or .on_node == \"$n\")"
		[ "$(trace_rows "$T/plain" | jq -c "$f")" = "$(trace_rows "$T/noapi" | jq -c "$f")" ]
		jq -se --arg n "$n" 'map(select(.event == "layer" and .layer == "kube-proxy" and .node == $n))[0] | .status == "ok" and (.detail | test("iptables mode on " + $n + ": .* -> KUBE-SVC-[A-Z0-9]+: 3 backends"))' "$T/noapi"
		jq -se --arg n "$n" 'map(select(.event == "endpoint" and .on_node == $n)) | length == 3 and all(.in_rules and .ready)' "$T/noapi"
	done
	[ "$(trace_rows "$T/plain")" = "$(trace_rows "$T/noapi")" ]
	# node-b's NAT entries, classified here
	jq -se 'map(select(.event == "endpoint" and .on_node == "node-b") | .flows) | add > 0' "$T/noapi"
	# a table: one of each part, with the NODE column
	both -n web svc trace web --all-nodes
	[ "$plain" -eq 0 ]
	[ "$noapi" -eq 0 ]
	[ "$(grep -c '^NODE  *SUMMARY' "$T/noapi")" -eq 1 ]
	[ "$(grep -c '^NODE  *#  *LAYER' "$T/noapi")" -eq 1 ]
	[ "$(grep -c '^ON  *ADDRESS' "$T/noapi")" -eq 1 ]
	[ "$(grep -c 'kube-proxy   ok       iptables mode on node-' "$T/noapi")" -eq 3 ]
	diff <(grep -v '^node-.* conntrack ' "$T/plain" | cut -c1-100) \
		<(grep -v '^node-.* conntrack ' "$T/noapi" | cut -c1-100)
	nothing_left
}

@test "svc trace --nodes, --max-parallel without an API there: the nodes asked for" {
	both -o json -n web svc trace web:http --nodes kubernetes.io/hostname=node-b
	[ "$plain" -eq 0 ]
	[ "$noapi" -eq 0 ]
	grep -qx -- --no-api "$T/argv"
	[ "$(jq -r 'select(.event == "summary") | .node' "$T/noapi")" = node-b ]
	[ "$(jq -r 'if .event == "endpoint" then .on_node else .node end' "$T/noapi" | sort -u)" = node-b ]
	[ "$(trace_rows "$T/plain")" = "$(trace_rows "$T/noapi")" ]
	both -o json -n web svc trace web --all-nodes --max-parallel 1
	[ "$plain" -eq 0 ]
	[ "$noapi" -eq 0 ]
	[ "$(jq -r 'select(.event == "summary") | .node' "$T/noapi" | paste -sd' ')" = "node-a node-b node-c" ]
	[ "$(trace_rows "$T/plain")" = "$(trace_rows "$T/noapi")" ]
}

@test "svc trace --all-nodes without an API there: a node that fails is named, the others kept" {
	# node-c's run fails: through k8s its agent's knet, else its netns
	cat >"$T/fail-c" <<-SH
	#!/bin/sh
	case " \$* " in
	*" --node node-c "*) echo "knet: cannot read node-c: broken for the test" >&2; exit 5 ;;
	esac
	exec env -u KUBECONFIG HOME=/nonexistent "$KNET" "\$@"
	SH
	chmod +x "$T/fail-c"
	cat >"$T/via-fail-c" <<-'SH'
	#!/bin/sh
	node=$1
	shift
	[ "$node" = node-c ] && node=missing-c
	exec env -u KUBECONFIG HOME=/nonexistent ip netns exec "lab-$node" "$@"
	SH
	chmod +x "$T/via-fail-c"
	via="$T/via-fail-c {node}"
	reason='Cannot open network namespace "lab-missing-c": No such file or directory'
	if k8s_mode; then
		via=k8s
		reason='cannot read node-c: broken for the test'
	fi
	st=0
	KNET_VIA=$via KNET_VIA_NO_API=1 KNET_AGENT_KNET="$T/fail-c" \
		on_a -n web svc trace web --all-nodes -o json >"$T/out" 2>"$T/err" ||
		st=$?
	cat "$T/err"
	[ "$st" -eq 1 ]
	[ "$(jq -r 'select(.event == "summary") | .node' "$T/out" | paste -sd' ')" = "node-a node-b" ]
	jq -se 'map(select(.event == "layer" and .layer == "kube-proxy" and .status == "ok")) | length == 2' "$T/out"
	[ "$(jq -c 'select(.event == "error")' "$T/out")" = "$(jq -cn --arg r "$reason" '{event: "error", node: "node-c", reason: $r}')" ]
	grep -qxF "knet: cannot run on node 'node-c': $reason" "$T/err"
	[ "$(wc -l <"$T/err")" -eq 1 ]
	nothing_left
}

# knet -n web svc trace "$1" --all-nodes through the no-API transport
# on node-a exits $2 with the one line $3 and prints nothing else.
trace_refused() {
	local st=0
	KNET_VIA="$NOAPI_VIA" KNET_VIA_NO_API=1 \
		on_a -n web svc trace "$1" --all-nodes >"$T/out" 2>"$T/err" ||
		st=$?
	cat "$T/err"
	[ "$st" -eq "$2" ]
	[ "$(cat "$T/err")" = "$3" ]
	[ ! -s "$T/out" ]
}

@test "svc trace --all-nodes without an API there: bad input fails here, nothing runs there" {
	rm -f "$T/argv"
	trace_refused nosuch 3 "knet: cannot trace 'svc/web/nosuch': services \"nosuch\" not found"
	trace_refused web:9999 3 "knet: cannot trace port '9999': svc web/web has no such port"
	trace_refused web:99999 2 "knet: bad port '99999': give a number 1-65535 or a port name (a DNS-1123 label); try 'knet help services trace'"
	trace_refused web:Bad_Port 2 "knet: bad port 'Bad_Port': give a number 1-65535 or a port name (a DNS-1123 label); try 'knet help services trace'"
	st=0
	KNET_VIA="$NOAPI_VIA" KNET_VIA_NO_API=1 on_a -n web svc trace web \
		--nodes kubernetes.io/hostname=nosuch >"$T/out" 2>"$T/err" || st=$?
	[ "$st" -eq 3 ]
	[ "$(cat "$T/err")" = "knet: cannot find nodes 'kubernetes.io/hostname=nosuch': no node matches" ]
	[ ! -s "$T/out" ]
	[ ! -e "$T/argv" ]
	nothing_left
}

@test "capture, flows of pods on several nodes: refused in words (2)" {
	rm -f "$T/argv"
	for cmd in "capture -c 1 -w $T/m.pcapng" "flows --once 1"; do
		# shellcheck disable=SC2086
		run --separate-stderr env KNET_VIA="$NOAPI_VIA" KNET_VIA_NO_API=1 \
			tests/lab/lab run node-a -- "$KNET" $cmd -n web "$WEB_B" "$WEB_C"
		[ "$status" -eq 2 ]
		[ "$stderr" = "knet: cannot reach the targets on node node-b through this transport: its remote run has no cluster API to find them; give one pod per run" ]
	done
	[ ! -e "$T/m.pcapng" ]
	[ ! -e "$T/argv" ]
	nothing_left
}

@test "flows --once POD: flows to the pod named here" {
	# client/client's connections to it while both runs watch
	(
		for _ in $(seq 12); do
			on_a ping -c 1 --from client/client "$WEB_B_IP:8080" \
				>/dev/null 2>&1 || true
			sleep 0.3
		done
	) &
	gen=$!
	both -o json flows --once 2 "web/$WEB_B"
	wait "$gen" || true
	[ "$plain" -eq 0 ]
	[ "$noapi" -eq 0 ]
	remote_had_no_api
	f="[.items[] | select(.dst == \"$WEB_B_IP\") | .dst_name] | unique"
	[ "$(jq -c "$f" "$T/noapi")" = "[\"web/$WEB_B\"]" ]
	[ "$(jq -c "$f" "$T/plain")" = "$(jq -c "$f" "$T/noapi")" ]
	jq -c '.items[] | [.src, .src_name, .dst, .dst_name]' "$T/noapi"
	jq -e '[.items[] | select(.src_name == "client/client")] | length > 0' "$T/noapi"
}

@test "dns NAME --from POD: judged against the API here, as there" {
	for name in web.web db.secure web.web.svc.cluster.local.; do
		both -o json dns "$name" --from "web/$WEB_B"
		[ "$plain" -eq 0 ]
		[ "$noapi" -eq 0 ]
		f='select(.event == "verdict" or .event == "finding") | del(.latency_us)'
		[ "$(jq -c "$f" "$T/plain")" = "$(jq -c "$f" "$T/noapi")" ]
	done
	jq -se 'map(select(.event == "verdict"))[0] | .api != null and .expected != null and .status == "OK"' "$T/noapi"
	remote_had_no_api
	both -o json dns nosuch.web --from "web/$WEB_B"
	[ "$plain" -eq 1 ]
	[ "$noapi" -eq 1 ]
	jq -se 'map(select(.event == "verdict"))[0].status == "NOT RESOLVED"' "$T/noapi"
}

@test "svc trace --on NODE: the node's rules and flows there, judged here" {
	# flows through the ClusterIP, DNAT'd on node-b (a lost probe is
	# still a flow)
	on_a ping -c 5 -i 0.2 --from "web/$WEB_B" svc/web/web >/dev/null 2>&1 ||
		true
	both -o json -n web svc trace web --on node-b
	[ "$plain" -eq 0 ]
	[ "$noapi" -eq 0 ]
	grep -qx -- --no-api "$T/argv"
	# the counts of live flows may move between the two runs
	g='del(.flows, .stale) | if .layer == "conntrack" then del(.detail) else . end'
	[ "$(jq -c "$g" "$T/plain")" = "$(jq -c "$g" "$T/noapi")" ]
	jq -se 'map(select(.event == "layer" and .layer == "kube-proxy"))[0] | .status == "ok" and (.detail | test("iptables mode on node-b: .* 3 backends"))' "$T/noapi"
	jq -se 'map(select(.event == "endpoint")) | length == 3 and all(.in_rules)' "$T/noapi"
	jq -se 'map(select(.event == "endpoint") | .flows) | add > 0' "$T/noapi"
	# a port the Service does not have: here, before anything runs there
	rm -f "$T/argv"
	both -o json -n web svc trace web:9999 --on node-b
	[ "$plain" -eq 3 ]
	[ "$noapi" -eq 3 ]
	[ ! -e "$T/argv" ]
	nothing_left
}

@test "diagnose FROM on another node: API layers here, node layers there" {
	for to in svc/web/web:80 "web/$WEB_C:8080" web.web.svc.cluster.local:80; do
		both -o json diagnose "web/$WEB_B" "$to"
		# 1: a layer failed (the lab's network may drop a probe)
		[ "$plain" -le 1 ]
		[ "$noapi" -le 1 ]
		grep -qx -- --no-api "$T/argv"
		grep -qx -- --target-fact "$T/argv"
		# the layers only the API gives are the same
		f='[.layers[] | select(.layer == "resolve" or .layer == "policy" or .layer == "service") | [.layer, .status, .evidence]]'
		[ "$(jq -c "$f" "$T/plain")" = "$(jq -c "$f" "$T/noapi")" ]
		jq -e '[.layers[] | select(.layer == "resolve" or .layer == "policy") | .status] == ["OK", "OK"]' "$T/noapi"
		# the node's layers ran there
		jq -e '.layers[] | select(.layer == "reachability") | .status != "SKIP"' "$T/noapi"
		jq -e '.layers[] | select(.layer == "conntrack") | .evidence | startswith("node node-b: ")' "$T/noapi"
		# the verdict is over all of them: reachable, or the broken layer
		jq -e '(.reachable and .verdict.layer == null) or (.reachable | not) and .verdict.layer != null' "$T/noapi"
	done
	# a DNS name: asked from the pod there, the API's answer here
	jq -e '.layers[] | select(.layer == "dns") | .status == "OK" and (.evidence | startswith("web.web.svc.cluster.local -> "))' "$T/noapi"
	# the service layer read node-b's rules, sent by the remote run
	both -o json diagnose "web/$WEB_B" svc/web/web:80
	jq -e '.layers[] | select(.layer == "service") | .status == "OK" and (.evidence | test("kube-proxy on node-b in sync"))' "$T/noapi"
	nothing_left
}

@test "diagnose to a name outside the cluster from another node: looked up there" {
	tests/lab/lab dns-host add shop.knet.test "$WEB_C_IP"
	both -o json diagnose "web/$WEB_B" shop.knet.test:8080
	tests/lab/lab dns-host del shop.knet.test
	[ "$plain" -eq 0 ]
	[ "$noapi" -eq 0 ]
	remote_had_no_api
	# no target fact: the name is the remote run's to look up
	run ! grep -qx -- --target-fact "$T/argv"
	for f in plain noapi; do
		jq -e --arg ip "$WEB_C_IP" '.external_ip == $ip and .verdict.layer == null' "$T/$f"
		jq -e '[.layers[] | select(.status == "OK") | .layer] | index("dns") != null and index("reachability") != null and index("policy") != null' "$T/$f"
	done
	# gone from the DNS: the dns layer, from both
	both -o json diagnose "web/$WEB_B" shop.knet.test:8080
	[ "$plain" -eq 1 ]
	[ "$noapi" -eq 1 ]
	[ "$(jq -r .verdict.layer "$T/noapi")" = dns ]
	[ "$(jq -r .verdict.reason "$T/noapi")" = "$(jq -r .verdict.reason "$T/plain")" ]
}

@test "--no-api: cluster commands and bad facts are one-line usage errors" {
	run --separate-stderr "$KNET" --no-api pods
	[ "$status" -eq 2 ]
	[ "$stderr" = "knet: cannot run 'pods' on node (this node): it reads the cluster API there, and a remote run through this transport has none (--no-api)" ]
	run --separate-stderr tests/lab/lab run node-b -- "$KNET" --no-api \
		--node node-b --src-fact 'ns=web,name=x,node=node-b,ip=%zz' \
		netns web/x
	[ "$status" -eq 2 ]
	[[ "$stderr" == "knet: cannot find the network namespace of 'web/x': the caller's pod fact is malformed"* ]]
	[ "$(echo "$stderr" | wc -l)" -eq 1 ]
	run --separate-stderr tests/lab/lab run node-b -- "$KNET" --no-api \
		--node node-b --src-fact "ns=web,name=other,node=node-b,ip=$WEB_B_IP" \
		netns "web/$WEB_B"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"the caller's pod fact is about another pod"* ]]
	# a pod without a fact: --from needs the API, which is not there
	run --separate-stderr tests/lab/lab run node-b -- "$KNET" --no-api \
		--node node-b netns "web/$WEB_B"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--from needs the cluster API"* ]]
	# --no-api is hidden: not in help nor completions
	run "$KNET" help
	[[ "$output" != *no-api* ]]
	run ! grep -q -- no-api completions/knet.bash
}

@test "a fact for a pod here: found by its UID and IP without any API" {
	uid=$(k -n web get pod "$WEB_B" -o jsonpath='{.metadata.uid}')
	run --separate-stderr env -u KUBECONFIG tests/lab/lab run node-b -- \
		"$KNET" -o json --no-api --node node-b \
		--src-fact "ns=web,name=$WEB_B,uid=$uid,node=node-b,ip=$WEB_B_IP" \
		exec "web/$WEB_B" -- ip -4 -o addr show eth0
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet $WEB_B_IP/"* ]]
	# only its IP known (no UID): found by IP
	run --separate-stderr env -u KUBECONFIG tests/lab/lab run node-b -- \
		"$KNET" -o json --no-api --node node-b \
		--src-fact "ns=web,name=$WEB_B,node=node-b,ip=$WEB_B_IP" \
		netns "web/$WEB_B"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.items[0].found_by == "ip"'
}
