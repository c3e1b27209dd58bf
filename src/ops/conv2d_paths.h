/* conv2d_paths.h — which implementation conv2d takes for a pass of a shape on a device, for
 * reports (byolcl-bench) that must name it without restating conv2d.c's rules. */
#ifndef BYOLCL_OPS_CONV2D_PATHS_H
#define BYOLCL_OPS_CONV2D_PATHS_H

#include "byolcl/ops.h"

typedef enum { CONV2D_FORWARD, CONV2D_BACKWARD_DATA, CONV2D_BACKWARD_WEIGHTS } Conv2dPass;

/* "direct", "direct (flipped kernel)", "direct 3x3 weight gradient", "im2col + GEMM",
 * "GEMM + col2im" or "implicit GEMM". */
const char *conv2d_path_name(Device *device, const Conv2dShape *s, Conv2dPass pass);

#endif
