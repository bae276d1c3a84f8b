/*
 * fuzz_config.c - libFuzzer target for the INI configuration parser.
 *
 * Each input becomes the whole content of a config file (a memfd, opened
 * by config_load() through /proc/self/fd/N, so nothing touches a disk)
 * and goes through config_load(). Besides the sanitizers, the target
 * checks what config.c promises and aborts when a promise is broken:
 *   - failure: a negative errno, a non-empty NUL-terminated message, and
 *     a "FILE:LINE:" in it never names a line past the end of the input;
 *   - success: every value is one the key table admits (ranges, absolute
 *     paths without trailing '/', file and interface names, CNI network
 *     names, no blanks or '#' in any string) and every string is
 *     NUL-terminated inside its field; and no line of the input is
 *     longer than the 199 bytes config.c admits (inih's buffer).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include "cni/cni.h"
#include "core/config.h"
#include "core/function.h"
#include "routes/route.h"
#include "lib/util.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Debian's inih reads lines into 200 bytes: 199 and the NUL. */
#define LINE_MAX_BYTES 199

static const char *path; /* the memfd of the current input */

/* A string field: terminated inside its buffer, then non-empty and free
 * of the characters set_str() refuses. */
static const char *str_field(const char *s, size_t size)
{
	CHECK(memchr(s, '\0', size) != NULL);
	CHECK(s[0] != '\0');
	CHECK(!strpbrk(s, " \t#"));
	for (const char *p = s; *p; p++)
		CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
	return s;
}

static void check_path(const char *s, size_t size)
{
	size_t n = strlen(str_field(s, size));

	/* relative paths are allowed; trailing slashes are dropped */
	CHECK(n == 1 || s[n - 1] != '/');
}

static void check_cni_name(const char *s, size_t size)
{
	str_field(s, size);
	for (const char *p = s; *p; p++) {
		bool alnum = (*p >= 'a' && *p <= 'z') ||
			     (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9');

		CHECK(alnum || (p > s && strchr("_.-", *p)));
	}
}

static void check_config(const struct config *c)
{
	const struct cni_config *cni =
	    config_section_of(c, (size_t)function_index("cni"));
	const struct routes_config *routes =
	    config_section_of(c, (size_t)function_index("routes"));
	const char *f;

	CHECK(!strcmp(c->path, path));
	str_field(c->agent.node_name, sizeof(c->agent.node_name));
	check_path(c->agent.snapshot, sizeof(c->agent.snapshot));
	check_path(c->agent.state_dir, sizeof(c->agent.state_dir));
	CHECK(c->agent.resync_interval <= 86400);
	CHECK(c->agent.debounce_ms <= 60000);
	CHECK(c->agent.max_delete_share >= 0 && c->agent.max_delete_share <= 1);
	CHECK(c->agent.max_snapshot_bytes >= 1024 &&
	      c->agent.max_snapshot_bytes <= (size_t)1 << 40);
	CHECK(c->agent.log_level == LOG_ERR ||
	      c->agent.log_level == LOG_WARNING ||
	      c->agent.log_level == LOG_INFO ||
	      c->agent.log_level == LOG_DEBUG);
	check_path(cni->conf_dir, sizeof(cni->conf_dir));
	f = str_field(cni->conf_file, sizeof(cni->conf_file));
	CHECK(!strchr(f, '/') && strcmp(f, ".") && strcmp(f, ".."));
	check_cni_name(cni->network_name, sizeof(cni->network_name));
	f = str_field(cni->bridge, sizeof(cni->bridge));
	CHECK(strlen(f) < IFNAME_LEN && config_ifname_valid(f));
	CHECK(cni->mtu == 0 || (cni->mtu >= 68 && cni->mtu <= 65535));
	CHECK(routes->protocol >= 5 && routes->protocol <= 255);
	CHECK(routes->table >= 1 && routes->table <= 0xfffffffeU);
}

/* A file that loaded has no line over inih's buffer (config.c refuses
 * them rather than let inih read the rest as a line of its own). */
static void check_line_lengths(const uint8_t *data, size_t size)
{
	size_t start = 0;

	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		/* with its '\n' when it has one */
		if (i - start + (i < size) > LINE_MAX_BYTES) {
			fprintf(stderr, "line at offset %zu has %zu bytes\n",
				start, i - start + (i < size));
			CHECK(!"a line over the limit was accepted");
		}
		start = i + 1;
	}
}

/* "PATH:LINE: ..." must name a line the input has. */
static void check_error_line(const char *err, const uint8_t *data, size_t size)
{
	size_t n = strlen(path), lines = 1;
	unsigned long line;
	char *end;

	if (strncmp(err, path, n) || err[n] != ':' || err[n + 1] < '0' ||
	    err[n + 1] > '9')
		return;
	line = strtoul(err + n + 1, &end, 10);
	CHECK(*end == ':');
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (line < 1 || line > lines) {
		fprintf(stderr, "error names line %lu of %zu: %s\n", line,
			lines, err);
		CHECK(!"error names a line the input does not have");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	char err[ERRLEN];
	int r;

	path = fuzz_file(data, size);
	err[0] = '\0';
	r = config_load(path, &c, err, sizeof(err));
	if (r < 0) {
		CHECK(memchr(err, '\0', sizeof(err)) && err[0]);
		CHECK(r == -EINVAL || r == -E2BIG || r == -EIO);
		check_error_line(err, data, size);
	} else {
		CHECK(r == 0);
		check_config(&c);
		check_line_lengths(data, size);
		config_fini(&c);
	}
	return 0;
}
