/*
 * rules_plan.c - the pure part of the rule writer: parsing iptables-save
 * output, checking a desire, the diff between the chains a caller wants
 * and the chains of its prefix the kernel holds, and the restore text
 * that closes the gap. No syscalls. (The other pure pieces, the backend
 * choice and the folding of restore errors, sit in rules.c next to the
 * tools whose output they read.)
 *
 * What is ours in a dump: chains whose names start with the caller's
 * prefix, and every rule of another chain whose target (-j or -g) is one
 * of them. Rules of built-in chains that jump to us are our jumps; a rule
 * of a foreign user chain that jumps to us is a reference we must not
 * touch, and it keeps a stale chain alive (flushed instead of deleted:
 * deleting it would fail the whole restore with EBUSY).
 *
 * Invariants of a plan:
 *   - empty text exactly when the dump already holds the desire, so a
 *     second apply writes nothing;
 *   - a chain is rewritten whole (declared, which flushes it under
 *     --noflush on both backends, then refilled) or not at all; the table
 *     is committed atomically, so packets never see a half-written chain;
 *   - a table block orders: declarations, jump deletes, flush and delete
 *     of stale chains, rules, jump adds. Jumps to a stale chain go before
 *     it does, and new chains exist before a jump names them;
 *   - a jump that exists once anywhere in its built-in chain is kept
 *     where it is; a jump present twice or more is deleted (every copy,
 *     by spec) and added once, so an inserted one ends up first again.
 *
 * Rules are compared as strings: callers write iptables-save's canonical
 * form (docs/rules-sets-notes.md), and verify in rules_apply() catches a
 * rule the kernel prints differently.
 *
 * Fails with -EINVAL (bad desire or malformed dump), -EPROTO (a table
 * iptables-nft cannot show) or -ENOMEM.
 */
#include "lib/rules.h"
#include "lib/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define TABLE_NAME_MAX 31
/* Foreign rules can be long (a -m bpf --bytecode, a u32 match): a limit
 * only against a runaway line, the whole dump is bounded by rules.c. */
#define DUMP_LINE_MAX (1u << 20)

/* --- error text --- */

/* A bad input: the text in err, -EINVAL. */
#define fail(err, errlen, ...) errf(err, errlen, EINVAL, __VA_ARGS__)

/* --- quoting and tokens, as iptables-save prints arguments --- */

static bool bare_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int rules_quote(const char *s, char *buf, size_t len)
{
	size_t o = 0, i;
	bool bare = *s != '\0';

	for (i = 0; s[i]; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -EINVAL;
		if (!bare_char(s[i]))
			bare = false;
	}
	if (!bare && o < len)
		buf[o] = '"';
	o += !bare;
	for (i = 0; s[i]; i++) {
		if (!bare && (s[i] == '"' || s[i] == '\\' || s[i] == '\'')) {
			if (o < len)
				buf[o] = '\\';
			o++;
		}
		if (o < len)
			buf[o] = s[i];
		o++;
	}
	if (!bare && o < len)
		buf[o] = '"';
	o += !bare;
	if (o >= len)
		return -ENOSPC;
	buf[o] = '\0';
	return 0;
}

/* Next blank-separated token of a rule spec; a double-quoted token ends
 * at its closing quote, backslash escapes the next byte. Returns false at
 * the end of the spec or on an unterminated quote. tok may be NULL. */
static bool next_token(const char **p, char *tok, size_t toklen)
{
	const char *s = *p;
	size_t n = 0;
	bool quoted = false;

	while (*s == ' ')
		s++;
	if (!*s)
		return false;
	for (; *s && (quoted || *s != ' '); s++) {
		if (*s == '"') {
			quoted = !quoted;
			continue;
		}
		if (*s == '\\' && quoted && s[1])
			s++;
		if (tok && n + 1 < toklen)
			tok[n++] = *s;
	}
	if (tok && toklen)
		tok[n] = '\0';
	*p = s;
	return !quoted;
}

/* The -j or -g target of a spec, "" when there is none. */
static void spec_target(const char *spec, char *out, size_t len)
{
	char tok[64];
	bool want = false;

	out[0] = '\0';
	while (next_token(&spec, tok, sizeof(tok))) {
		if (want) {
			snprintf(out, len, "%s", tok);
			return;
		}
		want = !strcmp(tok, "-j") || !strcmp(tok, "-g");
	}
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* --- dump parsing --- */

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 8;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*v, n * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = n;
	return 0;
}

void rules_dump_free(struct rules_dump *d)
{
	size_t i, j;

	if (!d)
		return;
	for (i = 0; i < d->n_tables; i++) {
		for (j = 0; j < d->tables[i].n_chains; j++)
			free(d->tables[i].chains[j].rules);
		free(d->tables[i].chains);
	}
	free(d->tables);
	free(d->buf);
	free(d);
}

const struct rules_dtable *rules_dump_table(const struct rules_dump *d,
					    const char *name)
{
	size_t i;

	for (i = 0; d && i < d->n_tables; i++)
		if (!strcmp(d->tables[i].name, name))
			return &d->tables[i];
	return NULL;
}

static struct rules_dchain *find_chain(struct rules_dtable *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n_chains; i++)
		if (!strcmp(t->chains[i].name, name))
			return &t->chains[i];
	return NULL;
}

static const struct rules_dchain *find_dchain(const struct rules_dtable *t,
					      const char *name)
{
	return t ? find_chain((struct rules_dtable *)t, name) : NULL;
}

static int push_rule(struct rules_dchain *c, const char *spec)
{
	if (grow((void **)&c->rules, &c->cap, c->n_rules + 1,
		 sizeof(*c->rules)))
		return -ENOMEM;
	c->rules[c->n_rules++] = spec;
	return 0;
}

struct parser {
	struct rules_dump *d;
	struct rules_dtable *t; /* open table, NULL outside *...COMMIT */
	struct rules_dchain *last;
	const char *prefix;
	size_t lineno;
	char *err;
	size_t errlen;
};

static int parse_table(struct parser *p, char *name)
{
	struct rules_dump *d = p->d;
	size_t i;

	if (p->t)
		return fail(p->err, p->errlen,
			    "line %zu: table %s not committed", p->lineno,
			    p->t->name);
	if (!*name || strlen(name) > TABLE_NAME_MAX)
		return fail(p->err, p->errlen, "line %zu: bad table name",
			    p->lineno);
	for (i = 0; i < d->n_tables; i++)
		if (!strcmp(d->tables[i].name, name))
			return fail(p->err, p->errlen,
				    "line %zu: table %s twice", p->lineno,
				    name);
	if (grow((void **)&d->tables, &d->cap, d->n_tables + 1,
		 sizeof(*d->tables)))
		return -ENOMEM;
	p->t = &d->tables[d->n_tables++];
	memset(p->t, 0, sizeof(*p->t));
	p->t->name = name;
	p->last = NULL;
	return 0;
}

/* ":NAME POLICY [packets:bytes]"; user chains have the policy "-". */
static int parse_chain(struct parser *p, char *line)
{
	struct rules_dtable *t = p->t;
	struct rules_dchain *c;
	char *sp = strchr(line, ' ');

	if (!t || !sp || sp == line)
		return fail(p->err, p->errlen, "line %zu: bad chain line",
			    p->lineno);
	*sp = '\0';
	if (find_chain(t, line))
		return fail(p->err, p->errlen, "line %zu: chain %s twice",
			    p->lineno, line);
	if (grow((void **)&t->chains, &t->cap, t->n_chains + 1,
		 sizeof(*t->chains)))
		return -ENOMEM;
	p->last = NULL; /* chains moved */
	c = &t->chains[t->n_chains++];
	memset(c, 0, sizeof(*c));
	c->name = line;
	c->builtin = strncmp(sp + 1, "- ", 2) != 0;
	c->ours = has_prefix(line, p->prefix);
	p->d->own_chains += c->ours;
	if (!strcmp(line, "KUBE-IPTABLES-HINT") ||
	    !strcmp(line, "KUBE-KUBELET-CANARY"))
		p->d->hint = true;
	return 0;
}

/* "-A CHAIN SPEC". Save prints a chain's rules together, so the chain of
 * the previous rule is tried first: big foreign tables stay linear. */
static int parse_rule(struct parser *p, char *line)
{
	struct rules_dchain *c;
	char *name = line + 3, *spec, target[64];

	if (!p->t)
		return fail(p->err, p->errlen, "line %zu: rule outside a table",
			    p->lineno);
	spec = strchr(name, ' ');
	if (spec)
		*spec++ = '\0';
	else
		spec = name + strlen(name);
	c = p->last && !strcmp(p->last->name, name) ? p->last
						    : find_chain(p->t, name);
	if (!c)
		return fail(p->err, p->errlen,
			    "line %zu: rule of undeclared chain %s", p->lineno,
			    name);
	p->last = c;
	if (c->ours)
		return push_rule(c, spec);
	spec_target(spec, target, sizeof(target));
	if (*target && has_prefix(target, p->prefix))
		return push_rule(c, spec);
	p->d->foreign_rules++;
	return 0;
}

static int parse_line(struct parser *p, char *line)
{
	if (!*line)
		return 0;
	if (line[0] == '#') {
		/* iptables-nft prints this instead of a table holding
		 * native nft expressions it cannot translate back. */
		if (strstr(line, "is incompatible, use 'nft' tool")) {
			fail(p->err, p->errlen, "%s", line + 2);
			return -EPROTO;
		}
		return 0;
	}
	if (line[0] == '*')
		return parse_table(p, line + 1);
	if (line[0] == ':')
		return parse_chain(p, line + 1);
	if (!strncmp(line, "-A ", 3))
		return parse_rule(p, line);
	if (!strcmp(line, "COMMIT") && p->t) {
		p->t = NULL;
		return 0;
	}
	return fail(p->err, p->errlen, "line %zu: unexpected \"%.40s\"",
		    p->lineno, line);
}

void rules_save_table(const char *text, size_t len, const char *table,
		      size_t *off, size_t *n)
{
	size_t tl = strlen(table), i = 0;

	*off = *n = 0;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) + 1 : len;

		if (!*n && text[i] == '*' && end - i >= tl + 1 &&
		    !memcmp(text + i + 1, table, tl) &&
		    (end - i == tl + 1 || text[i + 1 + tl] == '\n')) {
			*off = i;
			*n = 1; /* inside; the length is set at COMMIT */
		} else if (*n && end - i >= 6 && !memcmp(text + i, "COMMIT", 6) &&
			   (end - i == 6 || text[i + 6] == '\n')) {
			*n = end - *off;
			return;
		}
		i = end;
	}
	*n = *n ? len - *off : 0; /* no COMMIT: the parser will say so */
}

int rules_dump_parse(const char *text, size_t len, const char *prefix,
		     struct rules_dump **out, char *err, size_t errlen)
{
	struct parser p = { .prefix = prefix, .err = err, .errlen = errlen };
	char *line, *nl;
	int r = 0;

	*out = NULL;
	p.d = calloc(1, sizeof(*p.d));
	if (!p.d || !(p.d->buf = malloc(len + 1))) {
		free(p.d);
		return -ENOMEM;
	}
	memcpy(p.d->buf, text, len);
	p.d->buf[len] = '\0';
	if (memchr(text, '\0', len))
		r = fail(err, errlen, "NUL byte in save output");
	for (line = p.d->buf; !r && line < p.d->buf + len; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line);
		*nl = '\0';
		p.lineno++;
		if ((size_t)(nl - line) > DUMP_LINE_MAX)
			r = fail(err, errlen, "line %zu: too long", p.lineno);
		else
			r = parse_line(&p, line);
	}
	if (!r && p.t)
		r = fail(err, errlen, "table %s: no COMMIT (truncated output?)",
			 p.t->name);
	if (r) {
		rules_dump_free(p.d);
		return r;
	}
	*out = p.d;
	return 0;
}

/* --- checking a desire --- */

static const char *const builtins[][6] = {
	{ "filter", "INPUT", "FORWARD", "OUTPUT" },
	{ "nat", "PREROUTING", "INPUT", "OUTPUT", "POSTROUTING" },
	{ "mangle", "PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING" },
	{ "raw", "PREROUTING", "OUTPUT" },
};

static int table_index(const char *table)
{
	size_t i;

	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (!strcmp(builtins[i][0], table))
			return (int)i;
	return -1;
}

static bool is_builtin(int table, const char *chain)
{
	size_t i;

	for (i = 1; i < 6 && builtins[table][i]; i++)
		if (!strcmp(builtins[table][i], chain))
			return true;
	return false;
}

static bool chain_name_ok(const char *name, const char *prefix)
{
	size_t i;

	if (!has_prefix(name, prefix) || strlen(name) <= strlen(prefix) ||
	    strlen(name) > RULES_CHAIN_MAX)
		return false;
	for (i = 0; name[i]; i++)
		if (!bare_char(name[i]))
			return false;
	return true;
}

static const struct rules_chain *want_chain(const struct rules_table *t,
					    const char *name)
{
	size_t i;

	for (i = 0; i < t->n_chains; i++)
		if (!strcmp(t->chains[i].name, name))
			return &t->chains[i];
	return NULL;
}

/* True when spec has balanced double quotes and no double blank outside
 * them: save separates tokens by exactly one blank. */
static bool spaced_like_save(const char *spec)
{
	bool quoted = false;
	const char *s;

	for (s = spec; *s; s++) {
		if (quoted && *s == '\\' && s[1])
			s++;
		else if (*s == '"')
			quoted = !quoted;
		else if (!quoted && s[0] == ' ' && s[1] == ' ')
			return false;
	}
	return !quoted;
}

/* One line as save prints it, and a target of ours only if the table
 * declares that chain (restore would fail on it otherwise). */
static int check_rule(const struct rules_table *t, const char *prefix,
		      const char *chain, size_t i, const char *spec, char *err,
		      size_t errlen)
{
	char target[64];
	size_t n = strlen(spec);

	if (!n || n > RULES_RULE_MAX || strpbrk(spec, "\n\r\t") ||
	    spec[0] == ' ' || spec[n - 1] == ' ' || !spaced_like_save(spec))
		return fail(err, errlen,
			    "chain %s rule %zu: not one save-style line", chain,
			    i + 1);
	spec_target(spec, target, sizeof(target));
	if (*target && has_prefix(target, prefix) && !want_chain(t, target))
		return fail(err, errlen,
			    "chain %s rule %zu: target %s is not declared",
			    chain, i + 1, target);
	return 0;
}

static int check_table(const struct rules_want *w, const struct rules_table *t,
		       char *err, size_t errlen)
{
	int ti = table_index(t->name ? t->name : "");
	size_t i, j;
	int r;

	if (ti < 0)
		return fail(err, errlen, "unknown table \"%s\"",
			    t->name ? t->name : "");
	for (i = 0; i < t->n_chains; i++) {
		const struct rules_chain *c = &t->chains[i];

		if (!c->name || !chain_name_ok(c->name, w->prefix))
			return fail(err, errlen, "table %s: bad chain name %s",
				    t->name, c->name ? c->name : "(null)");
		if (want_chain(t, c->name) != c)
			return fail(err, errlen, "table %s: chain %s twice",
				    t->name, c->name);
		for (j = 0; j < c->n_rules; j++)
			if (!c->rules[j] ||
			    (r = check_rule(t, w->prefix, c->name, j,
					    c->rules[j], err, errlen)))
				return c->rules[j] ? r
						   : fail(err, errlen,
							  "chain %s: NULL rule",
							  c->name);
	}
	for (i = 0; i < t->n_jumps; i++) {
		const struct rules_jump *jp = &t->jumps[i];

		if (!jp->from || !is_builtin(ti, jp->from))
			return fail(err, errlen,
				    "table %s: jump from non-built-in chain %s",
				    t->name, jp->from ? jp->from : "(null)");
		if (!jp->to || !want_chain(t, jp->to))
			return fail(err, errlen,
				    "table %s: jump to undeclared chain %s",
				    t->name, jp->to ? jp->to : "(null)");
		for (j = 0; j < i; j++)
			if (!strcmp(t->jumps[j].from, jp->from) &&
			    !strcmp(t->jumps[j].to, jp->to))
				return fail(err, errlen,
					    "table %s: jump %s -> %s twice",
					    t->name, jp->from, jp->to);
	}
	return 0;
}

int rules_want_check(const struct rules_want *w, char *err, size_t errlen)
{
	char q[RULES_COMMENT_MAX + 8];
	size_t i, j;
	int r;

	if (w->family != AF_INET && w->family != AF_INET6)
		return fail(err, errlen, "family %d: not AF_INET or AF_INET6",
			    w->family);
	if (!w->prefix || !has_prefix(w->prefix, RULES_PREFIX) ||
	    strlen(w->prefix) > RULES_CHAIN_MAX / 2)
		return fail(err, errlen, "prefix must start with %s",
			    RULES_PREFIX);
	if (!w->comment || !*w->comment ||
	    strlen(w->comment) > RULES_COMMENT_MAX ||
	    rules_quote(w->comment, q, sizeof(q)))
		return fail(err, errlen, "bad jump comment");
	for (i = 0; i < w->n_tables; i++) {
		if ((r = check_table(w, &w->tables[i], err, errlen)))
			return r;
		for (j = 0; j < i; j++)
			if (!strcmp(w->tables[i].name, w->tables[j].name))
				return fail(err, errlen, "table %s twice",
					    w->tables[i].name);
	}
	return 0;
}

/* --- the plan --- */

void rules_text_free(struct rules_text *t)
{
	if (!t)
		return;
	free(t->s);
	memset(t, 0, sizeof(*t));
}

__attribute__((format(printf, 2, 3))) static int addf(struct rules_text *t,
						      const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || grow((void **)&t->s, &t->cap, t->len + n + 2, 1))
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += n;
	t->s[t->len++] = '\n';
	t->s[t->len] = '\0';
	t->lines++;
	return 0;
}

static int append(struct rules_text *to, const struct rules_text *from)
{
	if (!from->len)
		return 0;
	if (grow((void **)&to->s, &to->cap, to->len + from->len + 1, 1))
		return -ENOMEM;
	memcpy(to->s + to->len, from->s, from->len + 1);
	to->len += from->len;
	to->lines += from->lines;
	return 0;
}

/* The sections of one table block, in the order they are written. Every
 * stale chain is flushed before any is deleted: nft checks references
 * command by command, and a stale chain may jump to another one. */
enum { S_DECL, S_JDEL, S_FLUSH, S_DEL, S_RULES, S_JADD, S_COUNT };

struct tplan {
	const struct rules_want *w;
	const struct rules_table *t;
	const struct rules_dtable *have; /* NULL: nothing in that table */
	struct rules_text s[S_COUNT];
	struct rules_stats *st;
};

static bool same_rules(const struct rules_chain *c,
		       const struct rules_dchain *h)
{
	size_t i;

	if (!h || h->n_rules != c->n_rules)
		return false;
	for (i = 0; i < c->n_rules; i++)
		if (strcmp(c->rules[i], h->rules[i]))
			return false;
	return true;
}

static int plan_chains(struct tplan *p)
{
	size_t i, j;

	for (i = 0; i < p->t->n_chains; i++) {
		const struct rules_chain *c = &p->t->chains[i];

		if (same_rules(c, find_dchain(p->have, c->name)))
			continue;
		if (addf(&p->s[S_DECL], ":%s - [0:0]", c->name))
			return -ENOMEM;
		for (j = 0; j < c->n_rules; j++)
			if (addf(&p->s[S_RULES], "-A %s %s", c->name,
				 c->rules[j]))
				return -ENOMEM;
		p->st->chains_written++;
		p->st->rules_written += c->n_rules;
	}
	return 0;
}

/* A user chain that is not the caller's jumps to `name`. Ownership here
 * is the want's prefix: the dump may have been parsed with a shorter one
 * (e.g. "SNAPNET-" while the caller owns "SNAPNET-FW-"), so another
 * caller's chain is foreign too. */
static bool foreign_ref(const struct rules_dtable *h, const char *prefix,
			const char *name)
{
	char target[64];
	size_t i, j;

	for (i = 0; i < h->n_chains; i++) {
		const struct rules_dchain *c = &h->chains[i];

		if (c->builtin || has_prefix(c->name, prefix))
			continue;
		for (j = 0; j < c->n_rules; j++) {
			spec_target(c->rules[j], target, sizeof(target));
			if (!strcmp(target, name))
				return true;
		}
	}
	return false;
}

static int plan_stale(struct tplan *p)
{
	size_t i;

	for (i = 0; p->have && i < p->have->n_chains; i++) {
		const struct rules_dchain *h = &p->have->chains[i];

		if (!h->ours || !has_prefix(h->name, p->w->prefix) ||
		    want_chain(p->t, h->name))
			continue;
		if (foreign_ref(p->have, p->w->prefix, h->name)) {
			p->st->chains_kept++;
			if (h->n_rules &&
			    addf(&p->s[S_DECL], ":%s - [0:0]", h->name))
				return -ENOMEM;
			continue;
		}
		if (addf(&p->s[S_FLUSH], "-F %s", h->name) ||
		    addf(&p->s[S_DEL], "-X %s", h->name))
			return -ENOMEM;
		p->st->chains_deleted++;
	}
	return 0;
}

#define JUMP_SPEC_MAX (2 * RULES_COMMENT_MAX + 2 * RULES_CHAIN_MAX + 40)

static int jump_spec(const struct rules_want *w, const struct rules_jump *j,
		     char *buf, size_t len)
{
	char q[2 * RULES_COMMENT_MAX + 3];

	if (rules_quote(w->comment, q, sizeof(q)))
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "-m comment --comment %s -j %s", q,
			     j->to) >= len)
		return -ENOSPC;
	return 0;
}

/* The desired jump a rule of built-in chain `chain` is, or n_jumps. */
static size_t which_jump(const struct tplan *p,
			 const char (*specs)[JUMP_SPEC_MAX], const char *chain,
			 const char *rule)
{
	size_t k;

	for (k = 0; k < p->t->n_jumps; k++)
		if (!strcmp(p->t->jumps[k].from, chain) &&
		    !strcmp(specs[k], rule))
			return k;
	return p->t->n_jumps;
}

/* Calls fn for every rule of a built-in chain that jumps to one of the
 * caller's chains (another caller's jumps are skipped). */
static int each_jump(struct tplan *p, const char (*specs)[JUMP_SPEC_MAX],
		     size_t *copies, bool del)
{
	char target[64];
	size_t i, j, k;

	for (i = 0; p->have && i < p->have->n_chains; i++) {
		const struct rules_dchain *h = &p->have->chains[i];

		for (j = 0; h->builtin && j < h->n_rules; j++) {
			spec_target(h->rules[j], target, sizeof(target));
			if (!has_prefix(target, p->w->prefix))
				continue;
			k = which_jump(p, specs, h->name, h->rules[j]);
			if (!del) {
				copies[k]++;
				continue;
			}
			if (k < p->t->n_jumps && copies[k] == 1)
				continue;
			if (addf(&p->s[S_JDEL], "-D %s %s", h->name,
				 h->rules[j]))
				return -ENOMEM;
			p->st->jumps_deleted++;
		}
	}
	return 0;
}

/*
 * A desired jump present once stays where it is. Every other rule of a
 * built-in chain that jumps to us goes: stale jumps, and all copies of a
 * jump present more than once, which is then added again. (-D by spec
 * removes the first copy, which for an inserted jump is the one in the
 * right place; -D by number could hit a foreign rule inserted since the
 * dump. Deleting all copies and adding one, in one commit, is safe.)
 */
static int plan_jumps(struct tplan *p, const char (*specs)[JUMP_SPEC_MAX],
		      size_t *copies)
{
	size_t n = p->t->n_jumps, i, k;
	int r;

	if ((r = each_jump(p, specs, copies, false)) ||
	    (r = each_jump(p, specs, copies, true)))
		return r;
	/* appended ones in order; inserted ones in reverse, so the first
	 * listed ends up first */
	for (i = 0; i < 2 * n; i++) {
		const struct rules_jump *jp;

		k = i < n ? n - 1 - i : i - n;
		jp = &p->t->jumps[k];
		if (copies[k] == 1 || jp->first != (i < n))
			continue;
		r = jp->first
			? addf(&p->s[S_JADD], "-I %s 1 %s", jp->from, specs[k])
			: addf(&p->s[S_JADD], "-A %s %s", jp->from, specs[k]);
		if (r)
			return r;
		p->st->jumps_added++;
	}
	return 0;
}

static int plan_table(struct tplan *p, struct rules_text *out)
{
	size_t n = p->t->n_jumps, i, len = 0;
	char(*specs)[JUMP_SPEC_MAX] = calloc(n + 1, sizeof(*specs));
	size_t *copies = calloc(n + 1, sizeof(*copies));
	int r = specs && copies ? 0 : -ENOMEM;

	for (i = 0; !r && i < n; i++)
		r = jump_spec(p->w, &p->t->jumps[i], specs[i],
			      sizeof(specs[i]));
	if (!r)
		r = plan_chains(p);
	if (!r)
		r = plan_stale(p);
	if (!r)
		r = plan_jumps(p, (const char(*)[JUMP_SPEC_MAX])specs, copies);
	free(specs);
	free(copies);
	for (i = 0; !r && i < S_COUNT; i++)
		len += p->s[i].len;
	if (r || !len)
		return r;
	if (addf(out, "*%s", p->t->name))
		return -ENOMEM;
	for (i = 0; i < S_COUNT; i++)
		if (append(out, &p->s[i]))
			return -ENOMEM;
	return addf(out, "COMMIT");
}

int rules_plan(const struct rules_want *w, const struct rules_dump *have,
	       struct rules_text *out, struct rules_stats *st, char *err,
	       size_t errlen)
{
	struct rules_stats dummy;
	size_t i, k;
	int r;

	memset(out, 0, sizeof(*out));
	if (!st)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	if ((r = rules_want_check(w, err, errlen)))
		return r;
	for (i = 0; i < w->n_tables; i++) {
		struct tplan p = { .w = w, .t = &w->tables[i], .st = st };

		p.have = rules_dump_table(have, p.t->name);
		r = plan_table(&p, out);
		for (k = 0; k < S_COUNT; k++)
			rules_text_free(&p.s[k]);
		if (r) {
			rules_text_free(out);
			return r == -ENOMEM ? r
					    : fail(err, errlen, "plan failed");
		}
	}
	return 0;
}

static bool describe_chains(const struct rules_want *w,
			    const struct rules_dump *have, char *buf,
			    size_t len)
{
	size_t i, j, k;

	for (i = 0; i < w->n_tables; i++) {
		const struct rules_table *t = &w->tables[i];
		const struct rules_dtable *ht = rules_dump_table(have, t->name);

		for (j = 0; j < t->n_chains; j++) {
			const struct rules_chain *c = &t->chains[j];
			const struct rules_dchain *h = find_dchain(ht, c->name);

			if (!h) {
				snprintf(buf, len, "%s: chain %s missing",
					 t->name, c->name);
				return true;
			}
			for (k = 0; k < c->n_rules && k < h->n_rules; k++)
				if (strcmp(c->rules[k], h->rules[k]))
					break;
			if (k == c->n_rules && k == h->n_rules)
				continue;
			snprintf(buf, len,
				 "%s: chain %s rule %zu: wrote \"%s\", kernel "
				 "shows \"%s\"",
				 t->name, c->name, k + 1,
				 k < c->n_rules ? c->rules[k] : "(none)",
				 k < h->n_rules ? h->rules[k] : "(none)");
			return true;
		}
	}
	return false;
}

bool rules_differs(const struct rules_want *w, const struct rules_dump *have,
		   char *buf, size_t len)
{
	struct rules_text t;
	char *nl;
	bool d;

	if (len)
		buf[0] = '\0';
	if (describe_chains(w, have, buf, len))
		return true;
	if (rules_plan(w, have, &t, NULL, buf, len))
		return true;
	d = t.len > 0;
	if (d) {
		/* The second line: the first one names the table. */
		nl = strchr(t.s, '\n');
		snprintf(buf, len, "still to do: %.*s%s",
			 (int)strcspn(nl + 1, "\n"), nl + 1,
			 t.lines > 3 ? " ..." : "");
	}
	rules_text_free(&t);
	return d;
}
