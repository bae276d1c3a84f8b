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

#include "reconcile.h"

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
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
	json_object_object_add(funcs, "cni",
			       func_json(&st->func[FUNC_CNI],
					 a->cfg.cni.enabled));
	json_object_object_add(funcs, "routes",
			       func_json(&st->func[FUNC_ROUTES],
					 a->cfg.routes.enabled));
	json_object_object_add(o, "functions", funcs);
	return o;
}

static void status_path(const struct config *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s/status.json", c->agent.state_dir);
}

int status_write(const struct agent *a, char *err, size_t errlen)
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
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						 JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text) {
		json_object_put(o);
		return errf(err, errlen, ENOMEM, "%s: out of memory", path);
	}
	r = write_file_atomic(path, text, strlen(text), err, errlen);
	json_object_put(o);
	return r;
}

int status_print(const struct config *c, FILE *out)
{
	char path[PATH_MAX + 16];
	char *buf;
	int r;

	status_path(c, path, sizeof(path));
	r = read_file_small(path, 1 << 20, &buf, NULL);
	if (r < 0) {
		fprintf(stderr, "snapnet: %s: %s (is the daemon running?)\n",
			path, strerror(-r));
		return 1;
	}
	fputs(buf, out);
	if (buf[0] && buf[strlen(buf) - 1] != '\n')
		fputc('\n', out);
	free(buf);
	return 0;
}
