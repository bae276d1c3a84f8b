/*
 * snapshot_meta.c - the pieces every kind shares: metadata (name,
 * namespace, uid, labels, annotations), protocols, IPs and CIDRs, and the
 * model's small lookups and names. Pure; see snapshot_walk.h for how
 * errors name their field.
 */
#include "snapshot/snapshot_walk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

char *snapshot_quote(char *buf, size_t buflen, const char *s, size_t n);

#define LABELS_MAX 256
#define LABELS_BYTES (64u << 10)
#define ANNOTATIONS_MAX 256
#define ANNOTATIONS_BYTES (256u << 10) /* the API's limit */
#define UID_MAX 128

const char *labels_get(const struct labels *l, const char *key)
{
	for (uint32_t i = 0; i < l->n; i++)
		if (l->v[i].key == key)
			return l->v[i].value;
	return NULL;
}

const char *proto_name(int proto)
{
	static const char *const names[] = { "?", "TCP", "UDP", "SCTP" };

	return proto >= 0 && proto <= PROTO_SCTP ? names[proto] : "?";
}

const char *addr_type_name(int type)
{
	static const char *const names[] = { "InternalIP", "ExternalIP",
					     "Hostname", "InternalDNS",
					     "ExternalDNS" };

	return type >= 0 && type <= ADDR_EXTERNAL_DNS ? names[type] : "?";
}

const char *pod_phase_name(int phase)
{
	static const char *const names[] = { "Unknown", "Pending", "Running",
					     "Succeeded", "Failed" };

	return phase >= 0 && phase <= PHASE_FAILED ? names[phase] : "?";
}

const char *svc_type_name(int type)
{
	static const char *const names[] = { "ClusterIP", "NodePort",
					     "LoadBalancer", "ExternalName" };

	return type >= 0 && type <= SVC_EXTERNAL ? names[type] : "?";
}

/* Why a name breaks its rule. */
static const char *name_why(enum name_rule r, size_t len)
{
	switch (r) {
	case NAME_LABEL:
		return len > 63 ? "longer than 63 characters"
				: "not a DNS-1123 label";
	case NAME_1035:
		return len > 63 ? "longer than 63 characters"
				: "not a DNS-1035 label";
	default:
		return len > 253 ? "longer than 253 characters"
				 : "not a DNS-1123 subdomain";
	}
}

static bool rule_ok(enum name_rule r, const char *s, size_t n)
{
	switch (r) {
	case NAME_LABEL:
		return walk_dns1123_label(s, n);
	case NAME_1035:
		return walk_dns1035_label(s, n);
	default:
		return walk_dns1123_subdomain(s, n);
	}
}

/* "node", "pod"...: the kind in lower case, for "invalid node name". */
static void kind_lower(const char *kind, char *buf, size_t len)
{
	size_t i;

	for (i = 0; kind[i] && i + 1 < len; i++)
		buf[i] = (char)(kind[i] >= 'A' && kind[i] <= 'Z'
				    ? kind[i] - 'A' + 'a'
				    : kind[i]);
	buf[i] = '\0';
}

/* A name by its rule, kept in dst (w->name or w->ns) for messages. */
static int name_here(struct walk *w, const char *key, enum name_rule rule,
		     char *dst, size_t cap, const char **out)
{
	char buf[1024], q[96], k[32];
	size_t len = 0;
	int r = walk_string(w, key, buf, sizeof(buf), &len);

	if (r != 1)
		return r;
	walk_push(w, key);
	if (!rule_ok(rule, buf, len)) {
		kind_lower(w->kind, k, sizeof(k));
		snapshot_quote(q, sizeof(q), buf, len);
		r = walk_fail(w, "invalid %s%s %s (%s)",
			      dst == w->ns ? "namespace" : k,
			      dst == w->ns ? "" : " name", q,
			      name_why(rule, len));
	}
	walk_pop(w);
	if (r < 0)
		return r;
	str_copy(dst, buf, cap);
	/* namespaces and nodes are named by other objects (and compared
	 * by pointer): interned; every other name is its object's own */
	if (dst == w->ns || w->rec->kind == KIND_NODE ||
	    w->rec->kind == KIND_NAMESPACE)
		*out = walk_intern(w, buf, len);
	else
		*out = walk_own(w, buf, len);
	return *out ? 1 : -ENOMEM;
}

static int meta_member(struct walk *w, const struct scan_str *key, void *arg)
{
	const struct walk_meta *m = arg;

	if (scan_str_eq(key, "name"))
		return name_here(w, "name", m->rule, w->name, sizeof(w->name),
				 m->name) < 0
			   ? -EINVAL
			   : 0;
	if (m->namespaced && scan_str_eq(key, "namespace"))
		return name_here(w, "namespace", NAME_LABEL, w->ns,
				 sizeof(w->ns), m->ns) < 0
			   ? -EINVAL
			   : 0;
	if (m->uid && scan_str_eq(key, "uid"))
		return walk_ostring(w, "uid", UID_MAX, m->uid) < 0 ? -EINVAL
								   : 0;
	if (m->labels && scan_str_eq(key, "labels"))
		return walk_map(w, "labels", LABELS_MAX, LABELS_BYTES, true,
				m->labels) < 0
			   ? -EINVAL
			   : 0;
	if (m->annotations && scan_str_eq(key, "annotations"))
		return walk_map(w, "annotations", ANNOTATIONS_MAX,
				ANNOTATIONS_BYTES, false, m->annotations) < 0
			   ? -EINVAL
			   : 0;
	return walk_skip(w);
}

/* A second "metadata" replaces the first (the last one wins): what the
 * first set is forgotten (its strings stay with the record). */
static void meta_reset(struct walk *w, const struct walk_meta *m)
{
	struct labels *maps[] = { m->labels, m->annotations };

	*m->name = NULL;
	if (m->ns)
		*m->ns = NULL;
	if (m->uid)
		*m->uid = NULL;
	for (size_t i = 0; i < 2; i++) {
		if (!maps[i])
			continue;
		free(maps[i]->v);
		maps[i]->v = NULL;
		maps[i]->n = 0;
	}
	w->name[0] = '\0';
	w->ns[0] = '\0';
}

int walk_metadata(struct walk *w, const struct walk_meta *m)
{
	int r;

	meta_reset(w, m);
	r = walk_object(w, "metadata", meta_member, (void *)m);

	if (r < 0)
		return r;
	if (m->namespaced && !w->ns[0]) /* what finish() will default */
		str_copy(w->ns, "default", sizeof(w->ns));
	return 1;
}

int walk_metadata_done(struct walk *w, const struct walk_meta *m)
{
	if (!*m->name) {
		walk_push(w, "metadata");
		walk_push(w, "name");
		return walk_fail(w, "missing");
	}
	if (m->namespaced && !*m->ns) {
		str_copy(w->ns, "default", sizeof(w->ns));
		if (!(*m->ns = walk_intern(w, "default", 7)))
			return -ENOMEM;
	}
	return 0;
}

int walk_proto(struct walk *w, const char *key, uint8_t *out)
{
	static const char *const names[] = { "TCP", "UDP", "SCTP" };
	int v = 0, r = walk_enum(w, key, names, 3, &v);

	if (r == 1)
		*out = (uint8_t)(v + PROTO_TCP);
	return r;
}

int walk_ip(struct walk *w, const char *key, struct prefix *out)
{
	char buf[80], q[96];
	size_t len = 0;
	int r = walk_string(w, key, buf, sizeof(buf), &len);

	if (r != 1)
		return r;
	if (len != strlen(buf) || prefix_parse_addr(buf, out) < 0) {
		if (key)
		walk_push(w, key);
		snapshot_quote(q, sizeof(q), buf, len);
		r = walk_fail(w, "%s is not an IP address", q);
		if (key)
		walk_pop(w);
	}
	return r;
}

/* "ADDR/LEN" with host bits cleared (Go's ParseCIDR keeps the network). */
static int cidr_masked(const char *s, struct prefix *out, const char **why)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	unsigned long len;
	char *end;
	struct prefix p;

	if (!slash)
		return *why = "no prefix length", -EINVAL;
	if ((size_t)(slash - s) >= sizeof(addr))
		return *why = "bad address", -EINVAL;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (prefix_parse_addr(addr, &p) < 0)
		return *why = "bad address", -EINVAL;
	if (slash[1] < '0' || slash[1] > '9' || (slash[1] == '0' && slash[2]))
		return *why = "bad prefix length", -EINVAL;
	len = strtoul(slash + 1, &end, 10);
	if (*end || len > (p.family == AF_INET ? 32u : 128u))
		return *why = "bad prefix length", -EINVAL;
	p.len = (uint8_t)len;
	for (unsigned i = 0; i < 16; i++) {
		unsigned bit = i * 8;

		if (bit >= len)
			p.addr[i] = 0;
		else if (len - bit < 8)
			p.addr[i] &= (uint8_t)(0xff00u >> (len - bit));
	}
	*out = p;
	return 0;
}

int walk_cidr(struct walk *w, const char *key, bool mask, struct prefix *out)
{
	char buf[80], q[96];
	const char *why = "NUL byte";
	size_t len = 0;
	int r = walk_string(w, key, buf, sizeof(buf), &len);

	if (r != 1)
		return r;
	if (len == strlen(buf) &&
	    (mask ? cidr_masked(buf, out, &why)
		  : prefix_parse_cidr_why(buf, out, &why)) == 0)
		return 1;
	if (key)
		walk_push(w, key);
	snapshot_quote(q, sizeof(q), buf, len);
	r = walk_fail(w, "invalid CIDR %s (%s)", q, why);
	if (key)
		walk_pop(w);
	return r;
}
