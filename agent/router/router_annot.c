/*
 * router_annot.c - pure parsers of what the router reads as text: the
 * kube-router annotations of Nodes and Services (comma lists, AS numbers,
 * ports, base64 passwords, booleans), BGP communities in every form
 * kube-router (GoBGP's parser) takes, and peer family lists.
 *
 * Owns nothing, no syscalls, no globals. Every parser returns 0 or a
 * negative errno and never prints the text it refused: a caller names
 * the annotation and the entry's position, so a password that failed to
 * decode is never shown.
 */
#include "router/router.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"

int router_parse_uint(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	unsigned long long v = 0;

	if (!*s || strlen(s) > 10)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v < lo || v > hi)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* RFC 5396 asdot ("1.10" is 65546) as well as asplain. AS 0 is reserved
 * (RFC 7607), so is AS_TRANS 23456 as a real AS number (RFC 6793). */
int router_parse_asn(const char *s, uint32_t *out)
{
	const char *dot = strchr(s, '.');
	uint32_t hi, lo;
	char left[8];

	if (dot) {
		if ((size_t)(dot - s) >= sizeof(left))
			return -EINVAL;
		memcpy(left, s, (size_t)(dot - s));
		left[dot - s] = '\0';
		if (router_parse_uint(left, 0, 65535, &hi) ||
		    router_parse_uint(dot + 1, 0, 65535, &lo))
			return -EINVAL;
		*out = hi << 16 | lo;
	} else if (router_parse_uint(s, 1, 0xffffffffu, out)) {
		return -EINVAL;
	}
	return *out == 0 || *out == 23456 ? -EINVAL : 0;
}

int router_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {
		"1", "t", "T", "TRUE", "true", "True"
	};
	static const char *const no[] = { "0",	   "f",	    "F",
					  "FALSE", "false", "False" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i]))
			return *out = true, 0;
		if (!strcmp(s, no[i]))
			return *out = false, 0;
	}
	return -EINVAL;
}

/* The well-known communities GoBGP's ParseCommunity knows by name. */
static const struct {
	const char *name;
	uint32_t value;
} well_known[] = {
	{ "graceful-shutdown", 0xffff0000 },
	{ "accept-own", 0xffff0001 },
	{ "llgr-stale", 0xffff0006 },
	{ "no-llgr", 0xffff0007 },
	{ "blackhole", 0xffff029a },
	{ "no-export", 0xffffff01 },
	{ "no-advertise", 0xffffff02 },
	{ "no-export-subconfed", 0xffffff03 },
	{ "local-as", 0xffffff03 },
	{ "no-peer", 0xffffff04 },
};

int router_parse_community(const char *s, struct router_comm *out)
{
	const char *colon = strchr(s, ':');
	uint32_t a, b, v;
	char left[8];

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < ARRAY_SIZE(well_known); i++)
		if (!strcasecmp(s, well_known[i].name)) {
			v = well_known[i].value;
			out->a = v >> 16;
			out->b = v & 0xffff;
			return 0;
		}
	if (!colon) {
		if (router_parse_uint(s, 0, 0xffffffffu, &v))
			return -EINVAL;
		out->a = v >> 16;
		out->b = v & 0xffff;
		return 0;
	}
	if ((size_t)(colon - s) >= sizeof(left))
		return -EINVAL;
	memcpy(left, s, (size_t)(colon - s));
	left[colon - s] = '\0';
	if (router_parse_uint(left, 0, 65535, &a) ||
	    router_parse_uint(colon + 1, 0, 65535, &b))
		return -EINVAL;
	out->a = a;
	out->b = b;
	return 0;
}

int router_parse_large_community(const char *s, struct router_comm *out)
{
	char part[3][12];
	const char *p = s;
	uint32_t v[3];

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 3; i++) {
		const char *e = i < 2 ? strchr(p, ':') : p + strlen(p);

		if (!e || (size_t)(e - p) >= sizeof(part[i]))
			return -EINVAL;
		memcpy(part[i], p, (size_t)(e - p));
		part[i][e - p] = '\0';
		if (router_parse_uint(part[i], 0, 0xffffffffu, &v[i]))
			return -EINVAL;
		p = e + 1;
	}
	out->large = true;
	out->a = v[0];
	out->b = v[1];
	out->c = v[2];
	return 0;
}

size_t router_list_count(const char *list)
{
	size_t n = 1;

	for (const char *p = list; *p; p++)
		n += *p == ',';
	return n;
}

int router_list_item(const char *list, size_t n, char *buf, size_t len)
{
	const char *p = list, *e;

	for (size_t i = 0; i < n; i++) {
		p = strchr(p, ',');
		if (!p)
			return -ENOENT;
		p++;
	}
	e = strchr(p, ',');
	if (!e)
		e = p + strlen(p);
	while (p < e && isspace((unsigned char)*p))
		p++;
	while (e > p && isspace((unsigned char)e[-1]))
		e--;
	if ((size_t)(e - p) >= len)
		return -E2BIG;
	memcpy(buf, p, (size_t)(e - p));
	buf[e - p] = '\0';
	return 0;
}

int router_parse_comm_list(const char *s, bool large, struct router_comm *out,
			   size_t max, size_t *n, int *bad)
{
	size_t count = router_list_count(s);
	char item[64];

	*bad = -1;
	for (size_t i = 0; i < count; i++) {
		struct router_comm c;
		int r = router_list_item(s, i, item, sizeof(item));

		if (r == 0 && !item[0] && count == 1)
			break; /* an empty annotation: none */
		if (r == 0)
			r = large ? router_parse_large_community(item, &c)
				  : router_parse_community(item, &c);
		if (r == 0 && *n >= max)
			r = -E2BIG;
		if (r) {
			if (*bad < 0)
				*bad = (int)i;
			continue;
		}
		out[(*n)++] = c;
	}
	return *bad < 0 ? 0 : -EINVAL;
}

static int b64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* kube-router requires base64 for peer.passwords (docs/bgp.md), and its
 * own example encodes a trailing newline; one is dropped here. */
int router_base64_decode(const char *s, char *out, size_t len)
{
	size_t n = strlen(s), o = 0, pad = 0;
	uint32_t acc = 0;
	int bits = 0;

	while (n && s[n - 1] == '=' && pad < 2)
		n--, pad++;
	if (len == 0 || (pad && (n + pad) % 4))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value(s[i]);

		if (v < 0)
			return -EINVAL;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= len)
				return -E2BIG;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	/* leftover bits must be zero padding of a whole quantum */
	if (bits >= 6 || (acc & ((1u << bits) - 1)))
		return -EINVAL;
	if (o && out[o - 1] == '\n')
		o--;
	out[o] = '\0';
	return 0;
}

bool router_password_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > ROUTER_PASSWORD_MAX)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e ||
		    *p == '"')
			return false;
	return true;
}

unsigned router_parse_families(const char *s)
{
	size_t count = router_list_count(s);
	unsigned fams = 0, bit;
	char item[16];

	for (size_t i = 0; i < count; i++) {
		if (router_list_item(s, i, item, sizeof(item)))
			return 0;
		if (!strcmp(item, "ipv4"))
			bit = FAM_V4;
		else if (!strcmp(item, "ipv6"))
			bit = FAM_V6;
		else
			return 0;
		if (fams & bit)
			return 0; /* a family named twice: a typo */
		fams |= bit;
	}
	return fams;
}

const char *router_families_name(unsigned fams)
{
	switch (fams & (FAM_V4 | FAM_V6)) {
	case FAM_V4:
		return "ipv4";
	case FAM_V6:
		return "ipv6";
	case FAM_V4 | FAM_V6:
		return "ipv4+ipv6";
	}
	return "none";
}
