/*
 * route_nl.c - reads what the routes function needs from the kernel,
 * through libnl-route-3: the routes we own and the connected subnets.
 *
 * Ownership: a route is ours when its rtnetlink protocol is
 * routes.protocol and it lives in routes.table. The dump asks the kernel
 * to filter on both (NETLINK_GET_STRICT_CHK, kernels >= 4.20) and filters
 * again here, so on a kernel that ignores the filter we still never see,
 * let alone touch, another protocol's route.
 *
 * Connected subnets are the addresses on links that are up, except IPv6
 * link-local ones (a pod CIDR is never reached through fe80::/10), host
 * addresses (/32, /128: no subnet), addresses that failed DAD and those
 * with noprefixroute (the kernel has no on-link route for them, so a
 * gateway there would be refused).
 *
 * Dumps are multi-part; when a table changes in the middle of one the
 * kernel flags it NLM_F_DUMP_INTR, and what was read may miss or repeat
 * routes. Each dump (links, addresses, routes of one family) then starts
 * over, up to NLUTIL_DUMP_TRIES times, before the pass gives up.
 *
 * Fails with -errno (libnl errors folded into errno) and a message; holds
 * no state between calls.
 */
#include "routes/route_nl.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "lib/nlutil.h"
#include "lib/util.h"

#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif
#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif


static void link_name(struct nl_cache *links, int ifindex, char *buf)
{
	buf[0] = '\0';
	if (ifindex > 0 && links &&
	    !rtnl_link_i2name(links, ifindex, buf, IFNAME_LEN))
		buf[0] = '\0';
}

/* Our route -> struct route. A multipath route keeps via unset: the
 * planner then sees it differ from any wanted route and changes it. */
static void convert(struct route_collect *d, struct rtnl_route *rt, struct route *o)
{
	int family = rtnl_route_get_family(rt);

	memset(o, 0, sizeof(*o));
	nlutil_to_prefix(rtnl_route_get_dst(rt), family, &o->dst);
	o->table = rtnl_route_get_table(rt);
	o->metric = rtnl_route_get_priority(rt);
	o->protocol = rtnl_route_get_protocol(rt);
	if (rtnl_route_get_nnexthops(rt) == 1) {
		struct rtnl_nexthop *nh = rtnl_route_nexthop_n(rt, 0);
		struct nl_addr *gw = rtnl_route_nh_get_gateway(nh);

		if (gw && !nlutil_to_prefix(gw, family, &o->via))
			memset(&o->via, 0, sizeof(o->via));
		if (o->via.family)
			o->via = prefix_host(&o->via);
		o->ifindex = rtnl_route_nh_get_ifindex(nh);
		link_name(d->links, o->ifindex, o->ifname);
	}
}

/* The userspace half of the ownership filter: the kernel filters the
 * dump by protocol and table only with strict checking (>= 4.20), and a
 * kernel without it hands over every route, which snapnet must never
 * take for its own. */
static bool owned(const struct routes_config *c, struct rtnl_route *rt)
{
	int family = rtnl_route_get_family(rt);

	return (family == AF_INET || family == AF_INET6) &&
	       rtnl_route_get_protocol(rt) == c->protocol &&
	       rtnl_route_get_table(rt) == c->table;
}

int route_nl_collect(struct route_collect *d, struct nl_msg *msg)
{
	struct rtnl_route *rt = NULL;

	if (rtnl_route_parse(nlmsg_hdr(msg), &rt) < 0)
		return NL_SKIP;
	if (owned(d->c, rt)) {
		if (array_grow(&d->v, &d->cap, d->n + 1, sizeof(*d->v)))
			d->err = -ENOMEM;
		else
			convert(d, rt, &d->v[d->n++]);
	}
	rtnl_route_put(rt);
	return NL_OK;
}

static int on_route(struct nl_msg *msg, void *arg)
{
	return route_nl_collect(arg, msg);
}

/* One dump request for one family; -NLE_* as libnl answers. */
static int request(struct nl_sock *sk, struct route_collect *d, int family)
{
	unsigned table = d->c->table;
	struct rtmsg rtm = {
		.rtm_family = (unsigned char)family,
		.rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC,
		.rtm_protocol = (unsigned char)d->c->protocol,
	};
	struct nl_msg *m;
	int e;

	m = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_DUMP);
	if (!m)
		return -NLE_NOMEM;
	e = nlmsg_append(m, &rtm, sizeof(rtm), NLMSG_ALIGNTO);
	if (!e)
		e = nla_put_u32(m, RTA_TABLE, table);
	if (!e)
		e = nl_send_auto(sk, m);
	nlmsg_free(m);
	if (e < 0)
		return e;
	/* libnl reads on to NLMSG_DONE after an interrupted part, so the
	 * socket is clean for a retry when this returns -NLE_DUMP_INTR. */
	return nl_recvmsgs_default(sk);
}

static int dump_family(struct nl_sock *sk, struct route_collect *d, int family,
		       char *err, size_t errlen)
{
	size_t mark = d->n;
	int e = -NLE_DUMP_INTR;

	for (int i = 0; i < NLUTIL_DUMP_TRIES && e == -NLE_DUMP_INTR; i++) {
		d->n = mark; /* drop what an interrupted try collected */
		e = request(sk, d, family);
	}
	/* A table that does not exist yet holds none of our routes: with
	 * a table filter the kernel answers ENOENT instead of nothing. */
	if (e < 0 && e != -NLE_OBJ_NOTFOUND)
		return nlutil_fail(err, errlen, e, "%s route dump",
				   fam_name(family));
	if (d->err)
		return errf(err, errlen, -d->err, "route dump: out of memory");
	return 0;
}

static int dump_routes(struct nl_sock *sk, const struct routes_config *c,
		       struct nl_cache *links, struct route_kernel *k,
		       char *err, size_t errlen)
{
	struct route_collect d = { .c = c, .links = links };
	int one = 1, r;

	/* Best effort: without it the kernel sends every route and
	 * on_route() does the filtering alone. */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_GET_STRICT_CHK,
		   &one, sizeof(one));
	r = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_route, &d);
	if (r < 0)
		return nlutil_fail(err, errlen, r, "route dump");
	r = dump_family(sk, &d, AF_INET, err, errlen);
	if (!r)
		r = dump_family(sk, &d, AF_INET6, err, errlen);
	if (r) {
		free(d.v);
		return r;
	}
	k->have = d.v;
	k->n_have = d.n;
	return 0;
}

static bool usable_addr(struct rtnl_addr *a, const struct prefix *p)
{
	unsigned flags = rtnl_addr_get_flags(a);

	if (flags & (IFA_F_DADFAILED | IFA_F_NOPREFIXROUTE))
		return false;
	if (p->len == (p->family == AF_INET ? 32 : 128))
		return false;
	if (nlutil_is_link_local6(p))
		return false;
	return true;
}

/* One address -> a connected subnet, when its link is up. */
static bool addr_to_conn(struct nl_cache *links, struct rtnl_addr *a,
			 struct connected *o)
{
	struct nl_addr *local = rtnl_addr_get_local(a);
	struct nl_addr *peer = rtnl_addr_get_peer(a);
	int family = rtnl_addr_get_family(a);
	struct rtnl_link *l;
	bool up;

	memset(o, 0, sizeof(*o));
	/* point-to-point: the subnet is the peer's side */
	if (peer && (!local || nl_addr_cmp(peer, local)))
		local = peer;
	if (!local || !nlutil_to_prefix(local, family, &o->net) ||
	    !o->net.family)
		return false;
	o->net.len = (uint8_t)rtnl_addr_get_prefixlen(a);
	if (!usable_addr(a, &o->net))
		return false;
	o->ifindex = rtnl_addr_get_ifindex(a);
	l = rtnl_link_get(links, o->ifindex);
	if (!l)
		return false;
	up = rtnl_link_get_flags(l) & IFF_UP;
	str_copy(o->ifname, rtnl_link_get_name(l) ? rtnl_link_get_name(l) : "",
		 sizeof(o->ifname));
	rtnl_link_put(l);
	return up;
}

static int dump_conn(struct nl_sock *sk, struct nl_cache *links,
		     struct route_kernel *k, char *err, size_t errlen)
{
	struct nl_cache *addrs = NULL;
	struct nl_object *o;
	size_t cap = 0;
	int e;

	e = nlutil_addr_cache(sk, &addrs);
	if (e < 0)
		return nlutil_fail(err, errlen, e, "address dump");
	for (o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		struct connected c;

		if (!addr_to_conn(links, (struct rtnl_addr *)o, &c))
			continue;
		if (array_grow(&k->conn, &cap, k->n_conn + 1,
			       sizeof(*k->conn))) {
			nl_cache_free(addrs);
			return errf(err, errlen, ENOMEM,
				    "address dump: out of memory");
		}
		k->conn[k->n_conn++] = c;
	}
	nl_cache_free(addrs);
	return 0;
}

int route_nl_dump(const struct routes_config *c, bool with_conn,
		  struct route_kernel *k, char *err, size_t errlen)
{
	struct nl_cache *links = NULL;
	struct nl_sock *sk;
	int e, r;

	memset(k, 0, sizeof(*k));
	sk = nl_socket_alloc();
	if (!sk)
		return errf(err, errlen, ENOMEM, "netlink: out of memory");
	e = nl_connect(sk, NETLINK_ROUTE);
	if (e < 0) {
		r = nlutil_fail(err, errlen, e, "netlink connect");
		goto free_sock;
	}
	e = nlutil_link_cache(sk, &links);
	if (e < 0) {
		r = nlutil_fail(err, errlen, e, "link dump");
		goto free_sock;
	}
	/* addresses first: the route dump switches on strict checking */
	r = with_conn ? dump_conn(sk, links, k, err, errlen) : 0;
	if (!r)
		r = dump_routes(sk, c, links, k, err, errlen);
	nl_cache_free(links);
	if (r)
		route_nl_free(k);
free_sock:
	nl_socket_free(sk);
	return r;
}

void route_nl_free(struct route_kernel *k)
{
	if (!k)
		return;
	free(k->have);
	free(k->conn);
	memset(k, 0, sizeof(*k));
}
