/*
 * snapshot_test.h - what the snapshot loader's unit tests share: JSON
 * builders for Lists and Node items, and parse()/reject() that check a
 * document loads, or is rejected whole with the given error fragments.
 * Include after cmocka.h, snapshot.h and util.h.
 */
#ifndef SNAPNET_SNAPSHOT_TEST_H
#define SNAPNET_SNAPSHOT_TEST_H

#define NAME "t.json"

/* JSON text joined with commas: JOIN("1", "2") is "1" "," "2". */
#define J1(a) a
#define J2(a, ...) a "," J1(__VA_ARGS__)
#define J3(a, ...) a "," J2(__VA_ARGS__)
#define J4(a, ...) a "," J3(__VA_ARGS__)
#define J5(a, ...) a "," J4(__VA_ARGS__)
#define J6(a, ...) a "," J5(__VA_ARGS__)
#define J7(a, ...) a "," J6(__VA_ARGS__)
#define J8(a, ...) a "," J7(__VA_ARGS__)
#define J9(a, ...) a "," J8(__VA_ARGS__)
#define J10(a, ...) a "," J9(__VA_ARGS__)
#define JPICK(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, j, ...) j
#define JOIN(...)                                                              \
	JPICK(__VA_ARGS__, J10, J9, J8, J7, J6, J5, J4, J3, J2, J1)(__VA_ARGS__)

/* A Node item: name, then spec and status members (JSON text or ""). */
#define NODE(name, rest)                                                       \
	"{\"kind\":\"Node\",\"metadata\":{\"name\":\"" name "\"}" rest "}"
#define CIDRS(list) ",\"spec\":{\"podCIDRs\":[" list "]}"
#define ADDRS(...) ",\"status\":{\"addresses\":[" JOIN(__VA_ARGS__) "]}"
#define IIP(a) "{\"type\":\"InternalIP\",\"address\":\"" a "\"}"
#define LIST(...)                                                              \
	"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[" JOIN(           \
	    __VA_ARGS__) "]}"
#define POD                                                                    \
	"{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"d\"}}"

static char err[ERRLEN];

static inline struct snapshot *parse_lim(const char *doc,
					 const struct snap_limits *l)
{
	struct snapshot *s = (void *)1;
	int r = snapshot_parse(doc, strlen(doc), NAME, l, &s, err, sizeof(err));

	if (r != 0)
		fail_msg("rejected: %s", err);
	assert_non_null(s);
	return s;
}

static inline struct snapshot *parse(const char *doc)
{
	return parse_lim(doc, NULL);
}

/* Must be rejected whole, with every fragment in the error text. */
static inline void reject_lim(const char *doc, const struct snap_limits *l, ...)
{
	struct snapshot *s = (void *)1;
	const char *frag;
	va_list ap;
	int r;

	err[0] = '\0';
	r = snapshot_parse(doc, strlen(doc), NAME, l, &s, err, sizeof(err));
	if (r >= 0) {
		if (r == 0)
			snapshot_free(s);
		fail_msg("accepted: %s", doc);
	}
	assert_null(s);
	assert_null(strchr(err, '\n'));
	va_start(ap, l);
	while ((frag = va_arg(ap, const char *)))
		if (!strstr(err, frag))
			fail_msg("error \"%s\" lacks \"%s\"", err, frag);
	va_end(ap);
}

#define reject(doc, ...) reject_lim(doc, NULL, __VA_ARGS__, NULL)

#endif
