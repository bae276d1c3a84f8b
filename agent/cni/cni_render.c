/*
 * cni_render.c - the conflist snapnet hands to the container runtime.
 *
 * Pure: desired pod CIDRs + [cni] config -> JSON bytes. No syscalls.
 *
 * Invariants: the output is a function of its input only (json-c keeps
 * object keys in insertion order, so the bytes are deterministic and the
 * writer can compare them with what is on disk); it lists exactly the
 * node's current pod CIDRs, one host-local range set per family, IPv4
 * first. Ranges are never accumulated across snapshots (kube-router only
 * ever added them, so a re-assigned CIDR kept handing out old addresses).
 *
 * The ipam section carries no "routes": the bridge plugin's
 * isDefaultGateway already adds a default route per family for which
 * IPAM returned an address, and a route without a gateway from IPAM does
 * not suppress that, so listing 0.0.0.0/0 or ::/0 here would give the
 * pod the same default route twice and make ADD fail with EEXIST.
 *
 * Fails with -ENOENT when the node has no pod CIDR, -EINVAL when a CIDR
 * is too small to hold a gateway and a pod, -ENOMEM.
 */
#include "cni/cni.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

struct prefix cni_gateway(const struct prefix *pod_cidr)
{
	return prefix_nth(pod_cidr, 1);
}

/* A range needs the network, a gateway and one pod at least. */
static bool cidr_usable(const struct prefix *p)
{
	return p->len <= (p->family == AF_INET ? 30 : 126);
}

/* json-c's adders take ownership even on failure, so a NULL child only
 * needs to be remembered; the caller checks the flag once at the end. */
static void obj_add(json_object *o, const char *k, json_object *v, bool *oom)
{
	if (!v || json_object_object_add(o, k, v) < 0) {
		json_object_put(v);
		*oom = true;
	}
}

static void arr_add(json_object *a, json_object *v, bool *oom)
{
	if (!v || json_object_array_add(a, v) < 0) {
		json_object_put(v);
		*oom = true;
	}
}

static json_object *range_set(const struct prefix *cidr, bool *oom)
{
	char s[PREFIX_STRLEN];
	struct prefix gw = cni_gateway(cidr);
	json_object *set = json_object_new_array();
	json_object *range = json_object_new_object();

	if (!set || !range) {
		json_object_put(set);
		json_object_put(range);
		*oom = true;
		return NULL;
	}
	obj_add(range, "subnet",
		json_object_new_string(prefix_format(cidr, s, sizeof(s))), oom);
	obj_add(range, "gateway",
		json_object_new_string(addr_format(&gw, s, sizeof(s))), oom);
	arr_add(set, range, oom);
	return set;
}

static json_object *ipam(const struct desired *d, bool *oom)
{
	json_object *o = json_object_new_object();
	json_object *ranges = json_object_new_array();

	if (!o || !ranges) {
		json_object_put(o);
		json_object_put(ranges);
		*oom = true;
		return NULL;
	}
	obj_add(o, "type", json_object_new_string("host-local"), oom);
	for (int i = 0; i < FAM_COUNT; i++)
		if (prefix_present(&d->pod_cidr[i]))
			arr_add(ranges, range_set(&d->pod_cidr[i], oom), oom);
	obj_add(o, "ranges", ranges, oom);
	return o;
}

static json_object *bridge_plugin(const struct cni_config *c,
				  const struct desired *d, bool *oom)
{
	json_object *o = json_object_new_object();

	if (!o) {
		*oom = true;
		return NULL;
	}
	obj_add(o, "type", json_object_new_string("bridge"), oom);
	obj_add(o, "bridge", json_object_new_string(c->bridge), oom);
	obj_add(o, "isGateway", json_object_new_boolean(1), oom);
	obj_add(o, "isDefaultGateway", json_object_new_boolean(1), oom);
	obj_add(o, "hairpinMode", json_object_new_boolean(c->hairpin), oom);
	if (c->mtu)
		obj_add(o, "mtu", json_object_new_int64(c->mtu), oom);
	obj_add(o, "ipam", ipam(d, oom), oom);
	return o;
}

static json_object *portmap_plugin(bool *oom)
{
	json_object *o = json_object_new_object();
	json_object *caps = json_object_new_object();

	if (!o || !caps) {
		json_object_put(o);
		json_object_put(caps);
		*oom = true;
		return NULL;
	}
	obj_add(o, "type", json_object_new_string("portmap"), oom);
	obj_add(caps, "portMappings", json_object_new_boolean(1), oom);
	obj_add(o, "capabilities", caps, oom);
	return o;
}

static json_object *conflist(const struct cni_config *c, const struct desired *d,
			     bool *oom)
{
	json_object *o = json_object_new_object();
	json_object *plugins = json_object_new_array();

	if (!o || !plugins) {
		json_object_put(o);
		json_object_put(plugins);
		*oom = true;
		return NULL;
	}
	obj_add(o, "cniVersion", json_object_new_string(CNI_VERSION), oom);
	obj_add(o, "name", json_object_new_string(c->network_name), oom);
	arr_add(plugins, bridge_plugin(c, d, oom), oom);
	arr_add(plugins, portmap_plugin(oom), oom);
	obj_add(o, "plugins", plugins, oom);
	return o;
}

int cni_render(const struct cni_config *c, const struct desired *d, char **out)
{
	const int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			  JSON_C_TO_STRING_NOSLASHESCAPE;
	bool any = false, oom = false;
	json_object *root;
	const char *s;
	size_t n;

	*out = NULL;
	for (int i = 0; d && i < FAM_COUNT; i++) {
		if (!prefix_present(&d->pod_cidr[i]))
			continue;
		if (!cidr_usable(&d->pod_cidr[i]))
			return -EINVAL;
		any = true;
	}
	if (!any)
		return -ENOENT;
	root = conflist(c, d, &oom);
	if (oom) {
		json_object_put(root);
		return -ENOMEM;
	}
	s = json_object_to_json_string_ext(root, flags);
	n = s ? strlen(s) : 0;
	*out = s ? malloc(n + 2) : NULL;
	if (*out) {
		memcpy(*out, s, n);
		memcpy(*out + n, "\n", 2);
	}
	json_object_put(root);
	return *out ? 0 : -ENOMEM;
}
