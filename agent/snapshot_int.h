/*
 * snapshot_int.h - shared between the loader's own files (snapshot.c walks
 * the document, snapshot_node.c turns Node items into struct node). Not for
 * other modules: they use snapshot.h.
 */
#ifndef SNAPNET_SNAPSHOT_INT_H
#define SNAPNET_SNAPSHOT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

struct json_tokener;

/* A Node being collected, with what error messages need to name it. */
struct snap_entry {
	struct node node;
	size_t item;	    /* index in `items` */
	bool cidr_fallback; /* pod CIDR came from spec.podCIDR */
};

/* The nodes of a snapshot under construction. */
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
 * names, no pod CIDR shared or overlapping between two nodes. Sorts the
 * entries by name. */
int snapshot_nodes_check(struct snap_build *b);

/* Frees every entry and the tokener; b stays reusable as empty. */
void snapshot_build_clear(struct snap_build *b);

/* Writes s[0..n) as a double-quoted, one-line, printable string,
 * truncated with "..." when long, into buf. Returns buf. */
char *snapshot_quote(char *buf, size_t buflen, const char *s, size_t n);

#endif
