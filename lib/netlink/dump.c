/* SPDX-License-Identifier: MIT */
/*
 * Dumping the table, with the filter in the kernel where it can run and
 * in user space always; deleting entries.
 *
 * Which kernel filters work is learned per socket: a feature is sent
 * while believed, and dropped when the kernel refuses the request or
 * lets through an entry the feature should have stopped (kernels before
 * the feature ignore the attribute).  The user-space match runs on every
 * entry either way, so a kernel that filters less only costs time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netlink-internal.h"

/* The KNET_CT_FILTER_* fields a kernel feature decides, when sent. */
struct plan {
	unsigned int features; /* KNET_CT_KERNEL_* */
	unsigned int tflags;   /* CT_FILTER_F_* of the tuple filter */
	unsigned int fields[4];
};

static unsigned int tuple_flags(const struct knet_ct_filter *f,
				unsigned int *ret_fields)
{
	unsigned int fl = 0, fields = 0;

	/* The tuple filter needs a family, and ports need a protocol. */
	if (!(f->set & KNET_CT_FILTER_FAMILY))
		return 0;
	if (f->set & KNET_CT_FILTER_PROTO) {
		fl |= CT_FILTER_F_PROTO_NUM;
		fields |= KNET_CT_FILTER_PROTO;
		/* The kernel compares ports of TCP and UDP only. */
		if (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP) {
			if (f->set & KNET_CT_FILTER_SPORT) {
				fl |= CT_FILTER_F_SRC_PORT;
				fields |= KNET_CT_FILTER_SPORT;
			}
			if (f->set & KNET_CT_FILTER_DPORT) {
				fl |= CT_FILTER_F_DST_PORT;
				fields |= KNET_CT_FILTER_DPORT;
			}
		}
	}
	/* Whole IPv4 addresses only: see knet/netlink.h. */
	if (f->family == AF_INET) {
		if ((f->set & KNET_CT_FILTER_SRC) && f->src.plen == 32) {
			fl |= CT_FILTER_F_IP_SRC;
			fields |= KNET_CT_FILTER_SRC;
		}
		if ((f->set & KNET_CT_FILTER_DST) && f->dst.plen == 32) {
			fl |= CT_FILTER_F_IP_DST;
			fields |= KNET_CT_FILTER_DST;
		}
	}
	*ret_fields = fields;
	return fl;
}

static void make_plan(const struct knet_ct_filter *f, unsigned int kernel,
		      struct plan *p)
{
	unsigned int fields = 0;

	memset(p, 0, sizeof(*p));
	if (!f)
		return;
	if ((kernel & KNET_CT_KERNEL_MARK) && (f->set & KNET_CT_FILTER_MARK)) {
		p->features |= KNET_CT_KERNEL_MARK;
		p->fields[0] = KNET_CT_FILTER_MARK;
	}
	if (kernel & KNET_CT_KERNEL_TUPLE) {
		p->tflags = tuple_flags(f, &fields);
		if (p->tflags) {
			p->features |= KNET_CT_KERNEL_TUPLE;
			p->fields[1] = fields;
		}
	}
	if ((kernel & KNET_CT_KERNEL_STATUS) &&
	    (f->set & KNET_CT_FILTER_STATUS) && f->status_mask) {
		p->features |= KNET_CT_KERNEL_STATUS;
		p->fields[2] = KNET_CT_FILTER_STATUS;
	}
	if ((kernel & KNET_CT_KERNEL_ZONE) && (f->set & KNET_CT_FILTER_ZONE)) {
		p->features |= KNET_CT_KERNEL_ZONE;
		p->fields[3] = KNET_CT_FILTER_ZONE;
	}
}

static int send_dump(struct knet_ct *ct, struct knet_error *err)
{
	unsigned char buf[1024];
	const struct knet_ct_filter *f = ct->filter;
	struct knet_ct_tuple t = {0};
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct plan p;

	make_plan(f, ct->kernel, &p);
	nlh = ct_msg_start(ct, buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP,
			   f && (f->set & KNET_CT_FILTER_FAMILY) ? f->family
								 : AF_UNSPEC);
	if (p.features & KNET_CT_KERNEL_MARK) {
		knet_nla_put_u32(nlh, CTA_MARK, htonl(f->mark));
		knet_nla_put_u32(nlh, CTA_MARK_MASK, htonl(f->mark_mask));
	}
	if (p.features & KNET_CT_KERNEL_TUPLE) {
		memcpy(t.src, f->src.addr, sizeof(t.src));
		memcpy(t.dst, f->dst.addr, sizeof(t.dst));
		t.sport = f->sport;
		t.dport = f->dport;
		ct_put_tuple(nlh, CTA_TUPLE_ORIG, f->family, f->proto, &t,
			     p.tflags);
		nest = knet_nla_nest_start(nlh, CTA_FILTER);
		/* Flags in host order: the kernel reads them with nla_get_u32. */
		knet_nla_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, p.tflags);
		knet_nla_nest_end(nlh, nest);
	}
	if (p.features & KNET_CT_KERNEL_STATUS) {
		knet_nla_put_u32(nlh, CTA_STATUS, htonl(f->status_value));
		knet_nla_put_u32(nlh, CTA_STATUS_MASK, htonl(f->status_mask));
	}
	if (p.features & KNET_CT_KERNEL_ZONE)
		knet_nla_put_u16(nlh, CTA_ZONE, htons(f->zone));
	ct->sent = p.features;
	ct->dump_seq = nlh->nlmsg_seq;
	return ct_send(ct->dump, nlh, err);
}

int knet_ct_dump_begin(struct knet_ct *ct, const struct knet_ct_filter *filter,
		       struct knet_error *err)
{
	int r;

	if (ct->dumping)
		return knet_error_set(err, -EBUSY, KNET_EXIT_SYSTEM,
				      "a conntrack dump is already under way");
	ct->filter = NULL;
	if (filter) {
		ct->filter_copy = *filter;
		r = knet_ct_filter_check(&ct->filter_copy, err);
		if (r < 0)
			return r;
		ct->filter = &ct->filter_copy;
	}
	r = send_dump(ct, err);
	if (r < 0)
		return r;
	ct->dumping = true;
	return 0;
}

struct dump_state {
	struct knet_ct *ct;
	int (*fn)(const struct knet_ct_entry *e, void *userdata);
	void *userdata;
	struct knet_error *err;
	unsigned long seen;
};

/* Drop the kernel features that let @e through although it fails them. */
static void verify(struct knet_ct *ct, unsigned int fails)
{
	struct plan p;

	make_plan(ct->filter, ct->sent, &p);
	for (int i = 0; i < 4; i++)
		if (fails & p.fields[i])
			ct->kernel &= ~(1u << i);
}

static int dump_msg(const struct nlmsghdr *nlh, void *data)
{
	struct dump_state *st = data;
	struct knet_ct_entry e;
	unsigned int fails;
	int r;

	r = knet_ct_entry_parse(nlh, nlh->nlmsg_len, &e, st->err);
	if (r < 0)
		return r;
	st->seen++;
	if (st->ct->filter) {
		fails = ct_filter_fails(st->ct->filter, &e);
		if (fails) {
			if (st->ct->sent)
				verify(st->ct, fails);
			return 0;
		}
	}
	return st->fn(&e, st->userdata);
}

int knet_ct_dump_finish(struct knet_ct *ct,
			int (*fn)(const struct knet_ct_entry *e,
				  void *userdata),
			void *userdata, struct knet_error *err)
{
	struct dump_state st = {ct, fn, userdata, err, 0};
	bool kernel;
	int r;

	if (!ct->dumping)
		return knet_error_set(err, -EINVAL, KNET_EXIT_SYSTEM,
				      "no conntrack dump under way");
	/* The second buffer of the reader thread (reader.c), kept. */
	if (!ct->dbuf2)
		ct->dbuf2 = malloc(CT_DUMP_BUF);
	for (;;) {
		if (ct->dbuf2)
			r = ct_run_dump(
				ct->dump,
				(unsigned char *[2]){ct->dbuf, ct->dbuf2},
				CT_DUMP_BUF, ct->dump_seq, dump_msg, &st,
				&kernel, err);
		else
			r = ct_run(ct->dump, ct->dbuf, CT_DUMP_BUF,
				   ct->dump_seq, dump_msg, &st, &kernel, err);
		if (r == 0 || !kernel || st.seen ||
		    (r != -EINVAL && r != -EOPNOTSUPP) || !ct->sent)
			break;
		/*
		 * The kernel refused a filter: the newer ones first, then
		 * the mark, then the plain dump is the answer.
		 */
		if (ct->sent & ~KNET_CT_KERNEL_MARK)
			ct->kernel &= ~(ct->sent & ~KNET_CT_KERNEL_MARK);
		else
			ct->kernel &= ~KNET_CT_KERNEL_MARK;
		r = send_dump(ct, err);
		if (r < 0)
			break;
	}
	ct->dumping = false;
	ct->filter = NULL;
	if (r < 0 && kernel)
		return ct_error(err, r, "conntrack dump");
	return r;
}

int knet_ct_dump(struct knet_ct *ct, const struct knet_ct_filter *filter,
		 int (*fn)(const struct knet_ct_entry *e, void *userdata),
		 void *userdata, struct knet_error *err)
{
	int r = knet_ct_dump_begin(ct, filter, err);

	if (r < 0)
		return r;
	return knet_ct_dump_finish(ct, fn, userdata, err);
}

int knet_ct_delete(struct knet_ct *ct, const struct knet_ct_entry *e,
		   struct knet_error *err)
{
	unsigned char buf[1024];
	struct nlmsghdr *nlh;
	bool kernel = false;
	int r;

	nlh = ct_msg_start(ct, buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, e->family);
	ct_put_tuple(nlh, CTA_TUPLE_ORIG, e->family, e->proto, &e->orig,
		     CT_TUPLE_ALL);
	if (e->zone)
		knet_nla_put_u16(nlh, CTA_ZONE, htons(e->zone));
	/* The id pins this very entry, not a new one with the same tuple. */
	if (e->has & KNET_CT_HAS_ID)
		knet_nla_put_u32(nlh, CTA_ID, htonl(e->id));
	r = ct_send(ct->req, nlh, err);
	if (r < 0)
		return r;
	r = ct_run(ct->req, ct->rbuf, CT_REQ_BUF, nlh->nlmsg_seq, NULL, NULL,
		   &kernel, err);
	if (r == -ENOENT && kernel)
		return 0;
	if (r < 0)
		return kernel ? ct_error(err, r, "conntrack delete") : r;
	return 1;
}

struct delete_state {
	struct knet_ct *ct;
	unsigned long count;
	struct knet_error *err;
};

static int delete_one(const struct knet_ct_entry *e, void *data)
{
	struct delete_state *st = data;
	int r = knet_ct_delete(st->ct, e, st->err);

	if (r > 0)
		st->count++;
	return r < 0 ? r : 0;
}

int knet_ct_delete_matching(struct knet_ct *ct,
			    const struct knet_ct_filter *filter,
			    unsigned long *ret_count, struct knet_error *err)
{
	struct delete_state st = {ct, 0, err};
	int r;

	r = knet_ct_dump(ct, filter, delete_one, &st, err);
	if (r < 0)
		return r;
	*ret_count = st.count;
	return 0;
}
