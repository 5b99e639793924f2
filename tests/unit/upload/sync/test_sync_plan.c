/*
 * test_sync_plan.c - the sync planner: one test per rule a user relies on
 * (what is copied, skipped, deleted and why), shard coverage, delete guards.
 * Local files are real files in a temporary folder; remote objects are
 * listing entries whose ETags are computed here from the definition.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "upload/sync/sync_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static int setup(void **st)
{
	(void)st;
	return test_tmpdir_make("test_sync_plan");
}

static int teardown(void **st)
{
	(void)st;
	return test_tmpdir_remove();
}

/* Writes a local file and adds it to a listing. */
static void local(cp_sync_list *l, const char *rel, const char *data)
{
	char *path = cp_path_join(tmpdir, rel);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs(data, f);
	fclose(f);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	cp_sync_list_add(l, rel, path, (uint64_t)sb.st_size,
			 (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec, sb.st_ino,
			 NULL);
	free(path);
}

static void remote(cp_sync_list *l, const char *rel, const char *data, int64_t mtime_ns)
{
	unsigned char d[16];
	char hex[33];
	cp_md5(data, strlen(data), d);
	cp_hex(d, 16, hex);
	cp_sync_list_add(l, rel, NULL, strlen(data), mtime_ns, 0, hex);
}

static const cp_sync_item *find(const cp_sync_plan *p, const cp_sync_list *src,
				const cp_sync_list *dst, const char *rel)
{
	for (size_t i = 0; i < p->n; i++) {
		const cp_sync_item *it = &p->items[i];
		const char *r =
		    it->action == CP_SYNC_DELETE ? dst->v[it->dst].rel : src->v[it->src].rel;
		if (!strcmp(r, rel))
			return it;
	}
	return NULL;
}

/* A fake HEAD: metadata per key from a small table. */
struct fake_meta {
	const char *rel;
	const char *md5;
	int64_t mtime;
	int opaque;   /* HEAD shows SSE-KMS/SSE-C */
	int src_only; /* md5 on the source's HEAD only (S3 to S3) */
};
static struct fake_meta metas[8];
static int nheads;

static int fake_head(void *ctx, int which, const cp_sync_obj *o, cp_sync_meta *out)
{
	(void)ctx;
	nheads++;
	for (size_t i = 0; i < sizeof metas / sizeof *metas && metas[i].rel; i++) {
		if (strcmp(metas[i].rel, o->rel))
			continue;
		const char *md5 = metas[i].src_only && which ? NULL : metas[i].md5;
		snprintf(out->md5, sizeof out->md5, "%s", md5 ? md5 : "");
		out->mtime_ns = metas[i].mtime;
		out->etag_opaque = metas[i].opaque;
		return 0;
	}
	return 0;
}

static void test_local_to_s3_rules(void **st)
{
	(void)st;
	cp_sync_list src = {0}, dst = {0};
	local(&src, "new.txt", "brand new");
	local(&src, "grown.txt", "longer now");
	local(&src, "same.txt", "same bytes");
	local(&src, "edited.txt", "AAAA");
	local(&src, "kms.txt", "kms bytes");
	local(&src, "kms2.txt", "kms other");
	local(&src, "mtime.txt", "mtimes");
	remote(&dst, "grown.txt", "short", 0);
	remote(&dst, "same.txt", "same bytes", 0);
	remote(&dst, "edited.txt", "BBBB", 0);
	/* SSE-KMS: an ETag that is no MD5 of the content, but x-amz-meta-md5. */
	cp_sync_list_add(&dst, "kms.txt", NULL, 9, 0, 0, "ffffffffffffffffffffffffffffffff");
	cp_sync_list_add(&dst, "kms2.txt", NULL, 9, 0, 0, "ffffffffffffffffffffffffffffffff");
	/* Unusable ETag and no md5 meta: x-amz-meta-mtime decides. */
	cp_sync_list_add(&dst, "mtime.txt", NULL, 6, 0, 0, "not-an-md5");
	unsigned char d[16];
	static char kmsmd5[33];
	cp_md5("kms bytes", 9, d);
	cp_hex(d, 16, kmsmd5);
	memset(metas, 0, sizeof metas);
	metas[0] = (struct fake_meta){"kms.txt", kmsmd5, -1, 0, 0};
	metas[1] = (struct fake_meta){"kms2.txt", kmsmd5, -1, 0, 0}; /* says other content */
	metas[2] = (struct fake_meta){"mtime.txt", NULL, src.v[6].mtime_ns, 0, 0};

	cp_sync_plan_opts o = {0};
	o.head = fake_head;
	o.jobs = 2;
	cp_sync_plan p;
	cp_diags dg;
	cp_diags_init(&dg);
	cp_error err = {0};
	assert_int_equal(cp_sync_plan_build(&src, 1, &dst, 0, &o, &p, &dg, &err), 0);
	const cp_sync_item *it;
	it = find(&p, &src, &dst, "new.txt");
	assert_int_equal(it->action, CP_SYNC_COPY);
	assert_string_equal(it->why, "missing");
	it = find(&p, &src, &dst, "grown.txt");
	assert_int_equal(it->action, CP_SYNC_COPY);
	assert_string_equal(it->why, "size differs");
	it = find(&p, &src, &dst, "same.txt");
	assert_int_equal(it->action, CP_SYNC_SKIP);
	it = find(&p, &src, &dst, "edited.txt");
	assert_int_equal(it->action, CP_SYNC_COPY);
	assert_string_equal(it->why, "content differs");
	assert_true(it->have_md5);
	it = find(&p, &src, &dst, "kms.txt");
	assert_int_equal(it->action, CP_SYNC_SKIP);
	it = find(&p, &src, &dst, "kms2.txt");
	assert_int_equal(it->action, CP_SYNC_COPY);
	it = find(&p, &src, &dst, "mtime.txt");
	assert_int_equal(it->action, CP_SYNC_SKIP);
	assert_int_equal(p.ncopy, 4);
	assert_int_equal(p.nskip, 3);
	assert_int_equal(p.ndelete, 0);
	cp_sync_plan_free(&p);

	/* --size-only: same-size files are not compared at all. */
	o.rules.size_only = 1;
	nheads = 0;
	assert_int_equal(cp_sync_plan_build(&src, 1, &dst, 0, &o, &p, &dg, &err), 0);
	assert_int_equal(find(&p, &src, &dst, "edited.txt")->action, CP_SYNC_SKIP);
	assert_int_equal(find(&p, &src, &dst, "grown.txt")->action, CP_SYNC_COPY);
	assert_int_equal(p.hashed, 0);
	assert_int_equal(nheads, 0);
	cp_sync_plan_free(&p);
	cp_diags_free(&dg);
	cp_sync_list_free(&src);
	cp_sync_list_free(&dst);
}

/* What may overrule an ETag, and which way the time fallback looks. */
static void test_etag_overrule_and_time(void **st)
{
	(void)st;
	cp_sync_list src = {0}, dst = {0};
	local(&src, "edited.txt", "AAAA");
	local(&src, "kms.txt", "kms!");
	remote(&dst, "edited.txt", "BBBB", 0);
	cp_sync_list_add(&dst, "kms.txt", NULL, 4, 0, 0, "ffffffffffffffffffffffffffffffff");
	memset(metas, 0, sizeof metas);
	/* rclone-style mtime metadata equal to the file's: not enough against a
	 * plain-MD5 ETag that differs ... */
	metas[0] = (struct fake_meta){"edited.txt", NULL, src.v[0].mtime_ns, 0, 0};
	/* ... unless HEAD shows the ETag is no MD5 (SSE-KMS) */
	metas[1] = (struct fake_meta){"kms.txt", NULL, src.v[1].mtime_ns, 1, 0};
	cp_sync_plan_opts o = {.jobs = 1, .head = fake_head};
	cp_sync_plan p;
	cp_error err = {0};
	assert_int_equal(cp_sync_plan_build(&src, 1, &dst, 0, &o, &p, NULL, &err), 0);
	assert_int_equal(find(&p, &src, &dst, "edited.txt")->action, CP_SYNC_COPY);
	assert_int_equal(find(&p, &src, &dst, "kms.txt")->action, CP_SYNC_SKIP);
	cp_sync_plan_free(&p);
	cp_sync_list_free(&src);
	cp_sync_list_free(&dst);

	/* Nothing comparable (a multipart ETag of unknown part size, no
	 * metadata): the source newer than the destination means copy, in both
	 * directions. */
	const char *mp = "0123456789abcdef0123456789abcdef-2";
	cp_sync_list loc = {0}, rem = {0};
	local(&loc, "new.bin", "0123456789");
	local(&loc, "old.bin", "0123456789");
	int64_t t = loc.v[0].mtime_ns;
	cp_sync_list_add(&rem, "new.bin", NULL, 10, t + 3600000000000LL, 0, mp); /* remote newer */
	cp_sync_list_add(&rem, "old.bin", NULL, 10, t - 3600000000000LL, 0, mp); /* remote older */
	memset(metas, 0, sizeof metas);
	assert_int_equal(cp_sync_plan_build(&rem, 0, &loc, 1, &o, &p, NULL, &err),
			 0); /* download */
	assert_int_equal(find(&p, &rem, &loc, "new.bin")->action, CP_SYNC_COPY);
	assert_int_equal(find(&p, &rem, &loc, "old.bin")->action, CP_SYNC_SKIP);
	cp_sync_plan_free(&p);
	assert_int_equal(cp_sync_plan_build(&loc, 1, &rem, 0, &o, &p, NULL, &err), 0); /* upload */
	assert_int_equal(find(&p, &loc, &rem, "new.bin")->action, CP_SYNC_SKIP);
	assert_int_equal(find(&p, &loc, &rem, "old.bin")->action, CP_SYNC_COPY);
	cp_sync_plan_free(&p);
	cp_sync_list_free(&loc);
	cp_sync_list_free(&rem);
}

static void test_multipart_etag_forms(void **st)
{
	(void)st;
	/* 11 MiB: multipart in 8 MiB parts gives "-2". Both the AWS form and
	 * s3rver's plain MD5 of the whole object must count as unchanged. */
	size_t n = 11 << 20;
	char *data = cp_xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)('a' + i % 23);
	data[n] = 0;
	cp_sync_list src = {0}, dst = {0};
	local(&src, "big.bin", data);
	local(&src, "big2.bin", data);
	unsigned char p1[16], p2[16], cat[32], d[16];
	cp_md5(data, 8 << 20, p1);
	cp_md5(data + (8 << 20), n - (8 << 20), p2);
	memcpy(cat, p1, 16);
	memcpy(cat + 16, p2, 16);
	cp_md5(cat, 32, d);
	char et[48];
	cp_hex(d, 16, et);
	strcat(et, "-2");
	cp_sync_list_add(&dst, "big.bin", NULL, n, 0, 0, et);
	remote(&dst, "big2.bin", data, 0);
	cp_sync_plan_opts o = {0};
	o.jobs = 1;
	cp_sync_plan p;
	cp_error err = {0};
	assert_int_equal(cp_sync_plan_build(&src, 1, &dst, 0, &o, &p, NULL, &err), 0);
	assert_int_equal(find(&p, &src, &dst, "big.bin")->action, CP_SYNC_SKIP);
	assert_int_equal(find(&p, &src, &dst, "big2.bin")->action, CP_SYNC_SKIP);
	cp_sync_plan_free(&p);
	/* A wrong multipart ETag, no metadata, and an object older than the
	 * file: copied. */
	et[0] = et[0] == '0' ? '1' : '0';
	free(dst.v[0].etag);
	dst.v[0].etag = cp_xstrdup(et);
	assert_int_equal(cp_sync_plan_build(&src, 1, &dst, 0, &o, &p, NULL, &err), 0);
	assert_int_equal(find(&p, &src, &dst, "big.bin")->action, CP_SYNC_COPY);
	cp_sync_plan_free(&p);
	cp_sync_list_free(&src);
	cp_sync_list_free(&dst);
	free(data);
}

static void test_s3_to_local_and_s3(void **st)
{
	(void)st;
	cp_sync_list src = {0}, loc = {0}, dst = {0};
	remote(&src, "a.txt", "alpha", 0);
	remote(&src, "b.txt", "beta", 0);
	remote(&src, "c.txt", "gamma", 0);
	local(&loc, "a.txt", "alpha");
	local(&loc, "b.txt", "BETA");
	cp_sync_plan_opts o = {0};
	o.jobs = 1;
	cp_sync_plan p;
	cp_error err = {0};
	assert_int_equal(cp_sync_plan_build(&src, 0, &loc, 1, &o, &p, NULL, &err), 0);
	assert_int_equal(find(&p, &src, &loc, "a.txt")->action, CP_SYNC_SKIP);
	assert_int_equal(find(&p, &src, &loc, "b.txt")->action, CP_SYNC_COPY);
	assert_int_equal(find(&p, &src, &loc, "c.txt")->action, CP_SYNC_COPY);
	cp_sync_plan_free(&p);

	remote(&dst, "a.txt", "alpha", 0);
	remote(&dst, "b.txt", "bet4", 0);
	assert_int_equal(cp_sync_plan_build(&src, 0, &dst, 0, &o, &p, NULL, &err), 0);
	assert_int_equal(find(&p, &src, &dst, "a.txt")->action, CP_SYNC_SKIP);
	assert_int_equal(find(&p, &src, &dst, "b.txt")->action, CP_SYNC_COPY);
	assert_int_equal(find(&p, &src, &dst, "c.txt")->action, CP_SYNC_COPY);
	cp_sync_plan_free(&p);
	cp_sync_list_free(&src);
	cp_sync_list_free(&loc);
	cp_sync_list_free(&dst);
}

static void test_delete_and_filters(void **st)
{
	(void)st;
	cp_sync_list src = {0}, dst = {0};
	for (int i = 0; i < 10; i++) {
		char k[32];
		snprintf(k, sizeof k, "k%d.jpg", i);
		remote(&src, k, k, 0);
		remote(&dst, k, k, 0);
	}
	remote(&dst, "old1.jpg", "x", 0);
	remote(&dst, "old2.jpg", "y", 0);
	remote(&dst, "keep.tmp", "z", 0);
	cp_filter f = {0};
	cp_filter_add(&f, 1, "*.tmp");
	cp_sync_plan_opts o = {0};
	o.jobs = 1;
	o.rules.filter = &f;
	o.rules.do_delete = 1;
	o.rules.max_delete = 1000;
	cp_sync_plan p;
	cp_error err = {0};
	assert_int_equal(cp_sync_plan_build(&src, 0, &dst, 0, &o, &p, NULL, &err), 0);
	assert_int_equal(p.ndelete, 2);
	assert_int_equal(find(&p, &src, &dst, "old1.jpg")->action, CP_SYNC_DELETE);
	assert_int_equal(find(&p, &src, &dst, "old2.jpg")->action, CP_SYNC_DELETE);
	assert_null(find(&p, &src, &dst, "keep.tmp")); /* excluded: left alone */
	cp_sync_plan_free(&p);

	/* Without --delete nothing is deleted. */
	o.rules.do_delete = 0;
	assert_int_equal(cp_sync_plan_build(&src, 0, &dst, 0, &o, &p, NULL, &err), 0);
	assert_int_equal(p.ndelete, 0);
	cp_sync_plan_free(&p);

	/* --max-delete 1 refuses two deletes, naming the limit. */
	o.rules.do_delete = 1;
	o.rules.max_delete = 1;
	assert_int_equal(cp_sync_plan_build(&src, 0, &dst, 0, &o, &p, NULL, &err), CP_ERR_BUILD);
	assert_non_null(strstr(err.msg, "--max-delete"));
	cp_sync_plan_free(&p);
	o.rules.force = 1;
	memset(&err, 0, sizeof err);
	assert_int_equal(cp_sync_plan_build(&src, 0, &dst, 0, &o, &p, NULL, &err), 0);
	cp_sync_plan_free(&p);

	/* An empty source (a wrong path, an unmounted disk) would delete all. */
	cp_sync_list empty = {0};
	o.rules.force = 0;
	o.rules.max_delete = 1000;
	memset(&err, 0, sizeof err);
	assert_int_equal(cp_sync_plan_build(&empty, 0, &dst, 0, &o, &p, NULL, &err), CP_ERR_BUILD);
	assert_non_null(strstr(err.msg, "more than half"));
	cp_sync_plan_free(&p);
	cp_filter_free(&f);
	cp_sync_list_free(&src);
	cp_sync_list_free(&dst);
}

static void test_guard_edges(void **st)
{
	(void)st;
	cp_error err = {0};
	assert_int_equal(cp_sync_delete_guard(0, 0, 1000, 0, &err), 0);
	assert_int_equal(cp_sync_delete_guard(5, 10, 1000, 0, &err), 0);
	assert_int_equal(cp_sync_delete_guard(6, 10, 1000, 0, &err), CP_ERR_BUILD);
	memset(&err, 0, sizeof err);
	assert_int_equal(cp_sync_delete_guard(1001, 4000, 1000, 0, &err), CP_ERR_BUILD);
	memset(&err, 0, sizeof err);
	assert_int_equal(cp_sync_delete_guard(1000, 4000, 1000, 0, &err), 0);
	assert_int_equal(cp_sync_delete_guard(1001, 4000, 0, 0, &err), 0); /* 0: no limit */
	assert_int_equal(cp_sync_delete_guard(10, 10, 1000, 1, &err), 0);

	assert_true(cp_sync_key_within("media/a.jpg", "media/"));
	assert_true(cp_sync_key_within("a.jpg", ""));
	assert_false(cp_sync_key_within("media2/a.jpg", "media/"));
	assert_false(cp_sync_key_within("media/", "media/"));
	assert_false(cp_sync_key_within("media/../x", "media/"));
	assert_true(cp_sync_key_within("media/..x", "media/"));
}

/* --shard auto: the 0-based index of the engine becomes shard index + 1. */
static void test_shard_resolve(void **st)
{
	(void)st;
	unsigned i = 0, n = 0;
	char from[256];
	cp_error err = {0};
	cp_sync_shard_env none = {0};
#define RESOLVE(spec, ...)                                                                         \
	(memset(&err, 0, sizeof err),                                                              \
	 cp_sync_shard_resolve(spec, &(cp_sync_shard_env){__VA_ARGS__}, &i, &n, from, sizeof from, \
			       &err))
	assert_int_equal(cp_sync_shard_resolve("2/4", &none, &i, &n, from, sizeof from, &err), 0);
	assert_true(i == 2 && n == 4);
	assert_int_equal(RESOLVE("auto/4", .job_completion_index = "0"), 0);
	assert_true(i == 1 && n == 4);
	assert_non_null(strstr(from, "JOB_COMPLETION_INDEX=0"));
	assert_int_equal(RESOLVE("auto/4", .job_completion_index = "3"), 0);
	assert_true(i == 4 && n == 4);
	assert_int_equal(RESOLVE("auto", .shard_index = "2", .shards = "3"), 0);
	assert_true(i == 3 && n == 3);
	assert_non_null(strstr(from, "CDNPIPE_SHARD_INDEX=2"));
	assert_non_null(strstr(from, "from CDNPIPE_SHARDS"));
	assert_int_equal(
	    RESOLVE("auto/3", .job_completion_index = "1", .shard_index = "1", .shards = "3"), 0);
	assert_true(i == 2 && n == 3);
	assert_int_equal(RESOLVE("auto/1", .job_completion_index = "0"), 0);
	assert_true(i == 1 && n == 1);
	/* Usage errors, each naming what is wrong. */
	struct {
		const char *spec;
		cp_sync_shard_env env;
		const char *says;
	} bad[] = {
	    {"auto/4", {0}, "no shard index"},
	    {"auto", {.job_completion_index = "1"}, "no shard count"},
	    {"auto/4", {.job_completion_index = "4"}, "not below"},
	    {"auto", {.shard_index = "3", .shards = "3"}, "not below"},
	    {"auto/4", {.job_completion_index = "x"}, "not a shard index"},
	    {"auto/4", {.job_completion_index = ""}, "not a shard index"},
	    {"auto/4", {.job_completion_index = "-1"}, "not a shard index"},
	    {"auto/4", {.job_completion_index = " 1"}, "not a shard index"},
	    {"auto/4", {.job_completion_index = "1.0"}, "not a shard index"},
	    {"auto/4", {.job_completion_index = "99999999999999999999999"}, "not a shard index"},
	    {"auto/4", {.job_completion_index = "1", .shards = "3"}, "disagree"},
	    {"auto/4", {.job_completion_index = "1", .shard_index = "2"}, "disagree"},
	    {"auto", {.job_completion_index = "1", .shards = "zero"}, "CDNPIPE_SHARDS"},
	    {"auto", {.job_completion_index = "0", .shards = "0"}, "CDNPIPE_SHARDS"},
	    {"auto/0", {.job_completion_index = "0"}, "auto/N"},
	    {"auto/x", {.job_completion_index = "0"}, "auto/N"},
	    {"auto/", {.job_completion_index = "0"}, "auto/N"},
	    {"autox", {.job_completion_index = "0"}, "--shard wants"},
	    {"0/4", {0}, "--shard wants"},
	};
	for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
		memset(&err, 0, sizeof err);
		assert_int_equal(cp_sync_shard_resolve(bad[k].spec, &bad[k].env, &i, &n, from,
						       sizeof from, &err),
				 CP_ERR_USAGE);
		if (!strstr(err.msg, bad[k].says))
			fail_msg("%s: '%s' lacks '%s'", bad[k].spec, err.msg, bad[k].says);
	}
#undef RESOLVE
}

static void test_shards(void **st)
{
	(void)st;
	unsigned i, n;
	assert_int_equal(cp_sync_parse_shard("2/4", &i, &n), 0);
	assert_int_equal(i, 2);
	assert_int_equal(n, 4);
	assert_int_equal(cp_sync_parse_shard("0/4", &i, &n), -1);
	assert_int_equal(cp_sync_parse_shard("5/4", &i, &n), -1);
	assert_int_equal(cp_sync_parse_shard("1/0", &i, &n), -1);
	assert_int_equal(cp_sync_parse_shard("1-4", &i, &n), -1);
	assert_int_equal(cp_sync_parse_shard("1/4x", &i, &n), -1);
	/* Every key in exactly one shard, for several N, and no shard empty or
	 * far above its share. */
	for (unsigned nn = 1; nn <= 7; nn++) {
		size_t count[8] = {0};
		for (int k = 0; k < 20000; k++) {
			char key[64];
			snprintf(key, sizeof key, "uploads/%d/photo %d.jpg", k / 100, k);
			int hits = 0;
			for (unsigned s = 1; s <= nn; s++)
				if (cp_sync_in_shard(key, s, nn)) {
					hits++;
					count[s]++;
				}
			assert_int_equal(hits, 1);
		}
		for (unsigned s = 1; s <= nn; s++)
			assert_true(count[s] > 20000 / nn * 8 / 10 &&
				    count[s] < 20000 / nn * 12 / 10);
	}
	/* The plan of each shard holds its keys only, deletes included; the
	 * shards together hold every key once. */
	cp_sync_list src = {0}, dst = {0};
	for (int k = 0; k < 300; k++) {
		char key[32];
		snprintf(key, sizeof key, "f%d", k);
		remote(&src, key, key, 0);
		snprintf(key, sizeof key, "gone%d", k);
		remote(&dst, key, key, 0);
	}
	int seen[600] = {0};
	for (unsigned s = 1; s <= 3; s++) {
		cp_sync_plan_opts o = {
		    .jobs = 1, .rules = {.shard_i = s, .shard_n = 3, .do_delete = 1, .force = 1}};
		cp_sync_plan p;
		cp_error err = {0};
		assert_int_equal(cp_sync_plan_build(&src, 0, &dst, 0, &o, &p, NULL, &err), 0);
		for (size_t x = 0; x < p.n; x++)
			seen[p.items[x].action == CP_SYNC_DELETE ? 300 + p.items[x].dst
								 : p.items[x].src]++;
		cp_sync_plan_free(&p);
	}
	for (int k = 0; k < 600; k++)
		assert_int_equal(seen[k], 1);
	cp_sync_list_free(&src);
	cp_sync_list_free(&dst);
}

/* The guards count what is in scope: the destination objects the filters let
 * through, and the deletes of the whole job, whichever shard this run is. */
static void test_guard_scope(void **st)
{
	(void)st;
	cp_sync_list src = {0}, dst = {0}, empty = {0};
	for (int k = 0; k < 300; k++) {
		char key[32];
		snprintf(key, sizeof key, "m/%d.jpg", k);
		remote(&dst, key, key, 0);
		if (k < 200)
			remote(&src, key, key, 0);
	}
	for (int k = 0; k < 10; k++) {
		char key[32];
		snprintf(key, sizeof key, "img/%d.png", k);
		remote(&dst, key, key, 0);
	}
	cp_sync_plan p;
	cp_error err = {0};
	/* An empty source under --shard: every shard refuses, none deletes its
	 * third (the 2,500-object case of issue 9, scaled down). */
	for (unsigned s = 1; s <= 3; s++) {
		cp_sync_plan_opts o = {.jobs = 1,
				       .rules = {.shard_i = s, .shard_n = 3, .do_delete = 1}};
		memset(&err, 0, sizeof err);
		assert_int_equal(cp_sync_plan_build(&empty, 0, &dst, 0, &o, &p, NULL, &err),
				 CP_ERR_BUILD);
		assert_non_null(strstr(err.msg, "more than half"));
		assert_non_null(strstr(err.msg, "all 3 shards"));
		cp_sync_plan_free(&p);
	}
	/* --max-delete counts the job: 110 deletes in all, about 37 per shard. */
	for (unsigned s = 1; s <= 3; s++) {
		cp_sync_plan_opts o = {
		    .jobs = 1,
		    .rules = {.shard_i = s, .shard_n = 3, .do_delete = 1, .max_delete = 50}};
		memset(&err, 0, sizeof err);
		assert_int_equal(cp_sync_plan_build(&src, 0, &dst, 0, &o, &p, NULL, &err),
				 CP_ERR_BUILD);
		assert_true(p.ndelete < 50);
		assert_non_null(strstr(err.msg, "--max-delete"));
		cp_sync_plan_free(&p);
	}
	/* The same job unsharded and under the limit is allowed: 110 of 310. */
	cp_sync_plan_opts o = {.jobs = 1, .rules = {.do_delete = 1, .max_delete = 200}};
	memset(&err, 0, sizeof err);
	assert_int_equal(cp_sync_plan_build(&src, 0, &dst, 0, &o, &p, NULL, &err), 0);
	assert_int_equal(p.ndelete, 110);
	cp_sync_plan_free(&p);
	/* A filter narrows the scope: all 10 img/ objects go, which is more
	 * than half of what the filter lets through, however big the bucket. */
	cp_filter f = {0};
	cp_filter_add(&f, 0, "img/*");
	o.rules.filter = &f;
	memset(&err, 0, sizeof err);
	assert_int_equal(cp_sync_plan_build(&src, 0, &dst, 0, &o, &p, NULL, &err), CP_ERR_BUILD);
	assert_non_null(strstr(err.msg, "10 of the 10 objects in scope"));
	cp_sync_plan_free(&p);
	cp_filter_free(&f);
	cp_sync_list_free(&src);
	cp_sync_list_free(&dst);
}

/* A dangling link in a local source (an unmounted disk behind it): nothing
 * at or below its path is deleted.  And S3 to S3 onto SSE-KMS settles. */
static void test_kept_paths_and_kms_s3(void **st)
{
	(void)st;
	cp_sync_list src = {0}, dst = {0};
	remote(&src, "index.html", "i", 0);
	remote(&dst, "index.html", "i", 0);
	remote(&dst, "photos/a.jpg", "a", 0);
	remote(&dst, "photos/sub/b.jpg", "b", 0);
	remote(&dst, "photos2/c.jpg", "c", 0); /* a sibling with a longer name: not kept */
	const char *keep[] = {"photos"};
	cp_sync_plan_opts o = {
	    .jobs = 1, .rules = {.do_delete = 1, .force = 1}, .keep = keep, .nkeep = 1};
	cp_sync_plan p;
	cp_error err = {0};
	assert_int_equal(cp_sync_plan_build(&src, 0, &dst, 0, &o, &p, NULL, &err), 0);
	assert_int_equal(p.ndelete, 1);
	assert_int_equal(find(&p, &src, &dst, "photos2/c.jpg")->action, CP_SYNC_DELETE);
	assert_null(find(&p, &src, &dst, "photos/a.jpg"));
	assert_null(find(&p, &src, &dst, "photos/sub/b.jpg"));
	cp_sync_plan_free(&p);
	cp_sync_list_free(&src);
	cp_sync_list_free(&dst);

	/* KMS ETags look like MD5s and differ; HEAD shows SSE-KMS, no md5 meta:
	 * the time rule decides (the copy is newer than its source). */
	cp_sync_list a = {0}, b = {0};
	cp_sync_list_add(&a, "k.txt", NULL, 3, 1000000000000LL, 0,
			 "11111111111111111111111111111111");
	cp_sync_list_add(&b, "k.txt", NULL, 3, 2000000000000LL, 0,
			 "22222222222222222222222222222222");
	cp_sync_list_add(&a, "n.txt", NULL, 3, 3000000000000LL, 0,
			 "33333333333333333333333333333333");
	cp_sync_list_add(&b, "n.txt", NULL, 3, 2000000000000LL, 0,
			 "44444444444444444444444444444444");
	cp_sync_list_add(&a, "p.txt", NULL, 3, 1000000000000LL, 0,
			 "55555555555555555555555555555555");
	cp_sync_list_add(&b, "p.txt", NULL, 3, 2000000000000LL, 0,
			 "66666666666666666666666666666666");
	memset(metas, 0, sizeof metas);
	metas[0] = (struct fake_meta){"k.txt", NULL, -1, 1, 0};
	metas[1] = (struct fake_meta){"n.txt", NULL, -1, 1, 0};
	/* q.txt: the source vouches for an MD5 (x-amz-meta-md5), the KMS copy
	 * cannot: copied, however new the copy looks (it may be tampered with) */
	cp_sync_list_add(&a, "q.txt", NULL, 3, 1000000000000LL, 0,
			 "77777777777777777777777777777777");
	cp_sync_list_add(&b, "q.txt", NULL, 3, 2000000000000LL, 0,
			 "88888888888888888888888888888888");
	metas[2] = (struct fake_meta){"q.txt", "99999999999999999999999999999999", -1, 1, 1};
	/* p.txt: plain MD5s on both sides that differ: different, whatever the time */
	o = (cp_sync_plan_opts){.jobs = 1, .head = fake_head};
	assert_int_equal(cp_sync_plan_build(&a, 0, &b, 0, &o, &p, NULL, &err), 0);
	assert_int_equal(find(&p, &a, &b, "k.txt")->action, CP_SYNC_SKIP);
	assert_int_equal(find(&p, &a, &b, "n.txt")->action, CP_SYNC_COPY); /* source newer */
	assert_int_equal(find(&p, &a, &b, "p.txt")->action, CP_SYNC_COPY);
	assert_int_equal(find(&p, &a, &b, "q.txt")->action, CP_SYNC_COPY);
	cp_sync_plan_free(&p);
	cp_sync_list_free(&a);
	cp_sync_list_free(&b);
}

static void test_strmap(void **st)
{
	(void)st;
	cp_strmap m = {0};
	char **keys = cp_xmalloc(5000 * sizeof *keys);
	for (size_t i = 0; i < 5000; i++) {
		keys[i] = cp_xasprintf("k/%zu", i);
		cp_strmap_put(&m, keys[i], i);
	}
	for (size_t i = 0; i < 5000; i++) {
		size_t v;
		assert_true(cp_strmap_get(&m, keys[i], &v));
		assert_int_equal(v, i);
	}
	size_t v;
	assert_false(cp_strmap_get(&m, "k/5000", &v));
	cp_strmap_put(&m, keys[3], 77);
	assert_true(cp_strmap_get(&m, "k/3", &v));
	assert_int_equal(v, 77);
	assert_int_equal(m.n, 5000);
	cp_strmap_free(&m);
	for (size_t i = 0; i < 5000; i++)
		free(keys[i]);
	free(keys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_local_to_s3_rules),
	    cmocka_unit_test(test_etag_overrule_and_time),
	    cmocka_unit_test(test_multipart_etag_forms),
	    cmocka_unit_test(test_s3_to_local_and_s3),
	    cmocka_unit_test(test_delete_and_filters),
	    cmocka_unit_test(test_guard_edges),
	    cmocka_unit_test(test_guard_scope),
	    cmocka_unit_test(test_kept_paths_and_kms_s3),
	    cmocka_unit_test(test_shards),
	    cmocka_unit_test(test_shard_resolve),
	    cmocka_unit_test(test_strmap),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
