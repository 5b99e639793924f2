/*
 * fsutil.c - atomic writes and streamed copies; see fsutil.h.
 */
#include "lib/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cp_read_file(const char *path, cp_buf *out, cp_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cp_error_set(err, path, 0, 0, "cannot read: %s", strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_size > 0)
		cp_buf_reserve(out, (size_t)st.st_size);
	for (;;) {
		cp_buf_reserve(out, 65536);
		ssize_t r = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return cp_error_set(err, path, 0, 0, "cannot read: %s", strerror(e));
		}
		if (r == 0)
			break;
		out->len += (size_t)r;
	}
	out->data[out->len] = 0;
	close(fd);
	return 0;
}

int cp_mkdirs(const char *dir, cp_error *err)
{
	char *p = cp_xstrdup(dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			int e = errno;
			cp_error_set(err, p, 0, 0, "cannot create folder: %s", strerror(e));
			free(p);
			return CP_ERR_BUILD;
		}
		*s = '/';
	}
	int rc = 0;
	if (*p && mkdir(p, 0777) != 0 && errno != EEXIST)
		rc = cp_error_set(err, p, 0, 0, "cannot create folder: %s", strerror(errno));
	free(p);
	return rc;
}

int cp_mkdirs_for(const char *path, cp_error *err)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return 0;
	char *dir = cp_xstrndup(path, (size_t)(slash - path));
	int rc = cp_mkdirs(dir, err);
	free(dir);
	return rc;
}

char *cp_tmp_name(const char *path)
{
	static atomic_uint counter;
	static atomic_long pid; /* getpid once: a syscall per output file otherwise */
	if (!atomic_load(&pid))
		atomic_store(&pid, (long)getpid());
	unsigned n = atomic_fetch_add(&counter, 1);
	return cp_xasprintf("%s.tmp.%ld.%u", path, atomic_load(&pid), n);
}

int cp_is_tmp_name(const char *rel)
{
	for (const char *t = strstr(rel, ".tmp."); t; t = strstr(t + 1, ".tmp.")) {
		const char *s = t + 5;
		int dots = 0, digits = 0;
		for (; *s; s++) {
			if (*s >= '0' && *s <= '9')
				digits++;
			else if (*s == '.' && digits)
				dots++, digits = 0;
			else
				break;
		}
		if (!*s && dots == 1 && digits)
			return 1;
	}
	return 0;
}

int cp_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int cp_create_tmp(const char *path, char **tmp, cp_error *err)
{
	*tmp = cp_tmp_name(path);
	int fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	/* folders are made only when missing: a build writes thousands of files
	 * into folders that exist, and a mkdir per level per file adds up */
	if (fd < 0 && errno == ENOENT && cp_mkdirs_for(path, err) == 0)
		fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		cp_error_set(err, path, 0, 0, "cannot write: %s", strerror(errno));
		free(*tmp);
		*tmp = NULL;
	}
	return fd;
}

static int finish_tmp(int fd, char *tmp, const char *path, int failed, cp_error *err)
{
	int e = failed ? errno : 0;
	if (close(fd) != 0 && !e)
		e = errno;
	if (!e && rename(tmp, path) != 0)
		e = errno;
	if (e) {
		unlink(tmp);
		free(tmp);
		return cp_error_set(err, path, 0, 0, "cannot write: %s", strerror(e));
	}
	free(tmp);
	return 0;
}

int cp_write_atomic(const char *path, const void *data, size_t len, cp_error *err)
{
	char *tmp;
	int fd = cp_create_tmp(path, &tmp, err);
	if (fd < 0)
		return CP_ERR_BUILD;
	int failed = cp_write_all(fd, data, len) != 0;
	return finish_tmp(fd, tmp, path, failed, err);
}

/* The copy's destination; errno of a failed write, which names dst (the
 * reader's own errors name src). */
struct copy_sink {
	int fd;
	int err;
};

static int copy_chunk(void *ctx, const unsigned char *p, size_t n)
{
	struct copy_sink *s = ctx;
	if (cp_write_all(s->fd, p, n) == 0)
		return 0;
	s->err = errno;
	return -1;
}

/* The kernel's copy: a reflink (FICLONE: btrfs, xfs - the new file shares
 * the old one's blocks until either changes), else copy_file_range (no
 * trip through user space).  1 when the whole file was copied; 0 when the
 * file system offers neither, and the caller copies by reading. */
static int kernel_copy(const char *src, int dst_fd)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return 0;
	struct stat st;
	int done = 0;
	/* a regular file that says it is empty may not be (procfs, some FUSE
	 * file systems): reading tells */
	if (fstat(in, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		done = ioctl(dst_fd, FICLONE, in) == 0;
		for (off_t left = st.st_size; !done && left >= 0;) {
			if (left == 0) {
				done = 1;
				break;
			}
			ssize_t n = copy_file_range(in, NULL, dst_fd, NULL, (size_t)left, 0);
			if (n <= 0)
				break;
			left -= n;
		}
		if (!done && lseek(dst_fd, 0, SEEK_SET) == 0 && ftruncate(dst_fd, 0) != 0)
			done = 0;
	}
	close(in);
	return done;
}

int cp_copy_atomic(const char *src, const char *dst, cp_error *err)
{
	char *tmp;
	int fd = cp_create_tmp(dst, &tmp, err);
	if (fd < 0)
		return CP_ERR_BUILD;
	if (kernel_copy(src, fd))
		return finish_tmp(fd, tmp, dst, 0, err);
	lseek(fd, 0, SEEK_SET);
	cp_error rerr = {0};
	struct copy_sink sink = {fd, 0};
	int rc = cp_stream_file(src, 0, UINT64_MAX, copy_chunk, &sink, &rerr);
	if (rc) {
		close(fd);
		unlink(tmp);
		free(tmp);
		if (sink.err)
			return cp_error_set(err, dst, 0, 0, "cannot write: %s", strerror(sink.err));
		if (rerr.set && err && !err->set)
			*err = rerr;
		return rc;
	}
	return finish_tmp(fd, tmp, dst, 0, err);
}

int cp_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int cp_stream_file(const char *path, uint64_t offset, uint64_t length, cp_chunk_fn fn, void *ctx,
		   cp_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cp_error_set(err, path, 0, 0, "cannot read: %s", strerror(errno));
	unsigned char *chunk = cp_xmalloc(CP_IO_CHUNK);
	int rc = 0;
	while (length) {
		size_t want = length < CP_IO_CHUNK ? (size_t)length : CP_IO_CHUNK;
		ssize_t r = pread(fd, chunk, want, (off_t)offset);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = cp_error_set(err, path, 0, 0, "cannot read: %s", strerror(errno));
			break;
		}
		if (r == 0)
			break;
		if (fn(ctx, chunk, (size_t)r)) {
			rc =
			    cp_error_set(err, path, 0, 0, "cannot write copy: %s", strerror(errno));
			break;
		}
		offset += (uint64_t)r;
		length -= (uint64_t)r;
	}
	free(chunk);
	close(fd);
	return rc;
}

char *cp_xdg_cache_dir(const char *sub)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	struct passwd *pw = NULL;
	if (!home || *home != '/')
		pw = getpwuid(geteuid());
	if (pw && pw->pw_dir && *pw->pw_dir == '/')
		home = pw->pw_dir;
	char *root;
	if (x && *x == '/')
		root = cp_xasprintf("%s/cdnpipe", x);
	else if (home && *home == '/')
		root = cp_xasprintf("%s/.cache/cdnpipe", home);
	else /* no home at all: one folder per user, checked by cp_private_dir */
		root = cp_xasprintf("/tmp/cdnpipe-%u", (unsigned)geteuid());
	if (!sub)
		return root;
	char *r = cp_xasprintf("%s/%s", root, sub);
	free(root);
	return r;
}

/* Whether another user could put files into dir or swap it: dir must be
 * this user's and not writable by all (its group write bit is removed); each folder
 * above it must be this user's or root's, and writable by all only when
 * sticky (/tmp).  Group write above it is allowed: with the common umask
 * 002 every folder a user makes has it, and the group is the user's
 * choice. */
static const char *not_private(const char *dir)
{
	uid_t me = geteuid();
	struct stat st;
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return "is not a folder";
	if (st.st_uid != me)
		return "belongs to another user";
	if (st.st_mode & S_IWOTH)
		return "is writable by all users";
	/* this user's own folder: group members are not to create, replace or
	 * remove files in it either (umask 002 gives them write) */
	if ((st.st_mode & S_IWGRP) && chmod(dir, st.st_mode & 07755) != 0)
		return "is writable by its group, and its mode cannot be changed";
	char *p = cp_xstrdup(dir);
	const char *why = NULL;
	for (char *slash; !why && (slash = strrchr(p, '/'));) {
		*(slash == p ? slash + 1 : slash) = 0;
		if (stat(p, &st) != 0)
			why = "has a folder above it that cannot be read";
		else if (st.st_uid != me && st.st_uid != 0)
			why = "has a folder above it that belongs to another user";
		else if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
			why = "has a folder above it that all users can write to";
		if (slash == p)
			break;
	}
	free(p);
	return why;
}

int cp_private_dir(const char *dir, cp_error *err)
{
	int rc = cp_mkdirs(dir, err);
	if (rc)
		return rc;
	const char *why = not_private(dir);
	if (why)
		return cp_error_set(err, dir, 0, 0,
				    "%s: not used (another user could plant or change its files)",
				    why);
	return 0;
}

int cp_file_is_mine(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 1 : 0;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
		return 0;
	if ((st.st_mode & 022) && chmod(path, st.st_mode & 0755) != 0)
		return 0;
	return 1;
}
