/*
 * snapshot_node.c - one Kubernetes Node item (JSON text) -> struct node,
 * and the rules that span all nodes of a snapshot.
 *
 * This file and snapshot.c are the only places json-c is used; a json-c
 * tree exists for one Node item at a time and is freed before the next.
 *
 * Fields read (everything else is ignored):
 *   metadata.name        required; DNS-1123 subdomain, <= 253 characters
 *   spec.podCIDRs[]      CIDR strings, at most 2, at most one per family
 *   spec.podCIDR         used when podCIDRs is absent or empty; when both
 *                        are given it must equal podCIDRs[0]
 *   status.addresses[]   {type, address}; the first InternalIP of each
 *                        family is kept; other types are ignored
 * A field that is absent or JSON null counts as absent (a jq-slimmed
 * export writes null for a missing field). Any other wrong type, an
 * invalid CIDR (host bits must be zero) or an InternalIP that is not an
 * IP address is an error naming the item and the field's JSON path.
 */
#include "snapshot_int.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"
#include "util.h"

#define NAME_MAX_LEN 253

/* "FILE: items[I] Node/NAME: FIELD: what" */
static int node_err(struct snap_build *b, size_t item, const char *name,
		    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int node_err(struct snap_build *b, size_t item, const char *name,
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
	buf[o++] = '"';
	for (size_t i = 0; i < n && i < show && o + 6 < buflen; i++) {
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
		return node_err(b, item, name, field, "expected %s, got %s",
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
		return node_err(b, item, NULL, "metadata.name", "missing");
	s = json_object_get_string(name);
	len = (size_t)json_object_get_string_len(name);
	if (!dns1123_subdomain(s, len))
		return node_err(
		    b, item, NULL, "metadata.name", "invalid node name %s (%s)",
		    snapshot_quote(q, sizeof(q), s, len),
		    len > NAME_MAX_LEN ? "longer than 253 characters"
				       : "not a DNS-1123 subdomain");
	n->name = strdup(s);
	return n->name ? 0 : -ENOMEM;
}

/* Why prefix_parse_cidr() refused s, for the message. */
static const char *cidr_reason(const char *s)
{
	const char *slash = strchr(s, '/');
	char addr[64];
	struct prefix p;
	size_t alen;
	char *end;
	unsigned long len;

	if (!slash)
		return "no prefix length";
	alen = (size_t)(slash - s);
	if (alen >= sizeof(addr))
		return "bad address";
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (prefix_parse_addr(addr, &p) < 0)
		return "bad address";
	len = strtoul(slash + 1, &end, 10);
	if (slash[1] < '0' || slash[1] > '9' || *end || len > p.len ||
	    end - slash > 4 || (slash[1] == '0' && slash[2]))
		return "bad prefix length";
	return "host bits set";
}

static int parse_cidr(struct snap_build *b, size_t item, const char *name,
		      struct json_object *v, const char *field,
		      struct prefix *out)
{
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	char q[96];

	if (len == strlen(s) && prefix_parse_cidr(s, out) == 0)
		return 0;
	return node_err(b, item, name, field, "invalid CIDR %s (%s)",
			snapshot_quote(q, sizeof(q), s, len),
			len == strlen(s) ? cidr_reason(s) : "NUL byte");
}

static int pod_cidrs(struct snap_build *b, size_t item,
		     struct json_object *spec, struct snap_entry *e)
{
	struct node *n = &e->node;
	struct json_object *arr, *one;
	char field[40], a[PREFIX_STRLEN], q[PREFIX_STRLEN];
	struct prefix p, first = {0};
	size_t cnt = 0;
	int r;

	r = member(b, item, n->name, spec, "podCIDRs", json_type_array,
		   "spec.podCIDRs", &arr);
	if (r < 0)
		return r;
	cnt = r ? json_object_array_length(arr) : 0;
	if (cnt > FAM_COUNT)
		return node_err(b, item, n->name, "spec.podCIDRs",
				"%zu entries, at most 2 (one per family)", cnt);
	for (size_t i = 0; i < cnt; i++) {
		snprintf(field, sizeof(field), "spec.podCIDRs[%zu]", i);
		one = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(one, json_type_string))
			return node_err(b, item, n->name, field,
					"expected string, got %s",
					one ? type_name(one) : "null");
		r = parse_cidr(b, item, n->name, one, field, &p);
		if (r < 0)
			return r;
		if (prefix_present(&n->pod_cidr[fam_index(p.family)]))
			return node_err(
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
		return node_err(b, item, n->name, "spec.podCIDR",
				"%s differs from spec.podCIDRs[0] %s",
				prefix_format(&p, a, sizeof(a)),
				prefix_format(&first, q, sizeof(q)));
	}
	return 0;
}

static int one_address(struct snap_build *b, size_t item, struct node *n,
		       struct json_object *ent, size_t i)
{
	struct json_object *type, *addr;
	char field[64], q[96];
	struct prefix p;
	const char *s;
	size_t len;
	int r;

	snprintf(field, sizeof(field), "status.addresses[%zu]", i);
	if (!json_object_is_type(ent, json_type_object))
		return node_err(b, item, n->name, field,
				"expected object, got %s",
				ent ? type_name(ent) : "null");
	snprintf(field, sizeof(field), "status.addresses[%zu].type", i);
	r = member(b, item, n->name, ent, "type", json_type_string, field,
		   &type);
	if (r == 0)
		return node_err(b, item, n->name, field, "missing");
	if (r < 0)
		return r;
	snprintf(field, sizeof(field), "status.addresses[%zu].address", i);
	r = member(b, item, n->name, ent, "address", json_type_string, field,
		   &addr);
	if (r == 0)
		return node_err(b, item, n->name, field, "missing");
	if (r < 0)
		return r;
	if (strcmp(json_object_get_string(type), "InternalIP"))
		return 0;
	s = json_object_get_string(addr);
	len = (size_t)json_object_get_string_len(addr);
	if (len != strlen(s) || prefix_parse_addr(s, &p) < 0)
		return node_err(b, item, n->name, field,
				"InternalIP %s is not an IP address",
				snapshot_quote(q, sizeof(q), s, len));
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
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct snap_entry *p = realloc(b->ent, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		b->ent = p;
		b->cap = cap;
	}
	b->ent[b->n++] = *e;
	return 0;
}

int snapshot_node_add(struct snap_build *b, const char *json, size_t len,
		      size_t item)
{
	struct snap_entry e = {.item = item};
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
		return node_err(b, item, NULL, "(item)", "json-c: %s",
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

static int entry_by_name(const void *a, const void *b)
{
	return strcmp(((const struct snap_entry *)a)->node.name,
		      ((const struct snap_entry *)b)->node.name);
}

struct cidr_ref {
	struct prefix p;
	const struct snap_entry *e;
};

static int cidr_ref_cmp(const void *a, const void *b)
{
	const struct cidr_ref *x = a, *y = b;
	int r = prefix_cmp(&x->p, &y->p);

	if (r)
		return r;
	return x->e->item < y->e->item ? -1 : x->e->item > y->e->item;
}

static int overlap_err(struct snap_build *b, const struct cidr_ref *x,
		       const struct cidr_ref *y)
{
	const struct cidr_ref *late = x->e->item > y->e->item ? x : y;
	const struct cidr_ref *early = late == x ? y : x;
	char pl[PREFIX_STRLEN], pe[PREFIX_STRLEN];

	prefix_format(&late->p, pl, sizeof(pl));
	prefix_format(&early->p, pe, sizeof(pe));
	if (prefix_equal(&late->p, &early->p))
		return node_err(
		    b, late->e->item, late->e->node.name,
		    late->e->cidr_fallback ? "spec.podCIDR" : "spec.podCIDRs",
		    "pod CIDR %s is also used by Node/%s (items[%zu])", pl,
		    early->e->node.name, early->e->item);
	return node_err(b, late->e->item, late->e->node.name,
			late->e->cidr_fallback ? "spec.podCIDR"
					       : "spec.podCIDRs",
			"pod CIDR %s overlaps %s of Node/%s (items[%zu])", pl,
			pe, early->e->node.name, early->e->item);
}

/*
 * Sorted by address, pairwise disjoint prefixes are intervals in order, so
 * a prefix that overlaps any earlier one overlaps its direct predecessor
 * (the earlier one would contain everything in between).
 */
static int check_overlaps(struct snap_build *b)
{
	struct cidr_ref *refs = malloc(b->n * FAM_COUNT * sizeof(*refs));
	size_t m = 0;
	int r = 0;

	if (!refs)
		return -ENOMEM;
	for (size_t i = 0; i < b->n; i++)
		for (int f = 0; f < FAM_COUNT; f++)
			if (prefix_present(&b->ent[i].node.pod_cidr[f]))
				refs[m++] = (struct cidr_ref){
				    b->ent[i].node.pod_cidr[f], &b->ent[i]};
	qsort(refs, m, sizeof(*refs), cidr_ref_cmp);
	for (size_t i = 1; i < m && !r; i++)
		if (prefix_overlaps(&refs[i - 1].p, &refs[i].p))
			r = overlap_err(b, &refs[i - 1], &refs[i]);
	free(refs);
	return r;
}

int snapshot_nodes_check(struct snap_build *b)
{
	if (b->n == 0)
		return errf(b->err, b->errlen, EINVAL,
			    "%s: items: no Node item (a snapshot must list "
			    "the cluster's nodes)",
			    b->name);
	qsort(b->ent, b->n, sizeof(*b->ent), entry_by_name);
	for (size_t i = 1; i < b->n; i++) {
		const struct snap_entry *x = &b->ent[i - 1], *y = &b->ent[i];
		const struct snap_entry *late = x->item > y->item ? x : y;
		const struct snap_entry *early = late == x ? y : x;

		if (strcmp(x->node.name, y->node.name))
			continue;
		return node_err(b, late->item, late->node.name, "metadata.name",
				"duplicate node name (also items[%zu])",
				early->item);
	}
	return check_overlaps(b);
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
