/*
 * report.c - sizes, diagnostics, progress lines and the build's report, as
 * every command shows them; see report.h.
 */
#include "cmd/report.h"

#include <stdio.h>
#include <stdlib.h>

void cp_human_size(uint64_t bytes, char *out, size_t n)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	int k = 0;
	while (v >= 1024 && k < 4) {
		v /= 1024;
		k++;
	}
	if (k)
		snprintf(out, n, "%.1f %s", v, unit[k]);
	else
		snprintf(out, n, "%llu B", (unsigned long long)bytes);
}

void cp_report_diags(cp_diags *d)
{
	cp_diags_sort(d);
	for (size_t i = 0; i < d->n; i++) {
		char line[4096];
		cp_diag_format(&d->v[i], line, sizeof line);
		cp_log(d->v[i].level == CP_DIAG_ERROR ? CP_LOG_ERROR : CP_LOG_WARN, "%s: %s",
		       d->v[i].level == CP_DIAG_ERROR ? "error" : "warning", line);
	}
}

int cp_report_error(const cp_error *e)
{
	char line[4096];
	cp_error_format(e, line, sizeof line);
	cp_log(CP_LOG_ERROR, "cdnpipe: %s", line);
	return CP_ERR_BUILD;
}

json_t *cp_diags_json(const cp_diags *d, enum cp_diag_level level)
{
	json_t *a = json_array();
	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].level != level)
			continue;
		char line[4096];
		cp_diag_format(&d->v[i], line, sizeof line);
		json_array_append_new(a, json_string(line));
	}
	return a;
}

void cp_print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2));
	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(o);
}

void cp_report_progress(const cp_transfer_progress *p)
{
	/* one drawer for every command; the clock is shared by design: only
	 * one transfer runs per process */
	static double last = -1;
	double t = cp_clock();
	if (p->files_done != p->files_total && last >= 0 && t - last < 0.1)
		return;
	last = t;
	double rate = p->seconds > 0 ? (double)p->bytes_done / p->seconds : 0;
	char done[32], total[32], r[32], eta[32] = "-";
	cp_human_size(p->bytes_done, done, sizeof done);
	cp_human_size(p->bytes_total, total, sizeof total);
	cp_human_size((uint64_t)rate, r, sizeof r);
	if (rate > 0 && p->bytes_done < p->bytes_total)
		snprintf(eta, sizeof eta, "%.0fs", (double)(p->bytes_total - p->bytes_done) / rate);
	cp_progress("%s %zu/%zu files, %s/%s, %s/s, ETA %s%s%s", p->what, p->files_done,
		    p->files_total, done, total, r, eta, p->note ? ", " : "",
		    p->note ? p->note : "");
}

void cp_build_progress_line(void *ctx, const cp_build_progress *p)
{
	(void)ctx;
	cp_report_progress(&(cp_transfer_progress){.what = p->stage,
						   .files_done = p->done,
						   .files_total = p->total,
						   .bytes_done = p->bytes_done,
						   .bytes_total = p->bytes_total,
						   .seconds = p->seconds});
}

static double pct(uint64_t saved, uint64_t of)
{
	return of ? 100.0 * (double)saved / (double)of : 0.0;
}

void cp_build_print_summary(const struct cp_build_report *r)
{
	char in[32], out[32], gz[32], br[32];
	const cp_emit_stats *e = &r->emit;
	cp_human_size(r->bytes_in, in, sizeof in);
	cp_human_size(e->bytes_out, out, sizeof out);
	cp_human_size(e->gz_orig - e->gz_bytes, gz, sizeof gz);
	cp_human_size(e->br_orig - e->br_bytes, br, sizeof br);
	cp_log(CP_LOG_WARN,
	       "build: %zu files, %s in, %s out, compressed savings: gzip %s (%.0f%%, %llu files), "
	       "brotli %s (%.0f%%, %llu files), %.2f s",
	       r->files, in, out, gz, pct(e->gz_orig - e->gz_bytes, e->gz_orig),
	       (unsigned long long)e->gz_files, br, pct(e->br_orig - e->br_bytes, e->br_orig),
	       (unsigned long long)e->br_files, r->seconds);
	static const char *const names[] = {"collect", "minify", "fingerprint", "write+compress"};
	for (int i = 0; i < CP_STAGE_COUNT; i++)
		cp_log(CP_LOG_INFO, "  %-15s %.3f s", names[i], r->stage_seconds[i]);
	if (r->cached)
		cp_log(CP_LOG_INFO,
		       "  cache: minified %zu of %zu from the cache, compressed %llu siblings and "
		       "took %llu from it, %zu files' hashes unread (unchanged); %llu damaged "
		       "entries rebuilt, %llu evicted",
		       r->minified_cached, r->minified, (unsigned long long)e->compressed,
		       (unsigned long long)e->from_cache, r->hashed_known,
		       (unsigned long long)r->cache.corrupt, (unsigned long long)r->cache.evicted);
}

void cp_build_print(const char *command, const struct cp_build_report *r, int rc, int json)
{
	if (rc == CP_ERR_USAGE) {
		char line[4096];
		cp_error_format(&r->err, line, sizeof line);
		fprintf(stderr, "cdnpipe %s: %s\n", command, line);
		return;
	}
	cp_report_diags((cp_diags *)&r->diags);
	if (r->err.set)
		cp_report_error(&r->err);
	if (!rc && !json)
		cp_build_print_summary(r);
}

json_t *cp_build_report_json(const struct cp_build_report *r, int ok)
{
	const cp_emit_stats *e = &r->emit;
	json_t *errors = cp_diags_json(&r->diags, CP_DIAG_ERROR);
	if (r->err.set) {
		char line[4096];
		cp_error_format(&r->err, line, sizeof line);
		json_array_append_new(errors, json_string(line));
	}
	json_t *integrity = json_object(), *manifests = json_array();
	for (size_t i = 0; i < r->noutputs; i++)
		if (r->outputs[i].integrity)
			json_object_set_new(integrity, r->outputs[i].logical,
					    json_string(r->outputs[i].integrity));
	for (size_t i = 0; ok && i < r->nmanifests; i++)
		json_array_append_new(manifests, json_string(r->manifests[i]));
	json_t *o = json_pack(
	    "{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I}, s:f, "
	    "s:s?, s:o, s:o}",
	    "ok", ok, "files", (json_int_t)r->files, "minified", (json_int_t)r->minified,
	    "bytes_in", (json_int_t)r->bytes_in, "bytes_out", (json_int_t)e->bytes_out,
	    "files_written", (json_int_t)e->files, "reused", (json_int_t)e->reused, "gzip", "files",
	    (json_int_t)e->gz_files, "bytes", (json_int_t)e->gz_bytes, "original_bytes",
	    (json_int_t)e->gz_orig, "brotli", "files", (json_int_t)e->br_files, "bytes",
	    (json_int_t)e->br_bytes, "original_bytes", (json_int_t)e->br_orig, "seconds",
	    r->seconds, "manifest", ok ? r->manifest : NULL, "warnings",
	    cp_diags_json(&r->diags, CP_DIAG_WARN), "errors", errors);
	json_object_set_new(o, "manifests", manifests);
	json_object_set_new(o, "integrity", integrity);
	if (r->cached)
		json_object_set_new(
		    o, "cache",
		    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "minified_from_cache",
			      (json_int_t)r->minified_cached, "hashed_from_record",
			      (json_int_t)r->hashed_known, "compressed", (json_int_t)e->compressed,
			      "compressed_from_cache", (json_int_t)e->from_cache, "damaged",
			      (json_int_t)r->cache.corrupt, "hits", (json_int_t)r->cache.hits,
			      "evicted", (json_int_t)r->cache.evicted, "linked",
			      (json_int_t)r->cache.linked));
	return o;
}
