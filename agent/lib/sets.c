/*
 * sets.c - snapnet's ipsets through libipset: naming, members, listing,
 * create, add/del, replace by temporary + swap, destroy.
 *
 * Owns in the kernel: the sets whose names start with the context's
 * prefix (temporaries "<name>-t" included). Every call that names a set
 * checks the prefix first, so a foreign set is never created, changed or
 * destroyed. ipsets are per network namespace (since Linux 3.13; the
 * integration test checks it on this kernel).
 *
 * Speed: members go to the kernel the way `ipset restore` sends them,
 * many per netlink message, but without text: each member is put into
 * the session's data blob in binary (ipset_session_data_set) and queued
 * with ipset_cmd(ADD, lineno != 0), which makes libipset aggregate
 * consecutive adds to one set until the buffer is full; ipset_commit()
 * sends the rest. Text through ipset_parse_stream() costs a getaddrinfo()
 * per member, and ipset_parse_line() sends one message per member (see
 * docs/rules-sets-notes.md for the figures). A set filled in one go is
 * created with its hash size for that many members, so the kernel does
 * not rehash while we fill it.
 *
 * Errors: libipset keeps the kernel's errno to itself and reports text
 * ("Set cannot be destroyed: it is in use by a kernel component"), so
 * sets_errno() folds the library's fixed messages back into -errno. The
 * session runs with -exist semantics: adding a present member, creating
 * an identical set, deleting an absent member are not errors.
 *
 * libipset keeps process-wide state (its table of set types, loaded once
 * here); a context is one session, used by one thread.
 */
#include "lib/sets.h"
#include "lib/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libipset/data.h>
#include <libipset/session.h>
#include <libipset/types.h>

#define LIST_MAX (512u << 20) /* bytes of listing text we accept */
#define SETS_MAX 65536	      /* sets in one listing */
#define SMALL_CHANGE 64	      /* sync: up to this many single changes... */
#define SMALL_SHARE 16	      /* ...or 1/16 of the set, else replace */

/* A bad input: the text in err, -EINVAL. */
#define fail(err, errlen, ...) errf(err, errlen, EINVAL, __VA_ARGS__)

/* --- types and names --- */

static const char *const type_names[] = {
	[SETS_HASH_IP] = "hash:ip",
	[SETS_HASH_NET] = "hash:net",
	[SETS_HASH_IP_PORT] = "hash:ip,port",
	[SETS_HASH_NET_PORT] = "hash:net,port",
};

const char *sets_type_name(enum sets_type t)
{
	return t < SETS_OTHER ? type_names[t] : "other";
}

int sets_type_parse(const char *s, enum sets_type *t)
{
	int i;

	for (i = 0; i < SETS_OTHER; i++)
		if (!strcmp(s, type_names[i])) {
			*t = i;
			return 0;
		}
	*t = SETS_OTHER;
	return -EINVAL;
}

static bool has_port(enum sets_type t)
{
	return t == SETS_HASH_IP_PORT || t == SETS_HASH_NET_PORT;
}

static bool is_net(enum sets_type t)
{
	return t == SETS_HASH_NET || t == SETS_HASH_NET_PORT;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static bool word_ok(const char *s, size_t max, bool lower)
{
	size_t i, n = strlen(s);

	if (!n || n > max)
		return false;
	for (i = 0; i < n; i++)
		if (!name_char(s[i]) || (lower && s[i] >= 'A' && s[i] <= 'Z'))
			return false;
	return true;
}

/* SHA-256 (FIPS 180-4), only for set names. */
struct sha256 {
	uint32_t h[8];
	uint8_t buf[64];
	size_t n;
	uint64_t bytes;
};

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], v[8], t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] =
		    w[i - 16] + w[i - 7] +
		    (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^
		     (w[i - 15] >> 3)) +
		    (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10));
	memcpy(v, h, sizeof(v));
	for (i = 0; i < 64; i++) {
		t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) +
		     ((v[4] & v[5]) ^ (~v[4] & v[6])) + sha_k[i] + w[i];
		t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) +
		     ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		h[i] += v[i];
}

static void sha_init(struct sha256 *s)
{
	static const uint32_t h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
					0xa54ff53a, 0x510e527f, 0x9b05688c,
					0x1f83d9ab, 0x5be0cd19 };

	memset(s, 0, sizeof(*s));
	memcpy(s->h, h0, sizeof(h0));
}

static void sha_update(struct sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->bytes += len;
	while (len--) {
		s->buf[s->n++] = *p++;
		if (s->n == 64) {
			sha_block(s->h, s->buf);
			s->n = 0;
		}
	}
}

static void sha_final(struct sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->bytes * 8;
	uint8_t pad = 0x80, len[8];
	int i;

	sha_update(s, &pad, 1);
	pad = 0;
	while (s->n != 56)
		sha_update(s, &pad, 1);
	for (i = 0; i < 8; i++)
		len[i] = bits >> (56 - 8 * i);
	sha_update(s, len, 8);
	for (i = 0; i < 32; i++)
		out[i] = s->h[i / 4] >> (24 - 8 * (i % 4));
}

int sets_name(const char *prefix, int family, const char *role, const void *key,
	      size_t keylen, char *buf, size_t len)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	char fam = family == AF_INET ? '4' : family == AF_INET6 ? '6' : 0;
	struct sha256 s;
	uint8_t d[32];
	size_t head, hash, i;

	if (!fam || !prefix || !word_ok(prefix, SETS_PREFIX_MAX, false) ||
	    !role || !word_ok(role, SETS_ROLE_MAX, true) || strchr(role, '-'))
		return -EINVAL;
	head = strlen(prefix) + 3 + strlen(role);
	if (head + 10 > SETS_OWN_NAME_MAX)
		return -ENAMETOOLONG;
	hash = SETS_OWN_NAME_MAX - head < 16 ? SETS_OWN_NAME_MAX - head : 16;
	if (len < head + hash + 1)
		return -ENOSPC;
	sha_init(&s);
	sha_update(&s, &fam, 1);
	sha_update(&s, role, strlen(role) + 1);
	sha_update(&s, key, keylen);
	sha_final(&s, d);
	snprintf(buf, len, "%s%c-%s-", prefix, fam, role);
	for (i = 0; i < hash; i++) {
		size_t bit = i * 5;
		unsigned v =
		    (d[bit / 8] << 8 | d[bit / 8 + 1]) >> (11 - bit % 8);

		buf[head + i] = b32[v & 31];
	}
	buf[head + hash] = '\0';
	return 0;
}

bool sets_is_temp(const char *name)
{
	size_t n = strlen(name), k = strlen(SETS_TEMP_SUFFIX);

	return n > k && !strcmp(name + n - k, SETS_TEMP_SUFFIX);
}

bool sets_name_ok(const char *prefix, const char *name)
{
	return name && !strncmp(name, prefix, strlen(prefix)) &&
	       strlen(name) > strlen(prefix) &&
	       word_ok(name, SETS_OWN_NAME_MAX, false) && !sets_is_temp(name);
}

int sets_name_family(const char *prefix, const char *name)
{
	size_t n = strlen(prefix);

	if (strncmp(name, prefix, n) || strlen(name) < n + 2 ||
	    name[n + 1] != '-')
		return 0;
	return name[n] == '4' ? AF_INET : name[n] == '6' ? AF_INET6 : 0;
}

/* --- members --- */

static int max_plen(int family)
{
	return family == AF_INET ? 32 : 128;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return *end || errno || *v > max ? -EINVAL : 0;
}

static int parse_port(char *s, struct sets_member *m)
{
	char *colon = strchr(s, ':');
	unsigned long port;

	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (!strcmp(s, "tcp"))
		m->proto = IPPROTO_TCP;
	else if (!strcmp(s, "udp"))
		m->proto = IPPROTO_UDP;
	else if (!strcmp(s, "sctp"))
		m->proto = IPPROTO_SCTP;
	else
		return -EINVAL;
	if (parse_uint(colon + 1, 65535, &port))
		return -EINVAL;
	m->port = port;
	return 0;
}

int sets_member_parse(enum sets_type t, int family, const char *s,
		      struct sets_member *m)
{
	char buf[96], *p, *slash;
	unsigned long plen;
	size_t n = strlen(s), k = strlen(" nomatch");

	memset(m, 0, sizeof(*m));
	if ((family != AF_INET && family != AF_INET6) || n >= sizeof(buf) ||
	    t >= SETS_OTHER)
		return -EINVAL;
	memcpy(buf, s, n + 1);
	if (is_net(t) && n > k && !strcmp(buf + n - k, " nomatch")) {
		buf[n - k] = '\0';
		m->nomatch = true;
	}
	if (has_port(t)) {
		p = strrchr(buf, ',');
		if (!p || parse_port(p + 1, m))
			return -EINVAL;
		*p = '\0';
	}
	m->family = family;
	m->plen = max_plen(family);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (!is_net(t) ||
		    parse_uint(slash + 1, max_plen(family), &plen))
			return -EINVAL;
		m->plen = plen;
	}
	return inet_pton(family, buf, m->addr) == 1 ? 0 : -EINVAL;
}

int sets_member_format(enum sets_type t, const struct sets_member *m, char *buf,
		       size_t len)
{
	static const char *const protos[] = { [IPPROTO_TCP] = "tcp",
					      [IPPROTO_UDP] = "udp",
					      [IPPROTO_SCTP] = "sctp" };
	char a[INET6_ADDRSTRLEN], net[8] = "", port[16] = "";
	int n;

	if (t >= SETS_OTHER || !inet_ntop(m->family, m->addr, a, sizeof(a)))
		return -EINVAL;
	if (is_net(t) && m->plen != max_plen(m->family))
		snprintf(net, sizeof(net), "/%u", m->plen);
	if (has_port(t)) {
		if (m->proto >= sizeof(protos) / sizeof(protos[0]) ||
		    !protos[m->proto])
			return -EINVAL;
		snprintf(port, sizeof(port), ",%s:%u", protos[m->proto],
			 m->port);
	}
	n = snprintf(buf, len, "%s%s%s%s", a, net, port,
		     m->nomatch ? " nomatch" : "");
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

/* The kernel's key of an element: everything but the nomatch flag. */
int sets_member_cmp(const struct sets_member *a, const struct sets_member *b)
{
	int r = a->family - b->family;

	if (!r)
		r = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (!r)
		r = a->plen - b->plen;
	if (!r)
		r = a->proto - b->proto;
	if (!r)
		r = a->port - b->port;
	return r;
}

static int cmp_qsort(const void *a, const void *b)
{
	const struct sets_member *x = a, *y = b;
	int r = sets_member_cmp(x, y);

	return r ? r : x->nomatch - y->nomatch;
}

static void mask(struct sets_member *m)
{
	int i, bits = m->plen;

	for (i = 0; i < 16; i++, bits -= 8)
		if (bits < 8)
			m->addr[i] &=
			    bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
}

static int member_ok(enum sets_type t, int family, const struct sets_member *m)
{
	if (m->family != family || m->plen > max_plen(family) ||
	    (!is_net(t) && (m->plen != max_plen(family) || m->nomatch)))
		return -EINVAL;
	if (has_port(t))
		return m->proto == IPPROTO_TCP || m->proto == IPPROTO_UDP ||
			       m->proto == IPPROTO_SCTP
			   ? 0
			   : -EINVAL;
	return m->proto || m->port ? -EINVAL : 0;
}

int sets_members_norm(enum sets_type t, int family,
		      const struct sets_member *in, size_t n,
		      struct sets_member **out, size_t *n_out, char *err,
		      size_t errlen)
{
	struct sets_member *v;
	size_t i, k = 0;

	*out = NULL;
	*n_out = 0;
	if (t >= SETS_OTHER || n > SETS_MEMBERS_MAX)
		return n > SETS_MEMBERS_MAX ? -E2BIG : -EINVAL;
	v = malloc((2 * n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (member_ok(t, family, &in[i])) {
			free(v);
			return fail(err, errlen,
				    "member %zu: not a %s %s member", i + 1,
				    sets_type_name(t),
				    family == AF_INET ? "inet" : "inet6");
		}
		v[k] = in[i];
		mask(&v[k]);
		if (v[k].plen == 0) {
			/* hash:net cannot store /0: two halves instead */
			v[k].plen = 1;
			v[k + 1] = v[k];
			v[++k].addr[0] = 0x80;
		}
		k++;
	}
	if (k > 1)
		qsort(v, k, sizeof(*v), cmp_qsort);
	for (i = 0, n = 0; i < k; i++) {
		if (n && !sets_member_cmp(&v[n - 1], &v[i])) {
			if (v[n - 1].nomatch == v[i].nomatch)
				continue;
			free(v);
			return fail(
			    err, errlen,
			    "a member is given with and without nomatch");
		}
		v[n++] = v[i];
	}
	*out = v;
	*n_out = n;
	return 0;
}

static int push_member(struct sets_member **v, size_t *n, size_t *cap,
		       const struct sets_member *m)
{
	struct sets_member *p;

	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		p = realloc(*v, *cap * sizeof(**v));
		if (!p)
			return -ENOMEM;
		*v = p;
	}
	(*v)[(*n)++] = *m;
	return 0;
}

int sets_diff(const struct sets_member *want, size_t n_want,
	      const struct sets_member *have, size_t n_have,
	      struct sets_member **del, size_t *n_del, struct sets_member **add,
	      size_t *n_add)
{
	size_t i = 0, j = 0, cd = 0, ca = 0;
	int r = 0, c;

	*del = *add = NULL;
	*n_del = *n_add = 0;
	while (!r && (i < n_want || j < n_have)) {
		c = i == n_want	  ? 1
		    : j == n_have ? -1
				  : sets_member_cmp(&want[i], &have[j]);
		if (c == 0 && want[i].nomatch == have[j].nomatch) {
			i++, j++;
			continue;
		}
		if (c >= 0)
			r = push_member(del, n_del, &cd, &have[j++]);
		if (!r && c <= 0)
			r = push_member(add, n_add, &ca, &want[i++]);
	}
	if (r) {
		free(*del);
		free(*add);
		*del = *add = NULL;
	}
	return r;
}

/* --- libipset's text --- */

static void info_header(struct sets_info *s, const char *h)
{
	char tok[32];
	unsigned long v;
	int n;

	while (sscanf(h, "%31s%n", tok, &n) == 1) {
		h += n;
		if (!strcmp(tok, "family") &&
		    sscanf(h, "%31s%n", tok, &n) == 1) {
			h += n;
			s->family = !strcmp(tok, "inet")    ? AF_INET
				    : !strcmp(tok, "inet6") ? AF_INET6
							    : 0;
		} else if ((!strcmp(tok, "hashsize") ||
			    !strcmp(tok, "maxelem")) &&
			   sscanf(h, "%lu%n", &v, &n) == 1) {
			h += n;
			*(tok[0] == 'h' ? &s->hashsize : &s->maxelem) = v;
		}
	}
}

static int info_line(struct sets_info *s, const char *line)
{
	unsigned long v;

	if (!strncmp(line, "Type: ", 6)) {
		snprintf(s->typename, sizeof(s->typename), "%.31s", line + 6);
		sets_type_parse(s->typename, &s->type);
	} else if (!strncmp(line, "Header: ", 8)) {
		info_header(s, line + 8);
	} else if (sscanf(line, "References: %lu", &v) == 1) {
		s->references = v;
	} else if (sscanf(line, "Number of entries: %lu", &v) == 1) {
		s->elements = v;
	}
	return 0;
}

int sets_parse_list(const char *text, const char *prefix,
		    struct sets_info **out, size_t *n, char *err, size_t errlen)
{
	struct sets_info *v = NULL, *cur = NULL, *p;
	size_t cap = 0, len;
	const char *l;

	*out = NULL;
	*n = 0;
	for (l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char line[256];

		len = strcspn(l, "\n");
		if (len >= sizeof(line))
			continue; /* not a header line */
		memcpy(line, l, len);
		line[len] = '\0';
		if (strncmp(line, "Name: ", 6)) {
			if (cur)
				info_line(cur, line);
			continue;
		}
		cur = NULL;
		if (strncmp(line + 6, prefix, strlen(prefix)) ||
		    len - 6 > SETS_NAME_MAX)
			continue; /* not ours */
		if (*n == SETS_MAX) {
			free(v);
			return fail(err, errlen, "more than %d sets", SETS_MAX);
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			p = realloc(v, cap * sizeof(*v));
			if (!p) {
				free(v);
				return -ENOMEM;
			}
			v = p;
		}
		cur = &v[(*n)++];
		memset(cur, 0, sizeof(*cur));
		cur->type = SETS_OTHER;
		memcpy(cur->name, line + 6, len - 6 + 1);
	}
	*out = v;
	return 0;
}

int sets_parse_save(const char *text, const char *name, enum sets_type t,
		    int family, struct sets_member **out, size_t *n, char *err,
		    size_t errlen)
{
	size_t cap = 0, nl = strlen(name), len;
	struct sets_member m;
	const char *l;
	char line[160];

	*out = NULL;
	*n = 0;
	for (l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		len = strcspn(l, "\n");
		if (len < 5 + nl || strncmp(l, "add ", 4) ||
		    strncmp(l + 4, name, nl) || l[4 + nl] != ' ')
			continue;
		if (len >= sizeof(line) || *n == SETS_MEMBERS_MAX)
			goto bad;
		memcpy(line, l + 5 + nl, len - 5 - nl);
		line[len - 5 - nl] = '\0';
		if (sets_member_parse(t, family, line, &m))
			goto bad;
		if (push_member(out, n, &cap, &m)) {
			free(*out);
			*out = NULL;
			return -ENOMEM;
		}
	}
	return 0;
bad:
	free(*out);
	*out = NULL;
	*n = 0;
	return fail(err, errlen, "set %s: cannot read member \"%.*s\"", name,
		    (int)(len < 80 ? len : 80), l);
}

int sets_errno(const char *msg)
{
	static const struct {
		const char *text;
		int err;
	} map[] = {
		{ "in use by a kernel component", EBUSY },
		{ "in use by another system", EBUSY },
		{ "does not exist", ENOENT },
		{ "it's not added", ENOENT },
		{ "already exists", EEXIST },
		{ "it's already added", EEXIST },
		{ "is full", ENOSPC },
		{ "maximal number of sets", ENOSPC },
		{ "Operation not permitted", EPERM },
		{ "not supported", EOPNOTSUPP },
		{ "incompatible", EOPNOTSUPP },
		{ "type does not match", EINVAL },
		{ "Syntax error", EINVAL },
		{ "Cannot open session", EPERM },
	};
	size_t i;

	for (i = 0; msg && i < sizeof(map) / sizeof(map[0]); i++)
		if (strstr(msg, map[i].text))
			return -map[i].err;
	return -EIO;
}

/* --- the kernel, through a libipset session --- */

struct sets_ctx {
	struct ipset_session *s;
	char prefix[SETS_PREFIX_MAX + 1];
	char *out; /* listing text collected by outfn() */
	size_t out_len, out_cap;
	int out_err;
};

__attribute__((format(printf, 3, 4))) static int
outfn(struct ipset_session *s, void *p, const char *fmt, ...)
{
	struct sets_ctx *c = p;
	va_list ap;
	size_t need;
	char *q;
	int n;

	(void)s;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	need = c->out_len + (n > 0 ? n : 0) + 1;
	if (n < 0 || need > LIST_MAX) {
		c->out_err = n < 0 ? -EIO : -E2BIG;
		return -1;
	}
	if (need > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 65536;

		while (cap < need)
			cap *= 2;
		q = realloc(c->out, cap);
		if (!q) {
			c->out_err = -ENOMEM;
			return -1;
		}
		c->out = q;
		c->out_cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(c->out + c->out_len, c->out_cap - c->out_len, fmt, ap);
	va_end(ap);
	c->out_len += n;
	return 0;
}

/* The library's last report as -errno and err text; resets the report. */
static int lib_fail(struct sets_ctx *c, const char *what, const char *name,
		    char *err, size_t errlen)
{
	const char *msg = ipset_session_report_msg(c->s);
	int r = sets_errno(msg);

	if (err && errlen)
		snprintf(err, errlen, "%s %s: %.*s", what, name ? name : "",
			 (int)strcspn(msg ? msg : "", "\n"), msg ? msg : "?");
	ipset_session_report_reset(c->s);
	ipset_data_reset(ipset_session_data(c->s));
	return r;
}

static int cmd(struct sets_ctx *c, enum ipset_cmd command, const char *what,
	       const char *name, char *err, size_t errlen)
{
	if (ipset_cmd(c->s, command, 0) < 0)
		return lib_fail(c, what, name, err, errlen);
	/* a warning (e.g. about the protocol) is no failure */
	ipset_session_report_reset(c->s);
	return 0;
}

static int own(const struct sets_ctx *c, const char *name, bool temp_ok,
	       char *err, size_t errlen)
{
	char base[SETS_NAME_MAX + 1];
	size_t n = name ? strlen(name) : 0;

	if (temp_ok && n > 2 && n <= SETS_NAME_MAX && sets_is_temp(name)) {
		memcpy(base, name, n - 2);
		base[n - 2] = '\0';
		name = base;
	}
	if (sets_name_ok(c->prefix, name))
		return 0;
	fail(err, errlen, "set name \"%s\" is not ours (prefix %s)",
	     name ? name : "", c->prefix);
	return -EPERM;
}

static int session_start(struct sets_ctx *c, char *err, size_t errlen)
{
	c->s = ipset_session_init(outfn, c);
	if (!c->s)
		return -ENOMEM;
	ipset_envopt_set(c->s, IPSET_ENV_EXIST);
	ipset_envopt_set(c->s, IPSET_ENV_QUIET);
	/* Opens the netlink socket and checks the protocol: no ip_set
	 * module or no CAP_NET_ADMIN fails here, not in the first change. */
	return cmd(c, IPSET_CMD_NONE, "open", "session", err, errlen);
}

/*
 * libipset 7.17 quirk: after a LIST or SAVE dump fails in the kernel
 * (say, of a set that does not exist), the next private request on the
 * same session (TYPE, HEADER: what ipset_type_get() sends) fails without
 * a message, apparently reading what the failed dump left on the socket.
 * A fresh session is cheap (one protocol message), so we start one.
 */
static int session_restart(struct sets_ctx *c)
{
	struct ipset_session *old = c->s;
	int r = session_start(c, NULL, 0);

	if (r) {
		if (c->s)
			ipset_session_fini(c->s);
		c->s = old; /* limping beats a NULL session */
		return r;
	}
	ipset_session_fini(old);
	return 0;
}

int sets_open(const char *prefix, struct sets_ctx **out, char *err,
	      size_t errlen)
{
	static bool types_loaded;
	struct sets_ctx *c;
	int r;

	*out = NULL;
	if (!prefix || !word_ok(prefix, SETS_PREFIX_MAX, false))
		return fail(err, errlen, "bad set prefix");
	if (!types_loaded) {
		ipset_load_types();
		types_loaded = true;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	snprintf(c->prefix, sizeof(c->prefix), "%s", prefix);
	if ((r = session_start(c, err, errlen))) {
		sets_close(c);
		return r;
	}
	*out = c;
	return 0;
}

void sets_close(struct sets_ctx *c)
{
	if (!c)
		return;
	if (c->s)
		ipset_session_fini(c->s);
	free(c->out);
	free(c);
}

/* LIST (plain, headers only) or SAVE of one set or all; text in c->out. */
static int listing(struct sets_ctx *c, const char *name, bool save, char *err,
		   size_t errlen)
{
	int r;

	c->out_len = 0;
	c->out_err = 0;
	if (c->out)
		c->out[0] = '\0';
	ipset_data_reset(ipset_session_data(c->s));
	if (name)
		ipset_session_data_set(c->s, IPSET_SETNAME, name);
	/* the mode outlives the command: set it every time */
	ipset_session_output(c->s, save ? IPSET_LIST_SAVE : IPSET_LIST_PLAIN);
	if (!save)
		ipset_envopt_set(c->s, IPSET_ENV_LIST_HEADER);
	r = cmd(c, save ? IPSET_CMD_SAVE : IPSET_CMD_LIST, "list",
		name ? name : "(all)", err, errlen);
	ipset_envopt_unset(c->s, IPSET_ENV_LIST_HEADER);
	ipset_session_output(c->s, IPSET_LIST_NONE);
	if (r || c->out_err)
		session_restart(c);
	if (c->out_err) {
		/* outfn() refused more text; libipset's own report, if any,
		 * would only say that the output failed */
		fail(err, errlen, "list %s: %s", name ? name : "(all)",
		     strerror(-c->out_err));
		r = c->out_err;
	}
	return r;
}

int sets_list(struct sets_ctx *c, struct sets_info **out, size_t *n, char *err,
	      size_t errlen)
{
	int r = listing(c, NULL, false, err, errlen);

	*out = NULL;
	*n = 0;
	if (r)
		return r;
	return sets_parse_list(c->out ? c->out : "", c->prefix, out, n, err,
			       errlen);
}

int sets_info(struct sets_ctx *c, const char *name, struct sets_info *info,
	      char *err, size_t errlen)
{
	struct sets_info *v;
	size_t n;
	int r;

	if ((r = own(c, name, true, err, errlen)) ||
	    (r = listing(c, name, false, err, errlen)) ||
	    (r = sets_parse_list(c->out ? c->out : "", name, &v, &n, err,
				 errlen)))
		return r;
	r = n == 1 && !strcmp(v[0].name, name) ? 0 : -ENOENT;
	if (!r)
		*info = v[0];
	else
		fail(err, errlen, "set %s does not exist", name);
	free(v);
	return r;
}

int sets_members(struct sets_ctx *c, const char *name, struct sets_member **out,
		 size_t *n, char *err, size_t errlen)
{
	struct sets_info info;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = sets_info(c, name, &info, err, errlen)))
		return r;
	if (info.type == SETS_OTHER)
		return fail(err, errlen, "set %s: type %s", name,
			    info.typename);
	if ((r = listing(c, name, true, err, errlen)))
		return r;
	return sets_parse_save(c->out ? c->out : "", name, info.type,
			       info.family, out, n, err, errlen);
}

static uint8_t nfproto(int family)
{
	return family == AF_INET6 ? 10 : 2; /* NFPROTO_IPV6, NFPROTO_IPV4 */
}

static uint32_t pow2_at_least(size_t n, uint32_t min)
{
	uint32_t v = min;

	while (v < n && v < (1u << 30))
		v <<= 1;
	return v;
}

/* Create with -exist: an identical set is success; the kernel refuses a
 * different one with "already exists". The hash size is set for n members
 * up front: the kernel doubles the table (rehashing every member) as soon
 * as one bucket holds more than bucketsize (12) entries, which at n/4
 * buckets (4 per bucket on average) still happens on the way to n, and at
 * n/2 practically never. */
static int create(struct sets_ctx *c, const char *name, enum sets_type t,
		  int family, size_t n, const struct ipset_type **type,
		  char *err, size_t errlen)
{
	uint8_t fam = nfproto(family);
	uint32_t hashsize = pow2_at_least(n / 2, 1024);
	uint32_t maxelem = pow2_at_least(2 * n, 65536);
	struct ipset_session *s = c->s;

	ipset_data_reset(ipset_session_data(s));
	ipset_session_data_set(s, IPSET_SETNAME, name);
	ipset_session_data_set(s, IPSET_OPT_TYPENAME, sets_type_name(t));
	ipset_session_data_set(s, IPSET_OPT_FAMILY, &fam);
	*type = ipset_type_get(s, IPSET_CMD_CREATE);
	if (!*type)
		return lib_fail(c, "create", name, err, errlen);
	ipset_session_data_set(s, IPSET_OPT_HASHSIZE, &hashsize);
	ipset_session_data_set(s, IPSET_OPT_MAXELEM, &maxelem);
	return cmd(c, IPSET_CMD_CREATE, "create", name, err, errlen);
}

/* The type and family of an existing set (one HEADER round trip). */
static int set_type(struct sets_ctx *c, const char *name,
		    const struct ipset_type **type, uint8_t *fam, char *err,
		    size_t errlen)
{
	struct ipset_data *d = ipset_session_data(c->s);

	ipset_data_reset(d);
	ipset_session_data_set(c->s, IPSET_SETNAME, name);
	*type = ipset_type_get(c->s, IPSET_CMD_ADD);
	if (!*type)
		return lib_fail(c, "type of", name, err, errlen);
	*fam = ipset_data_family(d);
	ipset_data_reset(d);
	return 0;
}

/* One member into the session's data blob, in binary. */
static void put_member(struct ipset_session *s, const char *name,
		       const struct ipset_type *type, uint8_t fam,
		       const struct sets_member *m)
{
	uint16_t port = m->port;
	uint8_t plen = m->plen, proto = m->proto, one = 1;

	ipset_session_data_set(s, IPSET_SETNAME, name);
	ipset_session_data_set(s, IPSET_OPT_TYPE, type);
	ipset_session_data_set(s, IPSET_OPT_FAMILY, &fam);
	ipset_session_data_set(s, IPSET_OPT_IP, m->addr);
	if (plen != max_plen(m->family))
		ipset_session_data_set(s, IPSET_OPT_CIDR, &plen);
	if (proto) {
		ipset_session_data_set(s, IPSET_OPT_PROTO, &proto);
		ipset_session_data_set(s, IPSET_OPT_PORT, &port);
	}
	if (m->nomatch)
		ipset_session_data_set(s, IPSET_OPT_NOMATCH, &one);
}

/* The member a libipset report names ("Error in line N: ..." where N is
 * the lineno we gave, i.e. index + 1), appended to err. */
static void name_member(const char *msg, const struct sets_member *m, size_t n,
			char *err, size_t errlen)
{
	const char *p = msg ? strstr(msg, "line ") : NULL;
	char a[INET6_ADDRSTRLEN];
	size_t len = err ? strlen(err) : 0;
	unsigned long i;

	if (!p || !err || sscanf(p, "line %lu", &i) != 1 || i < 1 || i > n ||
	    !inet_ntop(m[i - 1].family, m[i - 1].addr, a, sizeof(a)))
		return;
	snprintf(err + len, errlen - len, " (member %lu: %s/%u)", i, a,
		 m[i - 1].plen);
}

/* Adds or deletes m[] in batches: lineno != 0 lets libipset aggregate
 * consecutive commands on one set into one netlink message. On failure
 * the session is restarted: its buffer may hold queued members that the
 * next command would otherwise send. */
static int batch(struct sets_ctx *c, enum ipset_cmd command, const char *name,
		 const struct ipset_type *type, uint8_t fam,
		 const struct sets_member *m, size_t n, char *err,
		 size_t errlen)
{
	const char *what = command == IPSET_CMD_ADD ? "add to" : "delete from";
	size_t i;
	int r = 0;

	for (i = 0; i < n; i++)
		if (m[i].family != (fam == 10 ? AF_INET6 : AF_INET))
			return fail(err, errlen,
				    "%s %s: member %zu of the wrong family",
				    what, name, i + 1);
	for (i = 0; i < n && !r; i++) {
		put_member(c->s, name, type, fam, &m[i]);
		r = ipset_cmd(c->s, command, (uint32_t)i + 1) < 0;
	}
	if (!r)
		r = ipset_commit(c->s) < 0;
	if (r) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s",
			 ipset_session_report_msg(c->s) ?: "");
		r = lib_fail(c, what, name, err, errlen);
		name_member(msg, m, n, err, errlen);
		session_restart(c);
		return r;
	}
	ipset_session_report_reset(c->s);
	return 0;
}

static int change(struct sets_ctx *c, enum ipset_cmd command, const char *name,
		  const struct sets_member *m, size_t n, char *err,
		  size_t errlen)
{
	const struct ipset_type *type;
	uint8_t fam = 0;
	int r;

	if ((r = own(c, name, false, err, errlen)))
		return r;
	if (!n)
		return 0;
	if ((r = set_type(c, name, &type, &fam, err, errlen)))
		return r;
	return batch(c, command, name, type, fam, m, n, err, errlen);
}

int sets_add(struct sets_ctx *c, const char *name, const struct sets_member *m,
	     size_t n, char *err, size_t errlen)
{
	return change(c, IPSET_CMD_ADD, name, m, n, err, errlen);
}

int sets_del(struct sets_ctx *c, const char *name, const struct sets_member *m,
	     size_t n, char *err, size_t errlen)
{
	return change(c, IPSET_CMD_DEL, name, m, n, err, errlen);
}

static bool same_kind(const struct sets_info *i, enum sets_type t, int family)
{
	return i->type == t && i->family == family;
}

int sets_create(struct sets_ctx *c, const char *name, enum sets_type t,
		int family, size_t size_hint, char *err, size_t errlen)
{
	const struct ipset_type *type;
	struct sets_info info;
	int r;

	if ((r = own(c, name, false, err, errlen)))
		return r;
	if (t >= SETS_OTHER || (family != AF_INET && family != AF_INET6))
		return fail(err, errlen, "create %s: bad type or family", name);
	r = sets_info(c, name, &info, err, errlen);
	if (!r && !same_kind(&info, t, family))
		return fail(err, errlen, "set %s exists as %s family %s", name,
			    info.typename,
			    info.family == AF_INET6 ? "inet6" : "inet");
	if (r != -ENOENT)
		return r;
	return create(c, name, t, family, size_hint, &type, err, errlen);
}

static int destroy(struct sets_ctx *c, const char *name, char *err,
		   size_t errlen)
{
	int r;

	ipset_data_reset(ipset_session_data(c->s));
	ipset_session_data_set(c->s, IPSET_SETNAME, name);
	r = cmd(c, IPSET_CMD_DESTROY, "destroy", name, err, errlen);
	return r == -ENOENT ? 0 : r;
}

int sets_destroy(struct sets_ctx *c, const char *name, char *err, size_t errlen)
{
	int r = own(c, name, true, err, errlen);

	return r ? r : destroy(c, name, err, errlen);
}

/* Fill the temporary, swap it with the live set, destroy it (it holds
 * the old members then). The live set is never empty or partial: a
 * failure before the swap leaves it as it was. */
static int swap_in(struct sets_ctx *c, const char *name, enum sets_type t,
		   int family, const struct sets_member *m, size_t n, char *err,
		   size_t errlen)
{
	char tmp[SETS_NAME_MAX + 1];
	const struct ipset_type *type;
	int r;

	snprintf(tmp, sizeof(tmp), "%s%s", name, SETS_TEMP_SUFFIX);
	if ((r = destroy(c, tmp, err, errlen))) /* left by a crash */
		return r;
	if ((r = create(c, tmp, t, family, n, &type, err, errlen)))
		return r;
	r = batch(c, IPSET_CMD_ADD, tmp, type, nfproto(family), m, n, err,
		  errlen);
	if (!r) {
		ipset_data_reset(ipset_session_data(c->s));
		ipset_session_data_set(c->s, IPSET_SETNAME, name);
		ipset_session_data_set(c->s, IPSET_OPT_SETNAME2, tmp);
		r = cmd(c, IPSET_CMD_SWAP, "swap", name, err, errlen);
	}
	if (r) {
		destroy(c, tmp, NULL, 0);
		return r;
	}
	return destroy(c, tmp, err, errlen);
}

/* The set as the caller wants it, given what the kernel has (info, or
 * r == -ENOENT): created, or refused when its kind differs. */
static int fresh(struct sets_ctx *c, const char *name, enum sets_type t,
		 int family, const struct sets_member *m, size_t n, char *err,
		 size_t errlen)
{
	const struct ipset_type *type;
	int r = create(c, name, t, family, n, &type, err, errlen);

	return r ? r
		 : batch(c, IPSET_CMD_ADD, name, type, nfproto(family), m, n,
			 err, errlen);
}

static int prepare(struct sets_ctx *c, const char *name, enum sets_type t,
		   int family, const struct sets_member *in, size_t n_in,
		   struct sets_member **m, size_t *n, struct sets_info *info,
		   char *err, size_t errlen)
{
	int r;

	*m = NULL;
	if ((r = own(c, name, false, err, errlen)))
		return r;
	if ((r = sets_members_norm(t, family, in, n_in, m, n, err, errlen)))
		return r;
	r = sets_info(c, name, info, err, errlen);
	if (!r && !same_kind(info, t, family))
		r = fail(err, errlen, "set %s exists as %s family %s", name,
			 info->typename,
			 info->family == AF_INET6 ? "inet6" : "inet");
	return r;
}

int sets_replace(struct sets_ctx *c, const char *name, enum sets_type t,
		 int family, const struct sets_member *in, size_t n_in,
		 char *err, size_t errlen)
{
	struct sets_member *m;
	struct sets_info info;
	size_t n = 0;
	int r =
	    prepare(c, name, t, family, in, n_in, &m, &n, &info, err, errlen);

	if (r == -ENOENT)
		r = fresh(c, name, t, family, m, n, err, errlen);
	else if (!r)
		r = swap_in(c, name, t, family, m, n, err, errlen);
	free(m);
	return r;
}

static int sync_existing(struct sets_ctx *c, const char *name, enum sets_type t,
			 int family, const struct sets_member *m, size_t n,
			 const struct sets_info *info,
			 struct sets_sync_stats *st, char *err, size_t errlen)
{
	struct sets_member *have = NULL, *del = NULL, *add = NULL;
	size_t n_have, n_del, n_add, small;
	int r;

	if ((r = sets_members(c, name, &have, &n_have, err, errlen)))
		return r;
	if (n_have > 1)
		qsort(have, n_have, sizeof(*have), cmp_qsort);
	r = sets_diff(m, n, have, n_have, &del, &n_del, &add, &n_add);
	free(have);
	small = n / SMALL_SHARE > SMALL_CHANGE ? n / SMALL_SHARE : SMALL_CHANGE;
	if (r || !(n_del + n_add))
		goto out;
	if (n_del + n_add <= small && n <= info->maxelem) {
		r = change(c, IPSET_CMD_DEL, name, del, n_del, err, errlen);
		if (!r)
			r = change(c, IPSET_CMD_ADD, name, add, n_add, err,
				   errlen);
		st->deleted += r ? 0 : n_del;
		st->added += r ? 0 : n_add;
	} else if (!(r = swap_in(c, name, t, family, m, n, err, errlen))) {
		st->replaced++;
	}
out:
	free(del);
	free(add);
	return r;
}

int sets_sync(struct sets_ctx *c, const char *name, enum sets_type t,
	      int family, const struct sets_member *in, size_t n_in,
	      struct sets_sync_stats *st, char *err, size_t errlen)
{
	struct sets_sync_stats dummy = { 0 };
	struct sets_member *m;
	struct sets_info info;
	size_t n = 0;
	int r;

	if (!st)
		st = &dummy;
	r = prepare(c, name, t, family, in, n_in, &m, &n, &info, err, errlen);
	if (r == -ENOENT) {
		r = fresh(c, name, t, family, m, n, err, errlen);
		st->created += !r;
		st->added += r ? 0 : n;
	} else if (!r) {
		r = sync_existing(c, name, t, family, m, n, &info, st, err,
				  errlen);
	}
	free(m);
	return r;
}

int sets_cleanup(struct sets_ctx *c, size_t *destroyed, char *err,
		 size_t errlen)
{
	struct sets_info *v;
	size_t n, i, done = 0;
	int r, first = 0;
	char e[256];

	if ((r = sets_list(c, &v, &n, err, errlen)))
		return r;
	for (i = 0; i < n; i++) {
		r = destroy(c, v[i].name, e, sizeof(e));
		if (r && !first) {
			first = r;
			snprintf(err, errlen, "%s", e);
		}
		done += !r;
	}
	free(v);
	if (destroyed)
		*destroyed = done;
	return first;
}
