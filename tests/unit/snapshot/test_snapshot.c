/*
 * test_snapshot.c - the snapshot loader, without root.
 *
 * Good loads of the shipped examples (IPv4, IPv6, dual-stack; a full
 * kubectl dump must load exactly like its slim form), the Node field rules,
 * every class of bad input with the error text it must produce (file, item,
 * field), limits, the unchanged-hash shortcut and the node lookup. Run
 * from the repository root (make unit does): examples/ is read from there.
 * ASan checks that a rejected snapshot leaks nothing.
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
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot/snapshot.h"
#include "lib/util.h"

#include "snapshot_test.h"
#include "tmpfile.h"

static struct snapshot *load(const char *path)
{
	struct snapshot *s = NULL;

	if (snapshot_load(path, NULL, NULL, &s, err, sizeof(err)) != 0)
		fail_msg("%s: %s", path, err);
	assert_non_null(s);
	return s;
}

static void assert_prefix(const struct prefix *p, const char *want)
{
	char buf[PREFIX_STRLEN];

	assert_string_equal(prefix_format(p, buf, sizeof(buf)), want);
}

static void check_example(const char *path, bool v4, bool v6)
{
	static const char *const names[] = {"node-a", "node-b", "node-c"};
	struct snapshot *s = load(path);
	char want[64];

	assert_string_equal(s->path, path);
	assert_int_equal(s->n_nodes, 3);
	assert_true(s->size > 0);
	/* examples/README.md: every kind; one EndpointSlice per family of
	 * each of the 4 services with endpoints, plus a headless one */
	assert_int_equal(s->counts.nodes, 3);
	assert_int_equal(s->counts.namespaces, 3);
	assert_int_equal(s->n_namespaces, 3);
	assert_int_equal(s->counts.pods, 9);
	assert_int_equal(s->n_pods, 9);
	assert_int_equal(s->counts.services, 5);
	assert_int_equal(s->n_services, 5);
	assert_int_equal(s->counts.endpointslices, v4 && v6 ? 9 : 5);
	assert_int_equal(s->n_slices, v4 && v6 ? 9 : 5);
	assert_int_equal(s->counts.policies, 5);
	assert_int_equal(s->n_policies, 5);
	assert_int_equal(s->counts.other, 0);
	assert_int_equal(s->counts.items, v4 && v6 ? 34 : 30);
	for (int i = 0; i < 3; i++) {
		const struct node *n = s->nodes[i];

		assert_string_equal(n->name, names[i]);
		snprintf(want, sizeof(want), "10.244.%d.0/24", i + 1);
		assert_prefix(&n->pod_cidr[0], v4 ? want : "-");
		snprintf(want, sizeof(want), "10.0.0.%d/32", i + 1);
		assert_prefix(&n->internal_ip[0], v4 ? want : "-");
		snprintf(want, sizeof(want), "fd00:244:0:%d::/64", i + 1);
		assert_prefix(&n->pod_cidr[1], v6 ? want : "-");
		snprintf(want, sizeof(want), "fd00:10::%d/128", i + 1);
		assert_prefix(&n->internal_ip[1], v6 ? want : "-");
	}
	snapshot_free(s);
}

static void test_examples(void **state)
{
	(void)state;
	check_example("examples/cluster-ipv4.json", true, false);
	check_example("examples/cluster-ipv6.json", false, true);
	check_example("examples/cluster-dual.json", true, true);
	check_example("examples/cluster-dual-full.json", true, true);
}

static void test_full_equals_slim(void **state)
{
	struct snapshot *slim = load("examples/cluster-dual.json");
	struct snapshot *full = load("examples/cluster-dual-full.json");

	(void)state;
	assert_true(full->size > 5 * slim->size);
	assert_true(full->hash != slim->hash);
	assert_memory_equal(&full->counts, &slim->counts, sizeof(full->counts));
	assert_int_equal(full->n_nodes, slim->n_nodes);
	for (size_t i = 0; i < full->n_nodes; i++) {
		const struct node *a = full->nodes[i], *b = slim->nodes[i];

		assert_string_equal(a->name, b->name);
		assert_memory_equal(a->pod_cidr, b->pod_cidr,
				    sizeof(a->pod_cidr));
		assert_memory_equal(a->internal_ip, b->internal_ip,
				    sizeof(a->internal_ip));
	}
	snapshot_free(slim);
	snapshot_free(full);
}

static void test_node_fields(void **state)
{
	struct snapshot *s;
	const struct node *n;

	(void)state;
	/* podCIDR fallback; both given and equal; no spec, no status;
	 * first InternalIP per family wins, other types ignored; names
	 * come out sorted whatever the input order */
	s = parse(LIST(
	    NODE("c", ",\"spec\":{\"podCIDR\":\"fd00:1::/64\"}"),
	    NODE("b", ",\"spec\":{\"podCIDR\":\"10.1.0.0/16\","
		      "\"podCIDRs\":[\"10.1.0.0/16\",\"fd00:2::/64\"]}" ADDRS(
			  "{\"type\":\"Hostname\",\"address\":\"b\"}",
			  "{\"type\":\"ExternalIP\",\"address\":\"192.0.2.7\"}",
			  IIP("fd00::2"), IIP("10.0.0.2"), IIP("10.0.0.99"),
			  IIP("fd00::99"))),
	    NODE("a", ""), POD,
	    NODE("d", ",\"spec\":null,\"status\":{\"addresses\":null}"),
	    NODE("e",
		 ",\"spec\":{\"podCIDRs\":[],\"podCIDR\":\"10.9.0.0/24\"}")));
	assert_int_equal(s->n_nodes, 5);
	assert_int_equal(s->counts.pods, 1);
	n = snapshot_find_node(s, "a");
	assert_non_null(n);
	assert_false(prefix_present(&n->pod_cidr[0]));
	assert_false(prefix_present(&n->pod_cidr[1]));
	assert_false(prefix_present(&n->internal_ip[0]));
	n = snapshot_find_node(s, "b");
	assert_prefix(&n->pod_cidr[0], "10.1.0.0/16");
	assert_prefix(&n->pod_cidr[1], "fd00:2::/64");
	assert_prefix(&n->internal_ip[0], "10.0.0.2/32");
	assert_prefix(&n->internal_ip[1], "fd00::2/128");
	n = snapshot_find_node(s, "c");
	assert_false(prefix_present(&n->pod_cidr[0]));
	assert_prefix(&n->pod_cidr[1], "fd00:1::/64");
	n = snapshot_find_node(s, "e");
	assert_prefix(&n->pod_cidr[0], "10.9.0.0/24");
	for (size_t i = 1; i < s->n_nodes; i++)
		assert_true(strcmp(s->nodes[i - 1]->name, s->nodes[i]->name) < 0);
	snapshot_free(s);
}

static void test_kinds(void **state)
{
	struct snapshot *s;

	(void)state;
	/* kind compared after unescaping; unknown kinds are counted and
	 * ignored, whatever they contain */
	s = parse(LIST(
	    "{\"kind\":\"N\\u006fde\",\"metadata\":{\"name\":\"n1\"}}",
	    "{\"metadata\":{\"name\":\"x\"},\"kind\":\"Namespace\"}",
	    "{\"kind\":\"Service\",\"metadata\":{\"name\":\"s\"}}",
	    "{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"e\"},"
	    "\"addressType\":\"IPv4\"}",
	    "{\"kind\":\"NetworkPolicy\",\"metadata\":{\"name\":\"p\"}}",
	    "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"}}",
	    "{\"kind\":\"Ingress\",\"spec\":{\"x\":[1,2,{\"podCIDRs\":7}]}}",
	    "{\"kind\":\"\"}", "{\"kind\":\"Node2\"}",
	    /* the last kind wins: not a Pod (which would need a name) */
	    "{\"kind\":\"Pod\",\"kind\":\"Gateway\"}"));
	assert_int_equal(s->n_nodes, 1);
	assert_int_equal(s->counts.items, 10);
	assert_int_equal(s->counts.nodes, 1);
	assert_int_equal(s->counts.namespaces, 1);
	assert_int_equal(s->counts.services, 1);
	assert_int_equal(s->counts.endpointslices, 1);
	assert_int_equal(s->counts.policies, 1);
	assert_int_equal(s->counts.pods, 1);
	assert_int_equal(s->counts.other, 4);
	snapshot_free(s);
}

static void test_envelope_errors(void **state)
{
	(void)state;
	reject("", NAME ": line 1, offset 0: empty document");
	reject("[]",
	       NAME ": top level: expected object (a kubectl List), got array");
	reject("{\"kind\":\"List\"}", NAME ": items: missing");
	reject("{\"items\":[" NODE("a", "") "]}", NAME ": kind: missing");
	reject("{\"kind\":\"NodeList\",\"items\":[]}",
	       NAME ": kind: expected \"List\"", "got \"NodeList\"");
	reject("{\"kind\":7,\"items\":[]}",
	       NAME ": kind: expected string, got number");
	reject("{\"kind\":\"List\",\"items\":{}}",
	       NAME ": items: expected array, got object");
	reject("{\"kind\":\"List\",\"items\":[],\"items\":[]}",
	       NAME ": items: appears twice");
	reject(LIST(), NAME ": items: empty list");
	reject(LIST(POD, "{\"kind\":\"Namespace\",\"metadata\":{\"name\":"
			 "\"x\"}}"),
	       NAME ": items: no Node item");
	reject(LIST(POD, "[]"), NAME ": items[1]: expected object, got array");
	reject(LIST(POD, "{\"metadata\":{}}"),
	       NAME ": items[1]: kind: missing");
	reject(LIST(POD, "{}"), NAME ": items[1]: kind: missing");
	reject(LIST("{\"kind\":null}"),
	       NAME ": items[0]: kind: expected string, got null");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	reject("{\"kind\":\"List\",\n\"items\":[\n{\"kind\":\"Pod\",}]}",
	       NAME ": line 3, offset 40: expected a string as object key "
		    "(in items[0])");
	reject("{\"kind\":\"List\",\"items\":[" POD "\n\n]} x",
	       NAME ": line 3, offset 83: unexpected data after the document");
	reject("{\"kind\":\"List\",\"items\":[" POD,
	       NAME ": line 1, offset 78: unexpected end of input");
	reject("{\"kind\":\"List\",\"items\":[{\"kind\":\"Pod\",\"x\":tru}]}",
	       "offset 45: invalid literal (in items[0])");
	/* a syntax error outranks an earlier content error */
	reject("[1, 2", "line 1, offset 5: unexpected end of input");
	reject("{\"kind\":5,\"items\":[}", "offset 19: expected a value");
	/* NUL bytes and invalid UTF-8 inside an item */
	reject(LIST("{\"kind\":\"Pod\",\"n\":\"\xc3\x28\"}"),
	       "invalid UTF-8 in string (in items[0])");
}

/* The whole good document cut at every byte is always rejected. */
static void test_truncated_everywhere(void **state)
{
	static const char doc[] =
	    LIST(NODE("a", CIDRS("\"10.1.0.0/24\",\"fd00:1::/64\"")
			       ADDRS(IIP("10.0.0.1"))),
		 POD, NODE("b", ""));
	size_t n = sizeof(doc) - 1;
	struct snapshot *s;

	(void)state;
	s = parse(doc);
	snapshot_free(s);
	for (size_t i = 0; i < n; i++) {
		char *cut = malloc(i + 1);

		assert_non_null(cut);
		memcpy(cut, doc, i);
		s = (void *)1;
		if (snapshot_parse(cut, i, NAME, NULL, &s, err, sizeof(err)) >=
		    0)
			fail_msg("prefix of %zu bytes accepted", i);
		assert_null(s);
		assert_non_null(strstr(err, i ? "unexpected end of input"
					      : "empty document"));
		free(cut);
	}
}

static void test_node_name_errors(void **state)
{
	char doc[1024], name[300];

	(void)state;
	reject(LIST("{\"kind\":\"Node\"}"),
	       NAME ": items[0] Node: metadata.name: missing");
	reject(LIST("{\"kind\":\"Node\",\"metadata\":{\"name\":null}}"),
	       "items[0] Node: metadata.name: missing");
	reject(LIST("{\"kind\":\"Node\",\"metadata\":[]}"),
	       "items[0] Node: metadata: expected object, got array");
	reject(LIST(POD, "{\"kind\":\"Node\",\"metadata\":{\"name\":5}}"),
	       "items[1] Node: metadata.name: expected string, got number");
	reject(LIST(NODE("Node_A", "")),
	       "items[0] Node: metadata.name: invalid node name \"Node_A\" "
	       "(not a DNS-1123 subdomain)");
	reject(LIST(NODE("", "")), "metadata.name: invalid node name \"\"");
	reject(LIST(NODE("a..b", "")), "invalid node name \"a..b\"");
	reject(LIST(NODE("-a", "")), "invalid node name \"-a\"");
	reject(LIST(NODE("a-", "")), "invalid node name \"a-\"");
	reject(LIST(NODE("a\\nb", "")), "invalid node name \"a\\x0ab\"");
	reject(LIST(NODE("a\\u0000b", "")), "invalid node name \"a\\x00b\"");
	memset(name, 'a', 254);
	name[254] = '\0';
	snprintf(doc, sizeof(doc), LIST(NODE("%s", "")), name);
	reject(doc, "longer than 253 characters");
	name[253] = '\0';
	snprintf(doc, sizeof(doc), LIST(NODE("%s", "")), name);
	snapshot_free(parse(doc));
	snapshot_free(parse(LIST(NODE("node-1.example.com", ""))));
}

/* A UTF-8 byte order mark is skipped (RFC 8259 8.1 allows it); UTF-16
 * and UTF-32 ones are named, not "expected a value". */
static void test_byte_order_marks(void **state)
{
	struct snapshot *s;

	(void)state;
	s = parse("\xef\xbb\xbf" LIST(NODE("a", "")));
	assert_int_equal(s->n_nodes, 1);
	snapshot_free(s);
	reject("\xff\xfe{}", "starts with a UTF-16 byte order mark");
	reject("\xfe\xff{}", "starts with a UTF-16 byte order mark");
	/* strlen() stops at the NUL: UTF-32 is checked with its length */
	s = (void *)1;
	assert_true(snapshot_parse("\0\0\xfe\xff{}", 6, NAME, NULL, &s, err,
				   sizeof(err)) < 0);
	assert_non_null(strstr(err, "UTF-32 (big endian) byte order mark"));
	/* a BOM anywhere else is not whitespace */
	reject(" \xef\xbb\xbf{}", "line 1");
}

/* Quoted names in errors are cut on a character boundary, never in the
 * middle of a multi-byte character. */
static void test_quote_utf8_boundary(void **state)
{
	char doc[1024], name[256];
	size_t n = 0;

	(void)state;
	name[n++] = 'a';
	while (n + 2 < 120) {
		name[n++] = '\xc3';
		name[n++] = '\xb6'; /* ö */
	}
	name[n] = '\0';
	snprintf(doc, sizeof(doc), LIST(NODE("%s", "")), name);
	reject(doc, "invalid node name \"a\xc3\xb6");
	/* 64 bytes shown at most: 'a' + 31 ö, the 32nd would be cut */
	assert_non_null(strstr(err, "\xc3\xb6...\""));
}

static void test_cidr_errors(void **state)
{
	(void)state;
	reject(LIST(POD, POD, POD,
		    NODE("node-b", CIDRS("\"10.0.0.0/24\",\"10.0.0.1/24\""))),
	       NAME ": items[3] Node/node-b: spec.podCIDRs[1]: invalid CIDR "
		    "\"10.0.0.1/24\" (host bits set)");
	reject(LIST(NODE("a", CIDRS("\"fd00::1/64\""))),
	       "items[0] Node/a: spec.podCIDRs[0]: invalid CIDR "
	       "\"fd00::1/64\" (host bits set)");
	reject(LIST(NODE("a", CIDRS("\"10.0.0.0/33\""))),
	       "(bad prefix length)");
	reject(LIST(NODE("a", CIDRS("\"10.0.0.0/024\""))),
	       "(bad prefix length)");
	reject(LIST(NODE("a", CIDRS("\"10.0.0.0/\""))), "(bad prefix length)");
	reject(LIST(NODE("a", CIDRS("\"10.0.0.0\""))), "(no prefix length)");
	reject(LIST(NODE("a", CIDRS("\"10.0.0/8\""))), "(bad address)");
	reject(LIST(NODE("a", CIDRS("\"fd00::1::/64\""))), "(bad address)");
	reject(LIST(NODE("a", CIDRS("\"\""))),
	       "spec.podCIDRs[0]: invalid CIDR \"\"");
	reject(LIST(NODE("a",
			 CIDRS("\"10.0.0.0/8\",\"fd00::/32\",\"10.1.0.0/16\""))),
	       "items[0] Node/a: spec.podCIDRs: more than 2 entries");
	reject(LIST(NODE("a", CIDRS("\"10.0.0.0/8\",\"11.0.0.0/8\""))),
	       "spec.podCIDRs[1]: second IPv4 CIDR 11.0.0.0/8");
	reject(LIST(NODE("a", CIDRS("\"fd01::/64\",\"fd00::/64\""))),
	       "spec.podCIDRs[1]: second IPv6 CIDR fd00::/64");
	reject(LIST(NODE("a", CIDRS("7"))),
	       "spec.podCIDRs[0]: expected string, got number");
	reject(LIST(NODE("a", CIDRS("null"))),
	       "spec.podCIDRs[0]: expected string, got null");
	reject(LIST(NODE("a", ",\"spec\":{\"podCIDRs\":\"10.0.0.0/8\"}")),
	       "items[0] Node/a: spec.podCIDRs: expected array, got string");
	reject(LIST(NODE("a", ",\"spec\":[]")),
	       "items[0] Node/a: spec: expected object, got array");
	reject(LIST(NODE("a", ",\"spec\":{\"podCIDR\":[\"10.0.0.0/8\"]}")),
	       "spec.podCIDR: expected string, got array");
	reject(LIST(NODE("a", ",\"spec\":{\"podCIDR\":\"10.0.0.1/8\"}")),
	       "spec.podCIDR: invalid CIDR \"10.0.0.1/8\" (host bits set)");
	reject(LIST(NODE("a", ",\"spec\":{\"podCIDR\":\"10.2.0.0/16\","
			      "\"podCIDRs\":[\"10.1.0.0/16\"]}")),
	       "items[0] Node/a: spec.podCIDR: 10.2.0.0/16 differs from "
	       "spec.podCIDRs[0] 10.1.0.0/16");
}

static void test_address_errors(void **state)
{
	(void)state;
	reject(LIST(NODE("a", ADDRS(IIP("10.0.0.300")))),
	       NAME ": items[0] Node/a: status.addresses[0].address: "
		    "InternalIP \"10.0.0.300\" is not an IP address");
	reject(LIST(NODE("a", ADDRS(IIP("10.0.0.1"), IIP("fd00::/64")))),
	       "status.addresses[1].address: InternalIP \"fd00::/64\"");
	reject(LIST(NODE("a", ADDRS(IIP("node-a")))),
	       "\"node-a\" is not an IP");
	reject(
	    LIST(NODE("a", ADDRS("{\"type\":\"InternalIP\",\"address\":1}"))),
	    "status.addresses[0].address: expected string, got number");
	reject(LIST(NODE("a", ADDRS("{\"type\":\"Hostname\",\"address\":[]}"))),
	       "status.addresses[0].address: expected string, got array");
	reject(LIST(NODE("a", ADDRS("{\"type\":\"InternalIP\"}"))),
	       "status.addresses[0].address: missing");
	reject(LIST(NODE("a", ADDRS("{\"address\":\"10.0.0.1\"}"))),
	       "status.addresses[0].type: missing");
	reject(LIST(NODE("a", ADDRS("{\"type\":true,\"address\":\"1\"}"))),
	       "status.addresses[0].type: expected string, got boolean");
	reject(LIST(NODE("a", ADDRS(IIP("10.0.0.1"), "\"10.0.0.2\""))),
	       "status.addresses[1]: expected object, got string");
	reject(LIST(NODE("a", ",\"status\":{\"addresses\":{}}")),
	       "items[0] Node/a: status.addresses: expected array, got object");
	reject(LIST(NODE("a", ",\"status\":7")),
	       "items[0] Node/a: status: expected object, got number");
}

static void test_cross_item_errors(void **state)
{
	(void)state;
	reject(LIST(NODE("a", ""), POD, NODE("a", "")),
	       NAME ": items[2] Node/a: metadata.name: duplicate node name "
		    "(also items[0])");
	reject(LIST(NODE("a", CIDRS("\"10.1.0.0/24\"")), POD,
		    NODE("b", CIDRS("\"10.1.0.0/24\""))),
	       NAME ": items[2] Node/b: spec.podCIDRs: pod CIDR 10.1.0.0/24 "
		    "is also used by Node/a (items[0])");
	reject(LIST(NODE("b", CIDRS("\"10.1.0.0/24\",\"fd00:1::/64\"")),
		    NODE("a", CIDRS("\"fd00:1::/48\""))),
	       "items[1] Node/a: spec.podCIDRs: pod CIDR fd00:1::/48 overlaps "
	       "fd00:1::/64 of Node/b (items[0])");
	reject(LIST(NODE("a", CIDRS("\"10.1.2.0/24\"")),
		    NODE("b", ",\"spec\":{\"podCIDR\":\"10.0.0.0/8\"}")),
	       "items[1] Node/b: spec.podCIDR: pod CIDR 10.0.0.0/8 overlaps "
	       "10.1.2.0/24 of Node/a (items[0])");
}

static void test_cross_item_ok(void **state)
{
	struct snapshot *s;

	(void)state;
	/* neighbours and the same bits in another family do not collide */
	s = parse(LIST(NODE("a", CIDRS("\"10.1.0.0/24\",\"fd00::/64\"")),
		       NODE("b", CIDRS("\"10.1.1.0/24\",\"fd00:0:0:1::/64\"")),
		       NODE("c", CIDRS("\"10.1.2.0/30\",\"a01:200::/40\""))));
	assert_int_equal(s->n_nodes, 3);
	snapshot_free(s);
}

static void test_cross_overlap_sorted(void **state)
{
	struct snapshot *s = NULL;
	static const char doc[] = LIST(NODE("a", CIDRS("\"10.1.0.0/24\"")),
				       NODE("b", CIDRS("\"10.1.1.0/24\"")),
				       NODE("c", CIDRS("\"10.1.0.128/25\"")));

	(void)state;
	/* c lies inside a, with b sorted between them by nothing */
	assert_true(snapshot_parse(doc, sizeof(doc) - 1, NAME, NULL, &s, err,
				   sizeof(err)) < 0);
	assert_non_null(strstr(err, "items[2] Node/c: spec.podCIDRs: pod CIDR "
				    "10.1.0.128/25 overlaps 10.1.0.0/24 of "
				    "Node/a (items[0])"));
	assert_null(s);
}

/* Pod CIDRs become routes: IPv4 /8../30, IPv6 /32../126. */
static void test_limits(void **state)
{
	static const char doc[] = LIST(NODE("a", ""), POD, NODE("b", ""));
	struct snap_limits l;

	(void)state;
	snapshot_limits_default(&l);
	assert_true(l.max_bytes >= (size_t)1 << 30);
	assert_true(l.max_nodes >= 5000);
	assert_true(l.max_items >= 200000);
	l.max_items = 3;
	snapshot_free(parse_lim(doc, &l));
	l.max_items = 2;
	reject_lim(doc, &l, NAME ": items: more than 2 items (max_items)",
		   NULL);
	snapshot_limits_default(&l);
	l.max_nodes = 2;
	snapshot_free(parse_lim(doc, &l));
	l.max_nodes = 1;
	reject_lim(doc, &l,
		   NAME ": items[2] Node: more than 1 Node items "
			"(max_nodes)",
		   NULL);
	snapshot_limits_default(&l);
	l.max_item_bytes = strlen(POD);
	snapshot_free(parse_lim(LIST(POD, "{\"kind\":\"Node\",\"metadata\":"
					  "{\"name\":\"n\"}}"),
				&l));
	l.max_item_bytes = strlen(POD) - 1;
	reject_lim(LIST(NODE("a", ""), POD), &l,
		   NAME ": items[1] Pod: item is 54 bytes, more than the "
			"limit of 53 (max_item_bytes)",
		   NULL);
}

/* A FIFO planted at the snapshot path is rejected at once: a blocking
 * open would hang the daemon, whose signals wait in its main loop. */
static void test_load_fifo(void **state)
{
	char dir[] = "/tmp/snapnet-test-fifo-XXXXXX", path[96];
	struct snapshot *s = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/snapshot.json", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_true(snapshot_load(path, NULL, NULL, &s, err, sizeof(err)) < 0);
	assert_null(s);
	assert_non_null(strstr(err, "not a regular file"));
	unlink(path);
	rmdir(dir);
}

static void test_load_file(void **state)
{
	static const char a[] = LIST(NODE("a", ""));
	static const char b[] = LIST(NODE("b", ""));
	struct snapshot *s1 = NULL, *s2 = (void *)1;
	struct snap_limits l;
	char *path = write_tmp(a, sizeof(a) - 1);
	int r;

	(void)state;
	snapshot_limits_default(&l);
	s1 = load(path);
	assert_int_equal(s1->size, sizeof(a) - 1);
	/* same bytes: 1 and nothing returned */
	r = snapshot_load(path, &l, s1, &s2, err, sizeof(err));
	assert_int_equal(r, 1);
	assert_null(s2);
	/* the hash is the file's, not the path's */
	snapshot_parse(a, sizeof(a) - 1, "other", NULL, &s2, err, sizeof(err));
	assert_non_null(s2);
	assert_true(s2->hash == s1->hash);
	snapshot_free(s2);
	/* other bytes: a new snapshot */
	unlink(path);
	free(path);
	path = write_tmp(b, sizeof(b) - 1);
	r = snapshot_load(path, &l, s1, &s2, err, sizeof(err));
	assert_int_equal(r, 0);
	assert_non_null(snapshot_find_node(s2, "b"));
	assert_true(s2->hash != s1->hash);
	snapshot_free(s2);
	/* oversize */
	l.max_bytes = sizeof(b) - 2;
	s2 = (void *)1;
	r = snapshot_load(path, &l, NULL, &s2, err, sizeof(err));
	assert_int_equal(r, -EFBIG);
	assert_null(s2);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "more than the limit of"));
	assert_non_null(strstr(err, "([agent] max_snapshot_bytes)"));
	unlink(path);
	/* a missing file names the path */
	r = snapshot_load(path, NULL, s1, &s2, err, sizeof(err));
	assert_int_equal(r, -ENOENT);
	assert_non_null(strstr(err, path));
	/* a directory is not a snapshot */
	r = snapshot_load("/tmp", NULL, NULL, &s2, err, sizeof(err));
	assert_int_equal(r, -EINVAL);
	assert_string_equal(err, "/tmp: not a regular file");
	free(path);
	/* an empty file is a syntax error */
	path = write_tmp("", 0);
	r = snapshot_load(path, NULL, NULL, &s2, err, sizeof(err));
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(err, ": line 1, offset 0: empty document"));
	unlink(path);
	free(path);
	snapshot_free(s1);
}

static void load_fails(const char *doc, size_t len, const char *what)
{
	char *path = write_tmp(doc, len);
	struct snapshot *s = (void *)1;

	assert_true(snapshot_load(path, NULL, NULL, &s, err, sizeof(err)) < 0);
	assert_null(s);
	if (!strstr(err, what))
		fail_msg("error \"%s\" lacks \"%s\"", err, what);
	unlink(path);
	free(path);
}

/* Large enough (> 2 x 32 MB) for the hash and the scan to give pages
 * back while they walk; the bytes must still all be seen. */
static void test_load_large(void **state)
{
	const size_t pods = 1200000;
	size_t cap = pods * (sizeof(POD) + 40) + 4096, len = 0;
	char *doc = malloc(cap), *path;
	struct snapshot *s;

	(void)state;
	assert_non_null(doc);
	len += (size_t)sprintf(doc, "{\"apiVersion\":\"v1\",\"items\":[\n");
	for (size_t i = 0; i < pods; i++)
		len +=
		    (size_t)sprintf(doc + len,
				    "{\"kind\":\"Pod\",\"metadata\":{\"name\""
				    ":\"pod-%zu\",\"namespace\":\"d\"}},\n",
				    i);
	len += (size_t)sprintf(doc + len, "%s\n],\"kind\":\"List\"}\n",
			       NODE("last", CIDRS("\"10.9.0.0/24\"")));
	assert_true(len > ((size_t)64 << 20));
	path = write_tmp(doc, len);
	s = load(path);
	assert_int_equal(s->counts.pods, pods);
	assert_int_equal(s->n_nodes, 1);
	assert_prefix(&s->nodes[0]->pod_cidr[0], "10.9.0.0/24");
	snapshot_free(s);
	unlink(path);
	free(path);
	/* a defect at the very end is still found after the drops */
	doc[len - 2] = ']'; /* the List closed with a bracket */
	load_fails(doc, len, "expected ',' or '}' in object");
	/* and outranks a content error in the first item */
	memcpy(strstr(doc, "\"kind\":\"Pod\""), "\"kind\":12345", 12);
	load_fails(doc, len, "expected ',' or '}' in object");
	doc[len - 2] = '}';
	load_fails(doc, len, "items[0]: kind: expected string, got number");
	free(doc);
}

static void test_find_node(void **state)
{
	char doc[64 * 1024], name[32];
	size_t len;
	struct snapshot *s;

	(void)state;
	/* 100 nodes in reverse order: every one is found, others are not */
	len = (size_t)sprintf(doc, "{\"kind\":\"List\",\"items\":[");
	for (int i = 99; i >= 0; i--)
		len += (size_t)sprintf(doc + len, "%s" NODE("n%03d", ""),
				       i == 99 ? "" : ",", i);
	sprintf(doc + len, "]}");
	s = parse(doc);
	assert_int_equal(s->n_nodes, 100);
	for (int i = 0; i < 100; i++) {
		const struct node *n;

		snprintf(name, sizeof(name), "n%03d", i);
		n = snapshot_find_node(s, name);
		assert_non_null(n);
		assert_string_equal(n->name, name);
		assert_ptr_equal(n, s->nodes[i]);
	}
	assert_null(snapshot_find_node(s, "n100"));
	assert_null(snapshot_find_node(s, "a"));
	assert_null(snapshot_find_node(s, "z"));
	assert_null(snapshot_find_node(s, "n05"));
	assert_null(snapshot_find_node(NULL, "n001"));
	snapshot_free(s);
	snapshot_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_examples),
	    cmocka_unit_test(test_full_equals_slim),
	    cmocka_unit_test(test_node_fields),
	    cmocka_unit_test(test_kinds),
	    cmocka_unit_test(test_envelope_errors),
	    cmocka_unit_test(test_syntax_errors),
	    cmocka_unit_test(test_truncated_everywhere),
	    cmocka_unit_test(test_node_name_errors),
	    cmocka_unit_test(test_byte_order_marks),
	    cmocka_unit_test(test_quote_utf8_boundary),
	    cmocka_unit_test(test_cidr_errors),
	    cmocka_unit_test(test_address_errors),
	    cmocka_unit_test(test_cross_item_errors),
	    cmocka_unit_test(test_cross_item_ok),
	    cmocka_unit_test(test_cross_overlap_sorted),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_load_fifo),
	    cmocka_unit_test(test_load_file),
	    cmocka_unit_test(test_load_large),
	    cmocka_unit_test(test_find_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
