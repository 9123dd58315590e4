/* SPDX-License-Identifier: MIT */
/* Turning raw units into what a person reads in a table. */
#include <stdio.h>

#include "knet/output.h"

/* Ages the way kubectl prints them: 45s, 7m, 5h, 3d. */
void knet_fmt_age(long long s, char *buf, size_t len)
{
	if (s < 0)
		snprintf(buf, len, "<invalid>");
	else if (s < 120)
		snprintf(buf, len, "%llds", s);
	else if (s < 600)
		snprintf(buf, len, "%lldm%llds", s / 60, s % 60);
	else if (s < 3 * 3600)
		snprintf(buf, len, "%lldm", s / 60);
	else if (s < 48 * 3600)
		snprintf(buf, len, "%lldh", s / 3600);
	else if (s < 365LL * 86400)
		snprintf(buf, len, "%lldd", s / 86400);
	else
		snprintf(buf, len, "%lldy", s / (365LL * 86400));
}

void knet_fmt_usec(long long us, char *buf, size_t len)
{
	if (us < 0)
		snprintf(buf, len, "-");
	else if (us < 1000)
		snprintf(buf, len, "%lldus", us);
	else if (us < 1000000)
		snprintf(buf, len, "%.3fms", us / 1000.0);
	else
		snprintf(buf, len, "%.2fs", us / 1000000.0);
}

void knet_fmt_bytes(long long b, char *buf, size_t len)
{
	static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB"};
	double v = (double)b;
	int i = -1;

	if (b < 1024) {
		snprintf(buf, len, "%lldB", b);
		return;
	}
	while (v >= 1024 && i < 3) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, "%.1f%s", v, unit[i]);
}
