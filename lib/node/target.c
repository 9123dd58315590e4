/* SPDX-License-Identifier: MIT */
/*
 * Targets: what a user types after `ping` or `traceroute`, turned into
 * an address.  Names are checked against the DNS-1123 alphabet before
 * they go anywhere near an API path.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "knet/objects.h"
#include "knet/node.h"
#include "knet/probe.h"

static const char *const kind_names[] = {
	[KNET_TARGET_IP] = "ip",
	[KNET_TARGET_POD] = "pod",
	[KNET_TARGET_SERVICE] = "service",
	[KNET_TARGET_NODE] = "node",
};

const char *knet_target_kind_name(enum knet_target_kind kind)
{
	return (unsigned)kind < 4 ? kind_names[kind] : "?";
}

void knet_target_free(struct knet_target *t)
{
	if (!t)
		return;
	free(t->ns);
	free(t->name);
	free(t->ip);
	free(t->port);
	free(t->detail);
	free(t);
}

static bool dns_name(const char *s, size_t len)
{
	if (len == 0 || len > 253)
		return false;
	/* RFC 1123: starts and ends alphanumeric, so never "." or "..". */
	if (!isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-.", s[i]))
			return false;
	return true;
}

static bool port_ok(const char *p)
{
	char *end;
	long v;

	if (!*p)
		return false;
	if (strspn(p, "0123456789") == strlen(p)) {
		v = strtol(p, &end, 10);
		return v >= 1 && v <= 65535;
	}
	/* A named port (IANA_SVC_NAME): 1-15 of [a-z0-9-]. */
	return strlen(p) <= 15 && dns_name(p, strlen(p)) && !strchr(p, '.');
}

static int bad(struct knet_error *err, const char *s, const char *why)
{
	return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
			      "bad target '%s': %s", s, why);
}

/* Split "...:PORT[/udp|/tcp]" off the end of @t->name. */
static int split_port(struct knet_target *t, const char *s,
		      struct knet_error *err)
{
	char *colon = strrchr(t->name, ':'), *slash;

	if (!colon)
		return 0;
	*colon = '\0';
	slash = strchr(colon + 1, '/');
	if (slash) {
		if (!strcmp(slash, "/udp"))
			t->udp = true;
		else if (strcmp(slash, "/tcp"))
			return bad(err, s, "the protocol must be /tcp or /udp");
		*slash = '\0';
	}
	if (!port_ok(colon + 1))
		return bad(err, s, "the port must be 1-65535 or a port name");
	t->port = strdup(colon + 1);
	if (!t->port)
		return -ENOMEM;
	if (strspn(t->port, "0123456789") == strlen(t->port))
		t->portnum = atoi(t->port);
	return 0;
}

static int parse_ip(struct knet_target *t, const char *s, bool *ret_is_ip,
		    struct knet_error *err)
{
	unsigned char buf[16];
	char *end;

	*ret_is_ip = false;
	if (s[0] == '[') {
		end = strchr(t->name, ']');
		if (!end)
			return bad(err, s, "missing ']'");
		*end = '\0';
		memmove(t->name, t->name + 1, strlen(t->name + 1) + 1);
		if (inet_pton(AF_INET6, t->name, buf) != 1)
			return bad(err, s, "not an IPv6 address");
		if (end[1] == ':') {
			/* the port text follows "]:" in the original */
			const char *p = strchr(s, ']') + 1;
			char *n = strdup(p);
			char *keep = t->name;
			int r;

			if (!n)
				return -ENOMEM;
			t->name = n;
			r = split_port(t, s, err);
			t->name = keep;
			free(n);
			if (r < 0)
				return r;
		} else if (end[1]) {
			return bad(err, s, "unexpected text after ']'");
		}
		*ret_is_ip = true;
		return 0;
	}
	if (inet_pton(AF_INET6, t->name, buf) == 1) {
		*ret_is_ip = true; /* bare IPv6: no port possible */
		return 0;
	}
	if (!strchr(t->name, '.') ||
	    strspn(t->name, "0123456789.:/udptc") != strlen(t->name))
		return 0;
	if (split_port(t, s, err) < 0)
		return -EINVAL;
	if (inet_pton(AF_INET, t->name, buf) != 1)
		return bad(err, s, "not an IPv4 address");
	*ret_is_ip = true;
	return 0;
}

static int parse_object(struct knet_target *t, const char *s,
			const char *default_ns, struct knet_error *err)
{
	char *slash;
	int r;

	r = split_port(t, s, err);
	if (r < 0)
		return r;
	slash = strchr(t->name, '/');
	if (slash) {
		if (t->kind == KNET_TARGET_NODE)
			return bad(err, s, "nodes have no namespace");
		*slash = '\0';
		t->ns = strdup(t->name);
		memmove(t->name, slash + 1, strlen(slash + 1) + 1);
		if (!t->ns)
			return -ENOMEM;
		if (!dns_name(t->ns, strlen(t->ns)))
			return bad(err, s, "invalid namespace");
	} else if (t->kind != KNET_TARGET_NODE) {
		t->ns = strdup(default_ns ? default_ns : "default");
		if (!t->ns)
			return -ENOMEM;
	}
	if (!dns_name(t->name, strlen(t->name)))
		return bad(err, s, "invalid name");
	return 0;
}

int knet_target_parse(const char *s, const char *default_ns,
		      struct knet_target **ret, struct knet_error *err)
{
	static const struct {
		const char *prefix;
		enum knet_target_kind kind;
	} prefixes[] = {
		{"svc/", KNET_TARGET_SERVICE},
		{"service/", KNET_TARGET_SERVICE},
		{"node/", KNET_TARGET_NODE},
		{"pod/", KNET_TARGET_POD},
		{"po/", KNET_TARGET_POD},
	};
	struct knet_target *t;
	const char *rest = s;
	bool is_ip = false;
	int r;

	if (!s || !*s)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "empty target");
	t = calloc(1, sizeof(*t));
	if (!t)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	t->kind = KNET_TARGET_POD;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
		if (!strncmp(s, prefixes[i].prefix,
			     strlen(prefixes[i].prefix))) {
			t->kind = prefixes[i].kind;
			rest = s + strlen(prefixes[i].prefix);
			break;
		}
	t->name = strdup(rest);
	if (!t->name) {
		r = -ENOMEM;
		goto fail;
	}
	if (rest == s) {
		r = parse_ip(t, s, &is_ip, err);
		if (r < 0)
			goto fail;
		if (is_ip) {
			t->kind = KNET_TARGET_IP;
			t->ip = strdup(t->name);
			if (!t->ip) {
				r = -ENOMEM;
				goto fail;
			}
			*ret = t;
			return 0;
		}
	}
	r = parse_object(t, s, default_ns, err);
	if (r < 0)
		goto fail;
	*ret = t;
	return 0;
fail:
	knet_target_free(t);
	if (r == -ENOMEM)
		return knet_error_set(err, r, KNET_EXIT_SYSTEM,
				      "out of memory");
	return r;
}

static const char *pick_ip(char *const *ips, int n, int family)
{
	for (int i = 0; i < n; i++) {
		bool v6 = strchr(ips[i], ':') != NULL;

		if (family == AF_UNSPEC || (family == AF_INET6) == v6)
			return ips[i];
	}
	return NULL;
}

static int no_family(struct knet_target *t, int family, struct knet_error *err)
{
	return knet_error_set(err, -EADDRNOTAVAIL, KNET_EXIT_PROBLEM,
			      "%s %s%s%s has no %s address",
			      knet_target_kind_name(t->kind),
			      t->ns ? t->ns : "", t->ns ? "/" : "", t->name,
			      family == AF_INET6 ? "IPv6" : "IPv4");
}

static int resolve_pod(struct knet_api *api, struct knet_target *t, int family,
		       struct knet_error *err)
{
	struct knet_pod *pod;
	const char *ip;
	int r;

	r = knet_pod_get(api, t->ns, t->name, &pod, err);
	if (r < 0)
		return r;
	if (pod->ips.n == 0) {
		r = knet_error_set(err, -EAGAIN, KNET_EXIT_PROBLEM,
				   "pod %s/%s has no IP yet (phase %s)", t->ns,
				   t->name,
				   pod->phase ? pod->phase : "unknown");
		goto out;
	}
	ip = pick_ip(pod->ips.v, pod->ips.n, family);
	if (!ip) {
		r = no_family(t, family, err);
		goto out;
	}
	t->ip = strdup(ip);
	/* A named port: the container port of that name. */
	for (int i = 0; t->port && !t->portnum && i < pod->nports; i++)
		if (pod->ports[i].name && !strcmp(pod->ports[i].name, t->port))
			t->portnum = pod->ports[i].port;
	if (t->port && !t->portnum) {
		r = knet_error_set(err, -ENOENT, KNET_EXIT_NOT_FOUND,
				   "pod %s/%s has no port named '%s'", t->ns,
				   t->name, t->port);
		goto out;
	}
	r = t->ip ? 0 : -ENOMEM;
out:
	knet_pod_free(pod);
	return r;
}

static int resolve_endpoint(struct knet_api *api, struct knet_target *t,
			    int family, struct knet_error *err)
{
	struct knet_endpoints_list *l = NULL;
	const struct knet_service_endpoints *se;
	int r;

	r = knet_endpoints_list(api, t->ns, t->name, NULL, &l, err);
	if (r < 0)
		return r;
	se = knet_endpoints_list_find(l, t->ns, t->name);
	r = knet_error_set(err, -ENOENT, KNET_EXIT_PROBLEM,
			   "service %s/%s has no ClusterIP and no ready "
			   "endpoint",
			   t->ns, t->name);
	for (int i = 0; se && i < se->n; i++) {
		const struct knet_endpoint *ep = &se->eps[i];
		bool v6 = strchr(ep->ip, ':') != NULL;

		if (!ep->ready ||
		    (family != AF_UNSPEC && (family == AF_INET6) != v6))
			continue;
		t->ip = strdup(ep->ip);
		if (ep->pod_name)
			t->detail = strdup(ep->pod_name);
		if (!t->portnum && ep->port && t->port && ep->port_name &&
		    !strcmp(ep->port_name, t->port))
			t->portnum = ep->port;
		t->via = "endpoint";
		knet_error_clear(err);
		r = t->ip ? 0 : -ENOMEM;
		break;
	}
	knet_endpoints_list_free(l);
	return r;
}

static int resolve_service(struct knet_api *api, struct knet_target *t,
			   int family, struct knet_error *err)
{
	const struct knet_service_port *sp = NULL;
	struct knet_service *svc;
	const char *ip = NULL;
	int r;

	r = knet_service_get(api, t->ns, t->name, &svc, err);
	if (r < 0)
		return r;
	for (int i = 0; i < svc->nports && !t->svc_tcp_port; i++)
		if (!strcmp(svc->ports[i].protocol, "TCP"))
			t->svc_tcp_port = svc->ports[i].port;
	if (t->port) {
		sp = knet_service_find_port(svc, t->port);
		if (!sp) {
			r = knet_error_set(err, -ENOENT, KNET_EXIT_NOT_FOUND,
					   "service %s/%s has no port '%s'",
					   t->ns, t->name, t->port);
			goto out;
		}
		t->portnum = sp->port;
		if (!strcmp(sp->protocol, "UDP"))
			t->udp = true;
	}
	if (!svc->headless)
		ip = pick_ip(svc->cluster_ips.v, svc->cluster_ips.n, family);
	if (ip && strcmp(ip, "None")) {
		t->ip = strdup(ip);
		t->cluster_ip = true;
		t->via = "clusterIP";
		r = t->ip ? 0 : -ENOMEM;
	} else {
		r = resolve_endpoint(api, t, family, err);
	}
out:
	knet_service_free(svc);
	return r;
}

static int resolve_node(struct knet_api *api, struct knet_target *t, int family,
			struct knet_error *err)
{
	struct knet_node *n;
	const char *ip;
	int r;

	r = knet_node_get(api, t->name, &n, err);
	if (r < 0)
		return r;
	ip = pick_ip(n->internal_ips.v, n->internal_ips.n, family);
	if (!ip)
		r = no_family(t, family, err);
	else
		t->ip = strdup(ip);
	knet_node_free(n);
	if (r == 0 && !t->ip)
		r = -ENOMEM;
	return r;
}

int knet_target_resolve(struct knet_api *api, const char *s,
			const char *default_ns, int family,
			struct knet_target **ret, struct knet_error *err)
{
	struct knet_target *t;
	int r;

	r = knet_target_parse(s, default_ns, &t, err);
	if (r < 0)
		return r;
	if (t->kind != KNET_TARGET_IP && !api) {
		r = knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				   "naming a %s needs the cluster API",
				   knet_target_kind_name(t->kind));
		knet_target_free(t);
		return r;
	}
	switch (t->kind) {
	case KNET_TARGET_POD:
		r = resolve_pod(api, t, family, err);
		break;
	case KNET_TARGET_SERVICE:
		r = resolve_service(api, t, family, err);
		break;
	case KNET_TARGET_NODE:
		r = resolve_node(api, t, family, err);
		break;
	default:
		r = 0;
	}
	if (r < 0) {
		knet_target_free(t);
		if (r == -ENOMEM)
			return knet_error_set(err, r, KNET_EXIT_SYSTEM,
					      "out of memory");
		return r;
	}
	*ret = t;
	return 0;
}

int knet_target_ping_mode(const struct knet_target *t, int tcp_port,
			  int udp_port, struct knet_ping_mode *ret,
			  struct knet_error *err)
{
	struct knet_ping_mode m = {.mode = KNET_PROBE_ICMP};

	if (tcp_port && udp_port)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "give --tcp or --udp, not both");
	/* A port in the target means TCP, unless it says /udp. */
	if (tcp_port || (t->portnum && !udp_port && !t->udp)) {
		m.mode = KNET_PROBE_TCP;
		m.port = tcp_port ? tcp_port : t->portnum;
	} else if (udp_port || t->portnum) {
		m.mode = KNET_PROBE_UDP;
		m.port = udp_port ? udp_port : t->portnum;
	}
	/*
	 * kube-proxy only DNATs the Service's ports: the ClusterIP itself
	 * answers nothing, so plain ICMP would be 100% loss that says
	 * nothing about the Service.  Its first TCP port says more.
	 */
	if (m.mode == KNET_PROBE_ICMP && t->cluster_ip) {
		if (t->svc_tcp_port) {
			m.mode = KNET_PROBE_TCP;
			m.port = t->svc_tcp_port;
			m.cluster_ip_tcp = true;
		} else {
			m.cluster_ip_no_tcp = true;
		}
	}
	*ret = m;
	return 0;
}
