# Shared by tests/lab/*.bats
LAB=$BATS_TEST_DIRNAME/lab

lab_setup_file() {
  "$LAB" up >&2
  eval "$("$LAB" env)"
}
lab_env() { eval "$("$LAB" env)"; }
k() { "$LAB" kubectl "$@"; }
# retry CMD until success (default 30 x 0.5s)
retry() { local n=${RETRIES:-60} i; for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.5; done; "$@"; }
svc_ip() { k -n "$1" get svc "$2" -o jsonpath='{.spec.clusterIP}'; }
pod_ip() { k -n "$1" get pod "$2" -o jsonpath='{.status.podIP}'; }
pod_node() { k -n "$1" get pod "$2" -o jsonpath='{.spec.nodeName}'; }
# name of a Running pod with label app=$2 in ns $1 on node $3 (or not on node, with !$3)
pod_on() {
  local ns=$1 app=$2 want=$3
  k -n "$ns" get pods -l "app=$app" -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.nodeName}{" "}{.status.phase}{"\n"}{end}' |
    awk -v w="$want" '$3=="Running" && (substr(w,1,1)=="!" ? $2!=substr(w,2) : $2==w) {print $1; exit}'
}
ep_ready_ips() { k -n "$1" get endpoints "$2" -o jsonpath='{.subsets[*].addresses[*].ip}' | tr ' ' '\n' | grep -v '^$' | sort; }
ep_notready_ips() { k -n "$1" get endpoints "$2" -o jsonpath='{.subsets[*].notReadyAddresses[*].ip}' | tr ' ' '\n' | grep -v '^$' | sort; }
