/*
 * snapshot_rec.c - the life of records: the kind table, references,
 * the string store a line of snapshots shares, the entries of a load
 * under construction, and the index of a snapshot's records by the hash
 * of their item's bytes (the per-item cache of the next load).
 *
 * A record is shared by every snapshot whose file held its item with the
 * same bytes; it goes, with its interned strings, when the last one that
 * holds it is freed. The store (the string pool) goes with the last
 * record and snapshot.
 */
#include "snapshot/snapshot_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strpool.h"
#include "lib/util.h"
#include "snapshot/snapshot_kinds.h"

static const struct kind_ops *const kinds[KIND_COUNT] = {
	[KIND_NAMESPACE] = &kind_namespace, [KIND_NODE] = &kind_node,
	[KIND_POD] = &kind_pod,		    [KIND_SERVICE] = &kind_service,
	[KIND_SLICE] = &kind_slice,	    [KIND_POLICY] = &kind_policy,
};

const struct kind_ops *kind_find(const char *name)
{
	for (int k = 0; k < KIND_COUNT; k++)
		if (!strcmp(kinds[k]->name, name))
			return kinds[k];
	return NULL;
}

const struct kind_ops *kind_of(enum kind k)
{
	return kinds[k];
}

void kind_rec_free(struct strpool *pool, struct rec *r)
{
	kinds[r->kind]->free_parts(r);
	for (uint32_t i = 0; i < r->n_strs; i++)
		strpool_unref(pool, r->strs[i]);
	free(r->strs);
	free(r);
}

struct snap_store *snapshot_store_new(void)
{
	struct snap_store *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->refs = 1;
	st->pool = strpool_new();
	if (!st->pool) {
		free(st);
		return NULL;
	}
	return st;
}

void snapshot_store_ref(struct snap_store *st)
{
	st->refs++;
}

void snapshot_store_unref(struct snap_store *st)
{
	if (!st || --st->refs)
		return;
	strpool_free(st->pool);
	free(st);
}

void rec_ref(struct rec *r)
{
	r->refs++;
}

void rec_unref(struct snap_store *st, struct rec *r)
{
	if (r && --r->refs == 0)
		kind_rec_free(st->pool, r);
}

int snapshot_build_add(struct snap_build *b, struct rec *r, size_t item,
		       bool fresh)
{
	int k = r->kind;

	if (array_grow(&b->ent[k], &b->cap[k], b->n[k] + 1, sizeof(*b->ent[k])))
		return -ENOMEM;
	if (array_grow(&b->order, &b->cap_order, b->n_order + 1,
		       sizeof(*b->order)))
		return -ENOMEM;
	b->ent[k][b->n[k]++] = (struct snap_entry){ r, fresh };
	r->item = (uint32_t)item;
	r->fresh = fresh;
	r->mark = b->gen;
	b->order[b->n_order++] = r;
	return 0;
}

void snapshot_build_clear(struct snap_build *b)
{
	for (int k = 0; k < KIND_COUNT; k++) {
		for (size_t i = 0; i < b->n[k]; i++)
			rec_unref(b->store, b->ent[k][i].rec);
		free(b->ent[k]);
		b->ent[k] = NULL;
		b->n[k] = b->cap[k] = 0;
	}
	free(b->order);
	b->order = NULL;
	b->n_order = b->cap_order = 0;
}

/* ---- the per-item cache ----------------------------------------- */

struct rec_index {
	struct rec **slot;
	size_t cap; /* a power of two, at least twice the records */
};

static uint64_t key_of(const uint8_t h[16])
{
	uint64_t k;

	memcpy(&k, h, sizeof(k));
	return k;
}

static void index_put(struct rec_index *ix, struct rec *r)
{
	size_t i;

	for (i = key_of(r->hash) & (ix->cap - 1); ix->slot[i];
	     i = (i + 1) & (ix->cap - 1))
		if (!memcmp(ix->slot[i]->hash, r->hash, 16))
			return; /* two items with the same bytes: one will do */
	ix->slot[i] = r;
}

static void index_kind(struct rec_index *ix, struct rec *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		index_put(ix, v[i]);
}

struct rec_index *rec_index_build(const struct snapshot *s)
{
	size_t total = s->n_namespaces + s->n_nodes + s->n_pods +
		       s->n_services + s->n_slices + s->n_policies;
	struct rec_index *ix = calloc(1, sizeof(*ix));

	if (!ix)
		return NULL;
	for (ix->cap = 64; ix->cap < total * 2; ix->cap *= 2)
		;
	ix->slot = calloc(ix->cap, sizeof(*ix->slot));
	if (!ix->slot) {
		free(ix);
		return NULL;
	}
	index_kind(ix, (struct rec *const *)s->namespaces, s->n_namespaces);
	index_kind(ix, (struct rec *const *)s->nodes, s->n_nodes);
	index_kind(ix, (struct rec *const *)s->pods, s->n_pods);
	index_kind(ix, (struct rec *const *)s->services, s->n_services);
	index_kind(ix, (struct rec *const *)s->slices, s->n_slices);
	index_kind(ix, (struct rec *const *)s->policies, s->n_policies);
	return ix;
}

void rec_index_free(struct rec_index *ix)
{
	if (!ix)
		return;
	free(ix->slot);
	free(ix);
}

struct rec *rec_index_find(const struct rec_index *ix, const uint8_t h[16])
{
	for (size_t i = key_of(h) & (ix->cap - 1); ix->slot[i];
	     i = (i + 1) & (ix->cap - 1))
		if (!memcmp(ix->slot[i]->hash, h, 16))
			return ix->slot[i];
	return NULL;
}
