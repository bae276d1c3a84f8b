/*
 * test_route.c - route_plan() and route_op_format(): the pure part of the
 * routes function. The kernel side (dump, batch apply) needs root and is
 * exercised by tests/integration and contrib/route-selfcheck.sh.
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

#include <netlink/addr.h>
#include <netlink/msg.h>
#include <netlink/route/route.h>

#include "core/config.h"
#include "lib/nlutil.h"
#include "routes/route.h"
#include "routes/route_nl.h"
#include "lib/util.h"

#define MAXN 64

static struct {
	struct routes_config cfg;
	struct route_want want[MAXN];
	size_t n_want;
	struct route have[MAXN];
	size_t n_have;
	struct connected conn[MAXN];
	size_t n_conn;
	struct route_op *ops;
	size_t n_ops;
} t;

static struct prefix cidr(const char *s)
{
	struct prefix p;

	assert_int_equal(prefix_parse_cidr(s, &p), 0);
	return p;
}

static struct prefix addr(const char *s)
{
	struct prefix p;

	assert_int_equal(prefix_parse_addr(s, &p), 0);
	return p;
}

static int setup(void **state)
{
	(void)state;
	free(t.ops);
	memset(&t, 0, sizeof(t));
	t.cfg.enabled = true;
	t.cfg.protocol = 157;
	t.cfg.table = 254;
	t.cfg.metric = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(t.ops);
	t.ops = NULL;
	return 0;
}

static void want(const char *dst, const char *via, const char *node)
{
	struct route_want *w = &t.want[t.n_want++];

	w->dst = cidr(dst);
	w->via = addr(via);
	w->node = node;
}

/* A route the kernel holds with our protocol (in our table). */
static void have(const char *dst, const char *via, int ifindex,
		 const char *ifname, uint32_t metric)
{
	struct route *r = &t.have[t.n_have++];

	memset(r, 0, sizeof(*r));
	r->dst = cidr(dst);
	if (via)
		r->via = addr(via);
	r->ifindex = ifindex;
	snprintf(r->ifname, sizeof(r->ifname), "%s", ifname);
	r->table = 254;
	r->metric = metric;
	r->protocol = 157;
}

/* An address on an up link: "10.0.0.1/16" (host bits kept). */
static void conn(const char *a, int ifindex, const char *ifname)
{
	struct connected *c = &t.conn[t.n_conn++];
	char buf[64], *slash;

	snprintf(buf, sizeof(buf), "%s", a);
	slash = strchr(buf, '/');
	assert_non_null(slash);
	*slash = '\0';
	c->net = addr(buf);
	c->net.len = (uint8_t)atoi(slash + 1);
	c->ifindex = ifindex;
	snprintf(c->ifname, sizeof(c->ifname), "%s", ifname);
}

static void std_conn(void)
{
	conn("10.0.0.1/16", 2, "eth0");
	conn("fd00:10::1/64", 2, "eth0");
}

static void plan(bool offline)
{
	free(t.ops);
	t.ops = NULL;
	assert_int_equal(route_plan(&t.cfg, t.want, t.n_want, t.have, t.n_have,
				    t.conn, t.n_conn, offline, &t.ops,
				    &t.n_ops), 0);
}

static void assert_op(size_t i, const char *line)
{
	char buf[256];

	assert_true(i < t.n_ops);
	assert_string_equal(route_op_format(&t.ops[i], buf, sizeof(buf)),
			    line);
}

/* Pretends to be the kernel: applies the plan to t.have. */
static void apply_to_have(void)
{
	for (size_t i = 0; i < t.n_ops; i++) {
		const struct route_op *op = &t.ops[i];
		size_t j;

		for (j = 0; j < t.n_have; j++)
			if (prefix_equal(&t.have[j].dst, &op->r.dst) &&
			    t.have[j].metric == op->r.metric)
				break;
		switch (op->kind) {
		case ROUTE_DEL:
			assert_true(j < t.n_have);
			t.have[j] = t.have[--t.n_have];
			break;
		case ROUTE_ADD:
			assert_true(j == t.n_have);
			t.have[t.n_have++] = op->r;
			break;
		case ROUTE_UNREACHABLE:
			break;
		}
	}
}

static void test_empty_have_adds(void **state)
{
	(void)state;
	std_conn();
	want("10.244.1.0/24", "10.0.0.2", "b");
	want("10.244.2.0/24", "10.0.0.3", "c");
	plan(false);
	assert_int_equal(t.n_ops, 2);
	assert_int_equal(t.ops[0].kind, ROUTE_ADD);
	assert_string_equal(t.ops[0].node, "b");
	assert_int_equal(t.ops[0].r.ifindex, 2);
	assert_int_equal(t.ops[0].r.protocol, 157);
	assert_int_equal(t.ops[0].r.table, 254);
	assert_op(0, "route add 10.244.1.0/24 via 10.0.0.2 dev eth0 proto 157");
	assert_op(1, "route add 10.244.2.0/24 via 10.0.0.3 dev eth0 proto 157");
}

static void test_equal_no_ops(void **state)
{
	(void)state;
	std_conn();
	want("10.244.1.0/24", "10.0.0.2", "b");
	want("fd00:244:0:1::/64", "fd00:10::2", "b");
	have("fd00:244:0:1::/64", "fd00:10::2", 2, "eth0", 1024);
	have("10.244.1.0/24", "10.0.0.2", 2, "eth0", 0);
	plan(false);
	assert_int_equal(t.n_ops, 0);
}

static void test_idempotent(void **state)
{
	(void)state;
	std_conn();
	want("10.244.1.0/24", "10.0.0.2", "b");
	want("10.244.2.0/24", "10.0.0.3", "c");
	want("fd00:244:0:1::/64", "fd00:10::2", "b");
	want("fd00:244:0:2::/64", "fd00:10::3", "c");
	have("10.244.2.0/24", "10.0.0.9", 2, "eth0", 0); /* changed */
	have("10.244.7.0/24", "10.0.0.7", 2, "eth0", 0); /* stale */
	have("fd00:244:0:7::/64", "fd00:10::7", 2, "eth0", 1024);
	plan(false);
	assert_int_equal(t.n_ops, 7); /* 2 dels, 1 del + add, 3 adds */
	apply_to_have();
	plan(false);
	assert_int_equal(t.n_ops, 0);
	assert_int_equal(t.n_have, 4);
}

/* A changed gateway or device is the delete of our old route directly
 * followed by the add of the new one; never NLM_F_REPLACE, which could
 * hit a foreign route with the same key. */
static void test_changed_via_del_add(void **state)
{
	(void)state;
	std_conn();
	want("10.244.1.0/24", "10.0.0.20", "b");
	want("fd00:244:0:1::/64", "fd00:10::20", "b");
	have("10.244.1.0/24", "10.0.0.2", 2, "eth0", 0);
	have("fd00:244:0:1::/64", "fd00:10::2", 2, "eth0", 1024);
	plan(false);
	assert_int_equal(t.n_ops, 4);
	assert_int_equal(t.ops[0].kind, ROUTE_DEL);
	assert_null(t.ops[0].node);
	assert_int_equal(t.ops[1].kind, ROUTE_ADD);
	assert_string_equal(t.ops[1].node, "b");
	assert_op(0, "route del 10.244.1.0/24 via 10.0.0.2 dev eth0 proto 157");
	assert_op(1, "route add 10.244.1.0/24 via 10.0.0.20 dev eth0 "
		     "proto 157");
	assert_op(2, "route del fd00:244:0:1::/64 via fd00:10::2 dev eth0 "
		     "proto 157");
	assert_op(3, "route add fd00:244:0:1::/64 via fd00:10::20 dev eth0 "
		     "proto 157");
	apply_to_have();
	plan(false);
	assert_int_equal(t.n_ops, 0);
}

static void test_changed_dev_del_add(void **state)
{
	(void)state;
	std_conn();
	want("10.244.1.0/24", "10.0.0.2", "b");
	have("10.244.1.0/24", "10.0.0.2", 7, "old0", 0);
	plan(false);
	assert_int_equal(t.n_ops, 2);
	assert_op(0, "route del 10.244.1.0/24 via 10.0.0.2 dev old0 proto 157");
	assert_op(1, "route add 10.244.1.0/24 via 10.0.0.2 dev eth0 proto 157");
}

static void test_stale_delete(void **state)
{
	(void)state;
	std_conn();
	have("10.244.9.0/24", "10.0.0.9", 2, "eth0", 0);
	have("fd00:244:0:9::/64", "fd00:10::9", 2, "eth0", 1024);
	plan(false);
	assert_int_equal(t.n_ops, 2);
	assert_int_equal(t.ops[0].kind, ROUTE_DEL);
	assert_null(t.ops[0].node);
	assert_op(0, "route del 10.244.9.0/24 via 10.0.0.9 dev eth0 proto 157");
	assert_op(1, "route del fd00:244:0:9::/64 via fd00:10::9 dev eth0 "
		     "proto 157");
}

static void test_unreachable_next_hop(void **state)
{
	(void)state;
	std_conn();
	want("10.244.1.0/24", "192.168.5.5", "b");
	want("fd00:244:0:1::/64", "fd00:99::2", "b");
	plan(false);
	assert_int_equal(t.n_ops, 2);
	assert_int_equal(t.ops[0].kind, ROUTE_UNREACHABLE);
	assert_string_equal(t.ops[0].node, "b");
	assert_op(0, "route add 10.244.1.0/24 via 192.168.5.5 proto 157 "
		     "(next hop not on a connected subnet)");
	assert_op(1, "route add fd00:244:0:1::/64 via fd00:99::2 proto 157 "
		     "(next hop not on a connected subnet)");
}

/* An owned route whose next hop is no longer connected is deleted. */
static void test_unreachable_deletes_owned(void **state)
{
	(void)state;
	conn("10.1.0.1/16", 3, "eth1"); /* 10.0.0.0/16 went away */
	want("10.244.1.0/24", "10.0.0.2", "b");
	have("10.244.1.0/24", "10.0.0.2", 2, "eth0", 0);
	plan(false);
	assert_int_equal(t.n_ops, 2);
	assert_op(0, "route del 10.244.1.0/24 via 10.0.0.2 dev eth0 proto 157");
	assert_int_equal(t.ops[1].kind, ROUTE_UNREACHABLE);
}

/* An address of the other family never makes a next hop reachable. */
static void test_other_family_conn(void **state)
{
	(void)state;
	conn("fd00:10::1/64", 2, "eth0");
	conn("::/0", 4, "any6");
	want("10.244.1.0/24", "10.0.0.2", "b");
	plan(false);
	assert_int_equal(t.n_ops, 1);
	assert_int_equal(t.ops[0].kind, ROUTE_UNREACHABLE);
}

static void test_longest_prefix_dev(void **state)
{
	(void)state;
	conn("10.9.9.9/8", 2, "wide0");
	conn("10.0.0.1/24", 3, "narrow0");
	conn("10.0.0.77/28", 5, "other0"); /* 10.0.0.64/28: not 10.0.0.5 */
	conn("fd00::1/16", 2, "wide0");
	conn("fd00:10::1/64", 3, "narrow0");
	want("10.244.1.0/24", "10.0.0.5", "b");
	want("10.244.2.0/24", "10.1.0.5", "c");
	want("fd00:244:0:1::/64", "fd00:10::5", "b");
	want("fd00:244:0:2::/64", "fd00:11::5", "c");
	plan(false);
	assert_int_equal(t.n_ops, 4);
	assert_op(0, "route add 10.244.1.0/24 via 10.0.0.5 dev narrow0 "
		     "proto 157");
	assert_op(1, "route add 10.244.2.0/24 via 10.1.0.5 dev wide0 "
		     "proto 157");
	assert_op(2, "route add fd00:244:0:1::/64 via fd00:10::5 dev narrow0 "
		     "proto 157");
	assert_op(3, "route add fd00:244:0:2::/64 via fd00:11::5 dev wide0 "
		     "proto 157");
	assert_int_equal(t.ops[0].r.ifindex, 3);
	assert_int_equal(t.ops[1].r.ifindex, 2);
}

static void test_offline(void **state)
{
	(void)state;
	want("10.244.1.0/24", "192.168.5.5", "b");
	want("fd00:244:0:1::/64", "fd00:10::2", "b");
	plan(true);
	assert_int_equal(t.n_ops, 2);
	assert_int_equal(t.ops[0].kind, ROUTE_ADD);
	assert_int_equal(t.ops[0].r.ifindex, 0);
	assert_op(0, "route add 10.244.1.0/24 via 192.168.5.5 proto 157");
	assert_op(1, "route add fd00:244:0:1::/64 via fd00:10::2 proto 157");
}

/* Online with no connected subnet at all (a namespace without any
 * address, or every link down): that is not "offline". Every add is
 * unreachable and reported; nothing would be sent without a device. */
static void test_no_conn_is_not_offline(void **state)
{
	(void)state;
	want("10.244.1.0/24", "10.0.0.2", "b");
	want("fd00:244:0:1::/64", "fd00:10::2", "b");
	have("10.244.2.0/24", "10.0.0.3", 2, "eth0", 0);
	plan(false);
	assert_int_equal(t.n_ops, 3);
	assert_int_equal(t.ops[0].kind, ROUTE_DEL);
	assert_int_equal(t.ops[1].kind, ROUTE_UNREACHABLE);
	assert_int_equal(t.ops[2].kind, ROUTE_UNREACHABLE);
	assert_op(1, "route add 10.244.1.0/24 via 10.0.0.2 proto 157 "
		     "(next hop not on a connected subnet)");
	for (size_t i = 0; i < t.n_ops; i++)
		assert_true(t.ops[i].kind != ROUTE_ADD);
	/* the same with a NULL list instead of an empty one */
	free(t.ops);
	t.ops = NULL;
	assert_int_equal(route_plan(&t.cfg, t.want, t.n_want, NULL, 0, NULL,
				    0, false, &t.ops, &t.n_ops), 0);
	assert_int_equal(t.n_ops, 2);
	assert_int_equal(t.ops[0].kind, ROUTE_UNREACHABLE);
	assert_int_equal(t.ops[1].kind, ROUTE_UNREACHABLE);
	/* and only the explicit flag makes it an offline plan */
	plan(true);
	assert_int_equal(t.ops[1].kind, ROUTE_ADD);
	assert_int_equal(t.ops[1].r.ifindex, 0);
}

static void test_ordering(void **state)
{
	static const enum route_op_kind kinds[] = {
		ROUTE_DEL, ROUTE_DEL, ROUTE_DEL,            /* stale */
		ROUTE_DEL, ROUTE_ADD, ROUTE_DEL, ROUTE_ADD, /* changed */
		ROUTE_ADD, ROUTE_ADD, ROUTE_UNREACHABLE, ROUTE_UNREACHABLE,
	};

	(void)state;
	std_conn();
	/* want given out of order on purpose: the planner must cope */
	want("fd00:244:0:5::/64", "fd00:10::5", "e");
	want("10.244.5.0/24", "10.0.0.5", "e");
	want("10.244.3.0/24", "10.0.0.33", "c");
	want("fd00:244:0:3::/64", "fd00:10::33", "c");
	want("10.244.6.0/24", "172.16.0.1", "f");
	want("fd00:244:0:6::/64", "fd00:99::1", "f");
	have("fd00:244:0:9::/64", "fd00:10::9", 2, "eth0", 1024);
	have("10.244.3.0/24", "10.0.0.3", 2, "eth0", 0);
	have("10.244.9.0/24", "10.0.0.9", 2, "eth0", 0);
	have("fd00:244:0:3::/64", "fd00:10::3", 2, "eth0", 1024);
	have("10.244.1.0/24", "10.0.0.1", 2, "eth0", 0);
	plan(false);
	assert_int_equal(t.n_ops, ARRAY_SIZE(kinds));
	for (size_t i = 0; i < t.n_ops; i++)
		assert_int_equal(t.ops[i].kind, kinds[i]);
	assert_op(0, "route del 10.244.1.0/24 via 10.0.0.1 dev eth0 proto 157");
	assert_op(1, "route del 10.244.9.0/24 via 10.0.0.9 dev eth0 proto 157");
	assert_op(2, "route del fd00:244:0:9::/64 via fd00:10::9 dev eth0 "
		     "proto 157");
	assert_op(3, "route del 10.244.3.0/24 via 10.0.0.3 dev eth0 proto 157");
	assert_op(4, "route add 10.244.3.0/24 via 10.0.0.33 dev eth0 "
		     "proto 157");
	assert_op(5, "route del fd00:244:0:3::/64 via fd00:10::3 dev eth0 "
		     "proto 157");
	assert_op(6, "route add fd00:244:0:3::/64 via fd00:10::33 dev eth0 "
		     "proto 157");
	assert_op(7, "route add 10.244.5.0/24 via 10.0.0.5 dev eth0 proto 157");
	assert_op(8, "route add fd00:244:0:5::/64 via fd00:10::5 dev eth0 "
		     "proto 157");
	assert_op(9, "route add 10.244.6.0/24 via 172.16.0.1 proto 157 "
		     "(next hop not on a connected subnet)");
}

/* The metric is part of the kernel's key: a changed metric is a delete
 * plus an add, never a replace. */
static void test_metric_change(void **state)
{
	(void)state;
	std_conn();
	t.cfg.metric = 100;
	want("10.244.1.0/24", "10.0.0.2", "b");
	want("fd00:244:0:1::/64", "fd00:10::2", "b");
	have("10.244.1.0/24", "10.0.0.2", 2, "eth0", 0);
	have("fd00:244:0:1::/64", "fd00:10::2", 2, "eth0", 1024);
	plan(false);
	assert_int_equal(t.n_ops, 4);
	assert_op(0, "route del 10.244.1.0/24 via 10.0.0.2 dev eth0 proto 157");
	assert_op(1, "route del fd00:244:0:1::/64 via fd00:10::2 dev eth0 "
		     "proto 157");
	assert_op(2, "route add 10.244.1.0/24 via 10.0.0.2 dev eth0 proto 157 "
		     "metric 100");
	assert_op(3, "route add fd00:244:0:1::/64 via fd00:10::2 dev eth0 "
		     "proto 157 metric 100");
}

/* Two owned routes for one destination (an old metric left behind):
 * the one with our metric stays, the other goes. */
static void test_duplicate_have(void **state)
{
	(void)state;
	std_conn();
	want("10.244.1.0/24", "10.0.0.2", "b");
	have("10.244.1.0/24", "10.0.0.2", 2, "eth0", 50);
	have("10.244.1.0/24", "10.0.0.2", 2, "eth0", 0);
	plan(false);
	assert_int_equal(t.n_ops, 1);
	assert_op(0, "route del 10.244.1.0/24 via 10.0.0.2 dev eth0 proto 157 "
		     "metric 50");
}

/* A multipath route of ours has no single gateway: deleted, re-added. */
static void test_multipath_have_changed(void **state)
{
	(void)state;
	std_conn();
	want("10.244.1.0/24", "10.0.0.2", "b");
	have("10.244.1.0/24", NULL, 0, "", 0);
	plan(false);
	assert_int_equal(t.n_ops, 2);
	assert_int_equal(t.ops[0].kind, ROUTE_DEL);
	assert_int_equal(t.ops[1].kind, ROUTE_ADD);
}

static void test_table_and_metric_format(void **state)
{
	(void)state;
	std_conn();
	t.cfg.table = 100;
	t.cfg.metric = 7;
	want("10.244.1.0/24", "10.0.0.2", "b");
	want("fd00:244:0:1::/64", "fd00:10::2", "b");
	plan(false);
	assert_op(0, "route add 10.244.1.0/24 via 10.0.0.2 dev eth0 table 100 "
		     "proto 157 metric 7");
	assert_op(1, "route add fd00:244:0:1::/64 via fd00:10::2 dev eth0 "
		     "table 100 proto 157 metric 7");
	assert_int_equal(t.ops[0].r.table, 100);
	assert_int_equal(t.ops[0].r.metric, 7);
}

static void test_format_truncates_safely(void **state)
{
	struct route_op op = { .kind = ROUTE_ADD };
	char buf[12];

	(void)state;
	op.r.dst = cidr("fd00:244:0:1::/64");
	op.r.via = addr("fd00:10::2");
	op.r.table = 254;
	op.r.protocol = 157;
	route_op_format(&op, buf, sizeof(buf));
	assert_true(strlen(buf) < sizeof(buf));
}

static void test_metric_eff(void **state)
{
	(void)state;
	assert_int_equal(route_metric_eff(AF_INET, 0), 0);
	assert_int_equal(route_metric_eff(AF_INET6, 0), 1024);
	assert_int_equal(route_metric_eff(AF_INET6, 5), 5);
	assert_int_equal(route_metric_eff(AF_INET, 5), 5);
}

/* A wanted route with a next hop of the other family is never planned
 * (route_desire_build never makes one; the planner does not trust that). */
static void test_cross_family_never_added(void **state)
{
	(void)state;
	std_conn();
	want("10.244.1.0/24", "10.0.0.2", "b");
	t.want[0].via = addr("fd00:10::2");
	plan(false);
	assert_int_equal(t.n_ops, 1);
	assert_int_equal(t.ops[0].kind, ROUTE_UNREACHABLE);
	plan(true);
	assert_int_equal(t.n_ops, 1);
	assert_int_equal(t.ops[0].kind, ROUTE_UNREACHABLE);
}

static void test_duplicate_want(void **state)
{
	(void)state;
	std_conn();
	want("10.244.1.0/24", "10.0.0.2", "b");
	want("10.244.1.0/24", "10.0.0.3", "c");
	plan(false);
	assert_int_equal(t.n_ops, 1);
	assert_op(0, "route add 10.244.1.0/24 via 10.0.0.2 dev eth0 proto 157");
}

static void test_nothing(void **state)
{
	(void)state;
	plan(false);
	assert_int_equal(t.n_ops, 0);
	plan(true);
	assert_int_equal(t.n_ops, 0);
}

/* nlutil: the conversion both dumps use, and the link-local test. */
static void test_nlutil_to_prefix(void **state)
{
	static const uint8_t v4[4] = { 10, 244, 1, 7 };
	static const uint8_t ll[16] = { 0xfe, 0x80, [15] = 1 };
	struct nl_addr *a = nl_addr_build(AF_INET, v4, sizeof(v4));
	struct prefix p;
	char buf[PREFIX_STRLEN];

	(void)state;
	assert_non_null(a);
	nl_addr_set_prefixlen(a, 24);
	assert_true(nlutil_to_prefix(a, 0, &p));
	assert_string_equal(prefix_format(&p, buf, sizeof(buf)),
			    "10.244.1.7/24");
	assert_true(nlutil_to_prefix(a, AF_INET, &p));
	assert_false(nlutil_to_prefix(a, AF_INET6, &p)); /* wrong family */
	assert_int_equal(p.family, 0);
	nl_addr_put(a);
	/* no address: a default route's 0/0 of the family asked for */
	assert_true(nlutil_to_prefix(NULL, AF_INET6, &p));
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(p.len, 0);
	assert_false(nlutil_to_prefix(NULL, 0, &p));
	a = nl_addr_build(AF_INET6, ll, sizeof(ll));
	assert_non_null(a);
	nl_addr_set_prefixlen(a, 64);
	assert_true(nlutil_to_prefix(a, 0, &p));
	assert_true(nlutil_is_link_local6(&p));
	nl_addr_put(a);
	p = addr("fd00:10::1");
	assert_false(nlutil_is_link_local6(&p));
	p = addr("febf::1"); /* still fe80::/10 */
	assert_true(nlutil_is_link_local6(&p));
	p = addr("fec0::1");
	assert_false(nlutil_is_link_local6(&p));
	assert_int_equal(nlutil_errno(-NLE_EXIST), EEXIST);
	assert_int_equal(nlutil_errno(NLE_NODEV), ENODEV);
	assert_int_equal(nlutil_errno(-NLE_DUMP_INTR), EAGAIN);
	assert_int_equal(nlutil_errno(-9999), EIO);
}

/* A dump message as the kernel would send it for this route. */
static struct nl_msg *route_msg(const char *dst, const char *gw,
				unsigned table, unsigned proto)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *d = NULL, *g = NULL;
	struct nl_msg *m = NULL;
	int family = strchr(dst, ':') ? AF_INET6 : AF_INET;

	assert_non_null(rt);
	assert_non_null(nh);
	assert_int_equal(nl_addr_parse(dst, family, &d), 0);
	assert_int_equal(nl_addr_parse(gw, family, &g), 0);
	rtnl_route_set_family(rt, (uint8_t)family);
	assert_int_equal(rtnl_route_set_dst(rt, d), 0);
	rtnl_route_set_table(rt, table);
	rtnl_route_set_protocol(rt, (uint8_t)proto);
	rtnl_route_set_type(rt, RTN_UNICAST);
	rtnl_route_nh_set_gateway(nh, g);
	rtnl_route_nh_set_ifindex(nh, 2);
	rtnl_route_add_nexthop(rt, nh);
	assert_int_equal(rtnl_route_build_add_request(rt, 0, &m), 0);
	nl_addr_put(d);
	nl_addr_put(g);
	rtnl_route_put(rt);
	return m;
}

/* The userspace ownership filter of the route dump: a kernel without
 * strict dump checking sends every route, and only our protocol in our
 * table may come out, in both families. */
static void test_dump_filter(void **state)
{
	static const struct {
		const char *dst, *gw;
		unsigned table, proto;
		bool ours;
	} in[] = {
		{ "10.244.2.0/24", "10.0.0.2", 254, 157, true },
		{ "10.244.3.0/24", "10.0.0.3", 254, 4, false },	 /* static */
		{ "10.244.4.0/24", "10.0.0.4", 254, 186, false }, /* bgp */
		{ "10.244.5.0/24", "10.0.0.5", 100, 157, false }, /* table */
		{ "fd00:244:0:2::/64", "fd00:10::2", 254, 157, true },
		{ "fd00:244:0:3::/64", "fd00:10::3", 254, 2, false },
		{ "fd00:244:0:4::/64", "fd00:10::4", 1000, 157, false },
	};
	struct route_collect d = { .c = &t.cfg };
	char buf[PREFIX_STRLEN];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		struct nl_msg *m = route_msg(in[i].dst, in[i].gw, in[i].table,
					     in[i].proto);

		route_nl_collect(&d, m);
		nlmsg_free(m);
	}
	assert_int_equal(d.err, 0);
	assert_int_equal(d.n, 2);
	assert_string_equal(prefix_format(&d.v[0].dst, buf, sizeof(buf)),
			    "10.244.2.0/24");
	assert_string_equal(addr_format(&d.v[0].via, buf, sizeof(buf)),
			    "10.0.0.2");
	assert_string_equal(prefix_format(&d.v[1].dst, buf, sizeof(buf)),
			    "fd00:244:0:2::/64");
	assert_int_equal(d.v[1].protocol, 157);
	free(d.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_empty_have_adds),
		T(test_equal_no_ops),
		T(test_idempotent),
		T(test_changed_via_del_add),
		T(test_changed_dev_del_add),
		T(test_stale_delete),
		T(test_unreachable_next_hop),
		T(test_unreachable_deletes_owned),
		T(test_other_family_conn),
		T(test_longest_prefix_dev),
		T(test_offline),
		T(test_no_conn_is_not_offline),
		T(test_ordering),
		T(test_metric_change),
		T(test_duplicate_have),
		T(test_multipath_have_changed),
		T(test_table_and_metric_format),
		T(test_format_truncates_safely),
		T(test_metric_eff),
		T(test_cross_family_never_added),
		T(test_duplicate_want),
		T(test_nothing),
		T(test_nlutil_to_prefix),
		T(test_dump_filter),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
