/* SPDX-License-Identifier: MIT */
/*
 * llround() without libm: the only other function knet took from it was
 * sqrt(), which -fno-math-errno makes one instruction.  Not linking
 * libm saves its mapping (~330 KiB of RSS) in every command.
 */
#include <limits.h>

#include "knet/base.h"

long long knet_llround(double x)
{
	long long i;
	double frac;

	if (!(x > (double)LLONG_MIN && x < (double)LLONG_MAX))
		return x > 0 ? LLONG_MAX : LLONG_MIN; /* and NaN */
	i = (long long)x;			      /* toward zero */
	frac = x - (double)i;			      /* exact */
	if (frac >= 0.5)
		i++;
	else if (frac <= -0.5)
		i--;
	return i;
}
