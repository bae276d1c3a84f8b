/*
 * snapshot_item.c - one item of `items`: its kind, then its record.
 *
 * A kind the model keeps (snapshot_kinds.h) is converted in one pass
 * over the item's members: kubectl prints "kind" second (keys sorted,
 * after "apiVersion"), so members seen before it are remembered and
 * replayed once it is known; an item with many members before its kind
 * is walked a second time. Other kinds are only validated and counted.
 *
 * The per-item cache: when the previous snapshot is given, the item is
 * first validated and hashed (XXH3-128 of its bytes); a record of the
 * previous snapshot with that hash is taken as it is, with a reference.
 * Otherwise the item is walked and its record keeps the hash for the
 * next load.
 */
#include "snapshot/snapshot_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "lib/scan.h"
#include "lib/util.h"
#include "snapshot/snapshot_kinds.h"

#define KIND_MAX 64
#define PENDING_MAX 16

struct pending {
	struct scan_str key;
	size_t pos; /* of its value */
};

struct item_walk {
	const struct kind_ops *ops;
	bool known; /* the "kind" member was read */
	struct pending pend[PENDING_MAX];
	size_t n_pend;
	/* walk the members again once the item ends: more of them before
	 * "kind" than pend holds, or a second "kind" that changed it */
	bool overflow;
};

static size_t *count_of(struct snapshot_counts *c, enum kind k)
{
	switch (k) {
	case KIND_NAMESPACE:
		return &c->namespaces;
	case KIND_NODE:
		return &c->nodes;
	case KIND_POD:
		return &c->pods;
	case KIND_SERVICE:
		return &c->services;
	case KIND_SLICE:
		return &c->endpointslices;
	default:
		return &c->policies;
	}
}

static void hash_of(const char *p, size_t n, uint8_t out[16])
{
	XXH128_hash_t h = XXH3_128bits(p, n);

	memcpy(out, &h.low64, 8);
	memcpy(out + 8, &h.high64, 8);
}

/* One more item of ops' kind, within its limit (walked or reused). */
static int count_one(struct item_reader *ir, struct walk *w,
		     const struct kind_ops *ops)
{
	size_t *cnt = count_of(ir->counts, ops->kind);
	size_t max = ops->kind == KIND_NODE ? ir->lim->max_nodes
					    : ops->max_count;

	if (*cnt >= max)
		return errf(ir->err, ir->errlen, E2BIG,
			    "%s: items[%zu] %s: more than %zu %s items%s",
			    ir->name, w->item, ops->name, max, ops->name,
			    ops->kind == KIND_NODE ? " (max_nodes)" : "");
	(*cnt)++;
	return 0;
}

/* A new record of ops' kind, held by the reader until it is added. */
static int begin(struct item_reader *ir, struct walk *w,
		 const struct kind_ops *ops)
{
	if (count_one(ir, w, ops) < 0)
		return -E2BIG;
	ir->cur = calloc(1, ops->rec_size);
	if (!ir->cur)
		return errf(ir->err, ir->errlen, ENOMEM, "%s: items[%zu]: %s",
			    ir->name, w->item, strerror(ENOMEM));
	ir->cur->refs = 1;
	ir->cur->kind = (uint8_t)ops->kind;
	memset(ir->build, 0, sizeof(ir->build));
	*(struct rec **)ir->build = ir->cur;
	w->rec = ir->cur;
	w->kind = ops->name;
	w->namespaced = ops->kind != KIND_NODE && ops->kind != KIND_NAMESPACE;
	return ops->init ? ops->init(w, ir->build) : 0;
}

static int kind_value(struct item_reader *ir, struct walk *w,
		      struct item_walk *iw)
{
	struct scan *sc = w->sc;
	struct scan_str val;
	char kind[KIND_MAX];
	const char *got;
	int n;

	if (scan_peek(sc) != '"') {
		got = walk_type(w);
		if (walk_skip(w) < 0)
			return -EINVAL;
		return errf(ir->err, ir->errlen, EINVAL,
			    "%s: items[%zu]: kind: expected string, got %s",
			    ir->name, w->item, got);
	}
	if (scan_string(sc, &val) < 0)
		return walk_syntax(w);
	/* a kind with a \u0000 in it ("Node\u0000") names no kind we
	 * know, so it must not compare equal to one */
	n = scan_str_decode(&val, kind, sizeof(kind));
	if (n < 0 || (size_t)n != strlen(kind))
		kind[0] = '\0';
	if (iw->known) {
		/* given twice: the last one wins, as in json-c and Python;
		 * what the first kind read is dropped and the item is
		 * walked once more as the last kind says */
		if (iw->ops == kind_find(kind))
			return 0;
		if (iw->ops) {
			(*count_of(ir->counts, iw->ops->kind))--;
			snapshot_item_drop(ir);
		} else {
			ir->counts->other--;
		}
		iw->known = false;
		iw->overflow = true;
		iw->n_pend = 0;
		w->rec = NULL;
	}
	iw->known = true;
	iw->ops = kind_find(kind);
	if (!iw->ops) {
		ir->counts->other++;
		return 0;
	}
	return begin(ir, w, iw->ops);
}

/* The members seen before "kind", in their order. */
static int replay(struct walk *w, struct item_walk *iw, void *build)
{
	size_t here = w->sc->pos;
	int r = 0;

	for (size_t i = 0; r == 0 && i < iw->n_pend; i++) {
		w->sc->pos = iw->pend[i].pos;
		r = iw->ops->member(w, &iw->pend[i].key, build);
	}
	w->sc->pos = here;
	iw->n_pend = 0;
	return r;
}

static int member(struct item_reader *ir, struct walk *w,
		  struct item_walk *iw, const struct scan_str *key)
{
	if (scan_str_eq(key, "kind")) {
		int r = kind_value(ir, w, iw);

		if (r == 0 && iw->ops && iw->n_pend && !iw->overflow)
			r = replay(w, iw, ir->build);
		return r;
	}
	if (iw->known && !iw->overflow)
		return iw->ops ? iw->ops->member(w, key, ir->build)
			       : walk_skip(w);
	if (iw->known)
		return walk_skip(w); /* the second walk reads it */
	if (iw->n_pend < PENDING_MAX)
		iw->pend[iw->n_pend++] =
		    (struct pending){ *key, w->sc->pos };
	else
		iw->overflow = true;
	return walk_skip(w);
}

/* The item's members once more, the kind known: for the rare item with
 * more than PENDING_MAX members before its kind. */
static int rewalk(struct item_reader *ir, struct walk *w,
		  struct item_walk *iw, size_t start)
{
	struct scan_str key;
	size_t end = w->sc->pos;
	int r;

	w->sc->pos = start + 1;
	if (scan_peek(w->sc) == '}')
		goto out;
	do {
		r = walk_key(w, &key);
		if (r == 0)
			r = scan_str_eq(&key, "kind")
				? walk_skip(w)
				: iw->ops->member(w, &key, ir->build);
		if (r == 0)
			r = walk_next(w, '}');
	} while (r == 0);
	if (r < 0)
		return r;
out:
	w->sc->pos = end;
	return 0;
}

static int walk_members(struct item_reader *ir, struct walk *w,
			struct item_walk *iw)
{
	struct scan *sc = w->sc;
	struct scan_str key;
	int r;

	sc->pos++; /* '{' */
	w->depth = 3;
	if (scan_peek(sc) == '}') {
		sc->pos++;
		return 0;
	}
	do {
		r = walk_key(w, &key);
		if (r == 0)
			r = member(ir, w, iw, &key);
		if (r == 0)
			r = walk_next(w, '}');
	} while (r == 0);
	return r < 0 ? r : 0;
}

/* Size limits, the hash, and the record into the build. */
static int finish(struct item_reader *ir, struct walk *w,
		  const struct kind_ops *ops, size_t start)
{
	size_t n = w->sc->pos - start;
	int r;

	if (ops->kind == KIND_NODE && n > ops->max_bytes)
		return errf(ir->err, ir->errlen, EFBIG,
			    "%s: items[%zu] Node: Node item of %zu bytes "
			    "exceeds 1 MiB",
			    ir->name, w->item, n);
	r = ops->finish(w, ir->build);
	if (r < 0)
		return r;
	hash_of(w->sc->buf + start, n, ir->cur->hash);
	ir->cur->len = (uint32_t)n;
	if (snapshot_build_add(ir->b, ir->cur, w->item, true) < 0)
		return errf(ir->err, ir->errlen, ENOMEM, "%s: items[%zu]: %s",
			    ir->name, w->item, strerror(ENOMEM));
	ir->cur = NULL;
	return 0;
}

static int walk_item(struct item_reader *ir, struct walk *w, size_t start)
{
	struct item_walk iw = { 0 };
	int r = walk_members(ir, w, &iw);

	if (r == 0 && !iw.known)
		r = errf(ir->err, ir->errlen, EINVAL,
			 "%s: items[%zu]: kind: missing", ir->name, w->item);
	if (r == 0 && iw.ops && iw.overflow)
		r = rewalk(ir, w, &iw, start);
	if (r == 0 && w->sc->pos - start > ir->lim->max_item_bytes)
		r = errf(ir->err, ir->errlen, EFBIG,
			 "%s: items[%zu] %s: item is %zu bytes, more than the "
			 "limit of %zu (max_item_bytes)",
			 ir->name, w->item, iw.ops ? iw.ops->name : "(other)",
			 w->sc->pos - start, ir->lim->max_item_bytes);
	if (r == 0 && iw.ops)
		r = finish(ir, w, iw.ops, start);
	return r;
}

/* Takes a record of the previous snapshot again for this item. */
static int take(struct item_reader *ir, struct walk *w, struct rec *r)
{
	const struct kind_ops *ops = kind_of(r->kind);

	/* the same bytes twice in one file, or an item over a limit of
	 * this load: walked as a cold load would, which says the same */
	if (r->mark == ir->b->gen || r->len > ir->lim->max_item_bytes)
		return 0;
	w->kind = ops->name;
	if (count_one(ir, w, ops) < 0)
		return -E2BIG;
	rec_ref(r);
	if (snapshot_build_add(ir->b, r, w->item, false) < 0) {
		rec_unref(ir->b->store, r);
		return errf(ir->err, ir->errlen, ENOMEM, "%s: items[%zu]: %s",
			    ir->name, w->item, strerror(ENOMEM));
	}
	return 1;
}

/* The cursor's guess: the previous file's next item, byte for byte at
 * this place (its length and hash are known, so nothing is scanned). */
static struct rec *predicted(struct item_reader *ir, struct scan *sc,
			     size_t start)
{
	const struct snapshot *p = ir->prev;
	struct rec *r;
	uint8_t h[16];

	if (ir->cursor >= p->n_order)
		return NULL;
	r = p->order[ir->cursor];
	if (r->len > sc->len - start || sc->buf[start + r->len - 1] != '}')
		return NULL;
	hash_of(sc->buf + start, r->len, h);
	return memcmp(h, r->hash, 16) ? NULL : r;
}

/* A record with hash h a few items around the cursor (an item was
 * inserted or removed), else in the index of every record of prev,
 * built once the cursor has missed often (items reordered). */
static struct rec *looked_up(struct item_reader *ir, const uint8_t h[16])
{
	const struct snapshot *p = ir->prev;
	size_t lo = ir->cursor > 8 ? ir->cursor - 8 : 0;

	for (size_t i = lo; i < p->n_order && i < ir->cursor + 8; i++)
		if (!memcmp(p->order[i]->hash, h, 16))
			return p->order[i];
	/* a change or two is common; many misses mean a new order, where
	 * the index pays (a small snapshot's at once) */
	if ((++ir->misses > 4 || p->n_order < 1024) && !ir->ix)
		ir->ix = rec_index_build(p); /* NULL: just no index */
	return ir->ix ? rec_index_find(ir->ix, h) : NULL;
}

/* The previous snapshot's record of these bytes, taken again: 1 when
 * reused, 0 to walk the item. The bytes of a reused item are those of
 * an item validated before (same 128-bit hash), so they are not
 * validated again; any other item is, in full. */
static int reuse(struct item_reader *ir, struct walk *w, size_t start)
{
	struct scan *sc = w->sc;
	struct rec *r = predicted(ir, sc, start);
	uint8_t h[16];
	int r2;

	if (r) {
		ir->cursor++;
		r2 = take(ir, w, r);
		if (r2 == 1)
			sc->pos = start + r->len;
		return r2; /* 0: walk it */
	}
	if (scan_skip_fast(sc) < 0) {
		sc->pos = start; /* broken: the walk will say where */
		return 0;
	}
	hash_of(sc->buf + start, sc->pos - start, h);
	r = looked_up(ir, h);
	if (!r) {
		sc->pos = start;
		ir->cursor++; /* most likely this item replaced that one */
		return 0;
	}
	ir->cursor = r->ord + 1;
	r2 = take(ir, w, r);
	if (r2 == 0)
		sc->pos = start; /* walk it */
	return r2;
}

int snapshot_item_read(struct item_reader *ir, struct scan *sc, size_t item)
{
	struct walk w = { .sc = sc,
			  .pool = ir->b->store->pool,
			  .depth = 2,
			  .file = ir->name,
			  .item = item,
			  .kind = "",
			  .err = ir->err,
			  .errlen = ir->errlen };
	size_t start = sc->pos;
	int r = ir->prev ? reuse(ir, &w, start) : 0;

	if (r == 0)
		r = walk_item(ir, &w, start);
	ir->syntax = w.syntax;
	if (r < 0)
		snapshot_item_drop(ir);
	return r < 0 ? r : 0;
}

void snapshot_item_drop(struct item_reader *ir)
{
	if (ir->cur) {
		rec_unref(ir->b->store, ir->cur);
		ir->cur = NULL;
	}
}
