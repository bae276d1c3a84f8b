/*
 * strpool.c - interned, reference-counted strings (see strpool.h).
 *
 * Each string is one allocation: a header (references, length, hash)
 * followed by the bytes and a NUL; callers get a pointer to the bytes, so
 * an interned string is an ordinary const char *. The table is open
 * addressing with linear probing over entry pointers, at most half full;
 * deleted slots are tombstones, and a rehash (on growth, or when
 * tombstones take a quarter of the table) clears them.
 *
 * Not thread-safe: the loader interns from one thread.
 */
#include "lib/strpool.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

struct entry {
	uint32_t refs;
	uint32_t len;
	uint64_t hash;
	char s[];
};

#define TOMB ((struct entry *)1)

struct strpool {
	struct entry **slot;
	size_t cap; /* a power of two */
	size_t used, tombs;
	size_t bytes;
};

static struct entry *entry_of(const char *s)
{
	return (struct entry *)(s - offsetof(struct entry, s));
}

struct strpool *strpool_new(void)
{
	struct strpool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->cap = 1024;
	p->slot = calloc(p->cap, sizeof(*p->slot));
	if (!p->slot) {
		free(p);
		return NULL;
	}
	return p;
}

void strpool_free(struct strpool *p)
{
	if (!p)
		return;
	/* strings still referenced are a leak of the caller's: freeing
	 * them here would hide it from the sanitizers */
	free(p->slot);
	free(p);
}

static bool live(const struct entry *e)
{
	return e && e != TOMB;
}

static int rehash(struct strpool *p, size_t cap)
{
	struct entry **n = calloc(cap, sizeof(*n));

	if (!n)
		return -1;
	for (size_t i = 0; i < p->cap; i++) {
		struct entry *e = p->slot[i];
		size_t j;

		if (!live(e))
			continue;
		for (j = e->hash & (cap - 1); n[j]; j = (j + 1) & (cap - 1))
			;
		n[j] = e;
	}
	free(p->slot);
	p->slot = n;
	p->cap = cap;
	p->tombs = 0;
	return 0;
}

const char *strpool_intern(struct strpool *p, const char *s, size_t len)
{
	uint64_t h = XXH3_64bits(s, len);
	size_t i, tomb = SIZE_MAX;
	struct entry *e;

	if ((p->used + p->tombs + 1) * 2 > p->cap &&
	    rehash(p, p->used * 4 > p->cap ? p->cap * 2 : p->cap) < 0)
		return NULL;
	for (i = h & (p->cap - 1); (e = p->slot[i]); i = (i + 1) & (p->cap - 1)) {
		if (e == TOMB) {
			if (tomb == SIZE_MAX)
				tomb = i;
			continue;
		}
		if (e->hash == h && e->len == len && !memcmp(e->s, s, len)) {
			e->refs++;
			return e->s;
		}
	}
	if (len > UINT32_MAX - 1)
		return NULL;
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	e->refs = 1;
	e->len = (uint32_t)len;
	e->hash = h;
	memcpy(e->s, s, len);
	e->s[len] = '\0';
	if (tomb != SIZE_MAX) {
		i = tomb;
		p->tombs--;
	}
	p->slot[i] = e;
	p->used++;
	p->bytes += len + 1;
	return e->s;
}

/* refs 0 marks a private copy: never in the table. */
const char *strpool_own(const char *s, size_t len)
{
	struct entry *e;

	if (len > UINT32_MAX - 1 || !(e = malloc(sizeof(*e) + len + 1)))
		return NULL;
	e->refs = 0;
	e->len = (uint32_t)len;
	e->hash = 0;
	memcpy(e->s, s, len);
	e->s[len] = '\0';
	return e->s;
}

void strpool_ref(const char *s)
{
	entry_of(s)->refs++;
}

void strpool_unref(struct strpool *p, const char *s)
{
	struct entry *e;
	size_t i;

	if (!s)
		return;
	e = entry_of(s);
	if (e->refs == 0) {
		free(e); /* a private copy */
		return;
	}
	if (--e->refs)
		return;
	for (i = e->hash & (p->cap - 1); p->slot[i] != e;
	     i = (i + 1) & (p->cap - 1))
		;
	p->slot[i] = TOMB;
	p->used--;
	p->tombs++;
	p->bytes -= e->len + 1;
	free(e);
	if (p->tombs * 4 > p->cap)
		rehash(p, p->cap); /* on failure the tombs just stay */
}

size_t strpool_len(const char *s)
{
	return entry_of(s)->len;
}

size_t strpool_count(const struct strpool *p)
{
	return p->used;
}

size_t strpool_bytes(const struct strpool *p)
{
	return p->bytes;
}
