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

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	config_hostname(c->agent.node_name, sizeof(c->agent.node_name));
	strcpy(c->agent.snapshot, "/var/lib/snapnet/snapshot.json");
	strcpy(c->agent.state_dir, "/var/lib/snapnet/state");
	c->agent.resync_interval = 30;
	c->agent.debounce_ms = 100;
	c->agent.max_delete_share = 0.5;
	c->agent.max_snapshot_bytes = (size_t)4 << 30;
	c->agent.log_level = LOG_INFO;
	c->cni.enabled = true;
	strcpy(c->cni.conf_dir, "/etc/cni/net.d");
	strcpy(c->cni.conf_file, "10-snapnet.conflist");
	strcpy(c->cni.network_name, "snapnet");
	strcpy(c->cni.bridge, "snapnet0");
	c->cni.hairpin = true;
	c->cni.ip_forward = true;
	c->routes.enabled = true;
	c->routes.protocol = 157;
	c->routes.table = 254;
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
	char *end;

	if (*v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(v, &end, 10);
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

/* Keys are described by a table so the handler, the defaults in
 * examples/agent.ini and the README can be checked against one list. */
enum key_type {
	K_STR,
	K_BOOL,
	K_UINT,
	K_SIZE,
	K_SHARE,
	K_LEVEL,
	K_IFNAME,
	K_MTU,	    /* K_UINT that also admits 0, "leave it to the plugin" */
	K_FILENAME, /* K_STR naming a file in a directory key: no '/' */
	K_PATH,	    /* a path, trailing slashes dropped */
	K_CNINAME,  /* a CNI network name */
	K_NODE,	    /* a node name: trimmed and lowercased, as kubelet does */
};

struct key {
	const char *section, *name;
	enum key_type type;
	size_t off, size;
	unsigned long long lo, hi;
	const char *hint;
};

/* One key per entry: reads best as a table. */
/* clang-format off */
#define KEY(sec, nm, ty, field, l, h, hn)                                      \
	{                                                                      \
		sec, nm, ty, offsetof(struct config, field),                   \
		    sizeof(((struct config *)0)->field), l, h, hn              \
	}

static const struct key keys[] = {
	KEY("agent", "node_name", K_NODE, agent.node_name, 0, 0, "a node name"),
	KEY("agent", "snapshot", K_PATH, agent.snapshot, 0, 0,
	    "a path without blanks or '#'"),
	KEY("agent", "state_dir", K_PATH, agent.state_dir, 0, 0,
	    "a path without blanks or '#'"),
	KEY("agent", "resync_interval", K_UINT, agent.resync_interval, 0, 86400,
	    "seconds 0..86400"),
	KEY("agent", "debounce_ms", K_UINT, agent.debounce_ms, 0, 60000,
	    "milliseconds 0..60000"),
	KEY("agent", "max_delete_share", K_SHARE, agent.max_delete_share, 0, 0,
	    "a share 0..1"),
	KEY("agent", "force", K_BOOL, agent.force, 0, 0, "yes or no"),
	KEY("agent", "max_snapshot_bytes", K_SIZE, agent.max_snapshot_bytes,
	    1024, 1ULL << 40, "bytes 1024..2^40"),
	KEY("agent", "log_level", K_LEVEL, agent.log_level, 0, 0,
	    "error, warning, info or debug"),
	KEY("cni", "enabled", K_BOOL, cni.enabled, 0, 0, "yes or no"),
	KEY("cni", "conf_dir", K_PATH, cni.conf_dir, 0, 0,
	    "a path without blanks or '#'"),
	KEY("cni", "conf_file", K_FILENAME, cni.conf_file, 0, 0,
	    "a file name, not a path"),
	KEY("cni", "network_name", K_CNINAME, cni.network_name, 0, 0,
	    "a CNI network name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)"),
	KEY("cni", "bridge", K_IFNAME, cni.bridge, 0, 0,
	    "an interface name: 1..15 bytes, no '/', ':', '%' or blanks, "
	    "not \".\", \"..\", \"all\" or \"default\""),
	KEY("cni", "mtu", K_MTU, cni.mtu, 68, 65535, "0 or 68..65535"),
	KEY("cni", "hairpin", K_BOOL, cni.hairpin, 0, 0, "yes or no"),
	KEY("cni", "ip_forward", K_BOOL, cni.ip_forward, 0, 0, "yes or no"),
	KEY("routes", "enabled", K_BOOL, routes.enabled, 0, 0, "yes or no"),
	KEY("routes", "protocol", K_UINT, routes.protocol, 5, 255,
	    "a protocol number 5..255 (0..4 belong to the kernel)"),
	KEY("routes", "table", K_UINT, routes.table, 1, 0xfffffffeULL,
	    "a table id 1..4294967294"),
	KEY("routes", "metric", K_UINT, routes.metric, 0, 0xffffffffULL,
	    "0..4294967295"),
};
/* clang-format on */

struct parse_ctx {
	struct config *c;
	const char *buf, *pos, *end; /* the whole file, and where we are */
	unsigned line;
	char *err;
	size_t errlen;
	int rc;
	unsigned err_line; /* line of the first error we found */
	bool after_key;	   /* a key since the last header: inih's prev_name */
	unsigned first[ARRAY_SIZE(keys)]; /* line each key was set on */
};

static int set_uint(const struct key *k, void *field, const char *v)
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

static int set_value(const struct key *k, struct config *c, const char *v)
{
	void *field = (char *)c + k->off;

	switch (k->type) {
	case K_STR:
		return set_str(field, k->size, v);
	case K_PATH:
		return set_path(c, field, k->size, v);
	case K_CNINAME:
		return set_cni_name(field, k->size, v);
	case K_NODE: {
		char norm[NODE_NAME_MAX];

		if (strlen(v) >= sizeof(norm))
			return -ENAMETOOLONG;
		config_node_name_norm(v, norm, sizeof(norm));
		return set_str(field, k->size, norm);
	}
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

static const struct key *find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i].section, section) &&
		    !strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

int config_set(struct config *c, const char *section, const char *name,
	       const char *value)
{
	const struct key *k = find_key(section, name);

	return k ? set_value(k, c, value) : -ENOENT;
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse_ctx *p = user;
	const struct key *k;
	unsigned *first;

	p->after_key = true;
	if (p->rc)
		return 0;
	/* scan_line() has refused unknown sections: this one is known. */
	if (!*section)
		p->rc = errf(p->err, p->errlen, EINVAL,
			     "%s:%u: key \"%s\" outside any [section]",
			     p->c->path, p->line, name);
	else if (!(k = find_key(section, name)))
		p->rc = errf(p->err, p->errlen, EINVAL,
			     "%s:%u: unknown key \"%s\" in [%s]", p->c->path,
			     p->line, name, section);
	else if (*(first = &p->first[k - keys]))
		p->rc = errf(p->err, p->errlen, EINVAL,
			     "%s:%u: [%s] %s given twice (first at line %u)",
			     p->c->path, p->line, section, name, *first);
	else if (set_value(k, p->c, value) < 0)
		p->rc = errf(p->err, p->errlen, EINVAL,
			     "%s:%u: [%s] %s = \"%s\": expected %s", p->c->path,
			     p->line, section, name, value, k->hint);
	else
		*first = p->line;
	if (p->rc)
		p->err_line = p->line;
	return !p->rc;
}

static bool section_known(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strlen(keys[i].section) == len &&
		    !strncmp(keys[i].section, name, len))
			return true;
	return false;
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
		p->after_key = false;
		if (!section_known(t + 1, end - t - 1))
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
static int check_semantics(const struct config *c, char *err, size_t len)
{
	if (!c->agent.node_name[0])
		return errf(err, len, EINVAL,
			    "%s: [agent] node_name is empty and the hostname "
			    "is unknown",
			    c->path);
	return 0;
}

int config_load(const char *path, struct config *c, char *err, size_t errlen)
{
	struct parse_ctx p = { .c = c, .err = err, .errlen = errlen };
	char *text = NULL;
	int r;

	config_defaults(c);
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
