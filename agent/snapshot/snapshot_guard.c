/*
 * snapshot_guard.c - survives a snapshot file truncated in place while the
 * loader reads it through mmap.
 *
 * Reading a page of a mapping that now lies past the end of its file
 * raises SIGBUS, whose default action kills the daemon. The exporter is
 * expected to rename a new file into place, but `: > snapshot.json` or a
 * writer that truncates and rewrites must cost one rejected load, not the
 * process. For the duration of one guarded call a SIGBUS handler is
 * installed; a fault whose address lies in the guarded mapping jumps back
 * (siglongjmp) into snapshot_guard_run(), which returns -EAGAIN. The
 * caller's function is abandoned mid-way, so it must keep everything it
 * allocates reachable from its argument while it touches the mapping (the
 * loader never lets json-c read the mapping: Node items are copied first).
 *
 * Any other SIGBUS is not ours: the previous action is put back and the
 * faulting access repeats under it, so a real bug still dies loudly.
 * The guard is process-wide state: one guarded call at a time (the agent
 * loads from one thread); a second concurrent call gets -EBUSY.
 */
#include "snapshot/snapshot_int.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

static struct {
	sigjmp_buf jmp;
	const char *lo;
	size_t len;
	struct sigaction old;
	volatile sig_atomic_t armed;
} guard;

static atomic_flag guard_busy = ATOMIC_FLAG_INIT;

static void on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	const char *a = si->si_addr;

	(void)uctx;
	if (guard.armed && si->si_code > 0 && a >= guard.lo &&
	    (size_t)(a - guard.lo) < guard.len) {
		guard.armed = 0;
		siglongjmp(guard.jmp, 1);
	}
	/* not a page of the snapshot: back to the previous action, which
	 * handles a fault when the access is retried on return. A SIGBUS
	 * sent by kill(2) (si_code <= 0) retries nothing: send it again so
	 * the previous action sees it. */
	sigaction(SIGBUS, &guard.old, NULL);
	if (si->si_code <= 0)
		raise(sig);
}

int snapshot_guard_run(const void *map, size_t len, int (*fn)(void *),
		       void *arg)
{
	struct sigaction sa;
	int r;

	if (atomic_flag_test_and_set(&guard_busy))
		return -EBUSY;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &guard.old) < 0) {
		r = -errno;
		atomic_flag_clear(&guard_busy);
		return r;
	}
	guard.lo = map;
	guard.len = len;
	/* savemask = 1: the jump out of the handler unblocks SIGBUS again */
	if (sigsetjmp(guard.jmp, 1)) {
		r = -EAGAIN;
	} else {
		guard.armed = 1;
		r = fn(arg);
	}
	guard.armed = 0;
	sigaction(SIGBUS, &guard.old, NULL);
	atomic_flag_clear(&guard_busy);
	return r;
}
