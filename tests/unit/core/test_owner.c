/*
 * test_owner.c - ownership settings compare field by field and round-trip
 * through a config; the state_dir lock excludes a second holder and says
 * who holds it.
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
#include <sys/wait.h>
#include <unistd.h>

#include "core/owner.h"
#include "lib/util.h"

static void test_differs(void **state)
{
	struct config c, d;
	struct owner a, b;
	char buf[256];

	(void)state;
	config_defaults(&c);
	owner_from_config(&c, &a);
	owner_from_config(&c, &b);
	assert_false(owner_differs(&a, &b, buf, sizeof(buf)));
	b.protocol = 158;
	assert_true(owner_differs(&a, &b, buf, sizeof(buf)));
	assert_string_equal(buf, "[routes] protocol 157 -> 158");
	owner_from_config(&c, &b);
	str_copy(b.bridge, "br-x", sizeof(b.bridge));
	assert_true(owner_differs(&a, &b, buf, sizeof(buf)));
	assert_string_equal(buf, "[cni] bridge snapnet0 -> br-x");
	owner_from_config(&c, &b);
	str_copy(b.conf_file, "05-x.conflist", sizeof(b.conf_file));
	assert_true(owner_differs(&a, &b, buf, sizeof(buf)));
	/* a config built from a record owns exactly that record */
	b.table = 1000;
	owner_to_config(&b, &c, &d);
	assert_int_equal(d.routes.table, 1000);
	assert_string_equal(d.cni.conf_file, "05-x.conflist");
	assert_string_equal(d.agent.snapshot, c.agent.snapshot);
	owner_from_config(&d, &a);
	assert_false(owner_differs(&a, &b, buf, sizeof(buf)));
}

/* A record obeys the config's own rules, key by key. */
static void test_valid(void **state)
{
	struct config c;
	struct owner o;

	(void)state;
	config_defaults(&c);
	owner_from_config(&c, &o);
	assert_true(owner_valid(&o));
	o.protocol = 2; /* the kernel's */
	assert_false(owner_valid(&o));
	owner_from_config(&c, &o);
	o.table = 0;
	assert_false(owner_valid(&o));
	owner_from_config(&c, &o);
	str_copy(o.bridge, "a b", sizeof(o.bridge));
	assert_false(owner_valid(&o));
	owner_from_config(&c, &o);
	str_copy(o.conf_file, "../x", sizeof(o.conf_file));
	assert_false(owner_valid(&o));
	owner_from_config(&c, &o);
	str_copy(o.conf_dir, "/x # y", sizeof(o.conf_dir));
	assert_false(owner_valid(&o));
	assert_int_equal(config_set(&c, "routes", "nope", "1"), -ENOENT);
}

static void test_lock(void **state)
{
	char dir[] = "/tmp/snapnet-test-owner-XXXXXX", path[96];
	pid_t holder = 0, child;
	int fd, st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_false(owner_lock_held(dir, &holder));
	fd = owner_lock(dir, &holder);
	assert_true(fd >= 0);
	/* OFD locks belong to an open file: a child opening its own is a
	 * second holder */
	child = fork();
	if (child == 0) {
		pid_t h = 0;
		int r = owner_lock(dir, &h);

		_exit(r == -EAGAIN && h == getppid() &&
		      owner_lock_held(dir, &h) ? 0 : 1);
	}
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(fd);
	assert_false(owner_lock_held(dir, &holder));
	fd = owner_lock(dir, &holder); /* free again once released */
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/lock", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_differs),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_lock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
