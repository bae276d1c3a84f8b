/*
 * router_render.c - pure: a router_desire -> the text of snapnet's BIRD
 * configuration file, and that text -> what it announces (the plan's
 * view of the file on disk).
 *
 * What the file holds (docs/router.md shows a whole one):
 *   - "# snapnet:" comment lines first: mode, router id, the next hop of
 *     each family and one summary line per peer (no secret in them), so
 *     that the file alone tells the planner what it announces;
 *   - managed mode only: log to stderr, the router id, protocol device
 *     (an external BIRD has its own);
 *   - protocol static snapnet4 / snapnet6: one blackhole route per
 *     announced prefix of that family (BIRD has no kernel protocol here,
 *     so nothing reaches a routing table);
 *   - filter snapnet_export: only those two protocols' routes, never a
 *     default route, plus communities and AS-path prepending;
 *   - protocol bfd snapnet_bfd when a peer asks for BFD;
 *   - one protocol bgp per peer, named snapnet_peer_NAME (config) or
 *     snapnet_node_ADDR (Node annotations), quoted (names may hold '-',
 *     '.', ':' and BIRD keywords), with its own router id (so an IPv6-only
 *     node has one under an external BIRD too), import none and one
 *     channel per family, each with `next hop address` of its own family.
 *
 * The text depends only on the desire and the config, and is sorted, so
 * an unchanged snapshot renders byte-identical text (no reconfigure).
 * It holds passwords: the caller writes it mode 0600.
 * Fails only with -ENOMEM.
 */
#define _GNU_SOURCE
#include "router/router.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

static const char *const fam_word[FAM_COUNT] = { "ipv4", "ipv6" };

char *router_peer_summary(const struct router_peer *p, char *buf, size_t len)
{
	char a[PREFIX_STRLEN], l[PREFIX_STRLEN], port[16] = "", mh[24] = "",
						 hold[24] = "";

	if (p->port != 179)
		snprintf(port, sizeof(port), ", port %u", p->port);
	if (p->multihop)
		snprintf(mh, sizeof(mh), ", multihop %u", p->multihop);
	if (p->hold_time)
		snprintf(hold, sizeof(hold), ", hold %u", p->hold_time);
	if (p->local.family)
		addr_format(&p->local, l, sizeof(l));
	snprintf(buf, len, "%s (%s AS %u, %s%s%s%s%s%s%s%s%s)", p->name,
		 addr_format(&p->addr, a, sizeof(a)), p->asn,
		 router_families_name(p->families),
		 p->local.family ? ", local " : "", p->local.family ? l : "",
		 port, mh, hold, p->bfd ? ", bfd" : "",
		 p->password[0] ? ", password set" : "",
		 p->from_node ? ", from node annotations" : "");
	return buf;
}

static void header(FILE *f, const struct router_desire *d)
{
	char a[PREFIX_STRLEN];

	fprintf(f,
		"# snapnet: BIRD configuration of node %s, written by snapnet "
		"from the\n"
		"# snapnet: snapshot and its config; do not edit, it is "
		"replaced.\n"
		"# snapnet: mode %s\n",
		d->node, d->mode == ROUTER_MANAGED ? "managed" : "external");
	fprintf(f, "# snapnet: router id %s (%s), AS %u\n",
		addr_format(&d->router_id, a, sizeof(a)), d->router_id_src,
		d->asn);
	for (int i = 0; i < FAM_COUNT; i++)
		if (prefix_present(&d->nexthop[i]))
			fprintf(f, "# snapnet: next hop %s %s\n", fam_word[i],
				addr_format(&d->nexthop[i], a, sizeof(a)));
	for (size_t i = 0; i < d->n_peers; i++)
		fprintf(f, "# snapnet: peer %s\n", d->peers[i].summary);
}

static void global(FILE *f, const struct router_desire *d)
{
	char a[PREFIX_STRLEN];

	if (d->mode != ROUTER_MANAGED)
		return;
	fprintf(f,
		"\nlog stderr { info, remote, warning, error, auth, fatal, "
		"bug };\n"
		"router id %s;\n"
		"protocol device snapnet_device { }\n",
		addr_format(&d->router_id, a, sizeof(a)));
}

/* Both families always, so the file holds a protocol even on a node
 * without addresses (BIRD refuses a config without one). */
static void statics(FILE *f, const struct router_desire *d)
{
	char p[PREFIX_STRLEN];

	for (int i = 0; i < FAM_COUNT; i++) {
		fprintf(f, "\nprotocol static snapnet%c {\n\t%s;\n",
			i ? '6' : '4', fam_word[i]);
		for (size_t k = 0; k < d->n_ann; k++)
			if (fam_index(d->ann[k].pfx.family) == i)
				fprintf(f, "\troute %s blackhole;\n",
					prefix_format(&d->ann[k].pfx, p,
						      sizeof(p)));
		fputs("}\n", f);
	}
}

static void filter(FILE *f, const struct router_desire *d)
{
	fputs("\n# only snapnet's own prefixes leave, never a default route\n"
	      "filter snapnet_export {\n"
	      "\tif net.len = 0 then reject;\n"
	      "\tif proto != \"snapnet4\" && proto != \"snapnet6\" then "
	      "reject;\n",
	      f);
	for (size_t i = 0; i < d->n_comms; i++) {
		const struct router_comm *c = &d->comms[i];

		if (c->large)
			fprintf(f, "\tbgp_large_community.add((%u,%u,%u));\n",
				c->a, c->b, c->c);
		else
			fprintf(f, "\tbgp_community.add((%u,%u));\n", c->a,
				c->b);
	}
	for (unsigned i = 0; i < d->prepend_n; i++)
		fprintf(f, "\tbgp_path.prepend(%u);\n", d->prepend_asn);
	fputs("\taccept;\n}\n", f);
}

static void bfd(FILE *f, const struct router_config *c,
		const struct router_desire *d)
{
	bool any = false;

	for (size_t i = 0; i < d->n_peers; i++)
		any |= d->peers[i].bfd;
	if (!any)
		return;
	fprintf(f,
		"\nprotocol bfd snapnet_bfd {\n"
		"\tinterface \"*\" { min rx interval %u ms; min tx interval "
		"%u ms; multiplier %u; };\n"
		"\tmultihop { min rx interval %u ms; min tx interval %u ms; "
		"multiplier %u; };\n"
		"}\n",
		c->bfd_interval, c->bfd_interval, c->bfd_multiplier,
		c->bfd_interval, c->bfd_interval, c->bfd_multiplier);
}

static void channels(FILE *f, const struct router_peer *p)
{
	char a[PREFIX_STRLEN];

	for (int i = 0; i < FAM_COUNT; i++)
		if (p->families & fam_bit(fam_of_index(i)))
			fprintf(f,
				"\t%s {\n\t\timport none;\n"
				"\t\texport filter snapnet_export;\n"
				"\t\tnext hop address %s;\n\t};\n",
				fam_word[i],
				addr_format(&p->nexthop[i], a, sizeof(a)));
}

static void peer(FILE *f, const struct router_config *c,
		 const struct router_desire *d, const struct router_peer *p)
{
	char a[PREFIX_STRLEN], l[PREFIX_STRLEN];
	unsigned ew = c->error_wait > 300 ? c->error_wait : 300;

	fprintf(f,
		"\nprotocol bgp '%s' {\n\tdescription \"snapnet peer %s\";\n",
		p->proto, p->name);
	fprintf(f, "\trouter id %s;\n",
		addr_format(&d->router_id, a, sizeof(a)));
	if (p->local.family)
		fprintf(f, "\tlocal %s as %u;\n",
			addr_format(&p->local, l, sizeof(l)), d->asn);
	else
		fprintf(f, "\tlocal as %u;\n", d->asn);
	fprintf(f, "\tneighbor %s port %u as %u;\n",
		addr_format(&p->addr, a, sizeof(a)), p->port, p->asn);
	fprintf(f,
		"\thold time %u;\n\tconnect delay time %u;\n"
		"\tconnect retry time %u;\n\terror wait time %u, %u;\n",
		p->hold_time ? p->hold_time : c->hold_time, c->connect_delay,
		c->connect_retry, c->error_wait, ew);
	if (c->graceful_restart)
		fprintf(f,
			"\tgraceful restart on;\n\tgraceful restart time %u;\n",
			c->graceful_restart_time);
	else
		fputs("\tgraceful restart off;\n", f);
	if (p->multihop)
		fprintf(f, "\tmultihop %u;\n", p->multihop);
	if (p->password[0])
		fprintf(f, "\tpassword \"%s\";\n", p->password);
	if (p->bfd)
		fputs("\tbfd on;\n", f);
	channels(f, p);
	fputs("}\n", f);
}

int router_render(const struct router_config *c, struct router_desire *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < d->n_peers; i++)
		router_peer_summary(&d->peers[i], d->peers[i].summary,
				    sizeof(d->peers[i].summary));
	header(f, d);
	global(f, d);
	statics(f, d);
	filter(f, d);
	bfd(f, c, d);
	for (size_t i = 0; i < d->n_peers; i++)
		peer(f, c, d, &d->peers[i]);
	if (ferror(f) | fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	free(d->text);
	d->text = buf;
	d->len = len;
	return 0;
}

/* --- reading a rendered file back ----------------------------------------- */

static int file_peer(struct router_file *f, size_t *cap, const char *s,
		     size_t n)
{
	struct router_file_peer *p;
	const char *sp = memchr(s, ' ', n);

	if (!sp || n >= ROUTER_SUMMARY_MAX ||
	    (size_t)(sp - s) >= sizeof(p->name))
		return 0; /* not ours: ignored */
	if (array_grow(&f->peers, cap, f->n_peers + 1, sizeof(*f->peers)))
		return -ENOMEM;
	p = &f->peers[f->n_peers++];
	memcpy(p->name, s, (size_t)(sp - s));
	p->name[sp - s] = '\0';
	memcpy(p->summary, s, n);
	p->summary[n] = '\0';
	return 0;
}

static void file_nexthop(struct router_file *f, const char *s, size_t n)
{
	char a[64];

	if (n < 6 || n - 5 >= sizeof(a))
		return;
	memcpy(a, s + 5, n - 5);
	a[n - 5] = '\0';
	if (!strncmp(s, "ipv4 ", 5))
		prefix_parse_addr(a, &f->nexthop[0]);
	else if (!strncmp(s, "ipv6 ", 5))
		prefix_parse_addr(a, &f->nexthop[1]);
}

static int file_route(struct router_file *f, size_t *cap, const char *s,
		      size_t n)
{
	static const char tail[] = " blackhole;";
	char p[64];

	if (n < sizeof(tail) ||
	    strncmp(s + n - (sizeof(tail) - 1), tail, sizeof(tail) - 1))
		return 0;
	n -= sizeof(tail) - 1;
	if (n >= sizeof(p))
		return 0;
	memcpy(p, s, n);
	p[n] = '\0';
	if (array_grow(&f->ann, cap, f->n_ann + 1, sizeof(*f->ann)))
		return -ENOMEM;
	if (prefix_parse_cidr(p, &f->ann[f->n_ann]) == 0)
		f->n_ann++;
	return 0;
}

static int line(struct router_file *f, size_t caps[2], const char *s, size_t n)
{
	static const char peer[] = "# snapnet: peer ",
			  nh[] = "# snapnet: next hop ", route[] = "\troute ";

	if (n > sizeof(peer) && !strncmp(s, peer, sizeof(peer) - 1))
		return file_peer(f, &caps[0], s + sizeof(peer) - 1,
				 n - (sizeof(peer) - 1));
	if (n > sizeof(nh) && !strncmp(s, nh, sizeof(nh) - 1)) {
		file_nexthop(f, s + sizeof(nh) - 1, n - (sizeof(nh) - 1));
		return 0;
	}
	if (n > sizeof(route) && !strncmp(s, route, sizeof(route) - 1))
		return file_route(f, &caps[1], s + sizeof(route) - 1,
				  n - (sizeof(route) - 1));
	return 0;
}

static int pfx_cmp(const void *a, const void *b)
{
	return prefix_cmp(a, b);
}

static int fpeer_cmp(const void *a, const void *b)
{
	return strcmp(((const struct router_file_peer *)a)->name,
		      ((const struct router_file_peer *)b)->name);
}

/* A hand-edited file may repeat or reorder: sorted and unique here. */
static void file_sort(struct router_file *f)
{
	size_t w = 0;

	if (f->n_ann)
		qsort(f->ann, f->n_ann, sizeof(*f->ann), pfx_cmp);
	for (size_t i = 0; i < f->n_ann; i++)
		if (!w || !prefix_equal(&f->ann[w - 1], &f->ann[i]))
			f->ann[w++] = f->ann[i];
	f->n_ann = w;
	if (f->n_peers)
		qsort(f->peers, f->n_peers, sizeof(*f->peers), fpeer_cmp);
}

int router_file_parse(const char *text, size_t len, struct router_file *f)
{
	size_t caps[2] = { 0, 0 };
	const char *p = text, *end = text + len;

	memset(f, 0, sizeof(*f));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (line(f, caps, p, n) < 0) {
			router_file_free(f);
			return -ENOMEM;
		}
		p += n + 1;
	}
	file_sort(f);
	return 0;
}

void router_file_free(struct router_file *f)
{
	if (!f)
		return;
	free(f->ann);
	free(f->peers);
	memset(f, 0, sizeof(*f));
}
