/*
 * owner.c - the ownership record and the state_dir lock (see owner.h).
 *
 * The lock is an open file description lock, so it dies with its process:
 * a crashed daemon never leaves a stale lock behind. The pid written into
 * the file is only for messages.
 */
#define _GNU_SOURCE /* F_OFD_SETLK */
#include "owner.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

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
