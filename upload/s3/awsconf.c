/*
 * awsconf.c - S3 settings the way AWS tools read them, and s3:// targets.
 *
 * Users already have ~/.aws/credentials, ~/.aws/config and AWS_* variables
 * set up for the AWS CLI; cdnpipe must find the same credentials, region and
 * endpoint with no extra setup.  Precedence follows botocore: flags first,
 * then the environment, then the profile (credentials file before config
 * file).  One botocore rule that surprises people is kept on purpose: a
 * profile named with --profile wins over AWS_ACCESS_KEY_ID, while one named
 * by AWS_PROFILE does not.
 *
 * The files are parsed by hand rather than with inih because the AWS format
 * has nested sections ("s3 =" followed by indented "endpoint_url = ..."
 * lines), which we flatten to "s3.endpoint_url".  Comments start with '#' or
 * ';' at the start of a line; values are trimmed.
 */
#include "upload/s3/s3.h"
#include "upload/s3/s3_int.h"

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdatomic.h>

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

/*
 * Value of `key` in section `section` of the ini file at path (NULL when the
 * file, section or key is missing).  *found_section is set when the section
 * exists.  Nested keys are asked for as "parent.child".
 */
static char *ini_get(const char *path, const char *section, const char *key, int *found_section)
{
	cp_buf b = CP_BUF_INIT;
	cp_error err = {0};
	if (!path || cp_read_file(path, &b, &err) != 0) {
		cp_buf_free(&b);
		return NULL;
	}
	char *result = NULL, *save = NULL;
	int in = 0;
	char parent[128] = "";
	for (char *line = strtok_r(b.data ? b.data : (char *)"", "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		int indented = line[0] == ' ' || line[0] == '\t';
		char *t = trim(line);
		if (!*t || *t == '#' || *t == ';')
			continue;
		if (*t == '[') {
			char *close = strchr(t, ']');
			if (close)
				*close = 0;
			in = strcmp(trim(t + 1), section) == 0;
			if (in && found_section)
				*found_section = 1;
			parent[0] = 0;
			continue;
		}
		if (!in)
			continue;
		char *eq = strchr(t, '=');
		if (!eq)
			continue;
		*eq = 0;
		char *k = trim(t), *v = trim(eq + 1);
		char full[300];
		if (indented && parent[0]) {
			snprintf(full, sizeof(full), "%s.%s", parent, k);
		} else {
			snprintf(full, sizeof(full), "%s", k);
			if (!*v) /* "s3 =" opens a nested block */
				snprintf(parent, sizeof(parent), "%s", k);
			else
				parent[0] = 0;
		}
		if (strcmp(full, key) == 0) {
			free(result);
			result = cp_xstrdup(v);
		}
	}
	cp_buf_free(&b);
	return result;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static char *home_file(const char *envname, const char *rel)
{
	const char *p = env(envname);
	if (p)
		return cp_xstrdup(p);
	const char *home = env("HOME");
	return home ? cp_xasprintf("%s/%s", home, rel) : NULL;
}

typedef struct files {
	char *cred, *conf;
	const char *profile;
	char *conf_section;
	int seen; /* the profile exists in one of the files */
} files;

/* A profile setting: credentials file first (for keys), then config. */
static char *prof(files *f, const char *key, int cred_first)
{
	char *v = NULL;
	if (cred_first)
		v = ini_get(f->cred, f->profile, key, &f->seen);
	if (!v)
		v = ini_get(f->conf, f->conf_section, key, &f->seen);
	if (!v && strcmp(f->profile, "default") == 0) /* "[profile default]" works too */
		v = ini_get(f->conf, "profile default", key, &f->seen);
	return v;
}

static char *first(char *a, const char *b)
{
	if (a)
		return a;
	return b ? cp_xstrdup(b) : NULL;
}

/* "host" or "host:port" of an endpoint URL is an IP literal or localhost? */
static int local_endpoint(const char *ep)
{
	const char *h = strstr(ep, "://");
	h = h ? h + 3 : ep;
	if (*h == '[')
		return 1; /* IPv6 literal */
	size_t n = strcspn(h, ":/");
	if ((n == 9 && strncmp(h, "localhost", 9) == 0))
		return 1;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)h[i]) && h[i] != '.')
			return 0;
	return n > 0;
}

static char *normalise_endpoint(const char *ep)
{
	char *v = strstr(ep, "://") ? cp_xstrdup(ep) : cp_xasprintf("https://%s", ep);
	size_t n = strlen(v), keep = (size_t)(strstr(v, "://") - v) + 3;
	while (n > keep && v[n - 1] == '/') /* the scheme's "//" stays */
		v[--n] = 0;
	return v;
}

/* "endpoint_url =" with no value says nothing: it is not "https:". */
static char *nonempty(char *v)
{
	if (v && !*v) {
		free(v);
		return NULL;
	}
	return v;
}

/* A file that holds a secret key and that group or others can read is a
 * leak waiting to happen (a shared CI runner, a backup): said once per run,
 * as ssh says it of a private key, and not refused (the AWS CLI reads it). */
static void warn_if_readable(const char *path)
{
	static atomic_int said;
	struct stat st;
	if (!path || stat(path, &st) != 0 || !(st.st_mode & 077) || atomic_load(&said))
		return;
	cp_buf b = CP_BUF_INIT;
	cp_error e = {0};
	if (cp_read_file(path, &b, &e) == 0 && b.data && strstr(b.data, "aws_secret_access_key") &&
	    !atomic_exchange(&said, 1))
		cp_log(CP_LOG_WARN,
		       "%s holds a secret key and group or others can read it (mode %03o): "
		       "chmod 600 %s",
		       path, (unsigned)(st.st_mode & 0777), path);
	cp_buf_free(&b);
}

/* Keys: the env pair (unless --profile named a profile), else the profile;
 * failing both, the machine (container endpoint, EC2 metadata). */
static int load_credentials(cp_s3_config *cfg, files *f, int explicit_profile, cp_error *err)
{
	if (!explicit_profile && env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) {
		cfg->access_key = cp_xstrdup(env("AWS_ACCESS_KEY_ID"));
		cfg->secret_key = cp_xstrdup(env("AWS_SECRET_ACCESS_KEY"));
		cfg->session_token = first(NULL, env("AWS_SESSION_TOKEN"));
		return 0;
	}
	cfg->access_key = prof(f, "aws_access_key_id", 1);
	cfg->secret_key = prof(f, "aws_secret_access_key", 1);
	cfg->session_token = prof(f, "aws_session_token", 1);
	if (explicit_profile && !f->seen)
		return cp_error_set(err, NULL, 0, 0, "profile '%s' not found in %s or %s",
				    f->profile, f->cred ? f->cred : "~/.aws/credentials",
				    f->conf ? f->conf : "~/.aws/config");
	if (cfg->access_key && cfg->secret_key) {
		warn_if_readable(f->cred);
		warn_if_readable(f->conf);
		return 0;
	}
	/* profiles whose keys come from a program or a service we do not run */
	static const char *const kinds[] = {
	    "credential_process",      "role_arn", "sso_session", "sso_start_url",
	    "web_identity_token_file", NULL};
	for (int i = 0; kinds[i]; i++) {
		char *v = prof(f, kinds[i], 1);
		free(v);
		if (v)
			return cp_error_set(
			    err, NULL, 0, 0,
			    "profile '%s' gets its credentials through %s, which "
			    "cdnpipe does not run; export them first: eval \"$(aws "
			    "configure export-credentials --profile %s --format env)\"",
			    f->profile, kinds[i], f->profile);
	}
	free(cfg->access_key);
	free(cfg->secret_key);
	free(cfg->session_token);
	cfg->access_key = cfg->secret_key = cfg->session_token = NULL;
	int m = s3_machine_credentials(cfg, err);
	if (m == 1)
		return cp_error_set(err, NULL, 0, 0,
				    "no S3 credentials: set AWS_ACCESS_KEY_ID and "
				    "AWS_SECRET_ACCESS_KEY, or give profile '%s' "
				    "aws_access_key_id/aws_secret_access_key in %s",
				    f->profile, f->cred ? f->cred : "~/.aws/credentials");
	return m;
}

/* Region, endpoint, CA bundle and addressing: flag, env, profile, default. */
static void load_endpoint(cp_s3_config *cfg, files *f, const cp_s3_overrides *ov)
{
	cfg->region = ov->region && *ov->region ? cp_xstrdup(ov->region) : NULL;
	cfg->region = first(cfg->region, env("AWS_REGION"));
	cfg->region = first(cfg->region, env("AWS_DEFAULT_REGION"));
	if (!cfg->region)
		cfg->region = prof(f, "region", 0);
	if (!cfg->region || !*cfg->region) {
		free(cfg->region);
		cfg->region = cp_xstrdup("us-east-1");
	}
	char *ep = ov->endpoint && *ov->endpoint ? cp_xstrdup(ov->endpoint) : NULL;
	ep = first(ep, env("AWS_ENDPOINT_URL_S3"));
	ep = first(ep, env("AWS_ENDPOINT_URL"));
	if (!ep)
		ep = nonempty(prof(f, "s3.endpoint_url", 0));
	if (!ep)
		ep = nonempty(prof(f, "endpoint_url", 0));
	if (ep)
		cfg->endpoint = normalise_endpoint(ep);
	else if (strcmp(cfg->region, "auto") == 0)
		cfg->endpoint = cp_xstrdup("https://s3.amazonaws.com");
	else
		cfg->endpoint = cp_xasprintf("https://s3.%s.amazonaws.com", cfg->region);
	free(ep);
	cfg->ca_bundle = first(NULL, env("AWS_CA_BUNDLE"));
	if (!cfg->ca_bundle)
		cfg->ca_bundle = prof(f, "ca_bundle", 0);
	char *style = prof(f, "s3.addressing_style", 0);
	if (ov->addressing == CP_S3_ADDR_PATH)
		cfg->path_style = 1;
	else if (ov->addressing == CP_S3_ADDR_VIRTUAL)
		cfg->path_style = 0;
	else if (style && strcmp(style, "path") == 0)
		cfg->path_style = 1;
	else if (style && strcmp(style, "virtual") == 0)
		cfg->path_style = 0;
	else
		cfg->path_style = local_endpoint(cfg->endpoint);
	free(style);
}

int cp_s3_config_load(cp_s3_config *cfg, const cp_s3_overrides *ov, cp_error *err)
{
	static const cp_s3_overrides none = {0};
	if (!ov)
		ov = &none;
	memset(cfg, 0, sizeof(*cfg));
	files f = {0};
	int explicit_profile = ov->profile && *ov->profile;
	f.profile = explicit_profile	 ? ov->profile
		    : env("AWS_PROFILE") ? env("AWS_PROFILE")
					 : "default";
	f.cred = home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
	f.conf = home_file("AWS_CONFIG_FILE", ".aws/config");
	f.conf_section = strcmp(f.profile, "default") == 0 ? cp_xstrdup("default")
							   : cp_xasprintf("profile %s", f.profile);
	cfg->profile = cp_xstrdup(f.profile);
	int rc = load_credentials(cfg, &f, explicit_profile, err) ? CP_ERR_USAGE : 0;
	if (!rc)
		load_endpoint(cfg, &f, ov);
	free(f.cred);
	free(f.conf);
	free(f.conf_section);
	if (rc)
		cp_s3_config_free(cfg);
	return rc;
}

void cp_s3_config_free(cp_s3_config *cfg)
{
	free(cfg->access_key);
	free(cfg->secret_key);
	free(cfg->session_token);
	free(cfg->region);
	free(cfg->endpoint);
	free(cfg->ca_bundle);
	free(cfg->profile);
	memset(cfg, 0, sizeof(*cfg));
}

int cp_s3_target_parse(const char *url, cp_s3_target *out, cp_error *err)
{
	memset(out, 0, sizeof(*out));
	if (strncmp(url, "s3://", 5) != 0)
		return cp_error_set(err, url, 0, 0, "not an s3:// URL"), CP_ERR_USAGE;
	const char *b = url + 5;
	size_t bl = strcspn(b, "/");
	if (bl < 3 || bl > 63)
		return cp_error_set(err, url, 0, 0, "bucket name must be 3 to 63 characters"),
		       CP_ERR_USAGE;
	for (size_t i = 0; i < bl; i++) {
		char c = b[i];
		if (!(isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_'))
			return cp_error_set(err, url, 0, 0,
					    "bucket name has a character S3 does not allow: '%c'",
					    c),
			       CP_ERR_USAGE;
	}
	const char *p = b + bl;
	while (*p == '/')
		p++;
	out->bucket = cp_xstrndup(b, bl);
	size_t pl = strlen(p);
	if (pl && p[pl - 1] != '/')
		out->prefix = cp_xasprintf("%s/", p);
	else
		out->prefix = cp_xstrdup(p);
	return 0;
}

void cp_s3_target_free(cp_s3_target *t)
{
	free(t->bucket);
	free(t->prefix);
	t->bucket = t->prefix = NULL;
}
