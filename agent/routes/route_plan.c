/*
 * route_plan.c - pure part of the routes function: the diff between the
 * routes we want and the routes of our protocol the kernel holds, and the
 * one to-string function used for plan lines and log lines.
 *
 * Invariants of a plan:
 *   - only routes in `have` (our protocol, our table) are ever deleted; a
 *     destination held by another protocol is not our concern here (the
 *     add then fails with EEXIST in apply, see route.c);
 *   - a wanted route whose next hop is on no connected subnet is never
 *     added: it becomes ROUTE_UNREACHABLE, and an owned route for that
 *     destination is deleted (the kernel would have flushed it with the
 *     link's address anyway; a route we cannot stand behind must go);
 *   - the output is deletes, changes, adds, unreachables, each sorted by
 *     destination. A change is a pair, the delete of our old route
 *     directly followed by the add of the new one, so the destination is
 *     without a route only between two requests of the same batch.
 *
 * Why a changed route is delete + add and never NLM_F_REPLACE: the kernel
 * replaces the first route with the same key (IPv4: destination, tos,
 * priority; IPv6: destination, metric) whatever its protocol. The dump
 * shows only our routes, so it cannot prove that no foreign route shares
 * the key (one added with `ip route prepend` or `append` after ours), and
 * a replace could overwrite that route. A delete carries our protocol,
 * which the kernel matches, and the add carries NLM_F_EXCL, which never
 * overwrites: between them, no request of ours can touch a foreign route.
 * The cost is the short gap above, and that a failed add leaves no route
 * where a failed replace would have kept the old one; an add fails only
 * when the key is taken by a foreign route (then not overwriting it is
 * the point) or the kernel refuses the next hop (then the old route was
 * wrong anyway). The next pass repairs either.
 *
 * A change of metric is a delete plus an add for the same reason: the
 * metric is part of the kernel's route key.
 *
 * Fails only with -ENOMEM. No syscalls.
 */
#include "routes/route.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define IP6_METRIC_DEFAULT 1024 /* IP6_RT_PRIO_USER */

uint32_t route_metric_eff(int family, uint32_t metric)
{
	if (family == AF_INET6 && metric == 0)
		return IP6_METRIC_DEFAULT;
	return metric;
}

/* One growable list per op kind, concatenated at the end. */
struct oplist {
	struct route_op *v;
	size_t n, cap;
};

enum { L_DEL, L_CHANGE, L_ADD, L_UNREACH, L_COUNT };

static int push(struct oplist *l, enum route_op_kind kind,
		const struct route *r, const char *node)
{
	if (array_grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v)))
		return -ENOMEM;
	l->v[l->n].kind = kind;
	l->v[l->n].r = *r;
	l->v[l->n].node = node;
	l->n++;
	return 0;
}

static int cmp_have(const void *a, const void *b)
{
	const struct route *x = a, *y = b;
	int r = prefix_cmp(&x->dst, &y->dst);

	if (r)
		return r;
	if (x->metric != y->metric)
		return x->metric < y->metric ? -1 : 1;
	return prefix_cmp(&x->via, &y->via);
}

/* Longest prefix match of the next hop over the connected subnets. */
static const struct connected *lookup_conn(const struct connected *conn,
					   size_t n_conn,
					   const struct prefix *via)
{
	const struct connected *best = NULL;

	for (size_t i = 0; i < n_conn; i++) {
		const struct connected *c = &conn[i];

		if (!prefix_contains(&c->net, via))
			continue;
		if (!best || c->net.len > best->net.len)
			best = c;
	}
	return best;
}

/* What the planner knows about the links: the connected subnets, or
 * nothing at all when offline. */
struct links {
	const struct connected *conn;
	size_t n_conn;
	bool offline;
};

/* The route we would install for w, with its dev; false when its next
 * hop is not on a connected subnet (or, defensively, of another family). */
static bool realize(const struct routes_config *c, const struct route_want *w,
		    const struct links *lk, struct route *out)
{
	const struct connected *hit = NULL;

	memset(out, 0, sizeof(*out));
	out->dst = w->dst;
	out->via = w->via;
	out->table = c->table;
	out->metric = route_metric_eff(w->dst.family, c->metric);
	out->protocol = (uint8_t)c->protocol;
	if (w->via.family != w->dst.family)
		return false;
	/* Offline is said explicitly, never inferred from an empty list:
	 * a namespace with no address must not look like "no kernel" and
	 * get routes sent without a device. */
	if (lk->offline)
		return true;
	hit = lookup_conn(lk->conn, lk->n_conn, &w->via);
	if (!hit)
		return false;
	out->ifindex = hit->ifindex;
	memcpy(out->ifname, hit->ifname, sizeof(out->ifname));
	return true;
}

static bool same_path(const struct route *want, const struct route *have)
{
	if (!prefix_equal(&want->via, &have->via))
		return false;
	/* ifindex 0 is "unknown" (offline plan), not a difference */
	return !want->ifindex || !have->ifindex ||
	       want->ifindex == have->ifindex;
}

/* One destination: the wanted route (or NULL) against the owned routes
 * h[0..nh) with that destination (possibly none). */
static int plan_dst(struct oplist *l, const struct route_want *w,
		    const struct route *want, bool reachable,
		    const struct route *h, size_t nh)
{
	const struct route *keep = NULL;
	int r = 0;

	if (w && reachable)
		for (size_t i = 0; i < nh && !keep; i++)
			if (h[i].metric == want->metric)
				keep = &h[i];
	for (size_t i = 0; i < nh && !r; i++)
		if (&h[i] != keep)
			r = push(&l[L_DEL], ROUTE_DEL, &h[i], NULL);
	if (r || !w)
		return r;
	if (!reachable)
		return push(&l[L_UNREACH], ROUTE_UNREACHABLE, want, w->node);
	if (!keep)
		return push(&l[L_ADD], ROUTE_ADD, want, w->node);
	if (same_path(want, keep))
		return 0;
	/* never NLM_F_REPLACE: see the top of the file */
	r = push(&l[L_CHANGE], ROUTE_DEL, keep, NULL);
	return r ? r : push(&l[L_CHANGE], ROUTE_ADD, want, w->node);
}

static int cmp_want(const void *a, const void *b)
{
	return prefix_cmp(&((const struct route_want *)a)->dst,
			  &((const struct route_want *)b)->dst);
}

static int walk(const struct routes_config *c, const struct route_want *want,
		size_t n_want, const struct route *have, size_t n_have,
		const struct links *lk, struct oplist *l)
{
	size_t i = 0, j = 0;
	int r = 0;

	while (!r && (i < n_want || j < n_have)) {
		const struct route_want *w = NULL;
		const struct prefix *dst;
		struct route rt;
		bool reachable = false;
		size_t k = j;
		int d;

		if (i && i < n_want &&
		    prefix_equal(&want[i - 1].dst, &want[i].dst)) {
			i++; /* a duplicate: desired_build never makes one */
			continue;
		}
		if (i < n_want && j < n_have)
			d = prefix_cmp(&want[i].dst, &have[j].dst);
		else
			d = i < n_want ? -1 : 1;
		if (d <= 0) {
			w = &want[i++];
			reachable = realize(c, w, lk, &rt);
		}
		dst = w ? &w->dst : &have[j].dst;
		while (k < n_have && d >= 0 && prefix_equal(&have[k].dst, dst))
			k++;
		r = plan_dst(l, w, &rt, reachable, have + j, k - j);
		j = k;
	}
	return r;
}

static bool want_sorted(const struct route_want *want, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (prefix_cmp(&want[i - 1].dst, &want[i].dst) > 0)
			return false;
	return true;
}

static int concat(struct oplist *l, struct route_op **ops, size_t *n_ops)
{
	size_t n = 0, at = 0;

	for (int k = 0; k < L_COUNT; k++)
		n += l[k].n;
	*ops = malloc((n ? n : 1) * sizeof(**ops));
	if (!*ops)
		return -ENOMEM;
	for (int k = 0; k < L_COUNT; k++) {
		if (l[k].n)
			memcpy(*ops + at, l[k].v, l[k].n * sizeof(**ops));
		at += l[k].n;
	}
	*n_ops = n;
	return 0;
}

int route_plan(const struct routes_config *c, const struct route_want *want,
	       size_t n_want, const struct route *have, size_t n_have,
	       const struct connected *conn, size_t n_conn, bool offline,
	       struct route_op **ops, size_t *n_ops)
{
	struct links lk = { conn, conn ? n_conn : 0, offline };
	struct oplist l[L_COUNT] = { { 0 } };
	struct route_want *wsort = NULL;
	struct route *hsort = NULL;
	int r = -ENOMEM;

	*ops = NULL;
	*n_ops = 0;
	hsort = malloc((n_have ? n_have : 1) * sizeof(*hsort));
	if (!hsort)
		goto out;
	if (n_have)
		memcpy(hsort, have, n_have * sizeof(*hsort));
	qsort(hsort, n_have, sizeof(*hsort), cmp_have);
	if (!want_sorted(want, n_want)) { /* the contract, but cheap to keep */
		wsort = malloc(n_want * sizeof(*wsort));
		if (!wsort)
			goto out;
		memcpy(wsort, want, n_want * sizeof(*wsort));
		qsort(wsort, n_want, sizeof(*wsort), cmp_want);
		want = wsort;
	}
	r = walk(c, want, n_want, hsort, n_have, &lk, l);
	if (!r)
		r = concat(l, ops, n_ops);
out:
	for (int k = 0; k < L_COUNT; k++)
		free(l[k].v);
	free(wsort);
	free(hsort);
	return r;
}

static const char *verb(enum route_op_kind k)
{
	switch (k) {
	case ROUTE_DEL:
		return "del";
	case ROUTE_ADD:
	case ROUTE_UNREACHABLE:
		break;
	}
	return "add";
}

char *route_op_format(const struct route_op *op, char *buf, size_t len)
{
	const struct route *r = &op->r;
	char dst[PREFIX_STRLEN], via[PREFIX_STRLEN];
	size_t at = 0;

#define OUT(...)                                                               \
	do {                                                                   \
		int w_ = snprintf(buf + at, len - at, __VA_ARGS__);            \
		if (w_ < 0 || (size_t)w_ >= len - at)                          \
			return buf;                                            \
		at += (size_t)w_;                                              \
	} while (0)

	if (!len)
		return buf;
	buf[0] = '\0';
	OUT("route %s %s", verb(op->kind),
	    prefix_format(&r->dst, dst, sizeof(dst)));
	if (r->via.family)
		OUT(" via %s", addr_format(&r->via, via, sizeof(via)));
	if (op->kind != ROUTE_UNREACHABLE && r->ifname[0])
		OUT(" dev %s", r->ifname);
	else if (op->kind != ROUTE_UNREACHABLE && r->ifindex)
		OUT(" dev if%d", r->ifindex);
	if (r->table != RT_TABLE_MAIN)
		OUT(" table %u", r->table);
	OUT(" proto %u", r->protocol);
	if (r->metric != route_metric_eff(r->dst.family, 0))
		OUT(" metric %u", r->metric);
	if (op->kind == ROUTE_UNREACHABLE)
		OUT(" (next hop not on a connected subnet)");
#undef OUT
	return buf;
}
