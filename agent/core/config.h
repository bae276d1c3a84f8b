/*
 * config.h - the agent's INI configuration (inih).
 *
 * One section per function ([cni], [routes], ...) plus the core's own
 * [agent]. A function describes its section with a struct config_section
 * (its keys and defaults, in its own folder); the core parses, validates,
 * copies and records every section the same way, so adding a function
 * never touches this module. Every path the agent writes is a key, so
 * several agents can run side by side in network namespaces. Unknown
 * sections/keys and bad values are errors naming the file and line.
 */
#ifndef SNAPNET_CONFIG_H
#define SNAPNET_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define NODE_NAME_MAX 254
#define IFNAME_LEN 16
#define CONFIG_SECTIONS_MAX 8 /* function sections */

enum key_type {
	K_STR,
	K_BOOL,
	K_UINT,
	K_SIZE,
	K_SHARE,
	K_LEVEL,
	K_IFNAME,
	K_MTU,	    /* K_UINT that also admits 0, "leave it to the kernel" */
	K_FILENAME, /* K_STR naming a file in a directory key: no '/' */
	K_PATH,	    /* a path, made absolute and normalised */
	K_CNINAME,  /* a CNI network name */
	K_NODE,	    /* a node name: trimmed and lowercased, as kubelet does */
	K_SECRET,   /* K_STR that no message ever shows (a BGP password) */
};

/* One key of a section: where its value lives in the section's struct,
 * its type and bounds, and the hint an error shows. */
struct config_key {
	const char *name;
	enum key_type type;
	size_t off, size;
	unsigned long long lo, hi;
	const char *hint;
};

/* A key of the section struct T, for the tables (one per line). */
#define CONFIG_KEY(T, nm, ty, field, l, h, hn)                                 \
	{                                                                      \
		nm, ty, offsetof(T, field), sizeof(((T *)0)->field), l, h, hn  \
	}

/* A function's section. Its struct holds plain data only (no pointers),
 * so a config copies with memcpy. Every function's main section has
 * "enabled".
 *
 * A section given once per instance, `[peer "NAME"]`, is one of the
 * function's `instances`: its instances live in an array of the main
 * section's struct (array_off, at most max of instance_size bytes, the
 * count an unsigned at count_off), each with its NAME at name_off. */
struct config_section {
	const char *name;
	size_t size; /* of its struct (of one instance for instances) */
	void (*defaults)(void *sec);
	const struct config_key *keys;
	size_t n_keys;
	/* instances only */
	size_t max, array_off, count_off, name_off, name_size;
	/* after the file: rules across keys of one section or instance;
	 * 0, or <0 with what is wrong in err (the core adds file and
	 * section) */
	int (*check)(const void *sec, char *err, size_t errlen);
};

#define CONFIG_INSTANCE_NAME_MAX 32 /* [A-Za-z0-9_.-], 1..32 */

struct agent_config {
	char node_name[NODE_NAME_MAX]; /* default: hostname */
	char snapshot[PATH_MAX];
	char state_dir[PATH_MAX];
	unsigned resync_interval; /* seconds, 0 = never */
	unsigned debounce_ms;	  /* quiet time after an event */
	double max_delete_share;  /* 0..1, refuse plans deleting more */
	bool force;		  /* ignore max_delete_share */
	size_t max_snapshot_bytes;
	int log_level; /* LOG_ERR .. LOG_DEBUG */
};

struct config {
	char path[PATH_MAX]; /* the file it came from, "" for defaults */
	struct agent_config agent;
	/* the functions' sections, in registry order, in one block */
	unsigned char *blob;
	size_t blob_len;
	size_t off[CONFIG_SECTIONS_MAX];
};

/* Defaults for every section. Allocates: pair with config_fini(). */
void config_defaults(struct config *c);
void config_fini(struct config *c);
/* dst becomes an independent copy of src (dst need not be initialised;
 * a dst holding a config must be config_fini()'d first). */
void config_copy(struct config *dst, const struct config *src);
/* Replaces dst by src, which is consumed (no copy). */
void config_move(struct config *dst, struct config *src);

/* One key through the same validation as the file: 0, -ENOENT for an
 * unknown section or key, -EINVAL (or -ENAMETOOLONG) for a bad value. */
int config_set(struct config *c, const char *section, const char *name,
	       const char *value);
/* A key's value in the text form config_set() takes back. 0, -ENOENT. */
int config_get(const struct config *c, const char *section, const char *name,
	       char *buf, size_t len);
/* True when the key is numeric (for JSON records). */
bool config_key_numeric(const char *section, const char *name);
/* Defaults, then the file. Returns 0 or -errno with "FILE:LINE: ..." */
int config_load(const char *path, struct config *c, char *err, size_t errlen);

/* The section of function index i (registry order). */
const void *config_section_of(const struct config *c, size_t i);
void *config_section_mut(struct config *c, size_t i);
/* Its "enabled" key. */
bool config_enabled(const struct config *c, size_t i);

/* This host's Node name as kubelet derives it: the hostname, trimmed
 * and lowercased. "" when the hostname is unknown. */
void config_hostname(char *buf, size_t len);
/* in, blanks trimmed and lowercased, into buf (always terminated). */
void config_node_name_norm(const char *in, char *buf, size_t len);
/* True when v is a name the kernel gives a link exactly as written. */
bool config_ifname_valid(const char *v);
/* v made absolute and normalised lexically into dst; a relative v is
 * taken from base (absolute, or itself from the working directory) or,
 * when base is NULL, from the working directory. 0 or -ENAMETOOLONG /
 * -errno of getcwd(). Paths in a config file are taken from the file's
 * directory, so one file names one state_dir wherever it is read. */
int config_path_abs(char *dst, size_t len, const char *v, const char *base);

#endif
