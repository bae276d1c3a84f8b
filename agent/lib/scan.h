/*
 * scan.h - a strict, validating JSON scanner that builds no tree.
 *
 * The scanner walks a byte buffer and checks the full JSON grammar (RFC
 * 8259: strings with escapes and UTF-8, numbers, literals, nesting) without
 * allocating. A caller drives the structure it cares about (the snapshot's
 * List envelope and each item's top-level keys) with scan_peek(),
 * scan_string() and scan_expect(), and lets scan_value() skip and validate
 * everything else. Errors record a byte offset and a short text; the caller
 * turns the offset into a line with scan_line().
 */
#ifndef SNAPNET_SCAN_H
#define SNAPNET_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#define SCAN_MAX_DEPTH 64 /* nesting limit of a whole document */
#define SCAN_ERRLEN 160

struct scan {
	const char *buf;
	size_t len;
	size_t pos;	       /* next byte to read */
	unsigned max_depth;    /* <= SCAN_MAX_DEPTH */
	size_t err_pos;	       /* offset of the first error */
	char err[SCAN_ERRLEN]; /* what was wrong there */
};

/* A string token: the raw bytes between the quotes, escapes undecoded. */
struct scan_str {
	const char *raw;
	size_t len;
	bool escaped; /* contains a backslash */
};

void scan_init(struct scan *s, const char *buf, size_t len, unsigned max_depth);

/* Skips whitespace; returns the next byte (not consumed), -1 at the end. */
int scan_peek(struct scan *s);

/* Skips whitespace and consumes byte c, or fails with "expected WHAT". */
int scan_expect(struct scan *s, char c, const char *what);

/* After a member or element: skips whitespace, consumes ',' (returns 0) or
 * `close` (returns 1), else fails with "expected ',' or ..." (-EINVAL). */
int scan_next(struct scan *s, char close);

/* Skips whitespace and scans a string token (which must start there). */
int scan_string(struct scan *s, struct scan_str *out);

/* Skips whitespace and scans one value of any type, validating it.
 * `depth` is the number of containers already open around it. */
int scan_value(struct scan *s, unsigned depth);

/* Records an error at byte offset `pos`; returns -EINVAL. */
int scan_fail(struct scan *s, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The JSON type a value starting with byte c has: "object", "string"... */
const char *scan_type_name(int c);

/* Decodes a string token into out as NUL-terminated UTF-8 and returns its
 * length (which counts a decoded \u0000). Fails with -ENAMETOOLONG when
 * it does not fit, -EINVAL on a lone surrogate. */
int scan_str_decode(const struct scan_str *str, char *out, size_t outlen);

/* True when the decoded token equals the NUL-terminated literal. */
bool scan_str_eq(const struct scan_str *str, const char *lit);

/* Skips the object or array at the scanner WITHOUT validating it: only
 * brackets and strings are followed, several times faster than
 * scan_value(). For bytes known to be valid JSON already (the per-item
 * cache checks their hash against items it validated before). -EINVAL
 * when the value does not end before the buffer does. */
int scan_skip_fast(struct scan *s);

/* 1-based line number of byte offset off. */
size_t scan_line(const struct scan *s, size_t off);

#endif
