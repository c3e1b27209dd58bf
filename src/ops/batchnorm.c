/* batchnorm.c — batch normalization forward (training and evaluation) and backward, with
 * an optional fused ReLU (or residual join and ReLU): host side of cl/batchnorm.cl (element
 * and chunk kernels, for spatial = 1 and wherever the others are off),
 * cl/batchnorm_planes.cl (per-plane vector kernels for CPUs, chosen by the profile's
 * BN_PLANES when spatial > 1) and cl/batchnorm_gpu.cl (work-group reductions for GPUs,
 * BN_GPU, spatial > 1). */
#include <limits.h>
#include <stdlib.h>

#include "byolcl/ops.h"
#include "ops/scratch.h"

/* How many values one work-item reduces in the first stage. Small enough that channels
 * with many values still spread over many work-items, large enough that the per-channel
 * second stage stays short: profile key BN_CHUNK. The plane kernels' reductions: about
 * BN_PLANE_ITEMS runs of images, enough to keep every core busy with a few to spare for
 * balance. Both defaults: profile_keys.def. */
enum { BN_MAX_PARTS = 4096 };

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
    int target = device_profile_get(device, "BN_CHUNK"); /* >= 1: the key's range */
    int p = (count + target - 1) / target;
    if (p > BN_MAX_PARTS) p = BN_MAX_PARTS;
    *chunk = (count + p - 1) / p;
    *parts = (count + *chunk - 1) / *chunk;
}

/* The plane kernels pay off only when a plane holds more than one value. */
static bool use_planes(Device *device, const BatchNormShape *s) {
    return s->spatial > 1 && device_profile_get(device, "BN_PLANES") != 0;
}

/* The work-group reductions read a channel's planes in coalesced runs; with spatial = 1
 * neighbouring values are c apart, and the chunk kernels do as well. */
static bool use_gpu(Device *device, const BatchNormShape *s) {
    return s->spatial > 1 && device_profile_get(device, "BN_GPU") != 0;
}

/* Splits each channel's values into `parts` chunks of `chunk`, one work-group each. */
static void plan_gpu_chunks(Device *device, const BatchNormShape *s, int *parts, int *chunk) {
    int count = s->n * s->spatial;
    int target = device_profile_get(device, "BN_GPU_CHUNK");
    int p = (count + target - 1) / target;
    if (p > BN_MAX_PARTS) p = BN_MAX_PARTS;
    *chunk = (count + p - 1) / p;
    *parts = (count + *chunk - 1) / *chunk;
}

/* One work-group of BN_GPU_WG per (chunk, channel). */
static Status launch_gpu_reduction(Device *device, Kernel *k, const BatchNormShape *s, int parts,
                                   const KernelArg *args, int arg_count) {
    size_t group = (size_t)device_profile_get(device, "BN_GPU_WG");
    size_t local[2] = {group, 1}, global[2] = {(size_t)parts * group, (size_t)s->c};
    return kernel_launch(device, k, 2, global, local, args, arg_count);
}

/* Splits the n images into `parts` runs of `per_part` images. */
static void plan_plane_runs(Device *device, const BatchNormShape *s, int *parts, int *per_part) {
    int p = device_profile_get(device, "BN_PLANE_ITEMS");
    if (p > s->n) p = s->n;
    if (p > BN_MAX_PARTS) p = BN_MAX_PARTS;
    *per_part = (s->n + p - 1) / p;
    *parts = (s->n + *per_part - 1) / *per_part;
}

/* The reductions are few and heavy: one work-item per work-group lets the driver spread
 * them over all cores. */
static Status launch_reduction(Device *device, Kernel *k, size_t items, const KernelArg *args,
                               int arg_count) {
    size_t one = 1;
    return kernel_launch(device, k, 1, &items, &one, args, arg_count);
}

/* Cross-replica statistics: this replica's per-channel (count, mean, M2) are read back,
 * summed over the replicas as (count, sum, sum of squares) in double, and the mean and
 * variances of the whole go back to the device, which saves them as the local finalize does. */
static Status finalize_across_replicas(Device *device, View save_mean, View save_invstd, View running_mean,
                                       View running_var, Buffer *partial, View in, const BatchNormShape *s,
                                       int parts, const char *op) {
    Buffer *moments;
    Kernel *k_moments, *k_apply;
    size_t c = (size_t)s->c;
    Status st = scratch_get(device, SCRATCH_BN_SUMS, c * 3 * sizeof(float), &moments);
    if (st != BC_OK) return error_wrap(st, "%s: ", op);
    if ((st = kernel_get(device, "batchnorm", "batchnorm_local_moments", &k_moments)) != BC_OK ||
        (st = kernel_get(device, "batchnorm", "batchnorm_apply_stats", &k_apply)) != BC_OK)
        return st;
    st = KERNEL_LAUNCH_1D(device, k_moments, c, ARG_BUF(moments), ARG_BUF(partial), ARG_VIEW(in), ARG_I(s->c),
                          ARG_I(s->spatial), ARG_I(parts));
    float *local = malloc(c * 3 * sizeof *local);
    double *total = malloc(c * 3 * sizeof *total);
    if (st == BC_OK && (!local || !total)) st = error_set(BC_ERR_OUT_OF_MEMORY, "%s: out of memory", op);
    if (st == BC_OK) st = buffer_read(device, moments, 0, c * 3 * sizeof *local, local);
    for (size_t ch = 0; st == BC_OK && ch < c; ch++) {
        double n = local[3 * ch], mean = local[3 * ch + 1];
        total[3 * ch] = n;
        total[3 * ch + 1] = n * mean;
        total[3 * ch + 2] = (double)local[3 * ch + 2] + n * mean * mean;
    }
    if (st == BC_OK) st = s->replicas->sum(s->replicas->context, total, c * 3);
    for (size_t ch = 0; st == BC_OK && ch < c; ch++) {
        double n = total[3 * ch], mean = n > 0 ? total[3 * ch + 1] / n : 0.0;
        double var = n > 0 ? total[3 * ch + 2] / n - mean * mean : 0.0;
        if (var < 0) var = 0; /* rounding of the difference */
        local[3 * ch] = (float)mean;
        local[3 * ch + 1] = (float)var;
        local[3 * ch + 2] = (float)(n > 1 ? var * n / (n - 1) : var); /* as batchnorm_finalize_stats */
    }
    if (st == BC_OK) st = buffer_write(device, moments, 0, c * 3 * sizeof *local, local);
    free(local);
    free(total);
    if (st != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, k_apply, c, ARG_VIEW(save_mean), ARG_VIEW(save_invstd), ARG_VIEW(running_mean),
                            ARG_VIEW(running_var), ARG_BUF(moments), ARG_I(s->c), ARG_F(s->eps),
                            ARG_F(s->momentum));
}

/* Cross-replica backward: the per-channel sums of dy and dy * xhat of every replica. */
static Status sum_grad_sums_across_replicas(Device *device, Buffer *sums, const BatchNormShape *s, const char *op) {
    size_t values = (size_t)s->c * 2;
    float *local = malloc(values * sizeof *local);
    double *total = malloc(values * sizeof *total);
    Status st = local && total ? buffer_read(device, sums, 0, values * sizeof *local, local)
                               : error_set(BC_ERR_OUT_OF_MEMORY, "%s: out of memory", op);
    for (size_t i = 0; st == BC_OK && i < values; i++) total[i] = local[i];
    if (st == BC_OK) st = s->replicas->sum(s->replicas->context, total, values);
    for (size_t i = 0; st == BC_OK && i < values; i++) local[i] = (float)total[i];
    if (st == BC_OK) st = buffer_write(device, sums, 0, values * sizeof *local, local);
    free(local);
    free(total);
    return st;
}

/* out = max(0, bn(in) + residual) over the range (spatial, c, n); mean and var are the
 * saved mean and invstd, or with `running` the running statistics. */
static Status add_relu_normalize(Device *device, View out, View in, View residual, View mean, View var,
                                 View gamma, View beta, const BatchNormShape *s, bool running) {
    Kernel *k;
    Status st = kernel_get(device, "batchnorm_gpu", "batchnorm_add_relu_normalize", &k);
    if (st != BC_OK) return st;
    size_t range[3] = {(size_t)s->spatial, (size_t)s->c, (size_t)s->n};
    return KERNEL_LAUNCH(device, k, 3, range, NULL, ARG_VIEW(out), ARG_VIEW(in), ARG_VIEW(residual),
                         ARG_VIEW(mean), ARG_VIEW(var), ARG_VIEW(gamma), ARG_VIEW(beta), ARG_I(s->c),
                         ARG_I(s->spatial), ARG_I(running), ARG_F(s->eps));
}

/* residual: VIEW_NONE, or the shortcut joined before the ReLU (relu is then true). */
static Status forward_train(Device *device, View out, View save_mean, View save_invstd,
                            View running_mean, View running_var, View in, View residual, View gamma,
                            View beta, const BatchNormShape *s, bool relu, const char *op) {
    Status st = check_shape(s, op);
    if (st != BC_OK) return st;
    bool gpu = use_gpu(device, s);
    bool planes = !gpu && use_planes(device, s);
    int parts, chunk;
    if (gpu) plan_gpu_chunks(device, s, &parts, &chunk);
    else if (planes) plan_plane_runs(device, s, &parts, &chunk);
    else plan_chunks(device, s, &parts, &chunk);
    Buffer *partial;
    st = scratch_get(device, SCRATCH_BN_PARTIAL, (size_t)s->c * parts * 3 * sizeof(float), &partial);
    if (st != BC_OK) return error_wrap(st, "%s: ", op);
    Kernel *k_partial, *k_finalize, *k_normalize;
    const char *program = planes ? "batchnorm_planes" : "batchnorm";
    const char *partial_name = gpu ? "batchnorm_gpu_partial_stats"
                               : planes ? "batchnorm_plane_partial_stats" : "batchnorm_partial_stats";
    if ((st = kernel_get(device, gpu ? "batchnorm_gpu" : program, partial_name, &k_partial)) != BC_OK ||
        (st = kernel_get(device, "batchnorm", "batchnorm_finalize_stats", &k_finalize)) != BC_OK ||
        (st = kernel_get(device, program,
                         planes ? "batchnorm_plane_normalize" : relu ? "batchnorm_relu_normalize" : "batchnorm_normalize",
                         &k_normalize)) != BC_OK)
        return st;
    KernelArg partial_args[] = {ARG_BUF(partial), ARG_VIEW(in), ARG_I(s->n), ARG_I(s->c),
                                ARG_I(s->spatial), ARG_I(parts), ARG_I(chunk)};
    int partial_count = (int)(sizeof partial_args / sizeof partial_args[0]);
    st = gpu      ? launch_gpu_reduction(device, k_partial, s, parts, partial_args, partial_count)
         : planes ? launch_reduction(device, k_partial, (size_t)parts, partial_args, partial_count)
                  : kernel_launch_1d(device, k_partial, (size_t)s->c * parts, partial_args, partial_count);
    if (st != BC_OK) return st;
    if (s->replicas)
        st = finalize_across_replicas(device, save_mean, save_invstd, running_mean, running_var, partial, in, s,
                                      parts, op);
    else
        st = KERNEL_LAUNCH_1D(device, k_finalize, (size_t)s->c, ARG_VIEW(save_mean),
                          ARG_VIEW(save_invstd), ARG_VIEW(running_mean), ARG_VIEW(running_var),
                          ARG_BUF(partial), ARG_VIEW(in), ARG_I(s->c), ARG_I(s->spatial),
                          ARG_I(parts), ARG_F(s->eps), ARG_F(s->momentum));
    if (st != BC_OK) return st;
    if (residual.buffer)
        return add_relu_normalize(device, out, in, residual, save_mean, save_invstd, gamma, beta, s, false);
    if (planes)
        return KERNEL_LAUNCH_1D(device, k_normalize, (size_t)s->n * s->c, ARG_VIEW(out), ARG_VIEW(in),
                                ARG_VIEW(save_mean), ARG_VIEW(save_invstd), ARG_VIEW(gamma),
                                ARG_VIEW(beta), ARG_I(s->c), ARG_I(s->spatial), ARG_I(s->n * s->c),
                                ARG_I(relu));
    size_t range[3] = {(size_t)s->spatial, (size_t)s->c, (size_t)s->n};
    return KERNEL_LAUNCH(device, k_normalize, 3, range, NULL, ARG_VIEW(out), ARG_VIEW(in),
                         ARG_VIEW(save_mean), ARG_VIEW(save_invstd), ARG_VIEW(gamma),
                         ARG_VIEW(beta), ARG_I(s->c), ARG_I(s->spatial));
}

static Status forward_eval(Device *device, View out, View in, View residual, View gamma, View beta,
                           View running_mean, View running_var, const BatchNormShape *s,
                           bool relu, const char *op) {
    Status st = check_shape(s, op);
    if (st != BC_OK) return st;
    if (residual.buffer)
        return add_relu_normalize(device, out, in, residual, running_mean, running_var, gamma, beta, s, true);
    Kernel *k;
    if (!use_gpu(device, s) && use_planes(device, s)) {
        if ((st = kernel_get(device, "batchnorm_planes", "batchnorm_plane_normalize_running", &k)) != BC_OK)
            return st;
        return KERNEL_LAUNCH_1D(device, k, (size_t)s->n * s->c, ARG_VIEW(out), ARG_VIEW(in),
                                ARG_VIEW(running_mean), ARG_VIEW(running_var), ARG_VIEW(gamma),
                                ARG_VIEW(beta), ARG_I(s->c), ARG_I(s->spatial), ARG_I(s->n * s->c),
                                ARG_F(s->eps), ARG_I(relu));
    }
    const char *name = relu ? "batchnorm_relu_normalize_running" : "batchnorm_normalize_running";
    if ((st = kernel_get(device, "batchnorm", name, &k)) != BC_OK) return st;
    size_t range[3] = {(size_t)s->spatial, (size_t)s->c, (size_t)s->n};
    return KERNEL_LAUNCH(device, k, 3, range, NULL, ARG_VIEW(out), ARG_VIEW(in),
                         ARG_VIEW(running_mean), ARG_VIEW(running_var), ARG_VIEW(gamma),
                         ARG_VIEW(beta), ARG_I(s->c), ARG_I(s->spatial), ARG_F(s->eps));
}

/* `out` is the fused ReLU's output when relu; otherwise unused (d_out stands in for it). */
static Status backward(Device *device, View d_in, View d_gamma, View d_beta, View d_out, View out,
                       View in, View save_mean, View save_invstd, View gamma,
                       const BatchNormShape *s, bool relu, const char *op) {
    Status st = check_shape(s, op);
    if (st != BC_OK) return st;
    if (!relu) out = d_out;
    bool gpu = use_gpu(device, s);
    bool planes = !gpu && use_planes(device, s);
    int parts, chunk;
    if (gpu) plan_gpu_chunks(device, s, &parts, &chunk);
    else if (planes) plan_plane_runs(device, s, &parts, &chunk);
    else plan_chunks(device, s, &parts, &chunk);
    Buffer *partial, *sums;
    if ((st = scratch_get(device, SCRATCH_BN_PARTIAL, (size_t)s->c * parts * 2 * sizeof(float), &partial)) != BC_OK ||
        (st = scratch_get(device, SCRATCH_BN_SUMS, (size_t)s->c * 2 * sizeof(float), &sums)) != BC_OK)
        return error_wrap(st, "%s: ", op);
    Kernel *k_partial, *k_finalize, *k_input;
    const char *program = planes ? "batchnorm_planes" : "batchnorm";
    const char *partial_name = gpu      ? (relu ? "batchnorm_gpu_relu_partial_grad_sums" : "batchnorm_gpu_partial_grad_sums")
                               : planes ? "batchnorm_plane_partial_grad_sums"
                               : relu   ? "batchnorm_relu_partial_grad_sums"
                                        : "batchnorm_partial_grad_sums";
    const char *input_name = planes ? "batchnorm_plane_backward_input"
                             : relu ? "batchnorm_relu_backward_input"
                                    : "batchnorm_backward_input";
    if ((st = kernel_get(device, gpu ? "batchnorm_gpu" : program, partial_name, &k_partial)) != BC_OK ||
        (st = kernel_get(device, "batchnorm", "batchnorm_finalize_grad_sums", &k_finalize)) != BC_OK ||
        (st = kernel_get(device, program, input_name, &k_input)) != BC_OK)
        return st;
    /* The plane kernels take relu as an argument (their per-plane loops branch on it
     * outside the vector work); the element kernels come in two variants. */
    KernelArg partial_args[] = {ARG_BUF(partial), ARG_VIEW(d_out), ARG_VIEW(out), ARG_VIEW(in),
                                ARG_VIEW(save_mean), ARG_VIEW(save_invstd), ARG_I(s->n), ARG_I(s->c),
                                ARG_I(s->spatial), ARG_I(parts), ARG_I(chunk), ARG_I(relu)};
    int partial_count = (int)(sizeof partial_args / sizeof partial_args[0]) - (planes ? 0 : 1);
    st = gpu      ? launch_gpu_reduction(device, k_partial, s, parts, partial_args, partial_count)
         : planes ? launch_reduction(device, k_partial, (size_t)parts, partial_args, partial_count)
                  : kernel_launch_1d(device, k_partial, (size_t)s->c * parts, partial_args, partial_count);
    if (st != BC_OK) return st;
    st = KERNEL_LAUNCH_1D(device, k_finalize, (size_t)s->c, ARG_BUF(sums), ARG_VIEW(d_gamma),
                          ARG_VIEW(d_beta), ARG_BUF(partial), ARG_I(s->c), ARG_I(parts));
    if (st == BC_OK && s->replicas) st = sum_grad_sums_across_replicas(device, sums, s, op);
    if (st != BC_OK) return st;
    int replicas = s->replicas ? s->replicas->replicas : 1;
    float inv_count = (float)(1.0 / ((double)s->n * s->spatial * replicas));
    if (planes)
        return KERNEL_LAUNCH_1D(device, k_input, (size_t)s->n * s->c, ARG_VIEW(d_in), ARG_VIEW(d_out),
                                ARG_VIEW(out), ARG_VIEW(in), ARG_VIEW(save_mean), ARG_VIEW(save_invstd),
                                ARG_VIEW(gamma), ARG_BUF(sums), ARG_I(s->c), ARG_I(s->spatial),
                                ARG_I(s->n * s->c), ARG_F(inv_count), ARG_I(relu));
    size_t range[3] = {(size_t)s->spatial, (size_t)s->c, (size_t)s->n};
    return KERNEL_LAUNCH(device, k_input, 3, range, NULL, ARG_VIEW(d_in), ARG_VIEW(d_out),
                         ARG_VIEW(out), ARG_VIEW(in), ARG_VIEW(save_mean), ARG_VIEW(save_invstd),
                         ARG_VIEW(gamma), ARG_BUF(sums), ARG_I(s->c), ARG_I(s->spatial),
                         ARG_F(inv_count));
}

Status batchnorm_forward_train(Device *device, View out, View save_mean, View save_invstd,
                               View running_mean, View running_var, View in, View gamma,
                               View beta, const BatchNormShape *s) {
    return forward_train(device, out, save_mean, save_invstd, running_mean, running_var, in, VIEW_NONE,
                         gamma, beta, s, false, "batchnorm_forward_train");
}

Status batchnorm_relu_forward_train(Device *device, View out, View save_mean, View save_invstd,
                                    View running_mean, View running_var, View in, View gamma,
                                    View beta, const BatchNormShape *s) {
    return forward_train(device, out, save_mean, save_invstd, running_mean, running_var, in, VIEW_NONE,
                         gamma, beta, s, true, "batchnorm_relu_forward_train");
}

Status batchnorm_add_relu_forward_train(Device *device, View out, View save_mean, View save_invstd,
                                        View running_mean, View running_var, View in, View residual,
                                        View gamma, View beta, const BatchNormShape *s) {
    return forward_train(device, out, save_mean, save_invstd, running_mean, running_var, in, residual,
                         gamma, beta, s, true, "batchnorm_add_relu_forward_train");
}

Status batchnorm_add_relu_forward_eval(Device *device, View out, View in, View residual, View gamma,
                                       View beta, View running_mean, View running_var,
                                       const BatchNormShape *s) {
    return forward_eval(device, out, in, residual, gamma, beta, running_mean, running_var, s, true,
                        "batchnorm_add_relu_forward_eval");
}

bool batchnorm_fuses_residual(const Device *device) { return device_profile_get(device, "BN_GPU") != 0; }

Status batchnorm_forward_eval(Device *device, View out, View in, View gamma, View beta,
                              View running_mean, View running_var, const BatchNormShape *s) {
    return forward_eval(device, out, in, VIEW_NONE, gamma, beta, running_mean, running_var, s, false,
                        "batchnorm_forward_eval");
}

Status batchnorm_relu_forward_eval(Device *device, View out, View in, View gamma, View beta,
                                   View running_mean, View running_var, const BatchNormShape *s) {
    return forward_eval(device, out, in, VIEW_NONE, gamma, beta, running_mean, running_var, s, true,
                        "batchnorm_relu_forward_eval");
}

Status batchnorm_backward(Device *device, View d_in, View d_gamma, View d_beta, View d_out,
                          View in, View save_mean, View save_invstd, View gamma,
                          const BatchNormShape *s) {
    return backward(device, d_in, d_gamma, d_beta, d_out, VIEW_NONE, in, save_mean, save_invstd,
                    gamma, s, false, "batchnorm_backward");
}

Status batchnorm_relu_backward(Device *device, View d_in, View d_gamma, View d_beta, View d_out,
                               View out, View in, View save_mean, View save_invstd, View gamma,
                               const BatchNormShape *s) {
    return backward(device, d_in, d_gamma, d_beta, d_out, out, in, save_mean, save_invstd, gamma,
                    s, true, "batchnorm_relu_backward");
}
