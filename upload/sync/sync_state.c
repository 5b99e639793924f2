/*
 * sync_state.c - what sync remembers between runs about a local tree: the
 * MD5 of every file, in an SQLite database.
 *
 * A no-change sync of 100,000 files must cost the listing plus a stat per
 * file, so a file's MD5 is kept with the (size, mtime in ns, inode) it was
 * computed for; when all three still match, the MD5 is trusted.  The
 * database lives in the XDG cache folder ($XDG_CACHE_HOME or ~/.cache, then
 * cdnpipe/), one per absolute root, named by a hash of the root so two trees
 * never share entries.  It is a cache: anything wrong with it costs hashing
 * again, never a wrong MD5.
 *
 * Why SQLite, not the text file this replaced: the text file was loaded
 * whole into a hash map and rewritten whole (about 100 bytes a file on disk
 * and as much again in memory), so its cost grew with the tree whatever a
 * run touched, and two runs on one tree (shards) rewrote it over each other.
 * Here a key is looked up when the planner needs it (one indexed read),
 * changes are written in batched transactions (BATCH rows or one second, so
 * a killed run keeps most of its hashing and a 100,000-file first run is
 * not 100,000 fsyncs), and WAL mode with a busy timeout lets concurrent runs
 * and shards of one tree share the database.
 *
 * Table state(rel BLOB PRIMARY KEY, size, mtime, ino, md5 BLOB(16), mp_part,
 * mpetag, seen), WITHOUT ROWID (the key is the row).  rel is a BLOB so any
 * byte sequence of a path round-trips and sorts by memcmp.  seen is the
 * start time (ns) of the newest run that found the file on disk: a run that
 * listed its whole tree drops the rows no run since its start has seen
 * (cp_sync_state_prune), so deleted files leave, and a concurrent run's
 * rows (seen by it, hence at least as new) stay.  `seen = max(seen, ?)`
 * keeps that true whatever order the runs write in.
 *
 * Corruption: on open the file must be an SQLite database whose
 * application_id and user_version are ours and whose quick_check says "ok";
 * a row must have a 16-byte MD5.  Otherwise the file is reported (a warning
 * naming it), removed with its -wal and -shm, and created empty: the run
 * hashes again.  An error from a query later counts as a miss.
 *
 * Locking: callers hold s->lock around every call (the planner hashes on
 * several threads); SQLite's own mutexes are not relied upon.
 */
#include "upload/s3/s3.h"
#include "upload/sync/sync_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STATE_APP_ID  0x63647073 /* "cdps" */
#define STATE_VERSION 1
#define BATCH	      2000

static const char *const SCHEMA =
    "CREATE TABLE IF NOT EXISTS state(rel BLOB PRIMARY KEY, size INTEGER NOT NULL, "
    "mtime INTEGER NOT NULL, ino INTEGER NOT NULL, md5 BLOB NOT NULL, "
    "mp_part INTEGER NOT NULL DEFAULT 0, mpetag TEXT NOT NULL DEFAULT '', "
    "seen INTEGER NOT NULL) WITHOUT ROWID";

enum { Q_GET, Q_PUT, Q_MP, Q_SEEN, Q_PRUNE, Q_N };
static const char *const QUERIES[Q_N] = {
    [Q_GET] = "SELECT size, mtime, ino, md5, mp_part, mpetag FROM state WHERE rel = ?1",
    [Q_PUT] = "INSERT INTO state(rel, size, mtime, ino, md5, mp_part, mpetag, seen) "
	      "VALUES(?1, ?2, ?3, ?4, ?5, 0, '', ?6) ON CONFLICT(rel) DO UPDATE SET "
	      "mp_part = CASE WHEN size = ?2 AND mtime = ?3 AND ino = ?4 AND md5 = ?5 "
	      "THEN mp_part ELSE 0 END, "
	      "mpetag = CASE WHEN size = ?2 AND mtime = ?3 AND ino = ?4 AND md5 = ?5 "
	      "THEN mpetag ELSE '' END, "
	      "size = ?2, mtime = ?3, ino = ?4, md5 = ?5, seen = max(seen, ?6)",
    [Q_MP] = "UPDATE state SET mpetag = ?5, mp_part = ?6 "
	     "WHERE rel = ?1 AND size = ?2 AND mtime = ?3 AND ino = ?4",
    [Q_SEEN] = "UPDATE state SET seen = max(seen, ?2) WHERE rel = ?1",
    [Q_PRUNE] = "DELETE FROM state WHERE seen < ?1",
};

_Static_assert(Q_N == sizeof((cp_sync_state *)0)->q / sizeof(((cp_sync_state *)0)->q[0]),
	       "cp_sync_state.q holds every query");

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void db_close(cp_sync_state *s)
{
	for (int i = 0; i < Q_N; i++)
		sqlite3_finalize(s->q[i]);
	memset(s->q, 0, sizeof s->q);
	sqlite3_close(s->db);
	s->db = NULL;
}

/* One PRAGMA's integer answer, or -1. */
static int64_t pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* quick_check's first row is "ok" for a sound file. */
static int sound(sqlite3 *db)
{
	sqlite3_stmt *st;
	int ok = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		ok = t && !strcmp((const char *)t, "ok");
	}
	sqlite3_finalize(st);
	return ok;
}

/* Opens file as our database; "" or a reason why it is not one.  *busy is
 * set when another run held it past the busy timeout: that is no reason to
 * remove it.  The checks and the set-up of a new file are one exclusive
 * transaction, so a second run that opens the file meanwhile (shards
 * starting at once) waits for it rather than finding a table that is not
 * marked as ours yet. */
static const char *db_open(cp_sync_state *s, const char *file, int *busy)
{
	*busy = 0;
	if (sqlite3_open_v2(file, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK)
		return s->db ? sqlite3_errmsg(s->db) : "cannot open";
	sqlite3_busy_timeout(s->db, 10000);
	int rc = sqlite3_exec(s->db, "BEGIN EXCLUSIVE", NULL, NULL, NULL);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		*busy = 1;
		return "held by another run";
	}
	if (rc != SQLITE_OK)
		return "not an SQLite database";
	const char *why = "";
	/* The header is read here first: a file that is no database fails. */
	int64_t app = pragma_int(s->db, "PRAGMA application_id");
	int64_t ver = pragma_int(s->db, "PRAGMA user_version");
	char *msg = NULL;
	if (app < 0 || ver < 0)
		why = "not an SQLite database";
	else if (app == 0 && ver == 0 &&
		 pragma_int(s->db, "SELECT count(*) FROM sqlite_master") > 0)
		why = "not cdnpipe's sync state";
	else if ((app || ver) && (app != STATE_APP_ID || ver != STATE_VERSION))
		why = "not cdnpipe's sync state (or another version of it)";
	else if (!sound(s->db))
		why = "failed SQLite's quick_check";
	else if (sqlite3_exec(s->db, SCHEMA, NULL, NULL, &msg) != SQLITE_OK)
		why = "cannot set up its table";
	sqlite3_free(msg);
	if (!*why && !app) {
		char sql[96];
		snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d",
			 STATE_APP_ID, STATE_VERSION);
		if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			why = "cannot mark it as ours";
	}
	if (sqlite3_exec(s->db, *why ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL) != SQLITE_OK &&
	    !*why)
		why = "cannot set up its table";
	if (*why)
		return why;
	/* WAL only outside a transaction; a run that cannot switch (another
	 * holds the file) still works, in the mode the file has */
	sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	for (int i = 0; i < Q_N; i++)
		if (sqlite3_prepare_v2(s->db, QUERIES[i], -1, &s->q[i], NULL) != SQLITE_OK)
			return "cannot prepare its queries";
	return "";
}

static const char *const DB_SUFFIX[] = {"", "-wal", "-shm", "-journal"};

/* The database and its side files are this user's (a file another user
 * planted - a -wal replays into the database - is not). */
static int db_files_mine(const char *file)
{
	int mine = 1;
	for (int i = 0; i < 4; i++) {
		char *f = cp_xasprintf("%s%s", file, DB_SUFFIX[i]);
		mine &= cp_file_is_mine(f);
		free(f);
	}
	return mine;
}

static void remove_db(const char *file)
{
	for (int i = 0; i < 4; i++) {
		char *f = cp_xasprintf("%s%s", file, DB_SUFFIX[i]);
		unlink(f);
		free(f);
	}
}

int cp_sync_state_open(cp_sync_state *s, const char *file, cp_diags *diags)
{
	memset(s, 0, sizeof *s);
	pthread_mutex_init(&s->lock, NULL);
	s->file = cp_xstrdup(file);
	s->stamp = now_ns();
	cp_error e = {0};
	if (cp_mkdirs_for(file, &e)) {
		cp_diags_add(diags, CP_DIAG_WARN, e.path, 0, 0, "no sync state: %s", e.msg);
		return -1;
	}
	int busy = 0;
	const char *why =
	    db_files_mine(file) ? db_open(s, file, &busy) : "not this user's file (or a link)";
	if (*why && !busy) {
		cp_diags_add(diags, CP_DIAG_WARN, file, 0, 0,
			     "sync state %s: removed and rebuilt (local files are hashed again)",
			     why);
		db_close(s);
		remove_db(file);
		why = db_open(s, file, &busy);
	}
	if (!*why)
		db_files_mine(file); /* SQLite made them with the umask's mode: 0644 at most */
	if (*why) {
		cp_diags_add(diags, CP_DIAG_WARN, file, 0, 0, "no sync state: %s", why);
		db_close(s);
		return -1;
	}
	return 0;
}

/* Commits the open batch, if any. */
static void batch_end(cp_sync_state *s)
{
	if (s->pending && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->pending = 0;
}

/* Runs a write inside the current batch (started on the first write, ended
 * after BATCH writes or a second). */
static void batch_step(cp_sync_state *s, sqlite3_stmt *st)
{
	if (!s->pending) {
		if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
			sqlite3_reset(st);
			return; /* busy past the timeout: this change is not cached */
		}
		s->batch_t0 = now_ns();
	}
	s->pending++;
	sqlite3_step(st);
	sqlite3_reset(st);
	if (s->pending >= BATCH || now_ns() - s->batch_t0 > 1000000000)
		batch_end(s);
}

static void bind_key(sqlite3_stmt *st, const char *rel, uint64_t size, int64_t mtime_ns,
		     uint64_t ino)
{
	sqlite3_bind_blob(st, 1, rel, (int)strlen(rel), SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
	sqlite3_bind_int64(st, 3, mtime_ns);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)ino);
}

int cp_sync_state_lookup(cp_sync_state *s, const char *rel, uint64_t size, int64_t mtime_ns,
			 uint64_t ino, cp_state_ent *out)
{
	if (!s->db)
		return 0;
	sqlite3_stmt *st = s->q[Q_GET];
	sqlite3_bind_blob(st, 1, rel, (int)strlen(rel), SQLITE_TRANSIENT);
	int found = 0;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 3) == 16) {
		memset(out, 0, sizeof *out);
		out->size = (uint64_t)sqlite3_column_int64(st, 0);
		out->mtime_ns = sqlite3_column_int64(st, 1);
		out->ino = (uint64_t)sqlite3_column_int64(st, 2);
		memcpy(out->md5, sqlite3_column_blob(st, 3), 16);
		out->mp_part = (uint64_t)sqlite3_column_int64(st, 4);
		const unsigned char *t = sqlite3_column_text(st, 5);
		if (t && strlen((const char *)t) < sizeof out->mpetag)
			strcpy(out->mpetag, (const char *)t);
		found = out->size == size && out->mtime_ns == mtime_ns && out->ino == ino;
	}
	sqlite3_reset(st);
	return found;
}

void cp_sync_state_set(cp_sync_state *s, const char *rel, uint64_t size, int64_t mtime_ns,
		       uint64_t ino, const unsigned char md5[16])
{
	if (!s->db)
		return;
	sqlite3_stmt *st = s->q[Q_PUT];
	bind_key(st, rel, size, mtime_ns, ino);
	sqlite3_bind_blob(st, 5, md5, 16, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, s->stamp);
	batch_step(s, st);
}

void cp_sync_state_set_mp(cp_sync_state *s, const char *rel, uint64_t size, int64_t mtime_ns,
			  uint64_t ino, const char *mpetag, uint64_t mp_part)
{
	if (!s->db || strlen(mpetag) >= sizeof((cp_state_ent *)0)->mpetag)
		return;
	sqlite3_stmt *st = s->q[Q_MP];
	bind_key(st, rel, size, mtime_ns, ino);
	sqlite3_bind_text(st, 5, mpetag, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)mp_part);
	batch_step(s, st);
}

void cp_sync_state_keep(cp_sync_state *s, const char *rel)
{
	if (!s->db)
		return;
	sqlite3_stmt *st = s->q[Q_SEEN];
	sqlite3_bind_blob(st, 1, rel, (int)strlen(rel), SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, s->stamp);
	batch_step(s, st);
}

void cp_sync_state_prune(cp_sync_state *s)
{
	if (!s->db)
		return;
	sqlite3_stmt *st = s->q[Q_PRUNE];
	sqlite3_bind_int64(st, 1, s->stamp);
	batch_step(s, st);
}

void cp_sync_state_free(cp_sync_state *s)
{
	if (s->db)
		batch_end(s);
	db_close(s);
	free(s->file);
	pthread_mutex_destroy(&s->lock);
	memset(s, 0, sizeof *s);
}
