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
