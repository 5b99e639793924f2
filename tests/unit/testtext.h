/*
 * testtext.h - test input text shared by unit tests (header-only).
 */
#ifndef CP_TESTTEXT_H
#define CP_TESTTEXT_H

#include "lib/buf.h"

/* Appends pseudo-random CSS-like text (compressible, the same on every run)
 * until b holds at least n bytes. */
static inline void test_css_text(cp_buf *b, size_t n)
{
	const char *words[] = {"body{", "color:red;", "margin:0", "}", ".nav a{", "padding:4px}"};
	unsigned x = 12345;
	while (b->len < n) {
		x = x * 1103515245 + 12345;
		cp_buf_puts(b, words[(x >> 16) % 6]);
	}
}

#endif
