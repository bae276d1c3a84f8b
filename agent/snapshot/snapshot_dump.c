/*
 * snapshot_dump.c - a stable text form of the model, for `snapnet
 * validate --dump`: every object in its sorted order, one line per
 * field, so two files that describe one cluster (a full kubectl dump and
 * a slim one) give the same text, and a diff shows what differs.
 */
#include <stdio.h>
#include <string.h>

#include "lib/util.h"
#include "snapshot/snapshot.h"

/* An annotation that holds secrets (kube-router.io/peer.passwords): its
 * value never reaches a dump, which ends up in terminals and bug reports. */
static bool secret_key(const char *key)
{
	return strstr(key, "password") != NULL;
}

static void labels(FILE *o, const char *who, const char *what,
		   const struct labels *l)
{
	for (uint32_t i = 0; i < l->n; i++)
		fprintf(o, "%s %s %s=%s\n", who, what, l->v[i].key,
			secret_key(l->v[i].key) ? "(not shown)"
						: l->v[i].value);
}

static void pfx(FILE *o, const char *who, const char *what,
		const struct prefix *p)
{
	char a[PREFIX_STRLEN];

	if (prefix_present(p))
		fprintf(o, "%s %s %s\n", who, what,
			p->len == (p->family == AF_INET ? 32 : 128)
			    ? addr_format(p, a, sizeof(a))
			    : prefix_format(p, a, sizeof(a)));
}

static void pfx_list(FILE *o, const char *who, const char *what,
		     const struct prefix *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		pfx(o, who, what, &v[i]);
}

static void node(FILE *o, const struct node *n)
{
	char who[300];

	snprintf(who, sizeof(who), "Node %s", n->name);
	fprintf(o, "%s\n", who);
	for (int f = 0; f < FAM_COUNT; f++) {
		pfx(o, who, "podCIDR", &n->pod_cidr[f]);
		pfx(o, who, "internalIP", &n->internal_ip[f]);
		pfx(o, who, "externalIP", &n->external_ip[f]);
	}
	if (n->unschedulable)
		fprintf(o, "%s unschedulable\n", who);
	for (uint32_t i = 0; i < n->n_addrs; i++) {
		char a[PREFIX_STRLEN];
		const struct node_addr *x = &n->addrs[i];

		fprintf(o, "%s address[%u] %s %s\n", who, i,
			addr_type_name(x->type),
			x->name ? x->name : addr_format(&x->ip, a, sizeof(a)));
	}
	labels(o, who, "label", &n->labels);
	labels(o, who, "annotation", &n->annotations);
}

static void pod(FILE *o, const struct pod *p)
{
	char who[400];

	snprintf(who, sizeof(who), "Pod %s/%s", p->ns, p->name);
	fprintf(o, "%s node %s phase %s%s\n", who, p->node ? p->node : "-",
		pod_phase_name(p->phase),
		p->host_network ? " hostNetwork" : "");
	if (p->uid)
		fprintf(o, "%s uid %s\n", who, p->uid);
	for (int f = 0; f < FAM_COUNT; f++)
		pfx(o, who, "ip", &p->ip[f]);
	for (uint32_t i = 0; i < p->n_ports; i++)
		fprintf(o, "%s port %s %u/%s\n", who,
			p->ports[i].name ? p->ports[i].name : "-",
			p->ports[i].port, proto_name(p->ports[i].proto));
	labels(o, who, "label", &p->labels);
}

static void service(FILE *o, const struct service *s)
{
	char who[400];

	snprintf(who, sizeof(who), "Service %s/%s", s->ns, s->name);
	fprintf(o, "%s type %s%s affinity %s/%u traffic %s/%s\n", who,
		svc_type_name(s->type), s->headless ? " headless" : "",
		s->affinity_client_ip ? "ClientIP" : "None",
		s->affinity_timeout,
		s->external_policy == TRAFFIC_LOCAL ? "Local" : "Cluster",
		s->internal_policy == TRAFFIC_LOCAL ? "Local" : "Cluster");
	for (int f = 0; f < FAM_COUNT; f++)
		pfx(o, who, "clusterIP", &s->cluster_ip[f]);
	for (int i = 0; i < s->n_families; i++)
		fprintf(o, "%s family %s\n", who, fam_name(s->families[i]));
	pfx_list(o, who, "externalIP", s->external_ips, s->n_external_ips);
	pfx_list(o, who, "loadBalancerIP", s->lb_ips, s->n_lb_ips);
	pfx_list(o, who, "sourceRange", s->source_ranges,
		 s->n_source_ranges);
	for (uint32_t i = 0; i < s->n_ports; i++) {
		const struct svc_port *p = &s->ports[i];

		fprintf(o, "%s port %s %u/%s target %u%s%s node %u\n", who,
			p->name ? p->name : "-", p->port, proto_name(p->proto),
			p->target_port, p->target_name ? " " : "",
			p->target_name ? p->target_name : "", p->node_port);
	}
	labels(o, who, "annotation", &s->annotations);
}

static void slice(FILE *o, const struct endpointslice *e)
{
	char who[400], a[PREFIX_STRLEN];

	snprintf(who, sizeof(who), "EndpointSlice %s/%s", e->ns, e->name);
	fprintf(o, "%s service %s type %s\n", who,
		e->service ? e->service : "-",
		e->family ? fam_name(e->family) : "FQDN");
	for (uint32_t i = 0; i < e->n_ports; i++)
		fprintf(o, "%s port %s %u/%s\n", who,
			e->ports[i].name ? e->ports[i].name : "-",
			e->ports[i].port, proto_name(e->ports[i].proto));
	for (uint32_t i = 0; i < e->n_eps; i++) {
		const struct endpoint *ep = &e->eps[i];

		fprintf(o, "%s endpoint[%u] node %s ready %d serving %d "
			"terminating %d\n",
			who, i, ep->node ? ep->node : "-", ep->ready,
			ep->serving, ep->terminating);
		for (uint32_t j = 0; j < ep->n_addrs; j++)
			fprintf(o, "%s endpoint[%u] address %s\n", who, i,
				ep->addrs ? addr_format(&ep->addrs[j], a,
							sizeof(a))
					  : ep->names[j]);
	}
	labels(o, who, "label", &e->labels);
}

static void selector(FILE *o, const char *who, const char *what,
		     const struct selector *s)
{
	static const char *const ops[] = { "In", "NotIn", "Exists",
					   "DoesNotExist" };

	if (!s->set)
		return;
	fprintf(o, "%s %s {\n", who, what);
	for (uint32_t i = 0; i < s->n_reqs; i++) {
		fprintf(o, "%s %s   %s %s", who, what, s->reqs[i].key,
			ops[s->reqs[i].op]);
		for (uint32_t j = 0; j < s->reqs[i].n_values; j++)
			fprintf(o, " %s", s->reqs[i].values[j]);
		fputc('\n', o);
	}
	fprintf(o, "%s %s }\n", who, what);
}

static void np_port(FILE *o, const char *who, const struct np_port *p)
{
	if (p->name)
		fprintf(o, "%s port %s %s\n", who, proto_name(p->proto),
			p->name);
	else if (!p->port)
		fprintf(o, "%s port %s all\n", who, proto_name(p->proto));
	else if (p->end_port)
		fprintf(o, "%s port %s %u-%u\n", who, proto_name(p->proto),
			p->port, p->end_port);
	else
		fprintf(o, "%s port %s %u\n", who, proto_name(p->proto),
			p->port);
}

static void rules(FILE *o, const char *who, const char *dir,
		  const struct np_rule *v, uint32_t n)
{
	char w[480], pw[520];

	for (uint32_t i = 0; i < n; i++) {
		snprintf(w, sizeof(w), "%s %s[%u]", who, dir, i);
		fprintf(o, "%s peers %u ports %u\n", w, v[i].n_peers,
			v[i].n_ports);
		for (uint32_t j = 0; j < v[i].n_peers; j++) {
			const struct np_peer *p = &v[i].peers[j];

			snprintf(pw, sizeof(pw), "%s peer[%u]", w, j);
			if (p->ipblock) {
				pfx(o, pw, "ipBlock", &p->cidr);
				pfx_list(o, pw, "except", p->except,
					 p->n_except);
			}
			selector(o, pw, "podSelector", &p->pods);
			selector(o, pw, "namespaceSelector", &p->namespaces);
		}
		for (uint32_t j = 0; j < v[i].n_ports; j++)
			np_port(o, w, &v[i].ports[j]);
	}
}

static void policy(FILE *o, const struct netpol *p)
{
	char who[400];

	snprintf(who, sizeof(who), "NetworkPolicy %s/%s", p->ns, p->name);
	fprintf(o, "%s ingress %d egress %d\n", who, p->ingress, p->egress);
	selector(o, who, "podSelector", &p->pods);
	rules(o, who, "ingress", p->in, p->n_in);
	rules(o, who, "egress", p->out, p->n_out);
}

int snapshot_dump(const struct snapshot *s, FILE *o)
{
	for (size_t i = 0; i < s->n_namespaces; i++) {
		char who[80];

		snprintf(who, sizeof(who), "Namespace %s",
			 s->namespaces[i]->name);
		fprintf(o, "%s\n", who);
		labels(o, who, "label", &s->namespaces[i]->labels);
	}
	for (size_t i = 0; i < s->n_nodes; i++)
		node(o, s->nodes[i]);
	for (size_t i = 0; i < s->n_pods; i++)
		pod(o, s->pods[i]);
	for (size_t i = 0; i < s->n_services; i++)
		service(o, s->services[i]);
	for (size_t i = 0; i < s->n_slices; i++)
		slice(o, s->slices[i]);
	for (size_t i = 0; i < s->n_policies; i++)
		policy(o, s->policies[i]);
	return ferror(o) ? -1 : 0;
}
