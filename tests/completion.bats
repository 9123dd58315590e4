#!/usr/bin/env bats
# Completion of names from the lab's real apiserver: pods, Services,
# nodes and namespaces come from the cluster the command line points at.

bats_require_minimum_version 1.5.0

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	eval "$(tests/lab/lab env)"
	export KUBECONFIG
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	export PATH=$PWD:$PATH
}

# complete WORDS...: run the bash completion with the cursor on the last word
complete_words() {
	bash -c 'source completions/knet.bash
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _knet
		printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}

@test "pod names complete from the namespace given with -n" {
	want=$(tests/lab/lab kubectl -n web get pods -o name |
		sed 's|^pod/||' | grep '^web-' | sort)
	[ "$(wc -l <<<"$want")" -eq 3 ]
	run complete_words knet -n web pods web-
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output")" = "$want" ]
}

@test "targets complete to pods, svc/ and node/ names" {
	run complete_words knet ping node/
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "node/node-a node/node-b node/node-c " ]
	run complete_words knet -n web ping svc/web
	[ "$status" -eq 0 ]
	[[ $output == *"svc/web-headless"* ]]
	[[ $output == *"svc/web-nodeport"* ]]
	run complete_words knet exec client/
	[ "$output" = "client/client" ]
}

@test "namespaces complete after -n, from the same kubeconfig" {
	run complete_words knet -n ""
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	for ns in web udp secure client default; do
		grep -qx "$ns" <<<"$output"
	done
}

@test "an unreachable cluster completes nothing and prints nothing" {
	run --separate-stderr complete_words knet --kubeconfig /nonexistent -n ""
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	run --separate-stderr knet __complete node --kubeconfig /nonexistent
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}
