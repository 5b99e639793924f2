/*
 * fuzz_s3_xml.c - the S3 reply reader on arbitrary bytes.
 *
 * Replies come from the network: a broken proxy, a truncated body or a
 * hostile endpoint must never make the reader read out of bounds or loop.
 * Every entry point is run on the input; entity decoding must also never
 * grow the text (each entity is longer than what it decodes to, except
 * numeric references of astral code points, 4 bytes from at least 4).
 */
#include "upload/s3/s3_int.h"

#include <stdlib.h>
#include <string.h>

static int count(void *ctx, const cp_s3_object *o)
{
	(void)o->key;
	++*(int *)ctx;
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *x = (const char *)data;
	int n = 0;
	char *token = NULL;
	cp_error err = {0};
	if (s3_xml_list_page(x, size, count, &n, &token, &err) && token)
		abort(); /* a refused page never hands out a token */
	free(token);
	char code[64], msg[256];
	cp_xml_error(x, size, code, sizeof(code), msg, sizeof(msg));
	size_t pos = 0, a, e;
	while (s3_xml_next(x, size, &pos, "Upload", &a, &e)) {
		char *k = cp_xml_get(x + a, e - a, NULL, "Key");
		free(k);
	}
	char *d = s3_xml_decode(x, size);
	if (strlen(d) > size)
		abort();
	free(d);
	return 0;
}
