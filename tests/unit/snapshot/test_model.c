/*
 * test_model.c - every kind of the model (docs/model.md): conversion of
 * the example clusters against golden dumps (and the full kubectl form
 * against the slim one), the API's defaults, each selector operator, the
 * rejection rules naming item and field, the per-item cache (unchanged
 * items keep their record, changed ones are walked again) and the
 * lookups.
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "snapshot/snapshot.h"
#include "snapshot_test.h"

/* ---- helpers ---------------------------------------------------- */

static char *dump_of(const struct snapshot *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(snapshot_dump(s, f), 0);
	fclose(f);
	return buf;
}

static char *read_all(const char *path)
{
	char *buf = NULL;

	assert_int_equal(read_file_small(path, 8u << 20, &buf, NULL), 0);
	return buf;
}

static struct snapshot *load_file(const char *path)
{
	struct snapshot *s = NULL;

	if (snapshot_load(path, NULL, NULL, &s, err, sizeof(err)))
		fail_msg("%s: %s", path, err);
	return s;
}

/* One cluster around the objects under test: a Node is required. */
#define N0 NODE("n0", CIDRS("\"10.244.0.0/24\"") ADDRS(IIP("10.0.0.9")))
#define OBJ(kind, ns, name, rest)                                              \
	"{\"kind\":\"" kind "\",\"metadata\":{\"name\":\"" name                \
	"\",\"namespace\":\"" ns "\"}" rest "}"

/* ---- golden conversion ------------------------------------------ */

static void golden(const char *json, const char *dump)
{
	struct snapshot *s = load_file(json);
	char *got = dump_of(s), *want = read_all(dump);

	if (strcmp(got, want))
		fail_msg("%s: the model differs from %s (regenerate with "
			 "snapnet validate --dump after checking the change)",
			 json, dump);
	free(got);
	free(want);
	snapshot_free(s);
}

static void test_golden(void **state)
{
	(void)state;
	golden("examples/cluster-ipv4.json",
	       "tests/unit/snapshot/golden/cluster-ipv4.dump");
	golden("examples/cluster-ipv6.json",
	       "tests/unit/snapshot/golden/cluster-ipv6.dump");
	golden("examples/cluster-dual.json",
	       "tests/unit/snapshot/golden/cluster-dual.dump");
	/* the full kubectl form is the same cluster: the same model */
	golden("examples/cluster-dual-full.json",
	       "tests/unit/snapshot/golden/cluster-dual.dump");
}

/* ---- fields and defaults ---------------------------------------- */

/* A dump never shows a password annotation's value (base64 BGP
 * passwords of kube-router.io/peer.passwords). */
static void test_dump_hides_passwords(void **state)
{
	struct snapshot *s;
	char *d;

	(void)state;
	s = parse(LIST("{\"kind\":\"Node\",\"metadata\":{\"name\":\"n0\","
		       "\"annotations\":{\"kube-router.io/peer.passwords\":"
		       "\"czNjcmV0\",\"kube-router.io/peer.ips\":"
		       "\"10.0.0.254\"}}}"));
	d = dump_of(s);
	assert_null(strstr(d, "czNjcmV0"));
	assert_non_null(strstr(d, "kube-router.io/peer.passwords=(not shown)"));
	assert_non_null(strstr(d, "kube-router.io/peer.ips=10.0.0.254"));
	free(d);
	snapshot_free(s);
}

static void test_pod(void **state)
{
	struct snapshot *s;
	const struct pod *p;

	(void)state;
	s = parse(LIST(N0, OBJ("Pod", "x", "p",
			       ",\"spec\":{\"nodeName\":\"n0\",\"containers\":["
			       "{\"ports\":[{\"containerPort\":80,"
			       "\"name\":\"http\"},{\"containerPort\":53,"
			       "\"protocol\":\"UDP\"}]},{\"ports\":[{"
			       "\"containerPort\":9,\"protocol\":\"SCTP\","
			       "\"name\":\"\"}]}]},\"status\":{\"phase\":"
			       "\"Pending\",\"podIP\":\"10.244.0.5\"}")));
	assert_int_equal(s->n_pods, 1);
	p = s->pods[0];
	assert_string_equal(p->ns, "x");
	assert_string_equal(p->node, "n0");
	assert_int_equal(p->phase, PHASE_PENDING);
	assert_int_equal(p->n_ports, 3);
	assert_string_equal(p->ports[0].name, "http");
	assert_int_equal(p->ports[0].proto, PROTO_TCP); /* the default */
	assert_int_equal(p->ports[1].proto, PROTO_UDP);
	assert_null(p->ports[1].name);
	assert_int_equal(p->ports[2].proto, PROTO_SCTP);
	assert_null(p->ports[2].name); /* "" is no name */
	/* podIP alone is the IP of its family */
	assert_true(prefix_present(&p->ip[0]));
	assert_false(prefix_present(&p->ip[1]));
	snapshot_free(s);
	/* no namespace: "default"; no phase: Unknown */
	s = parse(LIST(N0, "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"q\"}}"));
	assert_string_equal(s->pods[0]->ns, "default");
	assert_int_equal(s->pods[0]->phase, PHASE_UNKNOWN);
	assert_null(s->pods[0]->node);
	snapshot_free(s);
}

static void test_service_defaults(void **state)
{
	struct snapshot *s;
	const struct service *v;

	(void)state;
	s = parse(LIST(N0, OBJ("Service", "x", "web",
			       ",\"spec\":{\"clusterIP\":\"10.96.0.10\","
			       "\"ports\":[{\"port\":80}]}"),
		       OBJ("Service", "x", "hl",
			   ",\"spec\":{\"clusterIP\":\"None\",\"clusterIPs\":"
			   "[\"None\"],\"sessionAffinity\":\"ClientIP\","
			   "\"sessionAffinityConfig\":{\"clientIP\":{"
			   "\"timeoutSeconds\":60}},\"ports\":[{\"name\":"
			   "\"a\",\"port\":1,\"targetPort\":\"web\"},{"
			   "\"name\":\"b\",\"port\":2,\"protocol\":\"UDP\","
			   "\"targetPort\":9,\"nodePort\":30002}]}")));
	v = snapshot_find_service(s, "x", "web");
	assert_non_null(v);
	assert_int_equal(v->type, SVC_CLUSTER_IP);
	assert_false(v->headless);
	assert_true(prefix_present(&v->cluster_ip[0]));
	assert_false(v->affinity_client_ip);
	assert_int_equal(v->affinity_timeout, 10800); /* the API default */
	assert_int_equal(v->external_policy, TRAFFIC_CLUSTER);
	assert_int_equal(v->ports[0].proto, PROTO_TCP);
	assert_int_equal(v->ports[0].target_port, 80); /* = port */
	v = snapshot_find_service(s, "x", "hl");
	assert_true(v->headless);
	assert_true(v->affinity_client_ip);
	assert_int_equal(v->affinity_timeout, 60);
	assert_string_equal(v->ports[0].target_name, "web");
	assert_int_equal(v->ports[0].target_port, 0);
	assert_int_equal(v->ports[1].target_port, 9);
	assert_int_equal(v->ports[1].node_port, 30002);
	assert_null(snapshot_find_service(s, "y", "web"));
	snapshot_free(s);
}

static void test_slice_conditions(void **state)
{
	struct snapshot *s;
	const struct endpointslice *e;

	(void)state;
	/* addresses before addressType: checked once the item is read */
	s = parse(LIST(N0, "{\"kind\":\"EndpointSlice\",\"endpoints\":["
			   "{\"addresses\":[\"10.1.0.1\"]},"
			   "{\"addresses\":[\"10.1.0.2\"],\"conditions\":{"
			   "\"ready\":false}},"
			   "{\"addresses\":[\"10.1.0.3\"],\"conditions\":{"
			   "\"ready\":false,\"serving\":true,\"terminating\":"
			   "true}}],\"addressType\":\"IPv4\",\"metadata\":{"
			   "\"name\":\"e\",\"namespace\":\"x\",\"labels\":{"
			   "\"kubernetes.io/service-name\":\"web\"}},\"ports\":"
			   "[{\"port\":null,\"name\":\"\"},{\"port\":80}]}"));
	e = s->slices[0];
	assert_string_equal(e->service, "web");
	assert_int_equal(e->family, AF_INET);
	assert_int_equal(e->n_eps, 3);
	/* absent: ready; serving follows ready; not terminating */
	assert_true(e->eps[0].ready && e->eps[0].serving);
	assert_false(e->eps[0].terminating);
	assert_false(e->eps[1].ready || e->eps[1].serving);
	assert_true(!e->eps[2].ready && e->eps[2].serving &&
		    e->eps[2].terminating);
	assert_int_equal(e->ports[0].port, 0); /* every port */
	assert_int_equal(e->ports[0].proto, PROTO_TCP);
	assert_string_equal(e->ports[0].name, "");
	assert_true(prefix_present(&e->eps[2].addrs[0]));
	snapshot_free(s);
}

static void test_policy_defaults(void **state)
{
	struct snapshot *s;
	const struct netpol *np;

	(void)state;
	s = parse(LIST(N0, OBJ("NetworkPolicy", "x", "a", ""),
		       OBJ("NetworkPolicy", "x", "b",
			   ",\"spec\":{\"egress\":[{}]}"),
		       OBJ("NetworkPolicy", "x", "c",
			   ",\"spec\":{\"egress\":[]}"),
		       OBJ("NetworkPolicy", "x", "d",
			   ",\"spec\":{\"policyTypes\":[\"Egress\"],"
			   "\"ingress\":[{}]}"),
		       OBJ("NetworkPolicy", "x", "e",
			   ",\"spec\":{\"policyTypes\":[],\"ingress\":[{"
			   "\"ports\":[{\"port\":80,\"endPort\":90},{\"port\":"
			   "\"http\",\"protocol\":\"UDP\"},{}],\"from\":[{"
			   "\"ipBlock\":{\"cidr\":\"10.1.2.3/8\",\"except\":["
			   "\"10.9.9.9/16\"]}}]}]}")));
	assert_int_equal(s->n_policies, 5);
	np = s->policies[0]; /* no spec at all: ingress, every pod */
	assert_true(np->ingress && !np->egress);
	assert_true(np->pods.set && np->pods.n_reqs == 0);
	np = s->policies[1]; /* egress rules: both */
	assert_true(np->ingress && np->egress);
	np = s->policies[2]; /* egress: [] is no rule */
	assert_true(np->ingress && !np->egress);
	np = s->policies[3];
	assert_true(!np->ingress && np->egress);
	np = s->policies[4];
	assert_true(np->ingress && !np->egress);
	assert_int_equal(np->in[0].n_ports, 3);
	assert_int_equal(np->in[0].ports[0].end_port, 90);
	assert_string_equal(np->in[0].ports[1].name, "http");
	assert_int_equal(np->in[0].ports[2].proto, PROTO_TCP);
	assert_int_equal(np->in[0].ports[2].port, 0); /* every port */
	/* host bits masked, as Go's ParseCIDR does */
	assert_int_equal(np->in[0].peers[0].cidr.addr[1], 0);
	assert_int_equal(np->in[0].peers[0].except[0].addr[2], 0);
	snapshot_free(s);
}

/* ---- selectors -------------------------------------------------- */

/* Namespace x's labels go through matchExpressions of one policy. */
static bool matches(const char *selector, const char *labels)
{
	char doc[2048];
	struct snapshot *s;
	bool m;

	snprintf(doc, sizeof(doc),
		 LIST(N0, "{\"kind\":\"Namespace\",\"metadata\":{\"name\":"
			  "\"x\",\"labels\":{%s}}}",
		      OBJ("NetworkPolicy", "x", "p",
			  ",\"spec\":{\"podSelector\":%s}")),
		 labels, selector);
	s = parse(doc);
	m = selector_match(&s->policies[0]->pods, &s->namespaces[0]->labels);
	snapshot_free(s);
	return m;
}

#define EXPR(op, vals)                                                         \
	"{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"" op             \
	"\",\"values\":[" vals "]}]}"

static void test_selectors(void **state)
{
	(void)state;
	assert_true(matches("{}", ""));
	assert_true(matches("{}", "\"k\":\"a\""));
	assert_true(matches("{\"matchLabels\":{\"k\":\"a\"}}", "\"k\":\"a\""));
	assert_false(matches("{\"matchLabels\":{\"k\":\"a\"}}", "\"k\":\"b\""));
	assert_false(matches("{\"matchLabels\":{\"k\":\"a\"}}", ""));
	assert_true(matches(EXPR("In", "\"a\",\"b\""), "\"k\":\"b\""));
	assert_false(matches(EXPR("In", "\"a\""), ""));
	assert_true(matches(EXPR("NotIn", "\"a\""), "\"k\":\"b\""));
	assert_false(matches(EXPR("NotIn", "\"a\""), "\"k\":\"a\""));
	/* NotIn and DoesNotExist match an object lacking the key */
	assert_true(matches(EXPR("NotIn", "\"a\""), "\"j\":\"a\""));
	assert_true(matches(EXPR("Exists", ""), "\"k\":\"\""));
	assert_false(matches(EXPR("Exists", ""), "\"j\":\"x\""));
	assert_true(matches(EXPR("DoesNotExist", ""), "\"j\":\"x\""));
	assert_false(matches(EXPR("DoesNotExist", ""), "\"k\":\"x\""));
	/* requirements are ANDed, matchLabels with expressions too */
	assert_false(matches("{\"matchLabels\":{\"j\":\"1\"},"
			     "\"matchExpressions\":[{\"key\":\"k\","
			     "\"operator\":\"Exists\"}]}",
			     "\"k\":\"a\""));
	assert_true(matches("{\"matchLabels\":{\"j\":\"1\"},"
			    "\"matchExpressions\":[{\"key\":\"k\","
			    "\"operator\":\"Exists\"}]}",
			    "\"k\":\"a\",\"j\":\"1\""));
}

/* An absent selector in a peer is not set: it matches nothing. */
static void test_selector_absent(void **state)
{
	struct snapshot *s;
	const struct np_peer *p;

	(void)state;
	s = parse(LIST(N0, OBJ("NetworkPolicy", "x", "p",
			       ",\"spec\":{\"ingress\":[{\"from\":[{"
			       "\"podSelector\":{}}]}]}")));
	p = &s->policies[0]->in[0].peers[0];
	assert_true(p->pods.set);
	assert_false(p->namespaces.set);
	assert_false(selector_match(&p->namespaces, &s->nodes[0]->labels));
	assert_true(selector_match(&p->pods, &s->nodes[0]->labels));
	snapshot_free(s);
}

/* ---- rejections ------------------------------------------------- */

static const struct {
	const char *item, *error;
} bad[] = {
	{ OBJ("Pod", "x", "P", ""),
	  "items[1] Pod: metadata.name: invalid pod name \"P\"" },
	{ OBJ("Pod", "X", "p", ""),
	  "items[1] Pod/?/p: metadata.namespace: invalid namespace \"X\"" },
	{ OBJ("Pod", "x", "p", ",\"spec\":{\"containers\":[{\"ports\":[{"
			       "\"containerPort\":0}]}]}"),
	  "items[1] Pod/x/p: spec.containers[0].ports[0].containerPort: "
	  "expected an integer 1..65535, got 0" },
	{ OBJ("Pod", "x", "p", ",\"spec\":{\"containers\":[{\"ports\":[{"
			       "\"containerPort\":80,\"name\":\"HTTP\"}]}]}"),
	  "ports[0].name: invalid port name \"HTTP\" (not an IANA" },
	{ OBJ("Pod", "x", "p", ",\"spec\":{\"containers\":[{\"ports\":[{"
			       "\"containerPort\":80,\"protocol\":\"ICMP\"}]}]}"),
	  "ports[0].protocol: expected one of TCP, UDP, SCTP, got \"ICMP\"" },
	{ OBJ("Pod", "x", "p", ",\"status\":{\"podIPs\":[{\"ip\":\"10.0.0.1\"},"
			       "{\"ip\":\"10.0.0.2\"}]}"),
	  "status.podIPs[1]: second IPv4 pod IP" },
	{ OBJ("Pod", "x", "p", ",\"status\":{\"podIP\":\"10.0.0.2\",\"podIPs\":"
			       "[{\"ip\":\"10.0.0.1\"}]}"),
	  "status.podIP: 10.0.0.2 differs from status.podIPs[0] 10.0.0.1" },
	{ OBJ("Pod", "x", "p", ",\"metadata\":{\"labels\":{\"-a\":\"b\"}}"),
	  "metadata.labels: invalid key \"-a\"" },
	{ OBJ("Pod", "x", "p", ",\"spec\":{\"hostNetwork\":\"yes\"}"),
	  "spec.hostNetwork: expected boolean, got string" },
	{ OBJ("Service", "x", "1a", ""),
	  "items[1] Service: metadata.name: invalid service name \"1a\" "
	  "(not a DNS-1035 label)" },
	{ OBJ("Service", "x", "s", ",\"spec\":{\"type\":\"Foo\"}"),
	  "spec.type: expected one of ClusterIP, NodePort" },
	{ OBJ("Service", "x", "s", ",\"spec\":{\"ports\":[{\"port\":1},"
				   "{\"port\":2,\"name\":\"b\"}]}"),
	  "spec.ports[0].name: missing (required when a service has more "
	  "than one port)" },
	{ OBJ("Service", "x", "s", ",\"spec\":{\"ports\":[{\"port\":1,"
				   "\"name\":\"a\"},{\"port\":2,\"name\":"
				   "\"a\"}]}"),
	  "spec.ports[1].name: \"a\" is also the name of spec.ports[0]" },
	{ OBJ("Service", "x", "s", ",\"spec\":{\"clusterIPs\":[\"10.0.0.1\","
				   "\"10.0.0.2\"]}"),
	  "spec.clusterIPs[1]: second IPv4 cluster IP" },
	{ OBJ("Service", "x", "s", ",\"spec\":{\"clusterIP\":\"10.0.0.9\","
				   "\"clusterIPs\":[\"10.0.0.1\"]}"),
	  "spec.clusterIP: 10.0.0.9 differs from spec.clusterIPs[0]" },
	{ OBJ("Service", "x", "s", ",\"spec\":{\"clusterIPs\":[\"fd00::1\"],"
				   "\"ipFamilies\":[\"IPv4\"]}"),
	  "spec.clusterIPs: an IPv6 cluster IP, but ipFamilies does not list" },
	{ OBJ("Service", "x", "s", ",\"spec\":{\"ports\":[{\"port\":1,"
				   "\"targetPort\":\"a_b\"}]}"),
	  "targetPort: \"a_b\" is neither a port number nor an IANA" },
	{ OBJ("Service", "x", "s", ",\"spec\":{\"loadBalancerSourceRanges\":"
				   "[\"10.0.0.0/33\"]}"),
	  "spec.loadBalancerSourceRanges[0]: invalid CIDR" },
	{ OBJ("EndpointSlice", "x", "e", ""), "addressType: missing" },
	{ OBJ("EndpointSlice", "x", "e",
	      ",\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":["
	      "\"fd00::1\"]}]"),
	  "endpoints[0].addresses[0]: \"fd00::1\" is not an IPv4 address" },
	{ OBJ("EndpointSlice", "x", "e",
	      ",\"endpoints\":[{\"addresses\":[\"10.0.0.1\"]}],"
	      "\"addressType\":\"IPv6\""),
	  "endpoints[0].addresses[0]: \"10.0.0.1\" is not an IPv6 address" },
	{ OBJ("EndpointSlice", "x", "e",
	      ",\"addressType\":\"IPv4\",\"endpoints\":[{}]"),
	  "endpoints[0].addresses: missing" },
	{ OBJ("NetworkPolicy", "x", "p",
	      ",\"spec\":{\"ingress\":[{\"from\":[{}]}]}"),
	  "spec.ingress[0].from[0]: an empty peer" },
	{ OBJ("NetworkPolicy", "x", "p",
	      ",\"spec\":{\"ingress\":[{\"from\":[{\"podSelector\":{},"
	      "\"ipBlock\":{\"cidr\":\"10.0.0.0/8\"}}]}]}"),
	  "from[0]: ipBlock cannot be combined" },
	{ OBJ("NetworkPolicy", "x", "p",
	      ",\"spec\":{\"egress\":[{\"to\":[{\"ipBlock\":{\"cidr\":"
	      "\"10.0.0.0/16\",\"except\":[\"10.0.0.0/16\"]}}]}]}"),
	  "spec.egress[0].to[0].ipBlock.except[0]: 10.0.0.0/16 is not a "
	  "strict subset of cidr 10.0.0.0/16" },
	{ OBJ("NetworkPolicy", "x", "p",
	      ",\"spec\":{\"egress\":[{\"to\":[{\"ipBlock\":{\"cidr\":"
	      "\"10.0.0.0/8\",\"except\":[\"fd00::/64\"]}}]}]}"),
	  "except[0]: fd00::/64 is not a strict subset" },
	{ OBJ("NetworkPolicy", "x", "p",
	      ",\"spec\":{\"ingress\":[{\"ports\":[{\"port\":\"http\","
	      "\"endPort\":90}]}]}"),
	  "spec.ingress[0].ports[0].endPort: needs a numeric port" },
	{ OBJ("NetworkPolicy", "x", "p",
	      ",\"spec\":{\"ingress\":[{\"ports\":[{\"port\":100,"
	      "\"endPort\":90}]}]}"),
	  "endPort: 90 is less than port 100" },
	{ OBJ("NetworkPolicy", "x", "p",
	      ",\"spec\":{\"podSelector\":{\"matchExpressions\":[{\"key\":"
	      "\"k\",\"operator\":\"Has\"}]}}"),
	  "spec.podSelector.matchExpressions[0].operator: expected one of In" },
	{ OBJ("NetworkPolicy", "x", "p",
	      ",\"spec\":{\"podSelector\":{\"matchExpressions\":[{\"key\":"
	      "\"k\",\"operator\":\"In\"}]}}"),
	  "matchExpressions[0].values: must not be empty for In" },
	{ OBJ("NetworkPolicy", "x", "p",
	      ",\"spec\":{\"podSelector\":{\"matchExpressions\":[{\"key\":"
	      "\"k\",\"operator\":\"Exists\",\"values\":[\"a\"]}]}}"),
	  "values: must be empty for Exists" },
	{ OBJ("NetworkPolicy", "x", "p",
	      ",\"spec\":{\"policyTypes\":[\"Ingress\",\"Ingress\"]}"),
	  "spec.policyTypes[1]: Ingress listed twice" },
	{ "{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a.b\"}}",
	  "items[1] Namespace: metadata.name: invalid namespace name \"a.b\" "
	  "(not a DNS-1123 label)" },
};

static void test_rejections(void **state)
{
	char doc[4096];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(doc, sizeof(doc), LIST(N0, "%s"), bad[i].item);
		reject(doc, bad[i].error);
	}
}

/* Two objects of one kind with one namespace/name, also when one comes
 * from "default" by omission. */
static void test_duplicates(void **state)
{
	(void)state;
	reject(LIST(N0, OBJ("Pod", "x", "p", ""), OBJ("Pod", "y", "p", ""),
		    OBJ("Pod", "x", "p", "")),
	       "items[3] Pod/x/p: metadata.name: duplicate pod name (also "
	       "items[1])");
	reject(LIST(N0, OBJ("Service", "default", "s", ""),
		    "{\"kind\":\"Service\",\"metadata\":{\"name\":\"s\"}}"),
	       "items[2] Service/default/s: metadata.name: duplicate service "
	       "name (also items[1])");
	snapshot_free(parse(LIST(N0, OBJ("Pod", "x", "p", ""),
				 OBJ("Service", "x", "p", ""))));
}

/* ---- the per-item cache ----------------------------------------- */

#define CACHE_A LIST(N0, OBJ("Pod", "x", "a", ""), OBJ("Pod", "x", "b", ""),  \
		     OBJ("Pod", "x", "c", ""))

static void test_cache(void **state)
{
	static const char b_changed[] =
	    LIST(N0, OBJ("Pod", "x", "a", ""),
		 OBJ("Pod", "x", "b", ",\"spec\":{\"nodeName\":\"n0\"}"),
		 OBJ("Pod", "x", "c", ""));
	static const char reordered[] =
	    LIST(OBJ("Pod", "x", "c", ""), N0, OBJ("Pod", "x", "z", ""),
		 OBJ("Pod", "x", "a", ""));
	struct snapshot *a = parse(CACHE_A), *b = NULL, *c = NULL;
	char *da, *db;

	(void)state;
	assert_int_equal(snapshot_parse_prev(b_changed, strlen(b_changed), NAME,
					     NULL, a, &b, err, sizeof(err)),
			 0);
	/* unchanged items keep their record; the changed one is new */
	assert_ptr_equal(b->nodes[0], a->nodes[0]);
	assert_ptr_equal(b->pods[0], a->pods[0]);
	assert_ptr_equal(b->pods[2], a->pods[2]);
	assert_ptr_not_equal(b->pods[1], a->pods[1]);
	assert_string_equal(b->pods[1]->node, "n0");
	assert_null(a->pods[1]->node);
	/* reordered, one gone, one new: still found, by hash */
	assert_int_equal(snapshot_parse_prev(reordered, strlen(reordered),
					     NAME, NULL, b, &c, err,
					     sizeof(err)),
			 0);
	assert_int_equal(c->n_pods, 3);
	assert_ptr_equal(c->pods[0], a->pods[0]);
	assert_ptr_equal(c->pods[1], a->pods[2]);
	assert_string_equal(c->pods[2]->name, "z");
	/* the old snapshots go; the shared records stay with c */
	snapshot_free(a);
	snapshot_free(b);
	assert_string_equal(c->pods[0]->name, "a");
	/* a cache hit gives the model a cold load gives */
	a = parse(reordered);
	da = dump_of(a);
	db = dump_of(c);
	assert_string_equal(da, db);
	free(da);
	free(db);
	snapshot_free(a);
	snapshot_free(c);
}

/* A snapshot rejected with the cache in use leaves the previous one
 * whole: its records and strings are still good. */
static void test_cache_rejected(void **state)
{
	static const char dup[] = LIST(N0, OBJ("Pod", "x", "a", ""),
				       OBJ("Pod", "x", "a", ""));
	struct snapshot *a = parse(CACHE_A), *b = (void *)1;
	char *before, *after;

	(void)state;
	before = dump_of(a);
	assert_true(snapshot_parse_prev(dup, strlen(dup), NAME, NULL, a, &b,
					err, sizeof(err)) < 0);
	assert_null(b);
	assert_non_null(strstr(err, "duplicate"));
	after = dump_of(a);
	assert_string_equal(before, after);
	free(before);
	free(after);
	snapshot_free(a);
}

/* ---- lookups ---------------------------------------------------- */

static void test_lookups(void **state)
{
	struct snapshot *s;
	struct span sp;

	(void)state;
	s = parse(LIST(N0 "," NODE("n1", ""),
		       "{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"x\"}}",
		       OBJ("Pod", "y", "p1", ",\"spec\":{\"nodeName\":\"n1\"}"),
		       OBJ("Pod", "x", "p2", ",\"spec\":{\"nodeName\":\"n0\"}"),
		       OBJ("Pod", "x", "p1", ",\"spec\":{\"nodeName\":\"n1\"}"),
		       OBJ("Pod", "x", "p3", ""),
		       OBJ("EndpointSlice", "x", "s2",
			   ",\"addressType\":\"IPv4\",\"metadata\":{\"name\":"
			   "\"s2\",\"namespace\":\"x\",\"labels\":{\"kubernetes"
			   ".io/service-name\":\"web\"}}"),
		       OBJ("EndpointSlice", "x", "s1",
			   ",\"addressType\":\"IPv4\",\"metadata\":{\"name\":"
			   "\"s1\",\"namespace\":\"x\",\"labels\":{\"kubernetes"
			   ".io/service-name\":\"web\"}}"),
		       OBJ("EndpointSlice", "x", "s3",
			   ",\"addressType\":\"IPv4\""),
		       OBJ("NetworkPolicy", "y", "np", "")));
	assert_non_null(snapshot_find_namespace(s, "x"));
	assert_null(snapshot_find_namespace(s, "y")); /* not listed */
	sp = snapshot_pods_in(s, "x");
	assert_int_equal(sp.n, 3);
	assert_string_equal(s->pods[sp.first]->name, "p1");
	assert_string_equal(s->pods[sp.first + 2]->name, "p3");
	sp = snapshot_pods_on(s, "n1");
	assert_int_equal(sp.n, 2);
	assert_string_equal(s->pods_by_node[sp.first]->ns, "x");
	assert_string_equal(s->pods_by_node[sp.first + 1]->ns, "y");
	assert_int_equal(snapshot_pods_on(s, "n0").n, 1);
	assert_int_equal(snapshot_pods_on(s, NULL).n, 1); /* unscheduled */
	assert_int_equal(snapshot_pods_on(s, "n9").n, 0);
	sp = snapshot_slices_of(s, "x", "web");
	assert_int_equal(sp.n, 2);
	assert_string_equal(s->slices_by_svc[sp.first]->name, "s1");
	assert_int_equal(snapshot_slices_of(s, "y", "web").n, 0);
	assert_int_equal(snapshot_policies_in(s, "y").n, 1);
	assert_int_equal(snapshot_policies_in(s, "x").n, 0);
	snapshot_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_pod),
		cmocka_unit_test(test_service_defaults),
		cmocka_unit_test(test_slice_conditions),
		cmocka_unit_test(test_policy_defaults),
		cmocka_unit_test(test_selectors),
		cmocka_unit_test(test_selector_absent),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_cache_rejected),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_dump_hides_passwords),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
