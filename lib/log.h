/*
 * log.h - the one place where text meant for a person is printed.
 *
 * cmd/ sets the level from -q/-v.  Stages report failures through cp_error
 * and cp_diags, not here; they use cp_log only for -v tracing (an S3 request
 * line, a timing).  The output lock keeps lines from worker threads whole, and
 * lets a progress line on a terminal be erased before a log line is printed.
 */
#ifndef CP_LOG_H
#define CP_LOG_H

enum cp_log_level {
	CP_LOG_QUIET = 0,
	CP_LOG_ERROR = 1,
	CP_LOG_WARN = 2,
	CP_LOG_INFO = 3,
	CP_LOG_DEBUG = 4
};

extern int cp_log_level;

void cp_log(enum cp_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Progress line on stderr when it is a terminal: replaced in place, erased by cp_log. */
void cp_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cp_progress_done(void);
int cp_progress_enabled(void);
/* Seconds on the monotonic clock: for durations, rates and ETAs only. */
double cp_clock(void);

#endif
