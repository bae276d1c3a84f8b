/*
 * cni_plan.c - what the CNI function must change, and how it is printed.
 *
 * Pure: (config, desired, rendered conflist, struct cni_state) -> ops.
 * No syscalls, so every rule is unit-tested without root.
 *
 * Ownership: the link of the configured name is ours only when it is a
 * bridge carrying our ifalias (CNI_LINK_ALIAS, set when snapnet creates
 * it). Any other link of that name - not a bridge, or a bridge someone
 * else made, perhaps holding the host's own address - gets no op at all:
 * no link set up, no address added or removed (the caller reports it).
 * On our bridge, an address that is not a current gateway is removed
 * only when it looks like a gateway we once added (the first host of its
 * own prefix); anything else an operator put there is left alone.
 *
 * Invariants: a state produced by applying a plan plans zero ops (the
 * second pass on the same input is a no-op). Addresses are compared by
 * family, bytes and prefix length only, never by flags: the kernel marks
 * an IPv6 address "tentative" while the bridge has no carrier and never
 * reports IFA_F_NODAD the way it was asked for, so flags would make every
 * pass re-add the gateway. Ops come out in apply order: the file first
 * (the runtime only reads it when a pod is created, by which time the
 * rest follows), then the bridge, stale addresses, the gateways,
 * forwarding last.
 *
 * Stale addresses go BEFORE the new gateways, on purpose. Deleting an
 * IPv4 primary address makes the kernel delete every secondary address
 * of the same subnet with it, unless net.ipv4.conf.<dev>.
 * promote_secondaries is set (it is off by default). Were the new
 * gateway added first and it landed as a secondary of a stale primary,
 * the delete that follows would silently take our gateway away too, and
 * the pass would report success. Deleting first, then adding, is right
 * whatever the sysctl says: the add always happens last. The bridge is
 * without a gateway for the few microseconds in between.
 */
#include "cni/cni.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

static bool conf_differs(const char *want, const struct cni_state *have)
{
	size_t n = strlen(want);

	return !have->conf || have->conf_len != n ||
	       memcmp(have->conf, want, n) != 0;
}

static bool have_addr(const struct cni_state *have, const struct prefix *a)
{
	for (size_t i = 0; i < have->n_addrs; i++)
		if (prefix_equal(&have->addrs[i], a))
			return true;
	return false;
}

static bool wanted_addr(const struct desired *d, const struct prefix *a)
{
	const struct prefix *cidr = &d->pod_cidr[fam_index(a->family)];
	struct prefix gw;

	if (!prefix_present(cidr) || cidr->family != a->family)
		return false;
	gw = cni_gateway(cidr);
	return prefix_equal(&gw, a);
}

static void push(struct cni_op *ops, size_t *n, enum cni_op_kind kind,
		 const struct prefix *a)
{
	struct cni_op *op = &ops[(*n)++];

	memset(op, 0, sizeof(*op));
	op->kind = kind;
	if (a)
		op->addr = *a;
}

/* The prefix `a` lies in, host bits cleared. */
static struct prefix network_of(const struct prefix *a)
{
	struct prefix net = *a;
	unsigned full = a->family == AF_INET ? 4 : 16;

	for (unsigned i = 0; i < full; i++) {
		unsigned bits = i * 8;

		if (bits >= net.len)
			net.addr[i] = 0;
		else if (net.len - bits < 8)
			net.addr[i] &= (uint8_t)(0xff00u >> (net.len - bits));
	}
	return net;
}

bool cni_addr_gateway_like(const struct prefix *a)
{
	struct prefix net, gw;

	if (a->family != AF_INET && a->family != AF_INET6)
		return false;
	if (a->len > (a->family == AF_INET ? 30 : 126))
		return false; /* no room for a gateway and a pod: not ours */
	net = network_of(a);
	gw = cni_gateway(&net);
	return prefix_equal(&gw, a);
}

static void plan_link(const struct cni_config *c, const struct desired *d,
		      const struct cni_state *have, struct cni_op *ops,
		      size_t *n)
{
	if (!have->link_exists)
		push(ops, n, CNI_OP_LINK_ADD, NULL);
	if (!have->link_exists || !have->link_up)
		push(ops, n, CNI_OP_LINK_UP, NULL);
	/* a new bridge is made with the MTU; 0 leaves the kernel's */
	if (have->link_exists && c->mtu && have->mtu != c->mtu)
		push(ops, n, CNI_OP_LINK_MTU, NULL);
	/* deletes before adds: see the top of the file */
	for (size_t i = 0; have->link_exists && i < have->n_addrs; i++)
		if (!wanted_addr(d, &have->addrs[i]) &&
		    cni_addr_gateway_like(&have->addrs[i]))
			push(ops, n, CNI_OP_ADDR_DEL, &have->addrs[i]);
	for (int i = 0; i < FAM_COUNT; i++) {
		struct prefix gw;

		if (!prefix_present(&d->pod_cidr[i]))
			continue;
		gw = cni_gateway(&d->pod_cidr[i]);
		if (!have->link_exists || !have_addr(have, &gw))
			push(ops, n, CNI_OP_ADDR_ADD, &gw);
	}
}

static void plan_sysctl(const struct cni_config *c, const struct desired *d,
			const struct cni_state *have, struct cni_op *ops,
			size_t *n)
{
	if (!c->ip_forward)
		return;
	for (int i = 0; i < FAM_COUNT; i++) {
		struct prefix fam = { .family = (uint8_t)fam_of_index(i) };

		if (!(d->families & fam_bit(fam.family)) ||
		    !prefix_present(&d->pod_cidr[i]))
			continue;
		if (have->forwarding[i] != 1)
			push(ops, n, CNI_OP_SYSCTL, &fam);
	}
}

int cni_plan(const struct cni_config *c, const struct desired *d,
	     const char *want_conf, const struct cni_state *have,
	     struct cni_op **ops, size_t *n_ops)
{
	/* write + temps + link add + up + mtu + FAM_COUNT adds + dels +
	 * FAM_COUNT sysctls */
	size_t max = 4 + 2 * FAM_COUNT + have->n_addrs + have->n_temps;
	struct cni_op *v = calloc(max, sizeof(*v));
	size_t n = 0;

	*ops = NULL;
	*n_ops = 0;
	if (!v)
		return -ENOMEM;
	if (conf_differs(want_conf, have))
		push(v, &n, CNI_OP_WRITE, NULL);
	for (size_t i = 0; i < have->n_temps; i++) {
		push(v, &n, CNI_OP_TEMP_DEL, NULL);
		v[n - 1].path = have->temps[i];
	}
	if (!have->link_exists || have->link_ours)
		plan_link(c, d, have, v, &n);
	plan_sysctl(c, d, have, v, &n);
	if (!n) {
		free(v);
		return 0;
	}
	*ops = v;
	*n_ops = n;
	return 0;
}

unsigned cni_owned(const struct cni_state *have)
{
	unsigned n = have->conf ? 1 : 0;

	if (!have->link_exists || !have->link_ours)
		return n;
	n++;
	for (size_t i = 0; i < have->n_addrs; i++)
		n += cni_addr_gateway_like(&have->addrs[i]);
	return n;
}

const char *cni_link_foreign(const struct cni_state *have, char *buf,
			     size_t len)
{
	if (!have->link_exists || have->link_ours)
		return NULL;
	if (!have->link_is_bridge)
		snprintf(buf, len, "exists and is not a bridge");
	else if (!have->link_alias[0])
		snprintf(buf, len,
			 "exists and is not snapnet's (a bridge "
			 "with no ifalias \"%s\")",
			 CNI_LINK_ALIAS);
	else
		snprintf(buf, len,
			 "exists and is not snapnet's (a bridge "
			 "with ifalias \"%s\", not \"%s\")",
			 have->link_alias, CNI_LINK_ALIAS);
	return buf;
}

int cni_conf_path(const struct cni_config *c, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", c->conf_dir, c->conf_file);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* One table for both spellings of the forwarding sysctls. */
static const struct {
	const char *path, *name;
} forwarding[FAM_COUNT] = {
	{ "/proc/sys/net/ipv4/ip_forward", "net.ipv4.ip_forward" },
	{ "/proc/sys/net/ipv6/conf/all/forwarding",
	  "net.ipv6.conf.all.forwarding" },
};

const char *cni_sysctl_path(int family)
{
	return forwarding[fam_index(family)].path;
}

const char *cni_sysctl_name(int family)
{
	return forwarding[fam_index(family)].name;
}

char *cni_op_format(const struct cni_config *c, const struct cni_op *op, char *buf,
		    size_t len)
{
	char path[PATH_MAX], a[PREFIX_STRLEN];
	const char *br = c->bridge;

	switch (op->kind) {
	case CNI_OP_WRITE:
		if (cni_conf_path(c, path, sizeof(path)))
			str_copy(path, "?", sizeof(path));
		snprintf(buf, len, "cni write %s", path);
		break;
	case CNI_OP_LINK_ADD:
		if (c->mtu)
			snprintf(buf, len, "link add %s type bridge mtu %u", br,
				 c->mtu);
		else
			snprintf(buf, len, "link add %s type bridge", br);
		break;
	case CNI_OP_LINK_UP:
		snprintf(buf, len, "link set %s up", br);
		break;
	case CNI_OP_LINK_MTU:
		snprintf(buf, len, "link set %s mtu %u", br, c->mtu);
		break;
	case CNI_OP_TEMP_DEL:
		snprintf(buf, len, "cni remove %s", op->path ? op->path : "?");
		break;
	case CNI_OP_ADDR_ADD:
	case CNI_OP_ADDR_DEL:
		snprintf(buf, len, "addr %s %s dev %s",
			 op->kind == CNI_OP_ADDR_ADD ? "add" : "del",
			 prefix_format(&op->addr, a, sizeof(a)), br);
		break;
	case CNI_OP_SYSCTL:
		snprintf(buf, len, "sysctl %s=1",
			 cni_sysctl_name(op->addr.family));
		break;
	default:
		snprintf(buf, len, "cni ?");
	}
	return buf;
}

void cni_state_free(struct cni_state *s)
{
	if (!s)
		return;
	free(s->conf);
	free(s->addrs);
	file_list_free(s->temps, s->n_temps);
	s->conf = NULL;
	s->addrs = NULL;
	s->temps = NULL;
	s->n_temps = 0;
	s->conf_len = 0;
	s->n_addrs = 0;
}
