/*
 * snapshot_check.c - the rules that span all Node items of a snapshot.
 *
 * Run once every Node item has been converted (snapshot_node.c) and the
 * nodes sorted by name (snapshot_index.c, which refuses duplicate names),
 * before the snapshot is handed out:
 *   - at least one node;
 *   - no two nodes share or overlap a pod CIDR (each becomes a route);
 *   - no pod CIDR contains a node's InternalIP, its own or a peer's: the
 *     route to that pod CIDR would capture the underlay address the
 *     routes themselves go through;
 *   - no two nodes share an InternalIP: the routes to one node's pods
 *     would go to the other node.
 * Each check is a sort plus a linear or logarithmic walk, so 50,000 nodes
 * cost milliseconds. The first violation found is reported against the
 * later item (or, for an InternalIP, against the pod CIDR's item) and
 * names the other node with its item index.
 */
#include "snapshot/snapshot_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

struct cidr_ref {
	struct prefix p;
	const struct node *e;
};

static int cidr_ref_cmp(const void *a, const void *b)
{
	const struct cidr_ref *x = a, *y = b;
	int r = prefix_cmp(&x->p, &y->p);

	if (r)
		return r;
	return x->e->r.item < y->e->r.item ? -1 : x->e->r.item > y->e->r.item;
}

static const char *cidr_field(const struct node *e)
{
	return e->cidr_fallback ? "spec.podCIDR" : "spec.podCIDRs";
}

static int overlap_err(struct snap_build *b, const struct cidr_ref *x,
		       const struct cidr_ref *y)
{
	const struct cidr_ref *late = x->e->r.item > y->e->r.item ? x : y;
	const struct cidr_ref *early = late == x ? y : x;
	char pl[PREFIX_STRLEN], pe[PREFIX_STRLEN];

	prefix_format(&late->p, pl, sizeof(pl));
	prefix_format(&early->p, pe, sizeof(pe));
	if (prefix_equal(&late->p, &early->p))
		return snapshot_node_err(
		    b, late->e->r.item, late->e->name, cidr_field(late->e),
		    "pod CIDR %s is also used by Node/%s (items[%zu])", pl,
		    early->e->name, (size_t)early->e->r.item);
	return snapshot_node_err(
	    b, late->e->r.item, late->e->name, cidr_field(late->e),
	    "pod CIDR %s overlaps %s of Node/%s (items[%zu])", pl, pe,
	    early->e->name, (size_t)early->e->r.item);
}

/*
 * Sorted by address, pairwise disjoint prefixes are intervals in order, so
 * a prefix that overlaps any earlier one overlaps its direct predecessor
 * (the earlier one would contain everything in between).
 */
static int check_overlaps(struct snap_build *b, const struct cidr_ref *refs,
			  size_t m)
{
	for (size_t i = 1; i < m; i++)
		if (prefix_overlaps(&refs[i - 1].p, &refs[i].p))
			return overlap_err(b, &refs[i - 1], &refs[i]);
	return 0;
}

/* The pod CIDR among the sorted, disjoint refs that contains ip, or NULL:
 * the last one that sorts at or before ip is the only candidate. */
static const struct cidr_ref *cidr_of(const struct cidr_ref *refs, size_t m,
				      const struct prefix *ip)
{
	size_t lo = 0, hi = m;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (prefix_cmp(&refs[mid].p, ip) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || !prefix_contains(&refs[lo - 1].p, ip))
		return NULL;
	return &refs[lo - 1];
}

static int check_internal_ips(struct snap_build *b, struct node *const *v,
			      size_t n, const struct cidr_ref *refs, size_t m)
{
	char pc[PREFIX_STRLEN], ia[PREFIX_STRLEN];

	for (size_t i = 0; i < n; i++) {
		const struct node *e = v[i];

		for (int f = 0; f < FAM_COUNT; f++) {
			const struct prefix *ip = &e->internal_ip[f];
			const struct cidr_ref *c;

			if (!prefix_present(ip))
				continue;
			c = cidr_of(refs, m, ip);
			if (!c)
				continue;
			prefix_format(&c->p, pc, sizeof(pc));
			addr_format(ip, ia, sizeof(ia));
			if (c->e == e)
				return snapshot_node_err(
				    b, e->r.item, e->name, cidr_field(e),
				    "pod CIDR %s contains the node's own "
				    "InternalIP %s",
				    pc, ia);
			return snapshot_node_err(
			    b, c->e->r.item, c->e->name, cidr_field(c->e),
			    "pod CIDR %s contains InternalIP %s of Node/%s "
			    "(items[%zu])",
			    pc, ia, e->name, (size_t)e->r.item);
		}
	}
	return 0;
}

/* Every present prefix of one per-family field of struct node (pod_cidr
 * or internal_ip, by offset), each with its entry, sorted by prefix and
 * then item. NULL (error set) when out of memory. */
/* Every present prefix of one per-family field of struct node (pod_cidr
 * or internal_ip, by offset), each with its node, sorted by prefix and
 * then item. NULL (error set) when out of memory. */
static struct cidr_ref *sorted_refs(struct snap_build *b, struct node *const *v,
				    size_t n, size_t field, size_t *m)
{
	struct cidr_ref *refs = calloc(n * FAM_COUNT + 1, sizeof(*refs));

	*m = 0;
	if (!refs) {
		errf(b->err, b->errlen, ENOMEM, "%s: %s", b->name,
		     strerror(ENOMEM));
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct prefix *p =
		    (const void *)((const char *)v[i] + field);

		for (int f = 0; f < FAM_COUNT; f++)
			if (prefix_present(&p[f]))
				refs[(*m)++] = (struct cidr_ref){ p[f], v[i] };
	}
	qsort(refs, *m, sizeof(*refs), cidr_ref_cmp);
	return refs;
}

static int check_cidrs(struct snap_build *b, struct node *const *v, size_t n)
{
	size_t m;
	struct cidr_ref *refs =
	    sorted_refs(b, v, n, offsetof(struct node, pod_cidr), &m);
	int r;

	if (!refs)
		return -ENOMEM;
	r = check_overlaps(b, refs, m);
	if (r == 0)
		r = check_internal_ips(b, v, n, refs, m);
	free(refs);
	return r;
}

/* Equal addresses sort next to each other; the later item is blamed. */
static int check_unique_ips(struct snap_build *b, struct node *const *v,
			    size_t n)
{
	char ia[PREFIX_STRLEN];
	size_t m;
	struct cidr_ref *refs =
	    sorted_refs(b, v, n, offsetof(struct node, internal_ip), &m);
	int r = 0;

	if (!refs)
		return -ENOMEM;
	for (size_t i = 1; i < m && !r; i++) {
		if (!prefix_equal(&refs[i - 1].p, &refs[i].p))
			continue;
		r = snapshot_node_err(b, refs[i].e->r.item, refs[i].e->name,
				      "status.addresses",
				      "InternalIP %s is also the InternalIP "
				      "of Node/%s (items[%u])",
				      addr_format(&refs[i].p, ia, sizeof(ia)),
				      refs[i - 1].e->name,
				      refs[i - 1].e->r.item);
	}
	free(refs);
	return r;
}

int snapshot_nodes_check(struct snap_build *b, struct node *const *v,
			 size_t n)
{
	if (n == 0)
		return errf(b->err, b->errlen, EINVAL,
			    "%s: items: no Node item (a snapshot must list "
			    "the cluster's nodes)",
			    b->name);
	return check_cidrs(b, v, n) ?: check_unique_ips(b, v, n);
}

int snapshot_node_err(struct snap_build *b, size_t item, const char *name,
		      const char *field, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return errf(b->err, b->errlen, EINVAL,
		    "%s: items[%zu] Node%s%s: %s: %s", b->name, item,
		    name ? "/" : "", name ? name : "", field, what);
}
