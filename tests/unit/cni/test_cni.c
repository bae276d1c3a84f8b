/*
 * test_cni.c - the CNI renderer and planner, without root.
 *
 * The renderer's output is parsed back with json-c and checked field by
 * field, plus one exact byte-for-byte case, because the bytes are what
 * the writer compares with the file on disk. The planner is driven with
 * hand-made struct cni_state values; a state built from a plan's own
 * effects must plan zero ops (idempotency).
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
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni/cni.h"
#include "core/pass.h"
#include "lib/util.h"

static struct cni_config cfg;
static struct desired want;

static void set_cidr(const char *s)
{
	struct prefix p;

	assert_int_equal(prefix_parse_cidr(s, &p), 0);
	want.pod_cidr[fam_index(p.family)] = p;
	want.families |= fam_bit(p.family);
}

static int setup(void **state)
{
	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.enabled = true;
	strcpy(cfg.conf_dir, "/etc/cni/net.d");
	strcpy(cfg.conf_file, "10-snapnet.conflist");
	strcpy(cfg.network_name, "snapnet");
	strcpy(cfg.bridge, "snapnet0");
	cfg.hairpin = true;
	cfg.ip_forward = true;
	memset(&want, 0, sizeof(want));
	want.node_name = "node-a";
	return 0;
}

/* ---- renderer ---------------------------------------------------- */

static json_object *render_parse(void)
{
	char *s = NULL;
	json_object *o;

	assert_int_equal(cni_render(&cfg, &want, &s), 0);
	assert_non_null(s);
	assert_true(strlen(s) > 2);
	assert_int_equal(s[strlen(s) - 1], '\n');
	assert_int_not_equal(s[strlen(s) - 2], '\n');
	assert_null(strstr(s, "\\/")); /* no escaped slashes in CIDRs */
	o = json_tokener_parse(s);
	free(s);
	assert_non_null(o);
	return o;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static const char *get_str(json_object *o, const char *key)
{
	return json_object_get_string(get(o, key));
}

static json_object *bridge_of(json_object *root)
{
	json_object *plugins = get(root, "plugins");

	assert_int_equal(json_object_array_length(plugins), 2);
	return json_object_array_get_idx(plugins, 0);
}

static void assert_range(json_object *ranges, size_t i, const char *subnet,
			 const char *gw)
{
	json_object *set = json_object_array_get_idx(ranges, i);
	json_object *r;

	assert_non_null(set);
	assert_int_equal(json_object_array_length(set), 1);
	r = json_object_array_get_idx(set, 0);
	assert_string_equal(get_str(r, "subnet"), subnet);
	assert_string_equal(get_str(r, "gateway"), gw);
}

static void test_render_v4(void **state)
{
	json_object *root, *br, *ipam, *pm;

	(void)state;
	set_cidr("10.244.1.0/24");
	root = render_parse();
	assert_string_equal(get_str(root, "cniVersion"), "1.0.0");
	assert_string_equal(get_str(root, "name"), "snapnet");
	br = bridge_of(root);
	assert_string_equal(get_str(br, "type"), "bridge");
	assert_string_equal(get_str(br, "bridge"), "snapnet0");
	assert_true(json_object_get_boolean(get(br, "isGateway")));
	assert_true(json_object_get_boolean(get(br, "isDefaultGateway")));
	assert_true(json_object_get_boolean(get(br, "hairpinMode")));
	assert_false(json_object_object_get_ex(br, "mtu", NULL));
	ipam = get(br, "ipam");
	assert_string_equal(get_str(ipam, "type"), "host-local");
	/* isDefaultGateway adds the default routes; see cni_render.c */
	assert_false(json_object_object_get_ex(ipam, "routes", NULL));
	assert_false(json_object_object_get_ex(ipam, "dataDir", NULL));
	assert_int_equal(json_object_array_length(get(ipam, "ranges")), 1);
	assert_range(get(ipam, "ranges"), 0, "10.244.1.0/24", "10.244.1.1");
	pm = json_object_array_get_idx(get(root, "plugins"), 1);
	assert_string_equal(get_str(pm, "type"), "portmap");
	assert_true(json_object_get_boolean(
	    get(get(pm, "capabilities"), "portMappings")));
	json_object_put(root);
}

static void test_render_v6(void **state)
{
	json_object *root, *ranges;

	(void)state;
	set_cidr("fd00:244:0:1::/64");
	root = render_parse();
	ranges = get(get(bridge_of(root), "ipam"), "ranges");
	assert_int_equal(json_object_array_length(ranges), 1);
	assert_range(ranges, 0, "fd00:244:0:1::/64", "fd00:244:0:1::1");
	json_object_put(root);
}

static void test_render_dual(void **state)
{
	json_object *root, *ranges;

	(void)state;
	/* IPv6 set first on purpose: the output still lists IPv4 first. */
	set_cidr("fd00:244:0:2::/64");
	set_cidr("10.244.2.0/24");
	root = render_parse();
	ranges = get(get(bridge_of(root), "ipam"), "ranges");
	assert_int_equal(json_object_array_length(ranges), 2);
	assert_range(ranges, 0, "10.244.2.0/24", "10.244.2.1");
	assert_range(ranges, 1, "fd00:244:0:2::/64", "fd00:244:0:2::1");
	json_object_put(root);
}

static const char dual_expected[] =
    "{\n"
    "  \"cniVersion\": \"1.0.0\",\n"
    "  \"name\": \"k8s-pods\",\n"
    "  \"plugins\": [\n"
    "    {\n"
    "      \"type\": \"bridge\",\n"
    "      \"bridge\": \"cbr0\",\n"
    "      \"isGateway\": true,\n"
    "      \"isDefaultGateway\": true,\n"
    "      \"hairpinMode\": false,\n"
    "      \"mtu\": 1450,\n"
    "      \"ipam\": {\n"
    "        \"type\": \"host-local\",\n"
    "        \"ranges\": [\n"
    "          [\n"
    "            {\n"
    "              \"subnet\": \"10.244.3.0/24\",\n"
    "              \"gateway\": \"10.244.3.1\"\n"
    "            }\n"
    "          ],\n"
    "          [\n"
    "            {\n"
    "              \"subnet\": \"fd00:244:0:3::/64\",\n"
    "              \"gateway\": \"fd00:244:0:3::1\"\n"
    "            }\n"
    "          ]\n"
    "        ]\n"
    "      }\n"
    "    },\n"
    "    {\n"
    "      \"type\": \"portmap\",\n"
    "      \"capabilities\": {\n"
    "        \"portMappings\": true\n"
    "      }\n"
    "    }\n"
    "  ]\n"
    "}\n";

static void test_render_exact_bytes(void **state)
{
	char *s = NULL, *again = NULL;

	(void)state;
	strcpy(cfg.network_name, "k8s-pods");
	strcpy(cfg.bridge, "cbr0");
	cfg.mtu = 1450;
	cfg.hairpin = false;
	set_cidr("10.244.3.0/24");
	set_cidr("fd00:244:0:3::/64");
	assert_int_equal(cni_render(&cfg, &want, &s), 0);
	assert_string_equal(s, dual_expected);
	/* deterministic: same input, same bytes */
	assert_int_equal(cni_render(&cfg, &want, &again), 0);
	assert_string_equal(s, again);
	free(s);
	free(again);
}

static void test_render_mtu_hairpin(void **state)
{
	json_object *root, *br;

	(void)state;
	cfg.mtu = 9000;
	cfg.hairpin = false;
	set_cidr("10.244.4.0/24");
	root = render_parse();
	br = bridge_of(root);
	assert_int_equal(json_object_get_int(get(br, "mtu")), 9000);
	assert_true(
	    json_object_is_type(get(br, "hairpinMode"), json_type_boolean));
	assert_false(json_object_get_boolean(get(br, "hairpinMode")));
	json_object_put(root);
}

static void test_render_no_cidr(void **state)
{
	char *s = (char *)"untouched";

	(void)state;
	assert_int_equal(cni_render(&cfg, &want, &s), -ENOENT);
	assert_null(s);
	assert_int_equal(cni_render(&cfg, NULL, &s), -ENOENT);
}

static void test_render_tiny_cidr(void **state)
{
	char *s = NULL;

	(void)state;
	set_cidr("10.244.5.7/32");
	assert_int_equal(cni_render(&cfg, &want, &s), -EINVAL);
	assert_null(s);
}

/* ---- planner ----------------------------------------------------- */

struct plan {
	struct cni_op *ops;
	size_t n;
	char lines[16][128];
};

static void plan_run(const char *conf, const struct cni_state *have,
		     struct plan *pl)
{
	memset(pl, 0, sizeof(*pl));
	assert_int_equal(cni_plan(&cfg, &want, conf, have, &pl->ops, &pl->n),
			 0);
	assert_true(pl->n <= 16);
	for (size_t i = 0; i < pl->n; i++)
		cni_op_format(&cfg, &pl->ops[i], pl->lines[i],
			      sizeof(pl->lines[i]));
	if (!pl->n)
		assert_null(pl->ops);
}

static void plan_free(struct plan *pl)
{
	free(pl->ops);
	pl->ops = NULL;
}

/* An address with host bits set, as the kernel reports it. */
static struct prefix ifaddr(const char *addr, unsigned len)
{
	struct prefix p;

	assert_int_equal(prefix_parse_addr(addr, &p), 0);
	p.len = (uint8_t)len;
	return p;
}

/* The state a full apply of `conf` for `want` leaves behind. */
static void converged(struct cni_state *s, const char *conf,
		      struct prefix *addrs, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->conf = (char *)conf;
	s->conf_len = strlen(conf);
	s->link_exists = s->link_is_bridge = s->link_ours = s->link_up = true;
	strcpy(s->link_alias, CNI_LINK_ALIAS);
	s->ifindex = 7;
	s->addrs = addrs;
	s->n_addrs = n;
	s->forwarding[0] = s->forwarding[1] = 1;
}

static void test_plan_empty_dual(void **state)
{
	struct cni_state empty = {0};
	struct plan pl;
	static const char *const expect[] = {
	    "cni write /etc/cni/net.d/10-snapnet.conflist",
	    "link add snapnet0 type bridge",
	    "link set snapnet0 up",
	    "addr add 10.244.1.1/24 dev snapnet0",
	    "addr add fd00:244:0:1::1/64 dev snapnet0",
	    "sysctl net.ipv4.ip_forward=1",
	    "sysctl net.ipv6.conf.all.forwarding=1",
	};

	(void)state;
	set_cidr("fd00:244:0:1::/64");
	set_cidr("10.244.1.0/24");
	plan_run("{}\n", &empty, &pl);
	assert_int_equal(pl.n, ARRAY_SIZE(expect));
	for (size_t i = 0; i < pl.n; i++)
		assert_string_equal(pl.lines[i], expect[i]);
	assert_int_equal(pl.ops[4].addr.family, AF_INET6);
	plan_free(&pl);
}

static void test_plan_empty_v6_mtu(void **state)
{
	struct cni_state empty = {0};
	struct plan pl;

	(void)state;
	cfg.mtu = 1400;
	set_cidr("fd00:244:0:1::/64");
	plan_run("{}\n", &empty, &pl);
	assert_int_equal(pl.n, 5);
	assert_string_equal(pl.lines[1],
			    "link add snapnet0 type bridge mtu 1400");
	assert_string_equal(pl.lines[3],
			    "addr add fd00:244:0:1::1/64 dev snapnet0");
	assert_string_equal(pl.lines[4],
			    "sysctl net.ipv6.conf.all.forwarding=1");
	plan_free(&pl);
}

static void test_plan_converged(void **state)
{
	struct prefix a[] = {ifaddr("fd00:244:0:1::1", 64),
			     ifaddr("10.244.1.1", 24)};
	struct cni_state s;
	struct plan pl;
	char *conf;

	(void)state;
	set_cidr("10.244.1.0/24");
	set_cidr("fd00:244:0:1::/64");
	assert_int_equal(cni_render(&cfg, &want, &conf), 0);
	converged(&s, conf, a, ARRAY_SIZE(a));
	plan_run(conf, &s, &pl);
	assert_int_equal(pl.n, 0);
	assert_int_equal(cni_owned(&s), 4);
	/* a second identical input plans nothing either */
	plan_run(conf, &s, &pl);
	assert_int_equal(pl.n, 0);
	free(conf);
}

/* [cni] mtu is reconciled on our bridge, not only at creation; 0 leaves
 * whatever the kernel has. */
static void test_plan_mtu_drift(void **state)
{
	struct prefix a[] = {ifaddr("10.244.1.1", 24)};
	struct cni_state s;
	struct plan pl;
	char *conf;

	(void)state;
	set_cidr("10.244.1.0/24");
	cfg.mtu = 9000;
	assert_int_equal(cni_render(&cfg, &want, &conf), 0);
	converged(&s, conf, a, ARRAY_SIZE(a));
	s.mtu = 1400;
	plan_run(conf, &s, &pl);
	assert_int_equal(pl.n, 1);
	assert_string_equal(pl.lines[0], "link set snapnet0 mtu 9000");
	plan_free(&pl);
	s.mtu = 9000;
	plan_run(conf, &s, &pl);
	assert_int_equal(pl.n, 0);
	free(conf);

	cfg.mtu = 0;
	assert_int_equal(cni_render(&cfg, &want, &conf), 0);
	converged(&s, conf, a, ARRAY_SIZE(a));
	s.mtu = 1400;
	plan_run(conf, &s, &pl);
	assert_int_equal(pl.n, 0);
	/* a foreign link of our name keeps its MTU too */
	cfg.mtu = 9000;
	s.link_ours = false;
	s.link_alias[0] = '\0';
	plan_run(conf, &s, &pl);
	for (size_t i = 0; i < pl.n; i++)
		assert_null(strstr(pl.lines[i], "mtu"));
	plan_free(&pl);
	free(conf);
}

/* Temp files a killed write left are removed, right after the write. */
static void test_plan_stale_temps(void **state)
{
	char t1[] = "/etc/cni/net.d/10-snapnet.conflist.tmp.AbC123";
	char *temps[] = {t1};
	struct prefix a[] = {ifaddr("10.244.1.1", 24)};
	struct cni_state s;
	struct plan pl;
	char *conf;

	(void)state;
	set_cidr("10.244.1.0/24");
	assert_int_equal(cni_render(&cfg, &want, &conf), 0);
	converged(&s, conf, a, ARRAY_SIZE(a));
	s.temps = temps;
	s.n_temps = 1;
	plan_run(conf, &s, &pl);
	assert_int_equal(pl.n, 1);
	assert_string_equal(pl.lines[0], "cni remove /etc/cni/net.d/"
					 "10-snapnet.conflist.tmp.AbC123");
	assert_int_equal(cni_owned(&s), 3); /* temps are not counted */
	plan_free(&pl);
	free(conf);
}

static void test_plan_prefix_len_matters(void **state)
{
	/* Same gateway bytes, wrong length (/128 as a hand-added host
	 * address would be): the /64 gateway is added; the /128 is not one
	 * snapnet would ever add, so it is left alone. */
	struct prefix a[] = {ifaddr("fd00:244:0:1::1", 128)};
	struct cni_state s;
	struct plan pl;

	(void)state;
	set_cidr("fd00:244:0:1::/64");
	converged(&s, "{}\n", a, ARRAY_SIZE(a));
	plan_run("{}\n", &s, &pl);
	assert_int_equal(pl.n, 1);
	assert_string_equal(pl.lines[0],
			    "addr add fd00:244:0:1::1/64 dev snapnet0");
	plan_free(&pl);
}

/* A stale gateway (the node's pod CIDR changed) is deleted BEFORE the
 * new one is added: deleting an IPv4 primary takes its secondaries
 * with it unless promote_secondaries is set. */
static void test_plan_stale_gateway_deleted_first(void **state)
{
	struct prefix a[] = {ifaddr("10.244.0.1", 16),
			     ifaddr("fd00:244::1", 48)};
	struct cni_state s;
	struct plan pl;

	(void)state;
	set_cidr("10.244.1.0/24");
	set_cidr("fd00:244:0:1::/64");
	converged(&s, "{}\n", a, ARRAY_SIZE(a));
	plan_run("{}\n", &s, &pl);
	assert_int_equal(pl.n, 4);
	assert_string_equal(pl.lines[0], "addr del 10.244.0.1/16 dev snapnet0");
	assert_string_equal(pl.lines[1],
			    "addr del fd00:244::1/48 dev snapnet0");
	assert_string_equal(pl.lines[2], "addr add 10.244.1.1/24 dev snapnet0");
	assert_string_equal(pl.lines[3],
			    "addr add fd00:244:0:1::1/64 dev snapnet0");
	assert_int_equal(cni_owned(&s), 4);
	plan_free(&pl);
}

/* Addresses on our bridge that snapnet would never have added (not the
 * first host of their prefix, or a host address) are kept, and not
 * counted as owned. */
static void test_plan_stray_addr_kept(void **state)
{
	struct prefix a[] = {ifaddr("10.244.1.1", 24),
			     ifaddr("10.244.1.77", 24),
			     ifaddr("192.168.7.5", 24),
			     ifaddr("10.9.9.9", 32),
			     ifaddr("fd00:99::5", 64)};
	struct cni_state s;
	struct plan pl;

	(void)state;
	set_cidr("10.244.1.0/24");
	converged(&s, "{}\n", a, ARRAY_SIZE(a));
	plan_run("{}\n", &s, &pl);
	assert_int_equal(pl.n, 0);
	assert_int_equal(cni_owned(&s), 3); /* file, bridge, 10.244.1.1 */
	assert_null(cni_link_foreign(&s, pl.lines[0], sizeof(pl.lines[0])));
}

static void test_gateway_like(void **state)
{
	static const struct {
		const char *a;
		unsigned len;
		bool like;
	} cases[] = {
		{"10.244.9.1", 24, true},   {"10.244.9.2", 24, false},
		{"10.244.0.1", 16, true},   {"10.244.1.1", 16, false},
		{"10.0.0.1", 30, true},     {"10.0.0.1", 31, false},
		{"10.0.0.1", 32, false},    {"10.0.0.0", 24, false},
		{"192.168.1.1", 8, false},  {"fd00::1", 64, true},
		{"fd00::1", 126, true},     {"fd00::1", 127, false},
		{"fd00::1", 128, false},    {"fd00:0:0:1::1", 48, false},
		{"fd00:244:0:1::1", 64, true},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct prefix p = ifaddr(cases[i].a, cases[i].len);

		if (cni_addr_gateway_like(&p) != cases[i].like)
			fail_msg("%s/%u: expected %d", cases[i].a,
				 cases[i].len, cases[i].like);
	}
}

static void test_plan_stale_addr(void **state)
{
	struct prefix a[] = {ifaddr("10.244.9.1", 24),
			     ifaddr("fd00:244:0:1::1", 64)};
	struct cni_state s;
	struct plan pl;

	(void)state;
	set_cidr("10.244.1.0/24");
	set_cidr("fd00:244:0:1::/64");
	converged(&s, "{}\n", a, ARRAY_SIZE(a));
	plan_run("{}\n", &s, &pl);
	assert_int_equal(pl.n, 2);
	assert_string_equal(pl.lines[0], "addr del 10.244.9.1/24 dev snapnet0");
	assert_string_equal(pl.lines[1], "addr add 10.244.1.1/24 dev snapnet0");
	assert_int_equal(pl.ops[0].kind, CNI_OP_ADDR_DEL);
	assert_true(prefix_equal(&pl.ops[0].addr, &a[0]));
	plan_free(&pl);
}

static void test_plan_family_dropped(void **state)
{
	/* Node went IPv4-only: its old IPv6 gateway is stale. */
	struct prefix a[] = {ifaddr("10.244.1.1", 24),
			     ifaddr("fd00:244:0:1::1", 64)};
	struct cni_state s;
	struct plan pl;

	(void)state;
	set_cidr("10.244.1.0/24");
	converged(&s, "{}\n", a, ARRAY_SIZE(a));
	s.forwarding[1] = 0; /* not our business any more */
	plan_run("{}\n", &s, &pl);
	assert_int_equal(pl.n, 1);
	assert_string_equal(pl.lines[0],
			    "addr del fd00:244:0:1::1/64 dev snapnet0");
	plan_free(&pl);
}

static void test_plan_file_differs(void **state)
{
	struct prefix a[] = {ifaddr("10.244.1.1", 24)};
	struct cni_state s;
	struct plan pl;
	char *conf;

	(void)state;
	set_cidr("10.244.1.0/24");
	assert_int_equal(cni_render(&cfg, &want, &conf), 0);
	/* same length, one byte different */
	converged(&s, conf, a, ARRAY_SIZE(a));
	s.conf = strdup(conf);
	assert_non_null(s.conf);
	s.conf[10] ^= 1;
	plan_run(conf, &s, &pl);
	assert_int_equal(pl.n, 1);
	assert_string_equal(pl.lines[0],
			    "cni write /etc/cni/net.d/10-snapnet.conflist");
	plan_free(&pl);
	/* a prefix of the wanted bytes (truncated file) differs too */
	s.conf_len = strlen(conf) - 1;
	memcpy(s.conf, conf, s.conf_len);
	plan_run(conf, &s, &pl);
	assert_int_equal(pl.n, 1);
	plan_free(&pl);
	free(s.conf);
	free(conf);
}

static void test_plan_link_down(void **state)
{
	struct prefix a[] = {ifaddr("10.244.1.1", 24)};
	struct cni_state s;
	struct plan pl;

	(void)state;
	set_cidr("10.244.1.0/24");
	converged(&s, "{}\n", a, ARRAY_SIZE(a));
	s.link_up = false;
	plan_run("{}\n", &s, &pl);
	assert_int_equal(pl.n, 1);
	assert_string_equal(pl.lines[0], "link set snapnet0 up");
	plan_free(&pl);
}

static void test_plan_forwarding(void **state)
{
	struct prefix a[] = {ifaddr("10.244.1.1", 24),
			     ifaddr("fd00:244:0:1::1", 64)};
	struct cni_state s;
	struct plan pl;

	(void)state;
	set_cidr("10.244.1.0/24");
	set_cidr("fd00:244:0:1::/64");
	converged(&s, "{}\n", a, ARRAY_SIZE(a));
	s.forwarding[1] = 0;
	plan_run("{}\n", &s, &pl);
	assert_int_equal(pl.n, 1);
	assert_string_equal(pl.lines[0],
			    "sysctl net.ipv6.conf.all.forwarding=1");
	plan_free(&pl);
	s.forwarding[0] = -1; /* unreadable */
	plan_run("{}\n", &s, &pl);
	assert_int_equal(pl.n, 2);
	assert_string_equal(pl.lines[0], "sysctl net.ipv4.ip_forward=1");
	plan_free(&pl);
	cfg.ip_forward = false;
	plan_run("{}\n", &s, &pl);
	assert_int_equal(pl.n, 0);
}

static void test_plan_foreign_link(void **state)
{
	struct cni_state s = {0};
	struct plan pl;

	(void)state;
	set_cidr("10.244.1.0/24");
	s.link_exists = true;
	s.link_is_bridge = false;
	s.link_up = false;
	s.forwarding[0] = 1;
	plan_run("{}\n", &s, &pl);
	assert_int_equal(pl.n, 1);
	assert_int_equal(pl.ops[0].kind, CNI_OP_WRITE);
	assert_int_equal(cni_owned(&s), 0);
	plan_free(&pl);
}

/* A bridge of the configured name that snapnet did not create (no
 * ifalias), carrying the host's address: nothing is planned for it -
 * no link set up, no address added or removed - and it owns nothing. */
static void test_plan_foreign_bridge_untagged(void **state)
{
	struct prefix a[] = {ifaddr("192.168.1.10", 24),
			     ifaddr("10.244.9.1", 24)};
	struct cni_state s;
	struct plan pl;
	char why[160];

	(void)state;
	set_cidr("10.244.1.0/24");
	set_cidr("fd00:244:0:1::/64");
	converged(&s, "{}\n", a, ARRAY_SIZE(a));
	s.link_ours = false;
	s.link_alias[0] = '\0';
	s.link_up = false;
	s.forwarding[1] = 0;
	plan_run("{}\n", &s, &pl);
	assert_int_equal(pl.n, 1);
	assert_string_equal(pl.lines[0],
			    "sysctl net.ipv6.conf.all.forwarding=1");
	assert_int_equal(cni_owned(&s), 1); /* the file only */
	assert_non_null(cni_link_foreign(&s, why, sizeof(why)));
	assert_string_equal(why, "exists and is not snapnet's (a bridge with "
				 "no ifalias \"snapnet\")");
	plan_free(&pl);
	/* someone else's alias: still not ours, and the report says so */
	strcpy(s.link_alias, "docker");
	plan_run("{}\n", &s, &pl);
	assert_int_equal(pl.n, 1);
	assert_non_null(cni_link_foreign(&s, why, sizeof(why)));
	assert_non_null(strstr(why, "\"docker\""));
	plan_free(&pl);
	/* not a bridge at all */
	s.link_is_bridge = false;
	assert_non_null(cni_link_foreign(&s, why, sizeof(why)));
	assert_string_equal(why, "exists and is not a bridge");
	/* no link: nothing foreign */
	memset(&s, 0, sizeof(s));
	assert_null(cni_link_foreign(&s, why, sizeof(why)));
}

static void test_sysctl_names(void **state)
{
	(void)state;
	assert_string_equal(cni_sysctl_path(AF_INET),
			    "/proc/sys/net/ipv4/ip_forward");
	assert_string_equal(cni_sysctl_path(AF_INET6),
			    "/proc/sys/net/ipv6/conf/all/forwarding");
	assert_string_equal(cni_sysctl_name(AF_INET), "net.ipv4.ip_forward");
	assert_string_equal(cni_sysctl_name(AF_INET6),
			    "net.ipv6.conf.all.forwarding");
}

/* ---- reconcile, offline: no syscalls, plan lines on plan_out ------ */

/* The core's sequence for this function alone, as an offline plan. */
static char *offline_plan(struct func_result *r, int *rc)
{
	struct config all;
	struct pass p = { .mode = PASS_PLAN_OFFLINE, .cfg = &all,
			  .fcfg = &cfg, .core = &want, .r = r };
	char *buf = NULL;
	size_t len = 0;

	config_defaults(&all);
	p.plan_out = open_memstream(&buf, &len);
	assert_non_null(p.plan_out);
	memset(r, 0, sizeof(*r));
	r->name = "cni";
	pass_run(&cni_function, &p);
	*rc = r->failed || r->broken ? -1 : 0;
	fclose(p.plan_out);
	config_fini(&all);
	return buf;
}

static void test_reconcile_offline(void **state)
{
	struct func_result r;
	char *out;
	int rc;

	(void)state;
	/* a path that must never be created: offline makes no syscalls */
	strcpy(cfg.conf_dir, "/nonexistent/snapnet-test-must-not-exist");
	set_cidr("10.244.1.0/24");
	out = offline_plan(&r, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(r.planned, 5);
	assert_int_equal(r.done, 0);
	assert_int_equal(r.failed, 0);
	assert_string_equal(
	    out, "cni write /nonexistent/snapnet-test-must-not-exist/"
		 "10-snapnet.conflist\n"
		 "link add snapnet0 type bridge\n"
		 "link set snapnet0 up\n"
		 "addr add 10.244.1.1/24 dev snapnet0\n"
		 "sysctl net.ipv4.ip_forward=1\n");
	free(out);
}

static void test_reconcile_no_cidr(void **state)
{
	struct func_result r;
	char *out;
	int rc;

	(void)state;
	out = offline_plan(&r, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(r.planned, 0);
	assert_int_equal(r.reported, 1);
	assert_non_null(strstr(out, "# cni node node-a (no pod CIDR"));
	free(out);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_render_v4),
	    T(test_render_v6),
	    T(test_render_dual),
	    T(test_render_exact_bytes),
	    T(test_render_mtu_hairpin),
	    T(test_render_no_cidr),
	    T(test_render_tiny_cidr),
	    T(test_plan_empty_dual),
	    T(test_plan_empty_v6_mtu),
	    T(test_plan_converged),
	    T(test_plan_mtu_drift),
	    T(test_plan_stale_temps),
	    T(test_plan_prefix_len_matters),
	    T(test_plan_stale_addr),
	    T(test_plan_stale_gateway_deleted_first),
	    T(test_plan_stray_addr_kept),
	    T(test_gateway_like),
	    T(test_plan_family_dropped),
	    T(test_plan_file_differs),
	    T(test_plan_link_down),
	    T(test_plan_forwarding),
	    T(test_plan_foreign_link),
	    T(test_plan_foreign_bridge_untagged),
	    T(test_sysctl_names),
	    T(test_reconcile_offline),
	    T(test_reconcile_no_cidr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
