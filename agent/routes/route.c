/*
 * route.c - the routes function: dump -> plan -> apply for one pass, and
 * cleanup.
 *
 * Owns, in the kernel, exactly the routes with rtnetlink protocol
 * routes.protocol (157 by default, "snapnet" in rt_protos) in table
 * routes.table, in both families. Nothing else is read for ownership and
 * nothing else is ever changed. Each is a unicast, scope universe route
 * to another node's pod CIDR via that node's InternalIP, out of the link
 * whose connected subnet holds that next hop.
 *
 * The core drives it (core/function.h): desire (route_desire.c), dump
 * (route_nl.c), plan (route_plan.c), apply (route_batch.c).
 *
 * Failure handling: a dump failure fails the pass for this function
 * before anything is changed. During apply, a failed route is reported
 * (pass_op_failed, one line naming the route and the kernel's reason)
 * and the other routes carry on, across both families. A desired route
 * that cannot be realized (no next hop of its family, next hop not on a
 * connected subnet) is reported (pass_report), not guessed.
 *
 * Idempotency: the plan is always computed against a fresh dump, so a
 * hand-deleted route comes back and a second apply does nothing. A delete
 * answered ENOENT/ESRCH is a success (the route is gone, which is what we
 * wanted). An add answered EEXIST is a failure: the dump just said we own
 * no route there, so the key (destination, table, metric) is held by a
 * route of another protocol, which we never overwrite.
 */
#include "routes/route.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/function.h"
#include "core/pass.h"
#include "lib/util.h"
#include "routes/route_nl.h"

#define LINE_LEN 256

/* clang-format off */
#define RKEY(...) CONFIG_KEY(struct routes_config, __VA_ARGS__)
static const struct config_key keys[] = {
	RKEY("enabled", K_BOOL, enabled, 0, 0, "yes or no"),
	RKEY("protocol", K_UINT, protocol, 5, 255,
	     "a protocol number 5..255 (0..4 belong to the kernel)"),
	RKEY("table", K_UINT, table, 1, 0xfffffffeULL,
	     "a table id 1..4294967294"),
	RKEY("metric", K_UINT, metric, 0, 0xffffffffULL, "0..4294967295"),
};
/* clang-format on */

static void defaults(void *sec)
{
	struct routes_config *c = sec;

	c->enabled = true;
	c->protocol = 157;
	c->table = 254;
	c->metric = 0;
}

const struct config_section routes_section = {
	.name = "routes",
	.size = sizeof(struct routes_config),
	.defaults = defaults,
	.keys = keys,
	.n_keys = sizeof(keys) / sizeof(keys[0]),
};

struct routes_plan {
	struct route_op *ops;
	size_t n;
};

struct apply_ctx {
	struct pass *p;
	const struct route_op *ops;
};

static void on_done(void *arg, size_t i, int err, const char *msg)
{
	struct apply_ctx *a = arg;
	const struct route_op *op = &a->ops[i];
	char line[LINE_LEN], why[FUNC_ERRLEN];

	if (op->kind == ROUTE_DEL && (err == -ENOENT || err == -ESRCH))
		err = 0;
	if (!err) {
		pass_done(a->p);
		return;
	}
	route_op_format(op, line, sizeof(line));
	if (err == -EEXIST && op->kind == ROUTE_ADD)
		snprintf(why, sizeof(why),
			 "%s: a route of another protocol "
			 "holds this destination and metric; left untouched",
			 strerror(-err));
	else
		snprintf(why, sizeof(why), "%s%s%s", strerror(-err),
			 msg && *msg ? ": " : "", msg ? msg : "");
	pass_op_failed(a->p, line, why);
}

static int apply_ops(struct pass *p, const struct route_op *ops, size_t n)
{
	struct apply_ctx a = { .p = p, .ops = ops };
	char err[ERRLEN] = "";
	int e;

	e = route_batch_apply(ops, n, on_done, &a, err, sizeof(err));
	if (e)
		pass_error(p->r, "%s", err);
	return e;
}

static int desire(struct pass *p, void **want, char *err, size_t errlen)
{
	struct route_desire *d;

	if (route_desire_build(p->snap, p->core->self, &d) < 0)
		return errf(err, errlen, ENOMEM, "out of memory");
	*want = d;
	return 0;
}

static int dump(struct pass *p, void **have, char *err, size_t errlen)
{
	struct route_kernel *k = calloc(1, sizeof(*k));
	int e;

	if (!k)
		return errf(err, errlen, ENOMEM, "out of memory");
	e = route_nl_dump(p->fcfg, true, k, err, errlen);
	if (e) {
		free(k);
		return e;
	}
	*have = k;
	return 0;
}

static unsigned owned(const void *have)
{
	const struct route_kernel *k = have;

	return k ? (unsigned)k->n_have : 0;
}

/* Plan lines, and reports of the routes that cannot be realized. */
static void report_plan(struct pass *p, const struct route_op *ops, size_t n)
{
	char line[LINE_LEN], why[128];

	for (size_t i = 0; i < n; i++) {
		struct route_op op = ops[i];

		if (op.kind != ROUTE_UNREACHABLE) {
			pass_op(p, op.kind == ROUTE_DEL ? OP_DEL : OP_ADD,
				route_op_format(&op, line, sizeof(line)));
			continue;
		}
		op.kind = ROUTE_ADD; /* the line names the route, why says */
		snprintf(why, sizeof(why),
			 "next hop of node \"%s\" not on a "
			 "connected subnet",
			 op.node ? op.node : "?");
		pass_report(p, route_op_format(&op, line, sizeof(line)), why);
	}
}

static int plan(struct pass *p, const void *want, const void *have,
		void **out)
{
	const struct route_desire *d = want;
	const struct route_kernel *k = have;
	struct routes_plan *pl = calloc(1, sizeof(*pl));
	int e;

	if (!pl)
		return -ENOMEM;
	for (size_t i = 0; d && i < d->n_notes; i++)
		pass_report(p, d->notes[i].text, "not routed");
	e = route_plan(p->fcfg, d ? d->routes : NULL, d ? d->n_routes : 0,
		       k ? k->have : NULL, k ? k->n_have : 0,
		       k ? k->conn : NULL, k ? k->n_conn : 0, !k, &pl->ops,
		       &pl->n);
	if (e) {
		free(pl);
		return e;
	}
	report_plan(p, pl->ops, pl->n);
	*out = pl;
	return 0;
}

static int apply(struct pass *p, void *planned)
{
	struct routes_plan *pl = planned;

	return apply_ops(p, pl->ops, pl->n);
}

static void free_want(void *want)
{
	route_desire_free(want);
}

static void free_have(void *have)
{
	route_nl_free(have);
	free(have);
}

static void free_plan(void *planned)
{
	struct routes_plan *pl = planned;

	if (pl)
		free(pl->ops);
	free(pl);
}

/* Every route of our protocol in our table goes. */
static int cleanup(struct pass *p)
{
	struct route_kernel k = { 0 };
	struct route_op *ops = NULL;
	char err[ERRLEN] = "", line[LINE_LEN];
	size_t n_ops = 0;
	int e;

	e = route_nl_dump(p->fcfg, false, &k, err, sizeof(err));
	if (e) {
		pass_error(p->r, "%s", err);
		return e;
	}
	p->r->owned = (unsigned)k.n_have;
	/* nothing wanted: the plan deletes every owned route */
	e = route_plan(p->fcfg, NULL, 0, k.have, k.n_have, NULL, 0, false,
		       &ops, &n_ops);
	if (e) {
		pass_error(p->r, "route plan: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n_ops; i++)
		pass_op(p, OP_DEL, route_op_format(&ops[i], line, sizeof(line)));
	if (n_ops)
		e = apply_ops(p, ops, n_ops);
out:
	free(ops);
	route_nl_free(&k);
	return e;
}

static const char *const owner_keys[] = { "protocol", "table", NULL };

const struct function routes_function = {
	.name = "routes",
	.section = &routes_section,
	.owner_keys = owner_keys,
	.desire = desire,
	.dump = dump,
	.owned = owned,
	.plan = plan,
	.apply = apply,
	.free_want = free_want,
	.free_have = free_have,
	.free_plan = free_plan,
	.cleanup = cleanup,
};
