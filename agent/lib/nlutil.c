/*
 * nlutil.c - shared libnl glue for the modules that talk rtnetlink
 * through libnl (route_nl.c, cni_link.c).
 *
 * Owns nothing in the kernel and holds no state. Its one policy is the
 * error map: every module folds libnl's NLE_* codes into the same errno,
 * so callers and the status file see one errno for one kernel answer.
 *
 * Dumps: a multi-part netlink dump that races with a change of the table
 * it walks is flagged NLM_F_DUMP_INTR by the kernel, and libnl returns
 * -NLE_DUMP_INTR at the end of it. What was read may then miss or repeat
 * objects, so it is thrown away and the dump runs again, a bounded number
 * of times: a table that never holds still for three dumps is an error of
 * the pass (the next pass tries again), not a reason to loop forever.
 * (Some libnl versions already restart a cache refill by themselves; the
 * bound here costs nothing then, and covers our own route dump, which
 * reads with nl_recvmsgs() and does see -NLE_DUMP_INTR.)
 */
#include "lib/nlutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "lib/util.h"

static const struct {
	int nle, err;
} map[] = {
	{ NLE_EXIST, EEXIST },
	{ NLE_NOMEM, ENOMEM },
	{ NLE_INVAL, EINVAL },
	{ NLE_RANGE, ERANGE },
	{ NLE_OPNOTSUPP, EOPNOTSUPP },
	{ NLE_AF_NOSUPPORT, EAFNOSUPPORT },
	{ NLE_OBJ_NOTFOUND, ENOENT },
	{ NLE_NODEV, ENODEV },
	{ NLE_NOADDR, EADDRNOTAVAIL },
	{ NLE_BUSY, EBUSY },
	{ NLE_NOACCESS, EACCES },
	{ NLE_PERM, EPERM },
	{ NLE_AGAIN, EAGAIN },
	{ NLE_INTR, EINTR },
	{ NLE_MSGSIZE, EMSGSIZE },
	/* still inconsistent after NLUTIL_DUMP_TRIES: the next pass retries */
	{ NLE_DUMP_INTR, EAGAIN },
};

int nlutil_errno(int nle)
{
	int code = nle < 0 ? -nle : nle;

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (map[i].nle == code)
			return map[i].err;
	return EIO;
}

int nlutil_fail(char *err, size_t errlen, int nle, const char *fmt, ...)
{
	char what[ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return errf(err, errlen, nlutil_errno(nle), "%s: %s", what,
		    nl_geterror(nle));
}

bool nlutil_to_prefix(struct nl_addr *a, int family, struct prefix *p)
{
	unsigned full;

	memset(p, 0, sizeof(*p));
	if (!family && a)
		family = nl_addr_get_family(a);
	if (family != AF_INET && family != AF_INET6)
		return false;
	full = family == AF_INET ? 4 : 16;
	p->family = (uint8_t)family;
	if (!a || nl_addr_get_len(a) == 0)
		return true;
	if (nl_addr_get_family(a) != family || nl_addr_get_len(a) != full) {
		p->family = 0;
		return false;
	}
	memcpy(p->addr, nl_addr_get_binary_addr(a), full);
	p->len = (uint8_t)nl_addr_get_prefixlen(a);
	return true;
}

bool nlutil_is_link_local6(const struct prefix *p)
{
	return p->family == AF_INET6 && p->addr[0] == 0xfe &&
	       (p->addr[1] & 0xc0) == 0x80;
}

int nlutil_addr_cache(struct nl_sock *sk, struct nl_cache **out)
{
	int e = -NLE_DUMP_INTR;

	*out = NULL;
	for (int i = 0; i < NLUTIL_DUMP_TRIES && e == -NLE_DUMP_INTR; i++)
		e = rtnl_addr_alloc_cache(sk, out);
	return e;
}

int nlutil_link_cache(struct nl_sock *sk, struct nl_cache **out)
{
	int e = -NLE_DUMP_INTR;

	*out = NULL;
	for (int i = 0; i < NLUTIL_DUMP_TRIES && e == -NLE_DUMP_INTR; i++)
		e = rtnl_link_alloc_cache(sk, AF_UNSPEC, out);
	return e;
}
