/*
 * test_fw.c - the firewall's pure half: which chains, rules and sets a
 * snapshot's NetworkPolicies compile to on one node, per family
 * (fw_desire_build), and what a plan does against what the kernel holds
 * (fw_plan_build). Snapshots go through the real loader; no root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/desired.h"
#include "firewall/fw.h"
#include "firewall/fw_plan.h"
#include "lib/util.h"
#include "snapshot/snapshot.h"

#define V4 0
#define V6 1

/* Two nodes, dual-stack; namespaces x (labelled), y (only ns=y) and z
 * (no Namespace item); pods on node-a: x/a, x/b, y/a, plus a host-network
 * pod and a finished one; on node-b: x/c, z/c. Ports: serve-80-tcp on
 * every pod, serve-81-udp on x/a and x/c only. */
#define NSX                                                                    \
	"{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"x\",\"labels\":{"    \
	"\"ns\":\"x\",\"kubernetes.io/metadata.name\":\"x\"}}}"
#define NSY "{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"y\",\"labels\":{\"ns\":\"y\"}}}"
#define NODEJ(n, i)                                                            \
	"{\"kind\":\"Node\",\"metadata\":{\"name\":\"" n "\"},\"spec\":{"      \
	"\"podCIDRs\":[\"10.244." i ".0/24\",\"fd00:244:" i "::/64\"]},"       \
	"\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":"     \
	"\"10.0.0." i "\"},{\"type\":\"InternalIP\",\"address\":\"fd00::" i    \
	"\"}]}}"
#define PORT80 "{\"name\":\"serve-80-tcp\",\"containerPort\":80}"
#define PORT81 "{\"name\":\"serve-81-udp\",\"containerPort\":81,\"protocol\":\"UDP\"}"
#define PODJ(ns, n, node, i, k, ports, extra)                                  \
	"{\"kind\":\"Pod\",\"metadata\":{\"name\":\"" n "\",\"namespace\":\""  \
	ns "\",\"labels\":{\"pod\":\"" n "\"}},\"spec\":{\"nodeName\":\""      \
	node "\"" extra ",\"containers\":[{\"name\":\"c\",\"ports\":["         \
	ports "]}]},\"status\":{\"phase\":\"Running\",\"podIPs\":[{\"ip\":"    \
	"\"10.244." i "." k "\"},{\"ip\":\"fd00:244:" i "::" k "\"}]}}"
#define BASE                                                                   \
	NSX "," NSY "," NODEJ("node-a", "1") "," NODEJ("node-b", "2") ","      \
	PODJ("x", "a", "node-a", "1", "10", PORT80 "," PORT81, "") ","         \
	PODJ("x", "b", "node-a", "1", "11", PORT80, "") ","                    \
	PODJ("y", "a", "node-a", "1", "12", PORT80, "") ","                    \
	PODJ("x", "h", "node-a", "1", "13", PORT80,                            \
	     ",\"hostNetwork\":true") ","                                      \
	PODJ("x", "c", "node-b", "2", "10", PORT80 "," PORT81, "") ","         \
	PODJ("z", "c", "node-b", "2", "11", PORT80, "")
#define POL(ns, name, spec)                                                    \
	"{\"kind\":\"NetworkPolicy\",\"apiVersion\":\"networking.k8s.io/v1\"," \
	"\"metadata\":{\"name\":\"" name "\",\"namespace\":\"" ns "\"},"       \
	"\"spec\":" spec "}"
#define NODEJ4                                                                 \
	"{\"kind\":\"Node\",\"metadata\":{\"name\":\"node-a\"},\"spec\":{"   \
	"\"podCIDRs\":[\"10.244.1.0/24\"]},\"status\":{\"addresses\":[{"       \
	"\"type\":\"InternalIP\",\"address\":\"10.0.0.1\"}]}}"
#define PODJ4                                                                  \
	"{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\",\"namespace\":\"x\"}," \
	"\"spec\":{\"nodeName\":\"node-a\"},\"status\":{\"podIPs\":[{"       \
	"\"ip\":\"10.244.1.10\"}]}}"
#define DOC(...) "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[" __VA_ARGS__ "]}"

struct fx {
	struct snapshot *s;
	struct desired *core;
	struct fw_desire *d;
	struct firewall_config c;
};

static struct fx fx;

/* The config's defaults (logging of denied packets on), enabled. */
static void config_default(bool deny_new)
{
	firewall_section.defaults(&fx.c);
	fx.c.enabled = true;
	fx.c.default_deny_new_pods = deny_new;
}

static void compile_cfg(const char *doc)
{
	char err[ERRLEN] = "";

	if (snapshot_parse(doc, strlen(doc), "t.json", NULL, &fx.s, err,
			   sizeof(err)) != 0)
		fail_msg("snapshot: %s", err);
	assert_int_equal(desired_build(fx.s, "node-a", &fx.core, err,
				       sizeof(err)),
			 0);
	assert_int_equal(fw_desire_build(fx.s, fx.core, &fx.c, &fx.d), 0);
}

static void compile_with(const char *doc, bool deny_new)
{
	config_default(deny_new);
	compile_cfg(doc);
}

static void compile(const char *doc)
{
	compile_with(doc, false);
}

static int teardown(void **state)
{
	(void)state;
	fw_desire_free(fx.d);
	desired_free(fx.core);
	snapshot_free(fx.s);
	memset(&fx, 0, sizeof(fx));
	return 0;
}

static const struct fw_chain *chain(int fam, const char *name)
{
	const struct fw_family *f = &fx.d->fam[fam];

	for (size_t i = 0; i < f->n_chains; i++)
		if (!strncmp(f->chains[i].name, name, strlen(name)))
			return &f->chains[i];
	return NULL;
}

/* The set a rule of chain `name` (prefix) names after "--match-set ",
 * the k-th such mention in the chain. */
static const struct fw_set *set_in(int fam, const char *name, size_t rule,
				   int k)
{
	const struct fw_chain *ch = chain(fam, name);
	char set[SETS_NAME_MAX + 1];
	const char *at;

	assert_non_null(ch);
	assert_true(rule < ch->n);
	at = ch->rules[rule];
	for (int i = 0; i <= k; i++) {
		at = strstr(at, "--match-set ");
		assert_non_null(at);
		at += strlen("--match-set ");
	}
	sscanf(at, "%31s", set);
	return fw_family_set(&fx.d->fam[fam], set);
}

/* Members of a set as text, sorted, joined by blanks. */
static const char *members(const struct fw_set *s)
{
	static char out[1024];
	char one[96];

	assert_non_null(s);
	out[0] = '\0';
	for (size_t i = 0; i < s->n; i++) {
		assert_int_equal(sets_member_format(s->type, &s->m[i], one,
						    sizeof(one)),
				 0);
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
			 i ? " " : "", one);
	}
	return out;
}

/* Every rule in the chain, joined by newlines, without the mark. */
static const char *rules_of(int fam, const char *name)
{
	static char out[8192];
	const struct fw_chain *ch = chain(fam, name);

	assert_non_null(ch);
	out[0] = '\0';
	for (size_t i = 0; i < ch->n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s\n",
			 ch->rules[i]);
	return out;
}

static bool starts(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)))
		fail_msg("\"%s\" does not start with \"%s\"", s, prefix);
	return true;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* ---------------------------------------------------------------- */

static void test_no_policy_owns_nothing(void **state)
{
	(void)state;
	compile(DOC(BASE));
	for (int f = 0; f < FAM_COUNT; f++) {
		assert_true(fx.d->fam[f].wanted);
		assert_int_equal(fx.d->fam[f].n_chains, 0);
		assert_int_equal(fx.d->fam[f].n_sets, 0);
	}
	assert_false(fx.d->bridge_nf);
}

/* Ingress-only default deny: FORWARD dispatches isolated destinations;
 * the policy's chain marks nothing; no INPUT chain (no egress). */
static void test_deny_all_ingress(void **state)
{
	(void)state;
	compile(DOC(BASE "," POL("x", "deny", "{\"podSelector\":{}}")));
	for (int f = 0; f < FAM_COUNT; f++) {
		const struct fw_chain *pc = chain(f, "SNAPNET-FW-I-");

		assert_non_null(pc);
		assert_int_equal(pc->n, 0);
		assert_null(chain(f, FW_CHAIN_INPUT));
		assert_null(chain(f, FW_CHAIN_EGRESS));
		assert_int_equal(fx.d->fam[f].policies, 1);
	}
	/* targets: x's pods on node-a, not the host-network one */
	assert_string_equal(members(set_in(V4, FW_CHAIN_INGRESS, 2, 0)),
			    "10.244.1.10 10.244.1.11");
	assert_string_equal(members(set_in(V6, FW_CHAIN_INGRESS, 2, 0)),
			    "fd00:244:1::10 fd00:244:1::11");
	assert_true(starts(rules_of(V4, FW_CHAIN_FORWARD),
			   "-m conntrack --ctstate RELATED,ESTABLISHED -j "
			   "RETURN\n"
			   "-m set --match-set snapnet-fw-4-isoi-"));
}

/* Peers and ports bind within one rule (their product); rules are a
 * union (each its own marks). */
static void test_rule_product_and_union(void **state)
{
	const char *r;

	(void)state;
	compile(DOC(BASE "," POL(
	    "x", "p",
	    "{\"podSelector\":{\"matchLabels\":{\"pod\":\"a\"}},"
	    "\"ingress\":[{\"from\":[{\"podSelector\":{\"matchLabels\":{"
	    "\"pod\":\"b\"}}},{\"namespaceSelector\":{\"matchLabels\":{\"ns\":"
	    "\"y\"}}}],\"ports\":[{\"port\":80},{\"port\":81,\"protocol\":"
	    "\"UDP\"}]},{\"ports\":[{\"port\":9000,\"endPort\":9010}]}]}")));
	r = rules_of(V4, "SNAPNET-FW-I-");
	assert_int_equal(count(r, "\n"), 5);
	assert_int_equal(count(r, "-p tcp -m set --match-set snapnet-fw-4-peer-"), 2);
	assert_int_equal(count(r, "-p udp -m set --match-set snapnet-fw-4-peer-"), 2);
	assert_int_equal(count(r, "-m tcp --dport 80 -j MARK --set-xmark "
				  "0x100000/0x100000"),
			 2);
	assert_non_null(strstr(r, "-p tcp -m tcp --dport 9000:9010 -j MARK"));
	/* the podSelector peer: x/b only; the namespace peer: all of y */
	assert_string_equal(members(set_in(V4, "SNAPNET-FW-I-", 0, 0)),
			    "10.244.1.11");
	assert_string_equal(members(set_in(V6, "SNAPNET-FW-I-", 1, 0)),
			    "fd00:244:1::12");
}

/* kubernetes.io/metadata.name is there even when the Namespace item
 * lacks it (y) or is missing (z); NotIn and DoesNotExist match pods
 * without the key. */
static void test_namespace_name_label(void **state)
{
	(void)state;
	compile(DOC(BASE "," POL(
	    "x", "p",
	    "{\"podSelector\":{},\"ingress\":[{\"from\":[{\"namespaceSelector\":"
	    "{\"matchExpressions\":[{\"key\":\"kubernetes.io/metadata.name\","
	    "\"operator\":\"In\",\"values\":[\"y\",\"z\"]}]}},"
	    "{\"namespaceSelector\":{\"matchExpressions\":[{\"key\":\"ns\","
	    "\"operator\":\"NotIn\",\"values\":[\"x\"]}]},\"podSelector\":{"
	    "\"matchExpressions\":[{\"key\":\"role\",\"operator\":"
	    "\"DoesNotExist\"}]}}]}]}")));
	assert_string_equal(members(set_in(V4, "SNAPNET-FW-I-", 0, 0)),
			    "10.244.1.12 10.244.2.11");
	/* ns NotIn [x]: y and z (z has no labels at all) */
	assert_string_equal(members(set_in(V4, "SNAPNET-FW-I-", 1, 0)),
			    "10.244.1.12 10.244.2.11");
}

/* Named ports: ingress on this policy's targets, egress on the peers';
 * a name nobody declares is an empty set, never "every port". */
static void test_named_ports(void **state)
{
	const char *r;

	(void)state;
	compile(DOC(BASE "," POL(
	    "x", "p",
	    "{\"podSelector\":{},\"policyTypes\":[\"Ingress\",\"Egress\"],"
	    "\"ingress\":[{\"ports\":[{\"port\":\"serve-81-udp\",\"protocol\":"
	    "\"UDP\"}]}],\"egress\":[{\"to\":[{\"podSelector\":{}}],\"ports\":"
	    "[{\"port\":\"serve-81-udp\",\"protocol\":\"UDP\"},{\"port\":"
	    "\"nobody\"},{\"port\":\"serve-81-udp\"}]}]}")));
	r = rules_of(V4, "SNAPNET-FW-I-");
	assert_true(starts(r, "-m set --match-set snapnet-fw-4-nport-"));
	assert_int_equal(count(r, "dst,dst -j MARK"), 1);
	assert_int_equal(count(rules_of(V4, "SNAPNET-FW-E-"), "dst,dst -j"), 3);
	/* ingress: x/a (a target) declares it; x/c is not on this node */
	assert_string_equal(members(set_in(V4, "SNAPNET-FW-I-", 0, 0)),
			    "10.244.1.10,udp:81");
	/* egress: the peers (x's pods anywhere) that declare it */
	assert_string_equal(members(set_in(V6, "SNAPNET-FW-E-", 0, 0)),
			    "fd00:244:1::10,udp:81 fd00:244:2::10,udp:81");
	assert_string_equal(members(set_in(V4, "SNAPNET-FW-E-", 1, 0)), "");
	/* the same name over TCP: nobody declares it over TCP */
	assert_string_equal(members(set_in(V4, "SNAPNET-FW-E-", 2, 0)), "");
}

/* ipBlock: a block of the other family matches nothing here; except is
 * a nomatch entry; /0 is two /1, and an except of one half cancels it
 * (the loader refuses excepts outside their block, as the API does). */
static void test_ipblock(void **state)
{
	(void)state;
	compile(DOC(BASE "," POL(
	    "x", "p",
	    "{\"podSelector\":{},\"ingress\":[{\"from\":[{\"ipBlock\":{"
	    "\"cidr\":\"fd00::/8\"}},{\"ipBlock\":{\"cidr\":\"10.0.0.0/8\","
	    "\"except\":[\"10.244.2.0/24\"]}},{\"ipBlock\":"
	    "{\"cidr\":\"0.0.0.0/0\",\"except\":[\"0.0.0.0/1\"]}}]}]}")));
	assert_int_equal(count(rules_of(V4, "SNAPNET-FW-I-"), "\n"), 2);
	assert_int_equal(count(rules_of(V6, "SNAPNET-FW-I-"), "\n"), 1);
	assert_string_equal(members(set_in(V4, "SNAPNET-FW-I-", 0, 0)),
			    "10.0.0.0/8 10.244.2.0/24 nomatch");
	assert_string_equal(members(set_in(V4, "SNAPNET-FW-I-", 1, 0)),
			    "128.0.0.0/1");
	assert_string_equal(members(set_in(V6, "SNAPNET-FW-I-", 0, 0)),
			    "fd00::/8");
}

/* Neither host-network nor finished pods are targets or peers; a policy
 * that selects no pod of this node has no chain. */
static void test_who_counts(void **state)
{
	(void)state;
	compile(DOC(BASE ","
		    PODJ("x", "done", "node-a", "1", "14", PORT80, "") ","
		    POL("x", "h", "{\"podSelector\":{\"matchLabels\":{\"pod\":"
				  "\"h\"}}}") ","
		    POL("x", "c", "{\"podSelector\":{\"matchLabels\":{\"pod\":"
				  "\"c\"}}}") ","
		    POL("x", "all", "{\"podSelector\":{},\"ingress\":[{\"from\":"
				    "[{\"namespaceSelector\":{}}]}]}")));
	assert_int_equal(fx.d->fam[V4].policies, 1);
	assert_string_equal(members(set_in(V4, FW_CHAIN_INGRESS, 2, 0)),
			    "10.244.1.10 10.244.1.11 10.244.1.14");
	/* every pod anywhere but the host-network one */
	assert_string_equal(members(set_in(V4, "SNAPNET-FW-I-", 0, 0)),
			    "10.244.1.10 10.244.1.11 10.244.1.12 10.244.1.14 "
			    "10.244.2.10 10.244.2.11");
	teardown(NULL);
	compile(DOC(BASE ","
		    "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"done\","
		    "\"namespace\":\"x\"},\"spec\":{\"nodeName\":\"node-a\"},"
		    "\"status\":{\"phase\":\"Succeeded\",\"podIPs\":[{\"ip\":"
		    "\"10.244.1.14\"}]}}" ","
		    POL("x", "all", "{\"podSelector\":{},\"ingress\":[{\"from\":"
				    "[{\"namespaceSelector\":{}}]}]}")));
	assert_string_equal(members(set_in(V4, FW_CHAIN_INGRESS, 2, 0)),
			    "10.244.1.10 10.244.1.11");
}

/* Identical selectors share one set; names carry the family. */
static void test_sets_shared_and_family_named(void **state)
{
	const struct fw_set *a, *b;

	(void)state;
	compile(DOC(BASE ","
		    POL("x", "one", "{\"podSelector\":{},\"ingress\":[{\"from\":"
				    "[{\"podSelector\":{\"matchLabels\":{\"pod\":"
				    "\"b\"}}}]}]}") ","
		    POL("x", "two", "{\"podSelector\":{},\"egress\":[{\"to\":"
				    "[{\"podSelector\":{\"matchExpressions\":[{"
				    "\"key\":\"pod\",\"operator\":\"In\","
				    "\"values\":[\"b\"]}]}}]}],\"policyTypes\":"
				    "[\"Egress\"]}")));
	a = set_in(V4, "SNAPNET-FW-I-", 0, 0);
	b = set_in(V4, "SNAPNET-FW-E-", 0, 0);
	assert_ptr_equal(a, b);
	assert_int_equal(strncmp(a->name, "snapnet-fw-4-peer-", 18), 0);
	assert_int_equal(strncmp(set_in(V6, "SNAPNET-FW-I-", 0, 0)->name,
				 "snapnet-fw-6-peer-", 18),
			 0);
	/* the two policies share their target set too, in each family */
	assert_int_equal(fx.d->fam[V4].n_sets, 4); /* tgt peer isoi isoo */
	assert_non_null(chain(V4, FW_CHAIN_INPUT));
}

/* Every rule is one the rule writer accepts (its canonical-form and
 * name checks). */
static void test_rules_pass_the_writer(void **state)
{
	struct fw_fplan fp = { 0 };
	struct rules_text t;
	char err[ERRLEN];

	(void)state;
	compile_with(DOC(BASE "," POL(
			 "x", "p",
			 "{\"podSelector\":{},\"policyTypes\":[\"Ingress\","
			 "\"Egress\"],\"ingress\":[{\"from\":[{\"ipBlock\":{"
			 "\"cidr\":\"10.0.0.0/8\"}}],\"ports\":[{\"port\":"
			 "\"serve-80-tcp\"},{\"port\":7,\"protocol\":\"SCTP\"}]}]}")),
		     true);
	for (int f = 0; f < FAM_COUNT; f++) {
		assert_int_equal(fw_plan_rules(fx.d, f, FW_NEED_ALL, NULL, 0, &fp), 0);
		if (rules_want_check(&fp.want, err, sizeof(err)))
			fail_msg("%s", err);
		assert_int_equal(rules_plan(&fp.want, NULL, &t, NULL, err,
					    sizeof(err)),
				 0);
		rules_text_free(&t);
		fw_fplan_free(&fp);
	}
	/* default deny of new pods: the known set is every pod of node-a */
	assert_string_equal(members(set_in(V4, FW_CHAIN_FORWARD, 1, 0)),
			    "10.244.1.10 10.244.1.11 10.244.1.12");
	assert_non_null(strstr(rules_of(V6, FW_CHAIN_INPUT),
			       "-s fd00:244:1::/64 -m addrtype ! --src-type "
			       "LOCAL -m set ! --match-set snapnet-fw-6-known-"));
	assert_non_null(strstr(rules_of(V6, FW_CHAIN_FORWARD),
			       "-p ipv6-icmp -m icmp6 --icmpv6-type 135 -j "
			       "RETURN\n"));
	assert_null(strstr(rules_of(V4, FW_CHAIN_FORWARD), "ipv6-icmp"));
}

#define DENY_ALL                                                               \
	POL("x", "p", "{\"podSelector\":{},\"policyTypes\":[\"Ingress\","   \
		      "\"Egress\"]}")
#define UNMARKED "-m mark --mark 0x0/0x100000 "

/* Denied packets go to NFLOG (rate-limited) just before each reject, in
 * iptables-save's spelling of the config's values; none when off. */
static void test_log_denied(void **state)
{
	(void)state;
	compile_with(DOC(BASE "," DENY_ALL), true);
	assert_non_null(strstr(rules_of(V6, FW_CHAIN_INGRESS),
			       UNMARKED "-m limit --limit 10/min --limit-burst 10 "
			       "-j NFLOG --nflog-prefix snapnet-deny-ingress "
			       "--nflog-group 100\n"
			       "-p tcp " UNMARKED "-j REJECT"));
	assert_non_null(strstr(rules_of(V4, FW_CHAIN_EGRESS),
			       "--nflog-prefix snapnet-deny-egress "
			       "--nflog-group 100\n-p tcp " UNMARKED "-j REJECT"));
	/* default deny of new pods: each of its three rejects is logged */
	assert_int_equal(count(rules_of(V4, FW_CHAIN_FORWARD),
			       "-j NFLOG --nflog-prefix snapnet-deny-new "),
			 2);
	assert_non_null(strstr(rules_of(V4, FW_CHAIN_INPUT),
			       "src -m limit --limit 10/min --limit-burst 10 -j "
			       "NFLOG --nflog-prefix snapnet-deny-new "
			       "--nflog-group 100\n-s 10.244.1.0/24 -m addrtype"));
	teardown(NULL);

	config_default(false);
	fx.c.log_limit = 120;
	fx.c.log_burst = 5;
	fx.c.nflog_group = 0;
	compile_cfg(DOC(BASE "," DENY_ALL));
	assert_non_null(strstr(rules_of(V4, FW_CHAIN_INGRESS),
			       UNMARKED "-m limit --limit 2/sec -j NFLOG "
			       "--nflog-prefix snapnet-deny-ingress\n"));
	teardown(NULL);

	config_default(true);
	fx.c.log_denied = false;
	compile_cfg(DOC(BASE "," DENY_ALL));
	for (int f = 0; f < FAM_COUNT; f++)
		for (size_t i = 0; i < fx.d->fam[f].n_chains; i++)
			for (size_t r = 0; r < fx.d->fam[f].chains[i].n; r++)
				assert_null(strstr(fx.d->fam[f].chains[i].rules[r],
						   "NFLOG"));
}

/* An IPv4-only node: IPv6 is not enforced (and would be removed). */
static void test_single_family(void **state)
{
	(void)state;
	compile(DOC(NODEJ4 "," PODJ4 "," POL("x", "p",
			"{\"podSelector\":{},\"ingress\":[{\"from\":[{"
			"\"ipBlock\":{\"cidr\":\"fd00::/8\"}}]}]}")));
	assert_true(fx.d->fam[V4].wanted);
	assert_false(fx.d->fam[V6].wanted);
	assert_int_equal(fx.d->fam[V6].n_chains, 0);
	/* the IPv6 block matches nothing in IPv4: deny all, not allow all */
	assert_int_equal(chain(V4, "SNAPNET-FW-I-")->n, 0);
}

/* --- plans --------------------------------------------------------- */

static size_t ops_of(const struct fw_plan *p, enum fw_op_kind k, int fam)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_ops; i++)
		n += p->ops[i].kind == k && p->ops[i].family == fam;
	return n;
}

static struct fw_have *have_after(const struct fw_plan *pl)
{
	struct fw_kopts ko = { .backend = RULES_BACKEND_NFT };
	struct fw_have *h = NULL;

	assert_int_equal(fw_have_of(fx.d, pl, &ko, &h), 0);
	return h;
}

#define TWO_POLICIES                                                           \
	POL("x", "in", "{\"podSelector\":{\"matchLabels\":{\"pod\":\"a\"}},"      \
		       "\"ingress\":[{\"from\":[{\"podSelector\":{\"matchLabels\"" \
		       ":{\"pod\":\"c\"}}}],\"ports\":[{\"port\":7,\"protocol\":"   \
		       "\"SCTP\"},{\"port\":80}]}]}") ","                          \
	POL("x", "out", "{\"podSelector\":{},\"policyTypes\":[\"Egress\"]}")

/* From nothing: every set, chain and jump is new; then, against what
 * that wrote, a second plan is empty. */
static void test_plan_then_converged(void **state)
{
	struct fw_plan *p1 = NULL, *p2 = NULL;
	struct fw_have *h;
	char err[ERRLEN];

	(void)state;
	compile(DOC(BASE "," TWO_POLICIES));
	assert_int_equal(fw_plan_build(fx.d, NULL, &p1, err, sizeof(err)), 0);
	for (int f = 0; f < FAM_COUNT; f++) {
		int fam = fam_of_index(f);

		assert_int_equal(ops_of(p1, FW_SYSCTL, fam), 1);
		assert_int_equal(ops_of(p1, FW_SET_CREATE, fam),
				 fx.d->fam[f].n_sets);
		assert_int_equal(ops_of(p1, FW_CHAIN_NEW, fam), 6);
		assert_int_equal(ops_of(p1, FW_JUMP_ADD, fam), 2);
		assert_true(p1->fam[f].text.len > 0);
	}
	h = have_after(p1);
	assert_int_equal(fw_have_owned(h), 2 * (6 + fx.d->fam[V4].n_sets));
	assert_int_equal(fw_plan_build(fx.d, h, &p2, err, sizeof(err)), 0);
	assert_int_equal(p2->n_ops, 0);
	assert_int_equal(p2->fam[V4].text.len + p2->fam[V6].text.len, 0);
	fw_plan_free(p1);
	fw_plan_free(p2);
	fw_have_unref(h);
}

/* A pod more elsewhere changes set members only: no rule is rewritten. */
static void test_plan_pod_elsewhere(void **state)
{
	struct fw_plan *p1 = NULL, *p2 = NULL;
	struct fw_have *h;
	char err[ERRLEN];

	(void)state;
	compile(DOC(BASE "," TWO_POLICIES));
	assert_int_equal(fw_plan_build(fx.d, NULL, &p1, err, sizeof(err)), 0);
	h = have_after(p1);
	teardown(NULL);
	compile(DOC(BASE "," TWO_POLICIES ","
		    PODJ("y", "c", "node-b", "2", "12", PORT80, "")
		    /* pod=c: a peer of x/in */));
	assert_int_equal(fw_plan_build(fx.d, h, &p2, err, sizeof(err)), 0);
	for (int f = 0; f < FAM_COUNT; f++) {
		int fam = fam_of_index(f);

		assert_int_equal(ops_of(p2, FW_SET_UPDATE, fam), 0);
		assert_int_equal(ops_of(p2, FW_CHAIN_WRITE, fam), 0);
		assert_int_equal(p2->fam[f].text.len, 0);
	}
	/* y/c is not in x: the podSelector peer is x's pods only */
	assert_int_equal(p2->n_ops, 0);
	fw_plan_free(p2);
	teardown(NULL);
	compile(DOC(BASE "," TWO_POLICIES ","
		    PODJ("x", "c2", "node-b", "2", "12", PORT80,
			 "") /* not pod=c either */));
	assert_int_equal(fw_plan_build(fx.d, h, &p2, err, sizeof(err)), 0);
	assert_int_equal(p2->n_ops, 0);
	fw_plan_free(p2);
	teardown(NULL);
	compile(DOC(BASE "," TWO_POLICIES ","
		    "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"c3\","
		    "\"namespace\":\"x\",\"labels\":{\"pod\":\"c\"}},\"spec\":"
		    "{\"nodeName\":\"node-b\"},\"status\":{\"podIPs\":[{\"ip\":"
		    "\"10.244.2.99\"}]}}"));
	assert_int_equal(fw_plan_build(fx.d, h, &p2, err, sizeof(err)), 0);
	assert_int_equal(ops_of(p2, FW_SET_UPDATE, AF_INET), 1);
	assert_int_equal(p2->ops[0].n_add, 1);
	assert_int_equal(p2->ops[0].n_del, 0);
	assert_int_equal(p2->n_ops, 1);
	assert_int_equal(p2->fam[V4].text.len + p2->fam[V6].text.len, 0);
	fw_plan_free(p1);
	fw_plan_free(p2);
	fw_have_unref(h);
}

/* A deleted policy leaves nothing: its chain and its sets go, after the
 * restore that stops naming them. */
static void test_plan_policy_deleted(void **state)
{
	struct fw_plan *p1 = NULL, *p2 = NULL;
	struct fw_have *h;
	char err[ERRLEN];

	(void)state;
	compile(DOC(BASE "," TWO_POLICIES));
	assert_int_equal(fw_plan_build(fx.d, NULL, &p1, err, sizeof(err)), 0);
	h = have_after(p1);
	teardown(NULL);
	compile(DOC(BASE "," POL("x", "out", "{\"podSelector\":{},"
					     "\"policyTypes\":[\"Egress\"]}")));
	assert_int_equal(fw_plan_build(fx.d, h, &p2, err, sizeof(err)), 0);
	for (int f = 0; f < FAM_COUNT; f++) {
		int fam = fam_of_index(f);

		/* the I- chain and INGRESS; FORWARD loses its dispatch */
		assert_int_equal(ops_of(p2, FW_CHAIN_DEL, fam), 2);
		assert_int_equal(ops_of(p2, FW_CHAIN_WRITE, fam), 1);
		/* x/in's target set, its peer set, isoi */
		assert_int_equal(ops_of(p2, FW_SET_DESTROY, fam), 3);
		assert_non_null(strstr(p2->fam[f].text.s, "-X SNAPNET-FW-I-"));
	}
	assert_true(p2->ops[p2->n_ops - 1].kind == FW_SET_DESTROY);
	fw_plan_free(p1);
	fw_plan_free(p2);
	fw_have_unref(h);
}

/* The plan against a kernel holding nothing of ours whose IPv4 side has
 * only the features feats4 (IPv6 has them all). */
static struct fw_plan *plan_with_feats(const char *doc, unsigned feats4)
{
	struct fw_have h = { .refs = 1 };
	struct fw_plan *p = NULL;
	char err[ERRLEN];

	compile(doc);
	for (int f = 0; f < FAM_COUNT; f++)
		h.fam[f] = (struct fw_khave){
			.ok = true,
			.feats = f == V4 ? feats4 : FW_NEED_ALL,
			.bridge_nf = 1
		};
	assert_int_equal(fw_plan_build(fx.d, &h, &p, err, sizeof(err)), 0);
	return p;
}

/* A kernel that cannot match SCTP ports: those rules go (reported), the
 * others stay, and the policy still isolates. */
static void test_plan_no_sctp(void **state)
{
	struct fw_plan *p;

	(void)state;
	p = plan_with_feats(DOC(BASE "," TWO_POLICIES), FW_NEED_NFLOG);
	assert_int_equal(p->fam[V4].dropped, FW_NEED_SCTP);
	assert_int_equal(p->fam[V6].dropped, 0);
	assert_null(strstr(p->fam[V4].text.s, "sctp"));
	assert_non_null(strstr(p->fam[V4].text.s, "-m tcp --dport 80 -j MARK"));
	assert_non_null(strstr(p->fam[V6].text.s, "-m sctp --dport 7 -j MARK"));
	assert_int_equal(fx.d->n_notes, 1);
	assert_non_null(strstr(fx.d->notes[0].line, "x/in: IPv4 SCTP"));
	fw_plan_free(p);
}

/* A kernel without NFLOG: the log rules go (one note per family), every
 * reject stays. */
static void test_plan_no_nflog(void **state)
{
	struct fw_plan *p;

	(void)state;
	p = plan_with_feats(DOC(BASE "," DENY_ALL), FW_NEED_SCTP);
	assert_int_equal(p->fam[V4].dropped, FW_NEED_NFLOG);
	assert_int_equal(p->fam[V6].dropped, 0);
	assert_null(strstr(p->fam[V4].text.s, "NFLOG"));
	assert_int_equal(count(p->fam[V4].text.s, "-j REJECT"),
			 count(p->fam[V6].text.s, "-j REJECT"));
	assert_true(count(p->fam[V4].text.s, "-j REJECT") >= 4);
	assert_non_null(strstr(p->fam[V6].text.s, "-j NFLOG"));
	assert_int_equal(fx.d->n_notes, 1);
	assert_non_null(strstr(fx.d->notes[0].line, "IPv4 log rules"));
	fw_plan_free(p);
}

/* A family that could not be dumped is left alone; the other is
 * planned as usual. */
static void test_plan_family_isolated(void **state)
{
	struct fw_have h = { .refs = 1 };
	struct fw_plan *p = NULL;
	char err[ERRLEN];

	(void)state;
	compile(DOC(BASE "," TWO_POLICIES));
	h.fam[V4] = (struct fw_khave){ .ok = false, .error = "no tool" };
	h.fam[V6] = (struct fw_khave){ .ok = true, .feats = FW_NEED_ALL };
	assert_int_equal(fw_plan_build(fx.d, &h, &p, err, sizeof(err)), 0);
	assert_true(p->fam[V4].skip);
	assert_int_equal(ops_of(p, FW_CHAIN_NEW, AF_INET), 0);
	assert_int_equal(ops_of(p, FW_CHAIN_NEW, AF_INET6), 6);
	fw_plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_no_policy_owns_nothing, teardown),
		cmocka_unit_test_teardown(test_deny_all_ingress, teardown),
		cmocka_unit_test_teardown(test_rule_product_and_union, teardown),
		cmocka_unit_test_teardown(test_namespace_name_label, teardown),
		cmocka_unit_test_teardown(test_named_ports, teardown),
		cmocka_unit_test_teardown(test_ipblock, teardown),
		cmocka_unit_test_teardown(test_who_counts, teardown),
		cmocka_unit_test_teardown(test_sets_shared_and_family_named,
					  teardown),
		cmocka_unit_test_teardown(test_rules_pass_the_writer, teardown),
		cmocka_unit_test_teardown(test_log_denied, teardown),
		cmocka_unit_test_teardown(test_single_family, teardown),
		cmocka_unit_test_teardown(test_plan_then_converged, teardown),
		cmocka_unit_test_teardown(test_plan_pod_elsewhere, teardown),
		cmocka_unit_test_teardown(test_plan_policy_deleted, teardown),
		cmocka_unit_test_teardown(test_plan_no_sctp, teardown),
		cmocka_unit_test_teardown(test_plan_no_nflog, teardown),
		cmocka_unit_test_teardown(test_plan_family_isolated, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
