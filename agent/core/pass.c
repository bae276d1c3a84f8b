/*
 * pass.c - how functions report during a reconcile pass.
 *
 * Functions never log above debug themselves: they hand each planned
 * operation, each failure and each unrealizable object to these calls,
 * which print plan lines, log one line per failure naming the object, and
 * keep the first error for the status file.
 */
#include "core/pass.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

void pass_op(struct pass *p, struct func_result *r, const char *line)
{
	r->planned++;
	if (p->mode != PASS_APPLY && p->plan_out)
		fprintf(p->plan_out, "%s\n", line);
	else
		log_debug("%s: %s", r->name, line);
}

void pass_op_failed(struct pass *p, struct func_result *r, const char *line,
		    const char *why)
{
	(void)p;
	r->failed++;
	log_limited(LOG_ERR, "%s: %s: %s", r->name, line, why);
	pass_error(r, "%s: %s", line, why);
}

void pass_report(struct pass *p, struct func_result *r, const char *line,
		 const char *why)
{
	r->reported++;
	if (p->mode != PASS_APPLY && p->plan_out)
		fprintf(p->plan_out, "# %s (%s)\n", line, why);
	log_limited(LOG_WARNING, "%s: %s: %s", r->name, line, why);
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
