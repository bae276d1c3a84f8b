/*
 * test_sets.c - the pure part of the sets module: family-aware names,
 * member text, normalisation, the member diff, and the reading of
 * libipset's listing text and report messages. The listings below are
 * what libipset 7.17 printed on this machine. The kernel side is
 * exercised by tests/integration/lib/rules-sets.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/sets.h"

static char err[256];

static struct sets_member mem(enum sets_type t, int family, const char *s)
{
	struct sets_member m;

	if (sets_member_parse(t, family, s, &m))
		fail_msg("cannot parse %s", s);
	return m;
}

static void test_type_names(void **state)
{
	enum sets_type t;

	(void)state;
	assert_int_equal(sets_type_parse("hash:net,port", &t), 0);
	assert_int_equal(t, SETS_HASH_NET_PORT);
	assert_string_equal(sets_type_name(SETS_HASH_IP), "hash:ip");
	assert_int_equal(sets_type_parse("list:set", &t), -EINVAL);
	assert_int_equal(t, SETS_OTHER);
}

static void test_name(void **state)
{
	char a[32], b[32], c[32], d[32];

	(void)state;
	assert_int_equal(
	    sets_name("snapnet-", AF_INET, "peer", "app=web", 7, a, sizeof(a)),
	    0);
	assert_int_equal(
	    sets_name("snapnet-", AF_INET6, "peer", "app=web", 7, b, sizeof(b)),
	    0);
	assert_int_equal(
	    sets_name("snapnet-", AF_INET, "peer", "app=db", 6, c, sizeof(c)),
	    0);
	assert_int_equal(
	    sets_name("snapnet-", AF_INET, "pod", "app=web", 7, d, sizeof(d)),
	    0);
	/* the family is in the name, at a fixed place */
	assert_memory_equal(a, "snapnet-4-peer-", 15);
	assert_memory_equal(b, "snapnet-6-peer-", 15);
	assert_int_equal(sets_name_family("snapnet-", a), AF_INET);
	assert_int_equal(sets_name_family("snapnet-", b), AF_INET6);
	assert_int_equal(sets_name_family("snapnet-", "snapnet-x"), 0);
	assert_int_equal(sets_name_family("snapnet-", "snapnet-4"), 0);
	/* as long as a temporary still fits */
	assert_int_equal(strlen(a), SETS_OWN_NAME_MAX);
	assert_int_equal(strlen(a) + strlen(SETS_TEMP_SUFFIX) <= SETS_NAME_MAX,
			 1);
	/* the hash covers family, role and key */
	assert_string_not_equal(a + 15, b + 15);
	assert_string_not_equal(a, c);
	assert_string_not_equal(a + 15, d + 14);
	/* and is stable: a name is a promise across restarts */
	assert_int_equal(
	    sets_name("snapnet-", AF_INET, "peer", "app=web", 7, d, sizeof(d)),
	    0);
	assert_string_equal(a, d);
	assert_true(sets_name_ok("snapnet-", a));
	assert_false(sets_is_temp(a));
	/* a short prefix leaves room for 16 hash characters */
	assert_int_equal(sets_name("SN", AF_INET6, "ipb", "", 0, d, sizeof(d)),
			 0);
	assert_int_equal(strlen(d), strlen("SN6-ipb-") + 16);
	/* bad input */
	assert_int_equal(
	    sets_name("snapnet-", AF_UNIX, "peer", "", 0, d, sizeof(d)),
	    -EINVAL);
	assert_int_equal(
	    sets_name("snapnet-", AF_INET, "Peer", "", 0, d, sizeof(d)),
	    -EINVAL);
	assert_int_equal(
	    sets_name("snapnet-", AF_INET, "a-b", "", 0, d, sizeof(d)),
	    -EINVAL);
	assert_int_equal(
	    sets_name("snapnet-", AF_INET, "", "", 0, d, sizeof(d)), -EINVAL);
	assert_int_equal(
	    sets_name("snapnet-x.", AF_INET, "p", "", 0, d, sizeof(d)),
	    -EINVAL);
	assert_int_equal(
	    sets_name("snapnet-abcd", AF_INET, "rolerole", "", 0, d, sizeof(d)),
	    -ENAMETOOLONG);
	assert_int_equal(sets_name("snapnet-", AF_INET, "peer", "", 0, d, 29),
			 -ENOSPC);
}

/* SHA-256 known answers, seen through the name: the hash part of
 * sets_name() is the base32 of SHA-256("4" "peer" "\0" key). Checked
 * against sha256sum of the same bytes. */
static void test_name_hash(void **state)
{
	char a[32];

	(void)state;
	/* python3: base64.b32encode(sha256(b'4peer\0app=web')).lower()[:14] */
	assert_int_equal(
	    sets_name("snapnet-", AF_INET, "peer", "app=web", 7, a, sizeof(a)),
	    0);
	assert_string_equal(a + 15, "uek6dmrd7zg6qx");
}

/* Keys around SHA-256's block and padding boundaries (5 bytes of family
 * and role come first): key i of length len[i] is bytes (j * 7) & 0xff. */
static void test_name_hash_blocks(void **state)
{
	static const struct {
		size_t len;
		const char *hash;
	} kat[] = { { 55, "g3iw6dv45sw32za2" },
		    { 56, "6t3gztqxehajno6g" },
		    { 64, "fthplkwpzj5as2om" },
		    { 200, "4jkncfdphlal657z" } };
	unsigned char key[200];
	char a[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (i * 7) & 0xff;
	for (i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		assert_int_equal(sets_name("SN", AF_INET6, "ipb", key,
					   kat[i].len, a, sizeof(a)),
				 0);
		assert_string_equal(a + strlen("SN6-ipb-"), kat[i].hash);
	}
}

static void test_name_ok(void **state)
{
	(void)state;
	assert_true(sets_name_ok("snapnet-", "snapnet-x"));
	assert_false(sets_name_ok("snapnet-", "snapnet-"));
	assert_false(sets_name_ok("snapnet-", "other-x"));
	assert_false(sets_name_ok("snapnet-", "snapnet-x-t"));
	assert_true(sets_is_temp("snapnet-x-t"));
	assert_false(sets_name_ok("snapnet-", "snapnet-a b"));
	/* 29 bytes fit (a temporary adds 2), 30 do not */
	assert_true(sets_name_ok("snapnet-", "snapnet-123456789012345678901"));
	assert_false(
	    sets_name_ok("snapnet-", "snapnet-1234567890123456789012"));
	assert_false(sets_name_ok("snapnet-", NULL));
}

static void test_member_text(void **state)
{
	static const struct {
		enum sets_type t;
		int family;
		const char *in, *out;
	} ok[] = {
		{ SETS_HASH_IP, AF_INET, "10.0.0.1", "10.0.0.1" },
		{ SETS_HASH_IP, AF_INET6, "FD00:0::1", "fd00::1" },
		{ SETS_HASH_NET, AF_INET, "10.0.0.0/8", "10.0.0.0/8" },
		{ SETS_HASH_NET, AF_INET, "10.1.1.1/32", "10.1.1.1" },
		{ SETS_HASH_NET, AF_INET, "10.2.0.0/16 nomatch",
		  "10.2.0.0/16 nomatch" },
		{ SETS_HASH_NET, AF_INET6, "::/1", "::/1" },
		{ SETS_HASH_IP_PORT, AF_INET, "10.0.0.1,tcp:80",
		  "10.0.0.1,tcp:80" },
		{ SETS_HASH_IP_PORT, AF_INET, "10.0.0.1,sctp:9",
		  "10.0.0.1,sctp:9" },
		{ SETS_HASH_NET_PORT, AF_INET6, "fd00::/64,udp:53",
		  "fd00::/64,udp:53" },
	};
	static const struct {
		enum sets_type t;
		int family;
		const char *in;
	} bad[] = {
		{ SETS_HASH_IP, AF_INET, "10.0.0.0/8" },
		{ SETS_HASH_IP, AF_INET, "fd00::1" },
		{ SETS_HASH_IP, AF_INET6, "10.0.0.1" },
		{ SETS_HASH_IP, AF_INET, "10.0.0.1 nomatch" },
		{ SETS_HASH_NET, AF_INET, "10.0.0.0/33" },
		{ SETS_HASH_NET, AF_INET, "10.0.0.0/" },
		{ SETS_HASH_NET, AF_INET, "10.0.0.0/-1" },
		{ SETS_HASH_NET, AF_INET, "10.0.0.0/8,tcp:80" },
		{ SETS_HASH_IP_PORT, AF_INET, "10.0.0.1" },
		{ SETS_HASH_IP_PORT, AF_INET, "10.0.0.1,80" },
		{ SETS_HASH_IP_PORT, AF_INET, "10.0.0.1,icmp:8" },
		{ SETS_HASH_IP_PORT, AF_INET, "10.0.0.1,tcp:65536" },
		{ SETS_HASH_IP_PORT, AF_INET, "10.0.0.1,tcp:" },
		{ SETS_OTHER, AF_INET, "10.0.0.1" },
		{ SETS_HASH_IP, AF_UNIX, "10.0.0.1" },
	};
	struct sets_member m;
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(
		    sets_member_parse(ok[i].t, ok[i].family, ok[i].in, &m), 0);
		assert_int_equal(
		    sets_member_format(ok[i].t, &m, buf, sizeof(buf)), 0);
		assert_string_equal(buf, ok[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    sets_member_parse(bad[i].t, bad[i].family, bad[i].in, &m),
		    -EINVAL);
	m = mem(SETS_HASH_IP, AF_INET6, "fd00::1");
	assert_int_equal(sets_member_format(SETS_HASH_IP, &m, buf, 7), -ENOSPC);
}

static void test_norm(void **state)
{
	struct sets_member in[6], *out;
	size_t n;
	char buf[64];

	(void)state;
	in[0] = mem(SETS_HASH_NET, AF_INET, "10.1.2.3/8");
	in[1] = mem(SETS_HASH_NET, AF_INET, "10.0.0.0/8");
	in[2] = mem(SETS_HASH_NET, AF_INET, "0.0.0.0/0");
	in[3] = mem(SETS_HASH_NET, AF_INET, "192.168.1.1");
	in[4] = mem(SETS_HASH_NET, AF_INET, "10.9.0.0/16 nomatch");
	in[5] = in[3];
	assert_int_equal(sets_members_norm(SETS_HASH_NET, AF_INET, in, 6, &out,
					   &n, err, sizeof(err)),
			 0);
	/* masked, deduplicated, /0 split in two /1, sorted */
	assert_int_equal(n, 5);
	sets_member_format(SETS_HASH_NET, &out[0], buf, sizeof(buf));
	assert_string_equal(buf, "0.0.0.0/1");
	sets_member_format(SETS_HASH_NET, &out[1], buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.0/8");
	sets_member_format(SETS_HASH_NET, &out[2], buf, sizeof(buf));
	assert_string_equal(buf, "10.9.0.0/16 nomatch");
	sets_member_format(SETS_HASH_NET, &out[3], buf, sizeof(buf));
	assert_string_equal(buf, "128.0.0.0/1");
	sets_member_format(SETS_HASH_NET, &out[4], buf, sizeof(buf));
	assert_string_equal(buf, "192.168.1.1");
	free(out);
	/* ::/0 too */
	in[0] = mem(SETS_HASH_NET, AF_INET6, "::/0 nomatch");
	assert_int_equal(sets_members_norm(SETS_HASH_NET, AF_INET6, in, 1, &out,
					   &n, err, sizeof(err)),
			 0);
	assert_int_equal(n, 2);
	sets_member_format(SETS_HASH_NET, &out[1], buf, sizeof(buf));
	assert_string_equal(buf, "8000::/1 nomatch");
	free(out);
}

static void test_norm_bad(void **state)
{
	struct sets_member in[2], *out = NULL;
	size_t n = 7;

	(void)state;
	/* an IPv6 member in an IPv4 set: the bug class of kube-router's
	 * nameless IPv6 sets, refused before the kernel sees it */
	in[0] = mem(SETS_HASH_IP, AF_INET6, "fd00::1");
	assert_int_equal(sets_members_norm(SETS_HASH_IP, AF_INET, in, 1, &out,
					   &n, err, sizeof(err)),
			 -EINVAL);
	assert_null(out);
	assert_int_equal(n, 0);
	/* a port member in a set without ports, and the reverse */
	in[0] = mem(SETS_HASH_IP_PORT, AF_INET, "10.0.0.1,tcp:1");
	assert_int_equal(sets_members_norm(SETS_HASH_IP, AF_INET, in, 1, &out,
					   &n, err, sizeof(err)),
			 -EINVAL);
	in[0] = mem(SETS_HASH_IP, AF_INET, "10.0.0.1");
	assert_int_equal(sets_members_norm(SETS_HASH_IP_PORT, AF_INET, in, 1,
					   &out, &n, err, sizeof(err)),
			 -EINVAL);
	/* a net in hash:ip would be a range of hosts */
	in[0] = mem(SETS_HASH_NET, AF_INET, "10.0.0.0/24");
	assert_int_equal(sets_members_norm(SETS_HASH_IP, AF_INET, in, 1, &out,
					   &n, err, sizeof(err)),
			 -EINVAL);
	/* the same net with and without nomatch */
	in[0] = mem(SETS_HASH_NET, AF_INET, "10.0.0.0/24");
	in[1] = mem(SETS_HASH_NET, AF_INET, "10.0.0.0/24 nomatch");
	assert_int_equal(sets_members_norm(SETS_HASH_NET, AF_INET, in, 2, &out,
					   &n, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(sets_members_norm(SETS_HASH_IP, AF_INET, in,
					   SETS_MEMBERS_MAX + 1, &out, &n, err,
					   sizeof(err)),
			 -E2BIG);
	/* empty is fine */
	assert_int_equal(sets_members_norm(SETS_HASH_IP, AF_INET, in, 0, &out,
					   &n, err, sizeof(err)),
			 0);
	assert_int_equal(n, 0);
	free(out);
}

static void test_diff(void **state)
{
	struct sets_member w[4], h[4], *del, *add;
	size_t nd, na;
	char buf[64];

	(void)state;
	w[0] = mem(SETS_HASH_NET, AF_INET, "10.0.0.0/8");
	w[1] = mem(SETS_HASH_NET, AF_INET, "10.1.0.0/16 nomatch");
	w[2] = mem(SETS_HASH_NET, AF_INET, "10.3.0.0/16");
	h[0] = mem(SETS_HASH_NET, AF_INET, "10.0.0.0/8");
	h[1] = mem(SETS_HASH_NET, AF_INET, "10.1.0.0/16");
	h[2] = mem(SETS_HASH_NET, AF_INET, "10.2.0.0/16");
	assert_int_equal(sets_diff(w, 3, h, 3, &del, &nd, &add, &na), 0);
	assert_int_equal(nd, 2);
	assert_int_equal(na, 2);
	sets_member_format(SETS_HASH_NET, &del[0], buf, sizeof(buf));
	assert_string_equal(buf, "10.1.0.0/16");
	sets_member_format(SETS_HASH_NET, &del[1], buf, sizeof(buf));
	assert_string_equal(buf, "10.2.0.0/16");
	sets_member_format(SETS_HASH_NET, &add[0], buf, sizeof(buf));
	assert_string_equal(buf, "10.1.0.0/16 nomatch");
	sets_member_format(SETS_HASH_NET, &add[1], buf, sizeof(buf));
	assert_string_equal(buf, "10.3.0.0/16");
	free(del);
	free(add);
	assert_int_equal(sets_diff(w, 3, w, 3, &del, &nd, &add, &na), 0);
	assert_int_equal(nd + na, 0);
	assert_int_equal(sets_diff(w, 0, h, 3, &del, &nd, &add, &na), 0);
	assert_int_equal(nd, 3);
	assert_int_equal(na, 0);
	free(del);
	free(add);
}

static const char list_text[] = "Name: foreign\n"
				"Type: hash:ip\n"
				"Revision: 6\n"
				"Header: family inet hashsize 1024 maxelem "
				"65536 bucketsize 12 initval 0x223afe5a\n"
				"Size in memory: 216\n"
				"References: 6\n"
				"Number of entries: 0\n"
				"\n"
				"Name: snapnet-6-peer-abc\n"
				"Type: hash:net\n"
				"Revision: 7\n"
				"Header: family inet6 hashsize 2048 maxelem "
				"131072 bucketsize 12 initval 0xba0c7039\n"
				"Size in memory: 1384\n"
				"References: 2\n"
				"Number of entries: 2\n"
				"\n"
				"Name: snapnet-4-list\n"
				"Type: list:set\n"
				"Revision: 3\n"
				"Header: size 8\n"
				"Size in memory: 80\n"
				"References: 0\n"
				"Number of entries: 0\n";

static void test_parse_list(void **state)
{
	struct sets_info *v;
	size_t n;

	(void)state;
	assert_int_equal(
	    sets_parse_list(list_text, "snapnet-", &v, &n, err, sizeof(err)),
	    0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "snapnet-6-peer-abc");
	assert_int_equal(v[0].type, SETS_HASH_NET);
	assert_int_equal(v[0].family, AF_INET6);
	assert_int_equal(v[0].hashsize, 2048);
	assert_int_equal(v[0].maxelem, 131072);
	assert_int_equal(v[0].references, 2);
	assert_int_equal(v[0].elements, 2);
	assert_string_equal(v[1].typename, "list:set");
	assert_int_equal(v[1].type, SETS_OTHER);
	assert_int_equal(v[1].family, 0);
	free(v);
	assert_int_equal(
	    sets_parse_list("", "snapnet-", &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	free(v);
}

static void test_parse_save(void **state)
{
	static const char save[] =
	    "create snapnet-4-n hash:net family inet hashsize 1024 maxelem "
	    "65536 bucketsize 12 initval 0xc259408b\n"
	    "add snapnet-4-n 10.2.0.0/16 nomatch\n"
	    "add snapnet-4-n 10.1.1.1\n"
	    "add snapnet-4-nx 10.9.9.9\n"
	    "add snapnet-4-n 10.0.0.0/8\n";
	struct sets_member *v;
	char buf[64];
	size_t n;

	(void)state;
	assert_int_equal(sets_parse_save(save, "snapnet-4-n", SETS_HASH_NET,
					 AF_INET, &v, &n, err, sizeof(err)),
			 0);
	assert_int_equal(n, 3);
	sets_member_format(SETS_HASH_NET, &v[0], buf, sizeof(buf));
	assert_string_equal(buf, "10.2.0.0/16 nomatch");
	assert_int_equal(v[1].plen, 32);
	free(v);
	assert_int_equal(
	    sets_parse_save("add snapnet-4-n 10.0.0.0/8 timeout 5\n",
			    "snapnet-4-n", SETS_HASH_NET, AF_INET, &v, &n, err,
			    sizeof(err)),
	    -EINVAL);
	assert_null(v);
	assert_int_equal(sets_parse_save("add snapnet-4-n fd00::1\n",
					 "snapnet-4-n", SETS_HASH_IP, AF_INET,
					 &v, &n, err, sizeof(err)),
			 -EINVAL);
}

static void test_errno(void **state)
{
	(void)state;
	assert_int_equal(
	    sets_errno(
		"Set cannot be destroyed: it is in use by a kernel component"),
	    -EBUSY);
	assert_int_equal(
	    sets_errno("The set with the given name does not exist"), -ENOENT);
	assert_int_equal(
	    sets_errno(
		"Error in line 3: Hash is full, cannot add more elements"),
	    -ENOSPC);
	assert_int_equal(
	    sets_errno(
		"Set cannot be created: set with the same name already exists"),
	    -EEXIST);
	assert_int_equal(
	    sets_errno("Kernel error received: Operation not permitted"),
	    -EPERM);
	assert_int_equal(
	    sets_errno("The sets cannot be swapped: their type does not match"),
	    -EINVAL);
	assert_int_equal(sets_errno("something new"), -EIO);
	assert_int_equal(sets_errno(NULL), -EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_name_hash),
		cmocka_unit_test(test_name_hash_blocks),
		cmocka_unit_test(test_name_ok),
		cmocka_unit_test(test_member_text),
		cmocka_unit_test(test_norm),
		cmocka_unit_test(test_norm_bad),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_parse_list),
		cmocka_unit_test(test_parse_save),
		cmocka_unit_test(test_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
