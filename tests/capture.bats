#!/usr/bin/env bats
# knet capture against the lab, tshark as the oracle: pcap and pcapng
# files count the packets tshark counts, pcapng interfaces name the pod,
# a DNS lookup decodes to tshark's names and rcodes, a pod on another
# node through the transport, a capture killed mid-stream, bad input.
# knet runs "on node-a"; every file lives in this test's own directory.

bats_require_minimum_version 1.5.0

load node-helpers

setup_file() {
	node_setup_file
}

setup() {
	node_env
	D=$BATS_TEST_TMPDIR
}

# Traffic once knet's handle is open (it opens within a second).
ping_later() {
	sleep 2
	tests/lab/lab pod-exec client/client -- ping -c "$2" -i 0.2 "$1" >/dev/null
}

tshark_count() {
	tshark -r "$1" 2>/dev/null | wc -l
}

@test "pcap: tshark counts the packets knet wrote" {
	ping_later "$(k -n web get pod "$WEB_A" -o jsonpath='{.status.podIP}')" 3 &
	run on_a capture -n client client -c 6 -w "$D/a.pcap" icmp
	wait
	[ "$status" -eq 0 ]
	[[ "$output" == *"6 packets captured, 6 written, 0 dropped by the kernel"* ]]
	[ "$(tshark_count "$D/a.pcap")" -eq 6 ]
	# tcpdump reads it too (the lab's client pod is shared: other tests
	# may ping from it as well, so count, do not match ids)
	[ "$(tcpdump -nr "$D/a.pcap" 2>/dev/null | grep -c ' ICMP ')" -eq 6 ]
}

@test "pcapng: tshark counts the packets and sees the pod in the interface" {
	ping_later "$(k -n web get pod "$WEB_A" -o jsonpath='{.status.podIP}')" 2 &
	run on_a capture -n client client -c 4 -w "$D/a.pcapng" icmp
	wait
	[ "$status" -eq 0 ]
	[ "$(tshark_count "$D/a.pcapng")" -eq 4 ]
	run --separate-stderr tshark -r "$D/a.pcapng" -T fields -e frame.interface_name \
		-e frame.interface_description
	[ "${#lines[@]}" -eq 4 ]
	for l in "${lines[@]}"; do
		[[ "$l" == "client/client/eth0"*"pod client/client on node node-a, IP 198.19.1.4"* ]]
	done
	# the drops at the end, in an interface statistics block
	run tshark -r "$D/a.pcapng" -q -z io,stat,0
	[ "$status" -eq 0 ]
}

@test "DNS: knet's decode of a lookup shows tshark's names and rcodes" {
	(sleep 2; tests/lab/lab pod-exec client/client -- getent hosts web.web.svc.cluster.local >/dev/null
	 tests/lab/lab pod-exec client/client -- getent hosts nosuch.web.svc.cluster.local >/dev/null || true) &
	run on_a capture -n client client --duration 6 -w "$D/dns.pcapng" udp port 53
	wait
	[ "$status" -eq 0 ]
	run -0 --separate-stderr tshark -r "$D/dns.pcapng" -T fields -e dns.id -e dns.qry.name -e dns.flags.rcode \
		-e dns.flags.response
	want=$(printf '%s\n' "${lines[@]}" |
		awk -F'\t' '{ printf "%d %s %s\n", $1, $2, $4 == "1" ? $3 : "-" }')
	[ "$(printf '%s\n' "$want" | wc -l)" -ge 4 ]
	# both answers are there: found and not found
	grep -q ' web.web.svc.cluster.local 0$' <<<"$want"
	grep -q ' nosuch.web.svc.cluster.local.* 3$' <<<"$want"
	run -0 --separate-stderr "$KNET" -o json capture -r "$D/dns.pcapng"
	got=$(printf '%s\n' "${lines[@]}" | jq -r 'select(.event == "packet") |
		"\(.dns_id) \(.dns_names[0] | rtrimstr(".")) \(.dns_rcode // "-")"')
	[ "$got" = "$want" ]
	# and the text line of the same file names the DNS Service
	run -0 --separate-stderr "$KNET" capture -r "$D/dns.pcapng"
	[[ "${lines[0]}" == *"(pod client/client) > 198.18.128.10.53 (svc kube-system/kube-dns): DNS query"* ]]
}

@test "a pod on another node, through the transport, gives a valid file" {
	ip=$(k -n web get pod "$WEB_C" -o jsonpath='{.status.podIP}')
	ping_later "$ip" 3 &
	run on_a capture -n web "$WEB_C" -c 6 -w "$D/c.pcapng" icmp
	wait
	[ "$status" -eq 0 ]
	[ "$(tshark_count "$D/c.pcapng")" -eq 6 ]
	run --separate-stderr tshark -r "$D/c.pcapng" -T fields -e frame.interface_description -e ip.src
	[[ "${lines[0]}" == "pod web/$WEB_C on node node-c, IP $ip"* ]]
	printf '%s\n' "${lines[@]}" | grep -q "$ip\$"
	# binary-safe to stdout as well
	ping_later "$ip" 2 &
	on_a capture -n web "$WEB_C" -c 4 -w - icmp >"$D/c-stdout.pcap"
	wait
	[ "$(tshark_count "$D/c-stdout.pcap")" -eq 4 ]
}

@test "a capture killed mid-stream leaves a readable file" {
	ip=$(k -n web get pod "$WEB_A" -o jsonpath='{.status.podIP}')
	tests/lab/lab pod-exec client/client -- ping -c 40 -i 0.05 "$ip" >/dev/null &
	pinger=$!
	tests/lab/lab run node-a -- "$KNET" capture -n client client -w "$D/k.pcapng" icmp \
		2>"$D/k.err" &
	sleep 2.5
	# SIGTERM to knet itself (the lab wrapper's child)
	pid=$(pgrep -n -f "capture -n client client -w $D/k.pcapng")
	[ -n "$pid" ]
	kill -TERM "$pid"
	wait "$pinger" || true
	wait || true
	written=$(sed -n 's/.*captured, \([0-9]*\) written.*/\1/p' "$D/k.err")
	[ "$written" -gt 0 ]
	run -0 --separate-stderr tshark -r "$D/k.pcapng"
	[ "${#lines[@]}" -eq "$written" ]
	# SIGKILL with -U: whatever is there is whole packets
	tests/lab/lab pod-exec client/client -- ping -c 20 -i 0.05 "$ip" >/dev/null &
	pinger=$!
	tests/lab/lab run node-a -- "$KNET" capture -n client client -U -w "$D/u.pcap" icmp 2>/dev/null &
	sleep 2.5
	pid=$(pgrep -n -f "capture -n client client -U -w $D/u.pcap")
	[ -n "$pid" ]
	kill -KILL "$pid"
	wait "$pinger" || true
	wait || true
	run -0 --separate-stderr tshark -r "$D/u.pcap"
	[ "${#lines[@]}" -gt 0 ]
}

@test "bad input: unknown pod 3, bad filter 2, no CAP_NET_RAW 5, nothing left" {
	run -3 on_a capture -n client nosuch -c 1
	[[ "$output" == *"knet: cannot find pod 'nosuch'"* ]]
	run -2 on_a capture -n client client -c 1 -w "$D/bad.pcap" tcp port
	[[ "$output" == *"bad filter: "*"syntax error"* ]]
	[ ! -e "$D/bad.pcap" ]
	run -5 tests/lab/lab run node-a -- setpriv --bounding-set=-net_raw "$KNET" \
		capture -n client client -c 1 -w "$D/noraw.pcap"
	[[ "$output" == *"capturing needs CAP_NET_RAW"* ]]
	[ ! -e "$D/noraw.pcap" ]
	run -3 on_a capture -n client client -i nope0 -c 1
	[[ "$output" == *"no interface 'nope0'"* ]]
	run -2 "$KNET" capture
	# nothing of ours still running
	run pgrep -f "$KNET capture"
	[ "$status" -eq 1 ]
}

@test "-o json: packets with names, then the summary object; a closed pipe ends it" {
	ip=$(k -n web get pod "$WEB_A" -o jsonpath='{.status.podIP}')
	ping_later "$ip" 2 &
	run -0 --separate-stderr on_a -o json capture -n client client -c 4 icmp
	wait
	[ "${#lines[@]}" -eq 5 ]
	[ "$(printf '%s\n' "${lines[@]:0:4}" | jq -r .src_name | sort -u | paste -sd,)" = \
		"pod client/client,pod web/$WEB_A" ]
	[ "$(jq -r .event <<<"${lines[4]}")" = summary ]
	[ "$(jq -r .captured <<<"${lines[4]}")" = 4 ]
	[ "$(jq -r .dropped_kernel <<<"${lines[4]}")" = 0 ]
	# a reader that goes away: knet ends by itself, exit 0
	tests/lab/lab pod-exec client/client -- ping -c 30 -i 0.1 "$ip" >/dev/null &
	pinger=$!
	sleep 1
	run -0 bash -c "set -o pipefail; timeout 20 tests/lab/lab run node-a -- \
		'$KNET' capture -n client client icmp 2>/dev/null | head -n 2"
	wait "$pinger" || true
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *"ICMP echo"* ]]
}
