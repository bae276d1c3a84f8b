/*
 * test_reconcile.c - a pass accepts or rejects a snapshot whole, keeps the
 * snapshot in force after a rejection, skips unchanged bytes, and maps
 * plans to the exit codes of the command line contract. Offline plans
 * only: no root, no kernel.
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

#include "core/reconcile.h"

static char dir[] = "/tmp/snapnet-test-reconcile-XXXXXX";

static const char *tmp_snapshot(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void setup_agent(struct agent *a, const char *snap)
{
	agent_init(a);
	str_copy(a->cfg.agent.node_name, "node-a",
		 sizeof(a->cfg.agent.node_name));
	str_copy(a->cfg.agent.snapshot, snap, sizeof(a->cfg.agent.snapshot));
	assert_int_equal(config_set(&a->cfg, "cni", "conf_dir",
				    "/nonexistent/cni"), 0);
}

/* Runs an offline plan; returns its exit code, the plan text in *out. */
static int plan(struct agent *a, char **out)
{
	size_t len;
	FILE *f = open_memstream(out, &len);
	int rc;

	assert_non_null(f);
	rc = reconcile_pass(a, PASS_PLAN_OFFLINE, f, "test");
	fclose(f);
	return rc;
}

static void test_good_then_unchanged(void **state)
{
	struct agent a;
	char *text;

	(void)state;
	setup_agent(&a, "examples/cluster-dual.json");
	assert_int_equal(plan(&a, &text), 2);
	assert_non_null(strstr(text, "route add fd00:244:0:2::/64 via "
				     "fd00:10::2 proto 157\n"));
	assert_non_null(strstr(text, "cni write /nonexistent/cni/"));
	assert_false(a.st.snapshot_unchanged);
	free(text);
	assert_int_equal(plan(&a, &text), 2);
	assert_true(a.st.snapshot_unchanged); /* same bytes: not parsed */
	free(text);
	agent_fini(&a);
}

/* A snapshot without this node is valid JSON but rejected whole: the
 * snapshot in force stays and drift repair still plans against it. */
static void test_missing_node_keeps_old(void **state)
{
	struct agent a;
	char *text;
	uint64_t hash;

	(void)state;
	setup_agent(&a, "examples/cluster-dual.json");
	assert_int_equal(plan(&a, &text), 2);
	free(text);
	hash = a.snap->hash;
	str_copy(a.cfg.agent.snapshot,
		 tmp_snapshot("other.json",
			      "{\"kind\":\"List\",\"items\":[{\"kind\":\"Node\","
			      "\"metadata\":{\"name\":\"node-z\"}}]}"),
		 sizeof(a.cfg.agent.snapshot));
	assert_int_equal(plan(&a, &text), 1);
	assert_non_null(strstr(a.st.error, "node-a"));
	assert_non_null(strstr(a.st.error, "other.json"));
	assert_int_equal(a.snap->hash, hash);
	assert_non_null(strstr(text, "route add 10.244.2.0/24"));
	free(text);
	agent_fini(&a);
}

static void test_bad_json_keeps_old(void **state)
{
	struct agent a;
	char *text;

	(void)state;
	setup_agent(&a, "examples/cluster-ipv4.json");
	assert_int_equal(plan(&a, &text), 2);
	free(text);
	str_copy(a.cfg.agent.snapshot,
		 tmp_snapshot("bad.json", "{\"kind\":\"List\",\"items\":[{"),
		 sizeof(a.cfg.agent.snapshot));
	assert_int_equal(plan(&a, &text), 1);
	assert_non_null(strstr(a.st.error, "bad.json"));
	assert_string_equal(a.snap->path, "examples/cluster-ipv4.json");
	free(text);
	agent_fini(&a);
}

/* No snapshot ever loaded: nothing is planned at all. */
static void test_first_snapshot_bad(void **state)
{
	struct agent a;
	char *text;

	(void)state;
	setup_agent(&a, tmp_snapshot("bad2.json", "[]"));
	assert_int_equal(plan(&a, &text), 1);
	assert_string_equal(text, "");
	assert_null(a.snap);
	free(text);
	agent_fini(&a);
}

static void test_disabled_functions_plan_nothing(void **state)
{
	struct agent a;
	char *text;

	(void)state;
	setup_agent(&a, "examples/cluster-ipv6.json");
	assert_int_equal(config_set(&a.cfg, "cni", "enabled", "no"), 0);
	assert_int_equal(config_set(&a.cfg, "routes", "enabled", "no"), 0);
	assert_int_equal(plan(&a, &text), 0);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(config_set(&a.cfg, "routes", "enabled", "yes"), 0);
	assert_int_equal(plan(&a, &text), 2);
	assert_null(strstr(text, "10.244.")); /* IPv6-only cluster */
	assert_null(strstr(text, "cni "));
	free(text);
	agent_fini(&a);
}

static int make_dir(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_then_unchanged),
		cmocka_unit_test(test_missing_node_keeps_old),
		cmocka_unit_test(test_bad_json_keeps_old),
		cmocka_unit_test(test_first_snapshot_bad),
		cmocka_unit_test(test_disabled_functions_plan_nothing),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
