/* SPDX-License-Identifier: MIT */
/*
 * One lookup as the pod's libc does it: the plan's names in order, each
 * asked of the servers (knet_dns_client_resolve), the next name chosen
 * by the outcome (knet_dns_plan_next).  knet dns and knet diagnose
 * share it, so both send the same queries and stop at the same place.
 */
#include "knet/analysis.h"

struct relay {
	int (*on_try)(const struct knet_dns_try *t, int name, void *userdata);
	void *userdata;
	int name;
};

static int relay_try(const struct knet_dns_try *t, void *ud)
{
	struct relay *rl = ud;

	return rl->on_try ? rl->on_try(t, rl->name, rl->userdata) : 0;
}

int knet_dns_lookup(struct knet_dns_client *c, const struct knet_dns_plan *p,
		    const struct knet_resolv_conf *conf,
		    const struct knet_dns_ask *tmpl,
		    int (*on_try)(const struct knet_dns_try *t, int name,
				  void *userdata),
		    void *userdata, volatile sig_atomic_t *stop,
		    long long deadline_us, struct knet_dns_lookup *ret)
{
	struct relay rl = {.on_try = on_try, .userdata = userdata};
	struct knet_dns_ask a = *tmpl;
	int i = 0, r, round = 0;

	ret->answered = -1;
	ret->last = KNET_DNS_OUT_TIMEOUT;
	ret->asked = 0;
	ret->out_of_time = false;
	while (i >= 0 && !*stop) {
		enum knet_dns_outcome o;

		if (deadline_us && knet_mono_us() >= deadline_us) {
			ret->out_of_time = true;
			break;
		}
		rl.name = i;
		a.name = p->names[i];
		/* rotate: each query starts at the next server */
		a.first_server =
			conf->rotate && conf->nns ? round++ % conf->nns : 0;
		r = knet_dns_client_resolve(c, &a, relay_try, &rl, stop, &o);
		if (r < 0)
			return r;
		ret->asked++;
		ret->last = o;
		if (o == KNET_DNS_OUT_ANSWER)
			ret->answered = i;
		i = knet_dns_plan_next(p, i, o);
	}
	return 0;
}
