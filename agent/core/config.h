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
/* One key through the same validation as the file: 0, -ENOENT for an
 * unknown key, -EINVAL (or -ENAMETOOLONG) for a bad value. */
int config_set(struct config *c, const char *section, const char *name,
	       const char *value);
/* Defaults, then the file. Returns 0 or -errno with "FILE:LINE: ..." */
int config_load(const char *path, struct config *c, char *err, size_t errlen);

#endif
