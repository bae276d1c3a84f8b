/*
 * loop.h - the daemon: epoll over inotify, signalfd and timerfds.
 */
#ifndef SNAPNET_LOOP_H
#define SNAPNET_LOOP_H

#include "core/reconcile.h"

/* Runs until SIGTERM/SIGINT. Returns the exit status. */
int loop_run(struct agent *a);

#endif
