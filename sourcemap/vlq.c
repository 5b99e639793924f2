/*
 * vlq.c - base64 VLQ; see vlq.h.
 */
#include "sourcemap/vlq.h"

static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void cp_vlq_encode(cp_buf *out, long v)
{
	unsigned long u = v < 0 ? ((unsigned long)(-v) << 1) | 1 : (unsigned long)v << 1;
	do {
		unsigned digit = u & 31;
		u >>= 5;
		if (u)
			digit |= 32;
		cp_buf_putc(out, digits[digit]);
	} while (u);
}

static int digit_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int cp_vlq_decode(const char **p, const char *end, long *out)
{
	unsigned long v = 0;
	unsigned shift = 0;
	for (;;) {
		if (*p >= end || shift > 60)
			return -1;
		int d = digit_value((unsigned char)**p);
		if (d < 0)
			return -1;
		(*p)++;
		v |= (unsigned long)(d & 31) << shift;
		shift += 5;
		if (!(d & 32))
			break;
	}
	*out = (v & 1) ? -(long)(v >> 1) : (long)(v >> 1);
	return 0;
}
