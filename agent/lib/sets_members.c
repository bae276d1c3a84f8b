/*
 * sets_members.c - the pure half of the sets module (sets.h): set types,
 * family-aware set names, members (parse, format, compare, normalise,
 * diff) and libipset's listing text. No kernel, no libipset session; the
 * kernel half is sets.c.
 */
#include "lib/sets.h"
#include "lib/sets_int.h"
#include "lib/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define SETS_MAX 65536 /* sets in one listing */

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

bool sets_word_ok(const char *s, size_t max, bool lower)
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

	if (!fam || !prefix || !sets_word_ok(prefix, SETS_PREFIX_MAX, false) ||
	    !role || !sets_word_ok(role, SETS_ROLE_MAX, true) || strchr(role, '-'))
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
	       sets_word_ok(name, SETS_OWN_NAME_MAX, false) && !sets_is_temp(name);
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

int sets_max_plen(int family)
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
	m->plen = sets_max_plen(family);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (!is_net(t) ||
		    parse_uint(slash + 1, sets_max_plen(family), &plen))
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
	if (is_net(t) && m->plen != sets_max_plen(m->family))
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

int sets_member_qcmp(const void *a, const void *b)
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
	if (m->family != family || m->plen > sets_max_plen(family) ||
	    (!is_net(t) && (m->plen != sets_max_plen(family) || m->nomatch)))
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
		qsort(v, k, sizeof(*v), sets_member_qcmp);
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

