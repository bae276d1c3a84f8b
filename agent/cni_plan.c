/*
 * cni_plan.c - what the CNI function must change, and how it is printed.
 *
 * Pure: (config, desired, rendered conflist, struct cni_state) -> ops.
 * No syscalls, so every rule is unit-tested without root.
 *
 * Invariants: a state produced by applying a plan plans zero ops (the
 * second pass on the same input is a no-op). Addresses are compared by
 * family, bytes and prefix length only, never by flags: the kernel marks
 * an IPv6 address "tentative" while the bridge has no carrier and never
 * reports IFA_F_NODAD the way it was asked for, so flags would make every
 * pass re-add the gateway. Ops come out in apply order: the file first
 * (the runtime only reads it when a pod is created, by which time the
 * rest follows), then the bridge, its gateways, stale addresses (after
 * the adds, so the bridge is never without a gateway), forwarding last.
 */
#include "cni.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

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

static void plan_link(const struct desired *d, const struct cni_state *have,
		      struct cni_op *ops, size_t *n)
{
	if (!have->link_exists)
		push(ops, n, CNI_OP_LINK_ADD, NULL);
	if (!have->link_exists || !have->link_up)
		push(ops, n, CNI_OP_LINK_UP, NULL);
	for (int i = 0; i < FAM_COUNT; i++) {
		struct prefix gw;

		if (!prefix_present(&d->pod_cidr[i]))
			continue;
		gw = cni_gateway(&d->pod_cidr[i]);
		if (!have->link_exists || !have_addr(have, &gw))
			push(ops, n, CNI_OP_ADDR_ADD, &gw);
	}
	if (!have->link_exists)
		return;
	for (size_t i = 0; i < have->n_addrs; i++)
		if (!wanted_addr(d, &have->addrs[i]))
			push(ops, n, CNI_OP_ADDR_DEL, &have->addrs[i]);
}

static void plan_sysctl(const struct config *c, const struct desired *d,
			const struct cni_state *have, struct cni_op *ops,
			size_t *n)
{
	if (!c->cni.ip_forward)
		return;
	for (int i = 0; i < FAM_COUNT; i++) {
		struct prefix fam = {.family = (uint8_t)fam_of_index(i)};

		if (!(d->families & fam_bit(fam.family)) ||
		    !prefix_present(&d->pod_cidr[i]))
			continue;
		if (have->forwarding[i] != 1)
			push(ops, n, CNI_OP_SYSCTL, &fam);
	}
}

int cni_plan(const struct config *c, const struct desired *d,
	     const char *want_conf, const struct cni_state *have,
	     struct cni_op **ops, size_t *n_ops)
{
	/* write + link add + up + FAM_COUNT adds + dels + FAM_COUNT sysctls */
	size_t max = 3 + 2 * FAM_COUNT + have->n_addrs;
	struct cni_op *v = calloc(max, sizeof(*v));
	size_t n = 0;

	*ops = NULL;
	*n_ops = 0;
	if (!v)
		return -ENOMEM;
	if (conf_differs(want_conf, have))
		push(v, &n, CNI_OP_WRITE, NULL);
	if (!have->link_exists || have->link_is_bridge)
		plan_link(d, have, v, &n);
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

	if (have->link_exists && have->link_is_bridge)
		n += 1 + (unsigned)have->n_addrs;
	return n;
}

int cni_conf_path(const struct config *c, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", c->cni.conf_dir, c->cni.conf_file);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static const char *sysctl_name(int family)
{
	return family == AF_INET6 ? "net.ipv6.conf.all.forwarding"
				  : "net.ipv4.ip_forward";
}

char *cni_op_format(const struct config *c, const struct cni_op *op, char *buf,
		    size_t len)
{
	char path[PATH_MAX], a[PREFIX_STRLEN];
	const char *br = c->cni.bridge;

	switch (op->kind) {
	case CNI_OP_WRITE:
		if (cni_conf_path(c, path, sizeof(path)))
			str_copy(path, "?", sizeof(path));
		snprintf(buf, len, "cni write %s", path);
		break;
	case CNI_OP_LINK_ADD:
		if (c->cni.mtu)
			snprintf(buf, len, "link add %s type bridge mtu %u", br,
				 c->cni.mtu);
		else
			snprintf(buf, len, "link add %s type bridge", br);
		break;
	case CNI_OP_LINK_UP:
		snprintf(buf, len, "link set %s up", br);
		break;
	case CNI_OP_ADDR_ADD:
	case CNI_OP_ADDR_DEL:
		snprintf(buf, len, "addr %s %s dev %s",
			 op->kind == CNI_OP_ADDR_ADD ? "add" : "del",
			 prefix_format(&op->addr, a, sizeof(a)), br);
		break;
	case CNI_OP_SYSCTL:
		snprintf(buf, len, "sysctl %s=1", sysctl_name(op->addr.family));
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
	s->conf = NULL;
	s->addrs = NULL;
	s->conf_len = 0;
	s->n_addrs = 0;
}
