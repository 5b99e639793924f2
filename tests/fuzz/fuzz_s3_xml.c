/*
 * fuzz_s3_xml.c - the S3 reply reader on arbitrary bytes.
 *
 * Replies come from the network: a broken proxy, a truncated body or a
 * hostile endpoint must never make the reader read out of bounds or loop.
 * The input is read the way each reply is read (s3_ops.c, s3_engine.c,
 * s3_explain.c): a ListObjectsV2 page, an <Error> document (also inside a
 * 200, as CompleteMultipartUpload and CopyObject may send), a
 * ListMultipartUploads page, an InitiateMultipartUpload / CopyObjectResult /
 * CompleteMultipartUploadResult answer, a DeleteResult with its per-key
 * errors, and the skew times of RequestTimeTooSkewed.
 *
 * Asserted: a refused listing page never hands out a token, and one taken
 * says "true" or "false" in IsTruncated; every element found lies inside
 * the buffer, after the previous one; entity decoding never grows the text
 * (each entity is longer than what it decodes to, except numeric references
 * of astral code points, 4 bytes from at least 4); cp_xml_error's strings
 * are terminated within their sizes; and escaping then decoding any decoded
 * text gives it back.
 */
#include "upload/s3/s3_int.h"

#include <stdlib.h>
#include <string.h>

static int count(void *ctx, const cp_s3_object *o)
{
	if (!o->key || !o->etag)
		abort();
	++*(int *)ctx;
	return 0;
}

/* Every <tag> element in order, with the children a reply reads of it. */
static void each(const char *x, size_t size, const char *tag, const char *const *kids)
{
	size_t pos = 0, a, e, last = 0;
	while (s3_xml_next(x, size, &pos, tag, &a, &e)) {
		if (a > e || e > size || pos > size || pos < last)
			abort();
		last = pos;
		for (const char *const *k = kids; *k; k++) {
			char *v = cp_xml_get(x + a, e - a, NULL, *k);
			if (v && strlen(v) > e - a)
				abort();
			if (!strcmp(*k, "Initiated") || !strcmp(*k, "LastModified"))
				(void)s3_parse_iso8601(v);
			free(v);
		}
	}
}

static void round_trip(const char *text)
{
	cp_buf b = CP_BUF_INIT;
	cp_xml_escape(&b, text);
	char *back = s3_xml_decode(b.data ? b.data : "", b.len);
	if (strcmp(back, text))
		abort();
	free(back);
	cp_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *x = (const char *)data;

	/* ListObjectsV2 */
	int n = 0;
	char *token = NULL;
	cp_error err = {0};
	if (s3_xml_list_page(x, size, count, &n, &token, &err) && token)
		abort(); /* a refused page never hands out a token */
	free(token);

	/* <Error>, also inside a 200 */
	char code[64], msg[256];
	if (cp_xml_error(x, size, code, sizeof(code), msg, sizeof(msg)) &&
	    (strnlen(code, sizeof code) == sizeof code || strnlen(msg, sizeof msg) == sizeof msg))
		abort();

	/* ListMultipartUploads */
	static const char *const upload[] = {"Key", "UploadId", "Initiated", NULL};
	each(x, size, "Upload", upload);
	static const char *const marks[] = {"IsTruncated", "NextKeyMarker", "NextUploadIdMarker",
					    NULL};
	for (const char *const *k = marks; *k; k++)
		free(cp_xml_get(x, size, NULL, *k));

	/* DeleteResult: one <Error> per key that was not deleted */
	static const char *const delerr[] = {"Key", "Code", "Message", NULL};
	each(x, size, "Error", delerr);
	static const char *const deleted[] = {"Key", NULL};
	each(x, size, "Deleted", deleted);

	/* the roots the engine expects of a 200, and the leaves it reads */
	static const char *const roots[] = {"ListBucketResult",
					    "InitiateMultipartUploadResult",
					    "CompleteMultipartUploadResult",
					    "CopyObjectResult",
					    "CopyPartResult",
					    "DeleteResult",
					    "ListMultipartUploadsResult",
					    "Error"};
	for (size_t i = 0; i < sizeof roots / sizeof *roots; i++)
		(void)s3_xml_is_doc(x, size, roots[i]);
	static const char *const leaves[] = {"UploadId", "ETag", "Region", "Endpoint"};
	for (size_t i = 0; i < sizeof leaves / sizeof *leaves; i++) {
		char *v = cp_xml_get(x, size, NULL, leaves[i]);
		if (v)
			round_trip(v);
		free(v);
	}

	/* RequestTimeTooSkewed */
	char *rt = cp_xml_get(x, size, NULL, "RequestTime");
	char *st = cp_xml_get(x, size, NULL, "ServerTime");
	if (rt && !s3_parse_iso8601(rt))
		(void)s3_parse_http_date(rt);
	if (st && !s3_parse_iso8601(st))
		(void)s3_parse_http_date(st);
	free(rt);
	free(st);

	char *d = s3_xml_decode(x, size);
	if (strlen(d) > size)
		abort();
	free(d);
	return 0;
}
