/*
 * test_router_config.c - the [router] section and its [peer "NAME"]
 * instances through the core's parser: defaults, every key, the check
 * hooks (mode, router id, communities, required peer keys), limits, and
 * that a password never appears in a config error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/function.h"
#include "lib/util.h"
#include "router/router.h"

static char path[64];
static char err[ERRLEN];

static int load(const char *text, struct config *c)
{
	int fd, r;

	snprintf(path, sizeof(path), "/tmp/snapnet-test-router-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	err[0] = '\0';
	r = config_load(path, c, err, sizeof(err));
	unlink(path);
	return r;
}

static const struct router_config *R(const struct config *c)
{
	return config_section_of(c, (size_t)function_index("router"));
}

static void expect_err(const char *text, const char *frag)
{
	struct config c;

	assert_int_not_equal(load(text, &c), 0);
	if (!strstr(err, frag))
		fail_msg("error \"%s\" lacks \"%s\"", err, frag);
}

static void test_defaults(void **state)
{
	struct config c;
	const struct router_config *r;

	(void)state;
	config_defaults(&c);
	r = R(&c);
	assert_false(r->enabled);
	assert_int_equal(r->asn, 64512);
	assert_string_equal(r->router_id, "auto");
	assert_int_equal(router_mode_of(r), ROUTER_MANAGED);
	assert_true(r->advertise_pod_cidr);
	assert_false(r->advertise_cluster_ip);
	assert_false(r->advertise_external_ip);
	assert_false(r->advertise_loadbalancer_ip);
	assert_true(r->graceful_restart);
	assert_int_equal(r->graceful_restart_time, 90);
	assert_int_equal(r->hold_time, 90);
	assert_int_equal(r->n_peers, 0);
	config_fini(&c);
}

static void test_peers(void **state)
{
	struct config c;
	const struct router_config *r;

	(void)state;
	assert_int_equal(load("[router]\nenabled = yes\nbird = external\n"
			      "bird_socket = /run/bird/bird.ctl\n"
			      "communities = 1:2,no-export\n"
			      "[peer \"tor-1\"]\naddress = fd00:10::254\n"
			      "asn = 64500\npassword = s3cr;et\n"
			      "families = ipv4,ipv6\nbfd = yes\n"
			      "[peer \"tor2\"]\naddress = 10.0.0.254\n"
			      "asn = 64501\nport = 1179\nmultihop = 2\n"
			      "hold_time = 9\nlocal_address = 10.0.0.1\n",
			      &c),
			 0);
	r = R(&c);
	assert_int_equal(router_mode_of(r), ROUTER_EXTERNAL);
	assert_int_equal(r->n_peers, 2);
	assert_string_equal(r->peers[0].name, "tor-1");
	assert_string_equal(r->peers[0].password, "s3cr;et");
	assert_true(r->peers[0].bfd);
	assert_int_equal(r->peers[0].port, 179); /* default */
	assert_int_equal(r->peers[1].port, 1179);
	assert_int_equal(r->peers[1].multihop, 2);
	assert_string_equal(r->peers[1].local_address, "10.0.0.1");
	config_fini(&c);
}

static void test_checks(void **state)
{
	(void)state;
	expect_err("[router]\nbird = both\n", "managed or external");
	expect_err("[router]\nrouter_id = fd00::1\n", "auto or an IPv4");
	expect_err("[router]\nasn = 23456\n", "AS_TRANS");
	expect_err("[router]\nasn = 0\n", ":2: [router] asn = \"0\"");
	expect_err("[router]\ncommunities = 1:2,70000:1\n",
		   "communities: entry 2");
	expect_err("[router]\nlarge_communities = 1:2\n",
		   "large_communities: entry 1");
	expect_err("[router]\ngraceful_restart_time = 4096\n", ":2:");
	expect_err("[router]\nhold_time = 2\n", ":2:");
	expect_err("[peer \"t\"]\nasn = 1\n", "[peer \"t\"]: address and asn");
	expect_err("[peer \"t\"]\naddress = 10.0.0.1\n",
		   "[peer \"t\"]: address and asn");
	expect_err("[peer \"t\"]\naddress = 10.0.0.1\nasn = 1\n"
		   "[peer \"t\"]\n",
		   ":4: [peer \"t\"] given twice");
	expect_err("[peer \"t\"]\nnosuch = 1\n",
		   ":2: unknown key \"nosuch\" in [peer \"t\"]");
	expect_err("[peer \"t\"]\nmultihop = 256\n", ":2:");
	expect_err("[peer \"a b\"]\n", "expected [peer \"NAME\"]");
}

/* A typo next to a password must not print it. */
static void test_password_hidden(void **state)
{
	(void)state;
	expect_err("[peer \"t\"]\naddress = 10.0.0.1\nasn = 1\n"
		   "password = top secret\n",
		   ":4: [peer \"t\"] password = (value not shown)");
	assert_null(strstr(err, "top"));
	assert_null(strstr(err, "secret"));
	expect_err("[peer \"t\"]\npassword = top#secret\n",
		   "(value not shown)");
	assert_null(strstr(err, "top"));
}

static void test_peer_limit(void **state)
{
	char *text = malloc(65 * 64 + 1), *p = text;

	(void)state;
	assert_non_null(text);
	for (int i = 0; i < 65; i++)
		p += sprintf(
		    p, "[peer \"p%d\"]\naddress = 10.0.1.%d\nasn = 1\n", i, i);
	expect_err(text, "more than 64 [peer] sections");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_peers),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_password_hidden),
		cmocka_unit_test(test_peer_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
