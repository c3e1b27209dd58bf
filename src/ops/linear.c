/* linear.c — fully connected layer, weight (out_features, in_features) as in PyTorch, on top
 * of gemm() plus the bias kernels of cl/linear.cl. */
#include "byolcl/ops.h"

static Status check_shape(const char *op, int batch, int in_features, int out_features) {
    if (batch < 0 || in_features < 1 || out_features < 1)
        return error_set(BC_ERR_USAGE, "%s: bad shape batch=%d in=%d out=%d", op, batch,
                         in_features, out_features);
    return BC_OK;
}

Status linear_forward(Device *device, View out, View in, View weight, View bias, int batch,
                      int in_features, int out_features) {
    Status st = check_shape("linear_forward", batch, in_features, out_features);
    if (st == BC_OK)
        st = gemm(device, false, true, batch, out_features, in_features, 1.0f, in, in_features,
                  weight, in_features, 0.0f, out, out_features);
    if (st != BC_OK || !bias.buffer || batch == 0) return st;
    Kernel *kernel;
    st = kernel_get(device, "linear", "bias_add_rows", &kernel);
    if (st != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, kernel, (size_t)batch * out_features, ARG_VIEW(out),
                            ARG_VIEW(bias), ARG_I(batch), ARG_I(out_features));
}

Status linear_backward(Device *device, View d_in, View d_weight, View d_bias, View d_out,
                       View in, View weight, int batch, int in_features, int out_features) {
    Status st = check_shape("linear_backward", batch, in_features, out_features);
    if (st == BC_OK && d_in.buffer)
        st = gemm(device, false, false, batch, in_features, out_features, 1.0f, d_out,
                  out_features, weight, in_features, 0.0f, d_in, in_features);
    if (st == BC_OK)
        st = gemm(device, true, false, out_features, in_features, batch, 1.0f, d_out,
                  out_features, in, in_features, 1.0f, d_weight, in_features);
    if (st != BC_OK || !d_bias.buffer) return st;
    Kernel *kernel;
    st = kernel_get(device, "linear", "column_sums_add", &kernel);
    if (st != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, kernel, (size_t)out_features, ARG_VIEW(d_bias), ARG_VIEW(d_out),
                            ARG_I(batch), ARG_I(out_features));
}
