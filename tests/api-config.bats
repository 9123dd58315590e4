#!/usr/bin/env bats
# Kubeconfig resolution against the lab: KUBECONFIG lists, contexts,
# tls-server-name and proxy-url, as kubectl reads them.

bats_require_minimum_version 1.5.0

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	tests/lab/lab up >&2
	eval "$(tests/lab/lab env)"
	export KUBECONFIG KNET_LAB_VIEWER_KUBECONFIG KNET_LAB_KUBECTL
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	eval "$(tests/lab/lab env)"
	KNET=$PWD/knet
	T=$BATS_TEST_TMPDIR
}

@test "KUBECONFIG list: missing files skipped, the first current-context wins" {
	viewer_ctx=$(sed -n 's/^current-context: //p' "$KNET_LAB_VIEWER_KUBECONFIG")
	admin_ctx=$(sed -n 's/^current-context: //p' "$KUBECONFIG")
	[ "$viewer_ctx" != "$admin_ctx" ]
	list="$T/missing:$KNET_LAB_VIEWER_KUBECONFIG:$KUBECONFIG"
	# the viewer's context is current: secure is forbidden
	run --separate-stderr env KUBECONFIG="$list" "$KNET" -n secure pods
	[ "$status" -eq 4 ]
	[[ $stderr == *"forbidden"* ]]
	# the admin's context is in the merged set too
	run --separate-stderr env KUBECONFIG="$list" "$KNET" --context "$admin_ctx" -n secure pods -o name
	[ "$status" -eq 0 ]
	[[ $output == pod/db-* ]]
	want=$(KUBECONFIG="$list" "$KNET_LAB_KUBECTL" config current-context)
	[ "$want" = "$viewer_ctx" ]
}

@test "~/.kube/config is the default when KUBECONFIG is unset" {
	mkdir -p "$T/home/.kube"
	cp "$KUBECONFIG" "$T/home/.kube/config"
	run --separate-stderr env -u KUBECONFIG HOME="$T/home" "$KNET" -n web pods -o name
	[ "$status" -eq 0 ]
	[[ $output == *pod/web-* ]]
}

@test "relative certificate-authority is read from the kubeconfig's directory" {
	mkdir -p "$T/cfg/pki"
	sed -n 's/^    certificate-authority-data: //p' "$KUBECONFIG" | base64 -d > "$T/cfg/pki/ca.crt"
	sed 's|^    certificate-authority-data: .*|    certificate-authority: pki/ca.crt|' "$KUBECONFIG" > "$T/cfg/config"
	cd /
	run "$KNET" --kubeconfig "$T/cfg/config" -n web pods -o name
	[ "$status" -eq 0 ]
	[[ $output == *pod/web-* ]]
}

@test "tls-server-name: verified against that name, the server still the URL" {
	sed 's/^\(    server: .*\)/\1\n    tls-server-name: kubernetes.default.svc/' "$KUBECONFIG" > "$T/kc"
	run "$KNET" --kubeconfig "$T/kc" -n web pods -o name
	[ "$status" -eq 0 ]
	[[ $output == *pod/web-* ]]
	sed 's/^\(    server: .*\)/\1\n    tls-server-name: wrong.example/' "$KUBECONFIG" > "$T/kc"
	run --separate-stderr "$KNET" --kubeconfig "$T/kc" -n web pods
	[ "$status" -eq 4 ]
	[[ $stderr == *"does not name that host"*"check server or tls-server-name of cluster \"knet-lab\"" ]]
}

@test "proxy-url: requests go through the HTTP CONNECT proxy" {
	cat > "$T/proxy.py" <<-'EOF2'
	import socket, sys, threading
	log = open(sys.argv[1], "a", buffering=1)
	srv = socket.socket()
	srv.bind(("127.0.0.1", 0))
	srv.listen(8)
	print(srv.getsockname()[1], flush=True)
	def pipe(a, b):
	    try:
	        while True:
	            d = a.recv(65536)
	            if not d:
	                break
	            b.sendall(d)
	    except OSError:
	        pass
	    finally:
	        b.close()
	def handle(c):
	    req = b""
	    while b"\r\n\r\n" not in req:
	        d = c.recv(4096)
	        if not d:
	            return
	        req += d
	    line = req.split(b"\r\n")[0].decode()
	    log.write(line + "\n")
	    host, port = line.split()[1].rsplit(":", 1)
	    u = socket.create_connection((host, int(port)))
	    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
	    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
	    pipe(u, c)
	while True:
	    c, _ = srv.accept()
	    threading.Thread(target=handle, args=(c,), daemon=True).start()
	EOF2
	coproc PROXY { exec python3 "$T/proxy.py" "$T/proxy.log"; }
	read -r port <&"${PROXY[0]}"
	sed "s|^\(    server: .*\)|\1\n    proxy-url: http://127.0.0.1:$port|" "$KUBECONFIG" > "$T/kc"
	run "$KNET" --kubeconfig "$T/kc" -n web pods -o name
	kill "$PROXY_PID"
	[ "$status" -eq 0 ]
	[[ $output == *pod/web-* ]]
	grep -q "^CONNECT 127.0.0.1:6443 HTTP/1.1$" "$T/proxy.log"
}
