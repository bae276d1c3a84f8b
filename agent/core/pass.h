/*
 * pass.h - what one reconcile pass hands to each function (cni, routes...).
 *
 * Every function has the same shape:
 *   dump  (kernel -> current objects we own; skipped when offline)
 *   plan  (pure: desired + current -> ordered operations)
 *   apply (operations -> kernel; idempotent verbs; keep going per object)
 * and reports through struct pass, so only reconcile.c decides what is
 * logged and what lands in the status file.
 */
#ifndef SNAPNET_PASS_H
#define SNAPNET_PASS_H

#include <stdbool.h>
#include <stdio.h>

#include "core/config.h"
#include "core/desired.h"

enum pass_mode {
	PASS_PLAN_OFFLINE, /* plan against an empty kernel; no syscalls */
	PASS_PLAN,	   /* dump the kernel, print the plan, change nothing */
	PASS_APPLY,	   /* dump, plan, apply */
};

#define FUNC_ERRLEN 512

/* Result of one function in one pass; goes to the status file. */
struct func_result {
	const char *name; /* "cni", "routes" */
	bool ran;
	unsigned planned;	 /* operations in the plan */
	unsigned done;		 /* operations applied successfully */
	unsigned failed;	 /* operations that failed */
	unsigned reported;	 /* desired objects we could not realize */
	unsigned owned;		 /* objects owned before the pass */
	bool refused;		 /* plan refused by the delete guard */
	char error[FUNC_ERRLEN]; /* first error text, "" if none */
};

struct pass {
	enum pass_mode mode;
	const struct config *cfg;
	const struct desired *want;
	FILE *plan_out; /* plan lines go here in PLAN modes */
};

/* Called by functions: one line per planned operation (plan modes print
 * it to plan_out, apply logs it at debug), one line per failed operation
 * and per desired object that cannot be realized. Defined in pass.c. */
void pass_op(struct pass *p, struct func_result *r, const char *line);
void pass_op_failed(struct pass *p, struct func_result *r, const char *line,
		    const char *why);
void pass_report(struct pass *p, struct func_result *r, const char *line,
		 const char *why);
/* Records the first error of a function (later ones only go to the log):
 * the status file shows what went wrong first. */
void pass_error(struct func_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The delete guard. Counts the net removals (n_del - n_add: a replaced
 * object is not a loss) against n_owned. In PASS_APPLY, false (with
 * r->refused set and the error recorded) when they exceed
 * agent.max_delete_share and force is off. In plan modes it prints a
 * "# ... would be refused" line and returns true, so the plan still shows
 * every operation. */
bool pass_delete_allowed(struct pass *p, struct func_result *r, unsigned n_del,
			 unsigned n_add, unsigned n_owned);

#endif
