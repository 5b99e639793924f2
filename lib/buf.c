/*
 * buf.c - growable byte buffer; see buf.h.
 */
#include "lib/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
	fprintf(stderr, "cdnpipe: out of memory (%zu bytes)\n", n);
	abort();
}

void *cp_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *cp_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *cp_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *cp_xstrdup(const char *s)
{
	return cp_xstrndup(s, strlen(s));
}

char *cp_xstrndup(const char *s, size_t n)
{
	char *p = cp_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *cp_xasprintf(const char *fmt, ...)
{
	cp_buf b = CP_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	cp_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return cp_buf_take(&b);
}

void cp_buf_reserve(cp_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap / 2 * 3 + 64;
	b->data = cp_xrealloc(b->data, cap);
	b->cap = cap;
	b->data[b->len] = 0; /* the NUL promise holds even before the first append */
}

void cp_buf_append(cp_buf *b, const void *data, size_t n)
{
	cp_buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = 0;
}

void cp_buf_puts(cp_buf *b, const char *s)
{
	cp_buf_append(b, s, strlen(s));
}

void cp_buf_putc(cp_buf *b, char c)
{
	cp_buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = 0;
}

void cp_buf_vprintf(cp_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	cp_buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void cp_buf_printf(cp_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cp_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void cp_buf_clear(cp_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = 0;
}

void cp_buf_free(cp_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *cp_buf_take(cp_buf *b)
{
	if (!b->data)
		cp_buf_reserve(b, 0);
	char *p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
