/*
 * router.h - the router function: BGP announcements of this node's pod
 * CIDRs and Service VIPs through BIRD 2, per family, each with a next hop
 * of its own family.
 *
 * The pieces, by role:
 *   router.c         the entry: config sections, hooks, status, cleanup
 *   router_desire.c  pure: snapshot + this node + config -> struct
 *                    router_desire (announcements, peers, communities)
 *   router_annot.c   pure: the kube-router annotation and community parsers
 *   router_render.c  pure: desire -> BIRD config text, and back (what the
 *                    file on disk announces)
 *   router_plan.c    pure: file on disk + BIRD state vs desire -> ops
 *   router_bird.c    the BIRD process: start (child or detached), stop,
 *                    reap, restart backoff, `bird -p`, the pid file
 *   router_ctl.c     BIRD's control socket (configure, show protocols)
 */
#ifndef SNAPNET_ROUTER_H
#define SNAPNET_ROUTER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/config.h"
#include "core/desired.h"
#include "lib/prefix.h"
#include "router/router_ctl.h"
#include "snapshot/model.h"

#define ROUTER_PEERS_MAX 64    /* [peer "NAME"] sections, and per Node */
#define ROUTER_PASSWORD_MAX 80 /* TCP_MD5SIG_MAXKEYLEN */
#define ROUTER_COMMS_MAX 64    /* communities of each kind */
#define ROUTER_NAME_MAX 64     /* a peer's name as shown: config or IP */
#define ROUTER_PROTO_MAX 80    /* its BIRD protocol name */
#define ROUTER_SUMMARY_MAX 256 /* its one-line summary */
#define ROUTER_NOTE_MAX 320
#define ROUTER_CONF_MAX (256u << 20) /* a rendered file we read back */

/* [peer "NAME"], one per global BGP peer. Values are checked when the
 * desire is built: a peer that cannot be used is reported and skipped,
 * the others keep working. */
struct router_peer_config {
	char name[CONFIG_INSTANCE_NAME_MAX + 1];
	char address[64];
	unsigned asn;
	unsigned port;
	char password[128]; /* K_SECRET; "" none */
	char local_address[64];
	unsigned multihop;  /* 0: directly connected */
	unsigned hold_time; /* 0: [router] hold_time */
	char families[32];  /* "": the family of address */
	bool bfd;
};

enum router_mode { ROUTER_MANAGED, ROUTER_EXTERNAL };

/* [router] */
struct router_config {
	bool enabled;
	unsigned asn;
	char router_id[16]; /* "auto" or a dotted quad */
	char bird[16];	    /* "managed" or "external" */
	char bird_config[PATH_MAX];
	char bird_socket[PATH_MAX];
	char bird_pidfile[PATH_MAX];
	char bird_bin[PATH_MAX];
	char bird_log[PATH_MAX];
	bool advertise_pod_cidr;
	bool advertise_cluster_ip;
	bool advertise_external_ip;
	bool advertise_loadbalancer_ip;
	bool graceful_restart;
	unsigned graceful_restart_time;
	unsigned hold_time;
	unsigned connect_delay;
	unsigned connect_retry;
	unsigned error_wait;
	unsigned bfd_interval; /* ms */
	unsigned bfd_multiplier;
	char communities[192];	     /* "" none */
	char large_communities[192]; /* "" none */
	unsigned n_peers;
	struct router_peer_config peers[ROUTER_PEERS_MAX];
};

extern const struct config_section router_section;
extern const struct config_section router_peer_section;

enum router_mode router_mode_of(const struct router_config *c);

/* --- desire (router_desire.c) -------------------------------------------- */

/* Why a prefix is announced (the first reason found). */
enum router_src {
	ROUTER_SRC_POD,
	ROUTER_SRC_CLUSTER,
	ROUTER_SRC_EXTERNAL,
	ROUTER_SRC_LB
};

struct router_announce {
	struct prefix pfx;    /* a pod CIDR or a host prefix */
	uint8_t src;	      /* enum router_src */
	const char *ns, *svc; /* the Service, NULL for the pod CIDR */
};

struct router_peer {
	char name[ROUTER_NAME_MAX];   /* config name, or the address */
	char proto[ROUTER_PROTO_MAX]; /* BIRD protocol name */
	bool from_node;		      /* from kube-router.io/peer.* */
	struct prefix addr;
	struct prefix local; /* family 0: BIRD picks the source */
	uint32_t asn;
	unsigned port, multihop, hold_time;
	unsigned families; /* FAM_V4|FAM_V6: the channels */
	bool bfd;
	char password[ROUTER_PASSWORD_MAX + 1]; /* "" none; never printed */
	struct prefix nexthop[FAM_COUNT];	/* per channel, own family */
	char summary[ROUTER_SUMMARY_MAX];	/* router_render() sets it */
};

/* A BGP community: standard (a:b, 16 bits each) or large (a:b:c). */
struct router_comm {
	bool large;
	uint32_t a, b, c;
};

struct router_note {
	char line[ROUTER_NOTE_MAX]; /* names the object */
	char why[ROUTER_NOTE_MAX];
};

struct router_desire {
	enum router_mode mode;
	const char *node;	   /* this node's name (the snapshot's) */
	uint32_t asn;		   /* local AS */
	struct prefix router_id;   /* IPv4 form, always set */
	const char *router_id_src; /* "config", "InternalIP", "hash of ..." */
	struct prefix nexthop[FAM_COUNT]; /* this node's, by family */
	struct router_announce *ann;	  /* sorted by prefix, unique */
	size_t n_ann;
	size_t n_ann_fam[FAM_COUNT];
	struct router_peer *peers; /* sorted by name, unique */
	size_t n_peers;
	struct router_comm *comms; /* config's, then the Node's */
	size_t n_comms;
	uint32_t prepend_asn; /* kube-router.io/path-prepend.*; 0 none */
	unsigned prepend_n;
	struct router_note *notes; /* what cannot be realised, reported */
	size_t n_notes;
	char *text; /* the rendered BIRD config (router_render) */
	size_t len;
};

/* Pure. The announcements and peers that node `core` wants from snapshot
 * s under config c, and the notes of what cannot be had (a peer with a
 * bad definition, a family without a next hop, a bad annotation). Then
 * renders the text. 0 or -ENOMEM; the result points into s. */
int router_desire_build(const struct snapshot *s, const struct desired *core,
			const struct router_config *c,
			struct router_desire **out);
void router_desire_free(struct router_desire *d);

/* --- annotations and values (router_annot.c) ----------------------------- */

#define ANNOT_NODE_ASN "kube-router.io/node.asn"
#define ANNOT_PEER_IPS "kube-router.io/peer.ips"
#define ANNOT_PEER_ASNS "kube-router.io/peer.asns"
#define ANNOT_PEER_PORTS "kube-router.io/peer.ports"
#define ANNOT_PEER_PASSWORDS "kube-router.io/peer.passwords"
#define ANNOT_PEER_LOCALIPS "kube-router.io/peer.localips"
#define ANNOT_COMMUNITIES "kube-router.io/node.bgp.communities"
#define ANNOT_LARGE_COMMUNITIES "snapnet.io/node.bgp.large-communities"
#define ANNOT_PREPEND_AS "kube-router.io/path-prepend.as"
#define ANNOT_PREPEND_N "kube-router.io/path-prepend.repeat-n"
#define ANNOT_SVC_CLUSTER "kube-router.io/service.advertise.clusterip"
#define ANNOT_SVC_EXTERNAL "kube-router.io/service.advertise.externalip"
#define ANNOT_SVC_LB "kube-router.io/service.advertise.loadbalancerip"
#define ANNOT_SVC_LOCAL "kube-router.io/service.local"
#define ANNOT_SVC_SKIPLB "kube-router.io/service.skiplbips"

/* An AS number 1..4294967295 in decimal, or "aa.bb" (asdot). */
int router_parse_asn(const char *s, uint32_t *out);
/* A 16- or 32-bit unsigned decimal within [lo, hi]. */
int router_parse_uint(const char *s, uint32_t lo, uint32_t hi, uint32_t *out);
/* "true"/"false" as Go's strconv.ParseBool: 1 t T TRUE true True, 0 f F
 * FALSE false False. 0 or -EINVAL. */
int router_parse_bool(const char *s, bool *out);
/* Standard community: "aa:nn", a 32-bit number, or a well-known name
 * (no-export, no-advertise, no-export-subconfed / local-as, no-peer,
 * blackhole, graceful-shutdown, accept-own, llgr-stale, no-llgr). */
int router_parse_community(const char *s, struct router_comm *out);
/* Large community: "ga:ld1:ld2", each 32 bits. */
int router_parse_large_community(const char *s, struct router_comm *out);
/* A comma list of communities into out[] (at most max), appending; the
 * first bad entry's index in *bad (-1 none): parsing goes on after it. */
int router_parse_comm_list(const char *s, bool large, struct router_comm *out,
			   size_t max, size_t *n, int *bad);
/* The n-th (0-based) entry of a comma list into buf; -ENOENT past the
 * end, -E2BIG when it does not fit. Entries are trimmed of blanks. */
int router_list_item(const char *list, size_t n, char *buf, size_t len);
size_t router_list_count(const char *list);
/* Base64 (RFC 4648, padding optional) into out, NUL-terminated; one
 * trailing newline of the decoded text is dropped (`echo | base64`).
 * -EINVAL bad text, -E2BIG longer than len - 1. */
int router_base64_decode(const char *s, char *out, size_t len);
/* A password BIRD can quote and the kernel can use: 1..80 bytes of
 * printable ASCII without '"'. */
bool router_password_ok(const char *s);
/* "ipv4", "ipv6", "ipv4,ipv6" -> FAM_* bits; 0 for anything else. */
unsigned router_parse_families(const char *s);
const char *router_families_name(unsigned fams); /* "ipv4+ipv6" */

/* --- render (router_render.c) --------------------------------------------- */

/* Pure: d's BIRD config into d->text (malloc'd). 0 or -ENOMEM. */
int router_render(const struct router_config *c, struct router_desire *d);
/* "tor (fd00:10::254 AS 64512, ipv4+ipv6, password set)": no secret. */
char *router_peer_summary(const struct router_peer *p, char *buf, size_t len);

/* What a rendered file says, read back from its text (pure). */
struct router_file_peer {
	char name[ROUTER_NAME_MAX];
	char summary[ROUTER_SUMMARY_MAX];
};

struct router_file {
	struct prefix *ann; /* sorted, unique */
	size_t n_ann;
	struct prefix nexthop[FAM_COUNT];
	struct router_file_peer *peers; /* sorted by name */
	size_t n_peers;
};

int router_file_parse(const char *text, size_t len, struct router_file *f);
void router_file_free(struct router_file *f);

/* --- plan (router_plan.c) ------------------------------------------------- */

enum router_op_kind {
	ROP_BIRD_STOP, /* a BIRD this daemon did not start */
	ROP_WITHDRAW,
	ROP_PEER_DEL,
	ROP_ANNOUNCE,
	ROP_REANNOUNCE, /* same prefix, new next hop */
	ROP_PEER_ADD,
	ROP_PEER_CHANGE,
	ROP_BIRD_WRITE,	    /* write the file only (BIRD not running) */
	ROP_BIRD_CONFIGURE, /* write, check, configure */
	ROP_BIRD_START,
};

struct router_op {
	enum router_op_kind kind;
	struct prefix pfx, via, old_via;
	const char *summary; /* peer ops: points into want or have */
	pid_t pid;	     /* ROP_BIRD_STOP */
};

/* What the plan needs to know of BIRD (router_bird.c fills it). */
struct router_bird_view {
	bool managed;	/* mode managed */
	bool running;	/* a BIRD answers, or our child lives */
	pid_t stale;	/* daemon: a BIRD of our paths not its child */
	bool start_now; /* managed, not running, no backoff pending */
};

/* Pure. have_text NULL: no file on disk. Ops in the order they are
 * applied: stop a stale BIRD, withdrawals and peers removed, then
 * announcements and peers added or changed (each sorted), then the write
 * or configure, then the start. *ops malloc'd. */
int router_plan(const struct router_desire *want, const char *have_text,
		size_t have_len, const struct router_file *have,
		const struct router_bird_view *bird, struct router_op **ops,
		size_t *n_ops);
/* "bgp announce 10.244.1.0/24 via 10.0.0.1", "bird configure PATH". */
char *router_op_format(const struct router_op *op, const char *conf_path,
		       char *buf, size_t len);

/* --- BIRD the process (router_bird.c) ------------------------------------ */

/* What is known of the BIRD at our paths (this process's memory plus the
 * pid file and the control socket). */
struct router_bird_state {
	bool running; /* our child lives, or a BIRD answers */
	bool answers; /* the control socket answered */
	pid_t pid;    /* from our child or the pid file; 0 unknown */
	bool child;   /* started by this process (the daemon) */
	pid_t stale;  /* alive per the pid file, not our child */
	bool died;    /* our child was reaped in this probe */
	pid_t died_pid;
	char exit_text[96];	      /* how it ended, when died */
	unsigned backoff_left_ms;     /* before a restart is allowed */
	char version[64];	      /* greeting, "BIRD 2.0.12 ready." */
	char sock_err[192];	      /* why the socket did not answer */
	struct router_ctl_conn *conn; /* open when it answered */
};

/* Reaps our child (daemon) and looks at the pid file and the socket;
 * st->conn stays open for the caller (router_bird_state_fini()). */
void router_bird_probe(const struct router_config *c, bool daemon,
		       struct router_bird_state *st);
void router_bird_state_fini(struct router_bird_state *st);
/* Starts BIRD on bird_config: a child of the daemon (its own process
 * group, stderr shared), or detached (its own session, stderr to
 * bird_log) for a one-shot command. Waits until its socket answers. */
int router_bird_start(const struct router_config *c, bool daemon, char *err,
		      size_t errlen);
/* Stops the BIRD at our paths (our child, or the one in the pid file if
 * it is a bird on our socket); graceful = `graceful restart` first (the
 * peers keep our routes for the restart time), else SIGTERM. Waits up to
 * 5 s, then SIGKILL. 0 when none runs. */
int router_bird_stop(const struct router_config *c, pid_t pid, bool graceful,
		     char *err, size_t errlen);
/* The daemon stops: our child only. */
void router_bird_stop_child(const struct router_config *c, bool graceful);
/* `bird -p -c FILE`: 0, or -EINVAL with BIRD's message. */
int router_bird_check(const struct router_config *c, const char *file,
		      char *err, size_t errlen);
/* Restarts so far and the last exit, for the status file. */
unsigned router_bird_restarts(const char **last_exit);

/* The function's entry in the registry (router.c). */
struct function;
extern const struct function router_function;

#endif
