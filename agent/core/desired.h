/*
 * desired.h - pure: what every function needs to know about this node:
 * its name, its families and pod CIDRs, its InternalIPs. Each function
 * derives what it wants from this and the snapshot in its own desire
 * hook (function.h). No syscalls, no globals.
 */
#ifndef SNAPNET_DESIRED_H
#define SNAPNET_DESIRED_H

#include <stddef.h>

#include "core/config.h"
#include "snapshot/model.h"

struct desired {
	const char *node_name;
	const struct node *self;	   /* points into the snapshot */
	unsigned families;		   /* FAM_V4|FAM_V6: pod CIDRs here */
	struct prefix pod_cidr[FAM_COUNT]; /* this node, by fam_index */
	struct prefix internal_ip[FAM_COUNT];
};

/* Builds the core desire for node `node_name`. Fails (-ENOENT) with a
 * message naming the file when that node is not in the snapshot. The
 * result points into `s`, which must outlive it. */
int desired_build(const struct snapshot *s, const char *node_name,
		  struct desired **out, char *err, size_t errlen);
void desired_free(struct desired *d);

#endif
