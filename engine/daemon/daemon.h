/*
 * overgangd: one event loop carrying the HTTP server, the database connections and the timers.
 * Runs until SIGTERM or SIGINT (stop accepting, answer what is in flight, exit within the
 * shutdown timeout), reopens its log on SIGHUP.
 */
#ifndef OG_DAEMON_H
#define OG_DAEMON_H

#include "config/config.h"

/* Runs the daemon with CFG; returns the process exit status (0 after a signal, 1 when it
 * cannot start or must not run). */
int daemon_run(const struct cfg *cfg);

#endif
