/*
 * snapshot.h - loads a kubectl `List` JSON file into struct snapshot.
 *
 * The loader never builds one json-c tree of the whole document: a
 * validating scanner splits `items` into per-item byte ranges and only the
 * kinds a function reads are handed to json-c, one item at a time.
 * A snapshot is validated whole or rejected whole; errors name the file,
 * the item (index and kind/namespace/name when known) and the field.
 */
#ifndef SNAPNET_SNAPSHOT_H
#define SNAPNET_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

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

/* Binary search by name; NULL when absent. */
const struct node *snapshot_find_node(const struct snapshot *s,
				      const char *name);

void snapshot_free(struct snapshot *s);

#endif
