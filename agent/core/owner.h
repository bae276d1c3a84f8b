/*
 * owner.h - what marks the objects snapnet made, and the state_dir lock.
 *
 * Routes are found by (protocol, table), the CNI files and bridge by
 * their configured names. Changing one of those settings would orphan
 * what the old ones made, so the settings in force are recorded in the
 * ownership record, STATE_DIR/owner.json: a run or apply under
 * different settings is refused, and cleanup removes what the recorded
 * settings own. The record is written (and fsync'd, file and directory)
 * before the first kernel change of the first pass, so a process killed
 * at any moment leaves nothing a later run cannot find.
 * One process at a time works on a state_dir (flock on STATE_DIR/lock).
 */
#ifndef SNAPNET_OWNER_H
#define SNAPNET_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/config.h"
#include "core/function.h"

/* The ownership settings: every owner key of every function of the
 * registry (function.h), as the text config_set() takes. */
struct owner_kv {
	const char *section, *key; /* static: the registry's own names */
	char *value;
};

struct owner {
	struct owner_kv *kv;
	size_t n;
};

/* 0 or -ENOMEM; o is then owner_free()'d by the caller. */
int owner_from_config(const struct config *c, struct owner *o);
void owner_free(struct owner *o);
/* True when every value passes the config's own validation of its key:
 * a hand-edited record is never trusted blindly. */
bool owner_valid(const struct owner *o);
/* out becomes a copy of c that owns what o describes (config_fini() it). */
void owner_to_config(const struct owner *o, const struct config *c,
		     struct config *out);
/* False when equal; else writes the first difference ("[routes] protocol
 * 157 -> 158") to buf. A key one side lacks (a record written before a
 * function existed) is no difference. */
bool owner_differs(const struct owner *was, const struct owner *now, char *buf,
		   size_t len);
/* True when `now` has a key the record `was` lacks. */
bool owner_incomplete(const struct owner *was, const struct owner *now);

#define OWNER_FILE "owner.json"

/* The record in state_dir: 0, -ENOENT when there is none, -EINVAL when
 * it is unreadable or holds settings no config could produce (then o is
 * empty). The file: {"SECTION": {"KEY": value, ...}, ...}. */
int owner_read(const char *state_dir, struct owner *o);
/* Writes the record durably (temp file, fsync, rename, fsync of the
 * directory); 0 or -errno with text in err. */
int owner_write(const char *state_dir, const struct owner *o, char *err,
		size_t errlen);
int owner_remove(const char *state_dir);
/* The record as a json-c object (the status file shows it too). */
struct json_object;
struct json_object *owner_json(const struct owner *o);

/* Takes the exclusive lock on STATE_DIR/lock and writes our pid into it.
 * Returns the fd (keep it open as long as the lock is needed), -EAGAIN
 * with *holder set when another process holds it, or -errno. */
int owner_lock(const char *state_dir, pid_t *holder);
/* True (with *holder) when some process holds the lock now. */
bool owner_lock_held(const char *state_dir, pid_t *holder);

#endif
