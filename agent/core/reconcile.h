/*
 * reconcile.h - one reconcile pass: load -> desire -> per function the
 * fixed sequence of function.h -> status. Shared by the one-shot
 * commands and the daemon.
 */
#ifndef SNAPNET_RECONCILE_H
#define SNAPNET_RECONCILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/config.h"
#include "core/function.h"
#include "core/pass.h"
#include "lib/util.h"
#include "snapshot/snapshot.h"


/* What the last pass did; serialized to STATE_DIR/status.json. */
struct pass_status {
	const char *trigger;
	uint64_t passes;
	uint64_t last_attempt, last_success; /* unix seconds */
	bool ok;
	bool snapshot_unchanged;
	double duration_ms, load_ms;
	char error[ERRLEN];
	struct func_result func[CONFIG_SECTIONS_MAX]; /* registry order */
	/* status writes that failed (full disk...), and the last reason:
	 * shown by the first status file that can be written again */
	uint64_t status_failures;
	char status_error[ERRLEN];
	bool record_failed; /* the ownership record could not be written */
	unsigned retry_ms;  /* a function asked for a pass that soon */
};

struct agent {
	struct config cfg;
	char node_override[NODE_NAME_MAX]; /* --node, survives reloads */
	char snapshot_override[PATH_MAX];  /* -s, survives reloads */
	bool force_override;		   /* --force */
	bool daemon;			   /* snapnet run */
	struct snapshot *snap;		   /* last snapshot that loaded */
	struct pass_status st;
};

void agent_init(struct agent *a);
void agent_fini(struct agent *a);
/* Applies the command line overrides on top of a freshly loaded config. */
void agent_apply_overrides(struct agent *a);
const char *agent_snapshot_path(const struct agent *a);

/* One pass. Returns 0 when the pass converged (or, in plan modes, when the
 * plan is empty), 2 when a plan has pending operations, 1 on any error.
 * A snapshot that fails to load leaves the kernel alone; the daemon keeps
 * repairing drift against the last snapshot that did load. */
int reconcile_pass(struct agent *a, enum pass_mode mode, FILE *plan_out,
		   const char *trigger);
/* Removes everything the enabled and disabled functions own. */
int reconcile_cleanup(struct agent *a);
/* The daemon stops: each enabled function's stop hook. */
void reconcile_stop(struct agent *a);
/* The section of function f in the agent's config. */
const void *agent_section(const struct agent *a, const struct function *f);

/* status.c */
struct owner;
/* Writes STATE_DIR/status.json; a failure is counted in a->st and
 * shown by the next status file that can be written. */
int status_write(struct agent *a, char *err, size_t errlen);
/* Prints the status file plus "running"/"running_pid" (is a snapnet
 * process holding the state_dir now). 1 when there is no status file. */
int status_print(const struct config *c, FILE *out);
int status_remove(const struct config *c);

#endif
