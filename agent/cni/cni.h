/*
 * cni.h - the CNI function: a conflist for the reference bridge and
 * host-local plugins listing exactly this node's pod CIDRs, plus the
 * bridge with one gateway address per family, plus forwarding.
 *
 * Split: cni_render.c (pure: conflist JSON), cni_plan.c (pure: state ->
 * ops, op printer), cni_link.c (libnl: bridge and its addresses),
 * cni.c (dump/apply of file and sysctls, reconcile, cleanup).
 */
#ifndef SNAPNET_CNI_H
#define SNAPNET_CNI_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "core/desired.h"
#include "lib/prefix.h"

/* [cni] */
struct cni_config {
	bool enabled;
	char conf_dir[PATH_MAX];
	char conf_file[NAME_MAX + 1];
	char network_name[64];
	char bridge[IFNAME_LEN];
	unsigned mtu; /* 0 = leave to the kernel and the plugin */
	bool hairpin;
	bool ip_forward; /* set forwarding sysctls per family */
};

extern const struct config_section cni_section;

/* The CNI spec version written into the conflist (see docs/cni.md). */
#define CNI_VERSION "1.0.0"
/* Largest conflist we read back when comparing bytes. */
#define CNI_CONF_MAX (1u << 20)
/* The IFLA_IFALIAS snapnet writes on the bridge it creates: its proof of
 * ownership. A link of the configured name without it (or with another
 * alias) is not snapnet's and is never changed or deleted. Fixed, not per
 * network name, so renaming [cni] network_name does not orphan the bridge
 * (see docs/cni.md). */
#define CNI_LINK_ALIAS "snapnet"
#define CNI_ALIAS_SHOW 64 /* bytes of a foreign alias kept for reports */

/* Pure. Renders the conflist JSON for the desired pod CIDRs into a
 * malloc'd NUL-terminated string. -ENOENT when the node has no pod CIDR,
 * -EINVAL when a pod CIDR has no room for a gateway and a pod. */
int cni_render(const struct cni_config *c, const struct desired *d, char **out);

/* The gateway of a pod CIDR: its first host, with the CIDR's length. */
struct prefix cni_gateway(const struct prefix *pod_cidr);

/* What the kernel and the disk hold now, as far as the CNI function owns
 * it. All zero (conf NULL, forwarding 0) is "nothing there": the state
 * an offline plan runs against. */
struct cni_state {
	char *conf; /* current conflist bytes, NULL = absent */
	size_t conf_len;
	bool link_exists; /* a link with the configured bridge name */
	bool link_is_bridge;
	bool link_ours; /* a bridge whose ifalias is CNI_LINK_ALIAS */
	char link_alias[CNI_ALIAS_SHOW]; /* its ifalias, "" when none */
	bool link_up;			 /* IFF_UP */
	unsigned mtu;			 /* of our bridge */
	int ifindex;
	struct prefix *addrs; /* on our bridge only, minus IPv6 link-local */
	size_t n_addrs;
	int forwarding[FAM_COUNT]; /* sysctl value by fam_index, -1 unknown */
	char **temps; /* conflist temp files a killed write left behind */
	size_t n_temps;
};

void cni_state_free(struct cni_state *s); /* frees members, not s */

enum cni_op_kind {
	CNI_OP_WRITE,	 /* write the conflist */
	CNI_OP_LINK_ADD, /* create the bridge and tag it CNI_LINK_ALIAS */
	CNI_OP_LINK_UP,	 /* set it up */
	CNI_OP_LINK_MTU, /* our bridge's MTU to [cni] mtu (when not 0) */
	CNI_OP_TEMP_DEL, /* remove a stale temp file of the conflist */
	CNI_OP_ADDR_ADD, /* gateway address onto the bridge */
	CNI_OP_ADDR_DEL, /* stale address off the bridge */
	CNI_OP_SYSCTL,	 /* forwarding = 1 for op.addr.family */
};

struct cni_op {
	enum cni_op_kind kind;
	struct prefix addr; /* ADDR_*: address/len; SYSCTL: family */
	const char *path;   /* TEMP_DEL: points into the cni_state */
};

/* Pure. want_conf: the rendered conflist. Ops come out in apply order:
 * write, stale temp removals, link add, link up, mtu, addr dels, addr
 * adds (IPv4 first), sysctls. [cni] mtu 0 leaves the bridge's MTU as
 * the kernel has it.
 * A link of that name that is not our bridge (cni_link_foreign()) gets
 * no link or addr ops (the caller reports it). On our bridge only stale
 * addresses that look like a gateway we would have added
 * (cni_addr_gateway_like()) are deleted; any other address is left.
 * *ops is malloc'd (may be NULL when *n_ops is 0). */
int cni_plan(const struct cni_config *c, const struct desired *d,
	     const char *want_conf, const struct cni_state *have,
	     struct cni_op **ops, size_t *n_ops);

/* How many objects the CNI function owns in `have` (file, our bridge,
 * the gateway-like addresses on it): the delete guard's denominator. */
unsigned cni_owned(const struct cni_state *have);

/* Why a link of the configured name is not ours ("is not a bridge",
 * "is a bridge without snapnet's ifalias", ...), or NULL when there is
 * no such link or it is our bridge. Writes into buf. */
const char *cni_link_foreign(const struct cni_state *have, char *buf,
			     size_t len);

/* True when `a` is the first host of its own prefix (10.244.9.1/24,
 * fd00:244:0:9::1/64): an address snapnet could have put on its bridge
 * as a gateway. Prefixes without room for a gateway and a pod (IPv4
 * /31, /32, IPv6 /127, /128) never are. */
bool cni_addr_gateway_like(const struct prefix *a);

/* The forwarding sysctl of a family: its /proc/sys path, and its name
 * as sysctl(8) prints it (plan lines). */
const char *cni_sysctl_path(int family);
const char *cni_sysctl_name(int family);

/* iproute2-like, e.g. "addr add 10.244.1.1/24 dev snapnet0". */
char *cni_op_format(const struct cni_config *c, const struct cni_op *op, char *buf,
		    size_t len);

/* The conflist path: conf_dir/conf_file. -ENAMETOOLONG if it won't fit. */
int cni_conf_path(const struct cni_config *c, char *buf, size_t len);

/* The function's entry in the registry (cni.c). Its cleanup removes
 * the conflist and our bridge (forwarding sysctls stay; a link of the
 * bridge's name that is not ours is reported and left alone). */
struct function;
extern const struct function cni_function;

/* cni_link.c: the bridge and its addresses over rtnetlink (libnl).
 * Errors come back as -errno with text in err; EEXIST on add and
 * ENODEV/EADDRNOTAVAIL on delete are already folded into success. Every
 * change re-reads the link and refuses (-EPERM) one that is not our
 * bridge, so a link swapped in after the dump is not touched either. */
struct cni_nl;
int cni_nl_open(struct cni_nl **out, char *err, size_t errlen);
void cni_nl_close(struct cni_nl *nl);
int cni_nl_dump(struct cni_nl *nl, const char *bridge, struct cni_state *s,
		char *err, size_t errlen);
int cni_nl_link_add(struct cni_nl *nl, const char *bridge, unsigned mtu,
		    char *err, size_t errlen);
int cni_nl_link_up(struct cni_nl *nl, const char *bridge, char *err,
		   size_t errlen);
int cni_nl_link_mtu(struct cni_nl *nl, const char *bridge, unsigned mtu,
		    char *err, size_t errlen);
int cni_nl_addr(struct cni_nl *nl, const char *bridge, bool add,
		const struct prefix *a, char *err, size_t errlen);
/* Deletes the link only when it is our bridge; absent is success. */
int cni_nl_link_del(struct cni_nl *nl, const char *bridge, char *err,
		    size_t errlen);

#endif
