/* conv2d_wgrad.c — host side of cl/conv2d_wgrad.cl: per-chunk partial weight gradients,
 * then one reduction over the chunks into d_weight. */
#include "ops/conv2d_pad.h"
#include "ops/conv2d_wgrad.h"
#include "ops/scratch.h"
#include "util/int_math.h"

/* Images per chunk (profile key WGRAD_CHUNK_KB): the input and output-gradient planes of
 * one chunk (which all of its work-items walk) should stay within a core's L2. */
enum { WGRAD_WG = 64 };

/* Measured on PoCL (2-core AVX-512, batch 256, GFLOP/s direct vs im2col + GEMM): 16x28x28
 * 28.8 vs 19.1, 32x14x14 43.5 vs 17.6, but 64x7x7 25.6 vs 54.0 (a 49-pixel plane fills
 * four 16-lane vectors and the padded copies cost more than they save) and the 1-channel
 * stem 3.6 vs 10.9 (too few work-items for the copies): those keep im2col + GEMM. */
bool conv2d_wgrad_direct_applies(const Device *device, const Conv2dShape *s) {
    return device_profile_get(device, "CONV_WGRAD_DIRECT") && s->kernel_h == 3 &&
           s->kernel_w == 3 && s->stride == 1 && s->pad == 1 && s->n > 0 &&
           s->h * s->w >= 128 && s->c_in >= 8;
}

Status conv2d_wgrad_direct(Device *device, View d_weight, View d_out, View in, const Conv2dShape *s) {
    int lanes = device_profile_get(device, "GEMM_TILE_N");
    /* Rows of w + 2 floats. Gradient planes: h rows of pixels and two zero columns each,
     * rounded up to whole rows covering `vectors` vectors. Input planes: a zero border row
     * and column, and enough zero rows below for the last vector's taps two rows down. */
    int row_stride = s->w + 2;
    int vectors = ceil_div(s->h * row_stride, lanes);
    int g_rows = ceil_div(vectors * lanes, row_stride);
    int x_rows = ceil_div(vectors * lanes + 2 * row_stride + 2, row_stride);
    int g_stride = g_rows * row_stride, x_stride = x_rows * row_stride;
    size_t per_image = (size_t)(s->c_in * x_stride + s->c_out * g_stride) * sizeof(float);
    size_t chunk_bytes = (size_t)device_profile_get(device, "WGRAD_CHUNK_KB") << 10;
    int per_chunk = (int)(chunk_bytes / per_image);
    if (per_chunk < 1) per_chunk = 1;
    if (per_chunk > s->n) per_chunk = s->n;
    int chunks = ceil_div(s->n, per_chunk);
    int count = s->c_out * s->c_in * 9;
    Buffer *partial, *x_padded, *g_padded;
    Kernel *k_partial, *k_reduce;
    Status st = scratch_get(device, SCRATCH_WGRAD_PARTIAL, (size_t)chunks * count * sizeof(float), &partial);
    if (st == BC_OK)
        st = scratch_get(device, SCRATCH_WGRAD_INPUT, (size_t)s->n * s->c_in * x_stride * sizeof(float), &x_padded);
    if (st == BC_OK)
        st = scratch_get(device, SCRATCH_WGRAD_GRAD, (size_t)s->n * s->c_out * g_stride * sizeof(float), &g_padded);
    if (st == BC_OK) st = kernel_get(device, "conv2d_wgrad", "conv2d_wgrad_3x3", &k_partial);
    if (st == BC_OK) st = kernel_get(device, "conv2d_wgrad", "conv2d_wgrad_reduce", &k_reduce);
    PaddedPlanes x_layout = {x_rows, row_stride, x_stride, 1, 1}, g_layout = {g_rows, row_stride, g_stride, 0, 0};
    if (st == BC_OK) st = conv2d_pad_planes(device, x_padded, in, s->n * s->c_in, s->h, s->w, &x_layout);
    if (st == BC_OK) st = conv2d_pad_planes(device, g_padded, d_out, s->n * s->c_out, s->h, s->w, &g_layout);
    if (st != BC_OK) return st;
    int per_item = device_profile_get(device, "WGRAD_CO"); /* 1-3 (profile_keys.def): 4 spill */
    size_t items = (size_t)ceil_div(s->c_out, per_item) * (size_t)s->c_in;
    size_t local[2] = {items < WGRAD_WG ? items : WGRAD_WG, 1};
    size_t global[2] = {(items + local[0] - 1) / local[0] * local[0], (size_t)chunks};
    st = KERNEL_LAUNCH(device, k_partial, 2, global, local, ARG_BUF(partial),
                       ARG_BUF(g_padded), ARG_BUF(x_padded), ARG_I(s->n), ARG_I(s->c_in),
                       ARG_I(s->c_out), ARG_I(row_stride), ARG_I(vectors), ARG_I(g_stride),
                       ARG_I(x_stride), ARG_I(per_chunk));
    if (st != BC_OK) return st;
    return KERNEL_LAUNCH_1D(device, k_reduce, (size_t)count, ARG_VIEW(d_weight), ARG_BUF(partial),
                            ARG_I(count), ARG_I(chunks));
}
