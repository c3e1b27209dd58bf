/* conv2d_igemm.c — host side of cl/conv2d_igemm.cl: the GEMM view of each pass, the tile
 * grid and, for weight gradients, the split of the depth and the reduction of its partials. */
#include <limits.h>

#include "ops/conv2d_igemm.h"
#include "ops/scratch.h"
#include "util/int_math.h"

const char *const conv2d_igemm_param_keys[8] = {
    "CONV_IGEMM_WG_M", "CONV_IGEMM_WG_N", "CONV_IGEMM_TILE_M",       "CONV_IGEMM_TILE_N",
    "CONV_IGEMM_TILE_K", "CONV_IGEMM_PAD", "CONV_IGEMM_WGRAD_GROUPS", "CONV_IGEMM_WGRAD_MIN_K"};

ConvIgemmParams conv2d_igemm_params(const Device *device) {
    int v[8];
    for (int i = 0; i < 8; i++) v[i] = device_profile_get(device, conv2d_igemm_param_keys[i]);
    return (ConvIgemmParams){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
}

Status conv2d_igemm_params_apply(Device *device, const ConvIgemmParams *p) {
    const int v[8] = {p->wg_m, p->wg_n, p->tile_m, p->tile_n, p->tile_k, p->pad, p->wgrad_groups, p->wgrad_min_k};
    Status st = BC_OK;
    for (int i = 0; st == BC_OK && i < 8; i++) st = device_profile_set(device, conv2d_igemm_param_keys[i], v[i]);
    return st;
}

/* The kernel's local arrays: both operand slices and the column / depth tables. */
size_t conv2d_igemm_local_bytes(const ConvIgemmParams *p) {
    size_t tm = (size_t)p->wg_m * p->tile_m, tn = (size_t)p->wg_n * p->tile_n, tk = (size_t)p->tile_k;
    return tk * (tm + tn + 2 * (size_t)p->pad) * sizeof(float) + (tn + tk) * 4 * sizeof(int);
}

const char *conv2d_igemm_params_problem(const ConvIgemmParams *p, const DeviceInfo *info) {
    if (info->max_work_group_size && (size_t)p->wg_m * (size_t)p->wg_n > info->max_work_group_size)
        return "CONV_IGEMM_WG_M x WG_N exceeds the device's work-group size";
    if (info->local_mem_bytes && conv2d_igemm_local_bytes(p) > info->local_mem_bytes)
        return "the CONV_IGEMM tiles exceed the device's local memory";
    return NULL;
}

bool conv2d_igemm_applies(const Device *device, const Conv2dShape *s) {
    if (!device_profile_get(device, "CONV_IGEMM") || s->n < 1) return false;
    ConvIgemmParams p = conv2d_igemm_params(device);
    if (conv2d_igemm_params_problem(&p, device_info(device))) return false;
    long long out_h = conv2d_out_h(s), out_w = conv2d_out_w(s);
    long long in = (long long)s->n * s->c_in * s->h * s->w;
    long long out = (long long)s->n * s->c_out * out_h * out_w;
    long long weights = (long long)s->c_out * s->c_in * s->kernel_h * s->kernel_w;
    return in < INT_MAX && out < INT_MAX && weights < INT_MAX;
}

/* One launch of pass `name` computing rows x cols of C over `depth`, in `splits` slices of
 * k_split (C advancing by c_split_stride floats per slice). */
static Status launch(Device *device, const char *name, View c, View a, View b, const Conv2dShape *s,
                     int rows, int cols, int depth, int splits, int k_split, int c_split_stride,
                     float beta) {
    ConvIgemmParams t = conv2d_igemm_params(device);
    Kernel *kernel;
    Status st = kernel_get(device, "conv2d_igemm", name, &kernel);
    if (st != BC_OK) return st;
    size_t group = (size_t)t.wg_m * (size_t)t.wg_n;
    size_t local[3] = {group, 1, 1};
    size_t global[3] = {(size_t)ceil_div(cols, t.wg_n * t.tile_n) * group,
                        (size_t)ceil_div(rows, t.wg_m * t.tile_m), (size_t)splits};
    return KERNEL_LAUNCH(device, kernel, 3, global, local, ARG_VIEW(c), ARG_VIEW(a), ARG_VIEW(b),
                         ARG_I(s->n), ARG_I(s->c_in), ARG_I(s->h), ARG_I(s->w), ARG_I(s->c_out),
                         ARG_I(s->kernel_h), ARG_I(s->kernel_w), ARG_I(s->stride), ARG_I(s->pad),
                         ARG_I(conv2d_out_h(s)), ARG_I(conv2d_out_w(s)), ARG_I(rows), ARG_I(cols),
                         ARG_I(depth), ARG_I(k_split), ARG_I(c_split_stride), ARG_F(beta));
}

Status conv2d_igemm_forward(Device *device, View out, View in, View weight, const Conv2dShape *s,
                            float beta) {
    int pixels = s->n * conv2d_out_h(s) * conv2d_out_w(s);
    int ksize = s->c_in * s->kernel_h * s->kernel_w;
    return launch(device, "conv2d_igemm_forward", out, weight, in, s, s->c_out, pixels, ksize, 1,
                  ksize, 0, beta);
}

Status conv2d_igemm_backward_data(Device *device, View d_in, View d_out, View weight,
                                  const Conv2dShape *s, bool accumulate) {
    /* One GEMM per phase of the stride (dimension 2), over the phase's pixels and taps: the
     * kernel derives both; the grid covers the largest phase. */
    int st = s->stride, depth = s->c_out * s->kernel_h * s->kernel_w;
    int cols = s->n * ceil_div(s->h, st) * ceil_div(s->w, st);
    return launch(device, "conv2d_igemm_data", d_in, weight, d_out, s, s->c_in, cols, depth, st * st,
                  depth, 0, accumulate ? 1.0f : 0.0f);
}

Status conv2d_igemm_backward_weights(Device *device, View d_weight, View d_out, View in,
                                     const Conv2dShape *s) {
    ConvIgemmParams t = conv2d_igemm_params(device);
    int rows = s->c_out, cols = s->c_in * s->kernel_h * s->kernel_w;
    int depth = s->n * conv2d_out_h(s) * conv2d_out_w(s);
    int tile_k = t.tile_k;
    int groups = ceil_div(rows, t.wg_m * t.tile_m) * ceil_div(cols, t.wg_n * t.tile_n);
    /* Few output tiles over a long depth (the early layers: 64 x 576 outputs over 262144
     * pixels at batch 256) would leave most cores idle: slice the depth until the grid
     * reaches CONV_IGEMM_WGRAD_GROUPS work-groups, no slice shallower than
     * CONV_IGEMM_WGRAD_MIN_K, each a whole number of TILE_K steps. */
    int target = t.wgrad_groups, min_k = t.wgrad_min_k;
    int splits = ceil_div(target, groups);
    int max_splits = ceil_div(depth, min_k < tile_k ? tile_k : min_k);
    if (splits > max_splits) splits = max_splits;
    if (splits < 1) splits = 1;
    int k_split = ceil_div(ceil_div(depth, splits), tile_k) * tile_k;
    splits = ceil_div(depth, k_split);
    if (splits == 1)
        return launch(device, "conv2d_igemm_weights", d_weight, d_out, in, s, rows, cols, depth, 1,
                      depth, 0, 1.0f);
    int count = rows * cols;
    Buffer *partial;
    Kernel *reduce;
    Status st = scratch_get(device, SCRATCH_IGEMM_PARTIAL, (size_t)splits * count * sizeof(float), &partial);
    if (st == BC_OK)
        st = launch(device, "conv2d_igemm_weights", view_of(partial), d_out, in, s, rows, cols, depth,
                    splits, k_split, count, 0.0f);
    if (st == BC_OK) st = kernel_get(device, "conv2d_wgrad", "conv2d_wgrad_reduce", &reduce);
    if (st != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, reduce, (size_t)count, ARG_VIEW(d_weight), ARG_BUF(partial),
                            ARG_I(count), ARG_I(splits));
}
