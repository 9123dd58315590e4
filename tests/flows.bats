#!/usr/bin/env bats
# knet flows against the lab: the screen in tmux (a row naming the
# backend pod with rising counters, RST and unanswered SYNs flagged,
# sorting, filtering, the detail pane, `q` and SIGTERM giving the
# terminal back), --once -o json against tshark's count of the same
# window, a pod on another node, conntrack as the source, bad input.
# The lab's client pod is shared with other tests: every request here
# leaves from a local port of its own, and assertions look for those.

bats_require_minimum_version 1.5.0

load node-helpers

setup_file() {
	node_setup_file
}

setup() {
	node_env
	D=$BATS_TEST_TMPDIR
	# Ports of this test: BASE..BASE+9, found by the filter ":${BASE%?}".
	BASE=$((41000 + (RANDOM % 1800) * 10))
	PFX=":${BASE%?}"
}

# A tmux server of this test's own, its socket in the test's directory.
teardown() {
	tmux -S "$D/tmux" kill-server 2>/dev/null || true
	rm -f "$D/tmux"
}

tm() { tmux -S "$D/tmux" "$@"; }

# knet flows "$@" in a 200x50 tmux pane on node-a; the pane's shell
# records `stty -a` before and after, knet's pid and exit status.
screen_start() {
	local args="$*"
	tm new-session -d -x "${W:-200}" -y "${H:-50}" "stty -a >$D/stty.before;
		sh -c 'echo \$\$ >$D/pid; exec env KUBECONFIG=$KUBECONFIG ${ENVS:-} \
			KNET_VIA=\"$KNET_VIA\" tests/lab/lab run node-a -- \
			$KNET flows $args'; echo \$? >$D/rc;
		stty -a >$D/stty.after; sleep 600"
	wait_pane "${READY:-knet flows}" 10
}

pane() { tm capture-pane -p; }

# The pane's shell writes its files once knet has exited.
wait_file() {
	local i
	for ((i = 0; i < 25; i++)); do [ -s "$1" ] && return 0; sleep 0.2; done
	return 1
}

# Wait until the pane shows $1 (a grep -E pattern), at most $2 seconds.
wait_pane() {
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		pane | grep -qE -- "$1" && return 0
		sleep 0.2
	done
	echo "pane never showed '$1':" >&2
	pane >&2
	return 1
}

# The first "N/N" field (PKTS out/in) of the row with local port $1.
pkts_of() {
	pane | grep -E "client/client:$1 " | head -n 1 |
		awk '{for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) {print $i; exit}}'
}

filter() {
	tm send-keys /
	tm send-keys C-u
	tm send-keys -l "$1"
	tm send-keys Enter
	wait_pane "filter $1" 5
}

# One DNS query (A foo.) from local port $2 to $1:53, not waiting.
dns_to() {
	tests/lab/lab pod-exec client/client -- python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('', $2))
s.sendto(bytes.fromhex('123401000001000000000000') + b'\\x03foo\\x00\\x00\\x01\\x00\\x01', ('$1', 53))
"
}

curl_from() {
	tests/lab/lab pod-exec client/client -- curl -s -o /dev/null "$@" || true
}

@test "screen: a row names the backend pod and its counters rise" {
	screen_start client/client
	filter ":$BASE"
	curl_from --rate 10/s --local-port "$BASE" \
		"http://web.web.svc.cluster.local/[1-90]" &
	wait_pane "client/client:$BASE .*>web/web-" 10
	first=$(pkts_of "$BASE")
	sleep 2
	second=$(pkts_of "$BASE")
	echo "first=$first second=$second"
	[ -n "$first" ] && [ -n "$second" ]
	[ "${second%/*}" -gt "${first%/*}" ]
	[ "${second#*/}" -gt "${first#*/}" ]
	# the backend really is a web pod, by the name conntrack gave
	pane | grep -E "client/client:$BASE +svc/web/web:80>web/web-[a-z0-9]+-[a-z0-9]+:8080"
	# n: addresses instead of names; p: the screen holds still
	tm send-keys n
	cip=$(pod_ip client client)
	[ -n "$cip" ]
	wait_pane "${cip//./\\.}:$BASE +198.18.[0-9.]+:80>198.19.[0-9.]+:8080" 5
	tm send-keys n p
	wait_pane "\[PAUSED\]" 5
	held=$(pkts_of "$BASE")
	sleep 1.5
	[ "$(pkts_of "$BASE")" = "$held" ]
	tm send-keys p
	# the filter in BPF's grammar, run on the packets each flow kept
	filter "tcp src port $BASE"
	wait_pane "client/client:$BASE " 5
	[ "$(pane | grep -c 'client/client:')" -eq 1 ]
	filter "udp and port $BASE"
	wait_pane "^0 shown" 5
	wait
}

@test "screen: RST and an unanswered SYN are flagged; sort, detail, q" {
	screen_start client/client
	filter "$PFX"
	# no listener behind web-broken: RST; no pod CIDR holds
	# 198.19.99.99: the SYN gets no SYN-ACK (the node says unreachable)
	curl_from --max-time 2 --local-port $((BASE + 1)) \
		http://web-broken.web.svc.cluster.local/
	curl_from --max-time 3 --local-port $((BASE + 2)) http://198.19.99.99/ &
	wait_pane "client/client:$((BASE + 1)) .*RESET .*!rst" 10
	wait_pane "client/client:$((BASE + 2)) .*198.19.99.99:80 .*SYN_SENT .*!no-synack" 10
	# sort by SRC (key 1): the lower port first; reversed with S
	tm send-keys 1
	wait_pane "SRCv" 5
	order=$(pane | grep -oE "client/client:$((BASE + 1)) |client/client:$((BASE + 2)) " | tr -d ' ' | paste -sd,)
	[ "$order" = "client/client:$((BASE + 1)),client/client:$((BASE + 2))" ]
	tm send-keys S
	wait_pane 'SRC\^' 5
	order=$(pane | grep -oE "client/client:$((BASE + 1)) |client/client:$((BASE + 2)) " | tr -d ' ' | paste -sd,)
	[ "$order" = "client/client:$((BASE + 2)),client/client:$((BASE + 1))" ]
	# the cursor follows its flow (BASE+1) when rows move; Home takes
	# it to the first row (BASE+2): that flow's detail pane
	tm send-keys Home
	sleep 0.3
	tm send-keys Enter
	wait_pane "first packets \([0-9] kept\)" 5
	cip=$(pod_ip client client)
	[ -n "$cip" ]
	pane | grep -E "${cip//./\\.}.$((BASE + 2)) > 198.19.99.99.80: Flags \[S\]"
	# w writes the flow's first packets; tshark reads them
	tm send-keys w
	wait_pane "wrote [0-9] packets to " 5
	file=$(pane | sed -n 's/.*wrote [0-9] packets to \([^ ]*\).*/\1/p')
	[ -f "$file" ]
	[ "$(tshark -r "$file" 2>/dev/null | grep -c "$((BASE + 2))")" -ge 1 ]
	rm -f "$file"
	# help, then q: the terminal is as it was
	tm send-keys '?'
	wait_pane "Keys" 5
	tm send-keys q
	wait_pane "packets captured" 5
	wait_file "$D/stty.after"
	[ "$(cat "$D/rc")" = 0 ]
	diff "$D/stty.before" "$D/stty.after"
	wait
}

@test "screen: SIGTERM gives the terminal back" {
	screen_start client/client
	pid=$(cat "$D/pid")
	[ "$(readlink "/proc/$pid/exe")" = "$KNET" ]
	kill -TERM "$pid"
	wait_pane "packets captured" 5
	wait_file "$D/stty.after"
	diff "$D/stty.before" "$D/stty.after"
	# alternate screen left, cursor shown: the shell's prompt area is back
	[ "$(tm display -p '#{alternate_on}')" = 0 ]
}

@test "screen: below 80x24 it says so, a resize brings the table; NO_COLOR" {
	W=70 H=20 READY="needs 80x24, this terminal is 70x20" screen_start client/client
	tm resize-window -x 80 -y 24
	wait_pane "^SRC +DST +PROTO +STATE" 5
	# 80 columns: every column still fits on the line
	[ "$(pane | sed -n 3p | wc -L)" -le 80 ]
	pane | sed -n 3p | grep -E 'FLAGS'
	curl_from --max-time 2 --local-port "$BASE" http://web-broken.web.svc.cluster.local/
	filter ":$BASE"
	# too narrow for the name: cut, the port kept
	wait_pane "client/c[^ ]*~:$BASE .*RESET .*!rst" 5
	# colour: the flagged row in red
	tm capture-pane -p -e | grep ":$BASE" | grep -q $'\e\[31m'
	tm send-keys q
	wait_pane "packets captured" 5
	# A new server on a new socket: a client of the old path could
	# still reach the server that is going away ("server exited
	# unexpectedly").
	tm kill-server
	rm -f "$D/tmux"
	ENVS="NO_COLOR=1" screen_start client/client
	curl_from --max-time 2 --local-port $((BASE + 1)) http://web-broken.web.svc.cluster.local/
	filter ":$((BASE + 1))"
	wait_pane "client/client:$((BASE + 1)) .*!rst" 5
	# NO_COLOR: bold and the marker, no colour
	run ! grep -q $'\e\[3[0-7]m' < <(tm capture-pane -p -e)
	tm send-keys q
	wait_pane "packets captured" 5
}

# Packets per direction of the TCP flow with local port $2 in pcap $1,
# as tshark counts them: "OUT/IN".
tshark_pkts() {
	local out in
	out=$(tshark -r "$1" -Y "tcp.srcport == $2" 2>/dev/null | wc -l)
	in=$(tshark -r "$1" -Y "tcp.dstport == $2" 2>/dev/null | wc -l)
	echo "$out/$in"
}

@test "--once -o json: the same flows and counters as tshark's capture" {
	# asked before the window opens: kubectl is slow on a busy machine
	no_dns=$(k -n web get pod "$WEB_A" -o jsonpath='{.status.podIP}')
	[ -n "$no_dns" ]
	on_a capture -n client client --duration 8 -w "$D/w.pcap" \
		"tcp portrange $BASE-$((BASE + 9))" 2>"$D/cap.err" &
	(sleep 2
	 curl_from --rate 20/s --local-port "$BASE" "http://web.web.svc.cluster.local/[1-10]"
	 curl_from --local-port $((BASE + 1)) http://web.web.svc.cluster.local/
	 curl_from --max-time 1 --local-port $((BASE + 2)) http://web-broken.web.svc.cluster.local/
	 # a DNS query to a pod that serves none: never answered
	 dns_to "$no_dns" $((BASE + 3))) &
	run --separate-stderr on_a flows client/client --once 6.5 -o json
	wait
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"packets captured"*"dropped by the kernel"* ]]
	mine=$(echo "$output" | jq -c --argjson lo "$BASE" --argjson hi $((BASE + 9)) \
		'[.items[] | select(.proto == "tcp" and .sport >= $lo and .sport <= $hi)]')
	[ "$(echo "$mine" | jq length)" -eq 3 ]
	for p in "$BASE" $((BASE + 1)) $((BASE + 2)); do
		got=$(echo "$mine" | jq -r --argjson p "$p" \
			'.[] | select(.sport == $p) | "\(.packets_out)/\(.packets_in)"')
		want=$(tshark_pkts "$D/w.pcap" "$p")
		echo "port $p: knet $got tshark $want"
		[ "$got" = "$want" ]
		[ "${want%/*}" -gt 0 ]
	done
	# what the flows are: keep-alive to a web pod, RST from web-broken
	echo "$mine" | jq -e --argjson p "$BASE" '.[] | select(.sport == $p) |
		.state == "CLOSED" and .dst_name == "svc/web/web" and
		(.backend_name | startswith("web/web-")) and .packets_out > 20'
	echo "$mine" | jq -e --argjson p $((BASE + 2)) '.[] | select(.sport == $p) |
		.state == "RESET" and (.flags | index("rst"))'
	# the unanswered DNS query, and the ICMP error tied back to it
	echo "$output" | jq -e --argjson p $((BASE + 3)) '[.items[] |
		select(.proto == "udp" and .sport == $p)] | length == 1 and
		(.[0].flags | index("dns-unanswered") and index("no-reply") and
		 index("unreach")) and .[0].icmp_errors == 1 and
		.[0].packets_out == 1 and .[0].packets_in == 0'
}

@test "--watch: JSON Lines snapshots, each headed by its counters" {
	run --separate-stderr timeout -s INT 4 \
		tests/lab/lab run node-a -- "$KNET" flows client/client --watch --refresh 1
	[ "${#lines[@]}" -ge 4 ]
	echo "${lines[0]}" | jq -e '.event == "snapshot" and .source == "capture" and
		(.dropped_kernel | type) == "number" and .max_flows == 100000'
	[ "$(printf '%s\n' "${lines[@]}" | jq -r .event | grep -c '^end$')" -ge 2 ]
}

@test "a pod on another node: the remote knet's snapshots, named here" {
	ip=$(k -n web get pod "$WEB_B" -o jsonpath='{.status.podIP}')
	# the remote capture opens through the transport: give it time
	(sleep 3; curl_from --local-port $((BASE + 3)) "http://$ip:8080/") &
	run --separate-stderr on_a flows -n web "$WEB_B" --once 6 -o json
	wait
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --argjson p $((BASE + 3)) --arg pod "web/$WEB_B" '
		[.items[] | select(.sport == $p)] | length == 1 and
		.[0].src_name == "client/client" and .[0].dst_name == $pod and
		.[0].packets_out > 2 and .[0].packets_in > 2'
}

@test "--source conntrack: the node's view, accounting said" {
	(sleep 1; curl_from --local-port $((BASE + 4)) http://web.web.svc.cluster.local/) &
	run --separate-stderr on_a flows client/client --source conntrack --once 3 -o json
	wait
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --argjson p $((BASE + 4)) '
		[.items[] | select(.sport == $p)] | length == 1 and
		.[0].dst_name == "svc/web/web" and
		(.[0].backend_name | startswith("web/web-")) and
		.[0].conntrack.reply.sport == 8080'
	# the lab's nodes keep no counters: said, never hidden
	if [ "$(tests/lab/lab run node-a -- sysctl -n net.netfilter.nf_conntrack_acct)" = 0 ]; then
		[[ "$stderr" == *"accounting off"* ]]
	fi
}

@test "bad input: unknown pod (3), bad --max-flows and --source (2)" {
	run on_a flows nosuch-pod --once 1
	[ "$status" -eq 3 ]
	[[ "$output" == *"cannot find pod 'nosuch-pod'"* ]]
	run on_a flows client/client --max-flows 0 --once 1
	[ "$status" -eq 2 ]
	[[ "$output" == *"--max-flows"* ]]
	run on_a flows client/client --max-flows many
	[ "$status" -eq 2 ]
	run on_a flows client/client --source pcap
	[ "$status" -eq 2 ]
	run on_a flows client/client --sort nothing
	[ "$status" -eq 2 ]
	run on_a flows client/client --once 1 --filter "tcp port"
	[ "$status" -eq 2 ]
}

@test "-l SELECTOR: the web pods on every node, merged in one table" {
	# two of the three captures open through the transport: time
	(sleep 3.5
	 for i in 0 1 2 3 4 5 6 7 8; do
		curl_from --local-port $((BASE + i)) http://web.web.svc.cluster.local/
	 done) &
	run --separate-stderr on_a flows -n web -l app=web --once 8 -o json
	wait
	[ "$status" -eq 0 ]
	# each request is one flow on the backend that served it; three
	# backends, one per node (all are hit over nine requests, nearly
	# always: at least two is what is asserted)
	pods=$(echo "$output" | jq -r --argjson lo "$BASE" --argjson hi $((BASE + 9)) \
		'[.items[] | select(.sport >= $lo and .sport <= $hi) | .dst_name] | unique | .[]')
	echo "$pods"
	[ "$(echo "$pods" | grep -c '^web/web-')" -ge 2 ]
	n=$(echo "$output" | jq --argjson lo "$BASE" --argjson hi $((BASE + 9)) \
		'[.items[] | select(.sport >= $lo and .sport <= $hi)] | length')
	[ "$n" -eq 9 ]
}

# $1 DNS queries (A web.web.svc.cluster.local.) from local port $2 to
# kube-dns, one at a time, each waiting for its answer: 2 x $1 packets.
dns_many() {
	tests/lab/lab pod-exec client/client -- python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.bind(('', $2))
q = b'\\x03web\\x03web\\x03svc\\x07cluster\\x05local\\x00\\x00\\x01\\x00\\x01'
for i in range($1):
    s.sendto(bytes([0x40, i]) + bytes.fromhex('01000001000000000000') + q, ('$DNS_IP', 53))
    s.recv(512)
"
}

@test "screen: w writes every packet of the flow, as tshark counts them" {
	DNS_IP=$(k -n kube-system get svc kube-dns -o jsonpath='{.spec.clusterIP}')
	[ -n "$DNS_IP" ]
	screen_start client/client
	filter "$PFX"
	dns_many 25 "$BASE"
	wait_pane "client/client:$BASE .*25/25" 10
	tm send-keys w
	wait_pane "wrote 50 packets to /tmp/knet-flow-" 5
	f=$(pane | grep -oE '/tmp/knet-flow-[0-9]+-[0-9]+\.pcap' | head -n 1)
	[ -n "$f" ]
	n=$(tshark -r "$f" 2>/dev/null | wc -l)
	q=$(tshark -r "$f" -Y "udp.srcport == $BASE and dns.flags.response == 0" 2>/dev/null | wc -l)
	rm -f "$f"
	echo "tshark: $n packets, $q queries"
	[ "$n" -eq 50 ]
	[ "$q" -eq 25 ]
	# nothing left out: the screen says so only when something was
	run ! grep -q "kept .* of" <(pane)
	tm send-keys q
	wait_file "$D/rc"
	[ "$(cat "$D/rc")" -eq 0 ]
}

@test "--keep-packets: the store's cap, what it left out counted; kube-dns's own backend" {
	DNS_IP=$(k -n kube-system get svc kube-dns -o jsonpath='{.spec.clusterIP}')
	[ -n "$DNS_IP" ]
	(sleep 2; dns_many 25 "$BASE") &
	run --separate-stderr on_a flows client/client --keep-packets 10 --once 5 -o json
	wait
	[ "$status" -eq 0 ]
	mine=$(echo "$output" | jq -c --argjson p "$BASE" '[.items[] | select(.sport == $p)]')
	echo "$mine"
	[ "$(echo "$mine" | jq length)" -eq 1 ]
	echo "$mine" | jq -e '.[0] | .packets_out == 25 and .packets_in == 25 and
		.packets_kept == 10 and .packets_not_kept == 40'
	# 198.18.0.1 is the API server (kubernetes) and kube-dns's manual
	# endpoint: the flow went to kube-dns, so it is named among
	# kube-dns's endpoints, in flows and in conntrack alike
	echo "$mine" | jq -e '.[0] | .dst_name == "svc/kube-system/kube-dns" and
		.service == "svc/kube-system/kube-dns:53" and
		.backend == "ep/kube-system/kube-dns:53"'
	run --separate-stderr on_a conntrack client/client -o json
	[ "$status" -eq 0 ]
	ct=$(echo "$output" | jq -s -c --argjson p "$BASE" \
		'[.[] | select(.orig_sport == $p and .orig_dport == 53)]')
	echo "$ct"
	[ "$(echo "$ct" | jq length)" -eq 1 ]
	echo "$ct" | jq -e '.[0].reply_src_name == "ep/kube-system/kube-dns"'
}

@test "several targets: kernel drops in every snapshot while running, remote ones summed" {
	ip=$(pod_ip web "$WEB_B")
	[ -n "$ip" ]
	# a 1 KiB ring on the remote pod's capture, and a flood at it
	timeout -s INT 30 tests/lab/lab run node-a -- "$KNET" flows -n web \
		"$WEB_A" "$WEB_B" -B 1 --watch >"$D/w.json" 2>"$D/w.err" &
	pid=$!
	# ready: the remote pod's capture sees a ping
	for ((i = 0; i < 40; i++)); do
		tests/lab/lab pod-exec client/client -- ping -c 1 -W 1 "$ip" >/dev/null || true
		grep -q "\"dst\":\"$ip\"" "$D/w.json" && break
		sleep 0.5
	done
	grep -q "\"dst\":\"$ip\"" "$D/w.json"
	tests/lab/lab pod-exec client/client -- ping -f -c 3000 -s 1000 "$ip" >/dev/null
	for ((i = 0; i < 40; i++)); do
		jq -e 'select(.event == "snapshot" and .dropped_kernel > 0)' \
			"$D/w.json" >/dev/null 2>&1 && break
		sleep 0.25
	done
	kill -INT "$pid"
	wait "$pid" || true
	snaps=$(jq -c 'select(.event == "snapshot")' "$D/w.json")
	[ -n "$snaps" ]
	# never "not known": every snapshot says its drops
	[ "$(echo "$snaps" | jq -s 'map(.dropped_kernel | type == "number") | all')" = true ]
	# seen while running, before the summary
	drops=$(echo "$snaps" | jq -s 'map(.dropped_kernel) | max')
	echo "drops while running: $drops"
	[ "$drops" -gt 0 ]
	cat "$D/w.err"
	total=$(sed -n 's/.*captured, \([0-9]*\) dropped by the kernel.*/\1/p' "$D/w.err")
	[ "$total" -ge "$drops" ]
}

@test "several targets: rows name the Service and its backend, from each node's conntrack" {
	# run on node-b: the client (node-a) is captured by the remote run,
	# whose node's conntrack notes come back in its stream
	(sleep 4
	 for i in 0 1 2; do
		curl_from --local-port $((BASE + i)) http://web.web.svc.cluster.local/
	 done) &
	run --separate-stderr tests/lab/lab run node-b -- "$KNET" flows client/client \
		-n web -l app=web --once 9 -o json
	wait
	[ "$status" -eq 0 ]
	mine=$(echo "$output" | jq -c --argjson lo "$BASE" --argjson hi $((BASE + 2)) \
		'[.items[] | select(.proto == "tcp" and .sport >= $lo and .sport <= $hi)]')
	echo "$mine" | jq -c '.[] | [.sport, .dst_name, .service, .backend_name]'
	# the client's side of each request, named with its backend
	[ "$(echo "$mine" | jq '[.[] | select(.dst_name == "svc/web/web" and
		(.backend_name | startswith("web/web-")))] | length')" -eq 3 ]
	# the backend's side names the Service it was sent to
	[ "$(echo "$mine" | jq '[.[] | select((.dst_name | startswith("web/web-")) and
		.service == "svc/web/web:80" and .backend_name == .dst_name)] | length')" -eq 3 ]
}

@test "names follow the cluster: a pod made during --watch is named" {
	N=flows-new-$$
	ping_new_pod client "$N" 6 0.5 &
	run --separate-stderr timeout -s INT 14 tests/lab/lab run node-a -- \
		"$KNET" flows client/client --watch --filter icmp
	wait
	ip=$(pod_ip client "$N")
	k -n client delete pod "$N" --wait=false >/dev/null
	[ -n "$ip" ]
	rows=$(printf '%s\n' "${lines[@]}" | jq -s -c --arg ip "$ip" \
		'[.[] | select(.event == "flow" and .dst == $ip)]')
	[ "$(echo "$rows" | jq length)" -gt 0 ]
	# named once the watch saw it (the first snapshots may predate that)
	[ "$(echo "$rows" | jq -r 'last | .dst_name // "-"')" = "client/$N" ]
}

@test "screen, several targets: the header says the drops while running" {
	READY="dropped [0-9]+ kernel [0-9]+ iface" screen_start -n web -l app=web
	run ! grep -q "not known" <(pane)
	tm send-keys q
	wait_file "$D/rc"
	[ "$(cat "$D/rc")" -eq 0 ]
}

@test "screen: names follow the cluster, a pod made while it runs is named" {
	N=fs-$$
	screen_start client/client --filter icmp
	ping_new_pod client "$N" 20 0.5 &
	run wait_pane "client/client +client/$N " 25
	ip=$(pod_ip client "$N")
	wait
	# deleted whatever the screen showed: the lab is shared
	k -n client delete pod "$N" --wait=false >/dev/null
	[ "$status" -eq 0 ]
	[ -n "$ip" ]
	tm send-keys q
	wait_file "$D/rc"
	[ "$(cat "$D/rc")" -eq 0 ]
}
