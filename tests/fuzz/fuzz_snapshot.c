/*
 * fuzz_snapshot.c - libFuzzer target for the snapshot loader.
 *
 * Each input is an untrusted snapshot file. It goes through
 * snapshot_parse() twice, with the default limits and with tiny ones, and
 * through snapshot_load() from a memfd (the mmap, hash and SIGBUS-guard
 * path the agent really uses). Besides the sanitizers, the target checks
 * what the loader promises and aborts when a promise is broken:
 *   - failure: a negative errno from the documented set, *out NULL and a
 *     non-empty, NUL-terminated message; success: *out set;
 *   - a snapshot is sorted by unique name, every node name is a valid
 *     DNS-1123 subdomain, every pod CIDR and InternalIP sits in the slot of
 *     its family with a legal length and no host bits, pod CIDRs never
 *     overlap, no pod CIDR holds an InternalIP, InternalIPs are unique;
 *   - tiny limits can only turn a success into a limit error, never into a
 *     different snapshot; snapshot_load() and snapshot_parse() agree on
 *     the result, the message and the hash; loading the same bytes again
 *     with the first result as `prev` reports "unchanged" (1);
 *   - json-c, reading the whole document, finds as many items of kind
 *     "Node" as the snapshot has nodes, and each node's InternalIPs are
 *     the first addresses of type "InternalIP" of its family;
 *   - snapshot_find_node() finds every node and nothing else;
 *   - desired_build() for a node taken from the input keeps the
 *     invariants desired.c documents (routes sorted by destination and
 *     unique, next hop of the route's family, never overlapping this
 *     node's own pod CIDR) and fails with -ENOENT only for a name that is
 *     not in the snapshot.
 * The input is not NUL-terminated, so any read past its end is an ASan
 * report, not a lucky terminator.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <json-c/json.h>
#include <unistd.h>

#include "core/desired.h"
#include "lib/util.h"
#include "routes/route.h"
#include "snapshot/snapshot.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.json"
#define MAX_DESIRED 8 /* desired_build() calls per input */


static bool ok_errno(int r)
{
	switch (-r) {
	case EINVAL:
	case EFBIG:
	case E2BIG:
	case ENOMEM:
		return true;
	default:
		return false;
	}
}

static void check_failure(int r, const struct snapshot *s, const char *err,
			  size_t errlen)
{
	CHECK(ok_errno(r));
	CHECK(s == NULL);
	CHECK(memchr(err, '\0', errlen) != NULL);
	CHECK(err[0] != '\0');
}

static bool dns1123(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if ((c == '-' || c == '.') && i > 0 && i < n - 1 &&
		    s[i - 1] != '.' && s[i + 1] != '.')
			continue;
		return false;
	}
	return true;
}

static bool host_bits_zero(const struct prefix *p)
{
	unsigned bits = p->family == AF_INET ? 32 : 128;

	for (unsigned i = p->len; i < bits; i++)
		if (p->addr[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

static void check_prefix(const struct prefix *p, int f, bool host)
{
	int family = f == 0 ? AF_INET : AF_INET6;

	if (!prefix_present(p))
		return;
	CHECK(p->family == family);
	if (host) {
		CHECK(p->len == (family == AF_INET ? 32 : 128));
	} else if (family == AF_INET) {
		CHECK(p->len >= 8 && p->len <= 30);
	} else {
		CHECK(p->len >= 32 && p->len <= 126);
	}
	CHECK(host_bits_zero(p));
}

/* Quadratic, but a fuzz input has few nodes. */
static void check_snapshot(const struct snapshot *s, size_t size)
{
	CHECK(s->n_nodes > 0 && s->nodes);
	CHECK(s->size == size);
	CHECK(s->path && !strcmp(s->path, NAME));
	for (size_t i = 0; i < s->n_nodes; i++) {
		const struct node *a = s->nodes[i];

		CHECK(a->name && dns1123(a->name));
		if (i)
			CHECK(strcmp(s->nodes[i - 1]->name, a->name) < 0);
		CHECK(snapshot_find_node(s, a->name) == a);
		for (int f = 0; f < FAM_COUNT; f++) {
			check_prefix(&a->pod_cidr[f], f, false);
			check_prefix(&a->internal_ip[f], f, true);
		}
		for (size_t j = 0; j < s->n_nodes; j++) {
			const struct node *b = s->nodes[j];

			for (int f = 0; f < FAM_COUNT; f++) {
				if (prefix_present(&a->pod_cidr[f]))
					CHECK(!prefix_contains(
					    &a->pod_cidr[f],
					    &b->internal_ip[f]));
				if (i == j)
					continue;
				if (prefix_present(&a->pod_cidr[f]))
					CHECK(!prefix_overlaps(
					    &a->pod_cidr[f], &b->pod_cidr[f]));
				if (prefix_present(&a->internal_ip[f]))
					CHECK(
					    !prefix_equal(&a->internal_ip[f],
							  &b->internal_ip[f]));
			}
		}
	}
	CHECK(s->counts.nodes == s->n_nodes);
	CHECK(s->counts.items >= s->counts.nodes);
}

static void check_desired(const struct snapshot *s, const struct node *self,
			  const struct route_desire *d)
{
	for (size_t i = 0; i < d->n_routes; i++) {
		const struct route_want *w = &d->routes[i];
		int f = fam_index(w->dst.family);

		CHECK(prefix_present(&w->dst));
		CHECK(w->via.family == w->dst.family);
		CHECK(w->via.len == (w->via.family == AF_INET ? 32 : 128));
		CHECK(w->node && strcmp(w->node, self->name));
		CHECK(snapshot_find_node(s, w->node) != NULL);
		if (i)
			CHECK(prefix_cmp(&d->routes[i - 1].dst, &w->dst) < 0);
		if (prefix_present(&self->pod_cidr[f]))
			CHECK(!prefix_overlaps(&w->dst, &self->pod_cidr[f]));
		CHECK(prefix_present(&self->internal_ip[f]));
		CHECK(!prefix_equal(&w->via, &self->internal_ip[f]));
	}
	for (size_t i = 0; i < d->n_notes; i++)
		CHECK(memchr(d->notes[i].text, '\0', sizeof(d->notes[i].text)));
}

static void try_desired(const struct snapshot *s, const char *name)
{
	const struct node *self = snapshot_find_node(s, name);
	struct route_desire *rd = NULL;
	struct desired *d = NULL;
	char err[ERRLEN];
	int r;

	r = desired_build(s, name, &d, err, sizeof(err));
	if (!self) {
		CHECK(r == -ENOENT && d == NULL);
		return;
	}
	CHECK(r == 0 && d != NULL);
	CHECK(d->node_name == self->name && d->self == self);
	CHECK(route_desire_build(s, self, &rd) == 0 && rd != NULL);
	check_desired(s, self, rd);
	route_desire_free(rd);
	desired_free(d);
}

/* A name "taken from the input": the first metadata.name-looking string
 * if any (it may or may not have become a node), else the input's first
 * bytes. Either way a NUL-terminated copy of at most 253 bytes. */
static void input_name(const uint8_t *data, size_t size, char *out,
		       size_t outlen)
{
	static const char key[] = "\"name\"";
	const uint8_t *p = memmem(data, size, key, sizeof(key) - 1);
	const uint8_t *end = data + size;
	size_t n = 0;

	if (p) {
		p += sizeof(key) - 1;
		while (p < end && *p != '"')
			p++;
		if (p < end)
			p++;
	} else {
		p = data;
	}
	while (p < end && *p != '"' && *p && n + 1 < outlen)
		out[n++] = (char)*p++;
	out[n] = '\0';
}

static void try_nodes(const struct snapshot *s, const uint8_t *data,
		      size_t size)
{
	char name[254];
	size_t step;

	input_name(data, size, name, sizeof(name));
	try_desired(s, name);
	/* and some nodes that are surely there, spread over the list */
	step = s->n_nodes / MAX_DESIRED + 1;
	for (size_t i = 0; i < s->n_nodes; i += step)
		try_desired(s, s->nodes[i]->name);
	CHECK(snapshot_find_node(s, "") == NULL);
	CHECK(snapshot_find_node(s, "-absent-") == NULL);
}

static bool json_str_is(struct json_object *o, const char *lit)
{
	size_t n = strlen(lit);

	return json_object_is_type(o, json_type_string) &&
	       (size_t)json_object_get_string_len(o) == n &&
	       !memcmp(json_object_get_string(o), lit, n);
}

/* json-c's view of one Node item: its first InternalIP of each family
 * (type exactly "InternalIP") is the node's. */
static void check_node_ips(const struct snapshot *s, struct json_object *it)
{
	struct json_object *meta, *name, *status, *addrs, *type, *addr;
	struct prefix want[FAM_COUNT] = { 0 }, p;
	const struct node *n;

	CHECK(json_object_object_get_ex(it, "metadata", &meta));
	CHECK(json_object_object_get_ex(meta, "name", &name));
	n = snapshot_find_node(s, json_object_get_string(name));
	CHECK(n);
	if (json_object_object_get_ex(it, "status", &status) &&
	    json_object_object_get_ex(status, "addresses", &addrs) && addrs) {
		for (size_t i = 0; i < json_object_array_length(addrs); i++) {
			struct json_object *a =
			    json_object_array_get_idx(addrs, i);

			if (!json_object_object_get_ex(a, "type", &type) ||
			    !json_str_is(type, "InternalIP") ||
			    !json_object_object_get_ex(a, "address", &addr))
				continue;
			CHECK(prefix_parse_addr(json_object_get_string(addr),
						&p) == 0);
			if (!prefix_present(&want[fam_index(p.family)]))
				want[fam_index(p.family)] = p;
		}
	}
	for (int f = 0; f < FAM_COUNT; f++) {
		if (prefix_equal(&want[f], &n->internal_ip[f]))
			continue;
		fprintf(stderr,
			"node %s: loader and json-c disagree on its "
			"InternalIP\n",
			n->name);
		CHECK(!"InternalIP not from an address of type InternalIP");
	}
}

/* Independently of the scanner: json-c's view of the whole document.
 * Exactly the items whose kind is the string "Node" are nodes. */
static void check_kinds(const uint8_t *data, size_t size,
			const struct snapshot *s)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	struct json_object *root, *items, *kind;
	size_t nodes = 0;

	CHECK(tok);
	root = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	CHECK(root && json_object_object_get_ex(root, "items", &items));
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		struct json_object *it = json_object_array_get_idx(items, i);

		if (!json_object_object_get_ex(it, "kind", &kind) ||
		    !json_str_is(kind, "Node"))
			continue;
		nodes++;
		check_node_ips(s, it);
	}
	if (nodes != s->n_nodes) {
		fprintf(stderr, "json-c sees %zu Node items, loader %zu\n",
			nodes, s->n_nodes);
		CHECK(!"an item that is not a Node became a node");
	}
	json_object_put(root);
	json_tokener_free(tok);
}

static bool same_snapshot(const struct snapshot *a, const struct snapshot *b)
{
	if (a->n_nodes != b->n_nodes || a->hash != b->hash ||
	    a->size != b->size ||
	    memcmp(&a->counts, &b->counts, sizeof(a->counts)))
		return false;
	for (size_t i = 0; i < a->n_nodes; i++) {
		const struct node *x = a->nodes[i], *y = b->nodes[i];

		if (strcmp(x->name, y->name) ||
		    memcmp(x->pod_cidr, y->pod_cidr, sizeof(x->pod_cidr)) ||
		    memcmp(x->internal_ip, y->internal_ip,
			   sizeof(x->internal_ip)))
			return false;
	}
	return true;
}

static int parse(const uint8_t *data, size_t size,
		 const struct snap_limits *lim, struct snapshot **s, char *err,
		 size_t errlen)
{
	int r;

	err[0] = '\0';
	r = snapshot_parse((const char *)data, size, NAME, lim, s, err, errlen);
	if (r < 0)
		check_failure(r, *s, err, errlen);
	else
		CHECK(r == 0 && *s != NULL);
	return r;
}

/* The agent's own path: a file, mmap'd, hashed and parsed under the
 * SIGBUS guard. It must agree with snapshot_parse() on everything but
 * the file name in the message. */
static void load_agrees(const uint8_t *data, size_t size,
			const struct snapshot *ref, int ref_r)
{
	struct snapshot *s = NULL, *again = NULL, *tmp = NULL;
	char err[ERRLEN], want[ERRLEN];
	int r;

	const char *memfd_path = fuzz_file(data, size);

	err[0] = '\0';
	r = snapshot_load(memfd_path, NULL, NULL, &s, err, sizeof(err));
	CHECK(r == ref_r);
	if (r < 0) {
		check_failure(r, s, err, sizeof(err));
		/* the same message with the other file name */
		r = snapshot_parse((const char *)data, size, memfd_path, NULL,
				   &tmp, want, sizeof(want));
		CHECK(r == ref_r && !tmp);
		if (strcmp(err, want)) {
			fprintf(stderr, "load: %s\nparse: %s\n", err, want);
			CHECK(!"snapshot_load and snapshot_parse disagree");
		}
		return;
	}
	CHECK(s && s->hash == ref->hash && s->size == ref->size);
	free(s->path);
	s->path = strdup(NAME);
	CHECK(s->path && same_snapshot(s, ref));
	r = snapshot_load(memfd_path, NULL, s, &again, err, sizeof(err));
	CHECK(r == 1 && again == NULL);
	snapshot_free(s);
}

/* The model as text (snapshot_dump), malloc'd. */
static char *dump_text(const struct snapshot *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f != NULL);
	CHECK(snapshot_dump(s, f) == 0);
	fclose(f);
	return buf;
}

/* The per-item cache: the same bytes loaded with the snapshot in force
 * reuse every record and give the same model; so does a load with an
 * unrelated previous snapshot (nothing to reuse). */
static void cache_agrees(const uint8_t *data, size_t size,
			 const struct snapshot *ref)
{
	static const char other[] =
	    "{\"kind\":\"List\",\"items\":[{\"kind\":\"Node\","
	    "\"metadata\":{\"name\":\"zz\"}}]}";
	struct snapshot *again = NULL, *o = NULL, *via = NULL;
	char err[ERRLEN], *a, *b;
	int r;

	r = snapshot_parse_prev((const char *)data, size, NAME, NULL, ref,
				&again, err, sizeof(err));
	CHECK(r == 0 && again);
	a = dump_text(ref);
	b = dump_text(again);
	if (strcmp(a, b)) {
		fprintf(stderr, "cold:\n%s\nreloaded:\n%s\n", a, b);
		CHECK(!"a reload of the same bytes gave another model");
	}
	free(b);
	CHECK(snapshot_parse(other, sizeof(other) - 1, NAME, NULL, &o, err,
			     sizeof(err)) == 0);
	r = snapshot_parse_prev((const char *)data, size, NAME, NULL, o, &via,
				err, sizeof(err));
	CHECK(r == 0 && via);
	b = dump_text(via);
	CHECK(!strcmp(a, b));
	free(a);
	free(b);
	snapshot_free(again);
	snapshot_free(via);
	snapshot_free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct snap_limits tiny = {
		/* small enough that short inputs reach every limit */
		.max_bytes = 1024,
		.max_items = 3,
		.max_nodes = 1,
		.max_item_bytes = 300,
	};
	struct snapshot *s = NULL, *t = NULL;
	char err[ERRLEN], terr[ERRLEN];
	struct snap_limits def;
	int r, tr;

	snapshot_limits_default(&def);
	r = parse(data, size, &def, &s, err, sizeof(err));
	tr = parse(data, size, &tiny, &t, terr, sizeof(terr));
	if (r < 0) {
		/* limits only ever add errors... but they may be found
		 * earlier than the content error the defaults reach */
		CHECK(tr < 0);
	} else {
		check_snapshot(s, size);
		check_kinds(data, size, s);
		try_nodes(s, data, size);
		cache_agrees(data, size, s);
		if (tr == 0)
			CHECK(same_snapshot(s, t));
		else
			CHECK(tr == -EFBIG || tr == -E2BIG);
	}
	load_agrees(data, size, s, r);
	snapshot_free(s);
	snapshot_free(t);
	return 0;
}
