/*
 * router_plan.c - pure: the file on disk and what BIRD is doing, against
 * the desire -> the ordered operations of one pass, and their text.
 *
 * The "kernel state" of the router is BIRD's: snapnet's own file (which
 * says what it announces, router_file_parse()) and whether a BIRD runs.
 * When the rendered text is byte-identical to the file and BIRD runs,
 * there is nothing to do: no write and no `configure`. Otherwise the
 * announcements and peers that change are listed one per line (they all
 * happen through the one write + check + configure that follows), so a
 * plan shows exactly what the peers will see change.
 *
 * Order: a stale BIRD is stopped first (the daemon adopts nothing),
 * then withdrawals and removed peers, announcements and added or
 * changed peers, each sorted; then the write (and configure when BIRD
 * runs), then the start of a managed BIRD. No syscalls, no globals.
 */
#include "router/router.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

struct ops {
	struct router_op *v;
	size_t n, cap;
	int err;
};

static struct router_op *op_new(struct ops *o, enum router_op_kind kind)
{
	struct router_op *op;

	if (o->err)
		return NULL;
	if (array_grow(&o->v, &o->cap, o->n + 1, sizeof(*o->v))) {
		o->err = -ENOMEM;
		return NULL;
	}
	op = &o->v[o->n++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	return op;
}

static void op_pfx(struct ops *o, enum router_op_kind kind,
		   const struct prefix *p, const struct prefix *via,
		   const struct prefix *old_via)
{
	struct router_op *op = op_new(o, kind);

	if (!op)
		return;
	op->pfx = *p;
	if (via)
		op->via = *via;
	if (old_via)
		op->old_via = *old_via;
}

static void op_peer(struct ops *o, enum router_op_kind kind,
		    const char *summary)
{
	struct router_op *op = op_new(o, kind);

	if (op)
		op->summary = summary;
}

/* Merge of two sorted prefix lists: dels (have only) when `dels`, else
 * adds (want only) and next hop changes. */
static void ann_diff(struct ops *o, const struct router_desire *w,
		     const struct router_file *h, bool dels)
{
	size_t i = 0, k = 0, nh = h ? h->n_ann : 0;

	while (i < w->n_ann || k < nh) {
		int c = i == w->n_ann ? 1
			: k == nh     ? -1
				      : prefix_cmp(&w->ann[i].pfx, &h->ann[k]);
		const struct prefix *p = c <= 0 ? &w->ann[i].pfx : &h->ann[k];
		int f = fam_index(p->family);

		if (c > 0 && dels)
			op_pfx(o, ROP_WITHDRAW, p, &h->nexthop[f], NULL);
		else if (c < 0 && !dels)
			op_pfx(o, ROP_ANNOUNCE, p, &w->nexthop[f], NULL);
		else if (c == 0 && !dels &&
			 !prefix_equal(&w->nexthop[f], &h->nexthop[f]))
			op_pfx(o, ROP_REANNOUNCE, p, &w->nexthop[f],
			       &h->nexthop[f]);
		i += c <= 0;
		k += c >= 0;
	}
}

static void peer_diff(struct ops *o, const struct router_desire *w,
		      const struct router_file *h, bool dels)
{
	size_t i = 0, k = 0, nh = h ? h->n_peers : 0;

	while (i < w->n_peers || k < nh) {
		int c = i == w->n_peers ? 1
			: k == nh	? -1
				  : strcmp(w->peers[i].name, h->peers[k].name);

		if (c > 0 && dels)
			op_peer(o, ROP_PEER_DEL, h->peers[k].summary);
		else if (c < 0 && !dels)
			op_peer(o, ROP_PEER_ADD, w->peers[i].summary);
		else if (c == 0 && !dels &&
			 strcmp(w->peers[i].summary, h->peers[k].summary))
			op_peer(o, ROP_PEER_CHANGE, w->peers[i].summary);
		i += c <= 0;
		k += c >= 0;
	}
}

int router_plan(const struct router_desire *want, const char *have_text,
		size_t have_len, const struct router_file *have,
		const struct router_bird_view *bird, struct router_op **ops,
		size_t *n_ops)
{
	struct ops o = { 0 };
	bool same = have_text && have_len == want->len &&
		    !memcmp(have_text, want->text, want->len);
	/* a stale BIRD is stopped before anything is configured */
	bool running = bird->running && !bird->stale;
	struct router_op *op;

	*ops = NULL;
	*n_ops = 0;
	if (bird->stale && (op = op_new(&o, ROP_BIRD_STOP)))
		op->pid = bird->stale;
	if (!same) {
		ann_diff(&o, want, have_text ? have : NULL, true);
		peer_diff(&o, want, have_text ? have : NULL, true);
		ann_diff(&o, want, have_text ? have : NULL, false);
		peer_diff(&o, want, have_text ? have : NULL, false);
		op_new(&o, running ? ROP_BIRD_CONFIGURE : ROP_BIRD_WRITE);
	}
	if (bird->managed && !running && bird->start_now)
		op_new(&o, ROP_BIRD_START);
	if (o.err) {
		free(o.v);
		return o.err;
	}
	*ops = o.v;
	*n_ops = o.n;
	return 0;
}

char *router_op_format(const struct router_op *op, const char *conf_path,
		       char *buf, size_t len)
{
	char p[PREFIX_STRLEN], v[PREFIX_STRLEN], ov[PREFIX_STRLEN];

	prefix_format(&op->pfx, p, sizeof(p));
	addr_format(&op->via, v, sizeof(v));
	addr_format(&op->old_via, ov, sizeof(ov));
	switch (op->kind) {
	case ROP_BIRD_STOP:
		snprintf(buf, len,
			 "bird stop %ld (pid file of our paths; not started "
			 "by this daemon)",
			 (long)op->pid);
		break;
	case ROP_WITHDRAW:
		snprintf(buf, len, "bgp withdraw %s via %s", p, v);
		break;
	case ROP_ANNOUNCE:
		snprintf(buf, len, "bgp announce %s via %s", p, v);
		break;
	case ROP_REANNOUNCE:
		snprintf(buf, len, "bgp announce %s via %s (was via %s)", p, v,
			 ov);
		break;
	case ROP_PEER_ADD:
		snprintf(buf, len, "bgp peer add %s", op->summary);
		break;
	case ROP_PEER_DEL:
		snprintf(buf, len, "bgp peer del %s", op->summary);
		break;
	case ROP_PEER_CHANGE:
		snprintf(buf, len, "bgp peer change %s", op->summary);
		break;
	case ROP_BIRD_WRITE:
		snprintf(buf, len, "bird write %s", conf_path);
		break;
	case ROP_BIRD_CONFIGURE:
		snprintf(buf, len, "bird configure %s", conf_path);
		break;
	case ROP_BIRD_START:
		snprintf(buf, len, "bird start");
		break;
	}
	return buf;
}
