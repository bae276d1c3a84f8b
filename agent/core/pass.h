/*
 * pass.h - what one reconcile pass hands to each function, and how a
 * function reports: every planned operation, failure and unrealizable
 * object goes through these calls, so only the core decides what is
 * printed, logged and counted in the status file (see function.h for the
 * sequence the core drives).
 */
#ifndef SNAPNET_PASS_H
#define SNAPNET_PASS_H

#include <stdbool.h>
#include <stdio.h>

#include "core/config.h"
#include "core/desired.h"

struct snapshot;

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
	bool broken;		 /* pass_fail(): could not do its job */
	double ms;		 /* desire to free, this pass */
	char error[FUNC_ERRLEN]; /* first error text, "" if none */
};

/* The kind of a planned operation, for the delete guard: a CHANGE (an
 * object replaced, or set up) is not a loss; a DEL is one. */
enum op_kind { OP_ADD, OP_DEL, OP_CHANGE };

struct pass {
	enum pass_mode mode;
	const struct config *cfg;	/* [agent] and every section */
	const void *fcfg;		/* the running function's section */
	const struct snapshot *snap;	/* NULL in cleanup */
	const struct desired *core;	/* this node; NULL in cleanup */
	FILE *plan_out;			/* plan lines go here in PLAN modes */
	struct func_result *r;		/* the running function's */
	unsigned n_add, n_del;		/* counted by pass_op() */
	bool daemon;			/* snapnet run, not a one-shot */
	/* the daemon's pass for a changed snapshot: a function may plan
	 * against what its last clean apply wrote instead of dumping the
	 * kernel (every other pass dumps and repairs drift) */
	bool trust_cache;
	/* a function asks for another pass in this many ms (0: none; the
	 * smallest request wins): a child to restart after a backoff, a
	 * peer that is not ready yet. The daemon arms a timer for it. */
	unsigned retry_ms;
};

/* Asks for another pass within ms milliseconds (see retry_ms). */
void pass_retry(struct pass *p, unsigned ms);

/* One line per planned operation: plan modes print it to plan_out,
 * apply logs it at debug. */
void pass_op(struct pass *p, enum op_kind kind, const char *line);
/* An applied operation that worked, or failed (one log line naming it). */
void pass_done(struct pass *p);
void pass_op_failed(struct pass *p, const char *line, const char *why);
/* A desired object that cannot be realized: "# LINE (WHY)" in plans, a
 * warning in logs; never a failure of the pass. */
void pass_report(struct pass *p, const char *line, const char *why);
/* The function cannot do its job (its plan may still run): the pass
 * fails with this as the function's error. */
void pass_fail(struct pass *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Records the first error of a function (later ones only go to the log):
 * the status file shows what went wrong first. */
void pass_error(struct func_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Drives fn through the fixed sequence of function.h for one pass. The
 * caller sets mode, cfg, fcfg (fn's section), snap, core, plan_out and
 * r (with r->name). */
struct function;
void pass_run(const struct function *fn, struct pass *p);

/* The delete guard. Counts the net removals (n_del - n_add: a replaced
 * object is not a loss) against n_owned. In PASS_APPLY, false (with
 * r->refused set and the error recorded) when they exceed
 * agent.max_delete_share and force is off. In plan modes it prints a
 * "# ... would be refused" line and returns true, so the plan still shows
 * every operation. */
bool pass_delete_allowed(struct pass *p, struct func_result *r, unsigned n_del,
			 unsigned n_add, unsigned n_owned);

#endif
