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

#include "routes/route_nl.h"
#include "lib/util.h"

#define LINE_LEN 256

struct apply_ctx {
	struct pass *p;
	struct func_result *r;
	const struct route_op *ops;
	int first_err;
};

static void on_done(void *arg, size_t i, int err, const char *msg)
{
	struct apply_ctx *a = arg;
	const struct route_op *op = &a->ops[i];
	char line[LINE_LEN], why[FUNC_ERRLEN];

	if (op->kind == ROUTE_DEL && (err == -ENOENT || err == -ESRCH))
		err = 0;
	if (!err) {
		a->r->done++;
		return;
	}
	if (!a->first_err)
		a->first_err = err;
	route_op_format(op, line, sizeof(line));
	if (err == -EEXIST && op->kind == ROUTE_ADD)
		snprintf(why, sizeof(why),
			 "%s: a route of another protocol "
			 "holds this destination and metric; left untouched",
			 strerror(-err));
	else
		snprintf(why, sizeof(why), "%s%s%s", strerror(-err),
			 msg && *msg ? ": " : "", msg ? msg : "");
	pass_op_failed(a->p, a->r, line, why);
}

static int apply(struct pass *p, struct func_result *r,
		 const struct route_op *ops, size_t n)
{
	struct apply_ctx a = { .p = p, .r = r, .ops = ops };
	char err[ERRLEN] = "";
	int e;

	e = route_batch_apply(ops, n, on_done, &a, err, sizeof(err));
	if (e) {
		pass_error(r, "%s", err);
		return e;
	}
	return a.first_err;
}

/* Plan lines, reports of unrealizable routes, and the delete count. */
static unsigned report_plan(struct pass *p, struct func_result *r,
			    const struct route_op *ops, size_t n)
{
	char line[LINE_LEN], why[128];
	unsigned n_del = 0;

	for (size_t i = 0; p->want && i < p->want->n_notes; i++)
		pass_report(p, r, p->want->notes[i].text, "not routed");
	for (size_t i = 0; i < n; i++) {
		struct route_op op = ops[i];

		if (op.kind != ROUTE_UNREACHABLE) {
			n_del += op.kind == ROUTE_DEL;
			pass_op(p, r, route_op_format(&op, line, sizeof(line)));
			continue;
		}
		op.kind = ROUTE_ADD; /* the line names the route, why says */
		snprintf(why, sizeof(why),
			 "next hop of node \"%s\" not on a "
			 "connected subnet",
			 op.node ? op.node : "?");
		pass_report(p, r, route_op_format(&op, line, sizeof(line)),
			    why);
	}
	return n_del;
}

static unsigned count_adds(const struct route_op *ops, size_t n)
{
	unsigned k = 0;

	for (size_t i = 0; i < n; i++)
		k += ops[i].kind == ROUTE_ADD;
	return k;
}

int route_reconcile(struct pass *p, struct func_result *r)
{
	const struct desired *d = p->want;
	struct route_kernel k = { 0 };
	struct route_op *ops = NULL;
	char err[ERRLEN] = "";
	size_t n_ops = 0;
	unsigned n_del;
	int e;

	r->ran = true;
	if (p->mode != PASS_PLAN_OFFLINE) {
		e = route_nl_dump(p->cfg, true, &k, err, sizeof(err));
		if (e) {
			pass_error(r, "%s", err);
			return e;
		}
	}
	r->owned = (unsigned)k.n_have;
	e = route_plan(p->cfg, d ? d->routes : NULL, d ? d->n_routes : 0,
		       k.have, k.n_have, k.conn, k.n_conn,
		       p->mode == PASS_PLAN_OFFLINE, &ops, &n_ops);
	if (e) {
		pass_error(r, "route plan: out of memory");
		goto out;
	}
	n_del = report_plan(p, r, ops, n_ops);
	if (p->mode != PASS_APPLY || r->planned == 0)
		goto out;
	if (!pass_delete_allowed(p, r, n_del, count_adds(ops, n_ops),
				 r->owned)) {
		e = -ECANCELED; /* nothing applied: the whole plan waits */
		goto out;
	}
	e = apply(p, r, ops, n_ops);
out:
	free(ops);
	route_nl_free(&k);
	return e;
}

int route_cleanup(const struct config *c, struct func_result *r)
{
	struct pass p = { .mode = PASS_APPLY, .cfg = c };
	struct route_kernel k = { 0 };
	struct route_op *ops = NULL;
	char err[ERRLEN] = "", line[LINE_LEN];
	size_t n_ops = 0;
	int e;

	if (!r->name)
		r->name = "routes";
	r->ran = true;
	e = route_nl_dump(c, false, &k, err, sizeof(err));
	if (e) {
		pass_error(r, "%s", err);
		return e;
	}
	r->owned = (unsigned)k.n_have;
	/* nothing wanted: the plan deletes every owned route */
	e = route_plan(c, NULL, 0, k.have, k.n_have, NULL, 0, false, &ops,
		       &n_ops);
	if (e) {
		pass_error(r, "route plan: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n_ops; i++)
		pass_op(&p, r, route_op_format(&ops[i], line, sizeof(line)));
	if (n_ops)
		e = apply(&p, r, ops, n_ops);
out:
	free(ops);
	route_nl_free(&k);
	return e;
}
