/*
 * log.c - the only log sink: level filter, one line per message on stderr,
 * and a small memory of recent lines for log_limited().
 */
#include "core/log.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static int cur_level = LOG_INFO;

void log_set_level(int level)
{
	cur_level = level;
}

static const char *level_name(int level)
{
	switch (level) {
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

__attribute__((format(printf, 2, 0))) static void
emit(int level, const char *fmt, va_list ap)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "snapnet: %s: %s\n", level_name(level), line);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > cur_level)
		return;
	va_start(ap, fmt);
	emit(level, fmt, ap);
	va_end(ap);
}

/* Recent lines by FNV-1a hash, direct-mapped: a collision only means a
 * line is logged again early, never that a new line is lost. */
static struct {
	uint64_t hash;
	time_t when;
} recent[256];

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

void log_limited(int level, const char *fmt, ...)
{
	char line[2048];
	struct timespec ts;
	uint64_t h;
	va_list ap;
	size_t i;

	if (level > cur_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	h = fnv1a(line);
	i = h % (sizeof(recent) / sizeof(recent[0]));
	if (recent[i].hash == h && recent[i].when &&
	    ts.tv_sec - recent[i].when < LOG_REPEAT_S)
		return;
	recent[i].hash = h;
	recent[i].when = ts.tv_sec ? ts.tv_sec : 1;
	log_msg(level, "%s", line);
}
