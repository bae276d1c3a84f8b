/*
 * fw_select.c - pure: which pods a policy selects and which a peer
 * admits, and the canonical bytes that name their sets.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "firewall/fw.h"
#include "firewall/fw_int.h"
#include "snapshot/snapshot.h"

#define NS_NAME_LABEL "kubernetes.io/metadata.name"

bool fw_pod_eligible(const struct pod *p, int family)
{
	return !p->host_network && p->phase != PHASE_SUCCEEDED &&
	       p->phase != PHASE_FAILED &&
	       prefix_present(&p->ip[fam_index(family)]);
}

/* The interned key of the namespace-name label when sel asks for it. */
static const char *ns_name_key(const struct selector *sel)
{
	for (uint32_t i = 0; i < sel->n_reqs; i++)
		if (!strcmp(sel->reqs[i].key, NS_NAME_LABEL))
			return sel->reqs[i].key;
	return NULL;
}

bool fw_ns_match(const struct selector *sel, const struct namespace *ns,
		 const char *ns_name)
{
	static const struct labels none = { 0 };
	const struct labels *l = ns ? &ns->labels : &none;
	const char *key = sel->set ? ns_name_key(sel) : NULL;
	struct label stack[32], *v;
	struct labels with;
	bool ok;

	if (!key || labels_get(l, key))
		return selector_match(sel, l);
	/* the API server's label, which a hand-written Namespace (or a
	 * pod whose Namespace item is missing) may lack */
	v = l->n < ARRAY_SIZE(stack) ? stack : malloc((l->n + 1) * sizeof(*v));
	if (!v)
		return false; /* out of memory: admit nobody */
	if (l->n)
		memcpy(v, l->v, l->n * sizeof(*v));
	v[l->n] = (struct label){ key, ns ? ns->name : ns_name };
	with = (struct labels){ v, l->n + 1 };
	ok = selector_match(sel, &with);
	if (v != stack)
		free(v);
	return ok;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int req_text(const struct sel_req *q, struct fw_buf *b)
{
	const char **v = NULL;
	int e = 0;

	if (q->n_values) {
		v = malloc(q->n_values * sizeof(*v));
		if (!v)
			return -ENOMEM;
		memcpy(v, q->values, q->n_values * sizeof(*v));
		qsort(v, q->n_values, sizeof(*v), cmp_str);
	}
	e = fw_buf_printf(b, "%s\x1f%d", q->key, q->op);
	for (uint32_t i = 0; !e && i < q->n_values; i++)
		e = fw_buf_printf(b, "\x1f%s", v[i]);
	free(v);
	return e;
}

int fw_sel_key(const struct selector *sel, struct fw_buf *out)
{
	struct fw_buf *t;
	const char **sorted;
	int e = 0;

	if (!sel->set)
		return fw_buf_printf(out, "-");
	if (!sel->n_reqs)
		return fw_buf_printf(out, "{}");
	t = calloc(sel->n_reqs, sizeof(*t));
	sorted = calloc(sel->n_reqs, sizeof(*sorted));
	if (!t || !sorted) {
		e = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; !e && i < sel->n_reqs; i++) {
		e = req_text(&sel->reqs[i], &t[i]);
		sorted[i] = t[i].s;
	}
	if (e)
		goto out;
	qsort(sorted, sel->n_reqs, sizeof(*sorted), cmp_str);
	for (uint32_t i = 0; !e && i < sel->n_reqs; i++)
		e = fw_buf_printf(out, "%s%s", i ? "\x1e" : "", sorted[i]);
out:
	for (uint32_t i = 0; t && i < sel->n_reqs; i++)
		fw_buf_free(&t[i]);
	free(t);
	free(sorted);
	return e;
}

/* Does ip fall in the block and outside its excepts? */
static bool block_admits(const struct np_peer *peer, const struct prefix *ip)
{
	if (peer->cidr.family != ip->family ||
	    !prefix_contains(&peer->cidr, ip))
		return false;
	for (uint32_t i = 0; i < peer->n_except; i++)
		if (prefix_contains(&peer->except[i], ip))
			return false;
	return true;
}

/* Pods of one namespace run [first, end) that a peer admits. */
static int each_in_run(const struct snapshot *s, size_t first, size_t end,
		       const struct np_peer *peer, int family,
		       fw_pod_fn fn, void *arg)
{
	int e;

	for (size_t i = first; i < end; i++) {
		const struct pod *p = s->pods[i];

		if (!fw_pod_eligible(p, family))
			continue;
		if (peer && peer->ipblock &&
		    !block_admits(peer, &p->ip[fam_index(family)]))
			continue;
		if (peer && !peer->ipblock && peer->pods.set &&
		    !selector_match(&peer->pods, &p->labels))
			continue;
		e = fn(arg, p);
		if (e)
			return e;
	}
	return 0;
}

int fw_runs_build(const struct snapshot *s, struct fw_runs *out)
{
	size_t cap = 0;

	*out = (struct fw_runs){ .s = s };
	for (size_t i = 0, end; i < s->n_pods; i = end) {
		const char *ns = s->pods[i]->ns;

		for (end = i + 1; end < s->n_pods && s->pods[end]->ns == ns;)
			end++;
		if (array_grow(&out->v, &cap, out->n + 1, sizeof(*out->v)) < 0) {
			fw_runs_free(out);
			return -ENOMEM;
		}
		out->v[out->n++] = (struct fw_ns_run){
			ns, snapshot_find_namespace(s, ns), (uint32_t)i,
			(uint32_t)(end - i)
		};
	}
	return 0;
}

void fw_runs_free(struct fw_runs *r)
{
	free(r->v);
	*r = (struct fw_runs){ 0 };
}

int fw_peer_each(const struct fw_runs *runs, const char *pol_ns,
		 const struct np_peer *peer, int family, fw_pod_fn fn,
		 void *arg)
{
	const struct snapshot *s = runs->s;
	int e;

	if (peer && !peer->ipblock && !peer->namespaces.set) {
		struct span sp = snapshot_pods_in(s, pol_ns);

		return each_in_run(s, sp.first, sp.first + sp.n, peer, family,
				   fn, arg);
	}
	for (size_t i = 0; i < runs->n; i++) {
		const struct fw_ns_run *r = &runs->v[i];

		if (peer && !peer->ipblock &&
		    !fw_ns_match(&peer->namespaces, r->rec, r->ns))
			continue;
		e = each_in_run(s, r->first, r->first + r->n, peer, family, fn,
				arg);
		if (e)
			return e;
	}
	return 0;
}

int fw_proto_ip(int proto)
{
	switch (proto) {
	case PROTO_UDP:
		return IPPROTO_UDP;
	case PROTO_SCTP:
		return IPPROTO_SCTP;
	default:
		return IPPROTO_TCP;
	}
}

const char *fw_proto_arg(int proto)
{
	switch (proto) {
	case PROTO_UDP:
		return "udp";
	case PROTO_SCTP:
		return "sctp";
	default:
		return "tcp";
	}
}
