/*
 * route_nl.h - the kernel side of the routes function, private to
 * route.c, route_nl.c (libnl-route-3 dumps) and route_batch.c (libmnl
 * pipelined apply).
 */
#ifndef SNAPNET_ROUTE_NL_H
#define SNAPNET_ROUTE_NL_H

#include <stdbool.h>
#include <stddef.h>

#include "routes/route.h"

/* What the kernel holds that the planner needs. */
struct route_kernel {
	struct route *have; /* our protocol, our table, both families */
	size_t n_have;
	struct connected *conn; /* addresses on up links (with_conn) */
	size_t n_conn;
};

/* A route dump in progress: the routes collected so far. */
struct nl_msg;
struct nl_cache;
struct route_collect {
	const struct routes_config *c;
	struct nl_cache *links; /* for device names; may be NULL */
	struct route *v;
	size_t n, cap;
	int err; /* -ENOMEM once an append failed */
};

/* One message of a route dump: appended to d->v when the route is ours
 * (IPv4 or IPv6, routes.protocol, routes.table), dropped otherwise.
 * Returns a libnl callback verdict (NL_OK, NL_SKIP). */
int route_nl_collect(struct route_collect *d, struct nl_msg *msg);

/* Dumps our routes (filtered by protocol and table in the kernel, and
 * again here) and, when with_conn, the connected subnets. 0 or -errno
 * with a message in err. */
int route_nl_dump(const struct routes_config *c, bool with_conn,
		  struct route_kernel *k, char *err, size_t errlen);
void route_nl_free(struct route_kernel *k);

/* Called once per applied op, in op order: err is 0 or -errno as the
 * kernel answered, msg the kernel's extended ack text or "". */
typedef void (*route_done_fn)(void *arg, size_t i, int err, const char *msg);

/* Sends every op but ROUTE_UNREACHABLE to the kernel, pipelined: a
 * window of messages per sendmsg, the kernel acks only errors and the
 * last message of each window. Returns 0 when every op got an answer
 * (each success or failure went to done()), -errno when the socket
 * itself failed (err says why; ops without an answer are reported to
 * done() with that error). */
int route_batch_apply(const struct route_op *ops, size_t n, route_done_fn done,
		      void *arg, char *err, size_t errlen);

#endif
