/*
 * test_scan.c - the strict JSON scanner on tricky input.
 *
 * Each case runs the scanner the way the loader does: one value, then
 * nothing but whitespace. Valid documents must pass; invalid ones must
 * fail with the expected text at the expected offset; every strict prefix
 * of a document must fail as truncated at exactly its end.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/scan.h"

/* Scans a whole document of n bytes; 0 or -EINVAL with s->err set. */
static int scan_doc_n(struct scan *s, const char *doc, size_t n)
{
	int r;

	scan_init(s, doc, n, SCAN_MAX_DEPTH);
	r = scan_value(s, 0);
	if (r == 0 && scan_peek(s) != -1)
		r = scan_fail(s, s->pos, "trailing data");
	return r;
}

static int scan_doc(struct scan *s, const char *doc)
{
	return scan_doc_n(s, doc, strlen(doc));
}

static void test_valid(void **state)
{
	static const char *const ok[] = {
	    "{}",
	    "[]",
	    "0",
	    "-0",
	    "12",
	    "-12.5",
	    "1e5",
	    "1E+5",
	    "1.0e-05",
	    "0.25",
	    "true",
	    "false",
	    "null",
	    "\"\"",
	    " \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" : { } }\n",
	    "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"",
	    "\"\\u00e9\\u20AC\\ud83d\\ude00\"",
	    "\"\\ud800\"", /* lone surrogate: grammar ok */
	    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"",
	    "[[[[[[[[[[]]]]]]]]]]",
	    "{\"a\":{\"a\":{\"a\":[true,false,null,-1e-7]}}}",
	    "[\"}\", \"]\", \"\\\"]\"]",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct scan s;

		if (scan_doc(&s, ok[i]) != 0)
			fail_msg("rejected %s: %s", ok[i], s.err);
	}
}

struct bad {
	const char *doc;
	const char *err;
	size_t pos;
};

static void test_invalid(void **state)
{
	static const struct bad bad[] = {
	    {"", "unexpected end of input", 0},
	    {"01", "leading zero in number", 1},
	    {"-01", "leading zero in number", 2},
	    {"1.", "unexpected end of input", 2},
	    {"1.e5", "digit expected after '.'", 2},
	    {".5", "expected a value", 0},
	    {"+1", "expected a value", 0},
	    {"-", "unexpected end of input", 1},
	    {"-x", "invalid number", 1},
	    {"1e", "unexpected end of input", 2},
	    {"1e+x", "digit expected in exponent", 3},
	    {"tru", "unexpected end of input", 3},
	    {"trUe", "invalid literal", 2},
	    {"True", "expected a value", 0},
	    {"nul", "unexpected end of input", 3},
	    {"NaN", "expected a value", 0},
	    {"Infinity", "expected a value", 0},
	    {"\"abc", "unexpected end of input", 4},
	    {"\"a\\x\"", "invalid escape in string", 3},
	    {"\"\\u12G4\"", "invalid \\u escape", 5},
	    {"\"\\u12\"", "invalid \\u escape", 5},
	    {"\"a\tb\"", "control character in string", 2},
	    {"\"a\nb\"", "control character in string", 2},
	    {"\"\xc0\x80\"", "invalid UTF-8", 1},	  /* overlong */
	    {"\"\xe0\x80\xaf\"", "invalid UTF-8", 2},	  /* overlong */
	    {"\"\xed\xa0\x80\"", "invalid UTF-8", 2},	  /* surrogate */
	    {"\"\xf4\x90\x80\x80\"", "invalid UTF-8", 2}, /* > U+10FFFF */
	    {"\"\xf5\x80\x80\x80\"", "invalid UTF-8", 1},
	    {"\"\x80\"", "invalid UTF-8", 1},	  /* lone cont. */
	    {"\"\xe2\x82\"", "invalid UTF-8", 3}, /* cut short */
	    {"\"\xff\"", "invalid UTF-8", 1},
	    {"[1,]", "expected a value", 3},
	    {"[1 2]", "expected ',' or ']' in array", 3},
	    {"{\"a\":1,}", "expected a string as object key", 7},
	    {"{\"a\" 1}", "expected ':' after object key", 5},
	    {"{1:2}", "expected a string as object key", 1},
	    {"{'a':1}", "expected a string as object key", 1},
	    {"{\"a\":1]", "expected ',' or '}' in object", 6},
	    {"[1, 2, x]", "expected a value", 7},
	    {"{} {}", "trailing data", 3},
	    {"[] x", "trailing data", 3},
	    {"\"a\" \"b\"", "trailing data", 4},
	    {"\xef\xbb\xbf{}", "expected a value", 0}, /* BOM */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct scan s;

		if (scan_doc(&s, bad[i].doc) != -EINVAL)
			fail_msg("accepted %s", bad[i].doc);
		if (!strstr(s.err, bad[i].err) || s.err_pos != bad[i].pos)
			fail_msg("%s: got \"%s\" at %zu, want \"%s\" at %zu",
				 bad[i].doc, s.err, s.err_pos, bad[i].err,
				 bad[i].pos);
	}
}

static void test_nul_byte_in_string(void **state)
{
	static const char doc[] = "\"a\0b\"";
	struct scan s;

	(void)state;
	assert_int_equal(scan_doc_n(&s, doc, sizeof(doc) - 1), -EINVAL);
	assert_string_equal(s.err, "control character in string");
	assert_int_equal(s.err_pos, 2);
}

static char *nest(unsigned n)
{
	char *doc = malloc(2 * n + 1);

	assert_non_null(doc);
	memset(doc, '[', n);
	memset(doc + n, ']', n);
	doc[2 * n] = '\0';
	return doc;
}

static void test_depth(void **state)
{
	char *ok = nest(SCAN_MAX_DEPTH), *deep = nest(SCAN_MAX_DEPTH + 1);
	struct scan s;

	(void)state;
	assert_int_equal(scan_doc(&s, ok), 0);
	assert_int_equal(scan_doc(&s, deep), -EINVAL);
	assert_non_null(strstr(s.err, "nesting deeper than 64"));
	assert_int_equal(s.err_pos, SCAN_MAX_DEPTH);
	/* depth counts the caller's containers too */
	scan_init(&s, ok, strlen(ok), SCAN_MAX_DEPTH);
	assert_int_equal(scan_value(&s, 1), -EINVAL);
	/* a lower limit is honoured */
	scan_init(&s, "[[[]]]", 6, 2);
	assert_int_equal(scan_value(&s, 0), -EINVAL);
	free(ok);
	free(deep);
}

/* Every strict prefix of a document is truncated exactly at its end. */
static void test_truncated_everywhere(void **state)
{
	static const char doc[] =
	    "{\"apiVersion\": \"v1\", \"items\": [\n"
	    "  {\"kind\": \"N\\u006fde\", \"n\": -12.5e+3, \"t\": true,\n"
	    "   \"f\": false, \"z\": null, \"s\": \"caf\xc3\xa9 \\\" \\\\\",\n"
	    "   \"e\": \"\xf0\x9f\x98\x80\\ud83d\\ude00\", \"a\": [[], {}]}\n"
	    "], \"kind\": \"List\"}";
	size_t n = sizeof(doc) - 1;
	struct scan s;

	(void)state;
	assert_int_equal(scan_doc_n(&s, doc, n), 0);
	for (size_t i = 0; i < n; i++) {
		char *cut =
		    malloc(i ? i : 1); /* exact size: ASan sees overreads */

		assert_non_null(cut);
		memcpy(cut, doc, i);
		if (scan_doc_n(&s, cut, i) != -EINVAL)
			fail_msg("prefix of %zu bytes accepted", i);
		if (strcmp(s.err, "unexpected end of input") || s.err_pos != i)
			fail_msg("prefix %zu: \"%s\" at %zu", i, s.err,
				 s.err_pos);
		free(cut);
	}
}

static void test_string_decode(void **state)
{
	struct scan s;
	struct scan_str str;
	char out[16];

	(void)state;
	scan_init(&s, " \"N\\u006fde\"", 12, 0);
	assert_int_equal(scan_string(&s, &str), 0);
	assert_true(str.escaped);
	assert_true(scan_str_eq(&str, "Node"));
	assert_false(scan_str_eq(&str, "Nod"));
	assert_int_equal(s.pos, 12);

	scan_init(&s, "\"kind\\u0000\"", 12, 0);
	assert_int_equal(scan_string(&s, &str), 0);
	assert_false(scan_str_eq(&str, "kind"));
	assert_int_equal(scan_str_decode(&str, out, sizeof(out)), 5);

	scan_init(&s, "\"\\ud83d\\ude00\\t\"", 16, 0);
	assert_int_equal(scan_string(&s, &str), 0);
	assert_int_equal(scan_str_decode(&str, out, sizeof(out)), 5);
	assert_memory_equal(out, "\xf0\x9f\x98\x80\t", 6);

	scan_init(&s, "\"\\udc00x\"", 10, 0);
	assert_int_equal(scan_string(&s, &str), 0);
	assert_int_equal(scan_str_decode(&str, out, sizeof(out)), -EINVAL);

	scan_init(&s, "\"0123456789abcdef\"", 18, 0);
	assert_int_equal(scan_string(&s, &str), 0);
	assert_false(str.escaped);
	assert_int_equal(scan_str_decode(&str, out, sizeof(out)),
			 -ENAMETOOLONG);
	assert_true(scan_str_eq(&str, "0123456789abcdef"));
	{
		char fit[17];

		assert_int_equal(scan_str_decode(&str, fit, sizeof(fit)), 16);
		assert_string_equal(fit, "0123456789abcdef");
	}

	scan_init(&s, "  42", 4, 0);
	assert_int_equal(scan_string(&s, &str), -EINVAL);
	assert_string_equal(s.err, "expected a string");
	assert_int_equal(s.err_pos, 2);
}

/* Runs of whitespace of every length around the 16-byte steps of the
 * skip, mixed with tabs, CR and LF, up to the very end of the buffer; an
 * error right after a run is placed exactly. The buffer is heap memory of
 * exactly its length, so ASan sees any read past it. */
static void test_whitespace_runs(void **state)
{
	static const char mix[] = " \t\r\n";
	struct scan s;
	char doc[512];

	(void)state;
	for (int k = 0; k <= 40; k++) {
		for (int m = 0; m < 2; m++) {
			char ws[64];
			size_t n;
			char *heap;

			for (int i = 0; i < k; i++)
				ws[i] = m && i % 7 == 3 ? mix[i % 4] : ' ';
			ws[k] = '\0';
			n = (size_t)snprintf(doc, sizeof(doc),
					     "%s[%s1%s,\n%s\"x\"%s]%s", ws, ws,
					     ws, ws, ws, ws);
			heap = malloc(n);
			assert_non_null(heap);
			memcpy(heap, doc, n);
			if (scan_doc_n(&s, heap, n))
				fail_msg("k=%d m=%d: %s", k, m, s.err);
			free(heap);
			n = (size_t)snprintf(doc, sizeof(doc), "[%sx", ws);
			assert_int_equal(scan_doc(&s, doc), -EINVAL);
			assert_int_equal(s.err_pos, 1 + k);
		}
	}
}

/* One string token of `n` bytes from a heap copy of exactly that size. */
static int scan_str_n(const char *doc, size_t n, struct scan *s,
		      struct scan_str *str)
{
	char *heap = malloc(n ? n : 1);
	int r;

	assert_non_null(heap);
	memcpy(heap, doc, n);
	scan_init(s, heap, n, 0);
	r = scan_string(s, str);
	free(heap);
	return r;
}

/* Strings of every length around the 16-byte steps of the string skip,
 * with a special byte at every position: an escape, a control character,
 * a two-byte UTF-8 character and a byte that is never UTF-8. */
static void test_string_runs(void **state)
{
	struct scan s;
	struct scan_str str;
	char doc[128], body[64];

	(void)state;
	for (int len = 0; len <= 40; len++) {
		memset(body, 'a', (size_t)len);
		body[len] = '\0';
		snprintf(doc, sizeof(doc), "\"%s\"", body);
		assert_int_equal(scan_str_n(doc, strlen(doc), &s, &str), 0);
		assert_int_equal(str.len, len);
		assert_false(str.escaped);
		/* no closing quote */
		assert_int_equal(scan_str_n(doc, strlen(doc) - 1, &s, &str),
				 -EINVAL);
	}
	for (int at = 0; at < 40; at++) {
		static const char *const ins[] = { "\\n", "\x01", "\xc3\xa9",
						   "\xff" };
		static const int ok[] = { 1, 0, 1, 0 };

		for (int k = 0; k < 4; k++) {
			int n = snprintf(doc, sizeof(doc), "\"%.*s%s%.*s\"", at,
					 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
					 ins[k], 39 - at,
					 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
			int r = scan_str_n(doc, (size_t)n, &s, &str);

			if (ok[k]) {
				assert_int_equal(r, 0);
				assert_int_equal(str.escaped, k == 0);
				assert_int_equal(str.len, n - 2);
			} else {
				assert_int_equal(r, -EINVAL);
				assert_int_equal(s.err_pos, 1 + at);
			}
		}
	}
}

static void test_helpers(void **state)
{
	static const char doc[] = "{\n\"a\":\n\n1}";
	struct scan s;

	(void)state;
	scan_init(&s, doc, sizeof(doc) - 1, 0);
	assert_int_equal(scan_line(&s, 0), 1);
	assert_int_equal(scan_line(&s, 2), 2);
	assert_int_equal(scan_line(&s, 8), 4);
	assert_int_equal(scan_line(&s, 1000), 4);
	assert_int_equal(scan_expect(&s, '[', "'['"), -EINVAL);
	assert_string_equal(s.err, "expected '['");
	assert_int_equal(scan_expect(&s, '{', "'{'"), 0);
	assert_int_equal(scan_peek(&s), '"');
	assert_string_equal(scan_type_name('{'), "object");
	assert_string_equal(scan_type_name('['), "array");
	assert_string_equal(scan_type_name('"'), "string");
	assert_string_equal(scan_type_name('-'), "number");
	assert_string_equal(scan_type_name('7'), "number");
	assert_string_equal(scan_type_name('t'), "boolean");
	assert_string_equal(scan_type_name('n'), "null");
	/* an empty buffer may come as NULL */
	scan_init(&s, NULL, 0, 0);
	assert_int_equal(scan_peek(&s), -1);
	assert_int_equal(scan_value(&s, 0), -EINVAL);
	assert_string_equal(s.err, "unexpected end of input");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_nul_byte_in_string),
	    cmocka_unit_test(test_depth),
	    cmocka_unit_test(test_truncated_everywhere),
	    cmocka_unit_test(test_string_decode),
	    cmocka_unit_test(test_whitespace_runs),
	    cmocka_unit_test(test_string_runs),
	    cmocka_unit_test(test_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
