/*
 * scan.c - strict JSON scanner: validates without building a tree.
 *
 * Owns no state beyond struct scan. It accepts exactly RFC 8259: objects,
 * arrays, strings (the escapes \" \\ \/ \b \f \n \r \t \uXXXX, no raw
 * control characters, well-formed UTF-8 without overlong forms or encoded
 * surrogates), numbers (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?),
 * true, false, null, and whitespace (space, tab, LF, CR). Nesting is
 * limited (max_depth) and handled with a small explicit stack, so hostile
 * input cannot exhaust the C stack.
 *
 * Speed matters: the snapshot at scale is ~116 MB and the scanner sees
 * every byte once. Strings are skipped with a byte-class table, four bytes
 * per step, and leave the fast loop only for a quote, a backslash, a
 * control character or a non-ASCII byte. Indentation is skipped eight
 * spaces at a time.
 *
 * Failure: the first error stops the scan; err_pos/err say where and what.
 * Running out of bytes anywhere is "unexpected end of input".
 */
#include "lib/scan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum { S_PLAIN, S_QUOTE, S_BSLASH, S_CTRL, S_HIGH };

static const uint8_t str_class[256] = {
	[0 ... 0x1f] = S_CTRL,
	['"'] = S_QUOTE,
	['\\'] = S_BSLASH,
	[0x80 ... 0xff] = S_HIGH,
};

static const uint8_t is_ws[256] = {
	[' '] = 1,
	['\t'] = 1,
	['\n'] = 1,
	['\r'] = 1,
};

static const uint8_t is_digit[256] = {
	['0' ... '9'] = 1,
};

static const uint8_t hex_val[256] = {
	/* value + 1, so 0 means "not a hex digit" */
	['0'] = 1,  ['1'] = 2,	['2'] = 3,  ['3'] = 4,	['4'] = 5,  ['5'] = 6,
	['6'] = 7,  ['7'] = 8,	['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
	['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

typedef const unsigned char *uptr;

void scan_init(struct scan *s, const char *buf, size_t len, unsigned max_depth)
{
	memset(s, 0, sizeof(*s));
	s->buf = buf ? buf : ""; /* no arithmetic on a null pointer */
	s->len = len;
	s->max_depth = max_depth && max_depth <= SCAN_MAX_DEPTH
			   ? max_depth
			   : SCAN_MAX_DEPTH;
}

int scan_fail(struct scan *s, size_t pos, const char *fmt, ...)
{
	va_list ap;

	s->err_pos = pos;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static size_t off(const struct scan *s, uptr p)
{
	return (size_t)(p - (uptr)s->buf);
}

static int fail_at(struct scan *s, uptr p, uptr end, const char *what)
{
	if (p >= end)
		return scan_fail(s, off(s, end), "unexpected end of input");
	return scan_fail(s, off(s, p), "%s", what);
}

/* Spaces at p, up to 16 at a time (16: maybe more follow). */
static unsigned spaces16(uptr p)
{
#ifdef __SSE2__
	__m128i v = _mm_loadu_si128((const __m128i *)p);
	unsigned m = (unsigned)_mm_movemask_epi8(
		_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));

	return m == 0xffff ? 16 : (unsigned)__builtin_ctz(~m);
#else
	unsigned n = 0;

	while (n < 16 && p[n] == ' ')
		n++;
	return n;
#endif
}

static uptr skip_ws(uptr p, uptr end)
{
	/* kubectl indents with runs of spaces after each newline: a run is
	 * measured 16 bytes at a time (14 % of a cold load's instructions
	 * went into skipping them 8 at a time with memcmp) */
	while (p < end && is_ws[*p]) {
		unsigned n;

		if (*p != ' ' || end - p < 16) {
			p++;
			continue;
		}
		do {
			n = spaces16(p);
			p += n;
		} while (n == 16 && end - p >= 16);
	}
	return p;
}

/* One UTF-8 sequence starting at a byte >= 0x80 (RFC 3629 table). */
static uptr skip_utf8(struct scan *s, uptr p, uptr end)
{
	unsigned c = p[0], lo = 0x80, hi = 0xbf, n;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		fail_at(s, p, end, "invalid UTF-8 in string");
		return NULL;
	}
	for (unsigned i = 1; i <= n; i++) {
		if (p + i >= end) {
			fail_at(s, end, end, "");
			return NULL;
		}
		if (p[i] < lo || p[i] > hi) {
			fail_at(s, p + i, end, "invalid UTF-8 in string");
			return NULL;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return p + n + 1;
}

/* p is at the backslash. */
static uptr skip_escape(struct scan *s, uptr p, uptr end)
{
	if (p + 1 >= end)
		goto trunc;
	switch (p[1]) {
	case '"':
	case '\\':
	case '/':
	case 'b':
	case 'f':
	case 'n':
	case 'r':
	case 't':
		return p + 2;
	case 'u':
		for (int i = 2; i < 6; i++) {
			if (p + i >= end)
				goto trunc;
			if (!hex_val[p[i]]) {
				fail_at(
				    s, p + i, end,
				    "invalid \\u escape: need 4 hex digits");
				return NULL;
			}
		}
		return p + 6;
	default:
		fail_at(s, p + 1, end, "invalid escape in string");
		return NULL;
	}
trunc:
	fail_at(s, end, end, "");
	return NULL;
}

/* Past the plain string bytes at p, 16 at a time: stops at a quote, a
 * backslash, a control character or a byte >= 0x80 (signed, those are
 * below 0x20 too), or where fewer than 16 bytes are left. */
static uptr plain16(uptr p, uptr end)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(0x20);

	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		__m128i hit = _mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(v, quote),
				     _mm_cmpeq_epi8(v, bslash)),
			_mm_cmplt_epi8(v, space));
		unsigned m = (unsigned)_mm_movemask_epi8(hit);

		if (m)
			return p + __builtin_ctz(m);
		p += 16;
	}
#else
	(void)end;
#endif
	return p;
}

/* p is just after the opening quote; returns just after the closing one. */
static uptr skip_string(struct scan *s, uptr p, uptr end, bool *escaped)
{
	for (;;) {
		p = plain16(p, end);
		while (end - p >= 4 && !(str_class[p[0]] | str_class[p[1]] |
					 str_class[p[2]] | str_class[p[3]]))
			p += 4;
		while (p < end && !str_class[*p])
			p++;
		if (p >= end) {
			fail_at(s, end, end, "");
			return NULL;
		}
		switch (str_class[*p]) {
		case S_QUOTE:
			return p + 1;
		case S_BSLASH:
			*escaped = true;
			p = skip_escape(s, p, end);
			break;
		case S_HIGH:
			p = skip_utf8(s, p, end);
			break;
		default:
			fail_at(s, p, end, "control character in string");
			return NULL;
		}
		if (!p)
			return NULL;
	}
}

static uptr skip_digits(struct scan *s, uptr p, uptr end, const char *what)
{
	if (p >= end || !is_digit[*p]) {
		fail_at(s, p, end, what);
		return NULL;
	}
	while (p < end && is_digit[*p])
		p++;
	return p;
}

static uptr skip_number(struct scan *s, uptr p, uptr end)
{
	if (*p == '-')
		p++;
	if (p < end && *p == '0') {
		p++;
		if (p < end && is_digit[*p]) {
			fail_at(s, p, end, "leading zero in number");
			return NULL;
		}
	} else if (!(p = skip_digits(s, p, end, "invalid number"))) {
		return NULL;
	}
	if (p < end && *p == '.' &&
	    !(p = skip_digits(s, p + 1, end, "digit expected after '.'")))
		return NULL;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		p = skip_digits(s, p, end, "digit expected in exponent");
	}
	return p;
}

static uptr skip_literal(struct scan *s, uptr p, uptr end)
{
	static const char *const lits[] = { "true", "false", "null" };

	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(lits[i]);

		if (*p != (unsigned char)lits[i][0])
			continue;
		for (size_t k = 1; k < n; k++) {
			if (p + k >= end || p[k] != (unsigned char)lits[i][k]) {
				fail_at(s, p + k, end, "invalid literal");
				return NULL;
			}
		}
		return p + n;
	}
	fail_at(s, p, end, "invalid literal");
	return NULL;
}

int scan_peek(struct scan *s)
{
	uptr end = (uptr)s->buf + s->len;
	uptr p = skip_ws((uptr)s->buf + s->pos, end);

	s->pos = off(s, p);
	return p < end ? *p : -1;
}

int scan_expect(struct scan *s, char c, const char *what)
{
	int n = scan_peek(s);

	if (n == -1)
		return scan_fail(s, s->len, "unexpected end of input");
	if (n != (unsigned char)c)
		return scan_fail(s, s->pos, "expected %s", what);
	s->pos++;
	return 0;
}

int scan_next(struct scan *s, char close)
{
	int c = scan_peek(s);

	if (c == ',' || c == (unsigned char)close) {
		s->pos++;
		return c == (unsigned char)close;
	}
	if (c == -1)
		return scan_fail(s, s->len, "unexpected end of input");
	return scan_fail(s, s->pos,
			 close == '}' ? "expected ',' or '}' in object"
				      : "expected ',' or ']' in array");
}

int scan_string(struct scan *s, struct scan_str *out)
{
	uptr end = (uptr)s->buf + s->len, p;
	int c = scan_peek(s);

	if (c == -1)
		return scan_fail(s, s->len, "unexpected end of input");
	if (c != '"')
		return scan_fail(s, s->pos, "expected a string");
	p = (uptr)s->buf + s->pos + 1;
	out->raw = (const char *)p;
	out->escaped = false;
	p = skip_string(s, p, end, &out->escaped);
	if (!p)
		return -EINVAL;
	out->len = (size_t)((const char *)p - out->raw) - 1;
	s->pos = off(s, p);
	return 0;
}

/*
 * The value state machine. `stack` remembers whether each open container
 * is an object or an array; after a value, the innermost container decides
 * what may follow.
 */
int scan_value(struct scan *s, unsigned depth)
{
	uptr end = (uptr)s->buf + s->len;
	uptr p = (uptr)s->buf + s->pos;
	char stack[SCAN_MAX_DEPTH];
	unsigned sp = 0;
	bool esc;

value:
	p = skip_ws(p, end);
	if (p >= end)
		return fail_at(s, p, end, "");
	switch (*p) {
	case '"':
		p = skip_string(s, p + 1, end, &esc);
		break;
	case '{':
	case '[':
		if (depth + sp >= s->max_depth)
			return scan_fail(s, off(s, p),
					 "nesting deeper than %u levels",
					 s->max_depth);
		stack[sp++] = (char)*p++;
		p = skip_ws(p, end);
		if (p < end && *p == (stack[sp - 1] == '{' ? '}' : ']')) {
			sp--;
			p++;
			break;
		}
		if (stack[sp - 1] == '[')
			goto value;
		goto key;
	case '-':
	case '0' ... '9':
		p = skip_number(s, p, end);
		break;
	case 't':
	case 'f':
	case 'n':
		p = skip_literal(s, p, end);
		break;
	default:
		return fail_at(s, p, end, "expected a value");
	}
	if (!p)
		return -EINVAL;
next:
	if (sp == 0) {
		s->pos = off(s, p);
		return 0;
	}
	p = skip_ws(p, end);
	if (p >= end)
		return fail_at(s, p, end, "");
	if (*p == ',') {
		p++;
		if (stack[sp - 1] == '[')
			goto value;
		goto key;
	}
	if (*p == (stack[sp - 1] == '{' ? '}' : ']')) {
		sp--;
		p++;
		goto next;
	}
	return fail_at(s, p, end,
		       stack[sp - 1] == '{' ? "expected ',' or '}' in object"
					    : "expected ',' or ']' in array");
key:
	p = skip_ws(p, end);
	if (p >= end || *p != '"')
		return fail_at(s, p, end, "expected a string as object key");
	p = skip_string(s, p + 1, end, &esc);
	if (!p)
		return -EINVAL;
	p = skip_ws(p, end);
	if (p >= end || *p != ':')
		return fail_at(s, p, end, "expected ':' after object key");
	p++;
	goto value;
}

const char *scan_type_name(int c)
{
	switch (c) {
	case '{':
		return "object";
	case '[':
		return "array";
	case '"':
		return "string";
	case 't':
	case 'f':
		return "boolean";
	case 'n':
		return "null";
	case '-':
	case '0' ... '9':
		return "number";
	default:
		return "invalid value";
	}
}

static unsigned hex4(const char *p)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 4 | (unsigned)(hex_val[(unsigned char)p[i]] - 1);
	return v;
}

static size_t utf8_put(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decodes the escape at r[0] == '\\' (already validated by the scanner);
 * sets *cp and returns the bytes consumed, or 0 on a lone surrogate. */
static size_t unescape(const char *r, const char *end, unsigned *cp)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	unsigned lo;

	if (r[1] != 'u') {
		*cp = (unsigned char)to[strchr(from, r[1]) - from];
		return 2;
	}
	*cp = hex4(r + 2);
	if (*cp < 0xd800 || *cp > 0xdfff)
		return 6;
	if (*cp > 0xdbff || end - r < 12 || r[6] != '\\' || r[7] != 'u')
		return 0;
	lo = hex4(r + 8);
	if (lo < 0xdc00 || lo > 0xdfff)
		return 0;
	*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	return 12;
}

int scan_str_decode(const struct scan_str *str, char *out, size_t outlen)
{
	const char *r = str->raw, *end = str->raw + str->len;
	size_t o = 0, n;
	unsigned cp;
	char tmp[4];

	/* most tokens hold no escape: one copy (13 % of a cold load went
	 * into copying them byte by byte) */
	if (!str->escaped) {
		if (str->len >= outlen)
			return -ENAMETOOLONG;
		memcpy(out, r, str->len);
		out[str->len] = '\0';
		return (int)str->len;
	}
	while (r < end) {
		if (*r != '\\') {
			tmp[0] = *r++;
			n = 1;
		} else {
			size_t used = unescape(r, end, &cp);

			if (!used)
				return -EINVAL;
			r += used;
			n = utf8_put(tmp, cp);
		}
		if (o + n >= outlen)
			return -ENAMETOOLONG;
		memcpy(out + o, tmp, n);
		o += n;
	}
	if (!outlen)
		return -ENAMETOOLONG;
	out[o] = '\0';
	return (int)o;
}

bool scan_str_eq(const struct scan_str *str, const char *lit)
{
	size_t n = strlen(lit);
	char buf[64];

	if (!str->escaped)
		return str->len == n && !memcmp(str->raw, lit, n);
	/* compare lengths: a decoded \u0000 must not end the match early */
	return n < sizeof(buf) &&
	       scan_str_decode(str, buf, sizeof(buf)) == (int)n &&
	       !memcmp(buf, lit, n);
}

size_t scan_line(const struct scan *s, size_t pos)
{
	const char *p = s->buf, *end = s->buf + (pos < s->len ? pos : s->len);
	size_t line = 1;

	while ((p = memchr(p, '\n', (size_t)(end - p)))) {
		line++;
		p++;
	}
	return line;
}

/* Bytes the fast skip stops at: quotes, backslashes and brackets. */
static const unsigned char stop[256] = {
	['"'] = 1, ['\\'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1,
};

int scan_skip_fast(struct scan *s)
{
	const unsigned char *p = (const unsigned char *)s->buf + s->pos;
	const unsigned char *end = (const unsigned char *)s->buf + s->len;
	size_t depth = 0;
	bool str = false;

	if (p >= end || (*p != '{' && *p != '['))
		return -EINVAL;
	while (p < end) {
		unsigned char c = *p++;

		if (!stop[c])
			continue;
		if (str) {
			if (c == '\\')
				p++; /* the escaped byte, whatever it is */
			else if (c == '"')
				str = false;
			continue;
		}
		if (c == '"')
			str = true;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']') {
			if (--depth == 0) {
				s->pos = (size_t)(p - (const unsigned char *)s->buf);
				return 0;
			}
		}
	}
	return -EINVAL;
}
