/*
 * fw.h - the firewall function: Kubernetes NetworkPolicy v1 for the pods
 * of this node, per family, with iptables/ip6tables (lib/rules) and
 * ipsets (lib/sets).
 *
 * Split: fw_select.c (pure: which pods a policy selects, set members),
 * fw_desire.c (pure: policies -> chains, rules and sets per family),
 * fw_plan.c (pure: desire + what the kernel holds -> operations and the
 * restore text), fw_kernel.c (dump, apply, cleanup: iptables, ipsets,
 * sysctls), fw.c (config, the entry in the registry, the cache of what
 * the last pass wrote). docs/firewall.md has the chain layout.
 */
#ifndef SNAPNET_FW_H
#define SNAPNET_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/desired.h"
#include "lib/prefix.h"
#include "lib/rules.h"
#include "lib/sets.h"
#include "lib/util.h"
#include "snapshot/model.h"

/* [firewall] */
struct firewall_config {
	bool enabled;
	bool default_deny_new_pods;
	char backend[8]; /* auto | nft | legacy */
	unsigned mark;	 /* one packet mark bit, borrowed inside our chains */
	/* denied packets to NFLOG before they are rejected (kube-router:
	 * group 100, 10/minute, burst 10), e.g. `tcpdump -i nflog:100` */
	bool log_denied;
	unsigned nflog_group; /* 0..65535 */
	unsigned log_limit;   /* packets a minute, per rule: 1..600 */
	unsigned log_burst;   /* 1..10000 */
	/* where the iptables tools are ("": /usr/sbin, /sbin, then PATH),
	 * e.g. a wrapper's directory */
	char iptables_dir[PATH_MAX];
};

extern const struct config_section firewall_section;

#define FW_CHAIN_PREFIX "SNAPNET-FW-"
#define FW_SET_PREFIX "snapnet-fw-"
#define FW_JUMP_COMMENT "snapnet"
#define FW_CHAIN_FORWARD "SNAPNET-FW-FORWARD"
#define FW_CHAIN_INPUT "SNAPNET-FW-INPUT"
#define FW_CHAIN_INGRESS "SNAPNET-FW-INGRESS"
#define FW_CHAIN_EGRESS "SNAPNET-FW-EGRESS"

/* Set roles (sets_name): who is selected, by what. */
#define FW_ROLE_TARGET "tgt"  /* local pods a policy selects */
#define FW_ROLE_PEER "peer"   /* pods a peer selects, anywhere */
#define FW_ROLE_NET "net"     /* an ipBlock with its excepts (nomatch) */
#define FW_ROLE_NPORT "nport" /* ip,proto:port of a named port */
#define FW_ROLE_ISO_IN "isoi" /* local pods isolated for ingress */
#define FW_ROLE_ISO_OUT "isoo" /* local pods isolated for egress */
#define FW_ROLE_KNOWN "known"	 /* every local pod (default deny new) */

struct fw_set {
	char name[SETS_NAME_MAX + 1];
	enum sets_type type;
	struct sets_member *m; /* normalised (sets_members_norm) */
	size_t n, cap;
};

/* Kernel features a rule may need. A rule whose feature this kernel
 * lacks is left out, which never widens anything: SCTP port rules only
 * allow (the policy keeps isolating), log rules only log. */
#define FW_NEED_SCTP 1u	 /* the sctp match (-p sctp --dport) */
#define FW_NEED_NFLOG 2u /* the NFLOG target with the limit match */
#define FW_NEED_ALL (FW_NEED_SCTP | FW_NEED_NFLOG)

/* A chain of ours; rules in iptables-save's canonical form. */
struct fw_chain {
	char name[RULES_CHAIN_MAX + 1];
	char **rules;
	uint8_t *needs; /* per rule: the FW_NEED_* it needs */
	size_t n, cap;
	const struct netpol *np; /* a policy's chain, else NULL */
};

/* What the firewall wants in one family. */
struct fw_family {
	int family;
	bool wanted;  /* enforce here (else: remove what we own) */
	struct fw_set *sets; /* sorted by name, unique */
	size_t n_sets, cap_sets;
	struct fw_chain *chains; /* base chains first, then by name */
	size_t n_chains, cap_chains;
	unsigned policies; /* policies with a chain in this family */
};

/* A desired thing that cannot be realised, or a choice worth telling. */
struct fw_note {
	char line[256];
	char why[256];
};

struct fw_desire {
	struct fw_family fam[FAM_COUNT];
	struct fw_note *notes;
	size_t n_notes, cap_notes;
	bool bridge_nf; /* ensure bridge-nf-call-{ip,ip6}tables */
};

/* --- fw_select.c (pure) --- */

/* A pod the firewall can identify by address: not host-network, not
 * finished (Succeeded/Failed: its IP may already be someone else's),
 * with an IP of the family. */
bool fw_pod_eligible(const struct pod *p, int family);
/* sel against a namespace's labels, with the label the API server puts
 * on every namespace (kubernetes.io/metadata.name = its name) added when
 * a hand-written snapshot leaves it out. ns may be NULL (no Namespace
 * item for a pod's namespace). */
bool fw_ns_match(const struct selector *sel, const struct namespace *ns,
		 const char *ns_name);
/* A selector's canonical bytes (stable across runs: values and
 * requirements sorted by text), appended to out. */
struct fw_buf;
int fw_sel_key(const struct selector *sel, struct fw_buf *out);

/* --- fw_desire.c (pure) --- */

/* What the firewall wants for node `core` of snapshot s. */
int fw_desire_build(const struct snapshot *s, const struct desired *core,
		    const struct firewall_config *c, struct fw_desire **out);
void fw_desire_free(struct fw_desire *d);
/* The FW_NEED_* features any rule of a family needs. */
unsigned fw_family_needs(const struct fw_family *f);
const struct fw_set *fw_family_set(const struct fw_family *f,
				   const char *name);

/* Appends a note ("x/allow: ingress[0].ports[1]" ...). */
void fw_note(struct fw_desire *d, const char *why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --- what the kernel holds (fw_kernel.c fills it) --- */

struct fw_khave {
	bool ok;	   /* dumped */
	char error[ERRLEN];
	struct rules_dump *rules; /* filter table, our chains and jumps */
	struct fw_set *sets;	  /* ours of this family, with members */
	size_t n_sets;
	char **temps; /* our leftover temporaries ("...-t") */
	size_t n_temps;
	int bridge_nf; /* bridge-nf-call-*: 1, 0, or -1 unreadable */
	unsigned feats; /* FW_NEED_* the kernel has (probed or assumed) */
};

struct fw_have {
	unsigned refs;
	bool cached; /* what the last pass wrote, not a dump */
	enum rules_backend backend;
	struct fw_khave fam[FAM_COUNT];
};

#endif
