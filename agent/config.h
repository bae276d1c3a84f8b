/*
 * config.h - the agent's INI configuration (inih).
 *
 * Every path the agent writes is a key, so several agents can run side by
 * side in network namespaces. Unknown sections/keys and bad values are
 * errors naming the file and line.
 */
#ifndef SNAPNET_CONFIG_H
#define SNAPNET_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define NODE_NAME_MAX 254
#define IFNAME_LEN 16

struct config {
	char path[PATH_MAX]; /* the file it came from, "" for defaults */
	struct {
		char node_name[NODE_NAME_MAX]; /* default: hostname */
		char snapshot[PATH_MAX];
		char state_dir[PATH_MAX];
		unsigned resync_interval; /* seconds, 0 = never */
		unsigned debounce_ms;	  /* quiet time after an event */
		double max_delete_share;  /* 0..1, refuse plans deleting more */
		bool force;		  /* ignore max_delete_share */
		size_t max_snapshot_bytes;
		int log_level; /* LOG_ERR .. LOG_DEBUG */
	} agent;
	struct {
		bool enabled;
		char conf_dir[PATH_MAX];
		char conf_file[NAME_MAX + 1];
		char network_name[64];
		char bridge[IFNAME_LEN];
		unsigned mtu; /* 0 = leave to the plugin */
		bool hairpin;
		bool ip_forward; /* set forwarding sysctls per family */
	} cni;
	struct {
		bool enabled;
		unsigned protocol; /* rtnetlink protocol number we own */
		unsigned table;	   /* routing table id */
		unsigned metric;
	} routes;
};

void config_defaults(struct config *c);
/* One key through the same validation as the file: 0, -ENOENT for an
 * unknown key, -EINVAL (or -ENAMETOOLONG) for a bad value. */
int config_set(struct config *c, const char *section, const char *name,
	       const char *value);
/* Defaults, then the file. Returns 0 or -errno with "FILE:LINE: ..." */
int config_load(const char *path, struct config *c, char *err, size_t errlen);

#endif
