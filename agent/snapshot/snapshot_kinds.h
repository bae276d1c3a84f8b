/*
 * snapshot_kinds.h - the kinds the loader converts, one table entry
 * each (snapshot_node.c, snapshot_pod.c, snapshot_service.c,
 * snapshot_slice.c, snapshot_policy.c). Private to agent/snapshot/.
 *
 * The loader walks an item's top-level members; once it knows the kind
 * it hands each member to that kind's `member` with the scanner at the
 * value, then calls `finish` for the rules that need the whole item.
 * Both get the kind's build state: a zeroed block of build_size bytes
 * whose first member is the record being filled (so everything the
 * conversion allocates hangs off the record, see snapshot_walk.h).
 */
#ifndef SNAPNET_SNAPSHOT_KINDS_H
#define SNAPNET_SNAPSHOT_KINDS_H

#include "snapshot/model.h"
#include "snapshot/snapshot_int.h"
#include "snapshot/snapshot_walk.h"


struct kind_ops {
	const char *name; /* "Node": the JSON kind */
	enum kind kind;
	size_t rec_size, build_size;
	size_t max_count; /* items of this kind in one snapshot */
	size_t max_bytes; /* one item's JSON text */
	int (*init)(struct walk *w, void *build); /* defaults; may be NULL */
	walk_member_fn member;
	int (*finish)(struct walk *w, void *build);
	void (*free_parts)(struct rec *r); /* its arrays, not strings */
};

extern const struct kind_ops kind_namespace, kind_node, kind_pod,
    kind_service, kind_slice, kind_policy;

/* By JSON kind name; NULL for kinds the model does not keep. */
const struct kind_ops *kind_find(const char *name);
const struct kind_ops *kind_of(enum kind k);

/* Frees a record's arrays, strings and itself (refs already 0). */
void kind_rec_free(struct strpool *pool, struct rec *r);

/* The Node rules shared with the cross-node checks. */
const char *snapshot_reserved(const struct prefix *p, struct prefix *range);

/* A label selector at the scanner (snapshot_policy.c); also used by
 * nothing else today but kept with the selector code. */
int walk_selector(struct walk *w, const char *key, struct selector *out);
void selector_free(struct selector *s);

#endif
