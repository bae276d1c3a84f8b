/*
 * loop.c - `snapnet run`: wakes on the snapshot, on signals and on a
 * periodic resync, and runs reconcile passes.
 *
 * The snapshot's DIRECTORY is watched, not the file: exporters replace the
 * file by rename, which would orphan a watch on the old inode. Only
 * IN_CLOSE_WRITE and IN_MOVED_TO for the file's own name count, so a
 * writer's half-written temp file in the same directory never triggers.
 * Bursts are debounced: each event re-arms a one-shot timer; a burst that
 * never pauses still runs once every 10 debounce periods.
 *
 * SIGTERM/SIGINT exit and leave the data plane in place (pods keep their
 * network across an agent restart); `snapnet cleanup` removes it.
 * SIGHUP reloads the config and resyncs; SIGUSR1 resyncs. SIGCHLD (a
 * function's child process, a managed BIRD, ended) runs a pass, in which
 * that function reaps and restarts it; a function may also ask for a pass
 * later (pass_retry(): a restart backoff), on a one-shot timer.
 *
 * A retry timer of its own (RETRY_MS), whatever resync_interval says,
 * re-establishes a lost watch (the directory was renamed or deleted) and
 * repeats a pass whose ownership record or status file could not be
 * written (a full disk): the daemon never goes deaf waiting for a resync
 * that may be off.
 */
#define _GNU_SOURCE
#include "core/loop.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "core/owner.h"

#define RETRY_MS 1000

struct loop {
	struct agent *a;
	int ep, ino, sig, resync, debounce, retry, later;
	bool retry_armed;
	bool status_failed; /* the last status write failed */
	int wd;
	char dir[PATH_MAX], base[NAME_MAX + 1];
	uint64_t first_event_ms; /* 0 = no pass pending */
	bool stop;
};

static int timer_arm(int fd, unsigned ms, bool periodic)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	if (ms == 0 && !periodic)
		its.it_value.tv_nsec = 1; /* "now"; 0 would disarm */
	if (periodic)
		its.it_interval = its.it_value;
	return timerfd_settime(fd, 0, &its, NULL) < 0 ? -errno : 0;
}

/* Watches the directory of the configured snapshot path. The new watch
 * is added before the old one is dropped, and the names are committed
 * only once it exists, so a failed reload keeps the old watch working.
 * `create` makes the directory (start, reload); after the directory went
 * away we only watch it again if someone re-creates it, meanwhile the
 * periodic resync keeps trying. */
static int watch_snapshot(struct loop *l, bool create)
{
	char tmp[PATH_MAX], dir[PATH_MAX], base[NAME_MAX + 1];
	int r, wd;

	str_copy(tmp, agent_snapshot_path(l->a), sizeof(tmp));
	str_copy(base, basename(tmp), sizeof(base));
	str_copy(tmp, agent_snapshot_path(l->a), sizeof(tmp));
	str_copy(dir, dirname(tmp), sizeof(dir));
	if (create && (r = mkdir_p(dir)) < 0)
		return r;
	wd = inotify_add_watch(l->ino, dir,
			       IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF |
				   IN_MOVE_SELF);
	if (wd < 0)
		return -errno;
	if (l->wd >= 0 && l->wd != wd)
		inotify_rm_watch(l->ino, l->wd);
	l->wd = wd;
	str_copy(l->dir, dir, sizeof(l->dir));
	str_copy(l->base, base, sizeof(l->base));
	return 0;
}

static void retry_arm(struct loop *l, bool on)
{
	if (on == l->retry_armed)
		return;
	if (on)
		timer_arm(l->retry, RETRY_MS, true);
	else
		timerfd_settime(l->retry, 0, &(struct itimerspec){ 0 }, NULL);
	l->retry_armed = on;
}

/* What the retry timer is for: a watch to re-establish, or a pass whose
 * record or status did not reach the disk. */
static bool retry_wanted(const struct loop *l)
{
	return l->wd < 0 || l->status_failed || l->a->st.record_failed;
}

static void run_pass(struct loop *l, const char *trigger)
{
	char err[ERRLEN];

	l->first_event_ms = 0;
	reconcile_pass(l->a, PASS_APPLY, NULL, trigger);
	if (l->a->st.retry_ms)
		timer_arm(l->later, l->a->st.retry_ms, false);
	l->status_failed = status_write(l->a, err, sizeof(err)) < 0;
	if (l->status_failed)
		log_err("status: %s; retrying every %u ms", err, RETRY_MS);
	retry_arm(l, retry_wanted(l));
	log_info("pass %llu (%s): %s in %.0f ms%s",
		 (unsigned long long)l->a->st.passes, trigger,
		 l->a->st.ok ? "ok" : "error", l->a->st.duration_ms,
		 l->a->st.snapshot_unchanged ? ", snapshot unchanged" : "");
}

static int arm_resync(struct loop *l)
{
	unsigned s = l->a->cfg.agent.resync_interval;

	if (s == 0) {
		struct itimerspec off = { 0 };

		return timerfd_settime(l->resync, 0, &off, NULL) < 0 ? -errno
								     : 0;
	}
	return timer_arm(l->resync, s * 1000, true);
}

/* True when the events ask for a pass: our file's name in our watch, or
 * a queue overflow (it may have eaten our event). When the directory
 * itself is renamed or deleted the watch is dropped (the kernel keeps a
 * watch on a renamed directory, which would go on firing for the old
 * place) and we try to watch the configured path again. */
static bool scan_events(struct loop *l, const char *buf, ssize_t n,
			bool *rewatch)
{
	bool hit = false;

	for (const char *p = buf; p < buf + n;) {
		const struct inotify_event *ev = (const void *)p;

		if (ev->mask & IN_Q_OVERFLOW)
			hit = true;
		else if (ev->wd != l->wd)
			; /* a watch we already gave up */
		else if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
			*rewatch = hit = true;
		else if (ev->len && !strcmp(ev->name, l->base))
			hit = true;
		p += sizeof(*ev) + ev->len;
	}
	return hit;
}

/* 0 when the watch is back; else the retry timer keeps trying. */
static int rewatch(struct loop *l)
{
	int r;

	if (l->wd >= 0)
		inotify_rm_watch(l->ino, l->wd); /* EINVAL if already gone */
	l->wd = -1;
	r = watch_snapshot(l, false);
	if (r < 0) {
		log_limited(LOG_ERR, "%s: cannot watch: %s; retrying every "
			    "%u ms", l->dir, strerror(-r), RETRY_MS);
		retry_arm(l, true);
	} else {
		log_info("watching %s/%s again", l->dir, l->base);
	}
	return r;
}

static void on_inotify(struct loop *l)
{
	char buf[8192]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	unsigned deb = l->a->cfg.agent.debounce_ms;
	bool hit = false, again = false;
	ssize_t n;

	while ((n = read(l->ino, buf, sizeof(buf))) > 0)
		hit |= scan_events(l, buf, n, &again);
	if (again)
		rewatch(l);
	if (!hit)
		return;
	if (!l->first_event_ms)
		l->first_event_ms = now_ms();
	/* A burst that never pauses still gets a pass now and then. */
	if (now_ms() - l->first_event_ms >= 10ULL * deb)
		timer_arm(l->debounce, 0, false);
	else
		timer_arm(l->debounce, deb, false);
}

/* Settings the daemon cannot take over while it runs: the ones that mark
 * what it owns, and the state_dir it holds locked. */
static bool ownership_changed(const struct config *was,
			      const struct config *now, char *buf, size_t len)
{
	struct owner a, b;
	bool differ;

	if (owner_from_config(was, &a) < 0)
		return true;
	if (owner_from_config(now, &b) < 0) {
		owner_free(&a);
		return true;
	}
	differ = owner_differs(&a, &b, buf, len);
	owner_free(&a);
	owner_free(&b);
	if (differ)
		return true;
	if (strcmp(was->agent.state_dir, now->agent.state_dir)) {
		/* a cut-off path in a log line is fine */
		if (snprintf(buf, len, "[agent] state_dir %s -> %s",
			     was->agent.state_dir, now->agent.state_dir) < 0)
			buf[0] = '\0';
		return true;
	}
	return false;
}

static void reload(struct loop *l)
{
	struct config c;
	char err[ERRLEN];
	int r;

	if (config_load(l->a->cfg.path, &c, err, sizeof(err)) < 0) {
		log_err("reload refused, keeping the running config: %s", err);
		return;
	}
	if (ownership_changed(&l->a->cfg, &c, err, sizeof(err))) {
		log_err("reload refused, keeping the running config: %s "
			"changed; what the old setting made would be orphaned "
			"(stop the daemon, run `snapnet cleanup` with the old "
			"config, then start it with the new one)",
			err);
		config_fini(&c);
		return;
	}
	config_move(&l->a->cfg, &c);
	agent_apply_overrides(l->a);
	r = watch_snapshot(l, true);
	if (r < 0)
		log_err("%s: cannot watch: %s; still watching %s",
			l->a->cfg.path, strerror(-r), l->dir);
	arm_resync(l);
	log_info("config %s reloaded", l->a->cfg.path);
}

/* A SIGCHLD also comes for every tool a pass ran (iptables-restore,
 * bird -p), which that pass has reaped already; were each to run a pass,
 * its tools would run the next one, forever. Only a child still waiting
 * to be reaped (a function's long-lived one ended) asks for a pass. */
static bool child_waiting(void)
{
	siginfo_t si = { 0 };

	return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid != 0;
}

static void on_signal(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sig, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			l->stop = true;
			break;
		case SIGHUP:
			reload(l);
			run_pass(l, "sighup");
			break;
		case SIGUSR1:
			if (l->wd < 0)
				rewatch(l);
			run_pass(l, "sigusr1");
			break;
		case SIGCHLD:
			if (child_waiting())
				run_pass(l, "sigchld");
			break;
		}
	}
}

static void drain(int fd)
{
	uint64_t n;

	while (read(fd, &n, sizeof(n)) == sizeof(n))
		;
}

static int add_fd(struct loop *l, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (fd < 0)
		return -errno;
	return epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int setup(struct loop *l, sigset_t *mask)
{
	int r;

	sigemptyset(mask);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGHUP);
	sigaddset(mask, SIGUSR1);
	sigaddset(mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, mask, NULL) < 0)
		return -errno;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0)
		return -errno;
	l->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	l->sig = signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC);
	l->resync = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	l->debounce =
	    timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	l->retry = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	l->later = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if ((r = add_fd(l, l->ino)) < 0 || (r = add_fd(l, l->sig)) < 0 ||
	    (r = add_fd(l, l->resync)) < 0 ||
	    (r = add_fd(l, l->debounce)) < 0 || (r = add_fd(l, l->retry)) < 0 ||
	    (r = add_fd(l, l->later)) < 0)
		return r;
	if ((r = watch_snapshot(l, true)) < 0)
		return r;
	return arm_resync(l);
}

static void teardown(struct loop *l)
{
	int fds[] = { l->ep,	   l->ino,   l->sig,  l->resync,
		      l->debounce, l->retry, l->later };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* A watch that comes back means the snapshot may have changed unseen:
 * a pass follows. So does a failed record or status write. */
static void on_retry(struct loop *l)
{
	bool again = l->a->st.record_failed || l->status_failed;

	drain(l->retry);
	if (l->wd < 0 && rewatch(l) == 0)
		again = true;
	if (again) {
		run_pass(l, "retry");
		return;
	}
	retry_arm(l, retry_wanted(l));
}

static void dispatch(struct loop *l, int fd)
{
	if (fd == l->ino) {
		on_inotify(l);
	} else if (fd == l->sig) {
		on_signal(l);
	} else if (fd == l->debounce) {
		drain(fd);
		run_pass(l, "inotify");
	} else if (fd == l->resync) {
		drain(fd);
		if (l->wd < 0)
			rewatch(l);
		run_pass(l, "resync");
	} else if (fd == l->retry) {
		on_retry(l);
	} else if (fd == l->later) {
		drain(fd);
		run_pass(l, "later");
	}
}

int loop_run(struct agent *a)
{
	struct loop l = { .a = a,
			  .ep = -1,
			  .ino = -1,
			  .sig = -1,
			  .resync = -1,
			  .debounce = -1,
			  .retry = -1,
			  .later = -1,
			  .wd = -1 };
	struct epoll_event evs[8];
	sigset_t mask;
	int rc = 0, r;

	a->daemon = true;
	r = setup(&l, &mask);

	if (r < 0) {
		log_err("daemon setup: %s", strerror(-r));
		teardown(&l);
		return 1;
	}
	log_info("watching %s/%s as node %s", l.dir, l.base,
		 a->cfg.agent.node_name);
	run_pass(&l, "start");
	while (!l.stop) {
		int n = epoll_wait(l.ep, evs, ARRAY_SIZE(evs), -1);

		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait: %s", strerror(errno));
			rc = 1;
			break;
		}
		for (int i = 0; i < n; i++)
			dispatch(&l, evs[i].data.fd);
	}
	log_info("stopping; the data plane stays in place");
	reconcile_stop(a);
	teardown(&l);
	return rc;
}
