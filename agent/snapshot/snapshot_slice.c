/*
 * snapshot_slice.c - EndpointSlice items -> struct endpointslice, read
 * off the scanner's tokens (fields and rules in docs/model.md).
 *
 * Defaults are the API's: protocol TCP; an endpoint whose `ready` is
 * absent is ready, whose `serving` is absent serves as ready says, whose
 * `terminating` is absent is not terminating. A slice's addresses are
 * checked against its addressType once the whole item is read, whatever
 * the order of its keys.
 */
#include "snapshot/snapshot_kinds.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

char *snapshot_quote(char *buf, size_t buflen, const char *s, size_t n);

#define SLICE_PORTS_MAX 100
#define SLICE_EPS_MAX 1000
#define EP_ADDRS_MAX 100

/* ---- EndpointSlice ---------------------------------------------- */

struct slice_build {
	struct endpointslice *e;
	struct walk_meta meta;
	int addr_type; /* -1: not given; 0 IPv4, 1 IPv6, 2 FQDN */
	size_t cap_ports, cap_eps;
	/* the last "endpoints" member: where its value is, and the
	 * addressType its addresses were read under */
	size_t eps_pos;
	int eps_type;
	bool have_eps;
};

struct ep_build {
	struct endpointslice *e;
	struct slice_build *b;
	struct endpoint *ep;
	size_t cap;
	int ready, serving, terminating; /* -1: absent */
};

static int slice_port_member(struct walk *w, const struct scan_str *key,
			     void *arg)
{
	struct slice_port *p = arg;
	char buf[64], q[96];
	size_t len;
	long long v;
	int r;

	if (scan_str_eq(key, "port")) {
		r = walk_int(w, "port", 1, 65535, &v);
		if (r == 1)
			p->port = (uint16_t)v;
	} else if (scan_str_eq(key, "protocol")) {
		r = walk_proto(w, "protocol", &p->proto);
	} else if (scan_str_eq(key, "name")) {
		r = walk_string(w, "name", buf, sizeof(buf), &len);
		walk_push(w, "name");
		if (r == 1 && len && !walk_dns1123_label(buf, len)) {
			snapshot_quote(q, sizeof(q), buf, len);
			r = walk_fail(w, "invalid port name %s (not a DNS-1123 "
				      "label)", q);
		}
		walk_pop(w);
		if (r == 1 && !(p->name = walk_intern(w, buf, len)))
			r = -ENOMEM;
	} else {
		r = walk_skip(w);
	}
	return r < 0 ? r : 0;
}

static int slice_port_elem(struct walk *w, size_t i, void *arg)
{
	struct slice_build *b = arg;
	struct endpointslice *e = b->e;
	struct slice_port p = { .proto = PROTO_TCP };
	int r = walk_object(w, NULL, slice_port_member, &p);

	(void)i;
	if (r <= 0)
		return r < 0 ? r : walk_fail(w, "expected object, got null");
	if (walk_grow(w, &e->ports, &b->cap_ports, e->n_ports,
		      sizeof(*e->ports)) < 0)
		return -ENOMEM;
	e->ports[e->n_ports++] = p;
	return 0;
}

/* An address of the slice's addressType: checked now when that came
 * first (kubectl sorts it first), else kept as text for slice_addrs(). */
static int ip_now(struct walk *w, struct ep_build *eb, const char *buf,
		  size_t len)
{
	int fam = eb->b->addr_type == 0 ? AF_INET : AF_INET6;
	struct endpoint *ep = eb->ep;
	struct prefix p;
	char q[96];

	if (len != strlen(buf) || prefix_parse_addr(buf, &p) < 0 ||
	    p.family != fam) {
		snapshot_quote(q, sizeof(q), buf, len);
		return walk_fail(w, "%s is not an %s address (addressType %s)",
				 q, fam_name(fam), fam_name(fam));
	}
	if (walk_grow(w, &ep->addrs, &eb->cap, ep->n_addrs,
		      sizeof(*ep->addrs)) < 0)
		return -ENOMEM;
	ep->addrs[ep->n_addrs++] = p;
	return 0;
}

static int addr_elem(struct walk *w, size_t i, void *arg)
{
	struct ep_build *eb = arg;
	const char *s = NULL;
	char buf[256];
	size_t len;
	int r;

	(void)i;
	if (eb->b->addr_type == 0 || eb->b->addr_type == 1) {
		r = walk_string(w, NULL, buf, sizeof(buf), &len);
		if (r <= 0)
			return r < 0 ? r
				     : walk_fail(w, "expected string, got null");
		return ip_now(w, eb, buf, len);
	}
	r = walk_ostring(w, NULL, 253, &s);
	if (r <= 0)
		return r < 0 ? r : walk_fail(w, "expected string, got null");
	if (walk_grow(w, &eb->ep->names, &eb->cap, eb->ep->n_addrs,
		      sizeof(*eb->ep->names)) < 0)
		return -ENOMEM;
	eb->ep->names[eb->ep->n_addrs++] = s;
	return 0;
}

static int cond_member(struct walk *w, const struct scan_str *key, void *arg)
{
	struct ep_build *eb = arg;
	int *slot = scan_str_eq(key, "ready")	      ? &eb->ready
		    : scan_str_eq(key, "serving")     ? &eb->serving
		    : scan_str_eq(key, "terminating") ? &eb->terminating
						      : NULL;
	bool v = false;
	int r;

	if (!slot)
		return walk_skip(w);
	r = walk_bool(w, slot == &eb->ready	    ? "ready"
			 : slot == &eb->serving ? "serving"
						: "terminating",
		      &v);
	if (r < 0)
		return r;
	*slot = r == 1 ? v : -1;
	return 0;
}

static int ep_member(struct walk *w, const struct scan_str *key, void *arg)
{
	struct ep_build *eb = arg;
	char buf[256], q[96];
	size_t len;
	int r;

	if (scan_str_eq(key, "addresses")) {
		free(eb->ep->addrs);
		free(eb->ep->names);
		eb->ep->addrs = NULL;
		eb->ep->names = NULL;
		eb->ep->n_addrs = 0;
		eb->cap = 0;
		r = walk_array(w, "addresses", EP_ADDRS_MAX, addr_elem, eb);
	} else if (scan_str_eq(key, "conditions")) {
		eb->ready = eb->serving = eb->terminating = -1;
		r = walk_object(w, "conditions", cond_member, eb);
	} else if (scan_str_eq(key, "nodeName")) {
		r = walk_string(w, "nodeName", buf, sizeof(buf), &len);
		walk_push(w, "nodeName");
		if (r == 1 && !walk_dns1123_subdomain(buf, len)) {
			snapshot_quote(q, sizeof(q), buf, len);
			r = walk_fail(w, "invalid node name %s", q);
		}
		walk_pop(w);
		if (r == 1 && !(eb->ep->node = walk_intern(w, buf, len)))
			r = -ENOMEM;
	} else {
		r = walk_skip(w);
	}
	return r < 0 ? r : 0;
}

static int ep_elem(struct walk *w, size_t i, void *arg)
{
	struct slice_build *b = arg;
	struct endpointslice *e = b->e;
	struct ep_build eb = { .e = e, .b = b, .ready = -1, .serving = -1,
			       .terminating = -1 };
	int r;

	(void)i;
	if (walk_grow(w, &e->eps, &b->cap_eps, e->n_eps, sizeof(*e->eps)) < 0)
		return -ENOMEM;
	eb.ep = &e->eps[e->n_eps++]; /* owned by the record from now on */
	memset(eb.ep, 0, sizeof(*eb.ep));
	r = walk_object(w, NULL, ep_member, &eb);
	if (r <= 0)
		return r < 0 ? r : walk_fail(w, "expected object, got null");
	if (!eb.ep->n_addrs) {
		walk_push(w, "addresses");
		return walk_fail(w, "missing (at least one address)");
	}
	eb.ep->ready = eb.ready != 0;
	eb.ep->serving = eb.serving < 0 ? eb.ep->ready : eb.serving != 0;
	eb.ep->terminating = eb.terminating > 0;
	return 0;
}

static void eps_free(struct endpointslice *e)
{
	for (uint32_t i = 0; i < e->n_eps; i++) {
		free(e->eps[i].addrs);
		free(e->eps[i].names);
	}
	e->n_eps = 0;
}

static int slice_member(struct walk *w, const struct scan_str *key, void *arg)
{
	static const char *const types[] = { "IPv4", "IPv6", "FQDN" };
	struct slice_build *b = arg;
	struct endpointslice *e = b->e;
	int r;

	if (scan_str_eq(key, "metadata")) {
		b->meta = (struct walk_meta){ .rule = NAME_SUBDOMAIN,
					      .namespaced = true,
					      .name = &e->name,
					      .ns = &e->ns,
					      .labels = &e->labels };
		r = walk_metadata(w, &b->meta);
	} else if (scan_str_eq(key, "addressType")) {
		r = walk_enum(w, "addressType", types, 3, &b->addr_type);
		if (r == 0)
			b->addr_type = -1;
	} else if (scan_str_eq(key, "ports")) {
		e->n_ports = 0;
		r = walk_array(w, "ports", SLICE_PORTS_MAX, slice_port_elem, b);
	} else if (scan_str_eq(key, "endpoints")) {
		eps_free(e);
		b->eps_pos = w->sc->pos;
		b->eps_type = b->addr_type;
		b->have_eps = true;
		r = walk_array(w, "endpoints", SLICE_EPS_MAX, ep_elem, b);
	} else {
		r = walk_skip(w);
	}
	return r < 0 ? r : 0;
}

/* Addresses read before addressType was known (or FQDN ones), as the
 * slice's addressType says. */
static int slice_addrs(struct walk *w, struct slice_build *b)
{
	struct endpointslice *e = b->e;
	int fam = b->addr_type == 0 ? AF_INET : AF_INET6;
	char q[96];

	for (uint32_t i = 0; i < e->n_eps; i++) {
		struct endpoint *ep = &e->eps[i];

		for (uint32_t j = 0; ep->names && j < ep->n_addrs; j++) {
			const char *s = ep->names[j];
			struct prefix p;
			bool ok;

			if (b->addr_type == 2) {
				ok = walk_dns1123_subdomain(s, strlen(s));
			} else {
				ok = prefix_parse_addr(s, &p) == 0 &&
				     p.family == fam;
				if (ok && !ep->addrs &&
				    !(ep->addrs = calloc(ep->n_addrs,
							 sizeof(*ep->addrs))))
					return walk_fail_e(w, ENOMEM,
							   "out of memory");
				if (ok)
					ep->addrs[j] = p;
			}
			if (ok)
				continue;
			walk_push(w, "endpoints");
			walk_push_index(w, i);
			walk_push(w, "addresses");
			walk_push_index(w, j);
			snapshot_quote(q, sizeof(q), s, strlen(s));
			return walk_fail(w, "%s is not %s (addressType %s)", q,
					 b->addr_type == 2
					     ? "a DNS-1123 subdomain"
					     : b->addr_type == 0
						   ? "an IPv4 address"
						   : "an IPv6 address",
					 b->addr_type == 2   ? "FQDN"
					 : b->addr_type == 0 ? "IPv4"
							     : "IPv6");
		}
		if (b->addr_type != 2 && ep->names) {
			free(ep->names); /* the strings stay with the record */
			ep->names = NULL;
		}
	}
	return 0;
}

static int slice_finish(struct walk *w, void *arg)
{
	struct slice_build *b = arg;
	struct endpointslice *e = b->e;
	int r;

	b->meta.name = &e->name;
	b->meta.ns = &e->ns;
	b->meta.namespaced = true;
	r = walk_metadata_done(w, &b->meta);
	if (r < 0)
		return r;
	for (uint32_t i = 0; i < e->labels.n; i++)
		if (!strcmp(e->labels.v[i].key, "kubernetes.io/service-name"))
			e->service = e->labels.v[i].value;
	if (b->addr_type < 0) {
		walk_push(w, "addressType");
		return walk_fail(w, "missing");
	}
	e->family = b->addr_type == 0	? AF_INET
		    : b->addr_type == 1 ? AF_INET6
					: 0;
	if (b->have_eps && b->eps_type >= 0 && b->eps_type != b->addr_type) {
		/* a later addressType changed it: read the endpoints again
		 * as the last one says (the value was validated already) */
		size_t here = w->sc->pos;

		eps_free(e);
		w->sc->pos = b->eps_pos;
		r = walk_array(w, "endpoints", SLICE_EPS_MAX, ep_elem, b);
		w->sc->pos = here;
		if (r < 0)
			return r;
	}
	return slice_addrs(w, b);
}

static void slice_free(struct rec *r)
{
	struct endpointslice *e = (struct endpointslice *)r;

	for (uint32_t i = 0; i < e->n_eps; i++) {
		free(e->eps[i].addrs);
		free(e->eps[i].names);
	}
	free(e->eps);
	free(e->ports);
	free(e->labels.v);
}

static int slice_init(struct walk *w, void *arg)
{
	(void)w;
	((struct slice_build *)arg)->addr_type = -1;
	return 0;
}

const struct kind_ops kind_slice = {
	.name = "EndpointSlice",
	.kind = KIND_SLICE,
	.rec_size = sizeof(struct endpointslice),
	.build_size = sizeof(struct slice_build),
	.max_count = 1000000,
	.max_bytes = 16u << 20,
	.init = slice_init,
	.member = slice_member,
	.finish = slice_finish,
	.free_parts = slice_free,
};
