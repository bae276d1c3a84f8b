/*
 * pass.c - how functions report during a reconcile pass.
 *
 * Functions never log above debug themselves: they hand each planned
 * operation, each failure and each unrealizable object to these calls,
 * which print plan lines, log one line per failure naming the object, and
 * keep the first error for the status file.
 */
#include "core/pass.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/function.h"
#include "core/log.h"
#include "lib/util.h"

void pass_error(struct func_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->error[0])
		return;
	va_start(ap, fmt);
	/* a long path cut short in the status text is fine */
	if (vsnprintf(r->error, sizeof(r->error), fmt, ap) < 0)
		r->error[0] = '\0';
	va_end(ap);
}

void pass_op(struct pass *p, enum op_kind kind, const char *line)
{
	p->r->planned++;
	p->n_add += kind == OP_ADD;
	p->n_del += kind == OP_DEL;
	if (p->mode != PASS_APPLY && p->plan_out)
		fprintf(p->plan_out, "%s\n", line);
	else
		log_debug("%s: %s", p->r->name, line);
}

void pass_retry(struct pass *p, unsigned ms)
{
	if (ms && (!p->retry_ms || ms < p->retry_ms))
		p->retry_ms = ms;
}

void pass_done(struct pass *p)
{
	p->r->done++;
}

void pass_op_failed(struct pass *p, const char *line, const char *why)
{
	p->r->failed++;
	log_limited(LOG_ERR, "%s: %s: %s", p->r->name, line, why);
	pass_error(p->r, "%s: %s", line, why);
}

void pass_report(struct pass *p, const char *line, const char *why)
{
	p->r->reported++;
	if (p->mode != PASS_APPLY && p->plan_out)
		fprintf(p->plan_out, "# %s (%s)\n", line, why);
	log_limited(LOG_WARNING, "%s: %s: %s", p->r->name, line, why);
}

void pass_fail(struct pass *p, const char *fmt, ...)
{
	va_list ap;

	p->r->broken = true;
	if (p->r->error[0])
		return;
	va_start(ap, fmt);
	if (vsnprintf(p->r->error, sizeof(p->r->error), fmt, ap) < 0)
		p->r->error[0] = '\0';
	va_end(ap);
}

bool pass_delete_allowed(struct pass *p, struct func_result *r, unsigned n_del,
			 unsigned n_add, unsigned n_owned)
{
	double share = p->cfg->agent.max_delete_share;
	unsigned net = n_del > n_add ? n_del - n_add : 0;
	char why[FUNC_ERRLEN];

	if (net == 0 || p->cfg->agent.force || n_owned == 0)
		return true;
	if ((double)net <= share * (double)n_owned)
		return true;
	snprintf(why, sizeof(why),
		 "refusing to remove %u of %u owned objects (more than "
		 "max_delete_share %.0f%%); use --force or raise "
		 "[agent] max_delete_share",
		 net, n_owned, share * 100.0);
	if (p->mode != PASS_APPLY) {
		if (p->plan_out)
			fprintf(p->plan_out,
				"# %s: apply would be refused: %s\n", r->name,
				why);
		return true;
	}
	r->refused = true;
	str_copy(r->error, why, sizeof(r->error));
	log_limited(LOG_ERR, "%s: %s", r->name, r->error);
	return false;
}

/* The plan, and (in apply, when the delete guard allows) its apply. */
static void plan_apply(const struct function *fn, struct pass *p, void *want,
		       void *have)
{
	struct func_result *r = p->r;
	void *plan = NULL;
	int e = fn->plan(p, want, have, &plan);

	if (e) {
		pass_op_failed(p, "plan", strerror(-e));
	} else if (p->mode == PASS_APPLY && r->planned &&
		   (fn->unguarded ||
		    pass_delete_allowed(p, r, p->n_del, p->n_add, r->owned))) {
		fn->apply(p, plan);
	} else if (p->mode != PASS_APPLY && !fn->unguarded) {
		pass_delete_allowed(p, r, p->n_del, p->n_add, r->owned);
	}
	fn->free_plan(plan);
}

static void run(const struct function *fn, struct pass *p)
{
	char err[ERRLEN] = "", line[64];
	void *want = NULL, *have = NULL;

	if (fn->desire(p, &want, err, sizeof(err)) < 0) {
		snprintf(line, sizeof(line), "%s desire", fn->name);
		pass_op_failed(p, line, err);
		return;
	}
	if (!want)
		return; /* reported why; nothing changes this pass */
	if (p->mode != PASS_PLAN_OFFLINE &&
	    fn->dump(p, &have, err, sizeof(err)) < 0) {
		snprintf(line, sizeof(line), "%s dump", fn->name);
		pass_op_failed(p, line, err);
		fn->free_want(want);
		return;
	}
	p->r->owned = fn->owned(have);
	plan_apply(fn, p, want, have);
	fn->free_have(have);
	fn->free_want(want);
}

void pass_run(const struct function *fn, struct pass *p)
{
	uint64_t t0 = now_us();

	p->n_add = p->n_del = 0;
	p->r->ran = true;
	run(fn, p);
	p->r->ms = (double)(now_us() - t0) / 1000.0;
}
