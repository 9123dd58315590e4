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

# zsh, driven as a person would (tmux): type WORDS, press Tab twice, and
# print the screen.  The completion under test is the generated file.
zsh_tab() {
	local tm=knet-bats-zsh-$$-$BATS_TEST_NUMBER i
	tmux new-session -d -s "$tm" -x 200 -y 30 \
		"env PATH=$PATH KUBECONFIG=$KUBECONFIG ZDOTDIR=$BATS_TEST_TMPDIR zsh -f; sleep 30"
	tmux send-keys -t "$tm" "fpath=($PWD/completions \$fpath); autoload -U compinit; compinit -u -d $BATS_TEST_TMPDIR/zcd; PS1='zsh> '" Enter
	for ((i = 0; i < 50; i++)); do
		tmux capture-pane -p -t "$tm" | grep -q '^zsh> $' && break
		sleep 0.1
	done
	tmux send-keys -t "$tm" "$*" Tab
	sleep 2
	tmux send-keys -t "$tm" Tab
	sleep 1
	tmux capture-pane -p -J -t "$tm"
	tmux kill-session -t "$tm"
}

@test "zsh completes live pod names of -n's namespace, and node/ targets" {
	want=$(tests/lab/lab kubectl -n web get pods -o name |
		sed 's|^pod/||' | grep '^web-' | sort)
	[ "$(wc -l <<<"$want")" -eq 3 ]
	run zsh_tab knet -n web pods web-
	[ "$status" -eq 0 ]
	for p in $want; do
		grep -q -- "$p" <<<"$output"
	done
	# a repeated -v before the command does not break the option specs
	run zsh_tab knet -v -v ping node/
	[[ "$output" == *"node/node-a"*"node/node-b"*"node/node-c"* ]]
	[[ "$output" != *"invalid rest argument"* ]]
}

@test "fish completes live pod names of -n's namespace" {
	want=$(tests/lab/lab kubectl -n udp get pods -o name | sed 's|^pod/||')
	[ -n "$want" ]
	run fish -c 'source completions/knet.fish; complete -C "knet -n udp pods echo-"'
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	run fish -c 'source completions/knet.fish; complete -C "knet --namespace=udp pods echo-"'
	[ "$output" = "$want" ]
	run fish -c 'source completions/knet.fish; complete -C "knet ping node/"'
	[ "$(tr '\n' ' ' <<<"$output")" = "node/node-a node/node-b node/node-c " ]
}

# Verbs (services trace, ingress match, policy check|matrix) come from
# the command table's verbs: offered in the first argument's place beside
# the command's own names, found past options, then completed as the
# verb's arguments.
@test "bash completes verbs beside names, and the verb's arguments after it" {
	run complete_words knet -n web svc ""
	[ "$status" -eq 0 ]
	grep -qx trace <<<"$output"
	grep -qx web-headless <<<"$output"
	run complete_words knet services tr
	[ "$output" = trace ]
	run complete_words knet -n web ingress ""
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "match web " ]
	run complete_words knet policy ""
	[ "$(tr '\n' ' ' <<<"$output")" = "check matrix " ]
	# then the verb's own: targets for check, options for matrix
	run complete_words knet -n web policy check svc/web-h
	[ "$output" = svc/web-headless ]
	run complete_words knet policy matrix --d
	[ "$output" = --diff ]
	run complete_words knet policy matrix ""
	[ -z "$output" ]
	# past options between the command and the verb
	run complete_words knet svc -n web trace web-n
	[ "$output" = web-nodeport ]
	run complete_words knet svc -n web trace --no-c
	[ "$output" = --no-conntrack ]
	run complete_words knet ingress match --cl
	[[ "$output" == *--class* ]]
	# a name in the first place is no verb: names, no verb words
	run complete_words knet -n web svc web ""
	[ -n "$output" ]
	run ! grep -qx trace <<<"$output"
}

@test "zsh completes verbs beside names, and the verb's arguments after it" {
	run zsh_tab knet -n web svc ''
	[ "$status" -eq 0 ]
	[[ "$output" == *trace* ]]
	[[ "$output" == *web-headless* ]]
	run zsh_tab knet policy ''
	[[ "$output" == *check*matrix* ]]
	run zsh_tab knet svc -n web trace web-n
	[[ "$output" == *"trace web-nodeport"* ]]
	run zsh_tab knet -n web ingress mat
	[[ "$output" == *"ingress match"* ]]
}

@test "fish completes verbs beside names, and the verb's arguments after it" {
	cf() { fish -c 'source completions/knet.fish; complete -C "$argv"' "$@" | cut -f1; }
	run cf "knet -n web svc "
	[ "$status" -eq 0 ]
	grep -qx trace <<<"$output"
	grep -qx web-headless <<<"$output"
	run cf "knet policy "
	[ "$(tr '\n' ' ' <<<"$output")" = "check matrix " ]
	run cf "knet -n web ingress "
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "match web " ]
	run cf "knet svc -n web trace web-n"
	[ "$output" = web-nodeport ]
	run cf "knet -n web policy check svc/web-h"
	[ "$output" = svc/web-headless ]
	run cf "knet -n web svc web "
	[ -n "$output" ]
	run ! grep -qx trace <<<"$output"
}
