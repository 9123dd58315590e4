#!/usr/bin/env bats
# knet shell against the lab: driven through tmux as a person would
# (use, commands, Tab, Ctrl-C, history), and as a runbook on stdin.

bats_require_minimum_version 1.5.0

load node-helpers

setup_file() { node_setup_file; }

setup() {
	node_env
	TM=knet-bats-shell-$$-$BATS_TEST_NUMBER
	export XDG_STATE_HOME=$BATS_TEST_TMPDIR/state
}

teardown() {
	tmux kill-session -t "$TM" 2>/dev/null || true
	if [ -n "${HANG_PID:-}" ]; then kill "$HANG_PID" 2>/dev/null || true; fi
}

# Start the shell in a tmux session; extra words: a prefix (lab run).
start_shell() {
	tmux new-session -d -s "$TM" -x 220 -y 60 \
		"$* env KUBECONFIG=$KUBECONFIG XDG_STATE_HOME=$XDG_STATE_HOME KNET_VIA='$KNET_VIA' KNET_HISTSIZE=${KNET_HISTSIZE:-} $KNET shell; sleep 30"
	wait_screen 'knet [^ ]*/default> $'
}
screen() { tmux capture-pane -p -J -S -200 -t "$TM"; }
# Wait until the screen matches the extended regex $1 (up to 10 s).
wait_screen() {
	local i
	for ((i = 0; i < 100; i++)); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	echo "screen never matched: $1" >&2
	screen >&2
	return 1
}
keys() { tmux send-keys -t "$TM" "$@"; }
# Forget what the screen showed, so the next wait sees only new output.
clear_screen() {
	keys C-l
	sleep 0.2
	tmux clear-history -t "$TM"
}

@test "shell: use ns web, svc lists the web Services, the prompt follows" {
	start_shell
	keys 'use ns web' Enter
	wait_screen 'knet [^ ]+/web> $'
	keys 'svc' Enter
	wait_screen '^web-nodeport +NodePort'
	expected=$(k -n web get svc -o jsonpath='{.items[*].metadata.name}' | tr ' ' '\n' | sort)
	[ "$(wc -l <<<"$expected")" -ge 3 ]
	got=$(screen | awk '/^NAME +TYPE/ {on=1; next} on && /^knet / {exit} on {print $1}' | sort)
	[ "$got" = "$expected" ]
	keys 'status' Enter
	wait_screen '^namespace: web$'
}

@test "shell: Tab completes a Service name and a pod name from the cache" {
	start_shell
	keys 'use ns web' Enter
	wait_screen '/web> $'
	# the watch cache fills in the background: Tab until it is there
	keys 'svc web-hea' Tab
	for i in $(seq 20); do
		screen | grep -q 'svc web-headless' && break
		sleep 0.3
		keys Tab
	done
	wait_screen '> svc web-headless $'
	keys Enter
	wait_screen '^web-headless +ClusterIP +None'
	pod=$(pod_on web web node-b)
	[ -n "$pod" ]
	prefix=${pod:0:${#pod}-3}
	keys "pods $prefix" Tab
	wait_screen "> pods $pod \$"
	keys Enter
	wait_screen "^$pod +1/1 +Running"
	# options and their values
	keys 'pods --no-he' Tab
	wait_screen '> pods --no-headers *$'
	keys C-u 'pods -o js' Tab
	wait_screen '> pods -o json *$'
	# contexts from the kubeconfig, namespaces from the cache
	ctx=$(k config current-context)
	[ -n "$ctx" ]
	keys C-u 'use context ' Tab
	wait_screen "> use context $ctx *\$"
	keys C-u 'use ns kube-pub' Tab
	wait_screen '> use ns kube-public *$'
	# short options beside the long ones: "-" Tab Tab lists both
	keys C-u 'ping -' Tab Tab
	wait_screen '(^| )-c( |$)'
	wait_screen '(^| )--count( |$)'
	keys C-u 'ping --cou' Tab
	wait_screen '> ping --count *$'
	# verbs from the command table, past options, then the verb's words
	keys C-u 'svc -o wide tra' Tab
	wait_screen '> svc -o wide trace *$'
	keys C-u 'policy ' Tab Tab
	wait_screen '(^| )check +matrix( |$)'
	keys C-u 'ingress mat' Tab
	wait_screen '> ingress match *$'
	keys C-u 'svc -n web trace --no-co' Tab
	wait_screen '> svc -n web trace --no-conntrack *$'
	keys C-u 'svc trace web-hea' Tab
	wait_screen '> svc trace web-headless *$'
	keys C-u
}

@test "shell: Ctrl-C stops a long ping (summary printed), the shell answers" {
	start_shell "$LAB run node-a --"
	keys "ping node/node-b -i 0.2 -c 1000" Enter
	wait_screen '^ +[0-9]+ +198\.18\.0\.11 .* reply'
	sleep 0.6
	keys C-c
	wait_screen '^node/node-b +198\.18\.0\.11 +[0-9]+ +[0-9]+ +0\.0%'
	keys 'version' Enter
	wait_screen '^readline +[0-9]+\.[0-9]+'
	# an API command in the shell's own process: a watch, stopped
	keys 'pods -n web -w' Enter
	wait_screen '^web-[^ ]+ .* ADDED$'
	keys C-c
	keys 'status' Enter
	wait_screen '^last: +0$'
	clear_screen
	# Ctrl-C at the prompt clears the line and leaves the shell there
	keys 'svc nothing-to-see' C-c
	keys 'status' Enter
	wait_screen '^last: +0$'
	# the line was dropped: status ran alone, not appended to it
	screen | grep -Eq '> status$'
	[ "$(screen | grep -c 'nothing-to-seestatus')" -eq 0 ]
}

@test "shell: history persists after a restart, in a 0600 file" {
	start_shell
	keys 'pods -n web -o name # first session' Enter
	wait_screen '^pod/web-'
	keys C-d
	sleep 1
	tmux kill-session -t "$TM"
	hist=$XDG_STATE_HOME/knet/history
	[ -f "$hist" ]
	[ "$(stat -c %a "$hist")" = 600 ]
	grep -qx 'pods -n web -o name # first session' "$hist"
	start_shell
	keys Up
	wait_screen '> pods -n web -o name # first session$'
	keys Down
	# Ctrl-R: readline's reverse search finds it too
	keys C-r 'first sess'
	wait_screen "reverse-i-search.*pods -n web -o name"
	keys C-g
	keys C-d
	sleep 1
	tmux kill-session -t "$TM"
	# the cap: a long history is cut to the last KNET_HISTSIZE lines
	for i in $(seq 1 50); do echo "version # $i"; done >"$hist"
	KNET_HISTSIZE=5 start_shell
	keys 'status' Enter
	wait_screen '^last: +0$'
	keys C-d
	sleep 1
	[ "$(wc -l <"$hist")" -eq 5 ]
	[ "$(head -1 "$hist")" = 'version # 47' ]
	[ "$(tail -1 "$hist")" = 'status' ]
	[ "$(stat -c %a "$hist")" = 600 ]
}

@test "shell: a runbook on stdin runs line by line; -e stops at the failure" {
	printf '%s\n' '# a runbook' 'pods -n web -o name' 'who 203.0.113.77' 'svc -n web -o name' >"$BATS_TEST_TMPDIR/runbook.knet"
	run --separate-stderr "$KNET" shell -e -x <"$BATS_TEST_TMPDIR/runbook.knet"
	want=$("$KNET" who 203.0.113.77 >/dev/null 2>&1; echo $?)
	[ "$want" -ne 0 ]
	[ "$status" -eq "$want" ]
	[[ "$output" == *"pod/web-"* ]]
	[[ "$output" != *"service/web"* ]] # the third command never ran
	[[ "$stderr" == *"+ pods -n web -o name"*"+ who 203.0.113.77"* ]]
	[[ "$stderr" != *"+ svc"* ]]
	# without -e every line runs, and the status is the last one's
	run --separate-stderr "$KNET" shell <"$BATS_TEST_TMPDIR/runbook.knet"
	[ "$status" -eq 0 ]
	[[ "$output" == *"service/web"* ]]
}

@test "shell: the same output as knet, and the connection is reused" {
	direct=$("$KNET" pods -n web -o json | jq -c '[.items[].metadata.name]')
	[ "$direct" != "[]" ]
	viashell=$(echo 'pods -n web -o json' | "$KNET" shell | jq -c '[.items[].metadata.name]')
	[ "$viashell" = "$direct" ]
	run --separate-stderr "$KNET" shell <<<$'pods -v -n web -o name\nsvc -v -n web -o name\nnodes -v -o name'
	[ "$status" -eq 0 ]
	[ "$(grep -c 'new connection' <<<"$stderr")" -eq 1 ]
	[ "$(grep -c ', reused' <<<"$stderr")" -ge 2 ]
}

@test "shell: bad input prints the usual line and the shell goes on" {
	run --separate-stderr "$KNET" shell <<<$'ping \'web\nbogus\npods --nope\nversion\nstatus'
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"knet: cannot read line: unbalanced single quote; try 'knet help shell'"* ]]
	[[ "$stderr" == *"knet: unknown command 'bogus'; try 'knet help'"* ]]
	[[ "$stderr" == *"knet: unknown option '--nope'; try 'knet help pods'"* ]]
	[[ "$output" == *"readline"* ]]
	[[ "$output" == *"last:      0"* ]]
	# a bad line's status is 2, as knet's
	run "$KNET" shell <<<'bogus'
	[ "$status" -eq 2 ]
	run "$KNET" shell <<<$'pods \'x'
	[ "$status" -eq 2 ]
	run "$KNET" shell <<<'exit 7'
	[ "$status" -eq 7 ]
}

@test "shell: use pod is the default --from of node commands" {
	run --separate-stderr on_a shell <<<$'use pod client/client\nping node/node-b -c 1 -o json'
	[ "$status" -eq 0 ]
	echo "$output" | jq -s -e '[.[] | select(.event == "summary")][0] | .source == "pod client/client" and .received == 1'
}

@test "shell: a node command in a runbook cannot eat the lines after it" {
	run --separate-stderr on_a shell -e <<<$'exec client/client -- cat\nversion -o name'
	[ "$status" -eq 0 ]
	[[ "$output" == *"component/knet"* ]]
}

@test "shell: bash and fish completions know the command and its options" {
	export PATH=$PWD:$PATH
	run bash -c 'source completions/knet.bash
		COMP_WORDS=(knet sh); COMP_CWORD=1; _knet
		printf "%s\n" "${COMPREPLY[@]}"'
	[ "$output" = shell ]
	run bash -c 'source completions/knet.bash
		COMP_WORDS=(knet shell --); COMP_CWORD=2; _knet
		printf "%s\n" "${COMPREPLY[@]}"'
	grep -qx -- --errexit <<<"$output"
	grep -qx -- --xtrace <<<"$output"
	run fish -c 'source completions/knet.fish; complete -C "knet shell --x"'
	[[ "$output" == "--xtrace"*"echo each command"* ]]
}

@test "shell: a cluster that never answers: Tab says loading, the prompt stays live" {
	# a listener that accepts and never speaks: every API call hangs
	python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' >"$BATS_TEST_TMPDIR/port" 3>&- &
	HANG_PID=$!
	for i in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.1; done
	port=$(cat "$BATS_TEST_TMPDIR/port")
	[ -n "$port" ]
	cat >"$BATS_TEST_TMPDIR/kc" <<KC
apiVersion: v1
kind: Config
clusters: [{name: hang, cluster: {server: "https://127.0.0.1:$port", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: hang, context: {cluster: hang, user: u}}]
current-context: hang
KC
	KUBECONFIG=$BATS_TEST_TMPDIR/kc start_shell
	keys 'pods ' Tab
	wait_screen 'names are still loading'
	t0=$(date +%s%N)
	keys C-u 'version -o name' Enter
	wait_screen '^component/readline$'
	# answered without waiting for the cluster (well under its 10 s)
	[ $((($(date +%s%N) - t0) / 1000000)) -lt 3000 ]
	# and Ctrl-D leaves promptly, the watchers stopped
	pgrep -f "^$KNET shell\$" >/dev/null
	keys C-d
	for i in $(seq 40); do pgrep -f "^$KNET shell\$" >/dev/null || break; sleep 0.1; done
	run pgrep -f "^$KNET shell\$"
	[ "$status" -eq 1 ] # gone within 4 s
}

@test "shell: a TUI command (flows) gets the terminal and gives it back" {
	start_shell "$LAB run node-a --"
	tty=$(tmux display -p -t "$TM" '#{pane_tty}')
	before=$(stty -a -F "$tty")
	clear_screen
	keys 'flows client/client' Enter
	wait_screen 'knet flows +pod client/client on node-a, eth0 +source capture'
	[ "$(tmux display -p -t "$TM" '#{alternate_on}')" = 1 ]
	keys q
	wait_screen 'packets captured, [0-9]+ dropped by the kernel'
	wait_screen 'knet [^ ]*/default> $'
	[ "$(tmux display -p -t "$TM" '#{alternate_on}')" = 0 ]
	[ "$(stty -a -F "$tty")" = "$before" ]
	# and the shell still reads lines
	keys 'status' Enter
	wait_screen '^last: +0$'
}
