/*
 * fw_desire.c - pure: NetworkPolicies -> chains, rules and sets, per
 * family (docs/firewall.md draws the layout).
 *
 * Only policies that select a pod of this node get a chain: rules grow
 * with policies and this node's pods; pods elsewhere are set members.
 * Every set's name is a hash of what decides its members (the selector
 * and its namespace, the block and its excepts, the port's name and
 * protocol), so two peers that say the same thing share one set and a
 * set's members are computed once per pass.
 *
 * Family: each family is compiled on its own from the pods' addresses of
 * that family; an ipBlock of the other family matches nothing here (it
 * is skipped, never widened), so an IPv6 block in an IPv4-only cluster
 * changes nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firewall/fw.h"
#include "firewall/fw_int.h"
#include "snapshot/snapshot.h"

#define ICMP6_ALWAYS "2 133 134 135 136 137" /* PTB, RS, RA, NS, NA, redirect */

struct build {
	const struct snapshot *s;
	const struct desired *core;
	const struct firewall_config *c;
	struct fw_desire *d;
	struct fw_family *f;
	int family;
	char mark[16];	    /* "0x100000" */
	const char *reject; /* the REJECT target with its reason */
	char log[96];	    /* "-m limit ... --nflog-prefix snapnet-deny-" */
	char log_group[32]; /* " --nflog-group 100" ("" for group 0) */
	struct span local;  /* this node's pods in s->pods_by_node */
	const struct fw_runs *runs;
	/* name -> index + 1 in f->sets, open addressing */
	uint32_t *slot;
	size_t n_slot;
	bool any_in, any_out;
};

/* --- small buffers ------------------------------------------------ */

int fw_buf_add(struct fw_buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *s;

		while (cap < b->len + n + 1)
			cap *= 2;
		s = realloc(b->s, cap);
		if (!s)
			return -ENOMEM;
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int fw_buf_printf(struct fw_buf *b, const char *fmt, ...)
{
	char small[256], *big = NULL;
	va_list ap;
	int n, e;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= sizeof(small)) {
		big = malloc((size_t)n + 1);
		if (!big)
			return -ENOMEM;
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	e = fw_buf_add(b, big ? big : small, (size_t)n);
	free(big);
	return e;
}

void fw_buf_free(struct fw_buf *b)
{
	free(b->s);
	*b = (struct fw_buf){ 0 };
}

void fw_note(struct fw_desire *d, const char *why, const char *fmt, ...)
{
	struct fw_note *n;
	va_list ap;

	if (array_grow(&d->notes, &d->cap_notes, d->n_notes + 1,
		       sizeof(*d->notes)) < 0)
		return; /* a note lost to memory pressure is only a note */
	n = &d->notes[d->n_notes++];
	va_start(ap, fmt);
	vsnprintf(n->line, sizeof(n->line), fmt, ap);
	va_end(ap);
	snprintf(n->why, sizeof(n->why), "%s", why);
}

/* --- sets ---------------------------------------------------------- */

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static int slots_grow(struct build *b)
{
	size_t n = b->n_slot ? b->n_slot * 2 : 64;
	uint32_t *v = calloc(n, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < b->f->n_sets; i++) {
		size_t h = name_hash(b->f->sets[i].name) & (n - 1);

		while (v[h])
			h = (h + 1) & (n - 1);
		v[h] = (uint32_t)i + 1;
	}
	free(b->slot);
	b->slot = v;
	b->n_slot = n;
	return 0;
}

/* The set of this role and key, *fresh when it is new (then the caller
 * fills it: members depend on the key only). */
static int set_get(struct build *b, const char *role, enum sets_type type,
		   const struct fw_buf *key, struct fw_set **out, bool *fresh)
{
	struct fw_family *f = b->f;
	char name[SETS_NAME_MAX + 1];
	size_t h;
	int e;

	e = sets_name(FW_SET_PREFIX, b->family, role, key->s, key->len, name,
		      sizeof(name));
	if (e)
		return e;
	if ((f->n_sets + 1) * 2 > b->n_slot && (e = slots_grow(b)) < 0)
		return e;
	for (h = name_hash(name) & (b->n_slot - 1); b->slot[h];
	     h = (h + 1) & (b->n_slot - 1))
		if (!strcmp(f->sets[b->slot[h] - 1].name, name)) {
			*out = &f->sets[b->slot[h] - 1];
			*fresh = false;
			return 0;
		}
	if (array_grow(&f->sets, &f->cap_sets, f->n_sets + 1,
		       sizeof(*f->sets)) < 0)
		return -ENOMEM;
	b->slot[h] = (uint32_t)f->n_sets + 1;
	*out = &f->sets[f->n_sets++];
	**out = (struct fw_set){ .type = type };
	memcpy((*out)->name, name, sizeof(name));
	*fresh = true;
	return 0;
}

static int member_add(struct fw_set *set, const struct sets_member *m)
{
	if (array_grow(&set->m, &set->cap, set->n + 1, sizeof(*set->m)) < 0)
		return -ENOMEM;
	set->m[set->n++] = *m;
	return 0;
}

static struct sets_member host_member(const struct prefix *ip)
{
	struct sets_member m = { .family = ip->family, .plen = ip->len };

	memcpy(m.addr, ip->addr, sizeof(m.addr));
	return m;
}

static int add_pod_ip(void *arg, const struct pod *p)
{
	struct fw_set *set = ((void **)arg)[0];
	const int *family = ((void **)arg)[1];
	struct sets_member m = host_member(&p->ip[fam_index(*family)]);

	return member_add(set, &m);
}

/* A named port: the pod's ports of that name and protocol. */
struct nport_arg {
	struct fw_set *set;
	int family;
	const char *name; /* interned */
	int proto;
};

static int add_pod_nport(void *arg, const struct pod *p)
{
	struct nport_arg *a = arg;
	int e;

	for (uint32_t i = 0; i < p->n_ports; i++) {
		const struct pod_port *pp = &p->ports[i];
		struct sets_member m;

		if (!pp->name || strcmp(pp->name, a->name) ||
		    pp->proto != a->proto)
			continue;
		m = host_member(&p->ip[fam_index(a->family)]);
		m.proto = (uint8_t)fw_proto_ip(a->proto);
		m.port = pp->port;
		if ((e = member_add(a->set, &m)) < 0)
			return e;
	}
	return 0;
}

/* An except equal to the (half of a /0) entry it would punch a hole in
 * cancels it: both go (a match and a nomatch of one prefix cannot both
 * be members). */
static bool cancelled(const struct np_peer *peer, const struct prefix *x)
{
	for (uint32_t i = 0; i < peer->n_except; i++)
		if (prefix_equal(&peer->except[i], x))
			return true;
	return false;
}

/* The block and its excepts as hash:net members: excepts are nomatch
 * entries (the most specific entry decides) and /0 is two /1 (hash:net
 * has no /0). */
static int fill_block(struct fw_set *set, const struct np_peer *peer)
{
	struct prefix half[2] = { peer->cidr, peer->cidr };
	size_t n_half = 1;
	int e;

	if (peer->cidr.len == 0) {
		half[0].len = half[1].len = 1;
		half[1].addr[0] = 0x80;
		n_half = 2;
	}
	for (size_t i = 0; i < n_half; i++) {
		struct sets_member m = host_member(&half[i]);

		if (cancelled(peer, &half[i]))
			continue;
		if ((e = member_add(set, &m)) < 0)
			return e;
	}
	for (uint32_t i = 0; i < peer->n_except; i++) {
		const struct prefix *x = &peer->except[i];
		struct sets_member m = host_member(x);
		bool is_half = false;

		for (size_t k = 0; k < n_half; k++)
			is_half |= prefix_equal(x, &half[k]);
		if (is_half || x->family != peer->cidr.family ||
		    !prefix_contains(&peer->cidr, x))
			continue;
		m.nomatch = true;
		if ((e = member_add(set, &m)) < 0)
			return e;
	}
	return 0;
}

/* Sorted, unique. */
static int set_norm(struct fw_set *set, int family)
{
	struct sets_member *out = NULL;
	size_t n = 0;
	int e;

	e = sets_members_norm(set->type, family, set->m, set->n, &out, &n, NULL,
			      0);
	if (e)
		return e;
	free(set->m);
	set->m = out;
	set->n = set->cap = n;
	return 0;
}

/* --- chains and rules --------------------------------------------- */

/* A new chain's index (chains move as the array grows). */
static int chain_new(struct build *b, const char *name,
		     const struct netpol *np)
{
	struct fw_family *f = b->f;
	struct fw_chain *ch;

	if (array_grow(&f->chains, &f->cap_chains, f->n_chains + 1,
		       sizeof(*f->chains)) < 0)
		return -ENOMEM;
	ch = &f->chains[f->n_chains];
	*ch = (struct fw_chain){ .np = np };
	snprintf(ch->name, sizeof(ch->name), "%s", name);
	return (int)f->n_chains++;
}

static int rule_add(struct fw_chain *ch, unsigned needs, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int rule_add(struct fw_chain *ch, unsigned needs, const char *fmt, ...)
{
	size_t cap = ch->cap;
	char *r;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&r, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	if (array_grow(&ch->rules, &cap, ch->n + 1, sizeof(*ch->rules)) < 0 ||
	    array_grow(&ch->needs, &ch->cap, ch->n + 1, sizeof(*ch->needs)) <
		    0) {
		free(r);
		return -ENOMEM;
	}
	ch->rules[ch->n] = r;
	ch->needs[ch->n++] = (uint8_t)needs;
	return 0;
}

/* The rate-limited NFLOG rule in front of a reject: `match` selects what
 * the next rule rejects, `what` names why in the log prefix. Written in
 * iptables-save's form: the limit's rate as N/sec when it is whole
 * seconds, the default burst (5) and group (0) left out. */
static int log_add(struct build *b, struct fw_chain *ch, const char *match,
		   const char *what)
{
	if (!b->c->log_denied)
		return 0;
	return rule_add(ch, FW_NEED_NFLOG, "%s%s%s%s%s", match,
			*match ? " " : "", b->log, what, b->log_group);
}

static void log_prepare(struct build *b)
{
	const struct firewall_config *c = b->c;
	char burst[32] = "";

	if (c->log_burst != 5)
		snprintf(burst, sizeof(burst), " --limit-burst %u",
			 c->log_burst);
	if (c->log_limit % 60)
		snprintf(b->log, sizeof(b->log),
			 "-m limit --limit %u/min%s -j NFLOG --nflog-prefix "
			 "snapnet-deny-",
			 c->log_limit, burst);
	else
		snprintf(b->log, sizeof(b->log),
			 "-m limit --limit %u/sec%s -j NFLOG --nflog-prefix "
			 "snapnet-deny-",
			 c->log_limit / 60, burst);
	b->log_group[0] = '\0';
	if (c->nflog_group)
		snprintf(b->log_group, sizeof(b->log_group),
			 " --nflog-group %u", c->nflog_group);
}

/* "SNAPNET-FW-I-" + 15 characters of the hash of the policy's name. */
static void policy_chain_name(int family, const struct netpol *np, bool in,
			      char *buf, size_t len)
{
	char h[SETS_NAME_MAX + 1] = "";
	struct fw_buf key = { 0 };

	if (fw_buf_printf(&key, "%s/%s", np->ns, np->name) < 0 ||
	    sets_name("x", family, in ? "i" : "e", key.s, key.len, h,
		      sizeof(h)) < 0)
		snprintf(h, sizeof(h), "x4-i-invalid");
	fw_buf_free(&key);
	snprintf(buf, len, "%s%c-%.15s", FW_CHAIN_PREFIX, in ? 'I' : 'E',
		 h + 5);
}

/* `-m comment --comment "ns/name"`, quoted as iptables-save prints it. */
static void policy_comment(const struct netpol *np, char *buf, size_t len)
{
	char text[RULES_COMMENT_MAX + 1];

	snprintf(text, sizeof(text), "%s/%s", np->ns, np->name);
	if (rules_quote(text, buf, len) < 0)
		snprintf(buf, len, "policy");
}

/* --- one policy ---------------------------------------------------- */

struct ctx {
	struct build *b;
	const struct netpol *np;
	bool in;		 /* ingress (else egress) */
	int ch;			 /* the policy's chain for this direction */
	const struct fw_buf *tk; /* the target set's key */
	char what[96];		 /* "x/p: ingress[0]" for notes */
};

static int peer_key(const struct netpol *np, const struct np_peer *peer,
		    struct fw_buf *k)
{
	int e;

	if (!peer)
		return fw_buf_printf(k, "all");
	if (peer->ipblock) {
		char buf[PREFIX_STRLEN];

		e = fw_buf_printf(k, "net\x1f%s",
				  prefix_format(&peer->cidr, buf, sizeof(buf)));
		for (uint32_t i = 0; !e && i < peer->n_except; i++)
			e = fw_buf_printf(k, "\x1f%s",
					  prefix_format(&peer->except[i], buf,
							sizeof(buf)));
		return e;
	}
	if (peer->namespaces.set) {
		e = fw_buf_printf(k, "ns\x1f");
		if (!e)
			e = fw_sel_key(&peer->namespaces, k);
	} else {
		e = fw_buf_printf(k, "in\x1f%s", np->ns);
	}
	if (!e)
		e = fw_buf_add(k, "\x1d", 1);
	if (!e)
		e = fw_sel_key(&peer->pods, k);
	return e;
}

/* Calls fn for each pod of this node that the policy selects. */
static int each_target(struct build *b, const struct netpol *np, fw_pod_fn fn,
		       void *arg)
{
	for (uint32_t i = b->local.first; i < b->local.first + b->local.n;
	     i++) {
		const struct pod *p = b->s->pods_by_node[i];
		int e;

		if (p->ns != np->ns || !fw_pod_eligible(p, b->family) ||
		    !selector_match(&np->pods, &p->labels))
			continue;
		if ((e = fn(arg, p)) < 0)
			return e;
	}
	return 0;
}

/* What fills a set the first time its key is met (members depend on the
 * key only, so a set met again is already full). */
typedef int (*fill_fn)(struct ctx *x, struct fw_set *set, const void *arg);

/* The set of this role and key, filled when new; its name into out. */
static int keyed_set(struct ctx *x, const char *role, enum sets_type type,
		     const struct fw_buf *k, fill_fn fill, const void *arg,
		     char *out)
{
	struct fw_set *set;
	bool fresh;
	int e = set_get(x->b, role, type, k, &set, &fresh);

	if (!e && fresh) {
		e = fill(x, set, arg);
		if (!e)
			e = set_norm(set, x->b->family);
	}
	if (!e)
		memcpy(out, set->name, sizeof(set->name));
	return e;
}

static int fill_peer(struct ctx *x, struct fw_set *set, const void *arg)
{
	const struct np_peer *peer = arg;
	struct build *b = x->b;

	if (peer->ipblock)
		return fill_block(set, peer);
	return fw_peer_each(b->runs, x->np->ns, peer, b->family, add_pod_ip,
			    (void *[]){ set, &b->family });
}

/* The set that matches the peer's addresses; out stays "" when the peer
 * can match nothing in this family (an ipBlock of the other one). */
static int peer_set(struct ctx *x, const struct np_peer *peer, char *out)
{
	struct fw_buf k = { 0 };
	int e;

	*out = '\0';
	if (peer->ipblock && peer->cidr.family != x->b->family)
		return 0;
	e = peer_key(x->np, peer, &k);
	if (!e)
		e = keyed_set(x, peer->ipblock ? FW_ROLE_NET : FW_ROLE_PEER,
			      peer->ipblock ? SETS_HASH_NET : SETS_HASH_IP, &k,
			      fill_peer, peer, out);
	fw_buf_free(&k);
	return e;
}

struct nport_fill {
	const struct np_peer *peer;
	const struct np_port *q;
};

static int fill_nport(struct ctx *x, struct fw_set *set, const void *arg)
{
	const struct nport_fill *f = arg;
	struct build *b = x->b;
	struct nport_arg a = { set, b->family, f->q->name, f->q->proto };

	return x->in ? each_target(b, x->np, add_pod_nport, &a)
		     : fw_peer_each(b->runs, x->np->ns, f->peer, b->family,
				    add_pod_nport, &a);
}

/* The named port's set: on the peer's pods for egress, on this policy's
 * targets for ingress (the port is the destination's). */
static int nport_set(struct ctx *x, const struct np_peer *peer,
		     const struct np_port *q, char *out)
{
	struct nport_fill f = { peer, q };
	struct fw_buf k = { 0 };
	int e;

	e = x->in ? fw_buf_add(&k, x->tk->s, x->tk->len)
		  : peer_key(x->np, peer, &k);
	if (!e)
		e = fw_buf_printf(&k, "\x1d%s\x1f%s", q->name,
				  fw_proto_arg(q->proto));
	if (!e)
		e = keyed_set(x, FW_ROLE_NPORT, SETS_HASH_IP_PORT, &k,
			      fill_nport, &f, out);
	fw_buf_free(&k);
	return e;
}

/* One allow rule: [-p P] [peer] [port] [named port] -j MARK. */
static int emit(struct ctx *x, const struct np_peer *peer,
		const struct np_port *q)
{
	struct build *b = x->b;
	const char *dir = x->in ? "src" : "dst";
	char set[SETS_NAME_MAX + 1] = "", nset[SETS_NAME_MAX + 1] = "";
	char pm[SETS_NAME_MAX + 32] = "", nm[SETS_NAME_MAX + 32] = "";
	char proto[16] = "", ports[48] = "";
	bool sctp = false;
	int e;

	if (peer) {
		if ((e = peer_set(x, peer, set)) < 0)
			return e;
		snprintf(pm, sizeof(pm), "-m set --match-set %s %s ", set, dir);
	}
	if (q && q->name) {
		/* the destination's port: its set holds ip,proto:port */
		if ((e = nport_set(x, peer, q, nset)) < 0)
			return e;
		snprintf(nm, sizeof(nm), "-m set --match-set %s dst,dst ",
			 nset);
		if (!x->in)
			pm[0] = '\0'; /* the set holds the peer's pods only */
	} else if (q) {
		const char *pa = fw_proto_arg(q->proto);

		snprintf(proto, sizeof(proto), "-p %s ", pa);
		if (q->port && q->end_port > q->port)
			snprintf(ports, sizeof(ports), "-m %s --dport %u:%u ",
				 pa, q->port, q->end_port);
		else if (q->port)
			snprintf(ports, sizeof(ports), "-m %s --dport %u ", pa,
				 q->port);
		sctp = q->port && q->proto == PROTO_SCTP;
	}
	return rule_add(&b->f->chains[x->ch], sctp ? FW_NEED_SCTP : 0,
			"%s%s%s%s-j MARK --set-xmark %s/%s", proto, pm, ports,
			nm, b->mark, b->mark);
}

/* Peers and ports bind within one rule: their cross product. */
static int compile_rule(struct ctx *x, const struct np_rule *r)
{
	uint32_t n_q = r->n_ports ? r->n_ports : 1;
	uint32_t n_p = r->n_peers ? r->n_peers : 1;
	int e;

	for (uint32_t qi = 0; qi < n_q; qi++)
		for (uint32_t pi = 0; pi < n_p; pi++) {
			const struct np_peer *peer =
			    r->n_peers ? &r->peers[pi] : NULL;

			if (peer && peer->ipblock &&
			    peer->cidr.family != x->b->family)
				continue; /* never matches this family */
			e = emit(x, peer, r->n_ports ? &r->ports[qi] : NULL);
			if (e)
				return e;
		}
	return 0;
}

/* The policy's chain for one direction and its dispatch rule. */
static int compile_dir(struct build *b, const struct netpol *np, bool in,
		       const struct fw_buf *tk, const char *tgt, int dispatch)
{
	const struct np_rule *rules = in ? np->in : np->out;
	uint32_t n = in ? np->n_in : np->n_out;
	char name[RULES_CHAIN_MAX + 1], cm[RULES_COMMENT_MAX * 2 + 3];
	struct ctx x = { .b = b, .np = np, .in = in, .tk = tk };
	int e;

	policy_chain_name(b->family, np, in, name, sizeof(name));
	policy_comment(np, cm, sizeof(cm));
	e = rule_add(&b->f->chains[dispatch], 0,
		     "-m set --match-set %s %s -m comment --comment %s -j %s",
		     tgt, in ? "dst" : "src", cm, name);
	if (e)
		return e;
	if ((e = chain_new(b, name, np)) < 0)
		return e;
	x.ch = e;
	for (uint32_t i = 0; i < n; i++)
		if ((e = compile_rule(&x, &rules[i])) < 0)
			return e;
	return 0;
}

struct acc {
	struct fw_set iso_in, iso_out; /* accumulated, not yet in sets */
};

static int compile_policy(struct build *b, const struct netpol *np,
			  struct acc *acc, int ingress, int egress)
{
	struct fw_set tmp = { .type = SETS_HASH_IP }, *set;
	struct fw_buf tk = { 0 };
	char tgt[SETS_NAME_MAX + 1];
	bool fresh;
	int e;

	if (!np->ingress && !np->egress)
		return 0;
	e = each_target(b, np, add_pod_ip, (void *[]){ &tmp, &b->family });
	if (e || !tmp.n)
		goto out; /* selects no pod here: no chain, no set */
	e = fw_buf_printf(&tk, "%s", np->ns);
	if (!e)
		e = fw_buf_add(&tk, "\x1d", 1);
	if (!e)
		e = fw_sel_key(&np->pods, &tk);
	if (!e)
		e = set_get(b, FW_ROLE_TARGET, SETS_HASH_IP, &tk, &set, &fresh);
	if (e)
		goto out;
	if (fresh) {
		set->m = tmp.m, set->n = tmp.n, set->cap = tmp.cap;
		tmp = (struct fw_set){ 0 };
		if ((e = set_norm(set, b->family)) < 0)
			goto out;
	}
	memcpy(tgt, set->name, sizeof(tgt));
	b->f->policies++;
	if (np->ingress) {
		e = each_target(b, np, add_pod_ip,
				(void *[]){ &acc->iso_in, &b->family });
		if (!e)
			e = compile_dir(b, np, true, &tk, tgt, ingress);
		b->any_in = true;
	}
	if (!e && np->egress) {
		e = each_target(b, np, add_pod_ip,
				(void *[]){ &acc->iso_out, &b->family });
		if (!e)
			e = compile_dir(b, np, false, &tk, tgt, egress);
		b->any_out = true;
	}
out:
	free(tmp.m);
	fw_buf_free(&tk);
	return e;
}

/* --- the fixed chains ---------------------------------------------- */

enum { CH_FORWARD, CH_INPUT, CH_INGRESS, CH_EGRESS, CH_FIXED };

static int fixed_set(struct build *b, const char *role, struct fw_set *acc,
		     char *name)
{
	struct fw_buf k = { 0 };
	struct fw_set *set;
	bool fresh;
	int e;

	e = fw_buf_printf(&k, "%s", role);
	if (!e)
		e = set_get(b, role, SETS_HASH_IP, &k, &set, &fresh);
	fw_buf_free(&k);
	if (e)
		return e;
	free(set->m);
	set->m = acc->m, set->n = acc->n, set->cap = acc->cap;
	*acc = (struct fw_set){ 0 };
	memcpy(name, set->name, sizeof(set->name));
	return set_norm(set, b->family);
}

/* Logs, then rejects, what `match` selects. */
static int deny(struct build *b, struct fw_chain *ch, const char *match,
		const char *what)
{
	int e = log_add(b, ch, match, what);

	return e ? e : rule_add(ch, 0, "%s -j %s", match, b->reject);
}

/* Pods of this node that the snapshot does not list yet are held back:
 * addresses of the pod CIDR outside the set of known pods (the host's own
 * addresses in it, the bridge's gateway, are not pods). */
static int deny_new(struct build *b, struct fw_set *known_acc)
{
	const struct prefix *cidr = &b->core->pod_cidr[fam_index(b->family)];
	struct fw_chain *ch = b->f->chains;
	char known[SETS_NAME_MAX + 1], net[PREFIX_STRLEN], match[160];
	int e = 0;

	if (!prefix_present(cidr)) {
		fw_note(b->d, "this node has no pod CIDR of the family",
			"default_deny_new_pods: %s not held back",
			fam_name(b->family));
		return 0;
	}
	for (uint32_t i = b->local.first; !e && i < b->local.first + b->local.n;
	     i++)
		if (fw_pod_eligible(b->s->pods_by_node[i], b->family))
			e = add_pod_ip((void *[]){ known_acc, &b->family },
				      b->s->pods_by_node[i]);
	if (!e)
		e = fixed_set(b, FW_ROLE_KNOWN, known_acc, known);
	if (e)
		return e;
	prefix_format(cidr, net, sizeof(net));
	snprintf(match, sizeof(match), "-s %s -m set ! --match-set %s src", net,
		 known);
	e = deny(b, &ch[CH_FORWARD], match, "new");
	snprintf(match, sizeof(match), "-d %s -m set ! --match-set %s dst", net,
		 known);
	if (!e)
		e = deny(b, &ch[CH_FORWARD], match, "new");
	snprintf(match, sizeof(match),
		 "-s %s -m addrtype ! --src-type LOCAL -m set ! --match-set %s "
		 "src",
		 net, known);
	if (!e)
		e = deny(b, &ch[CH_INPUT], match, "new");
	return e;
}

static int preamble(struct build *b)
{
	static const char *const icmp6[] = { "2", "133", "134", "135", "136",
					     "137" };
	struct fw_chain *ch = b->f->chains;
	int e = 0;

	for (int c = CH_FORWARD; !e && c <= CH_INPUT; c++) {
		for (size_t i = 0;
		     !e && b->family == AF_INET6 && i < ARRAY_SIZE(icmp6); i++)
			e = rule_add(&ch[c], 0,
				     "-p ipv6-icmp -m icmp6 --icmpv6-type %s "
				     "-j RETURN",
				     icmp6[i]);
		if (!e)
			e = rule_add(&ch[c], 0,
				     "-m conntrack --ctstate "
				     "RELATED,ESTABLISHED -j RETURN");
	}
	for (int c = CH_INGRESS; !e && c <= CH_EGRESS; c++) {
		e = rule_add(&ch[c], 0,
			     "-m conntrack --ctstate INVALID -j DROP");
		if (!e)
			e = rule_add(&ch[c], 0,
				     "-j MARK --set-xmark 0x0/%s", b->mark);
	}
	return e;
}

/* After the policies: isolated and not marked by any of them -> REJECT;
 * the borrowed mark bit is cleared again either way. */
static int tails(struct build *b, struct acc *acc)
{
	struct fw_chain *ch = b->f->chains;
	char iso[SETS_NAME_MAX + 1], unmarked[48];
	int e = 0;

	for (int c = CH_INGRESS; !e && c <= CH_EGRESS; c++) {
		snprintf(unmarked, sizeof(unmarked), "-m mark --mark 0x0/%s",
			 b->mark);
		e = log_add(b, &ch[c], unmarked,
			    c == CH_INGRESS ? "ingress" : "egress");
		/* TCP gets a reset: an ICMPv6 error that meets a connect()
		 * in progress is only a soft error, so an IPv6 client would
		 * wait for the SYN's retransmission to learn */
		if (!e)
			e = rule_add(&ch[c], 0,
				     "-p tcp %s -j REJECT --reject-with "
				     "tcp-reset",
				     unmarked);
		if (!e)
			e = rule_add(&ch[c], 0, "%s -j %s", unmarked,
				     b->reject);
		if (!e)
			e = rule_add(&ch[c], 0,
				     "-j MARK --set-xmark 0x0/%s", b->mark);
	}
	if (!e && b->any_out) {
		e = fixed_set(b, FW_ROLE_ISO_OUT, &acc->iso_out, iso);
		for (int c = CH_FORWARD; !e && c <= CH_INPUT; c++)
			e = rule_add(&b->f->chains[c], 0,
				     "-m set --match-set %s src -j %s", iso,
				     FW_CHAIN_EGRESS);
	}
	if (!e && b->any_in) {
		e = fixed_set(b, FW_ROLE_ISO_IN, &acc->iso_in, iso);
		if (!e)
			e = rule_add(&b->f->chains[CH_FORWARD], 0,
				     "-m set --match-set %s dst -j %s", iso,
				     FW_CHAIN_INGRESS);
	}
	return e;
}

static void chain_free(struct fw_chain *ch)
{
	for (size_t i = 0; i < ch->n; i++)
		free(ch->rules[i]);
	free(ch->rules);
	free(ch->needs);
}

static void chain_drop(struct fw_family *f, size_t i)
{
	chain_free(&f->chains[i]);
	memmove(&f->chains[i], &f->chains[i + 1],
		(f->n_chains - i - 1) * sizeof(*f->chains));
	f->n_chains--;
}

static int cmp_set(const void *a, const void *b)
{
	return strcmp(((const struct fw_set *)a)->name,
		      ((const struct fw_set *)b)->name);
}

/* Chains nobody jumps to go; with nothing to enforce, everything goes. */
static void prune(struct build *b)
{
	struct fw_family *f = b->f;
	bool deny = b->c->default_deny_new_pods &&
		    prefix_present(&b->core->pod_cidr[fam_index(b->family)]);

	if (!f->policies && !deny) {
		while (f->n_chains)
			chain_drop(f, f->n_chains - 1);
		for (size_t i = 0; i < f->n_sets; i++)
			free(f->sets[i].m);
		f->n_sets = 0;
		return;
	}
	if (!b->any_out)
		chain_drop(f, CH_EGRESS);
	if (!b->any_in)
		chain_drop(f, CH_INGRESS);
	if (!b->any_out && !deny)
		chain_drop(f, CH_INPUT);
	if (f->n_sets > 1)
		qsort(f->sets, f->n_sets, sizeof(*f->sets), cmp_set);
}

static int build_family(struct build *b)
{
	static const char *const fixed[] = { FW_CHAIN_FORWARD, FW_CHAIN_INPUT,
					     FW_CHAIN_INGRESS,
					     FW_CHAIN_EGRESS };
	struct acc acc = { { .type = SETS_HASH_IP }, { .type = SETS_HASH_IP } };
	struct fw_set known = { .type = SETS_HASH_IP };
	int e = 0;

	snprintf(b->mark, sizeof(b->mark), "0x%x", b->c->mark);
	b->reject = b->family == AF_INET
			? "REJECT --reject-with icmp-port-unreachable"
			: "REJECT --reject-with icmp6-port-unreachable";
	log_prepare(b);
	for (size_t i = 0; !e && i < ARRAY_SIZE(fixed); i++)
		e = chain_new(b, fixed[i], NULL) < 0 ? -ENOMEM : 0;
	if (!e)
		e = preamble(b);
	if (!e && b->c->default_deny_new_pods)
		e = deny_new(b, &known);
	for (size_t i = 0; !e && i < b->s->n_policies; i++)
		e = compile_policy(b, b->s->policies[i], &acc, CH_INGRESS,
				   CH_EGRESS);
	if (!e)
		e = tails(b, &acc);
	free(acc.iso_in.m);
	free(acc.iso_out.m);
	free(known.m);
	if (!e)
		prune(b);
	return e;
}

/* The families to enforce: those of this node's pod CIDRs and of its
 * pods' addresses (pods may get addresses from an IPAM of their own). */
static unsigned families_of(const struct snapshot *s,
			    const struct desired *core, struct span local)
{
	unsigned fams = core->families;

	for (uint32_t i = local.first; i < local.first + local.n; i++)
		for (int f = 0; f < FAM_COUNT; f++)
			if (fw_pod_eligible(s->pods_by_node[i],
					    fam_of_index(f)))
				fams |= fam_bit(fam_of_index(f));
	return fams;
}

int fw_desire_build(const struct snapshot *s, const struct desired *core,
		    const struct firewall_config *c, struct fw_desire **out)
{
	struct fw_desire *d = calloc(1, sizeof(*d));
	struct fw_runs runs;
	struct span local;
	unsigned fams;
	int e = 0;

	if (!d)
		return -ENOMEM;
	if (fw_runs_build(s, &runs) < 0) {
		free(d);
		return -ENOMEM;
	}
	local = snapshot_pods_on(s, core->node_name);
	fams = families_of(s, core, local);
	for (int i = 0; !e && i < FAM_COUNT; i++) {
		struct build b = { .s = s, .core = core, .c = c, .d = d,
				   .f = &d->fam[i], .family = fam_of_index(i),
				   .local = local, .runs = &runs };

		d->fam[i].family = b.family;
		d->fam[i].wanted = fams & fam_bit(b.family);
		if (d->fam[i].wanted)
			e = build_family(&b);
		free(b.slot);
		if (d->fam[i].n_chains)
			d->bridge_nf = true;
	}
	fw_runs_free(&runs);
	if (e) {
		fw_desire_free(d);
		return e;
	}
	*out = d;
	return 0;
}

void fw_desire_free(struct fw_desire *d)
{
	if (!d)
		return;
	for (int i = 0; i < FAM_COUNT; i++) {
		struct fw_family *f = &d->fam[i];

		for (size_t j = 0; j < f->n_chains; j++)
			chain_free(&f->chains[j]);
		free(f->chains);
		for (size_t j = 0; j < f->n_sets; j++)
			free(f->sets[j].m);
		free(f->sets);
	}
	free(d->notes);
	free(d);
}

const struct fw_set *fw_family_set(const struct fw_family *f, const char *name)
{
	struct fw_set key;

	snprintf(key.name, sizeof(key.name), "%s", name);
	if (!f->n_sets)
		return NULL; /* bsearch() wants a base even for no element */
	return bsearch(&key, f->sets, f->n_sets, sizeof(*f->sets), cmp_set);
}

unsigned fw_family_needs(const struct fw_family *f)
{
	unsigned needs = 0;

	for (size_t c = 0; c < f->n_chains; c++)
		for (size_t r = 0; r < f->chains[c].n; r++)
			needs |= f->chains[c].needs[r];
	return needs;
}
