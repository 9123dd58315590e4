# Shared by tests/node.bats, ping.bats and traceroute.bats: the lab, its
# environment, knet "on node-a", and a web pod on each node, looked up
# once per file.

node_env() {
	cd "$BATS_TEST_DIRNAME/.."
	load lab/helpers
	LAB=$PWD/tests/lab/lab # helpers.bash assumes tests/lab/*.bats
	eval "$(tests/lab/lab env)"
	KNET=$PWD/knet
}

node_setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	tests/lab/lab up >&2
	node_env
	WEB_A=$(pod_on web web node-a)
	WEB_B=$(pod_on web web node-b)
	WEB_C=$(pod_on web web node-c)
	[ -n "$WEB_A" ]
	[ -n "$WEB_B" ]
	[ -n "$WEB_C" ]
	export WEB_A WEB_B WEB_C
}

on_a() { tests/lab/lab run node-a -- "$KNET" "$@"; }

# Uid, Gid (real, effective, saved, fs), Groups, CapEff, CapPrm,
# NoNewPrivs and exe of a knet "$@" started on node-a in the background,
# read a second in (it is probing by then); its output is in
# $BATS_TEST_TMPDIR/out once it ended, its exit status in $knet_status.
privs_of_knet() {
	tests/lab/lab run node-a -- "$KNET" "$@" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	sleep 1
	uid=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")
	gid=$(awk '/^Gid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")
	groups=$(awk '/^Groups:/ {print $2}' "/proc/$pid/status")
	caps=$(awk '/^CapEff:/ {print $2}' "/proc/$pid/status")
	prm=$(awk '/^CapPrm:/ {print $2}' "/proc/$pid/status")
	nnp=$(awk '/^NoNewPrivs:/ {print $2}' "/proc/$pid/status")
	exe=$(readlink "/proc/$pid/exe")
	knet_status=0
	wait "$pid" || knet_status=$?
	echo "exe=$exe uid=$uid gid=$gid groups=$groups caps=$caps prm=$prm nnp=$nnp status=$knet_status"
	[ "$exe" = "$KNET" ]
}

# The local end of a remote run (reading the transport's JSON Lines) is
# nobody, with CAP_KILL at most: to signal the transport (root).
remote_privs_dropped() {
	[ "$uid" = "65534 65534 65534 65534" ]
	[ "$gid" = "65534 65534 65534 65534" ]
	[ -z "$groups" ]
	[ "$caps" = 0000000000000020 ] || [ "$caps" = 0000000000000000 ]
	[ "$prm" = 0000000000000020 ] || [ "$prm" = 0000000000000000 ]
	[ "$nnp" = 1 ]
}

# The end of a test file's own namespace $1: deleted, and waited for
# until its pod $2 is gone (the lab kubelet tears pods down first).
own_ns_delete() {
	k delete namespace "$1" --wait=false >&2 || true
	for _ in $(seq 60); do
		k -n "$1" get pod "$2" >/dev/null 2>&1 || break
		sleep 0.5
	done
}

# Pod $2 of the lab's podserver in namespace $1 on node-a (a name
# watch's test), its IP printed once it has one (empty: never).
new_pod() {
	local i ip=
	k apply -f - >/dev/null <<-YAML
	apiVersion: v1
	kind: Pod
	metadata: {name: $2, namespace: $1}
	spec:
	  nodeName: node-a
	  containers: [{name: c, image: knet-lab/podserver:1}]
	YAML
	for ((i = 0; i < 60; i++)); do
		ip=$(pod_ip "$1" "$2")
		[ -z "$ip" ] || break
		sleep 0.25
	done
	echo "$ip"
}

# In 2 s, pod $2 made in $1 (new_pod), then $3 pings to it from the
# client pod every $4 s: what a capture started now should name.
ping_new_pod() {
	local ip
	sleep 2
	ip=$(new_pod "$1" "$2")
	sleep 1.5
	tests/lab/lab pod-exec client/client -- ping -c "$3" -i "$4" "$ip" >/dev/null
}

# knet "$@" (a ping of client/client, -o json) on node-a, stopped with
# SIGINT after $1 seconds as a terminal would deliver it (not ignored, as
# bats leaves it for background jobs).  Sets $st (its exit status) and
# $n (the replies from client/client); its lines are in
# $BATS_TEST_TMPDIR/out.
ping_interrupted() {
	local after=$1 ip pid
	shift
	ip=$(pod_ip client client)
	env --default-signal=INT tests/lab/lab run node-a -- "$KNET" "$@" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	sleep "$after"
	[ "$(readlink "/proc/$pid/exe")" = "$KNET" ]
	kill -INT "$pid"
	st=0
	wait "$pid" || st=$?
	cat "$BATS_TEST_TMPDIR/err"
	n=$(jq -s '[.[] | select(.event == "reply" and .from == "'"$ip"'")] | length' "$BATS_TEST_TMPDIR/out")
	echo "replies: $n"
}

# No knet of ours is left running after a run (but the agent pods'
# `knet agent serve`, which the k8s transport's runs go through).
nothing_left() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" != "$KNET" ] ||
			[[ "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" == *" agent serve " ]] || {
			echo "left behind: ${p#/proc/}: $(tr "\0" " " <"$p/cmdline" 2>/dev/null)"
			return 1
		}
	done
}

# $4 is the one line a run through k8s on node $1 ends with when its
# agent pod $3 (namespace $2) is deleted mid-run: the lab kubelet kills
# the command (137) or drops the stream first, both said in words.
agent_gone_line() {
	local gone="the agent pod $2/$3 went away mid-run (deleted)"
	[ "$4" = "knet: cannot run knet on node '$1': $gone" ] ||
		[ "$4" = "knet: cannot run knet on node '$1': the exec stream to node $1 dropped: $gone" ]
}
