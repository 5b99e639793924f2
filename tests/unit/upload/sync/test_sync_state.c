/*
 * test_sync_state.c - the sync state database and multipart journals: what
 * is saved comes back, a changed file is not trusted, a corrupt database is
 * reported and rebuilt, and the part-size / ETag arithmetic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "upload/sync/sync_int.h"
#include "upload/s3/s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static int setup(void **st)
{
	(void)st;
	return test_tmpdir_make("test_sync_state");
}

static int teardown(void **st)
{
	(void)st;
	return test_tmpdir_remove();
}

static void write_file(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

static void test_round_trip(void **st)
{
	(void)st;
	char *file = cp_xasprintf("%s/a.db", tmpdir);
	cp_sync_state s;
	cp_diags dg;
	cp_diags_init(&dg);
	assert_int_equal(cp_sync_state_open(&s, file, &dg), 0);
	assert_int_equal(dg.n, 0);
	unsigned char m1[16], m2[16];
	for (int i = 0; i < 16; i++) {
		m1[i] = (unsigned char)(i + 1);
		m2[i] = (unsigned char)(255 - i);
	}
	/* Names with spaces, UTF-8, '%' and a newline must survive. */
	cp_sync_state_set(&s, "a b/ünï.jpg", 10, 1700000000123456789LL, 42, m1);
	cp_sync_state_set(&s, "odd%25\nname", 0, -5, 7, m2);
	cp_sync_state_set(&s, "big.bin", 1ull << 40, 1, 99, m1);
	cp_sync_state_set_mp(&s, "big.bin", 1ull << 40, 1, 99, "0123456789abcdef0123456789abcdef-3",
			     8 << 20);
	cp_sync_state_free(&s);

	assert_int_equal(cp_sync_state_open(&s, file, &dg), 0);
	cp_state_ent e;
	assert_true(cp_sync_state_lookup(&s, "a b/ünï.jpg", 10, 1700000000123456789LL, 42, &e));
	assert_memory_equal(e.md5, m1, 16);
	assert_true(cp_sync_state_lookup(&s, "odd%25\nname", 0, -5, 7, &e));
	assert_memory_equal(e.md5, m2, 16);
	assert_true(cp_sync_state_lookup(&s, "big.bin", 1ull << 40, 1, 99, &e));
	assert_string_equal(e.mpetag, "0123456789abcdef0123456789abcdef-3");
	assert_int_equal(e.mp_part, 8 << 20);
	/* The same content again keeps the multipart ETag; another drops it. */
	cp_sync_state_set(&s, "big.bin", 1ull << 40, 1, 99, m1);
	assert_true(cp_sync_state_lookup(&s, "big.bin", 1ull << 40, 1, 99, &e));
	assert_string_equal(e.mpetag, "0123456789abcdef0123456789abcdef-3");
	cp_sync_state_set(&s, "big.bin", 1ull << 40, 2, 99, m1);
	assert_true(cp_sync_state_lookup(&s, "big.bin", 1ull << 40, 2, 99, &e));
	assert_string_equal(e.mpetag, "");
	assert_int_equal(e.mp_part, 0);
	cp_sync_state_free(&s);
	assert_int_equal(dg.n, 0);
	cp_diags_free(&dg);
	free(file);
}

static void test_change_detection(void **st)
{
	(void)st;
	char *file = cp_xasprintf("%s/b.db", tmpdir);
	cp_sync_state s;
	cp_diags dg;
	cp_diags_init(&dg);
	cp_sync_state_open(&s, file, &dg);
	unsigned char m[16] = {1};
	cp_state_ent e;
	cp_sync_state_set(&s, "x", 100, 5000, 9, m);
	/* Any of size, mtime, inode changed: not trusted. */
	assert_false(cp_sync_state_lookup(&s, "x", 101, 5000, 9, &e));
	assert_false(cp_sync_state_lookup(&s, "x", 100, 5001, 9, &e));
	assert_false(cp_sync_state_lookup(&s, "x", 100, 5000, 10, &e));
	assert_false(cp_sync_state_lookup(&s, "y", 100, 5000, 9, &e));
	assert_true(cp_sync_state_lookup(&s, "x", 100, 5000, 9, &e));
	cp_sync_state_free(&s);

	/* Entries no run has seen since this one started are dropped by its
	 * prune; keep() holds an entry a filtered run did not look at. */
	cp_sync_state_open(&s, file, &dg);
	cp_sync_state_set(&s, "kept", 1, 1, 1, m);
	cp_sync_state_set(&s, "gone", 1, 1, 1, m);
	cp_sync_state_free(&s);
	usleep(1000);
	cp_sync_state_open(&s, file, &dg);
	cp_sync_state_keep(&s, "kept");
	cp_sync_state_prune(&s);
	cp_sync_state_free(&s);
	cp_sync_state_open(&s, file, &dg);
	assert_true(cp_sync_state_lookup(&s, "kept", 1, 1, 1, &e));
	assert_false(cp_sync_state_lookup(&s, "gone", 1, 1, 1, &e));
	assert_false(cp_sync_state_lookup(&s, "x", 100, 5000, 9, &e));
	cp_sync_state_free(&s);
	/* A run that started earlier but is still going (a shard) keeps what a
	 * later run has seen: rows only move forward. */
	cp_sync_state a, b;
	cp_sync_state_open(&a, file, &dg);
	usleep(1000);
	cp_sync_state_open(&b, file, &dg);
	cp_sync_state_keep(&b, "kept");
	cp_sync_state_free(&b);
	cp_sync_state_prune(&a);
	cp_sync_state_free(&a);
	cp_sync_state_open(&s, file, &dg);
	assert_true(cp_sync_state_lookup(&s, "kept", 1, 1, 1, &e));
	cp_sync_state_free(&s);
	assert_int_equal(dg.n, 0);
	cp_diags_free(&dg);
	free(file);
}

static void test_md5_cached(void **st)
{
	(void)st;
	char *path = cp_xasprintf("%s/f.txt", tmpdir);
	write_file(path, "hello", 5);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	cp_sync_obj o = {"f.txt",   path,
			 5,	    (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec,
			 sb.st_ino, NULL};
	char *file = cp_xasprintf("%s/c.db", tmpdir);
	cp_sync_state s;
	cp_diags dg;
	cp_diags_init(&dg);
	cp_sync_state_open(&s, file, &dg);
	unsigned char md5[16];
	char hex[33];
	size_t hashed = 0;
	cp_error err = {0};
	assert_int_equal(cp_sync_local_md5(&s, &o, 0, md5, &hashed, &err), 0);
	cp_hex(md5, 16, hex);
	assert_string_equal(hex, "5d41402abc4b2a76b9719d911017c592");
	assert_int_equal(hashed, 1);
	/* Second time: from the state, the file is not read. */
	assert_int_equal(cp_sync_local_md5(&s, &o, 0, md5, &hashed, &err), 0);
	assert_int_equal(hashed, 1);
	/* --checksum reads it anyway. */
	assert_int_equal(cp_sync_local_md5(&s, &o, 1, md5, &hashed, &err), 0);
	assert_int_equal(hashed, 2);
	/* Same size, new mtime: hashed again, new content seen. */
	write_file(path, "jello", 5);
	o.mtime_ns += 1;
	assert_int_equal(cp_sync_local_md5(&s, &o, 0, md5, &hashed, &err), 0);
	assert_int_equal(hashed, 3);
	cp_hex(md5, 16, hex);
	assert_string_not_equal(hex, "5d41402abc4b2a76b9719d911017c592");
	cp_sync_state_free(&s);
	cp_diags_free(&dg);
	free(file);
	free(path);
}

/* A file that is no database, a database that is not ours, and a database
 * with a damaged page: each is reported, removed and rebuilt empty, never
 * trusted. */
static void test_corrupt_state(void **st)
{
	(void)st;
	char *file = cp_xasprintf("%s/d.db", tmpdir);
	const char txt[] = "cdnpipe-sync-state 1\n"
			   "5 1 2 5d41402abc4b2a76b9719d911017c592 0 - good\n";
	write_file(file, txt, sizeof txt - 1);
	cp_sync_state s;
	cp_diags dg;
	cp_diags_init(&dg);
	cp_state_ent e;
	assert_int_equal(cp_sync_state_open(&s, file, &dg), 0);
	assert_int_equal(dg.n, 1);
	assert_non_null(strstr(dg.v[0].msg, "rebuilt"));
	assert_false(cp_sync_state_lookup(&s, "good", 5, 1, 2, &e));
	unsigned char m[16] = {7};
	for (int i = 0; i < 3000; i++) {
		char rel[32];
		snprintf(rel, sizeof rel, "f%05d", i);
		cp_sync_state_set(&s, rel, 5, 1, 2, m);
	}
	cp_sync_state_free(&s);
	/* pages of the table overwritten with garbage */
	FILE *f = fopen(file, "r+b");
	assert_non_null(f);
	fseek(f, 4096 * 2, SEEK_SET);
	for (int i = 0; i < 4096 * 3; i++)
		fputc(0x5a, f);
	fclose(f);
	assert_int_equal(cp_sync_state_open(&s, file, &dg), 0);
	assert_int_equal(dg.n, 2);
	assert_non_null(strstr(dg.v[1].msg, "rebuilt"));
	assert_false(cp_sync_state_lookup(&s, "f00001", 5, 1, 2, &e));
	assert_false(cp_sync_state_lookup(&s, "f02999", 5, 1, 2, &e));
	cp_sync_state_free(&s);
	assert_int_equal(cp_sync_state_open(&s, file, &dg), 0);
	assert_int_equal(dg.n, 2); /* rebuilt: sound now */
	cp_sync_state_free(&s);
	cp_diags_free(&dg);
	free(file);
}

static void test_paths(void **st)
{
	(void)st;
	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	char *d = cp_sync_cache_dir();
	assert_string_equal(d, "/x/cache/cdnpipe");
	free(d);
	unsetenv("XDG_CACHE_HOME");
	setenv("HOME", "/home/u", 1);
	d = cp_sync_cache_dir();
	assert_string_equal(d, "/home/u/.cache/cdnpipe");
	char *a = cp_sync_state_path(d, "/srv/media"), *b = cp_sync_state_path(d, "/srv/media2");
	assert_string_not_equal(a, b);
	assert_true(!strncmp(a, "/home/u/.cache/cdnpipe/sync-", 28));
	free(a);
	free(b);
	free(d);
}

static void test_journal(void **st)
{
	(void)st;
	char *file = cp_journal_path(tmpdir, "http://h:1|bucket|a b/v.mp4");
	cp_journal j;
	cp_error err = {0};
	assert_int_equal(cp_journal_create(&j, file, "http://h:1|bucket|a b/v.mp4", "UP%ID\n1",
					   8 << 20, 200 << 20, 77, 88, &err),
			 0);
	assert_int_equal(cp_journal_add(&j, 2, "etag2"), 0);
	assert_int_equal(cp_journal_add(&j, 1, "etag1"), 0);
	assert_int_equal(cp_journal_add(&j, 2, "etag2b"), 0); /* a retried part */
	cp_journal_free(&j);
	/* A torn last line (killed mid-write) is ignored. */
	FILE *f = fopen(file, "ab");
	fputs("part 3 etag", f);
	fclose(f);

	assert_int_equal(cp_journal_load(&j, file), 0);
	assert_string_equal(j.dest, "http://h:1|bucket|a b/v.mp4");
	assert_string_equal(j.upload_id, "UP%ID\n1");
	assert_int_equal(j.part_size, 8 << 20);
	assert_int_equal(j.size, 200 << 20);
	assert_int_equal(j.mtime_ns, 77);
	assert_int_equal(j.ino, 88);
	assert_int_equal(j.nparts, 2);
	assert_string_equal(cp_journal_part_etag(&j, 1), "etag1");
	assert_string_equal(cp_journal_part_etag(&j, 2), "etag2b");
	assert_null(cp_journal_part_etag(&j, 3));

	char **files;
	size_t n;
	cp_journal_list(tmpdir, &files, &n);
	assert_int_equal(n, 1);
	assert_string_equal(files[0], file);
	free(files[0]);
	free(files);
	cp_journal_remove(&j);
	cp_journal_free(&j);
	assert_int_equal(cp_journal_load(&j, file), -1);
	cp_journal_free(&j);
	free(file);
}

static void test_part_size(void **st)
{
	(void)st;
	const uint64_t MiB = 1 << 20;
	assert_int_equal(cp_sync_part_size(200 * MiB, 0), 8 * MiB);
	assert_int_equal(cp_sync_part_size(200 * MiB, 1), 5 * MiB);
	assert_int_equal(cp_sync_part_size(200 * MiB, 6 * MiB + 1), 7 * MiB);
	/* 8 MiB * 10,000 = 78.1 GiB: a 100 GiB file needs 16 MiB parts. */
	assert_int_equal(cp_sync_part_size(100ull << 30, 8 * MiB), 16 * MiB);
	/* The largest object S3 allows (5 TiB) still fits in 10,000 parts. */
	uint64_t p = cp_sync_part_size(5ull << 40, 8 * MiB);
	assert_true(cp_s3_part_count(5ull << 40, p) <= 10000);
	assert_true(p <= 5ull << 30);
	for (uint64_t sz = 1; sz < (6ull << 40); sz = sz * 3 + 7) {
		uint64_t q = cp_sync_part_size(sz, 0);
		assert_true(cp_s3_part_count(sz, q) <= 10000);
		assert_true(q >= 5 * MiB);
	}
	assert_int_equal(cp_s3_part_count(16 * MiB, 8 * MiB), 2);
	assert_int_equal(cp_s3_part_count(16 * MiB + 1, 8 * MiB), 3);
}

static void test_mp_etag_file(void **st)
{
	(void)st;
	/* 12 MiB of a known pattern in 5 MiB parts: 3 parts, checked against
	 * the definition (MD5 of the concatenated part MD5s). */
	size_t n = 12 << 20;
	unsigned char *data = cp_xmalloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 7 + (i >> 13));
	char *path = cp_xasprintf("%s/mp.bin", tmpdir);
	write_file(path, (char *)data, n);
	unsigned char cat[48], d[16];
	size_t ps = 5 << 20;
	for (int i = 0; i < 3; i++) {
		size_t len = i < 2 ? ps : n - 2 * ps;
		cp_md5(data + i * ps, len, cat + 16 * i);
	}
	cp_md5(cat, 48, d);
	char want[48];
	cp_hex(d, 16, want);
	strcat(want, "-3");
	char got[48];
	cp_error err = {0};
	assert_int_equal(cp_multipart_etag(path, n, ps, got, &err), 0);
	assert_string_equal(got, want);
	/* The planner helper finds the part size from "-3". */
	cp_sync_obj o = {"mp.bin", path, n, 1, 1, NULL};
	size_t hashed = 0;
	assert_int_equal(cp_sync_local_mp_match(NULL, &o, want, 0, &hashed, &err), 1);
	want[0] = want[0] == 'a' ? 'b' : 'a';
	assert_int_equal(cp_sync_local_mp_match(NULL, &o, want, 0, &hashed, &err), 0);
	free(path);
	free(data);
}

static void test_mtime_format(void **st)
{
	(void)st;
	char b[32];
	int64_t ns;
	cp_sync_format_mtime(1700000000123456789LL, b);
	assert_string_equal(b, "1700000000.123456789");
	assert_int_equal(cp_sync_parse_mtime(b, &ns), 0);
	assert_int_equal(ns, 1700000000123456789LL);
	assert_int_equal(cp_sync_parse_mtime("1700000000", &ns), 0);
	assert_int_equal(ns, 1700000000000000000LL);
	assert_int_equal(cp_sync_parse_mtime("1700000000.5", &ns), 0);
	assert_int_equal(ns, 1700000000500000000LL);
	assert_int_equal(cp_sync_parse_mtime("x", &ns), -1);
	assert_int_equal(cp_sync_parse_mtime("12abc", &ns), -1);
}

/* A side: s3:// by the S3 client's rule, file:// by lib's, else a folder. */
static void test_loc_parse(void **st)
{
	(void)st;
	cp_sync_loc l;
	cp_error err = {0};
	assert_int_equal(cp_sync_loc_parse("s3://media-bucket/users", &l, &err), 0);
	assert_true(l.is_s3);
	assert_string_equal(l.bucket, "media-bucket");
	assert_string_equal(l.prefix, "users/");
	cp_sync_loc_free(&l);
	assert_int_equal(cp_sync_loc_parse("s3://media-bucket", &l, &err), 0);
	assert_string_equal(l.prefix, "");
	cp_sync_loc_free(&l);
	assert_int_not_equal(cp_sync_loc_parse("s3://ab/x", &l, &err), 0); /* bucket too short */
	cp_sync_loc_free(&l);
	assert_int_equal(cp_sync_loc_parse("file://localhost/srv/media", &l, &err), 0);
	assert_false(l.is_s3);
	assert_string_equal(l.root, "/srv/media");
	cp_sync_loc_free(&l);
	cp_error e2 = {0};
	assert_int_not_equal(cp_sync_loc_parse("file://srv/media", &l, &e2), 0);
	cp_sync_loc_free(&l);
	cp_error e3 = {0};
	assert_int_not_equal(cp_sync_loc_parse("gs://bucket/x", &l, &e3), 0);
	cp_sync_loc_free(&l);
	assert_int_equal(cp_sync_loc_parse("media", &l, &err), 0);
	assert_true(l.root[0] == '/' && strstr(l.root, "/media"));
	cp_sync_loc_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),	 cmocka_unit_test(test_change_detection),
	    cmocka_unit_test(test_md5_cached),	 cmocka_unit_test(test_corrupt_state),
	    cmocka_unit_test(test_paths),	 cmocka_unit_test(test_journal),
	    cmocka_unit_test(test_part_size),	 cmocka_unit_test(test_mp_etag_file),
	    cmocka_unit_test(test_mtime_format), cmocka_unit_test(test_loc_parse),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
