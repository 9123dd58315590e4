#!/usr/bin/env bats
# The agent image (deploy/Containerfile, built by scripts/agent-image):
# its config, its knet running from its own files, and the lab's agent
# pods running that knet through pods/exec (tests/agent-image-knet as
# KNET_AGENT_KNET, in an agent namespace of this file's own).  Run by
# `make agent-image-check`, which builds the image and unpacks it into
# $KNET_AGENT_IMAGE_DIR.  scripts/run-bats (`make check`) leaves this
# file out: building the image downloads packages and takes minutes.

bats_require_minimum_version 1.5.0

load node-helpers

NS=knet-image-test

setup_file() {
	# (each test skips then: see setup)
	[ -n "${KNET_AGENT_IMAGE_DIR:-}" ] || return 0
	node_setup_file
	k delete namespace "$NS" --ignore-not-found --wait=true >/dev/null
	k create namespace "$NS" >/dev/null
	k label namespace "$NS" pod-security.kubernetes.io/enforce=privileged >/dev/null
}

teardown_file() {
	if [ -n "${KNET_AGENT_IMAGE_DIR:-}" ]; then
		node_env
		k delete namespace "$NS" --ignore-not-found --wait=false >/dev/null
	fi
}

setup() {
	[ -n "${KNET_AGENT_IMAGE_DIR:-}" ] ||
		skip "no agent image unpacked (make agent-image-check)"
	node_env
	D=$KNET_AGENT_IMAGE_DIR
	R=$D/rootfs
	VERSION=$(sed -n 's/^VERSION := //p' Makefile)
	export KNET_AGENT_NAMESPACE=$NS KNET_AGENT_KNET=$D/knet
}

# Processes whose root is the image's files (one line each), among
# those whose command line has $1 (a scan of every process forks too
# much on a loaded machine).
image_procs() {
	local p
	for p in $(pgrep -f -- "${1:-/usr/bin/knet}"); do
		[ "$(readlink "/proc/$p/root" 2>/dev/null)" = "$R" ] || continue
		echo "$p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
	done
}

# The PID of the first image_procs "$1" to show up within 15 s (the
# exec's start may take seconds on a loaded machine); empty: none.
image_proc_wait() {
	local pid= i
	for i in $(seq 150); do
		pid=$(image_procs "$1" | awk '{print $1; exit}')
		[ -z "$pid" ] || break
		sleep 0.1
	done
	echo "$pid"
}

@test "agent image: knet's entrypoint and agent serve, two layers, its size" {
	run --separate-stderr scripts/agent-image info
	[ "$status" -eq 0 ]
	echo "$output"
	echo "$output" | jq -e --arg v "$VERSION" '.image == "knet-agent:" + $v'
	echo "$output" | jq -e '.entrypoint == ["/usr/bin/knet"] and .cmd == ["agent", "serve"]'
	# debian:bookworm-slim's one layer, and the Containerfile's
	echo "$output" | jq -e '.layers | length == 2'
	# "NN.N MB": under 150 MB (bookworm-slim is about 75)
	size=$(echo "$output" | jq -r .size)
	[[ "$size" =~ ^([0-9.]+)\ MB$ ]]
	awk -v s="${BASH_REMATCH[1]}" 'BEGIN { exit !(s > 75 && s < 150) }'
}

@test "agent image: its knet runs from the image's own libraries" {
	run --separate-stderr chroot "$R" /usr/bin/knet version -o json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg v "$VERSION" '.items[] | select(.component == "knet") | .version == $v'
	# what it links resolves inside the image
	run chroot "$R" ldd /usr/bin/knet
	[ "$status" -eq 0 ]
	[[ "$output" == *libc.so.6* ]]
	[[ "$output" != *"not found"* ]]
	# what lib/lazy opens by soname, and the tools it runs
	for so in libcurl.so.4 libpcap.so.0.8 libyaml-0.so.2 libcjson.so.1 \
		libncursesw.so.6 libreadline.so.8; do
		chroot "$R" ldconfig -p | grep -Eq "^\s$so " || {
			echo "missing $so"
			return 1
		}
	done
	chroot "$R" iptables-save --version
	chroot "$R" ip -V
	# built in the image, not this checkout's binary copied in
	run ! cmp -s "$R/usr/bin/knet" knet
}

@test "agent image: the lab's agent pod runs the image's knet through pods/exec" {
	run --separate-stderr "$KNET" __k8s-exec node-b -- knet version -o json
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	echo "$output" | jq -e --arg v "$VERSION" '.items[] | select(.component == "knet") | .version == $v'
	# a remote run, looked at while it runs: its root is the image's,
	# its executable and libc the image's files
	"$KNET" __k8s-exec node-b -- knet ping -c 15 -i 0.2 127.0.0.1 -o json \
		>"$BATS_TEST_TMPDIR/ping" &
	relay=$!
	pid=$(image_proc_wait 'knet ping -c 15 ')
	echo "remote knet: ${pid:-none}"
	[ -n "$pid" ]
	exe=$(stat -L -c %d:%i "/proc/$pid/exe")
	[ "$exe" = "$(stat -c %d:%i "$R/usr/bin/knet")" ]
	libc=$(awk '/\/libc\.so\.6$/ {print $6; exit}' "/proc/$pid/maps")
	echo "libc: $libc"
	[[ "$libc" == "$R/usr/lib/"* ]]
	[ -z "$(grep '\.so' "/proc/$pid/maps" | grep -v "$R/")" ]
	# the node's network namespace (hostNetwork), not the root one
	[ "$(stat -L -c %i "/proc/$pid/ns/net")" = "$(stat -L -c %i /run/netns/lab-node-b)" ]
	wait "$relay"
	jq -se 'map(select(.event == "summary"))[0] | .sent == 15 and .received == 15' "$BATS_TEST_TMPDIR/ping"
	# nothing of it is left
	[ -z "$(image_procs)" ]
}

@test "agent image: its ENTRYPOINT and CMD keep a container up until SIGTERM" {
	info=$(scripts/agent-image info)
	[ "$(echo "$info" | jq -r '.entrypoint[0]')" = /usr/bin/knet ]
	mapfile -t cmd < <(echo "$info" | jq -r '.cmd[]')
	# as the pod's main process: on node-b, from the image's files
	tests/lab/lab run node-b -- "$D/knet" "${cmd[@]}" &
	pid=$(image_proc_wait 'knet agent serve')
	[ -n "$pid" ]
	sleep 1
	# still up a second later, and stops at once on SIGTERM, with 0
	kill -0 "$pid"
	kill -TERM "$pid"
	wait "$!"
	[ -z "$(image_procs 'knet agent serve')" ]
}

@test "agent image: without the unpacked image, one clear line (127)" {
	run -127 --separate-stderr env KNET_IMAGE_ROOTFS="$BATS_TEST_TMPDIR/none" \
		tests/agent-image-knet version
	[ "$stderr" = "agent-image-knet: no agent image in $BATS_TEST_TMPDIR/none (scripts/agent-image rootfs DIR)" ]
	# through the relay: the remote side's words and status come back
	ln -s "$PWD/tests/agent-image-knet" "$BATS_TEST_TMPDIR/knet"
	run -127 --separate-stderr env KNET_AGENT_KNET="$BATS_TEST_TMPDIR/knet" \
		"$KNET" __k8s-exec node-b -- knet version
	[ "$stderr" = "agent-image-knet: no agent image in $BATS_TEST_TMPDIR/rootfs (scripts/agent-image rootfs DIR)" ]
}

@test "scripts/agent-image: bad uses are one-line errors" {
	run --separate-stderr scripts/agent-image info no-such/image:1
	[ "$status" -eq 1 ]
	[ "$stderr" = "agent-image: no image no-such/image:1 (run: scripts/agent-image build)" ]
	run --separate-stderr scripts/agent-image rootfs
	[ "$status" -eq 2 ]
	[ "$stderr" = "agent-image: usage: scripts/agent-image rootfs DIR [TAG]" ]
	run --separate-stderr scripts/agent-image frobnicate
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"scripts/agent-image build [TAG]"* ]]
}
