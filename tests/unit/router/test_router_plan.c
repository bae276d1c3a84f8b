/*
 * test_router_plan.c - the router's planner and its lines: nothing to do
 * for byte-identical text with BIRD running; announcements, withdrawals,
 * next hop changes and peers added, removed or changed as lines like
 * the other functions'; the write, configure, start and stop of BIRD by
 * mode and state, in order; and no password in any line, ever.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "router_test.h"

#define CONF "/run/snapnet-test/bird.conf"

static char lines[1 << 16];

/* Every op of the plan as text, one per line; the count returned. */
static size_t plan_text(const struct router_desire *want, const char *have,
			const struct router_bird_view *v)
{
	struct router_file f = { 0 };
	struct router_op *ops;
	char line[512];
	size_t n, used = 0;

	if (have)
		assert_int_equal(router_file_parse(have, strlen(have), &f), 0);
	assert_int_equal(
	    router_plan(want, have, have ? strlen(have) : 0, &f, v, &ops, &n),
	    0);
	lines[0] = '\0';
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(
		    lines + used, sizeof(lines) - used, "%s\n",
		    router_op_format(&ops[i], CONF, line, sizeof(line)));
	free(ops);
	router_file_free(&f);
	return n;
}

static const struct router_bird_view running = { .managed = true,
						 .running = true,
						 .start_now = true };
static const struct router_bird_view stopped = { .managed = true,
						 .start_now = true };

static void test_identical_is_nothing(void **state)
{
	struct fx f;
	struct router_desire *d;

	(void)state;
	fx_load(&f, DATA "dual.ini", DATA "dual.json");
	d = fx_desire(&f, "node-a");
	assert_int_equal(plan_text(d, d->text, &running), 0);
	/* same file, BIRD not running: only the start */
	assert_int_equal(plan_text(d, d->text, &stopped), 1);
	assert_string_equal(lines, "bird start\n");
	/* ...unless a restart must wait (the caller reports it) */
	assert_int_equal(
	    plan_text(d, d->text,
		      &(struct router_bird_view){ .managed = true }),
	    0);
	fx_free(&f);
}

/* Against an empty machine: every announcement and peer, the write and
 * the start, in that order. */
static void test_from_nothing(void **state)
{
	struct fx f;
	struct router_desire *d;

	(void)state;
	fx_load(&f, DATA "v4.ini", DATA "v4.json");
	d = fx_desire(&f, "node-a");
	assert_int_equal(plan_text(d, NULL, &stopped), 8);
	assert_string_equal(lines,
			    "bgp announce 10.96.0.10/32 via 10.0.0.1\n"
			    "bgp announce 10.96.100.10/32 via 10.0.0.1\n"
			    "bgp announce 10.244.1.0/24 via 10.0.0.1\n"
			    "bgp announce 198.51.100.10/32 via 10.0.0.1\n"
			    "bgp peer add rr (192.0.2.1 AS 65010, ipv4, local "
			    "10.0.0.1, multihop 4)\n"
			    "bgp peer add tor (10.0.0.254 AS 64500, ipv4, "
			    "password set)\n"
			    "bird write " CONF "\n"
			    "bird start\n");
	fx_free(&f);
}

/* One Service less, one more, one peer changed: withdrawals and removed
 * peers first, then additions, then one configure. */
static void test_changes(void **state)
{
	struct fx f;
	struct router_desire *d;
	char *old;

	(void)state;
	fx_load(&f, DATA "dual.ini", DATA "dual.json");
	d = fx_desire(&f, "node-a");
	old = strdup(d->text);
	/* the snapshot loses kube-dns, the config a peer and a password */
	fx_router(&f)->advertise_loadbalancer_ip = false;
	fx_router(&f)->peers[1].multihop = 3;
	fx_router(&f)->peers[0].address[0] = 'x';
	d = fx_desire(&f, "node-a");
	assert_int_equal(plan_text(d, old, &running), 4);
	assert_string_equal(
	    lines, "bgp withdraw 198.51.100.10/32 via 10.0.0.1\n"
		   "bgp peer del tor (fd00:10::254 AS 64500, "
		   "ipv4+ipv6, bfd, password set)\n"
		   "bgp peer change tor-mh (10.0.0.254 AS 64501, ipv4, "
		   "local 10.0.0.1, port 1179, multihop 3, hold 30)\n"
		   "bird configure " CONF "\n");
	free(old);
	fx_free(&f);
}

/* A new next hop re-announces every prefix of that family. */
static void test_next_hop_change(void **state)
{
	static const char old[] = "# snapnet: next hop ipv4 10.0.0.99\n"
				  "protocol static snapnet4 {\n\tipv4;\n"
				  "\troute 10.244.1.0/24 blackhole;\n"
				  "\troute 10.96.0.10/32 blackhole;\n}\n";
	struct fx f;
	struct router_desire *d;

	(void)state;
	fx_load(&f, DATA "v4.ini", DATA "v4.json");
	fx_router(&f)->n_peers = 0;
	fx_router(&f)->advertise_loadbalancer_ip = false;
	d = fx_desire(&f, "node-a");
	assert_int_equal(plan_text(d, old, &running), 4);
	assert_string_equal(lines,
			    "bgp announce 10.96.0.10/32 via 10.0.0.1 (was via "
			    "10.0.0.99)\n"
			    "bgp announce 10.96.100.10/32 via 10.0.0.1\n"
			    "bgp announce 10.244.1.0/24 via 10.0.0.1 (was via "
			    "10.0.0.99)\n"
			    "bird configure " CONF "\n");
	fx_free(&f);
}

/* The daemon adopts nothing: a BIRD of our paths that is not its child
 * is stopped first, then the file written (not configured into the
 * BIRD that goes away) and our own started. External mode never starts
 * anything. */
static void test_bird_states(void **state)
{
	struct router_bird_view stale = running,
				external = { .start_now = true };
	struct fx f;
	struct router_desire *d;

	(void)state;
	stale.stale = 4242;
	fx_load(&f, DATA "v6.ini", DATA "v6.json");
	d = fx_desire(&f, "node-a");
	assert_int_equal(plan_text(d, d->text, &stale), 2);
	assert_string_equal(lines, "bird stop 4242 (pid file of our paths; not "
				   "started by this daemon)\nbird start\n");
	plan_text(d, "# snapnet: old\n", &stale);
	assert_non_null(strstr(lines, "bird stop 4242"));
	assert_non_null(strstr(lines, "bird write " CONF "\nbird start\n"));
	assert_null(strstr(lines, "bird configure"));
	assert_int_equal(plan_text(d, d->text, &external), 0);
	plan_text(d, NULL, &external);
	assert_non_null(strstr(lines, "bird write " CONF "\n"));
	assert_null(strstr(lines, "bird start"));
	external.running = true;
	plan_text(d, "# snapnet: old\n", &external);
	assert_non_null(strstr(lines, "bird configure " CONF "\n"));
	fx_free(&f);
}

/* Passwords are in the rendered file and nowhere else: not in any plan
 * line, peer summary or note, whatever changes. */
static void test_no_password_in_plan(void **state)
{
	static const char *const secrets[] = { "s3cret!x", "node-pw",
					       "v4-secret", "v6-secret" };
	static const char *const fixtures[] = { "dual", "v4", "v6" };
	char ini[64], json[64];
	struct fx f;
	struct router_desire *d;
	char *old;

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(fixtures); k++) {
		snprintf(ini, sizeof(ini), DATA "%s.ini", fixtures[k]);
		snprintf(json, sizeof(json), DATA "%s.json", fixtures[k]);
		fx_load(&f, ini, json);
		d = fx_desire(&f, "node-a");
		old = strdup(d->text);
		plan_text(d, NULL, &stopped);
		/* a changed password: a peer change, still no password */
		str_copy(fx_router(&f)->peers[0].password, "other-pw",
			 sizeof(fx_router(&f)->peers[0].password));
		d = fx_desire(&f, "node-a");
		plan_text(d, old, &running);
		for (size_t i = 0; i < ARRAY_SIZE(secrets); i++) {
			assert_null(strstr(lines, secrets[i]));
			for (size_t n = 0; n < d->n_notes; n++) {
				assert_null(
				    strstr(d->notes[n].line, secrets[i]));
				assert_null(
				    strstr(d->notes[n].why, secrets[i]));
			}
			for (size_t p = 0; p < d->n_peers; p++)
				assert_null(
				    strstr(d->peers[p].summary, secrets[i]));
		}
		assert_null(strstr(lines, "other-pw"));
		assert_non_null(strstr(d->text, "other-pw")); /* it is used */
		free(old);
		fx_free(&f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical_is_nothing),
		cmocka_unit_test(test_from_nothing),
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_next_hop_change),
		cmocka_unit_test(test_bird_states),
		cmocka_unit_test(test_no_password_in_plan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
