/*
 * desired.h - pure: snapshot + config + node name -> what each function
 * wants in the kernel. No syscalls, no globals.
 */
#ifndef SNAPNET_DESIRED_H
#define SNAPNET_DESIRED_H

#include <stddef.h>

#include "core/config.h"
#include "snapshot/model.h"

/* A route to another node's pod CIDR via its InternalIP, same family. */
struct route_want {
	struct prefix dst;
	struct prefix via; /* host prefix, same family as dst, always set */
	const char *node;  /* points into the snapshot */
};

/* Something the snapshot asks for that cannot be built, with the reason
 * (e.g. a peer whose IPv6 pod CIDR has no IPv6 InternalIP). */
struct desired_note {
	char text[256];
};

struct desired {
	const char *node_name;
	unsigned families;		   /* FAM_V4|FAM_V6: pod CIDRs here */
	struct prefix pod_cidr[FAM_COUNT]; /* this node, by fam_index */
	struct prefix internal_ip[FAM_COUNT];
	struct route_want *routes; /* sorted by prefix_cmp(dst) */
	size_t n_routes;
	struct desired_note *notes;
	size_t n_notes;
};

/* Builds the desired state for node `node_name`. Fails (-ENOENT) with a
 * message naming the file when that node is not in the snapshot. The
 * result points into `s`, which must outlive it. */
int desired_build(const struct snapshot *s, const struct config *c,
		  const char *node_name, struct desired **out, char *err,
		  size_t errlen);
void desired_free(struct desired *d);

#endif
