/*
 * fw_kernel.c - the firewall's kernel I/O: dump what it owns (chains and
 * jumps through lib/rules, sets through lib/sets, the bridge sysctls),
 * apply a plan, remove everything.
 *
 * Each family is dumped and written on its own: an error in one is
 * that family's, reported with its operations, and the other family goes
 * on. A set that cannot be made takes the rules that name it out of the
 * restore (its policy keeps isolating, never widens); a set every
 * isolated pod depends on (isoin, isoout, known) takes the family's
 * whole restore: the chains stay as they were.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pass.h"
#include "firewall/fw_int.h"
#include "firewall/fw_kernel.h"
#include "firewall/fw_plan.h"

#define BRIDGE_NF_V4 "/proc/sys/net/bridge/bridge-nf-call-iptables"
#define BRIDGE_NF_V6 "/proc/sys/net/bridge/bridge-nf-call-ip6tables"
#define PROBE_CHAIN FW_CHAIN_PREFIX "PROBE"

static const char *bridge_nf_path(int family)
{
	return family == AF_INET6 ? BRIDGE_NF_V6 : BRIDGE_NF_V4;
}

static int bridge_nf_set(int family, char *err, size_t errlen)
{
	int e = sysctl_set(bridge_nf_path(family), 1, err, errlen);

	if (e == -ENOENT)
		snprintf(err + strlen(err), errlen - strlen(err),
			 " (br_netfilter not loaded: modprobe br_netfilter)");
	return e;
}

static int cmp_set(const void *a, const void *b)
{
	return strcmp(((const struct fw_set *)a)->name,
		      ((const struct fw_set *)b)->name);
}

static int keep_set(struct fw_khave *k, const struct sets_info *in,
		    struct sets_member *m, size_t n)
{
	size_t cap = k->n_sets;
	struct fw_set *s;

	if (array_grow(&k->sets, &cap, k->n_sets + 1, sizeof(*k->sets)) < 0)
		return -ENOMEM;
	s = &k->sets[k->n_sets++];
	*s = (struct fw_set){ .type = in->type, .m = m, .n = n, .cap = n };
	memcpy(s->name, in->name, sizeof(s->name));
	return 0;
}

static int keep_temp(struct fw_khave *k, const char *name)
{
	size_t cap = k->n_temps;
	char *dup = strdup(name);

	if (!dup || array_grow(&k->temps, &cap, k->n_temps + 1,
			       sizeof(*k->temps)) < 0) {
		free(dup);
		return -ENOMEM;
	}
	k->temps[k->n_temps++] = dup;
	return 0;
}

/* One set of ours with its members, normalised as a desire's are. */
static int dump_set(struct sets_ctx *ctx, const struct sets_info *in,
		    struct fw_khave *k, char *err, size_t errlen)
{
	struct sets_member *m = NULL, *norm = NULL;
	size_t n = 0, n_norm = 0;
	int e;

	if (in->type == SETS_OTHER)
		return keep_set(k, in, NULL, 0); /* not ours to read: goes */
	e = sets_members(ctx, in->name, &m, &n, err, errlen);
	if (!e)
		e = sets_members_norm(in->type, in->family, m, n, &norm,
				      &n_norm, err, errlen);
	free(m);
	if (!e)
		e = keep_set(k, in, norm, n_norm);
	if (e)
		free(norm);
	return e;
}

static int dump_sets(struct fw_have *h, char *err, size_t errlen)
{
	struct sets_ctx *ctx = NULL;
	struct sets_info *info = NULL;
	size_t n = 0;
	int e;

	e = sets_open(FW_SET_PREFIX, &ctx, err, errlen);
	if (!e)
		e = sets_list(ctx, &info, &n, err, errlen);
	for (size_t i = 0; !e && i < n; i++) {
		int fam = sets_name_family(FW_SET_PREFIX, info[i].name);
		/* a name without a family digit is ours but odd: it goes
		 * with IPv4's stale sets */
		struct fw_khave *k = &h->fam[fam == AF_INET6 ? 1 : 0];

		if (sets_is_temp(info[i].name))
			e = keep_temp(k, info[i].name);
		else
			e = dump_set(ctx, &info[i], k, err, errlen);
	}
	free(info);
	sets_close(ctx);
	for (int i = 0; i < FAM_COUNT; i++)
		if (h->fam[i].n_sets > 1)
			qsort(h->fam[i].sets, h->fam[i].n_sets,
			      sizeof(*h->fam[i].sets), cmp_set);
	return e;
}

/* Has this kernel a feature (FW_NEED_*)? A chain with a rule that needs
 * it, written and removed again (two restores: a legacy kernel checks a
 * match only when a table holding it is committed). */
static bool probe_feature(const struct rules_opts *o, int family,
			  unsigned feat)
{
	static const char del[] = "*filter\n-F " PROBE_CHAIN "\n-X " PROBE_CHAIN
				  "\nCOMMIT\n";
	const char *rule = feat == FW_NEED_SCTP
				   ? "-p sctp -m sctp --dport 9 -j RETURN"
				   : "-m limit --limit 1/sec -j NFLOG "
				     "--nflog-group 9";
	char add[256], err[ERRLEN];
	int n;
	bool ok;

	n = snprintf(add, sizeof(add),
		     "*filter\n:" PROBE_CHAIN " - [0:0]\n-A " PROBE_CHAIN
		     " %s\nCOMMIT\n",
		     rule);
	ok = rules_restore(o, family, add, (size_t)n, err, sizeof(err)) == 0;
	if (ok)
		rules_restore(o, family, del, sizeof(del) - 1, err,
			      sizeof(err));
	return ok;
}

/* The filter table of the family: from detection's save text when the
 * pass has one (the same instant; a save tool run saved), else a save. */
static int dump_filter(const struct fw_kopts *ko, const struct rules_opts *o,
		       int family, struct rules_dump **out, char *err,
		       size_t errlen)
{
	int b = ko->backend == RULES_BACKEND_LEGACY;
	const char *text;
	size_t off, n;

	text = ko->saves ? ko->saves->text[b][fam_index(family)] : NULL;
	if (!text)
		return rules_dump(o, family, "filter", FW_CHAIN_PREFIX, out,
				  err, errlen);
	rules_save_table(text, ko->saves->len[b][fam_index(family)], "filter",
			 &off, &n);
	return rules_dump_parse(text + off, n, FW_CHAIN_PREFIX, out, err,
				errlen);
}

struct dump_job {
	const struct fw_kopts *ko;
	struct fw_khave *k;
	int family, i;
};

static void dump_family(void *arg)
{
	struct dump_job *j = arg;
	struct rules_opts o = { .backend = j->ko->backend,
				.bindir = j->ko->bindir };
	struct fw_khave *k = j->k;

	k->ok = !dump_filter(j->ko, &o, j->family, &k->rules, k->error,
			     sizeof(k->error));
	k->bridge_nf = sysctl_get(bridge_nf_path(j->family));
	k->feats = fw_kopts_feats(j->ko, j->i);
}

int fw_dump(const struct fw_kopts *ko, struct fw_have **out, char *err,
	    size_t errlen)
{
	struct fw_have *h = calloc(1, sizeof(*h));
	struct dump_job jobs[FAM_COUNT];
	void *args[FAM_COUNT];
	int e;

	if (!h)
		return errf(err, errlen, ENOMEM, "out of memory");
	h->refs = 1;
	h->backend = ko->backend;
	for (int i = 0; i < FAM_COUNT; i++) {
		jobs[i] = (struct dump_job){ ko, &h->fam[i], fam_of_index(i), i };
		args[i] = &jobs[i];
	}
	/* the families' save tools wait for their processes: both at once */
	par_run(dump_family, args, FAM_COUNT);
	/* sets are one table for both families; without them no plan can
	 * be trusted */
	e = dump_sets(h, err, errlen);
	if (e) {
		fw_have_unref(h);
		return e;
	}
	*out = h;
	return 0;
}

/* --- apply ----------------------------------------------------------- */

struct fam_run {
	struct pass *p;
	struct sets_ctx *ctx;
	const struct fw_kopts *ko;
	struct fw_desire *d;
	const struct fw_khave *h;
	struct fw_plan *pl;
	int i, family;
	const char **failed; /* sets that could not be made */
	size_t n_failed;
	bool fixed_failed, rules_ok, clean;
	unsigned probed, missing; /* FW_NEED_* probed by this run, lacking */
	int restore_err;
	char why[ERRLEN];
};

static bool is_fixed(const char *name)
{
	return strstr(name, "-" FW_ROLE_ISO_IN "-") ||
	       strstr(name, "-" FW_ROLE_ISO_OUT "-") ||
	       strstr(name, "-" FW_ROLE_KNOWN "-");
}

static int set_op(struct fam_run *r, const struct fw_op *op, char *err,
		  size_t errlen)
{
	const struct fw_set *w = op->want;
	int e;

	switch (op->kind) {
	case FW_SET_CREATE:
		e = sets_create(r->ctx, w->name, w->type, r->family, w->n, err,
				errlen);
		if (!e && w->n)
			e = sets_add(r->ctx, w->name, w->m, w->n, err, errlen);
		return e;
	case FW_SET_UPDATE:
		e = op->n_del ? sets_del(r->ctx, w->name, op->del, op->n_del,
					 err, errlen)
			      : 0;
		if (!e && op->n_add)
			e = sets_add(r->ctx, w->name, op->add, op->n_add, err,
				     errlen);
		return e;
	default:
		return sets_replace(r->ctx, w->name, w->type, r->family, w->m,
				    w->n, err, errlen);
	}
}

static void phase_sets(struct fam_run *r)
{
	char err[ERRLEN];

	for (size_t i = 0; i < r->pl->n_ops; i++) {
		struct fw_op *op = &r->pl->ops[i];
		int e;

		if (op->family != r->family ||
		    (op->kind != FW_SYSCTL && op->kind != FW_SET_CREATE &&
		     op->kind != FW_SET_UPDATE && op->kind != FW_SET_REPLACE))
			continue;
		e = op->kind == FW_SYSCTL
			? bridge_nf_set(r->family, err, sizeof(err))
			: set_op(r, op, err, sizeof(err));
		if (!e) {
			pass_done(r->p);
			continue;
		}
		pass_op_failed(r->p, op->line, err);
		r->clean = false;
		if (op->kind == FW_SYSCTL)
			continue;
		r->failed[r->n_failed++] = op->name;
		r->fixed_failed |= is_fixed(op->name);
	}
}

static bool rules_op(const struct fw_op *op)
{
	return op->kind == FW_CHAIN_NEW || op->kind == FW_CHAIN_WRITE ||
	       op->kind == FW_CHAIN_DEL || op->kind == FW_JUMP_ADD ||
	       op->kind == FW_JUMP_DEL;
}

static void rules_result(struct fam_run *r, const char *why)
{
	for (size_t i = 0; i < r->pl->n_ops; i++) {
		const struct fw_op *op = &r->pl->ops[i];

		if (op->family != r->family || !rules_op(op))
			continue;
		if (why)
			pass_op_failed(r->p, op->line, why);
		else
			pass_done(r->p);
	}
}

/* The restore text without the rules of failed sets and those needing a
 * feature the kernel lacks. */
static int replan(struct fam_run *r, struct fw_fplan *fp, char *err,
		  size_t errlen)
{
	unsigned feats = r->h ? r->h->feats : FW_NEED_ALL;
	struct rules_stats st;
	int e;

	e = fw_plan_rules(r->d, r->i, feats & ~r->missing, r->failed,
			  r->n_failed, fp);
	if (!e)
		e = rules_plan(&fp->want, r->h ? r->h->rules : NULL, &fp->text,
			       &st, err, errlen);
	return e;
}

/* After a failed restore: probes the features the family's rules need
 * that are not known yet; returns those the kernel lacks. */
static unsigned probe_missing(struct fam_run *r, const struct rules_opts *o)
{
	unsigned want = fw_family_needs(&r->d->fam[r->i]) &
			~r->ko->known[r->i];

	for (unsigned f = 1; f & FW_NEED_ALL; f <<= 1)
		if (want & f && !probe_feature(o, r->family, f))
			r->missing |= f;
	r->probed = want;
	return r->missing;
}

/* The restore of one family; no reporting here (it runs in a thread of
 * its own, next to the other family's). */
static void restore_family(void *arg)
{
	struct fam_run *r = arg;
	struct rules_opts o = { .backend = r->ko->backend,
				.bindir = r->ko->bindir };
	struct fw_fplan again = { 0 }, *fp = &r->pl->fam[r->i];

	r->restore_err = 0;
	if (r->fixed_failed)
		return;
	if (r->n_failed) {
		r->restore_err = replan(r, &again, r->why, sizeof(r->why));
		fp = &again;
	}
	if (!r->restore_err && fp->text.len)
		r->restore_err = rules_restore(&o, r->family, fp->text.s,
					       fp->text.len, r->why,
					       sizeof(r->why));
	if (r->restore_err && probe_missing(r, &o)) {
		fw_fplan_free(&again);
		r->restore_err = replan(r, &again, r->why, sizeof(r->why));
		if (!r->restore_err && again.text.len)
			r->restore_err = rules_restore(&o, r->family,
						       again.text.s,
						       again.text.len, r->why,
						       sizeof(r->why));
		/* the plan's text is not what the kernel got: no cache */
		r->clean = false;
	}
	fw_fplan_free(&again);
}

static void rules_report(struct fam_run *r)
{
	r->rules_ok = false;
	if (r->fixed_failed) {
		rules_result(r, "not written: a set every isolated pod "
				"depends on could not be made");
		r->clean = false;
	} else if (r->restore_err) {
		rules_result(r, r->why);
		r->clean = false;
	} else {
		rules_result(r, NULL);
		r->rules_ok = true;
	}
}

static void phase_destroys(struct fam_run *r)
{
	char err[ERRLEN];

	for (size_t i = 0; i < r->pl->n_ops; i++) {
		const struct fw_op *op = &r->pl->ops[i];
		int e;

		if (op->family != r->family || op->kind != FW_SET_DESTROY)
			continue;
		if (!r->rules_ok) {
			pass_op_failed(r->p, op->line,
				       "kept: the rules that may name it "
				       "were not rewritten");
			r->clean = false;
			continue;
		}
		e = sets_destroy(r->ctx, op->name, err, sizeof(err));
		if (!e) {
			pass_done(r->p);
			continue;
		}
		pass_op_failed(r->p, op->line,
			       e == -EBUSY ? "in use by a rule outside "
					     "snapnet's chains; left alone"
					   : err);
		r->clean = false;
	}
}

/* What a family's run probed: into ko, and reported once here. */
static void learn(struct fam_run *r, struct fw_kopts *ko)
{
	size_t notes = r->d->n_notes;

	ko->known[r->i] |= r->probed;
	ko->have[r->i] = (ko->have[r->i] & ~r->probed) |
			 (r->probed & ~r->missing);
	if (!r->missing)
		return;
	fw_note_dropped(r->d, &r->d->fam[r->i], r->missing);
	for (size_t i = notes; i < r->d->n_notes; i++)
		pass_report(r->p, r->d->notes[i].line, r->d->notes[i].why);
	r->d->n_notes = notes;
}

void fw_apply(struct pass *p, struct fw_kopts *ko, struct fw_desire *d,
	      const struct fw_have *h, struct fw_plan *pl, bool *clean)
{
	struct fam_run run[FAM_COUNT];
	void *args[FAM_COUNT];
	struct sets_ctx *ctx = NULL;
	char err[ERRLEN];
	size_t n = 0;

	*clean = true;
	if (sets_open(FW_SET_PREFIX, &ctx, err, sizeof(err)) < 0) {
		pass_error(p->r, "ipset: %s", err);
		for (size_t i = 0; i < pl->n_ops; i++)
			pass_op_failed(p, pl->ops[i].line, err);
		*clean = false;
		return;
	}
	for (int i = 0; i < FAM_COUNT; i++) {
		run[i] = (struct fam_run){ .p = p, .ctx = ctx, .ko = ko, .d = d,
					   .h = h ? &h->fam[i] : NULL, .pl = pl,
					   .i = i, .family = fam_of_index(i),
					   .clean = true };
		run[i].failed = calloc(pl->n_ops + 1, sizeof(*run[i].failed));
		if (!run[i].failed)
			pl->fam[i].skip = true, *clean = false;
		if (!pl->fam[i].skip) {
			phase_sets(&run[i]);
			args[n++] = &run[i];
		}
	}
	par_run(restore_family, args, n);
	for (int i = 0; i < FAM_COUNT; i++) {
		if (!pl->fam[i].skip) {
			learn(&run[i], ko);
			rules_report(&run[i]);
			phase_destroys(&run[i]);
			*clean &= run[i].clean;
		}
		free(run[i].failed);
	}
	sets_close(ctx);
}

/* --- cleanup ------------------------------------------------------ */

static void cleanup_rules(struct pass *p, enum rules_backend be, int family)
{
	const struct firewall_config *c = p->fcfg;
	struct rules_opts o = { .backend = be,
				.bindir = c && *c->iptables_dir
						  ? c->iptables_dir
						  : NULL };
	struct rules_stats st = { 0 };
	char err[ERRLEN], line[160];
	int e;

	e = rules_cleanup(&o, family, FW_CHAIN_PREFIX, &st, err, sizeof(err));
	snprintf(line, sizeof(line),
		 "%s (%s): delete %u chains and %u jumps of " FW_CHAIN_PREFIX
		 "*",
		 family == AF_INET6 ? "ip6tables" : "iptables",
		 rules_backend_name(be), st.chains_deleted + st.chains_kept,
		 st.jumps_deleted);
	if (e == -ENOENT)
		return; /* that backend's tools are not here: nothing of ours */
	p->r->owned += st.chains_deleted + st.chains_kept;
	if (!st.chains_deleted && !st.chains_kept && !st.jumps_deleted && !e)
		return;
	pass_op(p, OP_DEL, line);
	if (e)
		pass_op_failed(p, line, err);
	else
		pass_done(p);
}

void fw_kernel_cleanup_backend(struct pass *p, enum rules_backend be)
{
	for (int i = 0; i < FAM_COUNT; i++)
		cleanup_rules(p, be, fam_of_index(i));
}

int fw_kernel_cleanup(struct pass *p)
{
	struct sets_ctx *ctx = NULL;
	char err[ERRLEN], line[96];
	size_t destroyed = 0;
	int e;

	fw_kernel_cleanup_backend(p, RULES_BACKEND_NFT);
	fw_kernel_cleanup_backend(p, RULES_BACKEND_LEGACY);
	e = sets_open(FW_SET_PREFIX, &ctx, err, sizeof(err));
	if (!e)
		e = sets_cleanup(ctx, &destroyed, err, sizeof(err));
	sets_close(ctx);
	p->r->owned += (unsigned)destroyed;
	snprintf(line, sizeof(line), "ipset destroy %zu sets " FW_SET_PREFIX "*",
		 destroyed);
	if (destroyed || e)
		pass_op(p, OP_DEL, line);
	if (e) {
		pass_op_failed(p, line, err);
		return e;
	}
	if (destroyed)
		pass_done(p);
	return 0;
}
