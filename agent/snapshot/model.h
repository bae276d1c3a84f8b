/*
 * model.h - the snapshot's records, shared read-only by every function.
 */
#ifndef SNAPNET_MODEL_H
#define SNAPNET_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/prefix.h"

/* A Kubernetes Node, reduced to what the functions read. */
struct node {
	char *name;
	struct prefix pod_cidr[FAM_COUNT];    /* spec.podCIDRs, by family */
	struct prefix internal_ip[FAM_COUNT]; /* first InternalIP per family */
};

/* Counts of the kinds the loader saw but does not (yet) keep. */
struct snapshot_counts {
	size_t items, namespaces, nodes, pods, services, endpointslices,
	    policies, other;
};

struct snapshot {
	char *path;	    /* file it was loaded from */
	uint64_t hash;	    /* hash of the whole file's bytes */
	size_t size;	    /* bytes */
	struct node *nodes; /* sorted by name, names unique */
	size_t n_nodes;
	struct snapshot_counts counts;
};

#endif
