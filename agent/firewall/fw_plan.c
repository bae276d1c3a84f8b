/*
 * fw_plan.c - pure: the firewall's desire and what the kernel holds ->
 * the operations of one pass, per family.
 *
 * Order (apply keeps it): the bridge sysctl; sets created and updated
 * (so every rule finds its sets); the chains and jumps in one
 * iptables-restore per family (atomic for packets); then the sets no
 * rule names any more are destroyed. The families never share an
 * operation: one that cannot be dumped or written leaves the other one
 * alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firewall/fw_int.h"
#include "firewall/fw_kernel.h"
#include "firewall/fw_plan.h"

static const char *tool(int family)
{
	return family == AF_INET6 ? "ip6tables" : "iptables";
}

static struct fw_op *op_new(struct fw_plan *p, enum fw_op_kind kind,
			    int family, const char *name)
{
	struct fw_op *op;

	if (array_grow(&p->ops, &p->cap_ops, p->n_ops + 1, sizeof(*p->ops)) <
	    0)
		return NULL;
	op = &p->ops[p->n_ops++];
	*op = (struct fw_op){ .kind = kind, .family = family };
	snprintf(op->name, sizeof(op->name), "%s", name);
	return op;
}

/* --- rules ---------------------------------------------------------- */

static bool names_failed(const char *rule, const char *const *failed,
			 size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *at = strstr(rule, failed[i]);
		size_t k = strlen(failed[i]);

		if (at && at > rule && at[-1] == ' ' &&
		    (at[k] == ' ' || at[k] == '\0'))
			return true;
	}
	return false;
}

void fw_fplan_free(struct fw_fplan *fp)
{
	for (size_t i = 0; i < fp->n_chains; i++)
		free(fp->rules[i]);
	free(fp->rules);
	free(fp->chains);
	rules_text_free(&fp->text);
	*fp = (struct fw_fplan){ 0 };
}

int fw_plan_rules(const struct fw_desire *d, int i, unsigned feats,
		  const char *const *failed, size_t n_failed,
		  struct fw_fplan *fp)
{
	const struct fw_family *f = &d->fam[i];
	size_t nj = 0;

	fp->chains = calloc(f->n_chains + 1, sizeof(*fp->chains));
	fp->rules = calloc(f->n_chains + 1, sizeof(*fp->rules));
	if (!fp->chains || !fp->rules)
		return -ENOMEM;
	fp->n_chains = f->wanted ? f->n_chains : 0;
	for (size_t c = 0; c < fp->n_chains; c++) {
		const struct fw_chain *ch = &f->chains[c];
		size_t n = 0;

		fp->rules[c] = calloc(ch->n + 1, sizeof(**fp->rules));
		if (!fp->rules[c])
			return -ENOMEM;
		for (size_t r = 0; r < ch->n; r++) {
			if (ch->needs[r] & ~feats) {
				fp->dropped |= ch->needs[r] & ~feats;
				continue;
			}
			if (names_failed(ch->rules[r], failed, n_failed))
				continue;
			fp->rules[c][n++] = ch->rules[r];
		}
		fp->chains[c] = (struct rules_chain){ ch->name, fp->rules[c],
						      n };
		if (!strcmp(ch->name, FW_CHAIN_FORWARD))
			fp->jumps[nj++] = (struct rules_jump){
				"FORWARD", FW_CHAIN_FORWARD, true
			};
		else if (!strcmp(ch->name, FW_CHAIN_INPUT))
			fp->jumps[nj++] = (struct rules_jump){
				"INPUT", FW_CHAIN_INPUT, true
			};
	}
	fp->table = (struct rules_table){ "filter", fp->chains, fp->n_chains,
					  fp->jumps, nj };
	fp->want = (struct rules_want){ fam_of_index(i), FW_CHAIN_PREFIX,
					FW_JUMP_COMMENT, &fp->table, 1 };
	return 0;
}

static const struct rules_dchain *dchain(const struct rules_dtable *t,
					 const char *name)
{
	for (size_t i = 0; t && i < t->n_chains; i++)
		if (!strcmp(t->chains[i].name, name))
			return &t->chains[i];
	return NULL;
}

static bool same_rules(const struct rules_chain *w,
		       const struct rules_dchain *h)
{
	if (w->n_rules != h->n_rules)
		return false;
	for (size_t i = 0; i < w->n_rules; i++)
		if (strcmp(w->rules[i], h->rules[i]))
			return false;
	return true;
}

static const struct netpol *chain_policy(const struct fw_family *f,
					 const char *name)
{
	for (size_t i = 0; i < f->n_chains; i++)
		if (!strcmp(f->chains[i].name, name))
			return f->chains[i].np;
	return NULL;
}

static int plan_chains(struct fw_plan *p, const struct fw_family *f,
		       const struct fw_fplan *fp, const struct rules_dtable *t)
{
	const char *tl = tool(f->family);

	for (size_t i = 0; i < fp->n_chains; i++) {
		const struct rules_chain *w = &fp->chains[i];
		const struct rules_dchain *h = dchain(t, w->name);
		const struct netpol *np = chain_policy(f, w->name);
		struct fw_op *op;

		if (h && same_rules(w, h))
			continue;
		op = op_new(p, h ? FW_CHAIN_WRITE : FW_CHAIN_NEW, f->family,
			    w->name);
		if (!op)
			return -ENOMEM;
		snprintf(op->line, sizeof(op->line),
			 "%s -t filter: %s chain %s (%zu rules)%s%s%s", tl,
			 h ? "rewrite" : "new", w->name, w->n_rules,
			 np ? " # " : "", np ? np->ns : "", np ? "/" : "");
		if (np)
			snprintf(op->line + strlen(op->line),
				 sizeof(op->line) - strlen(op->line), "%s",
				 np->name);
	}
	for (size_t i = 0; t && i < t->n_chains; i++) {
		const struct rules_dchain *h = &t->chains[i];
		bool wanted = false;
		struct fw_op *op;

		if (!h->ours)
			continue;
		for (size_t j = 0; j < fp->n_chains && !wanted; j++)
			wanted = !strcmp(fp->chains[j].name, h->name);
		if (wanted)
			continue;
		if (!(op = op_new(p, FW_CHAIN_DEL, f->family, h->name)))
			return -ENOMEM;
		snprintf(op->line, sizeof(op->line),
			 "%s -t filter: delete chain %s", tl, h->name);
	}
	return 0;
}

/* The text of a wanted jump as iptables-save prints it. */
static void jump_text(const struct rules_jump *j, char *buf, size_t len)
{
	snprintf(buf, len, "-m comment --comment %s -j %s", FW_JUMP_COMMENT,
		 j->to);
}

static int plan_jumps(struct fw_plan *p, int family,
		      const struct fw_fplan *fp, const struct rules_dtable *t)
{
	char want[128];
	struct fw_op *op;

	for (size_t j = 0; j < fp->table.n_jumps; j++) {
		const struct rules_jump *jp = &fp->jumps[j];
		const struct rules_dchain *h = dchain(t, jp->from);
		size_t n = 0;

		jump_text(jp, want, sizeof(want));
		for (size_t r = 0; h && r < h->n_rules; r++)
			n += !strcmp(h->rules[r], want);
		if (n == 1)
			continue;
		if (!(op = op_new(p, FW_JUMP_ADD, family, jp->to)))
			return -ENOMEM;
		snprintf(op->line, sizeof(op->line),
			 "%s -t filter: %s jump %s -> %s", tool(family),
			 n ? "undouble" : "insert", jp->from, jp->to);
	}
	for (size_t i = 0; t && i < t->n_chains; i++) {
		const struct rules_dchain *h = &t->chains[i];

		for (size_t r = 0; h->builtin && r < h->n_rules; r++) {
			bool wanted = false;

			for (size_t j = 0; j < fp->table.n_jumps; j++) {
				jump_text(&fp->jumps[j], want, sizeof(want));
				wanted |= !strcmp(fp->jumps[j].from, h->name) &&
					  !strcmp(h->rules[r], want);
			}
			if (wanted)
				continue;
			if (!(op = op_new(p, FW_JUMP_DEL, family, h->name)))
				return -ENOMEM;
			snprintf(op->line, sizeof(op->line),
				 "%s -t filter: delete rule %s %s",
				 tool(family), h->name, h->rules[r]);
		}
	}
	return 0;
}

/* --- sets ----------------------------------------------------------- */

static const struct fw_set *have_set(const struct fw_khave *h,
				     const char *name)
{
	for (size_t i = 0; h && i < h->n_sets; i++)
		if (!strcmp(h->sets[i].name, name))
			return &h->sets[i];
	return NULL;
}

static int plan_set(struct fw_plan *p, int family, const struct fw_set *w,
		    const struct fw_set *h)
{
	struct sets_member *add = NULL, *del = NULL;
	size_t n_add = 0, n_del = 0, small;
	struct fw_op *op;

	if (h && h->type == w->type) {
		if (sets_diff(w->m, w->n, h->m, h->n, &del, &n_del, &add,
			      &n_add) < 0)
			return -ENOMEM;
		if (!n_add && !n_del) {
			free(add);
			free(del);
			return 0;
		}
	}
	small = w->n / 16 > 64 ? w->n / 16 : 64;
	op = op_new(p,
		    !h		      ? FW_SET_CREATE
		    : h->type != w->type || n_add + n_del > small
			? FW_SET_REPLACE
			: FW_SET_UPDATE,
		    family, w->name);
	if (!op) {
		free(add);
		free(del);
		return -ENOMEM;
	}
	op->want = w;
	if (op->kind == FW_SET_UPDATE) {
		op->add = add, op->n_add = n_add;
		op->del = del, op->n_del = n_del;
		snprintf(op->line, sizeof(op->line),
			 "ipset update %s %s (+%zu -%zu)", w->name,
			 sets_type_name(w->type), n_add, n_del);
		return 0;
	}
	free(add);
	free(del);
	snprintf(op->line, sizeof(op->line), "ipset %s %s %s (%zu members)",
		 op->kind == FW_SET_CREATE ? "create" : "replace", w->name,
		 sets_type_name(w->type), w->n);
	return 0;
}

static int plan_sets(struct fw_plan *p, const struct fw_family *f,
		     const struct fw_khave *h)
{
	int e;

	for (size_t i = 0; f->wanted && i < f->n_sets; i++)
		if ((e = plan_set(p, f->family, &f->sets[i],
				  have_set(h, f->sets[i].name))) < 0)
			return e;
	return 0;
}

static int plan_destroys(struct fw_plan *p, const struct fw_family *f,
			 const struct fw_khave *h)
{
	struct fw_op *op;

	for (size_t i = 0; h && i < h->n_sets; i++) {
		if (f->wanted && fw_family_set(f, h->sets[i].name))
			continue;
		if (!(op = op_new(p, FW_SET_DESTROY, f->family,
				  h->sets[i].name)))
			return -ENOMEM;
		snprintf(op->line, sizeof(op->line), "ipset destroy %s",
			 h->sets[i].name);
	}
	for (size_t i = 0; h && i < h->n_temps; i++) {
		if (!(op = op_new(p, FW_SET_DESTROY, f->family, h->temps[i])))
			return -ENOMEM;
		snprintf(op->line, sizeof(op->line),
			 "ipset destroy %s (a temporary left behind)",
			 h->temps[i]);
	}
	return 0;
}

/* --- the whole plan ---------------------------------------------- */

void fw_note_dropped(struct fw_desire *d, const struct fw_family *f,
		     unsigned dropped)
{
	if (dropped & FW_NEED_NFLOG)
		fw_note(d,
			"this kernel's iptables has no NFLOG target or limit "
			"match; denied packets are rejected, not logged",
			"%s log rules", fam_name(f->family));
	if (!(dropped & FW_NEED_SCTP))
		return;
	for (size_t c = 0; c < f->n_chains; c++) {
		const struct fw_chain *ch = &f->chains[c];
		bool any = false;

		for (size_t r = 0; r < ch->n; r++)
			any |= (ch->needs[r] & FW_NEED_SCTP) != 0;
		if (any && ch->np)
			fw_note(d,
				"this kernel's iptables cannot match SCTP "
				"ports; the policy still isolates its pods, "
				"its SCTP ports stay closed",
				"%s/%s: %s SCTP port rules", ch->np->ns,
				ch->np->name, fam_name(f->family));
	}
}

static int plan_family(struct fw_plan *p, struct fw_desire *d, int i,
		       const struct fw_khave *h, char *err, size_t errlen)
{
	const struct fw_family *f = &d->fam[i];
	struct fw_fplan *fp = &p->fam[i];
	const struct rules_dtable *t;
	struct rules_stats st;
	struct fw_op *op;
	int e;

	if (h && !h->ok) {
		fp->skip = true;
		return 0;
	}
	e = fw_plan_rules(d, i, h ? h->feats : FW_NEED_ALL, NULL, 0, fp);
	if (!e)
		e = rules_plan(&fp->want, h ? h->rules : NULL, &fp->text, &st,
			       err, errlen);
	if (e)
		return e;
	if (fp->dropped)
		fw_note_dropped(d, f, fp->dropped);
	t = h ? rules_dump_table(h->rules, "filter") : NULL;
	if (f->wanted && f->n_chains && (!h || h->bridge_nf != 1)) {
		if (!(op = op_new(p, FW_SYSCTL, f->family, "")))
			return -ENOMEM;
		snprintf(op->line, sizeof(op->line),
			 "sysctl net.bridge.bridge-nf-call-%s = 1",
			 tool(f->family));
	}
	if ((e = plan_sets(p, f, h)) < 0 || (e = plan_chains(p, f, fp, t)) < 0 ||
	    (e = plan_jumps(p, f->family, fp, t)) < 0)
		return e;
	return plan_destroys(p, f, h);
}

unsigned fw_have_owned(const struct fw_have *h)
{
	unsigned n = 0;

	for (int i = 0; h && i < FAM_COUNT; i++) {
		const struct rules_dtable *t =
		    rules_dump_table(h->fam[i].rules, "filter");

		n += (unsigned)(h->fam[i].n_sets + h->fam[i].n_temps);
		for (size_t c = 0; t && c < t->n_chains; c++)
			n += t->chains[c].ours;
	}
	return n;
}

int fw_plan_build(struct fw_desire *d, const struct fw_have *have,
		  struct fw_plan **out, char *err, size_t errlen)
{
	struct fw_plan *p = calloc(1, sizeof(*p));
	int e = 0;

	if (!p)
		return -ENOMEM;
	for (int i = 0; !e && i < FAM_COUNT; i++)
		e = plan_family(p, d, i, have ? &have->fam[i] : NULL, err,
				errlen);
	if (e) {
		fw_plan_free(p);
		return e;
	}
	p->owned = fw_have_owned(have);
	*out = p;
	return 0;
}

void fw_plan_free(struct fw_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_ops; i++) {
		free(p->ops[i].add);
		free(p->ops[i].del);
	}
	free(p->ops);
	for (int i = 0; i < FAM_COUNT; i++)
		fw_fplan_free(&p->fam[i]);
	free(p);
}

/* --- have ------------------------------------------------------------ */

static void khave_fini(struct fw_khave *k)
{
	rules_dump_free(k->rules);
	for (size_t i = 0; i < k->n_sets; i++)
		free(k->sets[i].m);
	free(k->sets);
	for (size_t i = 0; i < k->n_temps; i++)
		free(k->temps[i]);
	free(k->temps);
	*k = (struct fw_khave){ 0 };
}

struct fw_have *fw_have_ref(struct fw_have *h)
{
	if (h)
		h->refs++;
	return h;
}

void fw_have_unref(struct fw_have *h)
{
	if (!h || --h->refs)
		return;
	for (int i = 0; i < FAM_COUNT; i++)
		khave_fini(&h->fam[i]);
	free(h);
}

/* --- the cache of what a clean apply wrote ----------------------- */

static int save_text(const struct fw_fplan *fp, struct fw_buf *b)
{
	const struct rules_table *t = &fp->table;
	int e = fw_buf_printf(b, "*filter\n:INPUT ACCEPT [0:0]\n"
				 ":FORWARD ACCEPT [0:0]\n"
				 ":OUTPUT ACCEPT [0:0]\n");

	for (size_t c = 0; !e && c < t->n_chains; c++)
		e = fw_buf_printf(b, ":%s - [0:0]\n", t->chains[c].name);
	for (size_t j = 0; !e && j < t->n_jumps; j++)
		e = fw_buf_printf(b, "-A %s -m comment --comment %s -j %s\n",
				  t->jumps[j].from, FW_JUMP_COMMENT,
				  t->jumps[j].to);
	for (size_t c = 0; !e && c < t->n_chains; c++)
		for (size_t r = 0; !e && r < t->chains[c].n_rules; r++)
			e = fw_buf_printf(b, "-A %s %s\n", t->chains[c].name,
					  t->chains[c].rules[r]);
	if (!e)
		e = fw_buf_printf(b, "COMMIT\n");
	return e;
}

static int copy_sets(const struct fw_family *f, struct fw_khave *k)
{
	if (!f->wanted || !f->n_sets)
		return 0;
	k->sets = calloc(f->n_sets, sizeof(*k->sets));
	if (!k->sets)
		return -ENOMEM;
	for (size_t i = 0; i < f->n_sets; i++) {
		struct fw_set *s = &k->sets[i];

		*s = f->sets[i];
		s->cap = s->n;
		s->m = s->n ? malloc(s->n * sizeof(*s->m)) : NULL;
		if (s->n && !s->m)
			return -ENOMEM;
		if (s->n)
			memcpy(s->m, f->sets[i].m, s->n * sizeof(*s->m));
		k->n_sets++;
	}
	return 0;
}

int fw_have_of(const struct fw_desire *d, const struct fw_plan *pl,
	       const struct fw_kopts *ko, struct fw_have **out)
{
	struct fw_have *h = calloc(1, sizeof(*h));
	char err[ERRLEN];
	int e = 0;

	if (!h)
		return -ENOMEM;
	h->refs = 1;
	h->cached = true;
	h->backend = ko->backend;
	for (int i = 0; !e && i < FAM_COUNT; i++) {
		struct fw_khave *k = &h->fam[i];
		struct fw_buf b = { 0 };

		if (pl->fam[i].skip) {
			e = -EAGAIN; /* that family's state is not known */
			break;
		}
		e = save_text(&pl->fam[i], &b);
		if (!e)
			e = rules_dump_parse(b.s, b.len, FW_CHAIN_PREFIX,
					     &k->rules, err, sizeof(err));
		fw_buf_free(&b);
		if (!e)
			e = copy_sets(&d->fam[i], k);
		k->ok = true;
		k->bridge_nf = d->fam[i].n_chains ? 1 : -1;
		k->feats = fw_kopts_feats(ko, i);
	}
	if (e) {
		fw_have_unref(h);
		return e;
	}
	*out = h;
	return 0;
}

