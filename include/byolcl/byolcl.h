/* byolcl.h — status codes and the last-error message shared by every module, and the one
 * fact about images that several modules' defaults follow. */
#ifndef BYOLCL_BYOLCL_H
#define BYOLCL_BYOLCL_H

#include <stddef.h>

/* Every public function returns one of these; only main() turns them into exit codes. */
typedef enum {
    BC_OK = 0,
    BC_ERR_USAGE,         /* bad flag or argument: exit code 2 */
    BC_ERR_NOT_FOUND,     /* no device matches a selector, missing file: exit 2 for selectors */
    BC_ERR_NO_PLATFORM,   /* no OpenCL platform (no ICD installed) */
    BC_ERR_OPENCL,        /* an OpenCL call failed */
    BC_ERR_BUILD,         /* a kernel failed to compile; the message carries the build log */
    BC_ERR_OUT_OF_MEMORY, /* host or device allocation failed */
    BC_ERR_IO,            /* a file could not be read or written */
    BC_ERR_FORMAT,        /* a file was read but its content is wrong */
    BC_ERR_NUMERIC,       /* NaN/Inf where numbers were expected */
    BC_ERR_INTERRUPTED    /* stopped by a signal */
} Status;

const char *status_name(Status status);

/* Images up to this side (px) are "small" (Fashion-MNIST, CIFAR, STL-10 at 64) and get the
 * small-image defaults: 3x3 stem, LARS lr 1.0 / eta 0.02 / wd 1e-5, tau_base 0.99, no blur,
 * SimCLR temperature 0.5. */
#define SMALL_IMAGE_MAX_SIDE 64

/* Records a formatted message for the calling thread and returns `status`, so that
 * `return error_set(BC_ERR_IO, "%s: %s", path, strerror(errno));` reads as one step. */
Status error_set(Status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepends context to the current message ("loading x.ckpt: " + old message). */
Status error_wrap(Status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *error_last(void);
void error_clear(void);

/* Exit code convention for the command line: 2 for usage errors, 130 after SIGINT/SIGTERM
 * (a checkpoint was saved), 1 for everything else. */
int status_exit_code(Status status);

#endif
