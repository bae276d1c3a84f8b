/*
 * fw_int.h - helpers shared by the firewall's own files.
 */
#ifndef SNAPNET_FW_INT_H
#define SNAPNET_FW_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

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

/* The snapshot's pods by namespace (s->pods is sorted by namespace):
 * one run per namespace that has pods, with its Namespace record (NULL
 * when the snapshot has none), so a namespace selector is evaluated once
 * per namespace and only the pods of matching ones are visited. */
struct fw_ns_run {
	const char *ns;
	const struct namespace *rec;
	uint32_t first, n;
};

struct fw_runs {
	const struct snapshot *s;
	struct fw_ns_run *v;
	size_t n;
};

int fw_runs_build(const struct snapshot *s, struct fw_runs *out);
void fw_runs_free(struct fw_runs *r);

/* Calls fn for every pod of the family that `peer` admits (pod and
 * namespace selectors, or an ipBlock: the pods whose address it holds),
 * anywhere in the cluster; peer NULL admits every pod. */
typedef int (*fw_pod_fn)(void *arg, const struct pod *p);
int fw_peer_each(const struct fw_runs *runs, const char *pol_ns,
		 const struct np_peer *peer, int family, fw_pod_fn fn,
		 void *arg);

int fw_proto_ip(int proto);	     /* PROTO_* -> IPPROTO_* */
const char *fw_proto_arg(int proto); /* PROTO_* -> "tcp" ... */

#endif
