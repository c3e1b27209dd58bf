/* log.c — leveled messages to stderr. */
#include <stdarg.h>
#include <stdio.h>

#include "byolcl/log.h"

static LogLevel current_level = LOG_INFO;

void log_set_level(LogLevel level) { current_level = level; }
LogLevel log_get_level(void) { return current_level; }

static void log_at(LogLevel level, const char *prefix, const char *fmt, va_list ap) {
    if (level > current_level) return;
    fputs(prefix, stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

#define DEFINE_LOG_FUNCTION(fn, level, prefix)                                                 \
    void fn(const char *fmt, ...) {                                                            \
        va_list ap;                                                                            \
        va_start(ap, fmt);                                                                     \
        log_at(level, prefix, fmt, ap);                                                        \
        va_end(ap);                                                                            \
    }
DEFINE_LOG_FUNCTION(log_warn, LOG_WARN, "warning: ")
DEFINE_LOG_FUNCTION(log_info, LOG_INFO, "")
DEFINE_LOG_FUNCTION(log_debug, LOG_DEBUG, "debug: ")
