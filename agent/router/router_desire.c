/*
 * router_desire.c - pure: the snapshot, this node and [router] -> what
 * BIRD must announce and to whom (struct router_desire), then rendered.
 *
 * Invariants, each a kube-router bug made impossible here:
 *   - a prefix is announced only when this node has a next hop of the
 *     prefix's own family (its InternalIP of that family); the others
 *     are reported per family, never announced with a nil or a mapped
 *     next hop (IPv4 CIDRs from IPv6-only nodes);
 *   - every peer gets an explicit family list, and a channel of a family
 *     only with a next hop of that family; a peer left without any
 *     channel is reported and skipped;
 *   - IPv6 ClusterIPs, ExternalIPs and LoadBalancer IPs are read per
 *     family like IPv4 ones;
 *   - there is always a router ID: the config's, else the IPv4
 *     InternalIP, else a stable hash of the node name (IPv6-only nodes).
 *
 * A peer with a bad definition (bad address, unknown family, a bad
 * annotation entry) is reported and skipped; the others keep working.
 * Fails only with -ENOMEM. No syscalls, no globals; the result points
 * into the snapshot.
 */
#include "router/router.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "snapshot/snapshot.h"

struct build {
	const struct snapshot *s;
	const struct desired *core;
	const struct router_config *c;
	struct router_desire *d;
	size_t cap_ann, cap_peers, cap_notes;
	size_t dropped[FAM_COUNT]; /* prefixes without a next hop */
	struct prefix first_dropped[FAM_COUNT];
	int err;
};

static void note(struct build *b, const char *why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note(struct build *b, const char *why, const char *fmt, ...)
{
	struct router_desire *d = b->d;
	struct router_note *n;
	va_list ap;

	if (array_grow(&d->notes, &b->cap_notes, d->n_notes + 1,
		       sizeof(*d->notes))) {
		b->err = -ENOMEM;
		return;
	}
	n = &d->notes[d->n_notes++];
	va_start(ap, fmt);
	vsnprintf(n->line, sizeof(n->line), fmt, ap);
	va_end(ap);
	str_copy(n->why, why, sizeof(n->why));
}

static const char *annot(const struct labels *l, const char *key)
{
	/* interned keys compare by address only when both are interned;
	 * ours are literals, so compare the text */
	for (uint32_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key, key))
			return l->v[i].value;
	return NULL;
}

/* --- router id, AS ------------------------------------------------------- */

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void router_id(struct build *b)
{
	struct router_desire *d = b->d;
	const struct prefix *ip4 = &b->core->internal_ip[0];
	uint32_t h;

	if (strcmp(b->c->router_id, "auto") &&
	    prefix_parse_addr(b->c->router_id, &d->router_id) == 0 &&
	    d->router_id.family == AF_INET) {
		d->router_id_src = "config";
		return;
	}
	if (ip4->family == AF_INET) {
		d->router_id = *ip4;
		d->router_id_src = "InternalIP";
		return;
	}
	/* An IPv6-only node: BGP identifiers are 32 bits (RFC 6286 asks
	 * only that they be non-zero and unique within the AS). */
	h = fnv1a(b->core->node_name);
	if (h == 0)
		h = 1;
	memset(&d->router_id, 0, sizeof(d->router_id));
	d->router_id.family = AF_INET;
	d->router_id.len = 32;
	d->router_id.addr[0] = (uint8_t)(h >> 24);
	d->router_id.addr[1] = (uint8_t)(h >> 16);
	d->router_id.addr[2] = (uint8_t)(h >> 8);
	d->router_id.addr[3] = (uint8_t)h;
	d->router_id_src = "hash of the node name";
}

static void local_asn(struct build *b)
{
	const char *v = annot(&b->core->self->annotations, ANNOT_NODE_ASN);
	char why[128];
	uint32_t asn;

	b->d->asn = b->c->asn;
	if (!v)
		return;
	if (router_parse_asn(v, &asn) == 0) {
		b->d->asn = asn;
		return;
	}
	snprintf(why, sizeof(why), "not an AS number; using [router] asn %u",
		 b->c->asn);
	note(b, why, "annotation %s of node %s", ANNOT_NODE_ASN,
	     b->core->node_name);
}

/* --- announcements ------------------------------------------------------- */

static void announce(struct build *b, const struct prefix *p, uint8_t src,
		     const struct service *svc)
{
	struct router_desire *d = b->d;
	int f = fam_index(p->family);

	if (!prefix_present(p))
		return;
	if (!prefix_present(&d->nexthop[f])) {
		if (!b->dropped[f]++)
			b->first_dropped[f] = *p;
		return;
	}
	if (array_grow(&d->ann, &b->cap_ann, d->n_ann + 1, sizeof(*d->ann))) {
		b->err = -ENOMEM;
		return;
	}
	d->ann[d->n_ann++] = (struct router_announce){
		.pfx = *p,
		.src = src,
		.ns = svc ? svc->ns : NULL,
		.svc = svc ? svc->name : NULL,
	};
}

/* A switch of [router], overridden per Service by its annotation. */
static bool svc_switch(struct build *b, const struct service *svc,
		       const char *key, bool dflt)
{
	const char *v = annot(&svc->annotations, key);
	char why[160];
	bool on;

	if (!v)
		return dflt;
	if (router_parse_bool(v, &on) == 0)
		return on;
	snprintf(why, sizeof(why), "\"%.40s\" is not a boolean; using %s", v,
		 dflt ? "yes" : "no");
	note(b, why, "Service %s/%s annotation %s", svc->ns, svc->name, key);
	return dflt;
}

/* A ready endpoint of family f on this node. */
static bool ready_here(struct build *b, const struct service *svc, int family)
{
	struct span sp = snapshot_slices_of(b->s, svc->ns, svc->name);

	for (uint32_t i = 0; i < sp.n; i++) {
		const struct endpointslice *sl =
		    b->s->slices_by_svc[sp.first + i];

		if (sl->family != family)
			continue;
		for (uint32_t e = 0; e < sl->n_eps; e++)
			if (sl->eps[e].ready && sl->eps[e].node &&
			    !strcmp(sl->eps[e].node, b->core->node_name))
				return true;
	}
	return false;
}

/*
 * kube-router's rule (pull #1774): with externalTrafficPolicy Local or
 * the service.local annotation, every VIP of the service is announced
 * only by nodes with a local endpoint; internalTrafficPolicy Local does
 * the same for the ClusterIP. Checked per family: an IPv6 VIP needs an
 * IPv6 endpoint here.
 */
static bool svc_local(const struct service *svc)
{
	const char *v = annot(&svc->annotations, ANNOT_SVC_LOCAL);
	bool on = false;

	if (svc->external_policy == TRAFFIC_LOCAL)
		return true;
	return v && router_parse_bool(v, &on) == 0 && on;
}

static void announce_vip(struct build *b, const struct prefix *p, uint8_t src,
			 const struct service *svc, bool local)
{
	if (prefix_present(p) && (!local || ready_here(b, svc, p->family)))
		announce(b, p, src, svc);
}

static void service(struct build *b, const struct service *svc)
{
	const struct router_config *c = b->c;
	bool local = svc_local(svc), cl, ex, lb;

	if (svc->type == SVC_EXTERNAL || svc->headless)
		return; /* no VIP of ours (kube-router skips headless too) */
	cl = svc_switch(b, svc, ANNOT_SVC_CLUSTER, c->advertise_cluster_ip);
	ex = svc_switch(b, svc, ANNOT_SVC_EXTERNAL, c->advertise_external_ip);
	lb = svc_switch(b, svc, ANNOT_SVC_LB, c->advertise_loadbalancer_ip) &&
	     !annot(&svc->annotations, ANNOT_SVC_SKIPLB) &&
	     svc->type == SVC_LOAD_BALANCER;
	for (int f = 0; cl && f < FAM_COUNT; f++)
		announce_vip(b, &svc->cluster_ip[f], ROUTER_SRC_CLUSTER, svc,
			     local || svc->internal_policy == TRAFFIC_LOCAL);
	for (uint32_t i = 0; ex && i < svc->n_external_ips; i++)
		announce_vip(b, &svc->external_ips[i], ROUTER_SRC_EXTERNAL, svc,
			     local);
	for (uint32_t i = 0; lb && i < svc->n_lb_ips; i++)
		announce_vip(b, &svc->lb_ips[i], ROUTER_SRC_LB, svc, local);
}

static int ann_cmp(const void *a, const void *b)
{
	const struct router_announce *x = a, *y = b;
	int r = prefix_cmp(&x->pfx, &y->pfx);

	/* equal prefixes: the pod CIDR first, then by reason */
	return r ? r : (int)x->src - (int)y->src;
}

/* Sorted, one entry per prefix (two Services may share an ExternalIP). */
static void ann_finish(struct build *b)
{
	struct router_desire *d = b->d;
	char first[PREFIX_STRLEN], why[128];
	size_t w = 0;

	if (d->n_ann)
		qsort(d->ann, d->n_ann, sizeof(*d->ann), ann_cmp);
	for (size_t i = 0; i < d->n_ann; i++)
		if (!w || !prefix_equal(&d->ann[w - 1].pfx, &d->ann[i].pfx))
			d->ann[w++] = d->ann[i];
	d->n_ann = w;
	for (size_t i = 0; i < w; i++)
		d->n_ann_fam[fam_index(d->ann[i].pfx.family)]++;
	for (int f = 0; f < FAM_COUNT; f++) {
		if (!b->dropped[f])
			continue;
		snprintf(why, sizeof(why),
			 "this node has no %s InternalIP to announce them "
			 "with",
			 fam_name(fam_of_index(f)));
		note(b, why, "bgp announce %zu %s prefix%s (first %s)",
		     b->dropped[f], fam_name(fam_of_index(f)),
		     b->dropped[f] == 1 ? "" : "es",
		     prefix_format(&b->first_dropped[f], first, sizeof(first)));
	}
}

static void announcements(struct build *b)
{
	for (int f = 0; b->c->advertise_pod_cidr && f < FAM_COUNT; f++)
		announce(b, &b->core->pod_cidr[f], ROUTER_SRC_POD, NULL);
	for (size_t i = 0; i < b->s->n_services; i++)
		service(b, b->s->services[i]);
	ann_finish(b);
}

/* --- peers --------------------------------------------------------------- */

/* An address BIRD can peer with, without an interface to name. */
static const char *peer_addr_bad(const struct prefix *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t zero[16];

	if (!memcmp(a->addr, zero, a->family == AF_INET ? 4 : 16))
		return "the unspecified address";
	if (a->family == AF_INET)
		return a->addr[0] >= 224 ? "a multicast or reserved address"
					 : NULL;
	if (!memcmp(a->addr, mapped, sizeof(mapped)))
		return "an IPv4-mapped IPv6 address (give the IPv4 address)";
	if (a->addr[0] == 0xff)
		return "a multicast address";
	if (a->addr[0] == 0xfe && (a->addr[1] & 0xc0) == 0x80)
		return "link-local (needs an interface; use a global address)";
	return NULL;
}

static bool peer_name_taken(const struct router_desire *d,
			    const struct router_peer *p, const char **by)
{
	for (size_t i = 0; i < d->n_peers; i++)
		if (prefix_equal(&d->peers[i].addr, &p->addr)) {
			*by = d->peers[i].name;
			return true;
		}
	return false;
}

/* Channels: each family needs a next hop of its own family, the peer's
 * local address when it has that family, else this node's InternalIP. */
static void peer_channels(struct build *b, struct router_peer *p)
{
	for (int f = 0; f < FAM_COUNT; f++) {
		unsigned bit = fam_bit(fam_of_index(f));

		if (!(p->families & bit))
			continue;
		if (p->local.family == fam_of_index(f))
			p->nexthop[f] = p->local;
		else if (prefix_present(&b->d->nexthop[f]))
			p->nexthop[f] = b->d->nexthop[f];
		if (prefix_present(&p->nexthop[f]))
			continue;
		p->families &= ~bit;
		note(b,
		     f ? "this node has no IPv6 address for a next hop; "
			 "family skipped"
		       : "this node has no IPv4 address for a next hop; "
			 "family skipped",
		     "bgp peer %s family %s", p->name,
		     router_families_name(bit));
	}
}

/* Adds p (its name, address, asn and families set) after the checks
 * shared by config and annotation peers. */
static void peer_add(struct build *b, struct router_peer *p)
{
	struct router_desire *d = b->d;
	const char *bad = peer_addr_bad(&p->addr), *by;
	char why[160];

	if (bad) {
		snprintf(why, sizeof(why), "address is %s; skipped", bad);
		note(b, why, "bgp peer %s", p->name);
		return;
	}
	if (peer_name_taken(d, p, &by)) {
		snprintf(why, sizeof(why),
			 "same address as peer %.64s; skipped", by);
		note(b, why, "bgp peer %s", p->name);
		return;
	}
	peer_channels(b, p);
	if (!p->families) {
		note(b, "no family left with a next hop; skipped",
		     "bgp peer %s", p->name);
		return;
	}
	if (d->n_peers >= ROUTER_PEERS_MAX * 2) {
		note(b, "too many peers; skipped", "bgp peer %s", p->name);
		return;
	}
	if (array_grow(&d->peers, &b->cap_peers, d->n_peers + 1,
		       sizeof(*d->peers))) {
		b->err = -ENOMEM;
		return;
	}
	d->peers[d->n_peers++] = *p;
}

static int config_peer_fill(const struct router_peer_config *pc,
			    struct router_peer *p, const char **why)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", pc->name);
	snprintf(p->proto, sizeof(p->proto), "snapnet_peer_%s", pc->name);
	*why = "address is not an IP address; skipped";
	if (prefix_parse_addr(pc->address, &p->addr))
		return -EINVAL;
	*why = "local_address is not an IP address; skipped";
	if (pc->local_address[0] &&
	    prefix_parse_addr(pc->local_address, &p->local))
		return -EINVAL;
	*why = "local_address is not of the address's family; skipped";
	if (p->local.family && p->local.family != p->addr.family)
		return -EINVAL;
	*why = "families: expected ipv4, ipv6 or ipv4,ipv6; skipped";
	p->families = pc->families[0] ? router_parse_families(pc->families)
				      : fam_bit(p->addr.family);
	if (!p->families)
		return -EINVAL;
	*why = "password: 1..80 printable ASCII bytes without '\"' (TCP "
	       "MD5); skipped";
	if (pc->password[0] && !router_password_ok(pc->password))
		return -EINVAL;
	*why = "hold_time: 0 or 3..65535; skipped";
	if (pc->hold_time && pc->hold_time < 3)
		return -EINVAL;
	str_copy(p->password, pc->password, sizeof(p->password));
	p->asn = pc->asn;
	p->port = pc->port;
	p->multihop = pc->multihop;
	p->hold_time = pc->hold_time;
	p->bfd = pc->bfd;
	return 0;
}

static void config_peers(struct build *b)
{
	struct router_peer p;
	const char *why;

	for (unsigned i = 0; i < b->c->n_peers; i++) {
		if (config_peer_fill(&b->c->peers[i], &p, &why)) {
			note(b, why, "bgp peer %s", b->c->peers[i].name);
			continue;
		}
		peer_add(b, &p);
	}
}

/* The lists of kube-router.io/peer.* on this Node, by index. */
struct node_lists {
	const char *ips, *asns, *ports, *passwords, *localips;
	size_t n;
};

/* An optional list has either no entry or one per IP. */
static bool list_fits(struct build *b, const char *key, const char *v, size_t n)
{
	char why[128];

	if (!v || router_list_count(v) == n)
		return true;
	snprintf(why, sizeof(why),
		 "%zu entries for %zu peer IPs; no peer of this node's "
		 "annotations is used",
		 router_list_count(v), n);
	note(b, why, "annotation %s of node %s", key, b->core->node_name);
	return false;
}

static int node_peer_entry(const struct node_lists *l, size_t i,
			   struct router_peer *p, const char **key)
{
	char item[128];
	uint32_t v;

	memset(p, 0, sizeof(*p));
	*key = ANNOT_PEER_IPS;
	if (router_list_item(l->ips, i, item, sizeof(item)) ||
	    prefix_parse_addr(item, &p->addr))
		return -EINVAL;
	addr_format(&p->addr, item, sizeof(item));
	/* an address text is at most 45 bytes */
	snprintf(p->name, sizeof(p->name), "node/%.46s", item);
	snprintf(p->proto, sizeof(p->proto), "snapnet_node_%.46s", item);
	*key = ANNOT_PEER_ASNS;
	if (router_list_item(l->asns, i, item, sizeof(item)) ||
	    router_parse_asn(item, &p->asn))
		return -EINVAL;
	p->port = 179;
	*key = ANNOT_PEER_PORTS;
	if (l->ports && (router_list_item(l->ports, i, item, sizeof(item)) ||
			 (item[0] && router_parse_uint(item, 1, 65535, &v))))
		return -EINVAL;
	if (l->ports && item[0])
		p->port = v;
	*key = ANNOT_PEER_PASSWORDS;
	if (l->passwords &&
	    (router_list_item(l->passwords, i, item, sizeof(item)) ||
	     (item[0] &&
	      (router_base64_decode(item, p->password, sizeof(p->password)) ||
	       !router_password_ok(p->password)))))
		return -EINVAL;
	*key = ANNOT_PEER_LOCALIPS;
	if (l->localips &&
	    (router_list_item(l->localips, i, item, sizeof(item)) ||
	     (item[0] && (prefix_parse_addr(item, &p->local) ||
			  p->local.family != p->addr.family))))
		return -EINVAL;
	p->from_node = true;
	p->families = fam_bit(p->addr.family);
	return 0;
}

static void node_peers(struct build *b)
{
	const struct labels *a = &b->core->self->annotations;
	struct node_lists l = {
		annot(a, ANNOT_PEER_IPS),      annot(a, ANNOT_PEER_ASNS),
		annot(a, ANNOT_PEER_PORTS),    annot(a, ANNOT_PEER_PASSWORDS),
		annot(a, ANNOT_PEER_LOCALIPS), 0
	};
	struct router_peer p;
	const char *key;

	if (!l.ips)
		return;
	l.n = router_list_count(l.ips);
	if (!l.asns) {
		note(b,
		     "no kube-router.io/peer.asns beside it; no peer of "
		     "this node's annotations is used",
		     "annotation %s of node %s", ANNOT_PEER_IPS,
		     b->core->node_name);
		return;
	}
	if (!list_fits(b, ANNOT_PEER_ASNS, l.asns, l.n) ||
	    !list_fits(b, ANNOT_PEER_PORTS, l.ports, l.n) ||
	    !list_fits(b, ANNOT_PEER_PASSWORDS, l.passwords, l.n) ||
	    !list_fits(b, ANNOT_PEER_LOCALIPS, l.localips, l.n))
		return;
	for (size_t i = 0; i < l.n && i < ROUTER_PEERS_MAX; i++) {
		if (node_peer_entry(&l, i, &p, &key)) {
			/* the entry is named by position: it may be a
			 * password */
			note(b, "not valid; that peer is skipped",
			     "annotation %s of node %s entry %zu", key,
			     b->core->node_name, i + 1);
			continue;
		}
		p.hold_time = 0;
		peer_add(b, &p);
	}
}

static int peer_cmp(const void *a, const void *b)
{
	return strcmp(((const struct router_peer *)a)->name,
		      ((const struct router_peer *)b)->name);
}

/* --- communities, prepend ------------------------------------------------ */

static void comm_list(struct build *b, const char *list, bool large,
		      const char *what)
{
	struct router_desire *d = b->d;
	char item[64];
	int bad;

	if (!list || !list[0])
		return;
	if (!d->comms) {
		d->comms = calloc(2 * ROUTER_COMMS_MAX, sizeof(*d->comms));
		if (!d->comms) {
			b->err = -ENOMEM;
			return;
		}
	}
	router_parse_comm_list(list, large, d->comms, 2 * ROUTER_COMMS_MAX,
			       &d->n_comms, &bad);
	if (bad < 0)
		return;
	router_list_item(list, (size_t)bad, item, sizeof(item));
	note(b,
	     large ? "not a large community (ga:ld1:ld2); skipped"
		   : "not a community (aa:nn, a number or a well-known "
		     "name); skipped",
	     "%s entry %d \"%.40s\"", what, bad + 1, item);
}

static void communities(struct build *b)
{
	const struct labels *a = &b->core->self->annotations;
	char what[160];

	comm_list(b, b->c->communities, false, "[router] communities");
	comm_list(b, b->c->large_communities, true,
		  "[router] large_communities");
	snprintf(what, sizeof(what), "annotation %s of node %.64s",
		 ANNOT_COMMUNITIES, b->core->node_name);
	comm_list(b, annot(a, ANNOT_COMMUNITIES), false, what);
	snprintf(what, sizeof(what), "annotation %s of node %.64s",
		 ANNOT_LARGE_COMMUNITIES, b->core->node_name);
	comm_list(b, annot(a, ANNOT_LARGE_COMMUNITIES), true, what);
}

static void prepend(struct build *b)
{
	const struct labels *a = &b->core->self->annotations;
	const char *as = annot(a, ANNOT_PREPEND_AS);
	const char *n = annot(a, ANNOT_PREPEND_N);
	uint32_t asn, rep;

	if (!as && !n)
		return;
	if (as && n && router_parse_asn(as, &asn) == 0 &&
	    router_parse_uint(n, 1, 255, &rep) == 0) {
		b->d->prepend_asn = asn;
		b->d->prepend_n = rep;
		return;
	}
	note(b, "needs both, an AS number and a count 1..255; no prepending",
	     "annotations %s and %s of node %s", ANNOT_PREPEND_AS,
	     ANNOT_PREPEND_N, b->core->node_name);
}

/* --- entry --------------------------------------------------------------- */

int router_desire_build(const struct snapshot *s, const struct desired *core,
			const struct router_config *c,
			struct router_desire **out)
{
	struct build b = { .s = s, .core = core, .c = c };
	int e;

	*out = NULL;
	b.d = calloc(1, sizeof(*b.d));
	if (!b.d)
		return -ENOMEM;
	b.d->mode = router_mode_of(c);
	b.d->node = core->node_name;
	for (int f = 0; f < FAM_COUNT; f++)
		if (core->internal_ip[f].family == fam_of_index(f))
			b.d->nexthop[f] = core->internal_ip[f];
	router_id(&b);
	local_asn(&b);
	announcements(&b);
	config_peers(&b);
	node_peers(&b);
	if (b.d->n_peers)
		qsort(b.d->peers, b.d->n_peers, sizeof(*b.d->peers), peer_cmp);
	communities(&b);
	prepend(&b);
	e = b.err ? b.err : router_render(c, b.d);
	if (e) {
		router_desire_free(b.d);
		return e;
	}
	*out = b.d;
	return 0;
}

void router_desire_free(struct router_desire *d)
{
	if (!d)
		return;
	/* passwords were copied in: do not leave them in freed memory */
	for (size_t i = 0; i < d->n_peers; i++)
		explicit_bzero(d->peers[i].password,
			       sizeof(d->peers[i].password));
	if (d->text)
		explicit_bzero(d->text, d->len);
	free(d->ann);
	free(d->peers);
	free(d->comms);
	free(d->notes);
	free(d->text);
	free(d);
}
