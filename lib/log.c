/*
 * log.c - leveled messages and the terminal progress line; see log.h.
 */
#include "lib/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int cp_log_level = CP_LOG_WARN;

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static int progress_shown;

static void erase_progress(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
}

void cp_log(enum cp_log_level level, const char *fmt, ...)
{
	if ((int)level > cp_log_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&out_lock);
	erase_progress();
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&out_lock);
	va_end(ap);
}

int cp_progress_enabled(void)
{
	return cp_log_level >= CP_LOG_WARN && isatty(STDERR_FILENO);
}

void cp_progress(const char *fmt, ...)
{
	if (!cp_progress_enabled())
		return;
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&out_lock);
	fputs("\r\033[K", stderr);
	vfprintf(stderr, fmt, ap);
	fflush(stderr);
	progress_shown = 1;
	pthread_mutex_unlock(&out_lock);
	va_end(ap);
}

void cp_progress_done(void)
{
	pthread_mutex_lock(&out_lock);
	erase_progress();
	pthread_mutex_unlock(&out_lock);
}

double cp_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
