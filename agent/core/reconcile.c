/*
 * reconcile.c - runs one pass: load the snapshot (or reuse the last one
 * when its bytes did not change), compute the core desire, then drive
 * every enabled function of the registry through the one fixed sequence
 * (function.h: desire, dump, owned, plan, delete guard, apply, free),
 * and record the outcome.
 *
 * Invariant: nothing is applied unless the snapshot loaded and the desired
 * state was computed without error. A bad snapshot is logged and recorded;
 * the previous snapshot stays the source of truth for drift repair.
 */
#include "core/reconcile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/desired.h"
#include "core/function.h"
#include "core/log.h"
#include "core/owner.h"

void agent_init(struct agent *a)
{
	memset(a, 0, sizeof(*a));
	config_defaults(&a->cfg);
}

void agent_fini(struct agent *a)
{
	snapshot_free(a->snap);
	a->snap = NULL;
	config_fini(&a->cfg);
}

const void *agent_section(const struct agent *a, const struct function *f)
{
	int i = function_index(f->name);

	return i < 0 ? NULL : config_section_of(&a->cfg, (size_t)i);
}

void agent_apply_overrides(struct agent *a)
{
	if (a->node_override[0])
		str_copy(a->cfg.agent.node_name, a->node_override,
			 sizeof(a->cfg.agent.node_name));
	if (a->snapshot_override[0])
		str_copy(a->cfg.agent.snapshot, a->snapshot_override,
			 sizeof(a->cfg.agent.snapshot));
	if (a->force_override)
		a->cfg.agent.force = true;
	log_set_level(a->cfg.agent.log_level);
}

const char *agent_snapshot_path(const struct agent *a)
{
	return a->cfg.agent.snapshot;
}

/* Loads a candidate snapshot: 0 with *cand set, 1 when the file's bytes
 * are those of the snapshot in force, <0 with a->st.error set. */
static int load_snapshot(struct agent *a, struct snapshot **cand)
{
	struct snap_limits lim;
	uint64_t t0 = now_us();
	int r;

	snapshot_limits_default(&lim);
	lim.max_bytes = a->cfg.agent.max_snapshot_bytes;
	r = snapshot_load(a->cfg.agent.snapshot, &lim, a->snap, cand,
			  a->st.error, sizeof(a->st.error));
	a->st.load_ms = (double)(now_us() - t0) / 1000.0;
	a->st.snapshot_unchanged = r == 1;
	return r;
}

static void reset_results(struct agent *a)
{
	for (size_t f = 0; f < n_functions; f++) {
		memset(&a->st.func[f], 0, sizeof(a->st.func[f]));
		a->st.func[f].name = functions[f]->name;
	}
	a->st.error[0] = '\0';
}

/* Runs every enabled function; returns the number of functions that
 * failed or were refused. */
static int run_functions(struct agent *a, struct pass *p)
{
	int failed = 0;

	for (size_t f = 0; f < n_functions; f++) {
		struct func_result *r = &a->st.func[f];

		if (!config_enabled(&a->cfg, f))
			continue;
		p->fcfg = config_section_of(&a->cfg, f);
		p->r = r;
		pass_run(functions[f], p);
		if (r->failed || r->refused || r->broken) {
			failed++;
			pass_error(r, "%s failed", r->name);
			if (!a->st.error[0])
				snprintf(a->st.error, sizeof(a->st.error),
					 "%s: %s", r->name, r->error);
		}
	}
	return failed;
}

static unsigned planned_total(const struct agent *a)
{
	unsigned n = 0;

	for (size_t f = 0; f < n_functions; f++)
		n += a->st.func[f].planned;
	return n;
}

/* A candidate snapshot replaces the one in force only when the desired
 * state could be built from it too (e.g. this node is in it): a snapshot
 * is accepted or rejected whole. After a rejection the error stays
 * visible while drift is still repaired against the snapshot in force. */
static int desire(struct agent *a, struct desired **want, bool *rejected)
{
	struct snapshot *cand = NULL;
	char err[ERRLEN];
	int r = load_snapshot(a, &cand);

	*rejected = false;
	if (r == 0) {
		r = desired_build(cand, a->cfg.agent.node_name, want,
				  a->st.error, sizeof(a->st.error));
		if (r == 0) {
			snapshot_free(a->snap);
			a->snap = cand;
			return 0;
		}
		snapshot_free(cand);
	}
	if (r < 0) {
		*rejected = true;
		log_err("%s", a->st.error);
		if (!a->snap)
			return r;
	}
	r = desired_build(a->snap, a->cfg.agent.node_name, want, err,
			  sizeof(err));
	if (r < 0) {
		log_err("%s", err);
		if (!*rejected)
			str_copy(a->st.error, err, sizeof(a->st.error));
	}
	return r;
}

/* The ownership record must be on disk before the first kernel change:
 * a process killed one instruction later leaves objects that only the
 * record can lead a later cleanup to. Unchanged records are not
 * rewritten. A record that differs from the settings in force was
 * written by another process since this one started (the commands
 * refuse to start under changed settings): no change is made. */
static int record_owner(struct agent *a)
{
	struct owner was, now;
	char err[ERRLEN], diff[PATH_MAX * 2 + 32];
	bool same;
	int r;

	if (owner_from_config(&a->cfg, &now) < 0)
		return errf(a->st.error, sizeof(a->st.error), ENOMEM,
			    "ownership record: out of memory");
	r = owner_read(a->cfg.agent.state_dir, &was);
	same = r == 0 && !owner_differs(&was, &now, diff, sizeof(diff));
	if (same && !owner_incomplete(&was, &now)) {
		owner_free(&was);
		owner_free(&now);
		a->st.record_failed = false;
		return 0;
	}
	if (!same && r != -ENOENT) {
		errf(a->st.error, sizeof(a->st.error), EINVAL,
		     "%s/%s: %s; nothing changed", a->cfg.agent.state_dir,
		     OWNER_FILE,
		     r == 0 ? "records other ownership settings"
			    : "unreadable ownership record");
		log_err("%s", a->st.error);
		owner_free(&was);
		owner_free(&now);
		return -EINVAL;
	}
	/* no record yet, or one from before a function existed */
	r = owner_write(a->cfg.agent.state_dir, &now, err, sizeof(err));
	owner_free(&was);
	owner_free(&now);
	a->st.record_failed = r < 0;
	if (r < 0) {
		errf(a->st.error, sizeof(a->st.error), -r,
		     "ownership record: %s; nothing changed until it can "
		     "be written",
		     err);
		log_err("%s", a->st.error);
	}
	return r;
}

static int finish(struct agent *a, enum pass_mode mode, int rc, uint64_t t0)
{
	a->st.duration_ms = (double)(now_us() - t0) / 1000.0;
	a->st.ok = rc != 1;
	if (a->st.ok && mode == PASS_APPLY)
		a->st.last_success = a->st.last_attempt;
	return rc;
}

int reconcile_pass(struct agent *a, enum pass_mode mode, FILE *plan_out,
		   const char *trigger)
{
	struct pass p = { .mode = mode, .cfg = &a->cfg, .plan_out = plan_out,
			  .daemon = a->daemon,
			  .trust_cache = a->daemon && trigger &&
					 !strcmp(trigger, "inotify") };

	struct desired *want = NULL;
	uint64_t t0 = now_us();
	bool rejected;
	int failed;

	a->st.trigger = trigger;
	a->st.retry_ms = 0;
	a->st.passes++;
	a->st.last_attempt = wall_s();
	reset_results(a);
	if (desire(a, &want, &rejected) < 0)
		return finish(a, mode, 1, t0);
	p.core = want;
	p.snap = a->snap;
	if (mode == PASS_APPLY && record_owner(a) < 0) {
		desired_free(want);
		return finish(a, mode, 1, t0);
	}
	failed = run_functions(a, &p);
	a->st.retry_ms = p.retry_ms;
	desired_free(want);
	if (failed || rejected)
		return finish(a, mode, 1, t0);
	if (mode != PASS_APPLY && planned_total(a))
		return finish(a, mode, 2, t0);
	return finish(a, mode, 0, t0);
}

/* Every function's cleanup, enabled or not: what it made earlier is
 * still its own. */
static int cleanup_with(const struct config *c, struct agent *a)
{
	struct pass p = { .mode = PASS_APPLY, .cfg = c };
	int rc = 0;

	for (size_t i = n_functions; i-- > 0;) {
		const struct function *fn = functions[i];

		p.fcfg = config_section_of(c, i);
		p.r = &a->st.func[i];
		p.r->ran = true;
		if (fn->cleanup(&p) < 0 || p.r->failed) {
			log_err("%s: cleanup: %s", fn->name, p.r->error);
			rc = 1;
		}
	}
	return rc;
}

/* Removes what snapnet made. When the record holds settings of an
 * earlier run that differ from the current ones, only the recorded ones
 * are trusted: the current settings have never run here, so what they
 * name (a protocol number, a conflist path) may well belong to someone
 * else. Then the record is forgotten, so a run may use the new
 * settings. */
int reconcile_cleanup(struct agent *a)
{
	struct owner was = { 0 }, now = { 0 };
	struct config old;
	char diff[PATH_MAX * 2 + 32];
	int rc, r;

	reset_results(a);
	if (owner_from_config(&a->cfg, &now) < 0)
		return 1;
	r = owner_read(a->cfg.agent.state_dir, &was);
	if (r == -EINVAL) {
		log_err("cleanup refused: %s/%s holds no valid ownership "
			"record, so what snapnet made cannot be told from what "
			"the config names; fix or remove it",
			a->cfg.agent.state_dir, OWNER_FILE);
		owner_free(&now);
		return 1;
	}
	if (r == 0 && owner_differs(&was, &now, diff, sizeof(diff))) {
		log_info("cleanup: removing what the recorded settings own "
			 "(%s), not what the new ones would", diff);
		owner_to_config(&was, &a->cfg, &old);
		rc = cleanup_with(&old, a);
		config_fini(&old);
	} else {
		rc = cleanup_with(&a->cfg, a);
	}
	owner_free(&was);
	owner_free(&now);
	/* the record goes last: only once nothing is left to find */
	if (rc == 0 && (status_remove(&a->cfg) < 0 ||
			owner_remove(a->cfg.agent.state_dir) < 0))
		rc = 1;
	return rc;
}

void reconcile_stop(struct agent *a)
{
	for (size_t i = 0; i < n_functions; i++)
		if (functions[i]->stop && config_enabled(&a->cfg, i))
			functions[i]->stop(config_section_of(&a->cfg, i));
}
