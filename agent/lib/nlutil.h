/*
 * nlutil.h - the little that every libnl user in snapnet shares: libnl's
 * error space folded into errno, nl_addr <-> struct prefix, the IPv6
 * link-local test, and dumps retried when the kernel says they were
 * interrupted.
 */
#ifndef SNAPNET_NLUTIL_H
#define SNAPNET_NLUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/prefix.h"

struct nl_addr;
struct nl_cache;
struct nl_sock;

/* How many times a dump is attempted when the kernel flags it
 * NLM_F_DUMP_INTR (the table changed between two parts of it). */
#define NLUTIL_DUMP_TRIES 3

/* NLE_* (either sign) -> positive errno; unknown codes become EIO. */
int nlutil_errno(int nle);

/* errf() for a libnl error: "PREFIX: libnl's text", errno folded from
 * nle. Returns the negative errno. */
int nlutil_fail(char *err, size_t errlen, int nle, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* nl_addr -> struct prefix of `family` (0: the address's own family).
 * The length is the nl_addr's prefix length; callers that know better
 * (an address object's ifa_prefixlen) set it after. A NULL or empty
 * address is 0/0 of `family` (a default route's destination). False
 * when it is not an IPv4/IPv6 address of that family. */
bool nlutil_to_prefix(struct nl_addr *a, int family, struct prefix *p);

/* fe80::/10: the kernel's own per-link addresses; never a subnet we
 * route to, never ours to add or remove. */
bool nlutil_is_link_local6(const struct prefix *p);

/* rtnl_addr_alloc_cache / rtnl_link_alloc_cache (AF_UNSPEC), retried
 * up to NLUTIL_DUMP_TRIES times on -NLE_DUMP_INTR. Return 0 or a
 * negative NLE_* code, like the libnl calls they wrap. */
int nlutil_addr_cache(struct nl_sock *sk, struct nl_cache **out);
int nlutil_link_cache(struct nl_sock *sk, struct nl_cache **out);

#endif
