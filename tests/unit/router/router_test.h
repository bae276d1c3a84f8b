/*
 * router_test.h - what the router's unit tests share: a fixture of a
 * config file and a snapshot from tests/unit/router/data/ (or from text),
 * the core desire of one node and the router's desire built from them.
 * Include after cmocka.h.
 */
#ifndef SNAPNET_ROUTER_TEST_H
#define SNAPNET_ROUTER_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/desired.h"
#include "core/function.h"
#include "lib/util.h"
#include "router/router.h"
#include "snapshot/snapshot.h"

#define DATA "tests/unit/router/data/"

struct fx {
	struct config cfg;
	struct snapshot *snap;
	struct desired *core;
	struct router_desire *d;
};

static inline struct router_config *fx_router(struct fx *f)
{
	return config_section_mut(&f->cfg, (size_t)function_index("router"));
}

/* Config from a file ("" for the defaults), snapshot from a file. */
static inline void fx_load(struct fx *f, const char *ini, const char *json)
{
	char err[ERRLEN] = "";

	memset(f, 0, sizeof(*f));
	if (ini[0]) {
		if (config_load(ini, &f->cfg, err, sizeof(err)))
			fail_msg("%s", err);
	} else {
		config_defaults(&f->cfg);
	}
	if (snapshot_load(json, NULL, NULL, &f->snap, err, sizeof(err)))
		fail_msg("%s", err);
}

/* Config text into a temporary file, then fx_load. */
static inline void fx_load_text(struct fx *f, const char *ini_text,
				const char *json)
{
	char path[] = "/tmp/snapnet-router-test-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, ini_text, strlen(ini_text)),
			 (ssize_t)strlen(ini_text));
	close(fd);
	fx_load(f, path, json);
	unlink(path);
}

/* A snapshot from text (tests that build their own cluster). */
static inline void fx_snap_text(struct fx *f, const char *json)
{
	char err[ERRLEN] = "";

	snapshot_free(f->snap);
	f->snap = NULL;
	if (snapshot_parse(json, strlen(json), "t.json", NULL, &f->snap, err,
			   sizeof(err)))
		fail_msg("%s", err);
}

static inline struct router_desire *fx_desire(struct fx *f, const char *node)
{
	char err[ERRLEN] = "";

	desired_free(f->core);
	router_desire_free(f->d);
	f->core = NULL;
	f->d = NULL;
	if (desired_build(f->snap, node, &f->core, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(
	    router_desire_build(f->snap, f->core, fx_router(f), &f->d), 0);
	return f->d;
}

static inline void fx_free(struct fx *f)
{
	router_desire_free(f->d);
	desired_free(f->core);
	snapshot_free(f->snap);
	config_fini(&f->cfg);
	memset(f, 0, sizeof(*f));
}

/* The note whose line contains `line`, or NULL. */
static inline const struct router_note *fx_note(const struct router_desire *d,
						const char *line)
{
	for (size_t i = 0; i < d->n_notes; i++)
		if (strstr(d->notes[i].line, line))
			return &d->notes[i];
	return NULL;
}

static inline const struct router_peer *fx_peer(const struct router_desire *d,
						const char *name)
{
	for (size_t i = 0; i < d->n_peers; i++)
		if (!strcmp(d->peers[i].name, name))
			return &d->peers[i];
	return NULL;
}

/* "10.0.0.1/32 10.244.1.0/24 ...": every announced prefix, in order. */
static inline char *fx_anns(const struct router_desire *d, char *buf,
			    size_t len)
{
	char p[PREFIX_STRLEN];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->n_ann && n < len; i++)
		n += (size_t)snprintf(
		    buf + n, len - n, "%s%s", i ? " " : "",
		    prefix_format(&d->ann[i].pfx, p, sizeof(p)));
	return buf;
}

#endif
