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

#include "lib/util.h"

#define OPLEN 512

/* -1 when unreadable (e.g. IPv6 disabled at boot): planned as "not 1",
 * and the write then fails and is reported with the reason. */
static int sysctl_read(int family)
{
	char *buf;
	int v = -1;

	if (read_file_small(cni_sysctl_path(family), 64, &buf, NULL) < 0)
		return -1;
	if (buf[0] >= '0' && buf[0] <= '9')
		v = atoi(buf);
	free(buf);
	return v;
}

static int sysctl_write_one(int family, char *err, size_t errlen)
{
	const char *path = cni_sysctl_path(family);
	FILE *f = fopen(path, "we");
	int r = 0;

	if (!f)
		return errf(err, errlen, errno, "%s: %s", path,
			    strerror(errno));
	if (fputs("1\n", f) < 0)
		r = -errno;
	if (fclose(f) < 0 && !r)
		r = -errno;
	if (r)
		return errf(err, errlen, -r, "%s: %s", path, strerror(-r));
	return 0;
}

/* The file is compared byte for byte; an unreadable one is "absent",
 * so it is rewritten (and a real problem shows up as a failed write). */
static void conf_dump(const struct config *c, struct cni_state *s)
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
static void conf_temps(const struct config *c, struct cni_state *s)
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

static int conf_write(const struct config *c, const char *bytes, char *err,
		      size_t errlen)
{
	char path[PATH_MAX];
	int r;

	if (cni_conf_path(c, path, sizeof(path)) < 0)
		return errf(err, errlen, ENAMETOOLONG, "%s: path too long",
			    c->cni.conf_dir);
	r = mkdir_p(c->cni.conf_dir);
	if (r < 0)
		return errf(err, errlen, -r, "mkdir %s: %s", c->cni.conf_dir,
			    strerror(-r));
	return write_file_atomic(path, bytes, strlen(bytes), err, errlen);
}

static int state_dump(struct pass *p, struct cni_nl *nl, struct cni_state *s,
		      char *err, size_t errlen)
{
	const struct config *c = p->cfg;

	conf_dump(c, s);
	conf_temps(c, s);
	for (int i = 0; i < FAM_COUNT; i++)
		s->forwarding[i] = sysctl_read(fam_of_index(i));
	return cni_nl_dump(nl, c->cni.bridge, s, err, errlen);
}

static int op_apply(struct pass *p, struct cni_nl *nl, const char *conf,
		    const struct cni_op *op, char *err, size_t errlen)
{
	const struct config *c = p->cfg;

	switch (op->kind) {
	case CNI_OP_WRITE:
		return conf_write(c, conf, err, errlen);
	case CNI_OP_LINK_ADD:
		return cni_nl_link_add(nl, c->cni.bridge, c->cni.mtu, err,
				       errlen);
	case CNI_OP_LINK_UP:
		return cni_nl_link_up(nl, c->cni.bridge, err, errlen);
	case CNI_OP_LINK_MTU:
		return cni_nl_link_mtu(nl, c->cni.bridge, c->cni.mtu, err,
				       errlen);
	case CNI_OP_TEMP_DEL:
		return temp_remove(op->path, err, errlen);
	case CNI_OP_ADDR_ADD:
	case CNI_OP_ADDR_DEL:
		return cni_nl_addr(nl, c->cni.bridge,
				   op->kind == CNI_OP_ADDR_ADD, &op->addr, err,
				   errlen);
	case CNI_OP_SYSCTL:
		return sysctl_write_one(op->addr.family, err, errlen);
	}
	return errf(err, errlen, EINVAL, "unknown op");
}

static unsigned count_kind(const struct cni_op *ops, size_t n,
			   enum cni_op_kind kind)
{
	unsigned k = 0;

	for (size_t i = 0; i < n; i++)
		k += ops[i].kind == kind;
	return k;
}

/* Reports (and, when applying, performs) every op; deletes only when
 * the delete guard allows them. Returns the number of failures. */
static unsigned run_ops(struct pass *p, struct func_result *r,
			struct cni_nl *nl, const char *conf,
			const struct cni_op *ops, size_t n, unsigned owned)
{
	bool del_ok =
	    pass_delete_allowed(p, r, count_kind(ops, n, CNI_OP_ADDR_DEL),
				count_kind(ops, n, CNI_OP_ADDR_ADD), owned);
	char line[OPLEN], err[ERRLEN];
	unsigned failed = 0;

	for (size_t i = 0; i < n; i++) {
		if (ops[i].kind == CNI_OP_ADDR_DEL && !del_ok)
			continue;
		cni_op_format(p->cfg, &ops[i], line, sizeof(line));
		pass_op(p, r, line);
		if (p->mode != PASS_APPLY)
			continue;
		err[0] = '\0';
		if (op_apply(p, nl, conf, &ops[i], err, sizeof(err)) < 0) {
			pass_op_failed(p, r, line, err);
			failed++;
		} else {
			r->done++;
		}
	}
	return failed;
}

/* Renders; a node without a usable pod CIDR is reported, not an error
 * of the pass, and leaves everything as it is. */
static int render_or_report(struct pass *p, struct func_result *r, char **conf)
{
	int e = cni_render(p->cfg, p->want, conf);
	char line[NODE_NAME_MAX + 32];
	const char *node =
	    p->want && p->want->node_name ? p->want->node_name : "?";

	if (!e)
		return 0;
	snprintf(line, sizeof(line), "cni node %s", node);
	if (e == -ENOENT)
		pass_report(p, r, line, "no pod CIDR; CNI config left as is");
	else if (e == -EINVAL)
		pass_report(p, r, line, "pod CIDR too small for a gateway");
	else
		pass_op_failed(p, r, line, strerror(-e));
	return e;
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

/* A link of our name that is not our bridge; addresses on our bridge
 * that the plan keeps because they are not gateway-like (an operator's,
 * or one the bridge plugin would trip over: it refuses pods while the
 * bridge holds an IPv4 address other than the gateway). True for a
 * foreign link: pods cannot be wired here, so the function has failed
 * even though the rest of its plan still runs. */
static bool report_foreign(struct pass *p, struct func_result *r,
			   const struct cni_state *s)
{
	const char *br = p->cfg->cni.bridge;
	char line[96], why[160], a[PREFIX_STRLEN];

	if (foreign_why(s, why, sizeof(why))) {
		snprintf(line, sizeof(line), "link %s", br);
		pass_report(p, r, line, why);
		pass_error(r, "%s: %s", line, why);
		return true;
	}
	for (size_t i = 0; i < s->n_addrs; i++) {
		if (cni_addr_gateway_like(&s->addrs[i]))
			continue;
		snprintf(line, sizeof(line), "addr %s dev %s",
			 prefix_format(&s->addrs[i], a, sizeof(a)), br);
		pass_report(p, r, line,
			    "not a gateway snapnet would add; "
			    "left alone");
	}
	return false;
}

int cni_reconcile(struct pass *p, struct func_result *r)
{
	struct cni_state have = { 0 };
	struct cni_nl *nl = NULL;
	struct cni_op *ops = NULL;
	size_t n_ops = 0;
	char *conf = NULL, err[ERRLEN] = "";
	unsigned failed = 0;
	bool foreign = false;
	int e;

	if (!p->cfg->cni.enabled)
		return 0;
	r->ran = true;
	if (render_or_report(p, r, &conf) < 0)
		return 0;
	if (p->mode != PASS_PLAN_OFFLINE) {
		e = cni_nl_open(&nl, err, sizeof(err));
		if (!e)
			e = state_dump(p, nl, &have, err, sizeof(err));
		if (e) {
			pass_op_failed(p, r, "cni dump", err);
			failed++;
			goto out;
		}
	}
	r->owned = cni_owned(&have);
	foreign = report_foreign(p, r, &have);
	e = cni_plan(p->cfg, p->want, conf, &have, &ops, &n_ops);
	if (e) {
		pass_op_failed(p, r, "cni plan", strerror(-e));
		failed++;
		goto out;
	}
	failed = run_ops(p, r, nl, conf, ops, n_ops, r->owned);
out:
	free(ops);
	cni_state_free(&have);
	cni_nl_close(nl);
	free(conf);
	if (failed)
		return -EIO;
	return foreign ? -EEXIST : 0;
}

static void cleanup_step(struct func_result *r, const char *line, int e,
			 const char *why)
{
	r->planned++;
	if (!e) {
		r->done++;
		return;
	}
	r->failed++;
	pass_error(r, "%s: %s", line, why);
}

/* Addresses someone else put on our bridge go with it: every pass said
 * "left alone", so cleanup says what became of them. */
static void report_lost_addrs(struct pass *p, struct func_result *r,
			      const struct cni_state *s)
{
	char line[96], a[PREFIX_STRLEN];

	for (size_t i = 0; i < s->n_addrs; i++) {
		if (cni_addr_gateway_like(&s->addrs[i]))
			continue;
		snprintf(line, sizeof(line), "addr %s dev %s",
			 prefix_format(&s->addrs[i], a, sizeof(a)),
			 p->cfg->cni.bridge);
		pass_report(p, r, line,
			    "not snapnet's, removed together with the bridge");
	}
}

/* Deletes the bridge only when the dump proves it is ours; a foreign
 * link of that name is reported (cleanup still succeeds: everything
 * snapnet owns is gone). cni_nl_link_del() checks again at the moment
 * of the delete. */
static void cleanup_link(const struct config *c, struct func_result *r)
{
	struct pass p = { .mode = PASS_APPLY, .cfg = c };
	struct cni_state s = { 0 };
	char line[64], err[ERRLEN] = "", why[160];
	struct cni_nl *nl;
	int e;

	snprintf(line, sizeof(line), "link del %s", c->cni.bridge);
	e = cni_nl_open(&nl, err, sizeof(err));
	if (!e)
		e = cni_nl_dump(nl, c->cni.bridge, &s, err, sizeof(err));
	if (!e && foreign_why(&s, why, sizeof(why))) {
		snprintf(line, sizeof(line), "link %s", c->cni.bridge);
		pass_report(&p, r, line, why);
	} else if (!e && s.link_exists) {
		e = cni_nl_link_del(nl, c->cni.bridge, err, sizeof(err));
		cleanup_step(r, line, e, err);
		if (!e)
			report_lost_addrs(&p, r, &s);
	} else if (e) {
		cleanup_step(r, line, e, err);
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
static bool conf_is_ours(const struct config *c, const char *path)
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
	    str_member_is(first, "bridge", c->cni.bridge))
		ours = true;
	json_object_put(root);
	return ours;
}

int cni_cleanup(const struct config *c, struct func_result *r)
{
	struct pass p = { .mode = PASS_APPLY, .cfg = c };
	char path[PATH_MAX], line[PATH_MAX + 16];
	int e;

	if (!r->name)
		r->name = "cni";
	r->ran = true;
	e = cni_conf_path(c, path, sizeof(path));
	snprintf(line, sizeof(line), "cni remove %s", path);
	if (!e && access(path, F_OK) == 0 && !conf_is_ours(c, path)) {
		pass_report(&p, r, line, "not a bridge conflist for this "
			    "bridge: not snapnet's, left alone");
	} else {
		if (!e && unlink(path) < 0 && errno != ENOENT)
			e = -errno;
		cleanup_step(r, line, e, strerror(-e));
	}
	if (!e && (e = file_remove_stale_temps(path)) < 0)
		pass_error(r, "%s: stale temporary files: %s", path,
			   strerror(-e));
	cleanup_link(c, r);
	return r->failed ? -EIO : 0;
}
