/*
 * rules_sets_driver.c - a small command-line front end to agent/lib/rules
 * and agent/lib/sets, for tests/integration/lib/rules-sets.sh (root, run
 * inside a network namespace the script creates). Not part of snapnet.
 *
 *   detect auto|nft|legacy
 *   apply BACKEND 4|6 DESIRE     desire file: prefix/comment/table/chain/
 *                                rule/jump lines (see read_desire)
 *   cleanup BACKEND 4|6 PREFIX
 *   sets-name PREFIX 4|6 ROLE KEY
 *   sets-sync|sets-replace|sets-add|sets-del PREFIX NAME TYPE 4|6 FILE
 *   sets-list PREFIX | sets-members PREFIX NAME
 *   sets-destroy PREFIX NAME | sets-cleanup PREFIX
 *   sets-refill-unsafe PREFIX NAME TYPE 4|6 FILE   (flush + add: the
 *                                non-atomic way, to prove the swap test
 *                                can fail)
 *   bench 4|6 N REPS             set fill speed by each libipset path and
 *                                by `ipset restore`
 *
 * Exit 0 on success, 1 on error (message on stderr), 2 on usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include <libipset/ipset.h>
#include <libipset/session.h>

#include "rules.h"
#include "sets.h"

static char err[1024];

static int die(const char *what, int r)
{
	fprintf(stderr, "%s: %s (%s)\n", what, err, strerror(-r));
	return 1;
}

static int family_arg(const char *s)
{
	return !strcmp(s, "6") ? AF_INET6 : AF_INET;
}

static enum rules_backend backend_arg(const char *s)
{
	enum rules_backend b = RULES_BACKEND_AUTO;

	if (rules_backend_parse(s, &b)) {
		fprintf(stderr, "bad backend %s\n", s);
		exit(2);
	}
	return b;
}

/* --- rules --- */

#define MAXT 4
#define MAXC 64
#define MAXR 512
#define MAXJ 16

struct desire {
	struct rules_want w;
	struct rules_table t[MAXT];
	struct rules_chain c[MAXT][MAXC];
	const char *r[MAXT][MAXC][MAXR];
	struct rules_jump j[MAXT][MAXJ];
	char *lines[MAXT * MAXC * MAXR];
	size_t n_lines;
};

static char *keep(struct desire *d, const char *s)
{
	char *p = strdup(s);

	if (!p || d->n_lines == sizeof(d->lines) / sizeof(d->lines[0]))
		exit(1);
	return d->lines[d->n_lines++] = p;
}

static int desire_line(struct desire *d, char *l)
{
	struct rules_table *t = d->w.n_tables ? &d->t[d->w.n_tables - 1] : NULL;
	size_t ti = d->w.n_tables - 1;
	char from[64], to[64], pos[16];

	if (!strncmp(l, "prefix ", 7))
		d->w.prefix = keep(d, l + 7);
	else if (!strncmp(l, "comment ", 8))
		d->w.comment = keep(d, l + 8);
	else if (!strncmp(l, "table ", 6) && d->w.n_tables < MAXT) {
		t = &d->t[d->w.n_tables++];
		t->name = keep(d, l + 6);
		t->chains = d->c[d->w.n_tables - 1];
		t->jumps = d->j[d->w.n_tables - 1];
	} else if (t && !strncmp(l, "chain ", 6) && t->n_chains < MAXC) {
		d->c[ti][t->n_chains].name = keep(d, l + 6);
		d->c[ti][t->n_chains].rules = d->r[ti][t->n_chains];
		t->n_chains++;
	} else if (t && t->n_chains && !strncmp(l, "rule ", 5)) {
		struct rules_chain *c = &d->c[ti][t->n_chains - 1];

		if (c->n_rules == MAXR)
			return -1;
		d->r[ti][t->n_chains - 1][c->n_rules++] = keep(d, l + 5);
	} else if (t && sscanf(l, "jump %63s %63s %15s", from, to, pos) == 3 &&
		   t->n_jumps < MAXJ) {
		d->j[ti][t->n_jumps++] =
		    (struct rules_jump){ keep(d, from), keep(d, to),
					 !strcmp(pos, "first") };
	} else if (*l && *l != '#') {
		return -1;
	}
	return 0;
}

static struct desire *read_desire(const char *path, int family)
{
	struct desire *d = calloc(1, sizeof(*d));
	char line[RULES_RULE_MAX + 16];
	FILE *f = fopen(path, "r");

	if (!d || !f) {
		perror(path);
		exit(1);
	}
	d->w.family = family;
	d->w.prefix = RULES_PREFIX;
	d->w.comment = "snapnet";
	d->w.tables = d->t;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (desire_line(d, line)) {
			fprintf(stderr, "%s: bad line: %s\n", path, line);
			exit(2);
		}
	}
	fclose(f);
	return d;
}

static void free_desire(struct desire *d)
{
	size_t i;

	for (i = 0; i < d->n_lines; i++)
		free(d->lines[i]);
	free(d);
}

static void print_stats(const struct rules_stats *st)
{
	printf("chains_written %u rules_written %u chains_deleted %u "
	       "chains_kept %u jumps_added %u jumps_deleted %u\n",
	       st->chains_written, st->rules_written, st->chains_deleted,
	       st->chains_kept, st->jumps_added, st->jumps_deleted);
}

static int cmd_detect(const char *want)
{
	struct rules_probe n, l;
	enum rules_backend b;
	int r = rules_detect(backend_arg(want), 10000, &b, &n, &l, NULL, err,
			     sizeof(err));

	if (r)
		return die("detect", r);
	printf("backend %s\n", rules_backend_name(b));
	printf("nft ok %d hint %d foreign %zu own %zu\n", n.ok, n.hint,
	       n.foreign_rules, n.own_chains);
	printf("legacy ok %d hint %d foreign %zu own %zu\n", l.ok, l.hint,
	       l.foreign_rules, l.own_chains);
	return 0;
}

static int cmd_apply(const char *backend, const char *fam, const char *path)
{
	struct rules_opts o = { .backend = backend_arg(backend),
				.timeout_ms = 10000,
				.verify = true };
	struct desire *d = read_desire(path, family_arg(fam));
	struct rules_stats st;
	struct rules_text t;
	int r = rules_apply(&o, &d->w, &st, &t, err, sizeof(err));

	free_desire(d);
	if (r && r != -EPROTO)
		return die("apply", r);
	printf("written %zu\n", t.lines);
	print_stats(&st);
	if (t.len)
		fputs(t.s, stdout);
	rules_text_free(&t);
	return r ? die("apply", r) : 0;
}

static int cmd_cleanup(const char *backend, const char *fam, const char *prefix)
{
	struct rules_opts o = { .backend = backend_arg(backend),
				.timeout_ms = 10000 };
	struct rules_stats st;
	int r =
	    rules_cleanup(&o, family_arg(fam), prefix, &st, err, sizeof(err));

	if (r)
		return die("cleanup", r);
	print_stats(&st);
	return 0;
}

/* --- sets --- */

static struct sets_member *read_members(const char *path, enum sets_type t,
					int family, size_t *n)
{
	size_t cap = 1024;
	struct sets_member *v = malloc(cap * sizeof(*v));
	char line[128];
	FILE *f = fopen(path, "r");

	*n = 0;
	if (!f || !v) {
		perror(path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!*line)
			continue;
		if (*n == cap && !(v = realloc(v, (cap *= 2) * sizeof(*v))))
			exit(1);
		if (sets_member_parse(t, family, line, &v[*n])) {
			fprintf(stderr, "%s: bad member %s\n", path, line);
			exit(2);
		}
		(*n)++;
	}
	fclose(f);
	return v;
}

static struct sets_ctx *open_ctx(const char *prefix)
{
	struct sets_ctx *c;
	int r = sets_open(prefix, &c, err, sizeof(err));

	if (r)
		exit(die("sets_open", r));
	return c;
}

static enum sets_type type_arg(const char *s)
{
	enum sets_type t;

	if (sets_type_parse(s, &t)) {
		fprintf(stderr, "bad type %s\n", s);
		exit(2);
	}
	return t;
}

/* flush + add: what an agent without swap would do */
static int refill_unsafe(struct sets_ctx *c, const char *name,
			 const struct sets_member *m, size_t n)
{
	struct sets_member *have;
	size_t nh;
	int r = sets_members(c, name, &have, &nh, err, sizeof(err));

	if (!r)
		r = sets_del(c, name, have, nh, err, sizeof(err));
	if (!r)
		r = sets_add(c, name, m, n, err, sizeof(err));
	free(have);
	return r;
}

static int cmd_sets_change(char **argv)
{
	const char *op = argv[1], *name = argv[3];
	enum sets_type t = type_arg(argv[4]);
	int family = family_arg(argv[5]), r;
	struct sets_ctx *c = open_ctx(argv[2]);
	struct sets_sync_stats st = { 0 };
	size_t n;
	struct sets_member *m = read_members(argv[6], t, family, &n);

	if (!strcmp(op, "sets-sync"))
		r = sets_sync(c, name, t, family, m, n, &st, err, sizeof(err));
	else if (!strcmp(op, "sets-replace"))
		r = sets_replace(c, name, t, family, m, n, err, sizeof(err));
	else if (!strcmp(op, "sets-add"))
		r = sets_add(c, name, m, n, err, sizeof(err));
	else if (!strcmp(op, "sets-del"))
		r = sets_del(c, name, m, n, err, sizeof(err));
	else
		r = refill_unsafe(c, name, m, n);
	free(m);
	sets_close(c);
	if (r)
		return die(op, r);
	printf("created %u replaced %u added %zu deleted %zu\n", st.created,
	       st.replaced, st.added, st.deleted);
	return 0;
}

static int cmd_sets_list(const char *prefix)
{
	struct sets_ctx *c = open_ctx(prefix);
	struct sets_info *v;
	size_t n, i;
	int r = sets_list(c, &v, &n, err, sizeof(err));

	sets_close(c);
	if (r)
		return die("sets_list", r);
	for (i = 0; i < n; i++)
		printf("%s %s %s elements %u references %u maxelem %u hashsize "
		       "%u\n",
		       v[i].name, v[i].typename,
		       v[i].family == AF_INET6 ? "inet6" : "inet",
		       v[i].elements, v[i].references, v[i].maxelem,
		       v[i].hashsize);
	free(v);
	return 0;
}

static int cmd_sets_members(const char *prefix, const char *name)
{
	struct sets_ctx *c = open_ctx(prefix);
	struct sets_member *m;
	struct sets_info info;
	char buf[96];
	size_t n, i;
	int r = sets_info(c, name, &info, err, sizeof(err));

	if (!r)
		r = sets_members(c, name, &m, &n, err, sizeof(err));
	sets_close(c);
	if (r)
		return die("sets_members", r);
	for (i = 0; i < n; i++)
		if (!sets_member_format(info.type, &m[i], buf, sizeof(buf)))
			puts(buf);
	free(m);
	return 0;
}

static int cmd_sets_destroy(const char *prefix, const char *name)
{
	struct sets_ctx *c = open_ctx(prefix);
	size_t n = 0;
	int r = name ? sets_destroy(c, name, err, sizeof(err))
		     : sets_cleanup(c, &n, err, sizeof(err));

	sets_close(c);
	if (r)
		return die(name ? "sets_destroy" : "sets_cleanup", r);
	if (!name)
		printf("destroyed %zu\n", n);
	return 0;
}

static int cmd_sets_name(char **argv)
{
	char buf[SETS_NAME_MAX + 1];
	int r = sets_name(argv[2], family_arg(argv[3]), argv[4], argv[5],
			  strlen(argv[5]), buf, sizeof(buf));

	if (r) {
		snprintf(err, sizeof(err), "sets_name");
		return die("sets_name", r);
	}
	puts(buf);
	return 0;
}

/* --- bench --- */

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void bench_member(int family, unsigned i, struct sets_member *m)
{
	uint32_t v = htonl(i + 1);

	memset(m, 0, sizeof(*m));
	m->family = family;
	m->plen = family == AF_INET ? 32 : 128;
	if (family == AF_INET) {
		v = htonl(0x0a000000u + i + 1);
		memcpy(m->addr, &v, 4);
	} else {
		m->addr[0] = 0xfd;
		memcpy(m->addr + 12, &v, 4);
	}
}

static char *restore_text(int family, const struct sets_member *m, size_t n,
			  const char *name, bool presize, size_t *len)
{
	char *s = NULL, buf[64];
	FILE *f = open_memstream(&s, len);
	size_t i;

	fprintf(f, "create %s hash:ip family %s maxelem %zu", name,
		family == AF_INET ? "inet" : "inet6", 2 * n);
	if (presize)
		fprintf(f, " hashsize %zu", n / 2);
	fputc('\n', f);
	for (i = 0; i < n; i++) {
		sets_member_format(SETS_HASH_IP, &m[i], buf, sizeof(buf));
		fprintf(f, "add %s %s\n", name, buf);
	}
	fclose(f);
	return s;
}

static int quiet_out(struct ipset_session *s, void *p, const char *fmt, ...)
{
	(void)s;
	(void)p;
	(void)fmt;
	return 0;
}

/* libipset's text paths: the whole text as one stream, or line by line */
static double lib_text(const char *text, size_t len, bool stream)
{
	struct ipset *is = ipset_init();
	double t0 = now();
	char *copy = strdup(text), *line, *save = NULL;
	FILE *f;
	int r = 0;

	ipset_custom_printf(is, NULL, NULL, quiet_out, NULL);
	if (stream) {
		f = fmemopen(copy, len, "r");
		r = ipset_parse_stream(is, f);
		fclose(f);
	} else {
		for (line = strtok_r(copy, "\n", &save); line && !r;
		     line = strtok_r(NULL, "\n", &save))
			r = ipset_parse_line(is, line);
	}
	t0 = now() - t0;
	if (r)
		fprintf(stderr, "libipset %s: %s\n", stream ? "stream" : "line",
			ipset_session_report_msg(ipset_session(is)));
	ipset_fini(is);
	free(copy);
	return r ? -1 : t0;
}

static double cmd_restore(const char *text, size_t len)
{
	double t0 = now();
	FILE *p = popen("ipset restore", "w");

	if (!p || fwrite(text, 1, len, p) != len)
		return -1;
	return pclose(p) == 0 ? now() - t0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, int reps, size_t n)
{
	qsort(t, reps, sizeof(*t), cmp_double);
	printf("%-34s median %7.1f ms  %9.0f entries/s  (min %.1f max %.1f)\n",
	       what, t[reps / 2] * 1e3, n / t[reps / 2], t[0] * 1e3,
	       t[reps - 1] * 1e3);
}

static int cmd_bench(const char *fam, const char *count, const char *reps_s)
{
	int family = family_arg(fam), reps = atoi(reps_s), i, k;
	size_t n = strtoul(count, NULL, 10), len, j;
	struct sets_member *m = calloc(n, sizeof(*m));
	struct sets_ctx *c = open_ctx("snapnet-");
	char name[32];
	struct sets_sync_stats st = { 0 };
	double t[6][64];
	char *text;
	int r = 0;

	if (reps < 1 || reps > 64 || !m)
		return 2;
	for (j = 0; j < n; j++)
		bench_member(family, j, &m[j]);
	for (i = 0; i < reps && !r; i++) {
		double t0 = now();

		snprintf(name, sizeof(name), "snapnet-bench-%d", i & 63);
		/* create + fill: the first fill of a set */
		r = sets_replace(c, name, SETS_HASH_IP, family, m, n, err,
				 sizeof(err));
		t[0][i] = now() - t0;
		/* temporary + swap + destroy: a replace of a live set */
		t0 = now();
		r = r ? r
		      : sets_replace(c, name, SETS_HASH_IP, family, m, n, err,
				     sizeof(err));
		t[1][i] = now() - t0;
		/* drift check of an unchanged set: list, diff, nothing */
		t0 = now();
		r = r ? r
		      : sets_sync(c, name, SETS_HASH_IP, family, m, n, &st, err,
				  sizeof(err));
		t[5][i] = now() - t0;
		if (!r && (st.added || st.deleted || st.replaced))
			r = -EPROTO;
		r = r ? r : sets_destroy(c, name, err, sizeof(err));
		for (k = 0; k < 3 && !r; k++) {
			/* a new name each time: libipset's text paths keep a
			 * process-wide cache of the sets they created */
			snprintf(name, sizeof(name), "snapnet-bench-%d-%d",
				 i & 63, k & 3);
			text = restore_text(family, m, n, name, k == 1, &len);
			t[2 + k][i] = k < 2 ? lib_text(text, len, true)
					    : cmd_restore(text, len);
			free(text);
			if (t[2 + k][i] < 0)
				r = -EIO;
			r = r ? r : sets_destroy(c, name, err, sizeof(err));
		}
	}
	if (!r) {
		printf("IPv%s, %zu hash:ip members, %d runs\n", fam, n, reps);
		report("sets_replace, new set", t[0], reps, n);
		report("sets_replace, temp+swap+destroy", t[1], reps, n);
		report("ipset_parse_stream", t[2], reps, n);
		report("ipset_parse_stream, hashsize n/2", t[3], reps, n);
		report("`ipset restore`", t[4], reps, n);
		report("sets_sync, unchanged set", t[5], reps, n);
		snprintf(name, sizeof(name), "snapnet-bench-line");
		text = restore_text(family, m, n / 10, name, false, &len);
		t[0][0] = lib_text(text, len, false);
		free(text);
		if (t[0][0] > 0)
			report("ipset_parse_line (n/10 members)", t[0], 1,
			       n / 10);
		sets_destroy(c, name, err, sizeof(err));
	}
	sets_close(c);
	free(m);
	return r ? die("bench", r) : 0;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	if (!strcmp(c, "detect") && argc == 3)
		return cmd_detect(argv[2]);
	if (!strcmp(c, "apply") && argc == 5)
		return cmd_apply(argv[2], argv[3], argv[4]);
	if (!strcmp(c, "cleanup") && argc == 5)
		return cmd_cleanup(argv[2], argv[3], argv[4]);
	if (!strcmp(c, "sets-name") && argc == 6)
		return cmd_sets_name(argv);
	if ((!strcmp(c, "sets-sync") || !strcmp(c, "sets-replace") ||
	     !strcmp(c, "sets-add") || !strcmp(c, "sets-del") ||
	     !strcmp(c, "sets-refill-unsafe")) &&
	    argc == 7)
		return cmd_sets_change(argv);
	if (!strcmp(c, "sets-list") && argc == 3)
		return cmd_sets_list(argv[2]);
	if (!strcmp(c, "sets-members") && argc == 4)
		return cmd_sets_members(argv[2], argv[3]);
	if (!strcmp(c, "sets-destroy") && argc == 4)
		return cmd_sets_destroy(argv[2], argv[3]);
	if (!strcmp(c, "sets-cleanup") && argc == 3)
		return cmd_sets_destroy(argv[2], NULL);
	if (!strcmp(c, "bench") && argc == 5)
		return cmd_bench(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: see the comment at the top of %s\n", __FILE__);
	return 2;
}
