/*
 * snapshot_pod.c - Namespace and Pod items -> struct namespace, struct
 * pod, read off the scanner's tokens (snapshot_walk.h; the fields and
 * rules are in docs/model.md).
 *
 * A Pod keeps every container's ports (named ports are resolved on the
 * destination pod by the firewall) and at most one IP per family
 * (status.podIPs, falling back to status.podIP), as the API allows.
 */
#include "snapshot/snapshot_kinds.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

char *snapshot_quote(char *buf, size_t buflen, const char *s, size_t n);

#define CONTAINERS_MAX 64
#define PORTS_MAX 1024 /* all containers' together */

/* ---- Namespace -------------------------------------------------- */

struct ns_build {
	struct namespace *ns;
	struct walk_meta meta;
};

static int ns_member(struct walk *w, const struct scan_str *key, void *arg)
{
	struct ns_build *b = arg;

	if (!scan_str_eq(key, "metadata"))
		return walk_skip(w);
	b->meta = (struct walk_meta){ .rule = NAME_LABEL,
				      .name = &b->ns->name,
				      .labels = &b->ns->labels };
	return walk_metadata(w, &b->meta) < 0 ? -EINVAL : 0;
}

static int ns_finish(struct walk *w, void *arg)
{
	struct ns_build *b = arg;

	b->meta.name = &b->ns->name;
	return walk_metadata_done(w, &b->meta);
}

static void ns_free(struct rec *r)
{
	free(((struct namespace *)r)->labels.v);
}

const struct kind_ops kind_namespace = {
	.name = "Namespace",
	.kind = KIND_NAMESPACE,
	.rec_size = sizeof(struct namespace),
	.build_size = sizeof(struct ns_build),
	.max_count = 100000,
	.max_bytes = 16u << 20,
	.member = ns_member,
	.finish = ns_finish,
	.free_parts = ns_free,
};

/* ---- Pod -------------------------------------------------------- */

struct pod_build {
	struct pod *p;
	struct walk_meta meta;
	size_t cap_ports;
	struct prefix pod_ip; /* status.podIP */
	bool has_pod_ip;
	struct prefix first; /* status.podIPs[0] */
	size_t n_ips;
};

struct port_build {
	const char *name;
	long long port;
	uint8_t proto;
	bool have_port;
};

static int port_member(struct walk *w, const struct scan_str *key, void *arg)
{
	struct port_build *pb = arg;
	char buf[64], q[96];
	size_t len;
	int r;

	if (scan_str_eq(key, "containerPort")) {
		r = walk_int(w, "containerPort", 1, 65535, &pb->port);
		pb->have_port = r == 1;
	} else if (scan_str_eq(key, "protocol")) {
		r = walk_proto(w, "protocol", &pb->proto);
	} else if (scan_str_eq(key, "name")) {
		r = walk_string(w, "name", buf, sizeof(buf), &len);
		if (r == 1 && len == 0)
			return 0; /* "": the API's zero value, no name */
		walk_push(w, "name");
		if (r == 1 && !walk_iana_svc_name(buf, len)) {
			snapshot_quote(q, sizeof(q), buf, len);
			r = walk_fail(w, "invalid port name %s (not an IANA "
				      "service name)", q);
		}
		walk_pop(w);
		if (r == 1 && !(pb->name = walk_intern(w, buf, len)))
			r = -ENOMEM;
	} else {
		r = walk_skip(w);
	}
	return r < 0 ? r : 0;
}

static int port_elem(struct walk *w, size_t i, void *arg)
{
	struct pod_build *b = arg;
	struct pod *p = b->p;
	struct port_build pb = { .proto = PROTO_TCP };
	int r;

	(void)i;
	if (p->n_ports >= PORTS_MAX)
		return walk_fail_e(w, E2BIG, "more than %d ports in the pod",
				   PORTS_MAX);
	r = walk_object(w, NULL, port_member, &pb);
	if (r <= 0)
		return r < 0 ? r : walk_fail(w, "expected object, got null");
	if (!pb.have_port) {
		walk_push(w, "containerPort");
		return walk_fail(w, "missing");
	}
	if (walk_grow(w, &p->ports, &b->cap_ports, p->n_ports,
		      sizeof(*p->ports)) < 0)
		return -ENOMEM;
	p->ports[p->n_ports++] = (struct pod_port){
		.name = pb.name, .port = (uint16_t)pb.port, .proto = pb.proto
	};
	return 0;
}

static int container_member(struct walk *w, const struct scan_str *key,
			    void *arg)
{
	if (!scan_str_eq(key, "ports"))
		return walk_skip(w);
	return walk_array(w, "ports", PORTS_MAX, port_elem, arg) < 0 ? -EINVAL
								     : 0;
}

static int container_elem(struct walk *w, size_t i, void *arg)
{
	int r = walk_object(w, NULL, container_member, arg);

	(void)i;
	return r < 0 ? r : 0;
}

static int pod_spec(struct walk *w, const struct scan_str *key, void *arg)
{
	struct pod_build *b = arg;
	char buf[256], q[96];
	size_t len;
	int r;

	if (scan_str_eq(key, "hostNetwork"))
		return walk_bool(w, "hostNetwork", &b->p->host_network) < 0
			   ? -EINVAL
			   : 0;
	if (scan_str_eq(key, "containers")) {
		b->p->n_ports = 0;
		r = walk_array(w, "containers", CONTAINERS_MAX, container_elem,
			       b);
		return r < 0 ? r : 0;
	}
	if (!scan_str_eq(key, "nodeName"))
		return walk_skip(w);
	b->p->node = NULL;
	r = walk_string(w, "nodeName", buf, sizeof(buf), &len);
	if (r == 1 && len == 0)
		return 0; /* "": not scheduled */
	walk_push(w, "nodeName");
	if (r == 1 && !walk_dns1123_subdomain(buf, len)) {
		snapshot_quote(q, sizeof(q), buf, len);
		r = walk_fail(w, "invalid node name %s", q);
	}
	walk_pop(w);
	if (r == 1 && !(b->p->node = walk_intern(w, buf, len)))
		r = -ENOMEM;
	return r < 0 ? r : 0;
}

static int ip_member(struct walk *w, const struct scan_str *key, void *arg)
{
	if (!scan_str_eq(key, "ip"))
		return walk_skip(w);
	return walk_ip(w, "ip", arg) < 0 ? -EINVAL : 0;
}

static int pod_ip_elem(struct walk *w, size_t i, void *arg)
{
	struct pod_build *b = arg;
	struct prefix ip = { 0 };
	char a[PREFIX_STRLEN];
	int r = walk_object(w, NULL, ip_member, &ip);

	if (r < 0)
		return r;
	if (!prefix_present(&ip)) {
		walk_push(w, "ip");
		return walk_fail(w, "missing");
	}
	if (prefix_present(&b->p->ip[fam_index(ip.family)]))
		return walk_fail(w, "second %s pod IP %s (at most one per "
				 "family)",
				 fam_name(ip.family),
				 addr_format(&ip, a, sizeof(a)));
	b->p->ip[fam_index(ip.family)] = ip;
	if (i == 0)
		b->first = ip;
	b->n_ips = i + 1;
	return 0;
}

static int pod_status(struct walk *w, const struct scan_str *key, void *arg)
{
	static const char *const phases[] = { "Unknown", "Pending", "Running",
					      "Succeeded", "Failed" };
	struct pod_build *b = arg;
	int v = 0, r;

	if (scan_str_eq(key, "phase")) {
		r = walk_enum(w, "phase", phases, 5, &v);
		b->p->phase = (uint8_t)v;
	} else if (scan_str_eq(key, "podIP")) {
		struct scan *sc = w->sc;

		if (scan_peek(sc) == '"' && sc->pos + 1 < sc->len &&
		    sc->buf[sc->pos + 1] == '"') {
			b->has_pod_ip = false; /* "": no IP yet */
			return walk_skip(w);
		}
		r = walk_ip(w, "podIP", &b->pod_ip);
		b->has_pod_ip = r == 1;
	} else if (scan_str_eq(key, "podIPs")) {
		memset(b->p->ip, 0, sizeof(b->p->ip));
		b->n_ips = 0;
		r = walk_array(w, "podIPs", FAM_COUNT, pod_ip_elem, b);
	} else {
		r = walk_skip(w);
	}
	return r < 0 ? r : 0;
}

static int pod_member(struct walk *w, const struct scan_str *key, void *arg)
{
	struct pod_build *b = arg;
	int r;

	if (scan_str_eq(key, "metadata")) {
		b->meta = (struct walk_meta){ .rule = NAME_SUBDOMAIN,
					      .namespaced = true,
					      .name = &b->p->name,
					      .ns = &b->p->ns,
					      .uid = &b->p->uid,
					      .labels = &b->p->labels };
		r = walk_metadata(w, &b->meta);
	} else if (scan_str_eq(key, "spec")) {
		/* given twice: the last one wins */
		b->p->node = NULL;
		b->p->host_network = false;
		b->p->n_ports = 0;
		r = walk_object(w, "spec", pod_spec, b);
	} else if (scan_str_eq(key, "status")) {
		b->p->phase = PHASE_UNKNOWN;
		memset(b->p->ip, 0, sizeof(b->p->ip));
		b->n_ips = 0;
		b->has_pod_ip = false;
		r = walk_object(w, "status", pod_status, b);
	} else {
		r = walk_skip(w);
	}
	return r < 0 ? r : 0;
}

static int pod_finish(struct walk *w, void *arg)
{
	struct pod_build *b = arg;
	struct pod *p = b->p;
	char a[PREFIX_STRLEN], c[PREFIX_STRLEN];
	int r;

	b->meta.name = &p->name;
	b->meta.ns = &p->ns;
	b->meta.namespaced = true;
	r = walk_metadata_done(w, &b->meta);
	if (r < 0 || !b->has_pod_ip)
		return r;
	if (b->n_ips == 0) {
		p->ip[fam_index(b->pod_ip.family)] = b->pod_ip;
	} else if (!prefix_equal(&b->pod_ip, &b->first)) {
		walk_push(w, "status");
		walk_push(w, "podIP");
		return walk_fail(w, "%s differs from status.podIPs[0] %s",
				 addr_format(&b->pod_ip, a, sizeof(a)),
				 addr_format(&b->first, c, sizeof(c)));
	}
	return 0;
}

static void pod_free(struct rec *r)
{
	struct pod *p = (struct pod *)r;

	free(p->labels.v);
	free(p->ports);
}

const struct kind_ops kind_pod = {
	.name = "Pod",
	.kind = KIND_POD,
	.rec_size = sizeof(struct pod),
	.build_size = sizeof(struct pod_build),
	.max_count = 2000000,
	.max_bytes = 16u << 20,
	.member = pod_member,
	.finish = pod_finish,
	.free_parts = pod_free,
};
