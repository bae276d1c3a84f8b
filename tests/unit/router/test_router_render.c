/*
 * test_router_render.c - the rendered BIRD configuration as golden files,
 * one per family (tests/unit/router/golden/{v4,v6,dual}.conf from the
 * fixtures in data/): communities, large communities, AS-path prepend,
 * passwords, multihop, hold time, port, graceful restart on and off, BFD,
 * managed and external mode, a hashed router id. Every golden must pass
 * BIRD's own parser (`bird -p`), and reading a rendered file back must
 * give exactly what was rendered.
 *
 * After an intended change: SNAPNET_UPDATE_GOLDEN=1 make unit, then read
 * the diff of golden/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/wait.h>

#include "router_test.h"

#define GOLDEN "tests/unit/router/golden/"
#define BIRD "/usr/sbin/bird"

static void compare_golden(const char *name, const char *text, size_t len)
{
	char path[256], *want = NULL;
	size_t wlen = 0;
	FILE *f;

	snprintf(path, sizeof(path), GOLDEN "%s.conf", name);
	if (getenv("SNAPNET_UPDATE_GOLDEN")) {
		f = fopen(path, "w");
		assert_non_null(f);
		assert_int_equal(fwrite(text, 1, len, f), len);
		fclose(f);
	}
	assert_int_equal(read_file_small(path, 1 << 20, &want, &wlen), 0);
	if (wlen != len || memcmp(want, text, len))
		fail_msg("%s differs from the rendered text:\n%.*s", path,
			 (int)len, text);
	free(want);
}

/* BIRD itself must accept every file we render. */
static void bird_parses(const char *text, size_t len)
{
	char path[] = "/tmp/snapnet-render-XXXXXX", cmd[128];
	int fd = mkstemp(path), st;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	if (access(BIRD, X_OK))
		fail_msg(BIRD " is missing (apt-get install bird2)");
	snprintf(cmd, sizeof(cmd), BIRD " -p -c %s", path);
	st = system(cmd);
	unlink(path);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* Reading it back gives the rendered announcements, next hops, peers. */
static void parses_back(const struct router_desire *d)
{
	struct router_file f;

	assert_int_equal(router_file_parse(d->text, d->len, &f), 0);
	assert_int_equal(f.n_ann, d->n_ann);
	for (size_t i = 0; i < d->n_ann; i++)
		assert_true(prefix_equal(&f.ann[i], &d->ann[i].pfx));
	for (int i = 0; i < FAM_COUNT; i++)
		assert_true(prefix_equal(&f.nexthop[i], &d->nexthop[i]));
	assert_int_equal(f.n_peers, d->n_peers);
	for (size_t i = 0; i < d->n_peers; i++) {
		assert_string_equal(f.peers[i].name, d->peers[i].name);
		assert_string_equal(f.peers[i].summary, d->peers[i].summary);
	}
	router_file_free(&f);
}

static void golden(const char *name)
{
	char ini[128], json[128];
	struct fx f;
	struct router_desire *d;

	snprintf(ini, sizeof(ini), DATA "%s.ini", name);
	snprintf(json, sizeof(json), DATA "%s.json", name);
	fx_load(&f, ini, json);
	d = fx_desire(&f, "node-a");
	compare_golden(name, d->text, d->len);
	bird_parses(d->text, d->len);
	parses_back(d);
	fx_free(&f);
}

static void test_golden_v4(void **state)
{
	(void)state;
	golden("v4");
}

static void test_golden_v6(void **state)
{
	(void)state;
	golden("v6");
}

static void test_golden_dual(void **state)
{
	(void)state;
	golden("dual");
}

/* The same inputs render the same bytes: an unchanged snapshot must
 * never cause a configure. */
static void test_stable(void **state)
{
	struct fx f;
	char *first;
	size_t len;

	(void)state;
	fx_load(&f, DATA "dual.ini", DATA "dual.json");
	first = strdup(fx_desire(&f, "node-a")->text);
	len = f.d->len;
	fx_desire(&f, "node-a");
	assert_int_equal(f.d->len, len);
	assert_memory_equal(f.d->text, first, len);
	free(first);
	fx_free(&f);
}

/* Parsing back tolerates a hand-edited file: duplicates, disorder and
 * junk lines. */
static void test_parse_tolerant(void **state)
{
	static const char text[] = "# snapnet: next hop ipv4 10.0.0.1\n"
				   "\troute 10.96.0.10/32 blackhole;\n"
				   "\troute 10.244.1.0/24 blackhole;\n"
				   "\troute 10.96.0.10/32 blackhole;\n"
				   "\troute nonsense blackhole;\n"
				   "\troute 10.1.0.0/16 via 10.0.0.2;\n"
				   "# snapnet: peer b (10.0.0.3 AS 1, ipv4)\n"
				   "# snapnet: peer a (10.0.0.2 AS 1, ipv4)\n"
				   "# snapnet: peer\n";
	struct router_file f;
	char p[PREFIX_STRLEN];

	(void)state;
	assert_int_equal(router_file_parse(text, strlen(text), &f), 0);
	assert_int_equal(f.n_ann, 2);
	assert_string_equal(prefix_format(&f.ann[0], p, sizeof(p)),
			    "10.96.0.10/32");
	assert_int_equal(f.n_peers, 2);
	assert_string_equal(f.peers[0].name, "a");
	assert_int_equal(f.nexthop[1].family, 0);
	router_file_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_v4),
		cmocka_unit_test(test_golden_v6),
		cmocka_unit_test(test_golden_dual),
		cmocka_unit_test(test_stable),
		cmocka_unit_test(test_parse_tolerant),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
