/* elementwise.c — ReLU and residual add (also fused), forward and backward: host side of
 * cl/elementwise.cl; and a fill (cl/basic.cl). */
#include <limits.h>

#include "byolcl/ops.h"

static Status launch_flat(Device *device, const char *kernel_name, size_t count,
                          const KernelArg *views, int view_count) {
    if (count > INT_MAX)
        return error_set(BC_ERR_USAGE, "%s: %zu elements exceed the int range of the kernels",
                         kernel_name, count);
    Kernel *k;
    Status st = kernel_get(device, "elementwise", kernel_name, &k);
    if (st != BC_OK) return st;
    KernelArg args[4];
    for (int i = 0; i < view_count; i++) args[i] = views[i];
    args[view_count] = ARG_I(count);
    return kernel_launch_1d(device, k, count, args, view_count + 1);
}

Status relu_forward(Device *device, View out, View in, size_t count) {
    return launch_flat(device, "relu_forward", count, (KernelArg[]){ARG_VIEW(out), ARG_VIEW(in)}, 2);
}

Status relu_backward(Device *device, View d_in, View d_out, View out, size_t count) {
    return launch_flat(device, "relu_backward", count,
                       (KernelArg[]){ARG_VIEW(d_in), ARG_VIEW(d_out), ARG_VIEW(out)}, 3);
}

Status residual_add_forward(Device *device, View out, View a, View b, size_t count) {
    return launch_flat(device, "residual_add_forward", count,
                       (KernelArg[]){ARG_VIEW(out), ARG_VIEW(a), ARG_VIEW(b)}, 3);
}

Status residual_add_backward(Device *device, View d_x, View d_out, size_t count) {
    return launch_flat(device, "residual_add_backward", count,
                       (KernelArg[]){ARG_VIEW(d_x), ARG_VIEW(d_out)}, 2);
}

Status residual_add_relu_forward(Device *device, View out, View a, View b, size_t count) {
    return launch_flat(device, "residual_add_relu_forward", count,
                       (KernelArg[]){ARG_VIEW(out), ARG_VIEW(a), ARG_VIEW(b)}, 3);
}

Status residual_add_relu_backward(Device *device, View d_x, View d_out, View out, size_t count) {
    return launch_flat(device, "residual_add_relu_backward", count,
                       (KernelArg[]){ARG_VIEW(d_x), ARG_VIEW(d_out), ARG_VIEW(out)}, 3);
}

Status fill_floats(Device *device, View out, size_t count, float value) {
    if (count > INT_MAX)
        return error_set(BC_ERR_USAGE, "fill_floats: %zu elements exceed the int range of the kernels", count);
    Kernel *k;
    Status st = kernel_get(device, "basic", "fill_float", &k);
    if (st != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, k, count, ARG_VIEW(out), ARG_I(count), ARG_F(value));
}
