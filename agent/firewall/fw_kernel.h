/*
 * fw_kernel.h - the firewall's kernel I/O (fw_kernel.c).
 */
#ifndef SNAPNET_FW_KERNEL_H
#define SNAPNET_FW_KERNEL_H

#include "firewall/fw.h"

struct pass;
struct fw_plan;

struct fw_kopts {
	enum rules_backend backend; /* resolved: nft or legacy */
	const char *bindir;	    /* the tools' directory; NULL: the usual */
	/* fw_dump: detection's save texts of this instant, used instead of
	 * running the save tool where they exist (NULL: none) */
	const struct rules_saves *saves;
	/* per family, the FW_NEED_* features probed so far and which of
	 * them the kernel has; one not probed yet counts as present (it is
	 * probed only when a restore fails: nothing to pay when it works) */
	unsigned known[FAM_COUNT], have[FAM_COUNT];
};

/* The features of family i as far as they are known. */
static inline unsigned fw_kopts_feats(const struct fw_kopts *ko, int i)
{
	return ko->have[i] | (FW_NEED_ALL & ~ko->known[i]);
}

/* Both families' chains and jumps (a family that cannot be dumped is
 * marked, not fatal) and every set of ours. */
int fw_dump(const struct fw_kopts *ko, struct fw_have **out, char *err,
	    size_t errlen);
/* Runs the plan; pass_done()/pass_op_failed() per operation. *clean
 * tells whether every operation worked (then the kernel holds exactly
 * the desire). h may be NULL only when nothing is owned. When a family's
 * restore fails, the features its rules need and ko does not know yet
 * are probed (ko learns them); rules needing a missing one are left out,
 * reported, and the restore is tried again. */
void fw_apply(struct pass *p, struct fw_kopts *ko, struct fw_desire *d,
	      const struct fw_have *h, struct fw_plan *pl, bool *clean);

/* Removes every chain, jump and set of ours in both families, in both
 * backends (a leftover of an earlier backend choice is ours too). */
int fw_kernel_cleanup(struct pass *p);
/* Only the chains and jumps of one backend, both families. */
void fw_kernel_cleanup_backend(struct pass *p, enum rules_backend be);

#endif
