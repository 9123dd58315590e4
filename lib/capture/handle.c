/* SPDX-License-Identifier: MIT */
/*
 * Live and offline handles.  Live ones are created and activated in the
 * namespace the thread is in, with their filter compiled there; what
 * follows (reads, stats) needs no privilege.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "knet/capture.h"

struct knet_capture {
	pcap_t *p;
	char *iface;
	bool offline;
	uint8_t mac[6]; /* the interface's own, for the direction */
	bool has_mac;
};

/* The read timeout: how late a stop flag or --duration is noticed. */
#define READ_TIMEOUT_MS 100

static int set_filter(struct knet_capture *c, const char *filter,
		      struct knet_error *err)
{
	struct bpf_program prog;

	if (!filter || !*filter)
		return 0;
	if (pcap_compile(c->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
		return knet_error_set(err, -EINVAL, KNET_EXIT_USAGE,
				      "bad filter: %s", pcap_geterr(c->p));
	if (pcap_setfilter(c->p, &prog) < 0) {
		pcap_freecode(&prog);
		return knet_error_set(err, -EINVAL, KNET_EXIT_SYSTEM,
				      "cannot set the filter: %s",
				      pcap_geterr(c->p));
	}
	pcap_freecode(&prog);
	return 0;
}

static int activate_error(struct knet_capture *c, int status,
			  struct knet_error *err)
{
	const char *why = pcap_geterr(c->p);

	switch (status) {
	case PCAP_ERROR_PERM_DENIED:
		return knet_error_set(err, -EPERM, KNET_EXIT_SYSTEM,
				      "capturing needs CAP_NET_RAW (run knet "
				      "as root)");
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return knet_error_set(err, -ENODEV, KNET_EXIT_NOT_FOUND,
				      "no interface '%s' here", c->iface);
	case PCAP_ERROR_IFACE_NOT_UP:
		return knet_error_set(err, -ENETDOWN, KNET_EXIT_SYSTEM,
				      "interface '%s' is down", c->iface);
	default:
		return knet_error_set(err, -EIO, KNET_EXIT_SYSTEM, "%s",
				      why && *why ? why
						  : pcap_statustostr(status));
	}
}

/*
 * The interface's MAC address, read here (in its namespace): an
 * Ethernet frame from it is one the pod sent.
 */
static void read_mac(struct knet_capture *c)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->iface);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0) {
		memcpy(c->mac, ifr.ifr_hwaddr.sa_data, 6);
		c->has_mac = true;
	}
	close(fd);
}

int knet_capture_open(const struct knet_capture_opts *opts,
		      struct knet_capture **ret, struct knet_error *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct knet_capture *c;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c || !(c->iface = strdup(opts->iface ? opts->iface : "eth0"))) {
		free(c);
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	}
	c->p = pcap_create(c->iface, ebuf);
	if (!c->p) {
		r = knet_error_set(err, -EIO, KNET_EXIT_SYSTEM, "%s", ebuf);
		goto fail;
	}
	pcap_set_snaplen(c->p, opts->snaplen > 0 ? opts->snaplen
						 : KNET_CAPTURE_SNAPLEN);
	pcap_set_buffer_size(c->p,
			     (opts->buffer_kib > 0 ? opts->buffer_kib
						   : KNET_CAPTURE_BUFFER_KIB) *
				     1024);
	pcap_set_timeout(c->p, READ_TIMEOUT_MS);
	pcap_set_promisc(c->p, 0);
	if (opts->immediate)
		pcap_set_immediate_mode(c->p, 1);
	r = pcap_activate(c->p);
	if (r < 0) {
		r = activate_error(c, r, err);
		goto fail;
	}
	r = set_filter(c, opts->filter, err);
	if (r < 0)
		goto fail;
	read_mac(c);
	/*
	 * TPACKET_V3 starts its block timeout only once a packet came: a
	 * quiet pod would block a read for ever.  Non-blocking reads and
	 * our own poll() keep --duration and Ctrl-C on time.
	 */
	if (pcap_setnonblock(c->p, 1, ebuf) < 0) {
		r = knet_error_set(err, -EIO, KNET_EXIT_SYSTEM, "%s", ebuf);
		goto fail;
	}
	*ret = c;
	return 0;
fail:
	knet_capture_free(c);
	return r;
}

int knet_capture_open_file(const char *path, const char *filter,
			   struct knet_capture **ret, struct knet_error *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct knet_capture *c;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c || !(c->iface = strdup(path))) {
		free(c);
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	}
	c->offline = true;
	c->p = pcap_open_offline(path, ebuf);
	if (!c->p) {
		r = knet_error_set(err, -EINVAL, KNET_EXIT_SYSTEM, "%s", ebuf);
		goto fail;
	}
	r = set_filter(c, filter, err);
	if (r < 0)
		goto fail;
	*ret = c;
	return 0;
fail:
	knet_capture_free(c);
	return r;
}

void knet_capture_free(struct knet_capture *c)
{
	if (!c)
		return;
	if (c->p)
		pcap_close(c->p);
	free(c->iface);
	free(c);
}

int knet_capture_linktype(const struct knet_capture *c)
{
	return pcap_datalink(c->p);
}

int knet_capture_snaplen(const struct knet_capture *c)
{
	return pcap_snapshot(c->p);
}

const char *knet_capture_iface(const struct knet_capture *c)
{
	return c->iface;
}

int knet_capture_fd(const struct knet_capture *c)
{
	return c->offline ? -1 : pcap_get_selectable_fd(c->p);
}

int knet_capture_read(struct knet_capture *c, struct knet_packet *ret,
		      struct knet_error *err)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int r = pcap_next_ex(c->p, &h, &data);

	if (r == 1) {
		ret->ts_usec =
			(long long)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
		ret->caplen = h->caplen;
		ret->len = h->len;
		ret->data = data;
		return 1;
	}
	if (r == 0)
		return 0;
	if (r == PCAP_ERROR_BREAK)
		return -ENODATA;
	return knet_error_set(err, -EIO, KNET_EXIT_SYSTEM, "%s",
			      pcap_geterr(c->p));
}

int knet_capture_next(struct knet_capture *c, struct knet_packet *ret,
		      struct knet_error *err)
{
	int r = knet_capture_read(c, ret, err);

	if (r == 0 && !c->offline) {
		struct pollfd pfd = {.fd = pcap_get_selectable_fd(c->p),
				     .events = POLLIN};

		/* EINTR (a stop signal) is just an early return. */
		if (pfd.fd >= 0)
			poll(&pfd, 1, READ_TIMEOUT_MS);
	}
	return r;
}

uint32_t knet_capture_flags(const struct knet_capture *c,
			    const struct knet_packet *p)
{
	return knet_capture_epb_flags(knet_capture_linktype(c), p->data,
				      p->caplen, c->has_mac ? c->mac : NULL);
}

int knet_capture_stats(struct knet_capture *c, struct knet_capture_stats *ret,
		       struct knet_error *err)
{
	struct pcap_stat st;

	memset(ret, 0, sizeof(*ret));
	if (c->offline)
		return 0;
	if (pcap_stats(c->p, &st) < 0)
		return knet_error_set(err, -EIO, KNET_EXIT_SYSTEM, "%s",
				      pcap_geterr(c->p));
	ret->recv = st.ps_recv;
	ret->drop = st.ps_drop;
	ret->ifdrop = st.ps_ifdrop;
	return 0;
}
