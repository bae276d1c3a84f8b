/*
 * test_config.c - the INI contract: defaults, every key, errors with line
 * numbers, and examples/agent.ini loading to exactly the defaults.
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

#include "config.h"
#include "log.h"
#include "util.h"

static char tmpl[] = "/tmp/snapnet-test-config-XXXXXX";

static const char *write_ini(const char *text)
{
	static char path[64];
	int fd;

	strcpy(path, tmpl);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return path;
}

static int load(const char *text, struct config *c, char *err)
{
	const char *p = write_ini(text);
	int r = config_load(p, c, err, ERRLEN);

	unlink(p);
	return r;
}

static void test_defaults(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.agent.snapshot, "/var/lib/snapnet/snapshot.json");
	assert_string_equal(c.agent.state_dir, "/run/snapnet");
	assert_int_equal(c.agent.resync_interval, 30);
	assert_true(c.agent.max_delete_share == 0.5);
	assert_true(c.cni.enabled);
	assert_string_equal(c.cni.bridge, "snapnet0");
	assert_string_equal(c.cni.conf_file, "10-snapnet.conflist");
	assert_true(c.cni.hairpin);
	assert_int_equal(c.routes.protocol, 157);
	assert_int_equal(c.routes.table, 254);
}

/* The shipped example documents every key with its default value. */
static void test_example_is_defaults(void **state)
{
	struct config c, d;
	char err[ERRLEN] = "";

	(void)state;
	assert_int_equal(config_load("examples/agent.ini", &c, err, ERRLEN), 0);
	config_defaults(&d);
	/* node_name in the example is node-a; the default is the host name */
	str_copy(d.agent.node_name, "node-a", sizeof(d.agent.node_name));
	memcpy(d.path, c.path, sizeof(d.path));
	assert_memory_equal(&c, &d, sizeof(c));
}

static void test_values(void **state)
{
	struct config c;
	char err[ERRLEN] = "";

	(void)state;
	assert_int_equal(load("[agent]\nnode_name = n1\nresync_interval = 0\n"
			      "max_delete_share = 1\nforce = yes\n"
			      "log_level = debug\n[cni]\nenabled = no\n"
			      "mtu = 1450\nbridge = br-pods\nhairpin = off\n"
			      "[routes]\nprotocol = 200\ntable = 1000\n",
			      &c, err),
			 0);
	assert_string_equal(c.agent.node_name, "n1");
	assert_int_equal(c.agent.resync_interval, 0);
	assert_true(c.agent.force);
	assert_int_equal(c.agent.log_level, LOG_DEBUG);
	assert_false(c.cni.enabled);
	assert_int_equal(c.cni.mtu, 1450);
	assert_string_equal(c.cni.bridge, "br-pods");
	assert_false(c.cni.hairpin);
	assert_int_equal(c.routes.protocol, 200);
	assert_int_equal(c.routes.table, 1000);
}

static void expect_error(const char *text, const char *needle)
{
	struct config c;
	char err[ERRLEN] = "";

	assert_true(load(text, &c, err) < 0);
	if (!strstr(err, needle))
		fail_msg("error \"%s\" lacks \"%s\"", err, needle);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("[agent]\nnode_name = a\nbogus = 1\n",
		     ":3: unknown key \"bogus\" in [agent]");
	expect_error("; c\n[nope]\nx = 1\n", ":3: unknown section [nope]");
	expect_error("[cni]\n\nhairpin = maybe\n", ":3: [cni] hairpin");
	expect_error("[routes]\nprotocol = 2\n", ":2: [routes] protocol");
	expect_error("[routes]\nprotocol = 256\n", ":2:");
	expect_error("[routes]\ntable = -1\n", ":2:");
	expect_error("[agent]\nresync_interval = 10s\n", ":2:");
	expect_error("[agent]\nmax_delete_share = 1.5\n", ":2:");
	expect_error("[agent]\nlog_level = loud\n", ":2:");
	expect_error("[cni]\nbridge = a-very-long-bridge-name\n", ":2:");
	expect_error("[cni]\nmtu = 40\n", "mtu");
	expect_error("[cni]\nconf_file = a/b\n", "conf_file");
	expect_error("[agent]\nsnapshot =\n", ":2:");
	expect_error("[agent\nx=1\n", ":1: syntax error");
	expect_error("[agent]\nnode_name = a\nsnapshot = /"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "\nstate_dir = /x\n", ":3: line longer than");
}

static void test_missing_file(void **state)
{
	struct config c;
	char err[ERRLEN] = "";

	(void)state;
	assert_true(config_load("/nonexistent/snapnet.ini", &c, err, ERRLEN) <
		    0);
	assert_non_null(strstr(err, "/nonexistent/snapnet.ini"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_example_is_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
