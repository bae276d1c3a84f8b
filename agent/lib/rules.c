/*
 * rules.c - the kernel side of the rule writer: it runs the iptables
 * tools of one backend (iptables-nft-* or iptables-legacy-*, ip6tables-*
 * for IPv6) and never anything else. It owns, per family, the chains of
 * a caller's prefix in the tables the caller names and the jumps to them
 * from built-in chains (see rules_plan.c for what exactly is ours).
 *
 * Writing is iptables-restore --noflush --wait with a text that names
 * only our chains, so another program's rules are never rewritten, and
 * each table is committed atomically (legacy replaces the table blob at
 * COMMIT, nft sends one transaction). Reading is iptables-save -t TABLE;
 * for legacy that loads the table's module if it is not loaded yet,
 * which is harmless for a table we are about to write; detection and
 * cleanup read without -t, which never creates a table.
 *
 * Every tool runs through run_tool(): posix_spawn (no fork of a big
 * daemon), a clean signal mask and default dispositions in the child (the
 * daemon blocks signals for its signalfd, and a tool inheriting that mask
 * could not be stopped by SIGTERM), stdin on a socketpair written with
 * MSG_NOSIGNAL (a restore that dies early must not SIGPIPE the daemon),
 * stdout bounded, stderr kept for the error text, and a deadline after
 * which the child is killed (-ETIMEDOUT). --wait=N lets legacy wait for
 * the xtables lock for half of that deadline. run_tool() reaps its own
 * child with waitpid(pid): the process must not reap children it did not
 * start (waitpid(-1), SIGCHLD set to SIG_IGN).
 *
 * Fails with -ENOENT (tool missing), -ETIMEDOUT, -E2BIG (save output
 * over RULES_DUMP_MAX), the folded exit of a tool (rules_restore_error),
 * -EPROTO when verify finds the kernel printing a rule differently from
 * the desire, or what rules_plan() returns.
 */
#define _GNU_SOURCE /* pipe2 */
#include "lib/rules.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define RULES_DUMP_MAX (256u << 20)
#define DEFAULT_TIMEOUT_MS 30000
#define STDERR_KEEP 2048

/* --- backends --- */

int rules_backend_parse(const char *s, enum rules_backend *out)
{
	if (!s)
		return -EINVAL;
	if (!strcmp(s, "auto"))
		*out = RULES_BACKEND_AUTO;
	else if (!strcmp(s, "nft"))
		*out = RULES_BACKEND_NFT;
	else if (!strcmp(s, "legacy"))
		*out = RULES_BACKEND_LEGACY;
	else
		return -EINVAL;
	return 0;
}

const char *rules_backend_name(enum rules_backend b)
{
	switch (b) {
	case RULES_BACKEND_NFT:
		return "nft";
	case RULES_BACKEND_LEGACY:
		return "legacy";
	default:
		return "auto";
	}
}

/*
 * Kubernetes' iptables-wrapper (today's Go version) trusts kubelet's hint
 * chains first, nft before legacy, and otherwise defaults to nft; its
 * older shell version counted the rule lines of both save tools (legacy
 * won ties). We take both: hints, then counts, but count only rules that
 * are not ours (our own rules must not vote, or a first choice would
 * confirm itself forever), then stick to where our chains already are,
 * then nft (Debian 12's default alternative, and what upstream picks).
 */
enum rules_backend rules_backend_choose(const struct rules_probe *nft,
					const struct rules_probe *legacy)
{
	if (!legacy->ok)
		return RULES_BACKEND_NFT;
	if (!nft->ok)
		return RULES_BACKEND_LEGACY;
	if (nft->hint)
		return RULES_BACKEND_NFT;
	if (legacy->hint)
		return RULES_BACKEND_LEGACY;
	if (legacy->foreign_rules != nft->foreign_rules)
		return legacy->foreign_rules > nft->foreign_rules
			   ? RULES_BACKEND_LEGACY
			   : RULES_BACKEND_NFT;
	if (legacy->own_chains && !nft->own_chains)
		return RULES_BACKEND_LEGACY;
	return RULES_BACKEND_NFT;
}

/* --- restore failures --- */

/* The input line a restore tool names: "Error occurred at line: N",
 * "line N failed", "line N: ..." (iptables-nft on commit). */
static size_t error_lineno(const char *s)
{
	const char *p = s;
	unsigned long n;
	char *end;

	while ((p = strstr(p, "line"))) {
		p += 4;
		if (*p == ':')
			p++;
		while (*p == ' ')
			p++;
		n = strtoul(p, &end, 10);
		if (end != p && n > 0)
			return n;
	}
	return 0;
}

static int fold_status(int status, const char *s)
{
	if (strstr(s, "xtables lock"))
		return -EAGAIN;
	if (strstr(s, "resource busy") || strstr(s, "Resource busy"))
		return -EBUSY;
	if (status == 2 || strstr(s, "Couldn't load") ||
	    strstr(s, "does not exist"))
		return -EINVAL;
	return -EIO;
}

int rules_restore_error(int status, const char *tool, const char *stderr_text,
			const char *input, char *err, size_t errlen)
{
	char msg[512] = "";
	const char *s = stderr_text ? stderr_text : "", *l = input;
	size_t n = 0, no = error_lineno(s), i;

	/* Keep the lines that say something; drop the usage hint. */
	while (*s && n + 1 < sizeof(msg)) {
		size_t k = strcspn(s, "\n");

		if (k && strncmp(s, "Try `", 5)) {
			n += snprintf(msg + n, sizeof(msg) - n, "%s%.*s",
				      n ? "; " : "", (int)k, s);
			n = n < sizeof(msg) ? n : sizeof(msg) - 1;
		}
		s += k + (s[k] == '\n');
	}
	for (i = 1; no && l && i < no && (l = strchr(l, '\n')); i++)
		l++;
	if (no && l && *l)
		snprintf(err, errlen, "%s exited %d: %s (input line %zu: %.*s)",
			 tool, status, msg, no, (int)strcspn(l, "\n"), l);
	else
		snprintf(err, errlen, "%s exited %d: %s", tool, status, msg);
	return fold_status(status, stderr_text ? stderr_text : "");
}

/* --- running a tool --- */

struct run {
	const char *in; /* stdin, may be NULL */
	size_t in_len;
	char *out; /* stdout, malloc'd, NUL-terminated; NULL when not kept */
	size_t out_len, out_cap;
	bool keep_out;
	char errtext[STDERR_KEEP];
	size_t err_len;
	int status; /* exit code */
};


static int timeout_of(const struct rules_opts *o)
{
	return o && o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
}

/* Debian installs the tools in /usr/sbin, which a daemon's PATH may lack. */
static void tool_path(const struct rules_opts *o, const char *tool, char *buf,
		      size_t len)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin" };
	size_t i;

	if (o && o->bindir) {
		snprintf(buf, len, "%s/%s", o->bindir, tool);
		return;
	}
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(buf, len, "%s/%s", dirs[i], tool);
		if (access(buf, X_OK) == 0)
			return;
	}
	snprintf(buf, len, "%s", tool); /* posix_spawnp searches PATH */
}

static int spawn(const char *path, char *const argv[], int fds[3], pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	int r, i;

	sigemptyset(&none);
	sigemptyset(&dfl);
	for (i = 1; i < 32; i++)
		if (i != SIGKILL && i != SIGSTOP)
			sigaddset(&dfl, i);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	for (i = 0; i < 3; i++)
		posix_spawn_file_actions_adddup2(&fa, fds[i], i);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
					    POSIX_SPAWN_SETSIGDEF);
	r = strchr(path, '/')
		? posix_spawn(pid, path, &fa, &attr, argv, environ)
		: posix_spawnp(pid, path, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return -r;
}

static int keep_stdout(struct run *r, const char *buf, size_t n)
{
	size_t need = r->out_len + n + 1, cap = r->out_cap ? r->out_cap : 65536;
	char *p;

	if (!r->keep_out)
		return 0;
	if (need > RULES_DUMP_MAX)
		return -E2BIG;
	while (cap < need)
		cap *= 2;
	if (cap != r->out_cap) {
		p = realloc(r->out, cap);
		if (!p)
			return -ENOMEM;
		r->out = p;
		r->out_cap = cap;
	}
	memcpy(r->out + r->out_len, buf, n);
	r->out_len += n;
	r->out[r->out_len] = '\0';
	return 0;
}

static void keep_stderr(struct run *r, const char *buf, size_t n)
{
	size_t room = sizeof(r->errtext) - 1 - r->err_len;

	n = n < room ? n : room;
	memcpy(r->errtext + r->err_len, buf, n);
	r->err_len += n;
	r->errtext[r->err_len] = '\0';
}

/* One read from fd; *open becomes false at EOF. */
static int drain(struct run *r, int fd, bool is_out, bool *open)
{
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0) {
		*open = false;
		return 0;
	}
	if (is_out)
		return keep_stdout(r, buf, n);
	keep_stderr(r, buf, n);
	return 0;
}

/* Feeds stdin; closes it when done or when the child stopped reading. */
static void feed(struct run *r, int *fd, size_t *off)
{
	ssize_t n = send(*fd, r->in + *off, r->in_len - *off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n > 0)
		*off += n;
	if ((n < 0 && errno != EAGAIN && errno != EINTR) || *off == r->in_len) {
		close(*fd);
		*fd = -1;
	}
}

/* The poll loop: stdin, stdout, stderr until both outputs are at EOF,
 * an error, or the deadline. */
static int pump(struct run *r, int in, int out, int errfd, int timeout_ms)
{
	long long deadline = (long long)now_ms() + timeout_ms;
	bool out_open = true, err_open = true;
	size_t off = 0;
	int rc = 0;

	if (in >= 0 && !r->in_len) {
		close(in);
		in = -1;
	}
	while (!rc && (out_open || err_open)) {
		struct pollfd p[3] = {
			{ .fd = in, .events = POLLOUT },
			{ .fd = out_open ? out : -1, .events = POLLIN },
			{ .fd = err_open ? errfd : -1, .events = POLLIN }
		};
		long long left = deadline - (long long)now_ms();

		if (left <= 0)
			rc = -ETIMEDOUT;
		else if (poll(p, 3, (int)left) < 0 && errno != EINTR)
			rc = -errno;
		if (rc)
			break;
		if (in >= 0 && p[0].revents)
			feed(r, &in, &off);
		if (p[1].revents)
			rc = drain(r, out, true, &out_open);
		if (!rc && p[2].revents)
			rc = drain(r, errfd, false, &err_open);
	}
	if (in >= 0)
		close(in);
	return rc;
}

static int reap(pid_t pid, bool kill_it, int *status)
{
	int st;

	if (kill_it)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st)) {
		*status = WEXITSTATUS(st);
		return 0;
	}
	*status = -1;
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && kill_it
		   ? -ETIMEDOUT
		   : -EIO;
}

static int run_tool(const struct rules_opts *o, const char *tool, char *argv[],
		    struct run *r, char *err, size_t errlen)
{
	char path[256];
	int in[2], out[2], er[2], fds[3], rc, rc2;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in))
		return -errno;
	if (pipe2(out, O_CLOEXEC)) {
		rc = -errno;
		goto close_in;
	}
	if (pipe2(er, O_CLOEXEC)) {
		rc = -errno;
		goto close_out;
	}
	fds[0] = in[1];
	fds[1] = out[1];
	fds[2] = er[1];
	tool_path(o, tool, path, sizeof(path));
	argv[0] = path;
	rc = spawn(path, argv, fds, &pid);
	close(in[1]);
	close(out[1]);
	close(er[1]);
	in[1] = out[1] = er[1] = -1;
	if (rc) {
		snprintf(err, errlen, "%s: cannot run: %s", tool,
			 strerror(-rc));
		goto close_er;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(er[0], F_SETFL, O_NONBLOCK);
	rc = pump(r, in[0], out[0], er[0], timeout_of(o));
	in[0] = -1; /* pump closed it */
	rc2 = reap(pid, rc != 0, &r->status);
	if (!rc)
		rc = rc2;
	if (rc)
		snprintf(err, errlen, "%s: %s", tool,
			 rc == -ETIMEDOUT ? "timed out, killed"
					  : strerror(-rc));
close_er:
	close(er[0]);
close_out:
	close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
close_in:
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	return rc;
}

/* --- save and restore --- */

static void tool_name(int family, enum rules_backend b, const char *verb,
		      char *buf, size_t len)
{
	snprintf(buf, len, "%s-%s-%s",
		 family == AF_INET6 ? "ip6tables" : "iptables",
		 b == RULES_BACKEND_LEGACY ? "legacy" : "nft", verb);
}

static int check_opts(const struct rules_opts *o, int family, char *err,
		      size_t errlen)
{
	if (family != AF_INET && family != AF_INET6) {
		snprintf(err, errlen, "family %d: not AF_INET or AF_INET6",
			 family);
		return -EINVAL;
	}
	if (o->backend != RULES_BACKEND_NFT &&
	    o->backend != RULES_BACKEND_LEGACY) {
		snprintf(err, errlen, "backend not resolved (rules_detect)");
		return -EINVAL;
	}
	return 0;
}

/* The save output of one family; *out malloc'd. */
static int save_text(const struct rules_opts *o, int family, const char *table,
		     struct run *r, char *err, size_t errlen)
{
	char tool[64], targ[40];
	char *argv[4] = { NULL, NULL, NULL, NULL };
	int rc;

	tool_name(family, o->backend, "save", tool, sizeof(tool));
	if (table) {
		snprintf(targ, sizeof(targ), "%s", table);
		argv[1] = "-t";
		argv[2] = targ;
	}
	memset(r, 0, sizeof(*r));
	r->keep_out = true;
	rc = run_tool(o, tool, argv, r, err, errlen);
	if (!rc && r->status)
		rc = rules_restore_error(r->status, tool, r->errtext, NULL, err,
					 errlen);
	if (rc) {
		free(r->out);
		r->out = NULL;
	}
	return rc;
}

int rules_dump(const struct rules_opts *o, int family, const char *table,
	       const char *prefix, struct rules_dump **out, char *err,
	       size_t errlen)
{
	struct run r;
	int rc;

	*out = NULL;
	if ((rc = check_opts(o, family, err, errlen)))
		return rc;
	if ((rc = save_text(o, family, table, &r, err, errlen)))
		return rc;
	rc = rules_dump_parse(r.out ? r.out : "", r.out_len, prefix, out, err,
			      errlen);
	free(r.out);
	return rc;
}

int rules_restore(const struct rules_opts *o, int family, const char *text,
		  size_t len, char *err, size_t errlen)
{
	char tool[64], wait[32];
	char *argv[4] = { NULL, "--noflush", wait, NULL };
	struct run r = { .in = text, .in_len = len };
	int rc;

	if ((rc = check_opts(o, family, err, errlen)))
		return rc;
	tool_name(family, o->backend, "restore", tool, sizeof(tool));
	snprintf(wait, sizeof(wait), "--wait=%d",
		 timeout_of(o) / 2000 > 0 ? timeout_of(o) / 2000 : 1);
	rc = run_tool(o, tool, argv, &r, err, errlen);
	if (!rc && r.status)
		rc = rules_restore_error(r.status, tool, r.errtext, text, err,
					 errlen);
	return rc;
}

/* --- detection --- */

void rules_saves_free(struct rules_saves *s)
{
	for (int b = 0; b < 2; b++)
		for (int f = 0; f < 2; f++) {
			free(s->text[b][f]);
			s->text[b][f] = NULL;
			s->len[b][f] = 0;
		}
}

/* One save tool's verdict; its text is kept in *text when asked. */
static void probe_one(const struct rules_opts *o, int family,
		      struct rules_probe *p, char **text, size_t *len)
{
	struct rules_dump *d = NULL;
	struct run r;
	char err[256];

	if (check_opts(o, family, err, sizeof(err)) ||
	    save_text(o, family, NULL, &r, err, sizeof(err)))
		return; /* a backend the host cannot run does not vote */
	if (rules_dump_parse(r.out ? r.out : "", r.out_len, RULES_PREFIX, &d,
			     err, sizeof(err))) {
		free(r.out);
		return;
	}
	if (text) {
		/* a tool that printed nothing (no table yet) ran all the same */
		*text = r.out ? r.out : strdup("");
		*len = r.out ? r.out_len : 0;
	} else {
		free(r.out);
	}
	p->ok = true;
	p->hint |= d->hint;
	p->foreign_rules += d->foreign_rules;
	p->own_chains += d->own_chains;
	rules_dump_free(d);
}

struct probe_job {
	struct rules_opts o;
	int family;
	struct rules_probe p;
	char **text; /* NULL: not kept */
	size_t *len;
};

static void probe_job(void *arg)
{
	struct probe_job *j = arg;

	probe_one(&j->o, j->family, &j->p, j->text, j->len);
}

static void probe_add(struct rules_probe *to, const struct rules_probe *p)
{
	to->ok |= p->ok;
	to->hint |= p->hint;
	to->foreign_rules += p->foreign_rules;
	to->own_chains += p->own_chains;
}

int rules_detect(enum rules_backend want, int timeout_ms,
		 enum rules_backend *out, struct rules_probe *nft,
		 struct rules_probe *legacy, struct rules_saves *saves,
		 char *err, size_t errlen)
{
	struct rules_probe pn = { 0 }, pl = { 0 };
	struct probe_job jobs[4];
	void *args[4];
	bool probe = want == RULES_BACKEND_AUTO;
	size_t n = 0;

	for (int b = 0; b < 2; b++) {
		enum rules_backend be =
		    b ? RULES_BACKEND_LEGACY : RULES_BACKEND_NFT;

		if (!probe && !(b ? legacy : nft))
			continue;
		for (int f = 0; f < 2; f++) {
			jobs[n] = (struct probe_job){
				.o = { .backend = be, .timeout_ms = timeout_ms },
				.family = f ? AF_INET6 : AF_INET,
				.text = saves ? &saves->text[b][f] : NULL,
				.len = saves ? &saves->len[b][f] : NULL
			};
			args[n] = &jobs[n];
			n++;
		}
	}
	/* four save tools that only wait for their processes: at once */
	par_run(probe_job, args, n);
	for (size_t i = 0; i < n; i++)
		probe_add(jobs[i].o.backend == RULES_BACKEND_NFT ? &pn : &pl,
			  &jobs[i].p);
	if (nft)
		*nft = pn;
	if (legacy)
		*legacy = pl;
	*out = probe ? rules_backend_choose(&pn, &pl) : want;
	if (probe && !pn.ok && !pl.ok) {
		snprintf(err, errlen,
			 "neither iptables-nft-save nor iptables-legacy-save "
			 "runs here");
		return -ENOENT;
	}
	return 0;
}

/* --- apply and cleanup --- */

/* One save with -t when one table is wanted; all tables otherwise (one
 * process instead of several). */
static int dump_for(const struct rules_opts *o, const struct rules_want *w,
		    struct rules_dump **have, char *err, size_t errlen)
{
	const char *table = w->n_tables == 1 ? w->tables[0].name : NULL;

	return rules_dump(o, w->family, table, w->prefix, have, err, errlen);
}

static int verify(const struct rules_opts *o, const struct rules_want *w,
		  char *err, size_t errlen)
{
	struct rules_dump *d;
	char what[512];
	int rc;

	if ((rc = dump_for(o, w, &d, err, errlen)))
		return rc;
	if (rules_differs(w, d, what, sizeof(what))) {
		snprintf(err, errlen,
			 "written, but the kernel disagrees (rule not in "
			 "iptables-save form?): %s",
			 what);
		rc = -EPROTO;
	}
	rules_dump_free(d);
	return rc;
}

int rules_apply(const struct rules_opts *o, const struct rules_want *w,
		struct rules_stats *st, struct rules_text *written, char *err,
		size_t errlen)
{
	struct rules_dump *have = NULL;
	struct rules_text t = { 0 };
	int rc;

	if (written)
		memset(written, 0, sizeof(*written));
	if ((rc = rules_want_check(w, err, errlen)) ||
	    (rc = check_opts(o, w->family, err, errlen)))
		return rc;
	if ((rc = dump_for(o, w, &have, err, errlen)))
		return rc;
	rc = rules_plan(w, have, &t, st, err, errlen);
	rules_dump_free(have);
	if (!rc && t.len)
		rc = rules_restore(o, w->family, t.s, t.len, err, errlen);
	if (!rc && t.len && o->verify)
		rc = verify(o, w, err, errlen);
	if (written && (!rc || rc == -EPROTO))
		*written = t;
	else
		rules_text_free(&t);
	return rc;
}

int rules_cleanup(const struct rules_opts *o, int family, const char *prefix,
		  struct rules_stats *st, char *err, size_t errlen)
{
	struct rules_table tables[8];
	struct rules_want w = { .family = family,
				.prefix = prefix,
				.comment = "snapnet",
				.tables = tables };
	struct rules_dump *have = NULL;
	struct rules_text t = { 0 };
	size_t i;
	int rc;

	if ((rc = rules_dump(o, family, NULL, prefix, &have, err, errlen)))
		return rc;
	/* Only the tables rules_want_check() knows; ours live nowhere else. */
	for (i = 0; i < have->n_tables && w.n_tables < 8; i++) {
		const char *n = have->tables[i].name;

		if (!strcmp(n, "filter") || !strcmp(n, "nat") ||
		    !strcmp(n, "mangle") || !strcmp(n, "raw"))
			tables[w.n_tables++] =
			    (struct rules_table){ .name = n };
	}
	rc = rules_plan(&w, have, &t, st, err, errlen);
	if (!rc && t.len)
		rc = rules_restore(o, family, t.s, t.len, err, errlen);
	rules_text_free(&t);
	rules_dump_free(have);
	return rc;
}
