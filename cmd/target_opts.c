/*
 * target_opts.c - the S3 options of the commands that open a target; see
 * target_opts.h.
 */
#include "cmd/target_opts.h"

static struct {
	const char *endpoint, *region, *profile;
	int addressing;
} o;

const cp_opt cp_target_options[] = {
    {"endpoint", 0, CP_OPT_STR, &o.endpoint, "URL",
     "S3 endpoint (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, or AWS)", 0},
    {"region", 0, CP_OPT_STR, &o.region, "REGION", "region to sign for (auto for R2)", 0},
    {"profile", 0, CP_OPT_STR, &o.profile, "NAME", "profile of ~/.aws/credentials and config", 0},
    {"path-style", 0, CP_OPT_SET, &o.addressing, NULL, "address buckets as https://host/bucket",
     CP_S3_ADDR_PATH},
    {"virtual-host", 0, CP_OPT_SET, &o.addressing, NULL, "address buckets as https://bucket.host",
     CP_S3_ADDR_VIRTUAL},
    CP_OPT_END,
};

cp_s3_settings cp_target_settings(void)
{
	return (cp_s3_settings){.endpoint = o.endpoint,
				.region = o.region,
				.profile = o.profile,
				.addressing = (enum cp_s3_addressing)o.addressing};
}
