#!/usr/bin/env bats
# knet ping against the lab: from the node and from pods, to pods on the
# same and on another node, a node, a Service; path MTU; bad input;
# privileges.  knet runs "on node-a" (inside lab-node-a).

bats_require_minimum_version 1.5.0

load node-helpers

setup_file() { node_setup_file; }
setup() { node_env; }

summary() { echo "$output" | jq -c 'select(.event == "summary")'; }
# every reply line satisfies the jq condition $1 (and there is one)
replies() {
	echo "$output" | jq -s -e "[.[] | select(.event == \"reply\")] | length > 0 and all($1)"
}

@test "ping: a pod on the same node (bridged: TTL 64), JSON Lines" {
	ip=$(pod_ip web "$WEB_A")
	run --separate-stderr on_a ping "web/$WEB_A" --from client/client -c 3 -i 0.2 -o json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -s '[.[] | select(.event == "reply")] | length')" -eq 3 ]
	replies ".from == \"$ip\" and .status == \"reply\" and .rtt_us >= 0 and .rtt_us < 1000000 and .bytes == 64 and .ttl == 64"
	summary | jq -e ".sent == 3 and .received == 3 and .loss_percent == 0 and .ip == \"$ip\" and .mode == \"icmp\" and .min_us <= .avg_us and .avg_us <= .max_us and .mdev_us >= 0"
	summary | jq -e '.source == "pod client/client"'
}

@test "ping: a pod on another node crosses two routers (TTL 62)" {
	ip=$(pod_ip web "$WEB_B")
	run --separate-stderr on_a ping "web/$WEB_B" --from client/client -c 2 -i 0.2 -o json
	[ "$status" -eq 0 ]
	replies ".from == \"$ip\" and .ttl == 62"
	summary | jq -e '.received == 2'
}

@test "ping: table output has reply lines and the summary" {
	run --separate-stderr on_a ping "web/$WEB_B" --from client/client -c 2 -i 0.2
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "PING web/$WEB_B ("*") from pod client/client: 56 bytes, icmp"* ]]
	[[ "$output" == *"SEQ"*"RTT"*"STATUS"* ]]
	[ "$(echo "$output" | grep -c ' reply ')" -eq 2 ]
	[[ "$output" == *"SENT"*"RECEIVED"*"LOSS"*"MDEV"* ]]
	echo "$output" | grep -E '^pod/web/'"$WEB_B"' +[0-9.]+ +2 +2 +0\.0%'
}

@test "ping: a node from the node (default source)" {
	run --separate-stderr on_a ping node/node-b -c 2 -i 0.2 -o json
	[ "$status" -eq 0 ]
	replies '.from == "198.18.0.11" and .ttl == 64'
	summary | jq -e '.source == "node node-a" and .received == 2'
}

@test "ping: an IP literal" {
	run --separate-stderr on_a ping 198.18.0.12 -c 1 -o json
	[ "$status" -eq 0 ]
	summary | jq -e '.target == "198.18.0.12" and .received == 1'
}

@test "ping: a Service ClusterIP is probed over TCP, with the reason" {
	cip=$(svc_ip web web)
	run --separate-stderr on_a -n web ping svc/web --from client/client -c 2 -i 0.2 -o json
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"svc/web (namespace web) is a Service ClusterIP ($cip)"* ]]
	[[ "$stderr" == *"does not answer ICMP"*"probing TCP port 80 instead"* ]]
	summary | jq -e ".mode == \"tcp\" and .ip == \"$cip\" and .received == 2"
	replies '.status == "reply"'
}

@test "ping: --tcp and --udp modes" {
	run --separate-stderr on_a ping "web/$WEB_B" --from client/client --tcp 8080 -c 2 -i 0.2 -o json
	[ "$status" -eq 0 ]
	replies '.status == "reply"'
	summary | jq -e '.mode == "tcp" and .received == 2'
	# a closed port answers with a reset: the host is up
	run --separate-stderr on_a ping "web/$WEB_B" --from client/client --tcp 9 -c 1 -o json
	[ "$status" -eq 0 ]
	replies '.status == "refused"'
	echo=$(pod_on udp echo '!none')
	run --separate-stderr on_a ping "udp/$echo" --from client/client --udp 7 -c 2 -i 0.2 -o json
	[ "$status" -eq 0 ]
	replies '.status == "reply"'
	summary | jq -e '.mode == "udp" and .received == 2'
}

@test "ping: --df -s 1472 across nodes names the path MTU 1400" {
	run --separate-stderr on_a ping "web/$WEB_B" --from client/client --df -s 1472 -c 2 -i 0.2 -o json
	[ "$status" -eq 1 ]
	replies '.status == "too-big" and .mtu == 1400'
	summary | jq -e '.received == 0 and .loss_percent == 100'
	[[ "$stderr" == *"do not fit the path MTU 1400"* ]]
	[[ "$stderr" == *"the largest -s that fits is 1372"* ]]
	# and what fits, fits
	run --separate-stderr on_a ping "web/$WEB_B" --from client/client --df -s 1372 -c 1 -o json
	[ "$status" -eq 0 ]
}

@test "ping: from a pod on another node, through the node transport" {
	ip=$(pod_ip client client)
	run --separate-stderr on_a ping client/client --from "web/$WEB_B" -c 2 -i 0.2 -o json
	[ "$status" -eq 0 ]
	replies ".from == \"$ip\""
	summary | jq -e ".received == 2 and .source == \"pod web/$WEB_B\""
	run --separate-stderr on_a ping client/client --from "web/$WEB_B" -c 1
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"on node node-b (through the node transport)"* ]]
}

@test "ping: Ctrl-C through the transport still gives the summary" {
	ping_interrupted 2 ping client/client --from "web/$WEB_B" -c 50 -i 0.2 -o json
	[ "$st" -eq 0 ]
	[ "$n" -ge 5 ] && [ "$n" -lt 50 ]
	jq -s -e "[.[] | select(.event == \"summary\")] | length == 1 and (.[0] | .sent == $n and .received == $n and .loss_percent == 0 and .source == \"pod web/$WEB_B\")" "$BATS_TEST_TMPDIR/out"
}

@test "ping: a second Ctrl-C ends a remote run that does not stop" {
	# a transport that swallows signals and never ends (a hung node)
	via=$BATS_TEST_TMPDIR/hung-via
	printf '%s\n' '#!/bin/bash' "trap '' INT TERM" 'sleep 30.75' >"$via"
	chmod +x "$via"
	env --default-signal=INT tests/lab/lab run node-a -- "$KNET" --via "$via {node}" ping 198.19.1.1 --from "web/$WEB_B" -c 50 >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	sleep 1.5
	[ "$(readlink "/proc/$pid/exe")" = "$KNET" ]
	kill -INT "$pid"
	sleep 1
	# the first is forwarded, and we go on waiting for the summary
	kill -0 "$pid"
	kill -INT "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 5 ]
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = "knet: cannot ping 'node-b': the remote run did not stop on Ctrl-C; ended it on the second" ]
	run ! pgrep -f '^sleep 30\.75$'
}

@test "ping: events have no names: -o name is a usage error (2)" {
	run --separate-stderr on_a ping 198.18.0.11 -c 1 -o name
	[ "$status" -eq 2 ]
	[ "$output" = "" ]
	[[ "$stderr" == "knet: 'ping' prints events: -o name does not apply"*"try 'knet help ping'" ]]
}

@test "ping: no transport for a pod elsewhere is said clearly (2)" {
	run --separate-stderr env KNET_VIA= tests/lab/lab run node-a -- "$KNET" ping client/client --from "web/$WEB_B" -c 1
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"runs on node node-b, not here, and no node transport is set: give --via TEMPLATE or KNET_VIA"* ]]
}

@test "ping: unknown pods are exit 3" {
	run --separate-stderr on_a ping client/nope --from client/client -c 1
	[ "$status" -eq 3 ]
	[[ "$stderr" == "knet: cannot resolve 'client/nope':"* ]]
	run --separate-stderr on_a ping client/client --from client/nope -c 1
	[ "$status" -eq 3 ]
	[[ "$stderr" == "knet: cannot find the source 'client/nope':"* ]]
}

@test "ping: a Pending pod without an IP is exit 1 with its phase" {
	k apply -f - <<-'YAML'
	apiVersion: v1
	kind: Pod
	metadata: {name: pending, namespace: client}
	spec:
	  nodeName: node-gone
	  containers: [{name: c, image: knet-lab/podserver:1}]
	YAML
	run --separate-stderr on_a ping client/pending --from client/client -c 1
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"pod client/pending has no IP yet (phase Pending)"* ]]
	run --separate-stderr on_a ping client/client --from client/pending -c 1
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"has no IP yet (phase Pending)"* ]]
	k -n client delete pod pending --wait=false
}

@test "ping: invalid -c, -i, -s, -W are usage errors (2)" {
	for bad in "-c 0" "-c abc" "-i 0" "-i -1" "-s -1" "-s 70000" "-W 0" "-t 256"; do
		# shellcheck disable=SC2086
		run --separate-stderr on_a ping 198.18.0.11 $bad
		echo "$bad: $status $stderr"
		[ "$status" -eq 2 ]
		[[ "$stderr" == *"try 'knet help ping'"* ]]
	done
	run --separate-stderr on_a ping 198.18.0.11 --tcp 80 --udp 53
	[ "$status" -eq 2 ]
}

@test "ping: an IPv6 target where there is no IPv6" {
	run --separate-stderr on_a ping fd00::1 --from client/client -c 1
	[ "$status" -eq 1 ]
	[[ "$stderr" == "knet: cannot ping 'fd00::1': no route to the target from here"* ]]
	run --separate-stderr on_a ping client/client --ipv6 -c 1
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"pod client/client has no IPv6 address"* ]]
	# -6 and -4 are the short spellings, as in iputils
	run --separate-stderr on_a ping client/client -6 -c 1
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"pod client/client has no IPv6 address"* ]]
	run --separate-stderr on_a ping client/client -4 -c 1 -o json
	[ "$status" -eq 0 ]
	[ "$(jq -rs 'map(select(.event == "summary"))[0].received' <<<"$output")" = 1 ]
}

@test "ping: without CAP_SYS_ADMIN entering the pod fails, naming it (5)" {
	run --separate-stderr tests/lab/lab run node-a -- capsh --drop=cap_sys_admin -- -c "$KNET ping 198.18.0.11 --from client/client -c 1"
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"needs CAP_SYS_ADMIN"* ]]
	# said early: before the target is even looked up
	run --separate-stderr tests/lab/lab run node-a -- capsh --drop=cap_sys_admin -- -c "$KNET ping client/nope --from client/client -c 1"
	[ "$status" -eq 5 ]
	[ "$stderr" = "knet: cannot enter the network namespace of 'pod client/client': entering a network namespace needs CAP_SYS_ADMIN (run knet as root)" ]
}

@test "ping: without CAP_NET_RAW the raw socket fails, naming it (5)" {
	run --separate-stderr tests/lab/lab run node-a -- capsh --drop=cap_net_raw -- -c "$KNET ping 198.18.0.11 -c 1"
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"needs CAP_NET_RAW"* ]]
}

# Uid, Gid, CapEff, CapPrm, NoNewPrivs of a knet pinging in the
# background, once it probes (privs_of_knet).
privs_while_pinging() {
	privs_of_knet ping "web/$WEB_B" --from client/client -c 30 -i 0.1 -o json "$@"
	[ "$knet_status" -eq 0 ]
	[ "$caps" = 0000000000000000 ]
	[ "$prm" = 0000000000000000 ]
	[ "$nnp" = 1 ]
	[ -z "$groups" ]
	jq -e 'select(.event == "summary") | .received == 30' "$BATS_TEST_TMPDIR/out"
}

@test "ping: every capability and uid 0 are dropped while probing" {
	privs_while_pinging
	[ "$uid" = "65534 65534 65534 65534" ]
	[ "$gid" = "65534 65534 65534 65534" ]
}

@test "ping: through the transport, the local knet reads its lines as nobody" {
	# the pod is on node-b: this knet only decodes what node-b sends
	privs_of_knet ping "web/$WEB_A" --from "web/$WEB_B" -c 30 -i 0.1 -o json
	[ "$knet_status" -eq 0 ]
	remote_privs_dropped
	jq -e 'select(.event == "summary") | .received == 30' "$BATS_TEST_TMPDIR/out"
	# and in a table, with -Z: the same user here as there
	privs_of_knet ping "web/$WEB_A" --from "web/$WEB_B" -c 20 -i 0.1 -Z daemon
	[ "$knet_status" -eq 0 ]
	[ "$uid" = "1 1 1 1" ]
	grep -q ' 20 *20 *0.0%' "$BATS_TEST_TMPDIR/out"
}

@test "ping: -Z USER is who it runs as after opening the socket" {
	privs_while_pinging -Z daemon
	[ "$uid" = "1 1 1 1" ]
	[ "$gid" = "1 1 1 1" ]
	run --separate-stderr on_a ping 198.18.0.11 -c 1 --run-as knet-no-such-user
	[ "$status" -eq 5 ]
	[ "$stderr" = "knet: cannot drop privileges: no user 'knet-no-such-user' to run as" ]
	[ "$output" = "" ]
	run --separate-stderr on_a ping 198.18.0.11 -c 1 -Z root
	[ "$status" -eq 2 ]
}

@test "ping: a namespace that vanishes mid-run ends cleanly (5)" {
	ns=knet-test-$$
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	"$KNET" ping 127.0.0.1 --netns "/var/run/netns/$ns" -c 100 -i 0.05 >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	sleep 1
	ip netns del "$ns"
	st=0
	wait "$pid" || st=$?
	cat "$BATS_TEST_TMPDIR/err"
	[ "$st" -eq 5 ]
	grep -q "knet: cannot ping from 'netns /var/run/netns/$ns': network namespace /var/run/netns/$ns is gone" "$BATS_TEST_TMPDIR/err"
	grep -q ' reply ' "$BATS_TEST_TMPDIR/out"
}
