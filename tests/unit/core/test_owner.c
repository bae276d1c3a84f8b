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

#define AUTO_CONFIG struct config __attribute__((cleanup(config_fini)))
#define AUTO_OWNER struct owner __attribute__((cleanup(owner_free)))

static void set(struct owner *o, const char *section, const char *key,
		const char *value)
{
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->kv[i].section, section) &&
		    !strcmp(o->kv[i].key, key)) {
			free(o->kv[i].value);
			o->kv[i].value = strdup(value);
			return;
		}
	fail_msg("no owner key [%s] %s", section, key);
}

/* Every function's owner keys, compared key by key; a config built from
 * a record owns exactly that record. */
static void test_differs(void **state)
{
	AUTO_CONFIG c = { 0 };
	AUTO_CONFIG d = { 0 };
	AUTO_OWNER a = { 0 };
	AUTO_OWNER b = { 0 };
	char buf[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(owner_from_config(&c, &a), 0);
	assert_int_equal(owner_from_config(&c, &b), 0);
	assert_int_equal(a.n, 8); /* cni: 3, routes: 2, router: 3 */
	assert_false(owner_differs(&a, &b, buf, sizeof(buf)));
	set(&b, "routes", "protocol", "158");
	assert_true(owner_differs(&a, &b, buf, sizeof(buf)));
	assert_string_equal(buf, "[routes] protocol 157 -> 158");
	set(&b, "routes", "protocol", "157");
	set(&b, "cni", "bridge", "br-x");
	assert_true(owner_differs(&a, &b, buf, sizeof(buf)));
	assert_string_equal(buf, "[cni] bridge snapnet0 -> br-x");
	set(&b, "cni", "conf_file", "05-x.conflist");
	set(&b, "routes", "table", "1000");
	owner_to_config(&b, &c, &d);
	assert_string_equal(d.agent.snapshot, c.agent.snapshot);
	owner_free(&a);
	assert_int_equal(owner_from_config(&d, &a), 0);
	assert_false(owner_differs(&a, &b, buf, sizeof(buf)));
	/* a record from before a key existed: no difference, incomplete */
	b.n = 3;
	assert_false(owner_differs(&b, &a, buf, sizeof(buf)));
	assert_true(owner_incomplete(&b, &a));
	assert_false(owner_incomplete(&a, &a));
	b.n = 8;
}

/* A record obeys the config's own rules, key by key. */
static void test_valid(void **state)
{
	AUTO_CONFIG c = { 0 };
	AUTO_OWNER o = { 0 };

	(void)state;
	config_defaults(&c);
	assert_int_equal(owner_from_config(&c, &o), 0);
	assert_true(owner_valid(&o));
	set(&o, "routes", "protocol", "2"); /* the kernel's */
	assert_false(owner_valid(&o));
	set(&o, "routes", "protocol", "157");
	set(&o, "routes", "table", "0");
	assert_false(owner_valid(&o));
	set(&o, "routes", "table", "254");
	set(&o, "cni", "bridge", "a b");
	assert_false(owner_valid(&o));
	set(&o, "cni", "bridge", "snapnet0");
	set(&o, "cni", "conf_file", "../x");
	assert_false(owner_valid(&o));
	set(&o, "cni", "conf_file", "x");
	set(&o, "cni", "conf_dir", "/x # y");
	assert_false(owner_valid(&o));
	assert_int_equal(config_set(&c, "routes", "nope", "1"), -ENOENT);
}

/* The file round-trips; a record naming a key that is no owner key, a
 * value of the wrong type or one no config could produce is refused. */
static void test_file(void **state)
{
	char dir[] = "/tmp/snapnet-test-record-XXXXXX", path[96];
	AUTO_CONFIG c = { 0 };
	AUTO_OWNER o = { 0 };
	AUTO_OWNER back = { 0 };
	char buf[256], err[ERRLEN];
	static const char *const bad[] = {
		"{\"routes\": {\"protocol\": 2}}",
		"{\"routes\": {\"metric\": 5}}",
		"{\"routes\": {\"protocol\": \"x\"}}",
		"{\"routes\": {\"protocol\": -1}}",
		"{\"nope\": {\"protocol\": 157}}",
		"{\"routes\": 157}",
		"{}",
		"[]",
	};
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	config_defaults(&c);
	assert_int_equal(owner_read(dir, &back), -ENOENT);
	assert_int_equal(owner_from_config(&c, &o), 0);
	assert_int_equal(owner_write(dir, &o, err, sizeof(err)), 0);
	assert_int_equal(owner_read(dir, &back), 0);
	assert_false(owner_differs(&o, &back, buf, sizeof(buf)));
	assert_false(owner_incomplete(&back, &o));
	snprintf(path, sizeof(path), "%s/%s", dir, OWNER_FILE);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		owner_free(&back);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(bad[i], f);
		fclose(f);
		if (owner_read(dir, &back) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
		assert_int_equal(back.n, 0);
	}
	unlink(path);
	rmdir(dir);
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
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_lock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
