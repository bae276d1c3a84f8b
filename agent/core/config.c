/*
 * config.c - INI file -> struct config, with defaults and validation.
 *
 * inih calls one handler per key. Debian builds inih without line numbers
 * in the handler, so we feed it through our own line reader and count
 * lines ourselves: every error names FILE:LINE. Unknown sections (even
 * empty ones), unknown keys, keys given twice and bad values are errors: a
 * typo must never silently fall back to a default that touches the kernel
 * differently. inih never shows section headers to the handler, so the
 * line reader recognises them itself, mirroring inih's rules (scan_line()).
 */
#define _GNU_SOURCE
#include "core/config.h"
#include "core/function.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/log.h"
#include "lib/util.h"

/* What kubelet names its Node when --hostname-override is not given:
 * the hostname, blanks trimmed, lowercased (node names are DNS
 * subdomains, which are lowercase). */
void config_hostname(char *buf, size_t len)
{
	char host[HOST_NAME_MAX + 1] = "";

	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	config_node_name_norm(host, buf, len);
}

void config_node_name_norm(const char *in, char *buf, size_t len)
{
	size_t a = 0, b = strlen(in), n = 0;

	while (a < b && isspace((unsigned char)in[a]))
		a++;
	while (b > a && isspace((unsigned char)in[b - 1]))
		b--;
	for (; a < b && n + 1 < len; a++)
		buf[n++] = (char)tolower((unsigned char)in[a]);
	if (len)
		buf[n] = '\0';
}

#define KEYS_MAX 64 /* per section */

static void agent_defaults(void *sec)
{
	struct agent_config *a = sec;

	config_hostname(a->node_name, sizeof(a->node_name));
	strcpy(a->snapshot, "/var/lib/snapnet/snapshot.json");
	strcpy(a->state_dir, "/var/lib/snapnet/state");
	a->resync_interval = 30;
	a->debounce_ms = 100;
	a->max_delete_share = 0.5;
	a->max_snapshot_bytes = (size_t)4 << 30;
	a->log_level = LOG_INFO;
}

/* One block for every function's section, each aligned for any type. */
static void sections_alloc(struct config *c)
{
	const size_t align = _Alignof(max_align_t);
	size_t len = 0;

	for (size_t i = 0; i < n_functions; i++) {
		c->off[i] = len;
		len += (functions[i]->section->size + align - 1) / align * align;
	}
	c->blob = calloc(1, len ? len : 1);
	if (!c->blob)
		abort(); /* a few KiB at start-up: nothing sensible to do */
	c->blob_len = len;
}

void config_defaults(struct config *c)
{
	for (size_t i = 0; i < n_functions; i++)
		if (functions[i]->section->n_keys > KEYS_MAX)
			abort(); /* raise KEYS_MAX */
	memset(c, 0, sizeof(*c));
	agent_defaults(&c->agent);
	sections_alloc(c);
	for (size_t i = 0; i < n_functions; i++)
		functions[i]->section->defaults(c->blob + c->off[i]);
}

void config_fini(struct config *c)
{
	if (!c)
		return;
	free(c->blob);
	c->blob = NULL;
	c->blob_len = 0;
}

void config_copy(struct config *dst, const struct config *src)
{
	*dst = *src;
	dst->blob = malloc(src->blob_len ? src->blob_len : 1);
	if (!dst->blob)
		abort();
	memcpy(dst->blob, src->blob, src->blob_len);
}

void config_move(struct config *dst, struct config *src)
{
	config_fini(dst);
	*dst = *src;
	src->blob = NULL;
	src->blob_len = 0;
}

const void *config_section_of(const struct config *c, size_t i)
{
	return c->blob + c->off[i];
}

void *config_section_mut(struct config *c, size_t i)
{
	return c->blob + c->off[i];
}

static int parse_bool(const char *v, bool *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(v, yes[i]))
			return *out = true, 0;
		if (!strcasecmp(v, no[i]))
			return *out = false, 0;
	}
	return -EINVAL;
}

static int parse_uint(const char *v, unsigned long long lo,
		      unsigned long long hi, unsigned long long *out)
{
	bool hex = v[0] == '0' && (v[1] == 'x' || v[1] == 'X');
	char *end;

	if (*v < '0' || *v > '9' || (hex && !isxdigit((unsigned char)v[2])))
		return -EINVAL;
	errno = 0;
	/* decimal, or 0x-hexadecimal (packet marks); never octal */
	*out = strtoull(hex ? v + 2 : v, &end, hex ? 16 : 10);
	if (errno || *end || *out < lo || *out > hi)
		return -EINVAL;
	return 0;
}

static int parse_level(const char *v, int *out)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = { { "error", LOG_ERR },
		       { "warning", LOG_WARNING },
		       { "info", LOG_INFO },
		       { "debug", LOG_DEBUG } };

	for (size_t i = 0; i < ARRAY_SIZE(levels); i++)
		if (!strcasecmp(v, levels[i].name))
			return *out = levels[i].level, 0;
	return -EINVAL;
}

static int parse_share(const char *v, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(*out) || *out < 0 ||
	    *out > 1)
		return -EINVAL;
	return 0;
}

/* A string key: must fit and, for names and paths, must not be empty. */
/* No value of ours has blanks or '#': inih only strips " ;" comments, so
 * "conf_dir = /x # note" would otherwise become a path with a comment. */
static int set_str(char *dst, size_t len, const char *v)
{
	if (!*v || strpbrk(v, " \t#"))
		return -EINVAL;
	/* control characters would reach logs, messages and file names */
	for (const char *q = v; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return -EINVAL;
	return str_copy(dst, v, len) ? 0 : -ENAMETOOLONG;
}

/*
 * The kernel's rules for a link name (dev_valid_name() and
 * dev_alloc_name()): 1..15 bytes, not "." or "..", no '/', ':' or
 * blank; and no '%', which the kernel expands into a number ("a%db"
 * becomes "a0b"), so the link would never be found under its name
 * again. "all" and "default" name the sysctl directories of
 * net.ipv{4,6}.conf, not a link.
 */
bool config_ifname_valid(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n >= IFNAME_LEN || !strcmp(v, ".") || !strcmp(v, "..") ||
	    !strcmp(v, "all") || !strcmp(v, "default"))
		return false;
	for (const char *p = v; *p; p++)
		if (strchr("/:%", *p) || isspace((unsigned char)*p) ||
		    (unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* Appends component [s, s+n) to the normalised absolute path in dst
 * (length *dl): "." vanishes, ".." drops the last component. */
static bool path_push(char *dst, size_t len, size_t *dl, const char *s,
		      size_t n)
{
	if (n == 0 || (n == 1 && s[0] == '.'))
		return true;
	if (n == 2 && s[0] == '.' && s[1] == '.') {
		while (*dl > 1 && dst[*dl - 1] != '/')
			(*dl)--;
		if (*dl > 1)
			(*dl)--; /* the slash before it */
		dst[*dl] = '\0';
		return true;
	}
	if (*dl + (*dl > 1) + n + 1 > len)
		return false;
	if (*dl > 1)
		dst[(*dl)++] = '/';
	memcpy(dst + *dl, s, n);
	*dl += n;
	dst[*dl] = '\0';
	return true;
}

/* Appends every component of path p. */
static bool path_push_all(char *dst, size_t len, size_t *dl, const char *p)
{
	while (*p) {
		const char *e = strchrnul(p, '/');

		if (!path_push(dst, len, dl, p, (size_t)(e - p)))
			return false;
		p = *e ? e + 1 : e;
	}
	return true;
}

/*
 * A path, made absolute and normalised lexically ("//", "." and ".."
 * resolved, no trailing slash): ownership records and the state_dir lock
 * compare paths as strings, so one config must name one place whatever
 * the working directory, and "/x/" and "/x" must not be two places. A
 * relative path is taken from `base` (the config file's directory), or
 * from the working directory when base is NULL or relative itself.
 */
int config_path_abs(char *dst, size_t len, const char *v, const char *base)
{
	char cwd[PATH_MAX];
	size_t dl = 1;

	if (len < 2)
		return -ENAMETOOLONG;
	strcpy(dst, "/");
	if (v[0] == '/')
		return path_push_all(dst, len, &dl, v) ? 0 : -ENAMETOOLONG;
	if (!base || base[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		if (!path_push_all(dst, len, &dl, cwd))
			return -ENAMETOOLONG;
	}
	if (base && !path_push_all(dst, len, &dl, base))
		return -ENAMETOOLONG;
	return path_push_all(dst, len, &dl, v) ? 0 : -ENAMETOOLONG;
}

/* The directory of the config file a key came from, "" for none. */
static void config_dir(const struct config *c, char *buf, size_t len)
{
	const char *slash = strrchr(c->path, '/');

	if (!c->path[0] || !slash) {
		str_copy(buf, c->path[0] ? "." : "", len);
		return;
	}
	snprintf(buf, len, "%.*s", (int)(slash - c->path + (slash == c->path)),
		 c->path);
}

static int set_path(const struct config *c, char *dst, size_t len,
		    const char *v)
{
	char tmp[PATH_MAX], base[PATH_MAX];
	int r = set_str(tmp, sizeof(tmp), v);

	config_dir(c, base, sizeof(base));
	if (r == 0)
		r = config_path_abs(tmp, sizeof(tmp), v, base[0] ? base : NULL);
	return r ? r : set_str(dst, len, tmp);
}

/* CNI's rule for a network name: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
static int set_cni_name(char *dst, size_t len, const char *v)
{
	if (!isalnum((unsigned char)*v))
		return -EINVAL;
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return -EINVAL;
	return set_str(dst, len, v);
}

/* The core's own section; the functions' sections live in their
 * folders. One key per entry: reads best as a table. */
/* clang-format off */
#define AKEY(...) CONFIG_KEY(struct agent_config, __VA_ARGS__)
static const struct config_key agent_keys[] = {
	AKEY("node_name", K_NODE, node_name, 0, 0, "a node name"),
	AKEY("snapshot", K_PATH, snapshot, 0, 0,
	     "a path without blanks or '#'"),
	AKEY("state_dir", K_PATH, state_dir, 0, 0,
	     "a path without blanks or '#'"),
	AKEY("resync_interval", K_UINT, resync_interval, 0, 86400,
	     "seconds 0..86400"),
	AKEY("debounce_ms", K_UINT, debounce_ms, 0, 60000,
	     "milliseconds 0..60000"),
	AKEY("max_delete_share", K_SHARE, max_delete_share, 0, 0,
	     "a share 0..1"),
	AKEY("force", K_BOOL, force, 0, 0, "yes or no"),
	AKEY("max_snapshot_bytes", K_SIZE, max_snapshot_bytes, 1024,
	     1ULL << 40, "bytes 1024..2^40"),
	AKEY("log_level", K_LEVEL, log_level, 0, 0,
	     "error, warning, info or debug"),
};
/* clang-format on */

static const struct config_section agent_section = {
	.name = "agent",
	.size = sizeof(struct agent_config),
	.defaults = agent_defaults,
	.keys = agent_keys,
	.n_keys = sizeof(agent_keys) / sizeof(agent_keys[0]),
};

#define SECTION_AGENT CONFIG_SECTIONS_MAX /* index of [agent] */

/* A section by name: its index (SECTION_AGENT for [agent]). */
static const struct config_section *section_find(const char *name, size_t len,
						 size_t *idx)
{
	if (strlen(agent_section.name) == len &&
	    !strncmp(agent_section.name, name, len)) {
		*idx = SECTION_AGENT;
		return &agent_section;
	}
	for (size_t i = 0; i < n_functions; i++) {
		const struct config_section *sec = functions[i]->section;

		if (strlen(sec->name) == len && !strncmp(sec->name, name, len)) {
			*idx = i;
			return sec;
		}
	}
	return NULL;
}

static void *section_base(const struct config *c, size_t idx)
{
	if (idx == SECTION_AGENT)
		return (void *)&c->agent;
	return c->blob + c->off[idx];
}

struct parse_ctx {
	struct config *c;
	const char *buf, *pos, *end; /* the whole file, and where we are */
	unsigned line;
	char *err;
	size_t errlen;
	int rc;
	unsigned err_line; /* line of the first error we found */
	bool after_key;	   /* a key since the last header: inih's prev_name */
	/* line each key was set on, by section and key index */
	unsigned first[CONFIG_SECTIONS_MAX + 1][KEYS_MAX];
	/* the instance section under the last header, if it was one */
	const struct config_section *inst;
	void *inst_base;
	char inst_label[96]; /* peer "tor1", for messages */
	unsigned inst_first[KEYS_MAX];
};

static int set_uint(const struct config_key *k, void *field, const char *v)
{
	unsigned long long n;

	if (parse_uint(v, 0, k->hi, &n) < 0)
		return -EINVAL;
	if (n < k->lo && !(k->type == K_MTU && n == 0))
		return -EINVAL;
	if (k->size == sizeof(unsigned))
		*(unsigned *)field = (unsigned)n;
	else
		*(size_t *)field = (size_t)n;
	return 0;
}

static int set_node(char *dst, size_t len, const char *v)
{
	char norm[NODE_NAME_MAX];

	if (strlen(v) >= sizeof(norm))
		return -ENAMETOOLONG;
	config_node_name_norm(v, norm, sizeof(norm));
	return set_str(dst, len, norm);
}

static int set_value(const struct config_key *k, const struct config *c,
		     void *base, const char *v)
{
	void *field = (char *)base + k->off;

	switch (k->type) {
	case K_STR:
	case K_SECRET:
		return set_str(field, k->size, v);
	case K_PATH:
		return set_path(c, field, k->size, v);
	case K_CNINAME:
		return set_cni_name(field, k->size, v);
	case K_NODE:
		return set_node(field, k->size, v);
	case K_IFNAME:
		if (!config_ifname_valid(v))
			return -EINVAL;
		return set_str(field, k->size, v);
	case K_FILENAME:
		if (strchr(v, '/') || !strcmp(v, ".") || !strcmp(v, ".."))
			return -EINVAL;
		return set_str(field, k->size, v);
	case K_BOOL:
		return parse_bool(v, field);
	case K_UINT:
	case K_SIZE:
	case K_MTU:
		return set_uint(k, field, v);
	case K_SHARE:
		return parse_share(v, field);
	case K_LEVEL:
		return parse_level(v, field);
	}
	return -EINVAL;
}

static const struct config_key *find_key(const struct config_section *sec,
					 const char *name)
{
	for (size_t i = 0; i < sec->n_keys; i++)
		if (!strcmp(sec->keys[i].name, name))
			return &sec->keys[i];
	return NULL;
}

/* A key of a section by their names; *base its section's storage. */
static const struct config_key *lookup(const struct config *c,
				       const char *section, const char *name,
				       void **base)
{
	const struct config_section *sec;
	const struct config_key *k;
	size_t idx;

	sec = section_find(section, strlen(section), &idx);
	if (!sec || !(k = find_key(sec, name)))
		return NULL;
	*base = section_base(c, idx);
	return k;
}

int config_set(struct config *c, const char *section, const char *name,
	       const char *value)
{
	void *base;
	const struct config_key *k = lookup(c, section, name, &base);

	return k ? set_value(k, c, base, value) : -ENOENT;
}

static const char *level_name(int level)
{
	switch (level) {
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_DEBUG:
		return "debug";
	default:
		return "info";
	}
}

int config_get(const struct config *c, const char *section, const char *name,
	       char *buf, size_t len)
{
	void *base;
	const struct config_key *k = lookup(c, section, name, &base);
	const char *field;

	if (!k)
		return -ENOENT;
	field = (const char *)base + k->off;
	switch (k->type) {
	case K_BOOL:
		snprintf(buf, len, "%s", *(const bool *)field ? "yes" : "no");
		break;
	case K_UINT:
	case K_MTU:
	case K_SIZE:
		if (k->size == sizeof(unsigned))
			snprintf(buf, len, "%u", *(const unsigned *)field);
		else
			snprintf(buf, len, "%zu", *(const size_t *)field);
		break;
	case K_SHARE:
		snprintf(buf, len, "%g", *(const double *)field);
		break;
	case K_LEVEL:
		snprintf(buf, len, "%s", level_name(*(const int *)field));
		break;
	default:
		str_copy(buf, field, len);
	}
	return 0;
}

bool config_key_numeric(const char *section, const char *name)
{
	const struct config_section *sec;
	const struct config_key *k;
	size_t idx;

	sec = section_find(section, strlen(section), &idx);
	k = sec ? find_key(sec, name) : NULL;
	return k && (k->type == K_UINT || k->type == K_MTU ||
		     k->type == K_SIZE);
}

bool config_enabled(const struct config *c, size_t i)
{
	const struct config_key *k = find_key(functions[i]->section, "enabled");

	return k && *(const bool *)(c->blob + c->off[i] + k->off);
}

/* A value as an error message shows it: quoted, or not at all for a
 * secret (a password must not reach logs through a typo next to it). */
static const char *shown(const struct config_key *k, const char *v, char *buf,
			 size_t len)
{
	if (k->type == K_SECRET)
		return "(value not shown)";
	snprintf(buf, len, "\"%s\"", v);
	return buf;
}

/* A key under an instance header ([peer "tor1"]). */
static int inst_handler(struct parse_ctx *p, const char *name,
			const char *value)
{
	const struct config_key *k = find_key(p->inst, name);
	char quoted[256];
	unsigned *first = k ? &p->inst_first[k - p->inst->keys] : NULL;

	if (!k)
		p->rc = errf(p->err, p->errlen, EINVAL,
			     "%s:%u: unknown key \"%s\" in [%s]", p->c->path,
			     p->line, name, p->inst_label);
	else if (*first)
		p->rc = errf(p->err, p->errlen, EINVAL,
			     "%s:%u: [%s] %s given twice (first at line %u)",
			     p->c->path, p->line, p->inst_label, name, *first);
	else if (set_value(k, p->c, p->inst_base, value) < 0)
		p->rc = errf(p->err, p->errlen, EINVAL,
			     "%s:%u: [%s] %s = %s: expected %s", p->c->path,
			     p->line, p->inst_label, name,
			     shown(k, value, quoted, sizeof(quoted)), k->hint);
	else
		*first = p->line;
	if (p->rc)
		p->err_line = p->line;
	return !p->rc;
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse_ctx *p = user;
	const struct config_section *sec;
	const struct config_key *k = NULL;
	unsigned *first = NULL;
	char quoted[256];
	size_t idx = 0;

	p->after_key = true;
	if (p->rc)
		return 0;
	if (p->inst)
		return inst_handler(p, name, value);
	/* scan_line() has refused unknown sections: this one is known. */
	sec = section_find(section, strlen(section), &idx);
	if (sec)
		k = find_key(sec, name);
	if (k)
		first = &p->first[idx][k - sec->keys];
	if (!*section)
		p->rc = errf(p->err, p->errlen, EINVAL,
			     "%s:%u: key \"%s\" outside any [section]",
			     p->c->path, p->line, name);
	else if (!k)
		p->rc = errf(p->err, p->errlen, EINVAL,
			     "%s:%u: unknown key \"%s\" in [%s]", p->c->path,
			     p->line, name, section);
	else if (*first)
		p->rc = errf(p->err, p->errlen, EINVAL,
			     "%s:%u: [%s] %s given twice (first at line %u)",
			     p->c->path, p->line, section, name, *first);
	else if (set_value(k, p->c, section_base(p->c, idx), value) < 0)
		p->rc = errf(p->err, p->errlen, EINVAL,
			     "%s:%u: [%s] %s = %s: expected %s", p->c->path,
			     p->line, section, name,
			     shown(k, value, quoted, sizeof(quoted)), k->hint);
	else
		*first = p->line;
	if (p->rc)
		p->err_line = p->line;
	return !p->rc;
}

static bool section_known(const char *name, size_t len)
{
	size_t idx;

	return section_find(name, len, &idx) != NULL;
}

/* The instance section called name[0..len), and its function's index. */
static const struct config_section *inst_find(const char *name, size_t len,
					      size_t *fi)
{
	for (size_t i = 0; i < n_functions; i++)
		for (const struct config_section *const *s =
			 functions[i]->instances;
		     s && *s; s++)
			if (strlen((*s)->name) == len &&
			    !strncmp((*s)->name, name, len)) {
				*fi = i;
				return *s;
			}
	return NULL;
}

static bool inst_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > CONFIG_INSTANCE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

/* `[peer "NAME"]`: a new instance (defaults, then its name), or an
 * error. h[0..len) is the text between the brackets. */
static int inst_header(struct parse_ctx *p, const char *h, size_t len)
{
	const char *sp = memchr(h, ' ', len), *q, *q2;
	const struct config_section *sec;
	unsigned *count;
	char *parent, *inst;
	size_t fi;

	q = sp ? sp + 1 : NULL;
	q2 = q && q < h + len && *q == '"' ? memchr(q + 1, '"', h + len - q - 1)
					    : NULL;
	if (!sp || !(sec = inst_find(h, (size_t)(sp - h), &fi)))
		return 0; /* not an instance header: "unknown section" */
	if (!q2 || q2 != h + len - 1 || !inst_name_ok(q + 1, q2 - q - 1))
		return errf(p->err, p->errlen, EINVAL,
			    "%s:%u: [%.*s]: expected [%s \"NAME\"], NAME of "
			    "1..%d letters, digits, '_', '.' or '-'",
			    p->c->path, p->line, (int)len, h, sec->name,
			    CONFIG_INSTANCE_NAME_MAX);
	parent = (char *)p->c->blob + p->c->off[fi];
	count = (unsigned *)(parent + sec->count_off);
	for (unsigned i = 0; i < *count; i++) {
		const char *n = parent + sec->array_off + i * sec->size +
				sec->name_off;

		if (strlen(n) == (size_t)(q2 - q - 1) &&
		    !strncmp(n, q + 1, q2 - q - 1))
			return errf(p->err, p->errlen, EINVAL,
				    "%s:%u: [%.*s] given twice", p->c->path,
				    p->line, (int)len, h);
	}
	if (*count >= sec->max)
		return errf(p->err, p->errlen, E2BIG,
			    "%s:%u: [%.*s]: more than %zu [%s] sections",
			    p->c->path, p->line, (int)len, h, sec->max,
			    sec->name);
	inst = parent + sec->array_off + (*count)++ * sec->size;
	sec->defaults(inst);
	snprintf(inst + sec->name_off, sec->name_size, "%.*s",
		 (int)(q2 - q - 1), q + 1);
	p->inst = sec;
	p->inst_base = inst;
	snprintf(p->inst_label, sizeof(p->inst_label), "%.*s", (int)len, h);
	memset(p->inst_first, 0, sizeof(p->inst_first));
	return 1;
}

/*
 * What inih is about to make of line s, by inih's own rules: comments and
 * blank lines first; then an indented line after a key is a continuation
 * of that key's value, handed to us as the same key again, which we refuse
 * (it would read as a key given twice, or glue "mtu = 1" into a value);
 * then "[name]" up to the first ']' is a header. inih never shows headers
 * to the handler, so an unknown section without keys is caught only here.
 */
static void scan_line(struct parse_ctx *p, const char *s)
{
	const char *t = s, *end;

	if (p->rc)
		return;
	if (p->line == 1 && !strncmp(t, "\xef\xbb\xbf", 3))
		t += 3; /* a BOM; inih too counts it as indentation */
	while (isspace((unsigned char)*t))
		t++;
	if (!*t || *t == ';' || *t == '#')
		return;
	if (t > s && p->after_key)
		p->rc = errf(p->err, p->errlen, EINVAL,
			     "%s:%u: indented line would continue the value "
			     "above; do not indent keys",
			     p->c->path, p->line);
	else if (*t == '[' && (end = strchr(t + 1, ']'))) {
		int r;

		p->after_key = false;
		p->inst = NULL;
		r = inst_header(p, t + 1, (size_t)(end - t - 1));
		if (r < 0)
			p->rc = r;
		else if (r == 0 && !section_known(t + 1, end - t - 1))
			p->rc =
			    errf(p->err, p->errlen, EINVAL,
				 "%s:%u: unknown section [%.*s]", p->c->path,
				 p->line, (int)(end - t - 1), t + 1);
	}
	if (p->rc)
		p->err_line = p->line;
}

/* inih's line reader: counts lines so the handler can name them, and
 * refuses lines longer than inih's buffer (200 bytes in Debian's build),
 * which inih would otherwise split into a bogus second line. */
static char *reader(char *str, int num, void *stream)
{
	struct parse_ctx *p = stream;
	const char *nl;
	size_t n;

	if (p->pos >= p->end)
		return NULL;
	nl = memchr(p->pos, '\n', (size_t)(p->end - p->pos));
	n = nl ? (size_t)(nl - p->pos) + 1 : (size_t)(p->end - p->pos);
	p->line++;
	if (n > (size_t)num - 1) {
		if (!p->rc) {
			p->err_line = p->line;
			p->rc = errf(p->err, p->errlen, E2BIG,
				     "%s:%u: line too long (at most %d bytes "
				     "with its line end)",
				     p->c->path, p->line, num - 1);
		}
		return NULL;
	}
	memcpy(str, p->pos, n);
	str[n] = '\0';
	p->pos += n;
	scan_line(p, str);
	return str;
}

/* The whole file in memory, so line lengths are exact and a NUL byte
 * (which would hide the rest of its line from inih) is an error. */
static int read_whole(struct parse_ctx *p, const char *path, char **buf)
{
	const char *nul;
	size_t len;
	unsigned line = 1;
	int r = read_file_small(path, 1 << 20, buf, &len);

	if (r < 0)
		return errf(p->err, p->errlen, -r, "%s: %s", path,
			    r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
	nul = memchr(*buf, '\0', len);
	if (nul) {
		for (const char *q = *buf; q < nul; q++)
			line += *q == '\n';
		free(*buf);
		*buf = NULL;
		return errf(p->err, p->errlen, EINVAL, "%s:%u: NUL byte", path,
			    line);
	}
	p->buf = p->pos = *buf;
	p->end = *buf + len;
	return 0;
}

/* Value checks live in the key table so they name the line; this one is
 * about the default, which has no line. */
/* A section's own check, and its instances'. */
static int check_function(const struct config *c, size_t i, char *err,
			  size_t len)
{
	const struct function *f = functions[i];
	const char *base = (const char *)c->blob + c->off[i];
	char why[384];

	if (f->section->check && f->section->check(base, why, sizeof(why)) < 0)
		return errf(err, len, EINVAL, "%s: [%s]: %s", c->path,
			    f->section->name, why);
	for (const struct config_section *const *s = f->instances; s && *s;
	     s++) {
		unsigned n = *(const unsigned *)(base + (*s)->count_off);

		for (unsigned k = 0; (*s)->check && k < n; k++) {
			const char *inst = base + (*s)->array_off +
					   k * (*s)->size;

			if ((*s)->check(inst, why, sizeof(why)) < 0)
				return errf(err, len, EINVAL,
					    "%s: [%s \"%s\"]: %s", c->path,
					    (*s)->name, inst + (*s)->name_off,
					    why);
		}
	}
	return 0;
}

static int check_semantics(const struct config *c, char *err, size_t len)
{
	int r;

	if (!c->agent.node_name[0])
		return errf(err, len, EINVAL,
			    "%s: [agent] node_name is empty and the hostname "
			    "is unknown",
			    c->path);
	for (size_t i = 0; i < n_functions; i++)
		if ((r = check_function(c, i, err, len)) < 0)
			return r;
	return 0;
}

static int load(const char *path, struct config *c, char *err, size_t errlen)
{
	struct parse_ctx p = { .c = c, .err = err, .errlen = errlen };
	char *text = NULL;
	int r;

	if (!str_copy(c->path, path, sizeof(c->path)))
		return errf(err, errlen, ENAMETOOLONG, "%s: path too long",
			    path);
	r = read_whole(&p, path, &text);
	if (r < 0)
		return r;
	r = ini_parse_stream(reader, &p, handler, &p);
	free(text);
	/* inih goes on after a syntax error: report whichever came first */
	if (r > 0 && (!p.rc || (unsigned)r < p.err_line))
		return errf(err, errlen, EINVAL, "%s:%d: syntax error", path,
			    r);
	if (p.rc)
		return p.rc;
	if (r < 0)
		return errf(err, errlen, EIO, "%s: cannot read", path);
	return check_semantics(c, err, errlen);
}

/* On failure nothing stays allocated: config_fini() is optional then. */
int config_load(const char *path, struct config *c, char *err, size_t errlen)
{
	int r;

	config_defaults(c);
	r = load(path, c, err, errlen);
	if (r)
		config_fini(c);
	return r;
}
