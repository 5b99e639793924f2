/*
 * target_impl.h - what a target implementation provides (internal to upload/target/).
 *
 * A target is a table of operations plus the implementation's own state,
 * which embeds struct cp_target as its first member.  target.c validates
 * arguments and dispatches; the implementations (target_file.c,
 * target_s3.c) only do the work.
 */
#ifndef CP_UPLOAD_TARGET_IMPL_H
#define CP_UPLOAD_TARGET_IMPL_H

#include "upload/target/target.h"

struct cp_target_ops {
	const char *scheme;
	int (*list)(cp_target *t, const char *prefix, cp_remote_list *out, cp_error *err);
	int (*etag)(cp_target *t, const char *key, char out[CP_ETAG_MAX], cp_error *err);
	int (*put)(cp_target *t, const char *key, const char *local, const cp_put_headers *h,
		   const unsigned char *md5, cp_error *err);
	int (*fetch)(cp_target *t, const char *key, const char *local, int *exists, cp_error *err);
	int (*head)(cp_target *t, const char *key, cp_object_info *out, int *exists, cp_error *err);
	/* NULL: the target keeps no headers */
	int (*set_headers)(cp_target *t, const char *key, const cp_put_headers *h, cp_error *err);
	int (*del)(cp_target *t, const char *const *keys, size_t n, cp_diags *diags, cp_error *err);
	/* Optional (NULL: the publisher calls put from worker threads).  Starts a
	 * put and returns; done(ctx, e) is called once when it finished (e NULL
	 * on success), on whatever thread the target completes work on, so it
	 * must be short and must not block.  wait_below(n) blocks until fewer
	 * than n operations are under way: the publisher's back-pressure. */
	int (*put_async)(cp_target *t, const char *key, const char *local, const cp_put_headers *h,
			 const unsigned char *md5, void (*done)(void *ctx, const cp_error *e),
			 void *ctx);
	void (*wait_below)(cp_target *t, size_t n);
	uint64_t (*part_size)(const cp_target *t, uint64_t size);
	char *(*identity)(const cp_target *t);
	void (*close)(cp_target *t);
};

struct cp_target {
	const struct cp_target_ops *ops;
};

int cp_target_file_open(const char *path, cp_target **out, cp_error *err);
int cp_target_s3_open(const char *url, const cp_s3_settings *s, cp_target **out, cp_error *err);

#endif
