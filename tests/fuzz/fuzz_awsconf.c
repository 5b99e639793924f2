/*
 * fuzz_awsconf.c - ~/.aws/credentials and ~/.aws/config as cdnpipe reads
 * them (cp_s3_config_load: the hand-written ini reader of awsconf.c, with
 * its nested "s3 =" blocks, and the settings' precedence).
 *
 * The input is split at its first NUL: the credentials file, then the config
 * file, each handed over as a file (AWS_SHARED_CREDENTIALS_FILE and
 * AWS_CONFIG_FILE name memfds, see fuzzutil.h).  The machine credentials
 * (EC2 metadata, containers) are turned off so nothing goes to the network.
 * Loaded for profile "default" and for an explicit --profile "dev".
 *
 * Asserted when loading succeeds: keys, region and endpoint are set; every
 * value read from the files is trimmed and on one line; the region is not
 * empty; the endpoint has a scheme and no trailing '/' after its host.
 * A failure must leave the configuration empty (nothing to free twice, no
 * secret left).
 */
#include "upload/s3/s3.h"

#include "fuzzutil.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void one_line(const char *v)
{
	if (!v)
		return;
	size_t n = strlen(v);
	if (strchr(v, '\n') ||
	    (n && (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1]))))
		abort();
}

static void load(const char *profile)
{
	cp_s3_overrides ov = {.profile = profile};
	cp_s3_config cfg;
	cp_error err = {0};
	if (cp_s3_config_load(&cfg, &ov, &err)) {
		if (cfg.access_key || cfg.secret_key || cfg.session_token || cfg.region ||
		    cfg.endpoint || cfg.profile)
			abort();
		return;
	}
	if (!cfg.access_key || !cfg.secret_key || !cfg.region || !*cfg.region || !cfg.endpoint ||
	    !cfg.profile)
		abort();
	one_line(cfg.access_key);
	one_line(cfg.secret_key);
	one_line(cfg.session_token);
	one_line(cfg.region);
	one_line(cfg.ca_bundle);
	/* a trailing '/' only where the host is missing ("http://") */
	const char *sep = strstr(cfg.endpoint, "://");
	size_t n = strlen(cfg.endpoint);
	if (!sep || (cfg.endpoint[n - 1] == '/' && sep[3]))
		abort();
	cp_s3_config_free(&cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	if (!once) {
		once = 1;
		setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
		static const char *const unset[] = {"AWS_ACCESS_KEY_ID",
						    "AWS_SECRET_ACCESS_KEY",
						    "AWS_SESSION_TOKEN",
						    "AWS_PROFILE",
						    "AWS_REGION",
						    "AWS_DEFAULT_REGION",
						    "AWS_ENDPOINT_URL",
						    "AWS_ENDPOINT_URL_S3",
						    "AWS_CA_BUNDLE",
						    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
						    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"};
		for (size_t i = 0; i < sizeof unset / sizeof *unset; i++)
			unsetenv(unset[i]);
	}
	const uint8_t *nul = memchr(data, 0, size);
	size_t cred = nul ? (size_t)(nul - data) : size;
	setenv("AWS_SHARED_CREDENTIALS_FILE", fuzz_file(0, data, cred), 1);
	setenv("AWS_CONFIG_FILE", fuzz_file(1, nul ? nul + 1 : data, nul ? size - cred - 1 : 0), 1);
	load(NULL);
	load("dev");
	return 0;
}
