/*
 * status.c - STATE_DIR/status.json: what the last pass did.
 *
 * Written atomically after every daemon pass so `snapnet status`, tests and
 * monitoring never read a half-written file. The format is a contract
 * (README "Status file"); add fields, never rename them.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/function.h"
#include "core/owner.h"
#include "core/reconcile.h"

/* Texts are cut to fixed buffers (a Node name in an error message can
 * be cut mid-character) and may quote snapshot bytes: only valid UTF-8
 * goes into the file, or it would not parse as JSON. */
static void add_str(json_object *o, const char *k, const char *v)
{
	char *clean = utf8_sanitize(v ? v : "");

	json_object_object_add(o, k, json_object_new_string(clean ? clean : ""));
	free(clean);
}

static void add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

/* Milliseconds with three decimals, printed as such (json-c would print
 * the binary double's 17 digits). */
static void add_ms(json_object *o, const char *k, double ms)
{
	char text[32];

	snprintf(text, sizeof(text), "%.3f", ms);
	json_object_object_add(o, k, json_object_new_double_s(ms, text));
}

static json_object *func_json(const struct func_result *r, bool enabled)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "enabled", json_object_new_boolean(enabled));
	add_u64(o, "planned", r->planned);
	add_u64(o, "done", r->done);
	add_u64(o, "failed", r->failed);
	add_u64(o, "reported", r->reported);
	add_u64(o, "owned", r->owned);
	json_object_object_add(o, "refused",
			       json_object_new_boolean(r->refused));
	add_str(o, "error", r->error);
	add_ms(o, "ms", r->ms);
	return o;
}

static json_object *snapshot_json(const struct agent *a)
{
	json_object *o = json_object_new_object();
	const struct snapshot *s = a->snap;
	char hash[17] = "";

	add_str(o, "path", s ? s->path : a->cfg.agent.snapshot);
	if (s)
		snprintf(hash, sizeof(hash), "%016" PRIx64, s->hash);
	add_str(o, "hash", hash);
	add_u64(o, "size", s ? s->size : 0);
	add_u64(o, "items", s ? s->counts.items : 0);
	add_u64(o, "nodes", s ? s->n_nodes : 0);
	return o;
}

static json_object *status_json(const struct agent *a)
{
	const struct pass_status *st = &a->st;
	json_object *o = json_object_new_object();
	json_object *funcs = json_object_new_object();
	struct owner w;

	add_str(o, "node", a->cfg.agent.node_name);
	add_u64(o, "pid", (uint64_t)getpid());
	add_u64(o, "passes", st->passes);
	add_str(o, "trigger", st->trigger);
	add_u64(o, "last_attempt", st->last_attempt);
	add_u64(o, "last_success", st->last_success);
	add_str(o, "result", st->ok ? "ok" : "error");
	add_str(o, "error", st->error);
	add_ms(o, "duration_ms", st->duration_ms);
	add_ms(o, "load_ms", st->load_ms);
	json_object_object_add(o, "snapshot_unchanged",
			       json_object_new_boolean(st->snapshot_unchanged));
	json_object_object_add(o, "snapshot", snapshot_json(a));
	for (size_t f = 0; f < n_functions; f++) {
		json_object *fo =
		    func_json(&st->func[f], config_enabled(&a->cfg, f));

		if (functions[f]->status && config_enabled(&a->cfg, f))
			functions[f]->status(config_section_of(&a->cfg, f), fo);
		json_object_object_add(funcs, functions[f]->name, fo);
	}
	json_object_object_add(o, "functions", funcs);
	if (owner_from_config(&a->cfg, &w) == 0) {
		json_object_object_add(o, "owner", owner_json(&w));
		owner_free(&w);
	}
	add_u64(o, "status_write_failures", st->status_failures);
	add_str(o, "status_write_error", st->status_error);
	return o;
}

static void status_path(const struct config *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s/status.json", c->agent.state_dir);
}

static int write_json(const struct agent *a, char *err, size_t errlen)
{
	json_object *o = status_json(a);
	char path[PATH_MAX + 16];
	const char *text;
	int r;

	r = mkdir_p(a->cfg.agent.state_dir);
	if (r < 0) {
		json_object_put(o);
		return errf(err, errlen, -r, "%s: %s", a->cfg.agent.state_dir,
			    strerror(-r));
	}
	status_path(&a->cfg, path, sizeof(path));
	file_remove_stale_temps(path); /* a killed writer's; best effort */
	text = json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text) {
		json_object_put(o);
		return errf(err, errlen, ENOMEM, "%s: out of memory", path);
	}
	r = write_file_atomic(path, text, strlen(text), err, errlen);
	json_object_put(o);
	return r;
}

int status_write(struct agent *a, char *err, size_t errlen)
{
	int r = write_json(a, err, errlen);

	if (r < 0) {
		a->st.status_failures++;
		str_copy(a->st.status_error, err, sizeof(a->st.status_error));
	}
	return r;
}

/* Our own file, but read like any other: no blocking open, size cap. */
static json_object *read_json(const char *path, int *err)
{
	json_object *root = NULL;
	char *text;

	*err = read_file_small(path, 1 << 20, &text, NULL);
	if (*err == 0) {
		root = json_tokener_parse(text);
		free(text);
		if (!root)
			*err = -EINVAL;
	}
	return root;
}

int status_remove(const struct config *c)
{
	char path[PATH_MAX + 16];

	status_path(c, path, sizeof(path));
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

/* The file as written, plus whether a snapnet process holds the
 * state_dir now: a pid in the file may belong to a process long gone. */
int status_print(const struct config *c, FILE *out)
{
	char path[PATH_MAX + 16];
	json_object *root;
	pid_t holder = 0;
	bool held;
	int e;

	status_path(c, path, sizeof(path));
	root = read_json(path, &e);
	if (!root || !json_object_is_type(root, json_type_object)) {
		fprintf(stderr, "snapnet: %s: %s (is the daemon running?)\n",
			path, root ? "not a status object" : strerror(-e));
		json_object_put(root);
		return 1;
	}
	held = owner_lock_held(c->agent.state_dir, &holder);
	json_object_object_add(root, "running", json_object_new_boolean(held));
	json_object_object_add(root, "running_pid",
			       json_object_new_int64(held ? holder : 0));
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(
		    root,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}
