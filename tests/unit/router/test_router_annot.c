/*
 * test_router_annot.c - the router's text parsers: AS numbers (asplain
 * and asdot, reserved ones refused), Go-style booleans, communities in
 * every form kube-router takes (aa:nn, 32-bit numbers, well-known names)
 * and large ones, comma lists, kube-router's base64 passwords, BGP
 * password rules, family lists.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "lib/util.h"
#include "router/router.h"

static void test_asn(void **state)
{
	uint32_t v;

	(void)state;
	assert_int_equal(router_parse_asn("64512", &v), 0);
	assert_int_equal(v, 64512);
	assert_int_equal(router_parse_asn("4294967295", &v), 0);
	assert_int_equal(v, 4294967295u);
	assert_int_equal(router_parse_asn("1.10", &v), 0); /* asdot */
	assert_int_equal(v, 65546);
	assert_int_equal(router_parse_asn("0", &v), -EINVAL);
	assert_int_equal(router_parse_asn("23456", &v), -EINVAL);
	assert_int_equal(router_parse_asn("4294967296", &v), -EINVAL);
	assert_int_equal(router_parse_asn("-1", &v), -EINVAL);
	assert_int_equal(router_parse_asn("", &v), -EINVAL);
	assert_int_equal(router_parse_asn("65000 ", &v), -EINVAL);
	assert_int_equal(router_parse_asn("1.65536", &v), -EINVAL);
	assert_int_equal(router_parse_asn("0.0", &v), -EINVAL);
}

static void test_bool(void **state)
{
	bool b;

	(void)state;
	assert_int_equal(router_parse_bool("true", &b), 0);
	assert_true(b);
	assert_int_equal(router_parse_bool("False", &b), 0);
	assert_false(b);
	assert_int_equal(router_parse_bool("1", &b), 0);
	assert_true(b);
	assert_int_equal(router_parse_bool("yes", &b), -EINVAL);
	assert_int_equal(router_parse_bool("", &b), -EINVAL);
	assert_int_equal(router_parse_bool("tRUE", &b), -EINVAL);
}

static void expect_comm(const char *s, uint32_t a, uint32_t b)
{
	struct router_comm c;

	assert_int_equal(router_parse_community(s, &c), 0);
	assert_false(c.large);
	assert_int_equal(c.a, a);
	assert_int_equal(c.b, b);
}

static void test_community(void **state)
{
	struct router_comm c;

	(void)state;
	expect_comm("64512:100", 64512, 100);
	expect_comm("0:0", 0, 0);
	expect_comm("4259840100", 65000, 100); /* 32-bit form */
	expect_comm("no-export", 65535, 65281);
	expect_comm("NO-ADVERTISE", 65535, 65282);
	expect_comm("local-as", 65535, 65283);
	expect_comm("no-export-subconfed", 65535, 65283);
	expect_comm("no-peer", 65535, 65284);
	expect_comm("blackhole", 65535, 666);
	expect_comm("graceful-shutdown", 65535, 0);
	assert_int_equal(router_parse_community("65536:1", &c), -EINVAL);
	assert_int_equal(router_parse_community("1:65536", &c), -EINVAL);
	assert_int_equal(router_parse_community("1:2:3", &c), -EINVAL);
	assert_int_equal(router_parse_community(":1", &c), -EINVAL);
	assert_int_equal(router_parse_community("no-such", &c), -EINVAL);
	assert_int_equal(router_parse_community("4294967296", &c), -EINVAL);
	assert_int_equal(router_parse_large_community("64512:1:2", &c), 0);
	assert_true(c.large);
	assert_int_equal(c.a, 64512);
	assert_int_equal(c.c, 2);
	assert_int_equal(
	    router_parse_large_community("4294967295:0:4294967295", &c), 0);
	assert_int_equal(router_parse_large_community("1:2", &c), -EINVAL);
	assert_int_equal(router_parse_large_community("1:2:3:4", &c), -EINVAL);
	assert_int_equal(router_parse_large_community("1:2:x", &c), -EINVAL);
}

static void test_comm_list(void **state)
{
	struct router_comm v[4];
	size_t n = 0;
	int bad;

	(void)state;
	assert_int_equal(
	    router_parse_comm_list("1:1, no-export ,7", false, v, 4, &n, &bad),
	    0);
	assert_int_equal(n, 3);
	assert_int_equal(bad, -1);
	assert_int_equal(v[2].b, 7);
	/* a bad entry is named; the others are kept */
	n = 0;
	assert_int_equal(
	    router_parse_comm_list("1:1,x,2:2", false, v, 4, &n, &bad),
	    -EINVAL);
	assert_int_equal(bad, 1);
	assert_int_equal(n, 2);
	/* more than fit */
	n = 0;
	assert_int_equal(
	    router_parse_comm_list("1,2,3,4,5", false, v, 4, &n, &bad),
	    -EINVAL);
	assert_int_equal(n, 4);
	assert_int_equal(bad, 4);
	n = 0;
	assert_int_equal(router_parse_comm_list("", false, v, 4, &n, &bad), 0);
	assert_int_equal(n, 0);
}

static void test_lists(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(router_list_count("a"), 1);
	assert_int_equal(router_list_count("a,,b"), 3);
	assert_int_equal(router_list_count("x,"), 2); /* kube-router's "pw," */
	assert_int_equal(router_list_item("a, b ,c", 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "b");
	assert_int_equal(router_list_item("a,", 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(router_list_item("a", 1, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(
	    router_list_item("0123456789abcdefg", 0, buf, sizeof(buf)), -E2BIG);
}

static void test_base64(void **state)
{
	char out[ROUTER_PASSWORD_MAX + 1];

	(void)state;
	/* kube-router's docs/bgp.md example, "SecurePassword" + newline */
	assert_int_equal(
	    router_base64_decode("U2VjdXJlUGFzc3dvcmQK", out, sizeof(out)), 0);
	assert_string_equal(out, "SecurePassword");
	assert_int_equal(
	    router_base64_decode("U2VjdXJlUGFzc3dvcmQ=", out, sizeof(out)), 0);
	assert_string_equal(out, "SecurePassword");
	assert_int_equal(router_base64_decode("YQ==", out, sizeof(out)), 0);
	assert_string_equal(out, "a");
	assert_int_equal(router_base64_decode("YQ", out, sizeof(out)), 0);
	assert_string_equal(out, "a");
	assert_int_equal(router_base64_decode("YR==", out, sizeof(out)),
			 -EINVAL); /* stray bits */
	assert_int_equal(router_base64_decode("Y", out, sizeof(out)), -EINVAL);
	assert_int_equal(router_base64_decode("a b", out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(router_base64_decode("YQ=", out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(router_base64_decode("YWJj", out, 3), -E2BIG);
}

static void test_password(void **state)
{
	char long_pw[ROUTER_PASSWORD_MAX + 2];

	(void)state;
	assert_true(router_password_ok("s3cret!#;"));
	assert_false(router_password_ok(""));
	assert_false(router_password_ok("a\"b")); /* BIRD cannot quote it */
	assert_false(router_password_ok("a\nb"));
	assert_false(router_password_ok("caf\xc3\xa9"));
	memset(long_pw, 'x', sizeof(long_pw) - 1);
	long_pw[sizeof(long_pw) - 1] = '\0';
	assert_false(router_password_ok(long_pw)); /* 81 bytes */
	long_pw[ROUTER_PASSWORD_MAX] = '\0';
	assert_true(router_password_ok(long_pw));
}

static void test_families(void **state)
{
	(void)state;
	assert_int_equal(router_parse_families("ipv4"), FAM_V4);
	assert_int_equal(router_parse_families("ipv6"), FAM_V6);
	assert_int_equal(router_parse_families("ipv4,ipv6"), FAM_V4 | FAM_V6);
	assert_int_equal(router_parse_families("ipv6,ipv4"), FAM_V4 | FAM_V6);
	assert_int_equal(router_parse_families("ipv4,ipv4"), 0);
	assert_int_equal(router_parse_families("ipv5"), 0);
	assert_int_equal(router_parse_families("IPv4"), 0);
	assert_int_equal(router_parse_families(""), 0);
	assert_string_equal(router_families_name(FAM_V4 | FAM_V6), "ipv4+ipv6");
	assert_string_equal(router_families_name(FAM_V6), "ipv6");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_asn),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_community),
		cmocka_unit_test(test_comm_list),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_families),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
