/*
 * s3drive.c - a small driver of the S3 client for the integration tests.
 *
 * test_s3_client.py builds it against build/libcdnpipe.a and runs one
 * operation per invocation against the s3rver + verifying proxy fixture,
 * reading the configuration from the environment exactly as cdnpipe does.
 * Results are printed as one JSON object (jansson) so the test can check
 * them; exit status 0 on success, 1 on a failed operation, 2 on misuse.
 *
 *   s3drive [-v] [-c CONC] [-r RETRIES] CMD ARGS...
 *     put B K FILE [CT [CC [CE]]]     putmem B K TEXT
 *     putfile B K FILE THRESHOLD PART [keep]
 *     putdir B PREFIX DIR             (every regular file of DIR, async)
 *     get B K OUT                     getfd B K OUT
 *     head B K                        list B PREFIX
 *     delete B K...                   copy SB SK DB DK
 *     mpu-create B K                  mpu-abort B K ID
 *     partcopy SB SK OFF LEN B K ID N putmem-badmd5 B K TEXT
 *     uploads B PREFIX
 *     etag FILE PART                  match ETAG FILE
 *     sign METHOD PATH QUERY DATE PAYLOAD NAME:VALUE...
 *     config                          target URL
 */
#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/log.h"
#include "lib/mime.h"
#include "upload/s3/s3.h"
#include "upload/s3/sigv4.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	printf("%s\n", s);
	free(s);
	json_decref(j);
	return 0;
}

static json_t *result_json(const cp_s3_result *r)
{
	json_t *j = json_object();
	json_object_set_new(j, "ok", json_boolean(r->ok));
	json_object_set_new(j, "status", json_integer(r->status));
	json_object_set_new(j, "code", json_string(r->code));
	json_object_set_new(j, "attempts", json_integer(r->attempts));
	json_object_set_new(j, "etag", json_string(r->etag));
	json_object_set_new(j, "size", json_integer((json_int_t)r->size));
	json_object_set_new(j, "mtime", json_integer((json_int_t)r->mtime));
	if (!r->ok) {
		char msg[2200];
		cp_error_format(&r->err, msg, sizeof(msg));
		json_object_set_new(j, "error", json_string(msg));
	}
	json_t *h = json_object();
	for (size_t i = 0; i < r->nheaders; i++)
		json_object_set_new(h, r->headers[i].name, json_string(r->headers[i].value));
	json_object_set_new(j, "headers", h);
	return j;
}

static int report(int rc, cp_s3_result *r)
{
	print_json(result_json(r));
	cp_s3_result_free(r);
	return rc ? 1 : 0;
}

static int list_cb(void *ctx, const cp_s3_object *o)
{
	json_t *a = ctx;
	json_t *j = json_object();
	json_object_set_new(j, "key", json_string(o->key));
	json_object_set_new(j, "size", json_integer((json_int_t)o->size));
	json_object_set_new(j, "etag", json_string(o->etag));
	json_object_set_new(j, "mtime", json_integer((json_int_t)o->mtime));
	json_array_append_new(a, j);
	return 0;
}

static int uploads_cb(void *ctx, const cp_s3_upload *u)
{
	json_array_append_new(ctx, json_pack("{ss ss}", "key", u->key, "id", u->upload_id));
	return 0;
}

static void delete_fail(void *ctx, const char *key, const char *code, const char *msg)
{
	json_array_append_new(ctx, json_pack("{ss ss ss}", "key", key, "code", code, "msg", msg));
}

typedef struct dir_state {
	pthread_mutex_t lock;
	int ok, failed;
	int on_caller; /* completions run on the submitting thread (must stay 0) */
	pthread_t caller;
	json_t *errors;
} dir_state;

static void dir_done(void *ctx, const cp_s3_result *r)
{
	dir_state *d = ctx;
	/* the submitter holds d->lock while submitting: a completion on its
	 * thread would deadlock right here */
	pthread_mutex_lock(&d->lock);
	d->on_caller += pthread_equal(pthread_self(), d->caller) != 0;
	if (r->ok) {
		d->ok++;
	} else {
		d->failed++;
		char msg[2200];
		cp_error_format(&r->err, msg, sizeof(msg));
		json_array_append_new(d->errors, json_string(msg));
	}
	pthread_mutex_unlock(&d->lock);
}

static int putdir(cp_s3 *s, const char *bucket, const char *prefix, const char *dir)
{
	dir_state d = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, pthread_self(), json_array()};
	DIR *dp = opendir(dir);
	if (!dp)
		return 2;
	struct dirent *e;
	while ((e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		char *path = cp_xasprintf("%s/%s", dir, e->d_name);
		char *key = cp_xasprintf("%s%s", prefix, e->d_name);
		cp_s3_put_headers h = {0};
		h.content_type = cp_mime_type(path);
		cp_s3_wait_below(s, 64);
		pthread_mutex_lock(&d.lock);
		cp_s3_put_file(s, bucket, key, path, &h, NULL, dir_done, &d, NULL);
		pthread_mutex_unlock(&d.lock);
		free(path);
		free(key);
	}
	closedir(dp);
	cp_s3_wait_idle(s);
	print_json(json_pack("{si si si so}", "ok", d.ok, "failed", d.failed, "on_caller",
			     d.on_caller, "errors", d.errors));
	return d.failed ? 1 : 0;
}

static int sign(int argc, char **argv)
{
	/* METHOD PATH QUERY DATE PAYLOAD NAME:VALUE... */
	if (argc < 5)
		return 2;
	int n = argc - 5;
	cp_sigv4_header *h = calloc((size_t)n + 1, sizeof(*h));
	for (int i = 0; i < n; i++) {
		char *c = strchr(argv[5 + i], ':');
		if (!c)
			return 2;
		*c = 0;
		h[i].name = argv[5 + i];
		h[i].value = c + 1;
	}
	cp_sigv4_input in = {argv[0],
			     argv[1],
			     argv[2],
			     h,
			     (size_t)n,
			     argv[4],
			     argv[3],
			     "us-east-1",
			     "s3",
			     "AKIAIOSFODNN7EXAMPLE",
			     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
	char *cr = cp_sigv4_canonical_request(&in);
	char *sts = cp_sigv4_string_to_sign(&in, cr);
	char sig[65];
	cp_sigv4_signature(&in, sts, sig);
	char *enc = cp_s3_uri_encode(argv[1], 1);
	print_json(json_pack("{ss ss ss}", "canonical_request", cr, "signature", sig,
			     "encoded_path", enc));
	free(enc);
	free(cr);
	free(sts);
	free(h);
	return 0;
}

/* One branch per driver command; each is one client call and one printed
 * result, so splitting main would spread a flat list over many functions
 * without making any branch easier to read. */
int main(int argc, char **argv)
{
	int conc = 16, retries = 5, i = 1;
	cp_log_level = CP_LOG_ERROR;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-v") == 0)
			cp_log_level = CP_LOG_INFO;
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			conc = atoi(argv[++i]);
		else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
			retries = atoi(argv[++i]);
	}
	if (i >= argc)
		return 2;
	const char *cmd = argv[i++];
	char **a = argv + i;
	int na = argc - i;
	cp_error err = {0};
	char msg[2200];
	if (strcmp(cmd, "sign") == 0)
		return sign(na, a);
	if (strcmp(cmd, "etag") == 0 && na == 2) {
		struct stat st;
		char out[48];
		if (stat(a[0], &st) != 0 ||
		    cp_multipart_etag(a[0], (uint64_t)st.st_size, strtoull(a[1], NULL, 10), out,
				      &err) != 0)
			return 1;
		return print_json(json_pack("{ss}", "etag", out));
	}
	if (strcmp(cmd, "match") == 0 && na == 2) {
		struct stat st;
		if (stat(a[1], &st) != 0)
			return 1;
		int m = cp_s3_etag_matches(a[0], a[1], (uint64_t)st.st_size, NULL, &err);
		return print_json(json_pack("{si}", "match", m));
	}
	if (strcmp(cmd, "target") == 0 && na == 1) {
		cp_s3_target t;
		if (cp_s3_target_parse(a[0], &t, &err) != 0) {
			cp_error_format(&err, msg, sizeof(msg));
			print_json(json_pack("{ss}", "error", msg));
			return 1;
		}
		print_json(json_pack("{ss ss}", "bucket", t.bucket, "prefix", t.prefix));
		cp_s3_target_free(&t);
		return 0;
	}
	cp_s3_overrides ov = {getenv("S3DRIVE_ENDPOINT"), getenv("S3DRIVE_REGION"),
			      getenv("S3DRIVE_PROFILE"), 0};
	if (getenv("S3DRIVE_ADDRESSING"))
		ov.addressing = atoi(getenv("S3DRIVE_ADDRESSING"));
	cp_s3_config cfg;
	if (cp_s3_config_load(&cfg, &ov, &err) != 0) {
		cp_error_format(&err, msg, sizeof(msg));
		print_json(json_pack("{ss}", "error", msg));
		return 1;
	}
	if (strcmp(cmd, "config") == 0) {
		/* the secret is reported by length only: the test checks it was read */
		json_t *j = json_object();
		json_object_set_new(j, "access_key", json_string(cfg.access_key));
		json_object_set_new(j, "secret_len",
				    json_integer((json_int_t)strlen(cfg.secret_key)));
		json_object_set_new(j, "session_token",
				    cfg.session_token ? json_string(cfg.session_token)
						      : json_null());
		json_object_set_new(j, "region", json_string(cfg.region));
		json_object_set_new(j, "endpoint", json_string(cfg.endpoint));
		json_object_set_new(j, "path_style", json_integer(cfg.path_style));
		json_object_set_new(j, "ca_bundle",
				    cfg.ca_bundle ? json_string(cfg.ca_bundle) : json_null());
		json_object_set_new(j, "profile", json_string(cfg.profile));
		print_json(j);
		cp_s3_config_free(&cfg);
		return 0;
	}
	cp_s3 *s = cp_s3_new(&cfg, conc, retries, &err);
	cp_s3_config_free(&cfg);
	if (!s)
		return 1;
	cp_s3_result r;
	int rc = 2;
	if (strcmp(cmd, "put") == 0 && na >= 3) {
		cp_s3_body b = {0};
		b.file = a[2];
		b.length = UINT64_MAX;
		cp_s3_header meta[] = {{"md5", "x"}, {"Note", "hello world"}};
		cp_s3_put_headers h = {0};
		h.content_type = na > 3 ? a[3] : NULL;
		h.cache_control = na > 4 ? a[4] : NULL;
		h.content_encoding = na > 5 ? a[5] : NULL;
		h.meta = meta + 1;
		h.nmeta = 1;
		rc = report(cp_s3_put(s, a[0], a[1], &b, &h, NULL, NULL, &r), &r);
	} else if (strcmp(cmd, "putmem") == 0 && na == 3) {
		cp_s3_body b = {0};
		b.data = a[2];
		b.len = strlen(a[2]);
		rc = report(cp_s3_put(s, a[0], a[1], &b, NULL, NULL, NULL, &r), &r);
	} else if (strcmp(cmd, "putmem-badmd5") == 0 && na == 3) {
		/* a Content-MD5 that is not the body's: the server answers BadDigest */
		unsigned char wrong[16] = {1, 2, 3};
		cp_s3_body b = {0};
		b.data = a[2];
		b.len = strlen(a[2]);
		b.md5 = wrong;
		rc = report(cp_s3_put(s, a[0], a[1], &b, NULL, NULL, NULL, &r), &r);
	} else if (strcmp(cmd, "partcopy") == 0 && na == 8) {
		rc = report(cp_s3_mpu_part_copy(s, a[0], a[1], strtoull(a[2], NULL, 10),
						strtoull(a[3], NULL, 10), a[4], a[5], a[6],
						atoi(a[7]), NULL, NULL, &r),
			    &r);
	} else if (strcmp(cmd, "mpu-create") == 0 && na == 2) {
		rc = cp_s3_mpu_create(s, a[0], a[1], NULL, NULL, NULL, &r);
		json_t *j = result_json(&r);
		json_object_set_new(j, "upload_id", json_string(r.upload_id ? r.upload_id : ""));
		print_json(j);
		cp_s3_result_free(&r);
		rc = rc ? 1 : 0;
	} else if (strcmp(cmd, "putfile") == 0 && na >= 5) {
		cp_s3_file_opts o = {0};
		o.threshold = strtoull(a[3], NULL, 10);
		o.part_size = strtoull(a[4], NULL, 10);
		o.keep_on_failure = na > 5 && strcmp(a[5], "keep") == 0;
		cp_s3_put_headers h = {0};
		h.content_type = cp_mime_type(a[2]);
		rc = report(cp_s3_put_file(s, a[0], a[1], a[2], &h, &o, NULL, NULL, &r), &r);
	} else if (strcmp(cmd, "putdir") == 0 && na == 3) {
		rc = putdir(s, a[0], a[1], a[2]);
	} else if (strcmp(cmd, "get") == 0 && na == 3) {
		rc = report(cp_s3_get_file(s, a[0], a[1], a[2], NULL, NULL, &r), &r);
	} else if (strcmp(cmd, "getfd") == 0 && na == 3) {
		int fd = open(a[2], O_RDWR | O_CREAT | O_TRUNC, 0644);
		rc = report(cp_s3_get_fd(s, a[0], a[1], fd, 0, 0, NULL, NULL, &r), &r);
		close(fd);
	} else if (strcmp(cmd, "head") == 0 && na == 2) {
		rc = report(cp_s3_head(s, a[0], a[1], NULL, NULL, &r), &r);
	} else if (strcmp(cmd, "copy") == 0 && na == 4) {
		rc = report(cp_s3_copy(s, a[0], a[1], a[2], a[3], NULL, NULL, NULL, &r), &r);
	} else if (strcmp(cmd, "mpu-abort") == 0 && na == 3) {
		rc = report(cp_s3_mpu_abort(s, a[0], a[1], a[2], NULL, NULL, &r), &r);
	} else if (strcmp(cmd, "list") == 0 && na == 2) {
		json_t *arr = json_array();
		rc = cp_s3_list(s, a[0], a[1], list_cb, arr, &err);
		cp_error_format(&err, msg, sizeof(msg));
		print_json(json_pack("{so ss}", "objects", arr, "error", rc ? msg : ""));
		rc = rc ? 1 : 0;
	} else if (strcmp(cmd, "uploads") == 0 && na == 2) {
		json_t *arr = json_array();
		rc = cp_s3_list_uploads(s, a[0], a[1], uploads_cb, arr, &err);
		cp_error_format(&err, msg, sizeof(msg));
		print_json(json_pack("{so ss}", "uploads", arr, "error", rc ? msg : ""));
		rc = rc ? 1 : 0;
	} else if (strcmp(cmd, "delete") == 0 && na >= 1) {
		json_t *arr = json_array();
		rc = cp_s3_delete(s, a[0], (const char *const *)a + 1, (size_t)na - 1, delete_fail,
				  arr, &err);
		cp_error_format(&err, msg, sizeof(msg));
		print_json(json_pack("{so ss}", "failed", arr, "error", rc ? msg : ""));
		rc = rc ? 1 : 0;
	}
	cp_s3_stats st;
	cp_s3_get_stats(s, &st);
	fprintf(stderr, "stats: requests=%llu retries=%llu puts=%llu connects=%llu\n",
		(unsigned long long)st.requests, (unsigned long long)st.retries,
		(unsigned long long)st.puts, (unsigned long long)st.connects);
	cp_s3_free(s);
	return rc;
}
