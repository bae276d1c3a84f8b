/*
 * test_snapshot_guard.c - a snapshot truncated in place while the loader
 * reads it through mmap costs one rejected load, never the process.
 *
 * Deterministic cases use the seams of snapshot_int.h: map a file,
 * ftruncate it under the mapping, then run the guarded hash or the
 * guarded parse over the stale mapping (the parse case faults after Node
 * items were converted, so ASan's leak check at exit proves the abandoned
 * load was freed whole). A race case truncates from a second thread while
 * snapshot_load() runs. The SIGBUS action must be the same after a load
 * as before it, and a SIGBUS outside the guarded mapping must not be
 * swallowed.
 */
/* cmocka.h needs these first; keep clang-format from sorting them. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "snapshot/snapshot.h"
#include "snapshot/snapshot_int.h"
#include "lib/util.h"
#include "tmpfile.h"

#define CHANGED                                                                \
	": changed while loading (truncated by a writer?); keeping the last "  \
	"good snapshot"

static char err[ERRLEN];

/* A List of n Node items (n <= 10000) with pod CIDRs and addresses,
 * then `pods` Pods. */
static char *make_doc(size_t n, size_t pods, size_t *len)
{
	size_t cap = (n + pods) * 256 + 256, o;
	char *doc = malloc(cap);

	assert_non_null(doc);
	o = (size_t)snprintf(doc, cap, "{\"kind\":\"List\",\"items\":[\n");
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(
		    doc + o, cap - o,
		    "{\"kind\":\"Node\",\"metadata\":{\"name\":\"node-%zu\"},"
		    "\"spec\":{\"podCIDRs\":[\"10.%zu.%zu.0/24\"]},"
		    "\"status\":{\"addresses\":[{\"type\":\"InternalIP\","
		    "\"address\":\"192.168.%zu.%zu\"}]}},\n",
		    i, 64 + i / 256, i % 256, i / 250, i % 250 + 1);
	for (size_t i = 0; i < pods; i++)
		o +=
		    (size_t)snprintf(doc + o, cap - o,
				     "{\"kind\":\"Pod\",\"metadata\":{\"name\":"
				     "\"pod-%zu\",\"namespace\":\"d\"}},\n",
				     i);
	o += (size_t)snprintf(doc + o, cap - o,
			      "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"}}"
			      "]}\n");
	*len = o;
	return doc;
}

struct mapped {
	char *path;
	int fd;
	char *map;
	size_t size;
};

/* Maps the whole file, then cuts it to `keep` bytes under the mapping. */
static void map_then_truncate(struct mapped *m, const char *doc, size_t len,
			      size_t keep)
{
	m->path = write_tmp(doc, len);
	m->fd = open(m->path, O_RDWR);
	assert_true(m->fd >= 0);
	m->size = len;
	m->map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, m->fd, 0);
	assert_true(m->map != MAP_FAILED);
	assert_int_equal(ftruncate(m->fd, (off_t)keep), 0);
}

static void unmap(struct mapped *m)
{
	munmap(m->map, m->size);
	close(m->fd);
	unlink(m->path);
	free(m->path);
}

static void sigbus_action(struct sigaction *sa)
{
	assert_int_equal(sigaction(SIGBUS, NULL, sa), 0);
}

static void assert_same_action(const struct sigaction *a,
			       const struct sigaction *b)
{
	assert_ptr_equal((void *)a->sa_sigaction, (void *)b->sa_sigaction);
	assert_int_equal(a->sa_flags, b->sa_flags);
}

static void assert_changed(const char *name)
{
	char want[512];

	snprintf(want, sizeof(want), "%s" CHANGED, name);
	assert_string_equal(err, want);
}

static void test_truncated_before_hash(void **state)
{
	struct sigaction before, after;
	struct mapped m;
	uint64_t hash = 0;
	size_t len;
	char *doc = make_doc(200, 0, &len);

	(void)state;
	sigbus_action(&before);
	map_then_truncate(&m, doc, len, 0);
	assert_int_equal(snapshot_hash_map("snap.json", m.map, m.size, &hash,
					   err, sizeof(err)),
			 -EAGAIN);
	assert_changed("snap.json");
	sigbus_action(&after);
	assert_same_action(&before, &after);
	unmap(&m);
	free(doc);
}

/* The fault hits the scanner after about 8 KB of Node items went through
 * json-c: names, the tokener and the copy buffer must all be freed. */
static void test_truncated_during_parse(void **state)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len;
	char *doc = make_doc(2000, 0, &len);
	struct sigaction before, after;
	struct snapshot *s = (void *)1;
	struct mapped m;

	(void)state;
	assert_true(len > 16 * page);
	sigbus_action(&before);
	/* the file is whole: the seam parses it like snapshot_load() */
	map_then_truncate(&m, doc, len, len);
	assert_int_equal(snapshot_parse_map("snap.json", m.map, m.size, 7, NULL,
					    NULL, &s, err, sizeof(err)),
			 0);
	assert_int_equal(s->n_nodes, 2000);
	assert_true(s->hash == 7);
	snapshot_free(s);
	unmap(&m);
	/* cut at a page boundary inside the items */
	for (size_t keep = 2 * page; keep < len; keep += 5 * page) {
		s = (void *)1;
		map_then_truncate(&m, doc, len, keep);
		assert_int_equal(snapshot_parse_map("snap.json", m.map, m.size,
						    0, NULL, NULL, &s, err,
						    sizeof(err)),
				 -EAGAIN);
		assert_null(s);
		assert_changed("snap.json");
		unmap(&m);
	}
	sigbus_action(&after);
	assert_same_action(&before, &after);
	free(doc);
}

struct cutter {
	const char *path;
	long delay_us;
	off_t keep;
};

static void *cut_later(void *arg)
{
	struct cutter *c = arg;
	struct timespec ts = {0, c->delay_us * 1000};

	nanosleep(&ts, NULL);
	if (truncate(c->path, c->keep) < 0)
		abort();
	return NULL;
}

/* A writer truncates the file from another thread while snapshot_load()
 * reads it. Every outcome is an orderly one; with these delays at least
 * one load is caught in the middle. */
static void test_truncate_race(void **state)
{
	static const long delays_us[] = {500, 2000, 5000, 10000, 20000, 40000};
	size_t len;
	char *doc = make_doc(2000, 150000, &len), *path;
	int changed = 0;

	(void)state;
	assert_true(len > ((size_t)8 << 20));
	for (size_t i = 0; i < ARRAY_SIZE(delays_us); i++) {
		struct cutter c = {.delay_us = delays_us[i]};
		struct snapshot *s = (void *)1;
		pthread_t t;
		int r;

		path = write_tmp(doc, len);
		c.path = path;
		/* to nothing, or to a size inside a page */
		c.keep = i % 2 ? (off_t)(len / 2 + 123) : 0;
		assert_int_equal(pthread_create(&t, NULL, cut_later, &c), 0);
		r = snapshot_load(path, NULL, NULL, &s, err, sizeof(err));
		pthread_join(t, NULL);
		if (r == 0) {
			snapshot_free(s);
		} else if (r == -EAGAIN) {
			assert_null(s);
			assert_changed(path);
			changed++;
		} else {
			/* cut before open: a short or empty file */
			assert_null(s);
			assert_int_equal(r, -EINVAL);
			assert_non_null(strstr(err, "line "));
		}
		unlink(path);
		free(path);
	}
	print_message("%d of %zu loads saw the file change\n", changed,
		      ARRAY_SIZE(delays_us));
	assert_true(changed > 0);
	free(doc);
}

/* The file is cut to nothing after it was hashed and before it is
 * parsed (the race above, made certain): the parse must not read a byte
 * of the mapping before its guard is up (it read the BOM outside it and
 * died of SIGBUS, once in a clean run). */
static void test_cut_between_hash_and_parse(void **state)
{
	static const char doc[] = "{\"apiVersion\":\"v1\",\"kind\":\"List\","
				  "\"items\":[]}";
	struct snapshot *s = (void *)1;
	char *path = write_tmp(doc, sizeof(doc) - 1), *map;
	uint64_t hash;
	int fd;

	(void)state;
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	map = mmap(NULL, sizeof(doc) - 1, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(snapshot_hash_map(path, map, sizeof(doc) - 1, &hash,
					   err, sizeof(err)),
			 0);
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(snapshot_parse_map(path, map, sizeof(doc) - 1, hash,
					    NULL, NULL, &s, err, sizeof(err)),
			 -EAGAIN);
	assert_null(s);
	munmap(map, sizeof(doc) - 1);
	close(fd);
	unlink(path);
	free(path);
}

static int touch_other(void *arg)
{
	const volatile char *p = arg;

	return p[0];
}

static int nested(void *arg)
{
	return snapshot_guard_run(arg, 1, touch_other, arg);
}

/* A SIGBUS outside the guarded range is a bug, not a truncated snapshot:
 * it must reach the previous action (here: the default, which kills a
 * child). */
static void test_foreign_sigbus(void **state)
{
	static char guarded[64] = "x";
	struct mapped m;
	int status;
	pid_t pid;

	(void)state;
	/* one guarded call at a time */
	assert_int_equal(
	    snapshot_guard_run(guarded, sizeof(guarded), nested, guarded),
	    -EBUSY);
	map_then_truncate(&m, "{}", 2, 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int r;

		/* not cmocka's handler, which would resume the tests here */
		signal(SIGBUS, SIG_DFL);
		r = snapshot_guard_run(guarded, sizeof(guarded), touch_other,
				       m.map);

		_exit(r == -EAGAIN ? 42 : 43);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGBUS);
	unmap(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_truncated_before_hash),
	    cmocka_unit_test(test_truncated_during_parse),
	    cmocka_unit_test(test_truncate_race),
	    cmocka_unit_test(test_cut_between_hash_and_parse),
	    cmocka_unit_test(test_foreign_sigbus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
