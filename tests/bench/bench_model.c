/*
 * bench_model.c - the loader's figures for `make bench`, in-process:
 *
 *   bench_model BASE [CHANGED...]
 *
 * Loads BASE cold (no previous snapshot) and prints its wall time and
 * the process's peak RSS; then loads each CHANGED file with the previous
 * snapshot in force (the per-item cache), printing its time and how many
 * records were walked again. One line per load:
 *   cold FILE MS PEAK_RSS_MB ITEMS anon=MB file=MB
 *   reload FILE MS fresh=N
 *   free-previous MS
 * Timing is CLOCK_MONOTONIC around snapshot_load() only; the free of the
 * previous snapshot (the daemon does it after a pass) is timed apart.
 * anon/file are RssAnon/RssFile right after the cold load; fresh counts
 * the records that load walked (not reused), counted after the timing.
 * BENCH_MEM=1 adds malloc's in-use bytes and the string pool's size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include <malloc.h>

#include "lib/strpool.h"
#include "lib/util.h"
#include "snapshot/snapshot_int.h"
#include "snapshot/snapshot.h"

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* RssAnon and RssFile now, in MB, from /proc/self/status. */
static void rss_now(double *anon, double *file)
{
	char line[128];
	FILE *f = fopen("/proc/self/status", "r");
	long kb;

	*anon = *file = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "RssAnon: %ld", &kb) == 1)
			*anon = kb / 1024.0;
		else if (sscanf(line, "RssFile: %ld", &kb) == 1)
			*file = kb / 1024.0;
	}
	if (f)
		fclose(f);
}

/* Records the last load walked (the rest came from the previous one). */
static size_t fresh_count(const struct snapshot *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_order; i++)
		n += s->order[i]->fresh;
	return n;
}

static double peak_mb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;
}

int main(int argc, char **argv)
{
	struct snapshot *s = NULL, *n;
	struct timespec t0;
	char err[ERRLEN];
	double ms, anon, file;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_model BASE [CHANGED...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (snapshot_load(argv[1], NULL, NULL, &s, err, sizeof(err))) {
		fprintf(stderr, "bench_model: %s\n", err);
		return 1;
	}
	ms = ms_since(&t0);
	rss_now(&anon, &file);
	printf("cold %s %.1f %.1f %zu anon=%.1f file=%.1f\n", argv[1], ms,
	       peak_mb(), s->counts.items, anon, file);
	if (getenv("BENCH_MEM")) {
		struct mallinfo2 mi = mallinfo2();

		printf("mem in-use=%.1fMB pool-strings=%zu pool-bytes=%.1fMB\n",
		       mi.uordblks / 1048576.0, strpool_count(s->store->pool),
		       strpool_bytes(s->store->pool) / 1048576.0);
	}
	for (int i = 2; i < argc; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (snapshot_load(argv[i], NULL, s, &n, err, sizeof(err))) {
			fprintf(stderr, "bench_model: %s\n", err);
			return 1;
		}
		ms = ms_since(&t0);
		printf("reload %s %.1f fresh=%zu\n", argv[i], ms,
		       fresh_count(n));
		clock_gettime(CLOCK_MONOTONIC, &t0);
		snapshot_free(s);
		printf("free-previous %.1f\n", ms_since(&t0));
		s = n;
	}
	fflush(stdout);
	snapshot_free(s);
	return 0;
}
