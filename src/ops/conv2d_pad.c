/* conv2d_pad.c — host side of cl/conv2d_pad.cl. */
#include "ops/conv2d_pad.h"

Status conv2d_pad_planes(Device *device, Buffer *dst, View src, int planes, int h, int w,
                         const PaddedPlanes *p) {
    if (planes < 1) return BC_OK;
    Kernel *k;
    Status st = kernel_get(device, "conv2d_pad", "conv2d_pad_planes", &k);
    if (st != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, k, (size_t)planes, ARG_BUF(dst), ARG_VIEW(src), ARG_I(planes),
                            ARG_I(h), ARG_I(w), ARG_I(p->rows), ARG_I(p->row_stride),
                            ARG_I(p->plane_stride), ARG_I(p->top), ARG_I(p->left));
}
