/*
 * log.h - the only log sink. Lines go to stderr as "snapnet: LEVEL: text".
 */
#ifndef SNAPNET_LOG_H
#define SNAPNET_LOG_H

#include <syslog.h> /* LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG */

void log_set_level(int level);
void log_msg(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Like log_msg(), but a line identical to one logged within the last
 * LOG_REPEAT_S seconds is dropped: a resync every few seconds must not
 * repeat the same unreachable next hop forever. */
#define LOG_REPEAT_S 600
void log_limited(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
