/*
 * snapshot_service.c - Service items -> struct service, read off the
 * scanner's tokens (fields and rules in docs/model.md; EndpointSlices are
 * snapshot_slice.c).
 *
 * Defaults are the API's: type ClusterIP, protocol TCP, targetPort the
 * port, sessionAffinity None with a ClientIP timeout of 10800 s, traffic
 * policies Cluster.
 */
#include "snapshot/snapshot_kinds.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

char *snapshot_quote(char *buf, size_t buflen, const char *s, size_t n);

#define SVC_PORTS_MAX 256
#define SVC_IPS_MAX 64
#define SVC_RANGES_MAX 256
#define AFFINITY_DEFAULT 10800

/* ---- Service ---------------------------------------------------- */

struct svc_build {
	struct service *s;
	struct walk_meta meta;
	size_t cap_ext, cap_lb, cap_ranges, cap_ports;
	struct prefix cluster_ip; /* spec.clusterIP */
	bool has_cluster_ip, cluster_ip_none;
	struct prefix first; /* spec.clusterIPs[0] */
	bool first_none;
	size_t n_ips;
};

/* A clusterIP: "" (unset: 0), "None" (2) or an IP (1). */
static int cluster_ip(struct walk *w, const char *key, struct prefix *out)
{
	char buf[64], q[96];
	size_t len = 0;
	int r = walk_string(w, key, buf, sizeof(buf), &len);

	if (r != 1)
		return r;
	if (len == 0)
		return 0;
	if (len == 4 && !memcmp(buf, "None", 4)) /* not "None\u0000..." */
		return 2;
	if (len == strlen(buf) && prefix_parse_addr(buf, out) == 0)
		return 1;
	if (key)
		walk_push(w, key);
	snapshot_quote(q, sizeof(q), buf, len);
	return walk_fail(w, "%s is not an IP address (or \"None\")", q);
}

static int cluster_ip_elem(struct walk *w, size_t i, void *arg)
{
	struct svc_build *b = arg;
	struct service *s = b->s;
	char a[PREFIX_STRLEN];
	struct prefix ip = { 0 };
	int r = cluster_ip(w, NULL, &ip);

	if (r < 0)
		return r;
	if (r == 2) {
		if (i > 0 || b->n_ips)
			return walk_fail(w, "\"None\" must be the only entry");
		s->headless = true;
		b->first_none = true;
		b->n_ips = 1;
		return 0;
	}
	if (r == 0)
		return walk_fail(w, "empty");
	if (s->headless)
		return walk_fail(w, "\"None\" must be the only entry");
	if (prefix_present(&s->cluster_ip[fam_index(ip.family)]))
		return walk_fail(w, "second %s cluster IP %s (at most one per "
				 "family)",
				 fam_name(ip.family),
				 addr_format(&ip, a, sizeof(a)));
	s->cluster_ip[fam_index(ip.family)] = ip;
	if (i == 0)
		b->first = ip;
	b->n_ips = i + 1;
	return 0;
}

static int family_elem(struct walk *w, size_t i, void *arg)
{
	static const char *const fams[] = { "IPv4", "IPv6" };
	struct service *s = ((struct svc_build *)arg)->s;
	int v = 0, r = walk_enum(w, NULL, fams, 2, &v);
	uint8_t f = v ? AF_INET6 : AF_INET;

	(void)i;
	if (r <= 0)
		return r < 0 ? r : walk_fail(w, "null");
	if (s->n_families && s->families[0] == f)
		return walk_fail(w, "%s listed twice", fams[v]);
	s->families[s->n_families++] = f;
	return 0;
}

/* Grows one of the service's prefix lists and reads an IP or a CIDR. */
struct list_arg {
	struct svc_build *b;
	struct prefix **v;
	uint32_t *n;
	size_t *cap;
	bool cidr;
};

static int prefix_elem(struct walk *w, size_t i, void *arg)
{
	struct list_arg *l = arg;
	struct prefix p;
	int r;

	(void)i;
	r = l->cidr ? walk_cidr(w, NULL, true, &p) : walk_ip(w, NULL, &p);
	if (r <= 0)
		return r < 0 ? r : walk_fail(w, "null");
	if (walk_grow(w, l->v, l->cap, *l->n, sizeof(**l->v)) < 0)
		return -ENOMEM;
	(*l->v)[(*l->n)++] = p;
	return 0;
}

static int prefix_list(struct walk *w, const char *key, size_t max,
		       struct list_arg *l)
{
	*l->n = 0;
	return walk_array(w, key, max, prefix_elem, l);
}

struct sport_build {
	struct svc_port p;
	long long port;
	bool have_port;
};

static int target_port(struct walk *w, struct sport_build *pb)
{
	char buf[64], q[96];
	size_t len;
	long long v;
	int r;

	if (scan_peek(w->sc) != '"') {
		r = walk_int(w, "targetPort", 1, 65535, &v);
		if (r == 1)
			pb->p.target_port = (uint16_t)v;
		return r;
	}
	r = walk_string(w, "targetPort", buf, sizeof(buf), &len);
	if (r != 1)
		return r;
	walk_push(w, "targetPort");
	if (!walk_iana_svc_name(buf, len)) {
		snapshot_quote(q, sizeof(q), buf, len);
		return walk_fail(w, "%s is neither a port number nor an IANA "
				 "service name", q);
	}
	walk_pop(w);
	pb->p.target_port = 0;
	return (pb->p.target_name = walk_intern(w, buf, len)) ? 1 : -ENOMEM;
}

static int sport_member(struct walk *w, const struct scan_str *key, void *arg)
{
	struct sport_build *pb = arg;
	char buf[64], q[96];
	size_t len;
	long long v;
	int r;

	if (scan_str_eq(key, "port")) {
		r = walk_int(w, "port", 1, 65535, &pb->port);
		pb->have_port = r == 1;
	} else if (scan_str_eq(key, "protocol")) {
		r = walk_proto(w, "protocol", &pb->p.proto);
	} else if (scan_str_eq(key, "targetPort")) {
		pb->p.target_port = 0; /* the last one wins; null: the port */
		pb->p.target_name = NULL;
		r = target_port(w, pb);
	} else if (scan_str_eq(key, "nodePort")) {
		r = walk_int(w, "nodePort", 0, 65535, &v);
		if (r == 1)
			pb->p.node_port = (uint16_t)v;
	} else if (scan_str_eq(key, "name")) {
		r = walk_string(w, "name", buf, sizeof(buf), &len);
		if (r == 1 && len == 0)
			return 0;
		walk_push(w, "name");
		if (r == 1 && !walk_dns1123_label(buf, len)) {
			snapshot_quote(q, sizeof(q), buf, len);
			r = walk_fail(w, "invalid port name %s (not a DNS-1123 "
				      "label)", q);
		}
		walk_pop(w);
		if (r == 1 && !(pb->p.name = walk_intern(w, buf, len)))
			r = -ENOMEM;
	} else {
		r = walk_skip(w);
	}
	return r < 0 ? r : 0;
}

static int sport_elem(struct walk *w, size_t i, void *arg)
{
	struct svc_build *b = arg;
	struct service *s = b->s;
	struct sport_build pb = { .p.proto = PROTO_TCP };
	int r = walk_object(w, NULL, sport_member, &pb);

	(void)i;
	if (r <= 0)
		return r < 0 ? r : walk_fail(w, "expected object, got null");
	if (!pb.have_port) {
		walk_push(w, "port");
		return walk_fail(w, "missing");
	}
	pb.p.port = (uint16_t)pb.port;
	if (!pb.p.target_port && !pb.p.target_name)
		pb.p.target_port = pb.p.port;
	if (walk_grow(w, &s->ports, &b->cap_ports, s->n_ports,
		      sizeof(*s->ports)) < 0)
		return -ENOMEM;
	s->ports[s->n_ports++] = pb.p;
	return 0;
}

static int client_ip(struct walk *w, const struct scan_str *key, void *arg)
{
	long long v;
	int r;

	if (!scan_str_eq(key, "timeoutSeconds"))
		return walk_skip(w);
	r = walk_int(w, "timeoutSeconds", 1, 86400, &v);
	if (r == 1)
		*(uint32_t *)arg = (uint32_t)v;
	return r < 0 ? r : 0;
}

static int affinity_config(struct walk *w, const struct scan_str *key,
			   void *arg)
{
	if (!scan_str_eq(key, "clientIP"))
		return walk_skip(w);
	return walk_object(w, "clientIP", client_ip, arg) < 0 ? -EINVAL : 0;
}

static int svc_enum(struct walk *w, const char *key, const char *const *names,
		    size_t n, uint8_t *out)
{
	int v = 0, r = walk_enum(w, key, names, n, &v);

	if (r >= 0) /* null: the default, names[0] */
		*out = (uint8_t)v;
	return r < 0 ? r : 0;
}

static int svc_spec(struct walk *w, const struct scan_str *key, void *arg)
{
	static const char *const types[] = { "ClusterIP", "NodePort",
					     "LoadBalancer", "ExternalName" };
	static const char *const policies[] = { "Cluster", "Local" };
	static const char *const affinity[] = { "None", "ClientIP" };
	struct svc_build *b = arg;
	struct service *s = b->s;
	uint8_t a;
	int r;

	if (scan_str_eq(key, "type"))
		return svc_enum(w, "type", types, 4, &s->type);
	if (scan_str_eq(key, "externalTrafficPolicy"))
		return svc_enum(w, "externalTrafficPolicy", policies, 2,
				&s->external_policy);
	if (scan_str_eq(key, "internalTrafficPolicy"))
		return svc_enum(w, "internalTrafficPolicy", policies, 2,
				&s->internal_policy);
	if (scan_str_eq(key, "sessionAffinity")) {
		a = 0;
		r = svc_enum(w, "sessionAffinity", affinity, 2, &a);
		s->affinity_client_ip = a == 1;
		return r;
	}
	if (scan_str_eq(key, "sessionAffinityConfig"))
		return walk_object(w, "sessionAffinityConfig", affinity_config,
				   &s->affinity_timeout) < 0
			   ? -EINVAL
			   : 0;
	if (scan_str_eq(key, "clusterIP")) {
		r = cluster_ip(w, "clusterIP", &b->cluster_ip);
		b->has_cluster_ip = r > 0;
		b->cluster_ip_none = r == 2;
		return r < 0 ? r : 0;
	}
	if (scan_str_eq(key, "clusterIPs")) {
		memset(s->cluster_ip, 0, sizeof(s->cluster_ip));
		s->headless = b->first_none = false;
		b->n_ips = 0;
		r = walk_array(w, "clusterIPs", FAM_COUNT, cluster_ip_elem, b);
		return r < 0 ? r : 0;
	}
	if (scan_str_eq(key, "ipFamilies")) {
		s->n_families = 0;
		r = walk_array(w, "ipFamilies", FAM_COUNT, family_elem, b);
		return r < 0 ? r : 0;
	}
	if (scan_str_eq(key, "externalIPs")) {
		struct list_arg l = { b, &s->external_ips, &s->n_external_ips,
				      &b->cap_ext, false };

		return prefix_list(w, "externalIPs", SVC_IPS_MAX, &l) < 0
			   ? -EINVAL
			   : 0;
	}
	if (scan_str_eq(key, "loadBalancerSourceRanges")) {
		struct list_arg l = { b, &s->source_ranges,
				      &s->n_source_ranges, &b->cap_ranges,
				      true };

		return prefix_list(w, "loadBalancerSourceRanges",
				   SVC_RANGES_MAX, &l) < 0
			   ? -EINVAL
			   : 0;
	}
	if (scan_str_eq(key, "ports")) {
		s->n_ports = 0;
		r = walk_array(w, "ports", SVC_PORTS_MAX, sport_elem, b);
		return r < 0 ? r : 0;
	}
	return walk_skip(w);
}

/* One entry of status.loadBalancer.ingress: at most one IP. */
struct ingress_arg {
	struct list_arg *l;
	uint32_t at; /* *l->n when the entry began */
};

static int ingress_member(struct walk *w, const struct scan_str *key,
			  void *arg)
{
	struct ingress_arg *ia = arg;
	struct list_arg *l = ia->l;
	struct prefix p;
	int r;

	if (!scan_str_eq(key, "ip"))
		return walk_skip(w);
	r = walk_ip(w, "ip", &p);
	if (r <= 0)
		return r;
	if (*l->n > ia->at) { /* "ip" twice in one entry: the last */
		(*l->v)[*l->n - 1] = p;
		return 0;
	}
	if (walk_grow(w, l->v, l->cap, *l->n, sizeof(**l->v)) < 0)
		return -ENOMEM;
	(*l->v)[(*l->n)++] = p;
	return 0;
}

static int ingress_elem(struct walk *w, size_t i, void *arg)
{
	struct ingress_arg ia = { arg, *((struct list_arg *)arg)->n };

	(void)i;
	return walk_object(w, NULL, ingress_member, &ia) < 0 ? -EINVAL : 0;
}

static int lb_member(struct walk *w, const struct scan_str *key, void *arg)
{
	struct svc_build *b = arg;
	struct list_arg l = { b, &b->s->lb_ips, &b->s->n_lb_ips, &b->cap_lb,
			      false };

	if (!scan_str_eq(key, "ingress"))
		return walk_skip(w);
	b->s->n_lb_ips = 0;
	return walk_array(w, "ingress", SVC_IPS_MAX, ingress_elem, &l) < 0
		   ? -EINVAL
		   : 0;
}

static int svc_status(struct walk *w, const struct scan_str *key, void *arg)
{
	if (!scan_str_eq(key, "loadBalancer"))
		return walk_skip(w);
	((struct svc_build *)arg)->s->n_lb_ips = 0;
	return walk_object(w, "loadBalancer", lb_member, arg) < 0 ? -EINVAL
								  : 0;
}

static int svc_member(struct walk *w, const struct scan_str *key, void *arg)
{
	struct svc_build *b = arg;
	int r;

	if (scan_str_eq(key, "metadata")) {
		b->meta = (struct walk_meta){ .rule = NAME_1035,
					      .namespaced = true,
					      .name = &b->s->name,
					      .ns = &b->s->ns,
					      .labels = &b->s->labels,
					      .annotations =
						  &b->s->annotations };
		r = walk_metadata(w, &b->meta);
	} else if (scan_str_eq(key, "spec")) {
		/* given twice: the last one wins (the defaults again) */
		struct service *s = b->s;

		s->type = SVC_CLUSTER_IP;
		s->headless = false;
		memset(s->cluster_ip, 0, sizeof(s->cluster_ip));
		s->n_families = 0;
		s->n_external_ips = s->n_source_ranges = s->n_ports = 0;
		s->affinity_client_ip = false;
		s->affinity_timeout = AFFINITY_DEFAULT;
		s->external_policy = s->internal_policy = TRAFFIC_CLUSTER;
		b->has_cluster_ip = b->cluster_ip_none = b->first_none = false;
		b->n_ips = 0;
		r = walk_object(w, "spec", svc_spec, b);
	} else if (scan_str_eq(key, "status")) {
		b->s->n_lb_ips = 0;
		r = walk_object(w, "status", svc_status, b);
	} else {
		r = walk_skip(w);
	}
	return r < 0 ? r : 0;
}

/* Port names: required when there are several, unique. */
static int svc_port_names(struct walk *w, const struct service *s)
{
	for (uint32_t i = 0; s->n_ports > 1 && i < s->n_ports; i++) {
		walk_push(w, "spec");
		walk_push(w, "ports");
		walk_push_index(w, i);
		walk_push(w, "name");
		if (!s->ports[i].name)
			return walk_fail(w, "missing (required when a "
				      "service has more than one port)");
		for (uint32_t j = 0; j < i; j++)
			if (s->ports[j].name == s->ports[i].name)
				return walk_fail(w, "\"%s\" is also the name of "
						 "spec.ports[%u]",
						 s->ports[i].name, j);
		w->n_seg -= 4;
	}
	return 0;
}

/* clusterIP agrees with clusterIPs[0]; every IP of a listed family. */
static int svc_ips(struct walk *w, struct svc_build *b)
{
	struct service *s = b->s;
	char a[PREFIX_STRLEN], c[PREFIX_STRLEN];

	walk_push(w, "spec");
	walk_push(w, "clusterIP");
	if (b->has_cluster_ip && b->n_ips == 0) {
		s->headless = b->cluster_ip_none;
		if (!s->headless)
			s->cluster_ip[fam_index(b->cluster_ip.family)] =
			    b->cluster_ip;
	} else if (b->has_cluster_ip &&
		   (b->cluster_ip_none != b->first_none ||
		    (!b->first_none &&
		     !prefix_equal(&b->cluster_ip, &b->first)))) {
		return walk_fail(w, "%s differs from spec.clusterIPs[0] %s",
				 b->cluster_ip_none
				     ? "None"
				     : addr_format(&b->cluster_ip, a,
						   sizeof(a)),
				 b->first_none
				     ? "None"
				     : addr_format(&b->first, c, sizeof(c)));
	}
	w->n_seg--;
	for (int f = 0; s->n_families && f < FAM_COUNT; f++) {
		bool listed = false;

		if (!prefix_present(&s->cluster_ip[f]))
			continue;
		for (int i = 0; i < s->n_families; i++)
			listed |= s->families[i] == fam_of_index(f);
		walk_push(w, "clusterIPs");
		if (!listed)
			return walk_fail(w, "an %s cluster IP, but ipFamilies "
					 "does not list %s",
					 fam_name(fam_of_index(f)),
					 fam_name(fam_of_index(f)));
		walk_pop(w);
	}
	w->n_seg--;
	return 0;
}

static int svc_finish(struct walk *w, void *arg)
{
	struct svc_build *b = arg;
	int r;

	b->meta.name = &b->s->name;
	b->meta.ns = &b->s->ns;
	b->meta.namespaced = true;
	r = walk_metadata_done(w, &b->meta);
	if (r == 0)
		r = svc_ips(w, b);
	if (r == 0)
		r = svc_port_names(w, b->s);
	return r;
}

static void svc_free(struct rec *r)
{
	struct service *s = (struct service *)r;

	free(s->external_ips);
	free(s->lb_ips);
	free(s->source_ranges);
	free(s->ports);
	free(s->labels.v);
	free(s->annotations.v);
}

/* The defaults the API fills in. */
static int svc_init(struct walk *w, void *arg)
{
	(void)w;
	((struct svc_build *)arg)->s->affinity_timeout = AFFINITY_DEFAULT;
	return 0;
}

const struct kind_ops kind_service = {
	.name = "Service",
	.kind = KIND_SERVICE,
	.rec_size = sizeof(struct service),
	.build_size = sizeof(struct svc_build),
	.max_count = 200000,
	.max_bytes = 16u << 20,
	.init = svc_init,
	.member = svc_member,
	.finish = svc_finish,
	.free_parts = svc_free,
};
