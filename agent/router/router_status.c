/*
 * router_status.c - the router's part of status.json (router_status.h).
 *
 * The pass fills one static record (the desire's peers, BIRD's `show
 * protocols all` matched to them, the timings of the steps) and the
 * status hook turns it into JSON. Owns nothing outside this process.
 * Passwords are never copied in: a peer shows "password": "set".
 * Counts come from BIRD itself: per peer and family the routes its
 * channel exported, per family the routes BIRD holds in snapnet4/6.
 */
#include "router/router_status.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pass.h"
#include "lib/util.h"

#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS 30000

struct peer_st {
	char name[ROUTER_NAME_MAX], proto[ROUTER_PROTO_MAX];
	char address[PREFIX_STRLEN];
	uint32_t asn;
	unsigned families;
	bool from_node, password, bfd, found;
	struct router_ctl_proto bird;
};

enum { T_RENDER, T_DUMP, T_CHECK, T_WRITE, T_CONFIGURE, T_COUNT };
static const char *const t_names[T_COUNT] = { "render", "dump", "check",
					      "write", "configure" };

static struct {
	bool valid, answers, running, child;
	pid_t pid;
	char version[64], sock_err[192];
	char router_id[PREFIX_STRLEN];
	const char *rid_src;
	uint32_t asn;
	size_t wanted[FAM_COUNT];
	bool held_known;
	uint32_t held[FAM_COUNT];
	struct peer_st *peers;
	size_t n_peers;
	double t[T_COUNT]; /* < 0: not done in this pass */
	unsigned retry_ms;
} st;

void router_status_timing(const char *what, double ms)
{
	for (int i = 0; i < T_COUNT; i++)
		if (!strcmp(what, t_names[i]))
			st.t[i] = ms;
	if (!strcmp(what, "render"))
		for (int i = T_DUMP; i < T_COUNT; i++)
			st.t[i] = -1; /* a new pass */
}

static void match(const struct router_ctl_proto *protos, size_t n)
{
	const struct router_ctl_proto *pr;
	const struct router_ctl_channel *ch;

	st.held_known = protos != NULL;
	for (int f = 0; f < FAM_COUNT; f++) {
		pr = router_ctl_proto_find(protos, n,
					   f ? "snapnet6" : "snapnet4");
		ch = pr ? router_ctl_channel_find(pr, f ? "ipv6" : "ipv4")
			: NULL;
		st.held[f] = ch ? ch->imported : 0;
	}
	for (size_t i = 0; i < st.n_peers; i++) {
		pr = router_ctl_proto_find(protos, n, st.peers[i].proto);
		st.peers[i].found = pr != NULL;
		if (pr)
			st.peers[i].bird = *pr;
		else
			memset(&st.peers[i].bird, 0, sizeof(st.peers[i].bird));
	}
}

void router_status_update(const struct router_config *c,
			  const struct router_desire *d,
			  const struct router_bird_state *bird,
			  const struct router_ctl_proto *protos, size_t n)
{
	struct peer_st *v = calloc(d->n_peers ? d->n_peers : 1, sizeof(*v));

	(void)c;
	if (!v)
		return; /* the status shows the previous pass */
	for (size_t i = 0; i < d->n_peers; i++) {
		const struct router_peer *p = &d->peers[i];

		str_copy(v[i].name, p->name, sizeof(v[i].name));
		str_copy(v[i].proto, p->proto, sizeof(v[i].proto));
		addr_format(&p->addr, v[i].address, sizeof(v[i].address));
		v[i].asn = p->asn;
		v[i].families = p->families;
		v[i].from_node = p->from_node;
		v[i].password = p->password[0] != '\0';
		v[i].bfd = p->bfd;
	}
	free(st.peers);
	st.peers = v;
	st.n_peers = d->n_peers;
	st.valid = true;
	addr_format(&d->router_id, st.router_id, sizeof(st.router_id));
	st.rid_src = d->router_id_src;
	st.asn = d->asn;
	for (int f = 0; f < FAM_COUNT; f++)
		st.wanted[f] = d->n_ann_fam[f];
	st.answers = bird && bird->answers;
	st.running = bird && bird->running;
	st.child = bird && bird->child;
	st.pid = bird ? (bird->pid ? bird->pid : bird->stale) : 0;
	str_copy(st.version, bird ? bird->version : "", sizeof(st.version));
	str_copy(st.sock_err, bird ? bird->sock_err : "", sizeof(st.sock_err));
	match(protos, n);
}

void router_status_refresh(const struct router_config *c)
{
	struct router_ctl_proto *v = NULL;
	struct router_ctl_reply reply;
	struct router_ctl_conn *conn;
	char err[ERRLEN];
	size_t n = 0;

	if (!st.valid)
		return;
	if (router_ctl_open(c->bird_socket, 1000, &conn, st.sock_err,
			    sizeof(st.sock_err))) {
		st.answers = false;
		match(NULL, 0);
		return;
	}
	st.answers = st.running = true;
	str_copy(st.version, router_ctl_greeting(conn), sizeof(st.version));
	st.sock_err[0] = '\0';
	if (router_ctl_command(conn, "show protocols all", 5000, &reply, err,
			       sizeof(err)) == 0) {
		router_ctl_parse_protocols(&reply, &v, &n, err, sizeof(err));
		router_ctl_reply_free(&reply);
	}
	router_ctl_close(conn);
	match(v, n);
	free(v);
}

void router_status_retry(struct pass *p)
{
	bool all = true;

	for (size_t i = 0; i < st.n_peers; i++)
		all &= st.peers[i].found &&
		       router_ctl_proto_established(&st.peers[i].bird);
	if (all) {
		st.retry_ms = 0;
		return;
	}
	st.retry_ms = st.retry_ms ? st.retry_ms * 2 : RETRY_FIRST_MS;
	if (st.retry_ms > RETRY_MAX_MS)
		st.retry_ms = RETRY_MAX_MS;
	pass_retry(p, st.retry_ms);
}

/* --- JSON ---------------------------------------------------------------- */

static void add_str(json_object *o, const char *k, const char *v)
{
	char *clean = utf8_sanitize(v ? v : "");

	json_object_object_add(o, k,
			       json_object_new_string(clean ? clean : ""));
	free(clean);
}

static void add_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void add_bool(json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

static json_object *bird_json(const struct router_config *c)
{
	json_object *o = json_object_new_object();
	const char *last = "";

	add_str(o, "mode",
		router_mode_of(c) == ROUTER_MANAGED ? "managed" : "external");
	add_str(o, "config", c->bird_config);
	add_str(o, "socket", c->bird_socket);
	add_bool(o, "running", st.running);
	add_bool(o, "answers", st.answers);
	add_int(o, "pid", st.pid);
	add_bool(o, "child", st.child);
	add_str(o, "version", st.version);
	add_int(o, "restarts", router_bird_restarts(&last));
	add_str(o, "last_exit", last);
	add_str(o, "error", st.answers ? "" : st.sock_err);
	return o;
}

static json_object *channels_json(const struct peer_st *p)
{
	json_object *o = json_object_new_object();

	for (int f = 0; f < FAM_COUNT; f++) {
		const char *fam = f ? "ipv6" : "ipv4";
		const struct router_ctl_channel *ch;
		json_object *c;

		if (!(p->families & fam_bit(fam_of_index(f))))
			continue;
		ch = p->found ? router_ctl_channel_find(&p->bird, fam) : NULL;
		c = json_object_new_object();
		add_str(c, "state", ch ? ch->state : "");
		add_int(c, "announced", ch ? ch->exported : 0);
		add_int(c, "imported", ch ? ch->imported : 0);
		json_object_object_add(o, fam, c);
	}
	return o;
}

static json_object *peer_json(const struct peer_st *p)
{
	json_object *o = json_object_new_object();

	add_str(o, "name", p->name);
	add_str(o, "protocol", p->proto);
	add_str(o, "source", p->from_node ? "node annotations" : "config");
	add_str(o, "address", p->address);
	add_int(o, "asn", p->asn);
	add_str(o, "password", p->password ? "set" : "none");
	add_bool(o, "bfd", p->bfd);
	add_str(o, "state", p->found ? p->bird.state : "absent");
	add_str(o, "session", p->bird.bgp_state);
	add_bool(o, "established",
		 p->found && router_ctl_proto_established(&p->bird));
	add_str(o, "info", p->bird.info);
	add_str(o, "since", p->bird.since);
	add_str(o, "last_error", p->bird.last_error);
	json_object_object_add(o, "families", channels_json(p));
	return o;
}

void router_status_json(const void *fcfg, struct json_object *obj)
{
	json_object *peers = json_object_new_array();
	json_object *pfx = json_object_new_object();
	json_object *t = json_object_new_object();

	json_object_object_add(obj, "bird", bird_json(fcfg));
	add_str(obj, "router_id", st.router_id);
	add_str(obj, "router_id_source", st.rid_src ? st.rid_src : "");
	add_int(obj, "asn", st.asn);
	for (int f = 0; f < FAM_COUNT; f++) {
		json_object *o = json_object_new_object();

		add_int(o, "wanted", (int64_t)st.wanted[f]);
		add_int(o, "in_bird", st.held[f]);
		json_object_object_add(pfx, f ? "ipv6" : "ipv4", o);
	}
	json_object_object_add(obj, "prefixes", pfx);
	for (size_t i = 0; i < st.n_peers; i++)
		json_object_array_add(peers, peer_json(&st.peers[i]));
	json_object_object_add(obj, "peers", peers);
	for (int i = 0; i < T_COUNT; i++)
		if (st.t[i] >= 0 && st.valid) {
			char text[32];

			snprintf(text, sizeof(text), "%.3f", st.t[i]);
			json_object_object_add(
			    t, t_names[i],
			    json_object_new_double_s(st.t[i], text));
		}
	json_object_object_add(obj, "timings_ms", t);
}
