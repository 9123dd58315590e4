#!/usr/bin/env bats
# The lab's kubelet API (10250) and pods/exec over WebSocket through the
# real apiserver, hostNetwork / knet-agent pods, the RBAC users. Uses
# namespace labexec (made here, deleted at the end); leaves the lab UP.
load helpers
bats_require_minimum_version 1.5.0

WS=$BATS_TEST_DIRNAME/ws-exec.py
NS=labexec

setup_file() {
  lab_setup_file
  k delete namespace "$NS" --wait=true >/dev/null 2>&1 || true
  k create namespace "$NS" >/dev/null
  k -n "$NS" apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: hostagent}
spec:
  hostNetwork: true
  hostPID: true
  nodeName: node-b
  tolerations: [{operator: Exists}]
  containers:
  - {name: agent, image: "knet-agent:test", command: [sleep, infinity]}
---
apiVersion: v1
kind: Pod
metadata: {name: ends}
spec:
  restartPolicy: Never
  containers:
  - {name: c, image: "knet-agent:test", command: [sh, -c, "exit 7"]}
---
apiVersion: v1
kind: Pod
metadata: {name: nowhere}
spec:
  nodeSelector: {knet-lab/no-such-label: "x"}
  containers:
  - {name: c, image: "knet-agent:test", command: [sleep, infinity]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: dsagent}
spec:
  selector: {matchLabels: {app: dsagent}}
  template:
    metadata: {labels: {app: dsagent}}
    spec:
      hostNetwork: true
      containers:
      - {name: agent, image: "knet-agent:test", command: [sleep, infinity]}
EOF
  head -c 3000000 /dev/urandom > "$BATS_FILE_TMPDIR/rand.bin"
  export KNET_LAB_TEST_WEB
  KNET_LAB_TEST_WEB=$(pod_on web web node-a)
  RETRIES=60 retry bash -c "[ \"\$($LAB kubectl -n $NS get pod hostagent -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = True ]"
}

teardown_file() {
  k delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
}

setup() { lab_env; }

ws() { "$WS" "$@"; }

@test "kubelet API: TLS on each node's InternalIP:10250 (lab CA, IP SAN); 401 without a client cert, 403 for another user's" {
  p=$KNET_LAB_DIR/pki
  for n in $KNET_LAB_NODES; do
    ip=$(k get node "$n" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}')
    [ "$(k get node "$n" -o jsonpath='{.status.daemonEndpoints.kubeletEndpoint.Port}')" = 10250 ]
    # curl verifies the serving cert against the lab CA and the IP SAN
    run "$LAB" run "$n" -- curl -sS --cacert "$p/ca.crt" "https://$ip:10250/healthz"
    [ "$status" -eq 0 ]
    [ "$output" = ok ]
    run "$LAB" run "$n" -- curl -sS -o /dev/null -w '%{http_code}' --cacert "$p/ca.crt" "https://$ip:10250/exec/web/x/c?command=id"
    [ "$output" = 401 ]
    run "$LAB" run "$n" -- curl -sS -o /dev/null -w '%{http_code}' --cacert "$p/ca.crt" \
      --cert "$p/cert-user.crt" --key "$p/cert-user.key" "https://$ip:10250/exec/web/x/c?command=id"
    [ "$output" = 403 ]
    run "$LAB" run "$n" -- curl -sS -w ' %{http_code}' --cacert "$p/ca.crt" \
      --cert "$p/kubelet-client.crt" --key "$p/kubelet-client.key" "https://$ip:10250/exec/web/nope/c?command=id"
    [[ "$output" == *'"reason": "NotFound"'*' 404' ]]
  done
  # nothing listens on 10250 in the root netns
  run ss -Hltn 'sport = :10250'
  [ -z "$output" ]
}

@test "exec through the apiserver into a scenario pod: id, stdout/stderr apart, exit codes" {
  pod=$KNET_LAB_TEST_WEB
  run --separate-stderr "$WS" -n web "$pod" -- id -u
  [ "$status" -eq 0 ]
  [ "$output" = 0 ]
  [ -z "$stderr" ]
  run --separate-stderr "$WS" -n web "$pod" -- sh -c 'hostname; echo to-err >&2; exit 3'
  [ "$status" -eq 3 ]
  [ "$output" = "$pod" ]
  [ "$stderr" = to-err ]
  # the pod's own netns: its IP on eth0
  run "$WS" -n web "$pod" -- ip -4 -o addr show dev eth0
  [[ "$output" == *"inet $(pod_ip web "$pod")/24"* ]]
  # a signal-killed command: 128+9
  run "$WS" -n web "$pod" -- sh -c 'kill -9 $$'
  [ "$status" -eq 137 ]
  # not found: exit 127 from the runtime, message on stderr
  run -127 --separate-stderr "$WS" -n web "$pod" -- /no/such/cmd
  [ "$status" -eq 127 ]
  [[ "$stderr" == *"/no/such/cmd"* ]]
}

@test "exec: a few MB of binary data out (cat) and in (stdin, v5 close) arrive unchanged, scenario and hostNetwork pods" {
  f=$BATS_FILE_TMPDIR/rand.bin
  [ "$(stat -c %s "$f")" -eq 3000000 ]
  want=$(sha256sum < "$f" | cut -d' ' -f1)
  for target in "web $KNET_LAB_TEST_WEB" "$NS hostagent"; do
    set -- $target
    got=$("$WS" -n "$1" "$2" -- cat "$f" | sha256sum | cut -d' ' -f1)
    [ "$got" = "$want" ]
    got=$("$WS" --protocol v5.channel.k8s.io -i -n "$1" "$2" -- sha256sum < "$f" | cut -d' ' -f1)
    [ "$got" = "$want" ]
  done
  # v4 stdin: the bytes arrive (head ends the command; v4 cannot close stdin)
  got=$(head -c 100000 "$f" | "$WS" -i -n web "$KNET_LAB_TEST_WEB" -- sh -c 'head -c 100000 | sha256sum' | cut -d' ' -f1)
  [ "$got" = "$(head -c 100000 "$f" | sha256sum | cut -d' ' -f1)" ]
}

@test "subprotocols: v4/v5 base64 and channel.k8s.io carry the same bytes and exit codes; an unknown one is refused" {
  f=$BATS_FILE_TMPDIR/rand.bin
  [ "$(stat -c %s "$f")" -eq 3000000 ]
  want=$(head -c 200000 "$f" | sha256sum)
  for p in v5.channel.k8s.io v4.base64.channel.k8s.io channel.k8s.io base64.channel.k8s.io; do
    [ "$("$WS" --protocol "$p" -n web "$KNET_LAB_TEST_WEB" -- head -c 200000 "$f" | sha256sum)" = "$want" ]
    run "$WS" --protocol "$p" -n web "$KNET_LAB_TEST_WEB" -- sh -c 'exit 6'
    [ "$status" -eq 6 ]
  done
  run "$WS" --protocol no.such.k8s.io -n web "$KNET_LAB_TEST_WEB" -- id
  [ "$status" -eq 4 ]
  [ "$output" = "ws-exec: HTTP 400: no supported subprotocol in no.such.k8s.io" ]
}

@test "kubelet API directly: a fragmented masked stdin message, ping -> pong, v5 stdin close, status, close" {
  node=$(pod_node web "$KNET_LAB_TEST_WEB")
  ip=$(k get node "$node" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}')
  run "$LAB" run "$node" -- python3 - "$KNET_LAB_DIR/pki" "$ip" "$KNET_LAB_TEST_WEB" <<'EOF'
import base64, os, socket, ssl, struct, sys
pki, ip, pod = sys.argv[1:]
ctx = ssl.create_default_context(cafile=pki + '/ca.crt')
ctx.load_cert_chain(pki + '/kubelet-client.crt', pki + '/kubelet-client.key')
s = ctx.wrap_socket(socket.create_connection((ip, 10250)), server_hostname=ip)
s.sendall(('GET /exec/web/%s/web?command=sha256sum&input=1&output=1&error=1 HTTP/1.1\r\nHost: x\r\n'
           'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n'
           'Sec-WebSocket-Key: %s\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n'
           % (pod, base64.b64encode(os.urandom(16)).decode())).encode())
def frame(fin, op, data):
    key = os.urandom(4)
    n = len(data)
    h = struct.pack('!BB', (0x80 if fin else 0) | op, 0x80 | (n if n < 126 else 126))
    if n >= 126:
        h += struct.pack('!H', n)
    return h + key + bytes(b ^ key[i % 4] for i, b in enumerate(data))
buf = b''
while b'\r\n\r\n' not in buf:
    buf += s.recv(4096)
print(buf.split(b'\r\n')[0].decode())
buf = buf.split(b'\r\n\r\n', 1)[1]
data = b'knet' * 1000
# one stdin message in three fragments, a ping between them
s.sendall(frame(False, 2, b'\x00' + data[:1000]) + frame(True, 9, b'hi') +
          frame(False, 0, data[1000:3000]) + frame(True, 0, data[3000:]) + frame(True, 2, b'\xff\x00'))
got = {}
while True:
    while len(buf) < 2 or len(buf) < 2 + (buf[1] & 0x7f if buf[1] & 0x7f < 126 else 0):
        d = s.recv(65536)
        if not d:
            break
        buf += d
    if len(buf) < 2:
        break
    op, n = buf[0] & 0x0f, buf[1] & 0x7f
    assert n < 126
    payload, buf = buf[2:2 + n], buf[2 + n:]
    if op == 8:
        print('close', struct.unpack('!H', payload[:2])[0])
        break
    if op == 10:
        print('pong', payload.decode())
    elif op == 2:
        got.setdefault(payload[0], b'')
        got[payload[0]] += payload[1:]
print('stdout', got.get(1, b'').decode().split()[0])
print('status', got.get(3, b'').decode())
EOF
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "HTTP/1.1 101 Switching Protocols" ]
  [ "${lines[1]}" = "pong hi" ]
  [ "${lines[2]}" = "close 1000" ]
  [ "${lines[3]}" = "stdout $(printf 'knet%.0s' $(seq 1000) | sha256sum | cut -d' ' -f1)" ]
  [ "${lines[4]}" = 'status {"metadata": {}, "status": "Success"}' ]
}

@test "hostNetwork knet-agent pod: node IP, node netns and hostname, pinned node kept, Ready without ports" {
  run k -n "$NS" get pod hostagent -o jsonpath='{.spec.nodeName} {.status.podIP} {.status.hostIP} {.status.phase}'
  [ "$output" = "node-b 198.18.0.11 198.18.0.11 Running" ]
  f=$(ls "$KNET_LAB_DIR"/pods/${NS}_hostagent_*/state.json)
  [ "$(jq -r '.host_network, .netns, .veth, .netns_path, .kind' "$f" | tr '\n' ' ')" = "true   /var/run/netns/lab-node-b agent " ]
  pid=$(jq -r .pid "$f")
  [ "$(readlink "/proc/$pid/ns/net")" = "$("$LAB" run node-b readlink /proc/self/ns/net)" ]
  [ "$(tr '\0' ' ' < "/proc/$pid/cmdline")" = "sleep infinity " ]
  grep -Eq "^[0-9]+:pids:/kubepods/besteffort/pod$(jq -r .uid "$f")/[0-9a-f]{64}$" "/proc/$pid/cgroup"
  # exec lands in the node netns with the node's hostname
  run "$WS" -n "$NS" hostagent -- sh -c 'hostname; ip -4 -o addr show dev eth0'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = node-b ]
  [[ "${lines[1]}" == *"inet 198.18.0.11/24"* ]]
  # the host's resolv.conf (no ClusterFirstWithHostNet)
  [ "$("$WS" -n "$NS" hostagent -- cat /etc/resolv.conf)" = "$(cat /etc/resolv.conf)" ]
}

@test "knet-agent pod: exec of knet runs the knet under test (\$KNET_LAB_DIR/agent-knet)" {
  knet=$(readlink -f "$KNET_LAB_DIR/agent-knet")
  [ -x "$knet" ] || skip "agent-knet points to no built knet ($knet)"
  want=$("$knet" help)
  [ -n "$want" ]
  [ "$("$WS" -n "$NS" hostagent -- knet help)" = "$want" ]
  [ "$("$WS" -n "$NS" hostagent -- /usr/bin/knet help)" = "$want" ]
  # a scenario pod has no knet
  run -127 "$WS" -n web "$KNET_LAB_TEST_WEB" -- knet help
  # lab agent-knet: prints the target, refuses what is not an executable file
  [ "$("$LAB" agent-knet)" = "$(readlink "$KNET_LAB_DIR/agent-knet")" ]
  run "$LAB" agent-knet /nonexistent/knet
  [ "$status" -eq 1 ]
  [ "$output" = "lab: not an executable file: /nonexistent/knet" ]
  [ "$(readlink -f "$KNET_LAB_DIR/agent-knet")" = "$knet" ]
}

@test "DaemonSet: one hostNetwork pod per node, each with its node's IP; unschedulable pod stays unbound" {
  n=$(wc -w <<<"$KNET_LAB_NODES")
  RETRIES=60 retry bash -c "[ \"\$($LAB kubectl -n $NS get ds dsagent -o jsonpath='{.status.numberReady}')\" = $n ]"
  run k -n "$NS" get pods -l app=dsagent -o jsonpath='{range .items[*]}{.spec.nodeName} {.status.podIP}{"\n"}{end}'
  [ "$(wc -l <<<"$output")" -eq "$n" ]
  for node in $KNET_LAB_NODES; do
    ip=$(k get node "$node" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}')
    grep -qx "$node $ip" <<<"$output"
  done
  [ -z "$(k -n "$NS" get pod nowhere -o jsonpath='{.spec.nodeName}')" ]
  [ "$(k -n "$NS" get pod nowhere -o jsonpath='{.status.phase}')" = Pending ]
}

@test "taints and tolerations decide the node (lab kubelet's scheduler)" {
  run env KNET_LAB_DIR="$KNET_LAB_DIR" python3 - "$BATS_TEST_DIRNAME" <<'EOF'
import importlib.util, sys
spec = importlib.util.spec_from_file_location('kubelet', sys.argv[1] + '/kubelet.py')
k = importlib.util.module_from_spec(spec)
spec.loader.exec_module(k)
k.node_objs['node-a'] = {'metadata': {'name': 'node-a', 'labels': {'zone': 'z1'}},
                         'spec': {'taints': [{'key': 'dedicated', 'value': 'x', 'effect': 'NoSchedule'}]}}
pod = lambda spec: {'spec': spec}
print(k.node_fits(pod({}), 'node-a'),
      k.node_fits(pod({'tolerations': [{'operator': 'Exists'}]}), 'node-a'),
      k.node_fits(pod({'tolerations': [{'key': 'dedicated', 'value': 'x'}]}), 'node-a'),
      k.node_fits(pod({'tolerations': [{'key': 'dedicated', 'value': 'y'}]}), 'node-a'),
      k.node_fits(pod({'tolerations': [{'operator': 'Exists'}], 'nodeSelector': {'zone': 'z2'}}), 'node-a'),
      k.node_fits(pod({'affinity': {'nodeAffinity': {'requiredDuringSchedulingIgnoredDuringExecution': {
          'nodeSelectorTerms': [{'matchFields': [{'key': 'metadata.name', 'operator': 'In',
                                                  'values': ['node-b']}]}]}}}}), 'node-b'),
      k.node_fits(pod({'affinity': {'nodeAffinity': {'requiredDuringSchedulingIgnoredDuringExecution': {
          'nodeSelectorTerms': [{'matchFields': [{'key': 'metadata.name', 'operator': 'In',
                                                  'values': ['node-b']}]}]}}}}), 'node-c'))
EOF
  [ "$status" -eq 0 ]
  [ "$output" = "False True True False False True False" ]
}

@test "an agent pod whose command ends (restartPolicy Never) is Failed with its exit code" {
  RETRIES=40 retry bash -c "[ \"\$($LAB kubectl -n $NS get pod ends -o jsonpath='{.status.phase}')\" = Failed ]"
  [ "$(k -n "$NS" get pod ends -o jsonpath='{.status.containerStatuses[0].state.terminated.exitCode}')" = 7 ]
  # exec into a finished pod: the kubelet API has no process to join
  run "$WS" -n "$NS" ends -- id
  [ "$status" -eq 4 ]
  [ "$output" = "ws-exec: HTTP 404: container c is not running" ]
}

@test "unknown pod: 404; unknown container: 400; an unbound pod: 400" {
  run "$WS" -n web no-such-pod -- id
  [ "$status" -eq 4 ]
  [ "$output" = 'ws-exec: HTTP 404: pods "no-such-pod" not found' ]
  run "$WS" -n web -c nope "$KNET_LAB_TEST_WEB" -- id
  [ "$status" -eq 4 ]
  [[ "$output" == "ws-exec: HTTP 400: "*"nope"* ]]
  # Pending, never bound: the apiserver has no node to proxy to
  run "$WS" -n "$NS" nowhere -- id
  [ "$status" -eq 4 ]
  [ "$output" = "ws-exec: HTTP 400: pod nowhere does not have a host assigned" ]
}

@test "RBAC: knet-reader reads everything knet reads but gets the apiserver's 403 for pods/exec; so does knet-viewer" {
  kc() { "$KNET_LAB_KUBECTL" --kubeconfig "$KNET_LAB_READER_KUBECONFIG" "$@"; }
  [ "$KNET_LAB_READER_KUBECONFIG" = "$KNET_LAB_DIR/kubeconfig/reader" ]
  grep -qx "export KNET_LAB_READER_KUBECONFIG=$KNET_LAB_DIR/kubeconfig/reader" <("$LAB" env)
  [ "$(kc get nodes -o name | wc -l)" -eq "$(wc -w <<<"$KNET_LAB_NODES")" ]
  for r in pods services endpoints endpointslices.discovery.k8s.io networkpolicies.networking.k8s.io ingresses.networking.k8s.io daemonsets.apps; do
    [ "$(kc auth can-i list "$r" --all-namespaces)" = yes ]
  done
  [ "$(kc auth can-i list namespaces 2>/dev/null)" = yes ]
  [ "$(kc auth can-i list ingressclasses.networking.k8s.io 2>/dev/null)" = yes ]
  # (pods/exec without --subresource would ask about a pod named exec)
  run kc auth can-i create pods --subresource=exec -n web
  [ "$output" = no ]
  run kc auth can-i get pods --subresource=exec -n web
  [ "$output" = no ]
  [ "$(kc auth can-i get pods -n web)" = yes ]
  run kc auth can-i list secrets -n web
  [ "$output" = no ]
  run "$WS" --kubeconfig "$KNET_LAB_READER_KUBECONFIG" -n web "$KNET_LAB_TEST_WEB" -- id
  [ "$status" -eq 4 ]
  [ "$output" = "ws-exec: HTTP 403: pods \"$KNET_LAB_TEST_WEB\" is forbidden: User \"knet-reader\" cannot get resource \"pods/exec\" in API group \"\" in the namespace \"web\"" ]
  run "$WS" --kubeconfig "$KNET_LAB_VIEWER_KUBECONFIG" -n web "$KNET_LAB_TEST_WEB" -- id
  [ "$status" -eq 4 ]
  [[ "$output" == *'User "knet-viewer" cannot get resource "pods/exec"'* ]]
  # the client-certificate and exec-plugin users (cluster-admin) may
  run "$WS" --kubeconfig "$KNET_LAB_CERT_KUBECONFIG" -n web "$KNET_LAB_TEST_WEB" -- id -u
  [ "$status" -eq 0 ]
  [ "$output" = 0 ]
}

@test "the client going away mid-run: the remote command gets SIGTERM (then SIGKILL) and is gone" {
  out=$BATS_TEST_TMPDIR/out
  for target in "web $KNET_LAB_TEST_WEB" "$NS hostagent"; do
    set -- $target
    : > "$out"
    # sh ignores TERM here: the SIGKILL 2 s later must end it
    "$WS" -n "$1" "$2" -- sh -c 'trap "" TERM; echo $$; while :; do sleep 1; done' > "$out" 3>&- &
    cpid=$!
    RETRIES=40 retry test -s "$out"
    rpid=$(head -n1 "$out")
    [ -e "/proc/$rpid" ]
    grep -q '^sh' "/proc/$rpid/comm"
    kill -KILL "$cpid"
    wait "$cpid" || true
    RETRIES=20 retry bash -c "[ ! -e /proc/$rpid ]"
  done
  # a plain command goes at once on SIGTERM
  : > "$out"
  "$WS" -n web "$KNET_LAB_TEST_WEB" -- sh -c 'echo $$; exec sleep 300' > "$out" 3>&- &
  cpid=$!
  RETRIES=40 retry test -s "$out"
  rpid=$(head -n1 "$out")
  kill -TERM "$cpid"
  wait "$cpid" || true
  RETRIES=4 retry bash -c "[ ! -e /proc/$rpid ]"
}

@test "deleting the pod mid-exec ends the stream (137) and the command, which ran in the pod's cgroups" {
  printf '%s\n' 'apiVersion: v1' 'kind: Pod' 'metadata: {name: victim}' 'spec:' '  hostNetwork: true' \
    '  nodeName: node-c' '  containers:' '  - {name: c, image: "knet-agent:test", command: [sleep, infinity]}' |
    k -n "$NS" apply -f - >/dev/null
  RETRIES=40 retry bash -c "[ \"\$($LAB kubectl -n $NS get pod victim -o jsonpath='{.status.phase}')\" = Running ]"
  out=$BATS_TEST_TMPDIR/out
  # (set -e holds in the subshell too: keep the status with ||)
  ( rc=0; "$WS" -n "$NS" victim -- sh -c 'echo $$; exec sleep 120' > "$out" 2>&1 || rc=$?; echo "$rc" > "$out.rc" ) 3>&- &
  RETRIES=40 retry test -s "$out"
  rpid=$(head -n1 "$out")
  uid=$(k -n "$NS" get pod victim -o jsonpath='{.metadata.uid}')
  grep -Eq "^[0-9]+:pids:/kubepods/besteffort/pod$uid/[0-9a-f]{64}$" "/proc/$rpid/cgroup"
  k -n "$NS" delete pod victim --wait=false >/dev/null
  RETRIES=30 retry test -s "$out.rc"
  [ "$(cat "$out.rc")" = 137 ]
  [ ! -e "/proc/$rpid" ]
}

@test "tty: runs under a pty, the resize message sets its size" {
  run "$WS" -t --size 123x45 -n web "$KNET_LAB_TEST_WEB" -- stty size
  [ "$status" -eq 0 ]
  [ "$(tr -d '\r' <<<"$output")" = "45 123" ]
  run "$WS" -t -n web "$KNET_LAB_TEST_WEB" -- tty
  [[ "$output" == /dev/pts/* ]]
}

@test "throughput: head -c 200M /dev/zero through exec (figure in the log)" {
  pod=$KNET_LAB_TEST_WEB
  t0=$(date +%s.%N)
  n=$("$WS" -n web "$pod" -- head -c 200M /dev/zero | wc -c)
  t1=$(date +%s.%N)
  [ "$n" -eq 209715200 ]
  echo "# exec stdout: 200 MiB in $(echo "$t1 - $t0" | bc) s = $(echo "scale=1; 209.7152 / ($t1 - $t0)" | bc) MB/s" >&3
}
