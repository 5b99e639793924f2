/*
 * fuzz_sync_journal.c - the journal of a multipart upload in flight
 * (cp_journal_load), on arbitrary bytes.
 *
 * A journal is appended to while parts finish, so a crash can tear its last
 * line, and it sits in the user's cache folder where anything may end up.
 * Loading must never crash; a journal it cannot trust is refused (-1), which
 * only means the upload starts again.  Asserted beyond that, when it loads:
 *  - dest and upload id are set, the part size is not 0, the parts are
 *    sorted by number without duplicates, each in 1..10000;
 *  - round trip: the journal written again by cp_journal_create and
 *    cp_journal_add (what a run writes) loads to the same fields and parts;
 *  - cp_journal_part_etag finds each part's ETag.
 */
#include "upload/s3/s3.h"
#include "upload/sync/sync_int.h"

#include "fuzzutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cp_journal j;
	if (cp_journal_load(&j, fuzz_file(0, data, size))) {
		cp_journal_free(&j);
		return 0;
	}
	if (!j.dest || !j.upload_id || !j.part_size)
		abort();
	for (size_t i = 0; i < j.nparts; i++) {
		if (j.parts[i].num < 1 || j.parts[i].num > CP_S3_MAX_PARTS)
			abort();
		if (i && j.parts[i - 1].num >= j.parts[i].num)
			abort();
		const char *e = cp_journal_part_etag(&j, j.parts[i].num);
		if (!e || strcmp(e, j.parts[i].etag))
			abort();
	}
	char *file = cp_path_join(fuzz_dir(), "journal.jnl");
	cp_journal w;
	cp_error err = {0};
	if (cp_journal_create(&w, file, j.dest, j.upload_id, j.part_size, j.size, j.mtime_ns, j.ino,
			      &err))
		abort();
	for (size_t i = 0; i < j.nparts; i++)
		if (cp_journal_add(&w, j.parts[i].num, j.parts[i].etag))
			abort();
	cp_journal_free(&w);
	cp_journal r;
	if (cp_journal_load(&r, file))
		abort();
	if (strcmp(r.dest, j.dest) || strcmp(r.upload_id, j.upload_id) ||
	    r.part_size != j.part_size || r.size != j.size || r.mtime_ns != j.mtime_ns ||
	    r.ino != j.ino || r.nparts != j.nparts)
		abort();
	for (size_t i = 0; i < j.nparts; i++)
		if (r.parts[i].num != j.parts[i].num || strcmp(r.parts[i].etag, j.parts[i].etag))
			abort();
	cp_journal_free(&r);
	cp_journal_free(&j);
	free(file);
	return 0;
}
