/*
 * router_ctl.h - a client of BIRD 2's control socket (the protocol birdc
 * speaks): an incremental reply parser, a connection that sends one
 * command at a time, reply classification, and parsers of the replies
 * snapnet reads (`show protocols [all]`). libc only.
 *
 * A reply is a list of lines, each `CODE-text` (more lines follow),
 * ` text` (continues the previous code) or `CODE text` (the last line;
 * its code is the reply's completion code). See router_ctl.c for the
 * protocol facts and docs/router-notes.md for how they were checked.
 */
#ifndef SNAPNET_ROUTER_CTL_H
#define SNAPNET_ROUTER_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest reply line accepted, without its newline. BIRD formats a line
 * into 512 bytes (CLI_LINE_SIZE, nest/cli.h); this leaves room for
 * spontaneous log lines and refuses anything absurd. */
#define ROUTER_CTL_LINE_MAX 4096
/* Bound on the bytes of one reply unless the caller asks for another. */
#define ROUTER_CTL_REPLY_DEFAULT (1u << 20)
#define ROUTER_CTL_REPLY_LIMIT (64u << 20)
/* Longest command sent: BIRD reads a command into 4096 bytes, keeps at
 * most 4093 and answers `9000 Command too long` beyond. */
#define ROUTER_CTL_CMD_MAX 4000
/* Code of a spontaneous `+text` line (BIRD's CLI_ASYNC_CODE). It never
 * ends a reply and is not a continuation target. */
#define ROUTER_CTL_ASYNC 10000

struct router_ctl_line {
	int code;	  /* 0..9999, or ROUTER_CTL_ASYNC */
	size_t len;	  /* bytes of text */
	const char *text; /* NUL-terminated, without code, separator, '\n' */
};

/* One complete reply. Owns its lines and their text. */
struct router_ctl_reply {
	struct router_ctl_line *lines;
	size_t nlines;
	int code; /* completion code: the code of the last line */
	/* private to router_ctl.c */
	char *buf;
	size_t buflen, bufcap, linecap;
};

/* Frees what the reply holds and zeroes it; NULL and zeroed are fine. */
void router_ctl_reply_free(struct router_ctl_reply *r);

/*
 * The incremental parser: no I/O, no globals. Feed it bytes in any
 * chunking; it completes one reply at a time.
 */
struct router_ctl_parser {
	size_t max_reply;   /* bound on raw bytes of one reply */
	size_t reply_bytes; /* raw bytes of the reply so far */
	int last_code;	    /* code a continuation line takes; -1 none */
	int error;	    /* sticky negative errno once the stream is bad */
	size_t linelen;
	char line[ROUTER_CTL_LINE_MAX + 1];
	struct router_ctl_reply cur;
};

/* max_reply 0 means ROUTER_CTL_REPLY_DEFAULT; it is clamped to
 * ROUTER_CTL_REPLY_LIMIT. */
void router_ctl_parser_init(struct router_ctl_parser *p, size_t max_reply);
/* Drops a partial reply and any error: back to the state of init. */
void router_ctl_parser_reset(struct router_ctl_parser *p);

/*
 * Consumes bytes from buf up to the end of the first reply they complete.
 * Returns 1 with the reply in *out (the caller frees it) and *used set to
 * the bytes consumed (the rest belongs to later replies); 0 when all len
 * bytes were consumed and no reply completed; or a negative errno:
 * -EPROTO for bytes that are not BIRD's protocol (bad code, NUL byte,
 * continuation with nothing to continue), -EMSGSIZE for a line or reply
 * over its bound, -ENOMEM. An error is sticky until reset: the stream
 * has lost its framing.
 */
int router_ctl_parser_feed(struct router_ctl_parser *p, const char *buf,
			   size_t len, size_t *used,
			   struct router_ctl_reply *out, char *err,
			   size_t errlen);

/* --- classification ------------------------------------------------------- */

enum router_ctl_class {
	ROUTER_CTL_OK,		  /* 0xxx, or a table (1xxx/2xxx) completion */
	ROUTER_CTL_RUNTIME_ERROR, /* 8xxx */
	ROUTER_CTL_PARSE_ERROR,	  /* 9xxx: BIRD could not parse the command */
};

enum router_ctl_class router_ctl_reply_class(const struct router_ctl_reply *r);
/* Text of the first 8xxx/9xxx line, or NULL when there is none. */
const char *router_ctl_reply_error(const struct router_ctl_reply *r);
/* 0 for a reply that is no error, else a negative errno naming the kind:
 * -ENOENT (8001 route not found, 8003 no protocols match), -EINVAL (8002
 * configuration file error, 9xxx command not understood), -EACCES (8007
 * access denied), -E2BIG (8000 reply too long), -EIO (other 8xxx). The
 * error text goes into err. */
int router_ctl_reply_errno(const struct router_ctl_reply *r, char *err,
			   size_t errlen);

/* --- the connection ------------------------------------------------------- */

struct router_ctl_conn;

/* Connects to BIRD's socket at path and reads its greeting (code 0001),
 * all within timeout_ms (> 0). -ENOENT/-ECONNREFUSED: no BIRD there;
 * -ETIMEDOUT; -EPROTO: not BIRD; -ENAMETOOLONG: path too long. */
int router_ctl_open(const char *path, int timeout_ms,
		    struct router_ctl_conn **out, char *err, size_t errlen);
/* Closes and frees; NULL is fine. */
void router_ctl_close(struct router_ctl_conn *c);
/* The greeting's text, e.g. "BIRD 2.0.12 ready.". */
const char *router_ctl_greeting(const struct router_ctl_conn *c);

/*
 * Sends one command line and reads its whole reply into *reply (the
 * caller frees it), within timeout_ms (> 0). A reply that is a BIRD
 * error is still a success here (classify it). -EINVAL: command empty,
 * too long or not one line; -ETIMEDOUT; -ECONNRESET: BIRD closed the
 * socket. After any failure but -EINVAL the connection is unusable
 * (-ENOTCONN from then on): the next reply could belong to this command.
 */
int router_ctl_command(struct router_ctl_conn *c, const char *cmd,
		       int timeout_ms, struct router_ctl_reply *reply,
		       char *err, size_t errlen);

/* open + command + close. */
int router_ctl_run(const char *path, const char *cmd, int timeout_ms,
		   struct router_ctl_reply *reply, char *err, size_t errlen);

/* Formats `configure ["FILE"]` or `configure check ["FILE"]` (file NULL:
 * the file BIRD was started with). BIRD's quoted strings have no
 * escapes, so a file name with '"' or a newline is -EINVAL. */
int router_ctl_format_configure(char *buf, size_t len, const char *file,
				bool check_only);

/*
 * Asks BIRD to check (check_only) or load a configuration file and reads
 * the outcome. 0 for 0020 Configuration OK, 0003 Reconfigured, 0004
 * Reconfiguration in progress (protocols are still being restarted),
 * 0005 queued behind one in progress; *code (may be NULL) gets the
 * completion code. -EINVAL with BIRD's message (file:line:column text)
 * when the file is refused (8002); -ESHUTDOWN for 0006 (BIRD is shutting
 * down); -EPROTO for any other reply.
 */
int router_ctl_configure(struct router_ctl_conn *c, const char *file,
			 bool check_only, int timeout_ms, int *code, char *err,
			 size_t errlen);

/* --- show protocols [all] ------------------------------------------------- */

#define ROUTER_CTL_CHANNELS_MAX 8
#define ROUTER_CTL_PROTOS_MAX 4096

struct router_ctl_channel {
	char name[24];	 /* "ipv4", "ipv6", "vpn4-mpls", ... */
	char state[16];	 /* "UP", "DOWN", "START", "FLUSHING" */
	bool has_routes; /* a Routes: line was seen (BIRD omits it when DOWN) */
	uint32_t imported, filtered, exported, preferred;
};

struct router_ctl_proto {
	char name[72];	/* BIRD symbols are at most 64 bytes */
	char proto[24]; /* "BGP", "Static", "Device", ... */
	char table[72]; /* "---" for protocols without a main table, e.g. BGP */
	char state[8];	/* "up", "down", "start", "stop", "flush" */
	char since[40]; /* as BIRD formats it ("timeformat protocol") */
	char info[256]; /* "Established", "Active        Socket: ..." */
	/* from `show protocols all` only, empty otherwise */
	char bgp_state[24]; /* "Established", "Active", "Connect", ... */
	char neighbor[72];  /* "Neighbor address:", e.g. "fd00:10::2" */
	char last_error[256];
	size_t nchannels;
	struct router_ctl_channel ch[ROUTER_CTL_CHANNELS_MAX];
};

/* Parses the reply to `show protocols` or `show protocols all [NAME]`
 * into a malloc'd array (*out, *n; free() it). An error reply gives its
 * errno (see router_ctl_reply_errno); a line of the wrong shape -EPROTO. */
int router_ctl_parse_protocols(const struct router_ctl_reply *r,
			       struct router_ctl_proto **out, size_t *n,
			       char *err, size_t errlen);
const struct router_ctl_proto *
router_ctl_proto_find(const struct router_ctl_proto *v, size_t n,
		      const char *name);
/* A BGP protocol that is up with its session Established. */
bool router_ctl_proto_established(const struct router_ctl_proto *p);
const struct router_ctl_channel *
router_ctl_channel_find(const struct router_ctl_proto *p, const char *name);

#endif
