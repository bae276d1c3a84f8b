/*
 * fw.c - the firewall function: NetworkPolicy for this node's pods.
 *
 * Owns, per family: every chain of the filter table whose name starts
 * with SNAPNET-FW-, the jumps to them from the built-in INPUT and FORWARD
 * chains, and every ipset whose name starts with snapnet-fw-; nothing
 * else is read for ownership or ever changed. The bridge sysctls
 * (bridge-nf-call-iptables/ip6tables) are set to 1 while there is
 * anything to enforce and never set back (as ip_forward by the CNI
 * function: other components rely on them too).
 *
 * The core drives it (core/function.h): desire (fw_desire.c), dump
 * (fw_kernel.c, or the cache below), plan (fw_plan.c), apply
 * (fw_kernel.c).
 *
 * The cache: after an apply in which every operation worked, the kernel
 * holds exactly the desire, so the next pass that the snapshot's change
 * woke (pass->trust_cache) plans against that instead of dumping
 * iptables and every set's members: one pod more is then a few set
 * members and no tool run. Every other pass (start, resync, signals, a
 * one-shot command) dumps the kernel and repairs drift; an apply that
 * failed anywhere drops the cache.
 *
 * The backend (nft or legacy) is the host's, chosen once per process by
 * lib/rules' detection (or the config); our chains left in the other
 * backend by an earlier choice are removed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/function.h"
#include "core/pass.h"
#include "firewall/fw.h"
#include "firewall/fw_kernel.h"
#include "firewall/fw_plan.h"

/* clang-format off */
#define FKEY(...) CONFIG_KEY(struct firewall_config, __VA_ARGS__)
static const struct config_key keys[] = {
	FKEY("enabled", K_BOOL, enabled, 0, 0, "yes or no"),
	FKEY("default_deny_new_pods", K_BOOL, default_deny_new_pods, 0, 0,
	     "yes or no"),
	FKEY("backend", K_STR, backend, 0, 0, "auto, nft or legacy"),
	FKEY("mark", K_UINT, mark, 1, 0x80000000ULL,
	     "one bit of the packet mark, e.g. 0x100000"),
	FKEY("log_denied", K_BOOL, log_denied, 0, 0, "yes or no"),
	FKEY("nflog_group", K_UINT, nflog_group, 0, 65535,
	     "an NFLOG group, 0 to 65535"),
	/* above 600 a minute the kernel's rounding shows in iptables-save
	 * (999/min reads back as 1000/min) and the rule would never match
	 * what we wrote */
	FKEY("log_limit", K_UINT, log_limit, 1, 600,
	     "packets a minute, 1 to 600"),
	FKEY("log_burst", K_UINT, log_burst, 1, 10000, "1 to 10000"),
	FKEY("iptables_dir", K_PATH, iptables_dir, 0, 0,
	     "the directory of iptables-nft-restore and the other tools"),
};
/* clang-format on */

static void defaults(void *sec)
{
	struct firewall_config *c = sec;

	c->enabled = false;
	c->default_deny_new_pods = false;
	snprintf(c->backend, sizeof(c->backend), "auto");
	c->mark = 0x100000;
	c->log_denied = true;
	c->nflog_group = 100;
	c->log_limit = 10;
	c->log_burst = 10;
}

static int check(const void *sec, char *err, size_t errlen)
{
	const struct firewall_config *c = sec;
	enum rules_backend be;

	if (rules_backend_parse(c->backend, &be) < 0)
		return errf(err, errlen, EINVAL,
			    "backend: \"%s\": expected auto, nft or legacy",
			    c->backend);
	if (c->mark & (c->mark - 1))
		return errf(err, errlen, EINVAL,
			    "mark: 0x%x: expected exactly one bit", c->mark);
	return 0;
}

const struct config_section firewall_section = {
	.name = "firewall",
	.size = sizeof(struct firewall_config),
	.defaults = defaults,
	.keys = keys,
	.n_keys = sizeof(keys) / sizeof(keys[0]),
	.check = check,
};

/* What outlives a pass (one process, one firewall). */
static struct {
	bool detected;
	char detected_for[8]; /* the config's backend the choice was for */
	enum rules_backend backend;
	bool other_has_ours; /* the other backend holds SNAPNET- chains */
	/* kernel features (FW_NEED_*) probed, per family, and had */
	unsigned feat_known[FAM_COUNT], feat_have[FAM_COUNT];
	/* the save texts the last detection read, for the dump of the same
	 * pass (then freed): one save per family less on a first pass */
	struct rules_saves saves;
	struct fw_have *cache;
	struct firewall_config cache_cfg;
	unsigned policies[FAM_COUNT];
} st;

/* Everything the apply needs besides the plan. */
struct fw_pass {
	struct fw_plan *pl;
	struct fw_desire *d;
	struct fw_have *h;
};

static void cache_drop(void)
{
	fw_have_unref(st.cache);
	st.cache = NULL;
}

static int detect(const struct firewall_config *c, char *err, size_t errlen)
{
	struct rules_probe nft = { 0 }, legacy = { 0 };
	enum rules_backend want = RULES_BACKEND_AUTO;
	int e;

	if (st.detected && !strcmp(st.detected_for, c->backend))
		return 0;
	rules_backend_parse(c->backend, &want);
	rules_saves_free(&st.saves);
	e = rules_detect(want, 0, &st.backend, &nft, &legacy, &st.saves, err,
			 errlen);
	if (e)
		return e;
	st.other_has_ours = st.backend == RULES_BACKEND_NFT
				? legacy.own_chains > 0
				: nft.own_chains > 0;
	st.detected = true;
	snprintf(st.detected_for, sizeof(st.detected_for), "%s", c->backend);
	memset(st.feat_known, 0, sizeof(st.feat_known));
	cache_drop();
	return 0;
}

static struct fw_kopts kopts(const struct firewall_config *c)
{
	struct fw_kopts ko = { .backend = st.backend,
			       .bindir = *c->iptables_dir ? c->iptables_dir
							  : NULL };

	memcpy(ko.known, st.feat_known, sizeof(ko.known));
	memcpy(ko.have, st.feat_have, sizeof(ko.have));
	return ko;
}

static int desire(struct pass *p, void **want, char *err, size_t errlen)
{
	struct fw_desire *d;

	int e = fw_desire_build(p->snap, p->core, p->fcfg, &d);

	if (e < 0)
		return errf(err, errlen, -e, "%s", strerror(-e));
	*want = d;
	return 0;
}

static int dump(struct pass *p, void **have, char *err, size_t errlen)
{
	struct fw_kopts ko;
	struct fw_have *h;
	int e;

	if ((e = detect(p->fcfg, err, errlen)) < 0)
		return e;
	if (p->trust_cache && st.cache &&
	    !memcmp(&st.cache_cfg, p->fcfg, sizeof(st.cache_cfg))) {
		rules_saves_free(&st.saves);
		*have = fw_have_ref(st.cache);
		return 0;
	}
	ko = kopts(p->fcfg);
	/* iptables_dir's tools are not the ones detection ran */
	if (!ko.bindir)
		ko.saves = &st.saves;
	e = fw_dump(&ko, &h, err, errlen);
	rules_saves_free(&st.saves);
	if (e < 0)
		return e;
	*have = h;
	return 0;
}

static unsigned owned(const void *have)
{
	return fw_have_owned(have);
}

static enum op_kind op_kind(const struct fw_op *op)
{
	switch (op->kind) {
	case FW_SET_CREATE:
	case FW_CHAIN_NEW:
		return OP_ADD;
	case FW_JUMP_ADD:
		return strstr(op->line, "undouble") ? OP_CHANGE : OP_ADD;
	case FW_SET_DESTROY:
	case FW_CHAIN_DEL:
	case FW_JUMP_DEL:
		return OP_DEL;
	default:
		return OP_CHANGE;
	}
}

/* A family that could not be dumped fails the function for the pass
 * (its operations are not planned); the other family goes on. */
static void report_skips(struct pass *p, const struct fw_desire *d,
			 const struct fw_have *h)
{
	for (int i = 0; h && i < FAM_COUNT; i++)
		if (!h->fam[i].ok && (d->fam[i].wanted || h->fam[i].n_sets))
			pass_fail(p, "%s: %s", fam_name(fam_of_index(i)),
				  h->fam[i].error);
}

static int plan(struct pass *p, const void *want, const void *have,
		void **out)
{
	/* the planner adds its notes (missing features) to the desire, which this pass
	 * owns until the core frees it after apply */
	struct fw_desire *d = (struct fw_desire *)want;
	struct fw_pass *fp = calloc(1, sizeof(*fp));
	char err[ERRLEN] = "";
	size_t notes = d->n_notes;
	int e;

	if (!fp)
		return -ENOMEM;
	e = fw_plan_build(d, have, &fp->pl, err, sizeof(err));
	if (e) {
		pass_error(p->r, "plan: %s", err[0] ? err : strerror(-e));
		free(fp);
		return e;
	}
	fp->d = d;
	fp->h = (struct fw_have *)have;
	for (size_t i = 0; i < d->n_notes; i++)
		pass_report(p, d->notes[i].line, d->notes[i].why);
	d->n_notes = notes;
	report_skips(p, d, have);
	for (size_t i = 0; i < fp->pl->n_ops; i++)
		pass_op(p, op_kind(&fp->pl->ops[i]), fp->pl->ops[i].line);
	if (st.other_has_ours && p->mode != PASS_APPLY)
		pass_report(p, "chains of ours in the other iptables backend",
			    "removed by the next apply");
	for (int i = 0; i < FAM_COUNT; i++)
		st.policies[i] = d->fam[i].policies;
	*out = fp;
	return 0;
}

/* Our chains in the backend the host does not use (an earlier choice). */
static void clean_other(struct pass *p)
{
	if (!st.other_has_ours)
		return;
	fw_kernel_cleanup_backend(p, st.backend == RULES_BACKEND_NFT
					 ? RULES_BACKEND_LEGACY
					 : RULES_BACKEND_NFT);
	st.other_has_ours = false;
}

static int apply(struct pass *p, void *planned)
{
	struct fw_pass *fp = planned;
	struct fw_kopts ko = kopts(p->fcfg);
	struct fw_have *next = NULL;
	bool clean;

	clean_other(p);
	fw_apply(p, &ko, fp->d, fp->h, fp->pl, &clean);
	memcpy(st.feat_known, ko.known, sizeof(st.feat_known));
	memcpy(st.feat_have, ko.have, sizeof(st.feat_have));
	cache_drop();
	if (clean && fw_have_of(fp->d, fp->pl, &ko, &next) == 0) {
		st.cache = next;
		memcpy(&st.cache_cfg, p->fcfg, sizeof(st.cache_cfg));
	}
	return 0;
}

static void free_want(void *want)
{
	fw_desire_free(want);
}

static void free_have(void *have)
{
	fw_have_unref(have);
}

static void free_plan(void *planned)
{
	struct fw_pass *fp = planned;

	if (fp)
		fw_plan_free(fp->pl);
	free(fp);
}

static int cleanup(struct pass *p)
{
	cache_drop();
	return fw_kernel_cleanup(p);
}

static void status(const void *fcfg, struct json_object *obj)
{
	const struct firewall_config *c = fcfg;
	struct json_object *pol = json_object_new_object();

	json_object_object_add(
	    obj, "backend",
	    json_object_new_string(st.detected ? rules_backend_name(st.backend)
					       : c->backend));
	json_object_object_add(pol, "ipv4",
			       json_object_new_int((int)st.policies[0]));
	json_object_object_add(pol, "ipv6",
			       json_object_new_int((int)st.policies[1]));
	json_object_object_add(obj, "policies", pol);
}

static const char *const owner_keys[] = { NULL };

const struct function firewall_function = {
	.name = "firewall",
	.section = &firewall_section,
	.owner_keys = owner_keys,
	.unguarded = true,
	.desire = desire,
	.dump = dump,
	.owned = owned,
	.plan = plan,
	.apply = apply,
	.free_want = free_want,
	.free_have = free_have,
	.free_plan = free_plan,
	.cleanup = cleanup,
	.status = status,
};
