/*
 * snapshot_policy.c - NetworkPolicy items (networking.k8s.io/v1, all of
 * it) -> struct netpol, and label selectors compiled once and matched
 * (fields and rules in docs/model.md).
 *
 * The API's own validation and defaulting are applied here, so the
 * firewall reads a policy the way the API server would have stored it:
 * policyTypes absent or empty means Ingress, plus Egress when the policy
 * has egress rules; a peer is an ipBlock alone or selectors; ipBlock
 * CIDRs keep their network (host bits masked, as Go's ParseCIDR does)
 * and every `except` lies strictly inside its cidr; protocol defaults
 * to TCP; endPort needs a numeric port no larger than itself.
 *
 * A selector keeps interned keys and values, so matching compares
 * pointers: matchLabels become In with one value; NotIn and DoesNotExist
 * hold for an object that lacks the key; an empty selector matches
 * everything and an absent one (set == false) nothing.
 */
#include "snapshot/snapshot_kinds.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

char *snapshot_quote(char *buf, size_t buflen, const char *s, size_t n);

#define RULES_MAX 1024
#define PEERS_MAX 1024
#define NP_PORTS_MAX 1024
#define EXCEPT_MAX 256
#define EXPRS_MAX 64
#define VALUES_MAX 256

/* ---- selectors -------------------------------------------------- */

static bool has_value(const struct sel_req *q, const char *v)
{
	for (uint32_t i = 0; i < q->n_values; i++)
		if (q->values[i] == v)
			return true;
	return false;
}

bool selector_match(const struct selector *sel, const struct labels *l)
{
	if (!sel->set)
		return false;
	for (uint32_t i = 0; i < sel->n_reqs; i++) {
		const struct sel_req *q = &sel->reqs[i];
		const char *v = labels_get(l, q->key);
		bool ok;

		switch (q->op) {
		case SEL_IN:
			ok = v && has_value(q, v);
			break;
		case SEL_NOT_IN:
			ok = !v || !has_value(q, v);
			break;
		case SEL_EXISTS:
			ok = v != NULL;
			break;
		default:
			ok = v == NULL;
		}
		if (!ok)
			return false;
	}
	return true;
}

void selector_free(struct selector *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->n_reqs; i++)
		free(s->reqs[i].values);
	free(s->reqs);
	s->reqs = NULL;
	s->n_reqs = 0;
}

struct sel_build {
	struct selector *s;
	size_t cap_reqs;
	/* the requirements of matchLabels and of matchExpressions: each
	 * block is replaced when its key is given again */
	uint32_t lab_at, lab_n, exp_at, exp_n;
};

static void drop_block(struct sel_build *b, uint32_t *at, uint32_t *n,
		       uint32_t *other_at)
{
	struct selector *s = b->s;

	if (!*n)
		return;
	for (uint32_t i = *at; i < *at + *n; i++)
		free(s->reqs[i].values);
	memmove(&s->reqs[*at], &s->reqs[*at + *n],
		(s->n_reqs - *at - *n) * sizeof(*s->reqs));
	s->n_reqs -= *n;
	if (*other_at > *at)
		*other_at -= *n;
	*n = 0;
}

/* A new requirement, owned by the selector at once. */
static struct sel_req *req_add(struct walk *w, struct sel_build *b)
{
	struct selector *s = b->s;

	if (walk_grow(w, &s->reqs, &b->cap_reqs, s->n_reqs, sizeof(*s->reqs)))
		return NULL;
	memset(&s->reqs[s->n_reqs], 0, sizeof(*s->reqs));
	return &s->reqs[s->n_reqs++];
}

static int match_labels(struct walk *w, struct sel_build *b)
{
	struct labels l = { 0 };
	struct sel_req *q;
	int r;

	drop_block(b, &b->lab_at, &b->lab_n, &b->exp_at);
	b->lab_at = b->s->n_reqs;
	r = walk_map(w, "matchLabels", VALUES_MAX, 64u << 10, true, &l);

	for (uint32_t i = 0; r >= 0 && i < l.n; i++) {
		if (!(q = req_add(w, b)) ||
		    !(q->values = malloc(sizeof(*q->values)))) {
			r = -ENOMEM;
			break;
		}
		q->key = l.v[i].key;
		q->op = SEL_IN;
		q->values[0] = l.v[i].value;
		q->n_values = 1;
	}
	free(l.v); /* the strings are the record's */
	b->lab_n = b->s->n_reqs - b->lab_at;
	return r < 0 ? r : 0;
}

struct expr_build {
	struct sel_req *q;
	size_t cap;
	bool have_key, have_op, have_values;
};

static int value_elem(struct walk *w, size_t i, void *arg)
{
	struct expr_build *e = arg;
	char buf[128], q[96];
	const char *v;
	size_t len;
	int r = walk_string(w, NULL, buf, sizeof(buf), &len);

	(void)i;
	if (r <= 0)
		return r < 0 ? r : walk_fail(w, "expected string, got null");
	if (!walk_label_value(buf, len)) {
		snapshot_quote(q, sizeof(q), buf, len);
		return walk_fail(w, "invalid label value %s", q);
	}
	if (!(v = walk_intern(w, buf, len)) ||
	    walk_grow(w, &e->q->values, &e->cap, e->q->n_values,
		      sizeof(*e->q->values)) < 0)
		return -ENOMEM;
	e->q->values[e->q->n_values++] = v;
	return 0;
}

static int expr_member(struct walk *w, const struct scan_str *key, void *arg)
{
	static const char *const ops[] = { "In", "NotIn", "Exists",
					   "DoesNotExist" };
	struct expr_build *e = arg;
	char buf[320], q[96];
	size_t len;
	int v = 0, r;

	if (scan_str_eq(key, "operator")) {
		r = walk_enum(w, "operator", ops, 4, &v);
		e->q->op = (uint8_t)v;
		e->have_op = r == 1;
	} else if (scan_str_eq(key, "values")) {
		free(e->q->values);
		e->q->values = NULL;
		e->q->n_values = 0;
		e->cap = 0;
		r = walk_array(w, "values", VALUES_MAX, value_elem, e);
		e->have_values = r == 1;
	} else if (scan_str_eq(key, "key")) {
		r = walk_string(w, "key", buf, sizeof(buf), &len);
		walk_push(w, "key");
		if (r == 1 && !walk_qualified_name(buf, len)) {
			snapshot_quote(q, sizeof(q), buf, len);
			r = walk_fail(w, "invalid label key %s", q);
		}
		walk_pop(w);
		if (r == 1 && !(e->q->key = walk_intern(w, buf, len)))
			r = -ENOMEM;
		e->have_key = r == 1;
	} else {
		r = walk_skip(w);
	}
	return r < 0 ? r : 0;
}

static int expr_elem(struct walk *w, size_t i, void *arg)
{
	struct sel_build *b = arg;
	struct expr_build e = { 0 };
	bool want_values;
	int r;

	(void)i;
	if (!(e.q = req_add(w, b)))
		return -ENOMEM;
	r = walk_object(w, NULL, expr_member, &e);
	if (r <= 0)
		return r < 0 ? r : walk_fail(w, "expected object, got null");
	if (!e.have_key || !e.have_op) {
		walk_push(w, e.have_key ? "operator" : "key");
		return walk_fail(w, "missing");
	}
	want_values = e.q->op == SEL_IN || e.q->op == SEL_NOT_IN;
	if (want_values != (e.q->n_values > 0)) {
		walk_push(w, "values");
		return walk_fail(w, want_values
					? "must not be empty for In and NotIn"
					: "must be empty for Exists and "
					  "DoesNotExist");
	}
	return 0;
}

static int sel_member(struct walk *w, const struct scan_str *key, void *arg)
{
	struct sel_build *b = arg;

	if (scan_str_eq(key, "matchLabels"))
		return match_labels(w, b);
	if (scan_str_eq(key, "matchExpressions")) {
		int r;

		drop_block(b, &b->exp_at, &b->exp_n, &b->lab_at);
		b->exp_at = b->s->n_reqs;
		r = walk_array(w, "matchExpressions", EXPRS_MAX, expr_elem, b);
		b->exp_n = b->s->n_reqs - b->exp_at;
		return r < 0 ? -EINVAL : 0;
	}
	return walk_skip(w);
}

int walk_selector(struct walk *w, const char *key, struct selector *out)
{
	struct sel_build b = { .s = out };
	int r;

	selector_free(out); /* a key given twice: the last one wins */
	out->set = false;
	r = walk_object(w, key, sel_member, &b);
	if (r == 1)
		out->set = true;
	return r;
}

/* ---- NetworkPolicy ---------------------------------------------- */

struct np_build {
	struct netpol *np;
	struct walk_meta meta;
	bool types_given, type_in, type_out;
	size_t cap_in, cap_out;
};

struct peer_build {
	struct np_peer *p;
	size_t cap_except;
	bool have_cidr;
};

static int except_elem(struct walk *w, size_t i, void *arg)
{
	struct peer_build *b = arg;
	struct np_peer *p = b->p;
	struct prefix e;
	int r = walk_cidr(w, NULL, true, &e);

	(void)i;
	if (r <= 0)
		return r < 0 ? r : walk_fail(w, "expected string, got null");
	if (walk_grow(w, &p->except, &b->cap_except, p->n_except,
		      sizeof(*p->except)) < 0)
		return -ENOMEM;
	p->except[p->n_except++] = e;
	return 0;
}

static int ipblock_member(struct walk *w, const struct scan_str *key,
			  void *arg)
{
	struct peer_build *b = arg;
	int r;

	if (scan_str_eq(key, "cidr")) {
		r = walk_cidr(w, "cidr", true, &b->p->cidr);
		b->have_cidr = r == 1;
	} else if (scan_str_eq(key, "except")) {
		b->p->n_except = 0;
		r = walk_array(w, "except", EXCEPT_MAX, except_elem, b);
	} else {
		r = walk_skip(w);
	}
	return r < 0 ? r : 0;
}

/* Every except strictly inside cidr, of its family (the API's rule). */
static int ipblock_check(struct walk *w, struct peer_build *b)
{
	struct np_peer *p = b->p;
	char a[PREFIX_STRLEN], c[PREFIX_STRLEN];

	walk_push(w, "ipBlock");
	if (!b->have_cidr) {
		walk_push(w, "cidr");
		return walk_fail(w, "missing");
	}
	for (uint32_t i = 0; i < p->n_except; i++) {
		const struct prefix *e = &p->except[i];

		if (e->family == p->cidr.family && e->len > p->cidr.len &&
		    prefix_contains(&p->cidr, e))
			continue;
		walk_push(w, "except");
		walk_push_index(w, i);
		return walk_fail(w, "%s is not a strict subset of cidr %s",
				 prefix_format(e, a, sizeof(a)),
				 prefix_format(&p->cidr, c, sizeof(c)));
	}
	walk_pop(w);
	return 0;
}

static int peer_member(struct walk *w, const struct scan_str *key, void *arg)
{
	struct peer_build *b = arg;
	int r;

	if (scan_str_eq(key, "podSelector")) {
		r = walk_selector(w, "podSelector", &b->p->pods);
	} else if (scan_str_eq(key, "namespaceSelector")) {
		r = walk_selector(w, "namespaceSelector", &b->p->namespaces);
	} else if (scan_str_eq(key, "ipBlock")) {
		free(b->p->except);
		b->p->except = NULL;
		b->p->n_except = 0;
		b->cap_except = 0;
		b->have_cidr = false;
		r = walk_object(w, "ipBlock", ipblock_member, b);
		b->p->ipblock = r == 1;
		if (r == 1)
			r = ipblock_check(w, b);
	} else {
		r = walk_skip(w);
	}
	return r < 0 ? r : 0;
}

struct rule_build {
	struct np_rule *rule;
	size_t cap_peers, cap_ports;
	const char *peers_key; /* "from" or "to" */
};

static int peer_elem(struct walk *w, size_t i, void *arg)
{
	struct rule_build *rb = arg;
	struct np_rule *rule = rb->rule;
	struct peer_build b;
	int r;

	(void)i;
	if (walk_grow(w, &rule->peers, &rb->cap_peers, rule->n_peers,
		      sizeof(*rule->peers)) < 0)
		return -ENOMEM;
	b = (struct peer_build){ .p = &rule->peers[rule->n_peers++] };
	memset(b.p, 0, sizeof(*b.p));
	r = walk_object(w, NULL, peer_member, &b);
	if (r <= 0)
		return r < 0 ? r : walk_fail(w, "expected object, got null");
	if (b.p->ipblock && (b.p->pods.set || b.p->namespaces.set))
		return walk_fail(w, "ipBlock cannot be combined with "
				 "podSelector or namespaceSelector");
	if (!b.p->ipblock && !b.p->pods.set && !b.p->namespaces.set)
		return walk_fail(w, "an empty peer: give podSelector, "
				 "namespaceSelector or ipBlock");
	return 0;
}

struct nport_build {
	struct np_port p;
	long long port, end;
	bool have_end, numeric;
};

static int nport_member(struct walk *w, const struct scan_str *key, void *arg)
{
	struct nport_build *b = arg;
	char buf[64], q[96];
	size_t len;
	int r;

	if (scan_str_eq(key, "protocol"))
		return walk_proto(w, "protocol", &b->p.proto) < 0 ? -EINVAL : 0;
	if (scan_str_eq(key, "endPort")) {
		r = walk_int(w, "endPort", 1, 65535, &b->end);
		b->have_end = r == 1;
		return r < 0 ? r : 0;
	}
	if (!scan_str_eq(key, "port"))
		return walk_skip(w);
	b->numeric = false;
	b->p.name = NULL;
	b->p.port = 0;
	if (scan_peek(w->sc) != '"') {
		r = walk_int(w, "port", 1, 65535, &b->port);
		b->numeric = r == 1;
		b->p.port = r == 1 ? (uint16_t)b->port : 0;
		return r < 0 ? r : 0;
	}
	r = walk_string(w, "port", buf, sizeof(buf), &len);
	walk_push(w, "port");
	if (r == 1 && !walk_iana_svc_name(buf, len)) {
		snapshot_quote(q, sizeof(q), buf, len);
		r = walk_fail(w, "%s is neither a port number nor an IANA "
			      "service name", q);
	}
	walk_pop(w);
	if (r == 1 && !(b->p.name = walk_intern(w, buf, len)))
		r = -ENOMEM;
	return r < 0 ? r : 0;
}

static int nport_elem(struct walk *w, size_t i, void *arg)
{
	struct rule_build *rb = arg;
	struct np_rule *rule = rb->rule;
	struct nport_build b = { .p.proto = PROTO_TCP };
	int r = walk_object(w, NULL, nport_member, &b);

	(void)i;
	if (r <= 0)
		return r < 0 ? r : walk_fail(w, "expected object, got null");
	if (b.have_end) {
		walk_push(w, "endPort");
		if (!b.numeric)
			return walk_fail(w, "needs a numeric port");
		if (b.end < b.port)
			return walk_fail(w, "%lld is less than port %lld",
					 b.end, b.port);
		walk_pop(w);
		b.p.end_port = (uint16_t)b.end;
	}
	if (walk_grow(w, &rule->ports, &rb->cap_ports, rule->n_ports,
		      sizeof(*rule->ports)) < 0)
		return -ENOMEM;
	rule->ports[rule->n_ports++] = b.p;
	return 0;
}

static int rule_member(struct walk *w, const struct scan_str *key, void *arg)
{
	struct rule_build *rb = arg;
	int r;

	if (scan_str_eq(key, rb->peers_key)) {
		struct np_rule *rule = rb->rule;

		for (uint32_t j = 0; j < rule->n_peers; j++) {
			selector_free(&rule->peers[j].pods);
			selector_free(&rule->peers[j].namespaces);
			free(rule->peers[j].except);
		}
		rule->n_peers = 0;
		r = walk_array(w, rb->peers_key, PEERS_MAX, peer_elem, rb);
	} else if (scan_str_eq(key, "ports")) {
		rb->rule->n_ports = 0;
		r = walk_array(w, "ports", NP_PORTS_MAX, nport_elem, rb);
	} else {
		r = walk_skip(w);
	}
	return r < 0 ? r : 0;
}

struct rules_arg {
	struct np_build *b;
	bool egress;
};

static int rule_elem(struct walk *w, size_t i, void *arg)
{
	struct rules_arg *ra = arg;
	struct netpol *np = ra->b->np;
	struct np_rule **v = ra->egress ? &np->out : &np->in;
	uint32_t *n = ra->egress ? &np->n_out : &np->n_in;
	size_t *cap = ra->egress ? &ra->b->cap_out : &ra->b->cap_in;
	struct rule_build rb = { .peers_key = ra->egress ? "to" : "from" };
	int r;

	(void)i;
	if (walk_grow(w, v, cap, *n, sizeof(**v)) < 0)
		return -ENOMEM;
	rb.rule = &(*v)[(*n)++];
	memset(rb.rule, 0, sizeof(*rb.rule));
	r = walk_object(w, NULL, rule_member, &rb);
	return r < 0 ? r : 0;
}

static void rules_free(struct np_rule *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t j = 0; j < v[i].n_peers; j++) {
			selector_free(&v[i].peers[j].pods);
			selector_free(&v[i].peers[j].namespaces);
			free(v[i].peers[j].except);
		}
		free(v[i].peers);
		free(v[i].ports);
	}
	free(v);
}

static int type_elem(struct walk *w, size_t i, void *arg)
{
	static const char *const types[] = { "Ingress", "Egress" };
	struct np_build *b = arg;
	int v = 0, r = walk_enum(w, NULL, types, 2, &v);
	bool *flag = v ? &b->type_out : &b->type_in;

	(void)i;
	if (r <= 0)
		return r < 0 ? r : walk_fail(w, "expected string, got null");
	if (*flag)
		return walk_fail(w, "%s listed twice", types[v]);
	*flag = true;
	return 0;
}

static int np_spec(struct walk *w, const struct scan_str *key, void *arg)
{
	struct np_build *b = arg;
	struct netpol *np = b->np;
	struct rules_arg ra = { b, false };
	int r;

	if (scan_str_eq(key, "podSelector")) {
		r = walk_selector(w, "podSelector", &np->pods);
		if (r == 0)
			np->pods.set = true; /* null: the zero value, {} */
	} else if (scan_str_eq(key, "policyTypes")) {
		b->type_in = b->type_out = false;
		r = walk_array(w, "policyTypes", 2, type_elem, b);
		b->types_given = b->type_in || b->type_out;
	} else if (scan_str_eq(key, "ingress") || scan_str_eq(key, "egress")) {
		ra.egress = scan_str_eq(key, "egress");
		rules_free(ra.egress ? np->out : np->in,
			   ra.egress ? np->n_out : np->n_in);
		if (ra.egress) {
			np->out = NULL;
			np->n_out = 0;
			b->cap_out = 0;
		} else {
			np->in = NULL;
			np->n_in = 0;
			b->cap_in = 0;
		}
		r = walk_array(w, ra.egress ? "egress" : "ingress", RULES_MAX,
			       rule_elem, &ra);
	} else {
		r = walk_skip(w);
	}
	return r < 0 ? r : 0;
}

static int np_member(struct walk *w, const struct scan_str *key, void *arg)
{
	struct np_build *b = arg;
	int r;

	if (scan_str_eq(key, "metadata")) {
		b->meta = (struct walk_meta){ .rule = NAME_SUBDOMAIN,
					      .namespaced = true,
					      .name = &b->np->name,
					      .ns = &b->np->ns,
					      .labels = &b->np->labels };
		r = walk_metadata(w, &b->meta);
	} else if (scan_str_eq(key, "spec")) {
		r = walk_object(w, "spec", np_spec, b);
	} else {
		r = walk_skip(w);
	}
	return r < 0 ? r : 0;
}

static int np_init(struct walk *w, void *arg)
{
	(void)w;
	((struct np_build *)arg)->np->pods.set = true; /* absent: {} */
	return 0;
}

/* policyTypes as the API defaults them. */
static int np_finish(struct walk *w, void *arg)
{
	struct np_build *b = arg;
	struct netpol *np = b->np;

	b->meta.name = &np->name;
	b->meta.ns = &np->ns;
	b->meta.namespaced = true;
	if (b->types_given) {
		np->ingress = b->type_in;
		np->egress = b->type_out;
	} else {
		np->ingress = true;
		np->egress = np->n_out > 0;
	}
	return walk_metadata_done(w, &b->meta);
}

static void np_free(struct rec *r)
{
	struct netpol *np = (struct netpol *)r;

	free(np->labels.v);
	selector_free(&np->pods);
	rules_free(np->in, np->n_in);
	rules_free(np->out, np->n_out);
}

const struct kind_ops kind_policy = {
	.name = "NetworkPolicy",
	.kind = KIND_POLICY,
	.rec_size = sizeof(struct netpol),
	.build_size = sizeof(struct np_build),
	.max_count = 100000,
	.max_bytes = 16u << 20,
	.init = np_init,
	.member = np_member,
	.finish = np_finish,
	.free_parts = np_free,
};
