/*
 * rules.h - the one writer of snapnet's iptables rules, for every function
 * that needs them (firewall, service proxy).
 *
 * A caller owns the chains whose names start with its prefix ("SNAPNET-",
 * or a sub-prefix such as "SNAPNET-FW-" so two callers never see each
 * other's chains as stale) in the tables it names, plus every rule of a
 * built-in chain that jumps (-j or -g) to one of those chains. Nothing
 * else is ever written: the restore text uses --noflush and names only
 * our chains.
 *
 * dump (iptables-save -t TABLE) -> rules_plan() (pure) -> restore text ->
 * iptables-restore --noflush --wait. A second apply of the same desire
 * writes nothing, which requires rules in iptables-save's canonical form
 * (docs/rules-sets-notes.md lists the forms; rules_apply() with verify
 * set reports the first rule the kernel prints differently).
 *
 * Families are AF_INET and AF_INET6 (iptables-* and ip6tables-* tools).
 * Fallible functions return 0 or -errno with text in err[errlen].
 */
#ifndef SNAPNET_RULES_H
#define SNAPNET_RULES_H

#include <stdbool.h>
#include <stddef.h>

#define RULES_PREFIX "SNAPNET-"
#define RULES_CHAIN_MAX 28    /* longest chain name both backends accept */
#define RULES_RULE_MAX 2048   /* longest rule spec we write */
#define RULES_COMMENT_MAX 255 /* xt_comment holds 256 bytes with the NUL */

enum rules_backend {
	RULES_BACKEND_AUTO,
	RULES_BACKEND_NFT,
	RULES_BACKEND_LEGACY,
};

/* A chain of ours and its rules, each the text after "-A NAME " exactly
 * as iptables-save prints it. */
struct rules_chain {
	const char *name;
	const char *const *rules;
	size_t n_rules;
};

/* "-A FROM -m comment --comment C -j TO" in a built-in chain; `first`
 * inserts it at position 1 when missing (an existing jump is never moved:
 * two agents that both want position 1 would otherwise fight forever). */
struct rules_jump {
	const char *from;
	const char *to;
	bool first;
};

struct rules_table {
	const char *name; /* filter, nat, mangle, raw */
	const struct rules_chain *chains;
	size_t n_chains;
	const struct rules_jump *jumps;
	size_t n_jumps;
};

/* Everything one caller owns in one family. A table listed with no
 * chains means: remove all of ours there. Tables not listed are not
 * looked at. */
struct rules_want {
	int family;	     /* AF_INET or AF_INET6 */
	const char *prefix;  /* starts with RULES_PREFIX */
	const char *comment; /* on jump rules, e.g. "snapnet" */
	const struct rules_table *tables;
	size_t n_tables;
};

/* One chain of a parsed dump. For our chains all rules; for any other
 * chain only the rules whose target is one of ours (built-in chains: our
 * jumps; user chains: foreign references that keep a chain alive). */
struct rules_dchain {
	const char *name;
	bool builtin; /* declared with a policy */
	bool ours;
	const char **rules;
	size_t n_rules, cap;
};

struct rules_dtable {
	const char *name;
	struct rules_dchain *chains;
	size_t n_chains, cap;
};

struct rules_dump {
	char *buf; /* the save output, split in place; names and rules point
		      here */
	struct rules_dtable *tables;
	size_t n_tables, cap;
	size_t foreign_rules; /* -A lines that are neither ours nor jumps to
				 ours */
	size_t own_chains;
	bool hint; /* KUBE-IPTABLES-HINT or KUBE-KUBELET-CANARY declared */
};

struct rules_text {
	char *s; /* NUL-terminated restore input; NULL or "" when empty */
	size_t len, cap;
	size_t lines;
};

struct rules_stats {
	unsigned chains_written; /* created or flushed, then filled */
	unsigned rules_written;
	unsigned chains_deleted;
	unsigned chains_kept; /* stale, but a foreign chain jumps to it:
				 flushed, kept */
	unsigned jumps_added;
	unsigned jumps_deleted;
};

/* What one backend's save output says about the host, both families. */
struct rules_probe {
	bool ok;	      /* the save tool ran for at least one family */
	bool hint;	      /* kubelet's hint chains seen */
	size_t foreign_rules; /* rule lines not ours */
	size_t own_chains;    /* chains with our prefix */
};

/* The save texts detection read (every table), per backend (0 nft, 1
 * legacy) and family (fam_index()); NULL where that tool did not run. A
 * caller that dumps right after detecting may parse these instead of
 * running the save tools again (rules_save_table picks one table). */
struct rules_saves {
	char *text[2][2];
	size_t len[2][2];
};

void rules_saves_free(struct rules_saves *s);

struct rules_opts {
	enum rules_backend backend; /* NFT or LEGACY (see rules_detect) */
	int timeout_ms;		    /* per tool run; <= 0: 30 s */
	const char *bindir;	    /* NULL: /usr/sbin, /sbin, then PATH */
	bool verify; /* apply: re-dump and check the kernel agrees */
};

/* --- pure (rules_plan.c) --- */

/* "auto" | "nft" | "legacy" */
int rules_backend_parse(const char *s, enum rules_backend *out);
/* "auto", "nft", "legacy" */
const char *rules_backend_name(enum rules_backend b);
/* The detection rule (docs/rules-sets-notes.md): an unavailable backend
 * never wins; then kubelet's hint chains in nft, then in legacy; then
 * more foreign rules; then where our own chains already are; else nft. */
enum rules_backend rules_backend_choose(const struct rules_probe *nft,
					const struct rules_probe *legacy);

/* Writes `s` as iptables-save prints an argument: bare when it is only
 * [A-Za-z0-9_-], else in double quotes with " \ ' escaped by a backslash.
 * -EINVAL on control characters, -ENOSPC when buf is too small. */
int rules_quote(const char *s, char *buf, size_t len);

/* The lines of one table in save output, "*NAME" through its COMMIT
 * (what `iptables-save -t NAME` prints of it): *off and *n; *n = 0 when
 * the table is not there. */
void rules_save_table(const char *text, size_t len, const char *table,
		      size_t *off, size_t *n);

/* Parses iptables-save output (one or more tables). Copies `text`. Fails
 * with -EINVAL on a malformed line, -EPROTO on a table iptables-nft calls
 * incompatible (we could not see what we own there). */
int rules_dump_parse(const char *text, size_t len, const char *prefix,
		     struct rules_dump **out, char *err, size_t errlen);
void rules_dump_free(struct rules_dump *d);
const struct rules_dtable *rules_dump_table(const struct rules_dump *d,
					    const char *name);

/* Checks the desire: names, prefix, table and built-in chain names, rule
 * text (one line, single spaces, no NUL), targets of ours that exist. */
int rules_want_check(const struct rules_want *w, char *err, size_t errlen);

/* The restore text that turns `have` into `w`; empty when they agree.
 * have may be NULL (nothing of ours exists). */
int rules_plan(const struct rules_want *w, const struct rules_dump *have,
	       struct rules_text *out, struct rules_stats *st, char *err,
	       size_t errlen);
/* False when `have` holds exactly `w`; otherwise true, and buf describes
 * the first difference (for verify's error text). */
bool rules_differs(const struct rules_want *w, const struct rules_dump *have,
		   char *buf, size_t len);
void rules_text_free(struct rules_text *t);

/* Folds a failed restore into -errno and names the failing input line. */
int rules_restore_error(int status, const char *tool, const char *stderr_text,
			const char *input, char *err, size_t errlen);

/* --- kernel (rules.c) --- */

/* Resolves `want` (AUTO probes both backends, both families, with the
 * save tools; no table is created). nft, legacy and saves may be NULL;
 * saves receives the texts the tools printed (rules_saves_free). */
int rules_detect(enum rules_backend want, int timeout_ms,
		 enum rules_backend *out, struct rules_probe *nft,
		 struct rules_probe *legacy, struct rules_saves *saves,
		 char *err, size_t errlen);
/* iptables-save of one table (NULL: all tables) of the backend. */
int rules_dump(const struct rules_opts *o, int family, const char *table,
	       const char *prefix, struct rules_dump **out, char *err,
	       size_t errlen);
/* Pipes `text` to iptables-restore --noflush --wait. */
int rules_restore(const struct rules_opts *o, int family, const char *text,
		  size_t len, char *err, size_t errlen);
/* dump -> plan -> restore (only when the plan is not empty) -> verify.
 * written (may be NULL) receives the text that was written. */
int rules_apply(const struct rules_opts *o, const struct rules_want *w,
		struct rules_stats *st, struct rules_text *written, char *err,
		size_t errlen);
/* Removes every chain with `prefix` and every jump to one, in every table
 * the backend holds for the family. */
int rules_cleanup(const struct rules_opts *o, int family, const char *prefix,
		  struct rules_stats *st, char *err, size_t errlen);

#endif
