#!/usr/bin/env bats
# The node transport through the API (--via k8s, the default): knet
# __k8s-exec runs a command in a node's agent pod (lib/agent: here an
# ephemeral one on node-b, in a namespace of this file's own through
# KNET_AGENT_NAMESPACE) through the real apiserver's pods/exec
# (WebSocket v4.channel.k8s.io) and the lab kubelet API.
# KNET_AGENT_KNET runs this checkout's knet (or sh) there instead of
# the lab's agent-knet, which other worktrees share.

bats_require_minimum_version 1.5.0

load node-helpers

NS=knet-ws-test

setup_file() {
	node_setup_file
	k delete namespace "$NS" --ignore-not-found --wait=true >/dev/null
	k create namespace "$NS" >/dev/null
	k label namespace "$NS" pod-security.kubernetes.io/enforce=privileged >/dev/null
	# the agent of node-b, made now and reused by the tests
	KNET_AGENT_NAMESPACE=$NS "$KNET" __k8s-exec node-b -- knet version >/dev/null
}

teardown_file() {
	cd "$BATS_TEST_DIRNAME/.."
	eval "$(tests/lab/lab env)"
	tests/lab/lab kubectl delete namespace "$NS" --ignore-not-found --wait=false >/dev/null
}

setup() {
	node_env
	export KNET_AGENT_NAMESPACE=$NS
	unset KNET_AGENT_KNET
}

agent_pod() { k -n "$NS" get pods -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.nodeName}{" "}{.status.phase}{"\n"}{end}' | awk '$2 == "node-b" && $3 == "Running" {print $1; exit}'; }
relay() { "$KNET" __k8s-exec node-b -- "$@"; }
relay_on() { "$KNET" __k8s-exec "$1" -- "${@:2}"; }
sh_relay() { KNET_AGENT_KNET=/bin/sh "$KNET" __k8s-exec node-b -- sh -c "$@"; }

@test "k8s-exec: knet version -o json runs in the agent pod" {
	run --separate-stderr relay knet version -o json
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	echo "$output" | jq -e '.kind == "ComponentList" and (.items[] | select(.component == "knet") | .version | length > 0)'
}

@test "k8s-exec: the remote exit status and stderr come back apart" {
	run --separate-stderr sh_relay 'echo out; echo err >&2; exit 7'
	[ "$status" -eq 7 ]
	[ "$output" = "out" ]
	[ "$stderr" = "err" ]
	run --separate-stderr sh_relay 'exit 0'
	[ "$status" -eq 0 ]
	# the remote knet's own usage error (2), its message relayed
	run --separate-stderr relay knet help no-such-command
	[ "$status" -eq 2 ]
	[[ "$stderr" == "knet: cannot show help for 'no-such-command'"* ]]
}

@test "k8s-exec: stdout is binary safe (sha256 of 4 MiB of random bytes)" {
	f=$PWD/build/k8s-exec-random
	head -c 4194304 /dev/urandom >"$f"
	want=$(sha256sum <"$f" | cut -d' ' -f1)
	got=$(sh_relay "cat '$f'" | sha256sum | cut -d' ' -f1)
	rm -f "$f"
	[ "$got" = "$want" ]
}

@test "k8s-exec: throughput of a large stream (printed, no assertion)" {
	start=$(date +%s%N)
	n=$(sh_relay 'head -c 300000000 /dev/zero' | wc -c)
	end=$(date +%s%N)
	[ "$n" -eq 300000000 ]
	echo "# k8s-exec: 300 MB in $(((end - start) / 1000000)) ms: $((300000 * 1000 / ((end - start) / 1000000) / 1000)) MB/s" >&3
}

@test "k8s-exec: a reader without pods/exec gets the RBAC message (4)" {
	# the reader reads everything, the agent pod too; the exec is
	# refused by the apiserver's RBAC before any kubelet
	pod=$(agent_pod)
	[ -n "$pod" ]
	run --separate-stderr "$KNET" --kubeconfig "$KNET_LAB_READER_KUBECONFIG" __k8s-exec node-b -- knet version
	[ "$status" -eq 4 ]
	[ "$output" = "" ]
	[[ "$stderr" == "knet: cannot run knet on node 'node-b': pods \"$pod\" is forbidden: User \"knet-reader\" cannot "*" resource \"pods/exec\" in API group \"\" in the namespace \"$NS\": the RBAC rule is missing (get and create on pods/exec in namespace $NS)" ]]
}

@test "k8s-exec: an unknown node is exit 3" {
	run --separate-stderr relay_on node-zz knet version
	[ "$status" -eq 3 ]
	[ "$stderr" = "knet: cannot find the agent pod of node 'node-zz': node 'node-zz' not found" ]
}

@test "k8s-exec: bad usage is exit 2, the token is never logged" {
	run --separate-stderr "$KNET" __k8s-exec node-b knet version
	[ "$status" -eq 2 ]
	[[ "$stderr" == "knet: '__k8s-exec' needs NODE -- COMMAND..."* ]]
	token=$(awk '/token:/ {print $2}' "$KUBECONFIG")
	[ -n "$token" ]
	run --separate-stderr "$KNET" -vvv __k8s-exec node-b -- knet version
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"101 in "*"(WebSocket v4.channel.k8s.io)"* ]]
	[[ "$stderr" != *"$token"* ]]
}

@test "k8s-exec: the relayed line's API options are used here, its --token never goes there" {
	export KNET_AGENT_KNET=/bin/echo
	token=$(awk '/token:/ {print $2}' "$KUBECONFIG")
	# --kubeconfig taken from the line: the viewer may not read the pod
	run --separate-stderr relay knet --kubeconfig "$KNET_LAB_VIEWER_KUBECONFIG" version
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"no permission to list pods in namespace '$NS'"*'User "knet-viewer" cannot list resource "pods"'* ]]
	# with the admin's --token from the line it may; the token is in
	# neither the -v lines, the exec URL nor the remote command line
	run --separate-stderr relay knet -vv --kubeconfig "$KNET_LAB_VIEWER_KUBECONFIG" --token="$token" version --token "$token" -- --token keep
	[ "$status" -eq 0 ]
	[ "$output" = "-vv --kubeconfig $KNET_LAB_VIEWER_KUBECONFIG version -- --token keep" ]
	[[ "$stderr" == *"context knet-viewer@knet-lab"* ]]
	[[ "$stderr" == *"101 in "* ]]
	[[ "$stderr" != *"$token"* ]]
}

@test "k8s-exec: knet ping through --via k8s, the default transport" {
	ip=$(pod_ip client client)
	export KNET_AGENT_KNET=$KNET
	# no KNET_VIA: k8s; the remote knet reads the API with the same
	# --kubeconfig until --no-api lands
	run --separate-stderr env -u KNET_VIA tests/lab/lab run node-a -- "$KNET" --kubeconfig "$KUBECONFIG" ping client/client --from "web/$WEB_B" -c 3 -i 0.2 -o json
	[ "$status" -eq 0 ]
	echo "$output" | jq -s -e "[.[] | select(.event == \"reply\" and .from == \"$ip\" and .ttl == 62)] | length == 3"
	echo "$output" | jq -s -e "[.[] | select(.event == \"summary\")][0] | .sent == 3 and .received == 3 and .source == \"pod web/$WEB_B\""
}

@test "k8s-exec: Ctrl-C stops the remote run, which prints its summary" {
	export KNET_AGENT_KNET=$KNET
	ping_interrupted 2.5 --kubeconfig "$KUBECONFIG" --via k8s ping client/client --from "web/$WEB_B" -c 100 -i 0.2 -o json
	[ "$st" -eq 0 ]
	[ "$n" -ge 3 ] && [ "$n" -lt 100 ]
	jq -s -e "[.[] | select(.event == \"summary\")] | length == 1 and (.[0] | .sent == $n and .received == $n)" "$BATS_TEST_TMPDIR/out"
	# nothing of the remote run is left on node-b
	sleep 0.5
	run ! pgrep -f -- "--stop-on-stdin -o json --node node-b"
}

@test "k8s-exec: knet exec through k8s: a terminal (size, status), stdin relayed" {
	export KNET_AGENT_KNET=/bin/sh
	run script -qec "stty cols 91 rows 33; $KNET __k8s-exec node-b -- sh -c 'tty; stty size; exit 3'; echo rc=\$?" /dev/null
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *"33 91"* ]]
	[[ "$output" == *"rc=3"* ]]
	# the whole path: knet exec on node-a, the pod on node-b
	export KNET_AGENT_KNET=$KNET
	run --separate-stderr tests/lab/lab run node-a -- "$KNET" --kubeconfig "$KUBECONFIG" --via k8s exec "web/$WEB_B" -- sh -c 'read x; echo "got $x"; ip -br addr show eth0; exit 4' <<<"hello"
	[ "$status" -eq 4 ]
	[ "${lines[0]}" = "got hello" ]
	[[ "${lines[1]}" == "eth0@"*" $(pod_ip web "$WEB_B")/24 "* ]]
}

@test "k8s-exec: the agent pod killed mid-stream is exit 5, the stream dropped" {
	pod=$(agent_pod)
	[ -n "$pod" ]
	sh_relay 'echo started; while :; do sleep 0.2; done' >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	sleep 1.5
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = started ]
	k -n "$NS" delete pod "$pod" --grace-period=0 --force >/dev/null 2>&1
	st=0
	wait "$pid" || st=$?
	cat "$BATS_TEST_TMPDIR/err"
	echo "status $st"
	# the lab kubelet either drops the stream first or kills the
	# command first and sends its Status (SIGKILL: 137): 5 in words
	# both ways, the pod named
	[ "$st" -eq 5 ]
	agent_gone_line node-b "$NS" "$pod" "$(cat "$BATS_TEST_TMPDIR/err")"
	# the next run gets a new agent
	run --separate-stderr relay knet version -o json
	[ "$status" -eq 0 ]
	[ "$(agent_pod)" != "$pod" ]
}

@test "k8s-exec: --stop-on-stdin: EOF or a byte stops the run with its summary, a second byte ends it (137)" {
	run --separate-stderr tests/lab/lab run node-a -- "$KNET" --stop-on-stdin ping 198.18.0.11 -c 100 -i 0.2 -o json </dev/null
	[ "$status" -eq 0 ]
	echo "$output" | jq -s -e '[.[] | select(.event == "summary")] | length == 1 and .[0].sent < 5'
	run --separate-stderr tests/lab/lab run node-a -- "$KNET" --stop-on-stdin ping 198.18.0.11 -c 100 -i 0.2 -o json < <(sleep 1.1; printf x; sleep 5)
	[ "$status" -eq 0 ]
	echo "$output" | jq -s -e '[.[] | select(.event == "summary")] | length == 1 and .[0].sent >= 3 and .[0].sent < 10'
	run --separate-stderr tests/lab/lab run node-a -- "$KNET" --stop-on-stdin ping 198.18.0.11 -c 100 -i 0.2 -o json < <(sleep 1.1; printf xy; sleep 5)
	[ "$status" -eq 137 ]
	# not an option anywhere else: help and completions do not show it
	run "$KNET" help
	[[ "$output" != *"stop-on-stdin"* ]]
	run ! grep -q stop-on-stdin completions/knet.bash
}
