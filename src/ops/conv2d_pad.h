/* conv2d_pad.h — zero-padded copies of NCHW planes (cl/conv2d_pad.cl) for the CPU
 * convolution kernels: the direct convolution's input and the 3x3 weight gradient's
 * operands. */
#ifndef BYOLCL_OPS_CONV2D_PAD_H
#define BYOLCL_OPS_CONV2D_PAD_H

#include "byolcl/ops.h"

/* Where an h x w plane sits in its padded copy: `rows` rows of row_stride floats, the
 * image at (top, left), planes plane_stride >= rows * row_stride floats apart; zeros
 * everywhere else. */
typedef struct {
    int rows, row_stride, plane_stride, top, left;
} PaddedPlanes;

/* dst = the `planes` h x w planes of src in the layout p. */
Status conv2d_pad_planes(Device *device, Buffer *dst, View src, int planes, int h, int w,
                         const PaddedPlanes *p);

#endif
