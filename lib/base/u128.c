/* u128.c - 128-bit numbers in decimal (see u128.h). */
#include "u128.h"

int
u128_parse_dec(const char *s, size_t n, u128 *out)
{
	const u128 max = ~(u128)0;
	u128 v = 0;
	size_t i;

	if (!s || n == 0 || n > 39)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

void
u128_fmt_dec(char out[40], u128 v)
{
	char tmp[40];
	int i = 0, j = 0;

	do {
		tmp[i++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	while (i > 0)
		out[j++] = tmp[--i];
	out[j] = '\0';
}
