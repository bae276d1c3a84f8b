/*
 * route.h - the routes function: one route per other node and family to
 * its pod CIDR via its InternalIP, tagged with our rtnetlink protocol.
 */
#ifndef SNAPNET_ROUTE_H
#define SNAPNET_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "lib/prefix.h"
#include "snapshot/model.h"

/* [routes] */
struct routes_config {
	bool enabled;
	unsigned protocol; /* rtnetlink protocol number we own */
	unsigned table;	   /* routing table id */
	unsigned metric;
};

extern const struct config_section routes_section;

/* A route to another node's pod CIDR via its InternalIP, same family. */
struct route_want {
	struct prefix dst;
	struct prefix via; /* host prefix, same family as dst, always set */
	const char *node;  /* points into the snapshot */
};

/* Something the snapshot asks for that cannot be routed, with the reason
 * (e.g. a peer whose IPv6 pod CIDR has no IPv6 InternalIP). */
struct route_note {
	char text[256];
};

/* What the routes function wants: sorted by prefix_cmp(dst), dst unique,
 * each with a next hop of its own family. */
struct route_desire {
	struct route_want *routes;
	size_t n_routes;
	struct route_note *notes;
	size_t n_notes;
};

/* Pure (route_desire.c): the routes `self` wants to every other node of
 * the snapshot. 0 or -ENOMEM; the result points into the snapshot. */
int route_desire_build(const struct snapshot *s, const struct node *self,
		       struct route_desire **out);
void route_desire_free(struct route_desire *d);

struct route {
	struct prefix dst;
	struct prefix via;
	int ifindex; /* 0 = unknown (offline plan) */
	char ifname[IFNAME_LEN];
	uint32_t table;
	uint32_t metric;
	uint8_t protocol;
};

/* A directly connected subnet: an address on an up link. */
struct connected {
	struct prefix net; /* the address with its prefix length */
	int ifindex;
	char ifname[IFNAME_LEN];
};

/* No replace: a changed route is a delete of ours plus an add (see
 * route_plan.c for why NLM_F_REPLACE could hit a foreign route). */
enum route_op_kind { ROUTE_ADD, ROUTE_DEL, ROUTE_UNREACHABLE };

struct route_op {
	enum route_op_kind kind;
	struct route r;
	const char *node; /* the peer it leads to; NULL for deletes */
};

/* The kernel's metric for a route of this family when none is given:
 * IPv6 stores 0 as 1024 (IP6_RT_PRIO_USER), IPv4 keeps 0. Plans compare
 * and print effective metrics so a default metric never looks changed. */
uint32_t route_metric_eff(int family, uint32_t metric);

/* Pure. want[] sorted by dst; have[] is what the kernel holds with our
 * protocol in our table (any order). Next hops outside every connected
 * subnet become ROUTE_UNREACHABLE (reported, never guessed); with no
 * connected subnet at all (conn NULL or n_conn 0), every add is one. Only
 * `offline` (plan --offline: there is no kernel to ask) skips the check;
 * its routes carry no device and are printed, never sent. Output:
 * deletes first, then changes (the delete of our old route directly
 * followed by the add of the new one), adds and unreachables, each
 * sorted by dst. *ops is malloc'd. */
int route_plan(const struct routes_config *c, const struct route_want *want,
	       size_t n_want, const struct route *have, size_t n_have,
	       const struct connected *conn, size_t n_conn, bool offline,
	       struct route_op **ops, size_t *n_ops);

/* iproute2-like: "route add 10.244.2.0/24 via 10.0.0.2 dev eth0 proto 157" */
char *route_op_format(const struct route_op *op, char *buf, size_t len);

/* The function's entry in the registry (route.c). */
struct function;
extern const struct function routes_function;

#endif
