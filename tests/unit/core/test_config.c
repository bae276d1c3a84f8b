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

#include "cni/cni.h"
#include "core/config.h"
#include "core/function.h"
#include "routes/route.h"
#include "core/log.h"
#include "lib/util.h"

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

/* A config freed when it goes out of scope (LeakSanitizer is on). */
#define AUTO_CONFIG struct config __attribute__((cleanup(config_fini)))
#define CNI(c) ((const struct cni_config *)config_section_of( \
	&(c), (size_t)function_index("cni")))
#define ROUTES(c) ((const struct routes_config *)config_section_of( \
	&(c), (size_t)function_index("routes")))

static int load(const char *text, struct config *c, char *err)
{
	config_fini(c); /* a test may load twice into one config */
	const char *p = write_ini(text);
	int r = config_load(p, c, err, ERRLEN);

	unlink(p);
	return r;
}

static void test_defaults(void **state)
{
	AUTO_CONFIG c = { 0 };

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.agent.snapshot, "/var/lib/snapnet/snapshot.json");
	assert_string_equal(c.agent.state_dir, "/var/lib/snapnet/state");
	assert_int_equal(c.agent.resync_interval, 30);
	assert_true(c.agent.max_delete_share == 0.5);
	assert_true(CNI(c)->enabled);
	assert_string_equal(CNI(c)->bridge, "snapnet0");
	assert_string_equal(CNI(c)->conf_file, "10-snapnet.conflist");
	assert_true(CNI(c)->hairpin);
	assert_int_equal(ROUTES(c)->protocol, 157);
	assert_int_equal(ROUTES(c)->table, 254);
}

/* The shipped example documents every key with its default value. */
static void test_example_is_defaults(void **state)
{
	AUTO_CONFIG c = { 0 };
	AUTO_CONFIG d = { 0 };
	char err[ERRLEN] = "";

	(void)state;
	assert_int_equal(config_load("examples/agent.ini", &c, err, ERRLEN), 0);
	config_defaults(&d);
	/* node_name in the example is node-a; the default is the host name */
	str_copy(d.agent.node_name, "node-a", sizeof(d.agent.node_name));
	memcpy(d.path, c.path, sizeof(d.path));
	assert_memory_equal(&c.agent, &d.agent, sizeof(c.agent));
	assert_int_equal(c.blob_len, d.blob_len);
	assert_memory_equal(c.blob, d.blob, c.blob_len);
}

static void test_values(void **state)
{
	AUTO_CONFIG c = { 0 };
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
	assert_false(CNI(c)->enabled);
	assert_int_equal(CNI(c)->mtu, 1450);
	assert_string_equal(CNI(c)->bridge, "br-pods");
	assert_false(CNI(c)->hairpin);
	assert_int_equal(ROUTES(c)->protocol, 200);
	assert_int_equal(ROUTES(c)->table, 1000);
}

static void expect_error(const char *text, const char *needle)
{
	AUTO_CONFIG c = { 0 };
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
	expect_error("; c\n[nope]\nx = 1\n", ":2: unknown section [nope]");
	expect_error("[cni]\n\nhairpin = maybe\n", ":3: [cni] hairpin");
	expect_error("[routes]\nprotocol = 2\n", ":2: [routes] protocol");
	expect_error("[routes]\nprotocol = 256\n", ":2:");
	expect_error("[firewall]\nlog_limit = 601\n", ":2: [firewall] log_limit");
	expect_error("[firewall]\nlog_limit = 0\n", ":2: [firewall] log_limit");
	expect_error("[firewall]\nnflog_group = 65536\n",
		     ":2: [firewall] nflog_group");
	expect_error("[firewall]\nlog_burst = 0\n", ":2: [firewall] log_burst");
	expect_error("[routes]\ntable = -1\n", ":2:");
	expect_error("[agent]\nresync_interval = 10s\n", ":2:");
	expect_error("[agent]\nmax_delete_share = 1.5\n", ":2:");
	expect_error("[agent]\nlog_level = loud\n", ":2:");
	expect_error("[cni]\nbridge = a-very-long-bridge-name\n", ":2:");
	expect_error("[agent]\nsnapshot =\n", ":2:");
	expect_error("[agent\nx=1\n", ":1: syntax error");
	expect_error("[agent]\nnode_name = a\nsnapshot = /"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "\nstate_dir = /x\n", ":3: line too long (at most 199 bytes with its line end)");
}

/* The whole message, so the line number and its wording are both pinned. */
static void expect_msg(const char *text, const char *msg)
{
	AUTO_CONFIG c = { 0 };
	char err[ERRLEN] = "", want[ERRLEN];
	const char *path = write_ini(text);

	assert_true(config_load(path, &c, err, ERRLEN) < 0);
	unlink(path);
	snprintf(want, sizeof(want), "%s%s", path, msg);
	assert_string_equal(err, want);
}

static void test_value_errors_name_line(void **state)
{
	(void)state;
	expect_msg("[cni]\n; low\nmtu = 10\n",
		   ":3: [cni] mtu = \"10\": expected 0 or 68..65535");
	expect_msg("[cni]\nmtu = 67\n",
		   ":2: [cni] mtu = \"67\": expected 0 or 68..65535");
	expect_msg("[cni]\nmtu = 65536\n",
		   ":2: [cni] mtu = \"65536\": expected 0 or 68..65535");
	expect_msg("[agent]\nnode_name = a\n[cni]\nconf_file = a/b\n",
		   ":4: [cni] conf_file = \"a/b\": expected a file name, "
		   "not a path");
	expect_msg("[cni]\nconf_file = ..\n",
		   ":2: [cni] conf_file = \"..\": expected a file name, "
		   "not a path");
	expect_msg("[cni]\nconf_file =\n",
		   ":2: [cni] conf_file = \"\": expected a file name, "
		   "not a path");
}

static void test_mtu_bounds_accepted(void **state)
{
	AUTO_CONFIG c = { 0 };
	char err[ERRLEN] = "";

	(void)state;
	assert_int_equal(load("[cni]\nmtu = 0\n", &c, err), 0);
	assert_int_equal(CNI(c)->mtu, 0);
	assert_int_equal(load("[cni]\nmtu = 68\n", &c, err), 0);
	assert_int_equal(CNI(c)->mtu, 68);
	assert_int_equal(load("[cni]\nmtu = 65535\n", &c, err), 0);
	assert_int_equal(CNI(c)->mtu, 65535);
	assert_int_equal(load("[cni]\nconf_file = 20-x.conflist\n", &c, err),
			 0);
	assert_string_equal(CNI(c)->conf_file, "20-x.conflist");
}

/* inih calls the handler only for keys: an empty section must still fail. */
static void test_unknown_empty_section(void **state)
{
	(void)state;
	expect_msg("[agent]\nnode_name = a\n[foo]\n",
		   ":3: unknown section [foo]");
	expect_msg("; c\n[bgp \"x\"]\n", ":2: unknown section [bgp \"x\"]");
	expect_msg("[foo]\n[cni]\nbridge = b\n", ":1: unknown section [foo]");
	expect_msg("[cni]\n\n  [bird]  ; later\n",
		   ":3: unknown section [bird]");
	expect_msg("[proxy]\n", ":1: unknown section [proxy]");
	expect_msg("[routes]\n[metrics]\n", ":2: unknown section [metrics]");
	expect_msg("[ cni ]\n", ":1: unknown section [ cni ]");
	expect_msg("\xef\xbb\xbf[foo]\n", ":1: unknown section [foo]");
	/* whichever error comes first wins, syntax or section */
	expect_msg("[agent\n[foo]\n", ":1: syntax error");
	expect_msg("[foo]\n[agent\n", ":1: unknown section [foo]");
}

static void test_headers_and_comments_accepted(void **state)
{
	AUTO_CONFIG c = { 0 };
	char err[ERRLEN] = "";

	(void)state;
	assert_int_equal(load("\xef\xbb\xbf[agent]\nnode_name = n1\n"
			      "; [foo]\n# [bar]\n[cni] ; pods\n"
			      "  [routes]\ntable = 7\n", &c, err), 0);
	assert_string_equal(c.agent.node_name, "n1");
	assert_int_equal(ROUTES(c)->table, 7);
}

static void test_key_given_twice(void **state)
{
	(void)state;
	expect_msg("[cni]\nbridge = a\n\nbridge = b\n",
		   ":4: [cni] bridge given twice (first at line 2)");
	expect_msg("[cni]\nbridge = a\n[routes]\ntable = 5\n[cni]\n"
		   "bridge = b\n",
		   ":6: [cni] bridge given twice (first at line 2)");
	/* the duplicate is the error even when its value is also bad */
	expect_msg("[agent]\nnode_name = a\nnode_name =\n",
		   ":3: [agent] node_name given twice (first at line 2)");
}

/* A section may reopen; the same name in two sections is two keys. */
static void test_section_reopened(void **state)
{
	AUTO_CONFIG c = { 0 };
	char err[ERRLEN] = "";

	(void)state;
	assert_int_equal(load("[cni]\nenabled = no\n[routes]\nenabled = no\n"
			      "[cni]\nbridge = b1\n", &c, err), 0);
	assert_false(CNI(c)->enabled);
	assert_false(ROUTES(c)->enabled);
	assert_string_equal(CNI(c)->bridge, "b1");
}

/* inih would hand an indented line back as the previous key again. */
static void test_continuation_refused(void **state)
{
	(void)state;
	expect_msg("[cni]\nbridge = a\n  b\n",
		   ":3: indented line would continue the value above; do "
		   "not indent keys");
	expect_msg("[cni]\n  bridge = a\n  mtu = 1450\n",
		   ":3: indented line would continue the value above; do "
		   "not indent keys");
}

static void test_missing_file(void **state)
{
	AUTO_CONFIG c = { 0 };
	char err[ERRLEN] = "";

	(void)state;
	assert_true(config_load("/nonexistent/snapnet.ini", &c, err, ERRLEN) <
		    0);
	assert_non_null(strstr(err, "/nonexistent/snapnet.ini"));
}

/* inih reads lines into 200 bytes: 199 with the line end fit, LF or
 * CRLF; one more is an error, never a silently split line. */
static void test_line_limit(void **state)
{
	char text[512], pad[256];
	AUTO_CONFIG c = { 0 };
	char err[ERRLEN] = "";
	size_t fixed = strlen("snapshot = /");

	(void)state;
	/* LF: 198 characters + '\n' = 199 */
	memset(pad, 'a', sizeof(pad));
	pad[198 - fixed] = '\0';
	snprintf(text, sizeof(text), "[agent]\nsnapshot = /%s\n", pad);
	assert_int_equal(load(text, &c, err), 0);
	/* CRLF: 197 characters + "\r\n" = 199 */
	pad[197 - fixed] = '\0';
	snprintf(text, sizeof(text), "[agent]\r\nsnapshot = /%s\r\n", pad);
	assert_int_equal(load(text, &c, err), 0);
	/* one more byte each way */
	memset(pad, 'a', sizeof(pad));
	pad[198 - fixed] = '\0';
	snprintf(text, sizeof(text), "[agent]\r\nsnapshot = /%s\r\n", pad);
	assert_true(load(text, &c, err) < 0);
	assert_non_null(strstr(err, ":2: line too long"));
	memset(pad, 'a', sizeof(pad));
	pad[199 - fixed] = '\0';
	snprintf(text, sizeof(text), "[agent]\nsnapshot = /%s\n", pad);
	assert_true(load(text, &c, err) < 0);
	assert_non_null(strstr(err, ":2: line too long"));
}

/* Values carry no blanks or '#', paths lose trailing slashes, the CNI
 * network name follows CNI's rule. */
static void test_paths_and_names(void **state)
{
	AUTO_CONFIG c = { 0 };
	char err[ERRLEN] = "";

	(void)state;
	assert_int_equal(load("[cni]\nconf_dir = /etc/cni/net.d//\n"
			      "network_name = k8s-pod.net_1\n",
			      &c, err),
			 0);
	assert_string_equal(CNI(c)->conf_dir, "/etc/cni/net.d");
	assert_string_equal(CNI(c)->network_name, "k8s-pod.net_1");
	assert_int_equal(load("[agent]\nstate_dir = /\n", &c, err), 0);
	assert_string_equal(c.agent.state_dir, "/");
	expect_error("[cni]\nconf_dir = /x # note\n", ":2: [cni] conf_dir");
	expect_error("[agent]\nsnapshot = /a b\n", ":2: [agent] snapshot");
	expect_error("[cni]\nnetwork_name = my net\n", ":2: [cni] network_name");
	expect_error("[cni]\nnetwork_name = -x\n", ":2: [cni] network_name");
	expect_error("[cni]\nnetwork_name = a/b\n", ":2: [cni] network_name");
	expect_error("[agent]\nnode_name = a#b\n", ":2: [agent] node_name");
}

/* Link names by the kernel's rules: '%' would be expanded by the kernel
 * ("a%db" -> "a0b"), so the bridge could never be found again. */
static void test_ifnames(void **state)
{
	static const char *const bad[] = {
		"a%db", "a/b", "a:b", "a b", "a\tb", ".", "..", "all",
		"default", "abcdefghijklmnop", /* 16 bytes */
	};
	static const char *const good[] = {
		"snapnet0", "br-pods", "a.b", "x", "abcdefghijklmno",
		"All", "..x",
	};
	char text[128];
	AUTO_CONFIG c = { 0 };
	char err[ERRLEN];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_false(config_ifname_valid(bad[i]));
		snprintf(text, sizeof(text), "[cni]\nbridge = %s\n", bad[i]);
		if (strpbrk(bad[i], " \t"))
			continue; /* inih trims; the middle blank is refused */
		expect_error(text, ":2: [cni] bridge");
	}
	expect_error("[cni]\nbridge = a b\n", ":2: [cni] bridge");
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		assert_true(config_ifname_valid(good[i]));
		snprintf(text, sizeof(text), "[cni]\nbridge = %s\n", good[i]);
		assert_int_equal(load(text, &c, err), 0);
		assert_string_equal(CNI(c)->bridge, good[i]);
	}
}

/* kubelet's node name: the hostname trimmed and lowercased; a node_name
 * given in the file is normalised the same way. */
static void test_node_name_case(void **state)
{
	char buf[NODE_NAME_MAX];
	AUTO_CONFIG c = { 0 };
	char err[ERRLEN];

	(void)state;
	config_node_name_norm("  Worker-A\n", buf, sizeof(buf));
	assert_string_equal(buf, "worker-a");
	config_node_name_norm("node-b", buf, sizeof(buf));
	assert_string_equal(buf, "node-b");
	config_node_name_norm("ABC", buf, 3);
	assert_string_equal(buf, "ab");
	assert_int_equal(load("[agent]\nnode_name = Node-A\n", &c, err), 0);
	assert_string_equal(c.agent.node_name, "node-a");
	config_fini(&c);
	config_defaults(&c);
	for (const char *p = c.agent.node_name; *p; p++)
		assert_false(*p >= 'A' && *p <= 'Z');
}

/* Relative paths in a file are the file's directory's, whatever the
 * working directory: one config, one state_dir, one lock. */
static void test_relative_paths(void **state)
{
	char dir[] = "/tmp/snapnet-test-rel-XXXXXX", ini[96];
	char want[PATH_MAX + 16];
	char buf[PATH_MAX], cwd[PATH_MAX], err[ERRLEN] = "";
	AUTO_CONFIG a = { 0 };
	AUTO_CONFIG b = { 0 };
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(ini, sizeof(ini), "%s/agent.ini", dir);
	f = fopen(ini, "w");
	assert_non_null(f);
	fputs("[agent]\nstate_dir = ./run/../state/\nsnapshot = s.json\n"
	      "[cni]\nconf_dir = ../cni\n",
	      f);
	fclose(f);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(config_load(ini, &a, err, sizeof(err)), 0);
	assert_int_equal(chdir("/"), 0);
	assert_int_equal(config_load(ini, &b, err, sizeof(err)), 0);
	assert_int_equal(chdir(cwd), 0);
	snprintf(want, sizeof(want), "%s/state", dir);
	assert_string_equal(a.agent.state_dir, want);
	assert_string_equal(b.agent.state_dir, want);
	snprintf(want, sizeof(want), "%s/s.json", dir);
	assert_string_equal(a.agent.snapshot, want);
	assert_string_equal(CNI(a)->conf_dir, "/tmp/cni");
	/* without a file: the working directory */
	assert_int_equal(config_path_abs(buf, sizeof(buf), "x//y/.", NULL), 0);
	snprintf(want, sizeof(want), "%s/x/y", cwd);
	assert_string_equal(buf, want);
	assert_int_equal(config_path_abs(buf, sizeof(buf), "/../a/", NULL), 0);
	assert_string_equal(buf, "/a");
	assert_int_equal(config_path_abs(buf, sizeof(buf), "..", "/"), 0);
	assert_string_equal(buf, "/");
	unlink(ini);
	rmdir(dir);
}

/* Bytes inih would misread: a NUL hides the rest of its line (found by
 * fuzzing: "; comment\0<spaces>mtu = 9000" set mtu), control characters
 * would reach logs and file names. A last line without a newline may use
 * the whole 199 bytes. */
static void test_odd_bytes(void **state)
{
	static const char nul[] = "[cni]\n; comment\0   mtu = 9000\n";
	char text[256], path[64];
	AUTO_CONFIG c = { 0 };
	char err[ERRLEN] = "";
	int fd;

	(void)state;
	strcpy(path, tmpl);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, nul, sizeof(nul) - 1), sizeof(nul) - 1);
	close(fd);
	assert_true(config_load(path, &c, err, ERRLEN) < 0);
	unlink(path);
	if (!strstr(err, ":2: NUL byte"))
		fail_msg("%s", err);
	expect_error("[agent]\nnode_name = a\x1b[2Kb\n", ":2: [agent] node_name");
	expect_error("[agent]\nnode_name = a\x7f\n", ":2: [agent] node_name");
	/* ";" + 198 x "x" = 199 bytes, last line, no newline: fine */
	memset(text, 0, sizeof(text));
	strcpy(text, "[cni]\n;");
	memset(text + strlen(text), 'x', 198);
	assert_int_equal(load(text, &c, err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_example_is_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_value_errors_name_line),
		cmocka_unit_test(test_mtu_bounds_accepted),
		cmocka_unit_test(test_unknown_empty_section),
		cmocka_unit_test(test_headers_and_comments_accepted),
		cmocka_unit_test(test_key_given_twice),
		cmocka_unit_test(test_section_reopened),
		cmocka_unit_test(test_continuation_refused),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_paths_and_names),
		cmocka_unit_test(test_odd_bytes),
		cmocka_unit_test(test_ifnames),
		cmocka_unit_test(test_node_name_case),
		cmocka_unit_test(test_relative_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
