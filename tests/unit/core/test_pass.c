/*
 * test_pass.c - the delete guard at its boundaries: exactly the allowed
 * share passes, one more object is refused (in apply; plans print the
 * refusal and go on), replacements are not losses, an empty owned set
 * and --force allow anything.
 */
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

#include "core/pass.h"

static struct config cfg;
static struct func_result res;
static struct pass pass;

static int setup(void **state)
{
	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	memset(&res, 0, sizeof(res));
	cfg.agent.max_delete_share = 0.5;
	res.name = "routes";
	pass = (struct pass){ .mode = PASS_APPLY, .cfg = &cfg };
	return 0;
}

static bool allowed(unsigned del, unsigned add, unsigned owned)
{
	memset(&res, 0, sizeof(res));
	res.name = "routes";
	return pass_delete_allowed(&pass, &res, del, add, owned);
}

static void test_share_boundary(void **state)
{
	(void)state;
	assert_true(allowed(5, 0, 10)); /* exactly half */
	assert_false(res.refused);
	assert_false(allowed(6, 0, 10)); /* one over */
	assert_true(res.refused);
	assert_non_null(strstr(res.error, "refusing to remove 6 of 10"));
	assert_true(allowed(0, 0, 10));
	assert_false(allowed(1, 0, 1)); /* the whole of one object */
	cfg.agent.max_delete_share = 1;
	assert_true(allowed(10, 0, 10));
	cfg.agent.max_delete_share = 0;
	assert_false(allowed(1, 0, 10));
	assert_true(allowed(0, 5, 10));
}

/* A changed object is a delete plus an add: only net losses count. */
static void test_replacements(void **state)
{
	(void)state;
	assert_true(allowed(10, 10, 10));
	assert_true(allowed(8, 3, 10));	 /* net 5 */
	assert_false(allowed(9, 3, 10)); /* net 6 */
	assert_true(allowed(3, 9, 10));
}

/* Nothing owned yet: nothing to lose, whatever the counts say. */
static void test_empty_owned(void **state)
{
	(void)state;
	assert_true(allowed(3, 0, 0));
	assert_false(res.refused);
}

static void test_force(void **state)
{
	(void)state;
	cfg.agent.force = true;
	assert_true(allowed(10, 0, 10));
	assert_false(res.refused);
}

/* Plans show every op and say apply would refuse. */
static void test_plan_prints_refusal(void **state)
{
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	assert_non_null(f);
	pass.mode = PASS_PLAN;
	pass.plan_out = f;
	assert_true(allowed(6, 0, 10));
	fclose(f);
	assert_false(res.refused);
	assert_non_null(strstr(out, "# routes: apply would be refused: "
				    "refusing to remove 6 of 10"));
	free(out);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_share_boundary), T(test_replacements),
		T(test_empty_owned),	T(test_force),
		T(test_plan_prints_refusal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
