#!/usr/bin/env bats
# The Debian package: `make deb` builds it (dpkg-buildpackage, lintian
# clean), dpkg installs it, the installed knet, man pages, completion and
# kubectl plugin work, and a purge leaves nothing behind.  Other helpers'
# tests use their tree's ./knet: the package is installed for the few
# seconds between the install and the purge, and teardown_file purges it
# whatever failed.  Takes ~1 minute, most of it the build and lintian.

bats_require_minimum_version 1.5.0

DEB_DIR=
installed=

# dpkg_retry ARGS...: dpkg, waiting for another apt/dpkg run's lock
dpkg_retry() {
	local i out
	for i in $(seq 60); do
		if out=$(dpkg "$@" 2>&1); then
			printf '%s\n' "$out"
			return 0
		fi
		case $out in *lock*) sleep 2 ;; *)
			printf '%s\n' "$out" >&2
			return 1
			;;
		esac
	done
	printf '%s\n' "$out" >&2
	return 1
}

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	export DEB_DIR=$BATS_FILE_TMPDIR/deb
	# A knet that is not ours must not be replaced (or removed).
	if [ -e /usr/bin/knet ] && ! dpkg -S /usr/bin/knet >/dev/null 2>&1; then
		export KNET_DEB_SKIP="/usr/bin/knet exists and no package owns it"
	fi
}

teardown_file() {
	if dpkg-query -W -f='${Status}' knet 2>/dev/null |
		grep -q 'installed'; then
		dpkg_retry --purge knet >/dev/null || true
	fi
	rm -rf "$DEB_DIR"
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	[ -z "${KNET_DEB_SKIP:-}" ] || skip "$KNET_DEB_SKIP"
	[ "$(id -u)" = 0 ] || skip "dpkg -i needs root"
}

@test "make deb builds a lintian-clean package with the dlopen()ed Depends" {
	run make deb DEB_DIR="$DEB_DIR"
	echo "$output" | tail -n 20
	[ "$status" -eq 0 ]
	deb=$(ls "$DEB_DIR"/knet_*_*.deb)
	# No lintian tag at all, not even informational ones.
	run lintian -I --pedantic "$DEB_DIR"/knet_*.changes
	[ "$status" -eq 0 ]
	[ -z "$(grep -v 'root privileges' <<<"$output")" ]
	run dpkg-deb -f "$deb" Depends
	[[ $output == *"libcjson1"* ]]
	[[ $output == *"libc6"* ]]
	[[ $output != *"libmnl"* ]]
	[[ $output == *"libcurl4"* ]]
	[[ $output == *"libpcap0.8"* ]]
	[[ $output == *"libyaml-0-2"* ]]
	# Built with the hardening flags: PIE, bind-now, stack protector.
	dir=$BATS_FILE_TMPDIR/x
	mkdir -p "$dir"
	dpkg-deb -x "$deb" "$dir"
	readelf -d "$dir/usr/bin/knet" | grep -q 'FLAGS_1.*NOW.*PIE'
	readelf -lW "$dir/usr/bin/knet" | grep -q GNU_RELRO
	nm -D "$dir/usr/bin/knet" | grep -q __stack_chk_fail
	nm -D "$dir/usr/bin/knet" | grep -q '__[a-z]*_chk@'
}

@test "installed: knet version, man pages, bash completion, kubectl knet" {
	deb=$(ls "$DEB_DIR"/knet_*_*.deb) || skip "no package built"
	dpkg_retry -i "$deb"
	dpkg -L knet >"$BATS_FILE_TMPDIR/files"

	run /usr/bin/knet version
	[ "$status" -eq 0 ]
	[[ $output == *"0.1.0"* ]]

	run man -w knet-ping
	[ "$status" -eq 0 ]
	[ "$output" = /usr/share/man/man1/knet-ping.1.gz ]
	[ -f /usr/share/zsh/vendor-completions/_knet ]
	[ -f /usr/share/fish/vendor_completions.d/knet.fish ]

	# Through bash-completion's on-demand loader, as an interactive
	# shell finds it: nothing sources the file by name.
	run bash -c 'source /usr/share/bash-completion/bash_completion
		_completion_loader knet
		f=$(complete -p knet | sed -E "s/.* -F ([^ ]+) .*/\1/")
		COMP_WORDS=(knet p); COMP_CWORD=1; COMP_LINE="knet p"
		COMP_POINT=${#COMP_LINE}
		"$f" knet p knet
		printf "%s\n" "${COMPREPLY[@]}"'
	[ "$status" -eq 0 ]
	grep -qx ping <<<"$output"
	grep -qx pods <<<"$output"
	# and nothing but p... words ('! grep' would be ignored by set -e)
	[ -z "$(grep -v '^p' <<<"$output")" ]

	# kubectl finds the plugin on PATH as kubectl-knet.
	kubectl=${KNET_LAB_KUBECTL:-}
	if [ -z "$kubectl" ]; then
		kubectl=$(eval "$(tests/lab/lab env)" && echo "$KNET_LAB_KUBECTL")
	fi
	[ -x "$kubectl" ] || skip "no lab kubectl"
	run env PATH=/usr/bin:/bin "$kubectl" knet version
	[ "$status" -eq 0 ]
	[[ $output == *"0.1.0"* ]]
}

@test "dpkg --purge leaves nothing behind" {
	[ -s "$BATS_FILE_TMPDIR/files" ] || skip "not installed"
	dpkg_retry --purge knet
	run dpkg -L knet
	[ "$status" -ne 0 ]
	run dpkg-query -W knet
	[ "$status" -ne 0 ]
	# Every file and link the package had is gone (directories that
	# other packages share, such as /usr/bin, stay).
	while read -r f; do
		[ -d "$f" ] && [ ! -L "$f" ] && continue
		if [ -e "$f" ] || [ -L "$f" ]; then
			echo "left behind: $f"
			return 1
		fi
	done <"$BATS_FILE_TMPDIR/files"
	[ ! -e /usr/bin/knet ] && [ ! -L /usr/bin/kubectl-knet ]
	[ ! -e /usr/share/doc/knet ]
}
