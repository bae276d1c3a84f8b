/*
 * test_router_ctl.c - the BIRD control-socket client against replies
 * captured from a real BIRD 2.0.12 (bird -f in a network namespace, its
 * socket read raw): framing in any chunking, continuation and spontaneous
 * lines, error classes, bounds, garbage, `show protocols [all]` parsing,
 * and the connection against a scripted fake server (no root needed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "router/router_ctl.h"

/* --- golden replies, byte for byte as BIRD 2.0.12 sent them --------------- */

static const char GREETING[] = "0001 BIRD 2.0.12 ready.\n";

static const char SHOW_PROTOCOLS[] =
    "2002-Name       Proto      Table      State  Since         Info\n"
    "1002-device1    Device     ---        up     22:36:17.817  \n"
    " snapnet4   Static     master4    up     22:36:17.817  \n"
    " snapnet6   Static     master6    up     22:36:17.817  \n"
    " tor        BGP        ---        up     22:36:18.647  Established   \n"
    " tor4       BGP        ---        up     22:36:18.776  Established   \n"
    " down4      BGP        ---        start  22:36:17.817  Connect       "
    "Socket: No route to host\n"
    "0000 \n";

/* `timeformat protocol iso long;`: "since" holds a blank */
static const char SHOW_PROTOCOLS_ISO_LONG[] =
    "2002-Name       Proto      Table      State  Since         Info\n"
    "1002-device1    Device     ---        up     2026-12-01 22:39:38  \n"
    " snapnet4   Static     master4    up     2026-12-01 22:39:38  \n"
    " snapnet6   Static     master6    up     2026-12-01 22:39:38  \n"
    " tor4       BGP        ---        up     2026-12-01 22:39:39  Established "
    "  \n"
    "0000 \n";

/* one IPv6 session carrying both families */
static const char SHOW_PROTOCOLS_ALL_TOR[] =
    "2002-Name       Proto      Table      State  Since         Info\n"
    "1002-tor        BGP        ---        up     22:36:18.647  Established   "
    "\n"
    "1006-  BGP state:          Established\n"
    "     Neighbor address: fd00:10::2\n"
    "     Neighbor AS:      65000\n"
    "     Local AS:         65001\n"
    "     Neighbor ID:      10.0.0.2\n"
    "     Local capabilities\n"
    "       Multiprotocol\n"
    "         AF announced: ipv4 ipv6\n"
    "       Route refresh\n"
    "       Graceful restart\n"
    "       4-octet AS numbers\n"
    "       Enhanced refresh\n"
    "       Long-lived graceful restart\n"
    "     Neighbor capabilities\n"
    "       Multiprotocol\n"
    "         AF announced: ipv4 ipv6\n"
    "       Route refresh\n"
    "       Extended next hop\n"
    "         IPv6 nexthop: ipv4\n"
    "       4-octet AS numbers\n"
    "       Hostname: vm\n"
    "     Session:          external AS4\n"
    "     Source address:   fd00:10::1\n"
    "     Hold timer:       67.695/90\n"
    "     Keepalive timer:  21.081/30\n"
    "   Channel ipv4\n"
    "     State:          UP\n"
    "     Table:          master4\n"
    "     Preference:     100\n"
    "     Input filter:   REJECT\n"
    "     Output filter:  snapnet_export\n"
    "     Routes:         0 imported, 2 exported, 0 preferred\n"
    "     Route change stats:     received   rejected   filtered    ignored   "
    "accepted\n"
    "       Import updates:              1          0          1          0    "
    "      0\n"
    "       Import withdraws:            0          0        ---          0    "
    "      0\n"
    "       Export updates:              2          0          0        ---    "
    "      2\n"
    "       Export withdraws:            0        ---        ---        ---    "
    "      0\n"
    "     BGP Next hop:   10.0.0.1\n"
    "   Channel ipv6\n"
    "     State:          UP\n"
    "     Table:          master6\n"
    "     Preference:     100\n"
    "     Input filter:   REJECT\n"
    "     Output filter:  snapnet_export\n"
    "     Routes:         0 imported, 2 exported, 0 preferred\n"
    "     Route change stats:     received   rejected   filtered    ignored   "
    "accepted\n"
    "       Import updates:              0          0          0          0    "
    "      0\n"
    "       Import withdraws:            0          0        ---          0    "
    "      0\n"
    "       Export updates:              2          0          0        ---    "
    "      2\n"
    "       Export withdraws:            0        ---        ---        ---    "
    "      0\n"
    "     BGP Next hop:   fd00:10::1 fe80::f4a6:1aff:fed3:14d2\n"
    " \n"
    "0000 \n";

static const char SHOW_PROTOCOLS_ALL_DOWN4[] =
    "2002-Name       Proto      Table      State  Since         Info\n"
    "1002-down4      BGP        ---        start  22:36:17.817  Connect       "
    "Socket: No route to host\n"
    "1006-  BGP state:          Connect\n"
    "     Neighbor address: 10.0.0.9\n"
    "     Neighbor AS:      65000\n"
    "     Local AS:         65001\n"
    "     Last error:       Socket: No route to host\n"
    "   Channel ipv4\n"
    "     State:          DOWN\n"
    "     Table:          master4\n"
    "     Preference:     100\n"
    "     Input filter:   REJECT\n"
    "     Output filter:  snapnet_export\n"
    " \n"
    "0000 \n";

/* import keep filtered on: a fourth count */
static const char SHOW_PROTOCOLS_ALL_FILTERED[] =
    "2002-Name       Proto      Table      State  Since         Info\n"
    "1002-tor4       BGP        ---        up     2026-12-01 22:39:39  "
    "Established   \n"
    "1006-  BGP state:          Established\n"
    "     Neighbor address: 10.0.0.2\n"
    "   Channel ipv4\n"
    "     State:          UP\n"
    "     Input filter:   (unnamed)\n"
    "     Routes:         0 imported, 2 filtered, 2 exported, 0 preferred\n"
    "     BGP Next hop:   10.0.0.1\n"
    " \n"
    "0000 \n";

static const char SHOW_PROTOCOLS_ALL_STATIC[] =
    "2002-Name       Proto      Table      State  Since         Info\n"
    "1002-st4        Static     master4    up     22:20:50.174  \n"
    "1006-  Channel ipv4\n"
    "     State:          UP\n"
    "     Table:          master4\n"
    "     Preference:     200\n"
    "     Input filter:   ACCEPT\n"
    "     Output filter:  REJECT\n"
    "     Routes:         2 imported, 0 exported, 2 preferred\n"
    "     Route change stats:     received   rejected   filtered    ignored   "
    "accepted\n"
    "       Import updates:              2          0          0          0    "
    "      2\n"
    "       Import withdraws:            0          0        ---          0    "
    "      0\n"
    "       Export updates:              0          0          0        ---    "
    "      0\n"
    "       Export withdraws:            0        ---        ---        ---    "
    "      0\n"
    " \n"
    "0000 \n";

static const char SHOW_ROUTE_COUNT[] =
    "1007-2 of 2 routes for 2 networks in table master4\n"
    " 2 of 2 routes for 2 networks in table master6\n"
    "0014 Total: 4 of 4 routes for 4 networks in 2 tables\n";

static const char CONFIGURE_CHECK_OK[] =
    "0002-Reading configuration from /tmp/rcap/bird1.conf\n"
    "0020 Configuration OK\n";

static const char CONFIGURE_BAD_FILE[] =
    "0002-Reading configuration from /tmp/rcap/bad.conf\n"
    "8002 /tmp/rcap/bad.conf:5:1 syntax error, unexpected '}', expecting ';' "
    "or '{'\n";

static const char CONFIGURE_IN_PROGRESS[] =
    "0002-Reading configuration from /tmp/proof/run.okQ6j5/cap/bird.conf\n"
    "0004 Reconfiguration in progress\n";

static const char CONFIGURE_TIMEOUT[] =
    "0002-Reading configuration from /tmp/proof/run.okQ6j5/cap/bird.conf\n"
    "0022-Undo scheduled in 30 s\n"
    "0003 Reconfigured\n";

/* after `echo all`: log lines come as '+' lines, here after the reply */
static const char CONFIGURE_THEN_ASYNC[] =
    "0002-Reading configuration from bird1.conf\n"
    "0003 Reconfigured\n"
    "+Reconfiguring\n"
    "+Reconfigured\n";

static const char ASYNC_THEN_STATUS[] =
    "+Disabling protocol st6\n"
    "1000-BIRD 2.0.12\n"
    "1011-Router ID is 10.99.0.1\n"
    " Hostname is vm\n"
    " Current server time is 2026-12-01 22:39:45.343\n"
    " Last reboot on 2026-12-01 22:39:44.696\n"
    " Last reconfiguration on 2026-12-01 22:39:45.341\n"
    "0013 Daemon is up and running\n";

static const char SYNTAX_ERROR[] =
    "9001 syntax error, unexpected CF_SYM_UNDEFINED, expecting END or "
    "CF_SYM_KNOWN or TEXT\n";
static const char NO_PROTOCOLS[] = "8003 No protocols match\n";
static const char NO_ROUTE[] = "8001 Network not found\n";

/* --- helpers -------------------------------------------------------------- */

/* Feeds s in chunks of `chunk` bytes (0: whole) and expects exactly one
 * complete reply consuming all of it. */
static void parse_one(const char *s, size_t chunk, struct router_ctl_reply *r)
{
	struct router_ctl_parser p;
	size_t len = strlen(s), off = 0, n, used;
	char err[256];
	int rc = 0;

	router_ctl_parser_init(&p, 0);
	while (off < len) {
		n = chunk && chunk < len - off ? chunk : len - off;
		rc = router_ctl_parser_feed(&p, s + off, n, &used, r, err,
					    sizeof(err));
		assert_true(rc >= 0);
		assert_int_equal(used, n);
		off += n;
		if (rc == 1)
			break;
	}
	assert_int_equal(rc, 1);
	assert_int_equal(off, len);
	router_ctl_parser_reset(&p);
}

/* Feeds a whole buffer, expecting an error. */
static int parse_err(const char *s, size_t len, char *err, size_t errlen)
{
	struct router_ctl_parser p;
	struct router_ctl_reply r = { 0 };
	size_t used;
	int rc;

	router_ctl_parser_init(&p, 0);
	rc = router_ctl_parser_feed(&p, s, len, &used, &r, err, errlen);
	router_ctl_reply_free(&r);
	router_ctl_parser_reset(&p);
	return rc;
}

static void assert_same_reply(const struct router_ctl_reply *a,
			      const struct router_ctl_reply *b)
{
	size_t i;

	assert_int_equal(a->code, b->code);
	assert_int_equal(a->nlines, b->nlines);
	for (i = 0; i < a->nlines; i++) {
		assert_int_equal(a->lines[i].code, b->lines[i].code);
		assert_int_equal(a->lines[i].len, b->lines[i].len);
		assert_string_equal(a->lines[i].text, b->lines[i].text);
	}
}

/* --- the parser ----------------------------------------------------------- */

static void test_greeting(void **state)
{
	struct router_ctl_reply r;

	(void)state;
	parse_one(GREETING, 0, &r);
	assert_int_equal(r.nlines, 1);
	assert_int_equal(r.code, 1);
	assert_string_equal(r.lines[0].text, "BIRD 2.0.12 ready.");
	assert_int_equal(router_ctl_reply_class(&r), ROUTER_CTL_OK);
	router_ctl_reply_free(&r);
	router_ctl_reply_free(&r); /* zeroed: a second free is harmless */
	router_ctl_reply_free(NULL);
}

static void test_multiline_continuation(void **state)
{
	struct router_ctl_reply r;

	(void)state;
	parse_one(SHOW_PROTOCOLS, 0, &r);
	assert_int_equal(r.nlines, 8);
	assert_int_equal(r.lines[0].code, 2002);
	assert_int_equal(r.lines[1].code, 1002);
	assert_string_equal(
	    r.lines[1].text,
	    "device1    Device     ---        up     22:36:17.817  ");
	/* " snapnet4 ..." continues 1002, with its one blank elided */
	assert_int_equal(r.lines[2].code, 1002);
	assert_string_equal(
	    r.lines[2].text,
	    "snapnet4   Static     master4    up     22:36:17.817  ");
	assert_int_equal(r.lines[6].code, 1002);
	assert_int_equal(r.lines[7].code, 0);
	assert_string_equal(r.lines[7].text, "");
	assert_int_equal(r.code, 0);
	router_ctl_reply_free(&r);

	/* a continuation takes the code of the line before, here 1007 */
	parse_one(SHOW_ROUTE_COUNT, 0, &r);
	assert_int_equal(r.nlines, 3);
	assert_int_equal(r.lines[1].code, 1007);
	assert_string_equal(r.lines[1].text,
			    "2 of 2 routes for 2 networks in table master6");
	assert_int_equal(r.code, 14);
	router_ctl_reply_free(&r);

	/* a "NNNN-" line of another code changes what " " continues */
	parse_one(ASYNC_THEN_STATUS, 0, &r);
	assert_int_equal(r.lines[1].code, 1000);
	assert_int_equal(r.lines[2].code, 1011);
	assert_int_equal(r.lines[3].code, 1011);
	assert_string_equal(r.lines[3].text, "Hostname is vm");
	assert_int_equal(r.code, 13);
	router_ctl_reply_free(&r);
}

/* Every chunking of a reply parses to the same lines. */
static void test_chunking(void **state)
{
	const char *golden[] = { SHOW_PROTOCOLS, SHOW_PROTOCOLS_ALL_TOR,
				 SHOW_ROUTE_COUNT, CONFIGURE_BAD_FILE,
				 ASYNC_THEN_STATUS };
	struct router_ctl_reply whole, part;
	size_t g, chunk;

	(void)state;
	for (g = 0; g < sizeof(golden) / sizeof(golden[0]); g++) {
		parse_one(golden[g], 0, &whole);
		for (chunk = 1; chunk <= 67; chunk++) {
			parse_one(golden[g], chunk, &part);
			assert_same_reply(&whole, &part);
			router_ctl_reply_free(&part);
		}
		router_ctl_reply_free(&whole);
	}
}

/* Two replies in one read: the first stops at its end, the rest stays. */
static void test_two_replies_one_buffer(void **state)
{
	char buf[512];
	struct router_ctl_parser p;
	struct router_ctl_reply a, b;
	size_t used, len;
	char err[128];

	(void)state;
	snprintf(buf, sizeof(buf), "%s%s", GREETING, CONFIGURE_CHECK_OK);
	len = strlen(buf);
	router_ctl_parser_init(&p, 0);
	assert_int_equal(
	    router_ctl_parser_feed(&p, buf, len, &used, &a, err, sizeof(err)),
	    1);
	assert_int_equal(used, strlen(GREETING));
	assert_int_equal(a.code, 1);
	assert_int_equal(router_ctl_parser_feed(&p, buf + used, len - used,
						&used, &b, err, sizeof(err)),
			 1);
	assert_int_equal(b.code, 20);
	assert_string_equal(b.lines[0].text,
			    "Reading configuration from /tmp/rcap/bird1.conf");
	router_ctl_reply_free(&a);
	router_ctl_reply_free(&b);
	router_ctl_parser_reset(&p);
}

/* '+' lines end nothing and do not change what ' ' continues. */
static void test_async_lines(void **state)
{
	struct router_ctl_parser p;
	struct router_ctl_reply a, b;
	size_t used, len = strlen(CONFIGURE_THEN_ASYNC);
	char err[128];
	const char *interleaved = "1007-a\n+log line\n b\n0000 \n";

	(void)state;
	router_ctl_parser_init(&p, 0);
	assert_int_equal(router_ctl_parser_feed(&p, CONFIGURE_THEN_ASYNC, len,
						&used, &a, err, sizeof(err)),
			 1);
	assert_int_equal(a.code, 3);
	/* the '+' lines after it wait for the next reply */
	assert_int_equal(router_ctl_parser_feed(&p, CONFIGURE_THEN_ASYNC + used,
						len - used, &used, &b, err,
						sizeof(err)),
			 0);
	assert_int_equal(router_ctl_parser_feed(&p, "0000 \n", 6, &used, &b,
						err, sizeof(err)),
			 1);
	assert_int_equal(b.nlines, 3);
	assert_int_equal(b.lines[0].code, ROUTER_CTL_ASYNC);
	assert_string_equal(b.lines[0].text, "Reconfiguring");
	assert_int_equal(b.code, 0);
	router_ctl_reply_free(&a);
	router_ctl_reply_free(&b);
	router_ctl_parser_reset(&p);

	parse_one(interleaved, 1, &a);
	assert_int_equal(a.nlines, 4);
	assert_int_equal(a.lines[1].code, ROUTER_CTL_ASYNC);
	assert_int_equal(a.lines[2].code, 1007);
	assert_string_equal(a.lines[2].text, "b");
	router_ctl_reply_free(&a);
}

static void test_error_classes(void **state)
{
	struct router_ctl_reply r;
	char err[256];

	(void)state;
	parse_one(CONFIGURE_BAD_FILE, 0, &r);
	assert_int_equal(r.code, 8002);
	assert_int_equal(router_ctl_reply_class(&r), ROUTER_CTL_RUNTIME_ERROR);
	assert_string_equal(router_ctl_reply_error(&r),
			    "/tmp/rcap/bad.conf:5:1 syntax error, unexpected "
			    "'}', expecting ';' or '{'");
	assert_int_equal(router_ctl_reply_errno(&r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad.conf:5:1"));
	router_ctl_reply_free(&r);

	parse_one(SYNTAX_ERROR, 0, &r);
	assert_int_equal(router_ctl_reply_class(&r), ROUTER_CTL_PARSE_ERROR);
	assert_int_equal(router_ctl_reply_errno(&r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(router_ctl_reply_error(&r), "syntax error"));
	router_ctl_reply_free(&r);

	parse_one(NO_PROTOCOLS, 0, &r);
	assert_int_equal(router_ctl_reply_class(&r), ROUTER_CTL_RUNTIME_ERROR);
	assert_int_equal(router_ctl_reply_errno(&r, err, sizeof(err)), -ENOENT);
	router_ctl_reply_free(&r);

	parse_one(NO_ROUTE, 0, &r);
	assert_int_equal(router_ctl_reply_errno(&r, err, sizeof(err)), -ENOENT);
	router_ctl_reply_free(&r);

	parse_one("8007 Access denied\n", 0, &r);
	assert_int_equal(router_ctl_reply_errno(&r, err, sizeof(err)), -EACCES);
	router_ctl_reply_free(&r);

	parse_one("8004 Stopped due to reconfiguration\n", 0, &r);
	assert_int_equal(router_ctl_reply_errno(&r, err, sizeof(err)), -EIO);
	router_ctl_reply_free(&r);

	/* successes: configure outcomes and a table */
	parse_one(CONFIGURE_IN_PROGRESS, 0, &r);
	assert_int_equal(r.code, 4);
	assert_int_equal(router_ctl_reply_class(&r), ROUTER_CTL_OK);
	assert_null(router_ctl_reply_error(&r));
	assert_int_equal(router_ctl_reply_errno(&r, err, sizeof(err)), 0);
	router_ctl_reply_free(&r);

	parse_one(CONFIGURE_TIMEOUT, 0, &r);
	assert_int_equal(r.code, 3);
	assert_int_equal(r.lines[1].code, 22);
	router_ctl_reply_free(&r);

	parse_one(SHOW_ROUTE_COUNT, 0, &r);
	assert_int_equal(router_ctl_reply_class(&r), ROUTER_CTL_OK);
	router_ctl_reply_free(&r);
}

static void test_garbage(void **state)
{
	const char *bad[] = {
		"HTTP/1.1 400 Bad Request\r\n",
		"12a4 text\n",
		"0001x BIRD\n",
		"0001\n", /* BIRD always writes the separator */
		"001 short\n",
		"\n",
		" continues nothing\n",
		"-001 minus\n",
	};
	struct router_ctl_parser p;
	struct router_ctl_reply r = { 0 };
	char err[256];
	size_t i, used;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(
		    parse_err(bad[i], strlen(bad[i]), err, sizeof(err)),
		    -EPROTO);
		assert_true(err[0] != '\0');
	}
	/* NUL inside a line */
	assert_int_equal(parse_err("0001 BI\0RD\n", 11, err, sizeof(err)),
			 -EPROTO);
	/* a continuation cannot follow the last line of a reply */
	assert_int_equal(parse_err("0000 \n more\n", 12, err, sizeof(err)), 1);
	router_ctl_parser_init(&p, 0);
	assert_int_equal(router_ctl_parser_feed(&p, "0000 \n", 6, &used, &r,
						err, sizeof(err)),
			 1);
	router_ctl_reply_free(&r);
	assert_int_equal(router_ctl_parser_feed(&p, " more\n", 6, &used, &r,
						err, sizeof(err)),
			 -EPROTO);
	/* sticky until reset */
	assert_int_equal(router_ctl_parser_feed(&p, GREETING, strlen(GREETING),
						&used, &r, err, sizeof(err)),
			 -EPROTO);
	router_ctl_parser_reset(&p);
	assert_int_equal(router_ctl_parser_feed(&p, GREETING, strlen(GREETING),
						&used, &r, err, sizeof(err)),
			 1);
	router_ctl_reply_free(&r);
	router_ctl_parser_reset(&p);
}

static void test_line_bound(void **state)
{
	struct router_ctl_parser p;
	struct router_ctl_reply r = { 0 };
	size_t len = ROUTER_CTL_LINE_MAX + 2, used, i;
	char *buf = malloc(len);
	char err[256];

	(void)state;
	assert_non_null(buf);
	/* exactly ROUTER_CTL_LINE_MAX bytes before '\n': accepted */
	memcpy(buf, "1007 ", 5);
	memset(buf + 5, 'x', ROUTER_CTL_LINE_MAX - 5);
	buf[ROUTER_CTL_LINE_MAX] = '\n';
	router_ctl_parser_init(&p, 0);
	assert_int_equal(router_ctl_parser_feed(&p, buf,
						ROUTER_CTL_LINE_MAX + 1, &used,
						&r, err, sizeof(err)),
			 1);
	assert_int_equal(r.lines[0].len, ROUTER_CTL_LINE_MAX - 5);
	router_ctl_reply_free(&r);
	/* one more byte, fed byte by byte and never a newline: refused */
	memset(buf + 5, 'x', len - 5);
	for (i = 0; i < ROUTER_CTL_LINE_MAX; i++)
		assert_int_equal(router_ctl_parser_feed(&p, buf + i, 1, &used,
							&r, err, sizeof(err)),
				 0);
	assert_int_equal(
	    router_ctl_parser_feed(&p, buf + i, 1, &used, &r, err, sizeof(err)),
	    -EMSGSIZE);
	assert_non_null(strstr(err, "too long"));
	router_ctl_parser_reset(&p);
	free(buf);
}

static void test_reply_bound(void **state)
{
	struct router_ctl_parser p;
	struct router_ctl_reply r = { 0 };
	size_t used, len = strlen(SHOW_PROTOCOLS);
	char err[256];

	(void)state;
	router_ctl_parser_init(&p, len);
	assert_int_equal(router_ctl_parser_feed(&p, SHOW_PROTOCOLS, len, &used,
						&r, err, sizeof(err)),
			 1);
	router_ctl_reply_free(&r);
	router_ctl_parser_reset(&p);

	router_ctl_parser_init(&p, len - 1);
	assert_int_equal(router_ctl_parser_feed(&p, SHOW_PROTOCOLS, len, &used,
						&r, err, sizeof(err)),
			 -EMSGSIZE);
	router_ctl_parser_reset(&p);

	/* an endless stream of short continuation lines hits the bound */
	router_ctl_parser_init(&p, 4096);
	assert_int_equal(router_ctl_parser_feed(&p, "1007-x\n", 7, &used, &r,
						err, sizeof(err)),
			 0);
	for (;;) {
		int rc = router_ctl_parser_feed(&p, " y\n", 3, &used, &r, err,
						sizeof(err));
		if (rc) {
			assert_int_equal(rc, -EMSGSIZE);
			break;
		}
	}
	router_ctl_parser_reset(&p);

	router_ctl_parser_init(&p, (size_t)-1);
	assert_int_equal(p.max_reply, ROUTER_CTL_REPLY_LIMIT);
	router_ctl_parser_init(&p, 0);
	assert_int_equal(p.max_reply, ROUTER_CTL_REPLY_DEFAULT);
}

/* --- show protocols ------------------------------------------------------- */

static void parse_protocols(const char *golden, struct router_ctl_proto **v,
			    size_t *n)
{
	struct router_ctl_reply r;
	char err[256];

	parse_one(golden, 0, &r);
	assert_int_equal(router_ctl_parse_protocols(&r, v, n, err, sizeof(err)),
			 0);
	router_ctl_reply_free(&r);
}

static void test_show_protocols(void **state)
{
	const struct router_ctl_proto *p;
	struct router_ctl_proto *v;
	size_t n;

	(void)state;
	parse_protocols(SHOW_PROTOCOLS, &v, &n);
	assert_int_equal(n, 6);
	p = router_ctl_proto_find(v, n, "device1");
	assert_non_null(p);
	assert_string_equal(p->proto, "Device");
	assert_string_equal(p->table, "---");
	assert_string_equal(p->state, "up");
	assert_string_equal(p->since, "22:36:17.817");
	assert_string_equal(p->info, "");
	assert_false(router_ctl_proto_established(p));

	p = router_ctl_proto_find(v, n, "snapnet6");
	assert_string_equal(p->table, "master6");

	p = router_ctl_proto_find(v, n, "tor");
	assert_string_equal(p->proto, "BGP");
	assert_string_equal(p->info, "Established");
	assert_true(router_ctl_proto_established(p));
	assert_int_equal(p->nchannels, 0);

	p = router_ctl_proto_find(v, n, "down4");
	assert_string_equal(p->state, "start");
	assert_string_equal(p->info, "Connect       Socket: No route to host");
	assert_false(router_ctl_proto_established(p));
	assert_null(router_ctl_proto_find(v, n, "nosuch"));
	free(v);

	parse_protocols(SHOW_PROTOCOLS_ISO_LONG, &v, &n);
	assert_int_equal(n, 4);
	assert_string_equal(v[3].since, "2026-12-01 22:39:39");
	assert_string_equal(v[3].info, "Established");
	assert_string_equal(v[0].since, "2026-12-01 22:39:38");
	assert_string_equal(v[0].info, "");
	free(v);
}

static void test_show_protocols_all(void **state)
{
	const struct router_ctl_channel *c;
	struct router_ctl_proto *v;
	size_t n;

	(void)state;
	parse_protocols(SHOW_PROTOCOLS_ALL_TOR, &v, &n);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].bgp_state, "Established");
	assert_string_equal(v[0].neighbor, "fd00:10::2");
	assert_string_equal(v[0].last_error, "");
	assert_int_equal(v[0].nchannels, 2);
	c = router_ctl_channel_find(&v[0], "ipv4");
	assert_non_null(c);
	assert_string_equal(c->state, "UP");
	assert_true(c->has_routes);
	assert_int_equal(c->imported, 0);
	assert_int_equal(c->filtered, 0);
	assert_int_equal(c->exported, 2);
	assert_int_equal(c->preferred, 0);
	c = router_ctl_channel_find(&v[0], "ipv6");
	assert_non_null(c);
	assert_int_equal(c->exported, 2);
	assert_null(router_ctl_channel_find(&v[0], "vpn4-mpls"));
	free(v);

	parse_protocols(SHOW_PROTOCOLS_ALL_DOWN4, &v, &n);
	assert_string_equal(v[0].bgp_state, "Connect");
	assert_string_equal(v[0].last_error, "Socket: No route to host");
	assert_int_equal(v[0].nchannels, 1);
	assert_string_equal(v[0].ch[0].state, "DOWN");
	assert_false(v[0].ch[0].has_routes);
	free(v);

	parse_protocols(SHOW_PROTOCOLS_ALL_FILTERED, &v, &n);
	assert_int_equal(v[0].ch[0].imported, 0);
	assert_int_equal(v[0].ch[0].filtered, 2);
	assert_int_equal(v[0].ch[0].exported, 2);
	free(v);

	parse_protocols(SHOW_PROTOCOLS_ALL_STATIC, &v, &n);
	assert_string_equal(v[0].proto, "Static");
	assert_string_equal(v[0].table, "master4");
	assert_string_equal(v[0].bgp_state, "");
	assert_int_equal(v[0].ch[0].imported, 2);
	assert_int_equal(v[0].ch[0].preferred, 2);
	free(v);
}

static void expect_protocols_error(const char *text, int want)
{
	struct router_ctl_proto *v = (void *)1;
	struct router_ctl_reply r;
	char err[256] = "";
	size_t n = 7;

	parse_one(text, 0, &r);
	assert_int_equal(
	    router_ctl_parse_protocols(&r, &v, &n, err, sizeof(err)), want);
	assert_null(v);
	assert_int_equal(n, 0);
	assert_true(err[0] != '\0');
	router_ctl_reply_free(&r);
}

static void test_show_protocols_bad(void **state)
{
	char longname[256];

	(void)state;
	expect_protocols_error(NO_PROTOCOLS, -ENOENT);
	expect_protocols_error(SYNTAX_ERROR, -EINVAL);
	/* detail before any protocol */
	expect_protocols_error("1006-  BGP state:  Established\n0000 \n",
			       -EPROTO);
	/* too few columns */
	expect_protocols_error("1002-tor BGP ---\n0000 \n", -EPROTO);
	/* counts that are not counts */
	expect_protocols_error(
	    "1002-tor BGP --- up 12:00:00.000  Established\n"
	    "1006-  Channel ipv4\n"
	    "    Routes:  x imported, 2 exported, 0 preferred\n"
	    "0000 \n",
	    -EPROTO);
	expect_protocols_error("1002-tor BGP --- up 12:00:00.000  Established\n"
			       "1006-  Channel ipv4\n"
			       "    Routes:  1 imported, 2 eaten, 0 preferred\n"
			       "0000 \n",
			       -EPROTO);
	expect_protocols_error(
	    "1002-tor BGP --- up 12:00:00.000  Established\n"
	    "1006-  Channel ipv4\n"
	    "    Routes:  99999999999 imported, 2 exported, 0 preferred\n"
	    "0000 \n",
	    -EPROTO);
	/* a name longer than any BIRD symbol is refused, not truncated */
	memset(longname, 'n', 100);
	snprintf(longname + 100, sizeof(longname) - 100,
		 " BGP --- up 12:00:00.000  Established\n0000 \n");
	{
		char buf[300];

		snprintf(buf, sizeof(buf), "1002-%s", longname);
		expect_protocols_error(buf, -EPROTO);
	}
}

/* --- configure command text ----------------------------------------------- */

static void test_format_configure(void **state)
{
	char buf[ROUTER_CTL_CMD_MAX + 1], big[ROUTER_CTL_CMD_MAX + 16];

	(void)state;
	assert_int_equal(
	    router_ctl_format_configure(buf, sizeof(buf), NULL, false), 0);
	assert_string_equal(buf, "configure");
	assert_int_equal(router_ctl_format_configure(
			     buf, sizeof(buf), "/etc/bird/bird.conf", true),
			 0);
	assert_string_equal(buf, "configure check \"/etc/bird/bird.conf\"");
	assert_int_equal(
	    router_ctl_format_configure(buf, sizeof(buf), "/a b/c.conf", false),
	    0);
	assert_string_equal(buf, "configure \"/a b/c.conf\"");
	assert_int_equal(
	    router_ctl_format_configure(buf, sizeof(buf), "a\"b", false),
	    -EINVAL);
	assert_int_equal(
	    router_ctl_format_configure(buf, sizeof(buf), "a\nb", false),
	    -EINVAL);
	assert_int_equal(
	    router_ctl_format_configure(buf, sizeof(buf), "", false), -EINVAL);
	memset(big, 'f', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(
	    router_ctl_format_configure(buf, sizeof(buf), big, false),
	    -ENAMETOOLONG);
	assert_int_equal(router_ctl_format_configure(buf, 8, "/x", false),
			 -ENAMETOOLONG);
}

/* --- the connection, against a scripted fake BIRD ------------------------- */

struct step {
	const char *expect; /* command line the server must receive, or NULL */
	const char *reply;  /* sent in 7-byte pieces; NULL: stay silent */
};

struct fake {
	char dir[64];
	char path[96];
	pid_t pid;
};

static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	char c;

	while (n + 1 < size) {
		if (read(fd, &c, 1) != 1)
			return -1;
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = '\0';
	return 0;
}

static void write_slowly(int fd, const char *s)
{
	size_t len = strlen(s), n;

	while (len) {
		n = len < 7 ? len : 7;
		if (write(fd, s, n) != (ssize_t)n)
			_exit(3);
		s += n;
		len -= n;
	}
}

/* The child accepts one connection, sends greeting (NULL: nothing), then
 * plays the steps; it exits 0 when every command was as expected. */
static void fake_start(struct fake *f, const char *greeting,
		       const struct step *steps, size_t nsteps)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[ROUTER_CTL_CMD_MAX + 2];
	int lfd, cfd;
	size_t i;

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_router_ctl.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/bird.ctl", f->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid) {
		close(lfd);
		return;
	}
	/* never outlive a failed test that did not stop it */
	alarm(10);
	cfd = accept(lfd, NULL, NULL);
	if (cfd < 0)
		_exit(2);
	if (greeting)
		write_slowly(cfd, greeting);
	else
		pause();
	for (i = 0; i < nsteps; i++) {
		if (read_line(cfd, line, sizeof(line)))
			_exit(4);
		if (steps[i].expect && strcmp(line, steps[i].expect))
			_exit(5);
		if (!steps[i].reply)
			pause();
		write_slowly(cfd, steps[i].reply);
	}
	_exit(0);
}

/* Returns the child's exit status (killing it first when asked). */
static int fake_stop(struct fake *f, bool kill_it)
{
	int status = 0;

	if (kill_it)
		kill(f->pid, SIGKILL);
	assert_int_equal(waitpid(f->pid, &status, 0), f->pid);
	unlink(f->path);
	rmdir(f->dir);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_conn_commands(void **state)
{
	static const struct step steps[] = {
		{ "show route count", SHOW_ROUTE_COUNT },
		{ "configure check \"/etc/bird.conf\"", CONFIGURE_CHECK_OK },
		{ "configure", CONFIGURE_IN_PROGRESS },
		{ "configure \"/tmp/rcap/bad.conf\"", CONFIGURE_BAD_FILE },
		{ "show protocols all \"tor\"", SHOW_PROTOCOLS_ALL_TOR },
	};
	struct router_ctl_conn *c;
	struct router_ctl_reply r;
	struct fake f;
	char err[256];
	int code;

	(void)state;
	fake_start(&f, GREETING, steps, 5);
	assert_int_equal(router_ctl_open(f.path, 2000, &c, err, sizeof(err)),
			 0);
	assert_string_equal(router_ctl_greeting(c), "BIRD 2.0.12 ready.");
	assert_int_equal(router_ctl_command(c, "show route count", 2000, &r,
					    err, sizeof(err)),
			 0);
	assert_int_equal(r.code, 14);
	assert_int_equal(r.nlines, 3);
	router_ctl_reply_free(&r);
	/* refused before anything is sent */
	assert_int_equal(
	    router_ctl_command(c, "a\nb", 2000, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(router_ctl_command(c, "", 2000, &r, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(router_ctl_configure(c, "/etc/bird.conf", true, 2000,
					      &code, err, sizeof(err)),
			 0);
	assert_int_equal(code, 20);
	assert_int_equal(
	    router_ctl_configure(c, NULL, false, 2000, &code, err, sizeof(err)),
	    0);
	assert_int_equal(code, 4);
	assert_int_equal(router_ctl_configure(c, "/tmp/rcap/bad.conf", false,
					      2000, &code, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(code, 8002);
	assert_non_null(strstr(err, "bad.conf:5:1 syntax error"));
	/* a refused file name is not sent */
	assert_int_equal(router_ctl_configure(c, "x\"y", false, 2000, &code,
					      err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(router_ctl_command(c, "show protocols all \"tor\"",
					    2000, &r, err, sizeof(err)),
			 0);
	assert_int_equal(r.code, 0);
	router_ctl_reply_free(&r);
	router_ctl_close(c);
	assert_int_equal(fake_stop(&f, false), 0);
}

static void test_conn_failures(void **state)
{
	static const struct step silent[] = { { "show status", NULL } };
	static const struct step wrong[] = { { "configure",
					       CONFIGURE_CHECK_OK } };
	static const struct step hangup[] = { { "show status", "1000-BIRD" } };
	struct router_ctl_conn *c;
	struct router_ctl_reply r;
	struct fake f;
	char err[256];
	int code;

	(void)state;
	/* no socket */
	assert_int_equal(
	    router_ctl_open("/nonexistent/bird.ctl", 200, &c, err, sizeof(err)),
	    -ENOENT);
	assert_null(c);

	/* not BIRD: garbage greeting */
	fake_start(&f, "HTTP/1.1 400 Bad Request\r\n", NULL, 0);
	assert_int_equal(router_ctl_open(f.path, 2000, &c, err, sizeof(err)),
			 -EPROTO);
	fake_stop(&f, true);

	/* a greeting that is not 0001 */
	fake_start(&f, "0016 Access restricted\n", NULL, 0);
	assert_int_equal(router_ctl_open(f.path, 2000, &c, err, sizeof(err)),
			 -EPROTO);
	fake_stop(&f, true);

	/* no greeting at all */
	fake_start(&f, NULL, NULL, 0);
	assert_int_equal(router_ctl_open(f.path, 200, &c, err, sizeof(err)),
			 -ETIMEDOUT);
	fake_stop(&f, true);

	/* no reply: timeout, then the connection is unusable */
	fake_start(&f, GREETING, silent, 1);
	assert_int_equal(router_ctl_open(f.path, 2000, &c, err, sizeof(err)),
			 0);
	assert_int_equal(
	    router_ctl_command(c, "show status", 200, &r, err, sizeof(err)),
	    -ETIMEDOUT);
	assert_non_null(strstr(err, "timed out"));
	assert_int_equal(
	    router_ctl_command(c, "show status", 200, &r, err, sizeof(err)),
	    -ENOTCONN);
	router_ctl_close(c);
	fake_stop(&f, true);

	/* a configure answered with a check's outcome */
	fake_start(&f, GREETING, wrong, 1);
	assert_int_equal(router_ctl_open(f.path, 2000, &c, err, sizeof(err)),
			 0);
	assert_int_equal(
	    router_ctl_configure(c, NULL, false, 2000, &code, err, sizeof(err)),
	    -EPROTO);
	router_ctl_close(c);
	fake_stop(&f, false);

	/* BIRD goes away in the middle of a reply */
	fake_start(&f, GREETING, hangup, 1);
	assert_int_equal(router_ctl_open(f.path, 2000, &c, err, sizeof(err)),
			 0);
	assert_int_equal(
	    router_ctl_command(c, "show status", 2000, &r, err, sizeof(err)),
	    -ECONNRESET);
	router_ctl_close(c);
	assert_int_equal(fake_stop(&f, false), 0);

	/* one-shot helper */
	fake_start(
	    &f, GREETING,
	    (const struct step[]){ { "show route count", SHOW_ROUTE_COUNT } },
	    1);
	assert_int_equal(router_ctl_run(f.path, "show route count", 2000, &r,
					err, sizeof(err)),
			 0);
	assert_int_equal(r.code, 14);
	router_ctl_reply_free(&r);
	assert_int_equal(fake_stop(&f, false), 0);
	router_ctl_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting),
		cmocka_unit_test(test_multiline_continuation),
		cmocka_unit_test(test_chunking),
		cmocka_unit_test(test_two_replies_one_buffer),
		cmocka_unit_test(test_async_lines),
		cmocka_unit_test(test_error_classes),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_line_bound),
		cmocka_unit_test(test_reply_bound),
		cmocka_unit_test(test_show_protocols),
		cmocka_unit_test(test_show_protocols_all),
		cmocka_unit_test(test_show_protocols_bad),
		cmocka_unit_test(test_format_configure),
		cmocka_unit_test(test_conn_commands),
		cmocka_unit_test(test_conn_failures),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
