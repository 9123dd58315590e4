#!/usr/bin/env bats
# The command line itself: help, version, dispatch, bad input, completion.
# No cluster needed.

bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	KNET=$PWD/knet
}

@test "knet help lists every command by group and the global options" {
	run --separate-stderr "$KNET" help
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ $output == *"Usage: knet [global options] <command> [options] [args]"* ]]
	cmds=$("$KNET" __complete command)
	# a loop over no commands would check nothing
	[ "$(wc -w <<<"$cmds")" -ge 10 ]
	for cmd in $cmds; do
		echo "$output" | grep -E "^  $cmd(,| )"
	done
	[[ $output == *"-o, --output FORMAT"*"(table|wide|json|name)"* ]]
	# hidden commands stay hidden
	[[ $output != *"__complete"* ]]
}

@test "knet with no arguments prints the help" {
	run "$KNET"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "knet - "* ]]
}

@test "knet CMD --help is knet help CMD" {
	run "$KNET" version --help
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Usage: knet version [-L]" ]
	# the same text, and not two empty ones
	for cmd in version completion; do
		want=$("$KNET" help "$cmd")
		[ -n "$want" ]
		[ "$("$KNET" "$cmd" --help)" = "$want" ]
		[ "$("$KNET" -h "$cmd")" = "$want" ]
	done
}

@test "knet version prints knet's and the libraries' versions" {
	run "$KNET" version
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "COMPONENT   VERSION" ]
	[[ ${lines[1]} =~ ^knet\ +0\.[0-9]+\.[0-9]+$ ]]
	for lib in cJSON ncurses readline; do
		echo "$output" | grep -E "^$lib +[0-9]"
	done
	# The libraries loaded on demand only with -L: version loads none.
	[[ $output != *libcurl* ]]
	[ -z "$(LD_DEBUG=files "$KNET" version 2>&1 >/dev/null | grep -E 'libcurl|libpcap|libyaml')" ]
	run "$KNET" version -L
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 8 ]
	for lib in libcurl ssl libpcap cJSON ncurses readline libyaml; do
		echo "$output" | grep -E "^$lib +[0-9A-Za-z]"
	done
}

@test "knet version -o json is valid JSON with the same versions" {
	run --separate-stderr "$KNET" version --libraries -o json
	[ "$status" -eq 0 ]
	[ "$(jq -r .kind <<<"$output")" = ComponentList ]
	pcap=$(jq -r '.items[] | select(.component == "libpcap").version' <<<"$output")
	# the version libpcap itself reports at run time
	[ "$pcap" = "$(dpkg-query -W -f='${Version}' libpcap0.8 | cut -d- -f1)" ]
	[ "$(jq -r '.items[0].version' <<<"$output")" = \
		"$("$KNET" version --no-headers | awk '$1 == "knet" { print $2 }')" ]
}

@test "-o name, --no-headers and --output=VALUE spellings" {
	run "$KNET" version -o name
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "component/knet" ]
	run "$KNET" --output=json version
	[ "$status" -eq 0 ]
	jq -e '.items | length >= 4' <<<"$output"
	run "$KNET" version --no-headers
	[ "$status" -eq 0 ]
	[[ ${lines[0]} =~ ^knet\  ]]
}

@test "unknown command: one line on stderr, nothing on stdout, exit 2" {
	run --separate-stderr "$KNET" nosuch
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$stderr" = "knet: unknown command 'nosuch'; try 'knet help'" ]
}

@test "a close typo gets a suggestion" {
	run --separate-stderr "$KNET" verison
	[ "$status" -eq 2 ]
	[ "$stderr" = "knet: unknown command 'verison' (did you mean 'version'?); try 'knet help'" ]
}

@test "commands match exactly, never by prefix" {
	run --separate-stderr "$KNET" vers
	[ "$status" -eq 2 ]
	[[ $stderr == "knet: unknown command 'vers'"* ]]
}

@test "bad options and values: one line, exit 2, nothing on stdout" {
	run --separate-stderr "$KNET" version --bogus
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$stderr" = "knet: unknown option '--bogus'; try 'knet help version'" ]

	run --separate-stderr "$KNET" -o yaml version
	[ "$status" -eq 2 ]
	[ "$stderr" = "knet: invalid value 'yaml' for -o/--output (expected table|wide|json|name); try 'knet help'" ]

	run --separate-stderr "$KNET" version -o
	[ "$status" -eq 2 ]
	[ "$stderr" = "knet: option '-o' needs a value; try 'knet help version'" ]

	run --separate-stderr "$KNET" version --color=sometimes
	[ "$status" -eq 2 ]
	[[ $stderr == *"expected auto|always|never"* ]]

	run --separate-stderr "$KNET" version -n web -A
	[ "$status" -eq 2 ]
	[[ $stderr == *"exclude each other"* ]]
}

@test "argument counts are checked before the command runs" {
	run --separate-stderr "$KNET" version extra
	[ "$status" -eq 2 ]
	[ "$stderr" = "knet: 'version' takes no arguments (got 'extra'); try 'knet help version'" ]
	run --separate-stderr "$KNET" completion
	[ "$status" -eq 2 ]
	[ "$stderr" = "knet: 'completion' needs 1 argument, got 0; try 'knet help completion'" ]
	run --separate-stderr "$KNET" help version extra
	[ "$status" -eq 2 ]
}

@test "knet help of an unknown command is a usage error" {
	run --separate-stderr "$KNET" help nosuch
	[ "$status" -eq 2 ]
	[ "$stderr" = "knet: cannot show help for 'nosuch': no such command; try 'knet help help'" ]
}

@test "bash completion completes commands, options and choices" {
	run bash -c 'source completions/knet.bash
		COMP_WORDS=(knet ver); COMP_CWORD=1; _knet; echo "${COMPREPLY[*]}"
		COMP_WORDS=(knet -o ""); COMP_CWORD=2; _knet; echo "${COMPREPLY[*]}"
		COMP_WORDS=(knet -n web version --no); COMP_CWORD=4; _knet
		echo "${COMPREPLY[*]}"
		COMP_WORDS=(knet completion ""); COMP_CWORD=2
		PATH=$PWD:$PATH _knet; echo "${COMPREPLY[*]}"'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "version" ]
	[ "${lines[1]}" = "table wide json name" ]
	[ "${lines[2]}" = "--no-headers --node" ]
	[ "${lines[3]}" = "bash zsh fish" ]
}

@test "knet p completes to exactly the commands starting with p" {
	want=$("$KNET" __complete command | grep '^p' | sort | tr '\n' ' ')
	[[ $want == *"ping "* ]]
	[[ $want == *"pods "* ]]
	run bash -c 'source completions/knet.bash
		COMP_WORDS=(knet p); COMP_CWORD=1; _knet
		for w in "${COMPREPLY[@]}"; do echo "$w"; done | sort | tr "\n" " "'
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
}

@test "zsh and fish completions parse in their shells" {
	zsh -n completions/_knet
	fish --no-execute completions/knet.fish
	grep -q "^#compdef knet kubectl-knet" completions/_knet
	grep -q -- "-l output -x -a 'table wide json name'" completions/knet.fish
}

@test "make install honours PREFIX and DESTDIR" {
	dest=$(mktemp -d)
	make -s install DESTDIR="$dest" PREFIX=/opt/knet
	[ -x "$dest/opt/knet/bin/knet" ]
	[ "$(readlink "$dest/opt/knet/bin/kubectl-knet")" = knet ]
	[ -f "$dest/opt/knet/share/man/man1/knet.1" ]
	[ -f "$dest/opt/knet/share/man/man1/knet-version.1" ]
	[ -f "$dest/opt/knet/share/bash-completion/completions/knet" ]
	[ -f "$dest/opt/knet/share/zsh/site-functions/_knet" ]
	[ -f "$dest/opt/knet/share/fish/vendor_completions.d/knet.fish" ]
	# the kubectl plugin name runs the same binary
	run "$dest/opt/knet/bin/kubectl-knet" version -o name
	[ "${lines[0]}" = "component/knet" ]
	rm -rf "$dest"
}

@test "NO_COLOR and --color: escapes only when asked and allowed" {
	run "$KNET" version --color=always
	[ "$status" -eq 0 ]
	[[ $output == *$'\033[1m'* ]]
	# "no escape" only means something when there is output
	NO_COLOR=1 run "$KNET" version --color=always
	[ "$status" -eq 0 ]
	[[ $output == *COMPONENT* ]]
	[[ $output != *$'\033'* ]]
	run "$KNET" version
	[ "$status" -eq 0 ]
	[[ $output == *COMPONENT* ]]
	[[ $output != *$'\033'* ]]
}

@test "--node takes a node name only: it goes into selectors and paths" {
	run --separate-stderr "$KNET" --node 'node-a,metadata.namespace!=x' ping -c 1 198.18.0.10
	[ "$status" -eq 2 ]
	[ "$stderr" = "knet: --node: invalid name 'node-a,metadata.namespace!=x': must be a DNS-1123 subdomain (at most 253 lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit); try 'knet help ping'" ]
	[ -z "$output" ]
	run --separate-stderr env KNET_NODE='../x' "$KNET" conntrack
	[ "$status" -eq 2 ]
	[[ $stderr == "knet: --node: invalid name '../x': "* ]]
}
