/* SPDX-License-Identifier: MIT */
/*
 * The flows screen: a header with the counters that say whether data
 * was lost, one row per flow with what needs a look highlighted, a
 * detail pane, a help pane and a one-line prompt for the filter.
 *
 * The terminal is given back on every way out: knet_ui_flows_close()
 * (q, SIGINT and SIGTERM end the command's loop, which closes), an
 * atexit() handler, and a handler for the signals that kill (SIGHUP,
 * SIGQUIT, SIGSEGV...) that puts the saved termios back and leaves the
 * alternate screen with async-signal-safe calls only, then dies of the
 * same signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "knet/base.h"
#include "knet/capture.h"
#include "knet/decode.h"
#include "lazy-curses.h"
#include "ui.h"

#define MIN_COLS  80
#define MIN_LINES 24
#define HEADER	  3 /* lines above the rows */

enum {
	PAIR_BAD = 1,
	PAIR_HEAD,
	PAIR_DIM,
};

enum pane {
	PANE_NONE,
	PANE_DETAIL,
	PANE_HELP,
};

struct knet_ui_flows {
	enum knet_flow_sort sort;
	bool reverse, paused, names, color, editing;
	enum pane pane;
	char filter[128], edit[128];
	size_t edit_len;
	uint64_t selected_id; /* the flow under the cursor, 0: the first */
	int selected, top;    /* row index, first row shown */
	char status[1200];
	/* The filter as BPF, compiled per link type (NULL: a substring). */
	bool bpf;
	struct knet_bpf *progs[4];
	/* What was drawn last (kept while paused). */
	const struct knet_flow **rows;
	size_t nrows;
};

static void bpf_clear(struct knet_ui_flows *ui);

/* --- giving the terminal back, whatever happens --- */

static struct termios saved_tio;
static bool saved_ok;
static volatile sig_atomic_t screen_on;

static void restore_raw(void)
{
	static const char reset[] = "\033[?1049l\033[?25h\033[0m\r\n";

	if (saved_ok)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	if (write(STDOUT_FILENO, reset, sizeof(reset) - 1) < 0) {
		/* nothing left to tell anybody */
	}
}

static void fatal_signal(int sig)
{
	if (screen_on)
		restore_raw();
	screen_on = 0;
	signal(sig, SIG_DFL);
	raise(sig);
}

static void at_exit(void)
{
	if (screen_on) {
		endwin();
		screen_on = 0;
	}
}

static const int fatal_signals[] = {SIGHUP, SIGQUIT, SIGSEGV, SIGBUS,
				    SIGFPE, SIGILL,  SIGABRT, SIGPIPE};

int knet_ui_flows_open(const char *grep, bool color, struct knet_ui_flows **ret,
		       struct knet_error *err)
{
	static bool registered;
	struct knet_ui_flows *ui;

	/* Loaded now, not linked (lazy-curses.h). */
	if (!knet_ui_curses_load())
		return knet_error_set(err, -ENOENT, KNET_EXIT_SYSTEM,
				      "ncurses is not available: %s",
				      knet_ui_curses_error());
	ui = calloc(1, sizeof(*ui));
	if (!ui)
		return knet_error_set(err, -ENOMEM, KNET_EXIT_SYSTEM,
				      "out of memory");
	ui->names = true;
	ui->color = color;
	ui->sort = KNET_FLOW_SORT_BYTES;
	if (grep)
		snprintf(ui->filter, sizeof(ui->filter), "%s", grep);
	ui->bpf = knet_flow_filter_is_bpf(ui->filter);
	saved_ok = tcgetattr(STDIN_FILENO, &saved_tio) == 0;
	if (!registered) {
		atexit(at_exit);
		registered = true;
	}
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(*fatal_signals);
	     i++)
		signal(fatal_signals[i], fatal_signal);
	if (!initscr()) {
		free(ui);
		return knet_error_set(err, -ENOTTY, KNET_EXIT_SYSTEM,
				      "cannot use this terminal");
	}
	screen_on = 1;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	if (ui->color && has_colors()) {
		start_color();
		use_default_colors();
		init_pair(PAIR_BAD, COLOR_RED, -1);
		init_pair(PAIR_HEAD, COLOR_CYAN, -1);
		init_pair(PAIR_DIM, COLOR_BLUE, -1);
	} else {
		ui->color = false;
	}
	*ret = ui;
	return 0;
}

void knet_ui_flows_close(struct knet_ui_flows *ui)
{
	if (!ui)
		return;
	if (screen_on) {
		endwin();
		screen_on = 0;
	}
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(*fatal_signals);
	     i++)
		signal(fatal_signals[i], SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	bpf_clear(ui);
	free(ui);
}

/* --- drawing --- */

static void put_line(int y, int attr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void put_line(int y, int attr, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	move(y, 0);
	clrtoeol();
	attron(attr);
	addnstr(buf, COLS);
	attroff(attr);
}

/* Text from outside (names) holds no control characters on screen. */
static void cell(int y, int x, int w, const char *s)
{
	char buf[256];
	int n = 0;

	if (w <= 0)
		return;
	for (; *s && n < (int)sizeof(buf) - 1; s++)
		buf[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	buf[n] = '\0';
	if (n > w && w > 1) {
		buf[w - 1] = '~';
		buf[w] = '\0';
	}
	mvaddnstr(y, x, buf, w);
}

/* Too long for @w: cut the name, keep the port ("client/c~:44000"). */
static void fit_endpoint(char *buf, int w)
{
	size_t n = strlen(buf), keep;
	const char *colon = strrchr(buf, ':');

	if (w < 4 || n <= (size_t)w || !colon || strlen(colon) + 2 > (size_t)w)
		return;
	keep = (size_t)w - strlen(colon) - 1;
	memmove(buf + keep + 1, colon, strlen(colon) + 1);
	buf[keep] = '~';
}

static const char *short_state(enum knet_flow_state s)
{
	return s == KNET_FLOW_ESTABLISHED ? "ESTAB" : knet_flow_state_name(s);
}

static void endpoint(const struct knet_ui_flows *ui,
		     const struct knet_ui_flows_view *v,
		     const struct knet_flow *f, bool dst, char *buf, size_t n)
{
	const char *name = NULL;

	if (ui->names && v->name)
		name = v->name(v->name_ud, f->t.family,
			       dst ? f->t.dst : f->t.src);
	knet_flow_end_text(f, dst, name, buf, n);
}

/* DST, and the backend conntrack says a ClusterIP went to. */
static void destination(const struct knet_ui_flows *ui,
			const struct knet_ui_flows_view *v,
			const struct knet_flow *f, char *buf, size_t n)
{
	char d[128], b[128], ip[64];
	const char *name = NULL;
	size_t alen = f->t.family == AF_INET6 ? 16 : 4;

	endpoint(ui, v, f, true, d, sizeof(d));
	if (!(f->flags & KNET_FLOW_F_NAT) || !f->ct.valid) {
		snprintf(buf, n, "%s", d);
		return;
	}
	/* Captured at the backend: its DST is the backend, so the
	 * Service it was sent to goes first. */
	if (!memcmp(f->t.dst, f->ct.reply.src, alen) &&
	    f->t.dport == f->ct.reply.sport) {
		struct knet_flow svc = {.t = f->ct.orig};

		if (ui->names && v->name)
			name = v->name(v->name_ud, svc.t.family, svc.t.dst);
		knet_flow_end_text(&svc, true, name, d, sizeof(d));
		name = NULL;
	}
	if (ui->names && v->backend)
		name = v->backend(v->name_ud, f);
	else if (ui->names && v->name)
		name = v->name(v->name_ud, f->ct.reply.family, f->ct.reply.src);
	if (!name) {
		struct knet_flow tmp = {.t = f->ct.reply};

		knet_flow_endpoint(&tmp, false, ip, sizeof(ip));
		snprintf(b, sizeof(b), "%s", ip);
	} else {
		snprintf(b, sizeof(b), "%s:%u", name,
			 (unsigned)f->ct.reply.sport);
	}
	snprintf(buf, n, "%s>%s", d, b);
}

struct layout {
	int src, dst, proto, state, pkts, bytes, rate, rate10, age, flags;
	bool wide;
};

static struct layout lay_out(int cols)
{
	struct layout l = {.proto = 5,
			   .state = 8,
			   .pkts = 13,
			   .bytes = 17,
			   .rate = 8,
			   .flags = 14};
	int rest;

	l.wide = cols >= 140;
	if (l.wide) {
		l.rate10 = 8;
		l.age = 5;
	}
	rest = cols - (l.proto + l.state + l.pkts + l.bytes + l.rate +
		       l.rate10 + l.age + l.flags + 10);
	if (rest < 50) {
		/* 80 columns: totals, no rate, the room for the names. */
		l.pkts = 6;
		l.bytes = 7;
		l.rate = 0;
		l.flags = 10;
		rest = cols -
		       (l.proto + l.state + l.pkts + l.bytes + l.flags + 7);
	}
	l.src = rest * 9 / 20;
	l.dst = rest - l.src;
	return l;
}

static const char *col_name(enum knet_flow_sort s)
{
	static const char *const names[KNET_FLOW_NSORT] = {
		[KNET_FLOW_SORT_BYTES] = "BYTES",
		[KNET_FLOW_SORT_PACKETS] = "PKTS",
		[KNET_FLOW_SORT_RATE1] = "RATE/S",
		[KNET_FLOW_SORT_RATE10] = "RATE10S",
		[KNET_FLOW_SORT_SRC] = "SRC",
		[KNET_FLOW_SORT_DST] = "DST",
		[KNET_FLOW_SORT_PROTO] = "PROTO",
		[KNET_FLOW_SORT_STATE] = "STATE",
		[KNET_FLOW_SORT_FLAGS] = "FLAGS",
		[KNET_FLOW_SORT_AGE] = "AGE",
		[KNET_FLOW_SORT_LAST] = "LAST",
	};

	return names[s];
}

static void heading(const struct knet_ui_flows *ui, const struct layout *l,
		    int y)
{
	struct {
		enum knet_flow_sort s;
		int w;
	} c[] = {
		{KNET_FLOW_SORT_SRC, l->src},
		{KNET_FLOW_SORT_DST, l->dst},
		{KNET_FLOW_SORT_PROTO, l->proto},
		{KNET_FLOW_SORT_STATE, l->state},
		{KNET_FLOW_SORT_PACKETS, l->pkts},
		{KNET_FLOW_SORT_BYTES, l->bytes},
		{KNET_FLOW_SORT_RATE1, l->rate},
		{KNET_FLOW_SORT_RATE10, l->rate10},
		{KNET_FLOW_SORT_AGE, l->age},
		{KNET_FLOW_SORT_FLAGS, l->flags},
	};
	int x = 0;

	move(y, 0);
	clrtoeol();
	for (size_t i = 0; i < sizeof(c) / sizeof(*c); i++) {
		char h[32];
		int attr = A_BOLD;

		if (!c[i].w)
			continue;
		snprintf(h, sizeof(h), "%s%s", col_name(c[i].s),
			 c[i].s == ui->sort ? (ui->reverse ? "^" : "v") : "");
		if (c[i].s == ui->sort)
			attr |= A_UNDERLINE;
		attron(attr);
		cell(y, x, c[i].w, h);
		attroff(attr);
		x += c[i].w + 1;
	}
}

static void row(const struct knet_ui_flows *ui,
		const struct knet_ui_flows_view *v, const struct layout *l,
		int y, const struct knet_flow *f, bool selected)
{
	unsigned int fl = knet_flow_flags(f, v->now_ms);
	char buf[256], a[24], b[24], pbuf[8];
	int x = 0, attr = 0;

	if (fl & KNET_FLOW_F_PROBLEMS)
		attr = ui->color ? COLOR_PAIR(PAIR_BAD) | A_BOLD : A_BOLD;
	if (selected)
		attr |= A_REVERSE;
	move(y, 0);
	clrtoeol();
	attron(attr);
	if (selected)
		mvhline(y, 0, ' ', COLS);
	endpoint(ui, v, f, false, buf, sizeof(buf));
	fit_endpoint(buf, l->src);
	cell(y, x, l->src, buf);
	x += l->src + 1;
	destination(ui, v, f, buf, sizeof(buf));
	fit_endpoint(buf, l->dst);
	cell(y, x, l->dst, buf);
	x += l->dst + 1;
	cell(y, x, l->proto, knet_flow_proto_name(f->t.proto, pbuf, 8));
	x += l->proto + 1;
	cell(y, x, l->state, short_state(f->state));
	x += l->state + 1;
	if (l->pkts > 6)
		snprintf(buf, sizeof(buf), "%llu/%llu",
			 (unsigned long long)f->packets[0],
			 (unsigned long long)f->packets[1]);
	else
		snprintf(buf, sizeof(buf), "%llu",
			 (unsigned long long)(f->packets[0] + f->packets[1]));
	cell(y, x, l->pkts, buf);
	x += l->pkts + 1;
	knet_fmt_bytes((long long)f->bytes[0], a, sizeof(a));
	knet_fmt_bytes((long long)f->bytes[1], b, sizeof(b));
	if (l->bytes > 8)
		snprintf(buf, sizeof(buf), "%s/%s", a, b);
	else
		knet_fmt_bytes((long long)(f->bytes[0] + f->bytes[1]), buf,
			       sizeof(buf));
	cell(y, x, l->bytes, buf);
	x += l->bytes + 1;
	if (l->rate) {
		knet_fmt_bytes(
			(long long)knet_flow_rate(f, v->now_ms, 1, false), buf,
			sizeof(buf));
		cell(y, x, l->rate, buf);
		x += l->rate + 1;
	}
	if (l->rate10) {
		knet_fmt_bytes(
			(long long)knet_flow_rate(f, v->now_ms, 10, false), buf,
			sizeof(buf));
		cell(y, x, l->rate10, buf);
		x += l->rate10 + 1;
	}
	if (l->age) {
		knet_fmt_age((v->now_ms - f->first_ms) / 1000, buf,
			     sizeof(buf));
		cell(y, x, l->age, buf);
		x += l->age + 1;
	}
	knet_flow_flags_text(fl, buf, sizeof(buf));
	/* The marker says it without colour too. */
	if (fl & KNET_FLOW_F_PROBLEMS)
		mvaddch(y, x > 0 ? x - 1 : 0, '!');
	cell(y, x, COLS - x, buf);
	attroff(attr);
}

struct filter_ud {
	struct knet_ui_flows *ui;
	const struct knet_ui_flows_view *v;
};

static void bpf_clear(struct knet_ui_flows *ui)
{
	for (size_t i = 0; i < sizeof(ui->progs) / sizeof(*ui->progs); i++) {
		knet_bpf_free(ui->progs[i]);
		ui->progs[i] = NULL;
	}
	ui->bpf = false;
}

/* The filter compiled for @linktype, once; NULL when it does not. */
static struct knet_bpf *bpf_for(struct knet_ui_flows *ui, int linktype)
{
	struct knet_error err = {0};
	size_t i;

	for (i = 0; i < sizeof(ui->progs) / sizeof(*ui->progs); i++) {
		if (!ui->progs[i])
			break;
		if (knet_bpf_linktype(ui->progs[i]) == linktype)
			return ui->progs[i];
	}
	if (i == sizeof(ui->progs) / sizeof(*ui->progs) ||
	    knet_bpf_new(ui->filter, linktype, KNET_FLOW_KEEP_BYTES,
			 &ui->progs[i], &err) < 0) {
		snprintf(ui->status, sizeof(ui->status), "filter: %s",
			 err.reason[0] ? err.reason : "too many link types");
		return NULL;
	}
	return ui->progs[i];
}

/* A flow passes a BPF filter when one of the packets it kept does. */
static bool bpf_keep(struct knet_ui_flows *ui, const struct knet_flow *f)
{
	for (unsigned i = 0; i < f->nkept; i++) {
		const struct knet_flow_kept *k = &f->kept[i];
		struct knet_bpf *b = bpf_for(ui, k->linktype);

		if (b && knet_bpf_match(b, k->data, k->caplen, k->len))
			return true;
	}
	return false;
}

static bool keep(const struct knet_flow *f, void *ud)
{
	const struct filter_ud *fu = ud;

	if (fu->v->keep && !fu->v->keep(f, fu->v->keep_ud))
		return false;
	if (fu->ui->bpf)
		return bpf_keep(fu->ui, f);
	return knet_flow_match_text(f, fu->ui->filter,
				    fu->ui->names ? fu->v->name : NULL,
				    fu->v->name_ud);
}

static void header(const struct knet_ui_flows *ui,
		   const struct knet_ui_flows_view *v)
{
	struct knet_flows_stats st;
	char drops[96], ref[32];

	knet_flows_get_stats(v->table, &st);
	if (v->have_drops)
		snprintf(drops, sizeof(drops), "%llu kernel %llu iface",
			 v->dropped, v->ifdropped);
	else
		snprintf(drops, sizeof(drops), "not known");
	snprintf(ref, sizeof(ref), "%gs", v->refresh);
	put_line(0, ui->color ? COLOR_PAIR(PAIR_HEAD) | A_BOLD : A_BOLD,
		 "knet flows  %s  source %s  refresh %s%s", v->label, v->source,
		 ref, ui->paused ? "  [PAUSED]" : "");
	put_line(1, 0,
		 "captured %llu  dropped %s  flows %zu/%zu  evicted %llu"
		 "  filter %s  %s",
		 v->captured, drops, st.count, st.max, st.evicted,
		 ui->filter[0] ? ui->filter : "-",
		 v->counters_off ? "counters off (nf_conntrack_acct=0)" : "");
	/* Lost data is never silent: drops in the warning colour. */
	if (v->have_drops && (v->dropped || v->ifdropped))
		mvchgat(1, 0, -1, A_BOLD, ui->color ? PAIR_BAD : 0, NULL);
}

static const char *const help[] = {
	"Keys",
	"  q            quit (the terminal is given back)",
	"  s / S        sort by the next column / reverse the order",
	"  1-9, 0       sort by SRC DST PROTO STATE PKTS BYTES RATE RATE10 AGE "
	"FLAGS",
	"  /            filter: BPF (tcp port 80) or text in an address, name, "
	"state, flag "
	"(Enter applies, Ctrl-U clears)",
	"  p, space     pause the screen (counting goes on)",
	"  r            reset the counters",
	"  n            names or addresses",
	"  Up/Down, PgUp/PgDn, Home/End   choose a flow",
	"  Enter        the flow's detail: conntrack entry, first packets",
	"  w            write the flow's packets seen so far to a pcap file",
	"  ?            this help; Esc closes a pane",
	"",
	"Flags: no-synack (SYN unanswered 1 s), rst, no-reply (UDP), "
	"dns-unanswered,",
	"  unreach / frag-needed (ICMP errors quoting the flow), retrans, "
	"nat (DNAT'd)",
	NULL,
};

static void draw_help(int y0)
{
	for (int i = 0; help[i] && y0 + i < LINES - 1; i++)
		put_line(y0 + i, i == 0 ? A_BOLD : 0, "%s", help[i]);
}

static void tuple_text(const struct knet_tuple *t, char *buf, size_t n)
{
	struct knet_flow tmp = {.t = *t};
	char a[80], b[80];

	knet_flow_endpoint(&tmp, false, a, sizeof(a));
	knet_flow_endpoint(&tmp, true, b, sizeof(b));
	snprintf(buf, n, "%s -> %s", a, b);
}

static void draw_detail(const struct knet_ui_flows *ui,
			const struct knet_ui_flows_view *v,
			const struct knet_flow *f, int y0)
{
	char s[160], d[160], fl[160], t[200];
	unsigned int flags = knet_flow_flags(f, v->now_ms);
	int y = y0;

	mvhline(y++, 0, ACS_HLINE, COLS);
	endpoint(ui, v, f, false, s, sizeof(s));
	destination(ui, v, f, d, sizeof(d));
	put_line(y++, A_BOLD, "%s %s -> %s",
		 knet_flow_proto_name(f->t.proto, t, 8), s, d);
	put_line(y++, 0,
		 "state %s  flags %s  packets %llu out / %llu in  bytes %llu "
		 "/ %llu  retransmissions %u",
		 knet_flow_state_name(f->state),
		 flags ? knet_flow_flags_text(flags, fl, sizeof(fl)) : "-",
		 (unsigned long long)f->packets[0],
		 (unsigned long long)f->packets[1],
		 (unsigned long long)f->bytes[0],
		 (unsigned long long)f->bytes[1], f->retrans);
	if (f->icmp_errors)
		put_line(y++, 0, "ICMP errors %u (last type %u code %u%s%u)",
			 f->icmp_errors, f->icmp_type, f->icmp_code,
			 f->mtu ? ", mtu " : "", f->mtu);
	if (f->ct.valid) {
		char o[200], r[200], st[200];

		tuple_text(&f->ct.orig, o, sizeof(o));
		tuple_text(&f->ct.reply, r, sizeof(r));
		if (knet_ct_format_status(f->ct.status, st, sizeof(st)) < 0)
			snprintf(st, sizeof(st), "?");
		put_line(y++, 0, "conntrack: %s timeout %us  %s",
			 knet_ct_state_name(f->ct.orig.proto, f->ct.state)
				 ? knet_ct_state_name(f->ct.orig.proto,
						      f->ct.state)
				 : "-",
			 f->ct.timeout, st);
		put_line(y++, 0, "  original %s", o);
		put_line(y++, 0, "  reply    %s", r);
		if (f->ct.counters)
			put_line(y++, 0,
				 "  counters %llu pkts %llu bytes / %llu pkts "
				 "%llu bytes",
				 (unsigned long long)f->ct.orig_packets,
				 (unsigned long long)f->ct.orig_bytes,
				 (unsigned long long)f->ct.reply_packets,
				 (unsigned long long)f->ct.reply_bytes);
	} else {
		put_line(y++, 0, "conntrack: no entry seen for this flow");
	}
	put_line(y++, A_BOLD, "first packets (%u kept):", f->nkept);
	for (unsigned i = 0; i < f->nkept && y < LINES - 1; i++) {
		const struct knet_flow_kept *k = &f->kept[i];
		struct knet_decoded *dec = malloc(sizeof(*dec));

		if (!dec)
			break;
		knet_decode_packet(k->linktype, k->data, k->caplen, k->len,
				   NULL, NULL, dec);
		put_line(y, 0, "  +%.6fs ",
			 (double)(k->ts_us - f->kept[0].ts_us) / 1e6);
		cell(y++, 13, COLS - 13, dec->text);
		free(dec);
	}
	while (y < LINES - 1) {
		move(y++, 0);
		clrtoeol();
	}
}

void knet_ui_flows_draw(struct knet_ui_flows *ui,
			const struct knet_ui_flows_view *v)
{
	struct filter_ud fu = {ui, v};
	struct layout l;
	int nlines, y;

	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		erase();
		mvprintw(0, 0, "knet flows needs %dx%d, this terminal is %dx%d",
			 MIN_COLS, MIN_LINES, COLS, LINES);
		refresh();
		return;
	}
	header(ui, v);
	if (!ui->paused || !ui->rows) {
		if (knet_flows_snapshot(v->table, v->now_ms, ui->sort,
					ui->reverse, keep, &fu, &ui->rows,
					&ui->nrows) < 0)
			ui->nrows = 0;
	}
	/* The cursor follows its flow when rows move. */
	for (size_t i = 0; ui->selected_id && i < ui->nrows; i++)
		if (ui->rows[i]->id == ui->selected_id) {
			ui->selected = (int)i;
			break;
		}
	if (ui->selected >= (int)ui->nrows)
		ui->selected = ui->nrows ? (int)ui->nrows - 1 : 0;
	if (ui->nrows)
		ui->selected_id = ui->rows[ui->selected]->id;
	l = lay_out(COLS);
	heading(ui, &l, HEADER - 1);
	nlines = LINES - HEADER - 1;
	if (ui->pane != PANE_NONE)
		nlines = (LINES - HEADER - 1) / 3;
	if (ui->selected < ui->top)
		ui->top = ui->selected;
	if (ui->selected >= ui->top + nlines)
		ui->top = ui->selected - nlines + 1;
	for (y = 0; y < nlines; y++) {
		size_t i = (size_t)(ui->top + y);

		if (i < ui->nrows)
			row(ui, v, &l, HEADER + y, ui->rows[i],
			    (int)i == ui->selected);
		else {
			move(HEADER + y, 0);
			clrtoeol();
		}
	}
	if (ui->pane == PANE_HELP)
		draw_help(HEADER + nlines);
	else if (ui->pane == PANE_DETAIL && ui->nrows)
		draw_detail(ui, v, ui->rows[ui->selected], HEADER + nlines);
	else if (ui->pane == PANE_DETAIL)
		put_line(HEADER + nlines, 0, "no flow to show");
	if (ui->editing)
		put_line(LINES - 1, A_BOLD, "filter: %s", ui->edit);
	else if (ui->status[0])
		put_line(LINES - 1, 0, "%s", ui->status);
	else
		put_line(
			LINES - 1, ui->color ? COLOR_PAIR(PAIR_DIM) : A_DIM,
			"%zu shown  q quit  ? help  / filter  s sort  p pause  "
			"Enter detail  w pcap",
			ui->nrows);
	refresh();
}

/* --- keys --- */

/* What `w` writes: one pcap, of the first packet's link type. */
struct pcap_out {
	struct knet_dump *d;
	int id, linktype;
	unsigned int written, other; /* other: another link type */
	struct knet_error *err;
};

static int put_packet(const struct knet_flow_packet *fp, void *ud)
{
	struct pcap_out *o = ud;
	struct knet_packet p = {
		.ts_usec = fp->ts_us,
		.caplen = fp->caplen,
		.len = fp->len,
		.data = fp->data,
	};
	int r;

	if (o->id < 0) {
		o->linktype = fp->linktype;
		o->id = knet_dump_add_iface(o->d, "flow", "", fp->linktype,
					    KNET_FLOW_STORE_BYTES, o->err);
		if (o->id < 0)
			return o->id;
	}
	/* A flow seen on a pod's eth0 and a node's "any": pcap holds one. */
	if (fp->linktype != o->linktype) {
		o->other++;
		return 0;
	}
	r = knet_dump_packet(o->d, o->id, &p, 0, o->err);
	if (r == 0)
		o->written++;
	return r;
}

/* The store's packets, or (a remote run's flow) the first ones kept. */
static int put_flow(const struct knet_ui_flows_view *v,
		    const struct knet_flow *f, struct pcap_out *o)
{
	int r = 0;

	if (f->nstored)
		return knet_flows_stored(v->table, f, put_packet, o);
	for (unsigned i = 0; r == 0 && i < f->nkept; i++) {
		struct knet_flow_packet p = {
			.ts_us = f->kept[i].ts_us,
			.caplen = f->kept[i].caplen,
			.len = f->kept[i].len,
			.linktype = f->kept[i].linktype,
			.data = f->kept[i].data,
		};

		r = put_packet(&p, o);
	}
	return r;
}

static int write_pcap(const struct knet_ui_flows_view *v,
		      const struct knet_flow *f, char *path, size_t n,
		      struct pcap_out *o)
{
	const char *dir = getenv("TMPDIR");
	int fd, r;

	snprintf(path, n, "%s/knet-flow-%llu-%ld.pcap",
		 dir && *dir ? dir : "/tmp", (unsigned long long)f->id,
		 (long)time(NULL));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return knet_error_set(o->err, -errno, KNET_EXIT_SYSTEM, "%s",
				      strerror(errno));
	r = knet_dump_new(fd, KNET_DUMP_PCAP, false, &o->d, o->err);
	if (r == 0)
		r = put_flow(v, f, o);
	/* A flow with no packet kept still gets a valid (empty) file. */
	if (r == 0 && o->id < 0)
		r = knet_dump_add_iface(o->d, "flow", "", 1,
					KNET_FLOW_STORE_BYTES, o->err);
	r = r < 0 ? r : 0;
	if (o->d && knet_dump_close(o->d, r < 0 ? NULL : o->err) < 0 && r == 0)
		r = -EIO;
	close(fd);
	return r;
}

static void key_write(struct knet_ui_flows *ui,
		      const struct knet_ui_flows_view *v)
{
	struct knet_error err = {0};
	struct pcap_out o = {.id = -1, .err = &err};
	unsigned long long seen;
	char path[512], more[96] = "";
	const struct knet_flow *f;

	if (!ui->nrows) {
		snprintf(ui->status, sizeof(ui->status), "no flow to write");
		return;
	}
	f = ui->rows[ui->selected];
	if (write_pcap(v, f, path, sizeof(path), &o) < 0) {
		snprintf(ui->status, sizeof(ui->status),
			 "cannot write '%s': %s", path, err.reason);
		return;
	}
	/* Never silent about what is missing: the caps, a remote run. */
	seen = f->nstored ? (unsigned long long)f->nstored + f->nunstored
			  : f->packets[0] + f->packets[1] + f->icmp_errors;
	if (seen > o.written)
		snprintf(more, sizeof(more), " (kept %u of %llu packets%s)",
			 o.written, seen,
			 o.other ? ", others of another link type" : "");
	snprintf(ui->status, sizeof(ui->status), "wrote %u packets to %s%s",
		 o.written, path, more);
}

static enum knet_ui_action key_edit(struct knet_ui_flows *ui, int c)
{
	if (c == 27) { /* Esc: keep the old filter */
		ui->editing = false;
		return KNET_UI_REDRAW;
	}
	if (c == '\r' || c == '\n' || c == KEY_ENTER) {
		memcpy(ui->filter, ui->edit, sizeof(ui->filter));
		ui->editing = false;
		bpf_clear(ui);
		ui->bpf = knet_flow_filter_is_bpf(ui->filter);
		ui->selected = ui->top = 0;
		ui->selected_id = 0;
		return KNET_UI_REDRAW;
	}
	if (c == 21) { /* Ctrl-U: start again */
		ui->edit_len = 0;
		ui->edit[0] = '\0';
	} else if ((c == KEY_BACKSPACE || c == 127 || c == 8) && ui->edit_len)
		ui->edit[--ui->edit_len] = '\0';
	else if (c >= 0x20 && c < 0x7f && ui->edit_len + 1 < sizeof(ui->edit))
		ui->edit[ui->edit_len++] = (char)c, ui->edit[ui->edit_len] = 0;
	return KNET_UI_REDRAW;
}

static void move_cursor(struct knet_ui_flows *ui, int by)
{
	int n = (int)ui->nrows;

	ui->selected += by;
	if (ui->selected >= n)
		ui->selected = n - 1;
	if (ui->selected < 0)
		ui->selected = 0;
	ui->selected_id = n ? ui->rows[ui->selected]->id : 0;
}

static const enum knet_flow_sort digit_sort[10] = {
	KNET_FLOW_SORT_FLAGS, KNET_FLOW_SORT_SRC,   KNET_FLOW_SORT_DST,
	KNET_FLOW_SORT_PROTO, KNET_FLOW_SORT_STATE, KNET_FLOW_SORT_PACKETS,
	KNET_FLOW_SORT_BYTES, KNET_FLOW_SORT_RATE1, KNET_FLOW_SORT_RATE10,
	KNET_FLOW_SORT_AGE,
};

static enum knet_ui_action key(struct knet_ui_flows *ui,
			       const struct knet_ui_flows_view *v, int c)
{
	int page = LINES - HEADER - 2;

	if (ui->editing)
		return key_edit(ui, c);
	ui->status[0] = '\0';
	switch (c) {
	case 'q':
	case 'Q':
		return KNET_UI_QUIT;
	case '?':
	case 'h':
		ui->pane = ui->pane == PANE_HELP ? PANE_NONE : PANE_HELP;
		break;
	case 27:
		ui->pane = PANE_NONE;
		break;
	case '/':
		ui->editing = true;
		memcpy(ui->edit, ui->filter, sizeof(ui->edit));
		ui->edit_len = strlen(ui->edit);
		break;
	case 's':
		ui->sort = (ui->sort + 1) % KNET_FLOW_NSORT;
		break;
	case 'S':
		ui->reverse = !ui->reverse;
		break;
	case 'p':
	case ' ':
		ui->paused = !ui->paused;
		break;
	case 'r':
		return KNET_UI_RESET;
	case 'n':
		ui->names = !ui->names;
		break;
	case '\r':
	case '\n':
	case KEY_ENTER:
		ui->pane = ui->pane == PANE_DETAIL ? PANE_NONE : PANE_DETAIL;
		break;
	case 'w':
		key_write(ui, v);
		break;
	case KEY_UP:
	case 'k':
		move_cursor(ui, -1);
		break;
	case KEY_DOWN:
	case 'j':
		move_cursor(ui, 1);
		break;
	case KEY_PPAGE:
		move_cursor(ui, -page);
		break;
	case KEY_NPAGE:
		move_cursor(ui, page);
		break;
	case KEY_HOME:
		move_cursor(ui, -(int)ui->nrows);
		break;
	case KEY_END:
		move_cursor(ui, (int)ui->nrows);
		break;
	case KEY_RESIZE:
		clear();
		break;
	default:
		if (c >= '0' && c <= '9') {
			ui->sort = digit_sort[c - '0'];
			break;
		}
		return KNET_UI_NONE;
	}
	return KNET_UI_REDRAW;
}

bool knet_ui_flows_paused(const struct knet_ui_flows *ui)
{
	return ui->paused;
}

enum knet_ui_action knet_ui_flows_keys(struct knet_ui_flows *ui,
				       const struct knet_ui_flows_view *v,
				       int timeout_ms)
{
	enum knet_ui_action act = KNET_UI_NONE;
	bool paused = ui->paused;
	int c;

	timeout(timeout_ms);
	while ((c = getch()) != ERR) {
		enum knet_ui_action a = key(ui, v, c);

		if (a == KNET_UI_QUIT || a == KNET_UI_RESET)
			return a;
		if (a != KNET_UI_NONE)
			act = a;
		timeout(0);
	}
	/* Unpausing shows the present at once. */
	if (paused && !ui->paused)
		ui->rows = NULL;
	return act;
}
