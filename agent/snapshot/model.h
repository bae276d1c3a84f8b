/*
 * model.h - the snapshot's records, shared read-only by every function.
 *
 * docs/model.md lists every field and rule. Strings are interned (two
 * equal strings are one pointer; see lib/strpool.h), so a label key of a
 * selector and of a pod compare with ==. Per-family data is indexed by
 * fam_index(). Every record starts with struct rec: records are
 * reference-counted and shared between a snapshot and the next when their
 * item's bytes did not change.
 */
#ifndef SNAPNET_MODEL_H
#define SNAPNET_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/prefix.h"

enum kind {
	KIND_NAMESPACE,
	KIND_NODE,
	KIND_POD,
	KIND_SERVICE,
	KIND_SLICE,
	KIND_POLICY,
	KIND_COUNT,
};

struct rec {
	uint32_t refs;
	uint8_t kind;	   /* enum kind */
	uint8_t hash[16];  /* XXH3-128 of the item's bytes */
	const char **strs; /* interned strings it holds */
	uint32_t n_strs, cap_strs;
	uint32_t len;	   /* of the item's bytes */
	/* the loader's scratch, valid during the load that set them */
	uint32_t mark;	/* the load that last took it */
	uint32_t item;	/* its index in that load's items */
	uint32_t ord;	/* its index in that snapshot's file order */
	bool fresh;	/* walked by that load (not reused) */
};

/* A label or an annotation. Sorted by key (strcmp), keys unique. */
struct label {
	const char *key, *value;
};

struct labels {
	struct label *v;
	uint32_t n;
};

/* The value of key in l (interned pointers compare by address), or NULL. */
const char *labels_get(const struct labels *l, const char *key);

enum proto { PROTO_NONE, PROTO_TCP, PROTO_UDP, PROTO_SCTP };
const char *proto_name(int proto); /* "TCP", ... */

struct namespace {
	struct rec r;
	const char *name;
	struct labels labels;
};

enum addr_type {
	ADDR_INTERNAL_IP,
	ADDR_EXTERNAL_IP,
	ADDR_HOSTNAME,
	ADDR_INTERNAL_DNS,
	ADDR_EXTERNAL_DNS,
};
const char *addr_type_name(int type);

struct node_addr {
	uint8_t type;	   /* enum addr_type */
	struct prefix ip;  /* IP types */
	const char *name;  /* DNS and Hostname types */
};

/* A Kubernetes Node. */
struct node {
	struct rec r;
	const char *name;
	struct prefix pod_cidr[FAM_COUNT];    /* spec.podCIDRs, by family */
	struct prefix internal_ip[FAM_COUNT]; /* first InternalIP per family */
	struct prefix external_ip[FAM_COUNT]; /* first ExternalIP per family */
	bool cidr_fallback;		      /* from spec.podCIDR */
	bool unschedulable;
	struct labels labels;
	struct labels annotations;
	struct node_addr *addrs; /* status.addresses, in order */
	uint32_t n_addrs;
};

enum pod_phase {
	PHASE_UNKNOWN,
	PHASE_PENDING,
	PHASE_RUNNING,
	PHASE_SUCCEEDED,
	PHASE_FAILED,
};
const char *pod_phase_name(int phase);

struct pod_port {
	const char *name; /* NULL when unnamed */
	uint16_t port;
	uint8_t proto;
};

struct pod {
	struct rec r;
	const char *ns, *name, *uid; /* uid NULL when absent */
	const char *node;	     /* spec.nodeName, NULL when unscheduled */
	struct labels labels;
	bool host_network;
	uint8_t phase;		     /* enum pod_phase */
	struct prefix ip[FAM_COUNT]; /* status.podIPs by family */
	struct pod_port *ports;	     /* every container's */
	uint32_t n_ports;
};

enum svc_type { SVC_CLUSTER_IP, SVC_NODE_PORT, SVC_LOAD_BALANCER, SVC_EXTERNAL };
enum traffic_policy { TRAFFIC_CLUSTER, TRAFFIC_LOCAL };
const char *svc_type_name(int type);

struct svc_port {
	const char *name; /* NULL when unnamed */
	uint8_t proto;
	uint16_t port;
	uint16_t target_port;	  /* 0 when target_name is set */
	const char *target_name;  /* a named targetPort */
	uint16_t node_port;	  /* 0: none */
};

struct service {
	struct rec r;
	const char *ns, *name;
	uint8_t type; /* enum svc_type */
	bool headless;
	struct prefix cluster_ip[FAM_COUNT];
	uint8_t families[FAM_COUNT]; /* spec.ipFamilies: AF_*, 0 = none */
	uint8_t n_families;
	struct prefix *external_ips;
	uint32_t n_external_ips;
	struct prefix *lb_ips; /* status.loadBalancer.ingress[].ip */
	uint32_t n_lb_ips;
	struct prefix *source_ranges; /* spec.loadBalancerSourceRanges */
	uint32_t n_source_ranges;
	struct svc_port *ports;
	uint32_t n_ports;
	bool affinity_client_ip;
	uint32_t affinity_timeout; /* seconds, 10800 by default */
	uint8_t external_policy, internal_policy; /* enum traffic_policy */
	struct labels labels, annotations;
};

struct slice_port {
	const char *name; /* "" allowed, NULL when absent */
	uint16_t port;	  /* 0: absent (every port) */
	uint8_t proto;
};

struct endpoint {
	struct prefix *addrs; /* IP slices */
	const char **names;   /* FQDN slices */
	uint32_t n_addrs;
	const char *node; /* NULL when absent */
	bool ready, serving, terminating; /* API meaning of absent applied */
};

struct endpointslice {
	struct rec r;
	const char *ns, *name;
	const char *service; /* label kubernetes.io/service-name, or NULL */
	struct labels labels;
	uint8_t family;	     /* AF_INET, AF_INET6, or 0 for FQDN */
	struct slice_port *ports;
	uint32_t n_ports;
	struct endpoint *eps;
	uint32_t n_eps;
};

/* A compiled label selector. */
enum sel_op { SEL_IN, SEL_NOT_IN, SEL_EXISTS, SEL_NOT_EXISTS };

struct sel_req {
	const char *key;
	uint8_t op;	     /* enum sel_op */
	const char **values; /* sorted by address */
	uint32_t n_values;
};

struct selector {
	bool set;	/* false: absent (matches nothing) */
	struct sel_req *reqs; /* all must hold; none: everything */
	uint32_t n_reqs;
};

/* True when the labels satisfy sel (absent: never). Pure. */
bool selector_match(const struct selector *sel, const struct labels *l);

struct np_port {
	uint8_t proto;
	uint16_t port, end_port; /* 0: every port (when name is NULL) */
	const char *name;	 /* a named port */
};

struct np_peer {
	bool ipblock;
	struct selector pods, namespaces; /* .set tells which are given */
	struct prefix cidr;		  /* host bits masked */
	struct prefix *except;
	uint32_t n_except;
};

struct np_rule {
	struct np_peer *peers; /* none: every peer */
	uint32_t n_peers;
	struct np_port *ports; /* none: every port */
	uint32_t n_ports;
};

struct netpol {
	struct rec r;
	const char *ns, *name;
	struct labels labels;
	struct selector pods;
	bool ingress, egress; /* policyTypes, defaulted as the API does */
	struct np_rule *in, *out;
	uint32_t n_in, n_out;
};

/* Counts of what the loader saw, by kind (other: kinds it ignores). */
struct snapshot_counts {
	size_t items, namespaces, nodes, pods, services, endpointslices,
	    policies, other;
};

/* A range [first, first + n) of a sorted record array. */
struct span {
	uint32_t first, n;
};

struct snapshot {
	char *path;	    /* file it was loaded from */
	uint64_t hash;	    /* hash of the whole file's bytes */
	size_t size;	    /* bytes */
	struct snapshot_counts counts;
	/* sorted by (namespace,) name; unique */
	struct namespace **namespaces;
	size_t n_namespaces;
	struct node **nodes;
	size_t n_nodes;
	struct pod **pods;
	size_t n_pods;
	struct service **services;
	size_t n_services;
	struct endpointslice **slices;
	size_t n_slices;
	struct netpol **policies;
	size_t n_policies;
	/* lookups */
	struct pod **pods_by_node; /* sorted by (node, namespace, name) */
	struct endpointslice **slices_by_svc; /* by (ns, service, name) */
	struct rec **order; /* every record in the file's order (borrowed) */
	size_t n_order;
	struct snap_store *store; /* the records' pool; shared */
};

#endif
