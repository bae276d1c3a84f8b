/*
 * desired.c - pure: snapshot + node name -> struct desired, what every
 * function needs to know about this node. Fails only with -ENOENT (this
 * node is absent) or -ENOMEM; no syscalls, no globals; the result points
 * into the snapshot.
 */
#include "core/desired.h"

#include <errno.h>
#include <stdlib.h>

#include "lib/util.h"
#include "snapshot/snapshot.h"

/* True when the node's per-family slot really holds that family: the
 * loader guarantees it, but a wrong-family address is the one bug every
 * function must never act on, so it is not trusted blindly. */
static bool has(const struct prefix *slot, int f)
{
	return slot->family == fam_of_index(f);
}

int desired_build(const struct snapshot *s, const char *node_name,
		  struct desired **out, char *err, size_t errlen)
{
	const struct node *self;
	struct desired *d;

	*out = NULL;
	self = snapshot_find_node(s, node_name);
	if (!self)
		return errf(err, errlen, ENOENT,
			    "%s: node \"%s\" (this node) is not in the "
			    "snapshot",
			    s->path ? s->path : "snapshot", node_name);
	d = calloc(1, sizeof(*d));
	if (!d)
		return errf(err, errlen, ENOMEM, "out of memory");
	d->node_name = self->name;
	d->self = self;
	for (int f = 0; f < FAM_COUNT; f++) {
		if (has(&self->pod_cidr[f], f)) {
			d->pod_cidr[f] = self->pod_cidr[f];
			d->families |= fam_bit(fam_of_index(f));
		}
		if (has(&self->internal_ip[f], f))
			d->internal_ip[f] = self->internal_ip[f];
	}
	*out = d;
	return 0;
}

void desired_free(struct desired *d)
{
	free(d);
}
