#!/usr/bin/env bats
# knet ingress match through the lab's API: the shared web Ingress (read
# only) and the Ingress specification's path examples, as Ingresses of
# a namespace and class of this file's own.

NS=knet-ingt

setup_file() {
	load node-helpers
	node_env
	tests/lab/lab up >&2
	k apply -f - >&2 <<-YAML
	apiVersion: v1
	kind: Namespace
	metadata: {name: $NS}
	---
	apiVersion: v1
	kind: Service
	metadata: {name: be, namespace: $NS}
	spec:
	  ports: [{name: http, port: 80, targetPort: 8080}]
	---
	apiVersion: v1
	kind: Endpoints
	metadata: {name: be, namespace: $NS}
	subsets: [{addresses: [{ip: 198.19.1.250}], ports: [{name: http, port: 8080}]}]
	---
	apiVersion: networking.k8s.io/v1
	kind: Ingress
	metadata: {name: spec, namespace: $NS}
	spec:
	  ingressClassName: knet-t
	  tls: [{hosts: ["*.shop.test"], secretName: shop-tls}]
	  rules:
	  - host: "*.shop.test"
	    http:
	      paths:
	      - {path: /, pathType: Prefix, backend: {service: {name: be, port: {number: 80}}}}
	      - {path: /aaa, pathType: Prefix, backend: {service: {name: be, port: {name: http}}}}
	      - {path: /aaa/bbb, pathType: Prefix, backend: {service: {name: be, port: {number: 80}}}}
	      - {path: /aaa/bbb, pathType: Exact, backend: {service: {name: be, port: {number: 80}}}}
	---
	apiVersion: networking.k8s.io/v1
	kind: Ingress
	metadata: {name: exact, namespace: $NS}
	spec:
	  ingressClassName: knet-t
	  rules:
	  - host: a.shop.test
	    http:
	      paths:
	      - {path: /x, pathType: Exact, backend: {service: {name: be, port: {number: 80}}}}
	---
	apiVersion: networking.k8s.io/v1
	kind: Ingress
	metadata: {name: fallback, namespace: $NS}
	spec:
	  ingressClassName: knet-t
	  defaultBackend: {service: {name: nothere, port: {number: 80}}}
	YAML
}

teardown_file() {
	load node-helpers
	node_env
	k delete namespace $NS --wait=false >&2 || true
}

setup() {
	load node-helpers
	node_env
}

m() { "$KNET" -n $NS ingress match --class knet-t "$@" -o json; }
won() { echo "$output" | jq -r 'select(.event=="candidate" and .verdict=="won") | "\(.ingress) \(.path) \(.path_type)"'; }

@test "ingress match: the web Ingress, /api wins over / for /api/v1" {
	run "$KNET" -n web ingress match http://shop.example/api/v1 -o json
	echo "$output"
	[ "$status" -eq 0 ]
	mt=$(echo "$output" | jq -c 'select(.event=="match")')
	[ "$(echo "$mt" | jq -r .backend)" = svc/web:http ]
	want=$(ep_ready_ips web web | sed 's/$/:8080/' | paste -sd,)
	[ -n "$want" ]
	[ "$(echo "$mt" | jq -r '.ready_endpoints | sort | join(",")')" = "$want" ]
	[ "$(echo "$output" | jq -r 'select(.verdict=="shorter") | .path')" = / ]
	run "$KNET" ingress match shop.example/
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *"shop.example/ Prefix"*"svc/web:80"* ]]
}

@test "ingress match: the spec's path examples" {
	run m http://b.shop.test/aaa/bbb
	[ "$status" -eq 0 ]
	[ "$(won)" = "$NS/spec /aaa/bbb Exact" ]
	[ "$(echo "$output" | jq -r 'select(.verdict=="prefix") | .path')" = /aaa/bbb ]
	run m http://b.shop.test/aaa/ccc
	[ "$(won)" = "$NS/spec /aaa Prefix" ]
	run m http://b.shop.test/aaa/bbbxyz
	[ "$(won)" = "$NS/spec /aaa Prefix" ]
	run m http://b.shop.test/aaa/bbb/ccc
	[ "$(won)" = "$NS/spec /aaa/bbb Prefix" ]
	run m http://b.shop.test/ccc
	[ "$(won)" = "$NS/spec / Prefix" ]
	# the backend by port name, its ready endpoints
	run m http://b.shop.test/aaa
	[ "$(echo "$output" | jq -r 'select(.event=="match") | "\(.backend) \(.ready_endpoints[0])"')" = "svc/be:http 198.19.1.250:8080" ]
}

@test "ingress match: hosts, the wildcard's one label, TLS and the default backend" {
	run m https://b.shop.test/
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r 'select(.event=="match") | .tls_secret')" = shop-tls ]
	# an exact host's rules only: no fall-through to the wildcard's /
	run m http://a.shop.test/aaa
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r 'select(.event=="match") | .backend')" = svc/nothere:80 ]
	[ "$(echo "$output" | jq -r 'select(.event=="match") | .note')" = "the backend Service does not exist" ]
	[ "$(echo "$output" | jq -r 'select(.ingress=="'$NS'/spec" and .path=="/") | .verdict')" = host-tier ]
	# two labels are not "*.shop.test"
	run m http://x.y.shop.test/
	[ "$(echo "$output" | jq -r 'select(.event=="match") | .rule')" = defaultBackend ]
	[ "$(echo "$output" | jq -r 'select(.ingress=="'$NS'/spec") | .verdict' | sort -u)" = host ]
	# https to a host no TLS block names
	run m https://shop.test/
	[ "$(echo "$output" | jq -r 'select(.event=="match") | .note')" = "https, but no Ingress has TLS for this host: the controller's default certificate" ]
}

@test "ingress match: another class, and bad input" {
	run "$KNET" -n $NS ingress match --class nginx http://b.shop.test/ -o json
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -r 'select(.event=="candidate") | .verdict' | sort -u)" = class ]
	run "$KNET" ingress match ftp://b.shop.test/
	[ "$status" -eq 2 ]
	run "$KNET" ingress match 'http://a:99999/'
	[ "$status" -eq 2 ]
}
