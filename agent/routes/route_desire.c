/*
 * route_desire.c - pure: snapshot + this node -> the routes it wants.
 *
 * Owns nothing in the kernel. It decides which routes this node wants:
 * for every other node N and every family f, a route to N's pod CIDR of
 * family f via N's InternalIP of family f, and only when this node also
 * has an InternalIP of f (otherwise it has no way to reach that next hop).
 *
 * Invariants of the result:
 *   - every route has a next hop of its own family (kube-router once
 *     announced IPv4 pod CIDRs of IPv6-only nodes with a nil next hop;
 *     here such a CIDR becomes a note, never a route);
 *   - routes are sorted by prefix_cmp(dst) and their dst are unique;
 *   - no route covers or lies inside this node's own pod CIDR of its
 *     family (it would steal the local pods' traffic).
 * Whatever the snapshot asks for and cannot be built is a route_note
 * with the reason, which the routes function reports.
 *
 * Fails only with -ENOMEM. No syscalls, no globals; the result points
 * into the snapshot.
 */
#include "routes/route.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/snapshot.h"
#include "lib/util.h"

/* Growable arrays for the two outputs. */
struct builder {
	struct route_desire *d;
	size_t cap_routes;
	size_t cap_notes;
};

static int note(struct builder *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int note(struct builder *b, const char *fmt, ...)
{
	struct route_desire *d = b->d;
	va_list ap;

	if (array_grow(&d->notes, &b->cap_notes, d->n_notes + 1,
		       sizeof(*d->notes)))
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(d->notes[d->n_notes].text, sizeof(d->notes->text), fmt, ap);
	va_end(ap);
	d->n_notes++;
	return 0;
}

static int add_route(struct builder *b, const struct node *n, int f)
{
	struct route_desire *d = b->d;
	struct route_want *w;

	if (array_grow(&d->routes, &b->cap_routes, d->n_routes + 1,
		       sizeof(*d->routes)))
		return -ENOMEM;
	w = &d->routes[d->n_routes++];
	w->dst = n->pod_cidr[f];
	w->via = prefix_host(&n->internal_ip[f]);
	w->node = n->name;
	return 0;
}

/* True when the node's per-family slot really holds that family: the
 * loader guarantees it, but a wrong-family next hop is the one bug this
 * module exists to prevent, so it does not trust that blindly. */
static bool has(const struct prefix *slot, int f)
{
	return slot->family == fam_of_index(f);
}

/* The routes (or notes) for one peer and one family. */
static int peer_family(struct builder *b, const struct node *self,
		       const struct node *n, int f)
{
	const struct prefix *cidr = &n->pod_cidr[f];
	const char *fam = fam_name(fam_of_index(f));
	char c[PREFIX_STRLEN], a[PREFIX_STRLEN];

	if (!has(cidr, f))
		return 0;
	prefix_format(cidr, c, sizeof(c));
	if (!has(&self->internal_ip[f], f))
		return 0; /* one note per family, see self_family_notes() */
	if (!has(&n->internal_ip[f], f))
		return note(b,
			    "node \"%s\" %s pod CIDR %s: the node has no "
			    "%s InternalIP, so no %s next hop",
			    n->name, fam, c, fam, fam);
	if (prefix_equal(&n->internal_ip[f], &self->internal_ip[f]))
		return note(b,
			    "node \"%s\" %s pod CIDR %s: its InternalIP "
			    "%s is this node's own",
			    n->name, fam, c,
			    addr_format(&n->internal_ip[f], a, sizeof(a)));
	if (has(&self->pod_cidr[f], f) &&
	    prefix_overlaps(cidr, &self->pod_cidr[f]))
		return note(b,
			    "node \"%s\" %s pod CIDR %s overlaps this "
			    "node's pod CIDR %s",
			    n->name, fam, c,
			    prefix_format(&self->pod_cidr[f], a, sizeof(a)));
	return add_route(b, n, f);
}

/* This node lacks an InternalIP of a family its peers route pods in:
 * one note for the family rather than one per peer. */
static int self_family_notes(struct builder *b, const struct snapshot *s,
			     const struct node *self)
{
	for (int f = 0; f < FAM_COUNT; f++) {
		const char *fam = fam_name(fam_of_index(f));
		size_t peers = 0;

		if (has(&self->internal_ip[f], f))
			continue;
		for (size_t i = 0; i < s->n_nodes; i++)
			if (s->nodes[i] != self &&
			    has(&s->nodes[i]->pod_cidr[f], f))
				peers++;
		if (peers && note(b,
				  "no %s routes to the pod CIDRs of %zu "
				  "other node(s): this node \"%s\" has no %s "
				  "InternalIP",
				  fam, peers, self->name, fam))
			return -ENOMEM;
	}
	return 0;
}

static int cmp_route(const void *a, const void *b)
{
	const struct route_want *x = a, *y = b;
	int r = prefix_cmp(&x->dst, &y->dst);

	return r ? r : strcmp(x->node, y->node);
}

/* Two nodes with the same pod CIDR: the loader rejects that, but a
 * duplicate dst would break the planner's merge-walk, so keep the one
 * of the first node by name (cmp_route breaks ties by name) and note
 * the rest. */
static int dedup_routes(struct builder *b)
{
	struct route_desire *d = b->d;
	char c[PREFIX_STRLEN];
	size_t out = 0;

	for (size_t i = 0; i < d->n_routes; i++) {
		struct route_want *w = &d->routes[i];

		if (out && prefix_equal(&d->routes[out - 1].dst, &w->dst)) {
			if (note(b,
				 "node \"%s\" pod CIDR %s is also node "
				 "\"%s\"'s: not routed",
				 w->node, prefix_format(&w->dst, c, sizeof(c)),
				 d->routes[out - 1].node))
				return -ENOMEM;
			continue;
		}
		d->routes[out++] = *w;
	}
	d->n_routes = out;
	return 0;
}

static int build_routes(struct builder *b, const struct snapshot *s,
			const struct node *self)
{
	int r;

	r = self_family_notes(b, s, self);
	for (size_t i = 0; !r && i < s->n_nodes; i++) {
		const struct node *n = s->nodes[i];
		bool any = false;

		if (n == self)
			continue;
		for (int f = 0; !r && f < FAM_COUNT; f++) {
			any |= has(&n->pod_cidr[f], f);
			r = peer_family(b, self, n, f);
		}
		if (!r && !any)
			r = note(b,
				 "node \"%s\" has no pod CIDR: no route "
				 "to it",
				 n->name);
	}
	if (r)
		return r;
	if (b->d->n_routes > 1)
		qsort(b->d->routes, b->d->n_routes, sizeof(*b->d->routes),
		      cmp_route);
	return dedup_routes(b);
}

int route_desire_build(const struct snapshot *s, const struct node *self,
		       struct route_desire **out)
{
	struct builder b = { 0 };

	*out = NULL;
	b.d = calloc(1, sizeof(*b.d));
	if (!b.d)
		return -ENOMEM;
	if (build_routes(&b, s, self)) {
		route_desire_free(b.d);
		return -ENOMEM;
	}
	*out = b.d;
	return 0;
}

void route_desire_free(struct route_desire *d)
{
	if (!d)
		return;
	free(d->routes);
	free(d->notes);
	free(d);
}
