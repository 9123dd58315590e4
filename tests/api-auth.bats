#!/usr/bin/env bats
# Which credential is used when a kubeconfig user sets several, and
# kubectl's global options (--token, --user, --server, --as...): the
# lab's kubectl is the oracle.  Each candidate credential maps to a
# different lab identity, so the 403 message (which names the user)
# tells which one the server saw.

bats_require_minimum_version 1.5.0

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	tests/lab/lab up >&2
	eval "$(tests/lab/lab env)"
	# Client certificates of users with no rights: forbidden by name.
	local d=$BATS_FILE_TMPDIR
	for cn in knet-probe-cert knet-probe-exec; do
		openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$cn" \
			-keyout "$d/$cn.key" -out "$d/$cn.csr" 2>/dev/null
		openssl x509 -req -in "$d/$cn.csr" -days 1 \
			-CA "$KNET_LAB_DIR/pki/ca.crt" \
			-CAkey "$KNET_LAB_DIR/pki/ca.key" -CAcreateserial \
			-CAserial "$d/ca.srl" -out "$d/$cn.crt" 2>/dev/null
	done
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	eval "$(tests/lab/lab env)"
	KNET=$PWD/knet
	T=$BATS_TEST_TMPDIR
	D=$BATS_FILE_TMPDIR
	TOK=$KNET_LAB_DIR/tokens
	CA=$KNET_LAB_DIR/pki/ca.crt
	PLUGIN=$PWD/tests/lab/exec-credential
}

# A kubeconfig whose user u has the YAML body $1 (indented 4).
kc() {
	cat > "$T/kc" <<-EOF2
	apiVersion: v1
	kind: Config
	current-context: x
	clusters:
	- name: lab
	  cluster:
	    server: https://127.0.0.1:6443
	    certificate-authority: $CA
	contexts:
	- name: x
	  context: {cluster: lab, user: u}
	- name: nouser
	  context: {cluster: lab, user: gone}
	users:
	- name: viewer
	  user:
	    tokenFile: $TOK/viewer
	- name: u
	  user:
	EOF2
	printf '%s\n' "$1" | sed 's/^/    /' >> "$T/kc"
}

# Who the server saw: ok, the user a 403 names, unauthorized or error.
ident() {
	local rc=$1 out=$2 u
	u=$(grep -o 'User "[^"]*"' <<<"$out" | head -n 1)
	if [ "$rc" -eq 0 ]; then
		echo ok
	elif [ -n "$u" ]; then
		echo "$u"
	elif grep -qi unauthorized <<<"$out"; then
		echo unauthorized
	else
		echo error
	fi
}

# Run the same request with kubectl and knet (extra args: global
# options for both); sets $want (kubectl) and $got (knet).
both() {
	local out rc=0
	out=$("$KNET_LAB_KUBECTL" --kubeconfig "$T/kc" "$@" -n secure get pods 2>&1) || rc=$?
	want=$(ident "$rc" "$out")
	rc=0
	out=$("$KNET" --kubeconfig "$T/kc" "$@" -n secure pods 2>&1) || rc=$?
	got=$(ident "$rc" "$out")
	echo "kubectl: $want; knet: $got ($out)" >&2
}

# The same, and both must be $1.
same() {
	local expect=$1
	shift
	both "$@"
	[ "$want" = "$expect" ]
	[ "$got" = "$want" ]
}

@test "token and tokenFile: the file wins while it reads, else the token" {
	kc "token: $(cat "$TOK/viewer")
tokenFile: $TOK/proxy"
	same 'User "system:kube-proxy"'
	kc "token: $(cat "$TOK/viewer")
tokenFile: $T/missing"
	same 'User "knet-viewer"'
	kc "tokenFile: $T/missing"
	same error
}

@test "a client certificate is sent with a token or password; the server picks it" {
	kc "token: $(cat "$TOK/viewer")
client-certificate: $D/knet-probe-cert.crt
client-key: $D/knet-probe-cert.key"
	same 'User "knet-probe-cert"'
	kc "username: someone
password: pw
client-certificate: $D/knet-probe-cert.crt
client-key: $D/knet-probe-cert.key"
	same 'User "knet-probe-cert"'
	# a key without a certificate is ignored, not an error
	kc "token: $(cat "$TOK/viewer")
client-key: $D/knet-probe-cert.key"
	same 'User "knet-viewer"'
	kc "client-certificate: $D/knet-probe-cert.crt
client-certificate-data: $(base64 -w0 "$D/knet-probe-cert.crt")
client-key: $D/knet-probe-cert.key"
	same error
}

@test "exec plugin: off when a token or tokenFile is set; a static certificate wins over its own" {
	exec_body() {
		printf 'exec:\n  apiVersion: client.authentication.k8s.io/v1beta1\n  command: %s\n  args: [%s]\n' "$1" "$2"
	}
	kc "token: $(cat "$TOK/viewer")
$(exec_body "$PLUGIN" "$TOK/proxy")"
	same 'User "knet-viewer"'
	kc "tokenFile: $TOK/viewer
$(exec_body "$PLUGIN" "$TOK/proxy")"
	same 'User "knet-viewer"'
	kc "$(exec_body "$PLUGIN" "$TOK/proxy")"
	same 'User "system:kube-proxy"'
	# the plugin's token goes along with a static certificate
	kc "client-certificate: $D/knet-probe-cert.crt
client-key: $D/knet-probe-cert.key
$(exec_body "$PLUGIN" "$TOK/viewer")"
	same 'User "knet-probe-cert"'
	# a plugin that answers with a certificate: the static one wins
	cat > "$T/cert-plugin" <<-EOF2
	#!/bin/sh
	python3 -c 'import json; print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential", "status": {"clientCertificateData": open("$D/knet-probe-exec.crt").read(), "clientKeyData": open("$D/knet-probe-exec.key").read()}}))'
	EOF2
	chmod +x "$T/cert-plugin"
	kc "$(exec_body "$T/cert-plugin" x)"
	same 'User "knet-probe-exec"'
	kc "client-certificate: $D/knet-probe-cert.crt
client-key: $D/knet-probe-cert.key
$(exec_body "$T/cert-plugin" x)"
	same 'User "knet-probe-cert"'
}

@test "username/password: never with a token; a plugin's token does not replace it" {
	kc "token: $(cat "$TOK/viewer")
username: someone
password: pw"
	same error
	kc "tokenFile: $TOK/viewer
username: someone
password: pw"
	same error
	kc "username: someone
password: pw"
	both
	[ "$want" != error ] && [ "$want" != ok ]
	[ "$got" = "$want" ]
	kc "username: someone
password: pw
exec:
  apiVersion: client.authentication.k8s.io/v1beta1
  command: $PLUGIN
  args: [$TOK/viewer]"
	both
	[ "$want" != 'User "knet-viewer"' ] && [ "$want" != error ]
	[ "$got" = "$want" ]
}

@test "auth-provider: a token wins over it; alone or with exec it is an error" {
	ap='auth-provider:
  name: oidc
  config:
    idp-issuer-url: https://issuer.invalid
    client-id: knet
    id-token: not-a-jwt'
	kc "token: $(cat "$TOK/viewer")
$ap"
	same 'User "knet-viewer"'
	kc "$ap"
	same error
	kc "$ap
exec:
  apiVersion: client.authentication.k8s.io/v1beta1
  command: $PLUGIN
  args: [$TOK/viewer]"
	same error
}

@test "a context whose user does not exist is an error (kubectl prompts, then fails)" {
	kc "token: x"
	same error --context nouser </dev/null
}

@test "--token replaces the user's token and turns its exec plugin off" {
	kc "token: $(cat "$TOK/proxy")"
	same 'User "knet-viewer"' --token "$(cat "$TOK/viewer")"
	kc "exec:
  apiVersion: client.authentication.k8s.io/v1beta1
  command: $PLUGIN
  args: [$TOK/proxy]"
	same 'User "knet-viewer"' --token "$(cat "$TOK/viewer")"
	# client-go 1.20 keeps the user's tokenFile, which then still wins
	kc "tokenFile: $TOK/proxy"
	same 'User "system:kube-proxy"' --token "$(cat "$TOK/viewer")"
}

@test "--user and --cluster pick kubeconfig entries, which must exist" {
	kc "token: $(cat "$TOK/proxy")"
	same 'User "knet-viewer"' --user viewer
	same error --user nope
	same error --cluster nope
	same 'User "system:kube-proxy"' --cluster lab
}

@test "--server and --certificate-authority work without any kubeconfig" {
	for flag in --server -s; do
		run --separate-stderr env -u KUBECONFIG HOME="$T" "$KNET" $flag https://127.0.0.1:6443 \
			--certificate-authority "$CA" --token "$(cat "$TOK/viewer")" -n web pods -o name
		[ "$status" -eq 0 ]
		[[ $output == *pod/web-* ]]
	done
	run --separate-stderr env -u KUBECONFIG HOME="$T" "$KNET" -s https://127.0.0.1:6443 \
		--certificate-authority "$CA" --token "$(cat "$TOK/viewer")" -n secure pods
	[ "$status" -eq 4 ]
	[[ $stderr == *'User "knet-viewer"'* ]]
	run env -u KUBECONFIG HOME="$T" "$KNET_LAB_KUBECTL" -s https://127.0.0.1:6443 \
		--certificate-authority "$CA" --token "$(cat "$TOK/viewer")" -n secure get pods
	[[ $output == *'User "knet-viewer"'* ]]
	# --server replaces the file's server: a wrong one fails for both
	kc "tokenFile: $TOK/viewer"
	same error --server https://127.0.0.1:1
}

@test "a command's own -s wins after its name: ping -s is the packet size" {
	run --separate-stderr "$KNET" ping -s abc x
	[ "$status" -eq 2 ]
	[[ $stderr == *"for -s/--size"* ]]
	run --separate-stderr "$KNET" -s https://127.0.0.1:1 pods
	[ "$status" -eq 4 ]
	[[ $stderr == *"127.0.0.1:1"* ]]
}

@test "--insecure-skip-tls-verify replaces the CA; with --certificate-authority it is an error" {
	kc "tokenFile: $TOK/viewer"
	same 'User "knet-viewer"' --insecure-skip-tls-verify
	same error --insecure-skip-tls-verify --certificate-authority "$CA"
	# a CA that did not sign the server: both refuse
	same error --certificate-authority "$D/knet-probe-cert.crt"
	same 'User "knet-viewer"' --certificate-authority "$CA"
}

@test "--tls-server-name: verified against that name" {
	kc "tokenFile: $TOK/viewer"
	same 'User "knet-viewer"' --tls-server-name kubernetes.default.svc
	same error --tls-server-name wrong.example
}

@test "--as and --as-group impersonate, with kubectl's rules" {
	cp "$KUBECONFIG" "$T/kc"
	same ok
	same 'User "knet-viewer"' --as knet-viewer
	same 'User "nobody-at-all"' --as nobody-at-all
	same ok --as nobody-at-all --as-group knet-admins
	# repeatable: the second group is the one with the rights
	same ok --as nobody-at-all --as-group g1 --as-group knet-admins
	same error --as-group knet-admins
	# and a user without the right to impersonate is refused
	kc "tokenFile: $TOK/viewer"
	both --as knet-admin
	[[ $want == *knet-viewer* ]]
	[ "$got" = "$want" ]
}

@test "as and as-groups in the kubeconfig impersonate too; --as replaces them" {
	cat "$KUBECONFIG" > "$T/kc"
	sed -i 's/^\(    token: .*\)/\1\n    as: nobody-at-all/' "$T/kc"
	grep -q '^    as: nobody-at-all' "$T/kc"
	same 'User "nobody-at-all"'
	same 'User "knet-viewer"' --as knet-viewer
	sed -i 's/^\(    as: .*\)/\1\n    as-groups: [knet-admins]/' "$T/kc"
	same ok
}
