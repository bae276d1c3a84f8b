/*
 * cni.c - the CNI function's pass: dump -> plan -> apply, and cleanup.
 *
 * Owns on disk: the one file [cni] conf_dir/conf_file, written through
 * write_file_atomic() (temp file in the same directory, fsync, rename)
 * and only when its bytes change, so a runtime never reads half a file
 * and an unchanged snapshot costs no write. Owns in the kernel: the
 * bridge it created (tagged with ifalias CNI_LINK_ALIAS) and the gateway
 * addresses on it (cni_link.c). A link of the bridge's name that is not
 * so tagged is reported on every pass and never touched, by reconcile
 * or by cleanup; so is an address on our bridge that is not one of our
 * gateways. Touches, never owns: the forwarding sysctls of the families
 * in use; they are only ever set to 1 and left alone on cleanup, because
 * turning forwarding off could cut traffic that other software on the
 * node routes.
 *
 * The core drives it (core/function.h): desire renders the conflist
 * (cni_render.c), dump reads file, bridge and sysctls (cni_link.c),
 * plan is cni_plan.c, apply performs the ops one by one.
 *
 * Invariants: a node without a pod CIDR is reported and nothing is
 * touched (the old file stays, pods keep working until the exporter
 * catches up). Offline plans make no syscalls at all and plan against
 * an empty state. Each op that fails is reported and the pass goes on
 * with the next one, so one family never blocks the other.
 */
#include "cni/cni.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/function.h"
#include "core/pass.h"
#include "lib/util.h"

#define OPLEN 512

/* clang-format off */
#define CKEY(...) CONFIG_KEY(struct cni_config, __VA_ARGS__)
static const struct config_key keys[] = {
	CKEY("enabled", K_BOOL, enabled, 0, 0, "yes or no"),
	CKEY("conf_dir", K_PATH, conf_dir, 0, 0,
	     "a path without blanks or '#'"),
	CKEY("conf_file", K_FILENAME, conf_file, 0, 0,
	     "a file name, not a path"),
	CKEY("network_name", K_CNINAME, network_name, 0, 0,
	     "a CNI network name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)"),
	CKEY("bridge", K_IFNAME, bridge, 0, 0,
	     "an interface name: 1..15 bytes, no '/', ':', '%' or blanks, "
	     "not \".\", \"..\", \"all\" or \"default\""),
	CKEY("mtu", K_MTU, mtu, 68, 65535, "0 or 68..65535"),
	CKEY("hairpin", K_BOOL, hairpin, 0, 0, "yes or no"),
	CKEY("ip_forward", K_BOOL, ip_forward, 0, 0, "yes or no"),
};
/* clang-format on */

static void defaults(void *sec)
{
	struct cni_config *c = sec;

	c->enabled = true;
	strcpy(c->conf_dir, "/etc/cni/net.d");
	strcpy(c->conf_file, "10-snapnet.conflist");
	strcpy(c->network_name, "snapnet");
	strcpy(c->bridge, "snapnet0");
	c->mtu = 0;
	c->hairpin = true;
	c->ip_forward = true;
}

const struct config_section cni_section = {
	.name = "cni",
	.size = sizeof(struct cni_config),
	.defaults = defaults,
	.keys = keys,
	.n_keys = sizeof(keys) / sizeof(keys[0]),
};

/* The file is compared byte for byte; an unreadable one is "absent",
 * so it is rewritten (and a real problem shows up as a failed write). */
static void conf_dump(const struct cni_config *c, struct cni_state *s)
{
	char path[PATH_MAX];

	if (cni_conf_path(c, path, sizeof(path)) < 0)
		return;
	if (read_file_small(path, CNI_CONF_MAX, &s->conf, &s->conf_len) < 0) {
		s->conf = NULL;
		s->conf_len = 0;
	}
}

/* Temp files of the conflist that a killed write left: runtimes ignore
 * them (no .conflist suffix), but they pile up. Listing fails quietly. */
static void conf_temps(const struct cni_config *c, struct cni_state *s)
{
	char path[PATH_MAX];

	if (cni_conf_path(c, path, sizeof(path)) < 0 ||
	    file_stale_temps(path, &s->temps, &s->n_temps) < 0) {
		s->temps = NULL;
		s->n_temps = 0;
	}
}

static int temp_remove(const char *path, char *err, size_t errlen)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return errf(err, errlen, errno, "%s: %s", path,
			    strerror(errno));
	return 0;
}

static int conf_write(const struct cni_config *c, const char *bytes, char *err,
		      size_t errlen)
{
	char path[PATH_MAX];
	int r;

	if (cni_conf_path(c, path, sizeof(path)) < 0)
		return errf(err, errlen, ENAMETOOLONG, "%s: path too long",
			    c->conf_dir);
	r = mkdir_p(c->conf_dir);
	if (r < 0)
		return errf(err, errlen, -r, "mkdir %s: %s", c->conf_dir,
			    strerror(-r));
	return write_file_atomic(path, bytes, strlen(bytes), err, errlen);
}

static int state_dump(const struct cni_config *c, struct cni_nl *nl,
		      struct cni_state *s, char *err, size_t errlen)
{
	conf_dump(c, s);
	conf_temps(c, s);
	for (int i = 0; i < FAM_COUNT; i++)
		/* -1 (unreadable) is planned as "not 1"; the write then
		 * fails and is reported with the reason */
		s->forwarding[i] = sysctl_get(cni_sysctl_path(fam_of_index(i)));
	return cni_nl_dump(nl, c->bridge, s, err, errlen);
}

static int op_apply(const struct cni_config *c, struct cni_nl *nl,
		    const char *conf, const struct cni_op *op, char *err,
		    size_t errlen)
{
	switch (op->kind) {
	case CNI_OP_WRITE:
		return conf_write(c, conf, err, errlen);
	case CNI_OP_LINK_ADD:
		return cni_nl_link_add(nl, c->bridge, c->mtu, err, errlen);
	case CNI_OP_LINK_UP:
		return cni_nl_link_up(nl, c->bridge, err, errlen);
	case CNI_OP_LINK_MTU:
		return cni_nl_link_mtu(nl, c->bridge, c->mtu, err, errlen);
	case CNI_OP_TEMP_DEL:
		return temp_remove(op->path, err, errlen);
	case CNI_OP_ADDR_ADD:
	case CNI_OP_ADDR_DEL:
		return cni_nl_addr(nl, c->bridge, op->kind == CNI_OP_ADDR_ADD,
				   &op->addr, err, errlen);
	case CNI_OP_SYSCTL:
		return sysctl_set(cni_sysctl_path(op->addr.family), 1, err,
				  errlen);
	}
	return errf(err, errlen, EINVAL, "unknown op");
}

/* For the delete guard: removing a gateway is a loss, so is creating
 * the first of something an addition; the rest sets up what exists. */
static enum op_kind kind_of(const struct cni_op *op, const struct cni_state *s)
{
	switch (op->kind) {
	case CNI_OP_ADDR_DEL:
		return OP_DEL;
	case CNI_OP_ADDR_ADD:
	case CNI_OP_LINK_ADD:
		return OP_ADD;
	case CNI_OP_WRITE:
		return s->conf ? OP_CHANGE : OP_ADD;
	default:
		return OP_CHANGE;
	}
}

/* Renders; a node without a usable pod CIDR is reported, not an error
 * of the pass, and leaves everything as it is (*want stays NULL). */
static int desire(struct pass *p, void **want, char *err, size_t errlen)
{
	char line[NODE_NAME_MAX + 32], *conf = NULL;
	int e = cni_render(p->fcfg, p->core, &conf);

	if (!e) {
		*want = conf;
		return 0;
	}
	snprintf(line, sizeof(line), "cni node %s", p->core->node_name);
	if (e == -ENOENT)
		pass_report(p, line, "no pod CIDR; CNI config left as is");
	else if (e == -EINVAL)
		pass_report(p, line, "pod CIDR too small for a gateway");
	else
		return errf(err, errlen, -e, "render: %s", strerror(-e));
	return 0;
}

static int dump(struct pass *p, void **have, char *err, size_t errlen)
{
	struct cni_state *s = calloc(1, sizeof(*s));
	struct cni_nl *nl = NULL;
	int e;

	if (!s)
		return errf(err, errlen, ENOMEM, "out of memory");
	e = cni_nl_open(&nl, err, errlen);
	if (!e)
		e = state_dump(p->fcfg, nl, s, err, errlen);
	cni_nl_close(nl);
	if (e) {
		cni_state_free(s);
		free(s);
		return e;
	}
	*have = s;
	return 0;
}

static unsigned owned(const void *have)
{
	return have ? cni_owned(have) : 0;
}

/* The report for a link of our name that is not our bridge, into why;
 * false when there is none. */
static bool foreign_why(const struct cni_state *s, char *why, size_t len)
{
	static const char tail[] = "; leaving it alone";

	if (!cni_link_foreign(s, why, len - sizeof(tail)))
		return false;
	strcat(why, tail);
	return true;
}

/* A link of our name that is not our bridge fails the function (pods
 * cannot be wired here) though the rest of its plan still runs; an
 * address on our bridge that the plan keeps because it is not
 * gateway-like (an operator's, or one the bridge plugin would trip
 * over: it refuses pods while the bridge holds an IPv4 address other
 * than the gateway) is reported. */
static void report_foreign(struct pass *p, const struct cni_state *s)
{
	const char *br = ((const struct cni_config *)p->fcfg)->bridge;
	char line[96], why[160], a[PREFIX_STRLEN];

	if (foreign_why(s, why, sizeof(why))) {
		snprintf(line, sizeof(line), "link %s", br);
		pass_report(p, line, why);
		pass_fail(p, "%s: %s", line, why);
		return;
	}
	for (size_t i = 0; i < s->n_addrs; i++) {
		if (cni_addr_gateway_like(&s->addrs[i]))
			continue;
		snprintf(line, sizeof(line), "addr %s dev %s",
			 prefix_format(&s->addrs[i], a, sizeof(a)), br);
		pass_report(p, line,
			    "not a gateway snapnet would add; "
			    "left alone");
	}
}

struct cni_planned {
	const char *conf; /* the want's rendered conflist */
	struct cni_op *ops;
	size_t n;
};

static int plan(struct pass *p, const void *want, const void *have,
		void **out)
{
	static const struct cni_state empty = { 0 };
	const struct cni_state *s = have ? have : &empty;
	struct cni_planned *pl = calloc(1, sizeof(*pl));
	char line[OPLEN];
	int e;

	if (!pl)
		return -ENOMEM;
	report_foreign(p, s);
	pl->conf = want;
	e = cni_plan(p->fcfg, p->core, want, s, &pl->ops, &pl->n);
	if (e) {
		free(pl);
		return e;
	}
	for (size_t i = 0; i < pl->n; i++)
		pass_op(p, kind_of(&pl->ops[i], s),
			cni_op_format(p->fcfg, &pl->ops[i], line,
				      sizeof(line)));
	*out = pl;
	return 0;
}

static int apply(struct pass *p, void *planned)
{
	struct cni_planned *pl = planned;
	char line[OPLEN], err[ERRLEN] = "";
	struct cni_nl *nl = NULL;
	int e = cni_nl_open(&nl, err, sizeof(err));

	if (e) {
		pass_op_failed(p, "cni apply", err);
		return e;
	}
	for (size_t i = 0; i < pl->n; i++) {
		err[0] = '\0';
		if (op_apply(p->fcfg, nl, pl->conf, &pl->ops[i], err,
			     sizeof(err)) < 0)
			pass_op_failed(p,
				       cni_op_format(p->fcfg, &pl->ops[i],
						     line, sizeof(line)),
				       err);
		else
			pass_done(p);
	}
	cni_nl_close(nl);
	return 0;
}

static void free_want(void *want)
{
	free(want);
}

static void free_have(void *have)
{
	cni_state_free(have);
	free(have);
}

static void free_plan(void *planned)
{
	struct cni_planned *pl = planned;

	if (pl)
		free(pl->ops);
	free(pl);
}

/* One cleanup step through the same accounting as a pass. */
static void cleanup_step(struct pass *p, const char *line, int e,
			 const char *why)
{
	pass_op(p, OP_DEL, line);
	if (!e)
		pass_done(p);
	else
		pass_op_failed(p, line, why);
}

/* Addresses someone else put on our bridge go with it: every pass said
 * "left alone", so cleanup says what became of them. */
static void report_lost_addrs(struct pass *p, const struct cni_state *s)
{
	const struct cni_config *c = p->fcfg;
	char line[96], a[PREFIX_STRLEN];

	for (size_t i = 0; i < s->n_addrs; i++) {
		if (cni_addr_gateway_like(&s->addrs[i]))
			continue;
		snprintf(line, sizeof(line), "addr %s dev %s",
			 prefix_format(&s->addrs[i], a, sizeof(a)), c->bridge);
		pass_report(p, line,
			    "not snapnet's, removed together with the bridge");
	}
}

/* Deletes the bridge only when the dump proves it is ours; a foreign
 * link of that name is reported (cleanup still succeeds: everything
 * snapnet owns is gone). cni_nl_link_del() checks again at the moment
 * of the delete. */
static void cleanup_link(struct pass *p)
{
	const struct cni_config *c = p->fcfg;
	struct cni_state s = { 0 };
	char line[64], err[ERRLEN] = "", why[160];
	struct cni_nl *nl;
	int e;

	snprintf(line, sizeof(line), "link del %s", c->bridge);
	e = cni_nl_open(&nl, err, sizeof(err));
	if (!e)
		e = cni_nl_dump(nl, c->bridge, &s, err, sizeof(err));
	if (!e && foreign_why(&s, why, sizeof(why))) {
		snprintf(line, sizeof(line), "link %s", c->bridge);
		pass_report(p, line, why);
	} else if (!e && s.link_exists) {
		e = cni_nl_link_del(nl, c->bridge, err, sizeof(err));
		cleanup_step(p, line, e, err);
		if (!e)
			report_lost_addrs(p, &s);
	} else if (e) {
		cleanup_step(p, line, e, err);
	}
	cni_state_free(&s);
	cni_nl_close(nl);
}

static bool str_member_is(json_object *o, const char *key, const char *want)
{
	json_object *v;

	/* a key present with null gives v == NULL: not a string */
	return json_object_object_get_ex(o, key, &v) &&
	       json_object_is_type(v, json_type_string) &&
	       !strcmp(json_object_get_string(v), want);
}

/* A conflist is ours when its first plugin is the bridge plugin on our
 * bridge: a file another network plugin wrote under the configured name
 * (a mistyped conf_file, say) is never removed. */
static bool conf_is_ours(const struct cni_config *c, const char *path)
{
	json_object *root = NULL, *plugins, *first;
	bool ours = false;
	char *text;

	if (read_file_small(path, 1 << 20, &text, NULL) == 0) {
		root = json_tokener_parse(text);
		free(text);
	}
	if (root && json_object_object_get_ex(root, "plugins", &plugins) &&
	    json_object_is_type(plugins, json_type_array) &&
	    (first = json_object_array_get_idx(plugins, 0)) &&
	    json_object_is_type(first, json_type_object) &&
	    str_member_is(first, "type", "bridge") &&
	    str_member_is(first, "bridge", c->bridge))
		ours = true;
	json_object_put(root);
	return ours;
}

static int cleanup(struct pass *p)
{
	const struct cni_config *c = p->fcfg;
	char path[PATH_MAX], line[PATH_MAX + 16];
	int e;

	e = cni_conf_path(c, path, sizeof(path));
	snprintf(line, sizeof(line), "cni remove %s", path);
	if (!e && access(path, F_OK) == 0 && !conf_is_ours(c, path)) {
		pass_report(p, line, "not a bridge conflist for this "
			    "bridge: not snapnet's, left alone");
	} else {
		if (!e && unlink(path) < 0 && errno != ENOENT)
			e = -errno;
		cleanup_step(p, line, e, strerror(-e));
	}
	if (!e && (e = file_remove_stale_temps(path)) < 0)
		pass_error(p->r, "%s: stale temporary files: %s", path,
			   strerror(-e));
	cleanup_link(p);
	return p->r->failed ? -EIO : 0;
}

static const char *const owner_keys[] = { "bridge", "conf_dir", "conf_file",
					  NULL };

const struct function cni_function = {
	.name = "cni",
	.section = &cni_section,
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
};
