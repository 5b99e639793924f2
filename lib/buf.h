/*
 * buf.h - a growable byte buffer.
 *
 * Every stage hands bytes around as a cp_buf: a pointer, a length and a
 * capacity.  The data is always followed by a NUL byte that is not counted in
 * len, so a buffer holding text can be passed to C string functions, while
 * binary contents (with NULs inside) are still handled by length.  Growth is
 * geometric; an allocation failure aborts through cp_xrealloc, because every
 * caller would otherwise have to carry an out-of-memory path that nobody can
 * test and no deploy script could act on.
 */
#ifndef CP_BUF_H
#define CP_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct cp_buf {
	char *data;
	size_t len;
	size_t cap;
} cp_buf;

#define CP_BUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void *cp_xmalloc(size_t n);
void *cp_xcalloc(size_t n, size_t size);
void *cp_xrealloc(void *p, size_t n);
char *cp_xstrdup(const char *s);
char *cp_xstrndup(const char *s, size_t n);
/* printf into a newly allocated string. */
char *cp_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void cp_buf_reserve(cp_buf *b, size_t extra);
void cp_buf_append(cp_buf *b, const void *data, size_t n);
void cp_buf_puts(cp_buf *b, const char *s);
void cp_buf_putc(cp_buf *b, char c);
void cp_buf_printf(cp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cp_buf_vprintf(cp_buf *b, const char *fmt, va_list ap);
void cp_buf_clear(cp_buf *b);
void cp_buf_free(cp_buf *b);
/* Gives the data to the caller (NUL-terminated, never NULL) and empties b. */
char *cp_buf_take(cp_buf *b);

#endif
