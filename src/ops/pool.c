/* pool.c — max pool 3x3 stride 2 pad 1 and global average pool, forward and backward: host
 * side of cl/pool.cl. */
#include <limits.h>

#include "byolcl/ops.h"

int maxpool_out_size(int size) { return (size + 2 * 1 - 3) / 2 + 1; }

static Status check_shape(const PoolShape *s, const char *op) {
    if (s->n < 1 || s->c < 1 || s->h < 1 || s->w < 1)
        return error_set(BC_ERR_USAGE, "%s: shape n=%d c=%d h=%d w=%d must be positive", op, s->n,
                         s->c, s->h, s->w);
    if ((long long)s->n * s->c * s->h * s->w > INT_MAX)
        return error_set(BC_ERR_USAGE, "%s: %d x %d x %d x %d values exceed the int range of the kernels",
                         op, s->n, s->c, s->h, s->w);
    return BC_OK;
}

Status maxpool_forward(Device *device, View out, View argmax, View in, const PoolShape *s) {
    Status st = check_shape(s, "maxpool_forward");
    if (st != BC_OK) return st;
    Kernel *k;
    if ((st = kernel_get(device, "pool", "maxpool3s2_forward", &k)) != BC_OK) return st;
    int planes = s->n * s->c, out_h = maxpool_out_size(s->h), out_w = maxpool_out_size(s->w);
    return KERNEL_LAUNCH_1D(device, k, (size_t)planes * out_h * out_w, ARG_VIEW(out),
                            ARG_VIEW(argmax), ARG_VIEW(in), ARG_I(planes), ARG_I(s->h),
                            ARG_I(s->w), ARG_I(out_h), ARG_I(out_w));
}

Status maxpool_backward(Device *device, View d_in, View d_out, View argmax, const PoolShape *s) {
    Status st = check_shape(s, "maxpool_backward");
    if (st != BC_OK) return st;
    Kernel *k;
    if ((st = kernel_get(device, "pool", "maxpool3s2_backward", &k)) != BC_OK) return st;
    int planes = s->n * s->c, out_h = maxpool_out_size(s->h), out_w = maxpool_out_size(s->w);
    return KERNEL_LAUNCH_1D(device, k, (size_t)planes * s->h * s->w, ARG_VIEW(d_in),
                            ARG_VIEW(d_out), ARG_VIEW(argmax), ARG_I(planes), ARG_I(s->h),
                            ARG_I(s->w), ARG_I(out_h), ARG_I(out_w));
}

Status global_avgpool_forward(Device *device, View out, View in, const PoolShape *s) {
    Status st = check_shape(s, "global_avgpool_forward");
    if (st != BC_OK) return st;
    Kernel *k;
    if ((st = kernel_get(device, "pool", "global_avgpool_forward", &k)) != BC_OK) return st;
    int planes = s->n * s->c;
    return KERNEL_LAUNCH_1D(device, k, (size_t)planes, ARG_VIEW(out), ARG_VIEW(in), ARG_I(planes),
                            ARG_I(s->h * s->w));
}

Status global_avgpool_backward(Device *device, View d_in, View d_out, const PoolShape *s) {
    Status st = check_shape(s, "global_avgpool_backward");
    if (st != BC_OK) return st;
    Kernel *k;
    if ((st = kernel_get(device, "pool", "global_avgpool_backward", &k)) != BC_OK) return st;
    int planes = s->n * s->c, spatial = s->h * s->w;
    return KERNEL_LAUNCH_1D(device, k, (size_t)planes * spatial, ARG_VIEW(d_in), ARG_VIEW(d_out),
                            ARG_I(planes), ARG_I(spatial));
}
