/*
 * test_sync_copy.c - how sync builds a server-side copy above 5 GiB
 * (CreateMultipartUpload, UploadPartCopy ranges, Complete).  s3rver has no
 * UploadPartCopy, so the requests go to a small HTTP server in this test
 * that records them and answers as S3 would; the test then checks the
 * requests themselves: copy source encoding, byte ranges that tile the
 * object exactly, part numbers, and the Complete body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "upload/sync/sync_run.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXREQ 256

struct req {
	char method[8];
	char target[1024];
	char copy_source[1024];
	char range[128];
	char *body;
};

static struct server {
	int lfd, port;
	pthread_t th;
	pthread_mutex_t lock;
	struct req reqs[MAXREQ];
	int n;
	int fail_part; /* answer 403 to this part number (0: none) */
} srv;

static int read_line(int fd, char *buf, size_t n)
{
	size_t i = 0;
	while (i + 1 < n) {
		char c;
		if (read(fd, &c, 1) != 1)
			return -1;
		if (c == '\n')
			break;
		if (c != '\r')
			buf[i++] = c;
	}
	buf[i] = 0;
	return (int)i;
}

static void respond(int fd, int status, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nContent-Type: application/xml\r\n"
			 "\r\n",
			 status, strlen(body));
	if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0)
		return;
}

static void *conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char line[4096];
	while (read_line(fd, line, sizeof line) > 0) {
		struct req rq = {0};
		sscanf(line, "%7s %1023s", rq.method, rq.target);
		size_t clen = 0;
		while (read_line(fd, line, sizeof line) > 0) {
			if (!strncasecmp(line, "content-length:", 15))
				clen = strtoul(line + 15, NULL, 10);
			else if (!strncasecmp(line, "x-amz-copy-source:", 18))
				snprintf(rq.copy_source, sizeof rq.copy_source, "%.1000s",
					 line + 19);
			else if (!strncasecmp(line, "x-amz-copy-source-range:", 24))
				snprintf(rq.range, sizeof rq.range, "%.100s", line + 25);
		}
		rq.body = calloc(1, clen + 1);
		size_t got = 0;
		while (got < clen) {
			ssize_t r = read(fd, rq.body + got, clen - got);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		pthread_mutex_lock(&srv.lock);
		int fail = 0;
		if (srv.n < MAXREQ)
			srv.reqs[srv.n++] = rq;
		char want[32];
		snprintf(want, sizeof want, "partNumber=%d&", srv.fail_part);
		fail = srv.fail_part && strstr(rq.target, want);
		pthread_mutex_unlock(&srv.lock);
		if (fail)
			respond(fd, 403,
				"<Error><Code>AccessDenied</Code><Message>no</Message></Error>");
		else if (!strcmp(rq.method, "POST") && strstr(rq.target, "?uploads"))
			respond(fd, 200,
				"<InitiateMultipartUploadResult><Bucket>d</Bucket><Key>k</Key>"
				"<UploadId>UP-1</UploadId></InitiateMultipartUploadResult>");
		else if (!strcmp(rq.method, "PUT"))
			respond(
			    fd, 200,
			    "<CopyPartResult><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
			    "<ETag>\"0123456789abcdef0123456789abcdef\"</ETag></CopyPartResult>");
		else if (!strcmp(rq.method, "POST"))
			respond(fd, 200,
				"<CompleteMultipartUploadResult><ETag>"
				"\"ffffffffffffffffffffffffffffffff-"
				"13\"</ETag></CompleteMultipartUploadResult>");
		else
			respond(fd, 204, "");
	}
	close(fd);
	return NULL;
}

static void *accept_main(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(srv.lfd, NULL, NULL);
		if (fd < 0)
			return NULL;
		pthread_t t;
		pthread_create(&t, NULL, conn_main, (void *)(intptr_t)fd);
		pthread_detach(t);
	}
}

static int setup(void **st)
{
	(void)st;
	pthread_mutex_init(&srv.lock, NULL);
	srv.lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	if (bind(srv.lfd, (struct sockaddr *)&a, sizeof a) || listen(srv.lfd, 64) ||
	    getsockname(srv.lfd, (struct sockaddr *)&a, &al))
		return -1;
	srv.port = ntohs(a.sin_port);
	pthread_create(&srv.th, NULL, accept_main, NULL);
	return 0;
}

static cp_s3 *client(void)
{
	char ep[64];
	snprintf(ep, sizeof ep, "http://127.0.0.1:%d", srv.port);
	cp_s3_config cfg = {.access_key = "AK",
			    .secret_key = "SK",
			    .region = "us-east-1",
			    .endpoint = ep,
			    .path_style = 1,
			    .profile = "default"};
	cp_error err = {0};
	cp_s3 *s3 = cp_s3_new(&cfg, 4, 0, &err);
	assert_non_null(s3);
	return s3;
}

static void reset(void)
{
	pthread_mutex_lock(&srv.lock);
	for (int i = 0; i < srv.n; i++)
		free(srv.reqs[i].body);
	srv.n = 0;
	pthread_mutex_unlock(&srv.lock);
}

static void test_part_copy_requests(void **st)
{
	(void)st;
	reset();
	cp_s3 *s3 = client();
	/* 6 GiB + 1 byte, above CopyObject's limit, in 512 MiB parts: 13. */
	uint64_t size = (6ull << 30) + 1;
	cp_s3_put_headers h = {.content_type = "video/mp4"};
	cp_error err = {0};
	int rc = sync_copy_big(s3, "src-b", "media/a b+ü.mp4", "dst-b", "backup/a b+ü.mp4", size, 0,
			       4, &h, &err);
	cp_s3_free(s3);
	assert_int_equal(rc, 0);

	int creates = 0, completes = 0, nparts = 0;
	uint64_t covered[14] = {0}, starts[14] = {0};
	for (int i = 0; i < srv.n; i++) {
		struct req *r = &srv.reqs[i];
		/* Every request addresses the destination key, encoded. */
		assert_non_null(strstr(r->target, "/dst-b/backup/a%20b%2B%C3%BC.mp4"));
		if (!strcmp(r->method, "POST") && strstr(r->target, "?uploads")) {
			creates++;
			continue;
		}
		if (!strcmp(r->method, "POST")) {
			completes++;
			/* Parts listed in order, each with its ETag. */
			const char *p = r->body;
			for (int k = 1; k <= 13; k++) {
				char want[64];
				snprintf(want, sizeof want, "<PartNumber>%d</PartNumber>", k);
				const char *q = strstr(p, want);
				assert_non_null(q);
				assert_non_null(strstr(q, "0123456789abcdef0123456789abcdef"));
				p = q;
			}
			assert_non_null(strstr(r->target, "uploadId=UP-1"));
			continue;
		}
		assert_string_equal(r->method, "PUT");
		int num = 0;
		const char *pn = strstr(r->target, "partNumber=");
		assert_non_null(pn);
		num = atoi(pn + 11);
		assert_true(num >= 1 && num <= 13);
		assert_non_null(strstr(r->target, "uploadId=UP-1"));
		/* The source: bucket/key, the key URI-encoded ('/' kept). */
		assert_string_equal(r->copy_source, "src-b/media/a%20b%2B%C3%BC.mp4");
		unsigned long long a, b;
		assert_int_equal(sscanf(r->range, "bytes=%llu-%llu", &a, &b), 2);
		starts[num] = a;
		covered[num] = b - a + 1;
		nparts++;
	}
	assert_int_equal(creates, 1);
	assert_int_equal(completes, 1);
	assert_int_equal(nparts, 13);
	/* The ranges tile [0, size) exactly: contiguous, no overlap, no gap,
	 * each at most 5 GiB and (but the last) at least 5 MiB. */
	uint64_t off = 0;
	for (int k = 1; k <= 13; k++) {
		assert_int_equal(starts[k], off);
		assert_true(covered[k] <= (5ull << 30));
		if (k < 13)
			assert_int_equal(covered[k], 512ull << 20);
		off += covered[k];
	}
	assert_int_equal(off, size);
	reset();
}

static void test_part_copy_failure_aborts(void **st)
{
	(void)st;
	reset();
	srv.fail_part = 2;
	cp_s3 *s3 = client();
	cp_error err = {0};
	int rc = sync_copy_big(s3, "s", "k", "d", "k", 12ull << 30, 1ull << 30, 2, NULL, &err);
	cp_s3_free(s3);
	srv.fail_part = 0;
	assert_int_not_equal(rc, 0);
	assert_true(err.set);
	int aborts = 0, completes = 0;
	for (int i = 0; i < srv.n; i++) {
		aborts += !strcmp(srv.reqs[i].method, "DELETE") &&
			  strstr(srv.reqs[i].target, "uploadId=UP-1") != NULL;
		completes +=
		    !strcmp(srv.reqs[i].method, "POST") && !strstr(srv.reqs[i].target, "?uploads");
	}
	assert_int_equal(aborts, 1);
	assert_int_equal(completes, 0);
	reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_part_copy_requests),
	    cmocka_unit_test(test_part_copy_failure_aborts),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
