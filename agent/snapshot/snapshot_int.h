/*
 * snapshot_int.h - shared between the loader's own files (snapshot.c
 * walks the document, snapshot_item.c one item, the kind converters
 * (snapshot_kinds.h) make records, snapshot_check.c holds the rules
 * across items, snapshot_index.c the sorted arrays and lookups,
 * snapshot_guard.c turns a SIGBUS on the mapping into an error). Not for
 * other modules: they use snapshot.h. Unit tests use the seams at the
 * end.
 */
#ifndef SNAPNET_SNAPSHOT_INT_H
#define SNAPNET_SNAPSHOT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot/model.h"
#include "snapshot/snapshot.h"

struct strpool;
struct scan;

/* The string pool the records of a line of snapshots share. */
struct snap_store {
	uint32_t refs;
	struct strpool *pool;
};

struct snap_store *snapshot_store_new(void);
void snapshot_store_ref(struct snap_store *st);
void snapshot_store_unref(struct snap_store *st);

/* A record of the snapshot under construction: fresh when this load
 * walked its item, not when it came from the previous snapshot. Its item
 * index is rec->item. */
struct snap_entry {
	struct rec *rec;
	bool fresh;
};

/* Everything a load has collected. Every allocation the loader makes
 * while it reads the mapping hangs off this struct (or the struct load
 * around it), so an abandoned load can be freed whole. */
struct snap_build {
	const char *name; /* file name for messages */
	struct snap_store *store;
	const struct snapshot *prev; /* its order is reused; may be NULL */
	uint32_t gen;		     /* this load's rec->mark */
	struct rec **order;	     /* records in the file's order */
	size_t n_order, cap_order;
	struct snap_entry *ent[KIND_COUNT];
	size_t n[KIND_COUNT], cap[KIND_COUNT];
	char *err;
	size_t errlen;
};

/* Appends (taking over the caller's reference); -ENOMEM. */
int snapshot_build_add(struct snap_build *b, struct rec *r, size_t item,
		       bool fresh);
/* Releases every entry; b stays reusable as empty. */
void snapshot_build_clear(struct snap_build *b);

/* Reads one item (the scanner at its '{') into the build: a record of
 * a kind the model keeps, reused from the previous snapshot (rec_index)
 * when the item's bytes are unchanged, or walked; other kinds are
 * validated and counted. <0 with the error in err; `syntax` set when
 * the scanner's error is to be reported. Everything allocated while the
 * mapping is read hangs off the reader (cur) or the build. */
#define KIND_BUILD_MAX 256
struct rec_index;
struct item_reader {
	const char *name;
	const struct snap_limits *lim;
	struct snap_build *b;
	const struct snapshot *prev; /* NULL: nothing to reuse */
	size_t cursor;		     /* the next of prev->order expected */
	struct rec_index *ix;	     /* prev by hash, built on demand */
	unsigned misses;	     /* items the cursor did not predict */
	struct snapshot_counts *counts;
	struct rec *cur; /* the record being walked */
	_Alignas(max_align_t) unsigned char build[KIND_BUILD_MAX];
	bool syntax;
	char *err;
	size_t errlen;
};
int snapshot_item_read(struct item_reader *ir, struct scan *sc, size_t item);
/* Drops a record left half-built by an error or an abandoned load. */
void snapshot_item_drop(struct item_reader *ir);

/* Records: one reference each. */
void rec_ref(struct rec *r);
void rec_unref(struct snap_store *st, struct rec *r);

/* Whole-snapshot rules over the nodes, sorted by name: at least one, no
 * pod CIDR shared or overlapping between two nodes, no pod CIDR
 * containing a node's InternalIP, no InternalIP of two nodes. */
int snapshot_nodes_check(struct snap_build *b, struct node *const *v,
			 size_t n);

/* "FILE: items[I] Node/NAME: FIELD: what" into b->err; returns -EINVAL.
 * name may be NULL (not known yet). */
int snapshot_node_err(struct snap_build *b, size_t item, const char *name,
		      const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Writes s[0..n) as a double-quoted, one-line, printable string,
 * truncated with "..." when long, into buf. Returns buf. */
char *snapshot_quote(char *buf, size_t buflen, const char *s, size_t n);

/* The snapshot's sorted arrays and lookups from the entries (whose
 * references it takes over): every kind by (namespace, name), where a
 * second object of one kind with one namespace/name is refused; then the
 * node rules. A previous snapshot's order is merged with the fresh
 * records instead of sorting all again. */
int snapshot_index_build(struct snap_build *b, struct snapshot *s);
void snapshot_index_free(struct snapshot *s);

/* Records of a snapshot by their item's hash, for the next load. */
struct rec_index;
struct rec_index *rec_index_build(const struct snapshot *s);
void rec_index_free(struct rec_index *ix);
/* The record of kind k whose item hashed to h, or NULL. */
struct rec *rec_index_find(const struct rec_index *ix, const uint8_t h[16]);

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
		       const struct snap_limits *lim,
		       const struct snapshot *prev, struct snapshot **out,
		       char *err, size_t errlen);

#endif
