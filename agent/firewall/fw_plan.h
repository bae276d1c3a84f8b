/*
 * fw_plan.h - the firewall's plan: what to do to sets, chains and
 * sysctls, per family, in the order apply runs it.
 */
#ifndef SNAPNET_FW_PLAN_H
#define SNAPNET_FW_PLAN_H

#include "firewall/fw.h"
#include "firewall/fw_kernel.h"

enum fw_op_kind {
	FW_SYSCTL,	 /* bridge-nf-call-{ip,ip6}tables = 1 */
	FW_SET_CREATE,	 /* a new set, filled */
	FW_SET_UPDATE,	 /* single deletes, then adds */
	FW_SET_REPLACE,	 /* temporary + swap */
	FW_CHAIN_NEW,	 /* the restore text carries every chain and jump */
	FW_CHAIN_WRITE,	 /* an existing chain rewritten */
	FW_CHAIN_DEL,
	FW_JUMP_ADD,
	FW_JUMP_DEL,
	FW_SET_DESTROY,	 /* after the restore: no rule refers to it now */
};

struct fw_op {
	enum fw_op_kind kind;
	int family;
	char name[SETS_NAME_MAX + 1]; /* set or chain (or "FROM>TO") */
	const struct fw_set *want;    /* creates, updates, replaces */
	struct sets_member *add, *del;
	size_t n_add, n_del;
	char line[256];
};

struct fw_fplan {
	bool skip; /* the family could not be dumped: nothing is done */
	/* the rules that go to the kernel (rules needing a feature the
	 * kernel lacks dropped: FW_NEED_*) */
	struct rules_chain *chains;
	const char ***rules; /* per chain, its kept rules */
	size_t n_chains;
	struct rules_jump jumps[2];
	struct rules_table table;
	struct rules_want want;
	struct rules_text text; /* the restore input; empty: nothing */
	unsigned dropped; /* FW_NEED_* of the rules left out */
};

struct fw_plan {
	struct fw_op *ops;
	size_t n_ops, cap_ops;
	struct fw_fplan fam[FAM_COUNT];
	unsigned owned;
};

/* Pure. have NULL: an empty kernel (offline plan). Notes of the plan
 * (features the kernel lacks) are added to d. */
int fw_plan_build(struct fw_desire *d, const struct fw_have *have,
		  struct fw_plan **out, char *err, size_t errlen);
void fw_plan_free(struct fw_plan *p);
/* Builds the rules desire of family i from d, leaving out every rule
 * that names one of the sets in `failed` (n_failed names): a policy
 * whose set could not be made keeps isolating, it never widens. */
int fw_plan_rules(const struct fw_desire *d, int i, unsigned feats,
		  const char *const *failed, size_t n_failed,
		  struct fw_fplan *fp);
void fw_fplan_free(struct fw_fplan *fp);
/* The notes for rules of family f left out for lacking features. */
void fw_note_dropped(struct fw_desire *d, const struct fw_family *f,
		     unsigned dropped);
/* Objects (chains and sets) in have. */
unsigned fw_have_owned(const struct fw_have *h);

/* A have is shared by the cache and the pass that plans against it. */
struct fw_have *fw_have_ref(struct fw_have *h);
void fw_have_unref(struct fw_have *h);
/* What the kernel holds after a clean apply of d with plan pl: the
 * desire as a dump (the cache of the next pass). -EAGAIN when a family
 * was skipped (its state is not known). */
int fw_have_of(const struct fw_desire *d, const struct fw_plan *pl,
	       const struct fw_kopts *ko, struct fw_have **out);

#endif
