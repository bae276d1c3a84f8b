/*
 * router_ctl.c - snapnet's side of BIRD 2's control socket: it owns one
 * unix stream connection at a time and nothing in the kernel.
 *
 * The protocol, as BIRD 2.0.12 speaks it (nest/cli.c, doc/reply_codes,
 * client/client.c) and as captured from a running BIRD here: the server
 * greets with `0001 BIRD 2.0.12 ready.`; a command is one line ending in
 * '\n'; a reply is lines of `NNNN-text` (more follow), ` text` (same code
 * as the line before, prefix elided) and exactly one `NNNN text` that
 * ends it, whatever the code's class: 0xxx done, 1xxx table entry, 2xxx
 * table heading, 8xxx run-time error, 9xxx parse error. Errors are final
 * lines too (`9001 syntax error, ...`, `8002 FILE:LINE:COL msg` after a
 * `0002-Reading configuration from FILE`). `+text` lines are spontaneous
 * output that can come between any two lines; they end nothing.
 *
 * Invariants: the parser never holds more than ROUTER_CTL_LINE_MAX bytes
 * of an unfinished line nor more than max_reply bytes of one reply, and
 * once it has seen bytes that are not this protocol it refuses all input
 * until reset, because the framing is lost. A connection sends a command
 * only when the previous reply was read whole; any failure in the middle
 * marks it broken, so no reply is ever taken for another command's.
 *
 * Fails with a negative errno and detail text in the caller's buffer; no
 * logging, no globals, no signals (writes use MSG_NOSIGNAL).
 */
#include "router/router_ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 4096

static int errf(char *err, size_t errlen, int e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int errf(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -e;
}

/* --- replies -------------------------------------------------------------- */

void router_ctl_reply_free(struct router_ctl_reply *r)
{
	if (!r)
		return;
	free(r->lines);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/* v with room for `need` elements of `size` (capacity *cap), or NULL
 * with v untouched. need is bounded by the reply and protocol limits. */
static void *grown(void *v, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 16;
	void *nv;

	if (need <= *cap)
		return v;
	while (ncap < need)
		ncap *= 2;
	nv = realloc(v, ncap * size);
	if (nv)
		*cap = ncap;
	return nv;
}

/* Appends a line. Text pointers are set at completion, as buf moves. */
static int reply_add(struct router_ctl_reply *r, int code, const char *text,
		     size_t len)
{
	struct router_ctl_line *lines;
	char *buf;

	lines = grown(r->lines, &r->linecap, r->nlines + 1, sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	r->lines = lines;
	buf = grown(r->buf, &r->bufcap, r->buflen + len + 1, 1);
	if (!buf)
		return -ENOMEM;
	r->buf = buf;
	memcpy(r->buf + r->buflen, text, len);
	r->buf[r->buflen + len] = '\0';
	r->buflen += len + 1;
	r->lines[r->nlines].code = code;
	r->lines[r->nlines].len = len;
	r->lines[r->nlines].text = NULL;
	r->nlines++;
	return 0;
}

static void reply_fix_texts(struct router_ctl_reply *r)
{
	size_t i, off = 0;

	for (i = 0; i < r->nlines; i++) {
		r->lines[i].text = r->buf + off;
		off += r->lines[i].len + 1;
	}
}

/* --- the parser ----------------------------------------------------------- */

void router_ctl_parser_init(struct router_ctl_parser *p, size_t max_reply)
{
	memset(p, 0, sizeof(*p));
	if (!max_reply)
		max_reply = ROUTER_CTL_REPLY_DEFAULT;
	if (max_reply > ROUTER_CTL_REPLY_LIMIT)
		max_reply = ROUTER_CTL_REPLY_LIMIT;
	p->max_reply = max_reply;
	p->last_code = -1;
}

void router_ctl_parser_reset(struct router_ctl_parser *p)
{
	size_t max = p->max_reply;

	router_ctl_reply_free(&p->cur);
	router_ctl_parser_init(p, max);
}

static int fail(struct router_ctl_parser *p, int e, char *err, size_t errlen,
		const char *what)
{
	p->error = -e;
	return errf(err, errlen, e, "BIRD control socket: %s", what);
}

/* "NNNN-" or "NNNN " */
static bool has_code(const char *s, size_t len)
{
	int i;

	if (len < 5 || (s[4] != '-' && s[4] != ' '))
		return false;
	for (i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* One line without its '\n'. Returns 1 when it ended the reply. */
static int parse_line(struct router_ctl_parser *p, const char *s, size_t len,
		      char *err, size_t errlen)
{
	int code, final = 0;

	if (memchr(s, '\0', len))
		return fail(p, EPROTO, err, errlen, "NUL byte in a reply");
	if (len && s[0] == '+') {
		code = ROUTER_CTL_ASYNC;
		s++, len--;
	} else if (len && s[0] == ' ') {
		if (p->last_code < 0)
			return fail(p, EPROTO, err, errlen,
				    "continuation with nothing to continue");
		code = p->last_code;
		s++, len--;
	} else if (has_code(s, len)) {
		code = (s[0] - '0') * 1000 + (s[1] - '0') * 100 +
		       (s[2] - '0') * 10 + (s[3] - '0');
		final = s[4] == ' ';
		p->last_code = final ? -1 : code;
		s += 5, len -= 5;
	} else {
		return fail(p, EPROTO, err, errlen,
			    "reply line without a 4-digit code");
	}
	if (reply_add(&p->cur, code, s, len))
		return fail(p, ENOMEM, err, errlen, "out of memory");
	return final;
}

int router_ctl_parser_feed(struct router_ctl_parser *p, const char *buf,
			   size_t len, size_t *used,
			   struct router_ctl_reply *out, char *err,
			   size_t errlen)
{
	size_t i = 0, take;
	const char *nl;
	int r;

	*used = 0;
	if (p->error)
		return errf(err, errlen, -p->error,
			    "BIRD control socket: stream already failed");
	while (i < len) {
		nl = memchr(buf + i, '\n', len - i);
		take = nl ? (size_t)(nl - (buf + i)) : len - i;
		if (p->reply_bytes + take + !!nl > p->max_reply) {
			*used = i;
			return fail(p, EMSGSIZE, err, errlen,
				    "reply longer than its bound");
		}
		if (p->linelen + take > ROUTER_CTL_LINE_MAX) {
			*used = i;
			return fail(p, EMSGSIZE, err, errlen,
				    "reply line too long");
		}
		memcpy(p->line + p->linelen, buf + i, take);
		p->linelen += take;
		p->reply_bytes += take + !!nl;
		i += take + !!nl;
		if (!nl)
			break;
		r = parse_line(p, p->line, p->linelen, err, errlen);
		p->linelen = 0;
		if (r < 0) {
			*used = i;
			return r;
		}
		if (r == 1) {
			p->cur.code = p->cur.lines[p->cur.nlines - 1].code;
			reply_fix_texts(&p->cur);
			*out = p->cur;
			memset(&p->cur, 0, sizeof(p->cur));
			p->reply_bytes = 0;
			*used = i;
			return 1;
		}
	}
	*used = i;
	return 0;
}

/* --- classification ------------------------------------------------------- */

enum router_ctl_class router_ctl_reply_class(const struct router_ctl_reply *r)
{
	if (r->code >= 9000 && r->code <= 9999)
		return ROUTER_CTL_PARSE_ERROR;
	if (r->code >= 8000 && r->code <= 8999)
		return ROUTER_CTL_RUNTIME_ERROR;
	return ROUTER_CTL_OK;
}

const char *router_ctl_reply_error(const struct router_ctl_reply *r)
{
	size_t i;

	for (i = 0; i < r->nlines; i++)
		if (r->lines[i].code >= 8000 && r->lines[i].code <= 9999)
			return r->lines[i].text;
	return NULL;
}

int router_ctl_reply_errno(const struct router_ctl_reply *r, char *err,
			   size_t errlen)
{
	const char *text = router_ctl_reply_error(r);
	int e;

	if (router_ctl_reply_class(r) == ROUTER_CTL_OK)
		return 0;
	switch (r->code) {
	case 8000:
		e = E2BIG;
		break;
	case 8001:
	case 8003:
		e = ENOENT;
		break;
	case 8002:
		e = EINVAL;
		break;
	case 8007:
		e = EACCES;
		break;
	default:
		e = r->code >= 9000 ? EINVAL : EIO;
		break;
	}
	return errf(err, errlen, e, "BIRD: %04d %s", r->code, text ? text : "");
}

/* --- the connection ------------------------------------------------------- */

struct router_ctl_conn {
	int fd;
	bool broken;
	struct router_ctl_parser parser;
	size_t pend_off, pend_len; /* read but not yet fed */
	char pend[READ_CHUNK];
	char greeting[128];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until the deadline. 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	long long left;
	int r;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int do_connect(int fd, const char *path, long long deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t sl = sizeof(int);
	int r, soerr = 0;

	memcpy(sa.sun_path, path, strlen(path) + 1);
	for (;;) {
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return 0;
		if (errno == EINTR)
			continue;
		/* AF_UNIX: EAGAIN means BIRD's listen backlog is full */
		if (errno == EAGAIN) {
			if (now_ms() >= deadline)
				return -ETIMEDOUT;
			usleep(10000);
			continue;
		}
		if (errno != EINPROGRESS)
			return -errno;
		r = wait_fd(fd, POLLOUT, deadline);
		if (r)
			return r;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl))
			return -errno;
		return soerr ? -soerr : 0;
	}
}

/* Reads until the parser completes a reply, feeding leftovers first. */
static int read_reply(struct router_ctl_conn *c, long long deadline,
		      struct router_ctl_reply *reply, char *err, size_t errlen)
{
	size_t used;
	ssize_t n;
	int r;

	for (;;) {
		if (c->pend_len) {
			r = router_ctl_parser_feed(
			    &c->parser, c->pend + c->pend_off, c->pend_len,
			    &used, reply, err, errlen);
			c->pend_off += used;
			c->pend_len -= used;
			if (r)
				return r < 0 ? r : 0;
		}
		r = wait_fd(c->fd, POLLIN, deadline);
		if (r)
			return errf(
			    err, errlen, -r,
			    "BIRD control socket: %s waiting for a reply",
			    r == -ETIMEDOUT ? "timed out" : strerror(-r));
		n = read(c->fd, c->pend, sizeof(c->pend));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return errf(err, errlen, errno,
				    "BIRD control socket: read: %s",
				    strerror(errno));
		if (n == 0)
			return errf(err, errlen, ECONNRESET,
				    "BIRD control socket: closed by BIRD");
		c->pend_off = 0;
		c->pend_len = (size_t)n;
	}
}

static int send_all(int fd, const char *s, size_t len, long long deadline)
{
	ssize_t n;
	int r;

	while (len) {
		n = send(fd, s, len, MSG_NOSIGNAL);
		if (n > 0) {
			s += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		r = wait_fd(fd, POLLOUT, deadline);
		if (r)
			return r;
	}
	return 0;
}

void router_ctl_close(struct router_ctl_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	router_ctl_reply_free(&c->parser.cur);
	free(c);
}

const char *router_ctl_greeting(const struct router_ctl_conn *c)
{
	return c->greeting;
}

int router_ctl_open(const char *path, int timeout_ms,
		    struct router_ctl_conn **out, char *err, size_t errlen)
{
	struct router_ctl_reply hello = { 0 };
	struct router_ctl_conn *c;
	long long deadline;
	int r;

	*out = NULL;
	if (timeout_ms <= 0)
		return errf(err, errlen, EINVAL, "timeout must be positive");
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return errf(err, errlen, ENAMETOOLONG,
			    "%s: socket path too long", path);
	deadline = now_ms() + timeout_ms;
	c = calloc(1, sizeof(*c));
	if (!c)
		return errf(err, errlen, ENOMEM, "out of memory");
	router_ctl_parser_init(&c->parser, 0);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		r = errf(err, errlen, errno, "socket: %s", strerror(errno));
		goto free_conn;
	}
	r = do_connect(c->fd, path, deadline);
	if (r) {
		errf(err, errlen, -r, "%s: connect: %s", path, strerror(-r));
		goto free_conn;
	}
	r = read_reply(c, deadline, &hello, err, errlen);
	if (r)
		goto free_conn;
	if (hello.code != 1 || hello.nlines != 1) {
		r = errf(err, errlen, EPROTO,
			 "%s: no BIRD greeting (code %04d)", path, hello.code);
		goto free_hello;
	}
	snprintf(c->greeting, sizeof(c->greeting), "%s", hello.lines[0].text);
	router_ctl_reply_free(&hello);
	*out = c;
	return 0;

free_hello:
	router_ctl_reply_free(&hello);
free_conn:
	router_ctl_close(c);
	return r;
}

int router_ctl_command(struct router_ctl_conn *c, const char *cmd,
		       int timeout_ms, struct router_ctl_reply *reply,
		       char *err, size_t errlen)
{
	char line[ROUTER_CTL_CMD_MAX + 2];
	size_t len = strlen(cmd);
	long long deadline;
	int r;

	memset(reply, 0, sizeof(*reply));
	if (c->broken)
		return errf(err, errlen, ENOTCONN,
			    "BIRD control socket: connection already failed");
	if (timeout_ms <= 0 || len == 0 || len > ROUTER_CTL_CMD_MAX ||
	    strpbrk(cmd, "\r\n"))
		return errf(err, errlen, EINVAL,
			    "bad BIRD command (empty, longer than %d bytes, or "
			    "several lines)",
			    ROUTER_CTL_CMD_MAX);
	deadline = now_ms() + timeout_ms;
	memcpy(line, cmd, len);
	line[len] = '\n';
	r = send_all(c->fd, line, len + 1, deadline);
	if (r) {
		errf(err, errlen, -r, "BIRD control socket: send: %s",
		     strerror(-r));
		goto broken;
	}
	r = read_reply(c, deadline, reply, err, errlen);
	if (r)
		goto broken;
	return 0;

broken:
	c->broken = true;
	router_ctl_reply_free(reply);
	return r;
}

int router_ctl_run(const char *path, const char *cmd, int timeout_ms,
		   struct router_ctl_reply *reply, char *err, size_t errlen)
{
	struct router_ctl_conn *c;
	int r;

	memset(reply, 0, sizeof(*reply));
	r = router_ctl_open(path, timeout_ms, &c, err, errlen);
	if (r)
		return r;
	r = router_ctl_command(c, cmd, timeout_ms, reply, err, errlen);
	router_ctl_close(c);
	return r;
}

int router_ctl_format_configure(char *buf, size_t len, const char *file,
				bool check_only)
{
	const char *verb = check_only ? "configure check" : "configure";
	int n;

	if (file && (!*file || strpbrk(file, "\"\r\n")))
		return -EINVAL;
	if (file)
		n = snprintf(buf, len, "%s \"%s\"", verb, file);
	else
		n = snprintf(buf, len, "%s", verb);
	if (n < 0 || (size_t)n >= len || n > ROUTER_CTL_CMD_MAX)
		return -ENAMETOOLONG;
	return 0;
}

int router_ctl_configure(struct router_ctl_conn *c, const char *file,
			 bool check_only, int timeout_ms, int *code, char *err,
			 size_t errlen)
{
	struct router_ctl_reply reply;
	char cmd[ROUTER_CTL_CMD_MAX + 1];
	const char *last;
	int r;

	if (code)
		*code = -1;
	r = router_ctl_format_configure(cmd, sizeof(cmd), file, check_only);
	if (r)
		return errf(err, errlen, -r,
			    "%s: not a file name BIRD can quote", file);
	r = router_ctl_command(c, cmd, timeout_ms, &reply, err, errlen);
	if (r)
		return r;
	if (code)
		*code = reply.code;
	last = reply.lines[reply.nlines - 1].text;
	if (check_only ? reply.code == 20
		       : reply.code == 3 || reply.code == 4 || reply.code == 5)
		r = 0; /* checked; done, in progress, or queued behind one */
	else if (reply.code == 6)
		r = errf(err, errlen, ESHUTDOWN, "BIRD: %s", last);
	else if (!(r = router_ctl_reply_errno(&reply, err, errlen)))
		r = errf(err, errlen, EPROTO, "BIRD: unexpected %04d %s",
			 reply.code, last);
	router_ctl_reply_free(&reply);
	return r;
}

/* --- show protocols ------------------------------------------------------- */

/* Copies [s, s + n) into a fixed field; refuses to truncate. */
static int set_field(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		return -EPROTO;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Next blank-separated word into dst; *s moves past it. */
static int take_word(const char **s, char *dst, size_t size)
{
	const char *b = skip_blanks(*s), *e = b;

	while (*e && *e != ' ' && *e != '\t')
		e++;
	if (e == b)
		return -EPROTO;
	*s = e;
	return set_field(dst, size, b, (size_t)(e - b));
}

static size_t trimmed_len(const char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n;
}

/*
 * `%-10s %-10s %-10s %-6s %-12s  %s` (nest/proto.c): name, protocol,
 * table and state are single words; "since" may hold one blank ("iso
 * long" is "%F %T"), so it runs to the first double blank; info is the
 * rest, its trailing padding dropped.
 */
static int parse_summary(const char *s, struct router_ctl_proto *p)
{
	const char *e;

	memset(p, 0, sizeof(*p));
	if (take_word(&s, p->name, sizeof(p->name)) ||
	    take_word(&s, p->proto, sizeof(p->proto)) ||
	    take_word(&s, p->table, sizeof(p->table)) ||
	    take_word(&s, p->state, sizeof(p->state)))
		return -EPROTO;
	s = skip_blanks(s);
	e = strstr(s, "  ");
	if (!e)
		e = s + strlen(s);
	if (e == s || set_field(p->since, sizeof(p->since), s, (size_t)(e - s)))
		return -EPROTO;
	s = skip_blanks(e);
	return set_field(p->info, sizeof(p->info), s, trimmed_len(s));
}

/* "N imported, [N filtered, ]N exported, N preferred" */
static int parse_routes(const char *s, struct router_ctl_channel *ch)
{
	static const char *const names[] = { "imported", "filtered", "exported",
					     "preferred" };
	uint32_t *slot[] = { &ch->imported, &ch->filtered, &ch->exported,
			     &ch->preferred };
	unsigned long v;
	char word[16], *end;
	size_t k, wl;
	int i;

	ch->filtered = 0;
	for (i = 0; i < 4 && *(s = skip_blanks(s)); i++) {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (end == s || errno || v > UINT32_MAX || *s == '-')
			return -EPROTO;
		s = end;
		if (take_word(&s, word, sizeof(word)))
			return -EPROTO;
		wl = strlen(word);
		if (wl && word[wl - 1] == ',')
			word[wl - 1] = '\0';
		for (k = 0; k < 4 && strcmp(word, names[k]); k++)
			;
		if (k == 4)
			return -EPROTO;
		*slot[k] = (uint32_t)v;
	}
	if (i < 3 || *s)
		return -EPROTO;
	ch->has_routes = true;
	return 0;
}

/* "Key:   value" -> value, or NULL when s does not start with key. */
static const char *value_of(const char *s, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(s, key, n))
		return NULL;
	return skip_blanks(s + n);
}

static int parse_detail(const char *line, struct router_ctl_proto *p)
{
	const char *s = skip_blanks(line), *v;
	struct router_ctl_channel *ch =
	    p->nchannels ? &p->ch[p->nchannels - 1] : NULL;

	if ((v = value_of(s, "Channel "))) {
		if (p->nchannels == ROUTER_CTL_CHANNELS_MAX)
			return -E2BIG;
		ch = &p->ch[p->nchannels++];
		return set_field(ch->name, sizeof(ch->name), v, trimmed_len(v));
	}
	if (ch && (v = value_of(s, "State:")))
		return set_field(ch->state, sizeof(ch->state), v,
				 trimmed_len(v));
	if (ch && (v = value_of(s, "Routes:")))
		return parse_routes(v, ch);
	if (ch)
		return 0;
	if ((v = value_of(s, "BGP state:")))
		return set_field(p->bgp_state, sizeof(p->bgp_state), v,
				 trimmed_len(v));
	if ((v = value_of(s, "Neighbor address:")))
		return set_field(p->neighbor, sizeof(p->neighbor), v,
				 trimmed_len(v));
	if ((v = value_of(s, "Last error:")))
		return set_field(p->last_error, sizeof(p->last_error), v,
				 trimmed_len(v));
	return 0;
}

int router_ctl_parse_protocols(const struct router_ctl_reply *r,
			       struct router_ctl_proto **out, size_t *n,
			       char *err, size_t errlen)
{
	struct router_ctl_proto *v = NULL, *cur = NULL;
	size_t i, nv = 0, cap = 0;
	const struct router_ctl_line *l;
	int e;

	*out = NULL;
	*n = 0;
	e = router_ctl_reply_errno(r, err, errlen);
	if (e)
		return e;
	for (i = 0; i < r->nlines; i++) {
		l = &r->lines[i];
		if (l->code == 1002) {
			if (nv == ROUTER_CTL_PROTOS_MAX) {
				e = errf(err, errlen, E2BIG,
					 "more than %d protocols",
					 ROUTER_CTL_PROTOS_MAX);
				goto free_v;
			}
			cur = grown(v, &cap, nv + 1, sizeof(*v));
			if (!cur) {
				e = errf(err, errlen, ENOMEM, "out of memory");
				goto free_v;
			}
			v = cur;
			cur = &v[nv++];
			e = parse_summary(l->text, cur);
		} else if (l->code == 1006) {
			e = cur ? parse_detail(l->text, cur) : -EPROTO;
		} else {
			e = 0; /* header (2002), completion, spontaneous lines
				*/
		}
		if (e) {
			errf(err, errlen, -e,
			     "show protocols: bad line %zu: \"%.80s\"", i + 1,
			     l->text);
			goto free_v;
		}
	}
	*out = v;
	*n = nv;
	return 0;

free_v:
	free(v);
	return e;
}

const struct router_ctl_proto *
router_ctl_proto_find(const struct router_ctl_proto *v, size_t n,
		      const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

bool router_ctl_proto_established(const struct router_ctl_proto *p)
{
	return !strcmp(p->proto, "BGP") && !strcmp(p->state, "up") &&
	       !strncmp(p->info, "Established", 11);
}

const struct router_ctl_channel *
router_ctl_channel_find(const struct router_ctl_proto *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nchannels; i++)
		if (!strcmp(p->ch[i].name, name))
			return &p->ch[i];
	return NULL;
}
