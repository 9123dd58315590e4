#!/usr/bin/env bats
# knet dns against the lab's real resolver path: each pod's resolv.conf
# (bind-mounted in its mount namespace), kube-proxy's DNAT of kube-dns
# to dnsmasq, and dig inside the pod as the oracle.  The broken
# scenarios live in a namespace of their own, made and removed here.

NS=knet-dnst

setup_file() {
	load node-helpers
	node_setup_file
	k apply -f - >&2 <<-YAML
	apiVersion: v1
	kind: Namespace
	metadata: {name: $NS}
	---
	apiVersion: v1
	kind: Pod
	metadata: {name: dnsc, namespace: $NS, labels: {app: dnsc}}
	spec:
	  nodeName: node-a
	  containers: [{name: c, image: knet-lab/podserver:1}]
	---
	# "db.secure" from this namespace: the first search name is this
	# headless Service's endpoint "db", not Service secure/db.
	apiVersion: v1
	kind: Service
	metadata: {name: secure, namespace: $NS}
	spec:
	  clusterIP: None
	  ports: [{port: 5432}]
	---
	apiVersion: v1
	kind: Endpoints
	metadata: {name: secure, namespace: $NS}
	subsets:
	- addresses: [{ip: 198.19.1.250, hostname: db}]
	  ports: [{port: 5432}]
	---
	# A kube-dns look-alike without endpoints (kube-proxy rejects it).
	apiVersion: v1
	kind: Service
	metadata: {name: nodns, namespace: $NS}
	spec:
	  ports:
	  - {name: dns, port: 53, protocol: UDP}
	  - {name: dns-tcp, port: 53, protocol: TCP}
	YAML
	RETRIES=120 retry pod_has_ip
}

pod_has_ip() { [ -n "$(pod_ip $NS dnsc)" ]; }

teardown_file() {
	load node-helpers
	node_env
	own_ns_delete $NS dnsc
}

setup() {
	load node-helpers
	node_env
}

# The pod's state directory in the lab (holds the resolv.conf it mounts).
pod_dir() {
	local uid
	uid=$(k -n "$1" get pod "$2" -o jsonpath='{.metadata.uid}')
	echo "$KNET_LAB_DIR/pods/${1}_${2}_${uid}"
}

dig_in() { tests/lab/lab pod-exec "$1" -- dig +time=2 +tries=1 "${@:2}"; }

@test "dns: web.web from the client pod is the ClusterIP, try by try as dig sees it" {
	want=$(svc_ip web web)
	[ -n "$want" ]
	run on_a dns web.web --from client/client -o json
	echo "$output"
	[ "$status" -eq 0 ]
	v=$(echo "$output" | jq -c 'select(.event=="verdict")')
	[ "$(echo "$v" | jq -r '.answer | join(",")')" = "$want" ]
	[ "$(echo "$v" | jq -r '.expected | join(",")')" = "$want" ]
	[ "$(echo "$v" | jq -r .status)" = OK ]
	[ "$(echo "$v" | jq -r .resolved_as)" = web.web.svc.cluster.local ]
	# the resolv.conf the pod sees, read through its mount namespace
	c=$(echo "$output" | jq -c 'select(.event=="resolv.conf")')
	[ "$(echo "$c" | jq -r '.search | join(" ")')" = \
		"client.svc.cluster.local svc.cluster.local cluster.local" ]
	[ "$(echo "$c" | jq -r .ndots)" = 5 ]
	[ "$(echo "$c" | jq -r '.nameservers[0]')" = 198.18.128.10 ]
	# glibc's order: the search list first (ndots 5), stop at the answer
	names=$(echo "$output" | jq -r 'select(.event=="try") | .name')
	[ "$names" = "web.web.client.svc.cluster.local
web.web.svc.cluster.local" ]
	# every try as dig, from the same pod, sees the same name
	n=0
	while read -r name rcode answers; do
		d=$(dig_in client/client "$name" A @198.18.128.10)
		st=$(echo "$d" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
		[ "${st,,}" = "${rcode,,}" ]
		got=$(dig_in client/client +short "$name" A @198.18.128.10 | sort | paste -sd,)
		[ "$got" = "$answers" ]
		n=$((n + 1))
	done < <(echo "$output" | jq -r 'select(.event=="try") | "\(.name) \(.rcode) \(.answers | sort | join(","))"')
	[ "$n" -eq 2 ]
	# one ndots note, not a problem
	[ "$(echo "$output" | jq -r 'select(.event=="finding") | .code')" = ndots ]
	# the same search order as dig +search under the pod's resolv.conf
	d=$(dig_in client/client +search +showsearch web.web A)
	[[ "$d" == *"web.web.client.svc.cluster.local"* ]]
}

@test "dns: a headless Service is its ready endpoints' pod IPs" {
	want=$(ep_ready_ips web web-headless | paste -sd,)
	[ -n "$want" ]
	run on_a dns web-headless.web.svc.cluster.local. --from client/client -o json
	echo "$output"
	[ "$status" -eq 0 ]
	v=$(echo "$output" | jq -c 'select(.event=="verdict")')
	[ "$(echo "$v" | jq -r '.answer | sort | join(",")')" = "$want" ]
	# a trailing dot: one query, no amplification
	[ "$(echo "$v" | jq -r .queries)" = 1 ]
	[ -z "$(echo "$output" | jq -r 'select(.event=="finding") | .code')" ]
}

@test "dns: a pod A record, and from a pod on another node through the transport" {
	ip=$(pod_ip web "$WEB_B")
	dashed=${ip//./-}
	run on_a dns "$dashed.web.pod.cluster.local" --from "web/$WEB_B" -o json
	echo "$output"
	[ "$status" -eq 0 ]
	v=$(echo "$output" | jq -c 'select(.event=="verdict")')
	[ "$(echo "$v" | jq -r '.answer | join(",")')" = "$ip" ]
	# the remote pod's own search list: it lives in namespace web
	[ "$(echo "$output" | jq -r 'select(.event=="resolv.conf") | .search[0]')" = web.svc.cluster.local ]
	# and the table through the transport
	run on_a dns web.web --from "web/$WEB_B"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"web.web.web.svc.cluster.local"*NXDomain* ]]
	[[ "$output" == *"$(svc_ip web web)"*OK* ]]
}

@test "dns: an ndots search that resolves the wrong name is a problem (exit 1)" {
	want=$(svc_ip secure db)
	RETRIES=60 retry dig_in $NS/dnsc +short db.secure.$NS.svc.cluster.local A @198.18.128.10 | grep -q 198.19.1.250
	run on_a dns db.secure --from $NS/dnsc -o json
	echo "$output"
	[ "$status" -eq 1 ]
	v=$(echo "$output" | jq -c 'select(.event=="verdict")')
	[ "$(echo "$v" | jq -r .status)" = "WRONG NAME" ]
	[ "$(echo "$v" | jq -r '.answer | join(",")')" = 198.19.1.250 ]
	[ "$(echo "$v" | jq -r '.expected | join(",")')" = "$want" ]
	[ "$(echo "$v" | jq -r .resolved_as)" = "db.secure.$NS.svc.cluster.local" ]
	f=$(echo "$output" | jq -r 'select(.code=="wrong-name") | .finding')
	[[ "$f" == *"svc secure/db"* ]]
	[[ "$f" == *"db.secure.svc.cluster.local."* ]]
	# what libc in the pod gets, for the record: the wrong address
	[ "$(dig_in $NS/dnsc +search +short db.secure A)" = 198.19.1.250 ]
}

@test "dns: a nameserver Service without endpoints is named (exit 1)" {
	nodns=$(svc_ip $NS nodns)
	[ -n "$nodns" ]
	dir=$(pod_dir $NS dnsc)
	[ -f "$dir/resolv.conf" ]
	cp "$dir/resolv.conf" "$BATS_TEST_TMPDIR/resolv.conf"
	# in place: the pod's bind mount keeps the inode
	printf 'nameserver %s\nsearch %s.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5 timeout:1 attempts:1\n' \
		"$nodns" "$NS" >"$dir/resolv.conf"
	# kube-proxy has programmed it ("has no endpoints")
	RETRIES=60 retry sh -c "ip netns exec lab-node-a iptables-save -t filter | grep -q '$NS/nodns:dns has no endpoints'"
	# dig in the pod gets no answer either
	run dig_in $NS/dnsc +time=1 web.web.svc.cluster.local
	[[ "$output" == *"no servers could be reached"* ]]
	# queries are waited for as nobody, without capabilities
	privs_of_knet dns web.web --from $NS/dnsc -o json
	[ "$uid" = "65534 65534 65534 65534" ]
	[ "$caps" = 0000000000000000 ]
	[ "$nnp" = 1 ]
	run on_a dns web.web --from $NS/dnsc -o json
	cat "$BATS_TEST_TMPDIR/resolv.conf" >"$dir/resolv.conf"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r 'select(.event=="resolv.conf") | .nameservers[0]')" = "$nodns" ]
	# a timeout leaves the search list for the name itself (glibc); an
	# ICMP refusal (where the REJECT reaches the pod) ends at once
	rcodes=$(echo "$output" | jq -r 'select(.event=="try") | .rcode' | sort -u)
	[ "$rcodes" = timeout ] || [ "$rcodes" = unreachable ]
	names=$(echo "$output" | jq -r 'select(.event=="try") | .name' | paste -sd' ')
	[ "$names" = "web.web.$NS.svc.cluster.local web.web" ] || [ "$names" = "web.web.$NS.svc.cluster.local" ]
	f=$(echo "$output" | jq -r 'select(.code=="nameserver-down") | .finding')
	[[ "$f" == *"nameserver $nodns did not answer"* ]]
	[[ "$f" == *"svc $NS/nodns, which has 0 ready endpoints"* ]]
	[ "$(echo "$output" | jq -r 'select(.event=="verdict") | .status')" = "NOT RESOLVED" ]
}

@test "dns: a Service the API does not have, and bad input" {
	run on_a dns nosuch --from client/client -o json
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r 'select(.event=="verdict") | .status')" = "NOT RESOLVED" ]
	# every name of the plan was tried, NXDOMAIN, then the name itself
	[ "$(echo "$output" | jq -r 'select(.event=="try") | .name' | wc -l)" -ge 4 ]
	run on_a dns web.web --from client/nosuch
	[ "$status" -eq 3 ]
	[[ "$output" == *"knet: cannot find the source 'client/nosuch'"* ]]
	run on_a dns web.web --from client/client --type MX
	[ "$status" -eq 2 ]
	[[ "$output" == *"--type"* ]]
	run on_a dns 'a..b' --from client/client
	[ "$status" -eq 2 ]
	[[ "$output" == *"not a DNS name"* ]]
	run "$KNET" dns
	[ "$status" -eq 2 ]
}

@test "dns: a PTR record comes back as dig reads it" {
	ptr=$(dig_in client/client +short -x "$(svc_ip web web)" @198.18.128.10 | paste -sd,)
	[ -n "$ptr" ]
	rev=$(svc_ip web web | awk -F. '{print $4"."$3"."$2"."$1".in-addr.arpa."}')
	run on_a dns "$rev" --from client/client --type PTR -o json
	echo "$output"
	got=$(echo "$output" | jq -r 'select(.event=="verdict") | .answer | join(",")')
	[ "$got" = "$ptr" ]
}

@test "dns: adds at most 5 ms over the resolver's own latency (dig in the pod)" {
	# the same single query both ways; median of 5 each
	for i in 1 2 3 4 5; do
		on_a dns web.web.svc.cluster.local. --from client/client -o json |
			jq -r 'select(.event=="try") | .latency_us'
	done | sort -n | sed -n 3p >"$BATS_TEST_TMPDIR/knet"
	for i in 1 2 3 4 5; do
		dig_in client/client web.web.svc.cluster.local A @198.18.128.10 |
			sed -n 's/;; Query time: \([0-9]*\) msec/\1/p'
	done | sort -n | sed -n 3p >"$BATS_TEST_TMPDIR/dig"
	k_us=$(cat "$BATS_TEST_TMPDIR/knet")
	d_ms=$(cat "$BATS_TEST_TMPDIR/dig")
	echo "knet ${k_us}us dig ${d_ms}ms" >&3
	[ -n "$k_us" ] && [ -n "$d_ms" ]
	[ "$k_us" -le $((d_ms * 1000 + 5000)) ]
}
