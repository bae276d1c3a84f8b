/*
 * owner.c - the ownership record and the state_dir lock (see owner.h).
 *
 * The lock is an open file description lock, so it dies with its process:
 * a crashed daemon never leaves a stale lock behind. The pid written into
 * the file is only for messages.
 */
#define _GNU_SOURCE /* F_OFD_SETLK */
#include "core/owner.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

/* Every owner key of every function, in registry order. */
int owner_from_config(const struct config *c, struct owner *o)
{
	char buf[PATH_MAX];
	size_t cap = 0;

	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < n_functions; i++) {
		const struct function *f = functions[i];

		for (const char *const *k = f->owner_keys; k && *k; k++) {
			if (config_get(c, f->name, *k, buf, sizeof(buf)) < 0)
				continue; /* a registry bug; the tests see it */
			if (array_grow(&o->kv, &cap, o->n + 1, sizeof(*o->kv)))
				goto oom;
			o->kv[o->n] = (struct owner_kv){ f->name, *k,
							 strdup(buf) };
			if (!o->kv[o->n].value)
				goto oom;
			o->n++;
		}
	}
	return 0;
oom:
	owner_free(o);
	return -ENOMEM;
}

void owner_free(struct owner *o)
{
	for (size_t i = 0; o && i < o->n; i++)
		free(o->kv[i].value);
	if (o) {
		free(o->kv);
		o->kv = NULL;
		o->n = 0;
	}
}

/* The record goes through the config's own key validation, so it obeys
 * exactly the rules a config file does, and names only owner keys. */
bool owner_valid(const struct owner *o)
{
	struct config c;
	bool ok = true;

	config_defaults(&c);
	for (size_t i = 0; ok && i < o->n; i++)
		ok = config_set(&c, o->kv[i].section, o->kv[i].key,
				o->kv[i].value) == 0;
	config_fini(&c);
	return ok;
}

void owner_to_config(const struct owner *o, const struct config *c,
		     struct config *out)
{
	config_copy(out, c);
	for (size_t i = 0; i < o->n; i++)
		config_set(out, o->kv[i].section, o->kv[i].key, o->kv[i].value);
}

static const struct owner_kv *kv_find(const struct owner *o,
				      const struct owner_kv *like)
{
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->kv[i].section, like->section) &&
		    !strcmp(o->kv[i].key, like->key))
			return &o->kv[i];
	return NULL;
}

bool owner_differs(const struct owner *was, const struct owner *now, char *buf,
		   size_t len)
{
	for (size_t i = 0; i < now->n; i++) {
		const struct owner_kv *n = &now->kv[i], *w = kv_find(was, n);

		if (!w || !strcmp(w->value, n->value))
			continue;
		/* a cut-off path in a message is fine */
		if (snprintf(buf, len, "[%s] %s %s -> %s", n->section, n->key,
			     w->value, n->value) < 0 && len)
			buf[0] = '\0';
		return true;
	}
	return false;
}

bool owner_incomplete(const struct owner *was, const struct owner *now)
{
	for (size_t i = 0; i < now->n; i++)
		if (!kv_find(was, &now->kv[i]))
			return true;
	return false;
}

static int record_path(const char *state_dir, char *buf, size_t len)
{
	if (snprintf(buf, len, "%s/%s", state_dir, OWNER_FILE) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* A recorded value: a string, or a number for numeric keys. The names
 * are looked up in the registry, so the record points at static names. */
static int read_kv(struct owner *o, size_t *cap, const char *section,
		   const char *key, json_object *v)
{
	const char *sec_name = NULL, *key_name = NULL;
	char num[32];
	const char *text;
	int fi = function_index(section);

	if (fi < 0)
		return -EINVAL;
	sec_name = functions[fi]->name;
	for (const char *const *k = functions[fi]->owner_keys; k && *k; k++)
		if (!strcmp(*k, key))
			key_name = *k;
	if (!key_name)
		return -EINVAL;
	if (json_object_is_type(v, json_type_string)) {
		text = json_object_get_string(v);
	} else if (json_object_is_type(v, json_type_int) &&
		   json_object_get_int64(v) >= 0) {
		snprintf(num, sizeof(num), "%" PRId64, json_object_get_int64(v));
		text = num;
	} else {
		return -EINVAL;
	}
	if (array_grow(&o->kv, cap, o->n + 1, sizeof(*o->kv)))
		return -ENOMEM;
	o->kv[o->n] = (struct owner_kv){ sec_name, key_name, strdup(text) };
	if (!o->kv[o->n].value)
		return -ENOMEM;
	o->n++;
	return 0;
}

static int parse_record(json_object *root, struct owner *o)
{
	size_t cap = 0;
	int r = 0;

	if (!root || !json_object_is_type(root, json_type_object))
		return -EINVAL;
	json_object_object_foreach(root, section, keys)
	{
		if (r || !keys || !json_object_is_type(keys, json_type_object))
			return r ? r : -EINVAL;
		json_object_object_foreach(keys, key, v)
		{
			if (!r)
				r = v ? read_kv(o, &cap, section, key, v)
				      : -EINVAL;
		}
	}
	return r;
}

int owner_read(const char *state_dir, struct owner *o)
{
	char path[PATH_MAX], *text;
	json_object *root = NULL;
	int r;

	memset(o, 0, sizeof(*o));
	r = record_path(state_dir, path, sizeof(path));
	if (r == 0)
		r = read_file_small(path, 1 << 16, &text, NULL);
	if (r == -ENOENT)
		return r;
	if (r == 0) {
		root = json_tokener_parse(text);
		free(text);
	}
	r = parse_record(root, o);
	json_object_put(root);
	if (r == 0 && (!o->n || !owner_valid(o)))
		r = -EINVAL;
	if (r)
		owner_free(o);
	return r ? -EINVAL : 0;
}

json_object *owner_json(const struct owner *o)
{
	json_object *j = json_object_new_object(), *sec;

	for (size_t i = 0; i < o->n; i++) {
		const struct owner_kv *kv = &o->kv[i];

		if (!json_object_object_get_ex(j, kv->section, &sec)) {
			sec = json_object_new_object();
			json_object_object_add(j, kv->section, sec);
		}
		if (config_key_numeric(kv->section, kv->key))
			json_object_object_add(
			    sec, kv->key,
			    json_object_new_int64(strtoll(kv->value, NULL, 10)));
		else
			json_object_object_add(sec, kv->key,
					       json_object_new_string(kv->value));
	}
	return j;
}

int owner_write(const char *state_dir, const struct owner *o, char *err,
		size_t errlen)
{
	json_object *j;
	char path[PATH_MAX];
	const char *text;
	int r = mkdir_p(state_dir);

	if (r < 0)
		return errf(err, errlen, -r, "%s: %s", state_dir, strerror(-r));
	if (record_path(state_dir, path, sizeof(path)) < 0)
		return errf(err, errlen, ENAMETOOLONG, "%s: path too long",
			    state_dir);
	file_remove_stale_temps(path); /* a killed writer's; best effort */
	j = owner_json(o);
	text = json_object_to_json_string_ext(
	    j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	r = text ? write_file_atomic(path, text, strlen(text), err, errlen)
		 : errf(err, errlen, ENOMEM, "%s: out of memory", path);
	json_object_put(j);
	return r;
}

int owner_remove(const char *state_dir)
{
	char path[PATH_MAX];

	if (record_path(state_dir, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

static int lock_path(const char *state_dir, char *buf, size_t len)
{
	if (snprintf(buf, len, "%s/lock", state_dir) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static pid_t read_pid(int fd)
{
	char buf[24] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	return n > 0 ? (pid_t)strtol(buf, NULL, 10) : 0;
}

/* Open file description locks: owned by the open file, not the process,
 * so a probe from `snapnet status` (F_OFD_GETLK) takes nothing and can
 * never make a starting daemon fail, and they still die with the last
 * descriptor, i.e. with a crashed process. */
static int ofd_lock(int fd, int cmd, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET };

	if (fcntl(fd, cmd, &fl) < 0)
		return -errno;
	return cmd == F_OFD_GETLK ? fl.l_type : 0;
}

int owner_lock(const char *state_dir, pid_t *holder)
{
	char path[PATH_MAX], pid[24];
	int fd, r, n;

	r = mkdir_p(state_dir);
	if (r < 0 || (r = lock_path(state_dir, path, sizeof(path))) < 0)
		return r;
	fd = open(path, O_RDWR | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r = ofd_lock(fd, F_OFD_SETLK, F_WRLCK);
	if (r < 0) {
		if (r == -EACCES)
			r = -EAGAIN;
		*holder = read_pid(fd);
		close(fd);
		return r;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		r = errno ? -errno : -EIO;
		close(fd);
		return r;
	}
	return fd;
}

bool owner_lock_held(const char *state_dir, pid_t *holder)
{
	char path[PATH_MAX];
	bool held;
	int fd, type;

	if (lock_path(state_dir, path, sizeof(path)) < 0)
		return false;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	type = ofd_lock(fd, F_OFD_GETLK, F_WRLCK);
	held = type >= 0 && type != F_UNLCK;
	if (held)
		*holder = read_pid(fd);
	close(fd);
	return held;
}
