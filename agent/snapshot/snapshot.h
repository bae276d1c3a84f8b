/*
 * snapshot.h - loads a kubectl `List` JSON file into struct snapshot.
 *
 * The loader never builds a json-c tree: a validating scanner walks the
 * document and the kinds of the model (docs/model.md) are read straight
 * off its tokens, one item at a time.
 * A snapshot is validated whole or rejected whole; errors name the file,
 * the item (index and kind/namespace/name when known) and the field.
 */
#ifndef SNAPNET_SNAPSHOT_H
#define SNAPNET_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "snapshot/model.h"

struct snap_limits {
	size_t max_bytes;      /* file size */
	size_t max_items;      /* entries of `items` */
	size_t max_nodes;      /* Node items */
	size_t max_item_bytes; /* one item's JSON text */
};

void snapshot_limits_default(struct snap_limits *l);

/* Loads and validates `path`. On success *out owns a new snapshot and 0 is
 * returned. If `prev` is given and the file's bytes hash to prev->hash
 * (and its size is prev->size), returns 1 and leaves *out NULL: nothing
 * changed. On error returns a negative errno (-EINVAL bad content or
 * syntax, -EFBIG file or item over its limit (a Node item over 1 MiB),
 * -E2BIG too many items or nodes, -EAGAIN the file was truncated or
 * rewritten in place while being read, -ENOENT..., -ENOMEM), leaves *out
 * NULL and writes one line to err:
 *   "FILE: items[I] Node/NAME: FIELD: what"   (content; FIELD is a JSON
 *                                              path such as spec.podCIDRs[1])
 *   "FILE: items[I]: kind: what"               (an item without a kind)
 *   "FILE: items: what", "FILE: kind: what"    (the List envelope)
 *   "FILE: line L, offset O: what"             (syntax; a syntax error
 *                                              anywhere outranks content)
 *   "FILE: changed while loading (truncated by a writer?); keeping the
 *    last good snapshot"                       (-EAGAIN: retry later)
 * A SIGBUS handler is installed for the duration of the call (and the
 * previous action restored): one load at a time per process.
 * `lim` may be NULL for the defaults. */
int snapshot_load(const char *path, const struct snap_limits *lim,
		  const struct snapshot *prev, struct snapshot **out, char *err,
		  size_t errlen);

/* Same, from memory (unit tests); `name` stands for the file name. */
int snapshot_parse(const char *buf, size_t len, const char *name,
		   const struct snap_limits *lim, struct snapshot **out,
		   char *err, size_t errlen);
/* The same, reusing prev's records for unchanged items (no whole-file
 * hash shortcut). */
int snapshot_parse_prev(const char *buf, size_t len, const char *name,
			const struct snap_limits *lim,
			const struct snapshot *prev, struct snapshot **out,
			char *err, size_t errlen);

/* Lookups (binary searches over the sorted arrays); NULL when absent. */
const struct node *snapshot_find_node(const struct snapshot *s,
				      const char *name);
const struct namespace *snapshot_find_namespace(const struct snapshot *s,
						const char *name);
const struct service *snapshot_find_service(const struct snapshot *s,
					    const char *ns, const char *name);
/* Ranges: s->pods[span] of namespace ns; s->pods_by_node[span] on node
 * (NULL: unscheduled pods); s->slices_by_svc[span] of service ns/svc;
 * s->policies[span] of namespace ns. */
struct span snapshot_pods_in(const struct snapshot *s, const char *ns);
struct span snapshot_pods_on(const struct snapshot *s, const char *node);
struct span snapshot_slices_of(const struct snapshot *s, const char *ns,
			       const char *svc);
struct span snapshot_policies_in(const struct snapshot *s, const char *ns);

/* A stable text form of the model (snapnet validate --dump): one line
 * per object and field, sorted, so two snapshots of one cluster (a full
 * kubectl dump and a slim one) compare equal with diff. */
int snapshot_dump(const struct snapshot *s, FILE *out);

void snapshot_free(struct snapshot *s);

#endif
