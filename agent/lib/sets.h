/*
 * sets.h - snapnet's ipsets, through libipset (never the ipset command).
 *
 * A context owns the sets whose names start with its prefix ("snapnet-");
 * every call that names a set refuses a name without it (-EPERM). Names
 * carry their family ("snapnet-4-...", "snapnet-6-...") when they come
 * from sets_name(), the one naming function: kube-router once created
 * IPv6 sets without the family in the name, and IPv6 policy silently
 * matched nothing.
 *
 * Members are replaced atomically: fill "<name>-t", swap, destroy the
 * temporary (which then holds the old members). Small changes are single
 * adds and deletes. Fallible functions return 0 or -errno with text in
 * err[errlen]; EEXIST on add and ENOENT on delete or destroy count as
 * success, EBUSY (a rule still references the set) does not.
 */
#ifndef SNAPNET_SETS_H
#define SNAPNET_SETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SETS_NAME_MAX 31     /* IPSET_MAXNAMELEN - 1 */
#define SETS_OWN_NAME_MAX 29 /* leaves room for SETS_TEMP_SUFFIX */
#define SETS_TEMP_SUFFIX "-t"
#define SETS_PREFIX_MAX 12
#define SETS_ROLE_MAX 8
#define SETS_MEMBERS_MAX (1u << 22) /* per set */

enum sets_type {
	SETS_HASH_IP,
	SETS_HASH_NET,
	SETS_HASH_IP_PORT,
	SETS_HASH_NET_PORT,
	SETS_OTHER, /* a set of ours of a type we never create */
};

struct sets_member {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t plen;	/* prefix length; the full length for hash:ip types */
	uint8_t
	    proto; /* IPPROTO_TCP, _UDP or _SCTP for the ,port types, else 0 */
	bool nomatch; /* hash:net types: an exception inside a larger net */
	uint16_t port;
	uint8_t addr[16];
};

struct sets_info {
	char name[SETS_NAME_MAX + 1];
	char typename[32];
	enum sets_type type;
	int family; /* AF_INET, AF_INET6, 0 for family-less types */
	uint32_t elements, references, hashsize, maxelem;
};

struct sets_sync_stats {
	unsigned created, replaced, destroyed;
	size_t added, deleted;
};

/* --- pure --- */

const char *sets_type_name(enum sets_type t);
int sets_type_parse(const char *s, enum sets_type *t);

/* "<prefix><4|6>-<role>-<hash>": hash is base32 of SHA-256 over family,
 * role and key, as long as fits SETS_OWN_NAME_MAX (at least 10 chars, 50
 * bits: identical keys share a set, different ones practically never). */
int sets_name(const char *prefix, int family, const char *role, const void *key,
	      size_t keylen, char *buf, size_t len);
/* Ours (prefix), short enough for a temporary, not itself one. */
bool sets_name_ok(const char *prefix, const char *name);
bool sets_is_temp(const char *name);
/* The family digit after the prefix of a sets_name() name, 0 if none. */
int sets_name_family(const char *prefix, const char *name);

/* Member text as ipset prints it: "10.0.0.1", "10.0.0.0/8 nomatch",
 * "fd00::1,tcp:80", "10.0.0.0/24,sctp:9". */
int sets_member_parse(enum sets_type t, int family, const char *s,
		      struct sets_member *m);
int sets_member_format(enum sets_type t, const struct sets_member *m, char *buf,
		       size_t len);
int sets_member_cmp(const struct sets_member *a, const struct sets_member *b);
/* Checks family, prefix length and protocol for the type, masks host
 * bits, splits a /0 into two /1 (hash:net cannot hold /0), sorts and
 * drops duplicates. *out malloc'd. */
int sets_members_norm(enum sets_type t, int family,
		      const struct sets_member *in, size_t n,
		      struct sets_member **out, size_t *n_out, char *err,
		      size_t errlen);
/* want and have normalised: what to delete and what to add. A member
 * whose nomatch flag changed is in both. *del and *add malloc'd. */
int sets_diff(const struct sets_member *want, size_t n_want,
	      const struct sets_member *have, size_t n_have,
	      struct sets_member **del, size_t *n_del, struct sets_member **add,
	      size_t *n_add);

/* libipset's plain listing with headers ("Name: ...") -> our sets. */
int sets_parse_list(const char *text, const char *prefix,
		    struct sets_info **out, size_t *n, char *err,
		    size_t errlen);
/* libipset's save listing of one set ("add NAME MEMBER") -> members. */
int sets_parse_save(const char *text, const char *name, enum sets_type t,
		    int family, struct sets_member **out, size_t *n, char *err,
		    size_t errlen);
/* libipset's report text -> -errno (it keeps the kernel's errno to itself). */
int sets_errno(const char *msg);

/* --- kernel --- */

struct sets_ctx;

int sets_open(const char *prefix, struct sets_ctx **out, char *err,
	      size_t errlen);
void sets_close(struct sets_ctx *c);

/* Our sets (temporaries included), with header data. *out malloc'd. */
int sets_list(struct sets_ctx *c, struct sets_info **out, size_t *n, char *err,
	      size_t errlen);
/* -ENOENT when the set does not exist. */
int sets_info(struct sets_ctx *c, const char *name, struct sets_info *info,
	      char *err, size_t errlen);
int sets_members(struct sets_ctx *c, const char *name, struct sets_member **out,
		 size_t *n, char *err, size_t errlen);
/* Create-or-keep; sized for size_hint members. An existing set of
 * another type or family is -EINVAL (not -EEXIST, which callers may
 * read as success). */
int sets_create(struct sets_ctx *c, const char *name, enum sets_type t,
		int family, size_t size_hint, char *err, size_t errlen);
int sets_add(struct sets_ctx *c, const char *name, const struct sets_member *m,
	     size_t n, char *err, size_t errlen);
int sets_del(struct sets_ctx *c, const char *name, const struct sets_member *m,
	     size_t n, char *err, size_t errlen);
/* Members become exactly m[], atomically for packets (temporary + swap);
 * creates the set when missing. */
int sets_replace(struct sets_ctx *c, const char *name, enum sets_type t,
		 int family, const struct sets_member *m, size_t n, char *err,
		 size_t errlen);
/* Like sets_replace, but compares with the kernel first: nothing when
 * equal, single deletes and adds for a small difference, else replace. */
int sets_sync(struct sets_ctx *c, const char *name, enum sets_type t,
	      int family, const struct sets_member *m, size_t n,
	      struct sets_sync_stats *st, char *err, size_t errlen);
/* -EBUSY while an iptables rule references the set. */
int sets_destroy(struct sets_ctx *c, const char *name, char *err,
		 size_t errlen);
/* Destroys every set of ours; keeps going past a busy one and returns
 * its -EBUSY at the end. */
int sets_cleanup(struct sets_ctx *c, size_t *destroyed, char *err,
		 size_t errlen);

#endif
