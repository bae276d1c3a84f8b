/*
 * strpool.h - interned, reference-counted strings.
 *
 * One copy of each distinct string: two interned strings are equal when
 * their pointers are, and memory grows with distinct strings, not with
 * the objects that use them. A string lives as long as something holds a
 * reference; the pool itself outlives any one snapshot, so records shared
 * between two snapshots keep pointing at the same strings.
 */
#ifndef SNAPNET_STRPOOL_H
#define SNAPNET_STRPOOL_H

#include <stddef.h>
#include <stdint.h>

struct strpool;

struct strpool *strpool_new(void);
/* Frees the pool; every string must have been released (checked). */
void strpool_free(struct strpool *p);

/* The interned copy of s[0..len) with one more reference, or NULL when
 * out of memory. s may hold NUL bytes only at s[len]. */
const char *strpool_intern(struct strpool *p, const char *s, size_t len);
/* A private copy of s[0..len) in the pool's format but not in its table
 * (strings that are unique anyway, like pod names, cost no hashing): it
 * has one owner and goes with strpool_unref() like an interned one. */
const char *strpool_own(const char *s, size_t len);
/* One more reference to an interned string. */
void strpool_ref(const char *s);
/* One reference fewer; the last one frees it. NULL is ignored. */
void strpool_unref(struct strpool *p, const char *s);
/* Its length (O(1)). */
size_t strpool_len(const char *s);

/* Distinct strings held, and their bytes (for the benchmark). */
size_t strpool_count(const struct strpool *p);
size_t strpool_bytes(const struct strpool *p);

#endif
