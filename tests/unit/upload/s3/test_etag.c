/*
 * test_etag.c - multipart ETags and "does this remote object hold my file".
 *
 * Expected values are computed here a different way (whole parts hashed in
 * memory with one-shot MD5) than the code under test (streamed from disk in
 * 256 KiB chunks that straddle part boundaries).  The integration test
 * checks the same function against Python's hashlib.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/digest.h"
#include "upload/s3/s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIB (1ull << 20)

static char path[64];
static unsigned char *data;
static size_t size;

static int setup(void **state)
{
	size = 13 * MIB + 12345; /* 3 parts of 5 MiB, 2 of 8 MiB */
	data = malloc(size);
	uint32_t x = 12345;
	for (size_t i = 0; i < size; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (unsigned char)(x >> 16);
	}
	snprintf(path, sizeof(path), "/tmp/cp-etag-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, size), (ssize_t)size);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	free(data);
	return 0;
}

/* The multipart ETag the slow, obvious way. */
static void expected(uint64_t part, char out[48])
{
	size_t n = (size + part - 1) / part;
	unsigned char *cat = malloc(16 * n), d[16];
	for (size_t i = 0; i < n; i++) {
		size_t off = i * part, len = size - off < part ? size - off : part;
		cp_md5(data + off, len, cat + 16 * i);
	}
	cp_md5(cat, 16 * n, d);
	cp_hex(d, 16, out);
	sprintf(out + 32, "-%zu", n);
	free(cat);
}

static void test_multipart_etag(void **state)
{
	char want[48], got[48];
	cp_error e = {0};
	expected(5 * MIB, want);
	assert_int_equal(cp_multipart_etag(path, size, 5 * MIB, got, &e), 0);
	assert_string_equal(got, want);
	assert_string_equal(got + 32, "-3");
	expected(8 * MIB, want);
	assert_int_equal(cp_multipart_etag(path, size, 8 * MIB, got, &e), 0);
	assert_string_equal(got, want);
	assert_int_not_equal(cp_multipart_etag("/nonexistent/x", 1, 5 * MIB, got, &e), 0);
	/* a file that grew since its size was taken matches nothing, not the
	 * ETag of its first `size` bytes */
	uint64_t first = 2 * 5 * MIB;
	char head[48];
	{
		size_t n = 2;
		unsigned char cat[32], d[16];
		for (size_t i = 0; i < n; i++)
			cp_md5(data + i * 5 * MIB, 5 * MIB, cat + 16 * i);
		cp_md5(cat, 32, d);
		cp_hex(d, 16, head);
		strcpy(head + 32, "-2");
	}
	assert_int_equal(cp_multipart_etag(path, first, 5 * MIB, got, &e), 0);
	assert_string_equal(got, "");
	assert_int_equal(cp_etag_multipart_matches(head, path, first, 5 * MIB, NULL, NULL, &e), 0);
}

static void test_matches(void **state)
{
	char et[48], hex[33], quoted[64];
	unsigned char d[16];
	cp_error e = {0};
	cp_md5(data, size, d);
	cp_hex(d, 16, hex);
	/* plain MD5 (single PUT, or s3rver's multipart), quoted or not */
	assert_int_equal(cp_s3_etag_matches(hex, path, size, NULL, &e), 1);
	snprintf(quoted, sizeof(quoted), "\"%s\"", hex);
	assert_int_equal(cp_s3_etag_matches(quoted, path, size, NULL, &e), 1);
	assert_int_equal(cp_s3_etag_matches(quoted, path, size, hex, &e), 1);
	/* AWS multipart with our default part size (8 MiB) and with 5 MiB (rclone) */
	expected(8 * MIB, et);
	assert_int_equal(cp_s3_etag_matches(et, path, size, NULL, &e), 1);
	expected(5 * MIB, et);
	assert_int_equal(cp_s3_etag_matches(et, path, size, NULL, &e), 1);
	/* a part count that fits but the digest differs */
	char bad[48];
	snprintf(bad, sizeof(bad), "%s", et);
	bad[0] = bad[0] == 'a' ? 'b' : 'a';
	assert_int_equal(cp_s3_etag_matches(bad, path, size, NULL, &e), 0);
	/* a different file */
	data[size / 2] ^= 1;
	char other[80];
	snprintf(other, sizeof(other), "%s.o", path);
	FILE *f = fopen(other, "wb");
	fwrite(data, 1, size, f);
	fclose(f);
	data[size / 2] ^= 1;
	assert_int_equal(cp_s3_etag_matches(hex, other, size, NULL, &e), 0);
	assert_int_equal(cp_s3_etag_matches(et, other, size, NULL, &e), 0);
	unlink(other);
	/* not an MD5 at all (SSE-KMS style): never a match */
	assert_int_equal(cp_s3_etag_matches("Zm9vYmFy", path, size, NULL, &e), 0);
	assert_int_equal(cp_s3_etag_matches("", path, size, NULL, &e), 0);
	/* unreadable file */
	assert_int_equal(cp_s3_etag_matches(hex, "/nonexistent/x", size, NULL, &e), -1);
}

static void test_etag_forms(void **st)
{
	(void)st;
	unsigned n = 0;
	assert_int_equal(cp_etag_form("5d41402abc4b2a76b9719d911017c592", &n), CP_ETAG_MD5);
	assert_int_equal(cp_etag_form("\"5d41402abc4b2a76b9719d911017c592\"", &n), CP_ETAG_MD5);
	assert_int_equal(cp_etag_form("5d41402abc4b2a76b9719d911017c592-25", &n),
			 CP_ETAG_MULTIPART);
	assert_int_equal(n, 25);
	assert_int_equal(cp_etag_form("5d41402abc4b2a76b9719d911017c592-", &n), CP_ETAG_OPAQUE);
	assert_int_equal(cp_etag_form("5d41402abc4b2a76b9719d911017c59", &n), CP_ETAG_OPAQUE);
	assert_int_equal(cp_etag_form("zz41402abc4b2a76b9719d911017c592", &n), CP_ETAG_OPAQUE);
	assert_int_equal(cp_etag_form("5d41402abc4b2a76b9719d911017c592-10001", &n),
			 CP_ETAG_OPAQUE);
	assert_int_equal(cp_etag_form(NULL, &n), CP_ETAG_OPAQUE);

	uint64_t c[8];
	size_t k = cp_etag_part_candidates(200ull << 20, 25, 0, c, 8);
	assert_true(k >= 1);
	assert_int_equal(c[0], 8ull << 20);
	for (size_t i = 0; i < k; i++)
		assert_int_equal(cp_s3_part_count(200ull << 20, c[i]), 25);
	/* 40 parts of a 200 MiB file: 5 MiB (rclone's default). */
	k = cp_etag_part_candidates(200ull << 20, 40, 0, c, 8);
	assert_int_equal(c[0], 5ull << 20);
	/* ours comes first when it gives n parts, and is not repeated */
	k = cp_etag_part_candidates(200ull << 20, 20, 10ull << 20, c, 8);
	assert_int_equal(c[0], 10ull << 20);
	for (size_t i = 1; i < k; i++)
		assert_true(c[i] != c[0]);
	/* one part: any size at least the file's gives the same ETag, so one */
	assert_int_equal(cp_etag_part_candidates(3ull << 20, 1, 0, c, 8), 1);
	/* a count no candidate gives: size/n exactly still does */
	k = cp_etag_part_candidates(1000003, 7, 0, c, 8);
	assert_true(k >= 1);
	assert_int_equal(cp_s3_part_count(1000003, c[k - 1]), 7);
}

static void test_part_size(void **state)
{
	assert_true(cp_s3_part_size(100 * MIB, 0) == 8 * MIB);
	assert_true(cp_s3_part_size(100 * MIB, 1 * MIB) == CP_S3_MIN_PART);
	/* grown so that no upload needs more than 10,000 parts */
	uint64_t big = 200ull << 30;
	uint64_t ps = cp_s3_part_size(big, 0);
	assert_true((big + ps - 1) / ps <= CP_S3_MAX_PARTS);
	assert_true((big + ps / 2 - 1) / (ps / 2) > CP_S3_MAX_PARTS);
	assert_true(cp_s3_part_size(5ull << 40, 0) <= CP_S3_MAX_PART);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_multipart_etag),
	    cmocka_unit_test(test_matches),
	    cmocka_unit_test(test_etag_forms),
	    cmocka_unit_test(test_part_size),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
