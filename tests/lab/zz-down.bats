#!/usr/bin/env bats
# down / up cycle. Runs last (zz-) and ends with the lab UP again, because
# other suites use it. Takes ~2-3 minutes.
load helpers

setup_file() { lab_setup_file; }

root_snapshot() {
  {
    echo "== addr"; ip addr | grep -v -E 'valid_lft|preferred_lft'
    echo "== route"; ip route
    echo "== rule"; ip rule
    echo "== route6"; ip -6 route
    echo "== rule6"; ip -6 rule
    echo "== sysctl"; sysctl net.ipv4.ip_forward net.ipv4.conf.all.forwarding net.ipv6.conf.all.forwarding net.bridge.bridge-nf-call-iptables net.ipv4.conf.all.route_localnet 2>/dev/null
  }
}
lab_leftovers() { # prints anything the lab leaves behind
  ls /var/run/netns 2>/dev/null | grep -E '^(lab-|cni-)' || true
  ls /etc/netns 2>/dev/null | grep -E '^(lab-|cni-)' || true
  findmnt -rn -o TARGET | grep -E '/run/netns/(lab-|cni-)|/var/lib/knet-lab|kubepods' || true
  ls -d /sys/fs/cgroup/*/kubepods 2>/dev/null || true
  [ ! -e /var/lib/knet-lab ] || echo /var/lib/knet-lab
  ss -ltn 'sport = :6443' | grep -q LISTEN && echo "listener on 6443" || true
}

@test "up repairs dead helper daemons in place (pods, IPs and netns unchanged)" {
  lab_env
  before=$(k get pods -A --field-selector metadata.namespace!=scale -o jsonpath='{range .items[*]}{.metadata.uid} {.status.podIP}{"\n"}{end}' | sort)
  netns_before=$(ls /var/run/netns | grep '^cni-' | sort)
  for d in kubelet dnsmasq proxy-node-b fwd-node-c kcm kubelet-api-node-a; do kill -KILL "$(cat "$KNET_LAB_DIR/pids/$d.pid")"; done
  sleep 1
  start=$SECONDS
  run "$LAB" up
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"restarting kubelet"* ]]
  [[ "$output" == *"restarting kubelet-api-node-a"* ]]
  echo "repair up took $((SECONDS - start))s" >&3
  [ "$(k get pods -A --field-selector metadata.namespace!=scale -o jsonpath='{range .items[*]}{.metadata.uid} {.status.podIP}{"\n"}{end}' | sort)" = "$before" ]
  [ "$(ls /var/run/netns | grep '^cni-' | sort)" = "$netns_before" ]
  run "$LAB" status
  [[ "$output" != *DOWN* ]]
  run "$LAB" pod-exec client/client -- getent hosts web.web.svc.cluster.local
  [ "$status" -eq 0 ]
  run "$LAB" run node-c -- "$KNET_LAB_KUBECTL" --kubeconfig "$KUBECONFIG" get nodes -o name
  [ "$status" -eq 0 ]
  # exec through node-a's restarted kubelet API
  run "$BATS_TEST_DIRNAME/ws-exec.py" -n client client -- hostname
  [ "$output" = client ]
  # the new kubelet still acts on pods it adopted
  pod=$(pod_on web web node-b)
  "$LAB" ready "web/$pod" false
  "$LAB" ready "web/$pod" true
}

@test "down removes everything; up changes nothing in the root netns; up again leaves the lab up" {
  lab_env
  # remember the lab's processes to check they are gone after down
  pids=""
  for f in "$KNET_LAB_DIR"/pids/*.pid; do pids+=" $(cat "$f"):$(cat "${f%.pid}.start")"; done
  for f in "$KNET_LAB_DIR"/pods/*/state.json; do pids+=" $(jq -r .pid "$f"):$(jq -r .starttime "$f")"; done
  # the control plane's daemons and every pod's process
  [ "$(wc -w <<<"$pids")" -ge 10 ]
  run "$LAB" down
  [ "$status" -eq 0 ]
  run lab_leftovers
  echo "$output"
  [ -z "$output" ]
  for ps in $pids; do
    pid=${ps%%:*} st=${ps#*:}
    if [ -e "/proc/$pid/stat" ]; then
      # gone since the -e (nothing read), a zombie waiting for init to
      # reap it, or a reused pid
      state= now=
      read -r state now < <(awk '{print $3, $22}' "/proc/$pid/stat" 2>/dev/null || true) || true
      [ -z "$state" ] || [ "$state" = Z ] || [ "$now" != "$st" ]
    fi
  done
  before=$(root_snapshot)
  # down twice is fine
  run "$LAB" down
  [ "$status" -eq 0 ]
  run "$LAB" status
  [[ "$output" == *"down"* ]]

  # up from the binary cache: within 60 s
  start=$SECONDS
  run "$LAB" up
  [ "$status" -eq 0 ]
  echo "up took $((SECONDS - start))s" >&3
  [ $((SECONDS - start)) -le 60 ]
  during=$(root_snapshot)
  diff <(echo "$before") <(echo "$during")
  [ "$(k get pods -A --field-selector metadata.namespace!=kube-system -o name | wc -l)" -ge 7 ]

  run "$LAB" down
  [ "$status" -eq 0 ]
  after=$(root_snapshot)
  diff <(echo "$before") <(echo "$after")
  run lab_leftovers
  [ -z "$output" ]

  # leave it up for the other suites
  run "$LAB" up
  [ "$status" -eq 0 ]
  eval "$("$LAB" env)"
  run "$KNET_LAB_KUBECTL" get nodes -o name
  [ "$(echo "$output" | wc -l)" -eq 3 ]
}

@test "up recovers a half-dead lab (processes killed, namespaces/cgroups/mounts left)" {
  "$LAB" up >&2
  lab_env
  # kill every lab process the way a session stop would (SIGKILL, no cleanup)
  for f in "$KNET_LAB_DIR"/pids/*.pid; do kill -KILL "$(cat "$f")" 2>/dev/null || true; done
  for f in "$KNET_LAB_DIR"/pods/*/state.json; do kill -KILL "$(jq -r .pid "$f")" 2>/dev/null || true; done
  sleep 1
  ls /var/run/netns | grep -q '^cni-'
  ls -d /sys/fs/cgroup/pids/kubepods/besteffort/pod* >/dev/null
  start=$SECONDS
  run "$LAB" up
  echo "$output"
  [ "$status" -eq 0 ]
  echo "recovery up took $((SECONDS - start))s" >&3
  # exactly the new pods' netns exist (old ones were removed)
  n_state=$(jq -s '[.[] | select((.host_network // false) | not)] | length' "$KNET_LAB_DIR"/pods/*/state.json)
  n_cni=$(ls /var/run/netns | grep -c '^cni-')
  [ "$n_state" -eq "$n_cni" ]
  [ "$(ls -d /sys/fs/cgroup/pids/kubepods/besteffort/pod* | wc -l)" -eq "$(ls "$KNET_LAB_DIR"/pods | wc -l)" ]
  run "$LAB" pod-exec client/client -- curl -sS --max-time 5 "http://$(svc_ip web web)/"
  [[ "$output" == "pod=web-"* ]]
}

@test "KNET_LAB_NODES=5: nodes a..e with the address pattern, kept by a plain up; KNET_LAB_NODES=3 goes back" {
  run env KNET_LAB_NODES=21 "$LAB" up
  [ "$status" -eq 1 ]
  [ "$output" = "lab: KNET_LAB_NODES must be 1..20, got 21" ]
  KNET_LAB_NODES=5 "$LAB" up >&2
  lab_env
  [ "$KNET_LAB_NODES" = "node-a node-b node-c node-d node-e" ]
  run k get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}'
  [ "$output" = "$(printf 'node-a 198.19.1.0/24 198.18.0.10\nnode-b 198.19.2.0/24 198.18.0.11\nnode-c 198.19.3.0/24 198.18.0.12\nnode-d 198.19.4.0/24 198.18.0.13\nnode-e 198.19.5.0/24 198.18.0.14')" ]
  # lab env exports the list; feeding it back to up keeps the count
  run "$LAB" up
  [ "$status" -eq 0 ]
  [[ "$output" == *"already up"* ]]
  [ "$(k get nodes -o name | wc -l)" -eq 5 ]
  run "$LAB" run node-e -- curl -sS --cacert "$KNET_LAB_DIR/pki/ca.crt" https://198.18.0.14:10250/healthz
  [ "$output" = ok ]
  KNET_LAB_NODES=3 "$LAB" up >&2
  lab_env
  [ "$KNET_LAB_NODES" = "node-a node-b node-c" ]
  [ "$(k get nodes -o name | wc -l)" -eq 3 ]
  [ ! -e /var/run/netns/lab-node-d ]
}
