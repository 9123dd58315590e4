#!/usr/bin/env bats
# knet traceroute across the lab's nodes: every hop named (the pod
# gateway, the other node, the target pod), UDP, ICMP and TCP probes,
# and the mtr-style report.  Routers rate-limit ICMP errors per source
# (a burst of 5, then 1 a second), so tests use different source pods
# or wait a little.

bats_require_minimum_version 1.5.0

load node-helpers

setup_file() { node_setup_file; }
setup() {
	node_env
	sleep 2 # let the routers' ICMP rate limit refill
}
hop() { echo "$output" | jq -c "select(.hop == $1)"; }

@test "traceroute: pod to pod across nodes names gateway, node and pod" {
	ip=$(pod_ip web "$WEB_B")
	run --separate-stderr on_a traceroute "web/$WEB_B" --from client/client -o json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | wc -l)" -eq 3 ]
	hop 1 | jq -e '.addresses == ["198.19.1.1"] and .name == "node node-a (pod gateway)" and (.rtts_us | length == 3)'
	hop 2 | jq -e '.addresses == ["198.18.0.11"] and .name == "node node-b" and .reached == false'
	hop 3 | jq -e ".addresses == [\"$ip\"] and .name == \"pod web/$WEB_B\" and .reached == true"
	hop 3 | jq -e '[.rtts_us[] | select(. != null)] | length >= 1 and all(. >= 0 and . < 1000000)'
}

@test "traceroute: table output" {
	run --separate-stderr on_a traceroute "web/$WEB_C" --from "web/$WEB_A" -q 2
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "traceroute to web/$WEB_C ("*") from pod web/$WEB_A, 30 hops max, udp" ]]
	[[ "${lines[1]}" == *HOP*ADDRESS*NAME*RTT* ]]
	echo "${lines[2]}" | grep -E '^ +1 +198\.19\.1\.1 +node node-a \(pod gateway\) +[0-9.]+(us|ms)'
	echo "${lines[3]}" | grep -E '^ +2 +198\.18\.0\.12 +node node-c '
	echo "${lines[4]}" | grep -E "^ +3 +198\.19\.3\.[0-9]+ +pod web/$WEB_C "
}

@test "traceroute: ICMP and TCP SYN probes reach the target" {
	ip=$(pod_ip web "$WEB_B")
	run --separate-stderr on_a traceroute "web/$WEB_B" --from "web/$WEB_A" --icmp -q 1 -o json
	[ "$status" -eq 0 ]
	hop 3 | jq -e ".addresses == [\"$ip\"] and .reached"
	run --separate-stderr on_a traceroute "web/$WEB_B" --from client/client --tcp -p 8080 -q 1 -o json
	[ "$status" -eq 0 ]
	hop 1 | jq -e '.addresses == ["198.19.1.1"]'
	hop 3 | jq -e ".addresses == [\"$ip\"] and .reached"
}

@test "traceroute: from the node to a pod elsewhere" {
	run --separate-stderr on_a traceroute "web/$WEB_C" -q 1 -o json
	[ "$status" -eq 0 ]
	hop 1 | jq -e '.addresses == ["198.18.0.12"] and .name == "node node-c"'
	hop 2 | jq -e ".name == \"pod web/$WEB_C\" and .reached"
}

@test "traceroute: from a pod on another node, through the transport" {
	run --separate-stderr on_a traceroute client/client --from "web/$WEB_C" -q 1 -o json
	[ "$status" -eq 0 ]
	hop 1 | jq -e '.name == "node node-c (pod gateway)"'
	hop 2 | jq -e '.name == "node node-a"'
	hop 3 | jq -e '.name == "pod client/client" and .reached'
}

@test "traceroute: through the transport, the local knet reads its lines as nobody" {
	privs_of_knet traceroute client/client --from "web/$WEB_C" --report -c 6 -i 0.5 -o json
	[ "$knet_status" -eq 0 ]
	remote_privs_dropped
	jq -e 'select(.hop != null)' "$BATS_TEST_TMPDIR/out" >/dev/null
}

@test "traceroute: --report -c 3 gives per-hop loss and RTT statistics" {
	run --separate-stderr on_a traceroute "web/$WEB_B" --from "web/$WEB_A" --report -c 3 -o json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | wc -l)" -eq 3 ]
	echo "$output" | jq -s -e 'length == 3 and all(.sent == 3 and .best_us <= .avg_us and .avg_us <= .worst_us and .stdev_us >= 0)'
	hop 2 | jq -e '.name == "node node-b" and .loss_percent < 100'
	hop 3 | jq -e ".name == \"pod web/$WEB_B\" and .loss_percent == 0"
	run --separate-stderr on_a traceroute "web/$WEB_B" --from "web/$WEB_A" --report -c 2 -i 0.5
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *HOP*ADDRESS*NAME*SENT*LOSS*LAST*AVG*BEST*WORST*STDEV* ]]
}

@test "traceroute: bad input" {
	run --separate-stderr on_a traceroute web/nope --from client/client
	[ "$status" -eq 3 ]
	run --separate-stderr on_a traceroute 198.18.0.11 -m 0
	[ "$status" -eq 2 ]
	run --separate-stderr on_a traceroute 198.18.0.11 -q 11
	[ "$status" -eq 2 ]
	run --separate-stderr on_a traceroute 198.18.0.11 --icmp --tcp
	[ "$status" -eq 2 ]
	run --separate-stderr on_a traceroute 198.18.0.11 -c 3
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"-c and -i go with --report"* ]]
}
