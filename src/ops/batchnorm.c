/* batchnorm.c — batch normalization forward (training and evaluation) and backward: host
 * side of cl/batchnorm.cl. 2-D (spatial = h*w) and 1-D (spatial = 1) share the code. */
#include <limits.h>

#include "byolcl/ops.h"

/* How many values one work-item reduces in the first stage. Small enough that channels
 * with many values still spread over many work-items, large enough that the per-channel
 * second stage stays short. A device profile may tune it (BN_CHUNK). */
enum { BN_CHUNK_DEFAULT = 1024, BN_MAX_PARTS = 4096 };

static Status check_shape(const BatchNormShape *s, const char *op) {
    if (s->n < 1 || s->c < 1 || s->spatial < 1)
        return error_set(BC_ERR_USAGE, "%s: shape n=%d c=%d spatial=%d must be positive", op,
                         s->n, s->c, s->spatial);
    if ((long long)s->n * s->c * s->spatial > INT_MAX)
        return error_set(BC_ERR_USAGE, "%s: %d x %d x %d values exceed the int range of the kernels",
                         op, s->n, s->c, s->spatial);
    return BC_OK;
}

/* Splits each channel's n*spatial values into `parts` chunks of `chunk` values. */
static void plan_chunks(Device *device, const BatchNormShape *s, int *parts, int *chunk) {
    int count = s->n * s->spatial;
    int target = device_profile_get(device, "BN_CHUNK", BN_CHUNK_DEFAULT);
    if (target < 1) target = BN_CHUNK_DEFAULT;
    int p = (count + target - 1) / target;
    if (p > BN_MAX_PARTS) p = BN_MAX_PARTS;
    *chunk = (count + p - 1) / p;
    *parts = (count + *chunk - 1) / *chunk;
}

Status batchnorm_forward_train(Device *device, View out, View save_mean, View save_invstd,
                               View running_mean, View running_var, View in, View gamma,
                               View beta, const BatchNormShape *s) {
    Status st = check_shape(s, "batchnorm_forward_train");
    if (st != BC_OK) return st;
    int parts, chunk;
    plan_chunks(device, s, &parts, &chunk);
    Buffer *partial;
    st = device_scratch(device, 0, (size_t)s->c * parts * 3 * sizeof(float), &partial);
    if (st != BC_OK) return error_wrap(st, "batchnorm_forward_train: ");
    Kernel *k_partial, *k_finalize, *k_normalize;
    if ((st = kernel_get(device, "batchnorm", "batchnorm_partial_stats", &k_partial)) != BC_OK ||
        (st = kernel_get(device, "batchnorm", "batchnorm_finalize_stats", &k_finalize)) != BC_OK ||
        (st = kernel_get(device, "batchnorm", "batchnorm_normalize", &k_normalize)) != BC_OK)
        return st;
    st = KERNEL_LAUNCH_1D(device, k_partial, (size_t)s->c * parts, ARG_BUF(partial), ARG_VIEW(in),
                          ARG_I(s->n), ARG_I(s->c), ARG_I(s->spatial), ARG_I(parts), ARG_I(chunk));
    if (st != BC_OK) return st;
    st = KERNEL_LAUNCH_1D(device, k_finalize, (size_t)s->c, ARG_VIEW(save_mean),
                          ARG_VIEW(save_invstd), ARG_VIEW(running_mean), ARG_VIEW(running_var),
                          ARG_BUF(partial), ARG_VIEW(in), ARG_I(s->c), ARG_I(s->spatial),
                          ARG_I(parts), ARG_F(s->eps),
                          ARG_F(s->momentum));
    if (st != BC_OK) return st;
    size_t range[3] = {(size_t)s->spatial, (size_t)s->c, (size_t)s->n};
    return KERNEL_LAUNCH(device, k_normalize, 3, range, NULL, ARG_VIEW(out), ARG_VIEW(in),
                         ARG_VIEW(save_mean), ARG_VIEW(save_invstd), ARG_VIEW(gamma),
                         ARG_VIEW(beta), ARG_I(s->c), ARG_I(s->spatial));
}

Status batchnorm_forward_eval(Device *device, View out, View in, View gamma, View beta,
                              View running_mean, View running_var, const BatchNormShape *s) {
    Status st = check_shape(s, "batchnorm_forward_eval");
    if (st != BC_OK) return st;
    Kernel *k;
    if ((st = kernel_get(device, "batchnorm", "batchnorm_normalize_running", &k)) != BC_OK) return st;
    size_t range[3] = {(size_t)s->spatial, (size_t)s->c, (size_t)s->n};
    return KERNEL_LAUNCH(device, k, 3, range, NULL, ARG_VIEW(out), ARG_VIEW(in),
                         ARG_VIEW(running_mean), ARG_VIEW(running_var), ARG_VIEW(gamma),
                         ARG_VIEW(beta), ARG_I(s->c), ARG_I(s->spatial), ARG_F(s->eps));
}

Status batchnorm_backward(Device *device, View d_in, View d_gamma, View d_beta, View d_out,
                          View in, View save_mean, View save_invstd, View gamma,
                          const BatchNormShape *s) {
    Status st = check_shape(s, "batchnorm_backward");
    if (st != BC_OK) return st;
    int parts, chunk;
    plan_chunks(device, s, &parts, &chunk);
    Buffer *partial, *sums;
    if ((st = device_scratch(device, 0, (size_t)s->c * parts * 2 * sizeof(float), &partial)) != BC_OK ||
        (st = device_scratch(device, 1, (size_t)s->c * 2 * sizeof(float), &sums)) != BC_OK)
        return error_wrap(st, "batchnorm_backward: ");
    Kernel *k_partial, *k_finalize, *k_input;
    if ((st = kernel_get(device, "batchnorm", "batchnorm_partial_grad_sums", &k_partial)) != BC_OK ||
        (st = kernel_get(device, "batchnorm", "batchnorm_finalize_grad_sums", &k_finalize)) != BC_OK ||
        (st = kernel_get(device, "batchnorm", "batchnorm_backward_input", &k_input)) != BC_OK)
        return st;
    st = KERNEL_LAUNCH_1D(device, k_partial, (size_t)s->c * parts, ARG_BUF(partial),
                          ARG_VIEW(d_out), ARG_VIEW(in), ARG_VIEW(save_mean), ARG_VIEW(save_invstd),
                          ARG_I(s->n), ARG_I(s->c), ARG_I(s->spatial), ARG_I(parts), ARG_I(chunk));
    if (st != BC_OK) return st;
    st = KERNEL_LAUNCH_1D(device, k_finalize, (size_t)s->c, ARG_BUF(sums), ARG_VIEW(d_gamma),
                          ARG_VIEW(d_beta), ARG_BUF(partial), ARG_I(s->c), ARG_I(parts));
    if (st != BC_OK) return st;
    size_t range[3] = {(size_t)s->spatial, (size_t)s->c, (size_t)s->n};
    return KERNEL_LAUNCH(device, k_input, 3, range, NULL, ARG_VIEW(d_in), ARG_VIEW(d_out),
                         ARG_VIEW(in), ARG_VIEW(save_mean), ARG_VIEW(save_invstd),
                         ARG_VIEW(gamma), ARG_BUF(sums), ARG_I(s->c), ARG_I(s->spatial),
                         ARG_F(1.0 / ((double)s->n * s->spatial)));
}
