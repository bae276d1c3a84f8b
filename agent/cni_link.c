/*
 * cni_link.c - the pod bridge and its gateway addresses, over rtnetlink
 * through libnl-route-3.
 *
 * Owns in the kernel: the one link named [cni] bridge (only ever touched
 * when it is a bridge) and the addresses on it, except IPv6 link-local
 * ones, which the kernel manages.
 *
 * Invariants: verbs are idempotent: EEXIST on add and "no such device /
 * address" on delete are success, so a pass interrupted half-way simply
 * finishes on the next one. IPv6 gateways are added with IFA_F_NODAD:
 * the address is ours by construction and pods must be able to use it at
 * once instead of waiting for DAD (and an empty bridge has no carrier, so
 * DAD would not even start until the first pod is plugged in).
 *
 * Fails with -errno folded from libnl's error space, the text naming the
 * bridge and what was being done.
 */
#include "cni.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <stdlib.h>
#include <string.h>

#include "nlerr.h"
#include "util.h"

struct cni_nl {
	struct nl_sock *sk;
};

static int nl_fail(char *err, size_t errlen, int nle, const char *what,
		   const char *bridge)
{
	return errf(err, errlen, nlerr_errno(nle), "%s %s: %s", what, bridge,
		    nl_geterror(nle));
}

int cni_nl_open(struct cni_nl **out, char *err, size_t errlen)
{
	struct cni_nl *nl = calloc(1, sizeof(*nl));
	int r;

	*out = NULL;
	if (!nl)
		return errf(err, errlen, ENOMEM, "netlink: out of memory");
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		free(nl);
		return errf(err, errlen, ENOMEM, "netlink: out of memory");
	}
	r = nl_connect(nl->sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(nl->sk);
		free(nl);
		return errf(err, errlen, nlerr_errno(r), "netlink connect: %s",
			    nl_geterror(r));
	}
	*out = nl;
	return 0;
}

void cni_nl_close(struct cni_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk); /* closes the socket too */
	free(nl);
}

/* Looks the bridge up. 0 with *link NULL when there is no such link. */
static int link_get(struct cni_nl *nl, const char *bridge,
		    struct rtnl_link **link, char *err, size_t errlen)
{
	int r = rtnl_link_get_kernel(nl->sk, 0, bridge, link);

	if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV) {
		*link = NULL;
		return 0;
	}
	if (r < 0)
		return nl_fail(err, errlen, r, "get link", bridge);
	return 0;
}

static bool is_bridge(struct rtnl_link *link)
{
	const char *type = rtnl_link_get_type(link);

	return type && strcmp(type, "bridge") == 0;
}

static bool is_link_local6(const struct prefix *a)
{
	return a->family == AF_INET6 && a->addr[0] == 0xfe &&
	       (a->addr[1] & 0xc0) == 0x80;
}

struct addr_walk {
	struct cni_state *s;
	int ifindex;
	int err;
};

static void addr_one(struct nl_object *obj, void *arg)
{
	struct addr_walk *w = arg;
	struct rtnl_addr *ra = (struct rtnl_addr *)obj;
	struct nl_addr *local = rtnl_addr_get_local(ra);
	struct prefix a = {0};
	unsigned len;
	void *grown;

	if (w->err || rtnl_addr_get_ifindex(ra) != w->ifindex || !local)
		return;
	a.family = (uint8_t)nl_addr_get_family(local);
	len = nl_addr_get_len(local);
	if ((a.family != AF_INET || len != 4) &&
	    (a.family != AF_INET6 || len != 16))
		return;
	memcpy(a.addr, nl_addr_get_binary_addr(local), len);
	a.len = (uint8_t)rtnl_addr_get_prefixlen(ra);
	if (is_link_local6(&a))
		return;
	grown = realloc(w->s->addrs, (w->s->n_addrs + 1) * sizeof(a));
	if (!grown) {
		w->err = -ENOMEM;
		return;
	}
	w->s->addrs = grown;
	w->s->addrs[w->s->n_addrs++] = a;
}

static int addrs_dump(struct cni_nl *nl, const char *bridge,
		      struct cni_state *s, char *err, size_t errlen)
{
	struct addr_walk w = {.s = s, .ifindex = s->ifindex};
	struct nl_cache *cache;
	int r = rtnl_addr_alloc_cache(nl->sk, &cache);

	if (r < 0)
		return nl_fail(err, errlen, r, "dump addresses of", bridge);
	nl_cache_foreach(cache, addr_one, &w);
	nl_cache_free(cache);
	if (w.err)
		return errf(err, errlen, -w.err, "dump addresses of %s: %s",
			    bridge, strerror(-w.err));
	return 0;
}

int cni_nl_dump(struct cni_nl *nl, const char *bridge, struct cni_state *s,
		char *err, size_t errlen)
{
	struct rtnl_link *link;
	int r = link_get(nl, bridge, &link, err, errlen);

	if (r < 0 || !link)
		return r;
	s->link_exists = true;
	s->link_is_bridge = is_bridge(link);
	s->link_up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
	s->ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	/* A foreign link of our name is reported, never touched. */
	if (!s->link_is_bridge)
		return 0;
	return addrs_dump(nl, bridge, s, err, errlen);
}

int cni_nl_link_add(struct cni_nl *nl, const char *bridge, unsigned mtu,
		    char *err, size_t errlen)
{
	struct rtnl_link *link = rtnl_link_bridge_alloc();
	int r;

	if (!link)
		return errf(err, errlen, ENOMEM, "link add %s: out of memory",
			    bridge);
	rtnl_link_set_name(link, bridge);
	if (mtu)
		rtnl_link_set_mtu(link, mtu);
	r = rtnl_link_add(nl->sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(link);
	if (r < 0 && r != -NLE_EXIST)
		return nl_fail(err, errlen, r, "link add", bridge);
	return 0;
}

int cni_nl_link_up(struct cni_nl *nl, const char *bridge, char *err,
		   size_t errlen)
{
	struct rtnl_link *link, *change;
	int r = link_get(nl, bridge, &link, err, errlen);

	if (r < 0)
		return r;
	if (!link)
		return errf(err, errlen, ENODEV, "link set %s up: no such link",
			    bridge);
	change = rtnl_link_alloc();
	if (!change) {
		rtnl_link_put(link);
		return errf(err, errlen, ENOMEM, "link set %s up: no memory",
			    bridge);
	}
	rtnl_link_set_flags(change, IFF_UP);
	r = rtnl_link_change(nl->sk, link, change, 0);
	rtnl_link_put(change);
	rtnl_link_put(link);
	if (r < 0)
		return nl_fail(err, errlen, r, "link set up", bridge);
	return 0;
}

static struct rtnl_addr *addr_build(int ifindex, const struct prefix *a)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local;
	size_t len = a->family == AF_INET ? 4 : 16;

	if (!ra)
		return NULL;
	local = nl_addr_build(a->family, a->addr, len);
	if (!local) {
		rtnl_addr_put(ra);
		return NULL;
	}
	nl_addr_set_prefixlen(local, a->len);
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_family(ra, a->family);
	if (rtnl_addr_set_local(ra, local) < 0) {
		nl_addr_put(local);
		rtnl_addr_put(ra);
		return NULL;
	}
	nl_addr_put(local);
	rtnl_addr_set_prefixlen(ra, a->len);
	if (a->family == AF_INET6)
		rtnl_addr_set_flags(ra, IFA_F_NODAD);
	return ra;
}

int cni_nl_addr(struct cni_nl *nl, const char *bridge, bool add,
		const struct prefix *a, char *err, size_t errlen)
{
	const char *verb = add ? "addr add" : "addr del";
	char s[PREFIX_STRLEN];
	struct rtnl_addr *ra;
	unsigned ifindex = if_nametoindex(bridge);
	int r;

	prefix_format(a, s, sizeof(s));
	if (!ifindex) {
		if (!add) /* no bridge, no address: nothing to delete */
			return 0;
		return errf(err, errlen, ENODEV, "%s %s dev %s: no such link",
			    verb, s, bridge);
	}
	ra = addr_build((int)ifindex, a);
	if (!ra)
		return errf(err, errlen, ENOMEM, "%s %s: out of memory", verb,
			    s);
	r = add ? rtnl_addr_add(nl->sk, ra, NLM_F_REPLACE)
		: rtnl_addr_delete(nl->sk, ra, 0);
	rtnl_addr_put(ra);
	if (r == -NLE_EXIST && add)
		return 0;
	if ((r == -NLE_NOADDR || r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV) &&
	    !add)
		return 0;
	if (r < 0)
		return errf(err, errlen, nlerr_errno(r), "%s %s dev %s: %s",
			    verb, s, bridge, nl_geterror(r));
	return 0;
}

int cni_nl_link_del(struct cni_nl *nl, const char *bridge, char *err,
		    size_t errlen)
{
	struct rtnl_link *link;
	int r = link_get(nl, bridge, &link, err, errlen);

	if (r < 0 || !link)
		return r;
	if (!is_bridge(link)) {
		rtnl_link_put(link);
		return errf(err, errlen, EEXIST,
			    "link %s is not a bridge; left alone", bridge);
	}
	r = rtnl_link_delete(nl->sk, link);
	rtnl_link_put(link);
	if (r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_NODEV)
		return nl_fail(err, errlen, r, "link del", bridge);
	return 0;
}
