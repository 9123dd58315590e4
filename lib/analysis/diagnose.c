/* SPDX-License-Identifier: MIT */
/*
 * knet diagnose's rules: which layer explains a failure, and what a
 * capture of the failing flow says.  Pure functions of what the layers
 * found, so that the table of cases in the unit test is the rule book.
 */
#include <stdio.h>
#include <string.h>

#include "knet/analysis.h"

static const char *const layer_names[KNET_DIAG_NLAYERS] = {
	[KNET_DIAG_RESOLVE] = "resolve",     [KNET_DIAG_DNS] = "dns",
	[KNET_DIAG_POLICY] = "policy",	     [KNET_DIAG_SERVICE] = "service",
	[KNET_DIAG_REACH] = "reachability",  [KNET_DIAG_PATH] = "path",
	[KNET_DIAG_CONNTRACK] = "conntrack", [KNET_DIAG_PACKETS] = "packets",
};

static const char *const status_names[] = {
	[KNET_DIAG_SKIP] = "SKIP",
	[KNET_DIAG_OK] = "OK",
	[KNET_DIAG_WARN] = "WARN",
	[KNET_DIAG_FAIL] = "FAIL",
};

static const char *const packet_names[] = {
	[KNET_DIAG_PKT_NONE] = "none",
	[KNET_DIAG_PKT_ANSWERED] = "answered",
	[KNET_DIAG_PKT_NO_ANSWER] = "no-answer",
	[KNET_DIAG_PKT_DNS_NO_ANSWER] = "dns-no-answer",
	[KNET_DIAG_PKT_RST] = "rst",
	[KNET_DIAG_PKT_UNREACH] = "icmp-unreachable",
	[KNET_DIAG_PKT_PROHIBITED] = "admin-prohibited",
	[KNET_DIAG_PKT_FRAG_NEEDED] = "frag-needed",
};

const char *knet_diag_layer_name(enum knet_diag_layer l)
{
	return (unsigned)l < KNET_DIAG_NLAYERS ? layer_names[l] : NULL;
}

int knet_diag_layer_parse(const char *name)
{
	for (int i = 0; i < KNET_DIAG_NLAYERS; i++)
		if (!strcmp(name, layer_names[i]))
			return i;
	return -1;
}

const char *knet_diag_status_name(enum knet_diag_status s)
{
	return (unsigned)s <= KNET_DIAG_FAIL ? status_names[s] : NULL;
}

int knet_diag_status_parse(const char *name)
{
	for (int i = 0; i <= KNET_DIAG_FAIL; i++)
		if (!strcmp(name, status_names[i]))
			return i;
	return -1;
}

const char *knet_diag_packets_name(enum knet_diag_packets k)
{
	return (unsigned)k <= KNET_DIAG_PKT_FRAG_NEEDED ? packet_names[k]
							: NULL;
}

/* The class an ICMP error's words name; the decoder's text is the key. */
static enum knet_diag_packets icmp_class(const char *text)
{
	if (strstr(text, "need to frag") || strstr(text, "packet too big"))
		return KNET_DIAG_PKT_FRAG_NEEDED;
	if (strstr(text, "administratively prohibited"))
		return KNET_DIAG_PKT_PROHIBITED;
	if (strstr(text, "unreachable") || strstr(text, "no route"))
		return KNET_DIAG_PKT_UNREACH;
	return KNET_DIAG_PKT_NONE;
}

/*
 * Whether an ICMP error's text quotes a packet to @dst: "(quoted: TCP
 * a.b.c.d.40000 > DST.80)"; an error about another flow (the full-size
 * probes to a backend, say) is not this flow's.
 */
static bool quotes_dst(const char *text, const char *dst)
{
	const char *q = strstr(text, "(quoted: ");
	size_t n = strlen(dst);

	if (!q)
		return false;
	for (q = strstr(q, "> "); q; q = strstr(q, "> ")) {
		q += 2;
		if (!strncmp(q, dst, n) &&
		    (q[n] == '.' || q[n] == ')' || q[n] == ' ' || !q[n]))
			return true;
	}
	return false;
}

enum knet_diag_packets knet_diag_packets_classify(const struct knet_decoded *d,
						  int n, const char *src,
						  const char *dst, int dport)
{
	enum knet_diag_packets best = KNET_DIAG_PKT_NONE, c;
	bool asked = false, answered = false;

	for (int i = 0; i < n; i++) {
		const struct knet_decoded *p = &d[i];
		bool out = !strcmp(p->src, src) && !strcmp(p->dst, dst);
		bool in = !strcmp(p->src, dst) && !strcmp(p->dst, src);

		if (!p->proto || !p->family)
			continue;
		if (!strncmp(p->proto, "icmp", 4) && !strcmp(p->dst, src) &&
		    quotes_dst(p->text, dst) &&
		    (c = icmp_class(p->text)) > best)
			best = c;
		if (out && (!dport || p->dport == dport))
			asked = true;
		if (in && (!dport || p->sport == dport)) {
			if (!strcmp(p->proto, "tcp") &&
			    strchr(p->tcp_flags, 'R'))
				best = best > KNET_DIAG_PKT_RST
					       ? best
					       : KNET_DIAG_PKT_RST;
			else
				answered = true;
		}
	}
	if (best != KNET_DIAG_PKT_NONE)
		return best;
	if (answered)
		return KNET_DIAG_PKT_ANSWERED;
	if (asked)
		return dport == 53 ? KNET_DIAG_PKT_DNS_NO_ANSWER
				   : KNET_DIAG_PKT_NO_ANSWER;
	return KNET_DIAG_PKT_NONE;
}

static void say(struct knet_diag_verdict *v, int layer, const char *reason,
		const char *next)
{
	v->problem = true;
	v->layer = layer;
	snprintf(v->reason, sizeof(v->reason), "%s", reason);
	snprintf(v->next, sizeof(v->next), "%s", next);
}

/* "knet -n NS VERB NAME" for the Service "ns/name" (or TO as given). */
static void svc_cmd(char *buf, size_t len, const struct knet_diag_in *in,
		    const char *verb, const char *tail)
{
	const char *slash = in->svc ? strchr(in->svc, '/') : NULL;

	if (slash)
		snprintf(buf, len, "knet -n %.*s %s%s%s",
			 (int)(slash - in->svc), in->svc, verb, slash + 1,
			 tail);
	else
		snprintf(buf, len, "knet %s%s%s", verb, in->to, tail);
}

static bool failed(const struct knet_diag_in *in, int l)
{
	return in->r[l].status == KNET_DIAG_FAIL;
}

/* A failed reachability: who explains it, most specific first. */
static void unreachable(const struct knet_diag_in *in,
			struct knet_diag_verdict *v)
{
	char next[320];
	const char *ev = in->r[KNET_DIAG_REACH].evidence;

	if (in->mtu_black_hole) {
		snprintf(next, sizeof(next),
			 "knet ping --df -s 1472 --from %s %s", in->from,
			 in->mtu_dst ? in->mtu_dst : in->to);
		say(v, KNET_DIAG_REACH, ev, next);
		return;
	}
	/* Refused, and svc trace warned (a targetPort no container
	 * declares): that warning is why. */
	if (in->reach == KNET_PING_REFUSED &&
	    in->r[KNET_DIAG_SERVICE].status == KNET_DIAG_WARN) {
		svc_cmd(next, sizeof(next), in, "svc trace ", "");
		say(v, KNET_DIAG_SERVICE, in->r[KNET_DIAG_SERVICE].evidence,
		    next);
		return;
	}
	if (in->reach == KNET_PING_REFUSED) {
		const char *slash = in->to_pod ? strchr(in->to_pod, '/') : NULL;

		/* What does listen there? */
		snprintf(next, sizeof(next), "knet ping --from %s %s", in->from,
			 in->to);
		if (slash)
			snprintf(next, sizeof(next),
				 "knet -n %.*s exec %s -- ss -ltnu",
				 (int)(slash - in->to_pod), in->to_pod,
				 slash + 1);
		if (in->svc)
			svc_cmd(next, sizeof(next), in, "svc trace ", "");
		say(v, KNET_DIAG_REACH, ev, next);
		return;
	}
	if (in->packets >= KNET_DIAG_PKT_RST) {
		snprintf(next, sizeof(next), "knet capture %s", in->from);
		say(v, KNET_DIAG_PACKETS, in->r[KNET_DIAG_PACKETS].evidence,
		    next);
		return;
	}
	if (failed(in, KNET_DIAG_PATH)) {
		snprintf(next, sizeof(next), "knet traceroute --from %s %s",
			 in->from, in->to);
		say(v, KNET_DIAG_PATH, in->r[KNET_DIAG_PATH].evidence, next);
		return;
	}
	if (failed(in, KNET_DIAG_CONNTRACK)) {
		snprintf(next, sizeof(next), "knet conntrack --from %s",
			 in->from);
		say(v, KNET_DIAG_CONNTRACK, in->r[KNET_DIAG_CONNTRACK].evidence,
		    next);
		return;
	}
	if (failed(in, KNET_DIAG_PACKETS)) {
		snprintf(next, sizeof(next), "knet capture %s", in->from);
		say(v, KNET_DIAG_PACKETS, in->r[KNET_DIAG_PACKETS].evidence,
		    next);
		return;
	}
	snprintf(next, sizeof(next), "knet ping --from %s %s", in->from,
		 in->to);
	say(v, KNET_DIAG_REACH, ev, next);
}

void knet_diag_verdict(const struct knet_diag_in *in,
		       struct knet_diag_verdict *ret)
{
	bool reached = in->r[KNET_DIAG_REACH].status == KNET_DIAG_OK;
	char next[320], reason[640];

	memset(ret, 0, sizeof(*ret));
	ret->layer = -1;
	if (failed(in, KNET_DIAG_RESOLVE)) {
		say(ret, KNET_DIAG_RESOLVE, in->r[KNET_DIAG_RESOLVE].evidence,
		    "knet pods -o wide");
		return;
	}
	if (failed(in, KNET_DIAG_DNS)) {
		snprintf(next, sizeof(next), "knet dns %s --from %s",
			 in->name ? in->name : in->to, in->from);
		say(ret, KNET_DIAG_DNS, in->r[KNET_DIAG_DNS].evidence, next);
		return;
	}
	if (in->policy_denies) {
		snprintf(next, sizeof(next), "knet policy check %s %s",
			 in->from, in->to);
		if (reached) {
			/* What the objects say did not happen: a finding. */
			snprintf(reason, sizeof(reason),
				 "policy denies but the connection succeeded: "
				 "this cluster's CNI does not enforce "
				 "NetworkPolicy (%s)",
				 in->r[KNET_DIAG_POLICY].evidence);
			say(ret, KNET_DIAG_POLICY, reason, next);
			ret->contradiction = true;
			return;
		}
		say(ret, KNET_DIAG_POLICY, in->r[KNET_DIAG_POLICY].evidence,
		    next);
		return;
	}
	if (failed(in, KNET_DIAG_SERVICE)) {
		svc_cmd(next, sizeof(next), in, "svc trace ", "");
		say(ret, KNET_DIAG_SERVICE, in->r[KNET_DIAG_SERVICE].evidence,
		    next);
		return;
	}
	if (in->r[KNET_DIAG_REACH].status == KNET_DIAG_FAIL) {
		unreachable(in, ret);
		return;
	}
	/* Got through, yet a flow of FROM's is pinned to a dead backend. */
	if (failed(in, KNET_DIAG_CONNTRACK)) {
		svc_cmd(next, sizeof(next), in, "conntrack --stale svc/", "");
		say(ret, KNET_DIAG_CONNTRACK,
		    in->r[KNET_DIAG_CONNTRACK].evidence, next);
	}
}
