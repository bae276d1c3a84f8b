/*
 * snapshot_node.c - one Kubernetes Node item (JSON text) -> struct node.
 *
 * This file and snapshot.c are the only places json-c is used; a json-c
 * tree exists for one Node item (at most 1 MiB of text) at a time and is
 * freed before the next. The rules across nodes are in snapshot_check.c.
 *
 * Fields read (everything else is ignored):
 *   metadata.name        required; DNS-1123 subdomain, <= 253 characters
 *   spec.podCIDRs[]      CIDR strings, at most 2, at most one per family
 *   spec.podCIDR         used when podCIDRs is absent or empty; when both
 *                        are given it must equal podCIDRs[0]
 *   status.addresses[]   {type, address}, at most 64 entries; the first
 *                        InternalIP of each family is kept; other types
 *                        are ignored
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
#include "snapshot/snapshot_int.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/scan.h"
#include "lib/util.h"

#define NAME_MAX_LEN 253

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

int snapshot_node_err(struct snap_build *b, size_t item, const char *name,
		      const char *field, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return errf(b->err, b->errlen, EINVAL,
		    "%s: items[%zu] Node%s%s: %s: %s", b->name, item,
		    name ? "/" : "", name ? name : "", field, what);
}

char *snapshot_quote(char *buf, size_t buflen, const char *s, size_t n)
{
	const size_t show = 64;
	size_t o = 0;

	if (buflen < 8) {
		if (buflen)
			buf[0] = '\0';
		return buf;
	}
	size_t end = n < show ? n : show;

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

static const char *type_name(const struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_int:
	case json_type_double:
		return "number";
	default:
		return json_type_to_name(json_object_get_type(o));
	}
}

/* Looks up key in obj. Returns 1 with *out set when present with type t,
 * 0 when absent or null, or an error naming `field`. */
static int member(struct snap_build *b, size_t item, const char *name,
		  struct json_object *obj, const char *key, enum json_type t,
		  const char *field, struct json_object **out)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, t))
		return snapshot_node_err(b, item, name, field,
					 "expected %s, got %s",
					 json_type_to_name(t), type_name(v));
	*out = v;
	return 1;
}

static bool is_alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* RFC 1123 subdomain as Kubernetes checks object names. */
static bool dns1123_subdomain(const char *s, size_t n)
{
	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool edge =
		    i == 0 || i == n - 1 || s[i - 1] == '.' || s[i + 1] == '.';

		if (is_alnum_lower(c))
			continue;
		if ((c == '-' || c == '.') && !edge)
			continue;
		return false;
	}
	return true;
}

static int node_name(struct snap_build *b, size_t item,
		     struct json_object *root, struct node *n)
{
	struct json_object *meta, *name;
	char q[96];
	const char *s;
	size_t len;
	int r;

	r = member(b, item, NULL, root, "metadata", json_type_object,
		   "metadata", &meta);
	if (r > 0)
		r = member(b, item, NULL, meta, "name", json_type_string,
			   "metadata.name", &name);
	if (r < 0)
		return r;
	if (r == 0)
		return snapshot_node_err(b, item, NULL, "metadata.name",
					 "missing");
	s = json_object_get_string(name);
	len = (size_t)json_object_get_string_len(name);
	if (!dns1123_subdomain(s, len))
		return snapshot_node_err(
		    b, item, NULL, "metadata.name", "invalid node name %s (%s)",
		    snapshot_quote(q, sizeof(q), s, len),
		    len > NAME_MAX_LEN ? "longer than 253 characters"
				       : "not a DNS-1123 subdomain");
	n->name = strdup(s);
	return n->name ? 0 : -ENOMEM;
}

/* The first reserved range p overlaps, or NULL. */
static const char *reserved_overlap(const struct prefix *p,
				    struct prefix *range)
{
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++) {
		if (prefix_overlaps(&reserved[i].p, p)) {
			*range = reserved[i].p;
			return reserved[i].what;
		}
	}
	return NULL;
}

static int pod_cidr_rules(struct snap_build *b, size_t item, const char *name,
			  const char *field, const struct prefix *p)
{
	int f = fam_index(p->family);
	char a[PREFIX_STRLEN], q[PREFIX_STRLEN];
	struct prefix range;
	const char *what;

	if (p->len < pod_len_min[f] || p->len > pod_len_max[f])
		return snapshot_node_err(
		    b, item, name, field,
		    "pod CIDR %s has prefix length /%u; %s pod CIDRs must be "
		    "/%u to /%u",
		    prefix_format(p, a, sizeof(a)), p->len, fam_name(p->family),
		    pod_len_min[f], pod_len_max[f]);
	what = reserved_overlap(p, &range);
	if (what)
		return snapshot_node_err(
		    b, item, name, field, "pod CIDR %s overlaps %s (%s)",
		    prefix_format(p, a, sizeof(a)),
		    prefix_format(&range, q, sizeof(q)), what);
	return 0;
}

static int parse_cidr(struct snap_build *b, size_t item, const char *name,
		      struct json_object *v, const char *field,
		      struct prefix *out)
{
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	const char *why = "NUL byte";
	char q[96];

	if (len == strlen(s) && prefix_parse_cidr_why(s, out, &why) == 0)
		return pod_cidr_rules(b, item, name, field, out);
	return snapshot_node_err(b, item, name, field, "invalid CIDR %s (%s)",
				 snapshot_quote(q, sizeof(q), s, len), why);
}

static int pod_cidrs(struct snap_build *b, size_t item,
		     struct json_object *spec, struct snap_entry *e)
{
	struct node *n = &e->node;
	struct json_object *arr, *one;
	char field[40], a[PREFIX_STRLEN], q[PREFIX_STRLEN];
	struct prefix p, first = { 0 };
	size_t cnt = 0;
	int r;

	r = member(b, item, n->name, spec, "podCIDRs", json_type_array,
		   "spec.podCIDRs", &arr);
	if (r < 0)
		return r;
	cnt = r ? json_object_array_length(arr) : 0;
	if (cnt > FAM_COUNT)
		return snapshot_node_err(
		    b, item, n->name, "spec.podCIDRs",
		    "%zu entries, at most 2 (one per family)", cnt);
	for (size_t i = 0; i < cnt; i++) {
		snprintf(field, sizeof(field), "spec.podCIDRs[%zu]", i);
		one = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(one, json_type_string))
			return snapshot_node_err(b, item, n->name, field,
						 "expected string, got %s",
						 one ? type_name(one) : "null");
		r = parse_cidr(b, item, n->name, one, field, &p);
		if (r < 0)
			return r;
		if (prefix_present(&n->pod_cidr[fam_index(p.family)]))
			return snapshot_node_err(
			    b, item, n->name, field,
			    "second %s CIDR %s (at most one per family)",
			    fam_name(p.family),
			    prefix_format(&p, a, sizeof(a)));
		n->pod_cidr[fam_index(p.family)] = p;
		if (i == 0)
			first = p;
	}

	r = member(b, item, n->name, spec, "podCIDR", json_type_string,
		   "spec.podCIDR", &one);
	if (r <= 0)
		return r;
	r = parse_cidr(b, item, n->name, one, "spec.podCIDR", &p);
	if (r < 0)
		return r;
	if (cnt == 0) {
		n->pod_cidr[fam_index(p.family)] = p;
		e->cidr_fallback = true;
	} else if (!prefix_equal(&p, &first)) {
		return snapshot_node_err(b, item, n->name, "spec.podCIDR",
					 "%s differs from spec.podCIDRs[0] %s",
					 prefix_format(&p, a, sizeof(a)),
					 prefix_format(&first, q, sizeof(q)));
	}
	return 0;
}

/* status.addresses[i].KEY: a string that must be there. */
static int address_member(struct snap_build *b, size_t item, const char *name,
			  struct json_object *ent, size_t i, const char *key,
			  struct json_object **out)
{
	char field[64];
	int r;

	snprintf(field, sizeof(field), "status.addresses[%zu].%s", i, key);
	r = member(b, item, name, ent, key, json_type_string, field, out);
	if (r == 0)
		return snapshot_node_err(b, item, name, field, "missing");
	return r < 0 ? r : 0;
}

static int one_address(struct snap_build *b, size_t item, struct node *n,
		       struct json_object *ent, size_t i)
{
	struct json_object *type, *addr;
	char field[64], q[96];
	struct prefix p, range;
	const char *s, *what;
	size_t len;
	int r;

	snprintf(field, sizeof(field), "status.addresses[%zu]", i);
	if (!json_object_is_type(ent, json_type_object))
		return snapshot_node_err(b, item, n->name, field,
					 "expected object, got %s",
					 ent ? type_name(ent) : "null");
	r = address_member(b, item, n->name, ent, i, "type", &type);
	if (r < 0)
		return r;
	r = address_member(b, item, n->name, ent, i, "address", &addr);
	if (r < 0)
		return r;
	snprintf(field, sizeof(field), "status.addresses[%zu].address", i);
	/* by length too: "InternalIP\u0000" is not an InternalIP */
	if (json_object_get_string_len(type) != sizeof("InternalIP") - 1 ||
	    strcmp(json_object_get_string(type), "InternalIP"))
		return 0;
	s = json_object_get_string(addr);
	len = (size_t)json_object_get_string_len(addr);
	if (len != strlen(s) || prefix_parse_addr(s, &p) < 0)
		return snapshot_node_err(b, item, n->name, field,
					 "InternalIP %s is not an IP address",
					 snapshot_quote(q, sizeof(q), s, len));
	what = reserved_overlap(&p, &range);
	if (what)
		return snapshot_node_err(
		    b, item, n->name, field, "InternalIP %s is in %s (%s)", s,
		    prefix_format(&range, q, sizeof(q)), what);
	if (!prefix_present(&n->internal_ip[fam_index(p.family)]))
		n->internal_ip[fam_index(p.family)] = p;
	return 0;
}

static int node_convert(struct snap_build *b, size_t item,
			struct json_object *root, struct snap_entry *e)
{
	struct node *n = &e->node;
	struct json_object *spec, *status, *addrs;
	int r;

	r = node_name(b, item, root, n);
	if (r < 0)
		return r;
	r = member(b, item, n->name, root, "spec", json_type_object, "spec",
		   &spec);
	if (r > 0)
		r = pod_cidrs(b, item, spec, e);
	if (r < 0)
		return r;
	r = member(b, item, n->name, root, "status", json_type_object, "status",
		   &status);
	if (r > 0)
		r = member(b, item, n->name, status, "addresses",
			   json_type_array, "status.addresses", &addrs);
	if (r <= 0)
		return r;
	if (json_object_array_length(addrs) > SNAP_MAX_ADDRESSES)
		return snapshot_node_err(b, item, n->name, "status.addresses",
					 "%zu entries, at most %d",
					 json_object_array_length(addrs),
					 SNAP_MAX_ADDRESSES);
	for (size_t i = 0; i < json_object_array_length(addrs); i++) {
		r = one_address(b, item, n, json_object_array_get_idx(addrs, i),
				i);
		if (r < 0)
			return r;
	}
	return 0;
}

static int entry_push(struct snap_build *b, const struct snap_entry *e)
{
	if (array_grow(&b->ent, &b->cap, b->n + 1, sizeof(*b->ent)) < 0)
		return -ENOMEM;
	b->ent[b->n++] = *e;
	return 0;
}

int snapshot_node_add(struct snap_build *b, const char *json, size_t len,
		      size_t item)
{
	struct snap_entry e = { .item = item };
	struct json_object *root;
	enum json_tokener_error jerr;
	int r;

	if (!b->tok) {
		b->tok = json_tokener_new_ex(SCAN_MAX_DEPTH);
		if (!b->tok)
			return -ENOMEM;
	}
	json_tokener_reset(b->tok);
	root = json_tokener_parse_ex(b->tok, json, (int)len);
	jerr = json_tokener_get_error(b->tok);
	if (!root || jerr != json_tokener_success) {
		/* the scanner accepted these bytes: json-c disagreeing is
		 * a limit of json-c, still reported against the item */
		json_object_put(root);
		return snapshot_node_err(b, item, NULL, "(item)", "json-c: %s",
					 json_tokener_error_desc(jerr));
	}
	r = node_convert(b, item, root, &e);
	json_object_put(root);
	if (r == 0)
		r = entry_push(b, &e);
	if (r < 0) {
		free(e.node.name);
		if (r == -ENOMEM)
			errf(b->err, b->errlen, ENOMEM, "%s: items[%zu]: %s",
			     b->name, item, strerror(ENOMEM));
	}
	return r;
}

void snapshot_build_clear(struct snap_build *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->ent[i].node.name);
	free(b->ent);
	b->ent = NULL;
	b->n = b->cap = 0;
	if (b->tok)
		json_tokener_free(b->tok);
	b->tok = NULL;
}
