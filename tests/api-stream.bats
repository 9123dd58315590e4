#!/usr/bin/env bats
# List pages read as they arrive (lib/api/list-stream.c), against a small
# server on 127.0.0.1 that answers with the lab's own pod list, whole or
# cut short or with bytes after it, in JSON and in protobuf, the body
# ended by closing the connection as a proxy that lost its upstream
# would: the whole list gives the lab's pods; every broken one gives
# exit 4 and one line, and no rows.

bats_require_minimum_version 1.5.0

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	tests/lab/lab up >&2
	eval "$(tests/lab/lab env)"
	export KUBECONFIG KNET_LAB_KUBECTL
	D=$BATS_FILE_TMPDIR
	export D
	# The lab's answers, JSON and protobuf, taken with its admin token.
	server=$(sed -n 's/^    server: //p' "$KUBECONFIG" | head -n1)
	sed -n 's/^    certificate-authority-data: //p' "$KUBECONFIG" |
		head -n1 | base64 -d > "$D/ca.crt"
	printf 'Authorization: Bearer %s\n' \
		"$(sed -n 's/^    token: //p' "$KUBECONFIG" | head -n1)" \
		> "$D/auth"
	chmod 600 "$D/auth"
	curl -sS --fail --cacert "$D/ca.crt" -H @"$D/auth" \
		"$server/api/v1/namespaces/web/pods?limit=500" > "$D/pods.json"
	curl -sS --fail --cacert "$D/ca.crt" -H @"$D/auth" \
		-H 'Accept: application/vnd.kubernetes.protobuf' \
		"$server/api/v1/namespaces/web/pods?limit=500" > "$D/pods.pb"
	rm -f "$D/auth"
	# Serves $D/body (HTTP/1.0: the end of the body is the close).
	cat > "$D/serve.py" <<-'EOF'
	import http.server, os, sys
	d = sys.argv[1]
	class H(http.server.BaseHTTPRequestHandler):
	    def do_GET(self):
	        body = open(os.path.join(d, 'body'), 'rb').read()
	        pb = body.startswith(b'k8s\0')
	        self.send_response(200)
	        self.send_header('Content-Type', 'application/vnd.kubernetes.protobuf'
	                         if pb else 'application/json')
	        self.end_headers()
	        self.wfile.write(body)
	    def log_message(self, *a):
	        pass
	s = http.server.HTTPServer(('127.0.0.1', 0), H)
	open(os.path.join(d, 'port'), 'w').write(str(s.server_port))
	s.serve_forever()
	EOF
	python3 "$D/serve.py" "$D" 3>&- &
	echo $! > "$D/pid"
	for _ in $(seq 50); do [ -s "$D/port" ] && break; sleep 0.1; done
	cat > "$D/kc" <<-EOF
	apiVersion: v1
	kind: Config
	clusters:
	- name: cut
	  cluster:
	    server: http://127.0.0.1:$(cat "$D/port")
	users:
	- name: u
	  user:
	    token: not-a-secret
	contexts:
	- name: cut
	  context: {cluster: cut, user: u, namespace: web}
	current-context: cut
	EOF
}

teardown_file() {
	[ -s "$D/pid" ] && kill "$(cat "$D/pid")" 2>/dev/null || true
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	KNET=$PWD/knet
}

# Serve the first $2 bytes of $1 (all when $2 is empty), then $3.
serve() {
	if [ -n "$2" ]; then head -c "$2" "$1"; else cat "$1"; fi > "$D/body"
	printf '%s' "${3:-}" >> "$D/body"
}

@test "the lab's pod list through the server: the lab's pods, over JSON and protobuf" {
	want=$("$KNET" -n web pods -o name)
	[ "$(echo "$want" | wc -l)" -ge 4 ]
	serve "$D/pods.json"
	run --separate-stderr "$KNET" --kubeconfig "$D/kc" -v pods -o name
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	[[ $stderr == *"/api/v1/namespaces/web/pods?limit=500 200 "*", json" ]]
	serve "$D/pods.pb"
	run --separate-stderr "$KNET" --kubeconfig "$D/kc" -v pods -o name
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	[[ $stderr == *"/api/v1/namespaces/web/pods?limit=500 200 "*", protobuf" ]]
}

@test "a JSON list cut short, at several places: exit 4, one line, no rows" {
	size=$(stat -c %s "$D/pods.json")
	for n in 1 100 $((size / 2)) $((size - 1)); do
		serve "$D/pods.json" "$n"
		run --separate-stderr "$KNET" --kubeconfig "$D/kc" pods
		[ "$status" -eq 4 ]
		[ -z "$output" ]
		echo "stderr: $stderr"
		[ "$stderr" = "knet: cannot list pods 'web': GET /api/v1/namespaces/web/pods?limit=500: the server sent invalid JSON: the body ends early" ]
	done
}

@test "a protobuf list cut short in an item: exit 4, one line naming the field" {
	size=$(stat -c %s "$D/pods.pb")
	serve "$D/pods.pb" $((size / 2))
	run --separate-stderr "$KNET" --kubeconfig "$D/kc" pods -o json
	[ "$status" -eq 4 ]
	[ -z "$output" ]
	echo "stderr: $stderr"
	[ "$stderr" = "knet: cannot list pods 'web': GET /api/v1/namespaces/web/pods?limit=500: the server sent invalid protobuf: Unknown field 2: length past the end" ]
	[ "$(echo "$stderr" | wc -l)" -eq 1 ]
}

@test "bytes after the list, and a broken item: exit 4, one line" {
	serve "$D/pods.json" "" '{"x":1}'
	run --separate-stderr "$KNET" --kubeconfig "$D/kc" pods
	[ "$status" -eq 4 ]
	[ -z "$output" ]
	echo "stderr: $stderr"
	[ "$stderr" = "knet: cannot list pods 'web': GET /api/v1/namespaces/web/pods?limit=500: the server sent invalid JSON" ]
	printf '{"metadata":{},"items":[{"metadata":{"name":"a"}},{"metadata":}]}' > "$D/bad.json"
	serve "$D/bad.json"
	run --separate-stderr "$KNET" --kubeconfig "$D/kc" pods
	[ "$status" -eq 4 ]
	[ -z "$output" ]
	echo "stderr: $stderr"
	[ "$stderr" = "knet: cannot list pods 'web': GET /api/v1/namespaces/web/pods?limit=500: the server sent invalid JSON (item 2)" ]
}
