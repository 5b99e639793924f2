/*
 * test_awsconf.c - S3 configuration as the AWS CLI reads it: environment,
 * shared credentials and config files, profiles, flags, and their order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "upload/s3/s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64], cred[128], conf[128];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char *const vars[] = {"AWS_ACCESS_KEY_ID",
				   "AWS_SECRET_ACCESS_KEY",
				   "AWS_SESSION_TOKEN",
				   "AWS_PROFILE",
				   "AWS_REGION",
				   "AWS_DEFAULT_REGION",
				   "AWS_ENDPOINT_URL",
				   "AWS_ENDPOINT_URL_S3",
				   "AWS_CA_BUNDLE",
				   "AWS_CONTAINER_CREDENTIALS_FULL_URI",
				   "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
				   "AWS_EC2_METADATA_DISABLED",
				   NULL};

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/cp-awsconf-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(cred, sizeof(cred), "%s/credentials", dir);
	snprintf(conf, sizeof(conf), "%s/config", dir);
	for (int i = 0; vars[i]; i++)
		unsetenv(vars[i]);
	setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
	setenv("AWS_CONFIG_FILE", conf, 1);
	write_file(cred, "# comment\n[default]\naws_access_key_id = DEFKEY\n"
			 "aws_secret_access_key=DEFSECRET\n\n"
			 "[r2]\naws_access_key_id = R2KEY\naws_secret_access_key = R2SECRET\n"
			 "aws_session_token = R2TOKEN\n");
	write_file(conf, "[default]\nregion = eu-west-3\n\n"
			 "[profile r2]\nregion = auto\n"
			 "s3 =\n  endpoint_url = https://acct.r2.cloudflarestorage.com/\n"
			 "  addressing_style = virtual\n"
			 "[profile minio]\nendpoint_url = http://localhost:9000\n"
			 "aws_access_key_id = MINIOKEY\naws_secret_access_key = MINIOSECRET\n"
			 "ca_bundle = /etc/minio-ca.pem\n");
	return 0;
}

static int teardown(void **state)
{
	unlink(cred);
	unlink(conf);
	rmdir(dir);
	return 0;
}

static void test_default_profile(void **state)
{
	cp_s3_config c;
	cp_error e = {0};
	assert_int_equal(cp_s3_config_load(&c, NULL, &e), 0);
	assert_string_equal(c.access_key, "DEFKEY");
	assert_string_equal(c.secret_key, "DEFSECRET");
	assert_null(c.session_token);
	assert_string_equal(c.region, "eu-west-3");
	assert_string_equal(c.endpoint, "https://s3.eu-west-3.amazonaws.com");
	assert_int_equal(c.path_style, 0);
	assert_string_equal(c.profile, "default");
	cp_s3_config_free(&c);
}

static void test_named_profile_nested_s3_section(void **state)
{
	setenv("AWS_PROFILE", "r2", 1);
	cp_s3_config c;
	cp_error e = {0};
	assert_int_equal(cp_s3_config_load(&c, NULL, &e), 0);
	assert_string_equal(c.access_key, "R2KEY");
	assert_string_equal(c.session_token, "R2TOKEN");
	assert_string_equal(c.region, "auto"); /* R2: kept, signed as "auto" */
	assert_string_equal(c.endpoint, "https://acct.r2.cloudflarestorage.com");
	assert_int_equal(c.path_style, 0);
	cp_s3_config_free(&c);
	unsetenv("AWS_PROFILE");
}

static void test_config_only_profile_and_local_endpoint(void **state)
{
	cp_s3_overrides ov = {0};
	ov.profile = "minio";
	cp_s3_config c;
	cp_error e = {0};
	assert_int_equal(cp_s3_config_load(&c, &ov, &e), 0);
	assert_string_equal(c.access_key, "MINIOKEY");
	assert_string_equal(c.endpoint, "http://localhost:9000");
	assert_int_equal(c.path_style, 1); /* localhost: path-style by default */
	assert_string_equal(c.ca_bundle, "/etc/minio-ca.pem");
	assert_string_equal(c.region, "us-east-1");
	cp_s3_config_free(&c);
	/* --virtual-host wins over the guess */
	ov.addressing = CP_S3_ADDR_VIRTUAL;
	assert_int_equal(cp_s3_config_load(&c, &ov, &e), 0);
	assert_int_equal(c.path_style, 0);
	cp_s3_config_free(&c);
}

static void test_env_precedence(void **state)
{
	setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
	setenv("AWS_SESSION_TOKEN", "ENVTOKEN", 1);
	setenv("AWS_PROFILE", "minio", 1); /* has keys, an endpoint and a CA bundle */
	setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
	setenv("AWS_ENDPOINT_URL", "http://10.0.0.5:4569", 1);
	setenv("AWS_CA_BUNDLE", "/tmp/ca.pem", 1);
	cp_s3_config c;
	cp_error e = {0};
	assert_int_equal(cp_s3_config_load(&c, NULL, &e), 0);
	/* env credentials beat a profile named by AWS_PROFILE */
	assert_string_equal(c.access_key, "ENVKEY");
	assert_string_equal(c.session_token, "ENVTOKEN");
	assert_string_equal(c.region, "ap-south-1");
	assert_string_equal(c.endpoint, "http://10.0.0.5:4569");
	assert_int_equal(c.path_style, 1); /* IP address */
	assert_string_equal(c.ca_bundle, "/tmp/ca.pem");
	cp_s3_config_free(&c);

	setenv("AWS_REGION", "sa-east-1", 1); /* AWS_REGION before AWS_DEFAULT_REGION */
	setenv("AWS_ENDPOINT_URL_S3", "minio.example.com", 1); /* service-specific first */
	assert_int_equal(cp_s3_config_load(&c, NULL, &e), 0);
	assert_string_equal(c.region, "sa-east-1");
	assert_string_equal(c.endpoint, "https://minio.example.com");
	assert_int_equal(c.path_style, 0);
	cp_s3_config_free(&c);

	/* flags beat everything; --profile beats env credentials (botocore) */
	cp_s3_overrides ov = {"http://127.0.0.1:9999/", "us-west-2", "default", CP_S3_ADDR_PATH};
	assert_int_equal(cp_s3_config_load(&c, &ov, &e), 0);
	assert_string_equal(c.access_key, "DEFKEY");
	assert_null(c.session_token);
	assert_string_equal(c.region, "us-west-2");
	assert_string_equal(c.endpoint, "http://127.0.0.1:9999");
	assert_int_equal(c.path_style, 1);
	cp_s3_config_free(&c);
	for (int i = 0; vars[i]; i++)
		unsetenv(vars[i]);
}

static void test_errors(void **state)
{
	cp_s3_overrides ov = {0};
	ov.profile = "nope";
	cp_s3_config c;
	cp_error e = {0};
	assert_int_equal(cp_s3_config_load(&c, &ov, &e), CP_ERR_USAGE);
	assert_non_null(strstr(e.msg, "profile 'nope' not found"));
	/* no credentials anywhere (and no EC2 metadata service to ask) */
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/cred", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent/conf", 1);
	cp_error e2 = {0};
	assert_int_equal(cp_s3_config_load(&c, NULL, &e2), CP_ERR_USAGE);
	assert_non_null(strstr(e2.msg, "AWS_ACCESS_KEY_ID"));
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
	setenv("AWS_CONFIG_FILE", conf, 1);
}

static void test_unsupported_profile_kinds(void **state)
{
	write_file(conf, "[profile sso]\nsso_session = corp\nregion = eu-west-1\n");
	cp_s3_overrides ov = {0};
	ov.profile = "sso";
	cp_s3_config c;
	cp_error e = {0};
	assert_int_equal(cp_s3_config_load(&c, &ov, &e), CP_ERR_USAGE);
	assert_non_null(strstr(e.msg, "sso_session"));
	assert_non_null(strstr(e.msg, "export-credentials"));
}

static void test_target_parse(void **state)
{
	cp_s3_target t;
	cp_error e = {0};
	assert_int_equal(cp_s3_target_parse("s3://my-bucket/static", &t, &e), 0);
	assert_string_equal(t.bucket, "my-bucket");
	assert_string_equal(t.prefix, "static/");
	cp_s3_target_free(&t);
	assert_int_equal(cp_s3_target_parse("s3://my-bucket/a/b/", &t, &e), 0);
	assert_string_equal(t.prefix, "a/b/");
	cp_s3_target_free(&t);
	assert_int_equal(cp_s3_target_parse("s3://my-bucket", &t, &e), 0);
	assert_string_equal(t.prefix, "");
	cp_s3_target_free(&t);
	assert_int_equal(cp_s3_target_parse("s3://my-bucket//x", &t, &e), 0);
	assert_string_equal(t.prefix, "x/");
	cp_s3_target_free(&t);
	assert_int_not_equal(cp_s3_target_parse("s3://b/x", &t, &e), 0);
	assert_int_not_equal(cp_s3_target_parse("s3://bad bucket/x", &t, &e), 0);
	assert_int_not_equal(cp_s3_target_parse("file:///x", &t, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_default_profile, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_named_profile_nested_s3_section, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_only_profile_and_local_endpoint, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_env_precedence, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unsupported_profile_kinds, setup, teardown),
	    cmocka_unit_test(test_target_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
