/*
 * test_router_desire.c - the router's rules: what a node announces and
 * to whom. eTP=Local (and service.local, iTP=Local for the ClusterIP)
 * follows ready local endpoints per family; the advertise switches and
 * the kube-router annotations that override them per Service; a prefix
 * only with a next hop of its own family (no IPv4 from IPv6-only nodes);
 * peers' families, channels and next hops; bad peers and annotations
 * reported and skipped; node AS, communities, per-node peers from
 * annotations (base64 passwords); a router id on IPv6-only nodes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "router_test.h"

static char anns[2048];

/* --- JSON builders ------------------------------------------------------- */

static char *cat(char *dst, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *cat(char *dst, const char *fmt, ...)
{
	size_t n = strlen(dst);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst + n, 16384 - n, fmt, ap);
	va_end(ap);
	return dst;
}

/* A node of families "4", "6" or "46" with index i and annotations. */
static void node(char *doc, int i, const char *fams, const char *annot)
{
	bool v4 = strchr(fams, '4'), v6 = strchr(fams, '6');

	cat(doc,
	    "{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":"
	    "\"node-%c\",\"annotations\":{%s}},\"spec\":{\"podCIDRs\":[",
	    'a' + i - 1, annot ? annot : "");
	if (v4)
		cat(doc, "\"10.244.%d.0/24\"%s", i, v6 ? "," : "");
	if (v6)
		cat(doc, "\"fd00:244:0:%d::/64\"", i);
	cat(doc, "]},\"status\":{\"addresses\":[");
	if (v4)
		cat(doc,
		    "{\"type\":\"InternalIP\",\"address\":\"10.0.0.%d\"}%s", i,
		    v6 ? "," : "");
	if (v6)
		cat(doc,
		    "{\"type\":\"InternalIP\",\"address\":\"fd00:10::%d\"}", i);
	cat(doc, "]}},");
}

/* A LoadBalancer Service with one VIP of each kind per family given. */
static void service(char *doc, const char *name, const char *fams,
		    const char *etp, const char *itp, const char *annot)
{
	bool v4 = strchr(fams, '4'), v6 = strchr(fams, '6');

	cat(doc,
	    "{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":{"
	    "\"name\":\"%s\",\"namespace\":\"d\",\"annotations\":{%s}},"
	    "\"spec\":{\"type\":\"LoadBalancer\",\"externalTrafficPolicy\":"
	    "\"%s\",\"internalTrafficPolicy\":\"%s\",\"ports\":[{\"port\":80}],"
	    "\"clusterIPs\":[",
	    name, annot ? annot : "", etp, itp);
	if (v4)
		cat(doc, "\"10.96.0.1\"%s", v6 ? "," : "");
	if (v6)
		cat(doc, "\"fd00:96::1\"");
	cat(doc, "],\"externalIPs\":[");
	if (v4)
		cat(doc, "\"203.0.113.1\"%s", v6 ? "," : "");
	if (v6)
		cat(doc, "\"2001:db8::1\"");
	cat(doc, "]},\"status\":{\"loadBalancer\":{\"ingress\":[");
	if (v4)
		cat(doc, "{\"ip\":\"198.51.100.1\"}%s", v6 ? "," : "");
	if (v6)
		cat(doc, "{\"ip\":\"2001:db8:100::1\"}");
	cat(doc, "]}}},");
}

/* A slice of service `svc`, one endpoint on `node`. */
static void slice(char *doc, const char *svc, int fam, const char *node,
		  bool ready)
{
	cat(doc,
	    "{\"kind\":\"EndpointSlice\",\"apiVersion\":\"discovery.k8s.io/"
	    "v1\","
	    "\"metadata\":{\"name\":\"%s-%d-%s\",\"namespace\":\"d\","
	    "\"labels\":{\"kubernetes.io/service-name\":\"%s\"}},"
	    "\"addressType\":\"IPv%d\",\"endpoints\":[{\"addresses\":[\"%s\"],"
	    "\"nodeName\":\"%s\",\"conditions\":{\"ready\":%s}}]},",
	    svc, fam, node, svc, fam, fam == 4 ? "10.244.9.9" : "fd00:244::9",
	    node, ready ? "true" : "false");
}

static const char *doc_end(char *doc)
{
	size_t n = strlen(doc);

	if (n && doc[n - 1] == ',')
		doc[n - 1] = '\0';
	return cat(doc, "]}");
}

static char *doc_begin(char *doc)
{
	strcpy(doc, "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[");
	return doc;
}

static const char all_on[] = "[router]\nenabled = yes\n"
			     "advertise_cluster_ip = yes\n"
			     "advertise_external_ip = yes\n"
			     "advertise_loadbalancer_ip = yes\n";

/* Config text and a cluster: node-a (fams_a), node-b, and whatever the
 * callback adds. */
static struct router_desire *build(struct fx *f, const char *ini,
				   const char *fams_a, const char *annot_a,
				   void (*more)(char *doc), const char *who)
{
	static char doc[16384];

	fx_load_text(f, ini, DATA "v4.json");
	doc_begin(doc);
	node(doc, 1, fams_a, annot_a);
	node(doc, 2, "46", NULL);
	if (more)
		more(doc);
	fx_snap_text(f, doc_end(doc));
	return fx_desire(f, who);
}

/* --- announcements ---------------------------------------------------------
 */

static void web_local(char *doc)
{
	service(doc, "web", "46", "Local", "Cluster", NULL);
	slice(doc, "web", 4, "node-a", true);
	slice(doc, "web", 6, "node-b", true);
	slice(doc, "web", 6, "node-a", false); /* not ready: not here */
}

/* eTP=Local: each family follows its own ready local endpoints. */
static void test_etp_local(void **state)
{
	struct fx f;
	char buf[512];

	(void)state;
	build(&f, all_on, "46", NULL, web_local, "node-a");
	assert_string_equal(fx_anns(f.d, buf, sizeof(buf)),
			    "10.96.0.1/32 10.244.1.0/24 198.51.100.1/32 "
			    "203.0.113.1/32 fd00:244:0:1::/64");
	fx_desire(&f, "node-b");
	assert_string_equal(fx_anns(f.d, buf, sizeof(buf)),
			    "10.244.2.0/24 2001:db8::1/128 2001:db8:100::1/128 "
			    "fd00:96::1/128 fd00:244:0:2::/64");
	fx_free(&f);
}

static void web_cluster(char *doc)
{
	service(doc, "web", "46", "Cluster", "Cluster", NULL);
}

/* eTP=Cluster: announced whatever the endpoints (there are none). */
static void test_etp_cluster(void **state)
{
	struct fx f;
	char buf[512];

	(void)state;
	build(&f, all_on, "46", NULL, web_cluster, "node-b");
	assert_string_equal(
	    fx_anns(f.d, buf, sizeof(buf)),
	    "10.96.0.1/32 10.244.2.0/24 198.51.100.1/32 "
	    "203.0.113.1/32 2001:db8::1/128 2001:db8:100::1/128 "
	    "fd00:96::1/128 fd00:244:0:2::/64");
	fx_free(&f);
}

static void web_itp_local(char *doc)
{
	service(doc, "web", "4", "Cluster", "Local", NULL);
}

static void web_service_local(char *doc)
{
	service(doc, "web", "4", "Cluster", "Cluster",
		"\"kube-router.io/service.local\":\"true\"");
	slice(doc, "web", 4, "node-b", true);
}

/* iTP=Local holds back the ClusterIP only; service.local everything. */
static void test_itp_and_service_local(void **state)
{
	struct fx f;
	char buf[512];

	(void)state;
	build(&f, all_on, "4", NULL, web_itp_local, "node-a");
	assert_string_equal(fx_anns(f.d, buf, sizeof(buf)),
			    "10.244.1.0/24 198.51.100.1/32 203.0.113.1/32");
	fx_free(&f);
	build(&f, all_on, "4", NULL, web_service_local, "node-a");
	assert_string_equal(fx_anns(f.d, buf, sizeof(buf)), "10.244.1.0/24");
	fx_desire(&f, "node-b");
	assert_string_equal(fx_anns(f.d, buf, sizeof(buf)),
			    "10.96.0.1/32 10.244.2.0/24 198.51.100.1/32 "
			    "203.0.113.1/32 fd00:244:0:2::/64");
	fx_free(&f);
}

static void web_annotated(char *doc)
{
	service(doc, "web", "4", "Cluster", "Cluster",
		"\"kube-router.io/service.advertise.clusterip\":\"true\","
		"\"kube-router.io/service.advertise.loadbalancerip\":\"false\","
		"\"kube-router.io/service.advertise.externalip\":\"maybe\"");
}

/* The switches, and the annotations that override them per Service;
 * a value that is not a boolean keeps the switch and is reported. */
static void test_switches_and_annotations(void **state)
{
	struct fx f;
	char buf[512];

	(void)state;
	build(&f, "[router]\nenabled = yes\n", "4", NULL, web_cluster,
	      "node-a");
	assert_string_equal(fx_anns(f.d, buf, sizeof(buf)), "10.244.1.0/24");
	fx_free(&f);
	build(&f, "[router]\nadvertise_pod_cidr = no\n", "4", NULL, NULL,
	      "node-a");
	assert_int_equal(f.d->n_ann, 0);
	fx_free(&f);
	build(&f,
	      "[router]\nadvertise_external_ip = yes\n"
	      "advertise_loadbalancer_ip = yes\n",
	      "4", NULL, web_annotated, "node-a");
	assert_string_equal(fx_anns(f.d, buf, sizeof(buf)),
			    "10.96.0.1/32 10.244.1.0/24 203.0.113.1/32");
	assert_non_null(fx_note(f.d, "service.advertise.externalip"));
	fx_free(&f);
}

/* The seed's bug: no prefix without a next hop of its own family. */
static void test_no_foreign_family(void **state)
{
	struct fx f;
	char buf[512];
	const struct router_note *n;

	(void)state;
	/* node-a is IPv6-only in a dual-stack cluster of dual services */
	build(&f, all_on, "6", NULL, web_cluster, "node-a");
	assert_string_equal(fx_anns(f.d, buf, sizeof(buf)),
			    "2001:db8::1/128 2001:db8:100::1/128 "
			    "fd00:96::1/128 fd00:244:0:1::/64");
	assert_int_equal(f.d->n_ann_fam[0], 0);
	assert_int_equal(f.d->nexthop[0].family, 0);
	n = fx_note(f.d, "3 IPv4 prefixes");
	assert_non_null(n);
	assert_non_null(strstr(n->why, "no IPv4 InternalIP"));
	assert_null(strstr(f.d->text, "10.96.0.1"));
	fx_free(&f);
}

/* --- peers ---------------------------------------------------------------- */

/* Default families are the address's; channels need own-family next
 * hops: an ipv4 channel on an IPv6-only node is dropped, and a peer
 * left with none is skipped. */
static void test_peer_families(void **state)
{
	struct fx f;
	const struct router_peer *p;

	(void)state;
	build(&f,
	      "[peer \"both\"]\naddress = fd00:10::254\nasn = 1\n"
	      "families = ipv4,ipv6\n"
	      "[peer \"v4\"]\naddress = 10.0.0.254\nasn = 1\n"
	      "[peer \"lo\"]\naddress = fd00:10::253\nasn = 1\n"
	      "local_address = fd00:255::1\n",
	      "6", NULL, NULL, "node-a");
	p = fx_peer(f.d, "both");
	assert_non_null(p);
	assert_int_equal(p->families, FAM_V6);
	assert_non_null(fx_note(f.d, "bgp peer both family ipv4"));
	assert_null(fx_peer(f.d, "v4"));
	assert_non_null(fx_note(f.d, "bgp peer v4"));
	p = fx_peer(f.d, "lo"); /* its own local address is its next hop */
	assert_non_null(p);
	assert_int_equal(p->nexthop[1].addr[2], 0x02);
	fx_free(&f);
	/* dual node: one session, each family its own next hop */
	build(&f,
	      "[peer \"both\"]\naddress = fd00:10::254\nasn = 1\n"
	      "families = ipv6,ipv4\n",
	      "46", NULL, NULL, "node-a");
	p = fx_peer(f.d, "both");
	assert_int_equal(p->families, FAM_V4 | FAM_V6);
	assert_int_equal(p->nexthop[0].family, AF_INET);
	assert_int_equal(p->nexthop[1].family, AF_INET6);
	assert_non_null(strstr(f.d->text, "next hop address 10.0.0.1;"));
	assert_non_null(strstr(f.d->text, "next hop address fd00:10::1;"));
	fx_free(&f);
}

/* A bad definition is reported and skipped; the others keep working. */
static void test_bad_peers(void **state)
{
	static const char ini[] =
	    "[peer \"good\"]\naddress = 10.0.0.254\nasn = 1\n"
	    "[peer \"addr\"]\naddress = 10.0.0.300\nasn = 1\n"
	    "[peer \"fam\"]\naddress = 10.0.0.9\nasn = 1\nfamilies = ipv5\n"
	    "[peer \"local\"]\naddress = 10.0.0.8\nasn = 1\n"
	    "local_address = fd00::1\n"
	    "[peer \"ll\"]\naddress = fe80::1\nasn = 1\n"
	    "[peer \"mapped\"]\naddress = ::ffff:10.0.0.7\nasn = 1\n"
	    "[peer \"dup\"]\naddress = 10.0.0.254\nasn = 2\n"
	    "[peer \"quote\"]\naddress = 10.0.0.6\nasn = 1\n"
	    "password = ab\"cd\n"
	    "[peer \"hold\"]\naddress = 10.0.0.5\nasn = 1\nhold_time = 2\n";
	static const char *const bad[] = { "addr",   "fam", "local", "ll",
					   "mapped", "dup", "quote", "hold" };
	struct fx f;
	char line[64];

	(void)state;
	build(&f, ini, "46", NULL, NULL, "node-a");
	assert_int_equal(f.d->n_peers, 1);
	assert_non_null(fx_peer(f.d, "good"));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(line, sizeof(line), "bgp peer %s", bad[i]);
		if (!fx_note(f.d, line))
			fail_msg("no report for peer %s", bad[i]);
	}
	/* the password of the refused peer is not in any note */
	for (size_t i = 0; i < f.d->n_notes; i++) {
		assert_null(strstr(f.d->notes[i].line, "ab\"cd"));
		assert_null(strstr(f.d->notes[i].why, "ab\"cd"));
	}
	fx_free(&f);
}

/* kube-router's per-node peers: comma lists by index, base64 passwords,
 * an empty entry meaning none, optional ports and local addresses. */
static void test_node_peers(void **state)
{
	struct fx f;
	const struct router_peer *p;

	(void)state;
	snprintf(anns, sizeof(anns),
		 "\"kube-router.io/peer.ips\":\"10.0.0.251, fd00:10::251,"
		 "10.0.0.252\",\"kube-router.io/peer.asns\":\"64600,64601,"
		 "64602\",\"kube-router.io/peer.passwords\":"
		 "\"U2VjdXJlUGFzc3dvcmQK,,!!notbase64\","
		 "\"kube-router.io/peer.ports\":\"1179,,\","
		 "\"kube-router.io/node.asn\":\"65001\"");
	build(&f, "", "46", anns, NULL, "node-a");
	assert_int_equal(f.d->asn, 65001);
	p = fx_peer(f.d, "node/10.0.0.251");
	assert_non_null(p);
	assert_string_equal(p->password, "SecurePassword");
	assert_int_equal(p->port, 1179);
	assert_int_equal(p->asn, 64600);
	assert_true(p->from_node);
	p = fx_peer(f.d, "node/fd00:10::251");
	assert_non_null(p);
	assert_string_equal(p->password, "");
	assert_int_equal(p->families, FAM_V6);
	assert_null(fx_peer(f.d, "node/10.0.0.252"));
	assert_non_null(fx_note(f.d, "peer.passwords of node node-a entry 3"));
	/* never the refused text, which may be a password */
	assert_null(strstr(fx_note(f.d, "entry 3")->line, "notbase64"));
	fx_free(&f);
	/* lists of different lengths: none of them is used */
	snprintf(anns, sizeof(anns),
		 "\"kube-router.io/peer.ips\":\"10.0.0.251,10.0.0.252\","
		 "\"kube-router.io/peer.asns\":\"64600\"");
	build(&f, "[peer \"tor\"]\naddress = 10.0.0.254\nasn = 1\n", "46", anns,
	      NULL, "node-a");
	assert_int_equal(f.d->n_peers, 1);
	assert_non_null(fx_note(f.d, "peer.asns"));
	fx_free(&f);
}

/* A bad node AS falls back to [router] asn; bad communities are
 * reported one by one, the good ones kept. */
static void test_node_asn_and_communities(void **state)
{
	struct fx f;

	(void)state;
	snprintf(
	    anns, sizeof(anns),
	    "\"kube-router.io/node.asn\":\"65536.1\","
	    "\"kube-router.io/node.bgp.communities\":\"1:1,bogus,no-peer\","
	    "\"snapnet.io/node.bgp.large-communities\":\"1:2:3,1:2\"");
	build(&f, "[router]\nasn = 65100\n", "4", anns, NULL, "node-a");
	assert_int_equal(f.d->asn, 65100);
	assert_non_null(fx_note(f.d, "node.asn"));
	assert_int_equal(f.d->n_comms, 3);
	assert_non_null(fx_note(f.d, "entry 2 \"bogus\""));
	assert_non_null(fx_note(f.d, "large-communities of node node-a "
				     "entry 2"));
	assert_non_null(strstr(f.d->text, "bgp_community.add((65535,65284));"));
	assert_non_null(strstr(f.d->text, "bgp_large_community.add((1,2,3));"));
	fx_free(&f);
}

/* --- router id ------------------------------------------------------------ */

/* IPv6-only nodes get a stable hash of their name, distinct per node;
 * the config wins over everything. */
static void test_router_id(void **state)
{
	struct fx f;
	struct prefix a, b;

	(void)state;
	build(&f, "", "6", NULL, NULL, "node-a");
	assert_string_equal(f.d->router_id_src, "hash of the node name");
	assert_int_equal(f.d->router_id.family, AF_INET);
	a = f.d->router_id;
	fx_desire(&f, "node-a");
	assert_true(prefix_equal(&a, &f.d->router_id));
	fx_free(&f);
	build(&f, "", "46", NULL, NULL, "node-a");
	assert_string_equal(f.d->router_id_src, "InternalIP");
	assert_int_equal(f.d->router_id.addr[3], 1);
	fx_free(&f);
	build(&f, "[router]\nrouter_id = 192.0.2.7\n", "6", NULL, NULL,
	      "node-a");
	assert_string_equal(f.d->router_id_src, "config");
	assert_int_equal(f.d->router_id.addr[3], 7);
	fx_free(&f);
	/* node-b differs from node-a */
	build(&f, "", "6", NULL, NULL, "node-a");
	a = f.d->router_id;
	fx_free(&f);
	fx_load_text(&f, "", DATA "v6.json");
	fx_desire(&f, "node-b");
	b = f.d->router_id;
	assert_false(prefix_equal(&a, &b));
	assert_non_null(strstr(f.d->text, "router id "));
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_etp_local),
		cmocka_unit_test(test_etp_cluster),
		cmocka_unit_test(test_itp_and_service_local),
		cmocka_unit_test(test_switches_and_annotations),
		cmocka_unit_test(test_no_foreign_family),
		cmocka_unit_test(test_peer_families),
		cmocka_unit_test(test_bad_peers),
		cmocka_unit_test(test_node_peers),
		cmocka_unit_test(test_node_asn_and_communities),
		cmocka_unit_test(test_router_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
