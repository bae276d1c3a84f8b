/*
 * sets.c - snapnet's ipsets through libipset: listing, create, add/del,
 * replace by temporary + swap, destroy (naming, members and the listing
 * text, all pure, are sets_members.c).
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
#include "lib/sets_int.h"
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

/* A bad input: the text in err, -EINVAL. */
#define fail(err, errlen, ...) errf(err, errlen, EINVAL, __VA_ARGS__)

#define SMALL_CHANGE 64	      /* sync: up to this many single changes... */
#define SMALL_SHARE 16	      /* ...or 1/16 of the set, else replace */

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
	if (!prefix || !sets_word_ok(prefix, SETS_PREFIX_MAX, false))
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
	if (plen != sets_max_plen(m->family))
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
		qsort(have, n_have, sizeof(*have), sets_member_qcmp);
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
