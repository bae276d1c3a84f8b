/*
 * snapshot_walk.h - reading typed fields straight off the scanner's
 * tokens, for the loader's kind converters (snapshot_kinds.c and
 * friends). Private to agent/snapshot/.
 *
 * A walk is one item. Every read names its field, so an error says
 * exactly where: "FILE: items[N] Kind/ns/name: spec.ports[1].port: what".
 * The path is a stack of segments, formatted only when an error is
 * written. Values of the wrong JSON type are validated before the type
 * error is reported, so a syntax error further in still wins (the
 * loader checks the rest of the document first). JSON null counts as an
 * absent optional field. Strings are decoded and, where the model keeps
 * them, interned and recorded in the record under construction, so a
 * failed item releases everything it took.
 */
#ifndef SNAPNET_SNAPSHOT_WALK_H
#define SNAPNET_SNAPSHOT_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/scan.h"
#include "snapshot/model.h"

#define WALK_DEPTH 24	     /* path segments kept for messages */
#define WALK_NAME_MAX 254    /* metadata.name, with its NUL */

struct strpool;

struct walk_seg {
	const char *key; /* NULL: an array index */
	size_t len;
	size_t index;
};

struct walk {
	struct scan *sc;
	struct strpool *pool;
	struct rec *rec;   /* strings interned go into rec->strs */
	unsigned depth;	   /* JSON containers open around the value */
	struct walk_seg seg[WALK_DEPTH];
	unsigned n_seg;
	/* for messages */
	const char *file;
	size_t item;
	const char *kind;
	bool namespaced; /* messages say KIND/NS/NAME, "?" for an unknown NS */
	char ns[64], name[WALK_NAME_MAX];
	bool syntax; /* the error is the scanner's (sc->err) */
	char *err;
	size_t errlen;
};

/* A member callback: the key of one member, with the scanner at its
 * value. Must consume the value (walk_skip() when not wanted). */
typedef int (*walk_member_fn)(struct walk *w, const struct scan_str *key,
			      void *arg);
/* An element callback: element i, with the scanner at it. */
typedef int (*walk_elem_fn)(struct walk *w, size_t i, void *arg);

void walk_push(struct walk *w, const char *key);
void walk_push_index(struct walk *w, size_t i);
void walk_pop(struct walk *w);

/* `"key":` of the next member, the scanner then at its value. */
int walk_key(struct walk *w, struct scan_str *key);
/* After a member or element: 0 on ',', 1 on `close`, <0 else. */
int walk_next(struct walk *w, char close);

/* The content error at the current path; returns -EINVAL. */
int walk_fail(struct walk *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Same with another errno (-E2BIG for limits). */
int walk_fail_e(struct walk *w, int e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A syntax error the scanner recorded; returns -EINVAL. */
int walk_syntax(struct walk *w);

/* The next value's JSON type name ("object", "null" ...). */
const char *walk_type(struct walk *w);
bool walk_is_null(struct walk *w);
int walk_skip(struct walk *w);

/* Each reads the value at the scanner under the field name `key`
 * (pushed on the path for the duration; NULL for an array element,
 * whose index is on the path already). Return 0 when absent or null
 * (with the output untouched unless said otherwise), 1 when read, <0 on
 * error. */
int walk_object(struct walk *w, const char *key, walk_member_fn fn, void *arg);
/* At most max elements (E2BIG past that, naming the limit). */
int walk_array(struct walk *w, const char *key, size_t max, walk_elem_fn fn,
	       void *arg);
/* Decoded into buf (cap bytes with the NUL): longer is an error
 * "longer than cap-1 bytes"; a decoded \u0000 is an error too. */
int walk_string(struct walk *w, const char *key, char *buf, size_t cap,
		size_t *len);
/* The same, interned (and recorded in w->rec) into *out. */
int walk_istring(struct walk *w, const char *key, size_t max,
		 const char **out);
/* The same as the object's own copy (walk_own()). */
int walk_ostring(struct walk *w, const char *key, size_t max,
		 const char **out);
int walk_bool(struct walk *w, const char *key, bool *out);
/* An integer (no fraction, no exponent) in [lo, hi]. */
int walk_int(struct walk *w, const char *key, long long lo, long long hi,
	     long long *out);
/* A string that must be one of names[] (n of them): *out its index. */
int walk_enum(struct walk *w, const char *key, const char *const *names,
	      size_t n, int *out);

/* Interns s[0..len) into w->rec; NULL (with the error written) when out
 * of memory. */
const char *walk_intern(struct walk *w, const char *s, size_t len);
/* The same for a string unique to its object (a pod's name or uid): a
 * private copy, not interned (no pointer equality with others). */
const char *walk_own(struct walk *w, const char *s, size_t len);

/* A string -> string map (labels, annotations): at most max entries and
 * max_bytes of keys and values; keys are qualified names, values label
 * values when `label_values`. Sorted by key into *out. */
int walk_map(struct walk *w, const char *key, size_t max, size_t max_bytes,
	     bool label_values, struct labels *out);

/* Name rules of the API's validation. */
bool walk_dns1123_label(const char *s, size_t n);
bool walk_dns1123_subdomain(const char *s, size_t n);
bool walk_dns1035_label(const char *s, size_t n);
bool walk_qualified_name(const char *s, size_t n);
bool walk_label_value(const char *s, size_t n);
bool walk_iana_svc_name(const char *s, size_t n);

/* metadata: name (by `name_rule`), namespace (namespaced kinds; default
 * "default"), labels, and annotations when `annotations` is given.
 * Fills w->ns and w->name for messages as soon as they are read. */
enum name_rule { NAME_SUBDOMAIN, NAME_LABEL, NAME_1035 };
struct walk_meta {
	enum name_rule rule;
	bool namespaced;
	const char **name, **ns, **uid;
	struct labels *labels, *annotations;
};
int walk_metadata(struct walk *w, const struct walk_meta *m);
/* After the item: metadata.name is required; an absent namespace is
 * "default". */
int walk_metadata_done(struct walk *w, const struct walk_meta *m);

/* A protocol: TCP (default when absent), UDP or SCTP. */
int walk_proto(struct walk *w, const char *key, uint8_t *out);
/* An IP address / CIDR string into a prefix. CIDRs: host bits masked
 * when `mask`, refused otherwise. */
int walk_ip(struct walk *w, const char *key, struct prefix *out);
int walk_cidr(struct walk *w, const char *key, bool mask, struct prefix *out);

/* Grows *arr (capacity *cap) to n + 1 elements of size sz; -ENOMEM with
 * the error written. */
int walk_grow(struct walk *w, void *arr, size_t *cap, size_t n, size_t sz);

#endif
