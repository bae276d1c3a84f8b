/*
 * cni_link.c - the pod bridge and its gateway addresses, over rtnetlink
 * through libnl-route-3.
 *
 * Owns in the kernel: the one link named [cni] bridge, and only when it
 * is a bridge tagged with IFLA_IFALIAS CNI_LINK_ALIAS, and the addresses
 * on it, except IPv6 link-local ones, which the kernel manages. The tag
 * is written right after the bridge is created: the kernel ignores
 * IFLA_IFALIAS in an RTM_NEWLINK that creates a link (it only applies it
 * to an existing one), so creation is two requests. If the second fails
 * the new, untagged bridge is deleted again; a crash between the two
 * leaves an untagged bridge that later passes report as foreign (adopt
 * it with `ip link set NAME alias snapnet`, or delete it).
 *
 * Every change re-reads the link by name and refuses (-EPERM) one that
 * is not our bridge: the plan was made from a dump, and a link of that
 * name could have been replaced since.
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
#include "cni/cni.h"

#include <errno.h>
#include <sys/random.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <stdlib.h>
#include <string.h>

#include "lib/nlutil.h"
#include "lib/util.h"

struct cni_nl {
	struct nl_sock *sk;
};

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
		return nlutil_fail(err, errlen, r, "netlink connect");
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
	int r;

	*link = NULL;
	r = rtnl_link_get_kernel(nl->sk, 0, bridge, link);
	if (r < 0)
		*link = NULL;
	if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV)
		return 0;
	if (r < 0)
		return nlutil_fail(err, errlen, r, "get link %s", bridge);
	return 0;
}

static bool is_bridge(struct rtnl_link *link)
{
	const char *type = rtnl_link_get_type(link);

	return type && strcmp(type, "bridge") == 0;
}

static bool is_ours(struct rtnl_link *link)
{
	const char *alias = rtnl_link_get_ifalias(link);

	return is_bridge(link) && alias && strcmp(alias, CNI_LINK_ALIAS) == 0;
}

/* Our bridge by name, re-read now; -EPERM when a link of that name is
 * there but not ours, -ENODEV when there is none. */
static int owned_get(struct cni_nl *nl, const char *bridge, const char *verb,
		     struct rtnl_link **link, char *err, size_t errlen)
{
	int r = link_get(nl, bridge, link, err, errlen);

	if (r < 0)
		return r;
	if (!*link)
		return errf(err, errlen, ENODEV, "%s %s: no such link", verb,
			    bridge);
	if (!is_ours(*link)) {
		rtnl_link_put(*link);
		*link = NULL;
		return errf(err, errlen, EPERM,
			    "%s %s: the link is not "
			    "snapnet's (not a bridge with ifalias \"%s\"); "
			    "left alone",
			    verb, bridge, CNI_LINK_ALIAS);
	}
	return 0;
}

struct addr_walk {
	struct cni_state *s;
	size_t cap;
	int ifindex;
	int err;
};

static void addr_one(struct nl_object *obj, void *arg)
{
	struct addr_walk *w = arg;
	struct rtnl_addr *ra = (struct rtnl_addr *)obj;
	struct nl_addr *local = rtnl_addr_get_local(ra);
	struct prefix a;

	if (w->err || rtnl_addr_get_ifindex(ra) != w->ifindex || !local)
		return;
	if (!nlutil_to_prefix(local, 0, &a) || !a.family)
		return;
	a.len = (uint8_t)rtnl_addr_get_prefixlen(ra);
	if (nlutil_is_link_local6(&a))
		return;
	if (array_grow(&w->s->addrs, &w->cap, w->s->n_addrs + 1, sizeof(a))) {
		w->err = -ENOMEM;
		return;
	}
	w->s->addrs[w->s->n_addrs++] = a;
}

static int addrs_dump(struct cni_nl *nl, const char *bridge,
		      struct cni_state *s, char *err, size_t errlen)
{
	struct addr_walk w = { .s = s, .ifindex = s->ifindex };
	struct nl_cache *cache;
	int r = nlutil_addr_cache(nl->sk, &cache);

	if (r < 0)
		return nlutil_fail(err, errlen, r, "dump addresses of %s",
				   bridge);
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
	s->link_ours = is_ours(link);
	str_copy(s->link_alias,
		 rtnl_link_get_ifalias(link) ? rtnl_link_get_ifalias(link) : "",
		 sizeof(s->link_alias));
	s->link_up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
	s->mtu = rtnl_link_get_mtu(link);
	s->ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	/* A foreign link of our name is reported, never touched: its
	 * addresses are none of our business. */
	if (!s->link_ours)
		return 0;
	return addrs_dump(nl, bridge, s, err, errlen);
}

/* One RTM_NEWLINK change on `link` (consumed): an alias and/or flags.
 * `what` names the operation in the error text. */
static int link_modify(struct cni_nl *nl, struct rtnl_link *link,
		       const char *alias, unsigned flags, unsigned mtu,
		       const char *what, const char *bridge, char *err,
		       size_t errlen)
{
	struct rtnl_link *change = rtnl_link_alloc();
	int r;

	if (!change) {
		rtnl_link_put(link);
		return errf(err, errlen, ENOMEM, "%s %s: out of memory", what,
			    bridge);
	}
	if (alias)
		rtnl_link_set_ifalias(change, alias);
	if (flags)
		rtnl_link_set_flags(change, flags);
	if (mtu)
		rtnl_link_set_mtu(change, mtu);
	r = rtnl_link_change(nl->sk, link, change, 0);
	rtnl_link_put(change);
	rtnl_link_put(link);
	if (r < 0)
		return nlutil_fail(err, errlen, r, "%s %s", what, bridge);
	return 0;
}

/* The second half of creating the bridge: the ownership tag. The kernel
 * ignores IFLA_IFALIAS in the request that creates a link. */
static int tag(struct cni_nl *nl, const char *bridge, char *err, size_t errlen)
{
	struct rtnl_link *link;
	int r = link_get(nl, bridge, &link, err, errlen);

	if (r < 0)
		return r;
	if (!link)
		return errf(err, errlen, ENODEV,
			    "link add %s: gone before "
			    "it could be tagged",
			    bridge);
	return link_modify(nl, link, CNI_LINK_ALIAS, 0, 0, "link set alias",
			   bridge, err, errlen);
}

static int del_link(struct cni_nl *nl, struct rtnl_link *link,
		    const char *bridge, char *err, size_t errlen)
{
	int r = rtnl_link_delete(nl->sk, link);

	if (r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_NODEV)
		return nlutil_fail(err, errlen, r, "link del %s", bridge);
	return 0;
}

/* EEXIST: a link of that name appeared since the dump. Success only
 * when it is our bridge (a concurrent pass of ours made it). */
static int add_exists(struct cni_nl *nl, const char *bridge, char *err,
		      size_t errlen)
{
	struct rtnl_link *link;
	int r = owned_get(nl, bridge, "link add", &link, err, errlen);

	if (link)
		rtnl_link_put(link);
	return r;
}

/* A bridge without an address of its own takes the lowest of its ports'
 * and changes it when a pod's veth with a lower one joins: the pods'
 * gateway MAC changes under them, and IPv6 pods (which hear no
 * gratuitous ARP) lose the gateway until their neighbour entry expires.
 * A random locally administered unicast address given at creation is the
 * bridge's for good (the kernel never replaces an address that was set). */
static int set_own_mac(struct rtnl_link *link)
{
	uint8_t mac[6];
	struct nl_addr *a;

	if (getrandom(mac, sizeof(mac), 0) != (ssize_t)sizeof(mac))
		return -EIO;
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
	a = nl_addr_build(AF_LLC, mac, sizeof(mac));
	if (!a)
		return -ENOMEM;
	rtnl_link_set_addr(link, a);
	nl_addr_put(a);
	return 0;
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
	if ((r = set_own_mac(link)) < 0) {
		rtnl_link_put(link);
		return errf(err, errlen, -r, "link add %s: %s", bridge,
			    strerror(-r));
	}
	r = rtnl_link_add(nl->sk, link, NLM_F_CREATE | NLM_F_EXCL);
	if (r == -NLE_EXIST) {
		rtnl_link_put(link);
		return add_exists(nl, bridge, err, errlen);
	}
	if (r < 0) {
		rtnl_link_put(link);
		return nlutil_fail(err, errlen, r, "link add %s", bridge);
	}
	r = tag(nl, bridge, err, errlen);
	if (r < 0) /* never leave an untagged bridge of ours behind */
		del_link(nl, link, bridge, NULL, 0);
	rtnl_link_put(link);
	return r;
}

int cni_nl_link_up(struct cni_nl *nl, const char *bridge, char *err,
		   size_t errlen)
{
	struct rtnl_link *link;
	int r = owned_get(nl, bridge, "link set up", &link, err, errlen);

	if (r < 0)
		return r;
	return link_modify(nl, link, NULL, IFF_UP, 0, "link set up", bridge,
			   err, errlen);
}

int cni_nl_link_mtu(struct cni_nl *nl, const char *bridge, unsigned mtu,
		    char *err, size_t errlen)
{
	struct rtnl_link *link;
	int r = owned_get(nl, bridge, "link set mtu", &link, err, errlen);

	if (r < 0)
		return r;
	return link_modify(nl, link, NULL, 0, mtu, "link set mtu", bridge,
			   err, errlen);
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
	struct rtnl_link *link;
	struct rtnl_addr *ra;
	int r;

	prefix_format(a, s, sizeof(s));
	r = owned_get(nl, bridge, verb, &link, err, errlen);
	if (r == -ENODEV && !add)
		return 0; /* no bridge, no address: nothing to delete */
	if (r < 0)
		return r;
	ra = addr_build(rtnl_link_get_ifindex(link), a);
	rtnl_link_put(link);
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
		return nlutil_fail(err, errlen, r, "%s %s dev %s", verb, s,
				   bridge);
	return 0;
}

int cni_nl_link_del(struct cni_nl *nl, const char *bridge, char *err,
		    size_t errlen)
{
	struct rtnl_link *link;
	int r = owned_get(nl, bridge, "link del", &link, err, errlen);

	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return r;
	r = del_link(nl, link, bridge, err, errlen);
	rtnl_link_put(link);
	return r;
}
