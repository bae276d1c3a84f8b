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
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

void owner_from_config(const struct config *c, struct owner *o)
{
	memset(o, 0, sizeof(*o));
	o->protocol = c->routes.protocol;
	o->table = c->routes.table;
	str_copy(o->bridge, c->cni.bridge, sizeof(o->bridge));
	str_copy(o->conf_dir, c->cni.conf_dir, sizeof(o->conf_dir));
	str_copy(o->conf_file, c->cni.conf_file, sizeof(o->conf_file));
}

/* The record goes through the config's own key validation, so it obeys
 * exactly the rules a config file does. */
bool owner_valid(const struct owner *o)
{
	char proto[16], table[16];
	struct config c;

	config_defaults(&c);
	snprintf(proto, sizeof(proto), "%u", o->protocol);
	snprintf(table, sizeof(table), "%u", o->table);
	return !config_set(&c, "routes", "protocol", proto) &&
	       !config_set(&c, "routes", "table", table) &&
	       !config_set(&c, "cni", "bridge", o->bridge) &&
	       !config_set(&c, "cni", "conf_dir", o->conf_dir) &&
	       !config_set(&c, "cni", "conf_file", o->conf_file);
}

void owner_to_config(const struct owner *o, const struct config *c,
		     struct config *out)
{
	*out = *c;
	out->routes.protocol = o->protocol;
	out->routes.table = o->table;
	str_copy(out->cni.bridge, o->bridge, sizeof(out->cni.bridge));
	str_copy(out->cni.conf_dir, o->conf_dir, sizeof(out->cni.conf_dir));
	str_copy(out->cni.conf_file, o->conf_file, sizeof(out->cni.conf_file));
}

bool owner_differs(const struct owner *was, const struct owner *now, char *buf,
		   size_t len)
{
	if (was->protocol != now->protocol)
		snprintf(buf, len, "[routes] protocol %u -> %u", was->protocol,
			 now->protocol);
	else if (was->table != now->table)
		snprintf(buf, len, "[routes] table %u -> %u", was->table,
			 now->table);
	else if (strcmp(was->bridge, now->bridge))
		snprintf(buf, len, "[cni] bridge %s -> %s", was->bridge,
			 now->bridge);
	else if (strcmp(was->conf_dir, now->conf_dir))
		snprintf(buf, len, "[cni] conf_dir %s -> %s", was->conf_dir,
			 now->conf_dir);
	else if (strcmp(was->conf_file, now->conf_file))
		snprintf(buf, len, "[cni] conf_file %s -> %s", was->conf_file,
			 now->conf_file);
	else
		return false;
	return true;
}

static int record_path(const char *state_dir, char *buf, size_t len)
{
	if (snprintf(buf, len, "%s/%s", state_dir, OWNER_FILE) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static bool get_str(json_object *o, const char *k, char *buf, size_t len)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) &&
	       json_object_is_type(v, json_type_string) &&
	       str_copy(buf, json_object_get_string(v), len);
}

static bool get_uint(json_object *o, const char *k, unsigned *out)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_int))
		return false;
	n = json_object_get_int64(v);
	if (n < 0 || n > UINT_MAX)
		return false;
	*out = (unsigned)n;
	return true;
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
	r = -EINVAL;
	if (root && get_uint(root, "protocol", &o->protocol) &&
	    get_uint(root, "table", &o->table) &&
	    get_str(root, "bridge", o->bridge, sizeof(o->bridge)) &&
	    get_str(root, "conf_dir", o->conf_dir, sizeof(o->conf_dir)) &&
	    get_str(root, "conf_file", o->conf_file, sizeof(o->conf_file)) &&
	    owner_valid(o))
		r = 0;
	json_object_put(root);
	return r;
}

json_object *owner_json(const struct owner *o)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "protocol",
			       json_object_new_int64(o->protocol));
	json_object_object_add(j, "table", json_object_new_int64(o->table));
	json_object_object_add(j, "bridge", json_object_new_string(o->bridge));
	json_object_object_add(j, "conf_dir",
			       json_object_new_string(o->conf_dir));
	json_object_object_add(j, "conf_file",
			       json_object_new_string(o->conf_file));
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
