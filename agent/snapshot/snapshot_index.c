/*
 * snapshot_index.c - the snapshot's sorted arrays and the lookups the
 * functions use: every kind by (namespace, name) with duplicates refused,
 * pods by node, slices by service, and spans of one namespace.
 *
 * Sorting 150,000 pods by their names costs tens of milliseconds; a
 * reload where one item changed should not. So when most records came
 * from the previous snapshot, its arrays are walked in their order,
 * keeping the records this load took again (rec->mark), and merged with
 * the few fresh records, sorted on their own: O(n + k log k).
 */
#include "snapshot/snapshot_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "snapshot/snapshot_kinds.h"

/* The (namespace, name) of a record; namespace "" for cluster kinds. */
static void key_of(const struct rec *r, const char **ns, const char **name)
{
	switch (r->kind) {
	case KIND_NAMESPACE:
		*ns = "";
		*name = ((const struct namespace *)r)->name;
		return;
	case KIND_NODE:
		*ns = "";
		*name = ((const struct node *)r)->name;
		return;
	case KIND_POD:
		*ns = ((const struct pod *)r)->ns;
		*name = ((const struct pod *)r)->name;
		return;
	case KIND_SERVICE:
		*ns = ((const struct service *)r)->ns;
		*name = ((const struct service *)r)->name;
		return;
	case KIND_SLICE:
		*ns = ((const struct endpointslice *)r)->ns;
		*name = ((const struct endpointslice *)r)->name;
		return;
	default:
		*ns = ((const struct netpol *)r)->ns;
		*name = ((const struct netpol *)r)->name;
	}
}

static int cmp_strs(const char *a, const char *b)
{
	if (a == b)
		return 0;
	if (!a || !b)
		return a ? 1 : -1;
	return strcmp(a, b);
}

static int rec_cmp(const struct rec *x, const struct rec *y)
{
	const char *xn, *xs, *yn, *ys;
	int r;

	key_of(x, &xs, &xn);
	key_of(y, &ys, &yn);
	r = cmp_strs(xs, ys);
	return r ? r : cmp_strs(xn, yn);
}

static int rec_qcmp(const void *a, const void *b)
{
	return rec_cmp(*(struct rec *const *)a, *(struct rec *const *)b);
}

/* Pods by (node, namespace, name): unscheduled pods first. */
static int pod_node_cmp(const struct rec *x, const struct rec *y)
{
	int r = cmp_strs(((const struct pod *)x)->node,
			 ((const struct pod *)y)->node);

	return r ? r : rec_cmp(x, y);
}

static int pod_node_qcmp(const void *a, const void *b)
{
	return pod_node_cmp(*(struct rec *const *)a, *(struct rec *const *)b);
}

/* Slices by (namespace, service, name). */
static int slice_svc_cmp(const struct rec *x, const struct rec *y)
{
	const struct endpointslice *a = (const void *)x, *b = (const void *)y;
	int r = cmp_strs(a->ns, b->ns);

	if (!r)
		r = cmp_strs(a->service, b->service);
	return r ? r : cmp_strs(a->name, b->name);
}

static int slice_svc_qcmp(const void *a, const void *b)
{
	return slice_svc_cmp(*(struct rec *const *)a, *(struct rec *const *)b);
}

typedef int (*rec_cmp_fn)(const struct rec *, const struct rec *);

/* A record with its key beside it: a sort of 150,000 pods compares 2.5
 * million times, and fetching keys through the record each time is
 * what it would spend its time on. Namespaces are interned: the same
 * pointer is the same namespace. */
struct skey {
	const char *ns, *name;
	struct rec *r;
};

static int skey_cmp(const void *a, const void *b)
{
	const struct skey *x = a, *y = b;
	int r = x->ns == y->ns ? 0 : strcmp(x->ns, y->ns);

	return r ? r : strcmp(x->name, y->name);
}

/* out[0..n) sorted by (namespace, name). */
static int sort_by_key(struct rec **out, size_t n)
{
	struct skey *k = malloc((n ? n : 1) * sizeof(*k));

	if (!k)
		return -ENOMEM;
	bool sorted = true;

	for (size_t i = 0; i < n; i++) {
		key_of(out[i], &k[i].ns, &k[i].name);
		k[i].r = out[i];
		sorted = sorted && (!i || skey_cmp(&k[i - 1], &k[i]) <= 0);
	}
	/* a list from the API server comes sorted by namespace and name
	 * (etcd's key order): n - 1 comparisons instead of n log n */
	if (!sorted)
		qsort(k, n, sizeof(*k), skey_cmp);
	for (size_t i = 0; i < n; i++)
		out[i] = k[i].r;
	free(k);
	return 0;
}

/*
 * out[] = the records of entries in `cmp` order. With a previous sorted
 * array `prev` (in the same order), its records this load took are kept
 * in place and the fresh ones merged in.
 */
static int order(const struct snap_entry *e, size_t n, struct rec *const *prev,
		 size_t n_prev, uint32_t gen, rec_cmp_fn cmp,
		 int (*qcmp)(const void *, const void *), struct rec **out)
{
	size_t n_fresh = 0, o = 0, i = 0, j = 0;
	struct rec **fresh;

	for (size_t k = 0; k < n; k++)
		n_fresh += e[k].fresh;
	if (!prev || n_fresh * 4 > n) {
		for (size_t k = 0; k < n; k++)
			out[k] = e[k].rec;
		if (cmp == rec_cmp)
			return sort_by_key(out, n);
		qsort(out, n, sizeof(*out), qcmp);
		return 0;
	}
	fresh = malloc((n_fresh ? n_fresh : 1) * sizeof(*fresh));
	if (!fresh)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++)
		if (e[k].fresh)
			fresh[o++] = e[k].rec;
	qsort(fresh, n_fresh, sizeof(*fresh), qcmp);
	o = 0;
	while (i < n_prev || j < n_fresh) {
		while (i < n_prev && prev[i]->mark != gen)
			i++; /* gone from this snapshot */
		if (i < n_prev && (j == n_fresh || cmp(prev[i], fresh[j]) <= 0))
			out[o++] = prev[i++];
		else if (j < n_fresh)
			out[o++] = fresh[j++];
	}
	free(fresh);
	return o == n ? 0 : -EPROTO; /* a reused record not marked: a bug */
}

/* "duplicate pod name (also items[3])" against the later item. */
static int dup_err(struct snap_build *b, const struct rec *x,
		   const struct rec *y)
{
	const struct rec *late = x->item > y->item ? x : y;
	const struct rec *early = late == x ? y : x;
	const char *ns, *name, *kind = kind_of(late->kind)->name;
	char low[32];
	size_t i;

	key_of(late, &ns, &name);
	for (i = 0; kind[i] && i + 1 < sizeof(low); i++)
		low[i] = (char)(kind[i] >= 'A' && kind[i] <= 'Z'
				    ? kind[i] - 'A' + 'a'
				    : kind[i]);
	low[i] = '\0';
	return errf(b->err, b->errlen, EINVAL,
		    "%s: items[%u] %s/%s%s%s: metadata.name: duplicate %s "
		    "name (also items[%u])",
		    b->name, late->item, kind, ns, *ns ? "/" : "", name, low,
		    early->item);
}

/* Two records the previous snapshot held were distinct there: only a
 * pair with a fresh record needs comparing. */
static int unique(struct snap_build *b, struct rec *const *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if ((v[i - 1]->fresh || v[i]->fresh) &&
		    rec_cmp(v[i - 1], v[i]) == 0)
			return dup_err(b, v[i - 1], v[i]);
	return 0;
}

/* The sorted array of kind k, in s's field for it. */
static struct rec ***field_of(struct snapshot *s, int k, size_t **n)
{
	switch (k) {
	case KIND_NAMESPACE:
		*n = &s->n_namespaces;
		return (struct rec ***)&s->namespaces;
	case KIND_NODE:
		*n = &s->n_nodes;
		return (struct rec ***)&s->nodes;
	case KIND_POD:
		*n = &s->n_pods;
		return (struct rec ***)&s->pods;
	case KIND_SERVICE:
		*n = &s->n_services;
		return (struct rec ***)&s->services;
	case KIND_SLICE:
		*n = &s->n_slices;
		return (struct rec ***)&s->slices;
	default:
		*n = &s->n_policies;
		return (struct rec ***)&s->policies;
	}
}

static int sorted_kind(struct snap_build *b, struct snapshot *s, int k)
{
	struct snapshot *prev = (struct snapshot *)b->prev;
	struct rec ***dst, ***pv = NULL;
	size_t *n, *pn = NULL, cnt = b->n[k];
	int r;

	dst = field_of(s, k, &n);
	if (prev)
		pv = field_of(prev, k, &pn);
	*dst = malloc((cnt ? cnt : 1) * sizeof(**dst));
	if (!*dst)
		return errf(b->err, b->errlen, ENOMEM, "%s: out of memory",
			    b->name);
	r = order(b->ent[k], cnt, pv ? *pv : NULL, pn ? *pn : 0, b->gen,
		  rec_cmp, rec_qcmp, *dst);
	if (r < 0)
		return errf(b->err, b->errlen, -r, "%s: %s", b->name,
			    strerror(-r));
	/* the references move to the snapshot */
	*n = cnt;
	free(b->ent[k]);
	b->ent[k] = NULL;
	b->n[k] = b->cap[k] = 0;
	return unique(b, *dst, cnt);
}

/* A second sorted view of kind k's records (pods by node, slices by
 * service), merged from prev's view the same way. */
static int view(struct snap_build *b, struct rec *const *all, size_t n,
		struct rec *const *prev_view, size_t n_prev, rec_cmp_fn cmp,
		int (*qcmp)(const void *, const void *), struct rec ***out)
{
	struct snap_entry *e = malloc((n ? n : 1) * sizeof(*e));
	int r;

	*out = malloc((n ? n : 1) * sizeof(**out));
	if (!e || !*out) {
		free(e);
		return errf(b->err, b->errlen, ENOMEM, "%s: out of memory",
			    b->name);
	}
	/* fresh: not in prev; prev's view has exactly prev's records */
	for (size_t i = 0; i < n; i++)
		e[i] = (struct snap_entry){ all[i], all[i]->refs == 1 };
	r = order(e, n, prev_view, n_prev, b->gen, cmp, qcmp, *out);
	free(e);
	return r < 0 ? errf(b->err, b->errlen, -r, "%s: %s", b->name,
			    strerror(-r))
		     : 0;
}

/* Pods by node without a sort: the pods are sorted by (namespace,
 * name) already, and a stable scatter by node keeps that order inside
 * each node. Node names are interned, so a pod's node is found by
 * pointer in a small table of the distinct ones. */
struct node_slot {
	const char *node;
	size_t count, at;
};

static size_t slot_of(struct node_slot *t, size_t cap, const char *node)
{
	size_t i = ((uintptr_t)node >> 4) * 0x9e3779b97f4a7c15ULL & (cap - 1);

	while (t[i].count && t[i].node != node)
		i = (i + 1) & (cap - 1);
	t[i].node = node;
	return i;
}

static int slot_cmp(const void *a, const void *b)
{
	return cmp_strs((*(struct node_slot *const *)a)->node,
			(*(struct node_slot *const *)b)->node);
}

static int pods_by_node(struct snap_build *b, struct snapshot *s)
{
	size_t cap = 64, n = 0, at = 0;
	struct node_slot *t, **by;

	while (cap < s->n_pods * 2 && cap < 2 * 65536)
		cap *= 2;
	t = calloc(cap, sizeof(*t));
	by = calloc(cap, sizeof(*by));
	s->pods_by_node = malloc((s->n_pods ? s->n_pods : 1) * sizeof(*s->pods));
	if (!t || !by || !s->pods_by_node) {
		free(t);
		free(by);
		return errf(b->err, b->errlen, ENOMEM, "%s: out of memory",
			    b->name);
	}
	for (size_t i = 0; i < s->n_pods; i++) {
		struct node_slot *sl = &t[slot_of(t, cap, s->pods[i]->node)];

		if (!sl->count++)
			by[n++] = sl;
		if (n * 2 > cap) { /* more nodes than the table holds: sort */
			free(t);
			free(by);
			free(s->pods_by_node);
			s->pods_by_node = NULL;
			return 1;
		}
	}
	qsort(by, n, sizeof(*by), slot_cmp);
	for (size_t i = 0; i < n; i++) {
		by[i]->at = at;
		at += by[i]->count;
	}
	for (size_t i = 0; i < s->n_pods; i++)
		s->pods_by_node[t[slot_of(t, cap, s->pods[i]->node)].at++] =
		    s->pods[i];
	free(t);
	free(by);
	return 0;
}

int snapshot_index_build(struct snap_build *b, struct snapshot *s)
{
	const struct snapshot *p = b->prev;
	int r = 0;

	/* the file's order, for the next load's cursor (snapshot_item.c) */
	s->order = b->order;
	s->n_order = b->n_order;
	b->order = NULL;
	b->n_order = b->cap_order = 0;
	for (size_t i = 0; i < s->n_order; i++)
		s->order[i]->ord = (uint32_t)i;
	for (int k = 0; r == 0 && k < KIND_COUNT; k++)
		r = sorted_kind(b, s, k);
	if (r == 0)
		r = snapshot_nodes_check(b, s->nodes, s->n_nodes);
	if (r == 0)
		r = pods_by_node(b, s);
	if (r == 1)
		r = view(b, (struct rec *const *)s->pods, s->n_pods,
			 p ? (struct rec *const *)p->pods_by_node : NULL,
			 p ? p->n_pods : 0, pod_node_cmp, pod_node_qcmp,
			 (struct rec ***)&s->pods_by_node);
	if (r == 0)
		r = view(b, (struct rec *const *)s->slices, s->n_slices,
			 p ? (struct rec *const *)p->slices_by_svc : NULL,
			 p ? p->n_slices : 0, slice_svc_cmp, slice_svc_qcmp,
			 (struct rec ***)&s->slices_by_svc);
	return r;
}

void snapshot_index_free(struct snapshot *s)
{
	struct rec **all[] = {
		(struct rec **)s->namespaces, (struct rec **)s->nodes,
		(struct rec **)s->pods,	      (struct rec **)s->services,
		(struct rec **)s->slices,     (struct rec **)s->policies,
	};
	size_t n[] = { s->n_namespaces, s->n_nodes,  s->n_pods,
		       s->n_services,	s->n_slices, s->n_policies };

	for (size_t k = 0; k < ARRAY_SIZE(all); k++) {
		for (size_t i = 0; all[k] && i < n[k]; i++)
			rec_unref(s->store, all[k][i]);
		free(all[k]);
	}
	free(s->pods_by_node);
	free(s->slices_by_svc);
	free(s->order);
}

/* ---- lookups ---------------------------------------------------- */

/* First index in v[0..n) whose key is not below (ns, name); name NULL:
 * the first of namespace ns. */
static size_t lower(struct rec *const *v, size_t n, const char *ns,
		    const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *ms, *mn;
		int r;

		key_of(v[mid], &ms, &mn);
		r = strcmp(ms, ns);
		if (!r && name)
			r = strcmp(mn, name);
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct rec *find(struct rec *const *v, size_t n, const char *ns,
			      const char *name)
{
	size_t i = lower(v, n, ns, name);
	const char *ms, *mn;

	if (i == n)
		return NULL;
	key_of(v[i], &ms, &mn);
	return !strcmp(ms, ns) && !strcmp(mn, name) ? v[i] : NULL;
}

static struct span ns_span(struct rec *const *v, size_t n, const char *ns)
{
	size_t a = lower(v, n, ns, NULL), e = a;
	const char *ms, *mn;

	while (e < n && (key_of(v[e], &ms, &mn), !strcmp(ms, ns)))
		e++;
	return (struct span){ (uint32_t)a, (uint32_t)(e - a) };
}

const struct node *snapshot_find_node(const struct snapshot *s,
				      const char *name)
{
	if (!s)
		return NULL;
	return (const struct node *)find((struct rec *const *)s->nodes,
					 s->n_nodes, "", name);
}

const struct namespace *snapshot_find_namespace(const struct snapshot *s,
						const char *name)
{
	return (const struct namespace *)find(
	    (struct rec *const *)s->namespaces, s->n_namespaces, "", name);
}

const struct service *snapshot_find_service(const struct snapshot *s,
					    const char *ns, const char *name)
{
	return (const struct service *)find((struct rec *const *)s->services,
					    s->n_services, ns, name);
}

struct span snapshot_pods_in(const struct snapshot *s, const char *ns)
{
	return ns_span((struct rec *const *)s->pods, s->n_pods, ns);
}

struct span snapshot_policies_in(const struct snapshot *s, const char *ns)
{
	return ns_span((struct rec *const *)s->policies, s->n_policies, ns);
}

struct span snapshot_pods_on(const struct snapshot *s, const char *node)
{
	size_t lo = 0, hi = s->n_pods, e;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_strs(s->pods_by_node[mid]->node, node) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (e = lo; e < s->n_pods && !cmp_strs(s->pods_by_node[e]->node, node);
	     e++)
		;
	return (struct span){ (uint32_t)lo, (uint32_t)(e - lo) };
}

struct span snapshot_slices_of(const struct snapshot *s, const char *ns,
			       const char *svc)
{
	size_t lo = 0, hi = s->n_slices, e;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct endpointslice *x = s->slices_by_svc[mid];
		int r = strcmp(x->ns, ns);

		if (!r)
			r = cmp_strs(x->service, svc);
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (e = lo; e < s->n_slices && !strcmp(s->slices_by_svc[e]->ns, ns) &&
		     !cmp_strs(s->slices_by_svc[e]->service, svc);
	     e++)
		;
	return (struct span){ (uint32_t)lo, (uint32_t)(e - lo) };
}
