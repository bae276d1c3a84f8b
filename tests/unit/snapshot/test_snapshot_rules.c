/*
 * test_snapshot_rules.c - the loader's rules that keep a snapshot from
 * turning into harmful routes: pod CIDR prefix lengths per family, no
 * reserved range (unspecified, loopback, link-local, multicast,
 * IPv4-mapped) in a pod CIDR or an InternalIP, no pod CIDR containing a
 * node's InternalIP, and the bounds on one Node item (64 addresses, 2 pod
 * CIDRs, 1 MiB of text). Each rule has a rejected case with its exact
 * message and accepted neighbours. ASan checks rejections leak nothing.
 */
/* cmocka.h needs these first; keep clang-format from sorting them. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/snapshot.h"
#include "lib/util.h"

#include "snapshot_test.h"

static void test_pod_cidr_lengths(void **state)
{
	static const char *const bad[] = {
	    "0.0.0.0/0", "10.0.0.0/7", "10.0.0.0/31", "10.0.0.1/32",
	    "::/0",	 "fd00::/31",  "fd00::/127",  "fd00::1/128",
	};
	static const char *const good[] = {"10.0.0.0/8", "10.0.0.4/30",
					   "fd00::/32", "fd00::4/126"};
	char doc[512], want[160];
	struct prefix p;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(prefix_parse_cidr(bad[i], &p), 0);
		snprintf(doc, sizeof(doc), LIST(NODE("a", CIDRS("\"%s\""))),
			 bad[i]);
		snprintf(want, sizeof(want),
			 NAME ": items[0] Node/a: spec.podCIDRs[0]: pod CIDR "
			      "%s has prefix length /%u; %s pod CIDRs must be "
			      "/%s",
			 bad[i], p.len, p.family == AF_INET ? "IPv4" : "IPv6",
			 p.family == AF_INET ? "8 to /30" : "32 to /126");
		reject(doc, want);
	}
	/* the podCIDR fallback obeys the same rule */
	reject(LIST(NODE("a", ",\"spec\":{\"podCIDR\":\"0.0.0.0/0\"}")),
	       "items[0] Node/a: spec.podCIDR: pod CIDR 0.0.0.0/0 has prefix "
	       "length /0");
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		snprintf(doc, sizeof(doc), LIST(NODE("a", CIDRS("\"%s\""))),
			 good[i]);
		snapshot_free(parse(doc));
	}
}

/* No node address and no pod CIDR in reserved ranges. */
static void test_reserved_ranges(void **state)
{
	static const struct {
		const char *ip, *range, *what;
	} bad_ip[] = {
	    {"0.0.0.0", "0.0.0.0/8", "unspecified"},
	    {"0.1.2.3", "0.0.0.0/8", "unspecified"},
	    {"127.0.0.1", "127.0.0.0/8", "loopback"},
	    {"127.255.0.9", "127.0.0.0/8", "loopback"},
	    {"169.254.10.1", "169.254.0.0/16", "link-local"},
	    {"224.0.0.1", "224.0.0.0/4", "multicast"},
	    {"239.255.255.255", "224.0.0.0/4", "multicast"},
	    {"::", "::/128", "unspecified"},
	    {"0:0:0:0:0:0:0:0", "::/128", "unspecified"},
	    {"::1", "::1/128", "loopback"},
	    {"::ffff:10.0.0.1", "::ffff:0.0.0.0/96", "IPv4-mapped"},
	    {"::FFFF:a00:1", "::ffff:0.0.0.0/96", "IPv4-mapped"},
	    {"fe80::1", "fe80::/10", "link-local"},
	    {"febf:ffff::1", "fe80::/10", "link-local"},
	    {"ff02::1", "ff00::/8", "multicast"},
	};
	static const struct {
		const char *cidr, *range, *what;
	} bad_cidr[] = {
	    {"0.0.0.0/8", "0.0.0.0/8", "unspecified"},
	    {"127.0.0.0/16", "127.0.0.0/8", "loopback"},
	    {"169.254.0.0/16", "169.254.0.0/16", "link-local"},
	    {"169.0.0.0/8", "169.254.0.0/16", "link-local"},
	    {"169.254.3.0/24", "169.254.0.0/16", "link-local"},
	    {"224.0.0.0/8", "224.0.0.0/4", "multicast"},
	    {"::/32", "::/128", "unspecified"},
	    {"::ffff:0:0/96", "::ffff:0.0.0.0/96", "IPv4-mapped"},
	    {"::ffff:10.0.0.0/104", "::ffff:0.0.0.0/96", "IPv4-mapped"},
	    {"::8000:0:0/81", "::ffff:0.0.0.0/96", "IPv4-mapped"},
	    {"fe80::/64", "fe80::/10", "link-local"},
	    {"ff00::/32", "ff00::/8", "multicast"},
	};
	static const char *const good_ip[] = {
	    "1.0.0.1",	   "126.255.255.255", "128.0.0.1", "169.253.255.255",
	    "169.255.0.1", "223.255.255.255", "::2",	   "::fffe:a00:1",
	    "fe7f::1",	   "fec0::1",	      "fe00::1",   "2001:db8::1"};
	static const char *const good_cidr[] = {
	    "1.0.0.0/8",   "126.0.0.0/8", "128.0.0.0/8", "169.255.0.0/16",
	    "169.0.0.0/9", "223.0.0.0/8", "100::/64",	 "0:0:0:1::/64",
	    "fec0::/32",   "fe00::/32",	  "fe40::/32"};
	char doc[512], want[200];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_ip); i++) {
		snprintf(doc, sizeof(doc), LIST(NODE("a", ADDRS(IIP("%s")))),
			 bad_ip[i].ip);
		snprintf(want, sizeof(want),
			 NAME ": items[0] Node/a: status.addresses[0].address: "
			      "InternalIP %s is in %s (%s)",
			 bad_ip[i].ip, bad_ip[i].range, bad_ip[i].what);
		reject(doc, want);
	}
	/* every InternalIP is checked, not only the one that is kept */
	reject(LIST(NODE("a", ADDRS(IIP("10.0.0.1"), IIP("127.0.0.1")))),
	       "status.addresses[1].address: InternalIP 127.0.0.1 is in "
	       "127.0.0.0/8 (loopback)");
	/* an ExternalIP obeys the same ranges; DNS names are not IPs */
	reject(LIST(NODE("a", ADDRS("{\"type\":\"ExternalIP\",\"address\":"
				    "\"127.0.0.1\"}",
				    IIP("10.0.0.1")))),
	       "status.addresses[0].address: ExternalIP 127.0.0.1 is in "
	       "127.0.0.0/8 (loopback)");
	snapshot_free(parse(LIST(NODE(
	    "a", ADDRS("{\"type\":\"InternalDNS\",\"address\":\"a.local\"}",
		       IIP("10.0.0.1"))))));
	for (size_t i = 0; i < ARRAY_SIZE(bad_cidr); i++) {
		snprintf(doc, sizeof(doc), LIST(NODE("a", CIDRS("\"%s\""))),
			 bad_cidr[i].cidr);
		snprintf(want, sizeof(want), "overlaps %s (%s)",
			 bad_cidr[i].range, bad_cidr[i].what);
		reject(doc, "items[0] Node/a: spec.podCIDRs[0]: pod CIDR ",
		       want);
	}
	for (size_t i = 0; i < ARRAY_SIZE(good_ip); i++) {
		snprintf(doc, sizeof(doc), LIST(NODE("a", ADDRS(IIP("%s")))),
			 good_ip[i]);
		snapshot_free(parse(doc));
	}
	for (size_t i = 0; i < ARRAY_SIZE(good_cidr); i++) {
		snprintf(doc, sizeof(doc), LIST(NODE("a", CIDRS("\"%s\""))),
			 good_cidr[i]);
		snapshot_free(parse(doc));
	}
}

/* A route to a pod CIDR must not capture a node's underlay address. */
static void test_internal_ip_in_pod_cidr(void **state)
{
	struct snapshot *s;

	(void)state;
	reject(LIST(NODE("a", ADDRS(IIP("10.0.0.1"))), POD,
		    NODE("b", CIDRS("\"10.0.0.0/16\"") ADDRS(IIP("10.1.0.2")))),
	       NAME ": items[2] Node/b: spec.podCIDRs: pod CIDR 10.0.0.0/16 "
		    "contains InternalIP 10.0.0.1 of Node/a (items[0])");
	/* reported against the pod CIDR's item, whichever comes first */
	reject(LIST(NODE("b", CIDRS("\"10.0.0.0/16\"") ADDRS(IIP("10.1.0.2"))),
		    NODE("a", ADDRS(IIP("10.0.0.1")))),
	       NAME ": items[0] Node/b: spec.podCIDRs: pod CIDR 10.0.0.0/16 "
		    "contains InternalIP 10.0.0.1 of Node/a (items[1])");
	reject(LIST(NODE("a", CIDRS("\"10.0.0.0/24\"") ADDRS(IIP("10.0.0.5")))),
	       NAME ": items[0] Node/a: spec.podCIDRs: pod CIDR 10.0.0.0/24 "
		    "contains the node's own InternalIP 10.0.0.5");
	/* the network address itself, IPv6, the podCIDR fallback */
	reject(LIST(NODE("a", ADDRS(IIP("fd00:10::"))),
		    NODE("b", ",\"spec\":{\"podCIDR\":\"fd00:10::/64\"}")),
	       "items[1] Node/b: spec.podCIDR: pod CIDR fd00:10::/64 contains "
	       "InternalIP fd00:10:: of Node/a (items[0])");
	/* just outside on both sides, and the other family's bits */
	s = parse(
	    LIST(NODE("a", CIDRS("\"10.0.1.0/24\",\"fd00:1::/64\"")
			       ADDRS(IIP("10.0.0.255"), IIP("fd00:0:0:1::1"))),
		 NODE("b", CIDRS("\"10.0.3.0/24\"") ADDRS(IIP("10.0.2.0"))),
		 NODE("c", CIDRS("\"a00:400::/32\"") ADDRS(IIP("10.0.4.0")))));
	assert_int_equal(s->n_nodes, 3);
	snapshot_free(s);
}

/* Many nodes: the sorted search finds a hit between any neighbours. */
static void test_internal_ip_many_nodes(void **state)
{
	const int n = 300;
	size_t cap = (size_t)n * 200 + 64, len;
	char *doc = malloc(cap);
	struct snapshot *s;

	(void)state;
	assert_non_null(doc);
	for (int bad = -1; bad < n; bad += 37) {
		len = (size_t)sprintf(doc, "{\"kind\":\"List\",\"items\":[");
		for (int i = 0; i < n; i++) {
			/* node i owns 10.(64+i/256).(i%256).0/24; its
			 * address is in 192.168/16 or, for the bad one,
			 * inside the pod CIDR of node (i * 7) % n */
			int o = (i * 7) % n;

			len += (size_t)snprintf(
			    doc + len, cap - len,
			    "%s" NODE("n%03d", CIDRS("\"10.%d.%d.0/24\"")
						   ADDRS(IIP("%d.%d.%d.%d"))),
			    i ? "," : "", i, 64 + i / 256, i % 256,
			    i == bad ? 10 : 192, i == bad ? 64 + o / 256 : 168,
			    i == bad ? o % 256 : i / 200,
			    i == bad ? 200 : i % 200 + 1);
		}
		snprintf(doc + len, cap - len, "]}");
		if (bad < 0) {
			s = parse(doc);
			assert_int_equal(s->n_nodes, n);
			snapshot_free(s);
			continue;
		}
		char want[160];
		int o = (bad * 7) % n;

		snprintf(want, sizeof(want),
			 "items[%d] Node/n%03d: spec.podCIDRs: pod CIDR "
			 "10.%d.%d.0/24 contains %s",
			 o, o, 64 + o / 256, o % 256,
			 o == bad ? "the node's own" : "InternalIP");
		reject(doc, want);
	}
	free(doc);
}

/* Bounded input: 64 addresses, 2 pod CIDRs, 1 MiB per Node item. */
static void test_node_bounds(void **state)
{
	const size_t mib = (size_t)1 << 20;
	char *doc = malloc(4 * mib), *pad;
	size_t len, fixed;
	struct snapshot *s;

	(void)state;
	assert_non_null(doc);
	for (int want = 64; want <= 65; want++) {
		len = (size_t)sprintf(doc, "{\"kind\":\"List\",\"items\":["
					   "{\"kind\":\"Node\",\"metadata\":"
					   "{\"name\":\"a\"},\"status\":"
					   "{\"addresses\":[");
		for (int i = 0; i < want; i++)
			len += (size_t)sprintf(doc + len,
					       "%s{\"type\":\"Hostname\","
					       "\"address\":\"h%d\"}",
					       i ? "," : "", i);
		sprintf(doc + len, "]}}]}");
		if (want == 64) {
			snapshot_free(parse(doc));
			continue;
		}
		reject(doc, NAME ": items[0] Node/a: status.addresses: more "
				 "than 64 entries");
	}
	reject(LIST(NODE("a", CIDRS("\"10.0.0.0/8\",\"fd00::/64\","
				    "\"10.1.0.0/16\""))),
	       "spec.podCIDRs: more than 2 entries");

	/* a Node item of exactly 1 MiB loads, one byte more does not */
	fixed = strlen(NODE("a", ",\"x\":\"\""));
	pad = malloc(mib);
	assert_non_null(pad);
	memset(pad, 'x', mib - fixed);
	pad[mib - fixed] = '\0';
	snprintf(doc, 4 * mib, LIST(POD, NODE("a", ",\"x\":\"%s\"")), pad);
	s = parse(doc);
	assert_int_equal(s->n_nodes, 1);
	snapshot_free(s);
	pad[mib - fixed] = 'x';
	pad[mib - fixed + 1] = '\0';
	snprintf(doc, 4 * mib, LIST(POD, NODE("a", ",\"x\":\"%s\"")), pad);
	reject(doc, NAME ": items[1] Node: Node item of 1048577 bytes "
			 "exceeds 1 MiB");
	/* other kinds keep max_item_bytes (16 MB by default) */
	snprintf(doc, 4 * mib,
		 LIST("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
		      "\"x\":\"%s%s\"}",
		      NODE("a", "")),
		 pad,
		 pad);
	s = parse(doc);
	assert_int_equal(s->counts.pods, 1);
	snapshot_free(s);
	free(pad);
	free(doc);
}

/* Two nodes with one InternalIP: routes to one node's pods would reach
 * the other. Per family; the same address twice on one node is fine. */
static void test_internal_ip_unique(void **state)
{
	(void)state;
	reject(LIST(NODE("a", ADDRS(IIP("10.0.0.1"))),
		    NODE("b", ADDRS(IIP("10.0.0.1")))),
	       NAME ": items[1] Node/b: status.addresses: InternalIP 10.0.0.1 "
		    "is also the InternalIP of Node/a (items[0])");
	reject(LIST(NODE("b", ADDRS(IIP("fd00:10::1"), IIP("10.0.0.2"))),
		    NODE("a", ADDRS(IIP("10.0.0.1"), IIP("fd00:10:0::1")))),
	       "items[1] Node/a: status.addresses: InternalIP fd00:10::1 is "
	       "also the InternalIP of Node/b (items[0])");
	snapshot_free(parse(LIST(NODE("a", ADDRS(IIP("10.0.0.1"),
						 IIP("10.0.0.1"))),
				 NODE("b", ADDRS(IIP("10.0.0.2"))))));
}

/* Found by fuzzing: a decoded \u0000 must not end a kind or an address
 * type early, or "Node\u0000" would be a Node and "InternalIP\u0000" an
 * InternalIP. */
static void test_nul_in_names(void **state)
{
	struct snapshot *s;

	(void)state;
	s = parse(LIST(NODE("a", ""),
		       "{\"kind\":\"Node\\u0000\",\"metadata\":{\"name\":\"b\"}}"));
	assert_int_equal(s->n_nodes, 1);
	assert_int_equal(s->counts.other, 1);
	snapshot_free(s);
	/* an address type is one of the API's: this one is none */
	reject(LIST(NODE("a", ",\"status\":{\"addresses\":[{\"type\":"
			 "\"InternalIP\\u0000\",\"address\":\"10.0.0.1\"}]}")),
	       "status.addresses[0].type: expected one of InternalIP");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nul_in_names),
	    cmocka_unit_test(test_internal_ip_unique),
		cmocka_unit_test(test_pod_cidr_lengths),
	    cmocka_unit_test(test_reserved_ranges),
	    cmocka_unit_test(test_internal_ip_in_pod_cidr),
	    cmocka_unit_test(test_internal_ip_many_nodes),
	    cmocka_unit_test(test_node_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
