/*
 * snapshot_node.c - a Kubernetes Node item -> struct node, read off the
 * scanner's tokens (snapshot_walk.h). Also quote() for messages. The
 * rules across nodes are in snapshot_check.c.
 *
 * Fields read (everything else is ignored):
 *   metadata.name        required; DNS-1123 subdomain, <= 253 characters
 *   metadata.labels, metadata.annotations
 *   spec.podCIDRs[]      CIDR strings, at most 2, at most one per family
 *   spec.podCIDR         used when podCIDRs is absent or empty; when both
 *                        are given it must equal podCIDRs[0]
 *   spec.unschedulable
 *   status.addresses[]   {type, address}, at most 64 entries, all kept;
 *                        the first InternalIP and ExternalIP of each
 *                        family are also kept per family
 * A field that is absent or JSON null counts as absent (a jq-slimmed
 * export writes null for a missing field). Any other wrong type, an
 * invalid CIDR (host bits must be zero) or an InternalIP that is not an
 * IP address is an error naming the item and the field's JSON path.
 *
 * A pod CIDR becomes a route to a peer, so it must look like one: IPv4
 * /8 to /30 and IPv6 /32 to /126 (never a default route, never a single
 * host or a point-to-point pair), and neither a pod CIDR nor an
 * InternalIP may touch the unspecified, loopback, link-local or multicast
 * ranges, or (IPv6) the IPv4-mapped ::ffff:0:0/96, which would smuggle an
 * IPv4 address into the IPv6 family.
 */
#include "snapshot/snapshot_kinds.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/scan.h"
#include "lib/util.h"

#define SNAP_MAX_ADDRESSES 64 /* entries of status.addresses */

/* Pod CIDR prefix lengths, by fam_index(). */
static const uint8_t pod_len_min[FAM_COUNT] = { 8, 32 };
static const uint8_t pod_len_max[FAM_COUNT] = { 30, 126 };

/* Ranges no node address or pod CIDR may touch. */
static const struct {
	struct prefix p;
	const char *what;
} reserved[] = {
	{ { AF_INET, 8, { 0 } }, "unspecified" },
	{ { AF_INET, 8, { 127 } }, "loopback" },
	{ { AF_INET, 16, { 169, 254 } }, "link-local" },
	{ { AF_INET, 4, { 224 } }, "multicast" },
	{ { AF_INET6, 128, { 0 } }, "unspecified" },
	{ { AF_INET6, 128, { [15] = 1 } }, "loopback" },
	{ { AF_INET6, 96, { [10] = 0xff, [11] = 0xff } }, "IPv4-mapped" },
	{ { AF_INET6, 10, { 0xfe, 0x80 } }, "link-local" },
	{ { AF_INET6, 8, { 0xff } }, "multicast" },
};

char *snapshot_quote(char *buf, size_t buflen, const char *s, size_t n);
char *snapshot_quote(char *buf, size_t buflen, const char *s, size_t n)
{
	const size_t show = 64;
	size_t o = 0;
	size_t end = n < show ? n : show;

	if (buflen < 8) {
		if (buflen)
			buf[0] = '\0';
		return buf;
	}
	/* never cut a multi-byte character in two: the text ends up in the
	 * status file, which must stay valid UTF-8 JSON */
	while (end < n && end > 0 && ((unsigned char)s[end] & 0xc0) == 0x80)
		end--;
	buf[o++] = '"';
	for (size_t i = 0; i < end && o + 6 < buflen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			o +=
			    (size_t)snprintf(buf + o, buflen - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (n > show && o + 4 < buflen) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

const char *snapshot_reserved(const struct prefix *p, struct prefix *range)
{
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++) {
		if (prefix_overlaps(&reserved[i].p, p)) {
			*range = reserved[i].p;
			return reserved[i].what;
		}
	}
	return NULL;
}

struct node_build {
	struct node *n;
	struct walk_meta meta;
	struct prefix first;	  /* spec.podCIDRs[0] */
	size_t n_cidrs;		  /* entries of spec.podCIDRs */
	struct prefix pod_cidr;	  /* spec.podCIDR */
	bool has_pod_cidr;
	size_t cap_addrs;
};

static int pod_cidr_rules(struct walk *w, const struct prefix *p)
{
	int f = fam_index(p->family);
	char a[PREFIX_STRLEN], q[PREFIX_STRLEN];
	struct prefix range;
	const char *what;

	if (p->len < pod_len_min[f] || p->len > pod_len_max[f])
		return walk_fail(w,
				 "pod CIDR %s has prefix length /%u; %s pod "
				 "CIDRs must be /%u to /%u",
				 prefix_format(p, a, sizeof(a)), p->len,
				 fam_name(p->family), pod_len_min[f],
				 pod_len_max[f]);
	what = snapshot_reserved(p, &range);
	if (what)
		return walk_fail(w, "pod CIDR %s overlaps %s (%s)",
				 prefix_format(p, a, sizeof(a)),
				 prefix_format(&range, q, sizeof(q)), what);
	return 0;
}

/* A pod CIDR under `key` (pushed for the rules' messages). */
static int pod_cidr(struct walk *w, const char *key, struct prefix *out)
{
	int r = walk_cidr(w, key, false, out);

	if (r == 1) {
		walk_push(w, key);
		if (pod_cidr_rules(w, out) < 0)
			r = -EINVAL;
		walk_pop(w);
	}
	return r;
}


static int cidr_elem(struct walk *w, size_t i, void *arg)
{
	struct node_build *b = arg;
	struct node *n = b->n;
	char a[PREFIX_STRLEN];
	struct prefix p;
	int r;

	if (walk_is_null(w) || scan_peek(w->sc) != '"') {
		const char *got = walk_type(w);

		if (walk_skip(w) < 0)
			return -EINVAL;
		return walk_fail(w, "expected string, got %s", got);
	}
	r = walk_cidr(w, NULL, false, &p);
	if (r == 1 && pod_cidr_rules(w, &p) < 0)
		r = -EINVAL;
	if (r < 0)
		return r;
	if (prefix_present(&n->pod_cidr[fam_index(p.family)]))
		return walk_fail(w, "second %s CIDR %s (at most one per family)",
				 fam_name(p.family),
				 prefix_format(&p, a, sizeof(a)));
	n->pod_cidr[fam_index(p.family)] = p;
	if (i == 0)
		b->first = p;
	b->n_cidrs = i + 1;
	return 0;
}

static int spec_member(struct walk *w, const struct scan_str *key, void *arg)
{
	struct node_build *b = arg;
	int r;

	if (scan_str_eq(key, "podCIDRs")) {
		memset(b->n->pod_cidr, 0, sizeof(b->n->pod_cidr));
		b->n_cidrs = 0;
		r = walk_array(w, "podCIDRs", FAM_COUNT, cidr_elem, b);
		return r < 0 ? r : 0;
	}
	if (scan_str_eq(key, "podCIDR")) {
		r = pod_cidr(w, "podCIDR", &b->pod_cidr);
		b->has_pod_cidr = r == 1;
		return r < 0 ? r : 0;
	}
	if (scan_str_eq(key, "unschedulable"))
		return walk_bool(w, "unschedulable", &b->n->unschedulable) < 0
			   ? -EINVAL
			   : 0;
	return walk_skip(w);
}

struct addr_build {
	int type; /* -1: not given */
	bool have_addr;
	char addr[256];
	size_t len;
};

static int addr_member(struct walk *w, const struct scan_str *key, void *arg)
{
	static const char *const types[] = { "InternalIP", "ExternalIP",
					     "Hostname", "InternalDNS",
					     "ExternalDNS" };
	struct addr_build *a = arg;
	int r;

	if (scan_str_eq(key, "type")) {
		r = walk_enum(w, "type", types, ARRAY_SIZE(types), &a->type);
		if (r == 0)
			a->type = -1;
		return r < 0 ? r : 0;
	}
	if (scan_str_eq(key, "address")) {
		r = walk_string(w, "address", a->addr, sizeof(a->addr), &a->len);
		a->have_addr = r == 1;
		return r < 0 ? r : 0;
	}
	return walk_skip(w);
}

static int addr_ip(struct walk *w, struct node *n, struct addr_build *a,
		   struct node_addr *out)
{
	char q[96];
	struct prefix range;
	const char *what;

	walk_push(w, "address");
	if (a->len != strlen(a->addr) || prefix_parse_addr(a->addr, &out->ip)) {
		snapshot_quote(q, sizeof(q), a->addr, a->len);
		return walk_fail(w, "%s %s is not an IP address",
				 addr_type_name(a->type), q);
	}
	what = snapshot_reserved(&out->ip, &range);
	if (what)
		return walk_fail(w, "%s %s is in %s (%s)",
				 addr_type_name(a->type), a->addr,
				 prefix_format(&range, q, sizeof(q)), what);
	walk_pop(w);
	if (a->type == ADDR_INTERNAL_IP &&
	    !prefix_present(&n->internal_ip[fam_index(out->ip.family)]))
		n->internal_ip[fam_index(out->ip.family)] = out->ip;
	if (a->type == ADDR_EXTERNAL_IP &&
	    !prefix_present(&n->external_ip[fam_index(out->ip.family)]))
		n->external_ip[fam_index(out->ip.family)] = out->ip;
	return 0;
}

static int addr_elem(struct walk *w, size_t i, void *arg)
{
	struct node_build *b = arg;
	struct node *n = b->n;
	struct addr_build a = { .type = -1 };
	struct node_addr *out;
	int r;

	(void)i;
	if (scan_peek(w->sc) != '{') {
		const char *got = walk_type(w);

		if (walk_skip(w) < 0)
			return -EINVAL;
		return walk_fail(w, "expected object, got %s", got);
	}
	r = walk_object(w, NULL, addr_member, &a);
	if (r < 0)
		return r;
	r = 0;
	if (a.type < 0 || !a.have_addr) {
		walk_push(w, a.type < 0 ? "type" : "address");
		return walk_fail(w, "missing");
	}
	if (walk_grow(w, &n->addrs, &b->cap_addrs, n->n_addrs,
		      sizeof(*n->addrs)) < 0)
		return -ENOMEM;
	out = &n->addrs[n->n_addrs];
	memset(out, 0, sizeof(*out));
	out->type = (uint8_t)a.type;
	if (a.type == ADDR_INTERNAL_IP || a.type == ADDR_EXTERNAL_IP) {
		r = addr_ip(w, n, &a, out);
	} else if (a.len != strlen(a.addr)) {
		walk_push(w, "address");
		r = walk_fail(w, "contains a NUL character");
	} else if (!(out->name = walk_intern(w, a.addr, a.len))) {
		r = -ENOMEM;
	}
	if (r == 0)
		n->n_addrs++;
	return r;
}

static int status_member(struct walk *w, const struct scan_str *key, void *arg)
{
	struct node_build *b = arg;
	int r;

	if (!scan_str_eq(key, "addresses"))
		return walk_skip(w);
	b->n->n_addrs = 0;
	memset(b->n->internal_ip, 0, sizeof(b->n->internal_ip));
	memset(b->n->external_ip, 0, sizeof(b->n->external_ip));
	r = walk_array(w, "addresses", SNAP_MAX_ADDRESSES, addr_elem, b);
	return r < 0 ? r : 0;
}

static int node_member(struct walk *w, const struct scan_str *key, void *arg)
{
	struct node_build *b = arg;
	int r;

	if (scan_str_eq(key, "metadata")) {
		b->meta = (struct walk_meta){ .rule = NAME_SUBDOMAIN,
					      .name = &b->n->name,
					      .labels = &b->n->labels,
					      .annotations =
						  &b->n->annotations };
		r = walk_metadata(w, &b->meta);
	} else if (scan_str_eq(key, "spec")) {
		/* given twice: the last one wins */
		memset(b->n->pod_cidr, 0, sizeof(b->n->pod_cidr));
		b->n->unschedulable = false;
		b->n_cidrs = 0;
		b->has_pod_cidr = false;
		r = walk_object(w, "spec", spec_member, b);
	} else if (scan_str_eq(key, "status")) {
		b->n->n_addrs = 0;
		memset(b->n->internal_ip, 0, sizeof(b->n->internal_ip));
		memset(b->n->external_ip, 0, sizeof(b->n->external_ip));
		r = walk_object(w, "status", status_member, b);
	} else {
		r = walk_skip(w);
	}
	return r < 0 ? r : 0;
}

static int node_finish(struct walk *w, void *arg)
{
	struct node_build *b = arg;
	struct node *n = b->n;
	char a[PREFIX_STRLEN], q[PREFIX_STRLEN];
	int r;

	b->meta.name = &n->name;
	r = walk_metadata_done(w, &b->meta);
	if (r < 0 || !b->has_pod_cidr)
		return r;
	walk_push(w, "spec");
	walk_push(w, "podCIDR");
	if (b->n_cidrs == 0) {
		n->pod_cidr[fam_index(b->pod_cidr.family)] = b->pod_cidr;
		n->cidr_fallback = true;
	} else if (!prefix_equal(&b->pod_cidr, &b->first)) {
		r = walk_fail(w, "%s differs from spec.podCIDRs[0] %s",
			      prefix_format(&b->pod_cidr, a, sizeof(a)),
			      prefix_format(&b->first, q, sizeof(q)));
	}
	walk_pop(w);
	walk_pop(w);
	return r;
}

static void node_free(struct rec *r)
{
	struct node *n = (struct node *)r;

	free(n->labels.v);
	free(n->annotations.v);
	free(n->addrs);
}

const struct kind_ops kind_node = {
	.name = "Node",
	.kind = KIND_NODE,
	.rec_size = sizeof(struct node),
	.build_size = sizeof(struct node_build),
	.max_count = 50000,
	.max_bytes = (size_t)1 << 20,
	.member = node_member,
	.finish = node_finish,
	.free_parts = node_free,
};
