/*
 * s3_creds.c - credentials from the machine: ECS/EKS containers and EC2.
 *
 * A deploy script running on AWS compute usually has no keys in files or
 * the environment; the AWS CLI then asks the container credentials endpoint
 * (when AWS_CONTAINER_CREDENTIALS_FULL_URI / _RELATIVE_URI is set) or the
 * EC2 instance metadata service (IMDSv2: a session token first, then the
 * role's credentials).  These are the last steps of botocore's chain, after
 * the environment and the profile files, and so they are here.
 *
 * The metadata service is only reachable on EC2; elsewhere the connection
 * attempt would stall, so its timeouts are one second and
 * AWS_EC2_METADATA_DISABLED=true skips it, as with the AWS CLI.  These are
 * plain blocking curl calls: they run once, before any client exists.
 */
#include "upload/s3/s3_int.h"

#include "lib/buf.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int sink(void *ud, const char *p, size_t n)
{
	cp_buf *b = ud;
	if (b->len + n > 64 * 1024)
		return -1; /* no credential answer is that long */
	cp_buf_append(b, p, n);
	return 0;
}

/* One request to a link-local credential endpoint (never through a proxy);
 * returns the HTTP status (0: no answer) and the body in out. */
static long fetch(const char *method, const char *url, const char *header, long timeout,
		  cp_buf *out)
{
	cp_buf_clear(out);
	cp_http_req rq = {.method = method,
			  .url = url,
			  .header = header,
			  .timeout = timeout,
			  .no_proxy = 1,
			  .body = sink,
			  .ctx = out};
	return cp_http(&rq);
}

/* {"AccessKeyId", "SecretAccessKey", "Token"} into cfg. */
static int take_json(cp_s3_config *cfg, const cp_buf *b, const char *from, cp_error *err)
{
	json_t *j = json_loadb(b->data ? b->data : "", b->len, 0, NULL);
	const char *ak = j ? json_string_value(json_object_get(j, "AccessKeyId")) : NULL;
	const char *sk = j ? json_string_value(json_object_get(j, "SecretAccessKey")) : NULL;
	const char *tok = j ? json_string_value(json_object_get(j, "Token")) : NULL;
	int rc = 0;
	if (ak && sk) {
		cfg->access_key = cp_xstrdup(ak);
		cfg->secret_key = cp_xstrdup(sk);
		cfg->session_token = tok ? cp_xstrdup(tok) : NULL;
	} else {
		rc = cp_error_set(err, NULL, 0, 0, "%s gave no usable credentials", from);
	}
	json_decref(j);
	return rc;
}

static int container(cp_s3_config *cfg, const char *full, const char *rel, cp_error *err)
{
	char *url = full ? cp_xstrdup(full) : cp_xasprintf("http://169.254.170.2%s", rel);
	const char *tok = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	char *hdr = tok && *tok ? cp_xasprintf("Authorization: %s", tok) : NULL;
	cp_buf b = CP_BUF_INIT;
	long st = fetch("GET", url, hdr, 2, &b);
	int rc = st == 200
		     ? take_json(cfg, &b, "the container credentials endpoint", err)
		     : cp_error_set(err, NULL, 0, 0,
				    "the container credentials endpoint %s answered %ld", url, st);
	free(url);
	free(hdr);
	cp_buf_free(&b);
	return rc;
}

/* 1: no metadata service here; 0: credentials taken; else an error. */
static int imds(cp_s3_config *cfg, cp_error *err)
{
	const char *ep = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	char *base = cp_xstrdup(ep && *ep ? ep : "http://169.254.169.254");
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		base[--n] = 0;
	cp_buf b = CP_BUF_INIT;
	char *url = cp_xasprintf("%s/latest/api/token", base);
	long st = fetch("PUT", url, "X-aws-ec2-metadata-token-ttl-seconds: 21600", 1, &b);
	free(url);
	int rc = 1;
	if (st == 200 && b.len) {
		char *hdr = cp_xasprintf("X-aws-ec2-metadata-token: %s", b.data);
		url = cp_xasprintf("%s/latest/meta-data/iam/security-credentials/", base);
		st = fetch("GET", url, hdr, 1, &b);
		free(url);
		if (st == 200 && b.len) {
			char *role = cp_xstrndup(b.data, strcspn(b.data, "\r\n"));
			url = cp_xasprintf("%s/latest/meta-data/iam/security-credentials/%s", base,
					   role);
			st = fetch("GET", url, hdr, 1, &b);
			rc = st == 200
				 ? take_json(cfg, &b, "the EC2 instance metadata service", err)
				 : 1;
			free(url);
			free(role);
		}
		free(hdr);
	}
	cp_buf_free(&b);
	free(base);
	return rc;
}

int s3_machine_credentials(cp_s3_config *cfg, cp_error *err)
{
	const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	if ((full && *full) || (rel && *rel))
		return container(cfg, full && *full ? full : NULL, rel, err);
	const char *off = getenv("AWS_EC2_METADATA_DISABLED");
	if (off && strcasecmp(off, "true") == 0)
		return 1;
	return imds(cfg, err);
}
