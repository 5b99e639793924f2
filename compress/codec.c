/*
 * codec.c - gzip (zlib) and brotli, on buffers and streamed files.
 *
 * Reproducibility: zlib's gzip wrapper is used without deflateSetHeader, so
 * the header carries mtime 0 and no file name; the same bytes in give the
 * same bytes out on every machine.  Brotli's window is the library default
 * (22 bits, 4 MiB): larger windows only help files bigger than that, and
 * some decoders of the past refused them.  The brotli mode is TEXT for
 * text types, which tunes its context modelling for UTF-8.
 *
 * Streaming: files are read in CP_IO_CHUNK pieces and the compressed stream is
 * written to a temporary file beside the destination; whether to keep it is
 * decided from the finished size, then it is renamed into place or removed.
 */
#include "compress/compress.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

void cp_compress_defaults(cp_compress_opts *o)
{
	o->methods = CP_GZIP | CP_BROTLI;
	o->gzip_level = 9;
	o->brotli_quality = 11;
	o->keep_ratio = 0.95;
}

int cp_compress_parse(const char *spec, unsigned *methods)
{
	unsigned m = 0;
	char *copy = cp_xstrdup(spec), *save = NULL;
	int rc = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "gzip") || !strcmp(t, "gz"))
			m |= CP_GZIP;
		else if (!strcmp(t, "br") || !strcmp(t, "brotli"))
			m |= CP_BROTLI;
		else if (!strcmp(t, "none"))
			;
		else
			rc = -1;
	}
	free(copy);
	if (!rc)
		*methods = m;
	return rc;
}

static char gz_name[64], br_name[64];

static void library_names(void)
{
	uint32_t v = BrotliEncoderVersion();
	snprintf(gz_name, sizeof gz_name, "zlib %s", zlibVersion());
	snprintf(br_name, sizeof br_name, "brotli %u.%u.%u", v >> 24, (v >> 12) & 0xfff, v & 0xfff);
}

const char *cp_compress_library(enum cp_compress_method m)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, library_names);
	return m == CP_GZIP ? gz_name : br_name;
}

const char *cp_compress_suffix(enum cp_compress_method m)
{
	return m == CP_GZIP ? ".gz" : ".br";
}

/* A sink the encoders write to: a buffer or a file descriptor. */
struct sink {
	cp_buf *buf;
	int fd;
	uint64_t written;
	int err; /* errno of a failed write */
};

static int sink_write(struct sink *s, const void *p, size_t n)
{
	s->written += n;
	if (s->buf) {
		cp_buf_append(s->buf, p, n);
		return 0;
	}
	if (cp_write_all(s->fd, p, n) == 0)
		return 0;
	s->err = errno;
	return -1;
}

/* One streaming encoder: init, feed chunks, finish. */
struct encoder {
	enum cp_compress_method m;
	z_stream z;
	BrotliEncoderState *br;
	struct sink *out;
	unsigned char tmp[65536];
};

static int enc_init(struct encoder *e, enum cp_compress_method m, const cp_compress_opts *o,
		    const char *name, uint64_t size_hint, struct sink *out)
{
	memset(&e->z, 0, sizeof e->z);
	e->m = m;
	e->out = out;
	e->br = NULL;
	if (m == CP_GZIP)
		return deflateInit2(&e->z, o->gzip_level, Z_DEFLATED, 15 + 16, 8,
				    Z_DEFAULT_STRATEGY) == Z_OK
			   ? 0
			   : -1;
	e->br = BrotliEncoderCreateInstance(NULL, NULL, NULL);
	if (!e->br)
		return -1;
	BrotliEncoderSetParameter(e->br, BROTLI_PARAM_QUALITY, (uint32_t)o->brotli_quality);
	const char *type = name ? cp_mime_type(name) : "";
	if (!strncmp(type, "text/", 5) || strstr(type, "charset"))
		BrotliEncoderSetParameter(e->br, BROTLI_PARAM_MODE, BROTLI_MODE_TEXT);
	if (size_hint && size_hint < (1u << 30))
		BrotliEncoderSetParameter(e->br, BROTLI_PARAM_SIZE_HINT, (uint32_t)size_hint);
	return 0;
}

static int enc_feed(struct encoder *e, const unsigned char *p, size_t n, int finish)
{
	if (e->m == CP_GZIP) {
		e->z.next_in = (unsigned char *)p;
		e->z.avail_in = (uInt)n;
		int zr;
		do {
			e->z.next_out = e->tmp;
			e->z.avail_out = sizeof e->tmp;
			zr = deflate(&e->z, finish ? Z_FINISH : Z_NO_FLUSH);
			if (zr == Z_STREAM_ERROR)
				return -1;
			if (sink_write(e->out, e->tmp, sizeof e->tmp - e->z.avail_out))
				return -1;
		} while (e->z.avail_out == 0 || (finish && zr != Z_STREAM_END));
		return 0;
	}
	size_t avail_in = n;
	const uint8_t *next_in = p;
	BrotliEncoderOperation op = finish ? BROTLI_OPERATION_FINISH : BROTLI_OPERATION_PROCESS;
	for (;;) {
		size_t avail_out = sizeof e->tmp;
		uint8_t *next_out = e->tmp;
		if (!BrotliEncoderCompressStream(e->br, op, &avail_in, &next_in, &avail_out,
						 &next_out, NULL))
			return -1;
		if (sink_write(e->out, e->tmp, sizeof e->tmp - avail_out))
			return -1;
		if (finish ? BrotliEncoderIsFinished(e->br)
			   : (avail_in == 0 && !BrotliEncoderHasMoreOutput(e->br)))
			return 0;
	}
}

static void enc_free(struct encoder *e)
{
	if (e->m == CP_GZIP)
		deflateEnd(&e->z);
	else if (e->br)
		BrotliEncoderDestroyInstance(e->br);
}

int cp_compress_buffer(enum cp_compress_method m, const cp_compress_opts *o, const void *in,
		       size_t len, cp_buf *out, cp_error *err)
{
	struct sink s = {.buf = out};
	struct encoder *e = cp_xmalloc(sizeof *e);
	int rc = enc_init(e, m, o, NULL, len, &s);
	if (!rc)
		rc = enc_feed(e, in, len, 1);
	enc_free(e);
	free(e);
	return rc ? cp_error_set(err, "", 0, 0, "%s compression failed",
				 m == CP_GZIP ? "gzip" : "brotli")
		  : 0;
}

struct file_job {
	struct encoder *e;
};

static int feed_chunk(void *ctx, const unsigned char *p, size_t n)
{
	return enc_feed(((struct file_job *)ctx)->e, p, n, 0);
}

int cp_compress_file(enum cp_compress_method m, const cp_compress_opts *o, const char *src,
		     const char *dst, int *kept, cp_error *err)
{
	*kept = 0;
	struct stat st;
	if (stat(src, &st) != 0)
		return cp_error_set(err, src, 0, 0, "cannot read: %s", strerror(errno));
	char *tmp;
	int fd = cp_create_tmp(dst, &tmp, err);
	if (fd < 0)
		return CP_ERR_BUILD;
	struct sink s = {.fd = fd};
	struct encoder *e = cp_xmalloc(sizeof *e);
	struct file_job job = {e};
	int rc = enc_init(e, m, o, src, (uint64_t)st.st_size, &s);
	if (rc)
		rc = cp_error_set(err, src, 0, 0, "cannot start compressor");
	cp_error rerr = {0};
	if (!rc && cp_stream_file(src, 0, UINT64_MAX, feed_chunk, &job, &rerr)) {
		/* a failed write names dst, a failed read src */
		if (s.err)
			rc = cp_error_set(err, dst, 0, 0, "cannot write: %s", strerror(s.err));
		else if (err && !err->set)
			*err = rerr, rc = CP_ERR_BUILD;
		else
			rc = CP_ERR_BUILD;
	}
	if (!rc && enc_feed(e, NULL, 0, 1))
		rc = cp_error_set(err, dst, 0, 0, "cannot write: %s",
				  strerror(s.err ? s.err : errno));
	enc_free(e);
	free(e);
	if (close(fd) != 0 && !rc)
		rc = cp_error_set(err, dst, 0, 0, "cannot write: %s", strerror(errno));
	if (!rc && (double)s.written <= o->keep_ratio * (double)st.st_size && st.st_size > 0) {
		if (rename(tmp, dst) != 0)
			rc = cp_error_set(err, dst, 0, 0, "cannot write: %s", strerror(errno));
		else
			*kept = 1;
	}
	if (!*kept)
		unlink(tmp);
	free(tmp);
	return rc;
}

int cp_decompress_buffer(enum cp_compress_method m, const void *in, size_t len, cp_buf *out,
			 cp_error *err)
{
	if (m == CP_BROTLI) {
		BrotliDecoderState *d = BrotliDecoderCreateInstance(NULL, NULL, NULL);
		size_t avail_in = len;
		const uint8_t *next_in = in;
		BrotliDecoderResult r;
		do {
			cp_buf_reserve(out, 65536);
			size_t avail_out = out->cap - out->len - 1;
			uint8_t *next_out = (uint8_t *)out->data + out->len;
			r = BrotliDecoderDecompressStream(d, &avail_in, &next_in, &avail_out,
							  &next_out, NULL);
			out->len = (size_t)((char *)next_out - out->data);
		} while (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT);
		BrotliDecoderDestroyInstance(d);
		out->data[out->len] = 0;
		return r == BROTLI_DECODER_RESULT_SUCCESS
			   ? 0
			   : cp_error_set(err, "", 0, 0, "corrupt brotli stream");
	}
	z_stream z = {0};
	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return cp_error_set(err, "", 0, 0, "cannot start gzip decoder");
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	int zr;
	do {
		cp_buf_reserve(out, 65536);
		z.next_out = (unsigned char *)out->data + out->len;
		z.avail_out = (uInt)(out->cap - out->len - 1);
		zr = inflate(&z, Z_NO_FLUSH);
		out->len = (size_t)((char *)z.next_out - out->data);
	} while (zr == Z_OK);
	inflateEnd(&z);
	out->data[out->len] = 0;
	return zr == Z_STREAM_END ? 0 : cp_error_set(err, "", 0, 0, "corrupt gzip stream");
}
