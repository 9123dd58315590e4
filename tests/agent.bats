#!/usr/bin/env bats
# knet agent install|status|remove|pod against the lab's apiserver, in a
# namespace of its own (knet-system may be in use by other tests).  The
# lab runs knet-agent:* pods' command with the knet `lab agent-knet`
# points at; these tests point it at this knet only while their agent
# pods start (`knet agent serve` is new here), then put it back.

bats_require_minimum_version 1.5.0

load node-helpers

NS=knet-agent-bats

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	tests/lab/lab up >&2
	eval "$(tests/lab/lab env)"
	export KUBECONFIG KNET_LAB_KUBECTL KNET_LAB_VIEWER_KUBECONFIG \
		KNET_LAB_READER_KUBECONFIG
	# a run before that failed half-way: start from nothing
	./knet -n "$NS" agent remove >/dev/null 2>&1 || true
}

teardown_file() {
	cd "$BATS_TEST_DIRNAME/.."
	./knet -n "$NS" agent remove >/dev/null 2>&1 || true
	# a namespace a test made without install (run alone)
	"$KNET_LAB_KUBECTL" delete namespace "$NS" --ignore-not-found \
		--wait=false >/dev/null 2>&1 || true
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	eval "$(tests/lab/lab env)"
	KNET=$PWD/knet
}

kc() { "$KNET_LAB_KUBECTL" "$@"; }
ka() { "$KNET" -n "$NS" agent "$@"; }

# Run "$@" with the lab's agent knet pointing at this knet, and back.
with_agent_knet() {
	local old rc=0
	old=$(tests/lab/lab agent-knet)
	tests/lab/lab agent-knet "$KNET"
	"$@" || rc=$?
	# another test run may have pointed it elsewhere meanwhile: keep that
	if [ "$(tests/lab/lab agent-knet)" = "$KNET" ]; then
		tests/lab/lab agent-knet "$old"
	fi
	return $rc
}

# Every node's DaemonSet pod Running and Ready, as knet agent status says.
all_ready() {
	local out
	out=$(ka status -o json) || return 1
	[ "$(jq '[.items[] | select(.kind == "daemonset" and .ready)] |
		length' <<<"$out")" = 3 ]
}

wait_ready() { RETRIES=60 retry all_ready; }

retry() {
	local n=${RETRIES:-60} i
	for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.5; done
	"$@"
}

no_agent_on() {
	[ -z "$(kc -n "$NS" get pods -l knet.dev/ephemeral=true --field-selector "spec.nodeName=$1" -o name)" ]
}

ds_pods_gone() {
	[ -z "$(kc -n "$NS" get pods -l knet.dev/agent=daemonset -o name)" ]
}

install_ready() { ka install && wait_ready; }

@test "agent install: the objects, privileged namespace, DaemonSet as specified; again changes nothing" {
	# the pods start with this knet (their command is agent serve)
	run -0 with_agent_knet install_ready
	lines=("${lines[@]:0:7}")
	[ "${#lines[@]}" = 7 ]
	[[ "${lines[1]}" == Namespace*"$NS"*applied ]]
	[[ "${lines[6]}" == DaemonSet*"$NS"*knet-agent*applied ]]
	run -0 kc get ns "$NS" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}'
	[ "$output" = privileged ]
	run -0 kc -n "$NS" get ds knet-agent -o json
	ds=$output
	jq -e '.spec.template.spec | .hostNetwork and .hostPID and
		(.automountServiceAccountToken == false) and
		(.tolerations == [{"operator": "Exists"}]) and
		.containers[0].securityContext.privileged and
		(.containers[0].command == ["knet", "agent", "serve"]) and
		(.containers[0].image == "knet-agent:0.1.0") and
		([.containers[0].volumeMounts[] | select(.readOnly) |
		  .mountPath] == ["/var/run/netns", "/sys/fs/cgroup"])' <<<"$ds"
	run -0 kc -n "$NS" get role knet-user -o json
	jq -e '.rules[] | select(.resources == ["pods/exec"]) |
		.verbs | index("create")' <<<"$output"
	run -0 kc get clusterrolebinding "knet-user-$NS" -o jsonpath='{.subjects[0].name}'
	[ "$output" = knet:users ]
	gen=$(jq .metadata.generation <<<"$ds")
	run -0 ka install
	[ "$(kc -n "$NS" get ds knet-agent -o jsonpath='{.metadata.generation}')" = "$gen" ]
}

@test "deploy/knet-agent.yaml: what install --dry-run prints; the apiserver accepts it" {
	run -0 bash -c "yq -s -S . deploy/knet-agent.yaml"
	file=$output
	run -0 bash -c "'$KNET' agent install --dry-run | jq -S .items"
	[ "$output" = "$file" ]
	# the file's objects, put in this test's namespace that exists
	run -0 bash -c "yq -y '(.metadata.namespace | select(. == \"knet-system\")) |= \"$NS\"' deploy/knet-agent.yaml |
		'$KNET_LAB_KUBECTL' apply --dry-run=server -f -"
	[[ "$output" == *"daemonset.apps/knet-agent"*"(server dry run)"* ]]
	[[ "$output" != *Error* ]]
}

@test "agent status: every node's agent pod Running and Ready, the pods kubectl lists" {
	with_agent_knet wait_ready
	run -0 ka status -o json
	st=$output
	[ "$(jq -r '[.items[].node] | join(" ")' <<<"$st")" = "node-a node-b node-c" ]
	for n in node-a node-b node-c; do
		want=$(kc -n "$NS" get pods -l knet.dev/agent=daemonset \
			--field-selector "spec.nodeName=$n" -o jsonpath='{.items[0].metadata.name}')
		[ -n "$want" ]
		got=$(jq -r --arg n "$n" '.items[] | select(.node == $n) |
			"\(.pod) \(.kind) \(.phase) \(.ready) \(.image)"' <<<"$st")
		[ "$got" = "$want daemonset Running true knet-agent:0.1.0" ]
	done
	run -0 ka status
	[[ "${lines[0]}" == NODE*POD*KIND*PHASE*READY*IMAGE*AGE ]]
	# the installed agent is what a remote run picks
	run -0 ka pod node-b -o json
	[ "$(jq -r '.items[0] | "\(.ephemeral) \(.container)"' <<<"$output")" = "false agent" ]
}

@test "agent pod: without the DaemonSet an ephemeral pod on the node, reused; status exits 1" {
	kc -n "$NS" delete ds knet-agent >/dev/null
	RETRIES=60 retry ds_pods_gone
	run -1 --separate-stderr ka status -o json
	[ "$(jq '[.items[] | select(.ready)] | length' <<<"$output")" = 0 ]
	[ "$stderr" = "knet: warning: the DaemonSet $NS/knet-agent is not installed: run 'knet agent install'" ]
	with_agent_knet ka pod node-b -o json >"$BATS_TEST_TMPDIR/first"
	pod=$(jq -r '.items[0].pod' "$BATS_TEST_TMPDIR/first")
	[[ "$pod" == knet-agent-node-b-?????* ]]
	[ "$(jq -r '.items[0].ephemeral' "$BATS_TEST_TMPDIR/first")" = true ]
	run -0 kc -n "$NS" get pod "$pod" -o json
	jq -e '.spec.nodeName == "node-b" and .spec.hostNetwork and
		.spec.hostPID and (.spec.automountServiceAccountToken == false) and
		.spec.containers[0].securityContext.privileged and
		(.spec.tolerations == [{"operator": "Exists"}]) and
		(.metadata.labels["knet.dev/ephemeral"] == "true") and
		(.metadata.labels["app.kubernetes.io/name"] == "knet-agent") and
		((.metadata.labels["knet.dev/expires"] | tonumber) > now + 200) and
		(.status.phase == "Running")' <<<"$output"
	# reused: the same pod, and no second one
	run -0 ka pod node-b -o json
	[ "$(jq -r '.items[0].pod' <<<"$output")" = "$pod" ]
	[ "$(kc -n "$NS" get pods -l knet.dev/ephemeral=true -o name | wc -l)" = 1 ]
	run -1 --separate-stderr ka status -o json
	[ "$(jq -r '.items[] | select(.ready) | "\(.node) \(.pod) \(.kind)"' <<<"$output")" = "node-b $pod ephemeral" ]
}

@test "agent pod: an expired ephemeral agent is not reused and the next run deletes it" {
	with_agent_knet ka pod node-c --ttl 2s -o json >"$BATS_TEST_TMPDIR/short"
	old=$(jq -r '.items[0].pod' "$BATS_TEST_TMPDIR/short")
	[[ "$old" == knet-agent-node-c-* ]]
	sleep 3
	with_agent_knet ka pod node-c -o json >"$BATS_TEST_TMPDIR/new"
	new=$(jq -r '.items[0].pod' "$BATS_TEST_TMPDIR/new")
	[[ "$new" == knet-agent-node-c-* ]]
	[ "$new" != "$old" ]
	# deleted: gone, or going (deletionTimestamp set)
	run kc -n "$NS" get pod "$old" -o jsonpath='{.metadata.deletionTimestamp}'
	[ "$status" != 0 ] || [ -n "$output" ]
}

@test "agent pod: RBAC: group knet:users may, others get the missing rule in words (exit 4)" {
	# node-b's ephemeral agent from before, reused by a knet user
	run -0 "$KNET" --as alice --as-group knet:users -n "$NS" agent pod node-b -o json
	[ "$(jq -r '.items[0].ephemeral' <<<"$output")" = true ]
	run -4 "$KNET" --as bob -n "$NS" agent pod node-a
	[ "${#lines[@]}" = 1 ]
	[[ "$output" == *"no permission to list pods in namespace '$NS', the RBAC rule for knet users is missing"* ]]
	# may read pods everywhere, may not make an agent pod
	run -4 env KUBECONFIG="$KNET_LAB_READER_KUBECONFIG" "$KNET" -n "$NS" agent pod node-a
	[ "${#lines[@]}" = 1 ]
	[[ "$output" == *"no permission to create pods in namespace '$NS', the RBAC rule"* ]]
	# the lab's viewer may read namespace web only
	run -4 env KUBECONFIG="$KNET_LAB_VIEWER_KUBECONFIG" "$KNET" -n "$NS" agent pod node-a
	[ "${#lines[@]}" = 1 ]
	[[ "$output" == *"no permission to list pods in namespace '$NS', the RBAC rule for knet users is missing"* ]]
	[ -z "$(kc -n "$NS" get pods -l knet.dev/ephemeral=true --field-selector spec.nodeName=node-a -o name)" ]
}

@test "agent: bad inputs: unknown node 3, no namespace 4, timeout 4, usage 2; nothing left" {
	run -3 ka pod node-zz
	[ "$output" = "knet: cannot get an agent pod on node 'node-zz': node 'node-zz' not found" ]
	run -4 "$KNET" -n knet-agent-bats-none agent pod node-a
	[[ "$output" == *"the agent namespace 'knet-agent-bats-none' does not exist: run 'knet agent install'"* ]]
	run -2 ka pod
	run -2 ka pod node-a node-b
	run -2 ka bogus
	run -2 ka status extra
	run -2 ka pod node-a --wait soon
	run -2 ka pod node-a --ttl 0s
	run -2 ka install --wait 5s
	run -2 "$KNET" -n kube-system agent install
	[[ "$output" == *"not 'kube-system'"* ]]
	run -2 ka pod Not_A_Node
	# a pod that cannot run in time: the error, and the pod it made goes
	run -4 ka pod node-a --wait 1ms
	[[ "$output" == "knet: cannot get an agent pod on node 'node-a': timed out: the agent pod $NS/knet-agent-node-a-"*" is still Pending after 1 ms (--wait)" ]]
	RETRIES=20 retry no_agent_on node-a
	[ -z "$(kc -n "$NS" get pods --field-selector spec.nodeName=node-zz -o name)" ]
}

@test "agent pod: an image that cannot be pulled is said in words (4), and the pod goes" {
	# The lab's kubelet reports ErrImagePull for unpullable.invalid/.
	run -4 ka pod node-a --image unpullable.invalid/knet-agent:1 --wait 20s
	[[ "$output" == "knet: cannot get an agent pod on node 'node-a': "*"ErrImagePull"* ]]
	[[ "$output" == *'unpullable.invalid/knet-agent:1'* ]]
	[ "$(echo "$output" | wc -l)" -eq 1 ]
	RETRIES=20 retry no_agent_on node-a
}

@test "agent serve: waits, ends 0 on SIGTERM" {
	"$KNET" agent serve &
	pid=$!
	sleep 0.3
	kill -0 "$pid"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 0 ]
	run -2 "$KNET" agent serve extra
}

# The web pod on node $1; the name of the Running agent pod on node $1.
web_on() { kc -n web get pods -l app=web --field-selector "spec.nodeName=$1,status.phase=Running" -o jsonpath='{.items[0].metadata.name}'; }
agent_on() { kc -n "$NS" get pods -l knet.dev/ephemeral=true --field-selector "spec.nodeName=$1,status.phase=Running" -o jsonpath='{.items[0].metadata.name}'; }
# knet "$@" on node $1 (its netns) through the k8s transport, with this
# file's agents running this knet.
k8s_on() {
	KNET_AGENT_NAMESPACE=$NS KNET_AGENT_KNET=$KNET tests/lab/lab run "$1" -- \
		"$KNET" --via k8s "${@:2}"
}
# The lab kubelet's record of pod $1 of this file's namespace is gone,
# and the process it ran with it.
pod_torn_down() {
	local f
	for f in "$KNET_LAB_DIR/pods/${NS}_$1_"*/state.json; do
		[ -f "$f" ] || continue
		echo "still set up: $f"
		return 1
	done
	[ -z "${2:-}" ] || [ ! -d "/proc/$2" ] ||
		[ "$(awk '{print $22}' "/proc/$2/stat" 2>/dev/null)" != "$3" ]
}

@test "a node command through k8s makes its ephemeral agent from KNET_AGENT_IMAGE: an unpullable one is said in words (4), the pod goes" {
	# (the namespace an earlier test's install made, when run alone)
	kc get namespace "$NS" >/dev/null 2>&1 || {
		kc create namespace "$NS" >/dev/null
		kc label namespace "$NS" \
			pod-security.kubernetes.io/enforce=privileged >/dev/null
	}
	# none on node-c to reuse (an earlier test's may still live there)
	kc -n "$NS" delete pods -l knet.dev/ephemeral=true \
		--field-selector spec.nodeName=node-c --wait=true >/dev/null
	RETRIES=40 retry no_agent_on node-c
	web=$(web_on node-c)
	[ -n "$web" ]
	KNET_AGENT_IMAGE=unpullable.invalid/knet-agent:2 \
		run -4 --separate-stderr k8s_on node-a netns "web/$web" -o json
	[ "$output" = "" ]
	echo "$stderr"
	[[ "$stderr" == "knet: "*"node 'node-c'"*"ErrImagePull"* ]]
	[[ "$stderr" == *'unpullable.invalid/knet-agent:2'* ]]
	[ "$(echo "$stderr" | wc -l)" -eq 1 ]
	RETRIES=20 retry no_agent_on node-c
	nothing_left
}

@test "a node command through k8s by a user without pods/exec: the RBAC message (4), nothing runs there" {
	with_agent_knet ka pod node-c >/dev/null
	pod=$(agent_on node-c)
	[ -n "$pod" ]
	web=$(web_on node-c)
	# the reader reads the pod and the agent, the apiserver refuses the exec
	run -4 --separate-stderr k8s_on node-a --kubeconfig "$KNET_LAB_READER_KUBECONFIG" netns "web/$web" -o json
	[ "$output" = "" ]
	[ "$stderr" = "knet: cannot run knet on node 'node-c': pods \"$pod\" is forbidden: User \"knet-reader\" cannot get resource \"pods/exec\" in API group \"\" in the namespace \"$NS\": the RBAC rule is missing (get and create on pods/exec in namespace $NS)" ]
	# the admin, the same line: works
	run -0 --separate-stderr k8s_on node-a netns "web/$web" -o json
	jq -e --arg p "web/$web" '.items[0].pod == $p' <<<"$output"
	nothing_left
}

@test "a node command through k8s whose agent pod is deleted mid-run: one line (5), the output so far, nothing left" {
	with_agent_knet ka pod node-c >/dev/null
	pod=$(agent_on node-c)
	[ -n "$pod" ]
	out=$BATS_TEST_TMPDIR/out
	k8s_on node-a -o json ping --from "web/$(web_on node-c)" client/client \
		-c 100 -i 0.2 >"$out" 2>"$out.err" &
	pid=$!
	RETRIES=40 retry grep -q '"event":"reply"' "$out"
	kc -n "$NS" delete pod "$pod" --grace-period=0 --force >/dev/null 2>&1
	st=0
	wait "$pid" || st=$?
	cat "$out.err"
	[ "$st" -eq 5 ]
	agent_gone_line node-c "$NS" "$pod" "$(cat "$out.err")"
	# the replies until then were shown, as JSON lines; no summary
	[ "$(jq -s '[.[] | select(.event == "reply")] | length' "$out")" -ge 1 ]
	[ "$(jq -s '[.[] | select(.event == "summary")] | length' "$out")" -eq 0 ]
	RETRIES=20 retry pod_torn_down "$pod"
	nothing_left
}

@test "the ephemeral agent is deleted after use: the next node command through k8s deletes an expired one, pod and process" {
	with_agent_knet ka pod node-a --ttl 2s -o json >"$BATS_TEST_TMPDIR/short"
	old=$(jq -r '.items[0].pod' "$BATS_TEST_TMPDIR/short")
	[[ "$old" == knet-agent-node-a-* ]]
	f=$(echo "$KNET_LAB_DIR/pods/${NS}_${old}_"*/state.json)
	pid=$(jq -r .pid "$f")
	start=$(jq -r .starttime "$f")
	[ -d "/proc/$pid" ]
	sleep 3
	# a pod of node-a from node-b: through a new agent on node-a
	web=$(web_on node-a)
	run -0 --separate-stderr with_agent_knet k8s_on node-b netns "web/$web" -o json
	jq -e --arg p "web/$web" '.items[0].pod == $p and .items[0].node == "node-a"' <<<"$output"
	new=$(agent_on node-a)
	[[ "$new" == knet-agent-node-a-* ]]
	[ "$new" != "$old" ]
	# the expired one: out of the API, torn down, its process ended
	RETRIES=40 retry bash -c "! '$KNET_LAB_KUBECTL' -n '$NS' get pod '$old' >/dev/null 2>&1"
	RETRIES=20 retry pod_torn_down "$old" "$pid" "$start"
	nothing_left
}

@test "agent remove: the ephemeral agents, the RBAC objects, the namespace; nothing left; again: absent" {
	[ -n "$(kc -n "$NS" get pods -l knet.dev/ephemeral=true -o name)" ]
	run -0 ka remove -o json
	[ "$(jq -r '[.items[] | select(.kind == "Pod") | .result] | unique | join(",")' <<<"$output")" = deleted ]
	[ "$(jq -r '.items[] | select(.kind == "Namespace") | .result' <<<"$output")" = deleted ]
	run -0 kc get all -n "$NS"
	[[ "$output" == "No resources found in $NS namespace." ]]
	run kc get ns "$NS"
	[ "$status" != 0 ]
	run kc get clusterrole "knet-user-$NS"
	[ "$status" != 0 ]
	run -0 ka remove -o json
	[ "$(jq -r '[.items[].result] | unique | join(",")' <<<"$output")" = absent ]
}
