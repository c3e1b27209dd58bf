/* error.c — the per-thread last-error message behind error_set / error_last. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "byolcl/byolcl.h"

static _Thread_local char last_message[8192];

const char *status_name(Status status) {
    switch (status) {
    case BC_OK: return "ok";
    case BC_ERR_USAGE: return "usage error";
    case BC_ERR_NOT_FOUND: return "not found";
    case BC_ERR_NO_PLATFORM: return "no OpenCL platform";
    case BC_ERR_OPENCL: return "OpenCL error";
    case BC_ERR_BUILD: return "kernel build failed";
    case BC_ERR_OUT_OF_MEMORY: return "out of memory";
    case BC_ERR_IO: return "I/O error";
    case BC_ERR_FORMAT: return "bad file format";
    case BC_ERR_NUMERIC: return "numeric error";
    case BC_ERR_INTERRUPTED: return "interrupted";
    }
    return "unknown status";
}

Status error_set(Status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
    return status;
}

Status error_wrap(Status status, const char *fmt, ...) {
    char previous[sizeof last_message];
    memcpy(previous, last_message, sizeof previous);
    va_list ap;
    va_start(ap, fmt);
    int used = vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
    if (used >= 0 && (size_t)used < sizeof last_message)
        snprintf(last_message + used, sizeof last_message - (size_t)used, "%s", previous);
    return status;
}

const char *error_last(void) { return last_message[0] ? last_message : "no error message"; }

void error_clear(void) { last_message[0] = '\0'; }

int status_exit_code(Status status) {
    if (status == BC_OK) return 0;
    if (status == BC_ERR_INTERRUPTED) return 130; /* the shell's convention for Ctrl-C */
    return status == BC_ERR_USAGE ? 2 : 1;
}
