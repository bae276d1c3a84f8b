/*
 * snapshot_int.h - shared between the loader's own files (snapshot.c walks
 * the document, snapshot_node.c turns Node items into struct node,
 * snapshot_check.c holds the rules across nodes, snapshot_guard.c turns a
 * SIGBUS on the mapping into an error). Not for other modules: they use
 * snapshot.h. Unit tests use the seams at the end.
 */
#ifndef SNAPNET_SNAPSHOT_INT_H
#define SNAPNET_SNAPSHOT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot/model.h"
#include "snapshot/snapshot.h"

struct json_tokener;

#define SNAP_MAX_ADDRESSES 64 /* entries of status.addresses */

/* A Node being collected, with what error messages need to name it. */
struct snap_entry {
	struct node node;
	size_t item;	    /* index in `items` */
	bool cidr_fallback; /* pod CIDR came from spec.podCIDR */
};

/* The nodes of a snapshot under construction. Everything the loader
 * allocates while it reads the mapping hangs off this struct (or the
 * struct load around it), so an abandoned load can be freed whole. */
struct snap_build {
	const char *name; /* file name for messages */
	struct snap_entry *ent;
	size_t n, cap;
	struct json_tokener *tok;
	char *err;
	size_t errlen;
};

/* Parses one Node item's bytes (already syntax-checked by the scanner)
 * with json-c and appends it. On error writes the message and returns
 * -EINVAL (or -ENOMEM); nothing is appended. */
int snapshot_node_add(struct snap_build *b, const char *json, size_t len,
		      size_t item);

/* Whole-snapshot rules over the collected nodes: at least one, unique
 * names, no pod CIDR shared or overlapping between two nodes, no pod CIDR
 * containing a node's InternalIP. Sorts the entries by name. */
int snapshot_nodes_check(struct snap_build *b);

/* Frees every entry and the tokener; b stays reusable as empty. */
void snapshot_build_clear(struct snap_build *b);

/* "FILE: items[I] Node/NAME: FIELD: what" into b->err; returns -EINVAL.
 * name may be NULL (not known yet). */
int snapshot_node_err(struct snap_build *b, size_t item, const char *name,
		      const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Writes s[0..n) as a double-quoted, one-line, printable string,
 * truncated with "..." when long, into buf. Returns buf. */
char *snapshot_quote(char *buf, size_t buflen, const char *s, size_t n);

/*
 * Runs fn(arg) so that a SIGBUS on a byte of [map, map + len) (the file
 * behind a MAP_SHARED/MAP_PRIVATE mapping was truncated) returns -EAGAIN
 * from here instead of killing the process. fn's frame is abandoned at the
 * fault: every allocation fn makes must be reachable from arg whenever it
 * touches the mapping. The SIGBUS action is installed for the call only
 * and then restored; one guarded call at a time per process (-EBUSY).
 */
int snapshot_guard_run(const void *map, size_t len, int (*fn)(void *),
		       void *arg);

/* Seams for tests: the two guarded phases of snapshot_load() over a
 * mapping of `size` bytes. Both return -EAGAIN with
 * "NAME: changed while loading ..." in err when the file shrank under
 * the mapping. */
int snapshot_hash_map(const char *name, char *map, size_t size, uint64_t *hash,
		      char *err, size_t errlen);
int snapshot_parse_map(const char *name, char *map, size_t size, uint64_t hash,
		       const struct snap_limits *lim, struct snapshot **out,
		       char *err, size_t errlen);

#endif
