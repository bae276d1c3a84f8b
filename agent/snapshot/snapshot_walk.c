/*
 * snapshot_walk.c - typed field reads off the scanner (snapshot_walk.h).
 *
 * Owns nothing beyond the item being read: strings it interns go into
 * w->rec->strs the moment they exist, so whatever stops an item (an
 * error, out of memory, or a SIGBUS abandoning the load) leaves every
 * allocation reachable from the record. No json-c: values are decoded
 * from the token bytes the scanner validated.
 */
#include "snapshot/snapshot_walk.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strpool.h"
#include "lib/util.h"

void walk_push(struct walk *w, const char *key)
{
	if (w->n_seg < WALK_DEPTH)
		w->seg[w->n_seg] =
		    (struct walk_seg){ .key = key, .len = strlen(key) };
	w->n_seg++;
}

void walk_push_index(struct walk *w, size_t i)
{
	if (w->n_seg < WALK_DEPTH)
		w->seg[w->n_seg] = (struct walk_seg){ .key = NULL, .index = i };
	w->n_seg++;
}

void walk_pop(struct walk *w)
{
	if (w->n_seg)
		w->n_seg--;
}

/* A NULL key: the value is an array element, already on the path. */
static void push_opt(struct walk *w, const char *key)
{
	if (key)
		walk_push(w, key);
}

static void pop_opt(struct walk *w, const char *key)
{
	if (key)
		walk_pop(w);
}

static void path_format(const struct walk *w, char *buf, size_t len)
{
	size_t o = 0;
	unsigned n = w->n_seg < WALK_DEPTH ? w->n_seg : WALK_DEPTH;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && o + 1 < len; i++) {
		const struct walk_seg *s = &w->seg[i];
		int k;

		if (s->key)
			k = snprintf(buf + o, len - o, "%s%.*s", o ? "." : "",
				     (int)s->len, s->key);
		else
			k = snprintf(buf + o, len - o, "[%zu]", s->index);
		if (k < 0)
			break;
		o += (size_t)k;
	}
	if (!buf[0])
		snprintf(buf, len, "(item)");
}

static int fail_v(struct walk *w, int e, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static int fail_v(struct walk *w, int e, const char *fmt, va_list ap)
{
	char what[384], path[192];

	const char *ns = w->ns[0] ? w->ns : w->namespaced && w->name[0] ? "?" : "";

	vsnprintf(what, sizeof(what), fmt, ap);
	path_format(w, path, sizeof(path));
	return errf(w->err, w->errlen, e, "%s: items[%zu] %s%s%s%s%s: %s: %s",
		    w->file, w->item, w->kind, ns[0] ? "/" : "", ns,
		    w->name[0] ? "/" : "", w->name, path, what);
}

int walk_fail(struct walk *w, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = fail_v(w, EINVAL, fmt, ap);
	va_end(ap);
	return r;
}

int walk_fail_e(struct walk *w, int e, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = fail_v(w, e, fmt, ap);
	va_end(ap);
	return r;
}

int walk_syntax(struct walk *w)
{
	w->syntax = true;
	return -EINVAL;
}

const char *walk_type(struct walk *w)
{
	return scan_type_name(scan_peek(w->sc));
}

bool walk_is_null(struct walk *w)
{
	return scan_peek(w->sc) == 'n';
}

int walk_skip(struct walk *w)
{
	return scan_value(w->sc, w->depth) < 0 ? walk_syntax(w) : 0;
}

/* A value of the wrong type: validated first, then reported. */
static int wrong_type(struct walk *w, const char *want)
{
	const char *got = walk_type(w);

	if (walk_skip(w) < 0)
		return -EINVAL;
	return walk_fail(w, "expected %s, got %s", want, got);
}

/* null: consumed, 0. The wanted opening byte: 1. Else an error. */
static int open_value(struct walk *w, int want, const char *what)
{
	int c = scan_peek(w->sc);

	if (c == 'n')
		return walk_skip(w) < 0 ? -EINVAL : 0;
	if (c != want)
		return wrong_type(w, what);
	return 1;
}

int walk_key(struct walk *w, struct scan_str *key)
{
	struct scan *sc = w->sc;
	int c = scan_peek(sc);

	if (c != '"') {
		if (c == -1)
			scan_fail(sc, sc->len, "unexpected end of input");
		else
			scan_fail(sc, sc->pos, "expected a string as object key");
		return walk_syntax(w);
	}
	if (scan_string(sc, key) < 0 ||
	    scan_expect(sc, ':', "':' after object key") < 0)
		return walk_syntax(w);
	return 0;
}

/* After a member or element: 0 on ',', 1 on `close`. */
int walk_next(struct walk *w, char close)
{
	int r = scan_next(w->sc, close);

	return r < 0 ? walk_syntax(w) : r;
}

static int object_body(struct walk *w, walk_member_fn fn, void *arg)
{
	struct scan *sc = w->sc;
	struct scan_str key;
	int r;

	if (w->depth + 1 >= sc->max_depth) {
		scan_fail(sc, sc->pos, "nesting deeper than %u levels",
			  sc->max_depth);
		return walk_syntax(w);
	}
	sc->pos++; /* '{' */
	w->depth++;
	if (scan_peek(sc) == '}') {
		sc->pos++;
		w->depth--;
		return 0;
	}
	do {
		r = walk_key(w, &key);
		if (r == 0)
			r = fn(w, &key, arg);
		if (r == 0)
			r = walk_next(w, '}');
	} while (r == 0);
	w->depth--;
	return r < 0 ? r : 0;
}

int walk_object(struct walk *w, const char *key, walk_member_fn fn, void *arg)
{
	int r;

	push_opt(w, key);
	r = open_value(w, '{', "object");
	if (r == 1) {
		r = object_body(w, fn, arg);
		r = r < 0 ? r : 1;
	}
	pop_opt(w, key);
	return r;
}

static int array_body(struct walk *w, size_t max, walk_elem_fn fn, void *arg)
{
	struct scan *sc = w->sc;
	size_t i = 0;
	int r = 0;

	if (w->depth + 1 >= sc->max_depth) {
		scan_fail(sc, sc->pos, "nesting deeper than %u levels",
			  sc->max_depth);
		return walk_syntax(w);
	}
	sc->pos++; /* '[' */
	w->depth++;
	if (scan_peek(sc) == ']') {
		sc->pos++;
		w->depth--;
		return 0;
	}
	do {
		if (i >= max) {
			r = walk_fail_e(w, E2BIG, "more than %zu entries", max);
			break;
		}
		walk_push_index(w, i);
		r = fn(w, i++, arg);
		walk_pop(w);
		if (r == 0)
			r = walk_next(w, ']');
	} while (r == 0);
	w->depth--;
	return r < 0 ? r : 0;
}

int walk_array(struct walk *w, const char *key, size_t max, walk_elem_fn fn,
	       void *arg)
{
	int r;

	push_opt(w, key);
	r = open_value(w, '[', "array");
	if (r == 1) {
		r = array_body(w, max, fn, arg);
		r = r < 0 ? r : 1;
	}
	pop_opt(w, key);
	return r;
}

/* The string at the scanner, decoded; the path already holds its key. */
static int string_here(struct walk *w, char *buf, size_t cap, size_t *len)
{
	struct scan_str str;
	int n, r = open_value(w, '"', "string");

	if (r != 1)
		return r;
	if (scan_string(w->sc, &str) < 0)
		return walk_syntax(w);
	n = scan_str_decode(&str, buf, cap);
	if (n == -ENAMETOOLONG)
		return walk_fail(w, "longer than %zu bytes", cap - 1);
	if (n < 0)
		return walk_fail(w, "invalid string (a lone UTF-16 surrogate)");
	*len = (size_t)n;
	return 1;
}

int walk_string(struct walk *w, const char *key, char *buf, size_t cap,
		size_t *len)
{
	int r;

	push_opt(w, key);
	r = string_here(w, buf, cap, len);
	pop_opt(w, key);
	return r;
}

/* Records a string the record holds (interned or its own). */
static const char *hold(struct walk *w, const char *s, size_t len, bool own)
{
	struct rec *rec = w->rec;
	const char *i;

	if (rec->n_strs == rec->cap_strs) {
		size_t cap = rec->cap_strs;

		if (array_grow_from(&rec->strs, &cap, rec->n_strs + 1,
				    sizeof(*rec->strs), 4) < 0)
			goto oom;
		rec->cap_strs = (uint32_t)cap;
	}
	i = own ? strpool_own(s, len) : strpool_intern(w->pool, s, len);
	if (!i)
		goto oom;
	rec->strs[rec->n_strs++] = i;
	return i;
oom:
	errf(w->err, w->errlen, ENOMEM, "%s: items[%zu]: %s", w->file, w->item,
	     strerror(ENOMEM));
	return NULL;
}

const char *walk_intern(struct walk *w, const char *s, size_t len)
{
	return hold(w, s, len, false);
}

const char *walk_own(struct walk *w, const char *s, size_t len)
{
	return hold(w, s, len, true);
}

/* A free-text string kept by the model: no NUL inside (C consumers would
 * see it cut short). */
static int text_here(struct walk *w, size_t max, bool own, const char **out);

static int istring_here(struct walk *w, size_t max, const char **out)
{
	return text_here(w, max, false, out);
}

static int text_here(struct walk *w, size_t max, bool own, const char **out)
{
	char stack[256], *buf = stack;
	size_t len = 0;
	int r;

	if (max + 1 > sizeof(stack) && !(buf = malloc(max + 1)))
		return walk_fail_e(w, ENOMEM, "out of memory");
	r = string_here(w, buf, max + 1, &len);
	if (r == 1 && memchr(buf, '\0', len))
		r = walk_fail(w, "contains a NUL character");
	if (r == 1 && !(*out = own ? walk_own(w, buf, len)
				   : walk_intern(w, buf, len)))
		r = -ENOMEM;
	if (buf != stack)
		free(buf);
	return r;
}

int walk_ostring(struct walk *w, const char *key, size_t max,
		 const char **out)
{
	int r;

	push_opt(w, key);
	r = text_here(w, max, true, out);
	pop_opt(w, key);
	return r;
}

int walk_istring(struct walk *w, const char *key, size_t max,
		 const char **out)
{
	int r;

	push_opt(w, key);
	r = istring_here(w, max, out);
	pop_opt(w, key);
	return r;
}

int walk_bool(struct walk *w, const char *key, bool *out)
{
	struct scan *sc = w->sc;
	int c, r = 1;

	push_opt(w, key);
	c = scan_peek(sc);
	if (c == 't' || c == 'f') {
		if (walk_skip(w) < 0)
			r = -EINVAL;
		else
			*out = c == 't';
	} else if (c == 'n') {
		r = walk_skip(w) < 0 ? -EINVAL : 0;
	} else {
		r = wrong_type(w, "boolean");
	}
	pop_opt(w, key);
	return r;
}

static int int_here(struct walk *w, long long lo, long long hi,
		    long long *out)
{
	struct scan *sc = w->sc;
	char text[32];
	size_t start, n;
	long long v;
	char *end;
	int c = scan_peek(sc);

	if (c == 'n')
		return walk_skip(w) < 0 ? -EINVAL : 0;
	if (c != '-' && (c < '0' || c > '9'))
		return wrong_type(w, "number");
	start = sc->pos;
	if (walk_skip(w) < 0)
		return -EINVAL;
	n = sc->pos - start;
	if (n >= sizeof(text) || memchr(sc->buf + start, '.', n) ||
	    memchr(sc->buf + start, 'e', n) || memchr(sc->buf + start, 'E', n))
		return walk_fail(w, "expected an integer %lld..%lld, got %.*s",
				 lo, hi, (int)(n < 24 ? n : 24),
				 sc->buf + start);
	memcpy(text, sc->buf + start, n);
	text[n] = '\0';
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return walk_fail(w, "expected an integer %lld..%lld, got %s",
				 lo, hi, text);
	*out = v;
	return 1;
}

int walk_int(struct walk *w, const char *key, long long lo, long long hi,
	     long long *out)
{
	int r;

	push_opt(w, key);
	r = int_here(w, lo, hi, out);
	pop_opt(w, key);
	return r;
}

static void quote(char *buf, size_t cap, const char *s, size_t n)
{
	char *snapshot_quote(char *b, size_t blen, const char *str, size_t len);

	snapshot_quote(buf, cap, s, n);
}

int walk_enum(struct walk *w, const char *key, const char *const *names,
	      size_t n, int *out)
{
	char buf[64], list[256] = "", q[96];
	size_t len, o = 0;
	int r;

	push_opt(w, key);
	r = string_here(w, buf, sizeof(buf), &len);
	if (r == 1) {
		for (size_t i = 0; i < n; i++)
			if (strlen(names[i]) == len && !strcmp(names[i], buf)) {
				*out = (int)i;
				pop_opt(w, key);
				return 1;
			}
		for (size_t i = 0; i < n && o < sizeof(list); i++)
			o += (size_t)snprintf(list + o, sizeof(list) - o,
					      "%s%s", i ? ", " : "", names[i]);
		quote(q, sizeof(q), buf, len);
		r = walk_fail(w, "expected one of %s, got %s", list, q);
	}
	pop_opt(w, key);
	return r;
}

int walk_grow(struct walk *w, void *arr, size_t *cap, size_t n, size_t sz)
{
	/* most arrays of a record hold one or two entries */
	if (array_grow_from(arr, cap, n + 1, sz, 1) < 0)
		return errf(w->err, w->errlen, ENOMEM, "%s: items[%zu]: %s",
			    w->file, w->item, strerror(ENOMEM));
	return 0;
}

/* ---- names ------------------------------------------------------ */

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool walk_dns1123_label(const char *s, size_t n)
{
	if (n == 0 || n > 63 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* Labels of a subdomain have no length of their own: only the whole
 * is bounded (the API's regex, not RFC 1035's 63). */
bool walk_dns1123_subdomain(const char *s, size_t n)
{
	size_t start = 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		size_t len = i - start;

		if (i < n && s[i] != '.')
			continue;
		if (len == 0 || !lower_alnum(s[start]) ||
		    !lower_alnum(s[i - 1]))
			return false;
		for (size_t j = start; j < i; j++)
			if (!lower_alnum(s[j]) && s[j] != '-')
				return false;
		start = i + 1;
	}
	return true;
}

bool walk_dns1035_label(const char *s, size_t n)
{
	return walk_dns1123_label(s, n) && s[0] >= 'a' && s[0] <= 'z';
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

/* [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most max */
static bool name_part(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i]))
			return false;
	return true;
}

bool walk_qualified_name(const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);

	if (!slash)
		return name_part(s, n, 63);
	return walk_dns1123_subdomain(s, (size_t)(slash - s)) &&
	       name_part(slash + 1, n - (size_t)(slash - s) - 1, 63);
}

bool walk_label_value(const char *s, size_t n)
{
	return n == 0 || name_part(s, n, 63);
}

bool walk_iana_svc_name(const char *s, size_t n)
{
	bool letter = false;

	if (n == 0 || n > 15 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!lower_alnum(s[i]) && s[i] != '-')
			return false;
		if (s[i] == '-' && i && s[i - 1] == '-')
			return false;
		letter |= s[i] >= 'a' && s[i] <= 'z';
	}
	return letter;
}

/* ---- maps ------------------------------------------------------- */

struct map_walk {
	struct labels *out;
	size_t cap, max, max_bytes, bytes;
	bool label_values;
};

/* A label value, checked, interned. */
static int label_value_here(struct walk *w, const char **out, size_t *len)
{
	char v[256], q[96];
	int r = string_here(w, v, sizeof(v), len);

	if (r == 1 && !walk_label_value(v, *len)) {
		quote(q, sizeof(q), v, *len);
		r = walk_fail(w, "invalid label value %s", q);
	}
	if (r == 1 && !(*out = walk_intern(w, v, *len)))
		r = -ENOMEM;
	return r;
}

/* The API checks an annotation key lower-cased (so "Example.COM/x" is
 * a fine annotation key), a label key as it is. */
static bool key_ok(const char *k, size_t n, bool label)
{
	char low[320];

	if (label)
		return walk_qualified_name(k, n);
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)k[i]);
	return walk_qualified_name(low, n);
}

static int map_member(struct walk *w, const struct scan_str *key, void *arg)
{
	struct map_walk *m = arg;
	const char *ik, *iv = NULL;
	char k[320], q[96];
	size_t vl = 0;
	int r, n = scan_str_decode(key, k, sizeof(k));

	/* a label key is at most 253 + 1 + 63 bytes */
	if (n < 0 || (size_t)n != strlen(k) || !key_ok(k, (size_t)n,
						     m->label_values)) {
		quote(q, sizeof(q), k, n < 0 ? 0 : (size_t)n);
		if (walk_skip(w) < 0)
			return -EINVAL;
		return walk_fail(w, "invalid key %s (not a qualified name)",
				 n < 0 ? "(too long)" : q);
	}
	if (m->out->n >= m->max)
		return walk_fail_e(w, E2BIG, "more than %zu entries", m->max);
	walk_push(w, k);
	if (m->label_values) {
		r = label_value_here(w, &iv, &vl);
	} else {
		r = istring_here(w, m->max_bytes, &iv);
		vl = r == 1 ? strpool_len(iv) : 0;
	}
	walk_pop(w);
	if (r <= 0)
		return r; /* null: absent */
	m->bytes += (size_t)n + vl;
	if (m->bytes > m->max_bytes)
		return walk_fail_e(w, E2BIG, "more than %zu bytes in all",
				   m->max_bytes);
	ik = walk_intern(w, k, (size_t)n);
	if (!ik || walk_grow(w, &m->out->v, &m->cap, m->out->n,
			     sizeof(*m->out->v)) < 0)
		return -ENOMEM;
	m->out->v[m->out->n++] = (struct label){ ik, iv };
	return 0;
}

/* Sorts by key; of equal keys the last in the document wins. */
static void map_finish(struct labels *l)
{
	uint32_t o = 0;

	for (uint32_t i = 1; i < l->n; i++) { /* insertion: maps are small */
		struct label x = l->v[i];
		uint32_t j = i;

		while (j > 0 && strcmp(l->v[j - 1].key, x.key) > 0) {
			l->v[j] = l->v[j - 1];
			j--;
		}
		l->v[j] = x;
	}
	for (uint32_t i = 0; i < l->n; i++) {
		/* stable sort: the later duplicate comes later */
		if (o && l->v[o - 1].key == l->v[i].key)
			o--;
		l->v[o++] = l->v[i];
	}
	l->n = o;
}

int walk_map(struct walk *w, const char *key, size_t max, size_t max_bytes,
	     bool label_values, struct labels *out)
{
	struct map_walk m = { .out = out, .max = max, .max_bytes = max_bytes,
			      .label_values = label_values };
	int r;

	free(out->v); /* a second occurrence of the key replaces the first */
	out->v = NULL;
	out->n = 0;
	r = walk_object(w, key, map_member, &m);
	if (r > 0)
		map_finish(out);
	return r;
}
