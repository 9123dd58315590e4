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
	R=
}

teardown() {
	[ -z "$R" ] || rm -rf "$R"
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
	cip=$(pod_ip client client)
	[ -n "$cip" ]
	for l in "${lines[@]}"; do
		[[ "$l" == "client/client/eth0"*"pod client/client on node node-a, IP $cip"* ]]
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

# Requests to the web Service from the client pod, each on its own
# connection so that kube-proxy spreads them over the backends: 15 every
# 2 s for 8 s, so that many come once the remote captures are open too
# (the chance that one of three backends gets none of 15 is 3 * (2/3)^15,
# 0.7%, per round).
web_requests_later() {
	local urls=() i
	for ((i = 0; i < 15; i++)); do urls+=("http://$(svc_ip web web)/" -o /dev/null); done
	for ((i = 0; i < 4; i++)); do
		sleep 2
		tests/lab/lab pod-exec client/client -- curl -s -H 'Connection: close' "${urls[@]}"
	done
}

# Interface descriptions of the packets from the client pod in $1.
client_ifaces() {
	tshark -r "$1" -Y "ip.src == $(pod_ip client client)" -T fields \
		-e frame.interface_description 2>/dev/null | sort -u
}

@test "-l SELECTOR: the three web pods, on three nodes, in one pcapng" {
	web_requests_later &
	run -0 on_a capture -n web -l app=web --duration 10 -w "$D/l.pcapng" tcp port 8080
	wait
	written=$(sed -n 's/.*captured, \([0-9]*\) written.*/\1/p' <<<"$output")
	[ "$written" -gt 0 ]
	[ "$(tshark_count "$D/l.pcapng")" -eq "$written" ]
	# one interface per pod, named after it, each with the client's packets
	run -0 client_ifaces "$D/l.pcapng"
	[ "${#lines[@]}" -eq 3 ]
	for pod in "$WEB_A" "$WEB_B" "$WEB_C"; do
		printf '%s\n' "${lines[@]}" | grep -q "^pod web/$pod on node node-., IP $(pod_ip web "$pod"), interface eth0$"
	done
	# merged in time order, and every interface has its statistics block
	tshark -r "$D/l.pcapng" -T fields -e frame.time_epoch 2>/dev/null |
		awk 'NR > 1 && $1 < prev { exit 1 } { prev = $1 }'
	[ "$(capinfos -I "$D/l.pcapng" | grep -c 'Number of stat entries = 1')" -eq 3 ]
}

@test "svc/NAME: its backends; pcapng EPB flags give the direction" {
	web_requests_later &
	run -0 on_a capture -n web svc/web --duration 10 -w "$D/s.pcapng" tcp port 8080
	wait
	run -0 client_ifaces "$D/s.pcapng"
	[ "${#lines[@]}" -eq 3 ]
	# requests come in to the pods, answers go out
	run -0 --separate-stderr tshark -r "$D/s.pcapng" -Y "ip.src == $(pod_ip client client)" \
		-T fields -e frame.packet_flags_direction
	[ "${#lines[@]}" -gt 0 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort -u)" = 0x00000001 ]
	run -0 --separate-stderr tshark -r "$D/s.pcapng" -Y "ip.dst == $(pod_ip client client)" \
		-T fields -e frame.packet_flags_direction
	[ "${#lines[@]}" -gt 0 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort -u)" = 0x00000002 ]
}

@test "node/NAME: a node's own interfaces, through the transport" {
	ping_later "$(pod_ip web "$WEB_B")" 3 &
	run -0 on_a capture node/node-b -c 6 -w "$D/n.pcapng" icmp
	wait
	[ "$(tshark_count "$D/n.pcapng")" -eq 6 ]
	run -0 --separate-stderr tshark -r "$D/n.pcapng" -T fields -e frame.interface_name \
		-e frame.interface_description -e ip.dst
	for l in "${lines[@]}"; do
		[[ "$l" == "node/node-b/any"$'\t'"node node-b, interface any"$'\t'* ]]
	done
	printf '%s\n' "${lines[@]}" | grep -q "$(pod_ip web "$WEB_B")\$"
}

@test "two pods on two other nodes: one pcap, timestamps never go back" {
	(sleep 3
	 tests/lab/lab pod-exec client/client -- ping -c 10 -i 0.1 "$(pod_ip web "$WEB_B")" >/dev/null &
	 tests/lab/lab pod-exec client/client -- ping -c 10 -i 0.1 "$(pod_ip web "$WEB_C")" >/dev/null
	 wait) &
	run -0 on_a capture -n web "$WEB_B" "$WEB_C" --duration 7 -w "$D/two.pcap" icmp
	wait
	[[ "$output" == *"40 packets captured, 40 written"* ]]
	[ "$(tshark_count "$D/two.pcap")" -eq 40 ]
	run -0 --separate-stderr tshark -r "$D/two.pcap" -T fields -e frame.time_epoch
	[ "${#lines[@]}" -eq 40 ]
	printf '%s\n' "${lines[@]}" | awk 'NR > 1 && $1 < prev { exit 1 } { prev = $1 }'
	# text lines say which pod each packet is from
	ping_later "$(pod_ip web "$WEB_B")" 2 &
	run -0 --separate-stderr on_a capture -n web "$WEB_A" "$WEB_B" -c 4 icmp
	wait
	[ "${#lines[@]}" -eq 4 ]
	for l in "${lines[@]}"; do [[ "$l" == *" web/$WEB_B/eth0 IP "* ]]; done
}

@test "rotation: -C, -C -W, -G -W make tcpdump's files, each whole" {
	ip=$(pod_ip web "$WEB_A")
	# rotated files are made after the drop, as tcpdump's (by nobody):
	# a directory of nobody's, outside this test's private one
	R=$(mktemp -d /tmp/knet-capture-rot.XXXXXX)
	chmod 755 "$R"
	chown nobody "$R"
	(sleep 2; tests/lab/lab pod-exec client/client -- ping -c 20 -i 0.05 -s 1000 "$ip" >/dev/null) &
	run -0 on_a capture -n client client -c 40 -C 0.01 -w "$R/c.pcap" icmp
	wait
	[[ "$output" == *"40 packets captured, 40 written"* ]]
	[ "$(cd "$R" && ls | paste -sd' ')" = "c.pcap c.pcap1 c.pcap2 c.pcap3" ]
	total=0
	for f in "$R"/c.pcap*; do
		n=$(tshark_count "$f")
		[ "$n" -gt 0 ]
		total=$((total + n))
	done
	[ "$total" -eq 40 ]
	# -W 2 with -C: two names, reused in turn; pcapng files each whole
	(sleep 2; tests/lab/lab pod-exec client/client -- ping -c 20 -i 0.05 -s 1000 "$ip" >/dev/null) &
	run -0 on_a capture -n client client -c 40 -C 0.01 -W 2 -w "$R/w.pcapng" icmp
	wait
	[ "$(cd "$R" && ls w.* | paste -sd' ')" = "w.pcapng0 w.pcapng1" ]
	for f in "$R"/w.*; do
		[ "$(tshark_count "$f")" -gt 0 ]
		capinfos -I "$f" | grep -q "Description = pod client/client on node node-a"
	done
	# -G 1 -W 2: two strftime names, then the capture ends by itself
	(sleep 2; tests/lab/lab pod-exec client/client -- ping -c 40 -i 0.1 "$ip" >/dev/null) &
	run -0 timeout 30 tests/lab/lab run node-a -- "$KNET" capture -n client client -G 1 -W 2 \
		-w "$R/g-%s.pcap" icmp
	wait
	written=$(sed -n 's/.*captured, \([0-9]*\) written.*/\1/p' <<<"$output")
	[ "$(cd "$R" && ls g-* | wc -l)" -eq 2 ]
	total=0
	for f in "$R"/g-*.pcap; do
		[[ "$f" =~ /g-[0-9]{10}\.pcap$ ]]
		total=$((total + $(tshark_count "$f")))
	done
	[ "$total" -eq "$written" ]
}

@test "bad targets and rotation values: one line, exit 3 or 2, nothing left" {
	run -3 on_a capture -n web -l app=nosuch -c 1
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "knet: cannot find pods matching 'app=nosuch': "* ]]
	# idle's one pod never becomes ready: its Service has no backend
	[ -z "$(ep_ready_ips web idle)" ]
	run -3 on_a capture -n web svc/idle -c 1
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "knet: cannot find the backends of 'svc/idle': "* ]]
	run -3 on_a capture -n web svc/nosuch -c 1
	[ "${#lines[@]}" -eq 1 ]
	for bad in "-C 0" "-C x" "-G 0" "-W 0" "-W -1" "-C 1" "-W 2 -w $D/x.pcap"; do
		# shellcheck disable=SC2086
		run -2 on_a capture -n client client -c 1 $bad
		[ "${#lines[@]}" -eq 1 ]
	done
	[ ! -e "$D/x.pcap" ]
	run pgrep -f "$KNET.*capture"
	[ "$status" -eq 1 ]
}

@test "names follow the cluster: a pod made during the capture is named" {
	N=capture-new-$$
	ping_new_pod client "$N" 3 0.3 &
	run -0 --separate-stderr on_a -o json capture -n client client --duration 12 icmp
	wait
	ip=$(pod_ip client "$N")
	k -n client delete pod "$N" --wait=false >/dev/null
	[ -n "$ip" ]
	[ "$(printf '%s\n' "${lines[@]}" | jq -r "select(.dst == \"$ip\") | .dst_name" | sort -u)" = \
		"pod client/$N" ]
}

@test "names follow the cluster: a Service made during the capture is named" {
	S=capture-svc-$$
	(sleep 2
	 k -n client create service clusterip "$S" --tcp=80:80 >/dev/null
	 sleep 1.5
	 ip=$(k -n client get svc "$S" -o jsonpath='{.spec.clusterIP}')
	 echo "$ip" >"$D/svc-ip"
	 for i in 1 2 3; do
		tests/lab/lab pod-exec client/client -- curl -s --max-time 0.5 "http://$ip/" || true
		sleep 0.3
	 done) &
	run -0 --separate-stderr on_a -o json capture -n client client --duration 10 tcp port 80
	wait
	k -n client delete service "$S" >/dev/null
	ip=$(cat "$D/svc-ip")
	[ -n "$ip" ]
	names=$(printf '%s\n' "${lines[@]}" | jq -r "select(.dst == \"$ip\") | .dst_name" | sort -u)
	echo "names: $names"
	[ "$names" = "svc client/$S" ]
}

@test "several targets: the local end reads as nobody, CAP_KILL at most" {
	privs_of_knet capture -n web -l app=web --duration 3 -w "$D/p.pcap" icmp
	[ "$knet_status" -eq 0 ]
	remote_privs_dropped
	[ -e "$D/p.pcap" ]
}

@test "several targets stopped by SIGTERM: remote runs end too, the file is whole" {
	tests/lab/lab pod-exec client/client -- ping -c 40 -i 0.1 "$(pod_ip web "$WEB_C")" >/dev/null &
	pinger=$!
	tests/lab/lab run node-a -- "$KNET" capture -n web -l app=web -w "$D/t.pcapng" icmp \
		2>"$D/t.err" &
	sleep 4
	# knet itself, not one of its remote runs (those begin "knet -o json")
	pid=$(pgrep -f "^$KNET capture -n web -l app=web -w $D/t.pcapng")
	[ -n "$pid" ]
	kill -TERM "$pid"
	wait "$pinger" || true
	wait || true
	written=$(sed -n 's/.*captured, \([0-9]*\) written.*/\1/p' "$D/t.err")
	[ "$written" -gt 0 ]
	[ "$(tshark_count "$D/t.pcapng")" -eq "$written" ]
	# every pod's interface with its statistics block: the remote runs
	# were told to stop and their last lines were read
	[ "$(capinfos -I "$D/t.pcapng" | grep -c 'Number of stat entries = 1')" -eq 3 ]
	run pgrep -f "$KNET.*capture"
	[ "$status" -eq 1 ]
}
