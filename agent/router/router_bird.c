/*
 * router_bird.c - the BIRD process of mode managed, and `bird -p`.
 *
 * Owns: the BIRD started on [router] bird_config / bird_socket /
 * bird_pidfile, and nothing else. A process counts as that BIRD only when
 * the pid file names it and its command line carries our socket path
 * (a recycled pid is never signalled).
 *
 *   - Under `snapnet run` BIRD is this process's child (`bird -f`, its own
 *     process group, stdin/stdout on /dev/null, stderr shared with the
 *     daemon so BIRD's log lines land in snapnet's log). The daemon's
 *     SIGCHLD runs a pass whose probe reaps it; it is then restarted
 *     after a backoff that pass_retry() waits out: none after a run of
 *     at least 60 s, else 1 s, doubling with each quick death to 30 s.
 *   - A one-shot command (`snapnet apply`) starts it detached (its own
 *     session, stderr appended to bird_log) and leaves it running; the
 *     next command finds it by its socket, `cleanup` stops it by its pid
 *     file, and a daemon stops it and starts its own child (it adopts
 *     nothing: only a child can be reaped and restarted).
 *
 * Every child starts with an empty signal mask and default dispositions
 * (the daemon blocks its signals for signalfd, and a blocked SIGTERM
 * would outlive exec) and with no descriptor but 0-2 (bats, for one,
 * waits on any fd 3 it left open).
 *
 * Fails with a negative errno and text in the caller's buffer; no
 * logging.
 */
#define _GNU_SOURCE
#include "router/router.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

#define START_WAIT_MS 10000 /* a big config takes a while to parse */
#define STOP_WAIT_MS 5000
#define PROBE_MS 1000
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 30000
#define STABLE_MS 60000 /* a run this long resets the backoff */
#define CHECK_OUT_MAX 2048

extern char **environ;

/* The daemon's child; a one-shot command never has one. */
static struct {
	pid_t pid;
	uint64_t started_ms, died_ms;
	unsigned backoff_ms, restarts;
	char last_exit[96];
} child;

unsigned router_bird_restarts(const char **last_exit)
{
	if (last_exit)
		*last_exit = child.last_exit;
	return child.restarts;
}

static void exit_text(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
			 WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended (status %#x)", status);
}

/* Our child ended: when it ran long enough it is restarted at once,
 * otherwise after a backoff that doubles with each quick death. */
static void child_died(int status)
{
	uint64_t now = now_ms();

	exit_text(status, child.last_exit, sizeof(child.last_exit));
	if (now - child.started_ms >= STABLE_MS)
		child.backoff_ms = 0;
	else if (!child.backoff_ms)
		child.backoff_ms = BACKOFF_FIRST_MS;
	else if ((child.backoff_ms *= 2) > BACKOFF_MAX_MS)
		child.backoff_ms = BACKOFF_MAX_MS;
	child.died_ms = now;
	child.pid = 0;
}

/* The pid in bird_pidfile, 0 when none. */
static pid_t pidfile_read(const struct router_config *c)
{
	char *text;
	long v;

	if (read_file_small(c->bird_pidfile, 64, &text, NULL) < 0)
		return 0;
	v = strtol(text, NULL, 10);
	free(text);
	return v > 1 && v < 1L << 30 ? (pid_t)v : 0;
}

/* True when pid is a live process whose argv has "-s SOCKET". */
static bool is_our_bird(const struct router_config *c, pid_t pid)
{
	char path[64], *argv;
	size_t len;
	bool ours = false;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if (read_file_small(path, 1 << 16, &argv, &len) < 0)
		return false;
	for (size_t i = 0; i < len && !ours;) {
		const char *a = argv + i;
		size_t n = strnlen(a, len - i);

		if (!strcmp(a, "-s") && i + n + 1 < len)
			ours = !strcmp(a + n + 1, c->bird_socket);
		i += n + 1;
	}
	free(argv);
	return ours;
}

void router_bird_probe(const struct router_config *c, bool daemon,
		       struct router_bird_state *st)
{
	bool managed = router_mode_of(c) == ROUTER_MANAGED;
	pid_t file_pid;
	int status, e;

	memset(st, 0, sizeof(*st));
	if (daemon && child.pid &&
	    waitpid(child.pid, &status, WNOHANG) == child.pid) {
		st->died = true;
		st->died_pid = child.pid;
		child_died(status);
		str_copy(st->exit_text, child.last_exit, sizeof(st->exit_text));
	}
	st->child = child.pid != 0;
	st->pid = child.pid;
	file_pid = managed ? pidfile_read(c) : 0;
	if (file_pid && file_pid != child.pid && is_our_bird(c, file_pid)) {
		if (daemon)
			st->stale = file_pid;
		else
			st->pid = file_pid;
	}
	e = router_ctl_open(c->bird_socket, PROBE_MS, &st->conn, st->sock_err,
			    sizeof(st->sock_err));
	st->answers = e == 0;
	if (st->answers)
		str_copy(st->version, router_ctl_greeting(st->conn),
			 sizeof(st->version));
	st->running = st->child || st->answers || st->pid || st->stale;
	if (!st->child && child.died_ms &&
	    now_ms() < child.died_ms + child.backoff_ms)
		st->backoff_left_ms =
		    (unsigned)(child.died_ms + child.backoff_ms - now_ms());
}

void router_bird_state_fini(struct router_bird_state *st)
{
	router_ctl_close(st->conn);
	st->conn = NULL;
}

static int dir_of(const char *path, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	int r;

	str_copy(tmp, path, sizeof(tmp));
	r = mkdir_p(dirname(tmp));
	if (r < 0)
		return errf(err, errlen, -r, "mkdir for %s: %s", path,
			    strerror(-r));
	return 0;
}

/* Attributes every child gets: empty mask, default dispositions, and
 * either its own process group (a child of the daemon, so a terminal's
 * ^C reaches only snapnet, which then stops it) or its own session. */
static int spawn_attrs(posix_spawnattr_t *a, bool session)
{
	sigset_t none, all;
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;

	sigemptyset(&none);
	sigfillset(&all);
	flags |= session ? POSIX_SPAWN_SETSID : POSIX_SPAWN_SETPGROUP;
	if (posix_spawnattr_init(a) || posix_spawnattr_setsigmask(a, &none) ||
	    posix_spawnattr_setsigdefault(a, &all) ||
	    posix_spawnattr_setpgroup(a, 0) ||
	    posix_spawnattr_setflags(a, flags))
		return -ENOMEM;
	return 0;
}

/* stdin and stdout on /dev/null, stderr on err_fd (-1: /dev/null, -2:
 * inherited), nothing else. */
static int spawn_files(posix_spawn_file_actions_t *fa, int err_fd)
{
	int r = posix_spawn_file_actions_init(fa);

	if (!r)
		r = posix_spawn_file_actions_addopen(fa, 0, "/dev/null",
						     O_RDONLY, 0);
	if (!r)
		r = posix_spawn_file_actions_addopen(fa, 1, "/dev/null",
						     O_WRONLY, 0);
	if (!r && err_fd == -1)
		r = posix_spawn_file_actions_addopen(fa, 2, "/dev/null",
						     O_WRONLY, 0);
	else if (!r && err_fd >= 0)
		r = posix_spawn_file_actions_adddup2(fa, err_fd, 2);
	if (!r)
		r = posix_spawn_file_actions_addclosefrom_np(fa, 3);
	return -r;
}

static int spawn(const char *const argv[], bool session, int err_fd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t a;
	int r = spawn_attrs(&a, session);

	if (r)
		return r;
	r = spawn_files(&fa, err_fd);
	if (!r)
		r = -posix_spawn(pid, argv[0], &fa, &a, (char *const *)argv,
				 environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&a);
	return r;
}

/* Waits for the socket of the BIRD just started; pid is our child. */
static int start_wait(const struct router_config *c, pid_t pid, char *err,
		      size_t errlen)
{
	uint64_t end = now_ms() + START_WAIT_MS;
	struct router_ctl_conn *conn;
	char why[256] = "";
	int status;

	while (now_ms() < end) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			bool ours = child.pid == pid;

			exit_text(status, why, sizeof(why));
			if (ours)
				child_died(status);
			return errf(err, errlen, ECHILD,
				    "%s %s at once (its log: %s)", c->bird_bin,
				    why, ours ? "snapnet's" : c->bird_log);
		}
		if (router_ctl_open(c->bird_socket, 200, &conn, why,
				    sizeof(why)) == 0) {
			router_ctl_close(conn);
			return 0;
		}
		usleep(10000);
	}
	return errf(err, errlen, ETIMEDOUT,
		    "%s started (pid %ld) but %s did not answer in %d ms: %s",
		    c->bird_bin, (long)pid, c->bird_socket, START_WAIT_MS, why);
}

int router_bird_start(const struct router_config *c, bool daemon, char *err,
		      size_t errlen)
{
	const char *argv[] = { c->bird_bin, "-f",
			       "-c",	    c->bird_config,
			       "-s",	    c->bird_socket,
			       "-P",	    c->bird_pidfile,
			       NULL };
	int log_fd = -2, r;
	pid_t pid;

	if ((r = dir_of(c->bird_socket, err, errlen)) ||
	    (r = dir_of(c->bird_pidfile, err, errlen)))
		return r;
	if (!daemon) {
		log_fd = -1;
		if (dir_of(c->bird_log, err, errlen) == 0)
			log_fd = open(c->bird_log,
				      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
				      0640);
		if (log_fd < 0)
			log_fd = -1; /* no log is no reason not to route */
	}
	r = spawn(argv, !daemon, log_fd, &pid);
	if (log_fd >= 0)
		close(log_fd);
	if (r)
		return errf(err, errlen, -r, "%s: %s", c->bird_bin,
			    strerror(-r));
	if (daemon) {
		if (child.died_ms)
			child.restarts++;
		child.pid = pid;
		child.started_ms = now_ms();
	}
	return start_wait(c, pid, err, errlen);
}

/* Our child is gone once reaped; another process once its command line
 * is no longer our BIRD's (a zombie's is empty: whoever adopted it may
 * reap it late). */
static bool gone(const struct router_config *c, pid_t pid, bool ours)
{
	int status;

	if (ours)
		return waitpid(pid, &status, WNOHANG) == pid;
	return !is_our_bird(c, pid);
}

/* Waits for pid to end; SIGKILL after STOP_WAIT_MS. */
static int stop_wait(const struct router_config *c, pid_t pid, bool ours)
{
	uint64_t end = now_ms() + STOP_WAIT_MS;

	while (now_ms() < end) {
		if (gone(c, pid, ours))
			return 0;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	for (int i = 0; i < 100 && !gone(c, pid, ours); i++)
		usleep(10000);
	return -ETIMEDOUT;
}

/* Graceful restart over the socket: BIRD leaves without telling its
 * peers, which keep our routes (marked stale) for the restart time. */
static bool stop_graceful(const struct router_config *c)
{
	struct router_ctl_reply reply;
	char why[256];
	bool ok;

	if (router_ctl_run(c->bird_socket, "graceful restart", 2000, &reply,
			   why, sizeof(why)))
		return false;
	ok = router_ctl_reply_class(&reply) == ROUTER_CTL_OK;
	router_ctl_reply_free(&reply);
	return ok;
}

int router_bird_stop(const struct router_config *c, pid_t pid, bool graceful,
		     char *err, size_t errlen)
{
	bool ours = pid && pid == child.pid;

	if (!pid)
		return 0;
	if (!ours && !is_our_bird(c, pid))
		return 0; /* gone meanwhile, or a recycled pid */
	if (!(graceful && stop_graceful(c)) && kill(pid, SIGTERM) < 0 &&
	    errno != ESRCH)
		return errf(err, errlen, errno, "kill %ld: %s", (long)pid,
			    strerror(errno));
	if (stop_wait(c, pid, ours) < 0)
		errf(err, errlen, ETIMEDOUT,
		     "bird %ld did not stop in %d ms; killed", (long)pid,
		     STOP_WAIT_MS);
	if (ours) {
		child.pid = 0;
		child.died_ms = 0; /* stopped on purpose: no backoff */
	}
	/* BIRD leaves its pid file behind after a kill */
	if (pidfile_read(c) == pid)
		unlink(c->bird_pidfile);
	return 0;
}

void router_bird_stop_child(const struct router_config *c, bool graceful)
{
	char err[ERRLEN];

	if (child.pid)
		router_bird_stop(c, child.pid, graceful, err, sizeof(err));
}

/* Reads what the check printed, bounded; the pipe is closed after. */
static void check_output(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while ((r = read(fd, buf + n, len - 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		n += (size_t)r;
		if (n == len - 1) { /* drain the rest, keep the start */
			char sink[512];

			while (read(fd, sink, sizeof(sink)) > 0)
				;
			break;
		}
	}
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

int router_bird_check(const struct router_config *c, const char *file,
		      char *err, size_t errlen)
{
	const char *argv[] = { c->bird_bin, "-p", "-c", file, NULL };
	char out[CHECK_OUT_MAX];
	int fds[2], status = 0, r;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return errf(err, errlen, errno, "pipe: %s", strerror(errno));
	r = spawn(argv, false, fds[1], &pid);
	close(fds[1]);
	if (r) {
		close(fds[0]);
		return errf(err, errlen, -r, "%s: %s", c->bird_bin,
			    strerror(-r));
	}
	check_output(fds[0], out, sizeof(out));
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (!out[0])
		exit_text(status, out, sizeof(out));
	return errf(err, errlen, EINVAL, "%s -p: %s", c->bird_bin, out);
}
