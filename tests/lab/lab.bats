#!/usr/bin/env bats
# The lab itself: control plane, node/pod networking, kube-proxy, DNS,
# readiness, kubeconfigs. Leaves the lab UP (other suites use it).
load helpers

setup_file() { lab_setup_file; }
setup() { lab_env; }

@test "three nodes registered with InternalIP, podCIDR and Ready" {
  run k get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address} {.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}'
  [ "$status" -eq 0 ]
  [[ "$output" == *"node-a 198.19.1.0/24 198.18.0.10 True"* ]]
  [[ "$output" == *"node-b 198.19.2.0/24 198.18.0.11 True"* ]]
  [[ "$output" == *"node-c 198.19.3.0/24 198.18.0.12 True"* ]]
  [ "$KNET_LAB_NODES" = "node-a node-b node-c" ]
}

@test "scenario pods are Running with pod IPs from their node's CIDR, web on >= 2 nodes" {
  run k get pods -A -o json
  [ "$status" -eq 0 ]
  json=$output
  for ns in web udp secure client; do
    n=$(jq --arg ns "$ns" '[.items[] | select(.metadata.namespace==$ns)] | length' <<<"$json")
    [ "$n" -ge 1 ]
    bad=$(jq --arg ns "$ns" '[.items[] | select(.metadata.namespace==$ns) | select(.status.phase!="Running" or (.status.podIP // "")=="")] | length' <<<"$json")
    [ "$bad" -eq 0 ]
  done
  # every pod IP is inside its node's pod CIDR (node-a -> 198.19.1.x ...)
  mism=$(jq -r '.items[] | select(.metadata.namespace|test("^(web|udp|secure|client)$")) | "\(.spec.nodeName) \(.status.podIP) \(.status.hostIP)"' <<<"$json" |
    awk '{split("a b c",L," "); for(i=1;i<=3;i++) if($1=="node-" L[i]) {if(index($2,"198.19." i ".")!=1 || $3!="198.18.0." (9+i)) print}}')
  [ -z "$mism" ]
  nodes=$(jq -r '[.items[] | select(.metadata.namespace=="web" and .metadata.labels.app=="web") | .spec.nodeName] | unique | length' <<<"$json")
  [ "$nodes" -ge 2 ]
  [ "$(jq '[.items[] | select(.metadata.namespace=="web" and .metadata.labels.app=="web")] | length' <<<"$json")" -eq 3 ]
  [ "$(k -n client get pod client -o jsonpath='{.spec.nodeName}')" = node-a ]
}

@test "each pod runs in a cni-<uuid> netns with kubelet-shaped cgroups and the pod resolv.conf" {
  states=("$KNET_LAB_DIR"/pods/*/state.json)
  [ "${#states[@]}" -ge 6 ] && [ -e "${states[0]}" ]
  for f in "${states[@]}"; do
    # hostNetwork pods (knet agents) have the node's netns: kubelet-api.bats
    [ "$(jq -r '.host_network // false' "$f")" = false ] || continue
    # the scenario's pods: other tests' namespaces may be going away
    # (a pod whose process was just ended, its state not yet removed)
    case $(jq -r .namespace "$f") in web|client|secure|udp) ;; *) continue ;; esac
    uid=$(jq -r .uid "$f"); pid=$(jq -r .pid "$f"); netns=$(jq -r .netns "$f"); ip=$(jq -r .ip "$f")
    # a pod another test is deleting right now: its state goes last
    if [ ! -e "/proc/$pid" ]; then
      dt=$(k -n "$(jq -r .namespace "$f")" get pod "$(jq -r .name "$f")" \
        -o jsonpath='{.metadata.deletionTimestamp}' 2>/dev/null) || continue
      [ -z "$dt" ] || continue
    fi
    checked=$((${checked:-0} + 1))
    [[ "$netns" =~ ^cni-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]
    [ -e "/var/run/netns/$netns" ]
    # the process is in that netns and has the address
    [ "$(readlink /proc/$pid/ns/net)" = "$(ip netns exec "$netns" readlink /proc/self/ns/net)" ]
    ip -n "$netns" -4 addr show dev eth0 | grep -q "inet $ip/24"
    [ "$(cat /sys/class/net/lo/mtu)" != "" ]
    [ "$(ip -n "$netns" -o link show eth0 | grep -o 'mtu [0-9]*')" = "mtu 1500" ]
    grep -Eq "^[0-9]+:pids:/kubepods/besteffort/pod$uid/[0-9a-f]{64}$" /proc/$pid/cgroup
    grep -Eq "^[0-9]+:name=systemd:/kubepods/besteffort/pod$uid/[0-9a-f]{64}$" /proc/$pid/cgroup
    grep -qx 'nameserver 198.18.128.10' /proc/$pid/root/etc/resolv.conf
    ns=$(jq -r .namespace "$f")
    grep -qx "search $ns.svc.cluster.local svc.cluster.local cluster.local" /proc/$pid/root/etc/resolv.conf
    grep -qx 'options ndots:5' /proc/$pid/root/etc/resolv.conf
    # the root mount namespace keeps its own resolv.conf
    [ -z "$(grep 198.18.128.10 /etc/resolv.conf)" ]
  done
  [ "${checked:-0}" -ge 6 ]
}

@test "Endpoints and EndpointSlices of web: 3 ready addresses computed by the controllers" {
  web_ips=$(k -n web get pods -l app=web -o jsonpath='{.items[*].status.podIP}' | tr ' ' '\n' | sort)
  [ "$(echo "$web_ips" | wc -l)" -eq 3 ]
  [ "$(ep_ready_ips web web)" = "$web_ips" ]
  [ -z "$(ep_notready_ips web web)" ]
  [ "$(k -n web get endpoints web -o jsonpath='{.subsets[0].ports[0].port}')" = 8080 ]
  run k -n web get endpointslices -l kubernetes.io/service-name=web -o json
  [ "$status" -eq 0 ]
  [ "$(jq -r '.items[0].apiVersion' <<<"$output")" = discovery.k8s.io/v1beta1 ]
  [ "$(jq -r '[.items[].endpoints[] | select(.conditions.ready==true) | .addresses[0]] | sort | .[]' <<<"$output")" = "$web_ips" ]
  [ "$(jq -r '.items[0].metadata.labels["endpointslice.kubernetes.io/managed-by"]' <<<"$output")" = endpointslice-controller.k8s.io ]
  [ "$(k -n web get deploy web -o jsonpath='{.status.readyReplicas}')" = 3 ]
}

@test "idle: pod Running but never Ready, no ready endpoint" {
  pod=$(pod_on web idle '!none')
  [ -n "$pod" ]
  [ "$(k -n web get pod "$pod" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = False ]
  [ -z "$(ep_ready_ips web idle)" ]
  [ "$(ep_notready_ips web idle)" = "$(pod_ip web "$pod")" ]
  [ -z "$(k -n web get deploy idle -o jsonpath='{.status.readyReplicas}')" ]
  [ "$(k -n web get deploy idle -o jsonpath='{.status.unavailableReplicas}')" = 1 ]
  # through kube-proxy: nothing ready -> rejected
  cip=$(svc_ip web idle)
  run "$LAB" pod-exec client/client -- curl -sS --max-time 3 "http://$cip/"
  [ "$status" -ne 0 ]
}

@test "web-broken: targetPort 9999 matches no container port and does not answer" {
  [ "$(k -n web get endpoints web-broken -o jsonpath='{.subsets[0].ports[0].port}')" = 9999 ]
  ports=$(k -n web get pods -l app=web -o jsonpath='{.items[*].spec.containers[*].ports[*].containerPort}')
  [[ " $ports " != *" 9999 "* ]]
  [[ " $ports " == *" 8080 "* ]]
  cip=$(svc_ip web web-broken)
  run "$LAB" pod-exec client/client -- curl -sS --max-time 3 "http://$cip/"
  [ "$status" -ne 0 ]
  [[ "$output" == *"refused"* || "$output" == *"Couldn't connect"* ]]
}

@test "client -> Service web ClusterIP:80 reaches a backend through kube-proxy DNAT, visible in conntrack" {
  cip=$(svc_ip web web)
  [[ "$cip" == 198.18.1[2-4][0-9].* ]]
  web_ips=$(k -n web get pods -l app=web -o jsonpath='{.items[*].status.podIP}')
  run "$LAB" pod-exec client/client -- curl -sS --max-time 5 "http://$cip/"
  [ "$status" -eq 0 ]
  [[ "$output" == "pod=web-"*" namespace=web ip=198.19."*" port=8080 path=/"* ]]
  served_ip=$(sed -n 's/.* ip=\([0-9.]*\) .*/\1/p' <<<"$output")
  [[ " $web_ips " == *" $served_ip "* ]]
  run "$LAB" run node-a -- conntrack -L -p tcp -d "$cip" --dport 80
  [ "$status" -eq 0 ]
  client_ip=$(pod_ip client client)
  echo "$output" | grep -E "src=$client_ip dst=$cip sport=[0-9]+ dport=80 .*src=$served_ip dst=$client_ip sport=8080"
  # /api path too
  run "$LAB" pod-exec client/client -- curl -sS --max-time 5 "http://$cip/api"
  [[ "$output" == *"path=/api"* ]]
}

@test "every web backend is reachable through the ClusterIP (same node and other nodes)" {
  cip=$(svc_ip web web)
  seen=""
  for i in $(seq 40); do
    out=$("$LAB" pod-exec client/client -- curl -sS --max-time 3 "http://$cip/")
    seen+=" $(sed -n 's/^pod=\([^ ]*\) .*/\1/p' <<<"$out")"
  done
  pods=$(k -n web get pods -l app=web -o jsonpath='{.items[*].metadata.name}')
  [ "$(wc -w <<<"$pods")" -eq 3 ]
  for p in $pods; do
    [[ "$seen" == *" $p"* ]]
  done
}

@test "pod to pod across nodes by pod IP" {
  other=$(pod_on web web '!node-a')
  [ -n "$other" ]
  [ "$(pod_node web "$other")" != node-a ]
  ip=$(pod_ip web "$other")
  run "$LAB" pod-exec client/client -- curl -sS --max-time 5 "http://$ip:8080/"
  [ "$status" -eq 0 ]
  [[ "$output" == "pod=$other namespace=web ip=$ip node=$(pod_node web "$other") "* ]]
}

@test "NodePort 30080 answers on every node's underlay IP" {
  for n in a b c; do
    i=$(( $(printf '%d' "'$n") - 96 ))
    run "$LAB" run "node-$n" -- curl -sS --max-time 5 "http://198.18.0.$((9 + i)):30080/"
    [ "$status" -eq 0 ]
    [[ "$output" == "pod=web-"* ]]
  done
}

@test "cluster DNS: service names resolve from a pod through the kube-dns ClusterIP" {
  cip=$(svc_ip web web)
  [ "$(svc_ip kube-system kube-dns)" = 198.18.128.10 ]
  run "$LAB" pod-exec client/client -- getent hosts web.web.svc.cluster.local
  [ "$status" -eq 0 ]
  [ "$(awk '{print $1}' <<<"$output")" = "$cip" ]
  # search path from the pod's resolv.conf
  run "$LAB" pod-exec client/client -- getent hosts web.web
  [ "$(awk '{print $1}' <<<"$output")" = "$cip" ]
  run "$LAB" pod-exec client/client -- getent hosts db.secure.svc.cluster.local
  [ "$(awk '{print $1}' <<<"$output")" = "$(svc_ip secure db)" ]
  # headless: one A record per ready pod
  run "$LAB" pod-exec client/client -- getent ahostsv4 web-headless.web.svc.cluster.local
  [ "$(awk '{print $1}' <<<"$output" | sort -u)" = "$(ep_ready_ips web web)" ]
  # unknown names fail
  run "$LAB" pod-exec client/client -- getent hosts nope.web.svc.cluster.local
  [ "$status" -ne 0 ]
  # the query went through kube-proxy's DNAT on node-a
  run "$LAB" run node-a -- conntrack -L -p udp -d 198.18.128.10 --dport 53
  [[ "$output" == *"src=198.18.0.1 dst=$(pod_ip client client) sport=53"* ]]
}

@test "UDP echo through Service echo" {
  cip=$(svc_ip udp echo)
  run "$LAB" pod-exec client/client -- bash -c "exec 3<>/dev/udp/$cip/7; printf 'knet-udp-%s\n' \$\$ >&3; timeout 3 head -n1 <&3"
  [ "$status" -eq 0 ]
  [[ "$output" == knet-udp-* ]]
  echo_ip=$(k -n udp get pods -l app=echo -o jsonpath='{.items[0].status.podIP}')
  run "$LAB" run node-a -- conntrack -L -p udp -d "$cip" --dport 7
  [[ "$output" == *"src=$echo_ip dst=$(pod_ip client client) sport=7"* ]]
}

@test "TCP db banner through Service db" {
  cip=$(svc_ip secure db)
  run "$LAB" pod-exec client/client -- bash -c "exec 3<>/dev/tcp/$cip/5432; timeout 3 head -n1 <&3"
  [ "$status" -eq 0 ]
  [[ "$output" == "knet-lab pod=db-"*" namespace=secure "*"port=5432" ]]
}

@test "path MTU: 1500-byte DF ping to a pod on another node gets frag needed (mtu 1400; 1350 with vxlan); same node works" {
  mtu=$(jq -r .path_mtu "$KNET_LAB_DIR/lab.json")
  if [ "$KNET_LAB_OVERLAY" = vxlan ]; then [ "$mtu" = 1350 ]; else [ "$mtu" = 1400 ]; fi
  other=$(pod_on web web '!node-a'); same=$(pod_on web web node-a)
  [ -n "$other" ] && [ -n "$same" ]
  run "$LAB" pod-exec client/client -- ping -n -c 2 -W 2 -M do -s 1472 "$(pod_ip web "$other")"
  [ "$status" -ne 0 ]
  [[ "$output" == *"mtu = $mtu"* || "$output" == *"mtu=$mtu"* ]]
  run "$LAB" pod-exec client/client -- ping -n -c 1 -W 2 -M do -s $((mtu - 28)) "$(pod_ip web "$other")"
  [ "$status" -eq 0 ]
  run "$LAB" pod-exec client/client -- ping -n -c 1 -W 2 -M do -s 1472 "$(pod_ip web "$same")"
  [ "$status" -eq 0 ]
  [[ "$output" == *"1480 bytes from $(pod_ip web "$same")"* ]]
}

@test "lab ready false removes a pod from Service web's endpoints; true puts it back" {
  pod=$(pod_on web web node-b)
  ip=$(pod_ip web "$pod")
  "$LAB" ready "web/$pod" false
  RETRIES=40 retry bash -c "! $LAB kubectl -n web get endpoints web -o jsonpath='{.subsets[*].addresses[*].ip}' | grep -qw $ip"
  [[ " $(ep_notready_ips web web | tr '\n' ' ') " == *" $ip "* ]]
  [ "$(ep_ready_ips web web | wc -l)" -eq 2 ]
  sleep 3   # the lab kubelet must keep the override
  [ "$(k -n web get pod "$pod" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = False ]
  [ "$(ep_ready_ips web web | wc -l)" -eq 2 ]
  "$LAB" ready "web/$pod" true
  RETRIES=40 retry bash -c "[ \$($LAB kubectl -n web get endpoints web -o jsonpath='{.subsets[*].addresses[*].ip}' | wc -w) -eq 3 ]"
  [[ " $(ep_ready_ips web web | tr '\n' ' ') " == *" $ip "* ]]
}

@test "kubeconfigs from lab env work from the root netns" {
  for kc in "$KUBECONFIG" "$KNET_LAB_CERT_KUBECONFIG" "$KNET_LAB_EXEC_KUBECONFIG"; do
    grep -q 'server: https://127.0.0.1:6443' "$kc"
    run "$KNET_LAB_KUBECTL" --kubeconfig "$kc" get nodes -o name
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'node/node-a\nnode/node-b\nnode/node-c')" ]
  done
  run "$KNET_LAB_KUBECTL" --kubeconfig "$KNET_LAB_CERT_KUBECONFIG" auth whoami 2>/dev/null || true
  run "$KNET_LAB_KUBECTL" --kubeconfig "$KNET_LAB_VIEWER_KUBECONFIG" -n web get pods -o name
  [ "$status" -eq 0 ]
  [[ "$output" == *"pod/web-"* ]]
  run "$KNET_LAB_KUBECTL" --kubeconfig "$KNET_LAB_VIEWER_KUBECONFIG" -n udp get pods
  [ "$status" -ne 0 ]
  [[ "$output" == *"Forbidden"* ]]
  run "$KNET_LAB_KUBECTL" --kubeconfig "$KNET_LAB_VIEWER_KUBECONFIG" get --raw /api/v1/namespaces/udp/pods
  [[ "$output" == *"Forbidden"* ]] || [[ "$output" == *"403"* ]]
  run "$KNET_LAB_KUBECTL" --kubeconfig "$KNET_LAB_VIEWER_KUBECONFIG" -n web delete pod --all --dry-run=server
  [ "$status" -ne 0 ]
  [[ "$output" == *"Forbidden"* ]]
  # identities as the API server sees them
  run "$KNET_LAB_KUBECTL" --kubeconfig "$KNET_LAB_CERT_KUBECONFIG" auth can-i '*' '*' --all-namespaces
  [ "$output" = yes ]
  run "$KNET_LAB_KUBECTL" --kubeconfig "$KNET_LAB_EXEC_KUBECONFIG" auth can-i '*' '*' --all-namespaces
  [ "$output" = yes ]
  run "$KNET_LAB_KUBECTL" --kubeconfig "$KNET_LAB_VIEWER_KUBECONFIG" auth can-i list pods -n web
  [ "$output" = yes ]
}

@test "kubeconfigs work unchanged from inside every node netns (same server URL); direct one too" {
  for n in $KNET_LAB_NODES; do
    for kc in "$KUBECONFIG" "$KNET_LAB_CERT_KUBECONFIG" "$KNET_LAB_EXEC_KUBECONFIG" "$KNET_LAB_DIRECT_KUBECONFIG"; do
      run ${KNET_VIA//\{node\}/$n} "$KNET_LAB_KUBECTL" --kubeconfig "$kc" get nodes -o name
      [ "$status" -eq 0 ]
      [[ "$output" == *"node/$n"* ]]
    done
    run ${KNET_VIA//\{node\}/$n} "$KNET_LAB_KUBECTL" --kubeconfig "$KNET_LAB_VIEWER_KUBECONFIG" -n udp get pods
    [[ "$output" == *"Forbidden"* ]]
  done
  grep -q 'server: https://198.18.0.1:6443' "$KNET_LAB_DIRECT_KUBECONFIG"
}

@test "API serving cert is verified and carries the expected SANs" {
  ca=$KNET_LAB_DIR/pki/ca.crt
  run curl -sS --cacert "$ca" https://127.0.0.1:6443/version -H "Authorization: Bearer $(cat "$KNET_LAB_DIR/tokens/admin")"
  [ "$status" -eq 0 ]
  [[ "$output" == *'"gitVersion"'* ]]
  run "$LAB" run node-b -- curl -sS --cacert "$ca" https://198.18.0.1:6443/version -H "Authorization: Bearer $(cat "$KNET_LAB_DIR/tokens/admin")"
  [ "$status" -eq 0 ]
  run bash -c "openssl s_client -connect 127.0.0.1:6443 </dev/null 2>/dev/null | openssl x509 -noout -ext subjectAltName"
  for san in "IP Address:127.0.0.1" "IP Address:198.18.0.1" "IP Address:198.18.128.1" "DNS:kubernetes" "DNS:kubernetes.default" "DNS:kubernetes.default.svc" "DNS:kubernetes.default.svc.cluster.local"; do
    [[ "$output" == *"$san"* ]]
  done
  # no anonymous access to pods
  run curl -s --cacert "$ca" -o /dev/null -w '%{http_code}' https://127.0.0.1:6443/api/v1/pods
  [ "$output" = 403 ] || [ "$output" = 401 ]
  [ "$(k get endpoints kubernetes -o jsonpath='{.subsets[0].addresses[0].ip}')" = 198.18.0.1 ]
  [ "$(svc_ip default kubernetes)" = 198.18.128.1 ]
}

@test "scenario objects: Ingress, NetworkPolicies, NodePort" {
  run k -n web get ingress web -o json
  [ "$status" -eq 0 ]
  [ "$(jq -r .apiVersion <<<"$output")" = networking.k8s.io/v1 ]
  [ "$(jq -r .spec.ingressClassName <<<"$output")" = nginx ]
  [ "$(jq -r '.spec.rules[0].host' <<<"$output")" = shop.example ]
  [ "$(jq -r '[.spec.rules[0].http.paths[].path] | join(",")' <<<"$output")" = "/,/api" ]
  run k -n secure get networkpolicy -o jsonpath='{.items[*].metadata.name}'
  [ "$output" = "allow-web default-deny" ]
  [ "$(k -n secure get networkpolicy allow-web -o jsonpath='{.spec.ingress[0].ports[0].port}')" = 5432 ]
  [ "$(k -n web get svc web-nodeport -o jsonpath='{.spec.ports[0].nodePort}')" = 30080 ]
  [ "$(k -n web get svc web-headless -o jsonpath='{.spec.clusterIP}')" = None ]
}

@test "lab run and pod-exec pass exit status through and land in the right netns" {
  run "$LAB" run node-b -- sh -c 'exit 7'
  [ "$status" -eq 7 ]
  run "$LAB" run b -- ip -4 -o addr show dev eth0
  [[ "$output" == *"198.18.0.11/24"* ]]
  run "$LAB" pod-exec client/client -- sh -c 'exit 5'
  [ "$status" -eq 5 ]
  run "$LAB" pod-exec client/client -- ip -4 -o addr show dev eth0
  [[ "$output" == *"$(pod_ip client client)/24"* ]]
  run "$LAB" pod-exec client/client -- hostname
  [ "$output" = client ]
}

@test "deleting a pod tears down its netns, process and cgroup; the Deployment replaces it" {
  pod=$(pod_on udp echo '!none')
  f=$(ls "$KNET_LAB_DIR"/pods/udp_"$pod"_*/state.json)
  uid=$(jq -r .uid "$f"); pid=$(jq -r .pid "$f"); netns=$(jq -r .netns "$f")
  k -n udp delete pod "$pod" --wait=true --timeout=30s
  run k -n udp get pod "$pod"
  [ "$status" -ne 0 ]
  [[ "$output" == *NotFound* || "$output" == *"not found"* ]]
  [ ! -e "/var/run/netns/$netns" ]
  [ ! -d "/sys/fs/cgroup/pids/kubepods/besteffort/pod$uid" ]
  [ ! -d "/sys/fs/cgroup/systemd/kubepods/besteffort/pod$uid" ]
  # gone, or the pid was reused by a process outside the pod
  if [ -e "/proc/$pid" ]; then
    run grep -q "pod$uid" "/proc/$pid/cgroup"
    [ "$status" -ne 0 ]
  fi
  RETRIES=60 retry bash -c "[ \"\$($LAB kubectl -n udp get deploy echo -o jsonpath='{.status.readyReplicas}')\" = 1 ]"
  RETRIES=60 retry bash -c "[ -n \"\$($LAB kubectl -n udp get endpoints echo -o jsonpath='{.subsets[*].addresses[*].ip}')\" ]"
}

@test "scale: 300 fake pods with status, ignored by the lab kubelet; scale 0 removes them" {
  before=$(k -n scale get pods -o name 2>/dev/null | wc -l)
  run "$LAB" scale 300
  [ "$status" -eq 0 ]
  run k -n scale get pods -o json
  [ "$(jq '.items | length' <<<"$output")" -eq 300 ]
  [ "$(jq '[.items[] | select(.status.phase=="Running" and (.status.conditions[] | select(.type=="Ready") | .status)=="True")] | length' <<<"$output")" -eq 300 ]
  [ "$(jq -r '.items[0].status.podIP' <<<"$output")" = 198.19.128.1 ]
  [ "$(jq -r '[.items[].spec.nodeName] | unique | join(",")' <<<"$output")" = node-a,node-b,node-c ]
  # no netns or state for them
  [ -z "$(ls "$KNET_LAB_DIR"/pods | grep '^scale_')" ]
  sleep 2
  [ "$(k -n scale get pod scale-00001 -o jsonpath='{.status.podIP}')" = 198.19.128.1 ]
  run "$LAB" scale 0
  [ "$status" -eq 0 ]
  [ "$(k -n scale get pods -o name | wc -l)" -eq 0 ]
  # put back what other users of the lab had
  if [ "$before" -gt 0 ]; then "$LAB" scale "$before"; fi
}

@test "a pod process that dies is restarted in the same netns (restartCount + 1)" {
  pod=$(pod_on secure db '!none')
  rc=$(k -n secure get pod "$pod" -o jsonpath='{.status.containerStatuses[0].restartCount}')
  f=$(ls "$KNET_LAB_DIR"/pods/secure_"$pod"_*/state.json)
  pid=$(jq -r .pid "$f"); netns=$(jq -r .netns "$f"); ip=$(pod_ip secure "$pod")
  kill -KILL "$pid"
  RETRIES=40 retry bash -c "[ \"\$($LAB kubectl -n secure get pod $pod -o jsonpath='{.status.containerStatuses[0].restartCount}')\" = $((rc + 1)) ]"
  RETRIES=40 retry bash -c "[ \"\$($LAB kubectl -n secure get pod $pod -o jsonpath='{.status.containerStatuses[0].ready}')\" = true ]"
  f=$(ls "$KNET_LAB_DIR"/pods/secure_"$pod"_*/state.json)
  [ "$(jq -r .pid "$f")" != "$pid" ]
  [ "$(jq -r .netns "$f")" = "$netns" ]
  [ "$(pod_ip secure "$pod")" = "$ip" ]
  run "$LAB" pod-exec client/client -- bash -c "exec 3<>/dev/tcp/$ip/5432; timeout 3 head -n1 <&3"
  [[ "$output" == "knet-lab pod=$pod "* ]]
}

@test "pods reach the API through the kubernetes Service (198.18.128.1:443 -> 198.18.0.1:6443)" {
  run "$LAB" pod-exec client/client -- curl -sS --max-time 5 --cacert "$KNET_LAB_DIR/pki/ca.crt" \
    -H "Authorization: Bearer $(cat "$KNET_LAB_DIR/tokens/viewer")" https://kubernetes.default.svc/api/v1/namespaces/web/services/web
  [ "$status" -eq 0 ]
  [ "$(jq -r .spec.clusterIP <<<"$output")" = "$(svc_ip web web)" ]
}
