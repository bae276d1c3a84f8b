/*
 * snapshot.c - loads a kubectl `List` JSON file into struct snapshot.
 *
 * The document is never one json-c tree (at scale that is 2.4 GB for a
 * 116 MB file). Instead:
 *   1. the file is mmap'd read-only and hashed (XXH3-64) in chunks; when
 *      hash and size equal the previous snapshot's, nothing else happens;
 *   2. the scanner (scan.c) validates the whole document and walks the
 *      envelope {"kind": "List", "items": [...]}, yielding each item's
 *      byte range and its top-level "kind";
 *   3. each item goes to snapshot_item.c: the kinds of the model
 *      (snapshot_kinds.h) become records read straight off the scanner's
 *      tokens, reused from the previous snapshot when the item's bytes
 *      are unchanged; other kinds are only syntax-checked and counted;
 *   4. snapshot_index.c sorts the records, refuses duplicates, checks
 *      the rules across nodes and builds the lookups.
 * Pages already consumed are dropped (MADV_DONTNEED) in large chunks, so
 * peak RSS is a window of the file plus the compact model, not the file.
 *
 * Invariants: a snapshot is returned whole or not at all; on error every
 * allocation is undone and `err` holds one line:
 *   FILE: items[I] Kind/NAME: FIELD: what     (content errors)
 *   FILE: line L, offset O: what              (syntax errors)
 * A syntax error anywhere outranks a content error found before it (the
 * rest of the file is syntax-checked before a content error is reported),
 * so snapnet and any JSON tool agree on what is wrong with a broken file.
 * The exporter is expected to rename a new file into place. A file
 * truncated in place while mapped raises SIGBUS: hash and parse run under
 * snapshot_guard_run(), which turns that into -EAGAIN, and the file is
 * fstat'd again after the load to catch a change the mapping did not
 * fault on. Either way: "FILE: changed while loading (truncated by a
 * writer?); keeping the last good snapshot". Only the scanner and the
 * hashes touch the mapping, and every allocation alive at those moments
 * hangs off struct load (the reader's record, the build's entries, the
 * store's strings), so an abandoned load is freed whole.
 */
#define _GNU_SOURCE
#include "snapshot/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "lib/scan.h"
#include "snapshot/snapshot_int.h"
#include "lib/util.h"

#define DROP_CHUNK ((size_t)8 << 20) /* give back pages every 8 MB */
#define KIND_MAX 64

struct load {
	const char *name;
	const struct snap_limits *lim;
	struct scan sc;
	struct snap_build b;
	struct item_reader ir;
	struct snapshot_counts counts;
	char *map;	/* the mapping, NULL when reading memory */
	size_t dropped; /* bytes of map already given back */
	long item; /* index being scanned, -1 outside items */
	bool saw_items, saw_kind;
	bool syntax_failed; /* err holds a syntax error */
	char *err;
	size_t errlen;
};

void snapshot_limits_default(struct snap_limits *l)
{
	l->max_bytes = (size_t)4 << 30;
	l->max_items = 4000000;
	l->max_nodes = 50000;
	l->max_item_bytes = 16 << 20;
}

/* Syntax error recorded by the scanner -> "FILE: line L, offset O: what" */
static int syntax_err(struct load *ld)
{
	char where[48] = "";

	ld->syntax_failed = true;
	if (ld->item >= 0)
		snprintf(where, sizeof(where), " (in items[%ld])", ld->item);
	return errf(ld->err, ld->errlen, EINVAL,
		    "%s: line %zu, offset %zu: %s%s", ld->name,
		    scan_line(&ld->sc, ld->sc.err_pos), ld->sc.err_pos,
		    ld->sc.err, where);
}

static void drop_behind(struct load *ld, size_t pos)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), upto;

	if (!ld->map || pos - ld->dropped < DROP_CHUNK)
		return;
	upto = pos & ~(page - 1);
	if (upto > ld->dropped)
		madvise(ld->map + ld->dropped, upto - ld->dropped,
			MADV_DONTNEED);
	ld->dropped = upto;
}

/*
 * A value of the wrong JSON type where the envelope or an item needs a
 * specific one: validate it first, so a syntax error wins (as it does for
 * any JSON parser), then report the type.
 */
static int wrong_type(struct load *ld, unsigned depth, const char *where,
		      const char *want)
{
	int c = scan_peek(&ld->sc);

	if (scan_value(&ld->sc, depth) < 0)
		return syntax_err(ld);
	return errf(ld->err, ld->errlen, EINVAL, "%s: %s: expected %s, got %s",
		    ld->name, where, want, scan_type_name(c));
}

/* After a member or element: 0 on ',', 1 on `close`, else a syntax error. */
static int next_or_close(struct load *ld, char close)
{
	int r = scan_next(&ld->sc, close);

	return r < 0 ? syntax_err(ld) : r;
}

/* `"key":` with the scanner's own wording for what is missing. */
static int object_key(struct scan *sc, struct scan_str *key)
{
	int c = scan_peek(sc);

	if (c != '"')
		return c == -1
			   ? scan_fail(sc, sc->len, "unexpected end of input")
			   : scan_fail(sc, sc->pos,
				       "expected a string as object key");
	if (scan_string(sc, key) < 0)
		return -EINVAL;
	return scan_expect(sc, ':', "':' after object key");
}

static int items_walk(struct load *ld)
{
	struct scan *sc = &ld->sc;
	size_t start;
	int c, r;

	if (scan_peek(sc) != '[')
		return wrong_type(ld, 1, "items", "array");
	sc->pos++;
	if (scan_peek(sc) == ']') {
		sc->pos++;
		return 0;
	}
	for (;;) {
		ld->item = (long)ld->counts.items;
		if (ld->counts.items >= ld->lim->max_items)
			return errf(
			    ld->err, ld->errlen, E2BIG,
			    "%s: items: more than %zu items (max_items)",
			    ld->name, ld->lim->max_items);
		c = scan_peek(sc);
		if (c != '{') {
			char where[32];

			snprintf(where, sizeof(where), "items[%ld]", ld->item);
			return wrong_type(ld, 2, where, "object");
		}
		start = sc->pos;
		r = snapshot_item_read(&ld->ir, sc, (size_t)ld->item);
		if (r < 0)
			return ld->ir.syntax ? syntax_err(ld) : r;
		ld->counts.items++;
		drop_behind(ld, start);
		c = next_or_close(ld, ']');
		if (c < 0)
			return c;
		if (c)
			break;
	}
	ld->item = -1;
	return 0;
}

static int envelope_member(struct load *ld)
{
	struct scan *sc = &ld->sc;
	struct scan_str key, val;
	char kind[KIND_MAX], q[96];

	if (object_key(sc, &key) < 0)
		return syntax_err(ld);
	if (scan_str_eq(&key, "items")) {
		if (ld->saw_items)
			return errf(ld->err, ld->errlen, EINVAL,
				    "%s: items: appears twice", ld->name);
		ld->saw_items = true;
		return items_walk(ld);
	}
	if (!scan_str_eq(&key, "kind"))
		return scan_value(sc, 1) < 0 ? syntax_err(ld) : 0;
	if (scan_peek(sc) != '"')
		return wrong_type(ld, 1, "kind", "string");
	if (scan_string(sc, &val) < 0)
		return syntax_err(ld);
	if (!scan_str_eq(&val, "List")) {
		int n = scan_str_decode(&val, kind, sizeof(kind));

		return errf(
		    ld->err, ld->errlen, EINVAL,
		    "%s: kind: expected \"List\" (the output of "
		    "kubectl get -o json), got %s",
		    ld->name,
		    n < 0 ? "a long string"
			  : snapshot_quote(q, sizeof(q), kind, (size_t)n));
	}
	ld->saw_kind = true;
	return 0;
}

/* RFC 8259 section 8.1 lets a parser ignore a UTF-8 byte order mark,
 * and editors on Windows write one: it is skipped (scan_start()). JSON
 * in UTF-16 or UTF-32 is not JSON a Kubernetes tool writes: named. */
static const char *foreign_bom(const struct scan *sc)
{
	const unsigned char *b = (const unsigned char *)sc->buf;

	if (sc->len >= 4 && !memcmp(b, "\0\0\xfe\xff", 4))
		return "UTF-32 (big endian)";
	if (sc->len >= 4 && !memcmp(b, "\xff\xfe\0\0", 4))
		return "UTF-32 (little endian)";
	if (sc->len >= 2 && (!memcmp(b, "\xff\xfe", 2) ||
			     !memcmp(b, "\xfe\xff", 2)))
		return "UTF-16";
	return NULL;
}

static void scan_start(struct scan *sc)
{
	if (sc->len >= 3 && !memcmp(sc->buf, "\xef\xbb\xbf", 3))
		sc->pos = 3;
}

static int envelope_walk(struct load *ld)
{
	struct scan *sc = &ld->sc;
	const char *bom = foreign_bom(sc);
	int c, r;

	if (bom)
		return errf(ld->err, ld->errlen, EINVAL,
			    "%s: starts with a %s byte order mark: a snapshot "
			    "must be UTF-8 JSON (a UTF-8 byte order mark is "
			    "allowed)",
			    ld->name, bom);
	c = scan_peek(sc);
	if (c == -1) {
		scan_fail(sc, 0, "empty document");
		return syntax_err(ld);
	}
	if (c != '{')
		return wrong_type(ld, 0, "top level",
				  "object (a kubectl List)");
	sc->pos++;
	if (scan_peek(sc) == '}') {
		sc->pos++;
	} else {
		do {
			r = envelope_member(ld);
			if (r == 0)
				r = next_or_close(ld, '}');
			if (r < 0)
				return r;
		} while (r == 0);
	}
	if (scan_peek(sc) != -1) {
		scan_fail(sc, sc->pos, "unexpected data after the document");
		return syntax_err(ld);
	}
	if (!ld->saw_kind)
		return errf(ld->err, ld->errlen, EINVAL,
			    "%s: kind: missing (expected \"List\")", ld->name);
	if (!ld->saw_items)
		return errf(ld->err, ld->errlen, EINVAL, "%s: items: missing",
			    ld->name);
	if (ld->counts.items == 0)
		return errf(ld->err, ld->errlen, EINVAL,
			    "%s: items: empty list", ld->name);
	return 0;
}

/* Syntax only, element by element, giving pages back as it goes. */
static int syntax_array(struct load *ld, unsigned depth)
{
	struct scan *sc = &ld->sc;
	int r = 0;

	sc->pos++; /* '[' */
	if (scan_peek(sc) == ']') {
		sc->pos++;
		return 0;
	}
	while (r == 0) {
		if (scan_value(sc, depth + 1) < 0)
			return syntax_err(ld);
		drop_behind(ld, sc->pos);
		r = next_or_close(ld, ']');
	}
	return r < 0 ? r : 0;
}

/*
 * A content error stops the walk early, but a syntax error further on
 * outranks it (every JSON tool would report that first): check the whole
 * document's syntax before reporting the content error. Arrays in the top
 * object (`items`) are walked element by element so that RSS stays low.
 */
static int syntax_first(struct load *ld, int r)
{
	struct scan *sc = &ld->sc;
	struct scan_str key;
	int s = 0;

	if (r == -ENOMEM || ld->syntax_failed || foreign_bom(sc))
		return r;
	scan_init(sc, sc->buf, sc->len, SCAN_MAX_DEPTH);
	scan_start(sc);
	ld->item = -1;
	ld->dropped = 0;
	if (scan_peek(sc) != '{') {
		s = scan_value(sc, 0) < 0 ? syntax_err(ld) : 0;
	} else {
		sc->pos++;
		if (scan_peek(sc) == '}') {
			sc->pos++;
			s = 1;
		}
		while (s == 0) {
			if (object_key(sc, &key) < 0)
				return syntax_err(ld);
			if (scan_peek(sc) == '[')
				s = syntax_array(ld, 1);
			else if (scan_value(sc, 1) < 0)
				s = syntax_err(ld);
			if (s == 0)
				s = next_or_close(ld, '}');
		}
	}
	if (s < 0)
		return s;
	if (scan_peek(sc) != -1) {
		scan_fail(sc, sc->pos, "unexpected data after the document");
		return syntax_err(ld);
	}
	return r;
}

static int build_result(struct load *ld, uint64_t hash, struct snapshot **out)
{
	struct snapshot *s = calloc(1, sizeof(*s));
	int r;

	if (!s || !(s->path = strdup(ld->name))) {
		free(s);
		return errf(ld->err, ld->errlen, ENOMEM, "%s: %s", ld->name,
			    strerror(ENOMEM));
	}
	s->store = ld->b.store;
	snapshot_store_ref(s->store);
	s->hash = hash;
	s->size = ld->sc.len;
	s->counts = ld->counts;
	/* the references move from the build to the snapshot */
	r = snapshot_index_build(&ld->b, s);
	if (r < 0) {
		snapshot_free(s);
		return r;
	}
	*out = s;
	return 0;
}

/* The previous snapshot lends its store (so unchanged records and
 * their strings are shared) and its records by hash. */
static int load_init(struct load *ld, const char *buf, size_t len, char *map,
		     const char *name, const struct snap_limits *lim,
		     const struct snapshot *prev, char *err, size_t errlen)
{
	static uint32_t gen;

	*ld = (struct load){
		.name = name,
		.lim = lim,
		.map = map,
		.item = -1,
		.err = err,
		.errlen = errlen,
	};
	ld->b = (struct snap_build){ .name = name, .prev = prev,
				     .gen = ++gen ? gen : ++gen,
				     .err = err, .errlen = errlen };
	if (prev) {
		ld->b.store = prev->store;
		snapshot_store_ref(prev->store);
	} else {
		ld->b.store = snapshot_store_new();
	}
	ld->ir = (struct item_reader){ .name = name, .lim = lim, .b = &ld->b,
				       .prev = prev, .counts = &ld->counts,
				       .err = err, .errlen = errlen };
	/* no byte of buf is read here: the mapping is only safe to touch
	 * under the SIGBUS guard (load_run) */
	scan_init(&ld->sc, buf, len, SCAN_MAX_DEPTH);
	if (!ld->b.store)
		return errf(err, errlen, ENOMEM, "%s: %s", name,
			    strerror(ENOMEM));
	return 0;
}

/* Everything that reads the document; *out is set only on success. */
static int load_run(struct load *ld, uint64_t hash, struct snapshot **out)
{
	int r;

	scan_start(&ld->sc);
	r = envelope_walk(ld);

	if (r < 0)
		r = syntax_first(ld, r);
	if (r == 0)
		r = build_result(ld, hash, out);
	return r;
}

static void load_done(struct load *ld)
{
	snapshot_item_drop(&ld->ir);
	snapshot_build_clear(&ld->b);
	rec_index_free(ld->ir.ix);
	ld->ir.ix = NULL;
	snapshot_store_unref(ld->b.store);
	ld->b.store = NULL;
}

int snapshot_parse_prev(const char *buf, size_t len, const char *name,
			const struct snap_limits *lim,
			const struct snapshot *prev, struct snapshot **out,
			char *err, size_t errlen)
{
	struct snap_limits def;
	struct load ld;
	int r;

	*out = NULL;
	if (!lim) {
		snapshot_limits_default(&def);
		lim = &def;
	}
	r = load_init(&ld, buf, len, NULL, name, lim, prev, err, errlen);
	if (r == 0)
		r = load_run(&ld, XXH3_64bits(buf, len), out);
	load_done(&ld);
	return r;
}

int snapshot_parse(const char *buf, size_t len, const char *name,
		   const struct snap_limits *lim, struct snapshot **out,
		   char *err, size_t errlen)
{
	return snapshot_parse_prev(buf, len, name, lim, NULL, out, err,
				   errlen);
}

static int changed_err(const char *name, char *err, size_t errlen)
{
	return errf(err, errlen, EAGAIN,
		    "%s: changed while loading (truncated by a writer?); "
		    "keeping the last good snapshot",
		    name);
}

struct hash_job {
	char *map;
	size_t size;
	XXH3_state_t *st;
};

/* XXH3 over the mapping in chunks, giving pages back behind us. */
static int hash_chunks(void *arg)
{
	struct hash_job *j = arg;

	for (size_t o = 0; o < j->size; o += DROP_CHUNK) {
		size_t n = j->size - o < DROP_CHUNK ? j->size - o : DROP_CHUNK;

		XXH3_64bits_update(j->st, j->map + o, n);
		/* o is a multiple of DROP_CHUNK, so page-aligned */
		madvise(j->map + o, n, MADV_DONTNEED);
	}
	return 0;
}

int snapshot_hash_map(const char *name, char *map, size_t size, uint64_t *hash,
		      char *err, size_t errlen)
{
	struct hash_job j = { .map = map, .size = size };
	int r;

	j.st = XXH3_createState();
	if (!j.st)
		return errf(err, errlen, ENOMEM, "%s: %s", name,
			    strerror(ENOMEM));
	XXH3_64bits_reset(j.st);
	r = snapshot_guard_run(map, size, hash_chunks, &j);
	if (r == 0)
		*hash = XXH3_64bits_digest(j.st);
	XXH3_freeState(j.st);
	if (r == -EAGAIN)
		return changed_err(name, err, errlen);
	if (r < 0)
		return errf(err, errlen, -r, "%s: %s", name, strerror(-r));
	return 0;
}

struct parse_job {
	struct load ld;
	uint64_t hash;
	struct snapshot *out;
};

static int parse_body(void *arg)
{
	struct parse_job *j = arg;

	return load_run(&j->ld, j->hash, &j->out);
}

int snapshot_parse_map(const char *name, char *map, size_t size, uint64_t hash,
		       const struct snap_limits *lim,
		       const struct snapshot *prev, struct snapshot **out,
		       char *err, size_t errlen)
{
	struct snap_limits def;
	struct parse_job j = { .hash = hash };
	int r;

	*out = NULL;
	if (!lim) {
		snapshot_limits_default(&def);
		lim = &def;
	}
	r = load_init(&j.ld, map, size, map, name, lim, prev, err, errlen);
	if (r == 0)
		r = snapshot_guard_run(map, size, parse_body, &j);
	if (r == -EAGAIN) {
		/* the fault abandoned parse_body: nothing was returned */
		snapshot_free(j.out);
		j.out = NULL;
		r = changed_err(name, err, errlen);
	} else if (r == -EBUSY) {
		r = errf(err, errlen, EBUSY, "%s: another load is running",
			 name);
	}
	load_done(&j.ld);
	*out = j.out;
	return r;
}

/* Opens path and checks what fstat says; returns the fd. O_NONBLOCK: a
 * FIFO planted at the snapshot path must not block the daemon (signals
 * are only read in its main loop); fstat then refuses it. */
static int open_checked(const char *path, const struct snap_limits *lim,
			struct stat *st, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return errf(err, errlen, errno, "%s: %s", path,
			    strerror(errno));
	if (fstat(fd, st) < 0) {
		int e = errno;

		close(fd);
		return errf(err, errlen, e, "%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return errf(err, errlen, EINVAL, "%s: not a regular file",
			    path);
	}
	if ((uint64_t)st->st_size > lim->max_bytes) {
		close(fd);
		return errf(
		    err, errlen, EFBIG,
		    "%s: file is %lld bytes, more "
		    "than the limit of %zu ([agent] max_snapshot_bytes)",
		    path, (long long)st->st_size, lim->max_bytes);
	}
	return fd;
}

/* A writer that truncated, extended or rewrote the file while we read it
 * may have left us a mix of old and new bytes that did not fault. */
static bool file_changed(int fd, const struct stat *before)
{
	struct stat now;

	if (fstat(fd, &now) < 0)
		return true;
	return now.st_size != before->st_size ||
	       now.st_mtim.tv_sec != before->st_mtim.tv_sec ||
	       now.st_mtim.tv_nsec != before->st_mtim.tv_nsec;
}

static int load_mapped(const char *path, int fd, size_t size,
		       const struct snap_limits *lim,
		       const struct snapshot *prev, struct snapshot **out,
		       char *err, size_t errlen)
{
	uint64_t hash;
	char *map;
	int r;

	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		r = errno;
		return errf(err, errlen, r, "%s: mmap: %s", path, strerror(r));
	}
	madvise(map, size, MADV_SEQUENTIAL);
	r = snapshot_hash_map(path, map, size, &hash, err, errlen);
	if (r == 0 && prev && prev->hash == hash && prev->size == size)
		r = 1;
	else if (r == 0)
		r = snapshot_parse_map(path, map, size, hash, lim, prev, out,
				       err, errlen);
	munmap(map, size);
	return r;
}

int snapshot_load(const char *path, const struct snap_limits *lim,
		  const struct snapshot *prev, struct snapshot **out, char *err,
		  size_t errlen)
{
	struct snap_limits def;
	struct stat st;
	int fd, r;

	*out = NULL;
	if (!lim) {
		snapshot_limits_default(&def);
		lim = &def;
	}
	fd = open_checked(path, lim, &st, err, errlen);
	if (fd < 0)
		return fd;
	if (st.st_size == 0) {
		close(fd);
		if (prev && prev->size == 0 && prev->hash == XXH3_64bits("", 0))
			return 1;
		return snapshot_parse("", 0, path, lim, out, err, errlen);
	}
	r = load_mapped(path, fd, (size_t)st.st_size, lim, prev, out, err,
			errlen);
	if (r != -EAGAIN && file_changed(fd, &st)) {
		snapshot_free(*out);
		*out = NULL;
		r = changed_err(path, err, errlen);
	}
	close(fd);
	return r;
}

void snapshot_free(struct snapshot *s)
{
	if (!s)
		return;
	snapshot_index_free(s);
	snapshot_store_unref(s->store);
	free(s->path);
	free(s);
}
