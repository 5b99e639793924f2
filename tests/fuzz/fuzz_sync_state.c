/*
 * fuzz_sync_state.c - the sync state database (cp_sync_state_open) and the
 * line escaping of the journals (cp_sync_unescape), on arbitrary bytes.
 *
 * The state database lives in the user's cache folder, where a crash
 * mid-write, a full disk, another version of cdnpipe or a hand edit can leave
 * anything.  It is only a cache, so any file must open (rebuilt empty, at
 * worst) without a crash.  Asserted beyond that:
 *  - what a lookup returns is well-formed (an MPU ETag that fits);
 *  - an entry set is found again by its own (size, mtime, inode), and by
 *    nothing else;
 *  - after our own writes the file opens again with nothing to report (a
 *    database we rebuilt or wrote is sound);
 *  - cp_sync_unescape of the whole input never grows it, and
 *    unescape(escape(s)) == s.
 * The input is written as the database file in a scratch folder (SQLite
 * makes its -wal and -shm beside it).
 */
#include "upload/sync/sync_int.h"

#include "fuzzutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void escaping(const char *data, size_t size)
{
	char *u = cp_sync_unescape(data, size);
	if (strlen(u) > size)
		abort();
	cp_buf b = CP_BUF_INIT;
	cp_sync_escape(&b, u);
	if (memchr(b.data ? b.data : "", '\n', b.len) || memchr(b.data ? b.data : "", '\r', b.len))
		abort(); /* an escaped field stays on its line */
	char *back = cp_sync_unescape(b.data ? b.data : "", b.len);
	if (strcmp(back, u))
		abort();
	free(back);
	free(u);
	cp_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	escaping((const char *)data, size);
	char *file = cp_path_join(fuzz_dir(), "state.db");
	const char *suffix[] = {"", "-wal", "-shm", "-journal"};
	for (int i = 0; i < 4; i++) {
		char *f = cp_xasprintf("%s%s", file, suffix[i]);
		unlink(f);
		free(f);
	}
	FILE *f = fopen(file, "wb");
	if (!f || fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	cp_diags dg;
	cp_diags_init(&dg);
	cp_sync_state s;
	if (cp_sync_state_open(&s, file, &dg)) {
		cp_sync_state_free(&s);
		cp_diags_free(&dg);
		free(file);
		return 0; /* no state at all: allowed, said in dg */
	}
	cp_state_ent e;
	const char *names[] = {"", "a", "good", "f.txt", "a b/\xc3\xbc.jpg"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		memset(&e, 0, sizeof e);
		cp_sync_state_lookup(&s, names[i], 5, 1, 2, &e);
		if (strnlen(e.mpetag, sizeof e.mpetag) >= sizeof e.mpetag)
			abort();
	}
	unsigned char md5[16] = {1, 2, 3};
	cp_sync_state_set(&s, "fuzz/new", 7, 8, 9, md5);
	cp_sync_state_keep(&s, "good");
	if (!cp_sync_state_lookup(&s, "fuzz/new", 7, 8, 9, &e) || memcmp(e.md5, md5, 16) ||
	    cp_sync_state_lookup(&s, "fuzz/new", 7, 8, 10, &e))
		abort();
	cp_sync_state_prune(&s);
	cp_sync_state_free(&s);
	size_t before = dg.n;
	if (cp_sync_state_open(&s, file, &dg) || dg.n != before ||
	    !cp_sync_state_lookup(&s, "fuzz/new", 7, 8, 9, &e))
		abort();
	cp_sync_state_free(&s);
	cp_diags_free(&dg);
	free(file);
	return 0;
}
