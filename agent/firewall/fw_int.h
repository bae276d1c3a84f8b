/*
 * fw_int.h - helpers shared by the firewall's own files.
 */
#ifndef SNAPNET_FW_INT_H
#define SNAPNET_FW_INT_H

#include <stdarg.h>
#include <stddef.h>

#include "firewall/fw.h"

/* A growable NUL-terminated string (keys, rules, restore text). */
struct fw_buf {
	char *s;
	size_t len, cap;
};

int fw_buf_printf(struct fw_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends n bytes (may hold NULs: set keys are bytes). */
int fw_buf_add(struct fw_buf *b, const void *p, size_t n);
void fw_buf_free(struct fw_buf *b);

/* Calls fn for every pod of the family that `peer` admits (pod and
 * namespace selectors, or an ipBlock: the pods whose address it holds),
 * anywhere in the cluster; peer NULL admits every pod. */
typedef int (*fw_pod_fn)(void *arg, const struct pod *p);
int fw_peer_each(const struct snapshot *s, const char *pol_ns,
		 const struct np_peer *peer, int family, fw_pod_fn fn,
		 void *arg);

int fw_proto_ip(int proto);	     /* PROTO_* -> IPPROTO_* */
const char *fw_proto_arg(int proto); /* PROTO_* -> "tcp" ... */

#endif
