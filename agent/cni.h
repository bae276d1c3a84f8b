/*
 * cni.h - the CNI function: a conflist for the reference bridge and
 * host-local plugins listing exactly this node's pod CIDRs, plus the
 * bridge with one gateway address per family, plus forwarding.
 */
#ifndef SNAPNET_CNI_H
#define SNAPNET_CNI_H

#include <stddef.h>

#include "config.h"
#include "desired.h"
#include "pass.h"

/* Pure. Renders the conflist JSON for the desired pod CIDRs into a
 * malloc'd NUL-terminated string. -ENOENT when the node has no pod CIDR. */
int cni_render(const struct config *c, const struct desired *d, char **out);

/* dump -> plan -> apply for this pass. */
int cni_reconcile(struct pass *p, struct func_result *r);
/* Removes the conflist and the bridge (forwarding sysctls stay). */
int cni_cleanup(const struct config *c, struct func_result *r);

#endif
