#!/usr/bin/env bats
# Bad input and faults of the API client, each with its one clear line and
# exit status, and no secret printed at any -v level.

bats_require_minimum_version 1.5.0

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	tests/lab/lab up >&2
	eval "$(tests/lab/lab env)"
	export KUBECONFIG KNET_LAB_VIEWER_KUBECONFIG KNET_LAB_CERT_KUBECONFIG
	export KNET_LAB_EXEC_KUBECONFIG KNET_LAB_KUBECTL KNET_LAB_DIR
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	eval "$(tests/lab/lab env)"
	KNET=$PWD/knet
	T=$BATS_TEST_TMPDIR
}

# The admin kubeconfig with its user's token replaced.
with_token() {
	sed "s/^\(    token: \).*/\1$1/" "$KUBECONFIG" > "$T/kc"
}

# An exec-plugin kubeconfig running $1 (a script written by the test).
with_plugin() {
	cat > "$T/kc" <<-EOF2
	apiVersion: v1
	kind: Config
	clusters:
	$(sed -n '/^clusters:/,/^users:/p' "$KUBECONFIG" | sed '1d;$d')
	users:
	- name: plugin-user
	  user:
	    exec:
	      apiVersion: client.authentication.k8s.io/v1
	      command: $1
	      args: ["$T/state", "$KNET_LAB_DIR/tokens/exec"]
	      installHint: see tests/api-faults.bats
	contexts:
	- name: plugin
	  context:
	    cluster: knet-lab
	    user: plugin-user
	    namespace: web
	current-context: plugin
	EOF2
}

# Fails (and says what leaked, never the secret itself) when file $3
# holds the string $2; a plain command, so that set -e sees its status.
refute_leak() {
	if grep -qF -- "$2" "$3"; then
		echo "leaked: $1 found in $3" >&2
		return 1
	fi
}

@test "missing kubeconfig: exit 4 naming the file" {
	run --separate-stderr "$KNET" --kubeconfig /nonexistent/kubeconfig pods
	[ "$status" -eq 4 ]
	[ "$stderr" = "knet: cannot load kubeconfig: /nonexistent/kubeconfig: no such file or directory" ]
	[ -z "$output" ]
	# KUBECONFIG with only missing files, no ~/.kube/config, no cluster env
	run --separate-stderr env -u KUBERNETES_SERVICE_HOST HOME="$T" \
		KUBECONFIG="$T/a:$T/b" "$KNET" pods
	[ "$status" -eq 4 ]
	[[ $stderr == "knet: cannot load kubeconfig: no kubeconfig found (looked at $T/a:$T/b) and not running in a cluster" ]]
}

@test "unreadable kubeconfig: exit 4, permission denied" {
	install -m 0600 "$KUBECONFIG" "$T/kc"
	chmod 0711 "$T"
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$KNET" --kubeconfig "$T/kc" pods
	[ "$status" -eq 4 ]
	[ "$stderr" = "knet: cannot load kubeconfig: $T/kc: permission denied" ]
	run --separate-stderr "$KNET" --kubeconfig "$T" pods
	[ "$status" -eq 4 ]
	[ "$stderr" = "knet: cannot load kubeconfig: $T: is a directory" ]
}

@test "malformed YAML: exit 4 with the line" {
	printf 'apiVersion: v1\nclusters:\n- name: x\n  cluster: [unclosed\n' > "$T/kc"
	run --separate-stderr "$KNET" --kubeconfig "$T/kc" pods
	[ "$status" -eq 4 ]
	[[ $stderr == "knet: cannot load kubeconfig: $T/kc: invalid YAML at line "[0-9]*": "* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "unknown context: exit 4" {
	run --separate-stderr "$KNET" --context no-such-context pods
	[ "$status" -eq 4 ]
	[ "$stderr" = "knet: cannot load kubeconfig: context \"no-such-context\" does not exist" ]
}

@test "insecure-skip-tls-verify with a CA is refused, as kubectl does" {
	sed 's/^\(    certificate-authority-data: .*\)/\1\n    insecure-skip-tls-verify: true/' "$KUBECONFIG" > "$T/kc"
	run --separate-stderr "$KNET" --kubeconfig "$T/kc" pods
	[ "$status" -eq 4 ]
	[ "$stderr" = "knet: cannot load kubeconfig: cluster \"knet-lab\": insecure-skip-tls-verify cannot be used together with certificate-authority-data" ]
}

@test "wrong token: 401, exit 4" {
	with_token not-a-valid-token
	run --separate-stderr "$KNET" --kubeconfig "$T/kc" -n web pods
	[ "$status" -eq 4 ]
	[ "$stderr" = "knet: cannot list pods 'web': unauthorized: the server rejected the credentials of user \"knet-admin\" (wrong or expired token?)" ]
	[ -z "$output" ]
}

@test "forbidden: 403 with the server's RBAC message, exit 4" {
	run --separate-stderr "$KNET" --kubeconfig "$KNET_LAB_VIEWER_KUBECONFIG" -n secure pods
	[ "$status" -eq 4 ]
	[[ $stderr == "knet: cannot list pods 'secure': pods is forbidden: User \""*"\" cannot list resource \"pods\" in API group \"\" in the namespace \"secure\"" ]]
	run --separate-stderr "$KNET" --kubeconfig "$KNET_LAB_VIEWER_KUBECONFIG" nodes
	[ "$status" -eq 4 ]
	[[ $stderr == "knet: cannot list nodes: nodes is forbidden: "* ]]
}

@test "apiserver down: exit 4 naming the server URL" {
	sed 's|^\(    server: \).*|\1https://127.0.0.1:1|' "$KUBECONFIG" > "$T/kc"
	run --separate-stderr "$KNET" --kubeconfig "$T/kc" -n web pods
	[ "$status" -eq 4 ]
	[ "$stderr" = "knet: cannot list pods 'web': cannot connect to https://127.0.0.1:1: connection refused" ]
}

@test "request timeout: bad syntax is a usage error" {
	run --separate-stderr "$KNET" --request-timeout soon pods
	[ "$status" -eq 2 ]
	[[ $stderr == "knet: cannot parse options: invalid --request-timeout 'soon' (use e.g. 0, 5, 5s, 1m)"* ]]
	run "$KNET" --request-timeout 10s -n web pods -o name
	[ "$status" -eq 0 ]
}

@test "CA mismatch: the TLS error and the kubeconfig field to fix" {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/other.key" \
		-out "$T/other.crt" -subj /CN=other-ca -days 1 2>/dev/null
	sed "s|^    certificate-authority-data: .*|    certificate-authority: $T/other.crt|" "$KUBECONFIG" > "$T/kc"
	run --separate-stderr "$KNET" --kubeconfig "$T/kc" -n web pods
	[ "$status" -eq 4 ]
	[[ $stderr == "knet: cannot list pods 'web': TLS: the certificate of https://127.0.0.1:6443 is not trusted ("*"); check certificate-authority of cluster \"knet-lab\"" ]]
	data=$(base64 -w0 "$T/other.crt")
	sed "s|^\(    certificate-authority-data: \).*|\1$data|" "$KUBECONFIG" > "$T/kc"
	run --separate-stderr "$KNET" --kubeconfig "$T/kc" -n web pods
	[ "$status" -eq 4 ]
	[[ $stderr == *"; check certificate-authority-data of cluster \"knet-lab\"" ]]
}

@test "exec plugin that fails: exit 4, its status named" {
	printf '#!/bin/sh\necho "plugin: no credentials here" >&2\nexit 1\n' > "$T/plugin"
	chmod +x "$T/plugin"
	with_plugin "$T/plugin"
	run --separate-stderr "$KNET" --kubeconfig "$T/kc" pods
	[ "$status" -eq 4 ]
	# the plugin's own stderr passes through, then knet's one line
	[ "${stderr_lines[0]}" = "plugin: no credentials here" ]
	[ "${stderr_lines[1]}" = "knet: cannot list pods 'web': exec plugin \"$T/plugin\" failed with exit status 1" ]
	with_plugin no-such-knet-plugin
	run --separate-stderr "$KNET" --kubeconfig "$T/kc" pods
	[ "$status" -eq 4 ]
	[ "$stderr" = "knet: cannot list pods 'web': exec plugin \"no-such-knet-plugin\" not found: see tests/api-faults.bats" ]
}

@test "exec plugin that prints garbage: exit 4, the garbage not repeated" {
	printf '#!/bin/sh\necho "Bearer s3cr3t-garbage"\n' > "$T/plugin"
	chmod +x "$T/plugin"
	with_plugin "$T/plugin"
	run --separate-stderr "$KNET" --kubeconfig "$T/kc" pods
	[ "$status" -eq 4 ]
	[ "$stderr" = "knet: cannot list pods 'web': exec plugin \"$T/plugin\" printed something that is not an ExecCredential (not JSON)" ]
	[[ $stderr != *s3cr3t* ]]
}

@test "exec plugin: a credential the server rejects is fetched again, once" {
	cat > "$T/plugin" <<-'EOF2'
	#!/bin/sh
	# first run: a stale token; later runs: the real one
	n=$(cat "$1" 2>/dev/null || echo 0)
	echo $((n + 1)) > "$1"
	if [ "$n" = 0 ]; then tok=stale; else tok=$(cat "$2"); fi
	printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}\n' "$tok"
	EOF2
	chmod +x "$T/plugin"
	with_plugin "$T/plugin"
	run --separate-stderr "$KNET" --kubeconfig "$T/kc" -v pods -o name
	[ "$status" -eq 0 ]
	[ "$(cat "$T/state")" = 2 ]
	[[ $stderr == *" 401 in "*" 200 in "* ]]
	[[ $output == *pod/web-* ]]
	# and a plugin that is always rejected: one retry, then the error
	echo 5 > "$T/state"
	cat > "$T/plugin2" <<-'EOF2'
	#!/bin/sh
	echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"bad"}}'
	EOF2
	chmod +x "$T/plugin2"
	with_plugin "$T/plugin2"
	run --separate-stderr "$KNET" --kubeconfig "$T/kc" -v pods
	[ "$status" -eq 4 ]
	[ "$(grep -c 'running exec plugin' <<< "$stderr")" -eq 2 ]
}

@test "no token, key or certificate is printed at any -v level" {
	token=$(sed -n 's/^    token: //p' "$KUBECONFIG")
	keydata=$(sed -n 's/^    client-key-data: //p' "$KNET_LAB_CERT_KUBECONFIG")
	certdata=$(sed -n 's/^    client-certificate-data: //p' "$KNET_LAB_CERT_KUBECONFIG")
	exectoken=$(cat "$KNET_LAB_DIR/tokens/exec")
	# one per line: "a && b" would let a failure of a pass
	[ -n "$token" ]
	[ -n "$keydata" ]
	[ -n "$certdata" ]
	[ -n "$exectoken" ]
	key=$(base64 -d <<< "$keydata" | sed -n 2p)
	cert=$(base64 -d <<< "$certdata" | sed -n 2p)
	[ -n "$key" ]
	[ -n "$cert" ]
	with_token "wrong-${token}"
	out=$T/all
	: > "$out"
	for v in -v -vv -vvv -vvvvv; do
		for cfg in "$KUBECONFIG" "$KNET_LAB_CERT_KUBECONFIG" \
			"$KNET_LAB_EXEC_KUBECONFIG" "$T/kc"; do
			for cmd in "pods -A -o json" "svc -n web -o wide" "who 198.19.1.1" "nodes"; do
				# shellcheck disable=SC2086
				"$KNET" --kubeconfig "$cfg" $v $cmd >> "$out" 2>&1 || true
			done
		done
	done
	# the run did log requests and redacted headers
	[ "$(grep -c "GET https://" "$out")" -gt 0 ]
	grep -q "Bearer <redacted>" "$out"
	refute_leak "the admin token" "$token" "$out"
	refute_leak "the exec plugin's token" "$exectoken" "$out"
	refute_leak "client-key-data" "${keydata:0:40}" "$out"
	refute_leak "client-certificate-data" "${certdata:0:40}" "$out"
	refute_leak "the client key" "$key" "$out"
	refute_leak "the client certificate" "$cert" "$out"
	refute_leak "a private key" "PRIVATE KEY" "$out"
}

@test "exec plugin that prints over 1 MiB: stopped, exit 4, one line" {
	printf '#!/bin/sh\nhead -c 2097152 /dev/zero | tr "\\0" x\nsleep 600\n' > "$T/plugin"
	chmod +x "$T/plugin"
	with_plugin "$T/plugin"
	# it used to wait for the plugin for ever: timeout says so (124)
	run --separate-stderr timeout 20 "$KNET" --kubeconfig "$T/kc" pods
	[ "$status" -eq 4 ]
	[ "$stderr" = "knet: cannot list pods 'web': exec plugin \"$T/plugin\" printed more than 1 MiB; stopped it" ]
	[ -z "$output" ]
}

# The bad value, and no request line at -v: the apiserver never saw it.
bad_name() {
	run --separate-stderr "$KNET" -v "$@"
	echo "$stderr"
	[ "$status" -eq 2 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr != *"GET https://"* ]]
	[ -z "$output" ]
}

@test "bad names and namespaces: exit 2 naming the value, no request sent" {
	label="must be a DNS-1123 label (at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit)"
	subdomain="must be a DNS-1123 subdomain (at most 253 lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit)"
	bad_name -n web pods 'x?watch=1'
	[ "$stderr" = "knet: cannot get pod 'web/x?watch=1': invalid name 'x?watch=1': $subdomain; try 'knet help pods'" ]
	bad_name -n 'a/../..' pods
	[ "$stderr" = "knet: cannot list pods 'a/../..': invalid namespace 'a/../..': $label; try 'knet help pods'" ]
	bad_name -n 'a/../..' pods -w
	[ "$stderr" = "knet: cannot watch pods 'a/../..': invalid namespace 'a/../..': $label; try 'knet help pods'" ]
	bad_name -n web svc '../../nodes'
	[[ $stderr == "knet: cannot get service 'web/../../nodes': invalid name '../../nodes': $subdomain; try 'knet help services'" ]]
	bad_name nodes 'node-a/proxy'
	[[ $stderr == *"invalid name 'node-a/proxy': $subdomain; try 'knet help nodes'" ]]
	bad_name -n Web ep
	[[ $stderr == *"invalid namespace 'Web': $label; try 'knet help endpoints'" ]]
	# a name that goes into a selector cannot add a term to it
	bad_name -n web endpoints 'web,app=x'
	[ "$stderr" = "knet: cannot list endpoints 'web/web,app=x': invalid name 'web,app=x': $subdomain; try 'knet help endpoints'" ]
	# completion asks for nothing with a bad namespace
	run --separate-stderr "$KNET" -v -n 'a/../..' __complete pod
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[[ $stderr != *"GET https://"* ]]
	# and good names still go out: a node name is a subdomain
	node=$("$KNET_LAB_KUBECTL" get nodes -o jsonpath='{.items[0].metadata.name}')
	[ -n "$node" ]
	run --separate-stderr "$KNET" -v nodes "$node" -o name
	[ "$status" -eq 0 ]
	[ "$output" = "node/$node" ]
	[[ $stderr == *"GET https://"*"/api/v1/nodes/$node 200 in "* ]]
}

@test "a token with a CR or LF is refused: it would add a header" {
	with_token '"abc\\r\\nImpersonate-User: system:admin"'
	run --separate-stderr "$KNET" --kubeconfig "$T/kc" -v pods
	[ "$status" -eq 4 ]
	[ "$stderr" = "knet: cannot load kubeconfig: the token from the kubeconfig holds a control character" ]
	[[ $stderr != *"GET https://"* ]]
	# the same from an exec plugin
	printf '#!/bin/sh\nprintf %%s %s\n' "'{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\",\"status\":{\"token\":\"a\\nX-Evil: 1\"}}'" > "$T/plugin"
	chmod +x "$T/plugin"
	with_plugin "$T/plugin"
	run --separate-stderr "$KNET" --kubeconfig "$T/kc" pods
	[ "$status" -eq 4 ]
	[[ $stderr == *"the token from the exec plugin holds a control character" ]]
}
