/*
 * test_route_desire.c - desired_build() (this node) and
 * route_desire_build(): which routes a node wants, in IPv4-only,
 * IPv6-only, dual-stack and mixed clusters, and the notes for what cannot
 * be routed. Snapshots are built by hand; the loader is tested elsewhere.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/desired.h"
#include "lib/util.h"
#include "routes/route.h"

#define MAX_NODES 1100

struct fixture {
	struct snapshot s;
	struct node nodes[MAX_NODES];
	struct node *ptrs[MAX_NODES];
	char names[MAX_NODES][32];
	struct desired *core;
	struct route_desire *d;
};

static struct fixture fx;

static void set_cidr(struct prefix *slot, const char *s)
{
	struct prefix p;

	if (!s)
		return;
	assert_int_equal(prefix_parse_cidr(s, &p), 0);
	slot[fam_index(p.family)] = p;
}

static void set_ip(struct prefix *slot, const char *s)
{
	struct prefix p;

	if (!s)
		return;
	assert_int_equal(prefix_parse_addr(s, &p), 0);
	slot[fam_index(p.family)] = p;
}

/* Adds a node; any argument may be NULL. Nodes must be added by name. */
static struct node *node(const char *name, const char *cidr4,
			 const char *cidr6, const char *ip4, const char *ip6)
{
	size_t i = fx.s.n_nodes++;
	struct node *n = &fx.nodes[i];

	assert_true(i < MAX_NODES);
	memset(n, 0, sizeof(*n));
	snprintf(fx.names[i], sizeof(fx.names[i]), "%s", name);
	n->name = fx.names[i];
	set_cidr(n->pod_cidr, cidr4);
	set_cidr(n->pod_cidr, cidr6);
	set_ip(n->internal_ip, ip4);
	set_ip(n->internal_ip, ip6);
	return n;
}

static int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	fx.s.path = "snap.json";
	fx.s.nodes = fx.ptrs;
	for (size_t i = 0; i < MAX_NODES; i++)
		fx.ptrs[i] = &fx.nodes[i];
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	route_desire_free(fx.d);
	desired_free(fx.core);
	fx.d = NULL;
	fx.core = NULL;
	return 0;
}

/* The invariants every result must hold, whatever the input. */
static void check_invariants(const struct route_desire *d)
{
	for (size_t i = 0; i < d->n_routes; i++) {
		const struct route_want *w = &d->routes[i];

		assert_true(w->dst.family == AF_INET ||
			    w->dst.family == AF_INET6);
		assert_int_equal(w->via.family, w->dst.family);
		assert_int_equal(w->via.len, w->dst.family == AF_INET ? 32
								      : 128);
		assert_non_null(w->node);
		assert_string_not_equal(w->node, fx.core->node_name);
		if (i)
			assert_true(prefix_cmp(&d->routes[i - 1].dst,
					       &w->dst) < 0);
	}
}

static void build_ok(const char *self)
{
	char err[ERRLEN] = "";

	assert_int_equal(desired_build(&fx.s, self, &fx.core, err,
				       sizeof(err)), 0);
	assert_non_null(fx.core);
	assert_int_equal(route_desire_build(&fx.s, fx.core->self, &fx.d), 0);
	assert_non_null(fx.d);
	check_invariants(fx.d);
}

static void assert_route(size_t i, const char *dst, const char *via,
			 const char *nodename)
{
	char a[PREFIX_STRLEN], b[PREFIX_STRLEN];

	assert_true(i < fx.d->n_routes);
	assert_string_equal(prefix_format(&fx.d->routes[i].dst, a, sizeof(a)),
			    dst);
	assert_string_equal(addr_format(&fx.d->routes[i].via, b, sizeof(b)),
			    via);
	assert_string_equal(fx.d->routes[i].node, nodename);
}

/* True when some note contains all the given words (NULL-terminated). */
static bool note_has(const char *w1, const char *w2, const char *w3)
{
	for (size_t i = 0; i < fx.d->n_notes; i++) {
		const char *t = fx.d->notes[i].text;

		if (strstr(t, w1) && (!w2 || strstr(t, w2)) &&
		    (!w3 || strstr(t, w3)))
			return true;
	}
	return false;
}

static void add_v4_cluster(void)
{
	node("a", "10.244.0.0/24", NULL, "10.0.0.1", NULL);
	node("b", "10.244.1.0/24", NULL, "10.0.0.2", NULL);
	node("c", "10.244.2.0/24", NULL, "10.0.0.3", NULL);
}

static void add_v6_cluster(void)
{
	node("a", NULL, "fd00:244::/64", NULL, "fd00:10::1");
	node("b", NULL, "fd00:244:0:1::/64", NULL, "fd00:10::2");
	node("c", NULL, "fd00:244:0:2::/64", NULL, "fd00:10::3");
}

static void add_dual_cluster(void)
{
	node("a", "10.244.0.0/24", "fd00:244::/64", "10.0.0.1", "fd00:10::1");
	node("b", "10.244.1.0/24", "fd00:244:0:1::/64", "10.0.0.2",
	     "fd00:10::2");
	node("c", "10.244.2.0/24", "fd00:244:0:2::/64", "10.0.0.3",
	     "fd00:10::3");
}

static void test_ipv4_only(void **state)
{
	(void)state;
	add_v4_cluster();
	build_ok("a");
	assert_int_equal(fx.core->families, FAM_V4);
	assert_string_equal(fx.core->node_name, "a");
	assert_int_equal(fx.d->n_routes, 2);
	assert_route(0, "10.244.1.0/24", "10.0.0.2", "b");
	assert_route(1, "10.244.2.0/24", "10.0.0.3", "c");
	assert_int_equal(fx.d->n_notes, 0);
}

static void test_ipv6_only(void **state)
{
	(void)state;
	add_v6_cluster();
	build_ok("b");
	assert_int_equal(fx.core->families, FAM_V6);
	assert_int_equal(fx.d->n_routes, 2);
	assert_route(0, "fd00:244::/64", "fd00:10::1", "a");
	assert_route(1, "fd00:244:0:2::/64", "fd00:10::3", "c");
	assert_int_equal(fx.d->n_notes, 0);
}

static void test_dual_stack(void **state)
{
	char a[PREFIX_STRLEN];

	(void)state;
	add_dual_cluster();
	build_ok("c");
	assert_int_equal(fx.core->families, FAM_V4 | FAM_V6);
	assert_int_equal(fx.d->n_routes, 4);
	/* IPv4 sorts before IPv6 */
	assert_route(0, "10.244.0.0/24", "10.0.0.1", "a");
	assert_route(1, "10.244.1.0/24", "10.0.0.2", "b");
	assert_route(2, "fd00:244::/64", "fd00:10::1", "a");
	assert_route(3, "fd00:244:0:1::/64", "fd00:10::2", "b");
	assert_int_equal(fx.d->n_notes, 0);
	assert_string_equal(prefix_format(&fx.core->pod_cidr[0], a, sizeof(a)),
			    "10.244.2.0/24");
	assert_string_equal(prefix_format(&fx.core->pod_cidr[1], a, sizeof(a)),
			    "fd00:244:0:2::/64");
	assert_string_equal(addr_format(&fx.core->internal_ip[0], a, sizeof(a)),
			    "10.0.0.3");
	assert_string_equal(addr_format(&fx.core->internal_ip[1], a, sizeof(a)),
			    "fd00:10::3");
}

static void test_self_missing(void **state)
{
	char err[ERRLEN] = "";

	(void)state;
	add_dual_cluster();
	fx.core = (struct desired *)&fx; /* must be reset to NULL */
	assert_int_equal(desired_build(&fx.s, "x", &fx.core, err,
				       sizeof(err)), -ENOENT);
	assert_null(fx.core);
	assert_string_equal(err, "snap.json: node \"x\" (this node) is not "
				 "in the snapshot");
}

static void test_empty_snapshot(void **state)
{
	char err[ERRLEN] = "";

	(void)state;
	assert_int_equal(desired_build(&fx.s, "a", &fx.core, err,
				       sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "\"a\" (this node)"));
}

/* Dual-stack node next to an IPv4-only and an IPv6-only peer. */
static void test_dual_self_single_peers(void **state)
{
	(void)state;
	node("a", "10.244.0.0/24", "fd00:244::/64", "10.0.0.1", "fd00:10::1");
	node("b4", "10.244.1.0/24", NULL, "10.0.0.2", NULL);
	node("c6", NULL, "fd00:244:0:2::/64", NULL, "fd00:10::3");
	build_ok("a");
	assert_int_equal(fx.d->n_routes, 2);
	assert_route(0, "10.244.1.0/24", "10.0.0.2", "b4");
	assert_route(1, "fd00:244:0:2::/64", "fd00:10::3", "c6");
	assert_int_equal(fx.d->n_notes, 0);
}

/* kube-router's bug: an IPv6-only node next to a dual-stack peer must not
 * get an IPv4 route (it has no IPv4 next hop of its own); it gets a note. */
static void test_v6_only_self_dual_peer(void **state)
{
	(void)state;
	node("a", "10.244.0.0/24", "fd00:244::/64", "10.0.0.1", "fd00:10::1");
	node("b", NULL, "fd00:244:0:1::/64", NULL, "fd00:10::2");
	node("c", "10.244.2.0/24", "fd00:244:0:2::/64", "10.0.0.3",
	     "fd00:10::3");
	build_ok("b");
	assert_int_equal(fx.core->families, FAM_V6);
	assert_int_equal(fx.d->n_routes, 2);
	assert_route(0, "fd00:244::/64", "fd00:10::1", "a");
	assert_route(1, "fd00:244:0:2::/64", "fd00:10::3", "c");
	/* one note for the family, naming the count and this node */
	assert_int_equal(fx.d->n_notes, 1);
	assert_true(note_has("no IPv4 routes", "2 other node(s)",
			     "this node \"b\" has no IPv4 InternalIP"));
}

/* The peer has an IPv4 pod CIDR but only an IPv6 InternalIP. */
static void test_peer_without_ip_of_family(void **state)
{
	(void)state;
	node("a", "10.244.0.0/24", "fd00:244::/64", "10.0.0.1", "fd00:10::1");
	node("b", "10.244.1.0/24", "fd00:244:0:1::/64", NULL, "fd00:10::2");
	node("c", "10.244.2.0/24", "fd00:244:0:2::/64", "10.0.0.3", NULL);
	build_ok("a");
	assert_int_equal(fx.d->n_routes, 2);
	assert_route(0, "10.244.2.0/24", "10.0.0.3", "c");
	assert_route(1, "fd00:244:0:1::/64", "fd00:10::2", "b");
	assert_int_equal(fx.d->n_notes, 2);
	assert_true(note_has("node \"b\" IPv4 pod CIDR 10.244.1.0/24",
			     "no IPv4 InternalIP", "no IPv4 next hop"));
	assert_true(note_has("node \"c\" IPv6 pod CIDR fd00:244:0:2::/64",
			     "no IPv6 InternalIP", NULL));
}

static void test_peer_without_pod_cidr(void **state)
{
	(void)state;
	add_v4_cluster();
	node("d", NULL, NULL, "10.0.0.4", "fd00:10::4");
	build_ok("a");
	assert_int_equal(fx.d->n_routes, 2);
	assert_int_equal(fx.d->n_notes, 1);
	assert_true(note_has("node \"d\" has no pod CIDR", NULL, NULL));
}

/* This node without a pod CIDR still routes to its peers' pods (hosts
 * reach pods too); its own CIDR fields stay empty. */
static void test_self_without_pod_cidr(void **state)
{
	(void)state;
	node("a", NULL, NULL, "10.0.0.1", "fd00:10::1");
	node("b", "10.244.1.0/24", "fd00:244:0:1::/64", "10.0.0.2",
	     "fd00:10::2");
	build_ok("a");
	assert_int_equal(fx.core->families, 0);
	assert_false(prefix_present(&fx.core->pod_cidr[0]));
	assert_false(prefix_present(&fx.core->pod_cidr[1]));
	assert_int_equal(fx.d->n_routes, 2);
	assert_route(0, "10.244.1.0/24", "10.0.0.2", "b");
	assert_route(1, "fd00:244:0:1::/64", "fd00:10::2", "b");
}

static void test_single_node(void **state)
{
	(void)state;
	node("a", "10.244.0.0/24", "fd00:244::/64", "10.0.0.1", "fd00:10::1");
	build_ok("a");
	assert_int_equal(fx.d->n_routes, 0);
	assert_int_equal(fx.d->n_notes, 0);
}

static void test_overlap_with_own_cidr(void **state)
{
	(void)state;
	node("a", "10.244.0.0/24", NULL, "10.0.0.1", NULL);
	node("b", "10.244.0.0/16", NULL, "10.0.0.2", NULL);
	build_ok("a");
	assert_int_equal(fx.d->n_routes, 0);
	assert_true(note_has("node \"b\"", "overlaps this node's pod CIDR",
			     "10.244.0.0/24"));
}

static void test_peer_with_own_ip(void **state)
{
	(void)state;
	node("a", "10.244.0.0/24", NULL, "10.0.0.1", NULL);
	node("b", "10.244.1.0/24", NULL, "10.0.0.1", NULL);
	build_ok("a");
	assert_int_equal(fx.d->n_routes, 0);
	assert_true(note_has("node \"b\"", "10.0.0.1 is this node's own",
			     NULL));
}

static void test_duplicate_pod_cidr(void **state)
{
	(void)state;
	node("a", "10.244.0.0/24", NULL, "10.0.0.1", NULL);
	node("b", "10.244.1.0/24", NULL, "10.0.0.2", NULL);
	node("c", "10.244.1.0/24", NULL, "10.0.0.3", NULL);
	build_ok("a");
	assert_int_equal(fx.d->n_routes, 1);
	assert_route(0, "10.244.1.0/24", "10.0.0.2", "b");
	assert_true(note_has("node \"c\"", "also node \"b\"", NULL));
}

/* A model slot holding the wrong family must never become a next hop. */
static void test_wrong_family_slot(void **state)
{
	struct node *b;

	(void)state;
	node("a", "10.244.0.0/24", "fd00:244::/64", "10.0.0.1", "fd00:10::1");
	b = node("b", "10.244.1.0/24", NULL, NULL, NULL);
	assert_int_equal(prefix_parse_addr("fd00:10::2",
					   &b->internal_ip[0]), 0);
	build_ok("a");
	assert_int_equal(fx.d->n_routes, 0);
	assert_true(note_has("node \"b\" IPv4 pod CIDR", "no IPv4 InternalIP",
			     NULL));
}

/* Every combination of what a node can have, for self and peers, over
 * a cluster of 1024 nodes: the invariants hold and the count is exact. */
static void test_all_combinations(void **state)
{
	(void)state;
	for (unsigned self = 0; self < 16; self++) {
		size_t expect = 0;

		setup(NULL);
		for (unsigned i = 0; i < 1024; i++) {
			unsigned m = i ? i % 16 : self;
			unsigned hi = i / 256 + 1, lo = i % 256;
			char n[32], a[64], b[64], c[64], d[64];

			snprintf(n, sizeof(n), "n%04u", i);
			snprintf(a, sizeof(a), "10.%u.%u.0/24", hi, lo);
			snprintf(b, sizeof(b), "fd00:%x:%x::/64", hi, lo);
			snprintf(c, sizeof(c), "192.168.%u.%u", hi, lo);
			snprintf(d, sizeof(d), "fd01::%x:%x", hi, lo);
			node(n, m & 1 ? a : NULL, m & 2 ? b : NULL,
			     m & 4 ? c : NULL, m & 8 ? d : NULL);
			if (i == 0)
				continue;
			/* a route per family where both ends have an IP of
			 * it and the peer a pod CIDR of it */
			expect += (m & 1) && (m & 4) && (self & 4);
			expect += (m & 2) && (m & 8) && (self & 8);
		}
		build_ok("n0000");
		assert_int_equal(fx.d->n_routes, expect);
		teardown(NULL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_ipv4_only),
		T(test_ipv6_only),
		T(test_dual_stack),
		T(test_self_missing),
		T(test_empty_snapshot),
		T(test_dual_self_single_peers),
		T(test_v6_only_self_dual_peer),
		T(test_peer_without_ip_of_family),
		T(test_peer_without_pod_cidr),
		T(test_self_without_pod_cidr),
		T(test_single_node),
		T(test_overlap_with_own_cidr),
		T(test_peer_with_own_ip),
		T(test_duplicate_pod_cidr),
		T(test_wrong_family_slot),
		T(test_all_combinations),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
