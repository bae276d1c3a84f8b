/*
 * util.h - small helpers shared by all modules: prefix parse/format/compare,
 * error buffers, atomic file writes, monotonic time.
 */
#ifndef SNAPNET_UTIL_H
#define SNAPNET_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/prefix.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ERRLEN 512	 /* size of every caller-owned error buffer */
#define PREFIX_STRLEN 50 /* "ffff:...:ffff/128" plus NUL, rounded up */

/* Formats into a caller-owned error buffer; returns -err (err > 0) so a
 * caller can write `return errf(err, len, EINVAL, "...")`. buf may be NULL. */
int errf(char *buf, size_t len, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "10.0.0.0/8", "fd00::/64": strict: host bits must be zero. */
int prefix_parse_cidr(const char *s, struct prefix *out);
/* The same; on failure *why (when why is not NULL) says which rule the
 * text broke: "no prefix length", "bad address", "bad prefix length" or
 * "host bits set" (static strings). *why is NULL on success. */
int prefix_parse_cidr_why(const char *s, struct prefix *out, const char **why);
/* "10.0.0.1", "fd00::1": a host prefix (len 32/128). */
int prefix_parse_addr(const char *s, struct prefix *out);
/* "10.0.0.0/8"; or the bare address when len is the full length and
 * with_len is false. Returns buf. */
char *prefix_format(const struct prefix *p, char *buf, size_t len);
char *addr_format(const struct prefix *p, char *buf, size_t len);
/* Orders by family, address bytes, length. */
int prefix_cmp(const struct prefix *a, const struct prefix *b);
bool prefix_equal(const struct prefix *a, const struct prefix *b);
/* True when `inner` (any length) lies inside `outer`. Families must match. */
bool prefix_contains(const struct prefix *outer, const struct prefix *inner);
bool prefix_overlaps(const struct prefix *a, const struct prefix *b);
/* A host prefix from p's address with the given length. */
struct prefix prefix_host(const struct prefix *p);
/* Address n inside prefix p (n = 1: the first host), keeping p's length. */
struct prefix prefix_nth(const struct prefix *p, uint32_t n);

/* Write bytes to path atomically: temp file in the same directory, fsync,
 * rename, fsync of the directory. Mode 0644. */
int write_file_atomic(const char *path, const void *data, size_t len, char *err,
		      size_t errlen);
/* The same with the file's mode (0600 for a file holding passwords). */
int write_file_atomic_mode(const char *path, const void *data, size_t len,
			   unsigned mode, char *err, size_t errlen);
/* The temporary files write_file_atomic() leaves for `path` when it is
 * killed between creating and renaming one (PATH.tmp.XXXXXX in the same
 * directory): *out is a malloc'd list of malloc'd paths. */
int file_stale_temps(const char *path, char ***out, size_t *n_out);
void file_list_free(char **v, size_t n);
/* Removes them; 0 or the first -errno. */
int file_remove_stale_temps(const char *path);
/* A malloc'd copy of s that is valid UTF-8: a multi-byte sequence cut
 * short at the end of s is dropped, any other invalid byte becomes
 * U+FFFD. NULL when out of memory. */
char *utf8_sanitize(const char *s);
/* Reads a whole (small) file; *out is malloc'd and NUL-terminated. */
int read_file_small(const char *path, size_t max, char **out, size_t *len);
/* mkdir -p with mode 0755. */
int mkdir_p(const char *path);

uint64_t now_ms(void); /* CLOCK_MONOTONIC */
uint64_t now_us(void); /* CLOCK_MONOTONIC, microseconds */
uint64_t wall_s(void); /* CLOCK_REALTIME seconds */

/* Makes room for `need` elements of `size` bytes in *arr (capacity *cap),
 * doubling. Returns 0 or -ENOMEM (then *arr is unchanged). */
int array_grow(void *arr, size_t *cap, size_t need, size_t size);
/* The same, starting from `first` elements: for the many small arrays
 * of the snapshot's records, where 16 would waste most of the memory. */
int array_grow_from(void *arr, size_t *cap, size_t need, size_t size,
		    size_t first);

/* A /proc/sys file's integer value, -1 when unreadable (e.g. IPv6
 * disabled at boot, a module not loaded). */
int sysctl_get(const char *path);
/* Writes value to it; 0 or -errno with "PATH: why" in err. */
int sysctl_set(const char *path, int value, char *err, size_t errlen);

/* Runs fn(args[i]) for every i < n concurrently: one thread per call
 * but the first, which runs in the caller (n <= PAR_MAX; a call whose
 * thread cannot be made, or beyond PAR_MAX, runs in the caller). Each
 * call touches only its own data. For independent tool runs (iptables
 * of both families), whose cost is mostly waiting for a process. */
#define PAR_MAX 8
void par_run(void (*fn)(void *), void *const *args, size_t n);

/* strlcpy semantics; returns true when src fitted. */
bool str_copy(char *dst, const char *src, size_t len);

#endif
