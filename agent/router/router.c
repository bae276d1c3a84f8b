/*
 * router.c - the router function's entry: its config sections ([router]
 * and one [peer "NAME"] per global peer), the pass hooks, cleanup and the
 * daemon's stop.
 *
 * Owns: the one file [router] bird_config (written mode 0600 with
 * write_file_atomic_mode(): it holds BGP passwords), its check copy
 * bird_config.check, and in mode managed the BIRD process on bird_socket
 * and bird_pidfile (router_bird.c). What BIRD announces is exactly that
 * file (router_render.c); an external BIRD includes it.
 *
 * A pass: desire renders the text (router_desire.c); dump reads the file
 * on disk, finds BIRD (reaping a dead child) and asks it `show protocols
 * all`; plan compares (router_plan.c): byte-identical text and a running
 * BIRD is nothing to do, no write, no configure. Apply writes a check
 * copy, has `bird -p` check it (on failure nothing is written or
 * configured, BIRD's message is the error), replaces the file and
 * `configure`s BIRD over its socket; a configure that fails puts the old
 * text back, so the next pass tries again. A managed BIRD that is not
 * running is started; one that died is restarted after a backoff
 * (pass_retry()). A file at bird_config that snapnet did not write is
 * reported and never touched.
 *
 * Passwords never leave the rendered file: plan lines, reports, status
 * and config errors say "password set" at most.
 */
#define _GNU_SOURCE
#include "router/router.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/function.h"
#include "core/pass.h"
#include "lib/util.h"
#include "router/router_status.h"

#define LINE_LEN 512
#define CONFIGURE_MS 30000 /* 2 x 10,000 routes take ~50 ms here */
#define SHOW_MS 5000
#define HEADER "# snapnet: "

/* clang-format off */
#define RKEY(...) CONFIG_KEY(struct router_config, __VA_ARGS__)
static const struct config_key keys[] = {
	RKEY("enabled", K_BOOL, enabled, 0, 0, "yes or no"),
	RKEY("asn", K_UINT, asn, 1, 0xffffffffULL, "an AS number 1..4294967295"),
	RKEY("router_id", K_STR, router_id, 0, 0, "auto or an IPv4 address"),
	RKEY("bird", K_STR, bird, 0, 0, "managed or external"),
	RKEY("bird_config", K_PATH, bird_config, 0, 0,
	     "a path without blanks or '#'"),
	RKEY("bird_socket", K_PATH, bird_socket, 0, 0,
	     "a path without blanks or '#'"),
	RKEY("bird_pidfile", K_PATH, bird_pidfile, 0, 0,
	     "a path without blanks or '#'"),
	RKEY("bird_bin", K_PATH, bird_bin, 0, 0,
	     "a path without blanks or '#'"),
	RKEY("bird_log", K_PATH, bird_log, 0, 0,
	     "a path without blanks or '#'"),
	RKEY("advertise_pod_cidr", K_BOOL, advertise_pod_cidr, 0, 0,
	     "yes or no"),
	RKEY("advertise_cluster_ip", K_BOOL, advertise_cluster_ip, 0, 0,
	     "yes or no"),
	RKEY("advertise_external_ip", K_BOOL, advertise_external_ip, 0, 0,
	     "yes or no"),
	RKEY("advertise_loadbalancer_ip", K_BOOL, advertise_loadbalancer_ip,
	     0, 0, "yes or no"),
	RKEY("graceful_restart", K_BOOL, graceful_restart, 0, 0, "yes or no"),
	RKEY("graceful_restart_time", K_UINT, graceful_restart_time, 1, 4095,
	     "seconds 1..4095"),
	RKEY("hold_time", K_UINT, hold_time, 3, 65535, "seconds 3..65535"),
	RKEY("connect_delay", K_UINT, connect_delay, 1, 65535,
	     "seconds 1..65535"),
	RKEY("connect_retry", K_UINT, connect_retry, 1, 65535,
	     "seconds 1..65535"),
	RKEY("error_wait", K_UINT, error_wait, 1, 65535, "seconds 1..65535"),
	RKEY("bfd_interval", K_UINT, bfd_interval, 10, 60000,
	     "milliseconds 10..60000"),
	RKEY("bfd_multiplier", K_UINT, bfd_multiplier, 1, 255, "1..255"),
	RKEY("communities", K_STR, communities, 0, 0,
	     "a comma list of communities (aa:nn, numbers, well-known names)"),
	RKEY("large_communities", K_STR, large_communities, 0, 0,
	     "a comma list of large communities (ga:ld1:ld2)"),
};

#define PKEY(...) CONFIG_KEY(struct router_peer_config, __VA_ARGS__)
static const struct config_key peer_keys[] = {
	PKEY("address", K_STR, address, 0, 0, "an IP address"),
	PKEY("asn", K_UINT, asn, 1, 0xffffffffULL,
	     "an AS number 1..4294967295"),
	PKEY("port", K_UINT, port, 1, 65535, "a port 1..65535"),
	PKEY("password", K_SECRET, password, 0, 0,
	     "a password without blanks or '#'"),
	PKEY("local_address", K_STR, local_address, 0, 0, "an IP address"),
	PKEY("multihop", K_UINT, multihop, 0, 255, "a TTL 0..255 (0: off)"),
	PKEY("hold_time", K_UINT, hold_time, 0, 65535,
	     "seconds: 0 ([router] hold_time) or 3..65535"),
	PKEY("families", K_STR, families, 0, 0, "ipv4, ipv6 or ipv4,ipv6"),
	PKEY("bfd", K_BOOL, bfd, 0, 0, "yes or no"),
};
/* clang-format on */

static void defaults(void *sec)
{
	struct router_config *c = sec;

	memset(c, 0, sizeof(*c));
	c->asn = 64512; /* kube-router's --cluster-asn */
	strcpy(c->router_id, "auto");
	strcpy(c->bird, "managed");
	strcpy(c->bird_config, "/var/lib/snapnet/bird/bird.conf");
	strcpy(c->bird_socket, "/run/snapnet/bird.ctl");
	strcpy(c->bird_pidfile, "/run/snapnet/bird.pid");
	strcpy(c->bird_bin, "/usr/sbin/bird");
	strcpy(c->bird_log, "/var/log/snapnet/bird.log");
	c->advertise_pod_cidr = true;
	c->graceful_restart = true;
	c->graceful_restart_time = 90;
	c->hold_time = 90;
	c->connect_delay = 5;
	c->connect_retry = 120;
	c->error_wait = 60;
	c->bfd_interval = 100;
	c->bfd_multiplier = 5;
}

static void peer_defaults(void *sec)
{
	struct router_peer_config *pc = sec;

	memset(pc, 0, sizeof(*pc));
	pc->port = 179;
}

enum router_mode router_mode_of(const struct router_config *c)
{
	return strcmp(c->bird, "external") ? ROUTER_MANAGED : ROUTER_EXTERNAL;
}

/* Rules across keys of [router]; values of the global switches are
 * errors here (they apply to every peer), a peer's are reported. */
static int check(const void *sec, char *err, size_t errlen)
{
	const struct router_config *c = sec;
	struct router_comm comm[ROUTER_COMMS_MAX];
	struct prefix id;
	size_t n = 0;
	int bad;

	if (strcmp(c->bird, "managed") && strcmp(c->bird, "external"))
		return errf(err, errlen, EINVAL,
			    "bird = \"%s\": expected managed or external",
			    c->bird);
	if (strcmp(c->router_id, "auto") &&
	    (prefix_parse_addr(c->router_id, &id) || id.family != AF_INET))
		return errf(err, errlen, EINVAL,
			    "router_id = \"%s\": expected auto or an IPv4 "
			    "address",
			    c->router_id);
	if (c->asn == 23456)
		return errf(err, errlen, EINVAL,
			    "asn 23456 is AS_TRANS, not an AS of its own");
	if (c->communities[0] &&
	    router_parse_comm_list(c->communities, false, comm,
				   ROUTER_COMMS_MAX, &n, &bad))
		return errf(err, errlen, EINVAL,
			    "communities: entry %d is not a community (aa:nn, "
			    "a number, or a well-known name)",
			    bad + 1);
	n = 0;
	if (c->large_communities[0] &&
	    router_parse_comm_list(c->large_communities, true, comm,
				   ROUTER_COMMS_MAX, &n, &bad))
		return errf(err, errlen, EINVAL,
			    "large_communities: entry %d is not ga:ld1:ld2",
			    bad + 1);
	return 0;
}

static int peer_check(const void *sec, char *err, size_t errlen)
{
	const struct router_peer_config *pc = sec;

	if (!pc->address[0] || !pc->asn)
		return errf(err, errlen, EINVAL,
			    "address and asn are required");
	return 0;
}

const struct config_section router_peer_section = {
	.name = "peer",
	.size = sizeof(struct router_peer_config),
	.defaults = peer_defaults,
	.keys = peer_keys,
	.n_keys = sizeof(peer_keys) / sizeof(peer_keys[0]),
	.max = ROUTER_PEERS_MAX,
	.array_off = offsetof(struct router_config, peers),
	.count_off = offsetof(struct router_config, n_peers),
	.name_off = offsetof(struct router_peer_config, name),
	.name_size = sizeof(((struct router_peer_config *)0)->name),
	.check = peer_check,
};

const struct config_section router_section = {
	.name = "router",
	.size = sizeof(struct router_config),
	.defaults = defaults,
	.keys = keys,
	.n_keys = sizeof(keys) / sizeof(keys[0]),
	.check = check,
};

static const struct config_section *const instances[] = { &router_peer_section,
							  NULL };

/* --- the hooks ----------------------------------------------------------- */

struct router_have {
	char *text; /* the file on disk, NULL when there is none */
	size_t len;
	bool foreign; /* a file snapnet did not write */
	struct router_file file;
	struct router_bird_state bird;
	struct router_ctl_proto *protos; /* `show protocols all` */
	size_t n_protos;
};

struct router_planned {
	const struct router_desire *want;
	const struct router_have *have;
	struct router_op *ops;
	size_t n;
};

static bool ours(const char *text, size_t len)
{
	return len >= strlen(HEADER) && !memcmp(text, HEADER, strlen(HEADER));
}

static int desire(struct pass *p, void **want, char *err, size_t errlen)
{
	struct router_desire *d;
	uint64_t t0 = now_us();

	if (router_desire_build(p->snap, p->core, p->fcfg, &d) < 0)
		return errf(err, errlen, ENOMEM, "out of memory");
	router_status_timing("render", (double)(now_us() - t0) / 1000.0);
	*want = d;
	return 0;
}

/* `show protocols all`; a failure leaves the list empty (status says). */
static void show_protocols(struct router_ctl_conn *conn,
			   struct router_ctl_proto **v, size_t *n)
{
	struct router_ctl_reply reply;
	char err[ERRLEN];

	*v = NULL;
	*n = 0;
	if (!conn || router_ctl_command(conn, "show protocols all", SHOW_MS,
					&reply, err, sizeof(err)))
		return;
	router_ctl_parse_protocols(&reply, v, n, err, sizeof(err));
	router_ctl_reply_free(&reply);
}

static void free_have(void *have)
{
	struct router_have *h = have;

	if (!h)
		return;
	if (h->text)
		explicit_bzero(h->text, h->len);
	free(h->text);
	router_file_free(&h->file);
	router_bird_state_fini(&h->bird);
	free(h->protos);
	free(h);
}

static int dump(struct pass *p, void **have, char *err, size_t errlen)
{
	const struct router_config *c = p->fcfg;
	struct router_have *h = calloc(1, sizeof(*h));
	uint64_t t0 = now_us();
	int e;

	if (!h)
		return errf(err, errlen, ENOMEM, "out of memory");
	e = read_file_small(c->bird_config, ROUTER_CONF_MAX, &h->text, &h->len);
	if (e == -ENOENT) {
		h->text = NULL;
	} else if (e < 0) {
		free(h);
		return errf(err, errlen, -e, "%s: %s", c->bird_config,
			    strerror(-e));
	} else if (!ours(h->text, h->len)) {
		h->foreign = true;
	} else if (router_file_parse(h->text, h->len, &h->file) < 0) {
		free_have(h);
		return errf(err, errlen, ENOMEM, "out of memory");
	}
	router_bird_probe(c, p->daemon, &h->bird);
	show_protocols(h->bird.conn, &h->protos, &h->n_protos);
	router_status_timing("dump", (double)(now_us() - t0) / 1000.0);
	*have = h;
	return 0;
}

static unsigned owned(const void *have)
{
	const struct router_have *h = have;

	if (!h || !h->text || h->foreign)
		return 0;
	return (unsigned)(h->file.n_ann + h->file.n_peers);
}

static enum op_kind kind_of(enum router_op_kind k)
{
	switch (k) {
	case ROP_WITHDRAW:
	case ROP_PEER_DEL:
		return OP_DEL;
	case ROP_ANNOUNCE:
	case ROP_PEER_ADD:
		return OP_ADD;
	default:
		return OP_CHANGE;
	}
}

/* A peer whose session is not up, with what BIRD says about it. */
static void report_sessions(struct pass *p, const struct router_desire *d,
			    const struct router_have *h)
{
	char line[ROUTER_NAME_MAX + 16], why[FUNC_ERRLEN];

	for (size_t i = 0; h->bird.answers && i < d->n_peers; i++) {
		const struct router_ctl_proto *pr = router_ctl_proto_find(
		    h->protos, h->n_protos, d->peers[i].proto);

		if (!pr || router_ctl_proto_established(pr) ||
		    !pr->last_error[0])
			continue;
		snprintf(line, sizeof(line), "bgp peer %s", d->peers[i].name);
		snprintf(why, sizeof(why), "BIRD: %s, %.60s: %.300s", pr->state,
			 pr->bgp_state[0] ? pr->bgp_state : pr->info,
			 pr->last_error);
		pass_report(p, line, why);
	}
}

/* What BIRD's state means for this pass, beyond the ops: a death, a
 * restart that must wait, an external BIRD that does not answer. */
static void report_bird(struct pass *p, const struct router_have *h,
			struct router_bird_view *v)
{
	const struct router_config *c = p->fcfg;
	char line[PATH_MAX + 32], why[FUNC_ERRLEN];
	const char *last;

	v->managed = router_mode_of(c) == ROUTER_MANAGED;
	v->running = h ? h->bird.running : false;
	v->stale = h ? h->bird.stale : 0;
	v->start_now = !h || !h->bird.backoff_left_ms;
	if (!h)
		return; /* plan --offline: an empty machine */
	if (h->bird.died) {
		snprintf(line, sizeof(line), "bird pid %ld",
			 (long)h->bird.died_pid);
		pass_report(p, line, h->bird.exit_text);
	}
	if (v->managed && !v->running && !v->start_now) {
		router_bird_restarts(&last);
		pass_fail(p, "bird is not running (%s); restart in %u ms", last,
			  h->bird.backoff_left_ms);
		pass_retry(p, h->bird.backoff_left_ms);
	}
	if (!v->managed && !h->bird.answers) {
		snprintf(line, sizeof(line), "bird configure %s",
			 c->bird_config);
		snprintf(why, sizeof(why),
			 "no BIRD answers: %.300s; the file is written for "
			 "when it starts",
			 h->bird.sock_err);
		pass_report(p, line, why);
		pass_fail(p, "external BIRD: %s", h->bird.sock_err);
	}
}

static int plan(struct pass *p, const void *want, const void *have, void **out)
{
	const struct router_config *c = p->fcfg;
	const struct router_desire *d = want;
	const struct router_have *h = have;
	struct router_planned *pl = calloc(1, sizeof(*pl));
	struct router_bird_view v;
	char line[PATH_MAX + LINE_LEN];
	int e;

	if (!pl)
		return -ENOMEM;
	pl->want = d;
	pl->have = h;
	for (size_t i = 0; i < d->n_notes; i++)
		pass_report(p, d->notes[i].line, d->notes[i].why);
	if (h && h->foreign) {
		snprintf(line, sizeof(line), "bird write %s", c->bird_config);
		pass_report(p, line,
			    "a file snapnet did not write; left alone");
		pass_fail(p, "%s: not written by snapnet; left alone",
			  c->bird_config);
		router_status_update(c, d, h ? &h->bird : NULL, NULL, 0);
		*out = pl;
		return 0;
	}
	report_bird(p, h, &v);
	if (h)
		report_sessions(p, d, h);
	e = router_plan(d, h ? h->text : NULL, h ? h->len : 0,
			h ? &h->file : NULL, &v, &pl->ops, &pl->n);
	if (e) {
		free(pl);
		return e;
	}
	for (size_t i = 0; i < pl->n; i++)
		pass_op(p, kind_of(pl->ops[i].kind),
			router_op_format(&pl->ops[i], c->bird_config, line,
					 sizeof(line)));
	router_status_update(c, d, h ? &h->bird : NULL, h ? h->protos : NULL,
			     h ? h->n_protos : 0);
	if (p->daemon && h && h->bird.answers)
		router_status_retry(p);
	*out = pl;
	return 0;
}

/* The check copy: the text as it will be, for `bird -p` to read before
 * anything BIRD uses changes. Mode 0600 from the start: it holds the
 * passwords. */
static int write_check(const char *path, const char *text, size_t len,
		       char *err, size_t errlen)
{
	int fd = open(
	    path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t off = 0;

	if (fd < 0)
		return errf(err, errlen, errno, "%s: %s", path,
			    strerror(errno));
	if (fchmod(fd, 0600) < 0) {
		close(fd);
		return errf(err, errlen, errno, "%s: %s", path,
			    strerror(errno));
	}
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;

			close(fd);
			unlink(path);
			return errf(err, errlen, e, "%s: %s", path,
				    strerror(e));
		}
		off += (size_t)w;
	}
	if (close(fd) < 0)
		return errf(err, errlen, errno, "%s: %s", path,
			    strerror(errno));
	return 0;
}

static int check_path(const struct router_config *c, char *buf, size_t len)
{
	if (snprintf(buf, len, "%s.check", c->bird_config) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* Checked with `bird -p`, then put in place; nothing changes when the
 * check fails. */
static int write_config(struct pass *p, const struct router_desire *d,
			char *err, size_t errlen)
{
	const struct router_config *c = p->fcfg;
	char chk[PATH_MAX + 8], dir[PATH_MAX];
	uint64_t t0 = now_us();
	int e;

	if (check_path(c, chk, sizeof(chk)))
		return errf(err, errlen, ENAMETOOLONG, "%s: path too long",
			    c->bird_config);
	str_copy(dir, c->bird_config, sizeof(dir));
	if ((e = mkdir_p(dirname(dir))) < 0)
		return errf(err, errlen, -e, "mkdir for %s: %s", c->bird_config,
			    strerror(-e));
	if ((e = write_check(chk, d->text, d->len, err, errlen)))
		return e;
	e = router_bird_check(c, chk, err, errlen);
	router_status_timing("check", (double)(now_us() - t0) / 1000.0);
	unlink(chk);
	if (e)
		return e;
	t0 = now_us();
	e = write_file_atomic_mode(c->bird_config, d->text, d->len, 0600, err,
				   errlen);
	router_status_timing("write", (double)(now_us() - t0) / 1000.0);
	return e;
}

/* A configure that failed must not leave the new text on disk, or the
 * next pass would find it "already there" and never configure it. */
static void restore(const struct router_config *c, const struct router_have *h)
{
	static const char none[] = HEADER "not configured yet; rewritten "
					  "by the next pass\n";
	char err[ERRLEN];

	if (h && h->text)
		write_file_atomic_mode(c->bird_config, h->text, h->len, 0600,
				       err, sizeof(err));
	else
		write_file_atomic_mode(c->bird_config, none, strlen(none), 0600,
				       err, sizeof(err));
}

static int configure(struct pass *p, const struct router_have *h, char *err,
		     size_t errlen)
{
	const struct router_config *c = p->fcfg;
	struct router_ctl_conn *own = NULL, *conn = h ? h->bird.conn : NULL;
	uint64_t t0 = now_us();
	int e = 0;

	if (!conn)
		e = router_ctl_open(c->bird_socket, SHOW_MS, &own, err, errlen);
	if (!e)
		e = router_ctl_configure(conn ? conn : own, NULL, false,
					 CONFIGURE_MS, NULL, err, errlen);
	router_ctl_close(own);
	router_status_timing("configure", (double)(now_us() - t0) / 1000.0);
	return e;
}

static int write_and_configure(struct pass *p, const struct router_planned *pl,
			       bool running, char *err, size_t errlen)
{
	int e = write_config(p, pl->want, err, errlen);

	if (e || !running)
		return e;
	e = configure(p, pl->have, err, errlen);
	if (e) {
		restore(p->fcfg, pl->have);
		if (p->daemon)
			pass_retry(p, 1000);
	}
	return e;
}

static int op_run(struct pass *p, const struct router_planned *pl,
		  const struct router_op *op, char *err, size_t errlen)
{
	const struct router_config *c = p->fcfg;
	int e;

	switch (op->kind) {
	case ROP_BIRD_STOP:
		return router_bird_stop(c, op->pid, c->graceful_restart, err,
					errlen);
	case ROP_BIRD_WRITE:
	case ROP_BIRD_CONFIGURE:
		return write_and_configure(
		    p, pl, op->kind == ROP_BIRD_CONFIGURE, err, errlen);
	case ROP_BIRD_START:
		e = router_bird_start(c, p->daemon, err, errlen);
		/* the start reaped what died at once: no SIGCHLD pass comes */
		if (e && p->daemon)
			pass_retry(p, 1000);
		return e;
	default:
		return 0; /* realised by the write/configure */
	}
}

static bool op_is_change(enum router_op_kind k)
{
	return k != ROP_BIRD_STOP && k != ROP_BIRD_WRITE &&
	       k != ROP_BIRD_CONFIGURE && k != ROP_BIRD_START;
}

static bool is_write(enum router_op_kind k)
{
	return k == ROP_BIRD_WRITE || k == ROP_BIRD_CONFIGURE;
}

/* Announcements and peers are done when the configure that carries them
 * is; when it fails only that op is counted as failed, with BIRD's
 * message, not each of thousands of prefixes. A BIRD is not started on
 * nothing: without a file that passed `bird -p` the start fails at once. */
static int apply(struct pass *p, void *planned)
{
	const struct router_config *c = p->fcfg;
	struct router_planned *pl = planned;
	char line[LINE_LEN], err[ERRLEN];
	size_t changes = 0;
	bool written = false;
	int e;

	for (size_t i = 0; i < pl->n; i++) {
		const struct router_op *op = &pl->ops[i];

		if (op_is_change(op->kind)) {
			changes++;
			continue;
		}
		err[0] = '\0';
		if (op->kind == ROP_BIRD_START && !written &&
		    access(c->bird_config, F_OK) < 0)
			e = errf(err, sizeof(err), ENOENT,
				 "no configuration has passed bird -p yet");
		else
			e = op_run(p, pl, op, err, sizeof(err));
		written |= is_write(op->kind) && !e;
		if (e) {
			router_op_format(op, c->bird_config, line,
					 sizeof(line));
			pass_op_failed(p, line, err);
			continue;
		}
		pass_done(p);
		for (; is_write(op->kind) && changes; changes--)
			pass_done(p);
	}
	router_status_refresh(c);
	return 0;
}

static void free_want(void *want)
{
	router_desire_free(want);
}

static void free_plan(void *planned)
{
	struct router_planned *pl = planned;

	if (pl)
		free(pl->ops);
	free(pl);
}

/* One cleanup step through the same accounting as a pass. */
static void step(struct pass *p, const char *line, int e, const char *why)
{
	pass_op(p, OP_DEL, line);
	if (!e)
		pass_done(p);
	else
		pass_op_failed(p, line, why);
}

/* An external BIRD keeps including our file: it is emptied, not
 * removed, and BIRD drops our protocols on configure. */
static void cleanup_external(struct pass *p)
{
	static const char empty[] = HEADER "cleaned up: nothing announced\n";
	const struct router_config *c = p->fcfg;
	char line[PATH_MAX + 48], err[ERRLEN] = "";
	int e;

	snprintf(line, sizeof(line), "bird configure %s (nothing announced)",
		 c->bird_config);
	e = write_file_atomic_mode(c->bird_config, empty, strlen(empty), 0600,
				   err, sizeof(err));
	if (!e)
		e = configure(p, NULL, err, sizeof(err));
	step(p, line, e, err);
}

static void cleanup_file(struct pass *p, const char *path)
{
	char line[PATH_MAX + 16];

	if (unlink(path) == 0) {
		snprintf(line, sizeof(line), "bird remove %s", path);
		step(p, line, 0, "");
	} else if (errno != ENOENT) {
		snprintf(line, sizeof(line), "bird remove %s", path);
		step(p, line, -errno, strerror(errno));
	}
}

/* The BIRD of our pid file, or else one on our socket: stopped without
 * graceful restart, so the peers drop our routes now. */
static void cleanup_managed(struct pass *p)
{
	const struct router_config *c = p->fcfg;
	struct router_bird_state st;
	struct router_ctl_reply reply;
	char line[PATH_MAX + 32], err[ERRLEN] = "", chk[PATH_MAX + 8];
	int e;

	router_bird_probe(c, false, &st);
	if (st.pid) {
		snprintf(line, sizeof(line), "bird stop %ld", (long)st.pid);
		router_bird_state_fini(&st);
		e = router_bird_stop(c, st.pid, false, err, sizeof(err));
		step(p, line, e, err);
	} else if (st.answers) {
		snprintf(line, sizeof(line), "bird stop (%s)", c->bird_socket);
		e = router_ctl_command(st.conn, "down", SHOW_MS, &reply, err,
				       sizeof(err));
		router_ctl_reply_free(&reply);
		router_bird_state_fini(&st);
		step(p, line, e, err);
		usleep(200000); /* BIRD removes its socket on the way out */
	}
	router_bird_state_fini(&st);
	cleanup_file(p, c->bird_config);
	if (!check_path(c, chk, sizeof(chk)))
		cleanup_file(p, chk);
	cleanup_file(p, c->bird_pidfile);
	cleanup_file(p, c->bird_socket);
}

static int cleanup(struct pass *p)
{
	const struct router_config *c = p->fcfg;
	char *text = NULL, line[PATH_MAX + 16];
	size_t len = 0;
	int e = read_file_small(c->bird_config, ROUTER_CONF_MAX, &text, &len);
	bool foreign = e == 0 && !ours(text, len);

	if (text)
		explicit_bzero(text, len);
	free(text);
	if (foreign) {
		snprintf(line, sizeof(line), "bird remove %s", c->bird_config);
		pass_report(p, line, "not written by snapnet; left alone");
		return 0;
	}
	if (router_mode_of(c) == ROUTER_EXTERNAL) {
		if (e == 0)
			cleanup_external(p);
	} else {
		cleanup_managed(p);
	}
	return p->r->failed ? -EIO : 0;
}

static void stop(const void *fcfg)
{
	const struct router_config *c = fcfg;

	router_bird_stop_child(c, c->graceful_restart);
}

static const char *const owner_keys[] = { "bird_config", "bird_socket",
					  "bird_pidfile", NULL };

const struct function router_function = {
	.name = "router",
	.section = &router_section,
	.instances = instances,
	.owner_keys = owner_keys,
	.desire = desire,
	.dump = dump,
	.owned = owned,
	.plan = plan,
	.apply = apply,
	.free_want = free_want,
	.free_have = free_have,
	.free_plan = free_plan,
	.cleanup = cleanup,
	.status = router_status_json,
	.stop = stop,
};
