/*
 * function.h - what a function (cni, routes, ...) gives the core.
 *
 * A function lives in its own folder and exports one `const struct
 * function`; agent/core/registry.c lists them, and that table is the only
 * place the core names functions. Reconcile, cleanup, the status file and
 * the ownership record all loop over it.
 *
 * The core drives every function through the same fixed sequence
 * (reconcile.c, run_function()):
 *
 *   desire   pure: snapshot + core desire + config -> what it wants;
 *            a NULL *want (after a pass_report) means "change nothing
 *            this pass", e.g. a node without a pod CIDR
 *   dump     the kernel (or files) -> what it owns now; not called by an
 *            offline plan, where *have stays NULL: an empty kernel
 *   owned    how many objects `have` holds (the delete guard's base)
 *   plan     pure planner; each op goes to pass_op() with its kind, each
 *            unrealizable object to pass_report()
 *   -        the delete guard (pass_delete_allowed()) on the counts of
 *            pass_op(): when refused, nothing of this plan is applied
 *            (unless the function is `unguarded`)
 *   apply    the plan -> kernel, keep going per op; pass_done() or
 *            pass_op_failed() per op
 *   free     want, have, plan (each may be NULL)
 *
 * One rule for all: a failed desire or dump fails the function for this
 * pass with one failed operation ("NAME dump: why") and changes nothing;
 * the delete guard holds back the whole plan; reports never fail a pass,
 * pass_fail() does (a condition that stops the function from doing its
 * job, such as a foreign link of its bridge's name).
 */
#ifndef SNAPNET_FUNCTION_H
#define SNAPNET_FUNCTION_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"

struct pass;
struct json_object;

struct function {
	const char *name; /* also its config section and status key */
	const struct config_section *section;
	/* sections given per instance ([peer "NAME"]), NULL-terminated */
	const struct config_section *const *instances;
	/* keys of its section that mark what it owns (NULL-terminated) */
	const char *const *owner_keys;
	/* The delete guard does not apply: its objects go one to one with
	 * objects the user deletes (the firewall's chains and sets with a
	 * NetworkPolicy), and holding a deletion back would keep enforcing
	 * a policy that no longer exists. */
	bool unguarded;

	/* 0 or -errno with the reason in err */
	int (*desire)(struct pass *p, void **want, char *err, size_t errlen);
	int (*dump)(struct pass *p, void **have, char *err, size_t errlen);
	unsigned (*owned)(const void *have);
	int (*plan)(struct pass *p, const void *want, const void *have,
		    void **plan);
	int (*apply)(struct pass *p, void *plan);
	void (*free_want)(void *want);
	void (*free_have)(void *have);
	void (*free_plan)(void *plan);
	/* Removes everything it owns under p's config (the recorded
	 * ownership settings when they differ from the current ones). */
	int (*cleanup)(struct pass *p);

	/* Optional. What it adds to its object in the status file (its
	 * state as the last pass saw it, e.g. BGP sessions): obj is a
	 * json-c object. */
	void (*status)(const void *fcfg, struct json_object *obj);
	/* Optional. The daemon stops (SIGTERM/SIGINT): stop what must not
	 * outlive it (a managed child process). The data plane stays. */
	void (*stop)(const void *fcfg);
};

/* The registry (registry.c), in the order passes run them. */
extern const struct function *const functions[];
extern const size_t n_functions;

/* Index of a function by name, or -1. */
int function_index(const char *name);

#endif
