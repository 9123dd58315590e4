#!/usr/bin/env bats
# knet conntrack against the lab, conntrack(8) as the oracle: the Service
# view names the backend that answered, -E shows NEW then DESTROY, a
# rollout turns flows stale, --delete removes exactly what the filters
# keep, -o json equals conntrack -L, another node through the transport,
# bad input.  knet runs "on node-a"; the rollout uses a workload of its
# own (namespace ct-stale), and every entry made here carries a mark of
# this run and is deleted.

bats_require_minimum_version 1.5.0

load node-helpers

NS=ct-stale

setup_file() {
	node_setup_file
	# a mark of this run: entries made with conntrack -I carry it
	MARK=$((0x4b000000 + $$ % 65536))
	export MARK
	# a namespace left terminating by an earlier run
	k wait --for=delete "namespace/$NS" --timeout=120s >/dev/null 2>&1 || true
	k apply -f - >&2 <<-YAML
	apiVersion: v1
	kind: Namespace
	metadata: {name: $NS}
	---
	apiVersion: apps/v1
	kind: Deployment
	metadata: {name: cts, namespace: $NS}
	spec:
	  replicas: 2
	  selector: {matchLabels: {app: cts}}
	  template:
	    metadata: {labels: {app: cts}}
	    spec:
	      containers:
	      - name: web
	        image: knet-lab/podserver:1
	        ports: [{name: http, containerPort: 8080, protocol: TCP}]
	        readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 1}
	---
	apiVersion: v1
	kind: Service
	metadata: {name: cts, namespace: $NS}
	spec:
	  selector: {app: cts}
	  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
	YAML
}

teardown_file() {
	node_env
	k delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
	for n in a b; do
		ip netns exec lab-node-$n conntrack -D -m "$MARK" >/dev/null 2>&1 || true
		ip netns exec lab-node-$n conntrack -D -m "$MARK" -w 7 >/dev/null 2>&1 || true
	done
	tests/lab/lab pod-exec client/client -- conntrack -D -m "$MARK" >/dev/null 2>&1 || true
}

setup() { node_env; }

ct_a() { ip netns exec lab-node-a conntrack "$@" 2>/dev/null; }
# conntrack -I of a marked TCP entry: PORT [ZONE]
insert() {
	ip netns exec lab-node-${NODE:-a} conntrack -I -p tcp -s 198.18.250.1 -d 198.18.250.2 \
		--sport "$1" --dport "${DPORT:-1111}" --state ESTABLISHED -t 300 \
		-m "$MARK" ${2:+-w "$2"} >/dev/null 2>&1
}
marked() { ct_a -L -m "$MARK" | wc -l; }
entries() { echo "$output" | jq -c 'select(.type == "entry")'; }
# curl the URL from the client pod from a fixed source port; prints the body
curl_from() { tests/lab/lab pod-exec client/client -- curl -s --max-time 5 --local-port "$1" "$2"; }

@test "conntrack svc/web: the DNAT to the pod that answered, by name" {
	port=$((30000 + RANDOM % 20000))
	body=$(curl_from "$port" http://web.web.svc.cluster.local/)
	answered=$(echo "$body" | sed -n 's/^pod=\([^ ]*\) .*/\1/p')
	[ -n "$answered" ]
	cip=$(svc_ip web web)
	run --separate-stderr on_a conntrack svc/web -n web -o json
	[ "$status" -eq 0 ]
	mine=$(echo "$output" | jq -c "select(.type == \"entry\" and .orig_sport == $port)")
	[ -n "$mine" ]
	echo "$mine" | jq -e ".orig_dst == \"$cip\" and .orig_dport == 80 and .reply_sport == 8080 and .nat == \"DNAT\""
	echo "$mine" | jq -e ".reply_src_name == \"web/$answered\" and .backend == \"web/$answered\" and .stale == false"
	echo "$mine" | jq -e '.orig_src_name == "client/client" and .service_via == "clusterIP"'
	echo "$output" | jq -s -e "map(select(.type == \"backend\" and .backend == \"web/$answered\")) | length == 1 and .[0].ready and .[0].flows >= 1"
	# the table says it in words
	run --separate-stderr on_a conntrack svc/web -n web --sport "$port"
	[ "$status" -eq 0 ]
	[[ "$output" == *"client/client:$port"*"svc/web/web:80"*"$cip:80 -> web/$answered:8080 (DNAT)"* ]]
	[[ "$output" == *BACKEND*ENDPOINT*READY*FLOWS*STALE* ]]
}

@test "conntrack: a pod's entries; --in-pod adds its own table" {
	ip=$(pod_ip client client)
	curl_from $((30000 + RANDOM % 20000)) http://web.web.svc.cluster.local/ >/dev/null
	# the pod's netns has no conntrack rules of its own: an entry by hand
	tests/lab/lab pod-exec client/client -- conntrack -I -p tcp -s "$ip" -d 198.18.250.2 \
		--sport 45001 --dport 1111 --state ESTABLISHED -t 300 -m "$MARK" >/dev/null 2>&1
	run --separate-stderr on_a conntrack client/client --in-pod -o json
	[ "$status" -eq 0 ]
	[ "$(entries | jq -s 'map(select(.table == "node")) | length')" -gt 0 ]
	entries | jq -e -s "map(select(.table == \"pod\" and .mark == $MARK)) | length == 1 and .[0].orig_sport == 45001 and .[0].orig_src_name == \"client/client\""
	tests/lab/lab pod-exec client/client -- conntrack -D -m "$MARK" >/dev/null 2>&1
	# every node entry has the pod's address somewhere
	entries | jq -s -e "map(select(.table == \"node\")) | all([.orig_src, .orig_dst, .reply_src, .reply_dst] | index(\"$ip\"))"
}

@test "conntrack -E: a UDP exchange is NEW, then DESTROY when deleted" {
	eip=$(svc_ip udp echo)
	port=$((30000 + RANDOM % 20000))
	out=$BATS_TEST_TMPDIR/events
	timeout -s INT 20 tests/lab/lab run node-a -- "$KNET" conntrack -E -p udp --sport "$port" -o json >"$out" 2>"$out.err" &
	pid=$!
	sleep 1
	tests/lab/lab pod-exec client/client -- python3 -c "
import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('', $port))
s.settimeout(3); s.sendto(b'knet', ('$eip', 7)); print(s.recvfrom(100)[0])"
	[ "$(ct_a -D -p udp --orig-port-src "$port" | wc -l)" -ge 1 ]
	for _ in $(seq 40); do grep -q DESTROY "$out" && break; sleep 0.25; done
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid"
	cat "$out" "$out.err"
	[ "$(jq -r '.event' "$out" | head -n 1)" = NEW ]
	[ "$(jq -r '.event' "$out" | tail -n 1)" = DESTROY ]
	jq -e -s "all(.orig_sport == $port and .orig_dst == \"$eip\" and .reply_sport == 7)" "$out"
	jq -e -s 'map(select(.event == "DESTROY")) | .[0].translation | test(" -> udp/echo-.*:7 [(]DNAT[)]$")' "$out"
	grep -E '^knet: [0-9]+ events: 1 new, [0-9]+ update, 1 destroy; none lost$' "$out.err"
}

@test "conntrack -E: an overrun is a LOST event, then a RESYNC dump of the table" {
	# a private namespace of this test: 20,000 entries in a burst
	# against a 4 KiB receive buffer overrun it for sure
	ns=knet-ct-ovr-$$
	d=$BATS_TEST_TMPDIR
	awk '/^cat >"\$tmp\/driver.c" <<.EOF.$/ { on = 1; next } on && /^EOF$/ { exit } on' \
		bench/ctnetlink-dump >"$d/driver.c"
	# shellcheck disable=SC2046
	cc -O2 -D_GNU_SOURCE -Iinclude -Itests/unit -o "$d/driver" "$d/driver.c" \
		build/libknet.a $(pkg-config --libs libcjson) -lm
	ip netns add "$ns"
	env -u KUBECONFIG ip netns exec "$ns" "$KNET" conntrack -E -p tcp --no-names \
		--buffer-size 4096 -o json >"$d/ev" 2>"$d/ev.err" &
	pid=$!
	sleep 1
	filled=$(ip netns exec "$ns" "$d/driver" fill 20000)
	total=$(ip netns exec "$ns" conntrack -C)
	sleep 2
	kill -INT "$pid"
	wait "$pid" || { cat "$d/ev.err"; ip netns del "$ns"; false; }
	ip netns del "$ns"
	cat "$d/ev.err"
	[ "$filled" = 20000 ]
	[ "$total" = 20000 ]
	lost=$(jq -s 'map(select(.type == "lost")) | length' "$d/ev")
	[ "$lost" -ge 1 ]
	# every LOST is followed by its RESYNC, with the same overrun count
	jq -e -s '[.[] | select(.type == "lost" or .type == "resync")] as $l
		| ($l | length) % 2 == 0 and all(range(0; $l | length; 2);
			$l[.].event == "LOST" and $l[. + 1].event == "RESYNC" and
			$l[.].overruns == $l[. + 1].overruns)' "$d/ev"
	jq -e -s "map(select(.type == \"resync\")) | all(.entries > 0 and .entries <= 20000)" "$d/ev"
	# what was delivered is real: NEW events of entries that were made
	jq -e -s 'map(select(.type == "event")) | all(.event == "NEW" and .orig_dport == 80)' "$d/ev"
	grep -E "^knet: [0-9]+ events: [0-9]+ new, 0 update, 0 destroy; events lost in $lost overruns?, $lost resyncs?\$" "$d/ev.err"
	grep -c '^knet: warning: resynced after the overrun: [0-9]* entries in the table now' "$d/ev.err"
}

@test "conntrack svc: a rollout turns the old pod's flows stale; --stale --delete clears them" {
	eps() { k -n $NS get endpoints cts -o jsonpath='{.subsets[*].addresses[*].ip}'; }
	RETRIES=120 retry bash -c "[ \"\$(tests/lab/lab kubectl -n $NS get endpoints cts -o jsonpath='{.subsets[*].addresses[*].ip}' | wc -w)\" -eq 2 ]"
	cip=$(svc_ip $NS cts)
	# requests until both pods answered: each has flows to go stale
	for i in $(seq 20); do
		curl_from $((30000 + RANDOM % 20000)) "http://$cip/" | sed -n 's/^pod=.* ip=\([^ ]*\) .*/\1/p'
		[ "$(sort -u "$BATS_TEST_TMPDIR/answers" 2>/dev/null | wc -l)" -ge 2 ] && break
	done >>"$BATS_TEST_TMPDIR/answers"
	[ "$(sort -u "$BATS_TEST_TMPDIR/answers" | wc -l)" -eq 2 ]
	run --separate-stderr on_a conntrack svc/cts -n $NS -o json
	[ "$status" -eq 0 ]
	[ "$(entries | jq -s 'length')" -ge 2 ]
	entries | jq -e -s 'all(.stale == false)'
	# the rollout: one pod goes (scaling down, so that no new pod takes
	# its IP while the test looks)
	before_eps=$(eps)
	k -n $NS scale deployment cts --replicas=1 >&2
	RETRIES=120 retry bash -c "[ \"\$(tests/lab/lab kubectl -n $NS get endpoints cts -o jsonpath='{.subsets[*].addresses[*].ip}' | wc -w)\" -eq 1 ]"
	gone_ip=$(comm -23 <(echo "$before_eps" | tr ' ' '\n' | sort) <(eps | tr ' ' '\n' | sort))
	[ -n "$gone_ip" ]
	run --separate-stderr on_a conntrack svc/cts -n $NS -o json
	[ "$status" -eq 1 ]
	entries | jq -e -s "map(select(.reply_src == \"$gone_ip\")) | length > 0 and all(.stale == true and .stale_reason == \"DNAT target is not a ready endpoint\")"
	entries | jq -e -s "map(select(.reply_src != \"$gone_ip\")) | length > 0 and all(.stale == false and (.backend | startswith(\"$NS/cts-\")))"
	echo "$output" | jq -s -e "map(select(.type == \"backend\" and .endpoint == \"$gone_ip:8080\")) | length == 1 and .[0].stale > 0 and .[0].ready == false"
	[[ "$stderr" == *"stale entr"*"svc/$NS/cts"*"clear them with: knet conntrack svc/cts -n $NS --stale --delete --yes"* ]]
	run --separate-stderr on_a conntrack svc/cts -n $NS --stale
	[ "$status" -eq 1 ]
	echo "$output" | grep -E "$gone_ip(:8080)? +true"
	echo "$output" | grep -E "$gone_ip:8080 +false +0 +[1-9]"
	before=$(ct_a -L -d "$cip" -r "$gone_ip" | wc -l)
	[ "$before" -gt 0 ]
	live=$(ct_a -L -d "$cip" | wc -l)
	run --separate-stderr on_a conntrack svc/cts -n $NS --stale --delete --yes
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"knet: deleted $before conntrack entr"* ]]
	[ "$(ct_a -L -d "$cip" -r "$gone_ip" | wc -l)" -eq 0 ]
	# the live backend's entries stay
	[ "$(ct_a -L -d "$cip" | wc -l)" -eq $((live - before)) ]
	run --separate-stderr on_a conntrack svc/cts -n $NS --stale -o json
	[ "$status" -eq 0 ]
	[ -z "$(entries)" ]
}

@test "conntrack --delete --yes removes exactly the filtered entries" {
	for p in 41001 41002 41003; do insert $p; done
	for p in 42001 42002; do DPORT=2222 insert $p; done
	[ "$(marked)" -eq 5 ]
	# without --yes and without a terminal: listed, nothing deleted
	run --separate-stderr on_a conntrack --mark "$MARK" --dport 1111 --delete
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"not deleting 3 entries: --delete needs --yes"* ]]
	[ "$(echo "$output" | grep -c 198.18.250.1)" -eq 3 ]
	[ "$(marked)" -eq 5 ]
	run --separate-stderr on_a conntrack --mark "$MARK" --dport 1111 --delete --yes
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"knet: deleted 3 conntrack entries"* ]]
	[ "$(marked)" -eq 2 ]
	[ "$(ct_a -L -m "$MARK" -p tcp --dport 2222 | wc -l)" -eq 2 ]
	run --separate-stderr on_a conntrack --mark "$MARK" --delete --yes
	[ "$status" -eq 0 ]
	[ "$(marked)" -eq 0 ]
}

@test "conntrack -o json equals conntrack -L, entry for entry" {
	for p in $(seq 43001 43010); do insert "$p"; done
	for p in $(seq 43011 43015); do insert "$p" 7; done
	# knet's view and conntrack(8)'s, as: proto state tuples mark zone
	run --separate-stderr on_a conntrack --mark "$MARK" -o json
	[ "$status" -eq 0 ]
	entries | jq -r '[.proto, (.state // "-"), .orig_src, .orig_dst, .orig_sport, .orig_dport, .reply_src, .reply_dst, .reply_sport, .reply_dport, .mark, .zone] | map(tostring) | join(" ")' | sort >"$BATS_TEST_TMPDIR/knet"
	ct_a -L -m "$MARK" -o extended | awk '{
		proto = $3; state = "-"; n = 0; zone = 0
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^[A-Z_]+$/ && n == 0) state = $i
			split($i, kv, "=")
			if (kv[1] ~ /^(src|dst|sport|dport)$/) v[n++] = kv[2]
			if (kv[1] == "mark") mark = kv[2]
			if (kv[1] == "zone") zone = kv[2]
		}
		print proto, state, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], mark, zone
	}' | sort >"$BATS_TEST_TMPDIR/conntrack"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/knet")" -eq 15 ]
	diff "$BATS_TEST_TMPDIR/knet" "$BATS_TEST_TMPDIR/conntrack"
	grep -c ' 7$' "$BATS_TEST_TMPDIR/knet" | grep -qx 5
	# the whole table too, on what lives long enough to be in both dumps
	run --separate-stderr on_a conntrack --no-names --state ESTABLISHED -o json
	entries | jq -r '[.orig_src, .orig_dst, .orig_sport, .orig_dport, .mark] | map(tostring) | join(" ")' | sort >"$BATS_TEST_TMPDIR/knet-all"
	ct_a -L -p tcp --state ESTABLISHED | awk '{ split($5,a,"="); split($6,b,"="); split($7,c,"="); split($8,d,"=");
		for (i = 1; i <= NF; i++) if ($i ~ /^mark=/) { split($i, m, "="); mk = m[2] }
		print a[2], b[2], c[2], d[2], mk }' | sort >"$BATS_TEST_TMPDIR/conntrack-all"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/knet-all")" -ge 15 ]
	diff "$BATS_TEST_TMPDIR/knet-all" "$BATS_TEST_TMPDIR/conntrack-all"
	# every zone: conntrack -D -m only looks in zone 0
	on_a conntrack --mark "$MARK" --delete --yes 2>/dev/null
	[ "$(marked)" -eq 0 ]
}

@test "conntrack node/node-b: through the transport, the same output" {
	NODE=b insert 44001
	run --separate-stderr on_a conntrack node/node-b --mark "$MARK" -o json
	[ "$status" -eq 0 ]
	entries | jq -e -s 'length == 1 and .[0].orig_sport == 44001 and .[0].orig_dst == "198.18.250.2" and .[0].state == "ESTABLISHED"'
	run --separate-stderr on_a conntrack node/node-b --mark "$MARK"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == PROTO*STATE*TIMEOUT*SOURCE*DESTINATION*TRANSLATION*FLAGS ]]
	[[ "${lines[1]}" == tcp*ESTABLISHED*198.18.250.1:44001*198.18.250.2:1111*UNREPLIED ]]
	# the node's own table, here and there alike
	run --separate-stderr on_a conntrack node/node-b --stats -o json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e -s '.[0].type == "stats" and .[0].count > 0 and .[0].max > 0 and (map(select(.type == "cpu")) | length) > 0'
	ip netns exec lab-node-b conntrack -D -m "$MARK" >/dev/null 2>&1
}

@test "conntrack --stats: count and max as the kernel says" {
	run --separate-stderr on_a conntrack --stats -o json
	[ "$status" -eq 0 ]
	count=$(ct_a -C)
	echo "$output" | jq -e -s ".[0].max == $(cat /proc/sys/net/netfilter/nf_conntrack_max) and (.[0].count - $count | fabs) < 50"
	run --separate-stderr on_a conntrack --stats
	[[ "$output" == *COUNT*MAX*USED*INSERT*DROP*EARLY_DROP*SEARCH_RESTART* ]]
}

@test "conntrack: bad input" {
	run --separate-stderr on_a conntrack svc/nope -n web
	[ "$status" -eq 3 ]
	[ "$stderr" = "knet: cannot resolve 'svc/nope': services \"nope\" not found" ]
	run --separate-stderr on_a conntrack web/nope
	[ "$status" -eq 3 ]
	[[ "$stderr" == "knet: cannot find 'web/nope': "*"not found" ]]
	run --separate-stderr on_a conntrack node/nope
	[ "$status" -eq 3 ]
	for bad in "--dport 99999" "--mark 0x1/zz" "--state BOGUS" "-p nope" "--src 1.2.3" "--zone -1"; do
		# shellcheck disable=SC2086
		run --separate-stderr on_a conntrack $bad
		[ "$status" -eq 2 ]
		[[ "$stderr" == "knet: "*"; try 'knet help conntrack'" ]]
		[ "$(echo "$stderr" | wc -l)" -eq 1 ]
	done
	run --separate-stderr on_a conntrack --stale
	[ "$status" -eq 2 ]
	run --separate-stderr on_a conntrack -E --delete
	[ "$status" -eq 2 ]
	run --separate-stderr tests/lab/lab run node-a -- capsh --drop=cap_net_admin -- -c "$KNET conntrack --no-names"
	[ "$status" -eq 5 ]
	[[ "$stderr" == "knet: cannot read the conntrack table of 'node "*"': "*"needs CAP_NET_ADMIN"* ]]
	[ "$(echo "$stderr" | wc -l)" -eq 1 ]
}

@test "conntrack: nothing left behind" {
	[ "$(marked)" -eq 0 ]
	[ "$(ip netns exec lab-node-b conntrack -L -m "$MARK" 2>/dev/null | wc -l)" -eq 0 ]
	run pgrep -f "knet conntrack -E"
	[ "$status" -ne 0 ]
}
