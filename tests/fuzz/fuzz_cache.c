/*
 * fuzz_cache.c - differential libFuzzer target for the per-item cache.
 *
 * The daemon loads each new snapshot with the last good one as `prev`, so
 * unchanged items reuse prev's records (snapshot_item.c) and the lookups
 * are rebuilt over a mix of old and new records (snapshot_index.c). None
 * of that may change the result: a warm load must be indistinguishable
 * from a cold one. An input is two documents, A "\n%%\n" B. The target
 * loads A cold and, when A is good:
 *   - B cold and B warm (prev = A) agree on the return code and the
 *     message, and when good on the model (snapshot_dump()), on the views
 *     pods_by_node and slices_by_svc, on every lookup (pods on each node,
 *     slices of each service, pods and policies of each namespace, the
 *     find functions) and on the counts;
 *   - B warm again with A as prev (after a failed load the agent keeps
 *     A) gives the same;
 *   - going back, A warm with the warm B as prev, gives cold A.
 * Seeds are pairs made from examples/ by tests/fuzz/run.sh.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/snapshot.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.json"
#define SEP "\n%%\n"

static const char *opt(const char *s)
{
	return s ? s : "-";
}

static void dump_views(const struct snapshot *s, FILE *f)
{
	for (size_t i = 0; i < s->n_pods; i++)
		fprintf(f, "by_node %s %s/%s\n", opt(s->pods_by_node[i]->node),
			s->pods_by_node[i]->ns, s->pods_by_node[i]->name);
	for (size_t i = 0; i < s->n_slices; i++)
		fprintf(f, "by_svc %s/%s %s\n", s->slices_by_svc[i]->ns,
			opt(s->slices_by_svc[i]->service),
			s->slices_by_svc[i]->name);
}

/* Every lookup over every name the snapshot holds; the find functions
 * must return the very record the sorted arrays hold. */
static void dump_lookups(const struct snapshot *s, FILE *f)
{
	for (size_t i = 0; i < s->n_nodes; i++) {
		const char *n = s->nodes[i]->name;
		struct span sp = snapshot_pods_on(s, n);

		CHECK(snapshot_find_node(s, n) == s->nodes[i]);
		fprintf(f, "pods_on %s %u+%u\n", n, sp.first, sp.n);
	}
	for (size_t i = 0; i < s->n_services; i++) {
		const struct service *v = s->services[i];
		struct span sp = snapshot_slices_of(s, v->ns, v->name);

		CHECK(snapshot_find_service(s, v->ns, v->name) == v);
		fprintf(f, "slices_of %s/%s %u+%u\n", v->ns, v->name, sp.first,
			sp.n);
	}
	for (size_t i = 0; i < s->n_namespaces; i++) {
		const char *n = s->namespaces[i]->name;
		struct span sp = snapshot_pods_in(s, n);
		struct span sq = snapshot_policies_in(s, n);

		CHECK(snapshot_find_namespace(s, n) == s->namespaces[i]);
		fprintf(f, "ns %s pods %u+%u policies %u+%u\n", n, sp.first,
			sp.n, sq.first, sq.n);
	}
}

/* All of a snapshot that a function can see, as text. */
static char *text_of(const struct snapshot *s)
{
	const struct snapshot_counts *c = &s->counts;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f);
	CHECK(snapshot_dump(s, f) == 0);
	dump_views(s, f);
	dump_lookups(s, f);
	fprintf(f, "counts %zu %zu %zu %zu %zu %zu %zu %zu\n", c->items,
		c->namespaces, c->nodes, c->pods, c->services,
		c->endpointslices, c->policies, c->other);
	CHECK(fclose(f) == 0);
	return buf;
}

static void same(const struct snapshot *cold, const struct snapshot *warm,
		 const char *what)
{
	char *a = text_of(cold), *b = text_of(warm);

	if (strcmp(a, b)) {
		fprintf(stderr, "%s: cold and warm differ\ncold:\n%s\nwarm:\n%s\n",
			what, a, b);
		CHECK(!"a warm load differs from a cold one");
	}
	free(a);
	free(b);
}

struct load {
	int r;
	struct snapshot *s;
	char err[512];
};

static void parse(struct load *l, const char *buf, size_t len,
		  const struct snapshot *prev)
{
	l->s = NULL;
	l->err[0] = '\0';
	l->r = prev ? snapshot_parse_prev(buf, len, NAME, NULL, prev, &l->s,
					  l->err, sizeof(l->err))
		    : snapshot_parse(buf, len, NAME, NULL, &l->s, l->err,
				     sizeof(l->err));
	CHECK((l->r == 0) == (l->s != NULL));
}

/* A warm load of the bytes `cold` was made from. */
static void agree(const struct load *cold, const struct load *warm,
		  const char *what)
{
	if (cold->r != warm->r || strcmp(cold->err, warm->err)) {
		fprintf(stderr, "%s: cold %d %s\n%s: warm %d %s\n", what,
			cold->r, cold->err, what, warm->r, warm->err);
		CHECK(!"a warm load's result differs from a cold one's");
	}
	if (cold->r == 0)
		same(cold->s, warm->s, what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *a = (const char *)data;
	const char *sep = memmem(a, size, SEP, strlen(SEP));
	struct load ca, cb, wb, wb2, wa;
	size_t la, lb;
	const char *b;

	if (!sep)
		return 0;
	la = (size_t)(sep - a);
	b = sep + strlen(SEP);
	lb = size - la - strlen(SEP);
	parse(&ca, a, la, NULL);
	if (ca.r != 0)
		return 0;
	parse(&cb, b, lb, NULL);
	parse(&wb, b, lb, ca.s);
	agree(&cb, &wb, "B");
	parse(&wb2, b, lb, ca.s);
	agree(&cb, &wb2, "B again");
	if (wb.r == 0) {
		parse(&wa, a, la, wb.s);
		agree(&ca, &wa, "A back");
		snapshot_free(wa.s);
	}
	snapshot_free(ca.s);
	snapshot_free(cb.s);
	snapshot_free(wb.s);
	snapshot_free(wb2.s);
	return 0;
}
