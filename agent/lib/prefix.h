/*
 * prefix.h - an address and a prefix are the same struct: {family,
 * length, bytes}. A host address is a prefix of full length (32 or 128).
 * The family is a field of every object; there is no IPv4-only path that
 * IPv6 "also" takes. Per-family arrays are indexed by fam_index():
 * 0 = IPv4, 1 = IPv6.
 */
#ifndef SNAPNET_PREFIX_H
#define SNAPNET_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define FAM_COUNT 2
#define FAM_V4 (1u << 0) /* bit masks of families in use */
#define FAM_V6 (1u << 1)

struct prefix {
	uint8_t family; /* AF_INET, AF_INET6, or 0 when absent */
	uint8_t len;	/* prefix length; 32/128 for a host address */
	uint8_t addr[16];
};

static inline int fam_index(int family)
{
	return family == AF_INET6 ? 1 : 0;
}

static inline int fam_of_index(int i)
{
	return i == 1 ? AF_INET6 : AF_INET;
}

static inline unsigned fam_bit(int family)
{
	return family == AF_INET6 ? FAM_V6 : FAM_V4;
}

static inline const char *fam_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

static inline bool prefix_present(const struct prefix *p)
{
	return p->family != 0;
}

#endif
