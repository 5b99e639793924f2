/*
 * testutil.h - a scratch folder per unit-test binary (header-only: each test
 * is its own program).  setup/teardown fit cmocka's group fixtures.
 */
#ifndef CP_TESTUTIL_H
#define CP_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>

static char tmpdir[256];

/* Creates /tmp/<name>.XXXXXX into tmpdir; 0 or -1. */
static inline int test_tmpdir_make(const char *name)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/%s.XXXXXX", name);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static inline int test_tmpdir_remove(void)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd);
}

#endif
