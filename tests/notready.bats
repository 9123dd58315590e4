#!/usr/bin/env bats
# A NotReady node, as it happens on a real cluster: `lab node-pause
# node-c` stops what a dead kubelet stops (node lease, node status, its
# pods' upkeep, its kubelet API) and the real node lifecycle controller
# marks the node Ready=Unknown, taints it and marks its pods not Ready.
# A remote run through k8s on that node then fails in one line (exit 4)
# without leaving an agent pod behind, --all-nodes keeps the other
# nodes' rows (exit 1), and after `lab node-resume` all works again.
#
# node-c is NotReady for ~20 s of this file: others' tests that need
# its pods Ready wait (`lab up`) or fail meanwhile.  teardown_file
# resumes the node whatever happened.

bats_require_minimum_version 1.5.0

load node-helpers

NODE=node-c
MSG="node '$NODE' is NotReady (NodeStatusUnknown: Kubelet stopped posting node status.)"

setup_file() {
	node_setup_file
	# namespaces of this run: the agents', and one with no agent at all
	# (a run must not make one there); a run before that died left its own
	export NS="knet-notready-$(date +%s)" NS2="knet-notready-none-$(date +%s)"
	k get namespaces -o name | grep '^namespace/knet-notready-' |
		xargs -r "$KNET_LAB_KUBECTL" --kubeconfig "$KUBECONFIG" delete --wait=false >/dev/null
	for ns in "$NS" "$NS2"; do
		k create namespace "$ns" >/dev/null
		k label namespace "$ns" pod-security.kubernetes.io/enforce=privileged >/dev/null
	done
	export KNET_AGENT_NAMESPACE=$NS KNET_AGENT_KNET=$KNET
	# node-b's and node-c's ephemeral agents, made while Ready: the one
	# on node-c stays Running while its node is NotReady
	for n in node-b "$NODE"; do
		"$KNET" __k8s-exec "$n" -- knet version >/dev/null
	done
	agents_of "$NS" "$NODE" >"$BATS_FILE_TMPDIR/agents"
	[ "$(wc -l <"$BATS_FILE_TMPDIR/agents")" -eq 1 ]
	# the rows of every node while all are Ready (ip netns exec)
	on_a netns --all-nodes -o json | rows >"$BATS_FILE_TMPDIR/rows"
	grep -q "^$NODE " "$BATS_FILE_TMPDIR/rows"
	tests/lab/lab node-pause "$NODE" >&2
}

teardown_file() {
	node_env
	if [ -e "$KNET_LAB_DIR/paused/$NODE" ]; then
		tests/lab/lab node-resume "$NODE" >&2
	fi
	for ns in "$NS" "$NS2"; do
		k delete namespace "$ns" --ignore-not-found --wait=false >/dev/null
	done
}

setup() {
	node_env
	export KNET_AGENT_NAMESPACE=$NS KNET_AGENT_KNET=$KNET
}

# "name phase" of the agent pods of namespace $1 on node $2.
agents_of() {
	k -n "$1" get pods --field-selector "spec.nodeName=$2" \
		-o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.phase}{"\n"}{end}'
}

# "node path pod" of the namespaces a `netns -o json` lists that other
# tests leave alone: the scenario's pods and the nodes' own (whose
# hostNetwork pod named may be anyone's agent).
rows() {
	jq -r '.items[] | select((.pod // "" | test("^(web|udp|secure|client)/")) or (.path | test("/lab-node-"))) |
		"\(.node) \(.path) \(if .path | test("/lab-node-") then "" else .pod end)"' | sort
}

# knet "$@" on node-a through the k8s transport.
k8s_on_a() { on_a --via k8s "$@"; }

@test "the lab: node-c NotReady by the node lifecycle controller, tainted, its pods not Ready, still running" {
	run -0 k get node "$NODE" -o json
	jq -e '[.status.conditions[] | select(.type == "Ready")][0] |
		.status == "Unknown" and .reason == "NodeStatusUnknown"' <<<"$output"
	jq -e '[.spec.taints[].key] | index("node.kubernetes.io/unreachable") != null' <<<"$output"
	# knet's own reading of it
	run -0 --separate-stderr "$KNET" nodes -o json
	jq -e --arg n "$NODE" '.items[] | select(.name == $n) | .ready == false' <<<"$output"
	# the web pod there: not Ready in the API, but its process serves
	run -0 k -n web get pod "$WEB_C" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}'
	[ "$output" = False ]
	run -0 tests/lab/lab pod-exec client/client -- \
		curl -s --max-time 3 "http://$(pod_ip web "$WEB_C"):8080/"
	[[ "$output" == *"node=$NODE"* ]]
}

@test "netns, ping, __k8s-exec of a pod on node-c through k8s: the NotReady line (4), no agent pod made" {
	run -4 --separate-stderr k8s_on_a netns "web/$WEB_C"
	[ "$output" = "" ]
	[ "$stderr" = "knet: cannot find the agent pod of node '$NODE': $MSG" ]
	run -4 --separate-stderr k8s_on_a -o json ping -c 1 --from "web/$WEB_C" client/client
	[ "$output" = "" ]
	[ "$stderr" = "knet: cannot find the agent pod of node '$NODE': $MSG" ]
	run -4 --separate-stderr "$KNET" __k8s-exec "$NODE" -- knet version
	[ "$stderr" = "knet: cannot find the agent pod of node '$NODE': $MSG" ]
	# the agent there is the one from before, Running; none was added
	[ "$(agents_of "$NS" "$NODE")" = "$(cat "$BATS_FILE_TMPDIR/agents")" ]
	# no agent on the node at all: the node is looked at before one is made
	run -4 --separate-stderr env KNET_AGENT_NAMESPACE="$NS2" \
		tests/lab/lab run node-a -- "$KNET" -o json --via k8s ping -c 1 \
		--from "web/$WEB_C" client/client
	[ "$stderr" = "knet: cannot find the agent pod of node '$NODE': $MSG" ]
	run -4 --separate-stderr "$KNET" -n "$NS2" agent pod "$NODE"
	[ "$stderr" = "knet: cannot get an agent pod on node '$NODE': $MSG" ]
	run -0 k -n "$NS2" get pods -o name
	[ "$output" = "" ]
	nothing_left
}

@test "netns --all-nodes through k8s: node-c's failure named, the other nodes' rows kept (1)" {
	run -1 --separate-stderr k8s_on_a netns --all-nodes -o json
	echo "$stderr"
	[ "$stderr" = "knet: cannot run on node '$NODE': cannot find the agent pod of node '$NODE': $MSG" ]
	jq -e --arg n "$NODE" '.errors | length == 1 and .[0].node == $n and (.[0].reason | contains("is NotReady (NodeStatusUnknown"))' <<<"$output"
	# node-a's and node-b's rows, as when every node was Ready
	[ "$(rows <<<"$output")" = "$(grep -v "^$NODE " "$BATS_FILE_TMPDIR/rows")" ]
	[ "$(jq -r '[.items[].node] | unique | join(" ")' <<<"$output")" = "node-a node-b" ]
	# the table: the rows, the one line on stderr
	run -1 --separate-stderr k8s_on_a netns --all-nodes
	[ "$(printf '%s\n' "${lines[@]:1}" | awk '{print $NF}' | sort -u | paste -sd' ')" = "node-a node-b" ]
	[ "$stderr" = "knet: cannot run on node '$NODE': cannot find the agent pod of node '$NODE': $MSG" ]
	[ "$(agents_of "$NS" "$NODE")" = "$(cat "$BATS_FILE_TMPDIR/agents")" ]
	nothing_left
}

@test "after node-resume: Ready, untainted, and the same runs work through the same agent" {
	tests/lab/lab node-resume "$NODE" >&2
	run -0 k get node "$NODE" -o json
	jq -e '([.status.conditions[] | select(.type == "Ready")][0].status == "True") and
		([.spec.taints[]?.key] | index("node.kubernetes.io/unreachable") == null)' <<<"$output"
	run -0 --separate-stderr k8s_on_a netns "web/$WEB_C" -o json
	jq -e --arg p "web/$WEB_C" '.items[0].pod == $p and .items[0].found_by == "cgroup"' <<<"$output"
	run -0 --separate-stderr k8s_on_a -o json ping -c 2 -i 0.2 --from "web/$WEB_C" client/client
	jq -se '[.[] | select(.event == "summary")][0] | .sent == 2 and .received == 2' <<<"$output"
	run -0 --separate-stderr k8s_on_a netns --all-nodes -o json
	jq -e '.errors == []' <<<"$output"
	[ "$(rows <<<"$output")" = "$(cat "$BATS_FILE_TMPDIR/rows")" ]
	# node-c's agent from before serves again: none was added
	[ "$(agents_of "$NS" "$NODE")" = "$(cat "$BATS_FILE_TMPDIR/agents")" ]
	# the web pod is Ready again, and so are the web endpoints
	run -0 k -n web get pod "$WEB_C" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}'
	[ "$output" = True ]
	[ "$(ep_ready_ips web web | wc -l)" -eq 3 ]
}

@test "lab up resumes a node paused over 2 minutes ago (a test that died before its teardown)" {
	mkdir -p "$KNET_LAB_DIR/paused"
	touch -d '3 minutes ago' "$KNET_LAB_DIR/paused/$NODE"
	run -0 --separate-stderr tests/lab/lab up
	[[ "$stderr" == *"lab: node $NODE was paused over 2 minutes ago: resuming it"* ]]
	[ ! -e "$KNET_LAB_DIR/paused/$NODE" ]
	run -0 k get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}'
	[ "$output" = True ]
	# kcm-nodes ran for no pause: it is not running now
	run -0 tests/lab/lab status
	[[ "$output" != *kcm-nodes* ]]
}

@test "lab node-pause / node-resume: bad node names, usage" {
	run -1 --separate-stderr tests/lab/lab node-pause node-zz
	[ "$stderr" = "lab: no such node: node-zz (nodes: $KNET_LAB_NODES)" ]
	run -1 --separate-stderr tests/lab/lab node-resume
	[ "$stderr" = "lab: usage: lab node-resume NODE" ]
	[ ! -e "$KNET_LAB_DIR/paused/node-zz" ]
}
