/*
 * test_util.c - prefix parsing is strict, formatting round-trips, and
 * containment/ordering behave per family.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

static struct prefix P(const char *s)
{
	struct prefix p;

	if (strchr(s, '/'))
		assert_int_equal(prefix_parse_cidr(s, &p), 0);
	else
		assert_int_equal(prefix_parse_addr(s, &p), 0);
	return p;
}

static void test_parse_good(void **state)
{
	struct prefix p = P("10.244.1.0/24");
	char buf[PREFIX_STRLEN];

	(void)state;
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.len, 24);
	assert_string_equal(prefix_format(&p, buf, sizeof(buf)),
			    "10.244.1.0/24");
	p = P("fd00:244:0:1::/64");
	assert_int_equal(p.family, AF_INET6);
	assert_string_equal(prefix_format(&p, buf, sizeof(buf)),
			    "fd00:244:0:1::/64");
	p = P("fd00:10::2");
	assert_int_equal(p.len, 128);
	assert_string_equal(addr_format(&p, buf, sizeof(buf)), "fd00:10::2");
	p = P("0.0.0.0/0");
	assert_int_equal(p.len, 0);
}

static void test_parse_bad(void **state)
{
	static const char *bad_cidr[] = {
		"10.244.1.1/24", "10.244.1.0/33", "10.244.1.0/", "10.244.1.0",
		"10.244.1/24", "fd00::1/64", "fd00::/129", "fd00::/6x",
		"/24", "", "10.0.0.0/024x", "10.0.0.0/024", "10.0.0.0/+8", "10.0.0.0/-1", "10.0.0.0/ 8",
	};
	static const char *bad_addr[] = { "10.0.0.256", "fd00:::1", "",
					  "10.0.0.1/32", "node-a", " 10.0.0.1" };
	struct prefix p;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_cidr); i++)
		if (prefix_parse_cidr(bad_cidr[i], &p) == 0)
			fail_msg("accepted CIDR \"%s\"", bad_cidr[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad_addr); i++)
		if (prefix_parse_addr(bad_addr[i], &p) == 0)
			fail_msg("accepted address \"%s\"", bad_addr[i]);
}

/* Each refusal says which rule broke; the first broken rule wins. */
static void test_parse_why(void **state)
{
	static const struct {
		const char *s, *why;
	} cases[] = {
		{"10.0.0.0", "no prefix length"},
		{"", "no prefix length"},
		{"/24", "bad address"},
		{"10.0.0/8", "bad address"},
		{"fd00::1::/64", "bad address"},
		{"10.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0/8", "bad address"},
		{"10.0.0.300/8", "bad address"},
		{"10.0.0.0/33", "bad prefix length"},
		{"fd00::/129", "bad prefix length"},
		{"10.0.0.0/", "bad prefix length"},
		{"10.0.0.0/024", "bad prefix length"},
		{"10.0.0.0/+8", "bad prefix length"},
		{"10.0.0.0/8x", "bad prefix length"},
		{"10.0.0.0/99999999999999999999", "bad prefix length"},
		{"10.0.0.1/24", "host bits set"},
		{"fd00::1/64", "host bits set"},
		{"10.0.0.0/4", "host bits set"},
	};
	const char *why = "stale";
	struct prefix p;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		why = NULL;
		assert_int_equal(prefix_parse_cidr_why(cases[i].s, &p, &why),
				 -EINVAL);
		if (!why || strcmp(why, cases[i].why))
			fail_msg("\"%s\": got \"%s\", want \"%s\"", cases[i].s,
				 why ? why : "(null)", cases[i].why);
		assert_int_equal(prefix_parse_cidr(cases[i].s, &p), -EINVAL);
	}
	why = "stale";
	assert_int_equal(prefix_parse_cidr_why("10.1.0.0/16", &p, &why), 0);
	assert_null(why);
	assert_int_equal(p.len, 16);
	/* why may be NULL */
	assert_int_equal(prefix_parse_cidr_why("10.0.0.1/8", &p, NULL),
			 -EINVAL);
}

static void test_contains(void **state)
{
	struct prefix net4 = P("10.0.0.0/16"), net6 = P("fd00:10::/64");
	struct prefix a4 = P("10.0.3.4"), a6 = P("fd00:10::3");

	(void)state;
	assert_true(prefix_contains(&net4, &a4));
	assert_false(prefix_contains(&net4, &a6)); /* never across families */
	assert_true(prefix_contains(&net6, &a6));
	struct prefix other6 = P("fd00:11::1"), big = P("10.244.0.0/16");
	struct prefix n1 = P("10.244.1.0/24"), n2 = P("10.244.2.0/24");

	assert_false(prefix_contains(&net6, &other6));
	assert_true(prefix_overlaps(&big, &n1));
	assert_false(prefix_overlaps(&n1, &n2));
}

static void test_cmp_and_nth(void **state)
{
	struct prefix a = P("10.244.1.0/24"), b = P("fd00::/8");
	char buf[PREFIX_STRLEN];

	(void)state;
	assert_true(prefix_cmp(&a, &b) < 0); /* IPv4 sorts before IPv6 */
	assert_int_equal(prefix_cmp(&a, &a), 0);
	a = prefix_nth(&a, 1);
	assert_string_equal(prefix_format(&a, buf, sizeof(buf)),
			    "10.244.1.1/24");
	b = P("fd00:244:0:1::/64");
	b = prefix_nth(&b, 1);
	assert_string_equal(prefix_format(&b, buf, sizeof(buf)),
			    "fd00:244:0:1::1/64");
	a = P("10.0.0.255/32");
	a = prefix_nth(&a, 1); /* carries into the next byte */
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "10.0.1.0");
}

static void test_atomic_write(void **state)
{
	char dir[] = "/tmp/snapnet-test-util-XXXXXX";
	char path[128], *back = NULL;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a/b/f.json", dir);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	assert_int_equal(mkdir_p(path), 0);
	snprintf(path, sizeof(path), "%s/a/b/f.json", dir);
	assert_int_equal(write_file_atomic(path, "{}\n", 3, NULL, 0), 0);
	assert_int_equal(read_file_small(path, 100, &back, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(back, "{}\n");
	free(back);
	assert_int_equal(read_file_small(path, 2, &back, &n), -EFBIG);
	unlink(path);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/a", dir);
	rmdir(path);
	rmdir(dir);
}

/* A FIFO where a file should be: refused at once, never a blocked open
 * (nothing writes to it here, so a blocking open would hang the test). */
static void test_read_fifo(void **state)
{
	char dir[] = "/tmp/snapnet-test-fifo-XXXXXX", path[96], *buf;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(read_file_small(path, 100, &buf, NULL), -EINVAL);
	unlink(path);
	rmdir(dir);
}

/* Sanitized text is valid UTF-8: a character cut by a fixed buffer is
 * dropped, other bad bytes become U+FFFD, good ones pass untouched. */
static void test_utf8_sanitize(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain ascii", "plain ascii" },
		{ "w\xc3\xb6rker", "w\xc3\xb6rker" },	    /* ö */
		{ "cut \xc3", "cut " },			    /* ö cut */
		{ "cut \xe2\x82", "cut " },		    /* € cut */
		{ "cut \xf0\x9f\x98", "cut " },		    /* 😀 cut */
		{ "\xe2\x82\xac \xf0\x9f\x98\x80", "\xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "bad \xff x", "bad \xef\xbf\xbd x" },
		{ "lone \x80 x", "lone \xef\xbf\xbd x" },
		{ "overlong \xc0\xaf", "overlong \xef\xbf\xbd\xef\xbf\xbd" },
		{ "surrogate \xed\xa0\x80", "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xc3 mid", "\xef\xbf\xbd mid" }, /* cut, but not at the end */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *o = utf8_sanitize(cases[i].in);

		assert_non_null(o);
		assert_string_equal(o, cases[i].out);
		free(o);
	}
}

/* Temp files of write_file_atomic()'s own pattern for this path are
 * found; other files, and other paths' temps, are not. */
static void test_stale_temps(void **state)
{
	char dir[] = "/tmp/snapnet-test-temps-XXXXXX", path[128], f[160];
	static const char *const names[] = {
		"x.conflist.tmp.AbC123",   /* ours */
		"x.conflist.tmp.AbC12",	   /* 5 chars: not the pattern */
		"x.conflist.tmp.AbC1234",  /* 7 chars */
		"y.conflist.tmp.AbC123",   /* another file's */
		"x.conflist.tmp.Ab-123",   /* not mkstemp's alphabet */
	};
	char **v;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.conflist", dir);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(f, sizeof(f), "%s/%s", dir, names[i]);
		assert_int_equal(write_file_atomic(f, "", 0, NULL, 0), 0);
	}
	assert_int_equal(file_stale_temps(path, &v, &n), 0);
	assert_int_equal(n, 1);
	snprintf(f, sizeof(f), "%s/%s", dir, names[0]);
	assert_string_equal(v[0], f);
	file_list_free(v, n);
	assert_int_equal(file_remove_stale_temps(path), 0);
	assert_int_equal(file_stale_temps(path, &v, &n), 0);
	assert_int_equal(n, 0);
	file_list_free(v, n);
	for (size_t i = 1; i < ARRAY_SIZE(names); i++) {
		snprintf(f, sizeof(f), "%s/%s", dir, names[i]);
		assert_int_equal(unlink(f), 0); /* still there */
	}
	assert_int_equal(rmdir(dir), 0);
}

static void test_array_grow(void **state)
{
	size_t cap = 0;
	int *a = NULL;

	(void)state;
	assert_int_equal(array_grow(&a, &cap, 1, sizeof(*a)), 0);
	assert_true(cap >= 1);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(array_grow(&a, &cap, (size_t)i + 1,
					    sizeof(*a)), 0);
		a[i] = i;
	}
	assert_true(cap >= 1000);
	assert_int_equal(a[999], 999);
	assert_int_equal(array_grow(&a, &cap, SIZE_MAX / 2, sizeof(*a)),
			 -ENOMEM);
	assert_int_equal(a[999], 999); /* unchanged on failure */
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_why),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_cmp_and_nth),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_array_grow),
		cmocka_unit_test(test_read_fifo),
		cmocka_unit_test(test_utf8_sanitize),
		cmocka_unit_test(test_stale_temps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
