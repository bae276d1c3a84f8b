/*
 * sets_int.h - what the two halves of the sets module share beyond
 * sets.h: sets_members.c (pure) and sets.c (the kernel).
 */
#ifndef SNAPNET_SETS_INT_H
#define SNAPNET_SETS_INT_H

#include <stdbool.h>
#include <stddef.h>

#define LIST_MAX (512u << 20) /* bytes of listing text we accept */

/* [A-Za-z0-9_-] (no A-Z when lower), 1..max bytes */
bool sets_word_ok(const char *s, size_t max, bool lower);
/* 32 or 128 */
int sets_max_plen(int family);
/* qsort() comparator of struct sets_member */
int sets_member_qcmp(const void *a, const void *b);

#endif
