#!/usr/bin/env bats
# knet netns and knet exec on the lab's nodes: finding pods' namespaces
# by cgroup and IP, the node transport, and running node tools in a pod.

bats_require_minimum_version 1.5.0

load node-helpers

setup_file() { node_setup_file; }
setup() { node_env; }
teardown() { [ -z "${API_PID:-}" ] || kill "$API_PID" 2>/dev/null || true; }

@test "netns: lists the pods of this node only, found by cgroup" {
	run --separate-stderr on_a netns -o json
	[ "$status" -eq 0 ]
	# the lab's `scale` pods are API objects only: they have no netns
	want=$(k get pods -A --field-selector spec.nodeName=node-a,metadata.namespace!=scale -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{"\n"}{end}' | sort)
	got=$(echo "$output" | jq -r '.items[].pod' | sort)
	[ -n "$want" ]
	[ "$got" = "$want" ]
	ip=$(pod_ip client client)
	echo "$output" | jq -e ".items[] | select(.pod == \"client/client\") | .ips == [\"$ip\"] and .found_by == \"cgroup\" and (.path | startswith(\"/var/run/netns/cni-\")) and .pid > 0 and .node == \"node-a\""
}

@test "netns: the process it names is in that namespace" {
	run --separate-stderr on_a netns client/client -o json
	[ "$status" -eq 0 ]
	path=$(echo "$output" | jq -r '.items[0].path')
	pid=$(echo "$output" | jq -r '.items[0].pid')
	[ "$(stat -L -c %i "$path")" = "$(stat -L -c %i "/proc/$pid/ns/net")" ]
	grep -q "pod$(k -n client get pod client -o jsonpath='{.metadata.uid}')" "/proc/$pid/cgroup"
}

@test "netns: --all adds the node's own namespace" {
	run --separate-stderr on_a netns --all -o json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.items[] | select(.found_by == "self") | .ips | index("198.18.0.10") != null'
}

@test "netns: a pod on another node, through the transport" {
	web_b=$WEB_B
	run --separate-stderr on_a netns "web/$web_b" -o json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e ".items[0].pod == \"web/$web_b\" and .items[0].ips == [\"$(pod_ip web "$web_b")\"]"
}

@test "netns: which node am I, --node, and unknown pods (3)" {
	run --separate-stderr tests/lab/lab run node-b -- "$KNET" netns -o json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '[.items[].node] | length > 0 and all(. == "node-b")'
	run --separate-stderr on_a netns client/nope
	[ "$status" -eq 3 ]
	[[ "$stderr" == "knet: cannot find the network namespace of 'client/nope':"* ]]
}

# An API server on node-a's loopback that takes connections and never
# answers: $T/port is its port, $T/accepted appears at the first one.
# With it, knet is caught waiting on the API, which is when it must no
# longer be root.
stalling_api() {
	T=$BATS_TEST_TMPDIR
	rm -f "$T/port" "$T/accepted"
	tests/lab/lab run node-a -- python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1] + "/port", "w").write("%d\n" % s.getsockname()[1])
held = []
while True:
    held.append(s.accept()[0])
    open(sys.argv[1] + "/accepted", "w").close()
' "$T" 3>&- &
	API_PID=$!
	RETRIES=20 retry test -s "$T/port"
	cat >"$T/kc" <<-EOF
	apiVersion: v1
	kind: Config
	clusters:
	- name: stall
	  cluster: {server: "https://127.0.0.1:$(cat "$T/port")", insecure-skip-tls-verify: true}
	users:
	- name: u
	  user: {token: not-a-secret}
	contexts:
	- name: c
	  context: {cluster: stall, user: u}
	current-context: c
	EOF
}

# Uid and CapEff of a knet "$@" (netns...) on node-a once it waits on
# the stalling API; then it gives up (--request-timeout) and exits.
privs_on_api() {
	KUBECONFIG=$T/kc tests/lab/lab run node-a -- "$KNET" --request-timeout 1s "$@" >"$T/out" 2>"$T/err" &
	pid=$!
	RETRIES=20 retry test -e "$T/accepted"
	uid=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")
	caps=$(awk '/^CapEff:/ {print $2}' "/proc/$pid/status")
	prm=$(awk '/^CapPrm:/ {print $2}' "/proc/$pid/status")
	knet_status=0
	wait "$pid" || knet_status=$?
	rm -f "$T/accepted"
	echo "$* -> uid=$uid caps=$caps prm=$prm status=$knet_status"
	cat "$T/err"
}

@test "netns: the API's answers are read as nobody (list, --netns, --pid)" {
	stalling_api
	run --separate-stderr on_a netns client/client -o json
	path=$(echo "$output" | jq -r '.items[0].path')
	nspid=$(echo "$output" | jq -r '.items[0].pid')
	for form in "" "--all" "--netns $path" "--pid $nspid"; do
		# shellcheck disable=SC2086 # the form is words
		privs_on_api netns $form -o json
		[ "$uid" = "65534 65534 65534 65534" ]
		[ "$caps" = 0000000000000000 ]
		[ "$prm" = 0000000000000000 ]
		# the namespaces are still listed, unmatched (without --all
		# only pods' namespaces are, and no pod is known)
		[ "$knet_status" -eq 0 ]
		jq -e ".items | length $([ -z "$form" ] && echo '== 0' || echo '> 0')" "$T/out"
	done
}

@test "exec: ip addr in the pod shows the pod IP" {
	ip=$(pod_ip client client)
	run --separate-stderr on_a exec client/client -- ip -4 -o addr show dev eth0
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet $ip/"* ]]
}

@test "exec: a pod on another node, and the command's exit status" {
	web_b=$WEB_B
	ip=$(pod_ip web "$web_b")
	run --separate-stderr on_a exec "web/$web_b" -- ip -4 -o addr show dev eth0
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet $ip/"* ]]
	run --separate-stderr on_a exec client/client -- sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run -127 --separate-stderr on_a exec client/client -- /nonexistent
	[[ "$stderr" == "knet: cannot run '/nonexistent':"* ]]
}

@test "exec: not found is 127, not executable 126, as in a shell" {
	run -127 --separate-stderr on_a exec client/client -- /nonexistent
	[ "$stderr" = "knet: cannot run '/nonexistent': No such file or directory" ]
	run -127 --separate-stderr on_a exec client/client -- knet-no-such-command
	# even when saying so fails (stderr full): errno is read first
	st=0
	on_a exec client/client -- /nonexistent 2>/dev/full || st=$?
	[ "$st" -eq 127 ]
	plain=$BATS_TEST_TMPDIR/not-executable
	echo 'echo ran' >"$plain"
	chmod 644 "$plain"
	run --separate-stderr on_a exec client/client -- "$plain"
	[ "$status" -eq 126 ]
	[ "$stderr" = "knet: cannot run '$plain': Permission denied" ]
	run --separate-stderr on_a exec client/client -- /etc
	[ "$status" -eq 126 ]
	# the same through the transport, from the remote knet
	run -127 --separate-stderr on_a exec "web/$WEB_B" -- /nonexistent
	[[ "$stderr" == "knet: cannot run '/nonexistent':"* ]]
	run --separate-stderr on_a exec "web/$WEB_B" -- "$plain"
	[ "$status" -eq 126 ]
}

# timeout(1) sends SIGTERM to knet: the command must end with it, here
# and through the transport, and timeout's own status must come back.
@test "exec: SIGTERM to knet ends the command, locally and remotely" {
	for pod in client/client "web/$WEB_B"; do
		t0=$(date +%s)
		run tests/lab/lab run node-a -- timeout 2 "$KNET" exec "$pod" -- sleep 31.25
		[ "$status" -eq 124 ]
		[ $(($(date +%s) - t0)) -lt 10 ]
		# nothing of it is left (the sleep, in the pod)
		for i in $(seq 30); do
			pgrep -f '^sleep 31\.25$' >/dev/null || break
			sleep 0.1
		done
		run ! pgrep -f '^sleep 31\.25$'
	done
}

# Run "$@" with nothing open above stderr, as a login shell would.
no_extra_fds() {
	bash -c 'for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done; exec "$@"' no-extra-fds "$@"
}

@test "exec: the command inherits no fd of knet's (API connection)" {
	# the baseline: what ls shows of itself (0 1 2, its own dir fd)
	want=$(no_extra_fds tests/lab/lab pod-exec client/client -- ls /proc/self/fd | xargs)
	[ -n "$want" ]
	got=$(no_extra_fds tests/lab/lab run node-a -- "$KNET" exec client/client -- ls /proc/self/fd | xargs)
	echo "want '$want', got '$got'"
	[ "$got" = "$want" ]
	# through the transport: neither knet's fds nor the remote one's
	want=$(no_extra_fds tests/lab/lab pod-exec "web/$WEB_B" -- ls /proc/self/fd | xargs)
	got=$(no_extra_fds tests/lab/lab run node-a -- "$KNET" exec "web/$WEB_B" -- ls /proc/self/fd | xargs)
	echo "want '$want', got '$got'"
	[ "$got" = "$want" ]
}

@test "exec: bad input" {
	run --separate-stderr on_a exec client/client ip addr
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"put '--' between the pod and the command"* ]]
	run --separate-stderr on_a exec client/nope -- true
	[ "$status" -eq 3 ]
	run --separate-stderr tests/lab/lab run node-a -- capsh --drop=cap_sys_admin -- -c "$KNET exec client/client -- true"
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"needs CAP_SYS_ADMIN"* ]]
}
