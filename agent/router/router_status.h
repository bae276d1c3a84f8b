/*
 * router_status.h - what the router adds to its object in status.json:
 * BIRD (mode, pid, version, restarts), the router id and AS, the
 * prefixes wanted and held by BIRD per family, and each peer with its
 * session state and, per family, its channel state and the prefixes
 * announced (read from BIRD over the control socket during the pass).
 * Kept in this process's memory between the pass and the status write.
 */
#ifndef SNAPNET_ROUTER_STATUS_H
#define SNAPNET_ROUTER_STATUS_H

#include "router/router.h"

struct pass;
struct json_object;

/* The desire and what the dump saw (bird and protos may be NULL). */
void router_status_update(const struct router_config *c,
			  const struct router_desire *d,
			  const struct router_bird_state *bird,
			  const struct router_ctl_proto *protos, size_t n);
/* After apply: BIRD's view again (sessions, counts). */
void router_status_refresh(const struct router_config *c);
/* How long a step of the last pass took: render (the desire too),
 * dump (file, BIRD's state), check (bird -p), write, configure (ms). */
void router_status_timing(const char *what, double ms);
/* In the daemon: asks for another pass while a session is not up, so
 * status converges (1 s, doubling to 30 s; reset once all are up). */
void router_status_retry(struct pass *p);
/* The status hook. */
void router_status_json(const void *fcfg, struct json_object *obj);

#endif
